"""ECS ENIs (Modify and its describe companions) through HTTP: every rule and error code.

Every test runs twice, signed with v1 (HMAC-SHA1) and with ACS3-HMAC-SHA256,
through the project's own signers (:class:`tests.fixtures.alibaba_kit.Ali`).
The ids are the default inventory's (alibaba_ecs_ids.py; examples/sim-inventory.yaml
documents what each one models). :data:`MODIFY_CODES` is the error table of the
ModifyNetworkInterfaceAttribute reference; a test checks that every code in
it is produced here, by its cause or, where the cause lies outside the
model, by fault injection.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from cloudnet.providers.alibaba_ecs.errors import ECS_ERRORS
from cloudnet.sim.gateways.alibaba_pop import AlibabaGateway
from cloudnet.sim.server import create_app
from tests.fixtures.alibaba_ecs_ids import (
    ATTACHING,
    BATCH,
    BATCH_DATA,
    BATCH_PRIMARY,
    BATCH_STORAGE,
    DEMO,
    HANGZHOU_ENIS,
    HP1,
    HP2,
    IPV6,
    LEGACY,
    LEGACY_INSTANCE,
    MANAGED_ENI,
    RDMA,
    RDMA_STD,
    REGION,
    SG_ACK,
    SG_CLASSIC,
    SG_DB,
    SG_ENT,
    SG_ENT_FULL,
    SG_FULL,
    SG_MON,
    SG_OPS,
    SG_OTHER_VPC,
    SG_SGP,
    SG_WEB,
    SGP,
    SGP_ENI,
    SPARE,
    SRIOV,
    STARTING,
    TRUNK,
    VPC,
    VSW_H,
    WEB,
    WEB_DATA,
    WEB_PRIMARY,
)
from tests.fixtures.alibaba_kit import RO_AK, RO_SK, Ali, assert_ali_error
from tests.fixtures.simkit import ClientFactory, FakeClock, sim

VERSION = "2014-05-26"
MODIFY = "ModifyNetworkInterfaceAttribute"
ATTRIBUTE = "DescribeNetworkInterfaceAttribute"
LIST = "DescribeNetworkInterfaces"

TRAFFIC = "NetworkInterfaceTrafficConfig."
TRACKING = "ConnectionTrackingConfiguration."
ENHANCED = "EnhancedNetwork."

#: ModifyNetworkInterfaceAttribute's error table, every code once
#: (InvalidOperation.InvalidEniState is there twice)
MODIFY_CODES = frozenset(
    {
        "InvalidOperation.NotSupportModifyQueueNumber",
        "MissingParameter",
        "UnsupportedParameter",
        "InvalidParameter",
        "InvalidInstanceID.Malformed",
        "InvalidOperation.InvalidEcsState",
        "InvalidOperation.InvalidEniState",
        "InvalidOperation.DetachPrimaryEniNotAllowed",
        "InvalidParams.EniId",
        "Forbidden.RegionId",
        "JoinedGroupLimitExceed",
        "InvalidEniQueueSize.RegionOrUserNotSupported",
        "InvalidParameter.EniQueueSize",
        "InvalidParameter.Conflict",
        "InvalidConnectionTrackingConfiguration.RegionOrUserNotSupported",
        "InvalidParameter.InvalidQueuePairNumber",
        "InvalidParameter.EniConnectionTrackingConfiguration",
        "InvalidOperation.MaxEniQueuePairNumberExceed",
        "InvalidOperation.HighPerformanceEniPerInstanceLimitExceeded",
        "InvalidOperation.InstanceTypeNotSupportHighPerformance",
        "InvalidTrafficMode.ModifyToStandardNotSupported",
        "InvalidOperation.EniTrafficModeNotSupportIPv6",
        "InvalidOperation.EniQueuePairNumberOverflow",
        "InvalidParameter.QueuePairNumberMustEmpty",
        "InvalidParameter.EniTrafficMode",
        "InvalidOperation.InstanceTypeNotSupportRss",
        "InvalidParameter.EniEnhancedNetwork",
        "InvalidOperation.NotSupportModifyVFQueueNumberAndVFQuantity",
        "InvalidOperation.TrunkAttachmentMustEmpty",
        "Throttling",
        "InvalidOperation.SourceDestCheckUnsupported",
        "InternalError",
        "InvalidUserType.NotSupported",
        "Abs.InvalidAccount.NotFound",
        "Forbidden.NotSupportRAM",
        "Forbidden.SubUser",
        "MaxEniCountExceeded",
        "EniPerInstanceLimitExceeded",
        "InvalidOperation.AvailabilityZoneMismatch",
        "InvalidOperation.VpcMismatch",
        "SecurityGroupInstanceLimitExceed",
        "InvalidSecurityGroupId.NotVpc",
        "InvalidOperation.InvalidEniType",
        "InvalidOperation.EniServiceManaged",
        "InvalidOperation.MultiGroupType",
        "InvalidOperation.EniCountExceeded",
        "InvalidParams.NetworkInterfaceName",
        "InvalidOperation.ModifyPrimaryEniQueueNumber",
        "InvalidOperation.ResourceManagedByCloudProduct",
        "InvalidParameter.InvalidEniQueueNumber",
        "InvalidOperation.MaxEniQueueNumberExceeded",
        "InvalidOperation.ExceedInstanceTypeQueueNumber",
        "AclLimitExceed",
        "InvalidOperation.EniTypeUnsupported",
        "InvalidEcsId.NotFound",
        "InvalidEniId.NotFound",
        "InvalidVSwitchId.NotFound",
        "InvalidSecurityGroupId.NotFound",
        "InvalidOperation.PrimaryEniOnlySupportModifyNameAndDesc",
        "InvalidParameter.SecurityGroupIdRepeated",
    }
)

#: codes whose cause lies outside the model: fault injection only, with the reference's status
FAULT_ONLY = {
    "InternalError": 500,
    "InvalidInstanceID.Malformed": 400,
    "InvalidUserType.NotSupported": 403,
    "Abs.InvalidAccount.NotFound": 403,
    "Forbidden.NotSupportRAM": 403,
    "MaxEniCountExceeded": 403,
    "EniPerInstanceLimitExceeded": 403,
    "InvalidOperation.AvailabilityZoneMismatch": 403,
    "InvalidOperation.InvalidEniType": 403,
    "AclLimitExceed": 403,
    "InvalidOperation.EniTypeUnsupported": 403,
    "InvalidVSwitchId.NotFound": 404,
}

#: codes produced by tests of their own below (setup beyond one request)
OWN_TESTS = frozenset(
    {"Throttling", "Forbidden.SubUser", "InvalidEcsId.NotFound", "SecurityGroupInstanceLimitExceed"}
)


class Ecs:
    """ECS 2014-05-26 calls on an :class:`Ali` client."""

    def __init__(self, ali: Ali) -> None:
        self.ali = ali

    async def call(self, action: str, params: dict[str, Any]) -> httpx.Response:
        return await self.ali.call(action, params, version=VERSION)

    async def ok(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        response = await self.call(action, params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert body["RequestId"] == response.headers["x-acs-request-id"]
        return body

    async def err(
        self, action: str, params: dict[str, Any], code: str, status: int = 400
    ) -> dict[str, Any]:
        return assert_ali_error(await self.call(action, params), status, code)

    async def modify(self, eni: str, region: str = REGION, **params: Any) -> dict[str, Any]:
        return await self.ok(MODIFY, {"RegionId": region, "NetworkInterfaceId": eni, **params})

    async def attribute(
        self, eni: str, region: str = REGION, attribute: str | None = None
    ) -> dict[str, Any]:
        params = {"RegionId": region, "NetworkInterfaceId": eni, "Attribute": attribute}
        return await self.ok(ATTRIBUTE, params)

    async def listing(self, **params: Any) -> dict[str, Any]:
        return await self.ok(LIST, {"RegionId": REGION, **params})


@pytest.fixture(params=["v1", "acs3"])
def ecs(request: pytest.FixtureRequest, make_client: ClientFactory, clock: FakeClock) -> Ecs:
    return Ecs(Ali(make_client(auth=httpx.Auth()), clock, request.param))


def groups(*ids: str) -> dict[str, str]:
    return {f"SecurityGroupId.{n}": group for n, group in enumerate(ids, start=1)}


def sriov(total: int | None, quantity: int | None, enable: str | None = "true") -> dict[str, Any]:
    params = {
        ENHANCED + "EnableSriov": enable,
        ENHANCED + "VirtualFunctionTotalQueueNumber": total,
        ENHANCED + "VirtualFunctionQuantity": quantity,
    }
    return {k: v for k, v in params.items() if v is not None}


# -- shapes -----------------------------------------------------------------------------------


async def test_describe_attribute_has_the_sdk_shape(ecs: Ecs) -> None:
    body = await ecs.attribute(DEMO)
    body.pop("RequestId")
    assert body == {
        "CreationTime": "2025-01-15T08:00:00Z",
        "DeleteOnRelease": False,
        "Description": "secondary ENI for the demo",
        "EnhancedNetwork": {"EnableSriov": False},
        "InstanceId": "",
        "Ipv6Sets": {"Ipv6Set": []},
        "MacAddress": "00:16:3e:12:a4:01",
        "NetworkInterfaceId": DEMO,
        "NetworkInterfaceName": "eni-demo",
        "NetworkInterfaceTrafficConfig": {"NetworkInterfaceTrafficMode": "Standard"},
        "NetworkInterfaceTrafficMode": "Standard",
        "OwnerId": "1234567890123456",
        "PrivateIpAddress": "172.16.1.20",
        "PrivateIpSets": {"PrivateIpSet": [{"PrivateIpAddress": "172.16.1.20", "Primary": True}]},
        "ResourceGroupId": "",
        "SecurityGroupIds": {"SecurityGroupId": [SG_WEB]},
        "ServiceManaged": False,
        "SourceDestCheck": False,
        "Status": "Available",
        "Tags": {"Tag": []},
        "Type": "Secondary",
        "VSwitchId": VSW_H,
        "VpcId": VPC,
        "ZoneId": "cn-hangzhou-h",
    }


async def test_connection_tracking_only_when_asked(ecs: Ecs) -> None:
    assert "ConnectionTrackingConfiguration" not in await ecs.attribute(DEMO)
    body = await ecs.attribute(DEMO, attribute="connectionTrackingConfiguration")
    assert body["ConnectionTrackingConfiguration"] == {
        "TcpClosedAndTimeWaitTimeout": 3,
        "TcpEstablishedTimeout": 910,
        "UdpTimeout": 30,
    }


async def test_attachment_only_when_asked(ecs: Ecs) -> None:
    assert "Attachment" not in await ecs.attribute(TRUNK)
    body = await ecs.attribute(TRUNK, attribute="attachment")
    assert body["Attachment"] == {
        "DeviceIndex": 2,
        "InstanceId": WEB,
        "MemberNetworkInterfaceIds": {"MemberNetworkInterfaceId": ["eni-bp1m3e5m7b9e1r3m5mbr"]},
    }


async def test_queue_number_reports_the_instance_types_default(ecs: Ecs) -> None:
    primary = await ecs.attribute(WEB_PRIMARY)
    assert (primary["QueueNumber"], primary["Type"], primary["InstanceId"]) == (8, "Primary", WEB)
    assert primary["NetworkInterfaceTrafficConfig"]["QueueNumber"] == 8
    assert (await ecs.attribute(BATCH_DATA))["QueueNumber"] == 8  # InUse, never set
    assert (await ecs.attribute(BATCH_STORAGE))["QueueNumber"] == 4  # set
    assert "QueueNumber" not in await ecs.attribute(DEMO)  # Available, never set


async def test_high_performance_and_sriov_attributes(ecs: Ecs) -> None:
    hp = await ecs.attribute(HP1)
    assert hp["NetworkInterfaceTrafficMode"] == "HighPerformance"
    assert hp["QueuePairNumber"] == 8
    assert hp["NetworkInterfaceTrafficConfig"] == {
        "NetworkInterfaceTrafficMode": "HighPerformance",
        "QueueNumber": 8,
        "QueuePairNumber": 8,
    }
    assert (await ecs.attribute(SRIOV))["EnhancedNetwork"] == {
        "EnableSriov": True,
        "VirtualFunctionQuantity": 4,
        "VirtualFunctionTotalQueueNumber": 16,
    }
    assert (await ecs.attribute(WEB_DATA))["EnhancedNetwork"] == {
        "EnableSriov": False,
        "EnableRss": True,
    }
    assert (await ecs.attribute(IPV6))["Ipv6Sets"] == {
        "Ipv6Set": [{"Ipv6Address": "2408:4005:39c:e700:1:2:3:4"}]
    }


async def test_list_item_shape(ecs: Ecs) -> None:
    body = await ecs.listing(**{"NetworkInterfaceId.1": BATCH_STORAGE})
    assert set(body) == {"RequestId", "NextToken", "TotalCount", "NetworkInterfaceSets"}
    [item] = body["NetworkInterfaceSets"]["NetworkInterfaceSet"]
    assert (body["NextToken"], body["TotalCount"]) == ("", 1)
    assert item["Attachment"] == {"DeviceIndex": 2, "InstanceId": BATCH}
    assert item["SecurityGroupIds"] == {"SecurityGroupId": [SG_WEB]}
    assert (item["QueueNumber"], item["NetworkInterfaceTrafficMode"]) == (4, "Standard")
    assert (item["SourceDestCheck"], item["DeleteOnRelease"], item["Status"]) == (
        False,
        True,
        "InUse",
    )
    # the SDK's list item has no traffic config, connection tracking or EnhancedNetwork
    for absent in ("NetworkInterfaceTrafficConfig", "ConnectionTrackingConfiguration"):
        assert absent not in item
    assert "EnhancedNetwork" not in item and "RxQueueSize" not in item


async def test_describe_attribute_errors(ecs: Ecs) -> None:
    base = {"RegionId": REGION, "NetworkInterfaceId": DEMO}
    await ecs.err(ATTRIBUTE, {"RegionId": REGION}, "MissingParameter")
    await ecs.err(ATTRIBUTE, {"NetworkInterfaceId": DEMO}, "MissingParameter")
    await ecs.err(ATTRIBUTE, {**base, "RegionId": "cn-nowhere"}, "Forbidden.RegionId")
    await ecs.err(ATTRIBUTE, {**base, "NetworkInterfaceId": "nic-1"}, "InvalidParams.EniId")
    await ecs.err(ATTRIBUTE, {**base, "Attribute": "qos"}, "InvalidParameter")
    await ecs.err(ATTRIBUTE, {**base, "RegionId": SGP}, "InvalidEniId.NotFound", 404)
    assert (await ecs.attribute(SGP_ENI, region=SGP))["ZoneId"] == "ap-southeast-1a"


# -- paging and filters -----------------------------------------------------------------------


async def test_next_token_paging_walks_every_eni_once(ecs: Ecs) -> None:
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        params: dict[str, Any] = {"MaxResults": 10}
        if token:
            params["NextToken"] = token
        body = await ecs.listing(**params)
        items = body["NetworkInterfaceSets"]["NetworkInterfaceSet"]
        seen += [i["NetworkInterfaceId"] for i in items]
        assert body["TotalCount"] == HANGZHOU_ENIS
        pages += 1
        token = body["NextToken"]
        if not token:
            break
    assert pages == 2 and len(seen) == len(set(seen)) == HANGZHOU_ENIS
    assert SGP_ENI not in seen and seen[0] == DEMO


@pytest.mark.parametrize(("asked", "got"), [(None, 10), (1, 10), (12, 12), (100000, 17)])
async def test_max_results_is_clamped_to_10_500(ecs: Ecs, asked: int | None, got: int) -> None:
    body = await ecs.listing(MaxResults=asked)
    assert len(body["NetworkInterfaceSets"]["NetworkInterfaceSet"]) == got
    assert bool(body["NextToken"]) == (got < HANGZHOU_ENIS)


async def test_bad_paging_values(ecs: Ecs) -> None:
    await ecs.err(LIST, {"RegionId": REGION, "NextToken": "not-ours"}, "InvalidParameter")
    await ecs.err(LIST, {"RegionId": REGION, "MaxResults": "ten"}, "InvalidParameter")
    await ecs.err(LIST, {"RegionId": REGION, "PageSize": 101}, "InvalidParameter")
    await ecs.err(LIST, {"RegionId": REGION, "PageNumber": 0}, "InvalidParameter")
    await ecs.err(LIST, {}, "MissingParameter")
    await ecs.err(LIST, {"RegionId": "cn-nowhere"}, "Forbidden.RegionId")
    ids = {f"NetworkInterfaceId.{n}": f"eni-bp1x{n}" for n in range(1, 102)}
    await ecs.err(LIST, {"RegionId": REGION, **ids}, "InvalidParameter")


async def test_deprecated_page_number_and_size(ecs: Ecs) -> None:
    body = await ecs.listing(PageNumber=4, PageSize=5)
    assert (body["PageNumber"], body["PageSize"], body["TotalCount"]) == (4, 5, HANGZHOU_ENIS)
    assert len(body["NetworkInterfaceSets"]["NetworkInterfaceSet"]) == 2
    assert "NextToken" not in body


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"InstanceId": BATCH}, [BATCH_PRIMARY, BATCH_DATA, BATCH_STORAGE]),
        ({"Type": "Primary"}, [WEB_PRIMARY, BATCH_PRIMARY]),
        ({"Status": "Attaching"}, [ATTACHING]),
        ({"SecurityGroupId": SG_DB}, [WEB_DATA]),
        ({"NetworkInterfaceName": "eni-demo"}, [DEMO]),
        ({"PrimaryIpAddress": "172.16.2.80"}, [SRIOV]),
        ({"ServiceManaged": "true"}, [MANAGED_ENI]),
        ({"NetworkInterfaceId.1": HP2, "NetworkInterfaceId.2": HP1}, [HP1, HP2]),
        ({"NetworkInterfaceId.1": SGP_ENI}, []),
        ({"VSwitchId": "vsw-bp1e6wyjhjp9jb3lyq7bl", "InstanceId": RDMA}, [HP1, HP2, RDMA_STD]),
    ],
)
async def test_list_filters(ecs: Ecs, filters: dict[str, str], expected: list[str]) -> None:
    body = await ecs.listing(**filters)
    found = [i["NetworkInterfaceId"] for i in body["NetworkInterfaceSets"]["NetworkInterfaceSet"]]
    assert found == expected and body["TotalCount"] == len(expected)


# -- successful modifications -----------------------------------------------------------------


async def test_modify_every_attribute_of_an_available_eni(ecs: Ecs) -> None:
    await ecs.modify(
        SPARE,
        NetworkInterfaceName="eni-renamed_1:a.b",
        Description="changed by the test",
        **groups(SG_DB, SG_OPS),
        QueueNumber=16,
        RxQueueSize=2048,
        TxQueueSize=2048,
        DeleteOnRelease="true",
        SourceDestCheck="true",
        **{
            TRAFFIC + "NetworkInterfaceTrafficMode": "HighPerformance",
            TRAFFIC + "QueuePairNumber": 4,
            TRACKING + "TcpEstablishedTimeout": 300,
            TRACKING + "TcpClosedAndTimeWaitTimeout": 15,
            TRACKING + "UdpTimeout": 100,
            ENHANCED + "EnableRss": "true",
        },
        **sriov(8, 2),
    )
    body = await ecs.attribute(SPARE, attribute="connectionTrackingConfiguration")
    assert (body["NetworkInterfaceName"], body["Description"]) == (
        "eni-renamed_1:a.b",
        "changed by the test",
    )
    assert body["SecurityGroupIds"] == {"SecurityGroupId": [SG_DB, SG_OPS]}
    assert (body["QueueNumber"], body["QueuePairNumber"]) == (16, 4)
    assert (body["DeleteOnRelease"], body["SourceDestCheck"]) == (True, True)
    assert body["NetworkInterfaceTrafficConfig"] == {
        "NetworkInterfaceTrafficMode": "HighPerformance",
        "QueueNumber": 16,
        "QueuePairNumber": 4,
    }
    assert body["ConnectionTrackingConfiguration"] == {
        "TcpClosedAndTimeWaitTimeout": 15,
        "TcpEstablishedTimeout": 300,
        "UdpTimeout": 100,
    }
    assert body["EnhancedNetwork"] == {
        "EnableRss": True,
        "EnableSriov": True,
        "VirtualFunctionQuantity": 2,
        "VirtualFunctionTotalQueueNumber": 8,
    }


async def test_queue_settings_inside_the_traffic_config_and_rx_tx_in_state(
    ecs: Ecs, admin: httpx.AsyncClient
) -> None:
    await ecs.modify(
        SPARE,
        **{
            TRAFFIC + "QueueNumber": 6,
            TRAFFIC + "RxQueueSize": 4096,
            TRAFFIC + "TxQueueSize": 4096,
        },
    )
    assert (await ecs.attribute(SPARE))["QueueNumber"] == 6
    # the same value in both places is no conflict
    await ecs.modify(SPARE, QueueNumber=7, **{TRAFFIC + "QueueNumber": 7})
    state = (await admin.get("/_sim/state")).json()["inventory"]["alibaba"]["ecs"]
    [eni] = [e for e in state["network_interfaces"] if e["id"] == SPARE]
    assert (eni["queue_number"], eni["rx_queue_size"], eni["tx_queue_size"]) == (7, 4096, 4096)


async def test_nested_objects_as_json_and_booleans_in_any_case(ecs: Ecs) -> None:
    await ecs.modify(
        SPARE,
        NetworkInterfaceTrafficConfig=json.dumps(
            {"NetworkInterfaceTrafficMode": "HighPerformance", "QueuePairNumber": 2}
        ),
        ConnectionTrackingConfiguration=json.dumps({"UdpTimeout": 60}),
        DeleteOnRelease="True",
        SourceDestCheck="FALSE",
    )
    body = await ecs.attribute(SPARE, attribute="connectionTrackingConfiguration")
    assert body["NetworkInterfaceTrafficMode"] == "HighPerformance"
    assert body["ConnectionTrackingConfiguration"]["UdpTimeout"] == 60
    assert (body["DeleteOnRelease"], body["SourceDestCheck"]) == (True, False)


async def test_empty_values_count_as_not_given(ecs: Ecs) -> None:
    await ecs.modify(DEMO, NetworkInterfaceName="", Description="")
    assert (await ecs.attribute(DEMO))["NetworkInterfaceName"] == "eni-demo"


async def test_primary_eni_takes_name_and_description(ecs: Ecs) -> None:
    await ecs.modify(WEB_PRIMARY, NetworkInterfaceName="web-eth0", Description="the primary")
    body = await ecs.attribute(WEB_PRIMARY)
    assert (body["NetworkInterfaceName"], body["Description"]) == ("web-eth0", "the primary")


async def test_running_instance_takes_everything_but_queue_numbers(ecs: Ecs) -> None:
    await ecs.modify(
        WEB_DATA,
        NetworkInterfaceName="web-data",
        **groups(SG_WEB, SG_OPS, SG_MON),
        RxQueueSize=8192,
        TxQueueSize=8192,
        **{TRACKING + "UdpTimeout": 10, ENHANCED + "EnableRss": "false"},
    )
    body = await ecs.attribute(WEB_DATA)
    assert body["SecurityGroupIds"]["SecurityGroupId"] == [SG_WEB, SG_OPS, SG_MON]
    assert body["EnhancedNetwork"]["EnableRss"] is False


async def test_queue_number_on_a_stopped_instance_within_its_limits(ecs: Ecs) -> None:
    await ecs.modify(BATCH_DATA, QueueNumber=6)  # 8 + 6 + 4 = 18 of 20
    await ecs.modify(BATCH_STORAGE, QueueNumber=6)  # 8 + 6 + 6 = 20 of 20
    assert (await ecs.attribute(BATCH_STORAGE))["QueueNumber"] == 6


async def test_rdma_changes_within_the_instance_limits(ecs: Ecs) -> None:
    await ecs.modify(HP2, **{TRAFFIC + "QueuePairNumber": 3})
    await ecs.modify(HP1, **{TRAFFIC + "QueuePairNumber": 8})  # 8 + 3 of 12
    await ecs.modify(HP1, **{TRAFFIC + "NetworkInterfaceTrafficMode": "HighPerformance"})
    assert (await ecs.attribute(HP2))["QueuePairNumber"] == 3


async def test_sriov_same_values_then_off(ecs: Ecs) -> None:
    await ecs.modify(SRIOV, **sriov(16, 4))  # unchanged: allowed
    await ecs.modify(SRIOV, **sriov(None, None, enable="false"))
    assert (await ecs.attribute(SRIOV))["EnhancedNetwork"] == {"EnableSriov": False}
    await ecs.modify(SRIOV, **sriov(32, 8))  # off → on with new values
    assert (await ecs.attribute(SRIOV))["EnhancedNetwork"]["VirtualFunctionQuantity"] == 8


async def test_singapore_takes_the_basic_attributes(ecs: Ecs) -> None:
    await ecs.modify(SGP_ENI, region=SGP, NetworkInterfaceName="sgp", **groups(SG_SGP))
    assert (await ecs.attribute(SGP_ENI, region=SGP))["NetworkInterfaceName"] == "sgp"


async def test_a_member_of_a_full_group_may_stay(ecs: Ecs, admin: httpx.AsyncClient) -> None:
    patch = f"/_sim/alibaba/ecs/security_groups/{SG_FULL}"
    assert (await admin.patch(patch, json={"capacity": 3})).status_code == 200
    await ecs.modify(DEMO, **groups(SG_FULL))  # 3 of 3 now
    await ecs.modify(DEMO, **groups(SG_WEB, SG_FULL))  # already a member: no new slot
    await ecs.err(MODIFY, mod(SPARE, **groups(SG_FULL)), "SecurityGroupInstanceLimitExceed", 403)


# -- every error code of ModifyNetworkInterfaceAttribute --------------------------------------


def mod(eni: str | None = DEMO, region: str | None = REGION, **params: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"RegionId": region, "NetworkInterfaceId": eni, **params}
    return {k: v for k, v in out.items() if v is not None}


#: (code, HTTP status, request): one situation per entry, pytest id = code + index
CASES: list[tuple[str, int, dict[str, Any]]] = [
    ("MissingParameter", 400, mod(eni=None)),
    ("MissingParameter", 400, mod(region=None)),
    ("Forbidden.RegionId", 400, mod(region="cn-nowhere")),
    ("InvalidParams.EniId", 400, mod(eni="ENI-bad!")),
    ("InvalidParams.EniId", 400, mod(eni="i-bp1a3x8mkl5qhc9y2run")),
    ("InvalidEniId.NotFound", 404, mod(eni="eni-bp1doesnotexist0000")),
    ("InvalidEniId.NotFound", 404, mod(eni=SGP_ENI)),  # exists, but in another region
    (
        "InvalidOperation.SourceDestCheckUnsupported",
        400,
        mod(SGP_ENI, SGP, SourceDestCheck="true"),
    ),
    (
        "InvalidEniQueueSize.RegionOrUserNotSupported",
        400,
        mod(SGP_ENI, SGP, RxQueueSize=1024, TxQueueSize=1024),
    ),
    (
        "InvalidEniQueueSize.RegionOrUserNotSupported",
        400,
        mod(SGP_ENI, SGP, **{TRAFFIC + "RxQueueSize": 1024}),
    ),
    (
        "InvalidConnectionTrackingConfiguration.RegionOrUserNotSupported",
        400,
        mod(SGP_ENI, SGP, **{TRACKING + "UdpTimeout": 30}),
    ),
    ("UnsupportedParameter", 400, mod(SGP_ENI, SGP, **{ENHANCED + "EnableRss": "true"})),
    ("UnsupportedParameter", 400, mod(WEB_DATA, **sriov(8, 2))),  # g7 has no SR-IOV
    ("InvalidParams.NetworkInterfaceName", 403, mod(NetworkInterfaceName="1starts-with-digit")),
    ("InvalidParams.NetworkInterfaceName", 403, mod(NetworkInterfaceName="a")),
    ("InvalidParams.NetworkInterfaceName", 403, mod(NetworkInterfaceName="a" * 129)),
    ("InvalidParams.NetworkInterfaceName", 403, mod(NetworkInterfaceName="http://x")),
    ("InvalidParams.NetworkInterfaceName", 403, mod(NetworkInterfaceName="has space")),
    ("InvalidParameter", 400, mod(Description="x")),
    ("InvalidParameter", 400, mod(Description="d" * 256)),
    ("InvalidParameter", 400, mod(Description="https://example.com")),
    ("InvalidParameter", 400, mod(DeleteOnRelease="yes")),
    ("InvalidParameter", 400, mod(SourceDestCheck="1")),
    ("InvalidParameter.InvalidEniQueueNumber", 403, mod(QueueNumber=0)),
    ("InvalidParameter.InvalidEniQueueNumber", 403, mod(QueueNumber=2049)),
    ("InvalidParameter.InvalidEniQueueNumber", 403, mod(QueueNumber="eight")),
    ("InvalidParameter.InvalidEniQueueNumber", 403, mod(**{TRAFFIC + "QueueNumber": 0})),
    ("InvalidParameter.Conflict", 400, mod(QueueNumber=4, **{TRAFFIC + "QueueNumber": 6})),
    (
        "InvalidParameter.Conflict",
        400,
        mod(RxQueueSize=1024, TxQueueSize=1024, **{TRAFFIC + "RxQueueSize": 2048}),
    ),
    ("InvalidParameter.EniQueueSize", 400, mod(RxQueueSize=1024, TxQueueSize=2048)),
    ("InvalidParameter.EniQueueSize", 400, mod(RxQueueSize=1024)),  # Tx stays unset
    ("InvalidParameter.EniQueueSize", 400, mod(BATCH_STORAGE, TxQueueSize=2048)),  # Rx 1024
    ("InvalidParameter.EniQueueSize", 400, mod(RxQueueSize=100, TxQueueSize=100)),
    ("InvalidParameter.EniQueueSize", 400, mod(RxQueueSize=32768, TxQueueSize=32768)),
    ("InvalidParameter.EniQueueSize", 400, mod(LEGACY, RxQueueSize=1024, TxQueueSize=1024)),
    (
        "InvalidParameter.EniQueueSize",
        400,
        mod(BATCH_STORAGE, RxQueueSize=16384, TxQueueSize=16384),
    ),
    (
        "InvalidParameter.EniTrafficMode",
        400,
        mod(**{TRAFFIC + "NetworkInterfaceTrafficMode": "Turbo"}),
    ),
    (
        "InvalidParameter.EniTrafficMode",
        400,
        mod(**{TRAFFIC + "NetworkInterfaceTrafficMode": "standard"}),
    ),
    ("InvalidParameter.InvalidQueuePairNumber", 400, mod(HP1, **{TRAFFIC + "QueuePairNumber": 0})),
    (
        "InvalidParameter.InvalidQueuePairNumber",
        400,
        mod(HP1, **{TRAFFIC + "QueuePairNumber": 4096}),
    ),
    (
        "InvalidParameter.EniConnectionTrackingConfiguration",
        400,
        mod(**{TRACKING + "TcpEstablishedTimeout": 90}),
    ),
    (
        "InvalidParameter.EniConnectionTrackingConfiguration",
        400,
        mod(**{TRACKING + "TcpClosedAndTimeWaitTimeout": 2}),
    ),
    (
        "InvalidParameter.EniConnectionTrackingConfiguration",
        400,
        mod(**{TRACKING + "TcpClosedAndTimeWaitTimeout": 16}),
    ),
    (
        "InvalidParameter.EniConnectionTrackingConfiguration",
        400,
        mod(**{TRACKING + "UdpTimeout": 15}),
    ),
    ("InvalidParameter.EniEnhancedNetwork", 400, mod(**sriov(None, 2))),
    ("InvalidParameter.EniEnhancedNetwork", 400, mod(**sriov(8, None))),
    ("InvalidParameter.EniEnhancedNetwork", 400, mod(**sriov(8, 0))),
    ("InvalidParameter.EniEnhancedNetwork", 400, mod(**sriov(8, 257))),
    ("InvalidParameter.EniEnhancedNetwork", 400, mod(**sriov(None, 2, enable="false"))),
    ("InvalidParameter.EniEnhancedNetwork", 400, mod(**sriov(8, None, enable=None))),
    ("InvalidParameter.SecurityGroupIdRepeated", 404, mod(**groups(SG_WEB, SG_DB, SG_WEB))),
    ("InvalidParameter.QueuePairNumberMustEmpty", 400, mod(**{TRAFFIC + "QueuePairNumber": 2})),
    (
        "InvalidParameter.QueuePairNumberMustEmpty",
        400,
        mod(
            HP1,
            **{TRAFFIC + "NetworkInterfaceTrafficMode": "Standard", TRAFFIC + "QueuePairNumber": 2},
        ),
    ),
    ("InvalidOperation.EniServiceManaged", 403, mod(MANAGED_ENI, NetworkInterfaceName="mine")),
    ("InvalidOperation.InvalidEniState", 400, mod(ATTACHING, NetworkInterfaceName="later")),
    ("InvalidOperation.InvalidEniState", 403, mod(WEB_DATA, QueueNumber=2)),  # Running
    ("InvalidOperation.InvalidEniState", 403, mod(WEB_DATA, **{TRAFFIC + "QueueNumber": 2})),
    ("InvalidOperation.ModifyPrimaryEniQueueNumber", 403, mod(WEB_PRIMARY, QueueNumber=4)),
    ("InvalidOperation.ModifyPrimaryEniQueueNumber", 403, mod(BATCH_PRIMARY, QueueNumber=4)),
    ("InvalidOperation.DetachPrimaryEniNotAllowed", 400, mod(WEB_PRIMARY, DeleteOnRelease="false")),
    (
        "InvalidOperation.PrimaryEniOnlySupportModifyNameAndDesc",
        404,
        mod(WEB_PRIMARY, **groups(SG_DB)),
    ),
    (
        "InvalidOperation.PrimaryEniOnlySupportModifyNameAndDesc",
        404,
        mod(WEB_PRIMARY, NetworkInterfaceName="ok", **{TRACKING + "UdpTimeout": 60}),
    ),
    (
        "InvalidOperation.PrimaryEniOnlySupportModifyNameAndDesc",
        404,
        mod(BATCH_PRIMARY, SourceDestCheck="true"),
    ),
    (
        "InvalidOperation.PrimaryEniOnlySupportModifyNameAndDesc",
        404,
        mod(BATCH_PRIMARY, DeleteOnRelease="true"),
    ),
    (
        "InvalidTrafficMode.ModifyToStandardNotSupported",
        400,
        mod(HP1, **{TRAFFIC + "NetworkInterfaceTrafficMode": "Standard"}),
    ),
    (
        "InvalidOperation.EniTrafficModeNotSupportIPv6",
        400,
        mod(IPV6, **{TRAFFIC + "NetworkInterfaceTrafficMode": "HighPerformance"}),
    ),
    ("InvalidOperation.TrunkAttachmentMustEmpty", 400, mod(TRUNK, **sriov(8, 2))),
    (
        "InvalidOperation.NotSupportModifyVFQueueNumberAndVFQuantity",
        400,
        mod(SRIOV, **sriov(32, 4)),
    ),
    (
        "InvalidOperation.NotSupportModifyVFQueueNumberAndVFQuantity",
        400,
        mod(SRIOV, **sriov(16, 8)),
    ),
    ("InvalidOperation.InvalidEcsState", 400, mod(STARTING, QueueNumber=2)),
    (
        "InvalidOperation.InvalidEcsState",
        400,
        mod(STARTING, **{ENHANCED + "EnableRss": "true"}),
    ),
    ("InvalidOperation.NotSupportModifyQueueNumber", 400, mod(LEGACY, QueueNumber=2)),
    ("InvalidOperation.MaxEniQueueNumberExceeded", 403, mod(BATCH_STORAGE, QueueNumber=9)),
    ("InvalidOperation.ExceedInstanceTypeQueueNumber", 403, mod(BATCH_STORAGE, QueueNumber=6 + 1)),
    (
        "InvalidOperation.InstanceTypeNotSupportHighPerformance",
        400,
        mod(BATCH_DATA, **{TRAFFIC + "NetworkInterfaceTrafficMode": "HighPerformance"}),
    ),
    (
        "InvalidOperation.HighPerformanceEniPerInstanceLimitExceeded",
        400,
        mod(RDMA_STD, **{TRAFFIC + "NetworkInterfaceTrafficMode": "HighPerformance"}),
    ),
    (
        "InvalidOperation.MaxEniQueuePairNumberExceed",
        400,
        mod(HP2, **{TRAFFIC + "QueuePairNumber": 9}),
    ),
    (
        "InvalidOperation.EniQueuePairNumberOverflow",
        400,
        mod(HP2, **{TRAFFIC + "QueuePairNumber": 5}),
    ),
    (
        "InvalidOperation.InstanceTypeNotSupportRss",
        400,
        mod(LEGACY, **{ENHANCED + "EnableRss": "true"}),
    ),
    (
        "JoinedGroupLimitExceed",
        400,
        mod(**groups(SG_WEB, SG_DB, SG_OPS, SG_MON, SG_FULL, SG_ACK)),
    ),
    ("JoinedGroupLimitExceed", 400, mod(LEGACY, **groups(SG_WEB, SG_DB, SG_OPS))),  # g6: 2
    ("InvalidSecurityGroupId.NotFound", 404, mod(**groups(SG_WEB, "sg-bp1doesnotexist00000"))),
    ("InvalidSecurityGroupId.NotFound", 404, mod(**groups(SG_SGP))),  # another region
    ("InvalidOperation.ResourceManagedByCloudProduct", 403, mod(**groups(SG_ACK))),
    ("InvalidSecurityGroupId.NotVpc", 403, mod(**groups(SG_CLASSIC))),
    ("InvalidOperation.VpcMismatch", 403, mod(**groups(SG_WEB, SG_OTHER_VPC))),
    ("InvalidOperation.MultiGroupType", 403, mod(**groups(SG_WEB, SG_ENT))),
    ("SecurityGroupInstanceLimitExceed", 403, mod(**groups(SG_WEB, SG_FULL))),
    ("InvalidOperation.EniCountExceeded", 403, mod(**groups(SG_ENT_FULL))),
]


@pytest.mark.parametrize(
    ("code", "status", "params"),
    CASES,
    ids=[f"{code}-{i}" for i, (code, _, _) in enumerate(CASES)],
)
async def test_modify_error(
    ecs: Ecs, admin: httpx.AsyncClient, code: str, status: int, params: dict[str, Any]
) -> None:
    before = (await admin.get("/_sim/state")).json()["inventory"]["alibaba"]["ecs"]
    body = await ecs.err(MODIFY, params, code, status)
    assert body["HostId"] == "ecs.aliyuncs.com"
    after = (await admin.get("/_sim/state")).json()["inventory"]["alibaba"]["ecs"]
    assert after == before  # an error changes nothing


async def test_instance_gone_is_invalid_ecs_id(ecs: Ecs, admin: httpx.AsyncClient) -> None:
    patch = f"/_sim/alibaba/ecs/network_interfaces/{BATCH_DATA}"
    response = await admin.patch(patch, json={"instance_id": "i-bp1released00000000"})
    assert response.status_code == 200
    await ecs.err(MODIFY, mod(BATCH_DATA, NetworkInterfaceName="x1"), "InvalidEcsId.NotFound", 404)


async def test_read_only_key_is_forbidden_sub_user(ecs: Ecs) -> None:
    reader = Ecs(ecs.ali.as_key(RO_AK, RO_SK))
    await reader.err(MODIFY, mod(NetworkInterfaceName="nope"), "Forbidden.SubUser", 403)
    assert (await reader.attribute(DEMO))["NetworkInterfaceName"] == "eni-demo"
    await reader.listing()


async def test_key_without_ecs_is_forbidden(ecs: Ecs, app: Starlette) -> None:
    key = sim(app).store.shared(AlibabaGateway).access_key(ecs.ali.ak)
    assert key is not None
    key.products = ["ens"]
    # Modify: its reference's Forbidden.SubUser; reads: Forbidden.RAM naming the action
    await ecs.err(MODIFY, mod(NetworkInterfaceName="x"), "Forbidden.SubUser", 403)
    body = await ecs.err(LIST, {"RegionId": REGION}, "Forbidden.RAM", 403)
    detail = body["AccessDeniedDetail"]
    assert detail["AuthAction"] == f"ecs:{LIST}"
    assert detail["NoPermissionType"] == "ImplicitDeny"
    assert body["Recommend"].endswith(f"&requestId={body['RequestId']}")


async def test_malformed_region_id(ecs: Ecs) -> None:
    for bad in ("CN-HANGZHOU", "cn_hangzhou", "hangzhou"):
        await ecs.err(LIST, {"RegionId": bad}, "InvalidRegionId.MalFormed", 400)
    await ecs.err(LIST, {"RegionId": "cn-nowhere-9"}, "Forbidden.RegionId", 400)


async def test_throttling(ecs: Ecs, app: Starlette) -> None:
    settings = sim(app).settings
    settings.throttle_rate = 0.5
    settings.throttle_burst = 1
    await ecs.modify(DEMO, NetworkInterfaceName="first")
    response = await ecs.call(MODIFY, mod(NetworkInterfaceName="fast"))
    assert_ali_error(response, 400, "Throttling.User")
    assert int(response.headers["x-acs-retry-after"]) > 0
    ecs.ali.clock.advance(2)
    await ecs.modify(DEMO, NetworkInterfaceName="slow")


@pytest.mark.parametrize(("code", "status"), sorted(FAULT_ONLY.items()))
async def test_fault_only_codes(ecs: Ecs, admin: httpx.AsyncClient, code: str, status: int) -> None:
    rule = {"family": "alibaba-ecs", "action": MODIFY, "error_code": code, "status": status}
    assert (await admin.post("/_sim/faults", json=rule)).status_code == 201
    await ecs.err(MODIFY, mod(NetworkInterfaceName="faulty"), code, status)
    assert (await ecs.attribute(DEMO))["NetworkInterfaceName"] == "eni-demo"  # nothing changed


def test_every_modify_code_is_produced_and_mapped() -> None:
    produced = {code for code, _, _ in CASES} | set(FAULT_ONLY) | OWN_TESTS
    assert produced == MODIFY_CODES
    assert set(ECS_ERRORS) >= MODIFY_CODES


# -- atomicity, persistence, admin ------------------------------------------------------------


async def test_modify_is_all_or_nothing(ecs: Ecs) -> None:
    # every part valid on its own; the last check (the group's capacity) fails
    await ecs.err(
        MODIFY,
        mod(
            NetworkInterfaceName="half-done",
            QueueNumber=4,
            **{TRACKING + "UdpTimeout": 60},
            **groups(SG_FULL),
        ),
        "SecurityGroupInstanceLimitExceed",
        403,
    )
    body = await ecs.attribute(DEMO, attribute="connectionTrackingConfiguration")
    assert body["NetworkInterfaceName"] == "eni-demo" and "QueueNumber" not in body
    assert body["ConnectionTrackingConfiguration"]["UdpTimeout"] == 30
    assert body["SecurityGroupIds"]["SecurityGroupId"] == [SG_WEB]


async def test_changes_persist_across_restarts(tmp_path: Path, clock: FakeClock) -> None:
    state = tmp_path / "state.json"

    async def session() -> Ecs:
        application = create_app(state=state, clock=clock)
        sim(application).settings.throttle_rate = 0
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://ecs.sim.test"
        )
        return Ecs(Ali(client, clock, "acs3"))

    first = await session()
    await first.modify(DEMO, NetworkInterfaceName="persisted", **groups(SG_DB))
    await first.ali.client.aclose()
    second = await session()
    body = await second.attribute(DEMO)
    await second.ali.client.aclose()
    assert body["NetworkInterfaceName"] == "persisted"
    assert body["SecurityGroupIds"]["SecurityGroupId"] == [SG_DB]


async def test_admin_edits_are_drift(ecs: Ecs, admin: httpx.AsyncClient) -> None:
    patch = f"/_sim/alibaba/ecs/network_interfaces/{DEMO}"
    response = await admin.patch(
        patch, json={"network_interface_name": "edited-in-console", "udp_timeout": 100}
    )
    assert response.status_code == 200 and response.json()["udp_timeout"] == 100
    body = await ecs.attribute(DEMO, attribute="connectionTrackingConfiguration")
    assert body["NetworkInterfaceName"] == "edited-in-console"
    assert body["ConnectionTrackingConfiguration"]["UdpTimeout"] == 100
    listed = await ecs.listing(**{"NetworkInterfaceId.1": DEMO})
    [item] = listed["NetworkInterfaceSets"]["NetworkInterfaceSet"]
    assert item["NetworkInterfaceName"] == "edited-in-console"


async def test_admin_stops_and_starts_an_instance(ecs: Ecs, admin: httpx.AsyncClient) -> None:
    patch = f"/_sim/alibaba/ecs/instances/{WEB}"
    await ecs.err(MODIFY, mod(WEB_DATA, QueueNumber=2), "InvalidOperation.InvalidEniState", 403)
    assert (await admin.patch(patch, json={"status": "Stopped"})).status_code == 200
    await ecs.modify(WEB_DATA, QueueNumber=2)
    assert (await ecs.attribute(WEB_DATA))["QueueNumber"] == 2


async def test_admin_edit_errors(admin: httpx.AsyncClient) -> None:
    base = "/_sim/alibaba/ecs"
    assert (await admin.patch(f"{base}/routers/x", json={})).status_code == 404
    assert (await admin.patch(f"{base}/network_interfaces/eni-bp1none", json={})).status_code == 404
    response = await admin.patch(f"{base}/network_interfaces/{DEMO}", json={"status": "Gone"})
    assert response.status_code == 400
    response = await admin.patch(f"{base}/network_interfaces/{DEMO}", json={"id": "eni-x"})
    assert response.status_code == 400
    response = await admin.patch(f"{base}/network_interfaces/{DEMO}", json=[1])
    assert response.status_code == 400
    for kind, object_id in (
        ("regions", SGP),
        ("vpcs", VPC),
        ("instance_types", "ecs.g6.large"),
        ("security_groups", SG_WEB),
    ):
        assert (await admin.patch(f"{base}/{kind}/{object_id}", json={})).status_code == 200


async def test_state_holds_the_ecs_world(admin: httpx.AsyncClient) -> None:
    ecs_state = (await admin.get("/_sim/state")).json()["inventory"]["alibaba"]["ecs"]
    assert {r["id"] for r in ecs_state["regions"]} == {REGION, SGP}
    assert len(ecs_state["network_interfaces"]) == HANGZHOU_ENIS + 1
    assert {i["id"] for i in ecs_state["instances"]} >= {WEB, BATCH, RDMA, LEGACY_INSTANCE}


async def test_calls_are_logged_as_alibaba_ecs(ecs: Ecs, admin: httpx.AsyncClient) -> None:
    await ecs.attribute(DEMO)
    entries = (await admin.get("/_sim/requests", params={"family": "alibaba-ecs"})).json()
    assert entries["requests"][-1]["action"] == ATTRIBUTE
