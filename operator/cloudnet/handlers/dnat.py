"""``DnatRule``: pick the provider block, check its ProviderConfig, hand over to the core."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudnet.catalog import DnatRuleSpec
from cloudnet.core.reconciler import Policy
from cloudnet.handlers.common import Kind, Prepared, Resolver, namespace_of, parse
from cloudnet.handlers.context import OperatorContext


async def prepare(ctx: OperatorContext, body: Mapping[str, Any], resolver: Resolver) -> Prepared:
    """Model, ProviderConfig, Secret and provider; a problem here makes no cloud call."""
    spec = parse(DnatRuleSpec, body)
    block = spec.block
    provider, version = await resolver.provider(
        namespace_of(body),
        spec.provider_config_ref.name,
        expected=block.provider,
        needed_by=f"spec.{block.alias}",
    )
    return Prepared(
        spec=spec.block_spec,
        provider=provider,
        policy=Policy(
            observe_only=spec.effective_management_policy == "ObserveOnly",
            deletion="Orphan" if spec.effective_deletion_policy == "Orphan" else "Delete",
        ),
        config_version=version,
    )


KIND = Kind(name="DnatRule", plural="dnatrules", prepare=prepare)
