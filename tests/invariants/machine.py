"""The model: a hypothesis state machine over users, kopf, the cloud and the process.

Every rule is something that happens to a running operator: a user creates,
edits, annotates or deletes a resource (and kopf reacts at once, or later);
kopf retries a handler; a wake-up reconciles; the drift pass runs (on a watch
cache that may be stale); the cloud drifts, loses an object, fails a call
with any error class, or commits a write and loses the answer; a Kubernetes
write fails; the process crashes at a chosen request or write, or restarts;
time passes on the simulator's clock; two handlers run at once; a user's
change lands while a reconcile is in flight.

After every step :meth:`InvariantMachine.holds` checks, against the
simulator's own state:

1. never two cloud objects for one resource (the objects its calls created
   that still exist, plus the one its status names);
2. no cloud object outlives its resource: once released, nothing the
   resource created exists, unless it was left in place on purpose;
3. paused and ObserveOnly resources, and the drift pass, never send a write
   (judged by the resource as it was when the call began);
4. a resource takes over a cloud object it did not create only when the user
   named it (``cloudnet.dev/external-id``) or it only observes it;
5. every cloud object is attributed to the call that created it.

When ``delete_object`` returns ``Done`` the finalizer goes, and at that
moment the release must be proven: the resource's cloud objects are gone, or
the spec says Orphan / ObserveOnly; a NetworkInterfaceConfig with Restore
has its ENI's attributes back as they were before its first Modify.

At the end (:meth:`InvariantMachine.teardown`) the faults stop and kopf keeps
retrying for at most :data:`ROUNDS` rounds: every resource that is not paused
must then be ACTIVE with the cloud matching its spec, or ERROR with a
reason; then every resource is unpaused and deleted, and after at most
:data:`ROUNDS` more rounds nothing is left in Kubernetes and nothing the
resources created is left in the cloud.
"""

from __future__ import annotations

import asyncio
import collections
import copy
import functools
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from cloudnet.core.outcome import Done, Outcome, Retry
from cloudnet.core.resource import ANN_CREATE_PENDING, ANN_EXTERNAL_ID, ANN_PAUSED
from cloudnet.handlers.common import delete_object, reconcile_object
from cloudnet.handlers.drift import check_once
from cloudnet.handlers.watch import intent_changed
from cloudnet.sim.families.alibaba_ecs.world import EcsTables
from tests.invariants.kube import Key
from tests.invariants.world import (
    ACTOR,
    ENIS,
    FAULT_CLASSES,
    FOREIGN,
    NAMESPACE,
    Armed,
    Crash,
    Profile,
    Violation,
    World,
    call_info,
    eni_view,
)

#: Handler rounds after the faults stop, for the resources to settle (and again for deletes).
ROUNDS = 8
#: Seconds of simulator time per settling round: more than any PENDING delay.
ROUND_SECONDS = 30.0
SLOTS = 2
#: What the sequences did, summed over every machine of this process (for the CLI's report).
STATS: collections.Counter[str] = collections.Counter()
#: The checks (``fail``'s first argument), each of which can be left out.
CHECKS = frozenset(
    {
        "duplicate",
        "leak",
        "release",
        "restore",
        "write",
        "takeover",
        "attribution",
        "outcome",
        "settle",
        "mark",
    }
)
#: The scenarios that can be left out, to explore past a known finding: "collisions" (no
#: foreign object, no two resources with one unique key), "key-edits" (spec edits keep the
#: unique key), "empty-original" (every ENI starts with a description), "adopt" (no
#: cloudnet.dev/external-id annotations).
SCENARIOS = frozenset({"collisions", "key-edits", "empty-original", "adopt"})


@functools.cache
def violation(check: str) -> type[Violation]:
    """One exception class per check, so hypothesis reports each broken check on its own."""
    name = "".join(part.title() for part in check.split("-")) + "Violation"
    return type(name, (Violation,), {"__module__": __name__})


def from_env(name: str) -> frozenset[str]:
    """A comma-separated set from the environment (CLOUDNET_INVARIANT_SKIP / _AVOID)."""
    return frozenset(filter(None, os.environ.get(name, "").split(",")))


def _paused(body: Any) -> bool:
    return bool(((body.get("metadata") or {}).get("annotations") or {}).get(ANN_PAUSED) == "true")


