"""SAG DNAT entries (DescribeDnatEntries, companions) through HTTP: every rule and error code.

Every test runs twice, signed with v1 (HMAC-SHA1, parameters in the query)
and with ACS3-HMAC-SHA256 (Action and Version in headers), through the
project's own signers (:class:`tests.fixtures.alibaba_kit.Ali`, on SAG's version).
Every error answers HTTP 403, as the DescribeDnatEntries reference lists all
four of its codes. The ids are the default inventory's (alibaba_sag_ids.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from cloudnet.sim.families.alibaba_sag.world import SagTables
from cloudnet.sim.registry import load_inventory
from cloudnet.sim.server import create_app
from tests.fixtures.alibaba_kit import (
    AK,
    ECS_AK,
    ECS_SK,
    RO_AK,
    RO_SK,
    SK,
    Ali,
    assert_ali_error,
)
from tests.fixtures.alibaba_sag_ids import (
    HZ_LAN,
    HZ_WAN,
    LAN1,
    LAN2,
    REGION,
    SAG,
    SAG_APP,
    SAG_HZ,
    SAG_LOCKED,
    VIP,
    WAN1,
    WAN2,
)
from tests.fixtures.simkit import ClientFactory, FakeClock, sim

VERSION = "2018-03-13"

ADD, DELETE, DESCRIBE = "AddDnatEntry", "DeleteDnatEntry", "DescribeDnatEntries"
ENTRY_FIELDS = {
    "Type",
    "SagId",
    "InternalIp",
    "InternalPort",
    "IpProtocol",
    "ExternalPort",
    "DnatEntryId",
    "ExternalIp",
}


class Sag(Ali):
    """:class:`Ali` on SAG 2018-03-13, with SAG's shortcuts; errors default to 403."""

    def as_key(self, ak: str, secret: str) -> Sag:
        return Sag(self.client, self.clock, self.sig, ak=ak, secret=secret)

    async def call(  # type: ignore[override]
        self, action: str, params: dict[str, Any] | None = None, **kwargs: Any
    ) -> httpx.Response:
        kwargs.setdefault("version", VERSION)
        return await super().call(action, params, **kwargs)

    async def err(
        self, action: str, params: dict[str, Any] | None, code: str, status: int = 403
    ) -> dict[str, Any]:
        body = await super().err(action, params, code, status)
        assert body["HostId"] == "smartag.aliyuncs.com"
        return body

    async def add(self, **overrides: Any) -> str:
        entry_id: str = (await self.ok(ADD, dnat(**overrides)))["DnatEntryId"]
        return entry_id

    async def page(self, **params: Any) -> dict[str, Any]:
        return await self.ok(DESCRIBE, {"RegionId": REGION, "SagId": SAG, **params})

    async def entries(self, **params: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = (await self.page(**params))["DnatEntries"]["DnatEntry"]
        return found

    async def ids(self, **params: Any) -> list[str]:
        return [e["DnatEntryId"] for e in await self.entries(**params)]

    async def delete(self, entry_id: str, sag_id: str = SAG, region: str = REGION) -> None:
        body = await self.ok(DELETE, {"RegionId": region, "SagId": sag_id, "DnatEntryId": entry_id})
        assert set(body) == {"RequestId"}


def dnat(**overrides: Any) -> dict[str, Any]:
    """A valid AddDnatEntry: SAG, Intranet VIP:8080/tcp -> LAN1:80; ``None`` drops a field.

    An Internet entry's ExternalIp defaults to WAN1 here (VIP is not the SAG's).
    """
    params: dict[str, Any] = {
        "RegionId": REGION,
        "SagId": SAG,
        "ExternalIp": WAN1 if overrides.get("Type") == "Internet" else VIP,
        "ExternalPort": "8080",
        "InternalIp": LAN1,
        "InternalPort": "80",
        "IpProtocol": "TCP",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


@pytest.fixture(params=["v1", "acs3"])
def sag(request: pytest.FixtureRequest, make_client: ClientFactory, clock: FakeClock) -> Sag:
    return Sag(make_client(auth=httpx.Auth()), clock, request.param)


# -- shapes -----------------------------------------------------------------------------------


async def test_add_then_describe_has_the_reference_shape(sag: Sag) -> None:
    entry_id = await sag.add()
    assert entry_id.startswith("fwd-") and len(entry_id) == 22
    body = await sag.page()
    assert set(body) == {"RequestId", "TotalCount", "PageSize", "PageNumber", "DnatEntries"}
    assert (body["TotalCount"], body["PageNumber"], body["PageSize"]) == (1, 1, 10)
    assert set(body["DnatEntries"]) == {"DnatEntry"}
    [shown] = body["DnatEntries"]["DnatEntry"]
    assert shown == {
        "Type": "Intranet",
        "SagId": SAG,
        "InternalIp": LAN1,
        "InternalPort": "80",
        "IpProtocol": "tcp",  # Describe's spelling, whatever the case sent
        "ExternalPort": "8080",
        "DnatEntryId": entry_id,
        "ExternalIp": VIP,
    }
    assert set(shown) == ENTRY_FIELDS


async def test_form_body_parameters_work_too(sag: Sag) -> None:
    response = await sag.call(ADD, dnat(), form=True)
    assert response.status_code == 200, response.text
    assert await sag.ids() == [response.json()["DnatEntryId"]]


@pytest.mark.parametrize(
    ("sent", "answered"),
    [("TCP", "tcp"), ("tcp", "tcp"), ("UDP", "udp"), ("Udp", "udp"), ("Any", "any"),
     ("ANY", "any"), ("any", "any")],
)  # fmt: skip
async def test_protocol_is_case_insensitive_and_answered_lower_case(
    sag: Sag, sent: str, answered: str
) -> None:
    await sag.add(IpProtocol=sent)
    [shown] = await sag.entries()
    assert shown["IpProtocol"] == answered


@pytest.mark.parametrize(("ext", "int_"), [("any", "any"), ("ANY", "Any"), ("1", "65535")])
async def test_port_edges_and_any(sag: Sag, ext: str, int_: str) -> None:
    await sag.add(ExternalPort=ext, InternalPort=int_)
    [shown] = await sag.entries()
    assert (shown["ExternalPort"], shown["InternalPort"]) == (ext.lower(), int_.lower())


async def test_integer_ports_are_strings_on_the_wire(sag: Sag) -> None:
    await sag.add(ExternalPort=22, InternalPort=2222)
    [shown] = await sag.entries()
    assert (shown["ExternalPort"], shown["InternalPort"]) == ("22", "2222")


# -- Type and ExternalIp ----------------------------------------------------------------------


async def test_internet_entry_defaults_to_the_first_public_ip(sag: Sag) -> None:
    entry_id = await sag.add(Type="Internet", ExternalIp=None)
    assert await sag.entries() == []  # Describe's Type defaults to Intranet (its reference)
    [shown] = await sag.entries(Type="Internet")
    assert (shown["DnatEntryId"], shown["Type"], shown["ExternalIp"]) == (
        entry_id,
        "Internet",
        WAN1,
    )


async def test_internet_entry_takes_any_of_the_sags_public_ips(sag: Sag) -> None:
    await sag.add(Type="Internet", ExternalIp=WAN2)
    [shown] = await sag.entries(Type="Internet")
    assert shown["ExternalIp"] == WAN2
    body = await sag.err(ADD, dnat(Type="Internet", ExternalIp=HZ_WAN), "IllegalParam", 400)
    assert "ExternalIp" in body["Message"]
    await sag.err(ADD, dnat(Type="Internet", ExternalIp=VIP), "IllegalParam", 400)


async def test_intranet_entry_needs_an_external_ip(sag: Sag) -> None:
    for params in (dnat(ExternalIp=None), dnat(ExternalIp=None, Type="Intranet")):
        body = await sag.err(ADD, params, "MissingParam", 400)
        assert "ExternalIp" in body["Message"]
    assert await sag.entries() == []


async def test_type_filter(sag: Sag) -> None:
    intranet = [await sag.add(ExternalPort=str(p)) for p in (1, 2)]
    internet = [await sag.add(Type="Internet", ExternalPort=str(p)) for p in (1, 2, 3)]
    assert await sag.ids() == intranet
    assert await sag.ids(Type="Intranet") == intranet
    assert await sag.ids(Type="Internet") == internet
    assert (await sag.page(Type="Internet"))["TotalCount"] == 3
    assert (await sag.page(Type=""))["TotalCount"] == 2  # empty is absent: Intranet
    for bad in ("intranet", "Public", "Any"):
        await sag.err(DESCRIBE, {"RegionId": REGION, "SagId": SAG, "Type": bad},
                      "InvalidParameter")  # fmt: skip


# -- MissingParameter -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("param", "code", "status"),
    [
        # Describe's 403 pair for the call's scope, Add's own 400 code for the entry
        ("RegionId", "MissingParameter", 403),
        ("SagId", "MissingParameter", 403),
        ("ExternalPort", "MissingParam", 400),
        ("InternalIp", "MissingParam", 400),
        ("InternalPort", "MissingParam", 400),
        ("IpProtocol", "MissingParam", 400),
    ],
)
async def test_add_missing_required_param(sag: Sag, param: str, code: str, status: int) -> None:
    body = await sag.err(ADD, dnat(**{param: None}), code, status)
    assert param in body["Message"]
    await sag.err(ADD, dnat(**{param: ""}), code, status)
    assert await sag.entries() == []


async def test_add_in_a_region_without_sag(sag: Sag) -> None:
    body = await sag.err(ADD, dnat(RegionId="us-west-1"), "InvalidRegionID", 400)
    assert "us-west-1" in body["Message"]
    # Describe has only its reference's four codes
    await sag.err(DESCRIBE, {"RegionId": "us-west-1", "SagId": SAG}, "InvalidParameter")


@pytest.mark.parametrize("param", ["RegionId", "SagId", "DnatEntryId"])
async def test_delete_missing_required_param(sag: Sag, param: str) -> None:
    entry_id = await sag.add()
    params = {"RegionId": REGION, "SagId": SAG, "DnatEntryId": entry_id}
    del params[param]
    body = await sag.err(DELETE, params, "MissingParameter")
    assert param in body["Message"]
    assert await sag.ids() == [entry_id]


@pytest.mark.parametrize("param", ["RegionId", "SagId"])
async def test_describe_missing_required_param(sag: Sag, param: str) -> None:
    params = {"RegionId": REGION, "SagId": SAG}
    del params[param]
    body = await sag.err(DESCRIBE, params, "MissingParameter")
    assert param in body["Message"]


# -- InvalidParameter: the form of values -------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"Type": "intranet"}, "Type"),
        ({"Type": "Public"}, "Type"),
        ({"ExternalIp": "10.10.1"}, "ExternalIp"),
        ({"ExternalIp": "fe80::1"}, "ExternalIp"),
        ({"InternalIp": "192.168.10.256"}, "InternalIp"),
        ({"InternalIp": "host-1"}, "InternalIp"),
        ({"ExternalPort": "0"}, "ExternalPort"),
        ({"ExternalPort": "65536"}, "ExternalPort"),
        ({"ExternalPort": "080"}, "ExternalPort"),
        ({"ExternalPort": "10/20", "InternalPort": "10/20"}, "ExternalPort"),
        ({"ExternalPort": "10-20", "InternalPort": "10-20"}, "ExternalPort"),
        ({"InternalPort": "-1"}, "InternalPort"),
        ({"InternalPort": "http"}, "InternalPort"),
        ({"InternalPort": " 80"}, "InternalPort"),
        ({"InternalPort": "all"}, "InternalPort"),
        ({"ExternalPort": "any"}, "InternalPort"),  # any on one side only
        ({"InternalPort": "any"}, "InternalPort"),
        ({"IpProtocol": "icmp"}, "IpProtocol"),
        ({"IpProtocol": "tcp6"}, "IpProtocol"),
        ({"IpProtocol": "all"}, "IpProtocol"),
    ],
)
async def test_add_rejects_malformed_values(
    sag: Sag, overrides: dict[str, Any], named: str
) -> None:
    body = await sag.err(ADD, dnat(**overrides), "IllegalParam", 400)
    assert named in body["Message"]
    assert await sag.entries() == []


