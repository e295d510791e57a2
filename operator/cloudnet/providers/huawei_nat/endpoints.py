"""Huawei NAT Gateway's public endpoint per region, as the official SDK's map gives it.

Why a table and not a pattern: most regions are ``nat.<region>.myhuaweicloud.com``,
but not all (ap-southeast-4 is under ``.myhuaweicloud.cn``, eu-west-101 under
``.myhuaweicloud.eu``), and a guessed host for a region the SDK does not know
fails as a DNS or TLS error that never says "wrong region". Like the SDK
(``NatRegion.value_of`` raises for an unknown region), a region outside the
map has no default: the ProviderConfig must name its ``endpoint``.

Source: ``huaweicloudsdknat/v2/region/nat_region.py`` (Huawei Cloud Python SDK v3;
the Go SDK's ``services/nat/v2/region/region.go`` is the same map).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_HUAWEI_COM_REGIONS = (
    "af-south-1",
    "cn-north-4",
    "cn-north-1",
    "cn-east-2",
    "cn-east-3",
    "cn-south-1",
    "cn-southwest-2",
    "ap-southeast-2",
    "ap-southeast-1",
    "ap-southeast-3",
    "cn-south-2",
    "cn-north-2",
    "ru-northwest-2",
    "na-mexico-1",
    "sa-brazil-1",
    "la-south-2",
    "la-north-2",
    "cn-north-9",
    "me-east-1",
    "ae-ad-1",
    "eu-west-0",
    "tr-west-1",
    "cn-south-4",
    "my-kualalumpur-1",
    "ru-moscow-1",
    "ap-southeast-5",
    "cn-southwest-3",
    "cn-north-12",
    "cn-east-4",
    "cn-east-5",
    "cn-north-11",
)

#: Huawei NAT Gateway endpoint per region (the SDK's NatRegion map, 33 regions).
HUAWEI_NAT_ENDPOINTS: Mapping[str, str] = MappingProxyType(
    {
        **{region: f"https://nat.{region}.myhuaweicloud.com" for region in _HUAWEI_COM_REGIONS},
        "ap-southeast-4": "https://nat.ap-southeast-4.myhuaweicloud.cn",
        "eu-west-101": "https://nat.eu-west-101.myhuaweicloud.eu",
    }
)
