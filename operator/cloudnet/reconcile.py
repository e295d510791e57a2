"""The reconcile core: observe, then create, update or delete, then write status.

Provider-agnostic and kopf-free except for kopf's two error classes, which
carry the retry decision (shared/STYLE.md): :class:`kopf.TemporaryError`
with a delay for "look again later" and :class:`kopf.PermanentError` for
"nothing will change until the spec does".

The guarantees, from crossplane-runtime's managed reconciler:

* Create is guarded. Before the create call the resource gets the
  ``cloudnet.dev/create-pending`` annotation; the cloud id is written to
  ``status.externalId`` the moment the cloud returns it, then the mark goes.
  Finding the mark without an id means the process died in between: the
  object is looked up by the provider's unique key and adopted, never created
  twice.
* An ``InvalidSpec`` answer costs at most one cloud call per generation: the
  verdict is kept in status with its ``observedGeneration`` and not retried
  until the spec changes.
* The finalizer goes (the delete handler returns) only once the cloud says
  the object is gone.
* Nothing is written to the cloud when nothing differs (ACK's delta check),
  and ``ObserveOnly`` never writes at all.

Kubernetes I/O goes through the small :class:`Kube` protocol, so this module
is tested without an API server.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar, cast

import kopf

from cloudnet.api.common import Phase
from cloudnet.clouds.errors import CloudError, CloudTransportError, ErrorClass
from cloudnet.providers.base import Drift, EniProvider, Observation, Provider

logger = logging.getLogger(__name__)

FINALIZER = "cloudnet.dev/finalizer"
ANN_EXTERNAL_ID = "cloudnet.dev/external-id"
ANN_PAUSED = "cloudnet.dev/paused"
ANN_CREATE_PENDING = "cloudnet.dev/create-pending"

#: Longest wait between retries of errors that need someone else to act (DESIGN.md: 5 min).
MAX_BACKOFF = 300.0
#: Longest wait while the cloud reports a PENDING_* state; kept short so ACTIVE shows soon.
MAX_PENDING_POLL = 10.0
#: How soon to look again at an object in a failure state the operator cannot fix.
FAILED_STATE_RECHECK = 60.0

PENDING = {Phase.PENDING_CREATE, Phase.PENDING_UPDATE, Phase.PENDING_DELETE}
ERROR_PHASE_CLASSES = {
    ErrorClass.INVALID_SPEC,
    ErrorClass.CONFLICT,
    ErrorClass.AUTH_FAILED,
    ErrorClass.DEPENDENCY_NOT_FOUND,
}

SpecT = TypeVar("SpecT")


class ConfigError(Exception):
    """The resource cannot be reconciled before a Kubernetes-side problem is fixed."""

    def __init__(self, error_class: ErrorClass, message: str) -> None:
        super().__init__(message)
        self.error_class = error_class
        self.message = message


@dataclass(kw_only=True)
class Resource:
    """What the core needs to know about the Kubernetes object."""

    kind: str
    namespace: str
    name: str
    uid: str = ""
    generation: int
    annotations: Mapping[str, str]
    status: Mapping[str, Any]
    deleting: bool = False

    @property
    def ref(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


class Kube(Protocol):
    """The Kubernetes writes the core makes, each one applied before it returns."""

    async def patch_status(self, resource: Resource, status: Mapping[str, Any]) -> None: ...

    async def patch_annotations(
        self, resource: Resource, annotations: Mapping[str, str | None]
    ) -> None: ...

    async def post_event(
        self, resource: Resource, *, warning: bool, reason: str, message: str
    ) -> None: ...


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def backoff(attempt: int, *, base: float, cap: float) -> float:
    return float(min(cap, base * (2 ** min(attempt, 16))))


@dataclass
class StatusWriter:
    """Accumulates status changes and keeps condition transition times honest."""

    resource: Resource
    kube: Kube
    changes: dict[str, Any] = field(default_factory=dict)

    def _current(self, key: str) -> Any:
        if key in self.changes:
            return self.changes[key]
        return self.resource.status.get(key)

    def set(self, **fields: Any) -> None:
        self.changes.update(fields)

    def condition(self, type_: str, status: bool, reason: str, message: str = "") -> None:
        existing = list(self._current("conditions") or [])
        previous = next((c for c in existing if c.get("type") == type_), None)
        value = "True" if status else "False"
        transition = (
            previous["lastTransitionTime"]
            if previous and previous.get("status") == value and previous.get("lastTransitionTime")
            else now()
        )
        updated = {
            "type": type_,
            "status": value,
            "reason": reason,
            "message": message,
            "lastTransitionTime": transition,
            "observedGeneration": self.resource.generation,
        }
        others = [c for c in existing if c.get("type") != type_]
        self.changes["conditions"] = sorted([*others, updated], key=lambda c: c["type"])

    async def flush(self) -> None:
        if not self.changes:
            return
        await self.kube.patch_status(self.resource, self.changes)
        # Later reads see what was written, as the API server would answer.
        self.resource.status = {**self.resource.status, **self.changes}
        self.changes = {}


def _ready_reason(phase: Phase | None) -> str:
    return (
        {
            Phase.ACTIVE: "Available",
            Phase.PENDING_CREATE: "Creating",
            Phase.PENDING_UPDATE: "Updating",
            Phase.PENDING_DELETE: "Deleting",
            Phase.INACTIVE: "Unavailable",
            Phase.EIP_FREEZED: "Unavailable",
        }.get(phase, "Unknown")
        if phase
        else "Unknown"
    )


class Reconciler(Generic[SpecT]):
    """Drives one resource of one kind towards its spec through one provider."""

    def __init__(
        self,
        *,
        resource: Resource,
        kube: Kube,
        provider: Provider[SpecT],
        spec: SpecT,
        observe_only: bool,
        attempt: int = 0,
    ) -> None:
        self.res = resource
        self.kube = kube
        self.provider = provider
        self.spec = spec
        self.observe_only = observe_only
        self.attempt = attempt
        self.status = StatusWriter(resource, kube)

    # -- the entry points -------------------------------------------------------------

    async def reconcile(self) -> None:
        """Create/update/resume: make the cloud match the spec, then report."""
        if self._invalid_spec_already_reported():
            raise kopf.PermanentError(
                "the cloud refused this generation of the spec (InvalidSpec); change the spec"
            )
        try:
            observation = await self._observe_or_create()
            if observation is not None:
                await self._converge(observation)
        except CloudError as exc:
            if exc.error_class is ErrorClass.NOT_FOUND:
                # Gone between our observe and our write: the next pass creates it again.
                await self._event(True, "Recreating", f"cloud object vanished: {exc.code}")
                self.status.set(externalId=None, lastRequestId=exc.request_id)
                await self.status.flush()
                raise kopf.TemporaryError("cloud object vanished; recreating", delay=1.0) from exc
            await self._cloud_failure(exc)
        except CloudTransportError as exc:
            await self._transient(str(exc), retry_after=None, code="Transport")

    async def delete(self, *, orphan: bool) -> None:
        """Delete handler: returns only when the cloud object is gone (or left on purpose)."""
        external_id = self._external_id()
        if orphan or self.observe_only:
            why = "ObserveOnly" if self.observe_only else "deletionPolicy Orphan"
            await self._event(
                False, "Orphaned", f"cloud object {external_id} left in place ({why})"
            )
            return
        try:
            if external_id is None and self.res.annotations.get(ANN_CREATE_PENDING):
                found = await self.provider.find(self.spec)
                external_id = found.external_id if found.exists else None
                if external_id is not None:
                    # Follow it by id from now on: a lookup by key skips PENDING_DELETE rules.
                    self.status.set(externalId=external_id, lastRequestId=found.request_id)
                    await self.status.flush()
            if external_id is None:
                return
            observation = await self.provider.observe(self.spec, external_id)
            if not observation.exists:
                await self._event(False, "Deleted", f"cloud object {external_id} is gone")
                return
            if observation.phase in (Phase.PENDING_CREATE, Phase.PENDING_UPDATE):
                # The cloud refuses to delete a rule mid-change (NAT.0009): let it settle.
                self.status.set(lastRequestId=observation.request_id, phase=observation.phase)
                await self.status.flush()
                raise kopf.TemporaryError(
                    f"waiting for {external_id} to leave {observation.phase} before deleting",
                    delay=self._poll_delay(),
                )
            if observation.phase != Phase.PENDING_DELETE:
                result = await self.provider.delete(self.spec, external_id)
                await self._event(False, "DeleteRequested", f"deleting cloud object {external_id}")
                self.status.set(lastRequestId=result.request_id, phase=Phase.PENDING_DELETE)
            else:
                self.status.set(lastRequestId=observation.request_id, phase=Phase.PENDING_DELETE)
            self.status.condition("Ready", False, "Deleting", "waiting for the cloud to delete")
            await self.status.flush()
            raise kopf.TemporaryError(
                f"waiting for the cloud to delete {external_id}",
                delay=backoff(self.attempt, base=0.5, cap=MAX_PENDING_POLL),
            )
        except CloudError as exc:
            if exc.error_class is ErrorClass.NOT_FOUND:
                await self._event(False, "Deleted", f"cloud object {external_id} is gone")
                return
            await self._cloud_failure(exc)
        except CloudTransportError as exc:
            await self._transient(str(exc), retry_after=None, code="Transport")

    # -- steps --------------------------------------------------------------------------

    def _external_id(self) -> str | None:
        value = self.res.status.get("externalId") or self.res.annotations.get(ANN_EXTERNAL_ID)
        return str(value) if value else None

    def _invalid_spec_already_reported(self) -> bool:
        status = self.res.status
        if status.get("phase") != Phase.ERROR or status.get("observedGeneration") != (
            self.res.generation
        ):
            return False
        if not status.get("lastError"):
            return False  # a Kubernetes-side problem made no cloud call: nothing to save
        synced: Mapping[str, Any] = next(
            (c for c in status.get("conditions") or [] if c.get("type") == "Synced"), {}
        )
        return bool(synced.get("reason") == ErrorClass.INVALID_SPEC)

    async def _observe_or_create(self) -> Observation | None:
        external_id = self._external_id()
        if external_id is not None:
            observation = await self.provider.observe(self.spec, external_id)
            if observation.exists:
                if self.res.status.get("externalId") != external_id:
                    self.status.set(externalId=external_id)
                    await self._event(False, "Adopted", f"adopted cloud object {external_id}")
                return observation
            if self.observe_only:
                raise CloudError(
                    code="NotFound",
                    message=f"cloud object {external_id} does not exist",
                    error_class=ErrorClass.DEPENDENCY_NOT_FOUND,
                    http_status=404,
                    request_id=observation.request_id,
                )
            await self._event(
                True, "Recreating", f"cloud object {external_id} is gone; creating it again"
            )
            self.status.set(externalId=None)
        if self.observe_only or self.res.annotations.get(ANN_CREATE_PENDING):
            found = await self.provider.find(self.spec)
            if found.exists:
                assert found.external_id is not None
                self.status.set(externalId=found.external_id, lastRequestId=found.request_id)
                await self.status.flush()
                if self.res.annotations.get(ANN_CREATE_PENDING):
                    await self.kube.patch_annotations(self.res, {ANN_CREATE_PENDING: None})
                await self._event(
                    False, "Adopted", f"found cloud object {found.external_id} by its unique key"
                )
                return found
            if self.observe_only:
                raise CloudError(
                    code="NotFound",
                    message="no cloud object matches this spec's unique key",
                    error_class=ErrorClass.DEPENDENCY_NOT_FOUND,
                    http_status=404,
                    request_id=found.request_id,
                )
        await self._create()
        return None

    async def _create(self) -> None:
        await self.kube.patch_annotations(self.res, {ANN_CREATE_PENDING: now()})
        try:
            result = await self.provider.create(self.spec)
        except CloudError as exc:
            # A definite "no" committed nothing, so the guard can go. A throttle or
            # a 5xx may hide a committed write: keep the mark, look it up next time.
            if not exc.error_class.retryable_soon:
                await self.kube.patch_annotations(self.res, {ANN_CREATE_PENDING: None})
            raise
        # Without an answer (transport error) the mark stays: the next attempt looks it up.
        observation = result.observation
        phase = observation.phase if observation else Phase.PENDING_CREATE
        self.status.set(
            externalId=result.external_id,
            phase=phase,
            lastRequestId=result.request_id,
            observedGeneration=self.res.generation,
            lastError=None,
        )
        if observation is not None:
            self.status.set(observed=dict(observation.observed))
        self.status.condition("Ready", phase == Phase.ACTIVE, _ready_reason(phase))
        self.status.condition(
            "Synced", True, "Created", f"created cloud object {result.external_id}"
        )
        await self.status.flush()
        await self.kube.patch_annotations(self.res, {ANN_CREATE_PENDING: None})
        await self._event(False, "Created", f"created cloud object {result.external_id}")
        if phase != Phase.ACTIVE:
            raise kopf.TemporaryError(
                f"cloud object {result.external_id} is {phase}", delay=self._poll_delay()
            )

    async def _converge(self, observation: Observation) -> None:
        phase = observation.phase
        if phase == Phase.PENDING_CREATE and self.res.status.get("phase") == Phase.PENDING_UPDATE:
            # Clouds with one "Pending" state for both (ENS): we know it was an update.
            phase = Phase.PENDING_UPDATE
        if self.observe_only:
            await self._report(observation, synced_reason="Observed")
            return
        if phase in PENDING:
            await self._report(observation, synced_reason="Waiting", phase=phase)
            raise kopf.TemporaryError(f"cloud object is {phase}", delay=self._poll_delay())
        if phase in (Phase.INACTIVE, Phase.EIP_FREEZED):
            await self._report(observation, synced_reason="Waiting")
            raise kopf.TemporaryError(f"cloud object is {phase}", delay=FAILED_STATE_RECHECK)
        if not observation.up_to_date:
            # Say what differs before correcting it; the next report in line clears it.
            self.status.set(drift=self._drift_entries(observation))
        if not observation.up_to_date and getattr(self.provider, "replaces_on_update", False):
            await self._replace(observation)
            return
        if not observation.up_to_date:
            result = await self.provider.update(self.spec, observation)
            changed = ", ".join(d.path for d in observation.drift)
            await self._event(False, "Updated", f"updated cloud object: {changed}")
            updated = result.observation or observation
            new_phase = updated.phase if result.observation else Phase.PENDING_UPDATE
            self.status.set(lastRequestId=result.request_id, **self.after_update())
            await self._report(updated, synced_reason="Updated", phase=new_phase, drift=False)
            if new_phase != Phase.ACTIVE:
                raise kopf.TemporaryError(f"cloud object is {new_phase}", delay=self._poll_delay())
            return
        await self._report(observation, synced_reason="UpToDate")

    def after_update(self) -> dict[str, Any]:
        """Status fields a kind records once an update call has succeeded."""
        return {}

    async def _replace(self, observation: Observation) -> None:
        """Delete, then add, for clouds without an update call (SAG).

        The create-pending mark goes on before the delete, so every crash point
        is finished by the next pass: before the delete, the old object is
        observed and replaced again; between delete and add, the old id is gone
        and the mark makes the next pass look the new object up by key, then
        create it; after the add, the lookup by key adopts it.
        """
        assert observation.external_id is not None
        old_id = observation.external_id
        changed = ", ".join(d.path for d in observation.drift)
        self.status.set(phase=Phase.PENDING_UPDATE, lastRequestId=observation.request_id)
        self.status.condition(
            "Synced", False, "Replacing", f"replacing {old_id} (delete, then add): {changed}"
        )
        await self.status.flush()
        await self.kube.patch_annotations(self.res, {ANN_CREATE_PENDING: now()})
        deleted = await self.provider.delete(self.spec, old_id)
        await self._event(False, "Deleted", f"deleted {old_id} to replace it: {changed}")
        self.status.set(externalId=None, lastRequestId=deleted.request_id)
        await self.status.flush()
        try:
            result = await self.provider.create(self.spec)
        except CloudError as exc:
            if not exc.error_class.retryable_soon:
                await self.kube.patch_annotations(self.res, {ANN_CREATE_PENDING: None})
            raise
        self.status.set(
            externalId=result.external_id,
            phase=Phase.ACTIVE,
            lastRequestId=result.request_id,
            observedGeneration=self.res.generation,
            lastError=None,
            drift=[],
        )
        self.status.condition("Ready", True, "Available")
        self.status.condition(
            "Synced", True, "Replaced", f"replaced {old_id} with {result.external_id}"
        )
        await self.status.flush()
        await self.kube.patch_annotations(self.res, {ANN_CREATE_PENDING: None})
        await self._event(False, "Created", f"added {result.external_id} in place of {old_id}")

    async def _report(
        self,
        observation: Observation,
        *,
        synced_reason: str,
        phase: Phase | None = None,
        drift: bool = True,
    ) -> None:
        phase = phase or observation.phase
        self.status.set(
            phase=phase,
            observedGeneration=self.res.generation,
            observed=dict(observation.observed),
            lastError=None,
        )
        if observation.request_id and "lastRequestId" not in self.status.changes:
            self.status.set(lastRequestId=observation.request_id)
        if drift or self.observe_only:
            self.status.set(drift=self._drift_entries(observation) if self.observe_only else [])
        self.status.condition("Ready", phase == Phase.ACTIVE, _ready_reason(phase))
        message = (
            f"{len(observation.drift)} field(s) differ from the spec"
            if self.observe_only and observation.drift
            else ""
        )
        self.status.condition("Synced", True, synced_reason, message)
        await self.status.flush()

    def _drift_entries(self, observation: Observation) -> list[dict[str, Any]]:
        """status.drift, keeping the first time each path was seen to differ."""
        since = {d.get("path"): d.get("since") for d in self.res.status.get("drift") or []}
        return [
            {
                "path": d.path,
                "desired": d.desired,
                "observed": d.observed,
                "since": since.get(d.path) or now(),
            }
            for d in observation.drift
        ]

    def _poll_delay(self) -> float:
        return backoff(self.attempt, base=0.5, cap=MAX_PENDING_POLL)

    # -- failures -----------------------------------------------------------------------

    async def _cloud_failure(self, exc: CloudError) -> None:
        cls = exc.error_class
        if cls.retryable_soon:
            await self._transient(exc.message, retry_after=exc.retry_after, code=exc.code, exc=exc)
            return
        last_error = {"code": exc.code, "message": exc.message, "requestId": exc.request_id}
        self.status.set(
            phase=Phase.ERROR,
            lastError=last_error,
            lastRequestId=exc.request_id,
            observedGeneration=self.res.generation,
        )
        message = f"{exc.code}: {exc.message}"
        self.status.condition("Ready", False, cls.value, message)
        self.status.condition("Synced", False, cls.value, message)
        await self.status.flush()
        await self._event(True, cls.value, message)
        if cls is ErrorClass.INVALID_SPEC:
            raise kopf.PermanentError(message) from exc
        raise kopf.TemporaryError(
            message, delay=backoff(self.attempt, base=15.0, cap=MAX_BACKOFF)
        ) from exc

    async def _transient(
        self,
        message: str,
        *,
        retry_after: float | None,
        code: str,
        exc: CloudError | None = None,
    ) -> None:
        reason = exc.error_class.value if exc else ErrorClass.TRANSIENT.value
        self.status.condition("Synced", False, reason, f"{code}: {message}; retrying")
        if exc is not None:
            self.status.set(
                lastError={"code": exc.code, "message": exc.message, "requestId": exc.request_id},
                lastRequestId=exc.request_id,
            )
        await self.status.flush()
        await self._event(True, reason, f"{code}: {message}; retrying")
        delay = retry_after if retry_after else backoff(self.attempt, base=1.0, cap=60.0)
        raise kopf.TemporaryError(f"{code}: {message}", delay=delay)

    async def _event(self, warning: bool, reason: str, message: str) -> None:
        await self.kube.post_event(self.res, warning=warning, reason=reason, message=message)


async def report_config_error(
    resource: Resource, kube: Kube, error: ConfigError, *, attempt: int
) -> None:
    """A problem on the Kubernetes side (ProviderConfig, Secret, spec): no cloud call made."""
    writer = StatusWriter(resource, kube)
    # No lastError: that field holds the cloud's words, and there were none.
    writer.set(phase=Phase.ERROR, observedGeneration=resource.generation, lastError=None)
    writer.condition("Ready", False, error.error_class.value, error.message)
    writer.condition("Synced", False, error.error_class.value, error.message)
    await writer.flush()
    await kube.post_event(
        resource, warning=True, reason=error.error_class.value, message=error.message
    )
    if error.error_class is ErrorClass.INVALID_SPEC:
        raise kopf.PermanentError(error.message)
    raise kopf.TemporaryError(error.message, delay=backoff(attempt, base=5.0, cap=MAX_BACKOFF))


class NicReconciler(Reconciler[Any]):
    """NetworkInterfaceConfig: the ENI exists already; keep its attributes, never create it.

    The first observation is recorded in ``status.original`` (what deletion
    policy Restore puts back). Write-only parameters (ECS shows no queue
    sizes) are sent once per spec generation, counted in
    ``status.writeOnlyGeneration``.
    """

    @property
    def eni(self) -> EniProvider[Any]:
        return cast(EniProvider[Any], self.provider)

    async def _observe_or_create(self) -> Observation | None:
        eni_id = self.spec.network_interface_id
        observation = await self.provider.observe(self.spec, eni_id)
        if not observation.exists:
            raise CloudError(
                code="InvalidEniId.NotFound",
                message=(
                    f"ENI {eni_id} does not exist in {self.spec.region_id}; the operator "
                    "never creates ENIs"
                ),
                error_class=ErrorClass.DEPENDENCY_NOT_FOUND,
                http_status=404,
                request_id=observation.request_id,
            )
        if self.res.status.get("externalId") != eni_id:
            self.status.set(externalId=eni_id)
        if not self.observe_only and not self.res.status.get("original"):
            self.status.set(original=self.eni.snapshot(observation))
            await self._event(False, "Recorded", f"recorded the original attributes of {eni_id}")
        write_only = self.eni.write_only(self.spec)
        if (
            write_only
            and not self.observe_only
            and self.res.status.get("writeOnlyGeneration") != self.res.generation
        ):
            forced = tuple(
                Drift(path=f"spec.{key[0].lower()}{key[1:]}", desired=str(value), observed=None)
                for key, value in write_only.items()
            )
            observation = dataclasses.replace(observation, drift=observation.drift + forced)
        return observation

    def after_update(self) -> dict[str, Any]:
        return {"writeOnlyGeneration": self.res.generation}

    async def delete(self, *, orphan: bool) -> None:
        eni_id = self.spec.network_interface_id
        original = self.res.status.get("original")
        if orphan or self.observe_only or not original:
            why = "ObserveOnly" if self.observe_only else "deletionPolicy Orphan"
            if not original and not orphan and not self.observe_only:
                why = "no original attributes were recorded"
            await self._event(False, "Orphaned", f"ENI {eni_id} left as it is ({why})")
            return
        params = self.eni.restore_params(self.spec, original)
        if not params:
            return
        try:
            result = await self.eni.modify(self.spec, params)
        except CloudError as exc:
            if exc.code == "InvalidEniId.NotFound":
                await self._event(False, "Gone", f"ENI {eni_id} is gone: nothing to restore")
                return
            await self._cloud_failure(exc)
        except CloudTransportError as exc:
            await self._transient(str(exc), retry_after=None, code="Transport")
        else:
            restored = ", ".join(sorted(params))
            await self._event(False, "Restored", f"restored {restored} on {eni_id}")
            self.status.set(lastRequestId=result.request_id)
            await self.status.flush()
