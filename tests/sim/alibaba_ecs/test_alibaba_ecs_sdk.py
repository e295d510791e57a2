"""The official ECS SDK (``alibabacloud_ecs20140526``), unchanged, against a live simulator.

The SDK flattens the request models with ``Utils.query``
(``SecurityGroupId.1``, ``NetworkInterfaceTrafficConfig.QueueNumber``,
booleans as ``True``), signs with ACS3-HMAC-SHA256 by default and with v1
HMAC-SHA1 when ``signature_algorithm='v2'``, and reads answers into its
response models: that the nested models come back filled proves the
simulator's shapes match them.
"""

from __future__ import annotations

import pytest
from alibabacloud_ecs20140526 import models as ecs
from alibabacloud_ecs20140526.client import Client
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.models import Config

from tests.fixtures.alibaba_ecs_ids import (
    DEMO,
    HANGZHOU_ENIS,
    REGION,
    SG_DB,
    SG_OPS,
    SG_WEB,
    SPARE,
    WEB_PRIMARY,
)
from tests.fixtures.alibaba_kit import AK, RO_AK, RO_SK, SK
from tests.fixtures.simkit import LiveServer

ALGORITHMS = [None, "v2"]  # None: the SDK's default ACS3-HMAC-SHA256; "v2": v1 HMAC-SHA1


def ecs_client(
    live: LiveServer, algorithm: str | None, *, ak: str = AK, secret: str = SK
) -> Client:
    config = Config(
        access_key_id=ak,
        access_key_secret=secret,
        endpoint=f"127.0.0.1:{live.port}",
        protocol="http",
        region_id=REGION,
        read_timeout=10_000,
        connect_timeout=5_000,
    )
    if algorithm is not None:
        config.signature_algorithm = algorithm
    return Client(config)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_official_sdk_modify_and_describe(live: LiveServer, algorithm: str | None) -> None:
    client = ecs_client(live, algorithm)
    modified = client.modify_network_interface_attribute(
        ecs.ModifyNetworkInterfaceAttributeRequest(
            region_id=REGION,
            network_interface_id=SPARE,
            network_interface_name="made-by-the-sdk",
            description="set through alibabacloud_ecs20140526",
            security_group_id=[SG_DB, SG_OPS],
            delete_on_release=True,
            source_dest_check=True,
            network_interface_traffic_config=(
                ecs.ModifyNetworkInterfaceAttributeRequestNetworkInterfaceTrafficConfig(
                    network_interface_traffic_mode="HighPerformance",
                    queue_number=12,
                    queue_pair_number=4,
                    rx_queue_size=2048,
                    tx_queue_size=2048,
                )
            ),
            connection_tracking_configuration=(
                ecs.ModifyNetworkInterfaceAttributeRequestConnectionTrackingConfiguration(
                    tcp_established_timeout=600 - 100,
                    tcp_closed_and_time_wait_timeout=10,
                    udp_timeout=80,
                )
            ),
            enhanced_network=ecs.ModifyNetworkInterfaceAttributeRequestEnhancedNetwork(
                enable_sriov=True,
                enable_rss=True,
                virtual_function_quantity=2,
                virtual_function_total_queue_number=8,
            ),
        )
    )
    assert modified.status_code == 200 and modified.body.request_id

    shown = client.describe_network_interface_attribute(
        ecs.DescribeNetworkInterfaceAttributeRequest(
            region_id=REGION,
            network_interface_id=SPARE,
            attribute="connectionTrackingConfiguration",
        )
    ).body
    assert (shown.network_interface_name, shown.description) == (
        "made-by-the-sdk",
        "set through alibabacloud_ecs20140526",
    )
    assert shown.security_group_ids.security_group_id == [SG_DB, SG_OPS]
    assert (shown.delete_on_release, shown.source_dest_check) == (True, True)
    assert (shown.queue_number, shown.queue_pair_number, shown.status) == (12, 4, "Available")
    traffic = shown.network_interface_traffic_config
    assert (traffic.network_interface_traffic_mode, traffic.queue_number) == (
        "HighPerformance",
        12,
    )
    assert traffic.queue_pair_number == 4
    tracking = shown.connection_tracking_configuration
    assert (
        tracking.tcp_established_timeout,
        tracking.tcp_closed_and_time_wait_timeout,
        tracking.udp_timeout,
    ) == (500, 10, 80)
    enhanced = shown.enhanced_network
    assert (enhanced.enable_sriov, enhanced.enable_rss) == (True, True)
    assert (enhanced.virtual_function_quantity, enhanced.virtual_function_total_queue_number) == (
        2,
        8,
    )
    assert shown.private_ip_sets.private_ip_set[0].primary is True


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_official_sdk_lists_with_next_token(live: LiveServer, algorithm: str | None) -> None:
    client = ecs_client(live, algorithm)
    seen: list[str] = []
    token: str | None = None
    while True:
        body = client.describe_network_interfaces(
            ecs.DescribeNetworkInterfacesRequest(region_id=REGION, max_results=10, next_token=token)
        ).body
        seen += [s.network_interface_id for s in body.network_interface_sets.network_interface_set]
        token = body.next_token or None
        if token is None:
            break
    assert len(seen) == len(set(seen)) == HANGZHOU_ENIS

    [primary] = client.describe_network_interfaces(
        ecs.DescribeNetworkInterfacesRequest(
            region_id=REGION, network_interface_id=[WEB_PRIMARY, "eni-bp1nosuchone00000000"]
        )
    ).body.network_interface_sets.network_interface_set
    assert (primary.type, primary.queue_number, primary.attachment.device_index) == (
        "Primary",
        8,
        0,
    )
    assert primary.security_group_ids.security_group_id == [SG_WEB]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_official_sdk_sees_our_error_codes(live: LiveServer, algorithm: str | None) -> None:
    client = ecs_client(live, algorithm)
    with pytest.raises(ClientException) as repeated:
        client.modify_network_interface_attribute(
            ecs.ModifyNetworkInterfaceAttributeRequest(
                region_id=REGION, network_interface_id=DEMO, security_group_id=[SG_WEB, SG_WEB]
            )
        )
    error = repeated.value
    assert (error.status_code, error.code) == (404, "InvalidParameter.SecurityGroupIdRepeated")
    assert error.request_id and error.data["HostId"] == "ecs.aliyuncs.com"

    with pytest.raises(ClientException) as primary:
        client.modify_network_interface_attribute(
            ecs.ModifyNetworkInterfaceAttributeRequest(
                region_id=REGION,
                network_interface_id=WEB_PRIMARY,
                connection_tracking_configuration=(
                    ecs.ModifyNetworkInterfaceAttributeRequestConnectionTrackingConfiguration(
                        udp_timeout=60
                    )
                ),
            )
        )
    assert primary.value.code == "InvalidOperation.PrimaryEniOnlySupportModifyNameAndDesc"

    with pytest.raises(ClientException) as missing:
        client.describe_network_interface_attribute(
            ecs.DescribeNetworkInterfaceAttributeRequest(
                region_id=REGION, network_interface_id="eni-bp1nosuchone00000000"
            )
        )
    assert (missing.value.status_code, missing.value.code) == (404, "InvalidEniId.NotFound")

    reader = ecs_client(live, algorithm, ak=RO_AK, secret=RO_SK)
    with pytest.raises(ClientException) as denied:
        reader.modify_network_interface_attribute(
            ecs.ModifyNetworkInterfaceAttributeRequest(
                region_id=REGION, network_interface_id=DEMO, description="read-only key"
            )
        )
    assert (denied.value.status_code, denied.value.code) == (403, "Forbidden.SubUser")