# -- the world ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code", "status"),
    [
        ({"SagId": "sag-0nnvdb0r1mtjvzzzzzz"}, "InvalidId.SMARTAG", 403),  # unknown
        ({"SagId": SAG_HZ, "InternalIp": HZ_LAN}, "InvalidId.SMARTAG", 403),  # another region
        ({"RegionId": "cn-hangzhou"}, "InvalidId.SMARTAG", 403),  # SAG is in cn-shanghai
        ({"SagId": SAG_APP}, "FeatureNotSupport", 403),  # not a CPE
        ({"SagId": SAG_LOCKED, "InternalIp": "192.168.30.5"}, "SmartAccessGatewayInArrears", 500),
        ({"InternalIp": "192.168.11.5"}, "IllegalParam", 400),  # outside the LANs
        ({"InternalIp": HZ_LAN}, "IllegalParam", 400),  # another SAG's LAN
    ],
)
async def test_add_checks_the_world(
    sag: Sag, overrides: dict[str, Any], code: str, status: int
) -> None:
    await sag.err(ADD, dnat(**overrides), code, status)
    assert await sag.entries() == []


async def test_a_sag_of_another_region_works_in_its_region(sag: Sag) -> None:
    entry_id = await sag.add(RegionId="cn-hangzhou", SagId=SAG_HZ, InternalIp=HZ_LAN)
    assert await sag.ids() == []  # Describe is per SAG
    assert await sag.ids(RegionId="cn-hangzhou", SagId=SAG_HZ) == [entry_id]
    await sag.err(DESCRIBE, {"RegionId": REGION, "SagId": SAG_HZ}, "InvalidParameter")
    await sag.err(DELETE, {"RegionId": REGION, "SagId": SAG_HZ, "DnatEntryId": entry_id},
                  "InstanceNotExit", 400)  # fmt: skip
    await sag.delete(entry_id, SAG_HZ, "cn-hangzhou")


