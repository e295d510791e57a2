"""The simulated Huawei API Gateway: AK/SK signatures, tokens, projects, throttling.

The last part sends the same situations through the operator's own
``HuaweiNatClient`` and checks the class it reads from each answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Generator

import httpx
import pytest
from starlette.applications import Starlette

from cloudnet.clouds.errors import CloudError, ErrorClass
from cloudnet.clouds.huawei import HuaweiCredentials
from cloudnet.clouds.signing import HUAWEI_DATE_FORMAT
from cloudnet.providers.huawei_nat.client import HuaweiNatClient
from cloudnet.sim.families.huawei_nat.world import NatTables
from cloudnet.sim.server import create_app
from tests.fixtures.simkit import (
    ACCOUNT_AK,
    ACCOUNT_SK,
    AK,
    GW_PROJECT_TWO,
    OTHER_AK,
    OTHER_PROJECT,
    OTHER_SK,
    PROJECT,
    RULES,
    SK,
    TOKEN,
    ClientFactory,
    FakeClock,
    HuaweiSigner,
    TokenAuth,
    assert_error,
    rule_body,
    sim,
)


def sdk_date(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime(HUAWEI_DATE_FORMAT)


async def test_signed_request_is_accepted_and_logged_with_the_ak(
    hw: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    assert (await hw.post(RULES, json=rule_body())).status_code == 201
    entries = (await admin.get("/_sim/requests")).json()["requests"]
    assert entries[-1]["caller"] == AK
    assert SK not in str(entries)


async def test_token_is_accepted_and_never_logged(
    make_client: ClientFactory, admin: httpx.AsyncClient
) -> None:
    client = make_client(auth=TokenAuth(TOKEN))
    assert (await client.post(RULES, json=rule_body())).status_code == 201
    assert (await client.get(RULES)).status_code == 200
    entries = (await admin.get("/_sim/requests")).json()["requests"]
    assert entries[-1]["caller"] == "token:sim-huawei-token"
    assert TOKEN not in str(entries)


class Tamper(httpx.Auth):
    """Sign correctly, then change the request the way a broken signer would."""

    def __init__(self, signer: HuaweiSigner, what: str) -> None:
        self.signer, self.what = signer, what

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        next(self.signer.auth_flow(request))
        if self.what == "signature":
            auth = request.headers["Authorization"]
            request.headers["Authorization"] = auth[:-4] + (
                "0000" if auth[-4:] != "0000" else "1111"
            )
        elif self.what == "query":
            request.url = request.url.copy_add_param("limit", "3")
        elif self.what == "garbage":
            request.headers["Authorization"] = "Basic dXNlcjpwYXNz"
        elif self.what == "no-date":
            del request.headers["X-Sdk-Date"]
        elif self.what == "bad-date":
            request.headers["X-Sdk-Date"] = "2024-01-01T00:00:00Z"
        yield request


@pytest.mark.parametrize("what", ["signature", "query", "garbage", "no-date", "bad-date"])
async def test_bad_signature_is_401_apigw_0301(
    make_client: ClientFactory, clock: FakeClock, what: str
) -> None:
    client = make_client(auth=Tamper(HuaweiSigner(AK, SK, clock=clock), what))
    response = await client.get(RULES, params={"limit": 1})
    body = assert_error(response, 401, "APIGW.0301")
    assert body["request_id"] == response.headers["X-Request-Id"]  # API Gateway body shape


async def test_tampered_body_is_401(make_client: ClientFactory, clock: FakeClock) -> None:
    class BodySwap(httpx.Auth):
        def auth_flow(
            self, request: httpx.Request
        ) -> Generator[httpx.Request, httpx.Response, None]:
            next(HuaweiSigner(AK, SK, clock=clock).auth_flow(request))
            yield httpx.Request(
                request.method,
                request.url,
                headers=request.headers,
                content=request.content.replace(b"8080", b"8081"),
            )

    response = await make_client(auth=BodySwap()).post(RULES, json=rule_body())
    assert_error(response, 401, "APIGW.0301")


async def test_wrong_secret_is_401(make_client: ClientFactory, clock: FakeClock) -> None:
    client = make_client(auth=HuaweiSigner(AK, OTHER_SK, clock=clock))
    assert_error(await client.get(RULES), 401, "APIGW.0301")


async def test_unknown_access_key_is_401(make_client: ClientFactory, clock: FakeClock) -> None:
    client = make_client(auth=HuaweiSigner("QTWAOYTTINDUT2QVKYUC", SK, clock=clock))
    assert_error(await client.get(RULES), 401, "APIGW.0301")


async def test_unknown_token_is_401(make_client: ClientFactory) -> None:
    client = make_client(auth=TokenAuth("MIInot-a-token"))
    assert_error(await client.get(RULES), 401, "APIGW.0301")


async def test_no_credentials_is_401(make_client: ClientFactory) -> None:
    class NoAuth(httpx.Auth):
        def auth_flow(
            self, request: httpx.Request
        ) -> Generator[httpx.Request, httpx.Response, None]:
            yield request

    assert_error(await make_client(auth=NoAuth()).get(RULES), 401, "APIGW.0301")


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [(-900, True), (900, True), (-901, False), (901, False), (-3600, False)],
)
async def test_sdk_date_must_be_within_15_minutes(
    make_client: ClientFactory, clock: FakeClock, offset: int, accepted: bool
) -> None:
    client = make_client(auth=HuaweiSigner(AK, SK, date=sdk_date(clock() + offset)))
    response = await client.get(RULES)
    if accepted:
        assert response.status_code == 200, response.text
    else:
        assert "15 minutes" in assert_error(response, 401, "APIGW.0301")["error_msg"]


async def test_credentials_of_another_project_are_403_apigw_0302(
    make_client: ClientFactory, clock: FakeClock
) -> None:
    other = make_client(auth=HuaweiSigner(OTHER_AK, OTHER_SK, clock=clock))
    assert_error(await other.get(RULES), 403, "APIGW.0302")
    # ... while its own project works
    own = await other.get(f"/v2/{OTHER_PROJECT}/dnat_rules")
    assert own.status_code == 200
    token = make_client(auth=TokenAuth(TOKEN))
    assert_error(await token.get(f"/v2/{OTHER_PROJECT}/dnat_rules"), 403, "APIGW.0302")


async def test_an_iam_users_key_acts_in_every_project_of_its_account(
    app: Starlette, make_client: ClientFactory, clock: FakeClock
) -> None:
    user = make_client(auth=HuaweiSigner(ACCOUNT_AK, ACCOUNT_SK, clock=clock))
    for project in (PROJECT, OTHER_PROJECT):
        assert (await user.get(f"/v2/{project}/dnat_rules")).status_code == 200
    # a project of another account is not the user's
    sim(app).store.tables(NatTables).projects[OTHER_PROJECT].account = "another-account"
    response = await user.get(f"/v2/{OTHER_PROJECT}/dnat_rules")
    assert "account sim-account" in assert_error(response, 403, "APIGW.0302")["error_msg"]


async def test_mismatching_x_project_id_header_is_403(hw: httpx.AsyncClient) -> None:
    response = await hw.get(RULES, headers={"X-Project-Id": OTHER_PROJECT})
    assert_error(response, 403, "APIGW.0302")
    assert (await hw.get(RULES, headers={"X-Project-Id": PROJECT})).status_code == 200


async def test_second_project_has_its_own_world(
    make_client: ClientFactory, clock: FakeClock
) -> None:
    other = make_client(auth=HuaweiSigner(OTHER_AK, OTHER_SK, clock=clock))
    body = {
        "dnat_rule": {
            "nat_gateway_id": GW_PROJECT_TWO,
            "floating_ip_id": "5c7e9a1b-3d5f-4b7a-8c9e-2f4a6c8e0b1d",
            "port_id": "7d9f1b3a-5c7e-4a9b-8d1f-3a5c7e9b1d4f",
            "protocol": "tcp",
            "internal_service_port": 22,
            "external_service_port": 2222,
        }
    }
    response = await other.post(f"/v2/{OTHER_PROJECT}/dnat_rules", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["dnat_rule"]["tenant_id"] == OTHER_PROJECT


# -- throttling ------------------------------------------------------------------------------


async def test_throttling_per_access_key_is_429_apigw_0308_without_a_retry_hint(
    app: Starlette, make_client: ClientFactory, clock: FakeClock
) -> None:
    settings = sim(app).store.inventory.settings
    settings.throttle_rate = 2
    settings.throttle_burst = 3
    hw = make_client()
    statuses = [(await hw.get(RULES)).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    response = await hw.get(RULES)
    body = assert_error(response, 429, "APIGW.0308")
    assert body["request_id"]
    assert "Retry-After" not in response.headers
    # another access key has its own bucket
    other = make_client(auth=HuaweiSigner(OTHER_AK, OTHER_SK, clock=clock))
    assert (await other.get(f"/v2/{OTHER_PROJECT}/dnat_rules")).status_code == 200
    # the bucket refills at 2 per second
    clock.advance(0.5)
    assert (await hw.get(RULES)).status_code == 200
    assert (await hw.get(RULES)).status_code == 429


def test_default_inventory_throttle_is_generous() -> None:
    settings = sim(create_app()).settings
    assert settings.throttle_rate == 50 and settings.throttle_burst == 100


async def test_throttle_rate_from_admin_settings(
    app: Starlette, make_client: ClientFactory, admin: httpx.AsyncClient
) -> None:
    response = await admin.post("/_sim/settings", json={"throttle_rate": 1, "throttle_burst": 1})
    assert response.json()["throttle_rate"] == 1
    hw = make_client()
    assert (await hw.get(RULES)).status_code == 200
    assert_error(await hw.get(RULES), 429, "APIGW.0308")


# --- the real client reads the gateway's answers -------------------------------------------------


@pytest.fixture
async def asgi(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        yield client


def _nat(
    asgi: httpx.AsyncClient,
    clock: FakeClock,
    *,
    skew: float = 0.0,
    project_id: str = PROJECT,
    endpoint: str = "http://nat.cn-north-4.sim.test",
) -> HuaweiNatClient:
    return HuaweiNatClient(
        asgi,
        endpoint=endpoint,
        project_id=project_id,
        credentials=HuaweiCredentials.from_aksk(AK, SK),
        clock=lambda: dt.datetime.fromtimestamp(clock() + skew, dt.UTC),
    )


@pytest.mark.parametrize("skew", [-1200.0, 1200.0])
async def test_client_clock_skew_is_apigw_0301_auth_failed(
    asgi: httpx.AsyncClient, clock: FakeClock, skew: float
) -> None:
    # Huawei gives clock skew the code of a bad signature: AuthFailed, retried
    # with capped backoff (never InvalidSpec), so a clock fixed by NTP heals.
    with pytest.raises(CloudError) as info:
        await _nat(asgi, clock, skew=skew).show_dnat_rule("x")
    assert (info.value.code, info.value.http_status) == ("APIGW.0301", 401)
    assert info.value.error_class is ErrorClass.AUTH_FAILED


async def test_client_other_project_is_apigw_0302_auth_failed(
    asgi: httpx.AsyncClient, clock: FakeClock
) -> None:
    with pytest.raises(CloudError) as info:
        await _nat(asgi, clock, project_id=OTHER_PROJECT).list_dnat_rules_page()
    assert (info.value.code, info.value.http_status) == ("APIGW.0302", 403)
    assert info.value.error_class is ErrorClass.AUTH_FAILED


async def test_client_wrong_endpoint_is_not_our_rule_gone(
    asgi: httpx.AsyncClient, clock: FakeClock
) -> None:
    # APIGW.0101 on our own rule's path: a wrong endpoint, never "recreate".
    client = _nat(asgi, clock, endpoint="http://nat.cn-north-4.sim.test/wrong-prefix")
    with pytest.raises(CloudError) as info:
        await client.show_dnat_rule("x")
    assert (info.value.code, info.value.http_status) == ("APIGW.0101", 404)
    assert info.value.error_class is ErrorClass.AUTH_FAILED


async def test_more_than_five_failed_signatures_lock_the_key_for_five_minutes(
    make_client: ClientFactory, clock: FakeClock
) -> None:
    good = make_client()
    bad = make_client(auth=HuaweiSigner(AK, "not-the-secret", clock=clock))
    for _ in range(5):
        assert (
            "verify aksk signature fail"
            in assert_error(await bad.get(RULES), 401, "APIGW.0301")["error_msg"]
        )
    assert (await good.get(RULES)).status_code == 200  # a success resets the count
    for _ in range(6):
        assert_error(await bad.get(RULES), 401, "APIGW.0301")
    locked = assert_error(await good.get(RULES), 401, "APIGW.0301")
    assert locked["error_msg"].endswith("AK access failed to reach the limit,forbidden.")
    # another key is not locked
    other = make_client(auth=HuaweiSigner(OTHER_AK, OTHER_SK, clock=clock))
    assert (await other.get(f"/v2/{OTHER_PROJECT}/dnat_rules")).status_code == 200
    clock.advance(299)
    assert_error(await good.get(RULES), 401, "APIGW.0301")
    clock.advance(2)
    assert (await good.get(RULES)).status_code == 200
