"""The ENS family's world: its settings, its forward entry table and their lifecycle."""

from __future__ import annotations

from pydantic import Field

from cloudnet.sim.core import Strict
from cloudnet.sim.families.alibaba_ens.inventory import (
    EnsEip,
    EnsForwardEntry,
    EnsInstance,
    EnsInventory,
    EnsNatGateway,
)
from cloudnet.sim.state import Store, Tables


class EnsSettings(Strict):
    #: seconds an ENS forward entry stays Pending after CreateForwardEntry / ModifyForwardEntry
    #: and Deleting after DeleteForwardEntry; 0 = immediate
    alibaba_ens_create_delay: float = Field(default=1.0, ge=0)
    alibaba_ens_modify_delay: float = Field(default=1.0, ge=0)
    alibaba_ens_delete_delay: float = Field(default=1.0, ge=0)
    #: forward entries one ENS NAT gateway holds (ForwardEntryLimitExceed beyond)
    alibaba_ens_forward_entry_limit: int = Field(default=100, ge=0)
    #: when true, CreateForwardEntry answers SystemBusy (the backend is overloaded)
    alibaba_ens_system_busy: bool = False


class EnsTables(Tables):
    """Every forward entry by id, in creation order (DescribeForwardTableEntries pages in it)."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.forward_entries: dict[str, EnsForwardEntry] = {
            e.id: e for e in store.section(EnsInventory).forward_entries
        }

    @property
    def section(self) -> EnsInventory:
        return self.store.section(EnsInventory)

    def fold(self) -> None:
        self.section.forward_entries = list(self.forward_entries.values())

    def nat_gateway(self, gateway_id: str) -> EnsNatGateway | None:
        return next((g for g in self.section.nat_gateways if g.id == gateway_id), None)

    def eip_by_address(self, address: str) -> EnsEip | None:
        return next((e for e in self.section.eips if e.ip_address == address), None)

    def instance_by_ip(self, private_ip: str) -> EnsInstance | None:
        return next((i for i in self.section.instances if i.private_ip == private_ip), None)


def settle(store: Store, now: float) -> bool:
    """Apply every due transition (Pending → Available, Deleting → gone); True if any."""
    settings = store.settings_of(EnsSettings)
    entries = store.tables(EnsTables).forward_entries
    changed = False
    for entry in list(entries.values()):
        if entry.status == "Pending":
            delay = (
                settings.alibaba_ens_create_delay
                if entry.pending_after == "create"
                else settings.alibaba_ens_modify_delay
            )
            if now >= entry.status_since + delay:
                entry.status = "Available"
                entry.status_since += delay
                changed = True
        elif (
            entry.status == "Deleting"
            and now >= entry.status_since + settings.alibaba_ens_delete_delay
        ):
            del entries[entry.id]
            changed = True
    return changed