async def test_internal_ip_in_the_second_lan(sag: Sag) -> None:
    await sag.add(InternalIp=LAN2)


async def test_describe_of_unknown_or_app_sag(sag: Sag) -> None:
    for sag_id in ("sag-nope", SAG_APP):
        await sag.err(DESCRIBE, {"RegionId": REGION, "SagId": sag_id}, "InvalidParameter")


async def test_a_locked_sag_can_be_read_but_not_changed(sag: Sag, admin: httpx.AsyncClient) -> None:
    entry_id = await sag.add()
    patched = await admin.patch(
        f"/_sim/alibaba/sag/instances/{SAG}", json={"business_status": "Arrearage"}
    )
    assert patched.status_code == 200 and patched.json()["business_status"] == "Arrearage"
    assert await sag.ids() == [entry_id]
    body = await sag.err(DELETE, {"RegionId": REGION, "SagId": SAG, "DnatEntryId": entry_id},
                         "SmartAccessGatewayInArrears", 500)  # fmt: skip
    assert SAG in body["Message"]
    await sag.err(ADD, dnat(ExternalPort="1"), "SmartAccessGatewayInArrears", 500)
    # not Active (a device that went offline) refuses changes too
    await admin.patch(
        f"/_sim/alibaba/sag/instances/{SAG}",
        json={"business_status": "Normal", "status": "Offline"},
    )
    await sag.err(ADD, dnat(ExternalPort="1"), "SmartAccessGatewayOffline", 500)
    # nor one not yet activated
    for status in ("Ordered", "Delivered", "Received", "Init"):
        await admin.patch(f"/_sim/alibaba/sag/instances/{SAG}", json={"status": status})
        await sag.err(ADD, dnat(ExternalPort="1"), "SmartAccessGatewayNotActivated", 500)
    await admin.patch(f"/_sim/alibaba/sag/instances/{SAG}", json={"status": "Active"})
    await sag.delete(entry_id)
    # the inventory's locked SAG reads fine
    assert await sag.ids(SagId=SAG_LOCKED) == []


