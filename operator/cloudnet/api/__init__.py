"""The resource models: the single source of the spec.

The CRD YAML in ``crds/`` is generated from these classes (:mod:`cloudnet.api.crds`),
so a rule lives in exactly one place: a ``Field`` constraint or an
``x-kubernetes-validations`` entry declared next to the field, checked again
by a pydantic validator for objects that did not pass through admission.
This package imports nothing else from ``cloudnet``.
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
from cloudnet.api.dnat import DnatRule, DnatRuleSpec, HuaweiNatSpec
from cloudnet.api.provider_config import Provider, ProviderConfig, ProviderConfigSpec

__all__ = [
    "GROUP",
    "VERSION",
    "Condition",
    "DeletionPolicy",
    "DnatRule",
    "DnatRuleSpec",
    "HuaweiNatSpec",
    "LastError",
    "LocalObjectReference",
    "ManagementPolicy",
    "Phase",
    "Provider",
    "ProviderConfig",
    "ProviderConfigSpec",
    "ResourceStatus",
]
