"""The ENS family's admin edits: ``PATCH /_sim/alibaba/ens/{kind}/{id}``.

Merges fields into a ``forward_entries``, ``nat_gateways``, ``eips``,
``instances`` or ``snat_entries`` object (inventory field names) and answers
the object: a gateway that stops Running, an instance released, an EIP
rebound, an entry stuck in a state.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from pydantic import BaseModel

from cloudnet.sim.families.alibaba_ens.inventory import EnsInventory
from cloudnet.sim.families.alibaba_ens.world import EnsTables
from cloudnet.sim.family import Edits
from cloudnet.sim.state import Store

KINDS = ("forward_entries", "nat_gateways", "eips", "instances", "snat_entries")


def _find(store: Store, kind: str, object_id: str) -> BaseModel | None:
    objects = getattr(store.section(EnsInventory), kind)
    return next((o for o in objects if getattr(o, "id", None) == object_id), None)


def _tables(store: Store) -> dict[str, MutableMapping[str, Any]]:
    return {"forward_entries": store.tables(EnsTables).forward_entries}


EDITS = Edits(path="alibaba/ens", kinds=KINDS, find=_find, tables=_tables, label="ENS ")