@pytest.mark.parametrize(
    ("first", "second", "clash"),
    [
        ({}, {}, True),
        ({}, {"InternalIp": LAN2, "InternalPort": "81"}, True),  # the backend does not matter
        ({}, {"IpProtocol": "tcp"}, True),  # TCP and tcp are one protocol
        ({"IpProtocol": "TCP"}, {"IpProtocol": "UDP"}, False),
        ({"IpProtocol": "Any"}, {"IpProtocol": "UDP"}, True),
        ({"IpProtocol": "UDP"}, {"IpProtocol": "Any"}, True),
        ({}, {"ExternalPort": "8081"}, False),
        ({"ExternalPort": "any", "InternalPort": "any"}, {}, True),
        ({}, {"ExternalPort": "any", "InternalPort": "any"}, True),
        ({}, {"ExternalIp": "10.10.1.2"}, False),
        ({"Type": "Internet", "ExternalIp": WAN1}, {"ExternalIp": WAN1}, False),  # other Type
        ({"Type": "Internet", "ExternalIp": None}, {"Type": "Internet"}, True),  # defaulted
        ({"Type": "Internet"}, {"Type": "Internet", "ExternalIp": WAN2}, False),
        ({}, {"RegionId": "cn-hangzhou", "SagId": SAG_HZ, "InternalIp": HZ_LAN}, False),
    ],
)
async def test_duplicate_entries(
    sag: Sag, first: dict[str, Any], second: dict[str, Any], clash: bool
) -> None:
    await sag.add(**first)
    if clash:
        body = await sag.err(ADD, dnat(**second), "DuplicatedDnatEntry", 400)
        assert "duplicated" in body["Message"]
    else:
        await sag.add(**second)


