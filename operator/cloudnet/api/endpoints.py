"""Default public endpoints per provider and region, as the official SDKs' maps give them.

Why a table and not a pattern: most Huawei regions are
``nat.<region>.myhuaweicloud.com``, but not all (ap-southeast-4 is under
``.myhuaweicloud.cn``, eu-west-101 under ``.myhuaweicloud.eu``), and a guessed
host for a region the SDK does not know fails as a DNS or TLS error that
never says "wrong region". Like the SDK (``NatRegion.value_of`` raises for
an unknown region), a region outside the map has no default: the
ProviderConfig must name its ``endpoint``.

Sources: ``huaweicloudsdknat/v2/region/nat_region.py`` (Huawei Cloud Python SDK
v3; the Go SDK's ``services/nat/v2/region/region.go`` is the same map);
"Smart Access Gateway: Endpoints" (SAG API reference; the SDK's endpoint rule
is ``regional``, ``smartag.<region>.aliyuncs.com``); ENS has one central
endpoint (the SDK's map gives ``ens.aliyuncs.com`` for every region it names);
ECS is ``ecs.<region>.aliyuncs.com`` ("Endpoints", ECS API reference) except
where the SDK's endpoint map names a central host (``alibabacloud_ecs20140526``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "ECS_DEFAULT_HOSTS",
    "ENS_ENDPOINT",
    "HUAWEI_NAT_ENDPOINTS",
    "SAG_ENDPOINTS",
    "ecs_endpoint",
]

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

#: ENS: one endpoint for every region (edge nodes are named per call, not per endpoint).
ENS_ENDPOINT = "https://ens.aliyuncs.com"


#: ECS regions the SDK's endpoint map sends elsewhere than ``ecs.<region>.aliyuncs.com``
#: (``alibabacloud_ecs20140526.client.Client._endpoint_map``): cn-hangzhou and the
#: finance regions to the central ``ecs-cn-hangzhou`` host, government and internal
#: regions to ``ecs.aliyuncs.com`` or their own cluster's host.
_ECS_HOSTS: Mapping[str, str] = MappingProxyType(
    {
        "cn-hangzhou": "ecs-cn-hangzhou.aliyuncs.com",
        "cn-shanghai-finance-1": "ecs-cn-hangzhou.aliyuncs.com",
        "cn-shenzhen-finance-1": "ecs-cn-hangzhou.aliyuncs.com",
        "cn-north-2-gov-1": "ecs.aliyuncs.com",
        "ap-northeast-2-pop": "ecs.aliyuncs.com",
        "cn-beijing-finance-pop": "ecs.aliyuncs.com",
        "cn-beijing-gov-1": "ecs.aliyuncs.com",
        "cn-beijing-nu16-b01": "ecs-cn-hangzhou.aliyuncs.com",
        "cn-edge-1": "ecs.cn-qingdao-nebula.aliyuncs.com",
        "cn-fujian": "ecs-cn-hangzhou.aliyuncs.com",
        "cn-haidian-cm12-c01": "ecs-cn-hangzhou.aliyuncs.com",
        "cn-hangzhou-bj-b01": "ecs-cn-hangzhou.aliyuncs.com",
        "cn-hangzhou-finance": "ecs.aliyuncs.com",
        "cn-hangzhou-internal-prod-1": "ecs-cn-hangzhou.aliyuncs.com",
        "cn-hangzhou-internal-test-1": "ecs-cn-hangzhou.aliyuncs.com",
        "cn-hangzhou-internal-test-2": "ecs-cn-hangzhou.aliyuncs.com",
        "cn-hangzhou-internal-test-3": "ecs-cn-hangzhou.aliyuncs.com",
        "cn-hangzhou-test-306": "ecs-cn-hangzhou.aliyuncs.com",
        "cn-hongkong-finance-pop": "ecs.aliyuncs.com",
        "cn-huhehaote-nebula-1": "ecs.cn-qingdao-nebula.aliyuncs.com",
        "cn-shanghai-et15-b01": "ecs-cn-hangzhou.aliyuncs.com",
        "cn-shanghai-et2-b01": "ecs-cn-hangzhou.aliyuncs.com",
        "cn-shanghai-inner": "ecs.aliyuncs.com",
        "cn-shanghai-internal-test-1": "ecs-cn-hangzhou.aliyuncs.com",
        "cn-shenzhen-inner": "ecs.aliyuncs.com",
        "cn-shenzhen-st4-d01": "ecs-cn-hangzhou.aliyuncs.com",
        "cn-shenzhen-su18-b01": "ecs-cn-hangzhou.aliyuncs.com",
        "cn-wuhan": "ecs.aliyuncs.com",
        "cn-yushanfang": "ecs.aliyuncs.com",
        "cn-zhangbei": "ecs.aliyuncs.com",
        "cn-zhangbei-na61-b01": "ecs-cn-hangzhou.aliyuncs.com",
        "cn-zhangjiakou-na62-a01": "ecs.cn-zhangjiakou.aliyuncs.com",
        "cn-zhengzhou-nebula-1": "ecs.cn-qingdao-nebula.aliyuncs.com",
        "eu-west-1-oxs": "ecs.cn-shenzhen-cloudstone.aliyuncs.com",
        "rus-west-1-pop": "ecs.aliyuncs.com",
    }
)


def ecs_endpoint(region: str) -> str:
    """The SDK's endpoint for the region: its map first, else ``ecs.<region>.aliyuncs.com``.

    The map's central hosts serve the regions they name (the request carries
    ``RegionId``); every other region has its own regional host, the SDK's
    ``regional`` rule and the ECS endpoint page's table.
    """
    return f"https://{_ECS_HOSTS.get(region, f'ecs.{region}.aliyuncs.com')}"


#: Every host the ECS defaults can name (the egress allow-list accepts each exactly).
ECS_DEFAULT_HOSTS = frozenset(_ECS_HOSTS.values())
