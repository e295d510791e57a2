"""What every kind's handlers share: parsing, provider resolution, the reconcile entry points.

A kind module (``dnat``, ``nic``) supplies a :class:`Kind`: how to turn a
body into a :class:`Prepared` (model, provider, policies) and which
reconciler drives it. Everything else — locks, the paused annotation,
Kubernetes-side errors, kopf registration — is the same for all kinds.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import kopf
import pydantic
from pydantic.alias_generators import to_camel

from cloudnet.api.common import GROUP, VERSION
from cloudnet.api.provider_config import ProviderConfigSpec
from cloudnet.clouds.errors import ErrorClass
from cloudnet.handlers.context import OperatorContext
from cloudnet.handlers.kube import NotFoundError
from cloudnet.providers.registry import UnsupportedProvider
from cloudnet.reconcile import (
    ANN_CREATE_PENDING,
    ANN_PAUSED,
    ConfigError,
    Reconciler,
    Resource,
    report_config_error,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prepared:
    """A body made ready for the core: the provider's spec, the provider, the policies."""

    spec: Any
    provider: Any
    observe_only: bool
    orphan_on_delete: bool


@dataclass(frozen=True)
class Kind:
    name: str
    plural: str
    prepare: Callable[[OperatorContext, Mapping[str, Any]], Awaitable[Prepared]]
    reconciler: type[Reconciler[Any]] = Reconciler


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
    try:
        return model.model_validate(dict(body.get("spec") or {}))
    except pydantic.ValidationError as exc:
        raise ConfigError(ErrorClass.INVALID_SPEC, validation_message(exc)) from None


def resource_of(body: Mapping[str, Any]) -> Resource:
    meta = body.get("metadata", {})
    return Resource(
        kind=str(body.get("kind", "DnatRule")),
        namespace=str(meta.get("namespace")),
        name=str(meta.get("name")),
        uid=str(meta.get("uid", "")),
        generation=int(meta.get("generation") or 1),
        annotations=dict(meta.get("annotations") or {}),
        status=dict(body.get("status") or {}),
        deleting=bool(meta.get("deletionTimestamp")),
    )


async def resolve_provider(
    ctx: OperatorContext,
    namespace: str,
    ref: str,
    *,
    expected: str,
    needed_by: str,
    region: str | None = None,
) -> Any:
    """The provider behind a ProviderConfig of this namespace, checked against ``expected``."""
    try:
        pc_body = await ctx.kube.get_provider_config(namespace, ref)
        try:
            pc = ProviderConfigSpec.model_validate(pc_body.get("spec") or {})
        except pydantic.ValidationError as exc:
            raise ConfigError(
                ErrorClass.INVALID_SPEC,
                f"ProviderConfig {ref!r} is invalid: {validation_message(exc)}",
            ) from None
        if pc.provider != expected:
            raise ConfigError(
                ErrorClass.INVALID_SPEC,
                f"{needed_by} needs a ProviderConfig with provider {expected}; {ref!r} has "
                f"provider {pc.provider}",
            )
        secret = await ctx.kube.get_secret_data(namespace, pc.credentials_secret_ref.name)
    except NotFoundError as exc:
        raise ConfigError(ErrorClass.DEPENDENCY_NOT_FOUND, str(exc)) from None
    try:
        if region is not None and region != pc.region:
            # A resource's own regionId wins over the ProviderConfig's (DESIGN.md).
            pc = pc.model_copy(update={"region": region})
        return ctx.providers.get(pc, secret)
    except UnsupportedProvider as exc:
        raise ConfigError(ErrorClass.INVALID_SPEC, str(exc)) from None
    except ValueError as exc:
        # Only the kind of problem, never the values: they are credentials.
        raise ConfigError(
            ErrorClass.AUTH_FAILED,
            f"Secret {pc.credentials_secret_ref.name!r} has unusable credentials: {exc}",
        ) from None


def _reconciler(
    kind: Kind, ctx: OperatorContext, resource: Resource, ready: Prepared, attempt: int
) -> Reconciler[Any]:
    return kind.reconciler(
        resource=resource,
        kube=ctx.kube,
        provider=ready.provider,
        spec=ready.spec,
        observe_only=ready.observe_only,
        attempt=attempt,
    )


async def reconcile_body(
    ctx: OperatorContext,
    kind: Kind,
    body: Mapping[str, Any],
    *,
    attempt: int,
    drift: bool = False,
) -> None:
    """Create/update/resume, and the drift check's correction: one idempotent path."""
    resource = resource_of(body)
    if resource.annotations.get(ANN_PAUSED) == "true":
        logger.info("%s is paused; not reconciling", resource.ref)
        return
    async with ctx.locks.hold(resource.uid):
        if drift:
            # The cached body may be older than what a handler just wrote.
            fresh = await ctx.kube.get_object(resource.kind, resource.namespace, resource.name)
            if fresh is None:
                return
            body, resource = fresh, resource_of(fresh)
        try:
            ready = await kind.prepare(ctx, body)
        except ConfigError as exc:
            await report_config_error(resource, ctx.kube, exc, attempt=attempt)
            return
        await _reconciler(kind, ctx, resource, ready, attempt).reconcile()


async def delete_body(
    ctx: OperatorContext, kind: Kind, body: Mapping[str, Any], *, attempt: int
) -> None:
    resource = resource_of(body)
    if resource.annotations.get(ANN_PAUSED) == "true":
        # Paused means hands off, for the cloud object too.
        logger.info("%s is paused; leaving its cloud object in place", resource.ref)
        return
    async with ctx.locks.hold(resource.uid):
        try:
            ready = await kind.prepare(ctx, body)
        except ConfigError as exc:
            if not resource.status.get("externalId") and not resource.annotations.get(
                ANN_CREATE_PENDING
            ):
                return  # nothing was ever done in the cloud: nothing to clean up
            await report_config_error(resource, ctx.kube, exc, attempt=attempt)
            return
        await _reconciler(kind, ctx, resource, ready, attempt).delete(orphan=ready.orphan_on_delete)


def register(ctx: OperatorContext, kind: Kind) -> None:
    """Register one kind's handlers on kopf's default registry."""

    async def on_change(body: kopf.Body, retry: int, **_: Any) -> None:
        await reconcile_body(ctx, kind, body, attempt=retry)

    async def on_delete(body: kopf.Body, retry: int, **_: Any) -> None:
        await delete_body(ctx, kind, body, attempt=retry)

    async def on_event(event: Mapping[str, Any], body: kopf.Body, **_: Any) -> None:
        ctx.watch_cache.update(event.get("type"), body)

    resource = (GROUP, VERSION, kind.plural)
    temporary = kopf.ErrorsMode.TEMPORARY
    kopf.on.create(*resource, id="reconcile", errors=temporary)(on_change)
    kopf.on.update(*resource, id="reconcile", field="spec", errors=temporary)(on_change)
    kopf.on.resume(*resource, id="reconcile", errors=temporary)(on_change)
    kopf.on.delete(*resource, id="delete", errors=temporary)(on_delete)
    kopf.on.event(*resource, id="watch-cache")(on_event)
