"""The ECS family's world: lookups over its section (ENIs are edited in place there).

ECS keeps no tables of its own: ModifyNetworkInterfaceAttribute changes
ENIs that the inventory lists, so ``fold`` has nothing to write back.
"""

from __future__ import annotations

from cloudnet.sim.families.alibaba_ecs.inventory import (
    EcsInstance,
    EcsInstanceType,
    EcsInventory,
    EcsNetworkInterface,
    EcsRegion,
    EcsSecurityGroup,
)
from cloudnet.sim.state import Tables


class EcsTables(Tables):
    """Lookups by id over ``alibaba.ecs``; the lists stay the truth."""

    @property
    def section(self) -> EcsInventory:
        return self.store.section(EcsInventory)

    def region(self, region_id: str) -> EcsRegion | None:
        return next((r for r in self.section.regions if r.id == region_id), None)

    def network_interface(self, eni_id: str) -> EcsNetworkInterface | None:
        return next((e for e in self.section.network_interfaces if e.id == eni_id), None)

    def replace_network_interface(self, eni: EcsNetworkInterface) -> None:
        """Swap in a changed ENI in one step (ModifyNetworkInterfaceAttribute is all or nothing)."""
        enis = self.section.network_interfaces
        enis[next(i for i, e in enumerate(enis) if e.id == eni.id)] = eni

    def instance(self, instance_id: str) -> EcsInstance | None:
        return next((i for i in self.section.instances if i.id == instance_id), None)

    def instance_type(self, type_id: str) -> EcsInstanceType | None:
        return next((t for t in self.section.instance_types if t.id == type_id), None)

    def security_group(self, group_id: str) -> EcsSecurityGroup | None:
        return next((g for g in self.section.security_groups if g.id == group_id), None)
