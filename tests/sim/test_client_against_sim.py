"""Our HuaweiNatClient against the simulator: every call, and every error class it can meet.

The other files here speak to the simulator with hand-built requests; this one
proves that the client the operator uses agrees with it on the wire (signing,
token auth, paging, error bodies) and classifies each answer as DESIGN.md says.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from cloudnet.clouds.errors import CloudError, ErrorClass
from cloudnet.clouds.huawei import HuaweiCredentials, HuaweiNatClient
from tests.sim.simkit import (
    AK,
    EIP1,
    EIP2,
    EIP_BOUND,
    GW,
    GW_FROZEN,
    OTHER_PROJECT,
    PORT1,
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


ERRORS: list[tuple[str, dict[str, Any], str, ErrorClass]] = [
    ("unknown gateway", rule(nat_gateway_id="0" * 8), "NAT.0013", ErrorClass.DEPENDENCY_NOT_FOUND),
    ("port in another vpc", rule(port_id=PORT_ELSEWHERE), "NAT.0002", ErrorClass.INVALID_SPEC),
    ("description too long", rule(description="d" * 256), "NAT.0014", ErrorClass.INVALID_SPEC),
    ("eip bound to an ECS", rule(floating_ip_id=EIP_BOUND), "NAT.0009", ErrorClass.CONFLICT),
    (
        "frozen gateway",
        rule(nat_gateway_id=GW_FROZEN, floating_ip_id=EIP2),
        "NAT.0009",
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


async def test_duplicate_rule_is_a_conflict(client: HuaweiNatClient) -> None:
    await client.create_dnat_rule(rule())
    with pytest.raises(CloudError) as info:
        await client.create_dnat_rule(rule())
    assert (info.value.code, info.value.error_class) == ("NAT.0009", ErrorClass.CONFLICT)


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


async def test_throttling_carries_the_retry_hint(app: Starlette, client: HuaweiNatClient) -> None:
    settings = sim(app).store.inventory.settings
    settings.throttle_rate = 1
    settings.throttle_burst = 1
    with pytest.raises(CloudError) as info:
        for _ in range(5):
            try:
                await client.show_dnat_rule("nope")
            except CloudError as exc:
                if exc.error_class is ErrorClass.NOT_FOUND:
                    continue
                raise
    assert (info.value.code, info.value.error_class) == ("APIGW.0308", ErrorClass.THROTTLED)
    assert info.value.retry_after is not None and info.value.retry_after >= 1
