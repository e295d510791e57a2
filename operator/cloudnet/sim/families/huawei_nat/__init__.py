"""Huawei Cloud NAT Gateway v2 public DNAT rules, behind the Huawei API gateway.

``api.py`` routes and answers the calls, ``world.py`` keeps the rules and
their lifecycle, ``inventory.py`` is the ``huawei:`` section of the
inventory, ``admin.py`` the ``/_sim/huawei/`` edits.
"""

from __future__ import annotations

from importlib import resources

from cloudnet.sim.families.huawei_nat.admin import EDITS
from cloudnet.sim.families.huawei_nat.api import HuaweiNat
from cloudnet.sim.families.huawei_nat.inventory import SECTIONS
from cloudnet.sim.families.huawei_nat.world import NatSettings, NatTables, settle
from cloudnet.sim.family import Family
from cloudnet.sim.gateways.huawei_apig import GATEWAY

FAMILY = Family(
    name="huawei_nat",
    defaults=resources.files(__name__) / "inventory.yaml",
    apis=lambda store: [HuaweiNat(store)],
    gateway=GATEWAY,
    sections=SECTIONS,
    settings=NatSettings,
    tables=NatTables,
    settle=settle,
    edits=EDITS,
)
