"""ENS forward entries (Create/ModifyForwardEntry) through HTTP: every rule and error code.

Every test runs twice, signed with v1 (HMAC-SHA1, parameters in the query)
and with ACS3-HMAC-SHA256 (Action and Version in headers), through the
project's own signers. The clock is fake, so Pending/Deleting delays are
exact. The helpers (:class:`Ali`, the default inventory's ids) are in
alibaba_kit.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from cloudnet.sim.server import create_app
from tests.fixtures.alibaba_kit import (
    AK,
    ECS_AK,
    ECS_SK,
    EIP1,
    EIP2,
    EIP_FREE,
    EIP_OTHER,
    EIP_SNAT,
    EIP_STANDBY,
    ELSEWHERE,
    NAT,
    NAT_CREATING,
    NAT_OTHER,
    RELEASING,
    RO_AK,
    RO_SK,
    STOPPED,
    WEB1,
    WEB1_ID,
    WEB2,
    Ali,
    assert_ali_error,
    entry,
)
from tests.fixtures.simkit import ClientFactory, FakeClock, sim


@pytest.fixture(params=["v1", "acs3"])
def ali(request: pytest.FixtureRequest, make_client: ClientFactory, clock: FakeClock) -> Ali:
    return Ali(make_client(auth=httpx.Auth()), clock, request.param)


async def active(ali: Ali, **overrides: Any) -> str:
    """Create an entry and let it become Available."""
    entry_id = await ali.create(**overrides)
    ali.clock.advance(5)
    return entry_id


# -- lifecycle and shapes ---------------------------------------------------------------------


async def test_create_is_pending_then_available_with_every_field(ali: Ali) -> None:
    entry_id = await ali.create(
        ForwardEntryName="web", HealthCheckPort=80, StandbyExternalIp=EIP_STANDBY
    )
    assert entry_id.startswith("fwd-") and len(entry_id) == 29
    shown = await ali.one(entry_id)
    assert shown == {
        "ExternalIp": EIP1,
        "ExternalPort": "8080",
        "ForwardEntryId": entry_id,
        "ForwardEntryName": "web",
        "HealthCheckPort": "80",
        "InternalIp": WEB1,
        "InternalPort": "80",
        "IpProtocol": "TCP",
        "NatGatewayId": NAT,
        "StandbyExternalIp": EIP_STANDBY,
        "StandbyStatus": "Running",
        "Status": "Pending",
    }
    ali.clock.advance(0.99)
    assert (await ali.one(entry_id))["Status"] == "Pending"
    ali.clock.advance(0.01)
    assert (await ali.one(entry_id))["Status"] == "Available"


async def test_defaults_any_protocol_and_empty_optional_fields(ali: Ali) -> None:
    entry_id = await ali.create(IpProtocol=None)
    shown = await ali.one(entry_id)
    assert shown["IpProtocol"] == "Any"
    assert (shown["ForwardEntryName"], shown["HealthCheckPort"]) == ("", "")
    assert (shown["StandbyExternalIp"], shown["StandbyStatus"]) == ("", "")


async def test_modify_goes_pending_for_the_modify_delay(ali: Ali, app: Starlette) -> None:
    sim(app).settings.alibaba_ens_modify_delay = 3
    entry_id = await active(ali)
    await ali.ok(
        "ModifyForwardEntry",
        {
            "ForwardEntryId": entry_id,
            "ForwardEntryName": "renamed",
            "ExternalIp": EIP2,
            "ExternalPort": "9000/9009",
            "InternalIp": WEB2,
            "InternalPort": "7000/7009",
            "IpProtocol": "UDP",
            "HealthCheckPort": 7005,
        },
    )
    shown = await ali.one(entry_id)
    assert shown["Status"] == "Pending"
    assert (shown["ExternalIp"], shown["ExternalPort"], shown["InternalIp"]) == (
        EIP2,
        "9000/9009",
        WEB2,
    )
    assert (shown["InternalPort"], shown["IpProtocol"], shown["HealthCheckPort"]) == (
        "7000/7009",
        "UDP",
        "7005",
    )
    assert shown["ForwardEntryName"] == "renamed"
    ali.clock.advance(2.5)
    assert (await ali.one(entry_id))["Status"] == "Pending"
    ali.clock.advance(0.5)
    assert (await ali.one(entry_id))["Status"] == "Available"


async def test_delete_goes_deleting_then_gone_and_is_idempotent_meanwhile(ali: Ali) -> None:
    entry_id = await active(ali)
    assert set(await ali.ok("DeleteForwardEntry", {"ForwardEntryId": entry_id})) == {"RequestId"}
    assert (await ali.one(entry_id))["Status"] == "Deleting"
    await ali.ok("DeleteForwardEntry", {"ForwardEntryId": entry_id})  # again: still fine
    # a Deleting entry keeps its external port
    await ali.err("CreateForwardEntry", entry(), "Forbidden.ExternalPort.Duplicated")
    ali.clock.advance(1)
    assert await ali.entries(ForwardEntryId=entry_id) == []
    await ali.err(
        "DeleteForwardEntry", {"ForwardEntryId": entry_id}, "InvalidParameter.DnatNotFound"
    )
    await ali.create()  # the port is free again


async def test_zero_delays_are_immediate(ali: Ali, app: Starlette) -> None:
    settings = sim(app).settings
    settings.alibaba_ens_create_delay = 0
    settings.alibaba_ens_modify_delay = 0
    settings.alibaba_ens_delete_delay = 0
    entry_id = await ali.create()
    assert (await ali.one(entry_id))["Status"] == "Available"
    await ali.ok("ModifyForwardEntry", {"ForwardEntryId": entry_id, "ExternalPort": "8081"})
    assert (await ali.one(entry_id))["Status"] == "Available"
    await ali.ok("DeleteForwardEntry", {"ForwardEntryId": entry_id})
    assert await ali.entries() == []


async def test_form_body_parameters_work_too(ali: Ali) -> None:
    response = await ali.call("CreateForwardEntry", entry(), form=True)
    assert response.status_code == 200, response.text
    assert (await ali.one(response.json()["ForwardEntryId"]))["ExternalPort"] == "8080"


# -- Missing<Param> -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "param", ["NatGatewayId", "ExternalIp", "ExternalPort", "InternalIp", "InternalPort"]
)
async def test_create_missing_required_param(ali: Ali, param: str) -> None:
    body = await ali.err("CreateForwardEntry", entry(**{param: None}), f"Missing{param}")
    assert param in body["Message"]
    await ali.err("CreateForwardEntry", entry(**{param: ""}), f"Missing{param}")


async def test_other_calls_missing_required_param(ali: Ali) -> None:
    await ali.err("ModifyForwardEntry", {"ExternalPort": "1"}, "MissingForwardEntryId")
    await ali.err("DeleteForwardEntry", {}, "MissingForwardEntryId")
    await ali.err("DescribeForwardTableEntries", {}, "MissingNatGatewayId")


# -- the form of each value -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"ExternalIp": "100.64.10"}, "InvalidExternalIp"),
        ({"ExternalIp": "eip-5p4zmw6a1ba0ksb3ydu1l0t2a"}, "InvalidExternalIp"),
        ({"StandbyExternalIp": "::1"}, "InvalidStandbyExternalIp"),
        ({"InternalIp": "10.0.1.256"}, "InvalidParameter.InternalIp"),
        ({"ExternalPort": "0"}, "InvalidPort.Malformed"),
        ({"ExternalPort": "65536"}, "InvalidPort.Malformed"),
        ({"InternalPort": "http"}, "InvalidPort.Malformed"),
        ({"ExternalPort": "20/10", "InternalPort": "20/30"}, "InvalidPort.Malformed"),
        ({"ExternalPort": "10-20", "InternalPort": "10-20"}, "InvalidPort.Malformed"),
        ({"ExternalPort": "10/20/30"}, "InvalidPort.Malformed"),
        ({"InternalPort": "-1"}, "InvalidPort.Malformed"),
        ({"IpProtocol": "tcp"}, "InvalidIpProtocol"),
        ({"IpProtocol": "ICMP"}, "InvalidIpProtocol"),
        ({"ForwardEntryName": "a"}, "InvalidForwardEntryName"),
        ({"ForwardEntryName": "x" * 129}, "InvalidForwardEntryName"),
        ({"ForwardEntryName": "http://web"}, "InvalidForwardEntryName"),
        ({"ForwardEntryName": "https://web"}, "InvalidForwardEntryName"),
        ({"HealthCheckPort": "eighty"}, "InvalidHealthCheckPort"),
        ({"HealthCheckPort": "70000"}, "InvalidHealthCheckPort"),
        # ports together
        ({"ExternalPort": "10/20", "InternalPort": "80"}, "InvalidParameter.InternalPort"),
        ({"ExternalPort": "80", "InternalPort": "10/20"}, "InvalidParameter.InternalPort"),
        ({"ExternalPort": "10/20", "InternalPort": "10/21"}, "InvalidParameter.InternalPort"),
        ({"ExternalPort": "1/1001", "InternalPort": "1/1001"}, "InvalidParameter.ExternalPort"),
        ({"HealthCheckPort": 81}, "InvalidParameter.HealthCheckPort"),
        ({"InternalPort": "80/89", "ExternalPort": "80/89", "HealthCheckPort": 90},
         "InvalidParameter.HealthCheckPort"),
    ],
)  # fmt: skip
async def test_create_rejects_malformed_values(
    ali: Ali, overrides: dict[str, Any], code: str
) -> None:
    await ali.err("CreateForwardEntry", entry(**overrides), code)


@pytest.mark.parametrize(
    "overrides",
    [
        {"ForwardEntryName": "ab"},
        {"ForwardEntryName": "x" * 128},
        {"ForwardEntryName": "web http://"},
        {"ExternalPort": "1/1000", "InternalPort": "1001/2000"},  # exactly 1000 ports
        {"ExternalPort": "65535", "InternalPort": "1"},
        {"ExternalPort": "10/10", "InternalPort": "20/20"},  # a <= b: one-port range
        {"InternalPort": "80/89", "ExternalPort": "80/89", "HealthCheckPort": 89},
        {"IpProtocol": "UDP"},
        {"IpProtocol": "Any"},
    ],
)
async def test_create_accepts_the_edges(ali: Ali, overrides: dict[str, Any]) -> None:
    await ali.create(**overrides)


# -- the world ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"NatGatewayId": "nat-5t7nh1cfm6kxiszlttr38zzzz"}, "InvalidParameter.NatNotFound"),
        ({"ExternalIp": "100.64.99.99"}, "InvalidParameter.ExternalIp"),  # no such EIP
        ({"ExternalIp": EIP_FREE}, "InvalidParameter.ExternalIp"),  # not bound
        ({"ExternalIp": EIP_OTHER}, "InvalidParameter.ExternalIp"),  # another gateway's
        ({"ExternalIp": EIP_STANDBY}, "InvalidParameter.ExternalIp"),  # a standby
        ({"ExternalIp": EIP_SNAT}, "Forbidden.ExternalIpUsedInSnat"),
        ({"StandbyExternalIp": EIP2}, "InvalidParameter.StandbyExternalIp"),  # not standby
        ({"StandbyExternalIp": EIP_FREE}, "InvalidParameter.StandbyExternalIp"),
        ({"InternalIp": "10.0.1.99"}, "InvalidParameter.InternalIpNotFound"),
        ({"InternalIp": ELSEWHERE}, "InvalidParameter.InternalIp"),  # another network
        ({"InternalIp": STOPPED}, "IncorrectInstanceStatus"),
        ({"InternalIp": RELEASING}, "IncorrectInstanceStatus"),
        ({"NatGatewayId": NAT_CREATING}, "SystemBusy"),
    ],
)
async def test_create_checks_the_world(ali: Ali, overrides: dict[str, Any], code: str) -> None:
    await ali.err("CreateForwardEntry", entry(**overrides), code)
    assert await ali.entries() == []


async def test_external_ip_of_another_gateway_works_there(ali: Ali) -> None:
    entry_id = await ali.create(NatGatewayId=NAT_OTHER, ExternalIp=EIP_OTHER, InternalIp=ELSEWHERE)
    assert await ali.entries() == []  # Describe is per gateway
    assert [e["ForwardEntryId"] for e in await ali.entries(NatGatewayId=NAT_OTHER)] == [entry_id]


@pytest.mark.parametrize(
    ("first", "second", "clash"),
    [
        ({}, {}, True),
        ({}, {"InternalIp": WEB2, "InternalPort": "81"}, True),  # the backend does not matter
        ({"IpProtocol": "TCP"}, {"IpProtocol": "UDP"}, False),
        ({"IpProtocol": "Any"}, {"IpProtocol": "UDP"}, True),
        ({"IpProtocol": "UDP"}, {"IpProtocol": "Any"}, True),
        ({}, {"ExternalIp": EIP2}, False),
        ({"ExternalPort": "8000/8100", "InternalPort": "8000/8100"}, {}, True),
        ({"ExternalPort": "8000/8079", "InternalPort": "8000/8079"}, {}, False),
        ({"ExternalPort": "8081/8090", "InternalPort": "1/10"},
         {"ExternalPort": "8070/8081", "InternalPort": "1/12"}, True),
    ],
)  # fmt: skip
async def test_duplicated_external_port(
    ali: Ali, first: dict[str, Any], second: dict[str, Any], clash: bool
) -> None:
    await ali.create(**first)
    if clash:
        await ali.err("CreateForwardEntry", entry(**second), "Forbidden.ExternalPort.Duplicated")
    else:
        await ali.create(**second)


async def test_forward_entry_limit_per_gateway(ali: Ali, app: Starlette) -> None:
    sim(app).settings.alibaba_ens_forward_entry_limit = 3
    ids = [await ali.create(ExternalPort=str(p)) for p in (1, 2, 3)]
    await ali.err("CreateForwardEntry", entry(ExternalPort="4"), "ForwardEntryLimitExceed")
    # another gateway has its own limit
    await ali.create(NatGatewayId=NAT_OTHER, ExternalIp=EIP_OTHER, InternalIp=ELSEWHERE)
    ali.clock.advance(5)
    await ali.ok("DeleteForwardEntry", {"ForwardEntryId": ids[0]})
    await ali.err("CreateForwardEntry", entry(ExternalPort="4"), "ForwardEntryLimitExceed")
    ali.clock.advance(5)  # gone: the slot is free
    await ali.create(ExternalPort="4")


async def test_default_limit_is_100(ali: Ali, app: Starlette) -> None:
    assert sim(app).settings.alibaba_ens_forward_entry_limit == 100
    for port in range(1, 101):
        await ali.create(ExternalPort=str(port))
    await ali.err("CreateForwardEntry", entry(ExternalPort="101"), "ForwardEntryLimitExceed")


async def test_system_busy_setting(ali: Ali, admin: httpx.AsyncClient) -> None:
    await admin.post("/_sim/settings", json={"alibaba_ens_system_busy": True})
    await ali.err("CreateForwardEntry", entry(), "SystemBusy")
    await admin.post("/_sim/settings", json={"alibaba_ens_system_busy": False})
    await ali.create()


async def test_interface_error_by_fault_injection(ali: Ali, admin: httpx.AsyncClient) -> None:
    rule = {
        "family": "alibaba-ens",
        "action": "CreateForwardEntry",
        "error_code": "ens.interface.error",
        "error_msg": "Failed to call API.",
        "status": 400,
        "count": 1,
    }
    assert (await admin.post("/_sim/faults", json=rule)).status_code == 201
    body = await ali.err("CreateForwardEntry", entry(), "ens.interface.error")
    assert body["HostId"] == "ens.aliyuncs.com" and body["Message"] == "Failed to call API."
    assert await ali.entries() == []  # nothing committed
    await ali.create()


# -- Modify -------------------------------------------------------------------------------


async def test_modify_unknown_entry_and_status(ali: Ali) -> None:
    await ali.err(
        "ModifyForwardEntry",
        {"ForwardEntryId": "fwd-5tfjp3537mi6iokl59g5c0000"},
        "InvalidParameter.DnatNotFound",
    )
    entry_id = await ali.create()
    body = await ali.err(
        "ModifyForwardEntry", {"ForwardEntryId": entry_id}, "IncorretDnatEntryStatus"
    )
    assert "Pending" in body["Message"]
    ali.clock.advance(5)
    await ali.ok("DeleteForwardEntry", {"ForwardEntryId": entry_id})
    await ali.err("ModifyForwardEntry", {"ForwardEntryId": entry_id}, "IncorretDnatEntryStatus")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"ExternalIp": EIP_FREE}, "InvalidExternalIp.NotFound"),
        ({"ExternalIp": EIP_OTHER}, "InvalidExternalIp.NotFound"),
        ({"ExternalIp": EIP_STANDBY}, "InvalidExternalIp.NotFound"),
        ({"ExternalIp": EIP_SNAT}, "Forbidden.ExternalIpUsedInSnat"),
        ({"ExternalIp": "1.2.3"}, "InvalidExternalIp"),
        ({"InternalIp": "10.0.1.99"}, "InstanceNotFound"),
        ({"InternalIp": STOPPED}, "IncorrectInstanceStatus"),
        ({"InternalIp": ELSEWHERE}, "InvalidParameter.InternalIp"),
        ({"InternalIp": "10.0.1"}, "InvalidParameter.InternalIp"),
        ({"ExternalPort": "99999"}, "InvalidPort.Malformed"),
        ({"InternalPort": "a/b"}, "InvalidPort.Malformed"),
        ({"ExternalPort": "1/5"}, "InvalidParameter.InternalPort"),  # internal stays single
        ({"ExternalPort": "1/2000", "InternalPort": "1/2000"}, "InvalidParameter.ExternalPort"),
        ({"HealthCheckPort": 81}, "InvalidParameter.HealthCheckPort"),
        ({"HealthCheckPort": "x"}, "InvalidHealthCheckPort"),
        ({"IpProtocol": "udp"}, "InvalidIpProtocol"),
        ({"ForwardEntryName": "https://x"}, "InvalidForwardEntryName"),
        ({"ExternalPort": "9090"}, "Forbidden.ExternalPort.Duplicated"),
        ({"IpProtocol": "Any"}, "Forbidden.ExternalPort.Duplicated"),  # now overlaps UDP
    ],
)
async def test_modify_rejects(ali: Ali, changes: dict[str, Any], code: str) -> None:
    entry_id = await ali.create()
    await ali.create(ExternalPort="9090", InternalPort="90")
    await ali.create(IpProtocol="UDP")  # same port as the first, other protocol
    ali.clock.advance(5)
    before = await ali.one(entry_id)
    await ali.err("ModifyForwardEntry", {"ForwardEntryId": entry_id, **changes}, code)
    assert await ali.one(entry_id) == before  # nothing changed


async def test_modify_health_check_port_must_follow_a_new_internal_range(ali: Ali) -> None:
    entry_id = await active(ali, HealthCheckPort=80)
    changes = {"ExternalPort": "90", "InternalPort": "90"}
    await ali.err(
        "ModifyForwardEntry",
        {"ForwardEntryId": entry_id, **changes},
        "InvalidParameter.HealthCheckPort",
    )
    await ali.ok(
        "ModifyForwardEntry", {"ForwardEntryId": entry_id, **changes, "HealthCheckPort": 90}
    )


async def test_modify_keeps_its_own_port_and_external_ip(ali: Ali) -> None:
    """An entry never clashes with itself, and an unchanged EIP is not re-checked."""
    entry_id = await active(ali)
    await ali.ok("ModifyForwardEntry", {"ForwardEntryId": entry_id, "ExternalPort": "8080/8081",
                                        "InternalPort": "80/81"})  # fmt: skip


async def test_modify_ignores_nat_gateway_and_standby_ip(ali: Ali) -> None:
    """Not parameters of ModifyForwardEntry: ignored like any unknown parameter."""
    entry_id = await active(ali)
    await ali.ok(
        "ModifyForwardEntry",
        {
            "ForwardEntryId": entry_id,
            "NatGatewayId": NAT_OTHER,
            "StandbyExternalIp": EIP_STANDBY,
            "NoSuchParameter": "x",
            "ForwardEntryName": "kept",
        },
    )
    shown = await ali.one(entry_id)
    assert (shown["NatGatewayId"], shown["StandbyExternalIp"]) == (NAT, "")
    assert shown["ForwardEntryName"] == "kept"


async def test_modify_finds_the_instance_gone_or_stopped(
    ali: Ali, admin: httpx.AsyncClient
) -> None:
    entry_id = await active(ali)
    patch = f"/_sim/alibaba/ens/instances/{WEB1_ID}"
    assert (await admin.patch(patch, json={"status": "Stopped"})).status_code == 200
    await ali.err("ModifyForwardEntry", {"ForwardEntryId": entry_id, "ForwardEntryName": "n1"},
                  "IncorrectInstanceStatus")  # fmt: skip
    await admin.patch(patch, json={"status": "Running", "private_ip": "10.0.1.50"})
    await ali.err("ModifyForwardEntry", {"ForwardEntryId": entry_id}, "InstanceNotFound")
    await ali.ok("ModifyForwardEntry", {"ForwardEntryId": entry_id, "InternalIp": "10.0.1.50"})


# -- Delete --------------------------------------------------------------------------------


async def test_delete_of_a_pending_entry_is_refused(ali: Ali) -> None:
    entry_id = await ali.create()
    await ali.err("DeleteForwardEntry", {"ForwardEntryId": entry_id}, "IncorretDnatEntryStatus")
    ali.clock.advance(1)
    await ali.ok("DeleteForwardEntry", {"ForwardEntryId": entry_id})


# -- RAM ----------------------------------------------------------------------------------


async def test_read_only_key_may_only_describe(ali: Ali) -> None:
    entry_id = await active(ali)
    reader = ali.as_key(RO_AK, RO_SK)
    assert len(await reader.entries()) == 1
    await reader.err("CreateForwardEntry", entry(ExternalPort="1"), "NoPermission")
    await reader.err("ModifyForwardEntry", {"ForwardEntryId": entry_id}, "NoPermission")
    await reader.err("DeleteForwardEntry", {"ForwardEntryId": entry_id}, "NoPermission")
    assert (await ali.one(entry_id))["Status"] == "Available"


async def test_key_without_ens_permission(ali: Ali) -> None:
    other = ali.as_key(ECS_AK, ECS_SK)
    await other.err("DescribeForwardTableEntries", {"NatGatewayId": NAT}, "NoPermission")
    await other.err("CreateForwardEntry", entry(), "NoPermission")


# -- Describe: filters and paging -----------------------------------------------------------


async def test_describe_filters(ali: Ali) -> None:
    a = await ali.create(ForwardEntryName="alpha")
    b = await ali.create(ExternalIp=EIP2, InternalIp=WEB2, IpProtocol="UDP")
    c = await ali.create(ExternalPort="22", InternalPort="22", IpProtocol="Any")

    async def ids(**filters: Any) -> list[str]:
        return [e["ForwardEntryId"] for e in await ali.entries(**filters)]

    assert await ids() == [a, b, c]  # creation order
    assert await ids(ForwardEntryId=b) == [b]
    assert await ids(ForwardEntryName="alpha") == [a]
    assert await ids(ExternalIp=EIP1) == [a, c]
    assert await ids(InternalIp=WEB2) == [b]
    assert await ids(IpProtocol="Any") == [c]
    assert await ids(IpProtocol="TCP", ExternalIp=EIP1) == [a]
    assert await ids(ForwardEntryId="fwd-none") == []
    await ali.err("DescribeForwardTableEntries", {"NatGatewayId": NAT, "IpProtocol": "tcp"},
                  "InvalidIpProtocol")  # fmt: skip
    await ali.err("DescribeForwardTableEntries", {"NatGatewayId": "nat-nope"},
                  "InvalidParameter.NatNotFound")  # fmt: skip


async def _page(ali: Ali, **params: Any) -> dict[str, Any]:
    return await ali.ok("DescribeForwardTableEntries", {"NatGatewayId": NAT, **params})


async def test_paging_empty(ali: Ali) -> None:
    body = await _page(ali)
    assert (body["PageNumber"], body["PageSize"], body["TotalCount"]) == (1, 10, 0)
    assert body["ForwardTableEntries"] == []


@pytest.mark.parametrize("count", [10, 11])
async def test_paging_exactly_and_one_more_than_a_page(ali: Ali, count: int) -> None:
    ids = [await ali.create(ExternalPort=str(p)) for p in range(1, count + 1)]
    first = await _page(ali)  # default PageSize 10
    assert first["TotalCount"] == count
    assert [e["ForwardEntryId"] for e in first["ForwardTableEntries"]] == ids[:10]
    second = await _page(ali, PageNumber=2)
    assert [e["ForwardEntryId"] for e in second["ForwardTableEntries"]] == ids[10:]
    assert (second["PageNumber"], second["TotalCount"]) == (2, count)


async def test_paging_last_page_and_beyond(ali: Ali) -> None:
    ids = [await ali.create(ExternalPort=str(p)) for p in range(1, 8)]
    pages = [await _page(ali, PageSize=3, PageNumber=n) for n in (1, 2, 3, 4)]
    got = [[e["ForwardEntryId"] for e in p["ForwardTableEntries"]] for p in pages]
    assert got == [ids[0:3], ids[3:6], ids[6:7], []]
    assert {p["TotalCount"] for p in pages} == {7}
    assert pages[3]["PageSize"] == 3


async def test_paging_page_size_bounds(ali: Ali, app: Starlette) -> None:
    sim(app).settings.alibaba_ens_forward_entry_limit = 200
    for port in range(1, 102):
        await ali.create(ExternalPort=str(port))
    body = await _page(ali, PageSize=100)
    assert len(body["ForwardTableEntries"]) == 100 and body["TotalCount"] == 101
    for bad in (101, 0, "x", -1, 1.5):
        await ali.err("DescribeForwardTableEntries", {"NatGatewayId": NAT, "PageSize": bad},
                      "InvalidPageSize")  # fmt: skip
    for bad in (0, "one", -2):
        await ali.err("DescribeForwardTableEntries", {"NatGatewayId": NAT, "PageNumber": bad},
                      "InvalidPageNumber")  # fmt: skip


# -- dispatch -----------------------------------------------------------------------------


async def test_unknown_action_version_and_missing_action(ali: Ali) -> None:
    await ali.err("DescribeNatGateways2", {}, "InvalidAction.NotFound", status=404)
    response = await ali.call("CreateForwardEntry", entry(), version="2099-01-01")
    assert_ali_error(response, 400, "InvalidVersion")
    assert_ali_error(await ali.call("", {}), 400, "MissingAction")
    assert await ali.entries() == []


async def test_request_log_names_the_family_action_and_caller(
    ali: Ali, admin: httpx.AsyncClient
) -> None:
    await ali.create()
    [logged] = (await admin.get("/_sim/requests", params={"action": "CreateForwardEntry"})).json()[
        "requests"
    ]
    assert (logged["family"], logged["caller"], logged["status"]) == ("alibaba-ens", AK, 200)
    assert logged["committed"] is True


# -- admin and state ----------------------------------------------------------------------


async def test_admin_patch_simulates_drift(ali: Ali, admin: httpx.AsyncClient) -> None:
    entry_id = await active(ali)
    response = await admin.patch(
        f"/_sim/alibaba/ens/forward_entries/{entry_id}",
        json={"internal_port": "81", "status": "Pending"},
    )
    assert response.status_code == 200 and response.json()["internal_port"] == "81"
    shown = await ali.one(entry_id)
    assert (shown["InternalPort"], shown["Status"]) == ("81", "Pending")
    ali.clock.advance(1)  # a patched Pending settles after the create delay, from now
    assert (await ali.one(entry_id))["Status"] == "Available"
    # a gateway patched into Creating turns creates away
    await admin.patch(f"/_sim/alibaba/ens/nat_gateways/{NAT}", json={"status": "Creating"})
    await ali.err("CreateForwardEntry", entry(ExternalPort="1"), "SystemBusy")


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/_sim/alibaba/ens/widgets/x", {}, 404),
        ("/_sim/alibaba/ens/forward_entries/fwd-none", {}, 404),
        (f"/_sim/alibaba/ens/nat_gateways/{NAT}", {"id": "nat-other"}, 400),
        (f"/_sim/alibaba/ens/nat_gateways/{NAT}", {"no_such_field": 1}, 400),
        (f"/_sim/alibaba/ens/nat_gateways/{NAT}", [1], 400),
        (f"/_sim/alibaba/ens/instances/{WEB1_ID}", {"status": None}, 400),
    ],
)
async def test_admin_patch_errors(
    admin: httpx.AsyncClient, path: str, body: object, status: int
) -> None:
    assert (await admin.patch(path, json=body)).status_code == status


async def test_admin_patch_of_a_forward_entry_validates(ali: Ali, admin: httpx.AsyncClient) -> None:
    entry_id = await ali.create()
    path = f"/_sim/alibaba/ens/forward_entries/{entry_id}"
    assert (await admin.patch(path, json={"status": "Broken"})).status_code == 400
    assert (await admin.patch(path, json={"ip_protocol": "ICMP"})).status_code == 400


async def test_state_dump_holds_ens_objects(ali: Ali, admin: httpx.AsyncClient) -> None:
    entry_id = await ali.create()
    state = (await admin.get("/_sim/state")).json()
    ens = state["inventory"]["alibaba"]["ens"]
    assert [e["id"] for e in ens["forward_entries"]] == [entry_id]
    assert {g["id"] for g in ens["nat_gateways"]} == {NAT, NAT_CREATING, NAT_OTHER}
    assert state["inventory"]["credentials"]["alibaba"]["access_keys"][0]["access_key_id"] == AK
    ali.clock.advance(1)
    await ali.ok("DeleteForwardEntry", {"ForwardEntryId": entry_id})
    ali.clock.advance(1)
    state = (await admin.get("/_sim/state")).json()  # settles first
    assert state["inventory"]["alibaba"]["ens"]["forward_entries"] == []


async def test_ens_state_survives_a_restart(tmp_path: Path, make_client: ClientFactory) -> None:
    clock = FakeClock()
    state = tmp_path / "state.json"
    first = create_app(state=state, clock=clock, admin=True)
    ali = Ali(make_client(application=first, auth=httpx.Auth()), clock, "acs3")
    kept = await ali.create(ForwardEntryName="kept")
    gone = await ali.create(ExternalPort="22", InternalPort="22")
    clock.advance(5)
    await ali.ok("ModifyForwardEntry", {"ForwardEntryId": kept, "ExternalPort": "8443",
                                        "InternalPort": "443"})  # fmt: skip
    await ali.ok("DeleteForwardEntry", {"ForwardEntryId": gone})
    admin = make_client(application=first, auth=httpx.Auth())
    await admin.patch(f"/_sim/alibaba/ens/instances/{WEB1_ID}", json={"status": "Stopped"})

    second = create_app(state=state, clock=clock, admin=True)
    again = Ali(make_client(application=second, auth=httpx.Auth()), clock, "v1")
    shown = await again.one(kept)
    assert (shown["ExternalPort"], shown["InternalPort"], shown["Status"]) == (
        "8443",
        "443",
        "Pending",
    )
    assert (await again.one(gone))["Status"] == "Deleting"
    clock.advance(1)
    assert [e["ForwardEntryId"] for e in await again.entries()] == [kept]
    assert (await again.one(kept))["Status"] == "Available"
    instance = next(i for i in sim(second).store.inventory.alibaba.ens.instances if i.id == WEB1_ID)
    assert instance.status == "Stopped"
