"""What every kind's handlers share: parsing, provider resolution, the one path into the core.

A kind module (``dnat``, ``own_kinds``) supplies a :class:`Kind`: how to turn a
body into a :class:`Prepared` (the provider's spec, the provider, the
policies). Everything else is the same for all kinds and all callers (kopf
handlers, the drift pass, wake-ups after a ProviderConfig or annotation
change): take the per-resource lock, read the object again, then act on that
fresh body: a paused object is left alone, a deleting object is only
deleted. The core answers with an outcome; :func:`to_kopf` is the one place
that turns outcomes into kopf's retry exceptions.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import kopf
import pydantic
from pydantic.alias_generators import to_camel

from cloudnet.api.common import GROUP, VERSION, Phase
from cloudnet.api.errors import ErrorClass
from cloudnet.catalog import ProviderConfigSpec
from cloudnet.clouds.ratelimit import Priority, operation_priority
from cloudnet.core.outcome import Blocked, Done, Outcome, Retry, backoff
from cloudnet.core.reconciler import ConfigError, Policy, Reconciler, report_config_error
from cloudnet.core.resource import ANN_CREATE_PENDING, ANN_EXTERNAL_ID, KubeError, Resource
from cloudnet.handlers.context import OperatorContext
from cloudnet.handlers.kube_client import NotFoundError
from cloudnet.handlers.logs import about
from cloudnet.handlers.metrics import outcome_label
from cloudnet.handlers.watch import refresh_pending
from cloudnet.registry import EndpointRefused, UnsupportedProvider

logger = logging.getLogger(__name__)

#: How often a deleting resource that is paused looks again at its annotation.
PAUSED_DELETE_RECHECK = 5.0


@dataclass(frozen=True)
class Prepared:
    """A body made ready for the core: the provider's spec, the provider, the policies."""

    spec: Any
    provider: Any
    policy: Policy
    #: the ProviderConfig and Secret this was resolved with (the InvalidSpec memo's key)
    config_version: str = ""


@dataclass(frozen=True)
class Kind:
    name: str
    plural: str
    prepare: Callable[[OperatorContext, Mapping[str, Any], Resolver], Awaitable[Prepared]]
    #: spec.deletionPolicy when the spec leaves it out
    default_deletion: str = "Delete"


def validation_message(exc: pydantic.ValidationError) -> str:
    """The first errors, each naming the field by its spec path and the rule it broke."""
    parts = []
    for error in exc.errors()[:5]:
        loc = ".".join(to_camel(str(p)) if isinstance(p, str) else f"[{p}]" for p in error["loc"])
        loc = loc.replace(".[", "[")
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"spec.{loc}: {message}" if loc else f"spec: {message}")
    return "; ".join(parts)


def parse(model: type[pydantic.BaseModel], body: Mapping[str, Any]) -> Any:
    spec = body.get("spec")
    if not isinstance(spec, Mapping):
        raise ConfigError(
            ErrorClass.INVALID_SPEC, f"spec: must be an object, not {type(spec).__name__}"
        )
    try:
        return model.model_validate(dict(spec))
    except pydantic.ValidationError as exc:
        raise ConfigError(ErrorClass.INVALID_SPEC, validation_message(exc)) from None


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def resource_of(body: Mapping[str, Any]) -> Resource:
    """The core's view of a body of any shape: odd fields read as absent, never raise."""
    meta = _mapping(body.get("metadata"))
    try:
        generation = int(meta.get("generation") or 1)
    except (TypeError, ValueError):
        generation = 1
    annotations = {
        str(k): str(v) for k, v in _mapping(meta.get("annotations")).items() if v is not None
    }
    return Resource(
        kind=str(body.get("kind") or "DnatRule"),
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        uid=str(meta.get("uid") or ""),
        generation=generation,
        annotations=annotations,
        status=_mapping(body.get("status")),
        deleting=bool(meta.get("deletionTimestamp")),
    )


def namespace_of(body: Mapping[str, Any]) -> str:
    return str(_mapping(body.get("metadata")).get("namespace") or "")


