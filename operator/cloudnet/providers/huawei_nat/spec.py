"""Block ``huaweiNat`` of a DnatRule: a DNAT rule on a Huawei Cloud public NAT gateway.

Field names are the NAT Gateway v2 API's own parameter names in lowerCamelCase,
so Huawei's documentation explains them. A default stated by the cloud is said
in the description, never set as a schema default: the operator sends only
the fields the spec sets.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Self

from pydantic import Field, model_validator

from cloudnet.api.common import Model, cel, immutable
from cloudnet.api.types import HyphenPortRange, IPv4, Port0, parse_range

HUAWEI_RULES: list[dict[str, str]] = [
    cel(
        "has(self.portId) != has(self.privateIp)", "exactly one of portId or privateIp is required"
    ),
    cel(
        "has(self.floatingIpId) != has(self.globalEipId)",
        "exactly one of floatingIpId or globalEipId is required",
    ),
    cel(
        "has(self.internalServicePortRange) == has(self.externalServicePortRange)",
        "internalServicePortRange and externalServicePortRange go together",
    ),
    cel(
        "has(self.internalServicePortRange) ? !has(self.internalServicePort) &&"
        " !has(self.externalServicePort) : has(self.internalServicePort) &&"
        " has(self.externalServicePort)",
        "set internalServicePort and externalServicePort, or the two port ranges, not both",
    ),
    cel(
        "!has(self.internalServicePortRange) || !has(self.externalServicePortRange) ||"
        " int(self.internalServicePortRange.split('-')[1]) -"
        " int(self.internalServicePortRange.split('-')[0]) =="
        " int(self.externalServicePortRange.split('-')[1]) -"
        " int(self.externalServicePortRange.split('-')[0])",
        "internalServicePortRange and externalServicePortRange must hold the same number of ports",
    ),
    cel(
        "!has(self.internalServicePort) || !has(self.externalServicePort) ||"
        " (self.internalServicePort == 0) == (self.externalServicePort == 0)",
        "port 0 means all ports: internalServicePort and externalServicePort must both be 0",
    ),
    cel(
        "(self.protocol == 'any') == (has(self.internalServicePort) &&"
        " self.internalServicePort == 0)",
        "protocol any is the all-port rule: it needs internalServicePort and"
        " externalServicePort 0, and ports 0 need protocol any",
    ),
]


class HuaweiNatSpec(Model):
    """A DNAT rule on a Huawei Cloud public NAT gateway (NAT Gateway API v2)."""

    cel_rules: ClassVar[list[dict[str, str]]] = HUAWEI_RULES

    nat_gateway_id: str = Field(
        min_length=1,
        max_length=64,
        description="nat_gateway_id: the public NAT gateway's ID. Immutable.",
        json_schema_extra=immutable("natGatewayId"),
    )
    port_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description=(
            "port_id: the port ID of an ECS or BMS (VPC scenarios). Exactly one of portId "
            "or privateIp."
        ),
    )
    private_ip: IPv4 | None = Field(
        default=None,
        description=(
            "private_ip: a private IPv4 address (Direct Connect and Cloud Connect scenarios). "
            "Exactly one of portId or privateIp."
        ),
    )
    floating_ip_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="floating_ip_id: the EIP's ID. Exactly one of floatingIpId or globalEipId.",
    )
    global_eip_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description=(
            "global_eip_id: the global EIP's ID. Exactly one of floatingIpId or globalEipId."
        ),
    )
    protocol: Literal["tcp", "udp", "any"] = Field(
        description=(
            "protocol: tcp, udp or any (protocol numbers 6, 17, 0). any is the all-port rule "
            "and needs both service ports 0."
        ),
    )
    internal_service_port: Port0 | None = Field(
        default=None,
        description=(
            "internal_service_port: the port the ECS or BMS serves on, 0 to 65535 (0 with "
            "protocol any: all ports). Required unless the port ranges are set."
        ),
    )
    external_service_port: Port0 | None = Field(
        default=None,
        description=(
            "external_service_port: the port the EIP serves on, 0 to 65535 (0 with protocol "
            "any: all ports). Required unless the port ranges are set."
        ),
    )
    internal_service_port_range: HyphenPortRange | None = Field(
        default=None,
        description=(
            "internal_service_port_range: x-y with 1 <= x < y <= 65535, no spaces; as many "
            "ports as externalServicePortRange, mapped 1:1 in order."
        ),
    )
    external_service_port_range: HyphenPortRange | None = Field(
        default=None,
        description=(
            "external_service_port_range: x-y with 1 <= x < y <= 65535, no spaces; as many "
            "ports as internalServicePortRange, mapped 1:1 in order."
        ),
    )
    description: str | None = Field(
        default=None,
        max_length=255,
        pattern=r"^[^<>]*$",
        description="description: up to 255 characters, no angle brackets (< >).",
    )

    @model_validator(mode="after")
    def _cross_field_rules(self) -> Self:
        """The same rules as HUAWEI_RULES, for objects that skipped admission."""
        if (self.port_id is None) == (self.private_ip is None):
            raise ValueError("exactly one of portId or privateIp is required")
        if (self.floating_ip_id is None) == (self.global_eip_id is None):
            raise ValueError("exactly one of floatingIpId or globalEipId is required")
        ranges = (self.internal_service_port_range, self.external_service_port_range)
        ports = (self.internal_service_port, self.external_service_port)
        if (ranges[0] is None) != (ranges[1] is None):
            raise ValueError("internalServicePortRange and externalServicePortRange go together")
        if ranges[0] is not None:
            if ports != (None, None):
                raise ValueError(
                    "set internalServicePort and externalServicePort, or the two port ranges, "
                    "not both"
                )
            assert ranges[1] is not None
            (il, ih), (el, eh) = parse_range(ranges[0], "-"), parse_range(ranges[1], "-")
            if ih - il != eh - el:
                raise ValueError(
                    "internalServicePortRange and externalServicePortRange must hold the same "
                    "number of ports"
                )
        elif None in ports:
            raise ValueError(
                "set internalServicePort and externalServicePort, or the two port ranges, not both"
            )
        elif (ports[0] == 0) != (ports[1] == 0):
            raise ValueError(
                "port 0 means all ports: internalServicePort and externalServicePort must both be 0"
            )
        if (self.protocol == "any") != (ports[0] == 0):
            raise ValueError(
                "protocol any is the all-port rule: it needs internalServicePort and "
                "externalServicePort 0, and ports 0 need protocol any"
            )
        return self

    def unique_key(self) -> tuple[str, str, str, str]:
        """(gateway, EIP, external port, protocol): what identifies the rule in the cloud."""
        eip = self.floating_ip_id or self.global_eip_id or ""
        external = (
            self.external_service_port_range
            if self.external_service_port_range is not None
            else str(self.external_service_port)
        )
        return (self.nat_gateway_id, eip, external, self.protocol)

    def to_cloud(self) -> dict[str, Any]:
        """The request body fields of create/update: only what the spec sets."""
        return {
            name: value
            for name, value in self.model_dump(by_alias=False, exclude_none=True).items()
        }
