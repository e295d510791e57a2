"""The simulator's in-memory store and its JSON persistence.

One :class:`Store` holds the :class:`~cloudnet.sim.inventory.Inventory` and
indexes over it. Every API family reads and mutates the store and then
calls :meth:`Store.commit`, which writes the whole inventory to the
``--state`` file (if any) before the answer leaves: a write the simulator
acknowledged, or held back by a fault, survives a restart. Writes are atomic
(temporary file in the same directory, fsync, ``os.replace``), so a crash
mid-write leaves the previous state intact.

An existing state file wins over the inventory YAML:
restarting with ``--state`` continues where the last run stopped.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from cloudnet.sim.inventory import (
    AlibabaAccessKey,
    DnatRule,
    EcsInstance,
    EcsInstanceType,
    EcsNetworkInterface,
    EcsRegion,
    EcsSecurityGroup,
    Eip,
    EnsEip,
    EnsForwardEntry,
    EnsInstance,
    EnsNatGateway,
    HuaweiProject,
    Inventory,
    NatGateway,
    Port,
    SagDnatEntry,
    SagInstance,
    load_inventory,
)

STATE_FORMAT_VERSION = 1


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


class Store:
    """The simulated world plus lookup indexes; the only owner of the state file."""

    def __init__(self, inventory: Inventory, *, state_path: Path | None = None) -> None:
        self.inventory = inventory
        self.state_path = state_path
        self.projects: dict[str, HuaweiProject] = {p.id: p for p in inventory.huawei.projects}
        #: every Huawei DNAT rule by id; the per-project lists are rebuilt on commit
        self.dnat_rules = RuleTable()
        for project in inventory.huawei.projects:
            for rule in project.dnat_rules:
                self.dnat_rules[rule.id] = rule
        #: every ENS forward entry by id, in creation order (DescribeForwardTableEntries pages
        #: in that order); folded back into ``inventory.alibaba.ens`` on commit
        self.ens_forward_entries: dict[str, EnsForwardEntry] = {
            e.id: e for e in inventory.alibaba.ens.forward_entries
        }
        #: every SAG DNAT entry by id, in creation order (DescribeDnatEntries pages in that
        #: order); folded back into ``inventory.alibaba.sag`` on commit
        self.sag_dnat_entries: dict[str, SagDnatEntry] = {
            e.id: e for e in inventory.alibaba.sag.dnat_entries
        }
        #: Huawei AK -> (consecutive failed signatures, locked until); not persisted, as the
        #: gateway's lock is not part of the account's resources
        self.aksk_failures: dict[str, tuple[int, float]] = {}

    # -- loading and saving ------------------------------------------------------------------

    @classmethod
    def open(cls, *, inventory: Path | None, state: Path | None) -> Store:
        """The state file if it exists, else the inventory (or the bundled default)."""
        if state is not None and state.exists():
            data = json.loads(state.read_text("utf-8"))
            world = Inventory.model_validate(data["inventory"])
        else:
            world = load_inventory(inventory)
        store = cls(world, state_path=state)
        if state is not None and not state.exists():
            store.commit()
        return store

    def snapshot(self) -> Inventory:
        """The inventory with the current rules folded back into their projects."""
        for project in self.inventory.huawei.projects:
            project.dnat_rules = [r for r in self.dnat_rules.values() if r.tenant_id == project.id]
        self.inventory.alibaba.ens.forward_entries = list(self.ens_forward_entries.values())
        self.inventory.alibaba.sag.dnat_entries = list(self.sag_dnat_entries.values())
        return self.inventory

    def dump(self) -> dict[str, object]:
        return {
            "version": STATE_FORMAT_VERSION,
            "inventory": self.snapshot().model_dump(mode="json"),
        }

    def commit(self) -> None:
        """Persist the whole state atomically (no-op without ``--state``)."""
        if self.state_path is None:
            return
        payload = json.dumps(self.dump(), indent=1, sort_keys=False).encode()
        directory = self.state_path.parent
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=self.state_path.name + ".", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.state_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # -- Huawei lookups -------------------------------------------------------------------

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

    # -- Alibaba lookups ------------------------------------------------------------------

    def alibaba_access_key(self, access_key_id: str) -> AlibabaAccessKey | None:
        """A long-lived key of the inventory or a temporary one STS issued (expired or not)."""
        creds = self.inventory.credentials.alibaba
        for keys in (creds.access_keys, creds.sts_keys):
            found = next((k for k in keys if k.access_key_id == access_key_id), None)
            if found is not None:
                return found
        return None

    def ens_nat_gateway(self, gateway_id: str) -> EnsNatGateway | None:
        gateways = self.inventory.alibaba.ens.nat_gateways
        return next((g for g in gateways if g.id == gateway_id), None)

    def ens_eip_by_address(self, address: str) -> EnsEip | None:
        return next((e for e in self.inventory.alibaba.ens.eips if e.ip_address == address), None)

    def ens_instance_by_ip(self, private_ip: str) -> EnsInstance | None:
        instances = self.inventory.alibaba.ens.instances
        return next((i for i in instances if i.private_ip == private_ip), None)

    def sag_instance(self, sag_id: str) -> SagInstance | None:
        return next((i for i in self.inventory.alibaba.sag.instances if i.id == sag_id), None)

    # -- Alibaba ECS lookups (ENIs are edited in place in ``inventory.alibaba.ecs``) --------

    def ecs_region(self, region_id: str) -> EcsRegion | None:
        return next((r for r in self.inventory.alibaba.ecs.regions if r.id == region_id), None)

    def ecs_network_interface(self, eni_id: str) -> EcsNetworkInterface | None:
        enis = self.inventory.alibaba.ecs.network_interfaces
        return next((e for e in enis if e.id == eni_id), None)

    def ecs_replace_network_interface(self, eni: EcsNetworkInterface) -> None:
        """Swap in a changed ENI in one step (ModifyNetworkInterfaceAttribute is all or nothing)."""
        enis = self.inventory.alibaba.ecs.network_interfaces
        enis[next(i for i, e in enumerate(enis) if e.id == eni.id)] = eni

    def ecs_instance(self, instance_id: str) -> EcsInstance | None:
        instances = self.inventory.alibaba.ecs.instances
        return next((i for i in instances if i.id == instance_id), None)

    def ecs_instance_type(self, type_id: str) -> EcsInstanceType | None:
        types = self.inventory.alibaba.ecs.instance_types
        return next((t for t in types if t.id == type_id), None)

    def ecs_security_group(self, group_id: str) -> EcsSecurityGroup | None:
        groups = self.inventory.alibaba.ecs.security_groups
        return next((g for g in groups if g.id == group_id), None)