# -- Delete --------------------------------------------------------------------------------


async def test_delete_is_immediate_and_frees_the_key(sag: Sag) -> None:
    first = await sag.add()
    kept = await sag.add(ExternalPort="22", InternalPort="22")
    await sag.delete(first)
    assert await sag.ids() == [kept]
    body = await sag.err(DELETE, {"RegionId": REGION, "SagId": SAG, "DnatEntryId": first},
                         "InstanceNotExit", 400)  # fmt: skip
    assert "DNAT entry" in body["Message"] and first in body["Message"]
    await sag.add()  # the key is free again


async def test_delete_names_the_entrys_own_sag(sag: Sag) -> None:
    entry_id = await sag.add()
    await sag.err(DELETE, {"RegionId": REGION, "SagId": SAG_LOCKED, "DnatEntryId": entry_id},
                  "SmartAccessGatewayInArrears", 500)  # fmt: skip
    await sag.err(DELETE, {"RegionId": "cn-hangzhou", "SagId": SAG_HZ, "DnatEntryId": entry_id},
                  "InstanceNotExit", 400)  # fmt: skip
    await sag.err(DELETE, {"RegionId": REGION, "SagId": SAG, "DnatEntryId": "fwd-none"},
                  "InstanceNotExit", 400)  # fmt: skip
    assert await sag.ids() == [entry_id]


# -- RAM ----------------------------------------------------------------------------------


async def test_read_only_key_may_only_describe(sag: Sag) -> None:
    entry_id = await sag.add()
    reader = sag.as_key(RO_AK, RO_SK)
    assert await reader.ids() == [entry_id]
    body = await reader.err(ADD, dnat(ExternalPort="1"), "Forbidden")
    assert ADD in body["Message"]
    await reader.err(DELETE, {"RegionId": REGION, "SagId": SAG, "DnatEntryId": entry_id},
                     "Forbidden")  # fmt: skip
    await reader.err(ADD, {}, "Forbidden")  # RAM comes before the parameters
    assert await sag.ids() == [entry_id]