def provider_config_ref(body: Mapping[str, Any]) -> str | None:
    """The ProviderConfig a body names, if it names one in the expected shape."""
    ref = _mapping(_mapping(body.get("spec")).get("providerConfigRef")).get("name")
    return ref if isinstance(ref, str) and ref else None


@dataclass
class Resolver:
    """ProviderConfig and Secret reads, each at most once per name for this resolver's life.

    A handler uses a new one per call; the drift pass uses one per pass, so
    10,000 resources of one namespace cost one ProviderConfig read and one
    Secret read, not 10,000 of each. Reads are answered from the watched
    copies when there are any (as current as the watch; a later change wakes
    the users), from the API server otherwise, or always with ``fresh`` (after
    our own writes to them, which the watch may not have shown yet).
    """

    ctx: OperatorContext
    fresh: bool = False
    _configs: dict[tuple[str, str], Any] = field(default_factory=dict)
    _secrets: dict[tuple[str, str], Any] = field(default_factory=dict)
    #: a Secret came from the API server, not the watched copies: the watch holds only
    #: protected Secrets, so it may have been read before its protection moved its version
    secret_from_api: bool = False

    async def _config(self, namespace: str, name: str) -> dict[str, Any]:
        copies = self.ctx.copies
        found = None if self.fresh or copies is None else copies.config(namespace, name)
        if found is not None:
            return found
        body = await self.ctx.kube.get_provider_config(namespace, name)
        if copies is not None:
            version = _mapping(body.get("metadata")).get("resourceVersion")
            copies.saw("ProviderConfig", namespace, name, str(version or ""))
        return body

    async def _secret(self, namespace: str, name: str) -> tuple[dict[str, str], str]:
        copies = self.ctx.copies
        found = None if self.fresh or copies is None else copies.secret(namespace, name)
        if found is not None:
            return found
        data, version = await self.ctx.kube.get_secret(namespace, name)
        self.secret_from_api = True
        if copies is not None:
            copies.saw("Secret", namespace, name, version.rpartition("/")[2])
        return data, version

    async def _memo(self, memo: dict[tuple[str, str], Any], key: tuple[str, str], read: Any) -> Any:
        if key not in memo:
            try:
                memo[key] = ("ok", await read(*key))
            except (NotFoundError, KubeError, ValueError) as exc:
                memo[key] = ("error", exc)
        state, value = memo[key]
        if state == "error":
            raise value
        return value

    async def provider(
        self,
        namespace: str,
        ref: str,
        *,
        expected: str,
        needed_by: str,
        region: str | None = None,
    ) -> tuple[Any, str]:
        """The provider behind a ProviderConfig of this namespace, and its config version."""
        try:
            pc_body = await self._memo(self._configs, (namespace, ref), self._config)
            try:
                pc = ProviderConfigSpec.model_validate(_mapping(pc_body.get("spec")))
            except pydantic.ValidationError as exc:
                raise ConfigError(
                    ErrorClass.INVALID_SPEC,
                    f"ProviderConfig {ref!r} is invalid: {validation_message(exc)}",
                    until=f"ProviderConfig {ref!r} changes",
                ) from None
            if pc.provider != expected:
                raise ConfigError(
                    ErrorClass.INVALID_SPEC,
                    f"{needed_by} needs a ProviderConfig with provider {expected}; {ref!r} has "
                    f"provider {pc.provider}",
                    until=f"the spec or ProviderConfig {ref!r} changes",
                )
            if _mapping(pc_body.get("metadata")).get("deletionTimestamp"):
                logger.debug("ProviderConfig %s/%s is being deleted; still in use", namespace, ref)
            secret: dict[str, str] = {}
            secret_name, secret_version = "", "rrsa"
            if pc.credentials_secret_ref is None:  # credentialsSource: RRSA
                if not self.ctx.rrsa_allowed(namespace):
                    raise ConfigError(
                        ErrorClass.AUTH_FAILED,
                        f"ProviderConfig {ref!r}: credentialsSource RRSA (the operator's own "
                        f"identity) is not allowed in namespace {namespace!r}; the operator "
                        "allows it with --rrsa-namespace",
                        until=f"ProviderConfig {ref!r} changes",
                    )
            else:
                secret_name = pc.credentials_secret_ref.name
                secret, secret_version = await self._memo(
                    self._secrets, (namespace, secret_name), self._secret
                )
        except NotFoundError as exc:
            raise ConfigError(ErrorClass.DEPENDENCY_NOT_FOUND, str(exc)) from None
        except KubeError as exc:
            raise ConfigError(ErrorClass.TRANSIENT, f"Kubernetes read failed: {exc}") from None
        except ValueError as exc:
            raise ConfigError(ErrorClass.AUTH_FAILED, str(exc)) from None
        meta = _mapping(pc_body.get("metadata"))
        version = f"{meta.get('uid', '')}/{meta.get('generation', '')}:{secret_version}"
        try:
            if region is not None and region != pc.region:
                # A resource's own regionId wins over the ProviderConfig's.
                pc = pc.model_copy(update={"region": region})
            return self.ctx.providers.get(pc, secret), version
        except UnsupportedProvider as exc:
            raise ConfigError(ErrorClass.INVALID_SPEC, str(exc)) from None
        except EndpointRefused as exc:
            # Nothing was sent: the refusal comes before any client exists.
            raise ConfigError(
                ErrorClass.INVALID_SPEC,
                f"ProviderConfig {ref!r} spec.endpoint is refused: {exc.message}",
                until=f"ProviderConfig {ref!r} changes (or the operator allows the endpoint)",
            ) from None
        except ValueError as exc:
            # Only the kind of problem, never the values: they are credentials.
            raise ConfigError(
                ErrorClass.AUTH_FAILED,
                f"Secret {secret_name!r} has unusable credentials: {exc}"
                if pc.credentials_secret_ref is not None
                else f"ProviderConfig {ref!r}: {exc}",
            ) from None


