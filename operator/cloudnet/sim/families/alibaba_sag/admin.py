"""The SAG family's admin edits: ``PATCH /_sim/alibaba/sag/{kind}/{id}``.

Merges fields into a ``dnat_entries`` or ``instances`` object and answers
the object: an instance gone offline or in arrears, an entry changed outside
the API.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from pydantic import BaseModel

from cloudnet.sim.families.alibaba_sag.world import SagTables
from cloudnet.sim.family import Edits
from cloudnet.sim.state import Store

KINDS = ("dnat_entries", "instances")


def _find(store: Store, kind: str, object_id: str) -> BaseModel | None:
    return store.tables(SagTables).instance(object_id)


def _tables(store: Store) -> dict[str, MutableMapping[str, Any]]:
    return {"dnat_entries": store.tables(SagTables).dnat_entries}


EDITS = Edits(path="alibaba/sag", kinds=KINDS, find=_find, tables=_tables, label="SAG ")
