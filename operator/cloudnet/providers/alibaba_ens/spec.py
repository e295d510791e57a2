"""The ``alibabaEns`` block of a DnatRule: an ENS forward (DNAT) entry.

Its fields and rules are those of the CreateForwardEntry and ModifyForwardEntry
references (ENS API reference). ENS takes ports as strings, a single port
(``"22"``) or a range with a slash (``"10/20"``, both ends included); the
fields are int-or-string so ``externalPort: 22`` works too. The CEL rules
read both forms through ``string(self.x)``, which turns an int into its
digits.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import AfterValidator, Field, WithJsonSchema, model_validator

from cloudnet.api.common import Model, cel, immutable, rules
from cloudnet.api.types import IPv4

#: The most ports one ENS range may hold (the ModifyForwardEntry reference: "The maximum port
#: range is 1000").
MAX_RANGE_PORTS = 1000
_PORT_RE = r"^[0-9]{1,5}(/[0-9]{1,5})?$"


def parse_ens_port(value: int | str) -> tuple[int, int]:
    """(first, last) of a port or an inclusive ``a/b`` range."""
    text = str(value)
    first, _, last = text.partition("/")
    return int(first), int(last or first)


def _check_port(value: int | str) -> int | str:
    import re

    if not re.fullmatch(_PORT_RE, str(value)):
        raise ValueError(f"{value!r} must be a port 1-65535 or a range a/b")
    first, last = parse_ens_port(value)
    if not (1 <= first <= last <= 65535):
        raise ValueError(f"{value!r} must be a port 1-65535 or a range a/b with a <= b")
    return value


def _lo(x: str) -> str:
    return f"int(string({x}).split('/')[0])"


def _hi(x: str) -> str:
    return f"int(string({x}).split('/')[size(string({x}).split('/')) - 1])"


_PORT_RULES = [
    cel(
        f"string(self).matches('{_PORT_RE}') && {_lo('self')} >= 1 && {_hi('self')} <= 65535"
        f" && {_lo('self')} <= {_hi('self')}",
        "must be a port 1-65535 or a range a/b with 1 <= a <= b <= 65535",
    )
]

EnsPort = Annotated[
    int | str,
    AfterValidator(_check_port),
    WithJsonSchema(
        {
            "x-kubernetes-int-or-string": True,
            "anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 11}],
            "x-kubernetes-validations": _PORT_RULES,
        }
    ),
]

_EXT, _INT = "self.externalPort", "self.internalPort"

ENS_RULES: list[dict[str, str]] = [
    cel(
        f"string({_EXT}).contains('/') == string({_INT}).contains('/')",
        "externalPort and internalPort must both be single ports or both be ranges",
    ),
    cel(
        f"{_hi(_EXT)} - {_lo(_EXT)} == {_hi(_INT)} - {_lo(_INT)}",
        "externalPort and internalPort ranges must hold the same number of ports",
    ),
    cel(
        f"{_hi(_EXT)} - {_lo(_EXT)} < {MAX_RANGE_PORTS}",
        f"a port range holds at most {MAX_RANGE_PORTS} ports",
    ),
    cel(
        f"!has(self.healthCheckPort) || (self.healthCheckPort >= {_lo(_INT)} &&"
        f" self.healthCheckPort <= {_hi(_INT)})",
        "healthCheckPort must be inside the internalPort range",
    ),
    cel(
        "has(self.standbyExternalIp) == has(oldSelf.standbyExternalIp) &&"
        " (!has(self.standbyExternalIp) || self.standbyExternalIp == oldSelf.standbyExternalIp)",
        "standbyExternalIp is immutable: ModifyForwardEntry cannot change it",
    ),
]


class AlibabaEnsSpec(Model):
    """A forward entry on an Alibaba Cloud ENS NAT gateway (ENS API 2017-11-10)."""

    cel_rules: ClassVar[list[dict[str, str]]] = ENS_RULES

    nat_gateway_id: str = Field(
        min_length=1,
        max_length=64,
        description="NatGatewayId: the ENS NAT gateway's ID. Immutable.",
        json_schema_extra=immutable("natGatewayId"),
    )
    external_ip: IPv4 = Field(description="ExternalIp: the EIP used to reach the Internet.")
    external_port: EnsPort = Field(
        description=(
            "ExternalPort: a port 1-65535, or a range a/b (both ends included, at most 1000 "
            "ports) with as many ports as internalPort. Integer or string."
        )
    )
    internal_ip: IPv4 = Field(description="InternalIp: the private IP of the instance.")
    internal_port: EnsPort = Field(
        description=(
            "InternalPort: a port 1-65535, or a range a/b with as many ports as externalPort. "
            "Integer or string."
        )
    )
    ip_protocol: Literal["TCP", "UDP", "Any"] | None = Field(
        default=None,
        description="IpProtocol: TCP, UDP or Any. The cloud's default is Any.",
    )
    forward_entry_name: str | None = Field(
        default=None,
        min_length=2,
        max_length=128,
        description="ForwardEntryName: 2-128 characters, not starting with http:// or https://.",
        json_schema_extra=rules(
            cel(
                "!self.startsWith('http://') && !self.startsWith('https://')",
                "forwardEntryName must not start with http:// or https://",
            )
        ),
    )
    health_check_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description=(
            "HealthCheckPort: the probe port, inside the internalPort range. Empty by default."
        ),
    )
    standby_external_ip: IPv4 | None = Field(
        default=None,
        description=(
            "StandbyExternalIp: a secondary EIP bound to the NAT gateway, used after the entry "
            "is created. Immutable."
        ),
    )

    @model_validator(mode="after")
    def _cross_field_rules(self) -> Self:
        """The same rules as ENS_RULES, for objects that skipped admission."""
        if self.forward_entry_name is not None and self.forward_entry_name.startswith(
            ("http://", "https://")
        ):
            raise ValueError("forwardEntryName must not start with http:// or https://")
        ext, intl = str(self.external_port), str(self.internal_port)
        if ("/" in ext) != ("/" in intl):
            raise ValueError(
                "externalPort and internalPort must both be single ports or both be ranges"
            )
        (el, eh), (il, ih) = parse_ens_port(ext), parse_ens_port(intl)
        if eh - el != ih - il:
            raise ValueError(
                "externalPort and internalPort ranges must hold the same number of ports"
            )
        if eh - el >= MAX_RANGE_PORTS:
            raise ValueError(f"a port range holds at most {MAX_RANGE_PORTS} ports")
        if self.health_check_port is not None and not il <= self.health_check_port <= ih:
            raise ValueError("healthCheckPort must be inside the internalPort range")
        return self

    def unique_key(self) -> tuple[str, str, str, str]:
        """(gateway, external IP, external port, protocol): one entry per key in the cloud."""
        return (
            self.nat_gateway_id,
            self.external_ip,
            str(self.external_port),
            self.ip_protocol or "Any",
        )

    def to_cloud(self) -> dict[str, Any]:
        """CreateForwardEntry parameters: only what the spec sets, ports as strings."""
        params: dict[str, Any] = {
            "NatGatewayId": self.nat_gateway_id,
            "ExternalIp": self.external_ip,
            "ExternalPort": str(self.external_port),
            "InternalIp": self.internal_ip,
            "InternalPort": str(self.internal_port),
            "IpProtocol": self.ip_protocol,
            "ForwardEntryName": self.forward_entry_name,
            "HealthCheckPort": self.health_check_port,
            "StandbyExternalIp": self.standby_external_ip,
        }
        return {k: v for k, v in params.items() if v is not None}