def _deleting(body: Any) -> bool:
    return bool((body.get("metadata") or {}).get("deletionTimestamp"))


def _external_id(body: Any) -> str | None:
    value = (body.get("status") or {}).get("externalId") if body else None
    return str(value) if value else None


@dataclass
class Tracked:
    """One Kubernetes object (one uid) the model created."""

    uid: str
    slot: int
    key: Key
    released: bool = False
    #: cloud ids it claimed without creating them, legitimately (named, or only observed)
    legit: set[str] = field(default_factory=set)
    #: cloud ids left in place on purpose when it was released (Orphan / ObserveOnly)
    kept: set[str] = field(default_factory=set)
    #: kopf's retry count of the handler now owed
    attempt: int = 0
    #: simulator time when kopf retries that handler (Retry.after); None = nothing owed
    due: float | None = None
    #: shifts the external ports (0 unless avoiding collisions gives each resource its own)
    lane: int = 0


class InvariantMachine(RuleBasedStateMachine):
    """Subclassed once per provider (:func:`machine_for`)."""

    profile: ClassVar[Profile]
    #: checks left out and scenarios avoided (:func:`machine_for`)
    skip: ClassVar[frozenset[str]] = frozenset()
    avoid: ClassVar[frozenset[str]] = frozenset()

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.world = World(self.profile, avoid=self.avoid)
        self.tracked: dict[str, Tracked] = {}
        self.slots: dict[int, str] = {}
        self.foreign: str | None = None
        self.log: list[str] = []
        self.crashes = 0
        #: a check failed: the teardown only cleans up
        self.failed = False
        #: every cloud id a user ever named in cloudnet.dev/external-id
        self.named: set[str] = set()
        #: the phase each resource settled in (ACTIVE, ERROR:<reason>, paused)
        self.settled: list[str] = []

    # -- plumbing ----------------------------------------------------------------------

    def run(self, coro: Awaitable[Any]) -> Any:
        return self.loop.run_until_complete(coro)

    def key(self, slot: int) -> Key:
        return (self.profile.kind.name, NAMESPACE, f"r{slot}")

    def current(self, slot: int) -> Tracked | None:
        uid = self.slots.get(slot)
        return self.tracked[uid] if uid is not None else None

    def lane(self, slot: int) -> int:
        tracked = self.current(slot)
        return tracked.lane if tracked is not None else 0

    def pick(self, slot: int) -> int | None:
        """The slot asked for if it holds a resource, else the other one, else None."""
        for candidate in (slot, 1 - slot):
            if candidate in self.slots:
                return candidate
        return None

    def body(self, slot: int) -> dict[str, Any] | None:
        return self.world.kube.body(self.key(slot))

    def fail(self, check: str, message: str) -> None:
        """Report a broken invariant (unless its check is left out)."""
        if check in self.skip:
            return
        self.failed = True
        raise violation(check)(f"[{check}] {message}\n{self.describe()}")

    def describe(self) -> str:
        lines = ["-- store:"]
        for key, obj in self.world.kube.objects.items():
            meta = obj["metadata"]
            status = {k: v for k, v in (obj.get("status") or {}).items() if k != "observed"}
            lines.append(
                f"   {key[2]} uid={meta['uid']} gen={meta['generation']} "
                f"deleting={bool(meta.get('deletionTimestamp'))} "
                f"annotations={meta.get('annotations')} spec={obj.get('spec')} "
                f"status={status}"
            )
        lines.append("-- cloud:")
        for oid, obj in self.world.live().items():
            lines.append(f"   {oid} owner={self.world.owner.get(oid)} {obj!r}")
        lines.append("-- calls: " + " | ".join(self.log[-12:]))
        return "\n".join(lines)

    async def _call(
        self, tracked: Tracked, what: str, fn: Callable[..., Awaitable[Outcome]]
    ) -> Outcome | None:
        """One operator call on behalf of one resource, attributed and checked."""
        body = self.world.kube.body(tracked.key)
        if body is None or body["metadata"]["uid"] != tracked.uid:
            return None
        # kopf's watch has delivered every earlier write by the time a handler runs
        # (what the operator knows of other resources comes from that stream)
        self._sync_cache()
        info = call_info(tracked.uid, what, body, _paused)
        before = _external_id(body)
        token = ACTOR.set(info)
        raised: Exception | None = None
        try:
            outcome: Outcome = await fn(
                self.world.ctx,
                self.profile.kind,
                NAMESPACE,
                tracked.key[2],
                attempt=tracked.attempt,
            )
        except Exception as exc:
            # kopf's handler (and the Waker) would log it and retry.
            raised, outcome = exc, Retry(after=5.0, reason=f"internal error: {exc!r}")
        finally:
            ACTOR.reset(token)
            self.log.append(f"{what} r{tracked.slot}: {info.requests}")
        if raised is not None:
            self.fail(
                "outcome",
                f"{what} of r{tracked.slot} raised {raised!r} instead of returning an outcome",
            )
        self._after_call(tracked, info.observe_only, before)
        self.log[-1] += f" -> {type(outcome).__name__} {getattr(outcome, 'reason', '')}"
        return outcome

    def _after_call(self, tracked: Tracked, observe_only: bool, before: str | None) -> None:
        """Invariant 4: an id the resource took on is its own, named, or only observed."""
        body = self.world.kube.body(tracked.key)
        now = _external_id(body)
        if not self.profile.creates or not now or now == before:
            return
        owner = self.world.owner.get(now)
        if owner == tracked.uid or now in tracked.legit:
            return
        named = ((body or {}).get("metadata", {}).get("annotations") or {}).get(ANN_EXTERNAL_ID)
        if observe_only or named == now:
            tracked.legit.add(now)
            return
        self.fail(
            "takeover",
            f"r{tracked.slot} ({tracked.uid}) took over cloud object {now}, created by "
            f"{owner}, without being told to (no external-id naming it, not ObserveOnly)",
        )

    async def _handler(self, tracked: Tracked, what: str = "kopf") -> Outcome | None:
        """What kopf runs for the object as it is now: the delete handler or the reconcile."""
        body = self.world.kube.body(tracked.key)
        if body is None or body["metadata"]["uid"] != tracked.uid:
            return None
        if _deleting(body):
            outcome = await self._call(tracked, f"{what}-delete", delete_object)
            if isinstance(outcome, Done):
                self._release(tracked)
        else:
            outcome = await self._call(tracked, f"{what}-reconcile", reconcile_object)
        if isinstance(outcome, Retry):
            tracked.attempt += 1
            tracked.due = self.world.clock() + outcome.after
        else:
            tracked.attempt, tracked.due = 0, None
        STATS[f"outcome:{type(outcome).__name__}"] += 1
        return outcome

    async def _wake(self, tracked: Tracked, why: str) -> Outcome | None:
        """The Waker: a reconcile outside kopf (annotation intent, drift, provider change)."""
        return await self._call(tracked, f"wake({why})", reconcile_object)

    def _release(self, tracked: Tracked) -> None:
        """kopf removes the finalizer after Done: check the proof at this very moment."""
        body = self.world.kube.body(tracked.key)
        assert body is not None
        spec = body.get("spec") or {}
        live = self.world.live()
        mine = {oid for oid in live if self.world.owner.get(oid) == tracked.uid}
        claimed = _external_id(body)
        if claimed in live:
            mine.add(claimed)
        if self.profile.keeps(spec):
            tracked.kept = mine
        elif mine:
            self.fail(
                "release",
                f"r{tracked.slot} ({tracked.uid}) released (delete returned Done) while its "
                f"cloud object(s) {sorted(mine)} still exist and the spec asks for Delete",
            )
        if self.profile.restores(spec) and tracked.uid in self.world.originals:
            eni = self.world.sim.store.tables(EcsTables).network_interface(ENIS[tracked.slot])
            assert eni is not None
            original = self.world.originals[tracked.uid]
            now = eni_view(eni)
            # An empty original (no description) cannot be put back: ECS takes 2-255
            # characters, and an empty parameter is no parameter.
            if any(now[k] != v for k, v in original.items() if v not in ("", [])):
                self.fail(
                    "restore",
                    f"r{tracked.slot} ({tracked.uid}) released with deletionPolicy Restore, but "
                    f"its ENI holds {now}, not the original {original}",
                )
        self.world.kube.remove_finalizer(tracked.key)
        tracked.released = True
        if self.slots.get(tracked.slot) == tracked.uid:
            del self.slots[tracked.slot]

    async def _guard(self, calls: list[Awaitable[Any]]) -> bool:
        """Run calls (at once when several); a Crash kills the process. True if it crashed."""
        tasks = [asyncio.ensure_future(c) for c in calls]
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        crashed = any(isinstance(t.exception(), Crash) for t in done if not t.cancelled())
        if crashed:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        else:
            await asyncio.gather(*pending)
        for task in done:
            exc = task.exception()
            if exc is not None and not isinstance(exc, Crash):
                raise exc
        if crashed:
            self.crashes += 1
            self.log.append("CRASH")
            await self._restart()
        return crashed

    async def _restart(self) -> None:
        """A new process: fresh context, kopf re-lists and resumes every object."""
        await self.world.restart()
        self._sync_cache()
        for tracked in self._live():
            if await self._guard([self._handler(tracked, "resume")]):
                return  # crashed again while resuming: that restart resumed the rest

    def _live(self) -> list[Tracked]:
        return [self.tracked[uid] for _, uid in sorted(self.slots.items())]

    def _sync_cache(self) -> None:
        """The watch cache catches up with the store (kopf's watch delivered the events)."""
        cache = self.world.ctx.watch_cache
        stored = {obj["metadata"]["uid"] for obj in self.world.kube.objects.values()}
        for uid, body in list(cache.bodies.items()):
            if uid not in stored:  # kopf's watch delivers DELETED for it
                cache.update(self.profile.kind, "DELETED", body)
        cache.bodies.clear()
        cache.kinds.clear()
        for obj in self.world.kube.objects.values():
            uid = obj["metadata"]["uid"]
            cache.bodies[uid] = copy.deepcopy(obj)
            cache.kinds[uid] = obj["kind"]

    def react(self, slot: int) -> None:
        tracked = self.current(slot)
        if tracked is not None:
            self.run(self._guard([self._handler(tracked)]))

    # -- setup -------------------------------------------------------------------------

    @initialize(
        foreign=st.booleans(),
        variant=st.integers(0, 3),
        observe_only=st.sampled_from([False, False, False, True]),
        keep=st.booleans(),
        second=st.booleans(),
        other=st.integers(0, 3),
    )
    def start(
        self, foreign: bool, variant: int, observe_only: bool, keep: bool, second: bool, other: int
    ) -> None:
        """Maybe a cloud object someone else made (with the key of variants 1 and 3), then
        one or two resources, made before the operator saw them."""
        if foreign and self.profile.creates and "collisions" not in self.avoid:
            self.foreign = self.run(self.world.make_foreign(1))
        self._make(0, variant, observe_only=observe_only, keep=keep, paused=False)
        if second:
            self._make(1, other, observe_only=False, keep=not keep, paused=False)
        for slot in list(self.slots):
            self.react(slot)

    def _make(
        self, slot: int, variant: int, *, observe_only: bool, keep: bool, paused: bool
    ) -> None:
        key = self.key(slot)
        lane = 1 + len(self.tracked) if "collisions" in self.avoid else 0
        body: dict[str, Any] = {
            "metadata": {"annotations": {ANN_PAUSED: "true"} if paused else {}},
            "spec": self.profile.spec(
                slot, variant, observe_only=observe_only, keep=keep, lane=lane
            ),
        }
        uid = self.world.kube.create(key[0], key[1], key[2], body)
        self.tracked[uid] = Tracked(uid=uid, slot=slot, key=key, lane=lane)
        self.slots[slot] = uid

    # -- users -------------------------------------------------------------------------

    @rule(
        slot=st.integers(0, SLOTS - 1),
        variant=st.integers(0, 3),
        observe_only=st.booleans(),
        keep=st.booleans(),
        paused=st.sampled_from([False, False, False, True]),
        react=st.sampled_from([True, True, True, False]),
    )
    def create(
        self, slot: int, variant: int, observe_only: bool, keep: bool, paused: bool, react: bool
    ) -> None:
        if slot in self.slots:
            slot = 1 - slot
        if slot in self.slots:
            return
        self._make(slot, variant, observe_only=observe_only, keep=keep, paused=paused)
        if react:
            self.react(slot)

    @rule(slot=st.integers(0, SLOTS - 1), variant=st.integers(0, 3), react=st.booleans())
    def edit_spec(self, slot: int, variant: int, react: bool) -> None:
        picked = self.pick(slot)
        if picked is None:
            return
        slot = picked
        body = self.body(slot)
        if body is None:
            return
        spec = copy.deepcopy(body["spec"])
        spec.update(self.profile.block(slot, self._keep_key(slot, body, variant), self.lane(slot)))
        self.world.kube.set_spec(self.key(slot), spec)
        if react:
            self.react(slot)

    @rule(
        slot=st.integers(0, SLOTS - 1),
        which=st.sampled_from(["managementPolicy", "deletionPolicy"]),
        react=st.booleans(),
    )
    def edit_policy(self, slot: int, which: str, react: bool) -> None:
        picked = self.pick(slot)
        if picked is None:
            return
        slot = picked
        body = self.body(slot)
        if body is None:
            return
        spec = copy.deepcopy(body["spec"])
        if which == "managementPolicy":
            on = spec.get(which) == "ObserveOnly"
            spec[which] = "Manage" if on else "ObserveOnly"
        else:
            keep = "Orphan" if self.profile.creates else "Restore"
            default = "Delete" if self.profile.creates else "Orphan"
            spec[which] = default if spec.get(which) == keep else keep
        self.world.kube.set_spec(self.key(slot), spec)
        if react:
            self.react(slot)

    def _keep_key(self, slot: int, body: dict[str, Any], variant: int) -> int:
        """The variant to edit to; avoiding key-edits, one with the current unique key."""
        if "key-edits" not in self.avoid or not self.profile.creates:
            return variant
        for current in range(4):
            block = self.profile.block(slot, current, self.lane(slot))
            if all(body["spec"].get(k) == v for k, v in block.items()):
                return (current & 1) | (variant & 2)
        return variant

    def _annotate(self, slot: int, name: str, value: str | None) -> None:
        self.run(self._annotate_async(slot, name, value))

    async def _annotate_async(self, slot: int, name: str, value: str | None) -> None:
        """An annotation change; the watch cache sees intent in it and wakes the resource."""
        body = self.body(slot)
        tracked = self.current(slot)
        if body is None or tracked is None:
            return
        old = copy.deepcopy(body)
        self.world.kube.set_annotation(self.key(slot), name, value)
        why = intent_changed(old, self.body(slot) or {})
        if why:
            await self._guard([self._wake(tracked, why)])

    @rule(slot=st.integers(0, SLOTS - 1), on=st.booleans())
    def pause(self, slot: int, on: bool) -> None:
        picked = self.pick(slot)
        if picked is None:
            return
        slot = picked
        self._annotate(slot, ANN_PAUSED, "true" if on else None)

    @rule(
        slot=st.integers(0, SLOTS - 1),
        to=st.sampled_from(["foreign", "other", "bogus", "remove"]),
    )
    def adopt(self, slot: int, to: str) -> None:
        if "adopt" in self.avoid:
            return
        picked = self.pick(slot)
        if picked is None:
            return
        slot = picked
        if not self.profile.creates:
            return
        value: str | None = None
        if to == "foreign":
            value = self.foreign
        elif to == "other":
            other = self.body(1 - slot)
            value = _external_id(other)
        elif to == "bogus":
            value = {
                "huawei-nat": "5b2a3c4d-0000-4000-8000-00000000dead",
                "alibaba-ens": "fwd-doesnotexist00000000",
                "alibaba-sag": "dnat-doesnotexist0000000",
            }[self.profile.name]
        if to != "remove" and value is None:
            return
        if value is not None:
            self.named.add(value)
        self._annotate(slot, ANN_EXTERNAL_ID, value)

    @rule(slot=st.integers(0, SLOTS - 1), react=st.sampled_from([True, True, False]))
    def delete(self, slot: int, react: bool) -> None:
        picked = self.pick(slot)
        if picked is None:
            return
        slot = picked
        body = self.body(slot)
        if body is None or _deleting(body):
            return
        self.world.kube.delete(self.key(slot))
        if react:
            self.react(slot)

    # -- kopf, the Waker, the drift pass -------------------------------------------------

    @rule(slot=st.integers(0, SLOTS - 1))
    def kopf_retries(self, slot: int) -> None:
        picked = self.pick(slot)
        if picked is None:
            return
        slot = picked
        self.react(slot)

    @rule(slot=st.integers(0, SLOTS - 1))
    def wake(self, slot: int) -> None:
        picked = self.pick(slot)
        if picked is None:
            return
        slot = picked
        tracked = self.current(slot)
        if tracked is not None:
            self.run(self._guard([self._wake(tracked, "resume")]))

    @rule(a=st.integers(0, SLOTS - 1), b=st.integers(0, SLOTS - 1))
    def at_once(self, a: int, b: int) -> None:
        """A wake-up of one resource and kopf's handler of another (or the same) together."""
        pa, pb = self.pick(a), self.pick(b)
        if pa is None or pb is None:
            return
        ta, tb = self.current(pa), self.current(pb)
        if ta is None or tb is None:
            return
        self.run(self._guard([self._wake(ta, "concurrent"), self._handler(tb, "kopf")]))

    @rule()
    def watch_catches_up(self) -> None:
        self._sync_cache()

    @rule()
    def drift_pass(self) -> None:
        self.run(self._drift_pass())

    async def _drift_pass(self) -> None:
        woken: list[tuple[str, str, str, str]] = []
        ctx = self.world.ctx
        ctx.wake = lambda *args: woken.append(args)
        info = call_info(None, "drift", None, _paused)
        token = ACTOR.set(info)
        try:
            crashed = await self._guard(
                [check_once(ctx, ctx.watch_cache, {self.profile.kind.name: self.profile.kind})]
            )
        finally:
            ACTOR.reset(token)
            self.log.append(f"drift: {info.requests} woke {[w[2] for w in woken]}")
        if crashed:
            return
        for _, _, name, _ in woken:
            slot = int(name[1:])
            tracked = self.current(slot)
            if tracked is not None and await self._guard([self._wake(tracked, "drift")]):
                return

    # -- the cloud -----------------------------------------------------------------------

    @rule(slot=st.integers(0, SLOTS - 1), vanish=st.booleans())
    def cloud_drifts(self, slot: int, vanish: bool) -> None:
        """Someone changes (or deletes) the resource's cloud object outside Kubernetes."""
        picked = self.pick(slot)
        if picked is None:
            return
        slot = picked
        body = self.body(slot)
        if self.profile.creates:
            target = _external_id(body)
            if target is None or target not in self.world.live():
                return
            if vanish:
                self.profile.vanish(self.world.sim, target)
                return
        else:
            target = ENIS[slot]
        self.run(self.world.drift(target))

    @rule(
        cls=st.sampled_from(FAULT_CLASSES),
        which=st.integers(0, 4),
        count=st.integers(1, 3),
    )
    def cloud_fails(self, cls: Any, which: int, count: int) -> None:
        actions = self.profile.actions
        self.world.add_fault(cls, actions[which % len(actions)], count)

    @rule(which=st.sampled_from(["write", "create", "update", "delete", "read"]))
    def answer_lost(self, which: str) -> None:
        """The next such request is carried out by the cloud, and its answer never arrives."""
        profile = self.profile
        action = {
            "write": "write",
            "create": profile.create,
            "update": profile.update,
            "delete": profile.delete,
            "read": profile.reads[0],
        }[which]
        if action is not None:
            self.world.tap.armed.append(Armed("lose", action))

    # -- Kubernetes and the process ------------------------------------------------------

    @rule(n=st.integers(1, 4))
    def kube_write_fails(self, n: int) -> None:
        self.world.kube.fail_write_in = n

    @rule(n=st.integers(1, 4), after=st.booleans(), at_kube=st.booleans())
    def crash(self, n: int, after: bool, at_kube: bool) -> None:
        """The process will die at the n-th request (or Kubernetes write) from now."""
        if not at_kube:
            self.world.tap.armed.append(Armed("crash-after" if after else "crash-before", "*", n))
            return
        left = [n]

        def on_write(when: str, what: str) -> None:
            if when != ("after" if after else "before"):
                return
            left[0] -= 1
            if left[0] == 0:
                self.world.kube.on_write = lambda _when, _what: None
                raise Crash(f"{when} {what} write")

        self.world.kube.on_write = on_write

    @rule()
    def restart(self) -> None:
        self.run(self._restart())

    @rule(seconds=st.sampled_from([1.0, 5.0, 30.0, 300.0]))
    def time_passes(self, seconds: float) -> None:
        """The clock moves; kopf's retries that fall due run, earliest first."""
        self.world.clock.advance(seconds)
        now = self.world.clock()
        due = sorted(
            (t for t in self._live() if t.due is not None and t.due <= now),
            key=lambda t: t.due or 0.0,
        )
        for tracked in due:
            if self.run(self._guard([self._handler(tracked, "kopf-retry")])):
                return

    # -- a user's change while a reconcile is in flight ----------------------------------

    @precondition(lambda self: bool(self.slots))
    @rule(
        slot=st.integers(0, SLOTS - 1),
        at=st.integers(1, 3),
        change=st.sampled_from(["delete", "pause", "observe", "edit"]),
    )
    def change_mid_call(self, slot: int, at: int, change: str) -> None:
        picked = self.pick(slot)
        if picked is None:
            return
        slot = picked
        tracked = self.current(slot)
        if tracked is None:
            return
        key = self.key(slot)
        kube = self.world.kube

        def the_change() -> None:
            body = kube.body(key)
            if body is None:
                return
            if change == "delete" and not _deleting(body):
                kube.delete(key)
            elif change == "pause":
                kube.set_annotation(key, ANN_PAUSED, "true")
            elif change == "observe":
                kube.set_spec(key, {**body["spec"], "managementPolicy": "ObserveOnly"})
            elif change == "edit":
                spec = copy.deepcopy(body["spec"])
                variant = self._keep_key(slot, body, 2)
                spec.update(self.profile.block(slot, variant, self.lane(slot)))
                kube.set_spec(key, spec)

        self.world.tap.interfere = [at, the_change]
        try:
            self.run(self._guard([self._handler(tracked)]))
        finally:
            self.world.tap.interfere = None
        # kopf (or the Waker, for the pause) reacts to the change afterwards.
        if change != "pause":
            self.react(slot)

    # -- the invariants ------------------------------------------------------------------

    @invariant()
    def holds(self) -> None:
        world = self.world
        if world.violations:
            self.fail("write", "; ".join(world.violations))
        live = world.live()
        for oid in live:
            if oid not in world.owner:
                self.fail("attribution", f"cloud object {oid} was created by no call the tap saw")
            if world.owner[oid] == "<nobody>":
                self.fail(
                    "attribution", f"cloud object {oid} was created outside any resource's call"
                )
        for tracked in self.tracked.values():
            mine = {oid for oid in live if world.owner.get(oid) == tracked.uid}
            if tracked.released:
                leaked = mine - tracked.kept
                if leaked:
                    self.fail(
                        "leak",
                        f"cloud object(s) {sorted(leaked)} of released r{tracked.slot} "
                        f"({tracked.uid}) still exist",
                    )
                continue
            claimed = _external_id(world.kube.body(tracked.key))
            if claimed in live:
                mine.add(claimed)
            if len(mine) > 1:
                self.fail(
                    "duplicate",
                    f"r{tracked.slot} ({tracked.uid}) has {len(mine)} cloud objects: "
                    f"{sorted(mine)}",
                )

    # -- the end: faults stop, everything must settle --------------------------------------

    def teardown(self) -> None:
        try:
            if not self.failed:
                self.run(self._settle_and_check())
                self._count()
        finally:
            self.run(self.world.aclose())
            self.loop.close()

    def _count(self) -> None:
        world = self.world
        STATS["sequences"] += 1
        STATS["cloud requests"] += world.tap.requests
        STATS["cloud writes"] += world.tap.writes
        STATS["lost answers"] += world.tap.lost
        STATS["restarts (crashes included)"] += world.restarts
        STATS["crashes"] += self.crashes
        STATS["kubernetes writes failed"] += world.kube.failed
        STATS["cloud faults fired"] += world.faults_fired
        STATS["resources"] += len(self.tracked)
        STATS["cloud objects created"] += sum(1 for o in world.owner.values() if o != FOREIGN)
        for phase in self.settled:
            STATS[f"settled {phase}"] += 1

    async def _rounds(self) -> None:
        for _ in range(ROUNDS):
            self.world.clock.advance(ROUND_SECONDS)
            busy = False
            for tracked in self._live():
                body = self.world.kube.body(tracked.key)
                outcome = await self._handler(tracked, "settle")
                if isinstance(outcome, Retry) and body is not None and not _paused(body):
                    busy = True
            if not busy:
                return

    async def _settle_and_check(self) -> None:
        world = self.world
        world.calm()
        await self._rounds()
        self._sync_cache()
        await self._drift_pass()
        self.holds()
        self._check_settled()
        # Then everything is unpaused and deleted, and every delete must complete.
        for tracked in self._live():
            await self._annotate_async(tracked.slot, ANN_PAUSED, None)
            body = world.kube.body(tracked.key)
            if body is not None and not _deleting(body):
                world.kube.delete(tracked.key)
        await self._rounds()
        self.holds()
        left = [t for t in self._live() if world.kube.body(t.key) is not None]
        if left:
            self.fail(
                "settle",
                f"deletion of {[f'r{t.slot}' for t in left]} did not complete within "
                f"{ROUNDS} rounds after the faults stopped",
            )
        kept = set().union(*(t.kept for t in self.tracked.values())) if self.tracked else set()
        for oid in world.live():
            owner = world.owner.get(oid)
            if owner != FOREIGN and oid not in kept:
                self.fail(
                    "leak", f"cloud object {oid} (created by {owner}) outlived every resource"
                )

    def _check_settled(self) -> None:
        live = self.world.live()
        for tracked in self._live():
            body = self.world.kube.body(tracked.key)
            if body is None:
                continue
            if _paused(body):
                self.settled.append("paused")
                continue
            name = f"r{tracked.slot}"
            if _deleting(body):
                self.fail(
                    "settle",
                    f"{name}: deletion did not complete within {ROUNDS} rounds after the "
                    "faults stopped",
                )
                continue
            status = body.get("status") or {}
            phase = status.get("phase")
            ready = next(
                (c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {}
            )
            self.settled.append(f"ERROR:{ready.get('reason')}" if phase == "ERROR" else str(phase))
            if phase == "ERROR":
                if not ready.get("reason") or not ready.get("message"):
                    self.fail("settle", f"{name} is ERROR without a reason: {ready}")
                continue
            claimed = _external_id(body) if self.profile.creates else ENIS[tracked.slot]
            shared = self.profile.creates and any(
                other is not tracked and _external_id(self.world.kube.body(other.key)) == claimed
                for other in self._live()
            )
            if phase != "ACTIVE":
                if shared and claimed in self.named:
                    # The user named one object for two resources: they pull it to and fro.
                    continue
                self.fail(
                    "settle",
                    f"{name} is {phase!r} after {ROUNDS} rounds without faults "
                    "(neither ACTIVE nor ERROR with a reason)",
                )
                continue
            spec = body["spec"]
            if spec.get("managementPolicy") == "ObserveOnly":
                continue
            if status.get("observedGeneration") != body["metadata"]["generation"]:
                self.fail("settle", f"{name} is ACTIVE but observedGeneration is behind")
            if self.profile.creates:
                obj = live.get(claimed or "")
            else:
                obj = self.world.sim.store.tables(EcsTables).network_interface(claimed or "")
            if obj is None:
                self.fail(
                    "settle", f"{name} is ACTIVE but its cloud object {claimed} does not exist"
                )
                continue
            if not shared and not self.profile.matches(spec, obj):
                self.fail(
                    "settle",
                    f"{name} is ACTIVE but the cloud object {claimed} differs from its spec",
                )
            if (body["metadata"].get("annotations") or {}).get(ANN_CREATE_PENDING):
                self.fail("mark", f"{name} is ACTIVE with the create-pending mark still on")


def machine_for(
    profile: Profile,
    *,
    skip: frozenset[str] | None = None,
    avoid: frozenset[str] | None = None,
) -> type[InvariantMachine]:
    """The state machine for one provider; ``None`` takes CLOUDNET_INVARIANT_SKIP / _AVOID."""
    skip = from_env("CLOUDNET_INVARIANT_SKIP") if skip is None else skip
    avoid = from_env("CLOUDNET_INVARIANT_AVOID") if avoid is None else avoid
    unknown = (skip - CHECKS) | (avoid - SCENARIOS)
    if unknown:
        raise ValueError(f"unknown checks or scenarios: {sorted(unknown)}")
    name = "".join(part.title() for part in profile.name.split("-")) + "Machine"
    attrs = {"profile": profile, "skip": frozenset(skip), "avoid": frozenset(avoid)}
    return type(name, (InvariantMachine,), attrs)
