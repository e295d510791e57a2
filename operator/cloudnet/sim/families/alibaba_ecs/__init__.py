"""Alibaba Cloud ECS 2014-05-26 elastic network interfaces, behind the POP gateway.

``api.py`` answers the RPC actions, ``world.py`` looks objects up,
``inventory.py`` is the ``alibaba.ecs`` section of the inventory,
``admin.py`` the ``/_sim/alibaba/ecs/`` edits.
"""

from __future__ import annotations

from importlib import resources

from cloudnet.sim.families.alibaba_ecs.admin import EDITS
from cloudnet.sim.families.alibaba_ecs.api import AlibabaEcs
from cloudnet.sim.families.alibaba_ecs.inventory import SECTIONS
from cloudnet.sim.families.alibaba_ecs.world import EcsTables
from cloudnet.sim.family import Family
from cloudnet.sim.gateways.alibaba_pop import GATEWAY, AlibabaGateway

FAMILY = Family(
    name="alibaba_ecs",
    defaults=resources.files(__name__) / "inventory.yaml",
    apis=lambda store: [AlibabaEcs(store.shared(AlibabaGateway))],
    gateway=GATEWAY,
    sections=SECTIONS,
    tables=EcsTables,
    edits=EDITS,
)
