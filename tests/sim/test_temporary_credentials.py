"""Temporary credentials end to end: the operator's clients and sources against the simulator.

Real sockets (a uvicorn simulator) and the real httpx stack; one fake clock
is shared by the simulator and the operator side, so expiry and refresh are
exact and nothing sleeps. Covered: RRSA (token file → AssumeRoleWithOIDC →
STS-signed ENS calls, v1 and v3) with a refresh before expiry; an expired
token refused by the simulator and recovered by the client; the gateway's
token codes and their classes; Huawei temporary AK/SK (X-Security-Token) and
IAM password tokens refreshed before expiry.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest
from alibabacloud_credentials.provider.oidc import OIDCRoleArnCredentialsProvider
from pydantic import SecretStr
from starlette.applications import Starlette

from cloudnet.clouds.alibaba import AlibabaCredentials, AlibabaRpcClient
from cloudnet.clouds.errors import CloudError, ErrorClass
from cloudnet.clouds.huawei import HuaweiCredentials
from cloudnet.clouds.identity import (
    AlibabaOidcCredentials,
    HuaweiPasswordCredentials,
    RrsaSettings,
)
from cloudnet.providers.alibaba_ens.errors import ENS_ERRORS
from cloudnet.providers.huawei_nat.client import HuaweiNatClient
from cloudnet.sim.server import create_app
from tests.fixtures.alibaba_kit import NAT
from tests.fixtures.simkit import PROJECT, TOKEN, FakeClock, LiveServer, fresh_inventory, sim

ROLE = "acs:ram::1234567890123456:role/cloudnet-operator"
OIDC_PROVIDER = "acs:ram::1234567890123456:oidc-provider/ack-rrsa-c0ffee"
USER, PASSWORD, DOMAIN = "sim-huawei-operator", "sImHwPassw0rd-do-not-use", "sim-huawei-domain"


def jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJl"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(clock: FakeClock) -> Starlette:
    application = create_app(inventory=fresh_inventory(), admin=True, clock=clock)
    settings = sim(application).store.inventory.settings
    settings.throttle_rate = 0
    settings.alibaba_sts_min_duration = 60  # sessions short enough to see a refresh
    return application


@pytest.fixture
def live(app: Starlette) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def token_file(tmp_path: Path, clock: FakeClock) -> Path:
    path = tmp_path / "token"
    path.write_text(jwt({"sub": "system:serviceaccount:cloudnet:op", "exp": clock() + 3600}))
    return path


def rrsa(
    http: httpx.AsyncClient, live: LiveServer, token_file: Path, clock: FakeClock, **kw: Any
) -> AlibabaOidcCredentials:
    settings = RrsaSettings(
        role_arn=kw.pop("role_arn", ROLE),
        oidc_provider_arn=kw.pop("oidc_provider_arn", OIDC_PROVIDER),
        token_file=token_file,
        sts_endpoint=live.url,
        duration=kw.pop("duration", 100),
    )
    return AlibabaOidcCredentials(http, settings, clock=kw.pop("source_clock", clock))


def ens(
    http: httpx.AsyncClient,
    live: LiveServer,
    clock: FakeClock,
    credentials: Any,
    signature: str = "v3",
) -> AlibabaRpcClient:
    return AlibabaRpcClient(
        http,
        endpoint=live.url,
        credentials=credentials,
        version="2017-11-10",
        signature=signature,  # type: ignore[arg-type]
        errors=ENS_ERRORS,
        clock=lambda: datetime.fromtimestamp(clock(), UTC),
    )


def codes(app: Starlette) -> list[tuple[str | None, str | None]]:
    return [(e["action"], e["error_code"]) for e in sim(app).log.entries()]


# --- Alibaba: RRSA ----------------------------------------------------------------------------


@pytest.mark.parametrize("signature", ["v1", "v3"])
async def test_rrsa_credentials_open_ens_and_are_refreshed_before_expiry(
    app: Starlette,
    live: LiveServer,
    http: httpx.AsyncClient,
    token_file: Path,
    clock: FakeClock,
    signature: str,
) -> None:
    source = rrsa(http, live, token_file, clock)
    client = ens(http, live, clock, source, signature)
    await client.call("DescribeForwardTableEntries", {"NatGatewayId": NAT})
    first = await source.credentials()
    assert first.access_key_id.startswith("STS.") and first.security_token is not None
    assert source.fetches == 1
    # 100 s sessions are refreshed 50 s before they end (refresh_margin), not after.
    clock.advance(49)
    await client.call("DescribeForwardTableEntries", {"NatGatewayId": NAT})
    assert source.fetches == 1
    clock.advance(2)
    await client.call("DescribeForwardTableEntries", {"NatGatewayId": NAT})
    assert source.fetches == 2
    second = await source.credentials()
    assert second.access_key_id != first.access_key_id
    # The simulator saw the STS-signed calls, all accepted; the token file was read each time.
    assert codes(app) == [
        ("AssumeRoleWithOIDC", None),
        ("DescribeForwardTableEntries", None),
        ("DescribeForwardTableEntries", None),
        ("AssumeRoleWithOIDC", None),
        ("DescribeForwardTableEntries", None),
    ]


async def test_an_expired_token_is_refused_then_recovered_by_a_refresh(
    app: Starlette, live: LiveServer, http: httpx.AsyncClient, token_file: Path, clock: FakeClock
) -> None:
    # The operator's clock runs 400 s behind the cloud's: it believes its session fresh.
    source = rrsa(http, live, token_file, clock, source_clock=lambda: clock() - 400)
    client = ens(http, live, clock, source)
    await client.call("DescribeForwardTableEntries", {"NatGatewayId": NAT})
    clock.advance(150)  # past the session's end for the cloud, not for the operator
    await client.call("DescribeForwardTableEntries", {"NatGatewayId": NAT})
    assert source.fetches == 2
    assert codes(app)[-3:] == [
        ("DescribeForwardTableEntries", "InvalidSecurityToken.Expired"),
        ("AssumeRoleWithOIDC", None),
        ("DescribeForwardTableEntries", None),
    ]


async def test_concurrent_first_calls_share_one_sts_session(
    app: Starlette, live: LiveServer, http: httpx.AsyncClient, token_file: Path, clock: FakeClock
) -> None:
    source = rrsa(http, live, token_file, clock)
    client = ens(http, live, clock, source)
    await asyncio.gather(
        *(client.call("DescribeForwardTableEntries", {"NatGatewayId": NAT}) for _ in range(8))
    )
    assert source.fetches == 1
    assert [a for a, _ in codes(app)].count("AssumeRoleWithOIDC") == 1


async def test_static_sts_credentials_expire_as_auth_failed_not_permanent(
    live: LiveServer, http: httpx.AsyncClient, token_file: Path, clock: FakeClock
) -> None:
    issued = await rrsa(http, live, token_file, clock).credentials()
    client = ens(http, live, clock, issued)  # as from a Secret: nobody can refresh them
    await client.call("DescribeForwardTableEntries", {"NatGatewayId": NAT})
    clock.advance(101)
    with pytest.raises(CloudError) as caught:
        await client.call("DescribeForwardTableEntries", {"NatGatewayId": NAT})
    assert caught.value.code == "InvalidSecurityToken.Expired"
    assert caught.value.error_class is ErrorClass.AUTH_FAILED  # retried with capped backoff


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (None, "MissingSecurityToken"),
        ("CAIS-never-issued", "InvalidSecurityToken.Malformed"),
        ("other", "InvalidSecurityToken.MismatchWithAccessKey"),
    ],
)
@pytest.mark.parametrize("signature", ["v1", "v3"])
async def test_the_gateway_refuses_a_wrong_token(
    live: LiveServer,
    http: httpx.AsyncClient,
    token_file: Path,
    clock: FakeClock,
    token: str | None,
    code: str,
    signature: str,
) -> None:
    issued = await rrsa(http, live, token_file, clock).credentials()
    if token == "other":
        other = await rrsa(http, live, token_file, clock).credentials()
        assert other.security_token is not None
        token = other.security_token.get_secret_value()
    creds = AlibabaCredentials(
        access_key_id=issued.access_key_id,
        access_key_secret=issued.access_key_secret,
        security_token=SecretStr(token) if token else None,
    )
    with pytest.raises(CloudError) as caught:
        await ens(http, live, clock, creds, signature).call(
            "DescribeForwardTableEntries", {"NatGatewayId": NAT}
        )
    assert (caught.value.code, caught.value.error_class) == (code, ErrorClass.AUTH_FAILED)
    assert token is None or token not in str(caught.value)


@pytest.mark.parametrize(
    ("change", "code", "error_class"),
    [
        ({"role_arn": "arn:aws:iam::1:role/x"}, "InvalidParameter.RoleArn", ErrorClass.AUTH_FAILED),
        (
            {"role_arn": "acs:ram::1234567890123456:role/nobody"},
            "EntityNotExist.Role",
            ErrorClass.AUTH_FAILED,
        ),
        (
            {"oidc_provider_arn": "acs:ram::1234567890123456:oidc-provider/other"},
            "EntityNotExist.OIDCProvider",
            ErrorClass.AUTH_FAILED,
        ),
        ({"duration": 10}, "InvalidParameter.DurationSeconds", ErrorClass.AUTH_FAILED),
        ({"token": ""}, "MissingOIDCToken", ErrorClass.AUTH_FAILED),
        ({"token": "not-a-jwt"}, "AuthenticationFail.OIDCToken.Invalid", ErrorClass.AUTH_FAILED),
        ({"token": "expired"}, "AuthenticationFail.OIDCToken.Expired", ErrorClass.TRANSIENT),
    ],
)
async def test_sts_refusals_are_classified_and_never_echo_the_token(
    live: LiveServer,
    http: httpx.AsyncClient,
    token_file: Path,
    clock: FakeClock,
    change: dict[str, Any],
    code: str,
    error_class: ErrorClass,
) -> None:
    token = change.pop("token", None)
    if token == "expired":
        token = jwt({"exp": clock() - 1})
    if token is not None:
        token_file.write_text(token)  # noqa: ASYNC240 - a test fixture file
    with pytest.raises(CloudError) as caught:
        await rrsa(http, live, token_file, clock, **change).credentials()
    assert (caught.value.code, caught.value.error_class) == (code, error_class)
    assert not token or token not in str(caught.value)


async def test_assume_role_parameters_equal_the_sdk_provider(
    live: LiveServer, token_file: Path, clock: FakeClock
) -> None:
    seen: list[httpx.Request] = []

    async def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(400, json={"Code": "Stop", "Message": "recorded"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(record)) as http:
        with pytest.raises(CloudError):
            await rrsa(http, live, token_file, clock, duration=3600).credentials()
    ours = dict(httpx.QueryParams(seen[0].content.decode()))
    captured: list[Any] = []

    def capture(request: Any, runtime: Any = None) -> Any:
        captured.append(request)
        raise RuntimeError("stop")

    provider = OIDCRoleArnCredentialsProvider(
        role_arn=ROLE,
        oidc_provider_arn=OIDC_PROVIDER,
        oidc_token_file_path=str(token_file),
        role_session_name="cloudnet-operator",
    )
    with (
        mock.patch("alibabacloud_credentials.provider.oidc.TeaCore.do_action", capture),
        pytest.raises(RuntimeError),
    ):
        provider.get_credentials()
    theirs = dict(captured[0].query)
    assert ours.pop("Timestamp") and theirs.pop("Timestamp")
    assert ours == theirs


# --- Huawei -----------------------------------------------------------------------------------


def nat(
    http: httpx.AsyncClient, live: LiveServer, clock: FakeClock, credentials: Any
) -> HuaweiNatClient:
    return HuaweiNatClient(
        http,
        endpoint=live.url,
        project_id=PROJECT,
        credentials=credentials,
        clock=lambda: datetime.fromtimestamp(clock(), UTC),
    )


async def temporary_aksk(http: httpx.AsyncClient, live: LiveServer) -> dict[str, str]:
    answer = await http.post(
        live.url + "/v3.0/OS-CREDENTIAL/securitytokens",
        headers={"X-Auth-Token": TOKEN},
        json={"auth": {"identity": {"methods": ["token"], "token": {"duration_seconds": 900}}}},
    )
    assert answer.status_code == 201, answer.text
    credential: dict[str, str] = answer.json()["credential"]
    return credential


async def test_huawei_temporary_aksk_verified_by_the_simulator_until_it_expires(
    app: Starlette, live: LiveServer, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    cred = await temporary_aksk(http, live)
    good = HuaweiCredentials.from_aksk(cred["access"], cred["secret"], cred["securitytoken"])
    await nat(http, live, clock, good).list_dnat_rules_page()
    for wrong in (
        HuaweiCredentials.from_aksk(cred["access"], cred["secret"]),
        HuaweiCredentials.from_aksk(cred["access"], cred["secret"], "gQp-wrong"),
    ):
        with pytest.raises(CloudError) as caught:
            await nat(http, live, clock, wrong).list_dnat_rules_page()
        assert (caught.value.code, caught.value.error_class) == (
            "APIGW.0301",
            ErrorClass.AUTH_FAILED,
        )
    clock.advance(901)
    with pytest.raises(CloudError) as caught:
        await nat(http, live, clock, good).list_dnat_rules_page()
    assert (caught.value.code, caught.value.error_class) == ("APIGW.0307", ErrorClass.AUTH_FAILED)
    assert cred["securitytoken"] not in str(caught.value)


async def test_huawei_iam_password_token_is_refreshed_before_expiry(
    app: Starlette, live: LiveServer, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    sim(app).store.inventory.settings.huawei_token_lifetime = 1000
    source = HuaweiPasswordCredentials(
        http,
        iam_endpoint=live.url,
        user=USER,
        password=PASSWORD,
        domain=DOMAIN,
        project_id=PROJECT,
        clock=clock,
    )
    client = nat(http, live, clock, source)
    await client.list_dnat_rules_page()
    clock.advance(790)  # refresh_margin(1000) = 200 s
    await client.list_dnat_rules_page()
    assert source.fetches == 1
    clock.advance(20)
    await client.list_dnat_rules_page()
    assert source.fetches == 2
    actions = [a for a, _ in codes(app)]
    assert actions.count("KeystoneCreateUserTokenByPassword") == 2
    assert all(code is None for _, code in codes(app))


async def test_huawei_expired_iam_token_is_refused_then_recovered(
    app: Starlette, live: LiveServer, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    sim(app).store.inventory.settings.huawei_token_lifetime = 1000
    # The operator's clock runs 500 s behind IAM's: it believes its token fresh.
    source = HuaweiPasswordCredentials(
        http,
        iam_endpoint=live.url,
        user=USER,
        password=PASSWORD,
        domain=DOMAIN,
        project_id=PROJECT,
        clock=lambda: clock() - 500,
    )
    client = nat(http, live, clock, source)
    await client.list_dnat_rules_page()
    clock.advance(1001)
    await client.list_dnat_rules_page()
    assert source.fetches == 2
    assert [code for _, code in codes(app)][-3:] == ["APIGW.0307", None, None]


async def test_huawei_wrong_password_is_auth_failed_without_the_password(
    live: LiveServer, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    source = HuaweiPasswordCredentials(
        http,
        iam_endpoint=live.url,
        user=USER,
        password="wrong-password-123",
        domain=DOMAIN,
        project_id=PROJECT,
        clock=clock,
    )
    with pytest.raises(CloudError) as caught:
        await nat(http, live, clock, source).list_dnat_rules_page()
    assert (caught.value.code, caught.value.error_class) == ("IAM.0101", ErrorClass.AUTH_FAILED)
    assert "wrong-password-123" not in str(caught.value) + repr(source)