def reconciler(ctx: OperatorContext, resource: Resource, ready: Prepared, attempt: int) -> Any:
    return Reconciler(
        resource=resource,
        kube=ctx.kube,
        provider=ready.provider,
        spec=ready.spec,
        policy=ready.policy,
        config_version=ready.config_version,
        attempt=attempt,
        claimant=lambda external_id: ctx.watch_cache.claimant(
            resource.kind, external_id, resource.uid
        ),
        left_behind=lambda external_id: ctx.watch_cache.creator_gone(resource.kind, external_id),
    )


async def _fresh(ctx: OperatorContext, kind: Kind, namespace: str, name: str) -> Any:
    try:
        return await ctx.kube.get_object(kind.name, namespace, name)
    except KubeError as exc:
        return exc


async def reconcile_object(
    ctx: OperatorContext,
    kind: Kind,
    namespace: str,
    name: str,
    *,
    attempt: int,
    resolver: Resolver | None = None,
) -> Outcome:
    """Create/update/resume and every correction: one path, under the lock, on a fresh body.

    Timed and counted here, and its log lines name the resource (``logs.about``),
    whichever caller (a handler, a wake-up, the drift pass) it runs for.
    """
    started, label = time.monotonic(), "error"
    try:
        with about(kind.name, namespace, name):
            outcome = await _reconcile(ctx, kind, namespace, name, attempt, resolver)
        label = outcome_label(outcome)
        return outcome
    finally:
        ctx.metrics.reconciled(kind.name, "reconcile", label, time.monotonic() - started)


