"""ECS's public endpoint per region, as the official SDK's endpoint map gives it.

``ecs.<region>.aliyuncs.com`` ("Endpoints", ECS API reference) except where
the SDK's endpoint map (``alibabacloud_ecs20140526``) names a central host.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

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
