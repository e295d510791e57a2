"""A SIGKILL chaos driver: churn resources through real kubectl, kill the operator, check the cloud.

The driver owns a set of slots across the four providers (Huawei NAT, ENS and
SAG DnatRules, NetworkInterfaceConfigs with ``deletionPolicy: Restore``). A
slot holds one incarnation at a time: a resource with its own name and, for
a DnatRule, its own band of external ports (:data:`BAND` ports from
``BASE + BAND * n``). Spec edits move the external port inside the band, so
every cloud object can be traced back to the one resource it belongs to,
whatever its current key is: two objects in one band is a duplicate; an
object in the band of a resource that Kubernetes has released is a leak.

Each round applies a random mix of creates, spec edits and deletes, may arm a
simulator fault (``drop_response_after_commit`` with a short hold, so a kill
lands between the cloud write and the status write; or latency), waits a
random short time, SIGKILLs ``cloudnet run``, checks, and starts it again.
Checks run while the operator is dead, so Kubernetes and the cloud hold still
(Kubernetes is read first: an object the cloud holds for a released resource
cannot have been made after the read). With ``guard_edits``, every resource a
kill caught in the create guard (marked create-pending, its cloud object
committed, its id not yet in status) gets its key edited or is deleted before
the operator starts again: the window random churn reaches only by luck.

At the end churn stops, faults go, every live resource must converge (ACTIVE,
status of the current generation, exactly one cloud object matching the
spec) within a bounded wait, then everything is deleted and must be gone
within a bounded wait, with no cloud object left and every ENI back at its
original attributes.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tests.integration.harness import (
    EIPS,
    ENI_DEMO,
    ENI_SPARE,
    ENS_EIPS,
    SG_DB,
    SG_WEB,
    Cluster,
    dnat_rule,
    ens_rule,
    nic,
    sag_rule,
)
from tests.wait_kit import wait_until

NAMESPACE = "demo"
ANN_CREATE_PENDING = "cloudnet.dev/create-pending"
#: External ports of incarnation n: BASE + BAND * n ... + BAND - 1.
BASE = 20000
BAND = 10
#: Internal ports of incarnation n: INTERNAL_BASE + BAND * n ... (its own, like the external).
INTERNAL_BASE = 40000
#: Slots per provider: several DnatRules each (distinct keys), one NIC per spare ENI.
SLOTS = {"huawei": 4, "ens": 3, "sag": 3, "nic": 2}
NIC_ENIS = (ENI_DEMO, ENI_SPARE)
#: The writes a held answer or latency is injected into, per provider.
WRITES = {
    "huawei": (
        "CreateNatGatewayDnatRule",
        "UpdateNatGatewayDnatRule",
        "DeleteNatGatewayDnatRule",
    ),
    "ens": ("CreateForwardEntry", "ModifyForwardEntry", "DeleteForwardEntry"),
    "sag": ("AddDnatEntry", "DeleteDnatEntry"),
    "nic": ("ModifyNetworkInterfaceAttribute",),
}
READY_MARKER = b"Starting the watch-stream for dnatrules"


@dataclass
class Incarnation:
    """One resource in a slot, from its create to its release."""

    name: str
    provider: str
    slot: int
    band: int
    offset: int = 0
    internal: int = 80
    description: str = ""
    nic_name: str = ""
    groups: tuple[str, ...] = (SG_WEB,)
    last_op: str = "create"
    deleting: bool = False

    @property
    def kind(self) -> str:
        return "networkinterfaceconfig" if self.provider == "nic" else "dnatrule"

    @property
    def external(self) -> int:
        return BASE + BAND * self.band + self.offset

    @property
    def eni(self) -> str:
        return NIC_ENIS[self.slot]

    def manifest(self) -> dict[str, Any]:
        if self.provider == "huawei":
            return dnat_rule(
                self.name,
                eip=EIPS[self.slot % len(EIPS)],
                external_port=self.external,
                internal_port=self.internal,
                description=self.description,
            )
        if self.provider == "ens":
            return ens_rule(
                self.name,
                external_ip=ENS_EIPS[self.slot % len(ENS_EIPS)],
                external_port=self.external,
                internal_port=self.internal,
            )
        if self.provider == "sag":
            return sag_rule(self.name, external_port=self.external, internal_port=self.internal)
        spec: dict[str, Any] = {"deletionPolicy": "Restore", "networkInterfaceName": self.nic_name}
        if self.eni == ENI_DEMO:
            spec["description"] = self.description
        else:  # eni-spare has no description: Restore could not put "none" back
            spec["securityGroupIds"] = list(self.groups)
        return nic(self.name, self.eni, **spec)


@dataclass(frozen=True)
class CloudObject:
    provider: str
    id: str
    external: int
    internal: int
    state: str
    raw: dict[str, Any]

    @property
    def band(self) -> int | None:
        return (self.external - BASE) // BAND if self.external >= BASE else None


@dataclass
class Snapshot:
    objects: dict[str, dict[str, Any]]
    cloud: list[CloudObject]
    enis: dict[str, dict[str, Any]]


@dataclass
class Report:
    kills: int = 0
    seed: int = 0
    applied: Counter[str] = field(default_factory=Counter)
    applied_by_provider: Counter[str] = field(default_factory=Counter)
    #: (op, provider) → resources with that op not finished when a kill landed
    in_flight: Counter[tuple[str, str]] = field(default_factory=Counter)
    kills_with_ops_in_flight: int = 0
    #: kills that landed while a committed cloud write's answer was held back
    kills_during_held_answer: int = 0
    #: resources marked create-pending whose committed cloud object had no id in status yet
    kills_in_create_guard: int = 0
    #: edits and deletes made, with the operator down, to resources caught in the create guard
    guard_edits: list[str] = field(default_factory=list)
    checkpoints: int = 0
    duplicates: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    converge_seconds: float = 0.0
    delete_seconds: float = 0.0
    duration: float = 0.0

    def figures(self) -> str:
        ops = ("create", "update", "delete")
        providers = tuple(SLOTS)
        lines = [
            f"chaos: seed {self.seed}, {self.kills} SIGKILLs in {self.duration:.1f}s "
            f"({self.checkpoints} checkpoints)",
            "  applied: "
            + ", ".join(f"{self.applied[o]} {o}s" for o in ops)
            + f" (by provider: {dict(sorted(self.applied_by_provider.items()))})",
            f"  kills with operations in flight: {self.kills_with_ops_in_flight}/{self.kills}; "
            f"during a held cloud answer: {self.kills_during_held_answer}; "
            f"resources caught in the create guard (committed, no id in status yet): "
            f"{self.kills_in_create_guard}",
            f"  edits/deletes of those while the operator was down: {len(self.guard_edits)} "
            f"{self.guard_edits}",
            "  in flight at kills (resource-kills):",
            "    " + " ".join(f"{p:>7}" for p in ("", *providers, "total")),
        ]
        for op in ops:
            row = [self.in_flight[(op, p)] for p in providers]
            lines.append("    " + " ".join(f"{v:>7}" for v in (op, *row, sum(row))))
        lines += [
            f"  duplicates: {len(self.duplicates)}",
            *(f"    {d}" for d in self.duplicates),
            f"  leaks: {len(self.leaks)}",
            *(f"    {d}" for d in self.leaks),
            f"  stuck: {len(self.stuck)}",
            *(f"    {d}" for d in self.stuck),
            f"  converged in {self.converge_seconds:.1f}s after the last kill; "
            f"everything deleted in {self.delete_seconds:.1f}s",
        ]
        return "\n".join(lines)


class Chaos:
    """The driver; :meth:`run` returns the :class:`Report`."""

    def __init__(
        self,
        cluster: Cluster,
        *,
        kills: int,
        seed: int,
        max_wait: float = 1.5,
        converge_timeout: float = 90.0,
        delete_timeout: float = 90.0,
        guard_edits: bool = False,
        log: Any = None,
    ) -> None:
        self.cluster = cluster
        self.sim = cluster.sim
        self.kubectl = cluster.kubectl
        self.rng = random.Random(seed)
        self.kills = kills
        self.max_wait = max_wait
        self.converge_timeout = converge_timeout
        self.delete_timeout = delete_timeout
        self.guard_edits = guard_edits
        self.log = log or (lambda message: None)
        self.report = Report(seed=seed)
        self.slots: dict[tuple[str, int], Incarnation | None] = {
            (p, i): None for p, n in SLOTS.items() for i in range(n)
        }
        #: every incarnation ever applied, by name
        self.known: dict[str, Incarnation] = {}
        self.bands = 0
        self.names = 0
        self.pristine: dict[str, dict[str, Any]] = {}
        self._seen_duplicates: set[frozenset[str]] = set()
        self._seen_leaks: set[str] = set()
        self._log_offset = 0

    # -- the run ------------------------------------------------------------------------

    def run(self) -> Report:
        started = time.monotonic()
        self.pristine = {eni: self.sim.eni(eni) for eni in NIC_ENIS}
        self._start_operator()
        self._apply([self._create(p, i) for (p, i) in self.slots])
        for kill in range(1, self.kills + 1):
            self._round(kill)
        self._finish()
        self.report.duration = time.monotonic() - started
        return self.report

    def _round(self, kill: int) -> None:
        before_ready = self.rng.random() < 0.4
        ops = self._plan()
        holds = self._arm_faults(ops)
        if before_ready:
            self._apply_ops(ops)
        self._wait_ready()
        if not before_ready:
            self._apply_ops(ops)
        time.sleep(self.rng.uniform(0.0, self.max_wait))  # sleep-ok: a random moment to kill at
        killed_at = time.time()
        self.cluster.operator.kill()
        self.report.kills += 1
        snap = self._checkpoint(f"kill {kill}")
        guarded = self._count_in_flight(snap, holds, killed_at)
        self.sim.admin.delete("/_sim/faults").raise_for_status()
        self.log(
            f"kill {kill}: ops {[(op, inc.name) for op, inc in ops]}; "
            f"{len(snap.objects)} objects, {len(snap.cloud)} cloud objects"
            + (f"; in the create guard: {guarded}" if guarded else "")
        )
        if self.guard_edits and guarded:
            self._edit_guarded(guarded)
        self._start_operator()

    def _edit_guarded(self, names: list[str]) -> None:
        """While the operator is down: move the key of (or delete) what the guard is holding."""
        ops: list[tuple[str, Incarnation]] = []
        for name in names:
            inc = self.known[name]
            if inc.deleting:
                continue
            if self.rng.random() < 0.5:
                self._edit_values(inc)
                inc.last_op = "update"
                ops.append(("update", inc))
            else:
                inc.deleting = True
                ops.append(("delete", inc))
            self.report.applied[ops[-1][0]] += 1
            self.report.applied_by_provider[inc.provider] += 1
            self.report.guard_edits.append(f"{ops[-1][0]} {name}")
        self.log(f"  while down, in the create guard: {[(op, i.name) for op, i in ops]}")
        self._apply_ops(ops)

    # -- operations ---------------------------------------------------------------------

    def _create(self, provider: str, slot: int) -> Incarnation:
        self.names += 1
        name = f"{provider}-{self.names}"
        inc = Incarnation(
            name=name,
            provider=provider,
            slot=slot,
            band=self.bands,
            internal=INTERNAL_BASE + BAND * self.bands,
        )
        self.bands += 1
        self._edit_values(inc, first=True)
        self.slots[(provider, slot)] = inc
        self.known[name] = inc
        self.report.applied["create"] += 1
        self.report.applied_by_provider[provider] += 1
        return inc

    def _edit_values(self, inc: Incarnation, *, first: bool = False) -> None:
        rng = self.rng
        if inc.provider == "nic":
            inc.nic_name = f"chaos-{inc.name}-{rng.randrange(1000)}"
            inc.description = f"chaos edit {rng.randrange(1000)}"
            inc.groups = rng.choice(((SG_WEB, SG_DB), (SG_DB,), (SG_DB, SG_WEB)))
            return
        offsets = [o for o in range(BAND) if first or o != inc.offset]
        inc.offset = rng.choice(offsets)
        # Within the incarnation's own band: one backend port carries one rule (the
        # cloud's internal key), so two incarnations never share an internal port.
        inc.internal = INTERNAL_BASE + BAND * inc.band + rng.randrange(BAND)
        inc.description = f"chaos edit {rng.randrange(1000)}"

    def _plan(self) -> list[tuple[str, Incarnation]]:
        """1-3 operations on distinct slots: create into an empty slot, or edit or delete."""
        planned: list[tuple[str, Incarnation]] = []
        candidates = [key for key, inc in self.slots.items() if inc is None or not inc.deleting]
        self.rng.shuffle(candidates)
        for key in candidates[: self.rng.randint(1, 3)]:
            inc = self.slots[key]
            if inc is None:
                planned.append(("create", self._create(*key)))
            elif self.rng.random() < 0.65:
                self._edit_values(inc)
                inc.last_op = "update"
                self.report.applied["update"] += 1
                self.report.applied_by_provider[inc.provider] += 1
                planned.append(("update", inc))
            else:
                inc.deleting = True
                self.report.applied["delete"] += 1
                self.report.applied_by_provider[inc.provider] += 1
                planned.append(("delete", inc))
        return planned

    def _apply_ops(self, ops: list[tuple[str, Incarnation]]) -> None:
        self._apply([inc for op, inc in ops if op != "delete"])
        for kind in ("dnatrule", "networkinterfaceconfig"):
            names = [inc.name for op, inc in ops if op == "delete" and inc.kind == kind]
            if names:
                self.kubectl("delete", kind, *names, "-n", NAMESPACE, "--wait=false")

    def _apply(self, incs: Iterable[Incarnation]) -> None:
        manifests = [inc.manifest() for inc in incs]
        if manifests:
            self.kubectl.apply(manifests)

    def _arm_faults(self, ops: list[tuple[str, Incarnation]]) -> dict[str, float]:
        """Maybe a held answer (and maybe latency) on a write the planned ops will make."""
        holds: dict[str, float] = {}
        providers = sorted({inc.provider for _, inc in ops}) or sorted(SLOTS)
        if self.rng.random() < 0.6:
            action = self.rng.choice(WRITES[self.rng.choice(providers)])
            hold = round(self.rng.uniform(0.3, 2.0), 2)
            rule = self.sim.fault(
                action=action, drop_response_after_commit=True, hold_seconds=hold, count=1
            )
            holds[str(rule["id"])] = hold
        if self.rng.random() < 0.3:
            action = self.rng.choice(WRITES[self.rng.choice(providers)])
            self.sim.fault(action=action, latency=round(self.rng.uniform(0.2, 1.0), 2), count=2)
        return holds

    # -- the operator -------------------------------------------------------------------

    def _start_operator(self) -> None:
        log = self.cluster.operator.log
        self._log_offset = log.stat().st_size if log.exists() else 0
        self.cluster.operator.start()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        """Until the new process watches DnatRules (its log says so)."""
        log = self.cluster.operator.log

        def watching() -> bool:
            with log.open("rb") as handle:
                handle.seek(self._log_offset)
                if READY_MARKER in handle.read():
                    return True
            proc = self.cluster.operator.proc
            if proc is not None and proc.poll() is not None:
                raise AssertionError(f"the operator exited with {proc.returncode}; see {log}")
            return False

        wait_until(watching, timeout=timeout, interval=0.05, what=f"the operator to watch ({log})")

    # -- observing ----------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """Kubernetes first, then the cloud (see the module docstring)."""
        listing = self.kubectl.json("get", "dnatrules,networkinterfaceconfigs", "-n", NAMESPACE)
        objects = {str(o["metadata"]["name"]): o for o in listing["items"]}
        state = self.sim.admin.get("/_sim/state").json()["inventory"]
        cloud: list[CloudObject] = []
        for project in state["huawei"]["projects"]:
            for rule in project.get("dnat_rules") or []:
                cloud.append(
                    CloudObject(
                        "huawei",
                        rule["id"],
                        int(rule["external_service_port"]),
                        int(rule["internal_service_port"]),
                        rule["status"],
                        rule,
                    )
                )
        for entry in state["alibaba"]["ens"].get("forward_entries") or []:
            cloud.append(
                CloudObject(
                    "ens",
                    entry["id"],
                    int(entry["external_port"]),
                    int(entry["internal_port"]),
                    entry["status"],
                    entry,
                )
            )
        for entry in state["alibaba"]["sag"].get("dnat_entries") or []:
            cloud.append(
                CloudObject(
                    "sag",
                    entry["id"],
                    int(entry["external_port"]),
                    int(entry["internal_port"]),
                    "Active",
                    entry,
                )
            )
        enis = {e["id"]: e for e in state["alibaba"]["ecs"]["network_interfaces"]}
        return Snapshot(objects=objects, cloud=cloud, enis=enis)

    def owner(self, obj: CloudObject) -> Incarnation | None:
        band = obj.band
        return next(
            (i for i in self.known.values() if i.band == band and i.provider == obj.provider),
            None,
        )

    def _checkpoint(self, label: str) -> Snapshot:
        snap = self.snapshot()
        self.report.checkpoints += 1
        by_owner: dict[str, list[CloudObject]] = defaultdict(list)
        for obj in snap.cloud:
            inc = self.owner(obj)
            if inc is None:
                self._leak(obj.id, f"{label}: cloud object {obj.id} belongs to no resource: {obj}")
                continue
            by_owner[inc.name].append(obj)
            if inc.name not in snap.objects:
                self._leak(
                    obj.id,
                    f"{label}: {obj.provider} object {obj.id} ({obj.state}, port {obj.external}) "
                    f"outlives {inc.name}, which Kubernetes has released",
                )
        for name, objs in by_owner.items():
            ids = frozenset(o.id for o in objs)
            if len(objs) > 1 and ids not in self._seen_duplicates:
                self._seen_duplicates.add(ids)
                detail = ", ".join(f"{o.id} port {o.external} {o.state}" for o in objs)
                self.report.duplicates.append(f"{label}: {name} has {len(objs)} objects: {detail}")
        # released resources free their slot; a released NIC must have put the ENI back
        for key, inc in self.slots.items():
            if inc is not None and inc.deleting and inc.name not in snap.objects:
                self.slots[key] = None
                if inc.provider == "nic":
                    self._check_restored(snap, inc.eni, f"{label}: {inc.name} released")
        return snap

    def _check_restored(self, snap: Snapshot, eni: str, label: str) -> None:
        now, before = snap.enis[eni], self.pristine[eni]
        differ = {k: (before.get(k), now.get(k)) for k in before.keys() | now.keys()}
        differ = {k: v for k, v in differ.items() if v[0] != v[1]}
        if differ:
            self._leak(f"{eni}:{label}", f"{label}: {eni} not restored: {differ}")

    def _leak(self, key: str, message: str) -> None:
        if key not in self._seen_leaks:
            self._seen_leaks.add(key)
            self.report.leaks.append(message)

    def _count_in_flight(
        self, snap: Snapshot, holds: dict[str, float], killed_at: float
    ) -> list[str]:
        """Count what the kill interrupted; the names caught in the create guard."""
        any_in_flight = False
        guarded: list[str] = []
        cloud_by_name: dict[str, list[CloudObject]] = defaultdict(list)
        for obj in snap.cloud:
            inc = self.owner(obj)
            if inc is not None:
                cloud_by_name[inc.name].append(obj)
        for name, body in snap.objects.items():
            inc = self.known.get(name)
            if inc is None:
                continue
            meta, status = body["metadata"], body.get("status") or {}
            annotations = meta.get("annotations") or {}
            if meta.get("deletionTimestamp"):
                op = "delete"
            elif (
                status.get("phase") != "ACTIVE"
                or status.get("observedGeneration") != meta.get("generation")
                or ANN_CREATE_PENDING in annotations
            ):
                op = inc.last_op
            else:
                continue
            any_in_flight = True
            self.report.in_flight[(op, inc.provider)] += 1
            if ANN_CREATE_PENDING in annotations and any(
                o.id != status.get("externalId") for o in cloud_by_name[name]
            ):
                self.report.kills_in_create_guard += 1
                guarded.append(name)
        self.report.kills_with_ops_in_flight += any_in_flight
        if holds:
            entries = self.sim.requests()
            if any(
                e.get("held")
                and e.get("fault") in holds
                and e["time"] + (e.get("duration") or 0) + holds[e["fault"]] > killed_at
                for e in entries
            ):
                self.report.kills_during_held_answer += 1
        return guarded

    # -- the end ------------------------------------------------------------------------

    def _finish(self) -> None:
        self._wait_ready()
        started = time.monotonic()
        deadline = started + self.converge_timeout
        while True:
            snap = self._checkpoint("converging")
            pending = self._not_converged(snap)
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(0.5)  # sleep-ok: the poll of a wait that reports what is left, not raises
        self.report.converge_seconds = time.monotonic() - started
        self.report.stuck += [f"not converged: {p}" for p in pending]

        started = time.monotonic()
        for kind in ("dnatrule", "networkinterfaceconfig"):
            self.kubectl("delete", kind, "--all", "-n", NAMESPACE, "--wait=false")
        for inc in self.slots.values():
            if inc is not None:
                inc.deleting = True
        deadline = started + self.delete_timeout
        while True:
            snap = self._checkpoint("deleting")
            if not snap.objects or time.monotonic() > deadline:
                break
            time.sleep(0.5)  # sleep-ok: the poll of a wait that reports what is left, not raises
        self.report.delete_seconds = time.monotonic() - started
        self.report.stuck += [
            f"not deleted: {name} (status {json.dumps(body.get('status') or {})[:300]})"
            for name, body in snap.objects.items()
        ]
        for obj in snap.cloud:
            self._leak(obj.id, f"end: {obj.provider} object {obj.id} is left: {obj.raw}")
        for eni in NIC_ENIS:
            self._check_restored(snap, eni, "end")

    def _not_converged(self, snap: Snapshot) -> list[str]:
        problems = []
        cloud_by_name: dict[str, list[CloudObject]] = defaultdict(list)
        for obj in snap.cloud:
            inc = self.owner(obj)
            if inc is not None:
                cloud_by_name[inc.name].append(obj)
        for inc in self.slots.values():
            if inc is None:
                continue
            body = snap.objects.get(inc.name)
            if inc.deleting:
                if body is not None:
                    problems.append(f"{inc.name}: still deleting")
                continue
            if body is None:
                problems.append(f"{inc.name}: missing from Kubernetes")
                continue
            meta, status = body["metadata"], body.get("status") or {}
            if (
                status.get("phase") != "ACTIVE"
                or status.get("observedGeneration") != meta.get("generation")
                or ANN_CREATE_PENDING in (meta.get("annotations") or {})
            ):
                problems.append(
                    f"{inc.name}: phase {status.get('phase')}, observedGeneration "
                    f"{status.get('observedGeneration')} of {meta.get('generation')}, "
                    f"Synced {self._synced(status)}"
                )
                continue
            if inc.provider == "nic":
                eni = snap.enis[inc.eni]
                want = {"network_interface_name": inc.nic_name}
                if inc.eni == ENI_DEMO:
                    want["description"] = inc.description
                else:
                    want["security_group_ids"] = sorted(inc.groups)
                have = {k: eni[k] for k in want}
                if "security_group_ids" in have:
                    have["security_group_ids"] = sorted(have["security_group_ids"])
                if have != want:
                    problems.append(f"{inc.name}: ENI {have} != spec {want}")
                continue
            # Its own object must match the spec; any other one in its band is a
            # duplicate, reported as such by the checkpoint, not waited for here.
            objs = cloud_by_name[inc.name]
            own = [
                (o.external, o.internal)
                for o in objs
                if o.id == status.get("externalId") and o.state in ("ACTIVE", "Available", "Active")
            ]
            if own != [(inc.external, inc.internal)]:
                problems.append(
                    f"{inc.name}: cloud {[(o.id, o.external, o.internal, o.state) for o in objs]}"
                    f" != {status.get('externalId')} ports {inc.external}/{inc.internal}"
                )
        return problems

    @staticmethod
    def _synced(status: dict[str, Any]) -> str:
        for condition in status.get("conditions") or []:
            if condition.get("type") == "Synced":
                return f"{condition.get('reason')}: {condition.get('message')}"
        return "-"
