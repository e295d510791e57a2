"""Alibaba Cloud STS 2015-04-01: AssumeRoleWithOIDC (RRSA), behind the POP gateway.

``api.py`` answers the call, ``world.py`` holds its settings; the keys it
issues join the gateway's credentials, so it has no inventory section or
admin edits of its own.
"""

from __future__ import annotations

from importlib import resources

from cloudnet.sim.families.alibaba_sts.api import AlibabaSts
from cloudnet.sim.families.alibaba_sts.world import StsSettings
from cloudnet.sim.family import Family
from cloudnet.sim.gateways.alibaba_pop import GATEWAY, AlibabaGateway

FAMILY = Family(
    name="alibaba_sts",
    defaults=resources.files(__name__) / "inventory.yaml",
    apis=lambda store: [AlibabaSts(store.shared(AlibabaGateway))],
    gateway=GATEWAY,
    settings=StsSettings,
)
