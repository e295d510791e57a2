"""The ``alibabaSag`` block of a DnatRule: a DNAT entry on a Smart Access Gateway.

SAG has AddDnatEntry and DeleteDnatEntry but no Modify call, so every field
but the scope (``regionId``, ``sagId``) may change in the spec and the
operator replaces the entry (delete, then add) under the create-pending
guard. Input rules are AddDnatEntry's, as the official SDK's model classes
document them: ports 1-65535 (strings on the wire, int-or-string here),
IpProtocol ``TCP|UDP|Any`` (DescribeDnatEntries answers in lower case),
Type ``Intranet`` (the cloud's default) or ``Internet``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import AfterValidator, Field, WithJsonSchema, model_validator

from cloudnet.api.common import Model, cel, immutable
from cloudnet.api.types import IPv4


def _check_port(value: int | str) -> int | str:
    text = str(value)
    if not re.fullmatch(r"[1-9][0-9]{0,4}", text) or int(text) > 65535:
        raise ValueError(f"{value!r} must be a port 1-65535 (no leading zeros)")
    return value


SagPort = Annotated[
    int | str,
    AfterValidator(_check_port),
    WithJsonSchema(
        {
            "x-kubernetes-int-or-string": True,
            "anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 11}],
            "x-kubernetes-validations": [
                cel(
                    "string(self).matches('^[1-9][0-9]{0,4}$') && int(string(self)) <= 65535",
                    "must be a port 1-65535 (no leading zeros)",
                )
            ],
        }
    ),
]


class AlibabaSagSpec(Model):
    """A DNAT entry on an Alibaba Cloud Smart Access Gateway (API 2018-03-13)."""

    cel_rules: ClassVar[list[dict[str, str]]] = [
        cel(
            "(has(self.type) && self.type == 'Internet') || has(self.externalIp)",
            "externalIp is required for Intranet entries (the default type); only Internet "
            "entries take the SAG's public IP by themselves",
        )
    ]

    region_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z0-9-]+$",
        description="RegionId: the SAG instance's region, e.g. cn-shanghai. Immutable.",
        json_schema_extra=immutable("regionId"),
    )
    sag_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^sag-[0-9a-zA-Z]+$",
        description="SagId: the SAG (CPE) instance, sag-... Immutable.",
        json_schema_extra=immutable("sagId"),
    )
    type: Literal["Intranet", "Internet"] | None = Field(
        default=None,
        description=(
            "Type: Intranet (to an internal IP; the cloud's default) or Internet (to a public "
            "IP). A change replaces the entry (delete, then add)."
        ),
    )
    external_ip: IPv4 | None = Field(
        default=None,
        description=(
            "ExternalIp: the public IP; for Internet entries the cloud recognizes it when "
            "empty. A change replaces the entry."
        ),
    )
    external_port: SagPort = Field(
        description="ExternalPort: 1-65535, integer or string. A change replaces the entry."
    )
    internal_ip: IPv4 = Field(
        description="InternalIp: the destination private IP. A change replaces the entry."
    )
    internal_port: SagPort = Field(
        description="InternalPort: 1-65535, integer or string. A change replaces the entry."
    )
    ip_protocol: Literal["TCP", "UDP", "Any"] = Field(
        description="IpProtocol: TCP, UDP or Any. A change replaces the entry."
    )

    @model_validator(mode="after")
    def _external_ip_for_intranet(self) -> Self:
        if self.type != "Internet" and self.external_ip is None:
            raise ValueError(self.cel_rules[0]["message"])
        return self

    def unique_key(self) -> tuple[str, str, str, str, str]:
        """(SAG, type, external IP, external port, protocol): the SAG entry's unique key."""
        return (
            self.sag_id,
            self.type or "Intranet",
            self.external_ip or "",
            str(self.external_port),
            self.ip_protocol.lower(),
        )

    def to_cloud(self) -> dict[str, Any]:
        """AddDnatEntry parameters: what the spec sets, ports as strings.

        Type always goes out (Intranet when the spec leaves it out): the
        AddDnatEntry reference marks it required, although newer SDKs do not.
        """
        params: dict[str, Any] = {
            "RegionId": self.region_id,
            "SagId": self.sag_id,
            "Type": self.type or "Intranet",
            "ExternalIp": self.external_ip,
            "ExternalPort": str(self.external_port),
            "InternalIp": self.internal_ip,
            "InternalPort": str(self.internal_port),
            "IpProtocol": self.ip_protocol,
        }
        return {k: v for k, v in params.items() if v is not None}
