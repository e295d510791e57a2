"""Observe, then create, update or delete, then write status; every path ends in an outcome.

The guarantees, from crossplane-runtime's managed reconciler, and where each is kept:

* **One object per resource.** Before a create (or the add of a replace) the
  resource gets the ``cloudnet.dev/create-pending`` annotation, written before
  the call goes out; the cloud id is written to ``status.externalId`` the
  moment the cloud returns it, and only then does the mark go. Finding the
  mark without an id means the process died in between (or the answer never
  came, or it came without an id): the object is looked up by the provider's
  unique key and adopted, never created twice. A replace first checks that
  the new key is free, so it never deletes an entry it cannot put back.
* **Persist before an irreversible write.** ``status.original`` (what
  deletion policy Restore puts back) is written in a patch of its own before
  the first update; if that write fails, no update is sent.
* **Release only on proof.** :meth:`Reconciler.delete` returns
  :class:`~cloudnet.core.outcome.Done` only when the cloud says the object is
  gone, or for Orphan / ObserveOnly. Every refusal, whatever its class, is a
  :class:`~cloudnet.core.outcome.Retry` with capped, jittered backoff, shown
  on the resource and in a Warning Event.
* **Unknown means retry.** Only :attr:`ErrorClass.INVALID_SPEC` blocks, and
  at most one cloud call is spent per (generation, ProviderConfig, Secret):
  the verdict is kept in status with what it was judged with
  (``status.judgedWith``), so fixing the spec, the ProviderConfig or the
  Secret brings a new attempt.
* **Nothing is written when nothing differs**, in the cloud (ACK's delta
  check) or in Kubernetes (a status patch equal to the status is skipped);
  ``ObserveOnly`` never writes to the cloud at all.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from cloudnet.api.common import Phase
from cloudnet.api.errors import MAX_RETRY_AFTER, CloudError, CloudException, ErrorClass
from cloudnet.core import batch
from cloudnet.core.outcome import (
    FAILED_STATE_RECHECK,
    MAX_BACKOFF,
    Blocked,
    Done,
    Outcome,
    Retry,
    backoff,
    jittered,
    poll,
)
from cloudnet.core.provider import Delta, Observation, Provider, UpdateStyle, WriteResult
from cloudnet.core.resource import (
    ANN_CREATE_PENDING,
    ANN_EXTERNAL_ID,
    ANN_REFRESH,
    KubeError,
    KubeGone,
    KubePort,
    Resource,
    StatusWriter,
    now,
)

logger = logging.getLogger(__name__)

PENDING = frozenset({Phase.PENDING_CREATE, Phase.PENDING_UPDATE, Phase.PENDING_DELETE})
DeletionPolicy = Literal["Delete", "Orphan", "Restore"]

SpecT = TypeVar("SpecT")


class ConfigError(Exception):
    """The resource cannot be reconciled before a Kubernetes-side problem is fixed."""

    def __init__(self, error_class: ErrorClass, message: str, *, until: str = "") -> None:
        super().__init__(message)
        self.error_class = error_class
        self.message = message
        #: what has to change, for a Blocked outcome
        self.until = until or "the spec changes"


@dataclass(frozen=True, kw_only=True)
class Policy:
    """The user's choices for one resource."""

    observe_only: bool = False
    deletion: DeletionPolicy = "Delete"


def _ready_reason(phase: Phase | None) -> str:
    return {
        Phase.ACTIVE: "Available",
        Phase.PENDING_CREATE: "Creating",
        Phase.PENDING_UPDATE: "Updating",
        Phase.PENDING_DELETE: "Deleting",
        Phase.INACTIVE: "Unavailable",
        Phase.EIP_FREEZED: "Unavailable",
    }.get(phase or Phase.ERROR, "Unknown")


#: At most this many guarded specs are kept in one create-pending mark.
MAX_GUARDED = 20


def _record(spec: Any) -> dict[str, Any] | None:
    """A spec as plain data, for the create-pending mark (pydantic models and dataclasses)."""
    dump = getattr(spec, "model_dump", None)
    if callable(dump):
        return dict(dump(mode="json", by_alias=True, exclude_none=True))
    if dataclasses.is_dataclass(spec) and not isinstance(spec, type):
        return dataclasses.asdict(spec)
    return None


