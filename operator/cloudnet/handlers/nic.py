"""``NetworkInterfaceConfig``: check the ProviderConfig, hand over to :class:`NicReconciler`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudnet.api.nic import NetworkInterfaceConfigSpec
from cloudnet.handlers.common import Kind, Prepared, parse, resolve_provider
from cloudnet.handlers.context import OperatorContext
from cloudnet.reconcile import NicReconciler


async def prepare(ctx: OperatorContext, body: Mapping[str, Any]) -> Prepared:
    spec: NetworkInterfaceConfigSpec = parse(NetworkInterfaceConfigSpec, body)
    provider = await resolve_provider(
        ctx,
        str(body.get("metadata", {}).get("namespace")),
        spec.provider_config_ref.name,
        expected="alibaba-ecs",
        needed_by="a NetworkInterfaceConfig",
        region=spec.region_id,
    )
    return Prepared(
        spec=spec,
        provider=provider,
        observe_only=spec.effective_management_policy == "ObserveOnly",
        orphan_on_delete=spec.effective_deletion_policy == "Orphan",
    )


KIND = Kind(
    name="NetworkInterfaceConfig",
    plural="networkinterfaceconfigs",
    prepare=prepare,
    reconciler=NicReconciler,
)
