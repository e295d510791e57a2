"""Conformance of the simulated Huawei NAT v2 DNAT API, through HTTP.

One test (or table row) per rule and error code of the NAT Gateway API
reference ("Querying Details of a DNAT Rule", its sibling DNAT pages and
"Error Codes"; docs/fidelity.md names them), as implemented in
cloudnet/sim/families/huawei_nat/api.py.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from cloudnet.sim.families.huawei_nat.world import NatTables
from tests.fixtures.simkit import (
    EIP1,
    EIP1_ADDRESS,
    EIP2,
    EIP3,
    EIP_BOUND,
    EIP_SNAT,
    GLOBAL_EIP,
    GLOBAL_EIP_ADDRESS,
    GW,
    GW_FROZEN,
    GW_OTHER,
    GW_PENDING,
    PORT1,
    PORT2,
    PORT_ELSEWHERE,
    PROJECT,
    RULES,
    FakeClock,
    assert_error,
    create_active,
    rule_body,
    sim,
)

SHOW_FIELDS = [
    "id",
    "tenant_id",
    "description",
    "port_id",
    "private_ip",
    "internal_service_port",
    "nat_gateway_id",
    "floating_ip_id",
    "floating_ip_address",
    "global_eip_id",
    "global_eip_address",
    "external_service_port",
    "status",
    "admin_state_up",
    "internal_service_port_range",
    "external_service_port_range",
    "protocol",
    "created_at",
]


def delete_path(rule_id: str, gateway: str = GW) -> str:
    return f"/v2/{PROJECT}/nat_gateways/{gateway}/dnat_rules/{rule_id}"


# -- create / show: shapes ------------------------------------------------------------------


async def test_create_answers_201_with_the_show_shape(hw: httpx.AsyncClient) -> None:
    response = await hw.post(RULES, json=rule_body(description="web"))
    assert response.status_code == 201
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-Id"])
    rule = response.json()["dnat_rule"]
    assert sorted(rule) == sorted(SHOW_FIELDS)
    assert rule["status"] == "PENDING_CREATE"
    assert rule["tenant_id"] == PROJECT
    assert rule["floating_ip_address"] == EIP1_ADDRESS
    assert rule["private_ip"] == ""  # the show reference: unset strings are ""
    assert rule["global_eip_id"] == "" and rule["global_eip_address"] == ""
    assert rule["internal_service_port_range"] == ""
    assert rule["admin_state_up"] is True
    assert rule["description"] == "web"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", rule["created_at"])


async def test_show_answers_the_exact_reference_shape(hw: httpx.AsyncClient) -> None:
    created = (await hw.post(RULES, json=rule_body())).json()["dnat_rule"]
    response = await hw.get(f"{RULES}/{created['id']}")
    assert response.status_code == 200
    assert response.headers["X-Request-Id"]
    rule = response.json()["dnat_rule"]
    assert list(rule) == SHOW_FIELDS
    assert rule == created
    assert isinstance(rule["internal_service_port"], int)
    assert rule["port_id"] == PORT1 and rule["nat_gateway_id"] == GW


async def test_show_of_unknown_rule_is_404_nat_0319(hw: httpx.AsyncClient) -> None:
    response = await hw.get(f"{RULES}/5b95c675-69c2-4656-ba06-58ff72e1d338")
    body = assert_error(response, 404, "NAT.0319")
    assert "No Dnat Rule exist" in body["error_msg"]
    assert "5b95c675-69c2-4656-ba06-58ff72e1d338" in body["error_msg"]


async def test_private_ip_and_global_eip_rule(hw: httpx.AsyncClient) -> None:
    body = rule_body(port_id=None, private_ip="10.8.0.7", floating_ip_id=None)
    body["dnat_rule"]["global_eip_id"] = GLOBAL_EIP
    response = await hw.post(RULES, json=body)
    assert response.status_code == 201, response.text
    rule = response.json()["dnat_rule"]
    assert rule["private_ip"] == "10.8.0.7" and rule["port_id"] == ""
    assert rule["global_eip_address"] == GLOBAL_EIP_ADDRESS
    assert rule["floating_ip_id"] == "" and rule["floating_ip_address"] == ""


async def test_port_range_rule(hw: httpx.AsyncClient) -> None:
    body = rule_body(
        internal_service_port=None,
        external_service_port=None,
        internal_service_port_range="8000-8010",
        external_service_port_range="9000-9010",
    )
    response = await hw.post(RULES, json=body)
    assert response.status_code == 201, response.text
    rule = response.json()["dnat_rule"]
    assert rule["internal_service_port_range"] == "8000-8010"
    assert rule["internal_service_port"] == 0 and rule["external_service_port"] == 0


async def test_all_port_rule_is_ports_0_with_protocol_any(hw: httpx.AsyncClient) -> None:
    body = rule_body(protocol="any", internal_service_port=0, external_service_port=0)
    response = await hw.post(RULES, json=body)
    assert response.status_code == 201, response.text
    assert response.json()["dnat_rule"]["protocol"] == "any"


async def test_upper_case_protocol_is_accepted_and_stored_lower_case(
    hw: httpx.AsyncClient,
) -> None:
    response = await hw.post(RULES, json=rule_body(protocol="UDP"))
    assert response.status_code == 201, response.text
    assert response.json()["dnat_rule"]["protocol"] == "udp"


async def test_snat_eip_of_the_same_gateway_can_carry_dnat(hw: httpx.AsyncClient) -> None:
    response = await hw.post(RULES, json=rule_body(floating_ip_id=EIP_SNAT))
    assert response.status_code == 201, response.text


# -- create: validation (NAT.0002 / NAT.0014 / NAT.030x / NAT.031x / NAT.0026) -----------------

LONG = "x" * 256
NO_PORTS = {"internal_service_port": None, "external_service_port": None}

INVALID_CREATES: list[tuple[str, dict[str, Any] | bytes, str]] = [
    # NAT.0002: malformed input
    ("body is not JSON", b"{not json", "NAT.0002"),
    ("no dnat_rule object", {"rule": {}}, "NAT.0002"),
    ("unknown field", rule_body(internalServicePort=80), "NAT.0002"),
    ("neither EIP", rule_body(floating_ip_id=None), "NAT.0002"),
    ("both EIPs", rule_body(global_eip_id=GLOBAL_EIP), "NAT.0002"),
    ("port as string", rule_body(internal_service_port="80"), "NAT.0002"),
    ("port as bool", rule_body(internal_service_port=True), "NAT.0002"),
    ("port_id not a string", rule_body(port_id=7), "NAT.0002"),
    ("description with <", rule_body(description="a <b> c"), "NAT.0002"),
    # NAT.0014: description too long
    ("description of 256 characters", rule_body(description=LONG), "NAT.0014"),
    # NAT.0301: a required field missing ("param ... is null")
    ("missing nat_gateway_id", rule_body(nat_gateway_id=None), "NAT.0301"),
    ("empty nat_gateway_id", rule_body(nat_gateway_id=""), "NAT.0301"),
    ("missing protocol", rule_body(protocol=None), "NAT.0301"),
    ("missing internal port", rule_body(internal_service_port=None), "NAT.0301"),
    ("missing external port", rule_body(external_service_port=None), "NAT.0301"),
    # NAT.0301: port ranges
    (
        "range not x-y",
        rule_body(internal_service_port_range="80", external_service_port_range="80"),
        "NAT.0301",
    ),
    (
        "range with blanks",
        rule_body(internal_service_port_range="80 - 90", external_service_port_range="80-90"),
        "NAT.0301",
    ),
    (
        "range x > y",
        rule_body(
            **NO_PORTS,
            internal_service_port_range="90-80",
            external_service_port_range="80-90",
        ),
        "NAT.0301",
    ),
    (
        "range x == y (reference: x lower than y)",
        rule_body(
            **NO_PORTS,
            internal_service_port_range="80-80",
            external_service_port_range="80-80",
        ),
        "NAT.0301",
    ),
    (
        "range starting at 0",
        rule_body(
            **NO_PORTS,
            internal_service_port_range="0-10",
            external_service_port_range="0-10",
        ),
        "NAT.0301",
    ),
    (
        "range above 65535",
        rule_body(
            **NO_PORTS,
            internal_service_port_range="65530-65536",
            external_service_port_range="100-106",
        ),
        "NAT.0301",
    ),
    (
        "ranges of unequal length",
        rule_body(
            **NO_PORTS,
            internal_service_port_range="8000-8010",
            external_service_port_range="9000-9011",
        ),
        "NAT.0301",
    ),
    (
        "only the internal range",
        rule_body(**NO_PORTS, internal_service_port_range="8000-8010"),
        "NAT.0301",
    ),
    (
        "only the external range",
        rule_body(**NO_PORTS, external_service_port_range="9000-9010"),
        "NAT.0301",
    ),
    (
        "ranges with non-zero ports",
        rule_body(internal_service_port_range="8000-8010", external_service_port_range="9000-9010"),
        "NAT.0301",
    ),
    # NAT.0302: protocol
    ("protocol icmp", rule_body(protocol="icmp"), "NAT.0302"),
    ("protocol mixed case", rule_body(protocol="Tcp"), "NAT.0302"),
    ("protocol empty", rule_body(protocol=""), "NAT.0302"),  # checked before "missing"
    # NAT.0303: a port outside 0-65535
    ("port above 65535", rule_body(external_service_port=65536), "NAT.0303"),
    ("negative port", rule_body(internal_service_port=-1), "NAT.0303"),
    # NAT.0306: the all-port shape (any = 0/0 without ranges), and port 0 on tcp/udp
    ("tcp with internal port 0", rule_body(internal_service_port=0), "NAT.0306"),
    ("udp with external port 0", rule_body(protocol="udp", external_service_port=0), "NAT.0306"),
    ("tcp all-port 0/0", rule_body(internal_service_port=0, external_service_port=0), "NAT.0306"),
    ("any with ports", rule_body(protocol="any"), "NAT.0306"),
    ("any with one port", rule_body(protocol="any", internal_service_port=0), "NAT.0306"),
    (
        "any with ranges",
        rule_body(
            protocol="any",
            internal_service_port=0,
            external_service_port=0,
            internal_service_port_range="1-2",
            external_service_port_range="1-2",
        ),
        "NAT.0306",
    ),
    # NAT.0310 / NAT.0317 / NAT.0311: the backend
    ("neither port_id nor private_ip", rule_body(port_id=None), "NAT.0310"),
    ("empty port_id, no private_ip", rule_body(port_id=""), "NAT.0310"),
    ("both port_id and private_ip", rule_body(private_ip="10.0.0.1"), "NAT.0317"),
    ("private_ip not IPv4", rule_body(port_id=None, private_ip="10.0.0.300"), "NAT.0311"),
    ("private_ip IPv6", rule_body(port_id=None, private_ip="fd00::7"), "NAT.0311"),
    ("private_ip a name", rule_body(port_id=None, private_ip="db.local"), "NAT.0311"),
    # NAT.0315: the backend port is outside the gateway's VPC
    ("port in another VPC", rule_body(port_id=PORT_ELSEWHERE), "NAT.0315"),
    # NAT.0026 (400, not 404): an unknown EIP or global EIP
    ("unknown EIP", rule_body(floating_ip_id="00000000-0000-0000-0000-000000000001"), "NAT.0026"),
    (
        "unknown global EIP",
        rule_body(floating_ip_id=None, global_eip_id="00000000-0000-0000-0000-000000000002"),
        "NAT.0026",
    ),
]


@pytest.mark.parametrize(
    ("body", "code"), [pytest.param(b, c, id=i) for i, b, c in INVALID_CREATES]
)
async def test_invalid_create_is_rejected_and_creates_nothing(
    hw: httpx.AsyncClient, body: dict[str, Any] | bytes, code: str
) -> None:
    if isinstance(body, bytes):
        response = await hw.post(RULES, content=body, headers={"Content-Type": "application/json"})
    else:
        response = await hw.post(RULES, json=body)
    assert_error(response, 400, code)
    assert (await hw.get(RULES)).json() == {"dnat_rules": []}


async def test_missing_fields_are_named_in_the_nat_0301_message(hw: httpx.AsyncClient) -> None:
    response = await hw.post(RULES, json=rule_body(nat_gateway_id=None, protocol=None))
    body = assert_error(response, 400, "NAT.0301")
    assert "nat_gateway_id" in body["error_msg"] and "protocol" in body["error_msg"]
    assert "is null" in body["error_msg"]


async def test_unknown_port_id_is_404_nat_0023(hw: httpx.AsyncClient) -> None:
    nowhere = "00000000-0000-0000-0000-000000000000"
    response = await hw.post(RULES, json=rule_body(port_id=nowhere))
    assert nowhere in assert_error(response, 404, "NAT.0023")["error_msg"]
    assert (await hw.get(RULES)).json() == {"dnat_rules": []}


async def test_ranges_with_explicit_zero_ports_are_fine(hw: httpx.AsyncClient) -> None:
    body = rule_body(
        internal_service_port=0,
        external_service_port=0,
        internal_service_port_range="8000-8010",
        external_service_port_range="9000-9010",
    )
    response = await hw.post(RULES, json=body)
    assert response.status_code == 201, response.text


async def test_any_protocol_upper_case_all_port_rule_is_fine(hw: httpx.AsyncClient) -> None:
    body = rule_body(protocol="ANY", internal_service_port=0, external_service_port=0)
    response = await hw.post(RULES, json=body)
    assert response.status_code == 201, response.text
    assert response.json()["dnat_rule"]["protocol"] == "any"


async def test_description_of_255_characters_is_fine(hw: httpx.AsyncClient) -> None:
    response = await hw.post(RULES, json=rule_body(description="d" * 255))
    assert response.status_code == 201, response.text


async def test_port_boundaries_are_accepted(hw: httpx.AsyncClient) -> None:
    response = await hw.post(
        RULES, json=rule_body(internal_service_port=1, external_service_port=65535)
    )
    assert response.status_code == 201, response.text


# -- create: gateway, EIP in use --------------------------------------------------------------


async def test_unknown_gateway_is_404_nat_0105(hw: httpx.AsyncClient) -> None:
    gateway = "cda3a125-2406-456c-a11f-598e10578541"
    response = await hw.post(RULES, json=rule_body(nat_gateway_id=gateway))
    body = assert_error(response, 404, "NAT.0105")
    assert f"NatGateway {gateway} does not exist" in body["error_msg"]


@pytest.mark.parametrize(
    ("gateway", "code"),
    [(GW_FROZEN, "NAT.0104"), (GW_PENDING, "NAT.0103")],
    ids=["frozen-nat_0104", "not-active-nat_0103"],
)
async def test_gateway_not_usable_is_refused(
    hw: httpx.AsyncClient, gateway: str, code: str
) -> None:
    body = assert_error(await hw.post(RULES, json=rule_body(nat_gateway_id=gateway)), 400, code)
    assert gateway in body["error_msg"]
    assert (await hw.get(RULES)).json() == {"dnat_rules": []}


async def test_eip_bound_to_an_ecs_is_nat_0402(hw: httpx.AsyncClient) -> None:
    response = await hw.post(RULES, json=rule_body(floating_ip_id=EIP_BOUND))
    assert EIP_BOUND in assert_error(response, 400, "NAT.0402")["error_msg"]


async def test_eip_used_by_another_gateway_is_nat_0404(hw: httpx.AsyncClient) -> None:
    other = rule_body(nat_gateway_id=GW_OTHER, port_id=None, private_ip="10.1.0.9")
    assert (await hw.post(RULES, json=other)).status_code == 201
    response = await hw.post(RULES, json=rule_body(external_service_port=9999))
    assert GW_OTHER in assert_error(response, 400, "NAT.0404")["error_msg"]


# -- create: the external key (EIP + external port + protocol) ---------------------------------

ALL_PORTS = {"protocol": "any", "internal_service_port": 0, "external_service_port": 0}


@pytest.mark.parametrize(
    ("first", "second", "code"),
    [
        # same EIP, external port, protocol (another backend): duplicate
        pytest.param({}, {"port_id": PORT2}, "NAT.0305", id="same-key-nat_0305"),
        pytest.param({}, {"protocol": "udp"}, None, id="other-protocol"),
        pytest.param(
            {}, {"external_service_port": 8081, "internal_service_port": 81}, None, id="other-port"
        ),
        pytest.param(
            {}, {"floating_ip_id": EIP2, "internal_service_port": 81}, None, id="other-eip"
        ),
        pytest.param(
            {},
            {
                "internal_service_port": None,
                "external_service_port": None,
                "internal_service_port_range": "1000-9000",
                "external_service_port_range": "8000-16000",
            },
            "NAT.0305",
            id="range-covering-8080-nat_0305",
        ),
        pytest.param(
            {},
            {
                "internal_service_port": None,
                "external_service_port": None,
                "internal_service_port_range": "1000-1010",
                "external_service_port_range": "8081-8091",
            },
            None,
            id="range-beside-8080",
        ),
        # an all-port rule takes every port of its EIP: NAT.0408 beside a normal rule
        pytest.param(
            ALL_PORTS,
            {"port_id": PORT2, "protocol": "udp", "external_service_port": 5353},
            "NAT.0408",
            id="normal-after-all-port-nat_0408",
        ),
        pytest.param({}, {**ALL_PORTS, "port_id": PORT2}, "NAT.0408", id="all-port-after-normal"),
        # two all-port rules on one EIP: the plain external-key clash
        pytest.param(ALL_PORTS, {**ALL_PORTS, "port_id": PORT2}, "NAT.0305", id="two-all-port"),
    ],
)
async def test_external_key_is_unique(
    hw: httpx.AsyncClient, first: dict[str, Any], second: dict[str, Any], code: str | None
) -> None:
    assert (await hw.post(RULES, json=rule_body(**first))).status_code == 201
    response = await hw.post(RULES, json=rule_body(**second))
    if code is not None:
        assert EIP1 in assert_error(response, 400, code)["error_msg"]
        assert len((await hw.get(RULES)).json()["dnat_rules"]) == 1
    else:
        assert response.status_code == 201, response.text


# -- create: the internal key (backend + internal port + protocol) ----------------------------

PRIVATE_IP = "10.8.0.7"


def private_ip_body(**overrides: Any) -> dict[str, Any]:
    """A create body on PRIVATE_IP instead of PORT1."""
    return rule_body(port_id=None, private_ip=PRIVATE_IP, **overrides)


@pytest.mark.parametrize(
    ("first", "second", "code"),
    [
        # "only one DNAT rule can be configured for each port on a server"
        pytest.param(
            rule_body(),
            rule_body(external_service_port=8081),
            "NAT.0304",
            id="same-port_id-port-nat_0304",
        ),
        pytest.param(
            rule_body(),
            rule_body(floating_ip_id=EIP2),
            "NAT.0304",
            id="same-port_id-port-other-eip-nat_0304",
        ),
        pytest.param(
            private_ip_body(),
            private_ip_body(external_service_port=8081),
            "NAT.0304",
            id="same-private_ip-port-nat_0304",
        ),
        pytest.param(
            rule_body(),
            rule_body(
                internal_service_port=None,
                external_service_port=None,
                internal_service_port_range="70-90",
                external_service_port_range="9070-9090",
            ),
            "NAT.0304",
            id="range-covering-the-port-nat_0304",
        ),
        pytest.param(
            rule_body(
                internal_service_port=None,
                external_service_port=None,
                internal_service_port_range="70-90",
                external_service_port_range="9070-9090",
            ),
            rule_body(internal_service_port=90, external_service_port=8090),
            "NAT.0304",
            id="port-at-the-range-end-nat_0304",
        ),
        # no clash: another internal port, protocol or backend
        pytest.param(
            rule_body(),
            rule_body(external_service_port=8081, internal_service_port=81),
            None,
            id="other-internal-port",
        ),
        pytest.param(
            rule_body(),
            rule_body(external_service_port=8081, protocol="udp"),
            None,
            id="other-protocol",
        ),
        pytest.param(
            rule_body(), rule_body(external_service_port=8081, port_id=PORT2), None, id="other-port"
        ),
        pytest.param(
            private_ip_body(),
            rule_body(port_id=None, private_ip="10.8.0.8", external_service_port=8081),
            None,
            id="other-private_ip",
        ),
        pytest.param(
            rule_body(),
            rule_body(
                internal_service_port=None,
                external_service_port=None,
                internal_service_port_range="81-90",
                external_service_port_range="9081-9090",
            ),
            None,
            id="range-beside-the-port",
        ),
        # an all-port rule takes every internal port of its backend: NAT.0307 / NAT.0308
        pytest.param(
            rule_body(**ALL_PORTS),
            rule_body(floating_ip_id=EIP2),
            "NAT.0307",
            id="port_id-normal-after-all-port-nat_0307",
        ),
        pytest.param(
            rule_body(),
            rule_body(floating_ip_id=EIP2, **ALL_PORTS),
            "NAT.0307",
            id="port_id-all-port-after-normal-nat_0307",
        ),
        pytest.param(
            rule_body(**ALL_PORTS),
            rule_body(floating_ip_id=EIP2, **ALL_PORTS),
            "NAT.0307",
            id="port_id-two-all-port-nat_0307",
        ),
        pytest.param(
            private_ip_body(**ALL_PORTS),
            private_ip_body(floating_ip_id=EIP2, protocol="udp", internal_service_port=53),
            "NAT.0308",
            id="private_ip-normal-after-all-port-nat_0308",
        ),
        pytest.param(
            private_ip_body(),
            private_ip_body(floating_ip_id=EIP2, **ALL_PORTS),
            "NAT.0308",
            id="private_ip-all-port-after-normal-nat_0308",
        ),
        pytest.param(
            rule_body(**ALL_PORTS),
            rule_body(floating_ip_id=EIP2, port_id=PORT2, **ALL_PORTS),
            None,
            id="all-port-rules-on-two-ports",
        ),
    ],
)
async def test_internal_key_is_unique(
    hw: httpx.AsyncClient, first: dict[str, Any], second: dict[str, Any], code: str | None
) -> None:
    created = await hw.post(RULES, json=first)
    assert created.status_code == 201, created.text
    response = await hw.post(RULES, json=second)
    if code is not None:
        body = assert_error(response, 400, code)
        assert created.json()["dnat_rule"]["id"] in body["error_msg"]
        assert len((await hw.get(RULES)).json()["dnat_rules"]) == 1
    else:
        assert response.status_code == 201, response.text


async def test_internal_key_message_names_the_backend(hw: httpx.AsyncClient) -> None:
    assert (await hw.post(RULES, json=private_ip_body())).status_code == 201
    response = await hw.post(RULES, json=private_ip_body(external_service_port=8081))
    message = assert_error(response, 400, "NAT.0304")["error_msg"]
    assert "have been occupied" in message and PRIVATE_IP in message


async def test_internal_key_is_checked_after_the_external_key(hw: httpx.AsyncClient) -> None:
    # a plain copy clashes on both keys; the EIP side answers first
    assert (await hw.post(RULES, json=rule_body())).status_code == 201
    assert_error(await hw.post(RULES, json=rule_body()), 400, "NAT.0305")


# -- create: quota ------------------------------------------------------------------------------


async def test_quota_is_200_rules_per_gateway(hw: httpx.AsyncClient) -> None:
    for n in range(200):
        response = await hw.post(
            RULES, json=rule_body(external_service_port=1000 + n, internal_service_port=1000 + n)
        )
        assert response.status_code == 201, (n, response.text)
    response = await hw.post(RULES, json=rule_body(external_service_port=5000))
    body = assert_error(response, 400, "NAT.0309")
    assert "200 DNAT rules" in body["error_msg"] and GW in body["error_msg"]
    # the quota is per gateway: another gateway still takes rules
    other = rule_body(nat_gateway_id=GW_OTHER, floating_ip_id=EIP3, port_id=None)
    other["dnat_rule"]["private_ip"] = "10.1.0.9"
    assert (await hw.post(RULES, json=other)).status_code == 201


async def test_quota_comes_from_settings(hw: httpx.AsyncClient, admin: httpx.AsyncClient) -> None:
    await admin.post("/_sim/settings", json={"huawei_dnat_quota_per_gateway": 1})
    assert (await hw.post(RULES, json=rule_body())).status_code == 201
    response = await hw.post(
        RULES, json=rule_body(external_service_port=81, internal_service_port=81)
    )
    assert "1 DNAT rules" in assert_error(response, 400, "NAT.0309")["error_msg"]


async def test_quota_is_checked_before_duplicates(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await admin.post("/_sim/settings", json={"huawei_dnat_quota_per_gateway": 1})
    assert (await hw.post(RULES, json=rule_body())).status_code == 201
    assert_error(await hw.post(RULES, json=rule_body()), 400, "NAT.0309")


# -- lifecycle -------------------------------------------------------------------------------


async def test_lifecycle_follows_the_configured_delays(
    hw: httpx.AsyncClient, clock: FakeClock
) -> None:
    rule_id = (await hw.post(RULES, json=rule_body())).json()["dnat_rule"]["id"]
    clock.advance(0.9)
    assert (await hw.get(f"{RULES}/{rule_id}")).json()["dnat_rule"]["status"] == "PENDING_CREATE"
    clock.advance(0.2)
    assert (await hw.get(f"{RULES}/{rule_id}")).json()["dnat_rule"]["status"] == "ACTIVE"

    update = await hw.put(f"{RULES}/{rule_id}", json={"dnat_rule": {"nat_gateway_id": GW}})
    assert update.json()["dnat_rule"]["status"] == "PENDING_UPDATE"
    clock.advance(1.0)
    assert (await hw.get(f"{RULES}/{rule_id}")).json()["dnat_rule"]["status"] == "ACTIVE"

    assert (await hw.delete(delete_path(rule_id))).status_code == 204
    shown = await hw.get(f"{RULES}/{rule_id}")
    assert shown.json()["dnat_rule"]["status"] == "PENDING_DELETE"
    clock.advance(1.0)
    assert_error(await hw.get(f"{RULES}/{rule_id}"), 404, "NAT.0319")


async def test_zero_delays_make_changes_immediate(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    settings = {
        "huawei_dnat_create_delay": 0,
        "huawei_dnat_update_delay": 0,
        "huawei_dnat_delete_delay": 0,
    }
    assert (await admin.post("/_sim/settings", json=settings)).status_code == 200
    created = (await hw.post(RULES, json=rule_body())).json()["dnat_rule"]
    assert created["status"] == "ACTIVE"
    updated = await hw.put(
        f"{RULES}/{created['id']}", json={"dnat_rule": {"nat_gateway_id": GW, "description": "x"}}
    )
    assert updated.json()["dnat_rule"]["status"] == "ACTIVE"
    assert (await hw.delete(delete_path(created["id"]))).status_code == 204
    assert_error(await hw.get(f"{RULES}/{created['id']}"), 404, "NAT.0319")


async def test_longer_delay_from_settings(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient, clock: FakeClock
) -> None:
    await admin.post("/_sim/settings", json={"huawei_dnat_create_delay": 30})
    rule_id = (await hw.post(RULES, json=rule_body())).json()["dnat_rule"]["id"]
    clock.advance(29)
    assert (await hw.get(f"{RULES}/{rule_id}")).json()["dnat_rule"]["status"] == "PENDING_CREATE"
    clock.advance(1)
    assert (await hw.get(f"{RULES}/{rule_id}")).json()["dnat_rule"]["status"] == "ACTIVE"


async def test_pending_delete_rule_still_holds_its_eip_port(
    hw: httpx.AsyncClient, clock: FakeClock
) -> None:
    rule_id = await create_active(hw, clock)
    await hw.delete(delete_path(rule_id))
    assert_error(await hw.post(RULES, json=rule_body(port_id=PORT2)), 400, "NAT.0305")
    clock.advance(1)
    assert (await hw.post(RULES, json=rule_body(port_id=PORT2))).status_code == 201


async def test_pending_delete_rule_still_holds_its_backend_port(
    hw: httpx.AsyncClient, clock: FakeClock
) -> None:
    rule_id = await create_active(hw, clock)
    await hw.delete(delete_path(rule_id))
    again = rule_body(floating_ip_id=EIP2)
    assert_error(await hw.post(RULES, json=again), 400, "NAT.0304")
    clock.advance(1)
    assert (await hw.post(RULES, json=again)).status_code == 201


async def test_pending_delete_rule_still_holds_its_quota_slot(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient, clock: FakeClock
) -> None:
    await admin.post("/_sim/settings", json={"huawei_dnat_quota_per_gateway": 1})
    rule_id = await create_active(hw, clock)
    await hw.delete(delete_path(rule_id))
    other = rule_body(floating_ip_id=EIP2, port_id=PORT2)
    assert_error(await hw.post(RULES, json=other), 400, "NAT.0309")
    clock.advance(1)
    assert (await hw.post(RULES, json=other)).status_code == 201


# -- update ----------------------------------------------------------------------------------


async def test_update_changes_fields_in_place(hw: httpx.AsyncClient, clock: FakeClock) -> None:
    rule_id = await create_active(hw, clock)
    response = await hw.put(
        f"{RULES}/{rule_id}",
        json={
            "dnat_rule": {
                "nat_gateway_id": GW,
                "description": "moved",
                "port_id": PORT2,
                "internal_service_port": 8443,
                "external_service_port": 443,
                "floating_ip_id": EIP2,
            }
        },
    )
    assert response.status_code == 200, response.text
    rule = response.json()["dnat_rule"]
    assert rule["id"] == rule_id
    assert (rule["description"], rule["port_id"], rule["floating_ip_id"]) == ("moved", PORT2, EIP2)
    assert rule["floating_ip_address"] == "100.85.216.12"
    assert (rule["internal_service_port"], rule["external_service_port"]) == (8443, 443)
    assert list(rule) == SHOW_FIELDS


async def test_update_to_port_ranges_drops_the_single_ports(
    hw: httpx.AsyncClient, clock: FakeClock
) -> None:
    rule_id = await create_active(hw, clock)
    response = await hw.put(
        f"{RULES}/{rule_id}",
        json={
            "dnat_rule": {
                "nat_gateway_id": GW,
                "internal_service_port_range": "100-110",
                "external_service_port_range": "200-210",
            }
        },
    )
    assert response.status_code == 200, response.text
    rule = response.json()["dnat_rule"]
    assert (rule["internal_service_port"], rule["external_service_port"]) == (0, 0)
    assert rule["external_service_port_range"] == "200-210"


GW_ONLY = {"nat_gateway_id": GW}
RANGES = {"internal_service_port_range": "100-110", "external_service_port_range": "200-210"}
NOWHERE = "00000000-0000-0000-0000-00000000000a"
INVALID_UPDATES: list[tuple[str, dict[str, Any], str]] = [
    ("no nat_gateway_id (SDK: required)", {"description": "x"}, "NAT.0002"),
    ("nat_gateway_id changed (immutable)", {"nat_gateway_id": GW_OTHER}, "NAT.0002"),
    ("port_id -> private_ip (immutable)", {**GW_ONLY, "private_ip": "10.0.0.5"}, "NAT.0002"),
    ("EIP -> global EIP (immutable)", {**GW_ONLY, "global_eip_id": GLOBAL_EIP}, "NAT.0002"),
    ("unknown field", {**GW_ONLY, "status": "ACTIVE"}, "NAT.0002"),
    ("port as string", {**GW_ONLY, "internal_service_port": "80"}, "NAT.0002"),
    ("bad port", {**GW_ONLY, "external_service_port": 70000}, "NAT.0303"),
    ("bad protocol", {**GW_ONLY, "protocol": "sctp"}, "NAT.0302"),
    ("any with ports", {**GW_ONLY, "protocol": "any", "internal_service_port": 80}, "NAT.0306"),
    ("tcp with port 0", {**GW_ONLY, "internal_service_port": 0}, "NAT.0306"),
    ("bad range", {**GW_ONLY, **RANGES, "internal_service_port_range": "110-100"}, "NAT.0301"),
    (
        "ranges of unequal length",
        {**GW_ONLY, **RANGES, "external_service_port_range": "200-220"},
        "NAT.0301",
    ),
    ("only one range", {**GW_ONLY, "internal_service_port_range": "100-110"}, "NAT.0301"),
    ("port outside the VPC", {**GW_ONLY, "port_id": PORT_ELSEWHERE}, "NAT.0315"),
    ("unknown EIP", {**GW_ONLY, "floating_ip_id": NOWHERE}, "NAT.0026"),
    ("EIP bound elsewhere", {**GW_ONLY, "floating_ip_id": EIP_BOUND}, "NAT.0402"),
    ("description too long", {**GW_ONLY, "description": LONG}, "NAT.0014"),
    ("description with >", {**GW_ONLY, "description": "a>b"}, "NAT.0002"),
]


@pytest.mark.parametrize(
    ("option", "code"), [pytest.param(o, c, id=i) for i, o, c in INVALID_UPDATES]
)
async def test_invalid_update_is_rejected_and_changes_nothing(
    hw: httpx.AsyncClient, clock: FakeClock, option: dict[str, Any], code: str
) -> None:
    rule_id = await create_active(hw, clock)
    before = (await hw.get(f"{RULES}/{rule_id}")).json()
    assert_error(await hw.put(f"{RULES}/{rule_id}", json={"dnat_rule": option}), 400, code)
    assert (await hw.get(f"{RULES}/{rule_id}")).json() == before


async def test_update_with_an_unknown_port_is_404_nat_0023(
    hw: httpx.AsyncClient, clock: FakeClock
) -> None:
    rule_id = await create_active(hw, clock)
    before = (await hw.get(f"{RULES}/{rule_id}")).json()
    response = await hw.put(
        f"{RULES}/{rule_id}", json={"dnat_rule": {**GW_ONLY, "port_id": NOWHERE}}
    )
    assert NOWHERE in assert_error(response, 404, "NAT.0023")["error_msg"]
    assert (await hw.get(f"{RULES}/{rule_id}")).json() == before


async def test_update_of_a_frozen_rule_is_nat_0318(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient, clock: FakeClock
) -> None:
    rule_id = await create_active(hw, clock)
    await admin.patch(f"/_sim/huawei/dnat_rules/{rule_id}", json={"status": "EIP_FREEZED"})
    response = await hw.put(f"{RULES}/{rule_id}", json={"dnat_rule": {"nat_gateway_id": GW}})
    assert "frozen" in assert_error(response, 400, "NAT.0318")["error_msg"]


async def test_a_frozen_eip_takes_no_rule_nat_0401(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await admin.patch(f"/_sim/huawei/eips/{EIP2}", json={"frozen": True})
    assert_error(await hw.post(RULES, json=rule_body(floating_ip_id=EIP2)), 400, "NAT.0401")
    assert (await hw.get(RULES)).json() == {"dnat_rules": []}


async def test_a_virtual_ip_port_is_nat_0312_and_an_ipv6_port_nat_0109(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await admin.patch(f"/_sim/huawei/ports/{PORT1}", json={"device_owner": "neutron:VIP_PORT"})
    assert_error(await hw.post(RULES, json=rule_body(port_id=PORT1)), 400, "NAT.0312")
    await admin.patch(f"/_sim/huawei/ports/{PORT2}", json={"fixed_ip": "fd00::12"})
    assert_error(await hw.post(RULES, json=rule_body(port_id=PORT2)), 400, "NAT.0109")
    assert (await hw.get(RULES)).json() == {"dnat_rules": []}


async def test_an_all_port_rule_on_the_gateways_snat_eip_is_nat_0409(
    hw: httpx.AsyncClient,
) -> None:
    all_port = rule_body(
        floating_ip_id=EIP_SNAT, protocol="any", internal_service_port=0, external_service_port=0
    )
    assert_error(await hw.post(RULES, json=all_port), 400, "NAT.0409")
    # a port rule may share the SNAT EIP
    assert (await hw.post(RULES, json=rule_body(floating_ip_id=EIP_SNAT))).status_code == 201


async def test_the_per_eip_limit_is_nat_0313(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await admin.post("/_sim/settings", json={"huawei_dnat_quota_per_eip": 1})
    assert (await hw.post(RULES, json=rule_body())).status_code == 201
    second = rule_body(port_id=PORT2, external_service_port=8081)
    assert_error(await hw.post(RULES, json=second), 400, "NAT.0313")


@pytest.mark.parametrize("status", ["PENDING_CREATE", "PENDING_UPDATE", "INACTIVE"])
async def test_update_of_a_rule_that_is_not_active_is_nat_0009(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient, clock: FakeClock, status: str
) -> None:
    if status == "PENDING_CREATE":
        rule_id = (await hw.post(RULES, json=rule_body())).json()["dnat_rule"]["id"]
    else:
        rule_id = await create_active(hw, clock)
        await admin.patch(f"/_sim/huawei/dnat_rules/{rule_id}", json={"status": status})
    response = await hw.put(f"{RULES}/{rule_id}", json={"dnat_rule": {"nat_gateway_id": GW}})
    assert status in assert_error(response, 400, "NAT.0009")["error_msg"]


async def test_update_onto_another_rules_eip_port_is_nat_0305(
    hw: httpx.AsyncClient, clock: FakeClock
) -> None:
    await create_active(hw, clock)
    other = await create_active(hw, clock, external_service_port=9090, internal_service_port=90)
    option = {"nat_gateway_id": GW, "external_service_port": 8080}
    response = await hw.put(f"{RULES}/{other}", json={"dnat_rule": option})
    assert_error(response, 400, "NAT.0305")


async def test_update_onto_another_rules_backend_port_is_nat_0304(
    hw: httpx.AsyncClient, clock: FakeClock
) -> None:
    first = await create_active(hw, clock)
    other = await create_active(hw, clock, port_id=PORT2, external_service_port=9090)
    before = (await hw.get(f"{RULES}/{other}")).json()
    option = {"nat_gateway_id": GW, "port_id": PORT1}  # PORT1:80/tcp is the first rule's
    response = await hw.put(f"{RULES}/{other}", json={"dnat_rule": option})
    assert first in assert_error(response, 400, "NAT.0304")["error_msg"]
    assert (await hw.get(f"{RULES}/{other}")).json() == before


async def test_update_onto_another_rules_internal_port_is_nat_0304(
    hw: httpx.AsyncClient, clock: FakeClock
) -> None:
    await create_active(hw, clock)
    other = await create_active(hw, clock, external_service_port=9090, internal_service_port=90)
    option = {"nat_gateway_id": GW, "internal_service_port": 80}
    response = await hw.put(f"{RULES}/{other}", json={"dnat_rule": option})
    assert_error(response, 400, "NAT.0304")
    # another protocol on the same backend port is a different key
    option = {"nat_gateway_id": GW, "internal_service_port": 80, "protocol": "udp"}
    response = await hw.put(f"{RULES}/{other}", json={"dnat_rule": option})
    assert response.status_code == 200, response.text


async def test_update_to_an_all_port_rule_beside_a_rule_on_its_backend_is_nat_0307(
    hw: httpx.AsyncClient, clock: FakeClock
) -> None:
    await create_active(hw, clock)
    other = await create_active(
        hw, clock, floating_ip_id=EIP2, external_service_port=9090, internal_service_port=90
    )
    option = {"nat_gateway_id": GW, "protocol": "any"}  # the ports go to 0/0 with it
    response = await hw.put(f"{RULES}/{other}", json={"dnat_rule": option})
    assert_error(response, 400, "NAT.0307")


async def test_update_on_a_frozen_gateway_is_nat_0104(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient, clock: FakeClock
) -> None:
    rule_id = await create_active(hw, clock)
    await admin.patch(f"/_sim/huawei/nat_gateways/{GW}", json={"admin_state_up": False})
    response = await hw.put(f"{RULES}/{rule_id}", json={"dnat_rule": {"nat_gateway_id": GW}})
    assert_error(response, 400, "NAT.0104")


async def test_update_on_a_gateway_that_is_not_active_is_nat_0103(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient, clock: FakeClock
) -> None:
    rule_id = await create_active(hw, clock)
    await admin.patch(f"/_sim/huawei/nat_gateways/{GW}", json={"status": "PENDING_UPDATE"})
    response = await hw.put(f"{RULES}/{rule_id}", json={"dnat_rule": {"nat_gateway_id": GW}})
    assert_error(response, 400, "NAT.0103")


async def test_update_of_unknown_rule_is_404_nat_0319(hw: httpx.AsyncClient) -> None:
    response = await hw.put(
        f"{RULES}/5b95c675-69c2-4656-ba06-58ff72e1d338", json={"dnat_rule": {"nat_gateway_id": GW}}
    )
    assert_error(response, 404, "NAT.0319")


async def test_update_keeps_its_own_ports_without_conflict(
    hw: httpx.AsyncClient, clock: FakeClock
) -> None:
    rule_id = await create_active(hw, clock)
    response = await hw.put(
        f"{RULES}/{rule_id}",
        json={
            "dnat_rule": {
                "nat_gateway_id": GW,
                "port_id": PORT1,
                "internal_service_port": 80,
                "external_service_port": 8080,
            }
        },
    )
    assert response.status_code == 200, response.text


# -- delete ----------------------------------------------------------------------------------


async def test_delete_answers_204_without_body(hw: httpx.AsyncClient, clock: FakeClock) -> None:
    rule_id = await create_active(hw, clock)
    response = await hw.delete(delete_path(rule_id))
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["X-Request-Id"]
    # again while PENDING_DELETE: idempotent
    assert (await hw.delete(delete_path(rule_id))).status_code == 204
    clock.advance(1)
    assert_error(await hw.delete(delete_path(rule_id)), 404, "NAT.0319")


async def test_delete_with_unknown_gateway_is_404_nat_0105(
    hw: httpx.AsyncClient, clock: FakeClock
) -> None:
    rule_id = await create_active(hw, clock)
    gateway = "cda3a125-2406-456c-a11f-598e10578541"
    response = await hw.delete(delete_path(rule_id, gateway))
    assert gateway in assert_error(response, 404, "NAT.0105")["error_msg"]
    assert (await hw.get(f"{RULES}/{rule_id}")).json()["dnat_rule"]["status"] == "ACTIVE"


async def test_delete_of_an_unknown_rule_is_404_nat_0319(hw: httpx.AsyncClient) -> None:
    rule_id = "5b95c675-69c2-4656-ba06-58ff72e1d338"
    assert (
        rule_id in assert_error(await hw.delete(delete_path(rule_id)), 404, "NAT.0319")["error_msg"]
    )


async def test_delete_on_the_wrong_gateway_is_404_nat_0319(
    hw: httpx.AsyncClient, clock: FakeClock
) -> None:
    rule_id = await create_active(hw, clock)
    assert_error(await hw.delete(delete_path(rule_id, GW_OTHER)), 404, "NAT.0319")
    assert (await hw.get(f"{RULES}/{rule_id}")).json()["dnat_rule"]["status"] == "ACTIVE"


async def test_delete_of_a_pending_create_rule_is_nat_0009(hw: httpx.AsyncClient) -> None:
    rule_id = (await hw.post(RULES, json=rule_body())).json()["dnat_rule"]["id"]
    assert_error(await hw.delete(delete_path(rule_id)), 400, "NAT.0009")


async def test_delete_of_a_pending_update_rule_is_nat_0009(
    hw: httpx.AsyncClient, clock: FakeClock
) -> None:
    rule_id = await create_active(hw, clock)
    update = await hw.put(f"{RULES}/{rule_id}", json={"dnat_rule": {"nat_gateway_id": GW}})
    assert update.json()["dnat_rule"]["status"] == "PENDING_UPDATE"
    assert_error(await hw.delete(delete_path(rule_id)), 400, "NAT.0009")


async def test_delete_of_a_frozen_eip_rule_works(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient, clock: FakeClock
) -> None:
    rule_id = await create_active(hw, clock)
    await admin.patch(f"/_sim/huawei/dnat_rules/{rule_id}", json={"status": "EIP_FREEZED"})
    assert (await hw.delete(delete_path(rule_id))).status_code == 204


# -- list ------------------------------------------------------------------------------------


async def _make_rules(hw: httpx.AsyncClient, n: int) -> list[str]:
    ids = []
    for i in range(n):
        response = await hw.post(
            RULES, json=rule_body(external_service_port=2000 + i, internal_service_port=2000 + i)
        )
        ids.append(response.json()["dnat_rule"]["id"])
    return sorted(ids)


async def test_list_answers_only_dnat_rules(hw: httpx.AsyncClient) -> None:
    await _make_rules(hw, 2)
    response = await hw.get(RULES)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["dnat_rules"]  # the SDK's ListNatGatewayDnatRulesResponse
    assert all(list(rule) == SHOW_FIELDS for rule in body["dnat_rules"])


async def test_list_pages_with_limit_and_marker(hw: httpx.AsyncClient) -> None:
    ids = await _make_rules(hw, 5)
    first = (await hw.get(RULES, params={"limit": 2})).json()["dnat_rules"]
    assert [r["id"] for r in first] == ids[:2]
    second = (await hw.get(RULES, params={"limit": 2, "marker": ids[1]})).json()["dnat_rules"]
    assert [r["id"] for r in second] == ids[2:4]
    last = (await hw.get(RULES, params={"limit": 2, "marker": ids[3]})).json()["dnat_rules"]
    assert [r["id"] for r in last] == ids[4:]
    after_end = (await hw.get(RULES, params={"marker": ids[4]})).json()["dnat_rules"]
    assert after_end == []
    no_limit = (await hw.get(RULES, params={"marker": ids[0]})).json()["dnat_rules"]
    assert [r["id"] for r in no_limit] == ids[1:]
    exact = (await hw.get(RULES, params={"limit": 5})).json()["dnat_rules"]
    assert len(exact) == 5


async def test_marker_of_a_deleted_rule_still_pages(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await admin.post("/_sim/settings", json={"huawei_dnat_delete_delay": 0})
    await admin.post("/_sim/settings", json={"huawei_dnat_create_delay": 0})
    ids = await _make_rules(hw, 4)
    assert (await hw.delete(delete_path(ids[1]))).status_code == 204
    page = (await hw.get(RULES, params={"limit": 10, "marker": ids[1]})).json()["dnat_rules"]
    assert [r["id"] for r in page] == ids[2:]


@pytest.mark.parametrize("limit", ["0", "2001", "-1", "ten"])
async def test_list_limit_outside_1_to_2000_is_nat_0002(hw: httpx.AsyncClient, limit: str) -> None:
    assert_error(await hw.get(RULES, params={"limit": limit}), 400, "NAT.0002")


async def test_list_limit_2000_is_fine(hw: httpx.AsyncClient) -> None:
    assert (await hw.get(RULES, params={"limit": 2000})).status_code == 200


async def test_list_filters(hw: httpx.AsyncClient, clock: FakeClock) -> None:
    web = await create_active(hw, clock, description="web")
    dns = await create_active(
        hw, clock, protocol="udp", external_service_port=53, internal_service_port=53, port_id=PORT2
    )
    other_gw = await create_active(
        hw, clock, nat_gateway_id=GW_OTHER, floating_ip_id=EIP3, port_id=None, private_ip="10.1.0.9"
    )
    pending = (
        await hw.post(RULES, json=rule_body(external_service_port=2222, internal_service_port=2222))
    ).json()
    pending_id = pending["dnat_rule"]["id"]
    created_at = (await hw.get(f"{RULES}/{web}")).json()["dnat_rule"]["created_at"]

    async def ids(**params: Any) -> set[str]:
        response = await hw.get(RULES, params=params)
        assert response.status_code == 200, response.text
        return {r["id"] for r in response.json()["dnat_rules"]}

    assert await ids(nat_gateway_id=GW) == {web, dns, pending_id}
    assert await ids(nat_gateway_id=f"{GW},{GW_OTHER}") == {web, dns, other_gw, pending_id}
    assert await ids(nat_gateway_id=[GW_OTHER, GW_FROZEN]) == {other_gw}
    assert await ids(protocol="udp") == {dns}
    assert await ids(protocol="TCP") == {web, other_gw, pending_id}
    assert await ids(port_id=PORT2) == {dns}
    assert await ids(private_ip="10.1.0.9") == {other_gw}
    assert await ids(floating_ip_id=EIP3) == {other_gw}
    assert await ids(floating_ip_address=EIP1_ADDRESS) == {web, dns, pending_id}
    assert await ids(internal_service_port=53) == {dns}
    assert await ids(external_service_port=8080) == {web, other_gw}
    assert await ids(status="PENDING_CREATE") == {pending_id}
    assert await ids(status="ACTIVE,PENDING_CREATE") == {web, dns, other_gw, pending_id}
    assert await ids(id=dns) == {dns}
    assert await ids(description="web") == {web}
    assert await ids(admin_state_up="true") == {web, dns, other_gw, pending_id}
    assert await ids(admin_state_up="false") == set()
    assert await ids(created_at=created_at) == {web}
    assert await ids(created_at=created_at.replace(" ", "T")) == {web}
    assert await ids(global_eip_id=GLOBAL_EIP) == set()
    assert await ids(nat_gateway_id=GW, protocol="tcp", limit=1) <= {web, pending_id}


@pytest.mark.parametrize("value", ["yesterday", "2017-13-45 25:61:00", "1700000000"])
async def test_list_invalid_created_at_is_nat_0001(hw: httpx.AsyncClient, value: str) -> None:
    assert_error(await hw.get(RULES, params={"created_at": value}), 400, "NAT.0001")


@pytest.mark.parametrize(
    "params",
    [
        {"admin_state_up": "maybe"},
        {"internal_service_port": "http"},
        {"external_service_port": "x"},
    ],
)
async def test_list_mistyped_filters_are_nat_0002(
    hw: httpx.AsyncClient, params: dict[str, str]
) -> None:
    assert_error(await hw.get(RULES, params=params), 400, "NAT.0002")


async def test_rules_of_another_project_are_invisible(
    hw: httpx.AsyncClient, app: Any, clock: FakeClock
) -> None:
    rule_id = await create_active(hw, clock)
    # a rule of project two, made directly in the store
    store = sim(app).store
    assert len(store.tables(NatTables).dnat_rules) == 1
    rule = store.tables(NatTables).dnat_rules[rule_id]
    store.tables(NatTables).dnat_rules["foreign"] = rule.model_copy(
        update={"id": "foreign", "tenant_id": "26ce0fce27e8211cf510fdefebfc510f"}
    )
    assert {r["id"] for r in (await hw.get(RULES)).json()["dnat_rules"]} == {rule_id}
    assert_error(await hw.get(f"{RULES}/foreign"), 404, "NAT.0319")


async def test_unknown_api_path_is_404_apigw_0101(hw: httpx.AsyncClient) -> None:
    response = await hw.get(f"/v2/{PROJECT}/snat_rules")
    body = assert_error(response, 404, "APIGW.0101")
    assert body["request_id"] == response.headers["X-Request-Id"]
    assert_error(await hw.patch(f"{RULES}/x", json={}), 404, "APIGW.0101")
