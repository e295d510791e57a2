"""The installed simulator families: the one shared module that names them.

A family is its folder under ``sim/families/`` and one line here. The order
is the order in which the server offers a request to the families' APIs
(then to the fallbacks of their gateways); families on one gateway must not
claim the same requests, so the order among them does not matter.
"""

from __future__ import annotations

from cloudnet.sim.families import (
    alibaba_ecs,
    alibaba_ens,
    alibaba_sag,
    alibaba_sts,
    huawei_iam,
    huawei_nat,
)
from cloudnet.sim.family import Family

FAMILIES: tuple[Family, ...] = (
    huawei_nat.FAMILY,
    huawei_iam.FAMILY,
    alibaba_ens.FAMILY,
    alibaba_sag.FAMILY,
    alibaba_ecs.FAMILY,
    alibaba_sts.FAMILY,
)
