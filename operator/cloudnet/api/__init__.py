"""The resource models' shared parts: the single source of the spec.

The CRD YAML in ``crds/`` is generated from these classes (:mod:`cloudnet.api.crds`),
so a rule lives in exactly one place: a ``Field`` constraint or an
``x-kubernetes-validations`` entry declared next to the field, checked again
by a pydantic validator for objects that did not pass through admission.
The kinds are put together from these envelopes and the providers' own
models by :mod:`cloudnet.catalog`. This package imports nothing
else from ``cloudnet`` and names no provider.
"""

from cloudnet.api.common import (
    GROUP,
    VERSION,
    Condition,
    DeletionPolicy,
    LastError,
    LocalObjectReference,
    ManagementPolicy,
    Phase,
    ResourceStatus,
)
from cloudnet.api.dnat import Block, DnatRuleSpecBase, dnat_rule_spec
from cloudnet.api.provider_config import ConfigProfile, ProviderConfigSpecBase, provider_config_spec

__all__ = [
    "GROUP",
    "VERSION",
    "Block",
    "Condition",
    "ConfigProfile",
    "DeletionPolicy",
    "DnatRuleSpecBase",
    "LastError",
    "LocalObjectReference",
    "ManagementPolicy",
    "Phase",
    "ProviderConfigSpecBase",
    "ResourceStatus",
    "dnat_rule_spec",
    "provider_config_spec",
]