async def test_key_without_smartag_permission(sag: Sag) -> None:
    other = sag.as_key(ECS_AK, ECS_SK)
    await other.err(DESCRIBE, {"RegionId": REGION, "SagId": SAG}, "Forbidden")
    await other.err(ADD, dnat(), "Forbidden")


# -- InternalError ----------------------------------------------------------------------------


async def test_internal_error_setting(sag: Sag, admin: httpx.AsyncClient) -> None:
    kept = await sag.add(ExternalPort="1")
    assert (
        await admin.post("/_sim/settings", json={"alibaba_sag_internal_error": True})
    ).is_success
    await sag.err(ADD, dnat(), "InternalError")
    await sag.err(DELETE, {"RegionId": REGION, "SagId": SAG, "DnatEntryId": kept},
                  "InternalError")  # fmt: skip
    await sag.err(DESCRIBE, {"RegionId": REGION, "SagId": SAG}, "InternalError")
    await sag.err(ADD, dnat(SagId=None), "MissingParameter")  # parameters are checked first
    await admin.post("/_sim/settings", json={"alibaba_sag_internal_error": False})
    assert await sag.ids() == [kept]  # nothing was written or deleted
    await sag.add()


async def test_internal_error_by_fault_injection(sag: Sag, admin: httpx.AsyncClient) -> None:
    rule = {
        "family": "alibaba-sag",
        "action": ADD,
        "error_code": "InternalError",
        "error_msg": "An internal server error occurred.",
        "status": 403,
        "count": 1,
    }
    assert (await admin.post("/_sim/faults", json=rule)).status_code == 201
    await sag.err(ADD, dnat(), "InternalError")
    assert await sag.entries() == []
    await sag.add()


# -- Describe paging ------------------------------------------------------------------------


async def _add_many(sag: Sag, count: int, **overrides: Any) -> list[str]:
    return [await sag.add(ExternalPort=str(p), **overrides) for p in range(1, count + 1)]


def _ids(body: dict[str, Any]) -> list[str]:
    return [e["DnatEntryId"] for e in body["DnatEntries"]["DnatEntry"]]


async def test_paging_empty(sag: Sag) -> None:
    body = await sag.page()
    assert (body["PageNumber"], body["PageSize"], body["TotalCount"]) == (1, 10, 0)
    assert body["DnatEntries"] == {"DnatEntry": []}
    body = await sag.page(PageNumber=3, PageSize=50)
    assert (body["PageNumber"], body["PageSize"], body["TotalCount"]) == (3, 50, 0)


async def test_paging_default_page_size_is_10(sag: Sag) -> None:
    ids = await _add_many(sag, 11)
    first = await sag.page()
    assert (first["PageSize"], first["TotalCount"], _ids(first)) == (10, 11, ids[:10])
    second = await sag.page(PageNumber=2)
    assert (second["PageNumber"], _ids(second)) == (2, ids[10:])


async def test_paging_exactly_50_fit_one_page_of_50(sag: Sag) -> None:
    ids = await _add_many(sag, 50)
    body = await sag.page(PageSize=50)
    assert (body["TotalCount"], _ids(body)) == (50, ids)
    after = await sag.page(PageSize=50, PageNumber=2)
    assert (after["TotalCount"], _ids(after)) == (50, [])


async def test_paging_51_take_two_pages_of_50(sag: Sag) -> None:
    ids = await _add_many(sag, 51)
    first = await sag.page(PageSize=50)
    second = await sag.page(PageSize=50, PageNumber=2)
    assert _ids(first) == ids[:50] and _ids(second) == ids[50:]
    assert first["TotalCount"] == second["TotalCount"] == 51


