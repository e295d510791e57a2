"""The installed simulator families: the one shared module that names them.

A family is its folder under ``sim/families/`` and one line here. The order
is the order in which the server offers a request to the families' APIs
(then to the fallbacks of their gateways); families on one gateway must not
claim the same requests, so the order among them does not matter.
"""

from __future__ import annotations

import functools
from pathlib import Path

from cloudnet.sim.families import (
    alibaba_ecs,
    alibaba_ens,
    alibaba_sag,
    alibaba_sts,
    huawei_iam,
    huawei_nat,
)
from cloudnet.sim.family import Family
from cloudnet.sim.inventory import InventoryBase, World

FAMILIES: tuple[Family, ...] = (
    huawei_nat.FAMILY,
    huawei_iam.FAMILY,
    alibaba_ens.FAMILY,
    alibaba_sag.FAMILY,
    alibaba_ecs.FAMILY,
    alibaba_sts.FAMILY,
)


@functools.cache
def installed() -> World:
    """The world of these families: the inventory's model, settings and sections."""
    return World(FAMILIES)


def load_inventory(path: Path | None) -> InventoryBase:
    """Read an inventory YAML of the installed families; None means the bundled default."""
    return installed().load(path)
