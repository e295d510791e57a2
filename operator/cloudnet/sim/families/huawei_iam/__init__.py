"""Huawei Cloud IAM v3: password tokens and temporary AK/SKs, behind the Huawei API gateway.

``api.py`` routes and answers the two calls, ``world.py`` holds its
settings; what it issues joins the gateway's credentials, so it has no
inventory section or admin edits of its own.
"""

from __future__ import annotations

from importlib import resources

from cloudnet.sim.families.huawei_iam.api import HuaweiIam
from cloudnet.sim.families.huawei_iam.world import IamSettings
from cloudnet.sim.family import Family
from cloudnet.sim.gateways.huawei_apig import GATEWAY

FAMILY = Family(
    name="huawei_iam",
    defaults=resources.files(__name__) / "inventory.yaml",
    apis=lambda store: [HuaweiIam(store)],
    gateway=GATEWAY,
    settings=IamSettings,
)
