"""kopf handlers for ``DnatRule``: parse, resolve the provider, hand over to the core.

Create, update (spec changes only), resume and delete all land in the same
idempotent reconcile; the retry decision travels back as kopf's
TemporaryError/PermanentError raised by the core.
"""

from __future__ import annotations

import logging
from typing import Any

import kopf
import pydantic

from cloudnet.api.common import GROUP, VERSION
from cloudnet.api.dnat import DnatRuleSpec, HuaweiNatSpec
from cloudnet.api.provider_config import ProviderConfigSpec
from cloudnet.clouds.errors import ErrorClass
from cloudnet.handlers.context import OperatorContext
from cloudnet.handlers.kube import NotFoundError
from cloudnet.providers.registry import UnsupportedProvider
from cloudnet.reconcile import (
    ANN_PAUSED,
    ConfigError,
    Reconciler,
    Resource,
    report_config_error,
)

logger = logging.getLogger(__name__)

#: spec block → the provider its ProviderConfig must name
BLOCK_PROVIDER = {"huawei_nat": "huawei-nat"}


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


def resource_of(body: kopf.Body) -> Resource:
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


async def _prepare(
    ctx: OperatorContext, body: kopf.Body, resource: Resource
) -> tuple[DnatRuleSpec, HuaweiNatSpec, Any]:
    """Model, ProviderConfig, Secret and provider; a problem here makes no cloud call."""
    try:
        spec = DnatRuleSpec.model_validate(dict(body.get("spec") or {}))
    except pydantic.ValidationError as exc:
        raise ConfigError(ErrorClass.INVALID_SPEC, validation_message(exc)) from None
    block_name = next(name for name in BLOCK_PROVIDER if getattr(spec, name) is not None)
    block = getattr(spec, block_name)
    ref = spec.provider_config_ref.name
    try:
        pc_body = await ctx.kube.get_provider_config(resource.namespace, ref)
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
        secret = await ctx.kube.get_secret_data(resource.namespace, pc.credentials_secret_ref.name)
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


def register(ctx: OperatorContext) -> None:
    """Register the DnatRule handlers on kopf's default registry."""

    async def reconcile(body: kopf.Body, retry: int, **_: Any) -> None:
        resource = resource_of(body)
        if resource.annotations.get(ANN_PAUSED) == "true":
            logger.info("%s is paused; not reconciling", resource.ref)
            return
        try:
            spec, block, provider = await _prepare(ctx, body, resource)
        except ConfigError as exc:
            await report_config_error(resource, ctx.kube, exc, attempt=retry)
            return
        await Reconciler(
            resource=resource,
            kube=ctx.kube,
            provider=provider,
            spec=block,
            observe_only=spec.effective_management_policy == "ObserveOnly",
            attempt=retry,
        ).reconcile()

    async def delete(body: kopf.Body, retry: int, **_: Any) -> None:
        resource = resource_of(body)
        if resource.annotations.get(ANN_PAUSED) == "true":
            # Paused means hands off, for the cloud object too.
            logger.info("%s is paused; leaving its cloud object in place", resource.ref)
            return
        try:
            spec, block, provider = await _prepare(ctx, body, resource)
        except ConfigError as exc:
            if not resource.status.get("externalId") and not resource.annotations.get(
                "cloudnet.dev/create-pending"
            ):
                return  # nothing was ever created: nothing to clean up
            await report_config_error(resource, ctx.kube, exc, attempt=retry)
            return
        await Reconciler(
            resource=resource,
            kube=ctx.kube,
            provider=provider,
            spec=block,
            observe_only=spec.effective_management_policy == "ObserveOnly",
            attempt=retry,
        ).delete(orphan=spec.effective_deletion_policy == "Orphan")

    kind = (GROUP, VERSION, "dnatrules")
    kopf.on.create(*kind, errors=kopf.ErrorsMode.TEMPORARY)(reconcile)
    kopf.on.update(*kind, field="spec", errors=kopf.ErrorsMode.TEMPORARY)(reconcile)
    kopf.on.resume(*kind, errors=kopf.ErrorsMode.TEMPORARY)(reconcile)
    kopf.on.delete(*kind, errors=kopf.ErrorsMode.TEMPORARY)(delete)