async def test_paging_last_page_and_beyond(sag: Sag) -> None:
    ids = await _add_many(sag, 7)
    pages = [await sag.page(PageSize=3, PageNumber=n) for n in (1, 2, 3, 4)]
    assert [_ids(p) for p in pages] == [ids[0:3], ids[3:6], ids[6:7], []]
    assert {p["TotalCount"] for p in pages} == {7}
    assert {p["PageSize"] for p in pages} == {3}


async def test_paging_counts_only_the_listed_type(sag: Sag) -> None:
    await _add_many(sag, 3)
    internet = await _add_many(sag, 4, Type="Internet")
    body = await sag.page(Type="Internet", PageSize=3, PageNumber=2)
    assert (body["TotalCount"], _ids(body)) == (4, internet[3:])


async def test_paging_bounds(sag: Sag) -> None:
    for bad in (51, 0, "x", -1, 1.5, 100):
        body = await sag.err(DESCRIBE, {"RegionId": REGION, "SagId": SAG, "PageSize": bad},
                             "InvalidParameter")  # fmt: skip
        assert "PageSize" in body["Message"]
    for bad in (0, "one", -2):
        body = await sag.err(DESCRIBE, {"RegionId": REGION, "SagId": SAG, "PageNumber": bad},
                             "InvalidParameter")  # fmt: skip
        assert "PageNumber" in body["Message"]
    assert (await sag.page(PageSize=1))["PageSize"] == 1


# -- dispatch, log ----------------------------------------------------------------------------


async def test_unknown_action_of_the_sag_version(sag: Sag) -> None:
    assert_ali_error(await sag.call("ModifyDnatEntry", dnat()), 404, "InvalidAction.NotFound")


async def test_request_log_names_the_family_action_and_caller(
    sag: Sag, admin: httpx.AsyncClient
) -> None:
    await sag.add()
    [logged] = (await admin.get("/_sim/requests", params={"action": ADD})).json()["requests"]
    assert (logged["family"], logged["caller"], logged["status"]) == ("alibaba-sag", AK, 200)
    assert logged["committed"] is True


# -- admin and state ----------------------------------------------------------------------


async def test_admin_patch_simulates_drift(sag: Sag, admin: httpx.AsyncClient) -> None:
    entry_id = await sag.add()
    response = await admin.patch(
        f"/_sim/alibaba/sag/dnat_entries/{entry_id}", json={"internal_port": "81"}
    )
    assert response.status_code == 200 and response.json()["internal_port"] == "81"
    [shown] = await sag.entries()
    assert (shown["InternalPort"], shown["ExternalPort"]) == ("81", "8080")


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/_sim/alibaba/sag/widgets/x", {}, 404),
        ("/_sim/alibaba/sag/dnat_entries/fwd-none", {}, 404),
        ("/_sim/alibaba/sag/instances/sag-none", {}, 404),
        (f"/_sim/alibaba/sag/instances/{SAG}", {"id": "sag-other"}, 400),
        (f"/_sim/alibaba/sag/instances/{SAG}", {"no_such_field": 1}, 400),
        (f"/_sim/alibaba/sag/instances/{SAG}", [1], 400),
        (f"/_sim/alibaba/sag/instances/{SAG}", {"wan_ips": ["1.2.3"]}, 400),
        (f"/_sim/alibaba/sag/instances/{SAG}", {"lan_cidrs": ["10.0.0.1/8"]}, 400),
        (f"/_sim/alibaba/sag/instances/{SAG}", {"type": "virtual"}, 400),
    ],
)
async def test_admin_patch_errors(
    admin: httpx.AsyncClient, path: str, body: object, status: int
) -> None:
    assert (await admin.patch(path, json=body)).status_code == status


async def test_admin_patch_of_an_entry_validates(sag: Sag, admin: httpx.AsyncClient) -> None:
    entry_id = await sag.add()
    path = f"/_sim/alibaba/sag/dnat_entries/{entry_id}"
    assert (await admin.patch(path, json={"ip_protocol": "TCP"})).status_code == 400
    assert (await admin.patch(path, json={"type": "Public"})).status_code == 400
    assert (await admin.patch(path, json={"id": "fwd-x"})).status_code == 400


