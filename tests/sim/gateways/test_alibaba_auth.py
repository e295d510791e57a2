"""The Alibaba POP gateway in front of ENS: signatures v1 and ACS3, replay, throttling.

Requests are built by :class:`tests.fixtures.alibaba_kit.Ali` with the
project's signers; each test breaks one thing and expects the gateway's code
with its HTTP status and the Alibaba error body. The last part sends the same
situations through the operator's own ``AlibabaRpcClient`` and checks the
class it reads from each answer (clock skew and replay retry soon, bad keys
back off, nothing the gateway says is InvalidSpec).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette

from cloudnet.clouds.alibaba import AlibabaCredentials, AlibabaRpcClient
from cloudnet.clouds.errors import CloudError, ErrorClass
from cloudnet.clouds.signing import acs3_authorization, alibaba_v1_signature
from cloudnet.providers.alibaba_ens.errors import ENS_ERRORS
from cloudnet.sim.gateways.alibaba_pop import AlibabaGateway, alibaba_request_id
from tests.fixtures.alibaba_kit import (
    AK,
    DATE_FORMAT,
    NAT,
    RO_AK,
    RO_SK,
    SK,
    VERSION,
    Ali,
    assert_ali_error,
    entry,
)
from tests.fixtures.simkit import RULES, ClientFactory, FakeClock, sim

DESCRIBE = "DescribeForwardTableEntries"


@pytest.fixture(params=["v1", "acs3"])
def ali(request: pytest.FixtureRequest, make_client: ClientFactory, clock: FakeClock) -> Ali:
    return Ali(make_client(auth=httpx.Auth()), clock, request.param)


@pytest.fixture
def raw(make_client: ClientFactory) -> httpx.AsyncClient:
    return make_client(auth=httpx.Auth())


async def test_both_signatures_are_accepted(ali: Ali) -> None:
    body = await ali.ok(DESCRIBE, {"NatGatewayId": NAT})
    assert body["TotalCount"] == 0
    # RequestId is an upper-case UUID like Alibaba's
    assert body["RequestId"] == str(uuid.UUID(body["RequestId"])).upper()


async def test_unknown_access_key_is_404(ali: Ali) -> None:
    stranger = ali.as_key("LTAI5tNoSuchKey000000000", SK)
    body = assert_ali_error(
        await stranger.call(DESCRIBE, {"NatGatewayId": NAT}), 404, "InvalidAccessKeyId.NotFound"
    )
    assert body["HostId"] == "ens.aliyuncs.com"
    assert "InvalidAccessKeyId.NotFound" in body["Recommend"]


async def test_wrong_secret_is_signature_does_not_match(ali: Ali) -> None:
    wrong = ali.as_key(AK, "not-the-secret")
    assert_ali_error(
        await wrong.call(DESCRIBE, {"NatGatewayId": NAT}), 400, "SignatureDoesNotMatch"
    )
    # another key's secret does not fit either
    assert_ali_error(
        await ali.as_key(AK, RO_SK).call(DESCRIBE, {"NatGatewayId": NAT}),
        400,
        "SignatureDoesNotMatch",
    )
    await ali.as_key(RO_AK, RO_SK).ok(DESCRIBE, {"NatGatewayId": NAT})


async def test_a_parameter_changed_after_signing_is_caught(ali: Ali) -> None:
    response = await ali.call(DESCRIBE, {"NatGatewayId": NAT}, tamper={"PageSize": "5"})
    assert_ali_error(response, 400, "SignatureDoesNotMatch")
    response = await ali.call(
        "CreateForwardEntry", entry(), form=True, tamper={"ForwardEntryName": "added"}
    )
    assert_ali_error(response, 400, "SignatureDoesNotMatch")


@pytest.mark.parametrize(("offset", "ok"), [(-899, True), (899, True), (-901, False), (901, False)])
async def test_timestamp_skew(ali: Ali, offset: int, ok: bool) -> None:
    date = dt.datetime.fromtimestamp(ali.clock() + offset, dt.UTC).strftime(DATE_FORMAT)
    response = await ali.call(DESCRIBE, {"NatGatewayId": NAT}, date=date)
    if ok:
        assert response.status_code == 200, response.text
    else:
        assert_ali_error(response, 400, "InvalidTimeStamp.Expired")


async def test_malformed_timestamp(ali: Ali) -> None:
    response = await ali.call(DESCRIBE, {"NatGatewayId": NAT}, date="2024-01-01 00:00:00")
    assert_ali_error(response, 400, "InvalidTimeStamp.Format")


async def test_nonce_reuse_is_a_replay(ali: Ali) -> None:
    nonce = uuid.uuid4().hex
    first = await ali.call(DESCRIBE, {"NatGatewayId": NAT}, nonce=nonce)
    assert first.status_code == 200
    again = await ali.call(DESCRIBE, {"NatGatewayId": NAT}, nonce=nonce)
    assert_ali_error(again, 400, "SignatureNonceUsed")
    # nonces are per key: another key may use the same one
    other = ali.as_key(RO_AK, RO_SK)
    assert (await other.call(DESCRIBE, {"NatGatewayId": NAT}, nonce=nonce)).status_code == 200


async def test_a_failed_signature_does_not_burn_the_nonce(ali: Ali) -> None:
    nonce = uuid.uuid4().hex
    wrong = ali.as_key(AK, "wrong")
    assert (await wrong.call(DESCRIBE, {"NatGatewayId": NAT}, nonce=nonce)).status_code == 400
    assert (await ali.call(DESCRIBE, {"NatGatewayId": NAT}, nonce=nonce)).status_code == 200


async def test_unsigned_request(raw: httpx.AsyncClient) -> None:
    query = {"Action": DESCRIBE, "Version": VERSION, "NatGatewayId": NAT}
    assert_ali_error(await raw.post("/?" + urlencode(query)), 400, "MissingAccessKeyId")
    assert_ali_error(await raw.get("/"), 400, "MissingAccessKeyId")
    response = await raw.post("/", headers={"authorization": "Bearer x"})
    assert_ali_error(response, 400, "IncompleteSignature")


def _v1_query(clock: FakeClock, **overrides: str | None) -> dict[str, str]:
    query = {
        "Action": DESCRIBE,
        "Version": VERSION,
        "NatGatewayId": NAT,
        "Format": "JSON",
        "Timestamp": dt.datetime.fromtimestamp(clock(), dt.UTC).strftime(DATE_FORMAT),
        "SignatureNonce": uuid.uuid4().hex,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "AccessKeyId": AK,
    }
    query.update({k: v for k, v in overrides.items() if v is not None})
    for name in [k for k, v in overrides.items() if v is None]:
        query.pop(name)
    query["Signature"] = alibaba_v1_signature(query, "POST", SK)
    return query


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"SignatureMethod": "HMAC-SHA256"}, "InvalidSignatureMethod"),
        ({"SignatureVersion": "2.0"}, "IncompleteSignature"),
        ({"Timestamp": None}, "MissingTimestamp"),
        ({"SignatureNonce": None}, "MissingSignatureNonce"),
    ],
)
async def test_v1_signature_parameters(
    raw: httpx.AsyncClient, clock: FakeClock, overrides: dict[str, str | None], code: str
) -> None:
    response = await raw.post("/?" + urlencode(_v1_query(clock, **overrides)))
    assert_ali_error(response, 400, code)


async def test_v1_without_signature(raw: httpx.AsyncClient, clock: FakeClock) -> None:
    query = _v1_query(clock)
    query.pop("Signature")
    assert_ali_error(await raw.post("/?" + urlencode(query)), 400, "IncompleteSignature")


async def test_v1_get_works_too(raw: httpx.AsyncClient, clock: FakeClock) -> None:
    query = _v1_query(clock)
    query["Signature"] = alibaba_v1_signature(query, "GET", SK)
    response = await raw.get("/?" + urlencode(query))
    assert response.status_code == 200, response.text


def _acs3_headers(
    raw: httpx.AsyncClient, clock: FakeClock, body: bytes = b"", *, sign: list[str] | None = None
) -> dict[str, str]:
    headers = {
        "host": raw.base_url.host,
        "x-acs-action": DESCRIBE,
        "x-acs-version": VERSION,
        "x-acs-date": dt.datetime.fromtimestamp(clock(), dt.UTC).strftime(DATE_FORMAT),
        "x-acs-signature-nonce": uuid.uuid4().hex,
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
    }
    signed = {k: v for k, v in headers.items() if sign is None or k in sign}
    headers["authorization"] = acs3_authorization(
        method="POST",
        path="/",
        query={"NatGatewayId": NAT},
        headers=signed,
        payload_sha256=headers["x-acs-content-sha256"],
        access_key=AK,
        secret=SK,
    )
    return headers


async def test_acs3_body_must_match_its_hash(raw: httpx.AsyncClient, clock: FakeClock) -> None:
    headers = _acs3_headers(raw, clock)
    response = await raw.post(f"/?NatGatewayId={NAT}", headers=headers, content=b"PageSize=5")
    assert_ali_error(response, 400, "SignatureDoesNotMatch")


async def test_acs3_headers_must_be_signed(raw: httpx.AsyncClient, clock: FakeClock) -> None:
    headers = _acs3_headers(raw, clock, sign=["host", "x-acs-date", "x-acs-signature-nonce"])
    response = await raw.post(f"/?NatGatewayId={NAT}", headers=headers)
    body = assert_ali_error(response, 400, "IncompleteSignature")
    assert "x-acs-action" in body["Message"]


async def test_acs3_action_header_changed_after_signing(
    raw: httpx.AsyncClient, clock: FakeClock
) -> None:
    headers = _acs3_headers(raw, clock)
    headers["x-acs-action"] = "DeleteForwardEntry"
    response = await raw.post(f"/?NatGatewayId={NAT}", headers=headers)
    assert_ali_error(response, 400, "SignatureDoesNotMatch")


async def test_acs3_malformed_authorization(raw: httpx.AsyncClient, clock: FakeClock) -> None:
    headers = _acs3_headers(raw, clock)
    headers["authorization"] = "ACS3-HMAC-SHA256 Credential"
    response = await raw.post(f"/?NatGatewayId={NAT}", headers=headers)
    assert_ali_error(response, 400, "IncompleteSignature")


async def test_acs3_missing_date_and_nonce(raw: httpx.AsyncClient, clock: FakeClock) -> None:
    for name, code in (("x-acs-date", "MissingTimestamp"), ("x-acs-signature-nonce",
                                                            "MissingSignatureNonce")):  # fmt: skip
        headers = _acs3_headers(raw, clock)
        headers[name] = ""
        response = await raw.post(f"/?NatGatewayId={NAT}", headers=headers)
        assert_ali_error(response, 400, code)


async def test_user_flow_control_counts_per_account_and_api(ali: Ali, app: Starlette) -> None:
    settings = sim(app).settings
    settings.throttle_rate = 2
    settings.throttle_burst = 2
    for _ in range(2):
        await ali.ok(DESCRIBE, {"NatGatewayId": NAT})
    response = await ali.call(DESCRIBE, {"NatGatewayId": NAT})
    body = assert_ali_error(response, 400, "Throttling.User")
    assert body["Message"] == "Request was denied due to user flow control."
    assert int(response.headers["x-acs-retry-after"]) == 500  # one token at 2/s, in ms
    assert body["HostId"] == "ens.aliyuncs.com"
    # another API of the same account has its own quota
    assert (await ali.call("DeleteForwardEntry", {"ForwardEntryId": "fwd-nope"})).json()[
        "Code"
    ] == "InvalidParameter.DnatNotFound"
    # another account has its own bucket
    await ali.as_key(RO_AK, RO_SK).ok(DESCRIBE, {"NatGatewayId": NAT})
    ali.clock.advance(0.5)
    await ali.ok(DESCRIBE, {"NatGatewayId": NAT})


async def test_a_disabled_key_is_invalid_access_key_id_inactive(ali: Ali, app: Starlette) -> None:
    key = sim(app).store.shared(AlibabaGateway).access_key(AK)
    assert key is not None
    key.enabled = False
    response = await ali.call(DESCRIBE, {"NatGatewayId": NAT})
    assert_ali_error(response, 400, "InvalidAccessKeyId.Inactive")
    key.enabled = True
    await ali.ok(DESCRIBE, {"NatGatewayId": NAT})


async def test_two_keys_of_one_account_share_its_user_flow_control(
    ali: Ali, app: Starlette
) -> None:
    settings = sim(app).settings
    settings.throttle_rate = 1
    settings.throttle_burst = 1
    for key in sim(app).store.inventory.credentials.alibaba.access_keys:
        if key.access_key_id in (AK, RO_AK):
            key.account = "1234567890123456"
    await ali.ok(DESCRIBE, {"NatGatewayId": NAT})
    response = await ali.as_key(RO_AK, RO_SK).call(DESCRIBE, {"NatGatewayId": NAT})
    assert_ali_error(response, 400, "Throttling.User")


async def test_api_flow_control_is_shared_by_every_account(ali: Ali, app: Starlette) -> None:
    settings = sim(app).settings
    settings.alibaba_api_throttle_rate = 1
    settings.alibaba_api_throttle_burst = 1
    await ali.ok(DESCRIBE, {"NatGatewayId": NAT})
    response = await ali.as_key(RO_AK, RO_SK).call(DESCRIBE, {"NatGatewayId": NAT})
    body = assert_ali_error(response, 400, "Throttling.Api")
    assert body["Message"] == "Request was denied due to api flow control."
    assert int(response.headers["x-acs-retry-after"]) == 1000
    # the quota is the API's: another API still answers
    deleted = await ali.call("DeleteForwardEntry", {"ForwardEntryId": "fwd-nope"})
    assert deleted.json()["Code"] == "InvalidParameter.DnatNotFound"


async def test_endpoint_flow_control_counts_every_api_and_account(ali: Ali, app: Starlette) -> None:
    settings = sim(app).settings
    settings.alibaba_endpoint_throttle_rate = 1
    settings.alibaba_endpoint_throttle_burst = 2
    await ali.ok(DESCRIBE, {"NatGatewayId": NAT})
    await ali.call("DeleteForwardEntry", {"ForwardEntryId": "fwd-nope"})
    response = await ali.as_key(RO_AK, RO_SK).call(DESCRIBE, {"NatGatewayId": NAT})
    body = assert_ali_error(response, 400, "Throttling")
    assert body["Message"] == "Request was denied due to request throttling."


async def test_host_id_names_the_alibaba_endpoint_called(ali: Ali, app: Starlette) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://ens.cn-beijing.aliyuncs.com"
    ) as named:
        response = await Ali(named, ali.clock, ali.sig).call(DESCRIBE, {"NatGatewayId": "nat-x"})
    assert response.json()["HostId"] == "ens.cn-beijing.aliyuncs.com"


async def test_injected_throttling_carries_a_retry_hint(ali: Ali, admin: httpx.AsyncClient) -> None:
    fault = {"family": "alibaba-ens", "error_code": "Throttling.User", "status": 400, "count": 1}
    await admin.post("/_sim/faults", json=fault)
    response = await ali.call(DESCRIBE, {"NatGatewayId": NAT})
    assert_ali_error(response, 400, "Throttling.User")
    assert int(response.headers["x-acs-retry-after"]) > 0


async def test_error_and_success_ids_match_the_request_log(
    ali: Ali, admin: httpx.AsyncClient
) -> None:
    response = await ali.call(DESCRIBE, {"NatGatewayId": "nat-none"})
    body = assert_ali_error(response, 400, "InvalidParameter.NatNotFound")
    [logged] = (await admin.get("/_sim/requests")).json()["requests"]
    assert alibaba_request_id(logged["request_id"]) == body["RequestId"]
    assert response.headers["X-Request-Id"] == body["RequestId"]
    assert (logged["family"], logged["error_code"]) == (
        "alibaba-ens",
        "InvalidParameter.NatNotFound",
    )


async def test_huawei_paths_are_untouched(raw: httpx.AsyncClient) -> None:
    response = await raw.get(RULES)
    assert response.status_code == 401 and response.json()["error_code"] == "APIGW.0301"


# --- the real client reads the gateway's answers -------------------------------------------------


def _rpc(
    clock: FakeClock,
    http: httpx.AsyncClient,
    signature: str,
    *,
    ak: str = AK,
    sk: str = SK,
    skew: float = 0.0,
    nonce: str | None = None,
    version: str = VERSION,
) -> AlibabaRpcClient:
    return AlibabaRpcClient(
        http,
        endpoint="http://ens.sim.test",
        credentials=AlibabaCredentials(access_key_id=ak, access_key_secret=SecretStr(sk)),
        version=version,
        signature=signature,  # type: ignore[arg-type]
        errors=ENS_ERRORS,
        clock=lambda: dt.datetime.fromtimestamp(clock() + skew, dt.UTC),
        nonce=(lambda: nonce) if nonce else (lambda: uuid.uuid4().hex),
    )


@pytest.fixture
async def asgi(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        yield client


SIGNATURES = pytest.mark.parametrize("signature", ["v1", "v3"])


async def _refusal(client: AlibabaRpcClient, action: str = DESCRIBE) -> CloudError:
    with pytest.raises(CloudError) as info:
        await client.call(action, {"NatGatewayId": NAT})
    return info.value


@SIGNATURES
@pytest.mark.parametrize("skew", [-1200.0, 1200.0])
async def test_client_clock_skew_is_transient(
    clock: FakeClock, asgi: httpx.AsyncClient, signature: str, skew: float
) -> None:
    error = await _refusal(_rpc(clock, asgi, signature, skew=skew))
    assert (error.code, error.http_status) == ("InvalidTimeStamp.Expired", 400)
    assert error.error_class is ErrorClass.TRANSIENT


@SIGNATURES
async def test_client_replayed_nonce_is_transient(
    clock: FakeClock, asgi: httpx.AsyncClient, signature: str
) -> None:
    client = _rpc(clock, asgi, signature, nonce=uuid.uuid4().hex)
    await client.call(DESCRIBE, {"NatGatewayId": NAT})
    error = await _refusal(client)
    assert (error.code, error.http_status) == ("SignatureNonceUsed", 400)
    assert error.error_class is ErrorClass.TRANSIENT


@SIGNATURES
@pytest.mark.parametrize(
    ("ak", "sk", "code", "status"),
    [
        (AK, "not-the-secret", "SignatureDoesNotMatch", 400),
        ("LTAI5tNoSuchKey000000000", SK, "InvalidAccessKeyId.NotFound", 404),
    ],
)
async def test_client_bad_credentials_are_auth_failed(
    clock: FakeClock,
    asgi: httpx.AsyncClient,
    signature: str,
    ak: str,
    sk: str,
    code: str,
    status: int,
) -> None:
    error = await _refusal(_rpc(clock, asgi, signature, ak=ak, sk=sk))
    assert (error.code, error.http_status) == (code, status)
    assert error.error_class is ErrorClass.AUTH_FAILED
    assert sk not in str(error)


@SIGNATURES
async def test_client_unknown_action_or_version_is_never_invalid_spec(
    clock: FakeClock, asgi: httpx.AsyncClient, signature: str
) -> None:
    action = await _refusal(_rpc(clock, asgi, signature), action="NoSuchAction")
    assert (action.code, action.http_status) == ("InvalidAction.NotFound", 404)
    version = await _refusal(_rpc(clock, asgi, signature, version="1999-01-01"))
    assert (version.code, version.http_status) == ("InvalidVersion", 400)
    for error in (action, version):
        assert error.error_class is ErrorClass.AUTH_FAILED


@SIGNATURES
async def test_client_throttling_is_throttled_with_the_hint(
    app: Starlette, clock: FakeClock, asgi: httpx.AsyncClient, signature: str
) -> None:
    settings = sim(app).settings
    settings.throttle_rate = 2
    settings.throttle_burst = 1
    client = _rpc(clock, asgi, signature)
    await client.call(DESCRIBE, {"NatGatewayId": NAT})
    error = await _refusal(client)
    assert (error.code, error.http_status) == ("Throttling.User", 400)
    assert error.error_class is ErrorClass.THROTTLED
    assert error.retry_after == 0.5
