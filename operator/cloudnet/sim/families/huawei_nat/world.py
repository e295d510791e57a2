"""The Huawei NAT family's world: its settings, its rule tables and their lifecycle."""

from __future__ import annotations

from pydantic import Field

from cloudnet.sim.core import Strict
from cloudnet.sim.families.huawei_nat.inventory import (
    DnatRule,
    Eip,
    HuaweiInventory,
    HuaweiProject,
    NatGateway,
    Port,
)
from cloudnet.sim.state import Store, Tables


class NatSettings(Strict):
    #: seconds a Huawei DNAT rule stays PENDING_CREATE / PENDING_UPDATE / PENDING_DELETE
    huawei_dnat_create_delay: float = Field(default=1.0, ge=0)
    huawei_dnat_update_delay: float = Field(default=1.0, ge=0)
    huawei_dnat_delete_delay: float = Field(default=1.0, ge=0)
    #: DNAT rules per public NAT gateway (Huawei's documented quota)
    huawei_dnat_quota_per_gateway: int = Field(default=200, ge=0)
    #: DNAT rules per EIP (NAT.0313); no number is published, 0 = no limit of its own
    huawei_dnat_quota_per_eip: int = Field(default=0, ge=0)


class RuleTable(dict[str, DnatRule]):
    """Huawei DNAT rules by id, with the ids of each gateway's and each EIP's rules.

    Why: a create checks the rules of its gateway and of its EIP; at 10,000 rules a
    scan of the whole table per create was most of the simulator's CPU. A rule's
    gateway and EIP change only by replacing the rule (a PUT stores a new object),
    so the indexes follow ``__setitem__`` / ``__delitem__``.
    """

    def __init__(self) -> None:
        super().__init__()
        self._by_gateway: dict[str, dict[str, None]] = {}
        self._by_eip: dict[str, dict[str, None]] = {}

    @staticmethod
    def _eip(rule: DnatRule) -> str:
        return rule.floating_ip_id or rule.global_eip_id

    def __setitem__(self, key: str, rule: DnatRule) -> None:
        if key in self:
            self._unindex(key, self[key])
        super().__setitem__(key, rule)
        self._by_gateway.setdefault(rule.nat_gateway_id, {})[key] = None
        self._by_eip.setdefault(self._eip(rule), {})[key] = None

    def __delitem__(self, key: str) -> None:
        self._unindex(key, self[key])
        super().__delitem__(key)

    def _unindex(self, key: str, rule: DnatRule) -> None:
        self._by_gateway.get(rule.nat_gateway_id, {}).pop(key, None)
        self._by_eip.get(self._eip(rule), {}).pop(key, None)

    def pop(self, key: str, *default: DnatRule) -> DnatRule:  # type: ignore[override]
        if key in self:
            self._unindex(key, self[key])
        return super().pop(key, *default)

    def clear(self) -> None:
        super().clear()
        self._by_gateway.clear()
        self._by_eip.clear()

    def of_gateway(self, gateway_id: str) -> list[DnatRule]:
        return [self[k] for k in self._by_gateway.get(gateway_id, ())]

    def of_eip(self, eip_id: str) -> list[DnatRule]:
        return [self[k] for k in self._by_eip.get(eip_id, ())]


class NatTables(Tables):
    """Every project by id and every DNAT rule by id; the per-project lists are rebuilt on fold."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        section = store.section(HuaweiInventory)
        self.projects: dict[str, HuaweiProject] = {p.id: p for p in section.projects}
        self.dnat_rules = RuleTable()
        for project in section.projects:
            for rule in project.dnat_rules:
                self.dnat_rules[rule.id] = rule

    def fold(self) -> None:
        for project in self.store.section(HuaweiInventory).projects:
            project.dnat_rules = [r for r in self.dnat_rules.values() if r.tenant_id == project.id]

    def account_of(self, project_id: str) -> str | None:
        """The account owning a project (what the API gateway checks an AK/SK against)."""
        project = self.projects.get(project_id)
        return None if project is None else project.account

    def nat_gateway(self, project_id: str, gateway_id: str) -> NatGateway | None:
        project = self.projects.get(project_id)
        if project is None:
            return None
        return next((g for g in project.nat_gateways if g.id == gateway_id), None)

    def eip(self, project_id: str, eip_id: str) -> Eip | None:
        project = self.projects.get(project_id)
        if project is None:
            return None
        return next((e for e in project.eips if e.id == eip_id), None)

    def global_eip(self, project_id: str, eip_id: str) -> Eip | None:
        project = self.projects.get(project_id)
        if project is None:
            return None
        return next((e for e in project.global_eips if e.id == eip_id), None)

    def port(self, project_id: str, port_id: str) -> Port | None:
        project = self.projects.get(project_id)
        if project is None:
            return None
        return next((p for p in project.ports if p.id == port_id), None)


def settle(store: Store, now: float) -> bool:
    """Apply every lifecycle transition that is due; True if anything changed.

    Lazily, on every request and before every admin read: no background task
    to race the requests.
    """
    settings = store.settings_of(NatSettings)
    rules = store.tables(NatTables).dnat_rules
    delays = {
        "PENDING_CREATE": settings.huawei_dnat_create_delay,
        "PENDING_UPDATE": settings.huawei_dnat_update_delay,
        "PENDING_DELETE": settings.huawei_dnat_delete_delay,
    }
    # Runs on every request: find what is due without copying the table (10,000 rules).
    due = [
        (rule, delays[rule.status])
        for rule in rules.values()
        if rule.status in delays and now >= rule.status_since + delays[rule.status]
    ]
    for rule, delay in due:
        if rule.status == "PENDING_DELETE":
            del rules[rule.id]
        else:
            rule.status = "ACTIVE"
            rule.status_since = rule.status_since + delay
    return bool(due)
