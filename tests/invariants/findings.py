"""What the suite found while it was built: each finding as the shrunk sequence that shows it.

Every :class:`Finding` replays, step by step, the minimal sequence hypothesis
printed, on the real core, providers and simulator, and names the check it
breaks. ``test_invariants.py`` runs each one as a strict ``xfail`` while the
defect is open (so a fix turns it into a failure that asks for the finding to
be retired), and the random sequences avoid the finding's scenario (or leave
out its check) until then: :data:`OPEN` is that list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudnet.api.errors import ErrorClass

Step = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Finding:
    name: str
    provider: str
    #: the check it breaks (a ``Violation`` subclass of that name is raised)
    check: str
    summary: str
    steps: tuple[Step, ...]
    #: what the random sequences leave out while it is open: ("avoid", scenario) or
    #: ("skip", check)
    workaround: tuple[str, str]
    #: the change that fixed it; None while it is open
    fixed_by: str | None = None


def _start(**kw: Any) -> Step:
    args = {
        "foreign": False,
        "variant": 0,
        "observe_only": False,
        "keep": False,
        "second": False,
        "other": 0,
    }
    args.update(kw)
    return ("start", args)


def _create(slot: int, variant: int, **kw: Any) -> Step:
    args = {
        "slot": slot,
        "variant": variant,
        "observe_only": False,
        "keep": False,
        "paused": False,
        "react": True,
    }
    args.update(kw)
    return ("create", args)


FINDINGS: tuple[Finding, ...] = (
    Finding(
        name="pending-mark-adopts-a-taken-key",
        provider="huawei-nat",
        check="takeover",
        summary=(
            "r1 has r0's unique key, so its create is refused (NAT.0009, Conflict) and the "
            "mark goes; on the retry the refusal's answer is lost, the mark stays, and the "
            "next pass finds r0's rule by key and adopts it: two resources now manage one "
            "rule, and deleting r1 deletes r0's rule. The same happens with a rule made "
            "outside Kubernetes, and when the process dies, or the mark's removal fails, "
            "between setting the mark and a create that never committed."
        ),
        steps=(
            _start(second=True),
            ("answer_lost", {"which": "write"}),
            ("kopf_retries", {"slot": 1}),
            ("kopf_retries", {"slot": 1}),
        ),
        workaround=("avoid", "collisions"),
        fixed_by=(
            "core: the key is checked free before the create-pending mark first goes on "
            "(Reconciler._guard, KeyInUse)"
        ),
    ),
    Finding(
        name="pending-mark-adopts-a-foreign-object",
        provider="alibaba-ens",
        check="takeover",
        summary=(
            "An ENS entry made outside Kubernetes holds the key; r0's create is refused "
            "(Forbidden.ExternalPort.Duplicated) and the removal of the mark fails once "
            "(Kubernetes 500): the next pass finds the foreign entry by key, adopts it and "
            "modifies it to r0's spec (ModifyForwardEntry on someone else's entry)."
        ),
        steps=(
            _start(foreign=True, variant=1),
            ("kube_write_fails", {"n": 2}),
            ("kopf_retries", {"slot": 0}),
            ("kopf_retries", {"slot": 0}),
        ),
        workaround=("avoid", "collisions"),
        fixed_by=(
            "core: the key is checked free before the create-pending mark first goes on "
            "(Reconciler._guard, KeyInUse)"
        ),
    ),
    Finding(
        name="pending-mark-adopts-a-key-taken-meanwhile",
        provider="alibaba-ens",
        check="takeover",
        summary=(
            "The residue of the two above once the key is checked before the mark goes on: "
            "r0 and r1 share a key; r0's entry vanishes outside Kubernetes, r0's re-create "
            "is throttled (a class that may have committed, so the mark stays); meanwhile "
            "r1, so far refused with KeyInUse, finds the key free and creates its entry; "
            "r0's next pass finds r1's entry by key under its mark and adopts it."
        ),
        steps=(
            _start(variant=1, second=True, other=1),
            ("cloud_fails", {"cls": ErrorClass.THROTTLED, "which": 0, "count": 1}),
            ("cloud_drifts", {"slot": 0, "vanish": True}),
            ("adopt", {"slot": 0, "to": "bogus"}),
        ),
        workaround=("avoid", "collisions"),
        fixed_by=(
            "core: an object another resource's status names is never adopted by key "
            "(Reconciler._claimed, WatchCache.claimant)"
        ),
    ),
    Finding(
        name="pending-mark-adopts-an-orphaned-object",
        provider="alibaba-ens",
        check="takeover",
        summary=(
            "Found by the long run once the two above were fixed: r1's entry vanishes and its "
            "re-create is throttled (the mark stays); r0 moves onto r1's key and creates "
            "there; r1's lookups find r0's entry, rightly not adopted while r0 names it. "
            "Then r0 is deleted with deletionPolicy Orphan: nobody names the entry any "
            "more, and r1's delete adopts and deletes it. The mark still guarded a create "
            "that r0's entry proved never committed."
        ),
        steps=(
            _start(keep=True, second=True, other=1),
            ("cloud_fails", {"cls": ErrorClass.THROTTLED, "count": 1, "which": 0}),
            ("cloud_drifts", {"slot": 1, "vanish": True}),
            ("edit_spec", {"slot": 0, "variant": 1, "react": False}),
            ("restart", {}),
        ),
        workaround=("avoid", "collisions"),
        fixed_by=(
            "core: a guarded create that another resource's object disproves leaves the "
            "mark (Reconciler._unguard)"
        ),
    ),
    Finding(
        name="pending-mark-adopts-an-object-released-by-observe-only",
        provider="alibaba-sag",
        check="takeover",
        summary=(
            "The same defect as the one above, on SAG: r1's add is throttled (the mark "
            "stays) while r0's entry holds the key; r0 turns ObserveOnly and is deleted, "
            "which releases it and leaves its entry; r1's delete adopts and deletes that "
            "entry."
        ),
        steps=(
            _start(keep=True),
            ("edit_spec", {"slot": 0, "variant": 1, "react": True}),
            ("delete", {"slot": 0, "react": True}),
            ("cloud_fails", {"cls": ErrorClass.THROTTLED, "count": 1, "which": 0}),
            _create(1, 0, keep=True),
            ("edit_policy", {"slot": 0, "which": "deletionPolicy", "react": False}),
            _create(0, 0),
            ("edit_policy", {"slot": 0, "which": "managementPolicy", "react": False}),
        ),
        workaround=("avoid", "collisions"),
        fixed_by=(
            "core: a guarded create that another resource's object disproves leaves the "
            "mark (Reconciler._unguard)"
        ),
    ),
    Finding(
        name="an-observer-counted-as-the-owner",
        provider="alibaba-sag",
        check="release",
        summary=(
            "Found by the long run after the fix above: an ObserveOnly resource watches the "
            "key r1 creates under; r1's add commits, its answer is lost, and the observer's "
            "status names r1's entry. r1 took the observer for the owner, dropped its mark "
            "as disproved and was released on delete with its entry still there. Skipping "
            "observers alone broke the finding above (a creator turned ObserveOnly): the "
            "owner is whoever created the object."
        ),
        steps=(
            _start(observe_only=True),
            ("answer_lost", {"which": "write"}),
            _create(0, 0),
        ),
        workaround=("avoid", "collisions"),
        fixed_by=(
            "core/handlers: the claimant of an object is the resource that created it "
            "(status.createdId), whatever its policy now; an observer is none"
        ),
    ),
    Finding(
        name="an-observer-turned-manager-fights-the-owner",
        provider="alibaba-ens",
        check="settle",
        summary=(
            "Found by the third long run: r0, ObserveOnly, follows r1's entry by its key; "
            "turned to Manage it corrects that entry to its own spec, r1 corrects it back, "
            "and neither ever settles (two managers of one object)."
        ),
        steps=(
            _start(observe_only=True, second=True, other=2),
            ("edit_policy", {"slot": 0, "which": "deletionPolicy", "react": True}),
            ("edit_policy", {"slot": 0, "which": "managementPolicy", "react": False}),
        ),
        workaround=("avoid", "collisions"),
        fixed_by=(
            "core: an object only observed (status.createdId empty) and created by another "
            "resource is not managed (Reconciler._not_anothers)"
        ),
    ),
    Finding(
        name="an-observer-turned-manager-after-a-restart",
        provider="alibaba-ens",
        check="settle",
        summary="The same through a restart: r1 turns ObserveOnly, then back to Manage.",
        steps=(
            _start(second=True, other=2),
            ("edit_policy", {"slot": 1, "which": "managementPolicy", "react": False}),
            ("restart", {}),
            ("edit_policy", {"slot": 1, "which": "managementPolicy", "react": False}),
        ),
        workaround=("avoid", "collisions"),
        fixed_by=(
            "core: an object only observed (status.createdId empty) and created by another "
            "resource is not managed (Reconciler._not_anothers)"
        ),
    ),
    Finding(
        name="an-observer-turned-manager-cannot-be-deleted",
        provider="huawei-nat",
        check="settle",
        summary=(
            "Found by the fourth long run, after the two above: refusing to manage the "
            "object it only observed, r1 also refused its own delete for ever (the object "
            "is r0's and stays). The id it only observed now leaves its status, so a "
            "delete has nothing of its own to delete."
        ),
        steps=(
            _start(keep=True, second=True),
            ("edit_policy", {"slot": 1, "which": "managementPolicy", "react": False}),
            ("restart", {}),
            ("edit_policy", {"slot": 1, "which": "managementPolicy", "react": False}),
            ("delete", {"slot": 1, "react": True}),
        ),
        workaround=("avoid", "collisions"),
        fixed_by="core: the observed id of another resource's object is let go (_drop_anothers)",
    ),
    Finding(
        name="adoption-annotation-naming-anothers-object",
        provider="alibaba-sag",
        check="takeover",
        summary=(
            "Found by the fifth long run: r1's external-id annotation names r0's entry; r1's "
            "spec differs, so its replace deletes r0's entry and adds its own, while r0 "
            "re-creates under the same key; after a crash and a lost answer r1 adopts the "
            "entry r0 created. Two managers of one key end in a takeover either way: the "
            "annotation is now refused while another resource created the object."
        ),
        steps=(
            _start(second=True, other=2),
            ("cloud_fails", {"cls": ErrorClass.THROTTLED, "count": 2, "which": 0}),
            ("cloud_fails", {"cls": ErrorClass.THROTTLED, "count": 3, "which": 0}),
            ("adopt", {"slot": 1, "to": "other"}),
            ("drift_pass", {}),
            ("drift_pass", {}),
            ("cloud_fails", {"cls": ErrorClass.THROTTLED, "count": 1, "which": 1}),
            ("crash", {"after": False, "at_kube": True, "n": 3}),
            ("at_once", {"a": 0, "b": 0}),
            ("answer_lost", {"which": "write"}),
            ("kopf_retries", {"slot": 1}),
        ),
        workaround=("avoid", "collisions"),
        fixed_by=(
            "core: an adoption annotation naming an object another resource created is "
            "refused (KeyInUse) until that resource lets it go (_drop_anothers)"
        ),
    ),
    Finding(
        name="pending-mark-adopts-an-object-its-creator-left",
        provider="alibaba-sag",
        check="takeover",
        summary=(
            "Found by the sixth long run: r0's create-pending mark outlived a long pause "
            "(ObserveOnly flips, failed Kubernetes writes, restarts) while r1 created under "
            "the same key; r1 was deleted as ObserveOnly (its entry left in place) before r0 "
            "looked again, so no live resource named the entry and r0's lookup adopted it. "
            "The watch cache now remembers, for the life of the process, objects whose "
            "creator went leaving them; a restart between that delete and the lookup still "
            "forgets it (README: the limit of what Kubernetes alone can prove)."
        ),
        steps=(
            _start(keep=True, second=True),
            ("edit_policy", {"slot": 0, "which": "managementPolicy", "react": True}),
            ("restart", {}),
            ("restart", {}),
            ("restart", {}),
            ("edit_policy", {"slot": 0, "which": "managementPolicy", "react": True}),
            ("kube_write_fails", {"n": 4}),
            ("change_mid_call", {"at": 1, "change": "edit", "slot": 0}),
            ("change_mid_call", {"at": 1, "change": "edit", "slot": 1}),
            ("change_mid_call", {"at": 1, "change": "observe", "slot": 1}),
            ("edit_policy", {"slot": 0, "which": "managementPolicy", "react": False}),
            ("restart", {}),
            ("restart", {}),
            ("restart", {}),
            ("delete", {"slot": 1, "react": True}),
            ("edit_policy", {"slot": 0, "which": "managementPolicy", "react": True}),
        ),
        workaround=("avoid", "collisions"),
        fixed_by=(
            "handlers: WatchCache remembers an object its creator left (Orphan, ObserveOnly); "
            "Reconciler._claimed counts it"
        ),
    ),
    Finding(
        name="two-observers-turned-managers-fight",
        provider="alibaba-ens",
        check="settle",
        summary=(
            "Found by the seventh long run: two ObserveOnly resources follow the same entry "
            "made outside Kubernetes; both turned to Manage, each corrects it to its own "
            "spec for ever. A managing resource that follows an object it did not create "
            "now counts as its manager for the others."
        ),
        steps=(
            _start(foreign=True, observe_only=True),
            ("edit_spec", {"slot": 0, "variant": 1, "react": True}),
            ("edit_policy", {"slot": 0, "which": "managementPolicy", "react": False}),
            ("edit_spec", {"slot": 0, "variant": 0, "react": False}),
            _create(0, 1, observe_only=True),
            ("edit_policy", {"slot": 1, "which": "managementPolicy", "react": False}),
        ),
        workaround=("avoid", "collisions"),
        fixed_by="handlers: WatchCache.claimant counts a manager that did not create the object",
    ),
    Finding(
        name="two-unrecorded-creates-on-one-key",
        provider="alibaba-ens",
        check="takeover",
        summary=(
            "Found by the eighth long run: r0 and r1 share a key; r0 re-creates, its id is "
            "recorded but the mark's removal fails; r0's entry vanishes again, r1 creates "
            "under the key and its status write fails. r0's recreate then searched the key "
            "under its stale mark and adopted r1's unrecorded entry. A mark beside a "
            "recorded id guards nothing any more: it is removed before the recreate."
        ),
        steps=(
            _start(variant=1, second=True),
            ("cloud_drifts", {"slot": 1, "vanish": True}),
            ("cloud_drifts", {"slot": 0, "vanish": True}),
            ("kube_write_fails", {"n": 4}),
            ("edit_spec", {"slot": 0, "variant": 0, "react": False}),
            ("wake", {"slot": 0}),
            ("kube_write_fails", {"n": 1}),
            ("cloud_drifts", {"slot": 0, "vanish": True}),
            ("kube_write_fails", {"n": 3}),
            ("wake", {"slot": 1}),
        ),
        workaround=("avoid", "collisions"),
        fixed_by="core: a stale mark is removed before a recreate, never searched",
    ),
    Finding(
        name="observe-only-follows-the-key-over-its-own-pending-create",
        provider="huawei-nat",
        check="duplicate",
        summary=(
            "Found by the ninth long run: r0's create on port 8080 commits, its answer is "
            "lost (the mark stays); r0 turns ObserveOnly and moves to port 8081, which r1's "
            "rule holds. Observing looked up the current key first and followed r1's rule, "
            "leaving r0's own rule behind. Under a mark, the guarded keys come first."
        ),
        steps=(
            _start(second=True, other=1),
            ("answer_lost", {"which": "write"}),
            ("cloud_drifts", {"slot": 0, "vanish": True}),
            ("kopf_retries", {"slot": 0}),
            ("edit_policy", {"slot": 0, "which": "managementPolicy", "react": False}),
            ("edit_spec", {"slot": 0, "variant": 1, "react": True}),
        ),
        workaround=("avoid", "collisions"),
        fixed_by="core: observing under a mark looks under the guarded keys first",
    ),
    Finding(
        name="pending-lookup-by-an-unguarded-key",
        provider="huawei-nat",
        check="takeover",
        summary=(
            "r1's create (port 8080, key checked free) commits and its answer is lost; the "
            "user then moves r1 to port 8081, which a rule made outside Kubernetes holds. "
            "Reconciler._find_guarded looks first by the current spec's key, which the mark "
            "never guarded: it finds the foreign rule, adopts it and updates it to r1's spec, "
            "and r1's own rule on 8080 belongs to nobody (it outlives every delete)."
        ),
        steps=(
            _start(foreign=True, observe_only=True),
            ("answer_lost", {"which": "write"}),
            _create(1, 0),
            ("edit_spec", {"slot": 1, "variant": 1, "react": True}),
        ),
        workaround=("avoid", "collisions"),
        fixed_by=(
            "core: a pending create is looked up only under the keys its mark guards "
            "(Reconciler._find_guarded)"
        ),
    ),
    Finding(
        name="key-edit-after-an-unrecorded-create",
        provider="huawei-nat",
        check="duplicate",
        summary=(
            "r1's create commits but the status write with its id fails; the user then "
            "changes externalServicePort. The next pass looks the object up by the new key, "
            "finds nothing and creates a second rule; the first one (old port) belongs to "
            "nobody and survives every delete."
        ),
        steps=(
            _start(observe_only=True),
            ("kube_write_fails", {"n": 2}),
            _create(1, 1),
            ("edit_spec", {"slot": 1, "variant": 0, "react": True}),
        ),
        workaround=("avoid", "key-edits"),
        fixed_by=(
            "e66d178 core: the create-pending mark records the spec of every create it guards"
        ),
    ),
    Finding(
        name="external-id-hides-a-pending-create",
        provider="alibaba-sag",
        check="release",
        summary=(
            "r0's AddDnatEntry commits but the status write fails (mark on, no id); the user "
            "then sets cloudnet.dev/external-id (here to an id that does not exist). The "
            "annotation wins over the mark, so the entry is never looked up by key; on "
            "delete the named id is not found and the finalizer goes while the entry the "
            "create made still exists."
        ),
        steps=(
            _start(observe_only=True),
            ("kube_write_fails", {"n": 2}),
            ("delete", {"slot": 0, "react": True}),
            _create(0, 0),
            ("adopt", {"slot": 0, "to": "bogus"}),
            ("delete", {"slot": 0, "react": True}),
        ),
        workaround=("avoid", "adopt"),
        fixed_by=(
            "core: a pending create is looked up before anything else, the adoption "
            "annotation included (Reconciler._pending_create)"
        ),
    ),
    Finding(
        name="restore-of-an-empty-description",
        provider="alibaba-ecs",
        check="settle",
        summary=(
            "A NetworkInterfaceConfig with deletionPolicy Restore on an ENI that had no "
            "description: Restore sends Description='' (which ECS cannot set: 2-255 "
            "characters) and the ENI keeps the operator's description, so every delete pass "
            "modifies again and the delete never completes."
        ),
        steps=(_start(keep=False, second=True),),
        workaround=("avoid", "empty-original"),
        fixed_by=(
            "providers/alibaba_ecs: an empty original is left out of Restore (restore_params)"
        ),
    ),
    Finding(
        name="status-write-failure-while-reporting-a-cloud-error",
        provider="huawei-nat",
        check="outcome",
        summary=(
            "The cloud refuses a create (NAT.0009) and the status patch that reports it "
            "fails: the KubeError escapes Reconciler._guarded (it is raised inside the "
            "except clause that handles the CloudException), so reconcile_object raises "
            "instead of returning an outcome; kopf logs a traceback and retries after 5 s."
        ),
        steps=(
            _start(foreign=True, variant=1),
            ("kube_write_fails", {"n": 3}),
            ("kopf_retries", {"slot": 0}),
        ),
        workaround=("skip", "outcome"),
        fixed_by=(
            "core: a failed status write while reporting a cloud error is a Kubernetes "
            "failure like any other (Reconciler._guarded)"
        ),
    ),
)

#: The findings still open: the random sequences work around each of them. A fixed
#: finding's replay stays as a regression test.
OPEN: tuple[str, ...] = tuple(f.name for f in FINDINGS if f.fixed_by is None)


def workarounds(open_findings: tuple[str, ...] = OPEN) -> tuple[frozenset[str], frozenset[str]]:
    """(checks to skip, scenarios to avoid) for the findings still open."""
    chosen = [f for f in FINDINGS if f.name in open_findings]
    skip = frozenset(f.workaround[1] for f in chosen if f.workaround[0] == "skip")
    avoid = frozenset(f.workaround[1] for f in chosen if f.workaround[0] == "avoid")
    return skip, avoid


def left_out() -> tuple[frozenset[str], frozenset[str]]:
    """What the random sequences leave out: the open findings' workarounds, unless
    CLOUDNET_INVARIANT_SKIP / CLOUDNET_INVARIANT_AVOID say otherwise (empty: nothing)."""
    import os

    from tests.invariants.machine import from_env

    skip, avoid = workarounds(OPEN)
    if "CLOUDNET_INVARIANT_SKIP" in os.environ:
        skip = from_env("CLOUDNET_INVARIANT_SKIP")
    if "CLOUDNET_INVARIANT_AVOID" in os.environ:
        avoid = from_env("CLOUDNET_INVARIANT_AVOID")
    return skip, avoid


def replay(finding: Finding) -> None:
    """Run the finding's steps, checking the invariants after each, then the teardown."""
    from tests.invariants.machine import machine_for
    from tests.invariants.world import PROFILES

    machine = machine_for(PROFILES[finding.provider], skip=frozenset(), avoid=frozenset())()
    try:
        for name, args in finding.steps:
            getattr(machine, name)(**args)
            machine.holds()
    finally:
        machine.teardown()