async def _reconcile(
    ctx: OperatorContext,
    kind: Kind,
    namespace: str,
    name: str,
    attempt: int,
    resolver: Resolver | None,
) -> Outcome:
    async with ctx.locks.hold(f"{kind.name}/{namespace}/{name}"):
        body = await _fresh(ctx, kind, namespace, name)
        if body is None:
            return Done("the resource is gone")
        if isinstance(body, Exception):
            return Retry(after=backoff(attempt, base=1.0, cap=60.0), reason=f"read: {body}")
        resource = resource_of(body)
        if resource.deleting:
            # Only the delete path acts on a deleting object, and it has its own handler.
            return Done("deletion has started")
        if resource.paused:
            logger.info("%s is paused; not reconciling", resource.ref)
            return Done("paused")
        try:
            own = resolver is None
            resolver = resolver or Resolver(ctx)
            ready = await kind.prepare(ctx, body, resolver)
            # The ProviderConfig and Secret are kept until the cloud object goes. Read them
            # again after a first protection: its writes move the Secret's version (which a
            # judgement records), also when another handler protected it after our read.
            first = await ctx.protect(body)
            if first or (own and resolver.secret_from_api):
                ready = await kind.prepare(ctx, body, Resolver(ctx, fresh=True))
        except ConfigError as exc:
            return await report_config_error(resource, ctx.kube, exc, attempt=attempt)
        outcome: Outcome = await reconciler(ctx, resource, ready, attempt).reconcile()
        return outcome


async def delete_object(
    ctx: OperatorContext, kind: Kind, namespace: str, name: str, *, attempt: int
) -> Outcome:
    """The delete path, under the lock, on a fresh body; Done releases the finalizer."""
    started, label = time.monotonic(), "error"
    try:
        with about(kind.name, namespace, name):
            async with ctx.locks.hold(f"{kind.name}/{namespace}/{name}"):
                body = await _fresh(ctx, kind, namespace, name)
                if body is None:
                    outcome: Outcome = Done("the resource is gone")
                elif isinstance(body, Exception):
                    outcome = Retry(
                        after=backoff(attempt, base=1.0, cap=60.0), reason=f"read: {body}"
                    )
                else:
                    outcome = await _delete_locked(
                        ctx, kind, body, resource_of(body), attempt=attempt
                    )
        label = outcome_label(outcome)
        return outcome
    finally:
        ctx.metrics.reconciled(kind.name, "delete", label, time.monotonic() - started)


async def _delete_locked(
    ctx: OperatorContext, kind: Kind, body: Mapping[str, Any], resource: Resource, *, attempt: int
) -> Outcome:
    if resource.paused:
        # Paused means hands off the cloud object; but only proof (or Orphan) releases.
        return Retry(
            after=PAUSED_DELETE_RECHECK,
            reason="paused: the delete waits until cloudnet.dev/paused is removed "
            "(or deletionPolicy is set to Orphan)",
            routine=True,
        )
    try:
        ready = await kind.prepare(ctx, body, Resolver(ctx))
    except ConfigError as exc:
        if not resource.status.get("externalId") and not resource.annotations.get(
            ANN_CREATE_PENDING
        ):
            return Done("nothing was ever created in the cloud")
        if _policy_of(body, kind) in ("Orphan", "ObserveOnly"):
            return Done("orphaned on purpose")
        return await report_config_error(
            resource,
            ctx.kube,
            ConfigError(
                exc.error_class,
                f"{exc.message}; the cloud object stays and the delete is retried until the "
                "credentials are back (or set spec.deletionPolicy: Orphan to leave it)",
            ),
            attempt=attempt,
            deleting=True,
        )
    # Every call of the delete (its reads included) goes before creates, updates and reads.
    token = operation_priority.set(Priority.DELETE)
    try:
        outcome: Outcome = await reconciler(ctx, resource, ready, attempt).delete()
    finally:
        operation_priority.reset(token)
    return outcome


def _policy_of(body: Mapping[str, Any], kind: Kind) -> str:
    """ObserveOnly, or the deletion policy, as the raw spec says (the model may refuse it)."""
    spec = _mapping(body.get("spec"))
    if spec.get("managementPolicy") == "ObserveOnly":
        return "ObserveOnly"
    return str(spec.get("deletionPolicy") or kind.default_deletion)


def _condition_true(status: Mapping[str, Any], kind: str) -> bool:
    conditions = status.get("conditions")
    return any(
        isinstance(c, Mapping) and c.get("type") == kind and c.get("status") == "True"
        for c in (conditions if isinstance(conditions, list) else [])
    )


