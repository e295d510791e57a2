"""The default endpoints are the official SDKs' own, region by region.

The SDKs are the oracle: each is asked for its endpoint of a region (the
Huawei SDK's ``NatRegion`` map, the Alibaba clients' endpoint resolution with
their ``_endpoint_map`` and ``regional`` rule), and the operator's default for
that region must be the same URL, so a ProviderConfig without ``endpoint``
calls where an SDK user's program would. Every default must also pass the
endpoint allow-list, or the operator would refuse its own default.
"""

from __future__ import annotations

from typing import Any

import pytest
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_ens20171110.client import Client as EnsClient
from alibabacloud_smartag20180313.client import Client as SagClient
from alibabacloud_tea_openapi.models import Config
from huaweicloudsdknat.v2.region.nat_region import NatRegion

from cloudnet.clouds.egress import EndpointRefused
from cloudnet.providers.alibaba_ecs.endpoints import ecs_endpoint
from cloudnet.providers.alibaba_ens.endpoints import ENS_ENDPOINT
from cloudnet.providers.alibaba_sag.endpoints import SAG_ENDPOINTS
from cloudnet.providers.huawei_nat.endpoints import HUAWEI_NAT_ENDPOINTS
from cloudnet.registry import endpoint_policy

POLICY = endpoint_policy()

#: Public ECS regions outside the SDK's map: the regional rule applies to them.
ECS_REGIONAL = (
    "cn-beijing",
    "cn-shanghai",
    "cn-hongkong",
    "ap-southeast-1",
    "ap-northeast-1",
    "us-west-1",
    "eu-central-1",
    "me-east-1",
)


def _sdk_endpoint(client: type[Any], region: str) -> str:
    config = Config(access_key_id="sdk-oracle", access_key_secret="unused", region_id=region)
    return f"https://{client(config)._endpoint}"


def _sdk_map(client: type[Any]) -> dict[str, str]:
    config = Config(access_key_id="sdk-oracle", access_key_secret="unused", region_id="x-1")
    return dict(client(config)._endpoint_map)


def test_huawei_nat_endpoints_are_the_sdks_nat_region_map() -> None:
    sdk = {rid: region.endpoint for rid, region in NatRegion.static_fields.items()}
    assert sdk == dict(HUAWEI_NAT_ENDPOINTS)
    for region, url in HUAWEI_NAT_ENDPOINTS.items():
        assert NatRegion.value_of(region).endpoint == url
        POLICY.check("huawei-nat", url)


def test_sag_endpoints_are_the_sdks_endpoint_map() -> None:
    assert set(_sdk_map(SagClient)) == set(SAG_ENDPOINTS)
    for region, url in SAG_ENDPOINTS.items():
        assert _sdk_endpoint(SagClient, region) == url
        POLICY.check("alibaba-sag", url)


def test_ens_has_one_endpoint_for_every_region_the_sdk_names() -> None:
    for region in _sdk_map(EnsClient):
        assert _sdk_endpoint(EnsClient, region) == ENS_ENDPOINT
    POLICY.check("alibaba-ens", ENS_ENDPOINT)


@pytest.mark.parametrize("region", sorted(_sdk_map(EcsClient)) + list(ECS_REGIONAL))
def test_ecs_endpoint_is_the_sdks_for_the_region(region: str) -> None:
    url = ecs_endpoint(region)
    assert url == _sdk_endpoint(EcsClient, region)
    assert POLICY.check("alibaba-ecs", url).scheme == "https"


def test_an_ecs_central_host_is_allowed_exactly_not_as_a_shape() -> None:
    POLICY.check("alibaba-ecs", "https://ecs-cn-hangzhou.aliyuncs.com")
    with pytest.raises(EndpointRefused, match="not a alibaba-ecs API host"):
        POLICY.check("alibaba-ecs", "https://ecs-evil.aliyuncs.com")
