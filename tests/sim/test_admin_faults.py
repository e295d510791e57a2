"""Admin endpoints (/_sim/), fault injection, and the request log."""

from __future__ import annotations

import asyncio
import random
import time

import httpx
import pytest
from starlette.applications import Starlette

from cloudnet.sim.families.huawei_nat.world import NatTables
from cloudnet.sim.faults import FaultRule
from cloudnet.sim.server import create_app
from tests.fixtures.simkit import (
    AK,
    GW,
    PROJECT,
    RULES,
    SK,
    ClientFactory,
    FakeClock,
    HuaweiSigner,
    LiveServer,
    assert_error,
    create_active,
    rule_body,
)
from tests.wait_kit import wait_until_async

# -- admin off -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/_sim/requests"),
        ("DELETE", "/_sim/requests"),
        ("POST", "/_sim/faults"),
        ("GET", "/_sim/faults"),
        ("PATCH", "/_sim/huawei/dnat_rules/x"),
        ("GET", "/_sim/state"),
        ("POST", "/_sim/settings"),
    ],
)
async def test_admin_endpoints_are_404_without_admin(
    make_client: ClientFactory, clock: FakeClock, method: str, path: str
) -> None:
    closed = create_app(admin=False, clock=clock)
    client = make_client(application=closed)
    response = await client.request(method, path, json={})
    assert response.status_code == 404
    # ... while the cloud API works
    assert (await client.get(RULES)).status_code == 200


# -- request log -----------------------------------------------------------------------------


async def test_request_log_records_every_call(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient, clock: FakeClock
) -> None:
    created = await hw.post(RULES, json=rule_body())
    rule_id = created.json()["dnat_rule"]["id"]
    await hw.get(f"{RULES}/{rule_id}")
    await hw.post(RULES, json=rule_body(protocol="icmp"))
    await hw.get(f"{RULES}/missing")
    entries = (await admin.get("/_sim/requests")).json()["requests"]
    assert [e["action"] for e in entries] == [
        "CreateNatGatewayDnatRule",
        "ShowNatGatewayDnatRule",
        "CreateNatGatewayDnatRule",
        "ShowNatGatewayDnatRule",
    ]
    first = entries[0]
    assert first["family"] == "huawei"
    assert first["method"] == "POST" and first["path"] == RULES
    assert first["caller"] == AK
    assert first["status"] == 201 and first["error_code"] is None
    assert first["request_id"] == created.headers["X-Request-Id"]
    assert first["committed"] is True
    assert first["time"] == clock()
    assert (entries[2]["status"], entries[2]["error_code"]) == (400, "NAT.0302")
    assert (entries[3]["status"], entries[3]["error_code"]) == (404, "NAT.0319")
    filtered = await admin.get("/_sim/requests", params={"action": "ShowNatGatewayDnatRule"})
    assert len(filtered.json()["requests"]) == 2
    assert (await admin.delete("/_sim/requests")).status_code == 204
    assert (await admin.get("/_sim/requests")).json() == {"requests": []}


