"""Our HuaweiNatClient against the simulator: every call, and every error class it can meet.

The other files here speak to the simulator with hand-built requests; this one
proves that the client the operator uses agrees with it on the wire (signing,
token auth, paging, error bodies) and classifies each answer as the client's
error table says (``cloudnet.clouds.huawei``, summed up in docs/fidelity.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from cloudnet.clouds.errors import CloudError, ErrorClass
from cloudnet.clouds.huawei import HuaweiCredentials
from cloudnet.providers.huawei_nat.client import HuaweiNatClient
from tests.fixtures.simkit import (
    AK,
    EIP1,
    EIP2,
    EIP_BOUND,
    GW,
    GW_FROZEN,
    GW_OTHER,
    GW_PENDING,
    OTHER_PROJECT,
    PORT1,
    PORT2,
    PORT_ELSEWHERE,
    PROJECT,
    SK,
    TOKEN,
    FakeClock,
    sim,
)

EIP, PORT = EIP1, PORT1
ENDPOINT = "http://nat.cn-north-4.sim.test"


def rule(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "nat_gateway_id": GW,
        "floating_ip_id": EIP,
        "port_id": PORT,
        "protocol": "tcp",
        "internal_service_port": 80,
        "external_service_port": 8080,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


@pytest.fixture
async def http(app: Starlette):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        yield client


def make(http: httpx.AsyncClient, clock: FakeClock, **kwargs: Any) -> HuaweiNatClient:
    kwargs.setdefault("credentials", HuaweiCredentials.from_aksk(AK, SK))
    kwargs.setdefault("project_id", PROJECT)
    return HuaweiNatClient(
        http,
        endpoint=ENDPOINT,
        clock=lambda: datetime.fromtimestamp(clock(), UTC),
        **kwargs,
    )


@pytest.fixture
def client(http: httpx.AsyncClient, clock: FakeClock) -> HuaweiNatClient:
    return make(http, clock)


async def test_full_lifecycle(client: HuaweiNatClient, clock: FakeClock) -> None:
    created = await client.create_dnat_rule(rule())
    assert created.status == 201 and created.request_id
    rule_id = created.body["dnat_rule"]["id"]
    assert created.body["dnat_rule"]["status"] == "PENDING_CREATE"
    clock.advance(5)
    shown = await client.show_dnat_rule(rule_id)
    assert shown.body["dnat_rule"]["status"] == "ACTIVE"
    updated = await client.update_dnat_rule(
        rule_id, {"nat_gateway_id": GW, "external_service_port": 9090}
    )
    assert updated.body["dnat_rule"]["status"] == "PENDING_UPDATE"
    clock.advance(5)
    listed = [r async for r in client.list_dnat_rules(nat_gateway_id=GW)]
    assert [(r["id"], r["external_service_port"]) for r in listed] == [(rule_id, 9090)]
    deleted = await client.delete_dnat_rule(GW, rule_id)
    assert deleted.status == 204
    clock.advance(5)
    with pytest.raises(CloudError) as info:
        await client.show_dnat_rule(rule_id)
    assert info.value.error_class is ErrorClass.NOT_FOUND and info.value.request_id


async def test_token_auth(http: httpx.AsyncClient, clock: FakeClock) -> None:
    client = make(http, clock, credentials=HuaweiCredentials.from_token(TOKEN))
    created = await client.create_dnat_rule(rule())
    assert created.status == 201


async def test_paging_walks_every_page(client: HuaweiNatClient, clock: FakeClock) -> None:
    for port in range(1000, 1025):
        await client.create_dnat_rule(rule(external_service_port=port, internal_service_port=port))
    seen = [r async for r in client.list_dnat_rules(page_size=7, nat_gateway_id=GW)]
    assert sorted(r["external_service_port"] for r in seen) == list(range(1000, 1025))
    log = sim_requests(client)
    assert log.count("ListNatGatewayDnatRules") == 4  # 7 + 7 + 7 + 4


def sim_requests(client: HuaweiNatClient) -> list[str]:
    app = client._http._transport.app  # type: ignore[attr-defined]
    return [e["action"] for e in sim(app).log.entries()]


NOWHERE = "00000000-0000-0000-0000-000000000000"
ALL_PORTS = {"protocol": "any", "internal_service_port": 0, "external_service_port": 0}
ERRORS: list[tuple[str, dict[str, Any], str, ErrorClass]] = [
    ("unknown gateway", rule(nat_gateway_id="0" * 8), "NAT.0105", ErrorClass.DEPENDENCY_NOT_FOUND),
    ("unknown port", rule(port_id=NOWHERE), "NAT.0023", ErrorClass.DEPENDENCY_NOT_FOUND),
    ("unknown eip", rule(floating_ip_id=NOWHERE), "NAT.0026", ErrorClass.DEPENDENCY_NOT_FOUND),
    ("port in another vpc", rule(port_id=PORT_ELSEWHERE), "NAT.0315", ErrorClass.INVALID_SPEC),
    ("description too long", rule(description="d" * 256), "NAT.0014", ErrorClass.INVALID_SPEC),
    ("unknown field", rule(status="ACTIVE"), "NAT.0002", ErrorClass.INVALID_SPEC),
    ("missing protocol", rule(protocol=None), "NAT.0301", ErrorClass.INVALID_SPEC),
    (
        "bad range",
        rule(
            internal_service_port=None,
            external_service_port=None,
            internal_service_port_range="90-80",
            external_service_port_range="80-90",
        ),
        "NAT.0301",
        ErrorClass.INVALID_SPEC,
    ),
    ("bad protocol", rule(protocol="icmp"), "NAT.0302", ErrorClass.INVALID_SPEC),
    ("port above 65535", rule(external_service_port=65536), "NAT.0303", ErrorClass.INVALID_SPEC),
    ("tcp with port 0", rule(internal_service_port=0), "NAT.0306", ErrorClass.INVALID_SPEC),
    ("any with ports", rule(protocol="any"), "NAT.0306", ErrorClass.INVALID_SPEC),
    ("no backend", rule(port_id=None), "NAT.0310", ErrorClass.INVALID_SPEC),
    ("two backends", rule(private_ip="192.168.0.11"), "NAT.0317", ErrorClass.INVALID_SPEC),
    (
        "private_ip not IPv4",
        rule(port_id=None, private_ip="192.168.0.300"),
        "NAT.0311",
        ErrorClass.INVALID_SPEC,
    ),
    ("eip bound to an ECS", rule(floating_ip_id=EIP_BOUND), "NAT.0402", ErrorClass.CONFLICT),
    (
        "frozen gateway",
        rule(nat_gateway_id=GW_FROZEN, floating_ip_id=EIP2),
        "NAT.0104",
        ErrorClass.CONFLICT,
    ),
    (
        "gateway not active",
        rule(nat_gateway_id=GW_PENDING, floating_ip_id=EIP2),
        "NAT.0103",
        ErrorClass.CONFLICT,
    ),
]


@pytest.mark.parametrize(("name", "body", "code", "cls"), ERRORS, ids=[e[0] for e in ERRORS])
async def test_create_errors_are_classified(
    client: HuaweiNatClient, name: str, body: dict[str, Any], code: str, cls: ErrorClass
) -> None:
    with pytest.raises(CloudError) as info:
        await client.create_dnat_rule(body)
    assert (info.value.code, info.value.error_class) == (code, cls)
    assert info.value.request_id


CONFLICTS: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    ("same eip port", rule(), rule(port_id=PORT2), "NAT.0305"),
    ("same backend port", rule(), rule(external_service_port=8081), "NAT.0304"),
    ("all-port beside a rule on the eip", rule(), rule(port_id=PORT2, **ALL_PORTS), "NAT.0408"),
    (
        "all-port beside a rule on the port",
        rule(),
        rule(floating_ip_id=EIP2, **ALL_PORTS),
        "NAT.0307",
    ),
    (
        "all-port beside a rule on the private_ip",
        rule(port_id=None, private_ip="192.168.0.20"),
        rule(port_id=None, private_ip="192.168.0.20", floating_ip_id=EIP2, **ALL_PORTS),
        "NAT.0308",
    ),
    (
        "eip of another gateway",
        rule(nat_gateway_id=GW_OTHER, port_id=None, private_ip="10.1.0.9"),
        rule(external_service_port=9999),
        "NAT.0404",
    ),
]


@pytest.mark.parametrize(
    ("name", "first", "second", "code"), CONFLICTS, ids=[c[0] for c in CONFLICTS]
)
async def test_taken_keys_are_conflicts(
    client: HuaweiNatClient, name: str, first: dict[str, Any], second: dict[str, Any], code: str
) -> None:
    await client.create_dnat_rule(first)
    with pytest.raises(CloudError) as info:
        await client.create_dnat_rule(second)
    assert (info.value.code, info.value.error_class) == (code, ErrorClass.CONFLICT)


async def test_rule_quota_is_a_conflict(app: Starlette, client: HuaweiNatClient) -> None:
    sim(app).store.inventory.settings.huawei_dnat_quota_per_gateway = 1
    await client.create_dnat_rule(rule())
    with pytest.raises(CloudError) as info:
        await client.create_dnat_rule(rule(external_service_port=81, internal_service_port=81))
    assert (info.value.code, info.value.error_class) == ("NAT.0309", ErrorClass.CONFLICT)


async def test_rules_on_distinct_internal_ports_of_one_port_coexist(
    client: HuaweiNatClient,
) -> None:
    await client.create_dnat_rule(rule())
    created = await client.create_dnat_rule(
        rule(external_service_port=8443, internal_service_port=443)
    )
    assert created.status == 201


# -- our own rule's path: only NAT.0319 means "rule gone" ------------------------------------


async def test_show_of_a_missing_rule_is_not_found(client: HuaweiNatClient) -> None:
    with pytest.raises(CloudError) as info:
        await client.show_dnat_rule("5b95c675-69c2-4656-ba06-58ff72e1d338")
    assert (info.value.code, info.value.error_class) == ("NAT.0319", ErrorClass.NOT_FOUND)


async def test_update_of_a_missing_rule_is_not_found(client: HuaweiNatClient) -> None:
    with pytest.raises(CloudError) as info:
        await client.update_dnat_rule(
            "5b95c675-69c2-4656-ba06-58ff72e1d338", {"nat_gateway_id": GW}
        )
    assert (info.value.code, info.value.error_class) == ("NAT.0319", ErrorClass.NOT_FOUND)


async def test_update_naming_an_unknown_port_is_not_rule_gone(
    client: HuaweiNatClient, clock: FakeClock
) -> None:
    rule_id = (await client.create_dnat_rule(rule())).body["dnat_rule"]["id"]
    clock.advance(5)
    with pytest.raises(CloudError) as info:
        await client.update_dnat_rule(rule_id, {"nat_gateway_id": GW, "port_id": NOWHERE})
    # a 404 on our rule's path, but about the port the body names: the rule still exists
    assert info.value.http_status == 404
    assert (info.value.code, info.value.error_class) == (
        "NAT.0023",
        ErrorClass.DEPENDENCY_NOT_FOUND,
    )
    assert (await client.show_dnat_rule(rule_id)).status == 200


async def test_update_onto_a_taken_backend_port_is_a_conflict(
    client: HuaweiNatClient, clock: FakeClock
) -> None:
    await client.create_dnat_rule(rule())
    other = rule(port_id=PORT2, external_service_port=9090)
    rule_id = (await client.create_dnat_rule(other)).body["dnat_rule"]["id"]
    clock.advance(5)
    with pytest.raises(CloudError) as info:
        await client.update_dnat_rule(rule_id, {"nat_gateway_id": GW, "port_id": PORT})
    assert (info.value.code, info.value.error_class) == ("NAT.0304", ErrorClass.CONFLICT)


async def test_update_of_a_pending_rule_is_a_conflict(client: HuaweiNatClient) -> None:
    rule_id = (await client.create_dnat_rule(rule())).body["dnat_rule"]["id"]
    with pytest.raises(CloudError) as info:
        await client.update_dnat_rule(rule_id, {"nat_gateway_id": GW})
    assert (info.value.code, info.value.error_class) == ("NAT.0009", ErrorClass.CONFLICT)


async def test_delete_on_an_unknown_gateway_is_not_rule_gone(
    client: HuaweiNatClient, clock: FakeClock
) -> None:
    rule_id = (await client.create_dnat_rule(rule())).body["dnat_rule"]["id"]
    clock.advance(5)
    with pytest.raises(CloudError) as info:
        await client.delete_dnat_rule("cda3a125-2406-456c-a11f-598e10578541", rule_id)
    assert (info.value.code, info.value.error_class) == (
        "NAT.0105",
        ErrorClass.DEPENDENCY_NOT_FOUND,
    )
    assert (await client.show_dnat_rule(rule_id)).status == 200


async def test_delete_of_a_missing_rule_is_not_found(client: HuaweiNatClient) -> None:
    with pytest.raises(CloudError) as info:
        await client.delete_dnat_rule(GW, "5b95c675-69c2-4656-ba06-58ff72e1d338")
    assert (info.value.code, info.value.error_class) == ("NAT.0319", ErrorClass.NOT_FOUND)


async def test_delete_on_the_wrong_gateway_is_not_found(
    client: HuaweiNatClient, clock: FakeClock
) -> None:
    rule_id = (await client.create_dnat_rule(rule())).body["dnat_rule"]["id"]
    clock.advance(5)
    with pytest.raises(CloudError) as info:
        await client.delete_dnat_rule(GW_OTHER, rule_id)
    assert (info.value.code, info.value.error_class) == ("NAT.0319", ErrorClass.NOT_FOUND)


async def test_bad_secret_is_auth_failed(http: httpx.AsyncClient, clock: FakeClock) -> None:
    client = make(http, clock, credentials=HuaweiCredentials.from_aksk(AK, "wrong"))
    with pytest.raises(CloudError) as info:
        await client.show_dnat_rule("x")
    assert (info.value.code, info.value.error_class) == ("APIGW.0301", ErrorClass.AUTH_FAILED)
    assert "wrong" not in str(info.value)


async def test_other_project_is_auth_failed(http: httpx.AsyncClient, clock: FakeClock) -> None:
    client = make(http, clock, project_id=OTHER_PROJECT)
    with pytest.raises(CloudError) as info:
        await client.create_dnat_rule(rule())
    assert info.value.error_class is ErrorClass.AUTH_FAILED


@pytest.mark.parametrize("hint", [False, True])
async def test_throttling_is_throttled_with_or_without_a_retry_hint(
    app: Starlette, client: HuaweiNatClient, hint: bool
) -> None:
    settings = sim(app).store.inventory.settings
    settings.throttle_rate = 1
    settings.throttle_burst = 1
    settings.huawei_throttle_retry_after = hint
    with pytest.raises(CloudError) as info:
        for _ in range(5):
            try:
                await client.show_dnat_rule("nope")
            except CloudError as exc:
                if exc.error_class is ErrorClass.NOT_FOUND:
                    continue
                raise
    assert (info.value.code, info.value.error_class) == ("APIGW.0308", ErrorClass.THROTTLED)
    if hint:
        assert info.value.retry_after is not None and info.value.retry_after >= 1
    else:
        assert info.value.retry_after is None
