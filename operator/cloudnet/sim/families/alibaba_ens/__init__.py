"""Alibaba Cloud ENS 2017-11-10 forward (DNAT) entries, behind the POP gateway.

``api.py`` answers the RPC actions, ``world.py`` keeps the entries and their
lifecycle, ``inventory.py`` is the ``alibaba.ens`` section of the inventory,
``admin.py`` the ``/_sim/alibaba/ens/`` edits.
"""

from __future__ import annotations

from importlib import resources

from cloudnet.sim.families.alibaba_ens.admin import EDITS
from cloudnet.sim.families.alibaba_ens.api import AlibabaEns
from cloudnet.sim.families.alibaba_ens.inventory import SECTIONS
from cloudnet.sim.families.alibaba_ens.world import EnsSettings, EnsTables, settle
from cloudnet.sim.family import Family
from cloudnet.sim.gateways.alibaba_pop import GATEWAY, AlibabaGateway

FAMILY = Family(
    name="alibaba_ens",
    defaults=resources.files(__name__) / "inventory.yaml",
    apis=lambda store: [AlibabaEns(store.shared(AlibabaGateway))],
    gateway=GATEWAY,
    sections=SECTIONS,
    settings=EnsSettings,
    tables=EnsTables,
    settle=settle,
    edits=EDITS,
)
