"""The installed providers, and the kinds they make up.

Adding a provider is its own package under ``cloudnet/providers/`` plus one
line in :data:`PLUGINS` (and the import beside it); every kind, CRD, rule,
endpoint policy and handler below follows from the plugins' declarations
(docs/contributing.md walks through it).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from cloudnet.api import crds as _crds
from cloudnet.api.crds import KindSchema, dnat_rule_schema, provider_config_schema
from cloudnet.api.dnat import DnatRuleSpecBase, dnat_rule_spec
from cloudnet.api.provider_config import ProviderConfigSpecBase, provider_config_spec
from cloudnet.providers import (
    OwnKind,
    ProviderPlugin,
    alibaba_ecs,
    alibaba_ens,
    alibaba_sag,
    huawei_nat,
)

__all__ = [
    "DNAT_RULE",
    "OWN_KINDS",
    "PLUGINS",
    "PROVIDER_CONFIG",
    "DnatRuleSpec",
    "ProviderConfigSpec",
    "crds",
    "kind_schemas",
    "plugin",
    "write_crds",
]

#: Every installed provider, in the order documentation lists them: one line each.
PLUGINS: tuple[ProviderPlugin, ...] = (
    huawei_nat.PLUGIN,
    alibaba_ens.PLUGIN,
    alibaba_sag.PLUGIN,
    alibaba_ecs.PLUGIN,
)

BY_NAME: Mapping[str, ProviderPlugin] = MappingProxyType({p.name: p for p in PLUGINS})
assert len(BY_NAME) == len(PLUGINS), "two plugins share a provider name"

#: The DnatRule spec: the shared envelope and one block per DnatRule provider.
DnatRuleSpec: type[DnatRuleSpecBase] = dnat_rule_spec([p.dnat for p in PLUGINS if p.dnat])
#: The ProviderConfig spec: ``provider`` is one of the installed providers.
ProviderConfigSpec: type[ProviderConfigSpecBase] = provider_config_spec([p.config for p in PLUGINS])
DNAT_RULE = dnat_rule_schema(DnatRuleSpec)
PROVIDER_CONFIG = provider_config_schema(ProviderConfigSpec)
#: Kinds a single provider serves, by kind name.
OWN_KINDS: Mapping[str, tuple[ProviderPlugin, OwnKind]] = MappingProxyType(
    {kind.name: (p, kind) for p in PLUGINS for kind in p.kinds}
)


def plugin(name: str) -> ProviderPlugin | None:
    """The installed plugin of that provider name, if any."""
    return BY_NAME.get(name)


def kind_schemas() -> list[KindSchema]:
    """Every kind's CRD schema: DnatRule, the providers' own kinds, ProviderConfig."""
    return [DNAT_RULE, *(kind.schema for _, kind in OWN_KINDS.values()), PROVIDER_CONFIG]


def crds() -> dict[str, dict[str, Any]]:
    """File name → CRD object, for every kind of the installed providers."""
    return _crds.build_crds(kind_schemas())


def write_crds(output: Path) -> list[Path]:
    """``cloudnet crds``: the CRD YAML of every kind, one file each."""
    return _crds.write_crds(output, kind_schemas())
