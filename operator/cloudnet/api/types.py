"""Constrained scalar types shared by the provider blocks.

Each type carries its admission rule (OpenAPI ``format``/``pattern`` or a
CEL rule) *and* the same check as a pydantic validator, so an object that
reached the operator without admission (an older CRD, admission turned off)
is refused with the same words before any cloud call.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import AfterValidator, Field, WithJsonSchema

from cloudnet.api.common import cel


def _ipv4(value: str) -> str:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a valid IPv4 address") from None
    return value


IPv4 = Annotated[
    str,
    AfterValidator(_ipv4),
    WithJsonSchema({"type": "string", "format": "ipv4", "maxLength": 15}),
]


def parse_range(value: str, sep: str) -> tuple[int, int]:
    low, _, high = value.partition(sep)
    return int(low), int(high)


def _hyphen_range(value: str) -> str:
    # The pattern has already guaranteed digits on both sides.
    low, high = parse_range(value, "-")
    if not (1 <= low < high <= 65535):
        raise ValueError(f"{value!r} must be x-y with 1 <= x < y <= 65535")
    return value


HYPHEN_RANGE_RULE = cel(
    "int(self.split('-')[0]) >= 1 && int(self.split('-')[1]) <= 65535"
    " && int(self.split('-')[0]) < int(self.split('-')[1])",
    "must be x-y with 1 <= x < y <= 65535",
)

HyphenPortRange = Annotated[
    str,
    Field(pattern=r"^[0-9]{1,5}-[0-9]{1,5}$", max_length=11),
    AfterValidator(_hyphen_range),
    Field(json_schema_extra={"x-kubernetes-validations": [HYPHEN_RANGE_RULE]}),
]

Port0 = Annotated[int, Field(ge=0, le=65535)]