async def test_admin_patch_of_an_instance_changes_its_networks(
    sag: Sag, admin: httpx.AsyncClient
) -> None:
    patch = f"/_sim/alibaba/sag/instances/{SAG}"
    await admin.patch(patch, json={"lan_cidrs": ["10.99.0.0/16"], "wan_ips": ["47.100.99.1"]})
    await sag.err(ADD, dnat(), "IllegalParam", 400)  # LAN1 is no longer behind it
    await sag.add(InternalIp="10.99.3.4", Type="Internet", ExternalIp=None)
    [shown] = await sag.entries(Type="Internet")
    assert shown["ExternalIp"] == "47.100.99.1"


async def test_state_dump_holds_sag_objects(sag: Sag, admin: httpx.AsyncClient) -> None:
    entry_id = await sag.add()
    state = (await admin.get("/_sim/state")).json()
    section = state["inventory"]["alibaba"]["sag"]
    assert [e["id"] for e in section["dnat_entries"]] == [entry_id]
    assert section["dnat_entries"][0]["ip_protocol"] == "tcp"
    assert {i["id"] for i in section["instances"]} == {SAG, SAG_LOCKED, SAG_APP, SAG_HZ}
    await sag.delete(entry_id)
    state = (await admin.get("/_sim/state")).json()
    assert state["inventory"]["alibaba"]["sag"]["dnat_entries"] == []


async def test_sag_state_survives_a_restart(tmp_path: Path, make_client: ClientFactory) -> None:
    clock = FakeClock()
    state = tmp_path / "state.json"
    first = create_app(state=state, clock=clock, admin=True)
    sag = Sag(make_client(application=first, auth=httpx.Auth()), clock, "acs3")
    kept = await sag.add(ExternalPort="443", InternalPort="8443")
    gone = await sag.add(ExternalPort="22", InternalPort="22")
    internet = await sag.add(Type="Internet", ExternalIp=None, IpProtocol="Any")
    await sag.delete(gone)
    admin = make_client(application=first, auth=httpx.Auth())
    await admin.patch(f"/_sim/alibaba/sag/instances/{SAG_HZ}", json={"status": "Offline"})

    second = create_app(state=state, clock=clock, admin=True)
    again = Sag(make_client(application=second, auth=httpx.Auth()), clock, "v1")
    [shown] = await again.entries()
    assert (shown["DnatEntryId"], shown["ExternalPort"], shown["InternalPort"]) == (
        kept,
        "443",
        "8443",
    )
    [net] = await again.entries(Type="Internet")
    assert (net["DnatEntryId"], net["ExternalIp"], net["IpProtocol"]) == (internet, WAN1, "any")
    await again.err(ADD, dnat(ExternalPort="443", InternalPort="8443"), "DuplicatedDnatEntry", 400)
    instance = sim(second).store.tables(SagTables).instance(SAG_HZ)
    assert instance is not None and instance.status == "Offline"


def test_default_inventory_sag_section() -> None:
    world = load_inventory(None)
    by_id = {i.id: i for i in world.alibaba.sag.instances}
    assert set(by_id) == {SAG, SAG_LOCKED, SAG_APP, SAG_HZ}
    assert (by_id[SAG].status, by_id[SAG].business_status, by_id[SAG].type) == (
        "Active",
        "Normal",
        "hardware",
    )
    assert by_id[SAG_LOCKED].business_status == "Arrearage"
    assert by_id[SAG_APP].type == "software"
    assert by_id[SAG_HZ].region_id == "cn-hangzhou"
    assert {i.region_id for i in world.alibaba.sag.instances} == {REGION, "cn-hangzhou"}
    assert world.alibaba.sag.dnat_entries == []
    assert world.settings.alibaba_sag_internal_error is False


async def test_both_keys_work_with_the_default_secret(sag: Sag) -> None:
    """The full-access key of the ENS tests is the SAG tests' key too."""
    assert (sag.ak, sag.secret) == (AK, SK)
