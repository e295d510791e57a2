"""``NetworkInterfaceConfig``: check the ProviderConfig, hand over to the core."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudnet.api.nic import NetworkInterfaceConfigSpec
from cloudnet.core.reconciler import Policy
from cloudnet.handlers.common import Kind, Prepared, Resolver, namespace_of, parse
from cloudnet.handlers.context import OperatorContext


async def prepare(ctx: OperatorContext, body: Mapping[str, Any], resolver: Resolver) -> Prepared:
    spec: NetworkInterfaceConfigSpec = parse(NetworkInterfaceConfigSpec, body)
    provider, version = await resolver.provider(
        namespace_of(body),
        spec.provider_config_ref.name,
        expected="alibaba-ecs",
        needed_by="a NetworkInterfaceConfig",
        region=spec.region_id,
    )
    return Prepared(
        spec=spec,
        provider=provider,
        policy=Policy(
            observe_only=spec.effective_management_policy == "ObserveOnly",
            deletion="Restore" if spec.effective_deletion_policy == "Restore" else "Orphan",
        ),
        config_version=version,
    )


KIND = Kind(
    name="NetworkInterfaceConfig",
    plural="networkinterfaceconfigs",
    prepare=prepare,
    default_deletion="Orphan",
)
