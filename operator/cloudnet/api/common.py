"""Pieces shared by every kind: references, policies, and the one status shape.

The status vocabulary is Huawei NAT v2's (a DNAT rule's status) for every provider; other
clouds' states are mapped onto it by their providers.
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

GROUP = "cloudnet.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"


def cel(rule: str, message: str, *, field_path: str | None = None) -> dict[str, str]:
    """One ``x-kubernetes-validations`` entry; the message names the field and the rule."""
    entry = {"rule": rule, "message": message}
    if field_path is not None:
        entry["fieldPath"] = field_path
    return entry


def rules(*entries: dict[str, str]) -> dict[str, Any]:
    """``json_schema_extra`` carrying CEL rules for one field."""
    return {"x-kubernetes-validations": list(entries)}


def immutable(field: str) -> dict[str, Any]:
    """``json_schema_extra`` for a field the cloud cannot change in place."""
    return {
        "x-kubernetes-validations": [
            cel("self == oldSelf", f"{field} is immutable: the cloud cannot change it in place")
        ]
    }


class Model(BaseModel):
    """Base for spec models: camelCase on the wire, unknown fields refused."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        use_enum_values=True,
        frozen=True,
        # Kubernetes hands us JSON: a port given as "80" is a user error, not a number.
        strict=True,
    )
    #: Top-level ``x-kubernetes-validations`` of this object, with matching pydantic checks.
    cel_rules: ClassVar[list[dict[str, str]]] = []

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> Any:
        schema = handler(core_schema)
        schema = handler.resolve_ref_schema(schema)
        if cls.cel_rules:
            schema["x-kubernetes-validations"] = list(cls.cel_rules)
        return schema


class LocalObjectReference(Model):
    """A reference to an object in the same namespace."""

    name: str = Field(
        min_length=1,
        max_length=253,
        pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
        description="Name of the object, in the referring resource's own namespace.",
    )


class DeletionPolicy(enum.StrEnum):
    DELETE = "Delete"
    ORPHAN = "Orphan"
    RESTORE = "Restore"


class ManagementPolicy(enum.StrEnum):
    MANAGE = "Manage"
    OBSERVE_ONLY = "ObserveOnly"


class Phase(enum.StrEnum):
    PENDING_CREATE = "PENDING_CREATE"
    PENDING_UPDATE = "PENDING_UPDATE"
    PENDING_DELETE = "PENDING_DELETE"
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    EIP_FREEZED = "EIP_FREEZED"
    ERROR = "ERROR"


class StatusModel(BaseModel):
    """Base for status models: camelCase, tolerant of fields a newer operator wrote."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="allow", use_enum_values=True
    )


class Condition(StatusModel):
    """A Kubernetes API-conventions condition; its reason is an error class or a stable code."""

    type: str = Field(description="Ready or Synced.", max_length=64)
    status: str = Field(description="True, False or Unknown.", pattern="^(True|False|Unknown)$")
    reason: str = Field(
        description="A stable CamelCase code, e.g. InvalidSpec, Throttled, Available."
    )
    message: str = Field(default="", description="Human-readable detail.", max_length=32768)
    last_transition_time: str = Field(description="When status last changed (RFC 3339).")
    observed_generation: int | None = Field(
        default=None, description="The metadata.generation this condition was computed for."
    )


class LastError(StatusModel):
    """The cloud's own words for the last failed call."""

    code: str = Field(description="The cloud's error code, exactly as returned (e.g. NAT.0002).")
    message: str = Field(default="", description="The cloud's error message.")
    request_id: str | None = Field(default=None, description="The request id of the failed call.")


class DriftEntry(StatusModel):
    """One field where the cloud differs from the spec."""

    path: str = Field(description="The spec path of the field, as written in the spec.")
    desired: str | None = Field(default=None, description="What the spec asks for.")
    observed: str | None = Field(default=None, description="What the cloud holds.")
    since: str | None = Field(default=None, description="When the drift was first seen.")


class ResourceStatus(StatusModel):
    """The status every cloudnet kind reports."""

    phase: Phase | None = Field(
        default=None,
        description=(
            "The cloud object's state in Huawei's vocabulary (PENDING_CREATE, PENDING_UPDATE, "
            "PENDING_DELETE, ACTIVE, INACTIVE, EIP_FREEZED), or ERROR when the operator "
            "cannot bring it in line."
        ),
    )
    external_id: str | None = Field(
        default=None, description="The cloud's id, written the moment the cloud returns it."
    )
    created_id: str | None = Field(
        default=None,
        description=(
            "The id of the cloud object this resource created (or found under its own create "
            "guard after a lost answer): what makes it the object's owner. No other "
            "resource's create guard adopts that object. Empty when the object was only "
            "observed (ObserveOnly, found by its key): turned to Manage, such a resource "
            "leaves an object another resource created alone."
        ),
    )
    observed_generation: int | None = Field(
        default=None, description="The metadata.generation last reconciled."
    )
    conditions: list[Condition] = Field(
        default_factory=list, description="Ready and Synced, per Kubernetes API conventions."
    )
    last_error: LastError | None = Field(default=None, description="The last cloud error.")
    last_request_id: str | None = Field(
        default=None, description="RequestId / X-Request-Id of the last cloud call."
    )
    observed: dict[str, Any] | None = Field(
        default=None,
        description="What the cloud reported last, in the cloud's own field names.",
        json_schema_extra={"x-kubernetes-preserve-unknown-fields": True},
    )
    drift: list[DriftEntry] = Field(
        default_factory=list, description="Fields where the cloud differs from the spec."
    )
    judged_with: str | None = Field(
        default=None,
        description=(
            "With an InvalidSpec error: the ProviderConfig and Secret versions the cloud's "
            "verdict was given with. The same generation is not sent again until the spec, "
            "the ProviderConfig or the Secret changes."
        ),
        max_length=512,
    )
    refresh_requested_at: str | None = Field(
        default=None,
        description=(
            "The value of the annotation cloudnet.dev/refresh-requested-at that the last "
            "forced observation answered. A different value asks for another one."
        ),
    )
    last_refreshed_at: str | None = Field(
        default=None,
        description="When that forced observation was reported (RFC 3339).",
    )