async def test_request_log_is_a_bounded_ring(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await admin.post("/_sim/settings", json={"request_log_size": 3})
    for _ in range(5):
        await hw.get(RULES)
    ids = []
    for _ in range(2):
        ids.append((await hw.get(f"{RULES}/x")).headers["X-Request-Id"])
    entries = (await admin.get("/_sim/requests")).json()["requests"]
    assert len(entries) == 3
    assert [e["request_id"] for e in entries[-2:]] == ids


async def test_unauthenticated_calls_are_logged_too(
    make_client: ClientFactory, admin: httpx.AsyncClient
) -> None:
    client = make_client(auth=HuaweiSigner(AK, "wrong"))
    await client.get(RULES)
    entry = (await admin.get("/_sim/requests")).json()["requests"][-1]
    assert (entry["status"], entry["error_code"], entry["caller"]) == (401, "APIGW.0301", None)


# -- faults ----------------------------------------------------------------------------------


async def test_error_fault_fails_the_action_count_times_and_commits_nothing(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    fault = {"action": "CreateNatGatewayDnatRule", "error_code": "NAT.0009", "status": 400}
    added = await admin.post("/_sim/faults", json={**fault, "count": 2})
    assert added.status_code == 201
    fault_id = added.json()["faults"][0]["id"]
    assert (await hw.get(RULES)).status_code == 200  # another action is untouched
    for _ in range(2):
        assert_error(await hw.post(RULES, json=rule_body()), 400, "NAT.0009")
    assert (await hw.get(RULES)).json() == {"dnat_rules": []}
    assert (await hw.post(RULES, json=rule_body())).status_code == 201
    listed = (await admin.get("/_sim/faults")).json()["faults"]
    assert listed[0]["id"] == fault_id
    assert (listed[0]["fired"], listed[0]["count"]) == (2, 0)
    log = (await admin.get("/_sim/requests")).json()["requests"]
    assert [e["fault"] for e in log] == [None, fault_id, fault_id, None, None]


async def test_gateway_fault_codes_use_the_gateway_body_without_retry_after(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await admin.post("/_sim/faults", json={"error_code": "APIGW.0308", "status": 429, "count": 2})
    response = await hw.get(RULES)
    body = assert_error(response, 429, "APIGW.0308")
    assert body["request_id"] == response.headers["X-Request-Id"]
    # Huawei's API Gateway gives no retry hint; a setting adds one (a proxy might)
    assert "Retry-After" not in response.headers
    await admin.post("/_sim/settings", json={"huawei_throttle_retry_after": True})
    assert (await hw.get(RULES)).headers["Retry-After"] == "1"


async def test_server_error_fault(hw: httpx.AsyncClient, admin: httpx.AsyncClient) -> None:
    await admin.post(
        "/_sim/faults",
        json={"action": "ListNatGatewayDnatRules", "error_code": "NAT.0007", "status": 500},
    )
    assert_error(await hw.get(RULES), 500, "NAT.0007")
    assert (await admin.delete("/_sim/faults")).status_code == 204
    assert (await hw.get(RULES)).status_code == 200


async def test_fault_rate_fires_about_that_often(
    make_client: ClientFactory, clock: FakeClock
) -> None:
    application = create_app(admin=True, clock=clock, rng=random.Random(7))
    application.state.simulator.store.inventory.settings.throttle_rate = 0
    application.state.simulator.faults.add(
        FaultRule(action="ListNatGatewayDnatRules", error_code="NAT.0009", status=400, rate=0.3)
    )
    client = make_client(application=application)
    failures = sum([(await client.get(RULES)).status_code == 400 for _ in range(300)])
    assert 60 <= failures <= 120  # 90 expected


async def test_fault_rate_zero_never_fires(hw: httpx.AsyncClient, admin: httpx.AsyncClient) -> None:
    await admin.post("/_sim/faults", json={"error_code": "NAT.0009", "status": 400, "rate": 0})
    assert all([(await hw.get(RULES)).status_code == 200 for _ in range(20)])


async def test_latency_fault_delays_the_answer(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await admin.post("/_sim/faults", json={"action": "ListNatGatewayDnatRules", "latency": 0.3})
    started = time.monotonic()
    assert (await hw.get(RULES)).status_code == 200
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize(
    "fault",
    [
        {"error_code": "NAT.0009"},  # status missing
        {"rate": 2},
        {"error_code": "NAT.0009", "status": 400, "drop_response_after_commit": True},
        {"nonsense": 1},
    ],
)
async def test_invalid_fault_rules_are_400(
    admin: httpx.AsyncClient, fault: dict[str, object]
) -> None:
    assert (await admin.post("/_sim/faults", json=fault)).status_code == 400


async def test_delete_one_fault(admin: httpx.AsyncClient) -> None:
    added = await admin.post("/_sim/faults", json=[{"latency": 1}, {"latency": 2}])
    first, second = (f["id"] for f in added.json()["faults"])
    assert (await admin.delete(f"/_sim/faults/{first}")).status_code == 204
    assert (await admin.delete(f"/_sim/faults/{first}")).status_code == 404
    assert [f["id"] for f in (await admin.get("/_sim/faults")).json()["faults"]] == [second]


async def test_drop_response_after_commit_holds_then_answers(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient, app: Starlette
) -> None:
    await admin.post(
        "/_sim/faults",
        json={
            "action": "CreateNatGatewayDnatRule",
            "drop_response_after_commit": True,
            "hold_seconds": 0.3,
            "count": 1,
        },
    )
    task = asyncio.create_task(hw.post(RULES, json=rule_body()))
    store = app.state.simulator.store
    await wait_until_async(
        lambda: len(store.tables(NatTables).dnat_rules) == 1, what="the create to commit"
    )
    # the write is committed while the answer is held
    assert not task.done()
    response = await task
    assert response.status_code == 201
    assert response.json()["dnat_rule"]["id"] in store.tables(NatTables).dnat_rules
    entry = (await admin.get("/_sim/requests")).json()["requests"][-1]
    assert entry["committed"] and entry["held"]


async def test_drop_response_forever_commits_and_never_answers(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await admin.post(
        "/_sim/faults",
        json={"action": "CreateNatGatewayDnatRule", "drop_response_after_commit": True},
    )
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(hw.post(RULES, json=rule_body()), timeout=0.3)
    rules = (await hw.get(RULES)).json()["dnat_rules"]
    assert len(rules) == 1  # the cloud made it; the caller never learnt its id


async def test_drop_response_does_not_hold_failed_writes(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await admin.post("/_sim/faults", json={"drop_response_after_commit": True})
    response = await asyncio.wait_for(hw.post(RULES, json=rule_body(protocol="x")), timeout=2)
    assert_error(response, 400, "NAT.0302")
    assert (await asyncio.wait_for(hw.get(RULES), timeout=2)).status_code == 200  # not a write


def test_drop_response_on_a_real_socket_until_the_client_gives_up(live: LiveServer) -> None:
    signer = HuaweiSigner(AK, SK)
    with httpx.Client(base_url=live.url, auth=signer, timeout=5) as client:
        admin = httpx.Client(base_url=live.url)
        admin.post(
            "/_sim/faults",
            json={
                "action": "CreateNatGatewayDnatRule",
                "drop_response_after_commit": True,
                "count": 1,
            },
        )
        with pytest.raises(httpx.ReadTimeout):
            client.post(RULES, json=rule_body(), timeout=0.5)
        # the server survived the vanished client, and the rule exists
        rules = client.get(RULES).json()["dnat_rules"]
        assert len(rules) == 1 and rules[0]["nat_gateway_id"] == GW
        admin.close()


# -- direct edits, state, settings -------------------------------------------------------------


async def test_patch_rule_simulates_drift_and_failure_states(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient, clock: FakeClock
) -> None:
    rule_id = await create_active(hw, clock)
    edited = await admin.patch(
        f"/_sim/huawei/dnat_rules/{rule_id}", json={"internal_service_port": 8081}
    )
    assert edited.status_code == 200
    shown = (await hw.get(f"{RULES}/{rule_id}")).json()["dnat_rule"]
    assert shown["internal_service_port"] == 8081 and shown["status"] == "ACTIVE"
    for status in ("EIP_FREEZED", "INACTIVE"):
        await admin.patch(f"/_sim/huawei/dnat_rules/{rule_id}", json={"status": status})
        assert (await hw.get(f"{RULES}/{rule_id}")).json()["dnat_rule"]["status"] == status
    # an INACTIVE rule cannot be updated
    response = await hw.put(f"{RULES}/{rule_id}", json={"dnat_rule": {"nat_gateway_id": GW}})
    assert_error(response, 400, "NAT.0009")


async def test_patch_to_pending_status_settles_after_the_delay(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient, clock: FakeClock
) -> None:
    rule_id = await create_active(hw, clock)
    await admin.patch(f"/_sim/huawei/dnat_rules/{rule_id}", json={"status": "PENDING_UPDATE"})
    assert (await hw.get(f"{RULES}/{rule_id}")).json()["dnat_rule"]["status"] == "PENDING_UPDATE"
    clock.advance(1)
    assert (await hw.get(f"{RULES}/{rule_id}")).json()["dnat_rule"]["status"] == "ACTIVE"


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/_sim/huawei/dnat_rules/nope", {"status": "ACTIVE"}, 404),
        ("/_sim/huawei/routers/x", {}, 404),
        (f"/_sim/huawei/nat_gateways/{GW}", {"status": 3, "admin_state_up": "maybe"}, 400),
        (f"/_sim/huawei/nat_gateways/{GW}", {"id": "other"}, 400),
        (f"/_sim/huawei/nat_gateways/{GW}", {"unknown": 1}, 400),
        (f"/_sim/huawei/nat_gateways/{GW}", ["not", "an", "object"], 400),
    ],
)
async def test_patch_errors(admin: httpx.AsyncClient, path: str, body: object, status: int) -> None:
    assert (await admin.patch(path, json=body)).status_code == status


async def test_patch_gateway_makes_it_unusable(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    response = await admin.patch(f"/_sim/huawei/nat_gateways/{GW}", json={"status": "INACTIVE"})
    assert response.json()["status"] == "INACTIVE"
    assert_error(await hw.post(RULES, json=rule_body()), 400, "NAT.0103")


async def test_state_dump_holds_the_world(hw: httpx.AsyncClient, admin: httpx.AsyncClient) -> None:
    rule_id = (await hw.post(RULES, json=rule_body())).json()["dnat_rule"]["id"]
    state = (await admin.get("/_sim/state")).json()
    assert state["version"] == 1
    project = next(p for p in state["inventory"]["huawei"]["projects"] if p["id"] == PROJECT)
    assert [r["id"] for r in project["dnat_rules"]] == [rule_id]
    assert state["inventory"]["settings"]["huawei_dnat_create_delay"] == 1.0


async def test_settings_validation(admin: httpx.AsyncClient) -> None:
    assert (
        await admin.post("/_sim/settings", json={"huawei_dnat_create_delay": -1})
    ).status_code == 400
    assert (await admin.post("/_sim/settings", json={"no_such_knob": 1})).status_code == 400
    assert (await admin.get("/_sim/settings")).json()["huawei_dnat_create_delay"] == 1.0


async def test_reset_brings_back_the_world_it_started_with(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient, app: Starlette
) -> None:
    started = (await admin.get("/_sim/state")).json()
    settings = (await admin.get("/_sim/settings")).json()
    rule_id = (await hw.post(RULES, json=rule_body())).json()["dnat_rule"]["id"]
    await admin.post(
        "/_sim/faults",
        json={"action": "ShowNatGatewayDnatRule", "status": 500, "error_code": "APIGW.0201"},
    )
    changed = await admin.post("/_sim/settings", json={"huawei_dnat_create_delay": 7.0})
    assert changed.status_code == 200
    assert (await admin.get("/_sim/state")).json() != started

    assert (await admin.post("/_sim/reset")).status_code == 204

    after = (await admin.get("/_sim/state")).json()
    # the fixture's run-time throttle_rate=0 was never part of the world it started with
    assert after["inventory"]["settings"].pop("throttle_rate") != 0
    started["inventory"]["settings"].pop("throttle_rate")
    assert after == started
    assert (await admin.get("/_sim/faults")).json() == {"faults": []}
    assert (await admin.get("/_sim/requests")).json() == {"requests": []}
    fresh = (await admin.get("/_sim/settings")).json()
    assert fresh["huawei_dnat_create_delay"] == settings["huawei_dnat_create_delay"] != 7.0
    assert (await hw.get(f"{RULES}/{rule_id}")).status_code == 404
    again = await hw.post(RULES, json=rule_body())
    assert again.status_code == 201, again.text
