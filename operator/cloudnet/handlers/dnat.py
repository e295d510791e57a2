"""``DnatRule``: pick the provider block, check its ProviderConfig, hand over to the core."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudnet.api.dnat import DnatRuleSpec
from cloudnet.core.reconciler import Policy
from cloudnet.handlers.common import Kind, Prepared, Resolver, namespace_of, parse
from cloudnet.handlers.context import OperatorContext

#: spec block → the provider its ProviderConfig must name
BLOCK_PROVIDER = {
    "huawei_nat": "huawei-nat",
    "alibaba_ens": "alibaba-ens",
    "alibaba_sag": "alibaba-sag",
}
_BLOCK_FIELD = {"huawei_nat": "huaweiNat", "alibaba_ens": "alibabaEns", "alibaba_sag": "alibabaSag"}


async def prepare(ctx: OperatorContext, body: Mapping[str, Any], resolver: Resolver) -> Prepared:
    """Model, ProviderConfig, Secret and provider; a problem here makes no cloud call."""
    spec: DnatRuleSpec = parse(DnatRuleSpec, body)
    block_name = next(name for name in BLOCK_PROVIDER if getattr(spec, name) is not None)
    provider, version = await resolver.provider(
        namespace_of(body),
        spec.provider_config_ref.name,
        expected=BLOCK_PROVIDER[block_name],
        needed_by=f"spec.{_BLOCK_FIELD[block_name]}",
    )
    return Prepared(
        spec=getattr(spec, block_name),
        provider=provider,
        policy=Policy(
            observe_only=spec.effective_management_policy == "ObserveOnly",
            deletion="Orphan" if spec.effective_deletion_policy == "Orphan" else "Delete",
        ),
        config_version=version,
    )


KIND = Kind(name="DnatRule", plural="dnatrules", prepare=prepare)
