"""Alibaba Cloud Smart Access Gateway 2018-03-13 DNAT entries, behind the POP gateway.

``api.py`` answers the RPC actions, ``world.py`` keeps the entries,
``inventory.py`` is the ``alibaba.sag`` section of the inventory,
``admin.py`` the ``/_sim/alibaba/sag/`` edits.
"""

from __future__ import annotations

from importlib import resources

from cloudnet.sim.families.alibaba_sag.admin import EDITS
from cloudnet.sim.families.alibaba_sag.api import AlibabaSag
from cloudnet.sim.families.alibaba_sag.inventory import SECTIONS
from cloudnet.sim.families.alibaba_sag.world import SagSettings, SagTables
from cloudnet.sim.family import Family
from cloudnet.sim.gateways.alibaba_pop import GATEWAY, AlibabaGateway

FAMILY = Family(
    name="alibaba_sag",
    defaults=resources.files(__name__) / "inventory.yaml",
    apis=lambda store: [AlibabaSag(store.shared(AlibabaGateway))],
    gateway=GATEWAY,
    sections=SECTIONS,
    settings=SagSettings,
    tables=SagTables,
    edits=EDITS,
)
