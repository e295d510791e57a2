"""Smart Access Gateway's public endpoint per region.

Source: "Smart Access Gateway: Endpoints" (SAG API reference); the SDK's
endpoint rule is ``regional``, ``smartag.<region>.aliyuncs.com``. A region
outside the table has no default: the ProviderConfig must name its endpoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_SAG_REGIONS = (
    "cn-hangzhou",
    "cn-shanghai",
    "cn-shanghai-finance-1",
    "cn-hongkong",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-5",
    "ap-northeast-1",
    "eu-central-1",
)

#: Smart Access Gateway endpoint per region ("Smart Access Gateway: Endpoints").
SAG_ENDPOINTS: Mapping[str, str] = MappingProxyType(
    {region: f"https://smartag.{region}.aliyuncs.com" for region in _SAG_REGIONS}
)
