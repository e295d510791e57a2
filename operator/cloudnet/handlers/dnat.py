"""kopf handlers for ``DnatRule``: parse, resolve the provider, hand over to the core.

Create, update (spec changes only), resume and delete all land in the same
idempotent reconcile; the retry decision travels back as kopf's
TemporaryError/PermanentError raised by the core.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import kopf
import pydantic

from cloudnet.api.common import GROUP, VERSION
from cloudnet.api.dnat import DnatRuleSpec
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

#: spec block → the provider its ProviderConfig must name
BLOCK_PROVIDER = {
    "huawei_nat": "huawei-nat",
    "alibaba_ens": "alibaba-ens",
    "alibaba_sag": "alibaba-sag",
}


def validation_message(exc: pydantic.ValidationError) -> str:
    """The first errors, each naming the field by its spec path and the rule it broke."""
    from pydantic.alias_generators import to_camel

    parts = []
    for error in exc.errors()[:5]:
        loc = ".".join(to_camel(str(p)) if isinstance(p, str) else f"[{p}]" for p in error["loc"])
        loc = loc.replace(".[", "[")
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"spec.{loc}: {message}" if loc else f"spec: {message}")
    return "; ".join(parts)


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


async def prepare(ctx: OperatorContext, body: Mapping[str, Any]) -> tuple[DnatRuleSpec, Any, Any]:
    """Model, ProviderConfig, Secret and provider; a problem here makes no cloud call."""
    namespace = str(body.get("metadata", {}).get("namespace"))
    try:
        spec = DnatRuleSpec.model_validate(dict(body.get("spec") or {}))
    except pydantic.ValidationError as exc:
        raise ConfigError(ErrorClass.INVALID_SPEC, validation_message(exc)) from None
    block_name = next(name for name in BLOCK_PROVIDER if getattr(spec, name) is not None)
    block = getattr(spec, block_name)
    ref = spec.provider_config_ref.name
    try:
        pc_body = await ctx.kube.get_provider_config(namespace, ref)
        try:
            pc = ProviderConfigSpec.model_validate(pc_body.get("spec") or {})
        except pydantic.ValidationError as exc:
            raise ConfigError(
                ErrorClass.INVALID_SPEC,
                f"ProviderConfig {ref!r} is invalid: {validation_message(exc)}",
            ) from None
        if pc.provider != BLOCK_PROVIDER[block_name]:
            raise ConfigError(
                ErrorClass.INVALID_SPEC,
                f"spec.{block_name} needs a ProviderConfig with provider "
                f"{BLOCK_PROVIDER[block_name]}; {ref!r} has provider {pc.provider}",
            )
        secret = await ctx.kube.get_secret_data(namespace, pc.credentials_secret_ref.name)
    except NotFoundError as exc:
        raise ConfigError(ErrorClass.DEPENDENCY_NOT_FOUND, str(exc)) from None
    try:
        provider = ctx.providers.get(pc, secret)
    except UnsupportedProvider as exc:
        raise ConfigError(ErrorClass.INVALID_SPEC, str(exc)) from None
    except ValueError as exc:
        # Only the kind of problem, never the values: they are credentials.
        raise ConfigError(
            ErrorClass.AUTH_FAILED,
            f"Secret {pc.credentials_secret_ref.name!r} has unusable credentials: {exc}",
        ) from None
    return spec, block, provider


async def reconcile_body(
    ctx: OperatorContext, body: Mapping[str, Any], *, attempt: int, drift: bool = False
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
            spec, block, provider = await prepare(ctx, body)
        except ConfigError as exc:
            await report_config_error(resource, ctx.kube, exc, attempt=attempt)
            return
        await Reconciler(
            resource=resource,
            kube=ctx.kube,
            provider=provider,
            spec=block,
            observe_only=spec.effective_management_policy == "ObserveOnly",
            attempt=attempt,
        ).reconcile()


async def delete_body(ctx: OperatorContext, body: Mapping[str, Any], *, attempt: int) -> None:
    resource = resource_of(body)
    if resource.annotations.get(ANN_PAUSED) == "true":
        # Paused means hands off, for the cloud object too.
        logger.info("%s is paused; leaving its cloud object in place", resource.ref)
        return
    async with ctx.locks.hold(resource.uid):
        try:
            spec, block, provider = await prepare(ctx, body)
        except ConfigError as exc:
            if not resource.status.get("externalId") and not resource.annotations.get(
                ANN_CREATE_PENDING
            ):
                return  # nothing was ever created: nothing to clean up
            await report_config_error(resource, ctx.kube, exc, attempt=attempt)
            return
        await Reconciler(
            resource=resource,
            kube=ctx.kube,
            provider=provider,
            spec=block,
            observe_only=spec.effective_management_policy == "ObserveOnly",
            attempt=attempt,
        ).delete(orphan=spec.effective_deletion_policy == "Orphan")


def register(ctx: OperatorContext) -> None:
    """Register the DnatRule handlers on kopf's default registry."""

    async def dnatrule(body: kopf.Body, retry: int, **_: Any) -> None:
        await reconcile_body(ctx, body, attempt=retry)

    async def dnatrule_delete(body: kopf.Body, retry: int, **_: Any) -> None:
        await delete_body(ctx, body, attempt=retry)

    async def dnatrule_event(event: Mapping[str, Any], body: kopf.Body, **_: Any) -> None:
        ctx.watch_cache.update(event.get("type"), body)

    kind = (GROUP, VERSION, "dnatrules")
    kopf.on.create(*kind, id="reconcile", errors=kopf.ErrorsMode.TEMPORARY)(dnatrule)
    kopf.on.update(*kind, id="reconcile", field="spec", errors=kopf.ErrorsMode.TEMPORARY)(dnatrule)
    kopf.on.resume(*kind, id="reconcile", errors=kopf.ErrorsMode.TEMPORARY)(dnatrule)
    kopf.on.delete(*kind, id="delete", errors=kopf.ErrorsMode.TEMPORARY)(dnatrule_delete)
    kopf.on.event(*kind, id="watch-cache")(dnatrule_event)