def settled(body: Mapping[str, Any]) -> bool:
    """Whether a body shows nothing left to do: its last reconcile of this spec ended ACTIVE.

    kopf resumes every object when the operator starts; a restart with 10,000
    ACTIVE resources cost 3 Kubernetes requests and a cloud read each. A
    settled one is not resumed: the drift pass checks it against the cloud
    with one listing per scope. Anything else is resumed as before: a spec
    not reconciled yet, a create-pending mark, an adoption asked for, an
    error, a pending or failed cloud state, a recorded drift, a refresh
    asked for (``cloudnet.dev/refresh-requested-at``) and not yet answered.
    """
    meta, status = _mapping(body.get("metadata")), _mapping(body.get("status"))
    annotations = _mapping(meta.get("annotations"))
    if meta.get("deletionTimestamp") or ANN_CREATE_PENDING in annotations:
        return False
    if refresh_pending(body):
        return False
    external_id = status.get("externalId")
    if not external_id or annotations.get(ANN_EXTERNAL_ID, external_id) != external_id:
        return False
    return bool(
        status.get("phase") == Phase.ACTIVE
        and status.get("observedGeneration") == meta.get("generation")
        and not status.get("drift")
        and _condition_true(status, "Ready")
        and _condition_true(status, "Synced")
    )


def to_kopf(outcome: Outcome, ref: str) -> None:
    """The one translation of core outcomes into kopf's vocabulary."""
    if isinstance(outcome, Retry):
        raise kopf.TemporaryError(outcome.reason or "waiting", delay=outcome.after)
    if isinstance(outcome, Blocked):
        logger.info("%s is blocked until %s: %s", ref, outcome.until, outcome.reason)


def register(ctx: OperatorContext, kind: Kind, *, drift_checks: bool = True) -> None:
    """Register one kind's handlers on kopf's default registry.

    ``drift_checks``: a drift pass runs, so a restart may leave settled
    resources to it; without one, every resource is resumed.
    """

    def ident(body: kopf.Body) -> tuple[str, str]:
        meta = body.get("metadata") or {}
        return str(meta.get("namespace") or ""), str(meta.get("name") or "")

    async def on_change(body: kopf.Body, retry: int, **_: Any) -> None:
        namespace, name = ident(body)
        try:
            outcome = await reconcile_object(ctx, kind, namespace, name, attempt=retry)
        except Exception:
            logger.exception("%s %s/%s: unexpected failure", kind.name, namespace, name)
            outcome = Retry(after=backoff(retry, base=5.0, cap=300.0), reason="internal error")
        to_kopf(outcome, f"{kind.name} {namespace}/{name}")

    async def on_delete(body: kopf.Body, retry: int, **_: Any) -> None:
        namespace, name = ident(body)
        try:
            outcome = await delete_object(ctx, kind, namespace, name, attempt=retry)
        except Exception:
            logger.exception("%s %s/%s: unexpected failure", kind.name, namespace, name)
            outcome = Retry(after=backoff(retry, base=5.0, cap=300.0), reason="internal error")
        if isinstance(outcome, Blocked):  # never permanent while deleting
            outcome = Retry(after=backoff(retry, base=15.0, cap=300.0), reason=outcome.reason)
        to_kopf(outcome, f"{kind.name} {namespace}/{name}")

    async def on_event(event: Mapping[str, Any], body: kopf.Body, **_: Any) -> None:
        event_type = event.get("type")
        try:
            ctx.watch_cache.update(kind, event_type, body)
        finally:  # one failing listener must not starve the others of the event
            for listener in ctx.listeners:
                try:
                    listener(kind.name, event_type, body)
                except Exception:
                    logger.exception("%s event listener failed", kind.name)

    resource = (GROUP, VERSION, kind.plural)
    temporary = kopf.ErrorsMode.TEMPORARY
    kopf.on.create(*resource, id="reconcile", errors=temporary)(on_change)
    kopf.on.update(*resource, id="reconcile", field="spec", errors=temporary)(on_change)
    kopf.on.resume(
        *resource,
        id="reconcile",
        errors=temporary,
        when=lambda body, **_: not (drift_checks and settled(body)),
    )(on_change)
    kopf.on.delete(*resource, id="delete", errors=temporary)(on_delete)
    kopf.on.event(*resource, id="watch-cache")(on_event)
