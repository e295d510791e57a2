"""The SAG family's world: its settings and its DNAT entry table (entries exist at once)."""

from __future__ import annotations

from cloudnet.sim.core import Strict
from cloudnet.sim.families.alibaba_sag.inventory import SagDnatEntry, SagInstance, SagInventory
from cloudnet.sim.state import Store, Tables


class SagSettings(Strict):
    #: when true, every SAG DNAT call that passes the parameter checks answers InternalError
    #: (403, as DescribeDnatEntries' reference gives it): the SAG backend is down
    alibaba_sag_internal_error: bool = False


class SagTables(Tables):
    """Every DNAT entry by id, in creation order (DescribeDnatEntries pages in that order)."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.dnat_entries: dict[str, SagDnatEntry] = {
            e.id: e for e in store.section(SagInventory).dnat_entries
        }

    def fold(self) -> None:
        self.store.section(SagInventory).dnat_entries = list(self.dnat_entries.values())

    def instance(self, sag_id: str) -> SagInstance | None:
        instances = self.store.section(SagInventory).instances
        return next((i for i in instances if i.id == sag_id), None)