def _revive(like: Any, data: Mapping[str, Any]) -> Any:
    """A recorded spec as the provider's spec type; None when it no longer parses."""
    kind = type(like)
    try:
        validate = getattr(kind, "model_validate", None)
        if callable(validate):
            return validate(dict(data))
        if dataclasses.is_dataclass(kind):
            return kind(**data)
    except Exception:  # a mark edited by hand or written by another version
        logger.warning("a create-pending mark holds a spec that no longer parses; skipped")
    return None


def _guarded_specs(mark: str | None) -> list[dict[str, Any]]:
    """The specs a create-pending mark guards (a bare timestamp mark guards none by record)."""
    if not mark:
        return []
    try:
        data = json.loads(mark)
    except ValueError:
        return []
    specs = data.get("specs") if isinstance(data, Mapping) else None
    return [dict(s) for s in specs if isinstance(s, Mapping)] if isinstance(specs, list) else []


def _error_fields(exc: CloudException) -> dict[str, Any]:
    return {"code": exc.code, "message": exc.message, "requestId": exc.request_id}


class Reconciler(Generic[SpecT]):
    """Drives one resource towards its spec through one provider; one instance per pass."""

    def __init__(
        self,
        *,
        resource: Resource,
        kube: KubePort,
        provider: Provider[SpecT],
        spec: SpecT,
        policy: Policy,
        config_version: str = "",
        attempt: int = 0,
        claimant: Callable[[str], str | None] = lambda _external_id: None,
        left_behind: Callable[[str], str | None] = lambda _external_id: None,
    ) -> None:
        self.res = resource
        self.kube = kube
        self.provider = provider
        self.caps = provider.capabilities
        self.spec = spec
        self.policy = policy
        self.config_version = config_version
        self.attempt = attempt
        self.status = StatusWriter(resource, kube)
        #: the other resource that created (or already manages) this cloud id, or None
        self.claimant = claimant
        #: the resource that created this cloud id and went, leaving it (Orphan, ObserveOnly)
        self.left_behind = left_behind
        #: whether this pass already looked for a pending create under every guarded key
        self._looked_up = False
        #: whether this pass found the current spec's key free (the guard need not ask again)
        self._key_free = False
        #: what holds the current spec's key for another resource, found this pass
        self._key_holder: Observation | None = None

    @property
    def observe_only(self) -> bool:
        return self.policy.observe_only

    # -- the entry points -------------------------------------------------------------

    async def reconcile(self) -> Outcome:
        """Create/update/resume: make the cloud match the spec, then report."""
        if self.res.deleting:
            return Done("deletion has started: only the delete path acts")
        if self._invalid_spec_already_judged():
            return Blocked(
                reason="the cloud refused this generation of the spec (InvalidSpec)",
                until="the spec, its ProviderConfig or its Secret changes",
            )
        return await self._guarded(self._reconcile, deleting=False)

    async def delete(self) -> Outcome:
        """The delete path: Done only when the cloud object is gone or left on purpose."""
        return await self._guarded(self._delete, deleting=True)

    async def _guarded(self, step: Any, *, deleting: bool) -> Outcome:
        try:
            try:
                outcome: Outcome = await step()
            except CloudException as exc:
                # Reporting it writes status: a failure of that write is handled below.
                outcome = await self._cloud_failure(exc, deleting=deleting)
            return outcome
        except KubeGone:
            return Done("the resource is gone from Kubernetes")
        except KubeError as exc:
            return Retry(
                after=backoff(self.attempt, base=1.0, cap=60.0),
                reason=f"Kubernetes write failed: {exc}",
            )

    # -- create / update ----------------------------------------------------------------

    async def _reconcile(self) -> Outcome:
        seen = await self._observe_or_create()
        if isinstance(seen, WriteResult):
            await self._event(False, "Created", f"created cloud object {seen.external_id}")
            return Done() if self.res.status.get("phase") == Phase.ACTIVE else poll(self.attempt)
        return await self._converge(seen)

    def _external_id(self) -> tuple[str | None, bool]:
        """The cloud id to follow, and whether it came from the adoption annotation."""
        if not self.caps.creates:
            return self.provider.identity(self.spec), False
        value = self.res.status.get("externalId")
        if isinstance(value, str) and value:
            return value, False
        adopted = self.res.annotations.get(ANN_EXTERNAL_ID)
        return (adopted, True) if adopted else (None, False)

    def _refresh_asked(self) -> str | None:
        """The refresh annotation's value, while it is not yet echoed in status."""
        value = self.res.annotations.get(ANN_REFRESH)
        return value if value and value != self.res.status.get("refreshRequestedAt") else None

    def _echo_refresh(self) -> None:
        """Say, with the report of an observation, which refresh request it answers."""
        value = self._refresh_asked()
        if value is not None:
            self.status.set(refreshRequestedAt=value, lastRefreshedAt=now())

    def _invalid_spec_already_judged(self) -> bool:
        if self._refresh_asked():
            return False  # asked for by hand: one more cloud call is what the user wants
        status = self.res.status
        if status.get("phase") != Phase.ERROR:
            return False
        if status.get("observedGeneration") != self.res.generation:
            return False
        if not status.get("lastError"):
            return False  # a Kubernetes-side problem made no cloud call: nothing to save
        if status.get("judgedWith") != self.config_version:
            return False  # the ProviderConfig or Secret changed since: judge again
        return bool(self.res.condition("Synced").get("reason") == ErrorClass.INVALID_SPEC)

    async def _observe_or_create(self) -> Observation | WriteResult:
        """The object as the cloud holds it, or the answer to the create that made it."""
        pending = await self._pending_create()
        if pending is not None:
            return pending
        external_id, adopted = self._external_id()
        if external_id is not None and await self._drop_anothers(external_id, adopted):
            external_id, adopted = None, False
        if external_id is not None:
            observation = await batch.observe(self.provider, self.spec, external_id)
            if observation.exists:
                await self._drop_stale_mark()
                if self.res.status.get("externalId") != external_id:
                    self.status.set(externalId=external_id)
                    if adopted:
                        await self._event(False, "Adopted", f"adopted cloud object {external_id}")
                return observation
            if self.observe_only or adopted or not self.caps.creates:
                what = "the adopted cloud object" if adopted else "the cloud object"
                raise CloudError(
                    code="NotFound",
                    message=f"{what} {external_id} does not exist"
                    + ("; the operator never creates it" if not self.caps.creates else ""),
                    error_class=ErrorClass.DEPENDENCY_NOT_FOUND,
                    http_status=404,
                    request_id=observation.request_id,
                )
            await self._event(
                True, "Recreating", f"cloud object {external_id} is gone; creating it again"
            )
            # Searched now, the mark would adopt whatever someone else created since.
            await self._drop_stale_mark()
            # Persisted before the create: a crash from here on never follows the old id.
            self.status.set(externalId=None)
            await self.status.flush()
        looked = self._looked_up
        if self.observe_only or (self.res.annotations.get(ANN_CREATE_PENDING) and not looked):
            found = await self._find_guarded()
            if found.exists:
                await self._adopt_found(found)
                return found
            if self.observe_only:
                raise CloudError(
                    code="NotFound",
                    message="no cloud object matches this spec's unique key",
                    error_class=ErrorClass.DEPENDENCY_NOT_FOUND,
                    http_status=404,
                    request_id=found.request_id,
                )
        return await self._guarded_create()

    async def _drop_stale_mark(self) -> None:
        """A mark whose removal was lost: the id is known, every create it guarded is done."""
        if self.caps.creates and self.res.annotations.get(ANN_CREATE_PENDING):
            await self.kube.patch_annotations(self.res, {ANN_CREATE_PENDING: None})

    async def _pending_create(self) -> Observation | None:
        """A create of ours that may have committed without its id being recorded, adopted.

        It comes before anything else (an adoption annotation included): that
        object exists only because of us, and nobody else will ever delete it.
        """
        if not self.caps.creates or self.observe_only:
            return None
        if self.res.status.get("externalId") or not self.res.annotations.get(ANN_CREATE_PENDING):
            return None
        found = await self._find_guarded()
        if not found.exists:
            return None
        await self._adopt_found(found)
        return found

    async def _find_guarded(self) -> Observation:
        """Our object by the key of a create the mark guards (or, observing, by the spec's key).

        Only guarded keys are searched: each was checked free before its create
        went out, so an object under it is presumed ours. The current spec's key
        is searched only when the mark guards it (or when observing, which
        adopts nothing of its own): an object someone else holds there must
        not be taken over. The spec may have changed since a create whose
        answer was lost (a new port, say): that object is still ours, under
        its old key, and is observed against the current spec, so the usual
        update (or replace) moves it to the new key. An object another
        resource already names as its own is never presumed ours.
        """
        self._looked_up = True
        mark = self.res.annotations.get(ANN_CREATE_PENDING)
        specs = _guarded_specs(mark)
        current = _record(self.spec)
        found = Observation.gone()
        disproved: list[dict[str, Any] | None] = []
        if self.observe_only and specs:
            # Our own create, if its answer was lost, comes before whatever holds the
            # current key: observing someone else's would leave ours behind.
            for data in reversed(specs):
                earlier = _revive(self.spec, data) if data != current else self.spec
                if earlier is None:
                    continue
                mine = await batch.find(self.provider, earlier)
                if mine.exists and mine.external_id and not self._claimed(mine):
                    if earlier is self.spec:
                        return mine
                    return await batch.observe(self.provider, self.spec, mine.external_id)
        if self.observe_only or not specs or current is None or current in specs:
            found = await batch.find(self.provider, self.spec)
            if found.exists and (self.observe_only or not self._claimed(found)):
                return found
            self._key_free = not found.exists
            self._key_holder = found if found.exists else None
            if found.exists:
                disproved.append(current)
            found = Observation.gone(found.request_id)
        for data in reversed(specs):
            if data == current:
                continue
            earlier = _revive(self.spec, data)
            if earlier is None:
                continue
            old = await batch.find(self.provider, earlier)
            if old.exists and old.external_id:
                if not self._claimed(old):
                    return await batch.observe(self.provider, self.spec, old.external_id)
                disproved.append(data)
        if disproved and mark:
            await self._unguard(specs, disproved)
        return found

    async def _unguard(
        self, specs: list[dict[str, Any]], disproved: list[dict[str, Any] | None]
    ) -> None:
        """Drop from the mark the creates another resource's object proves never committed.

        The key is unique: while another resource's object holds it, a create
        of ours under it cannot have committed. Left in the mark, that key
        would be searched again, and adopted the day the other resource lets
        its object go (deletionPolicy Orphan), which would be a takeover.
        """
        kept = [s for s in specs if s not in disproved]
        if not specs or not kept:
            await self.kube.patch_annotations(self.res, {ANN_CREATE_PENDING: None})
            return
        value = json.dumps({"since": now(), "specs": kept}, sort_keys=True)
        await self.kube.patch_annotations(self.res, {ANN_CREATE_PENDING: value})

    async def _drop_anothers(self, external_id: str, named: bool) -> bool:
        """Let go of an object another resource created, if this one only observed or named it.

        One object, one manager. An ObserveOnly resource follows whatever
        holds its key (``createdId`` is then empty): turned to Manage, it must
        not write to, nor delete, an object another resource owns, so the id
        leaves its status (the next step finds the key taken and says whose
        it is). The adoption annotation naming such an object is refused the
        same way, until its creator lets it go (deleted with deletionPolicy
        Orphan). Either way a delete has nothing of its own to delete.
        """
        if self.observe_only or self.res.status.get("createdId") == external_id:
            return False
        observed = self.res.status.get("createdId") == "" and not named
        if not (observed or named):
            return False
        other = self.claimant(external_id)
        if other is None:
            return False
        message = f"cloud object {external_id} is {other}'s" + (
            "; this resource only observed it"
            if observed
            else f"; {ANN_EXTERNAL_ID} may name it once {other} lets it go "
            "(deleted with deletionPolicy Orphan)"
        )
        if self.res.status.get("externalId") == external_id:
            self.status.set(externalId=None)
            await self.status.flush()
        await self._event(True, "Conflict", message)
        if named and not self.res.deleting:
            raise CloudError(
                code="KeyInUse",
                message=message,
                error_class=ErrorClass.CONFLICT,
                http_status=409,
            )
        return True

    def _claimed(self, found: Observation) -> bool:
        """Whether another resource created this object (then our guarded create never committed).

        A creator that went and left its object in the cloud still counts: the
        object being there proves our create under its key did not commit.
        """
        eid = found.external_id
        other = (self.claimant(eid) or self.left_behind(eid)) if eid else None
        if other is None:
            return False
        logger.warning(
            "%s: cloud object %s under a guarded key belongs to %s; not adopted",
            self.res.ref,
            found.external_id,
            other,
        )
        return True

    async def _guard(self, *, key_checked: bool = False) -> None:
        """Write (or extend) the create-pending mark with the spec about to be created.

        A spec guarded for the first time has its key checked free first. An
        object found by key while a mark stands is adopted as ours, so the mark
        must never stand over a key someone else holds: that object would be
        taken over (modified, then deleted with this resource). A key found
        held by another resource this pass is refused even when guarded: the
        unique key means our guarded create never committed there.
        """
        mark = self.res.annotations.get(ANN_CREATE_PENDING)
        specs = _guarded_specs(mark)
        current = _record(self.spec)
        holder = self._key_holder  # another resource's object, found under our mark
        if holder is None and mark and (current is None or current in specs):
            return  # this very create is guarded already
        if holder is None and not key_checked and not self._key_free:
            holder = await batch.find(self.provider, self.spec)
        if holder is not None and holder.exists:
            other = self.claimant(holder.external_id) if holder.external_id else None
            raise CloudError(
                code="KeyInUse",
                message=(
                    f"cloud object {holder.external_id} already holds this spec's unique key"
                    + (f" (it is {other}'s)" if other else f"; to manage it, set {ANN_EXTERNAL_ID}")
                ),
                error_class=ErrorClass.CONFLICT,
                http_status=409,
                request_id=holder.request_id,
            )
        if current is not None:
            specs = [*specs, current][-MAX_GUARDED:]
        value = json.dumps({"since": now(), "specs": specs}, sort_keys=True)
        await self.kube.patch_annotations(self.res, {ANN_CREATE_PENDING: value})

    async def _adopt_found(self, found: Observation) -> None:
        assert found.external_id is not None
        self.status.set(externalId=found.external_id, lastRequestId=found.request_id)
        if not self.observe_only:  # found under our own guard: the create was ours
            self.status.set(createdId=found.external_id)
        elif "createdId" not in self.res.status:  # found by watching the key: owns nothing
            self.status.set(createdId="")
        await self.status.flush()
        if self.res.annotations.get(ANN_CREATE_PENDING):
            await self.kube.patch_annotations(self.res, {ANN_CREATE_PENDING: None})
        await self._event(
            False, "Adopted", f"found cloud object {found.external_id} by its unique key"
        )

    async def _guarded_create(self) -> WriteResult:
        """The create call between the guard's two writes; the id is persisted at once."""
        await self._guard()
        try:
            result = await self.provider.create(self.spec)
        except CloudException as exc:
            # A verdict on the request committed nothing, so the guard can go. A
            # throttle, a server fault, a lost answer or a code nobody classified
            # may hide a committed write: keep the mark, look it up next time.
            if not exc.error_class.may_have_committed:
                await self.kube.patch_annotations(self.res, {ANN_CREATE_PENDING: None})
            raise
        if not result.external_id:
            # Success without an id: the object may exist. The mark stays, so the
            # next pass looks it up by key instead of creating a second one.
            raise CloudError(
                code="MissingId",
                message="the create answer carried no object id; looking it up by key next",
                error_class=ErrorClass.TRANSIENT,
                http_status=200,
                request_id=result.request_id,
            )
        observation = result.observation
        phase = observation.phase if observation and observation.phase else Phase.PENDING_CREATE
        self.status.set(
            externalId=result.external_id,
            createdId=result.external_id,
            phase=phase,
            lastRequestId=result.request_id,
            observedGeneration=self.res.generation,
            lastError=None,
            judgedWith=None,
        )
        if observation is not None:
            self.status.set(observed=dict(observation.observed), drift=[])
        self._echo_refresh()
        self.status.condition("Ready", phase == Phase.ACTIVE, _ready_reason(phase))
        self.status.condition(
            "Synced", True, "Created", f"created cloud object {result.external_id}"
        )
        await self.status.flush()
        await self.kube.patch_annotations(self.res, {ANN_CREATE_PENDING: None})
        return result

    async def _converge(self, observation: Observation) -> Outcome:
        phase = observation.phase
        if phase == Phase.PENDING_CREATE and self.res.status.get("phase") == Phase.PENDING_UPDATE:
            # Clouds with one "Pending" state for both: we know it was an update.
            phase = Phase.PENDING_UPDATE
        if self.observe_only:
            await self._report(observation, synced_reason="Observed", phase=phase)
            return poll(self.attempt) if phase in PENDING else Done()
        if phase in PENDING:
            await self._report(observation, synced_reason="Waiting", phase=phase)
            return poll(self.attempt)
        if phase in (Phase.INACTIVE, Phase.EIP_FREEZED):
            await self._report(observation, synced_reason="Waiting")
            return Retry(after=jittered(FAILED_STATE_RECHECK), reason=f"cloud object is {phase}")
        delta = observation.delta + self._forced_write_only()
        if not delta:
            await self._report(observation, synced_reason="UpToDate")
            return Done()
        # Say what differs before correcting it; the report after the write clears it.
        self.status.set(drift=self._drift_entries(delta))
        if self.caps.update is UpdateStyle.REPLACE:
            return await self._replace(observation, delta)
        return await self._update(observation, delta)

    def _forced_write_only(self) -> Delta:
        """Write-only parameters, once per generation: no answer shows whether they hold."""
        if not self.caps.write_only:
            return Delta()
        if self.res.status.get("writeOnlyGeneration") == self.res.generation:
            return Delta()
        return self.provider.write_only(self.spec)

    async def _update(self, observation: Observation, delta: Delta) -> Outcome:
        assert observation.external_id is not None
        recorded = self.res.status.get("original")
        if self.caps.snapshots and not (isinstance(recorded, Mapping) and recorded):
            # Its own patch, before the first write: if it fails, nothing is sent.
            original = self.provider.snapshot(observation)
            await self.kube.patch_status(self.res, {"original": original})
            self.res.status = {**self.res.status, "original": original}
            await self._event(
                False,
                "Recorded",
                f"recorded the original attributes of {observation.external_id}",
            )
        result = await self.provider.update(self.spec, observation.external_id, delta)
        await self._event(False, "Updated", f"updated cloud object: {', '.join(delta.paths)}")
        updated = result.observation or observation
        new_phase = (updated.phase or Phase.ACTIVE) if result.observation else Phase.PENDING_UPDATE
        self.status.set(lastRequestId=result.request_id)
        if self.caps.write_only:
            self.status.set(writeOnlyGeneration=self.res.generation)
        await self._report(updated, synced_reason="Updated", phase=new_phase, delta=Delta())
        return Done() if new_phase == Phase.ACTIVE else poll(self.attempt)

    async def _replace(self, observation: Observation, delta: Delta) -> Outcome:
        """Delete, then add, for clouds without an update call.

        The new key is checked first: if another object holds it, the old
        entry stays and the resource reports a Conflict. The create-pending
        mark goes on before the delete, so every crash point is finished by
        the next pass: before the delete, the old object is observed and
        replaced again; between delete and add, the old id is gone and the
        mark makes the next pass look the new object up by key, then create
        it; after the add, the lookup by key adopts it.
        """
        assert observation.external_id is not None
        old_id = observation.external_id
        holder = await batch.find(self.provider, self.spec)
        if holder.exists and holder.external_id != old_id:
            raise CloudError(
                code="KeyInUse",
                message=(
                    f"cloud object {holder.external_id} already holds the new unique key; "
                    f"{old_id} is kept as it is"
                ),
                error_class=ErrorClass.CONFLICT,
                http_status=409,
                request_id=holder.request_id,
            )
        changed = ", ".join(delta.paths)
        self.status.set(phase=Phase.PENDING_UPDATE, lastRequestId=observation.request_id)
        self.status.condition(
            "Synced", False, "Replacing", f"replacing {old_id} (delete, then add): {changed}"
        )
        await self.status.flush()
        # The add to come is guarded before the delete goes out (its key was just checked).
        await self._guard(key_checked=True)
        deleted = await self.provider.delete(self.spec, old_id)
        await self._event(False, "Deleted", f"deleted {old_id} to replace it: {changed}")
        self.status.set(externalId=None, lastRequestId=deleted.request_id)
        await self.status.flush()
        result = await self._guarded_create()
        self.status.set(drift=[])
        self.status.condition(
            "Synced", True, "Replaced", f"replaced {old_id} with {result.external_id}"
        )
        await self.status.flush()
        await self._event(False, "Created", f"added {result.external_id} in place of {old_id}")
        return Done() if self.res.status.get("phase") == Phase.ACTIVE else poll(self.attempt)

    # -- delete -------------------------------------------------------------------------

    async def _delete(self) -> Outcome:
        if self.observe_only or self.policy.deletion == "Orphan":
            why = "ObserveOnly" if self.observe_only else "deletionPolicy Orphan"
            external_id, _ = self._external_id()
            await self._event(
                False, "Orphaned", f"cloud object {external_id} left in place ({why})"
            )
            return Done(why)
        if self.policy.deletion == "Restore":
            return await self._restore()
        if not self.caps.creates:
            return Done("the provider never owns the object's existence")
        pending = await self._pending_create()
        external_id, named = (pending.external_id, False) if pending else self._external_id()
        if external_id is None:
            return Done("no cloud object was ever created")
        if await self._drop_anothers(external_id, named):
            return Done("the object it names is another resource's; it never had its own")
        observation = await batch.observe(self.provider, self.spec, external_id)
        if not observation.exists:
            await self._event(False, "Deleted", f"cloud object {external_id} is gone")
            return Done("the cloud says the object is gone")
        if observation.phase in (Phase.PENDING_CREATE, Phase.PENDING_UPDATE):
            # The cloud refuses to delete an object mid-change: let it settle.
            self.status.set(lastRequestId=observation.request_id, phase=observation.phase)
            await self.status.flush()
            return poll(self.attempt)
        if observation.phase != Phase.PENDING_DELETE:
            result = await self.provider.delete(self.spec, external_id)
            await self._event(False, "DeleteRequested", f"deleting cloud object {external_id}")
            self.status.set(lastRequestId=result.request_id)
        else:
            self.status.set(lastRequestId=observation.request_id)
        self.status.set(phase=Phase.PENDING_DELETE, lastError=None)
        self.status.condition("Ready", False, "Deleting", "waiting for the cloud to delete")
        self.status.condition("Synced", True, "Deleting", f"deleting {external_id}")
        await self.status.flush()
        # Confirmed only by an observation that finds it gone, on the next pass.
        return poll(self.attempt)

    async def _restore(self) -> Outcome:
        external_id, _ = self._external_id()
        original = self.res.status.get("original")
        if not self.caps.snapshots or not isinstance(original, Mapping) or not original:
            await self._event(
                False,
                "Orphaned",
                f"{external_id} left as it is (no original attributes were recorded)",
            )
            return Done("nothing recorded to restore")
        assert external_id is not None  # snapshots imply an identity or a recorded id
        current = await batch.observe(self.provider, self.spec, external_id)
        if not current.exists:
            await self._event(False, "Gone", f"{external_id} is gone: nothing to restore")
            return Done("the object is gone")
        if current.phase in PENDING:
            return poll(self.attempt)
        result = await self.provider.restore(self.spec, original, current)
        if result is None:
            # Proof: the cloud shows the recorded attributes again.
            return Done("original attributes in place")
        await self._event(False, "Restored", f"restored the original attributes of {external_id}")
        self.status.set(lastRequestId=result.request_id)
        await self.status.flush()
        return poll(self.attempt)  # confirmed by the next observation

    # -- status -------------------------------------------------------------------------

    async def _report(
        self,
        observation: Observation,
        *,
        synced_reason: str,
        phase: Phase | None = None,
        delta: Delta | None = None,
    ) -> None:
        phase = phase or observation.phase or Phase.ACTIVE
        self.status.set(
            phase=phase,
            observedGeneration=self.res.generation,
            observed=dict(observation.observed),
            lastError=None,
            judgedWith=None,
        )
        if observation.request_id and "lastRequestId" not in self.status.changes:
            self.status.set(lastRequestId=observation.request_id)
        shown = observation.delta if delta is None else delta
        self.status.set(drift=self._drift_entries(shown) if self.observe_only else [])
        self.status.condition("Ready", phase == Phase.ACTIVE, _ready_reason(phase))
        message = (
            f"{len(shown)} field(s) differ from the spec" if self.observe_only and shown else ""
        )
        self.status.condition("Synced", True, synced_reason, message)
        self._echo_refresh()
        await self.status.flush()

    def _drift_entries(self, delta: Delta) -> list[dict[str, Any]]:
        """status.drift, keeping the first time each path was seen to differ."""
        previous = self.res.status.get("drift")
        since = {
            d.get("path"): d.get("since")
            for d in (previous if isinstance(previous, list) else [])
            if isinstance(d, Mapping)
        }
        return [
            {
                "path": d.path,
                "desired": d.desired,
                "observed": d.observed,
                "since": since.get(d.path) or now(),
            }
            for d in delta
        ]

    # -- failures -----------------------------------------------------------------------

    async def _cloud_failure(self, exc: CloudException, *, deleting: bool) -> Outcome:
        cls = exc.error_class
        if cls is ErrorClass.NOT_FOUND and not deleting:
            # Our object vanished between observe and write: the next pass creates it.
            await self._event(True, "Recreating", f"cloud object vanished: {exc.code}")
            self.status.set(externalId=None, lastRequestId=exc.request_id)
            await self.status.flush()
            return Retry(after=jittered(1.0), reason="cloud object vanished; recreating")
        message = f"{exc.code}: {exc.message}"
        if deleting and cls is ErrorClass.NOT_FOUND:
            # Likely gone already; only an observation that finds nothing is proof.
            self.status.set(lastRequestId=exc.request_id)
            await self.status.flush()
            return poll(self.attempt)
        if deleting:
            # No class is permanent while deleting: the finalizer stays until proof.
            delay = self._delay(exc)
            self.status.set(lastError=_error_fields(exc), lastRequestId=exc.request_id)
            self.status.condition("Ready", False, "Deleting", "the cloud refused the delete")
            self.status.condition("Synced", False, cls.value, f"{message}; retrying")
            await self.status.flush()
            await self._event(True, cls.value, f"delete refused: {message}; retrying")
            return Retry(after=delay, reason=f"delete refused: {message}")
        if cls.retryable_soon:
            self.status.set(lastError=_error_fields(exc), lastRequestId=exc.request_id)
            self.status.condition("Synced", False, cls.value, f"{message}; retrying")
            await self.status.flush()
            await self._event(True, cls.value, f"{message}; retrying")
            return Retry(after=self._delay(exc), reason=message)
        self.status.set(
            phase=Phase.ERROR,
            lastError=_error_fields(exc),
            lastRequestId=exc.request_id,
            observedGeneration=self.res.generation,
            judgedWith=self.config_version if cls is ErrorClass.INVALID_SPEC else None,
        )
        self._echo_refresh()  # the cloud's verdict answers the request too
        self.status.condition("Ready", False, cls.value, message)
        self.status.condition("Synced", False, cls.value, message)
        await self.status.flush()
        await self._event(True, cls.value, message)
        if cls is ErrorClass.INVALID_SPEC:
            return Blocked(reason=message, until="the spec, its ProviderConfig or its Secret")
        return Retry(after=self._delay(exc), reason=message)

    def _delay(self, exc: CloudException) -> float:
        if exc.retry_after:
            return jittered(min(float(exc.retry_after), MAX_RETRY_AFTER))
        if exc.error_class.retryable_soon:
            return backoff(self.attempt, base=1.0, cap=60.0)
        return backoff(self.attempt, base=15.0, cap=MAX_BACKOFF)

    async def _event(self, warning: bool, reason: str, message: str) -> None:
        await self.kube.post_event(self.res, warning=warning, reason=reason, message=message)


async def report_config_error(
    resource: Resource, kube: KubePort, error: ConfigError, *, attempt: int, deleting: bool = False
) -> Outcome:
    """A problem on the Kubernetes side (ProviderConfig, Secret, spec): no cloud call made."""
    writer = StatusWriter(resource, kube)
    try:
        if deleting:
            writer.condition("Synced", False, error.error_class.value, error.message)
        else:
            # No lastError: that field holds the cloud's words, and there were none.
            writer.set(phase=Phase.ERROR, observedGeneration=resource.generation, lastError=None)
            writer.condition("Ready", False, error.error_class.value, error.message)
            writer.condition("Synced", False, error.error_class.value, error.message)
        changed = writer.pending()
        await writer.flush()
        if changed:
            await kube.post_event(
                resource, warning=True, reason=error.error_class.value, message=error.message
            )
    except KubeGone:
        return Done("the resource is gone from Kubernetes")
    except KubeError as exc:
        logger.warning("%s: could not report %s: %s", resource.ref, error.error_class, exc)
    if error.error_class is ErrorClass.INVALID_SPEC and not deleting:
        return Blocked(reason=error.message, until=error.until)
    return Retry(after=backoff(attempt, base=5.0, cap=MAX_BACKOFF), reason=error.message)
