"""The Huawei NAT family's admin edits: ``PATCH /_sim/huawei/{kind}/{id}``.

Merges fields into a ``dnat_rules``, ``nat_gateways``, ``eips``,
``global_eips`` or ``ports`` object (inventory field names) and answers the
object: drift made outside the API and the failure states only the cloud
reaches (a rule EIP_FREEZED, an EIP frozen, a port turned into a virtual IP).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from pydantic import BaseModel

from cloudnet.sim.families.huawei_nat.inventory import HuaweiInventory
from cloudnet.sim.families.huawei_nat.world import NatTables
from cloudnet.sim.family import Edits
from cloudnet.sim.state import Store

KINDS = ("dnat_rules", "nat_gateways", "eips", "global_eips", "ports")


def _find(store: Store, kind: str, object_id: str) -> BaseModel | None:
    projects = store.section(HuaweiInventory).projects
    objects = (o for p in projects for o in getattr(p, kind))
    return next((o for o in objects if getattr(o, "id", None) == object_id), None)


def _tables(store: Store) -> dict[str, MutableMapping[str, Any]]:
    return {"dnat_rules": store.tables(NatTables).dnat_rules}


EDITS = Edits(path="huawei", kinds=KINDS, find=_find, tables=_tables)
