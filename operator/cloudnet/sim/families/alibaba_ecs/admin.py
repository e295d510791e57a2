"""The ECS family's admin edits: ``PATCH /_sim/alibaba/ecs/{kind}/{id}``.

Merges fields into a ``network_interfaces``, ``instances``,
``security_groups``, ``instance_types``, ``regions`` or ``vpcs`` object
(edited in place) and answers the object: an instance stopped, an ENI
managed by a service, a group full.
"""

from __future__ import annotations

from pydantic import BaseModel

from cloudnet.sim.families.alibaba_ecs.inventory import EcsInventory
from cloudnet.sim.family import Edits
from cloudnet.sim.state import Store

KINDS = (
    "network_interfaces",
    "instances",
    "security_groups",
    "instance_types",
    "regions",
    "vpcs",
)


def _find(store: Store, kind: str, object_id: str) -> BaseModel | None:
    objects = getattr(store.section(EcsInventory), kind)
    return next((o for o in objects if getattr(o, "id", None) == object_id), None)


EDITS = Edits(path="alibaba/ecs", kinds=KINDS, find=_find, label="ECS ")
