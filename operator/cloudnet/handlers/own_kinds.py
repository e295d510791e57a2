"""Kinds a single provider serves (``NetworkInterfaceConfig``): check the ProviderConfig,
hand over to the core. What differs between them is the plugin's :class:`OwnKind`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudnet.catalog import OWN_KINDS
from cloudnet.handlers.common import Kind, Prepared, Resolver, namespace_of, parse
from cloudnet.handlers.context import OperatorContext
from cloudnet.providers import OwnKind, ProviderPlugin


def _kind(plugin: ProviderPlugin, own: OwnKind) -> Kind:
    async def prepare(
        ctx: OperatorContext, body: Mapping[str, Any], resolver: Resolver
    ) -> Prepared:
        spec = parse(own.schema.spec, body)
        provider, version = await resolver.provider(
            namespace_of(body),
            spec.provider_config_ref.name,
            expected=plugin.name,
            needed_by=f"a {own.name}",
            region=own.region(spec),
        )
        return Prepared(
            spec=spec, provider=provider, policy=own.policy(spec), config_version=version
        )

    return Kind(
        name=own.name, plural=own.plural, prepare=prepare, default_deletion=own.default_deletion
    )


#: One handler kind per provider-owned kind.
KINDS: tuple[Kind, ...] = tuple(_kind(plugin, own) for plugin, own in OWN_KINDS.values())
