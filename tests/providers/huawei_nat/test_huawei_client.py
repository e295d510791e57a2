"""HuaweiNatClient request building and error handling.

httpx.MockTransport is only a transport seam here: it records each request
and answers with cloud-shaped responses. Behaviour against the simulator is
covered by the client-vs-simulator tests, not in this file.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import httpx
import pytest

from cloudnet.clouds.errors import CloudError, CloudTransportError, ErrorClass
from cloudnet.clouds.huawei import UNEXPECTED_REDIRECT_CODE, CloudResponse, HuaweiCredentials
from cloudnet.clouds.ratelimit import Priority, RateLimiterRegistry, TokenBucket
from cloudnet.clouds.signing import huawei_signature, parse_huawei_authorization
from cloudnet.providers.huawei_nat.client import HuaweiNatClient
from tests.fixtures.huawei_client_kit import (
    AK,
    ENDPOINT,
    GW,
    NOW,
    PROJECT,
    RULE,
    SK,
    Recorder,
    answer,
    make_client,
)

TOKEN = "MIIEhQYJKoZIhvcNAQcCoIIEdjCCBHICAQExDTALBglghkgBZQMEAgEwggLXBgkqhkiG9w0"


def assert_signed(request: httpx.Request) -> None:
    """Verify the request the way a server does: from what arrived on the wire."""
    parsed = parse_huawei_authorization(request.headers["Authorization"])
    assert parsed is not None
    access, signed_headers, signature = parsed
    assert access == AK
    assert signed_headers == ["content-type", "host", "x-project-id", "x-sdk-date"]
    raw_path, _, raw_query = request.url.raw_path.decode().partition("?")
    expected = huawei_signature(
        method=request.method,
        path=raw_path,
        query=parse_qsl(raw_query, keep_blank_values=True),
        headers={name: request.headers[name] for name in signed_headers},
        signed_headers=signed_headers,
        body=request.content,
        secret_key=SK,
    )
    assert signature == expected


# --- request building -----------------------------------------------------


async def test_create_builds_signed_post() -> None:
    recorder = Recorder(answer(201, {"dnat_rule": RULE}, request_id="create-1"))
    client = make_client(recorder)
    spec = {k: v for k, v in RULE.items() if k not in ("id", "status")}

    result = await client.create_dnat_rule(spec)

    assert result == CloudResponse(status=201, body={"dnat_rule": RULE}, request_id="create-1")
    (request,) = recorder.requests
    assert request.method == "POST"
    assert request.url.path == f"/v2/{PROJECT}/dnat_rules"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Host"] == "127.0.0.1:18900"
    assert request.headers["X-Sdk-Date"] == "20240611T083015Z"
    assert request.headers["X-Project-Id"] == PROJECT
    assert "X-Auth-Token" not in request.headers
    assert json.loads(request.content) == {"dnat_rule": spec}
    assert_signed(request)


async def test_show_update_delete_paths() -> None:
    recorder = Recorder(
        answer(200, {"dnat_rule": RULE}),
        answer(200, {"dnat_rule": {**RULE, "description": "x"}}),
        answer(204),
    )
    client = make_client(recorder)

    shown = await client.show_dnat_rule(RULE["id"])
    updated = await client.update_dnat_rule(RULE["id"], {"description": "x"})
    deleted = await client.delete_dnat_rule(GW, RULE["id"])

    assert shown.body["dnat_rule"]["id"] == RULE["id"]
    assert updated.body["dnat_rule"]["description"] == "x"
    assert deleted == CloudResponse(status=204, body={}, request_id="req-1")
    show, update, delete = recorder.requests
    assert (show.method, show.url.path) == ("GET", f"/v2/{PROJECT}/dnat_rules/{RULE['id']}")
    assert show.content == b""
    assert (update.method, update.url.path) == ("PUT", f"/v2/{PROJECT}/dnat_rules/{RULE['id']}")
    assert json.loads(update.content) == {"dnat_rule": {"description": "x"}}
    assert (delete.method, delete.url.path) == (
        "DELETE",
        f"/v2/{PROJECT}/nat_gateways/{GW}/dnat_rules/{RULE['id']}",
    )
    for request in recorder.requests:
        assert_signed(request)


async def test_path_parameters_are_quoted_and_signed() -> None:
    recorder = Recorder(answer(200, {"dnat_rule": RULE}))
    await make_client(recorder).show_dnat_rule("a b/c?d")
    (request,) = recorder.requests
    assert request.url.raw_path.decode() == f"/v2/{PROJECT}/dnat_rules/a%20b%2Fc%3Fd"
    assert_signed(request)


async def test_token_credentials_send_x_auth_token_only() -> None:
    recorder = Recorder(answer(200, {"dnat_rule": RULE}))
    client = make_client(recorder, HuaweiCredentials.from_token(TOKEN))
    await client.show_dnat_rule(RULE["id"])
    (request,) = recorder.requests
    assert request.headers["X-Auth-Token"] == TOKEN
    assert request.headers["X-Project-Id"] == PROJECT
    assert "Authorization" not in request.headers
    assert "X-Sdk-Date" not in request.headers


async def test_endpoint_path_prefix_is_signed() -> None:
    recorder = Recorder(answer(200, {"dnat_rule": RULE}))
    http = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    client = HuaweiNatClient(
        http,
        endpoint="https://proxy.example.com/nat",
        project_id=PROJECT,
        credentials=HuaweiCredentials.from_aksk(AK, SK),
        clock=lambda: NOW,
    )
    await client.show_dnat_rule("r1")
    (request,) = recorder.requests
    assert request.url.path == f"/nat/v2/{PROJECT}/dnat_rules/r1"
    assert request.headers["Host"] == "proxy.example.com"
    assert_signed(request)


# --- listing ----------------------------------------------------------------


async def test_list_pages_with_marker_until_a_short_page() -> None:
    rules = [{**RULE, "id": f"rule-{i:02d}"} for i in range(7)]
    recorder = Recorder(
        answer(200, {"dnat_rules": rules[0:3]}),
        answer(200, {"dnat_rules": rules[3:6]}),
        answer(200, {"dnat_rules": rules[6:7]}),
    )
    client = make_client(recorder)

    seen = [
        rule
        async for rule in client.list_dnat_rules(
            page_size=3, nat_gateway_id=GW, protocol=["tcp", "udp"], admin_state_up=True
        )
    ]

    assert [r["id"] for r in seen] == [r["id"] for r in rules]
    queries = [parse_qsl(r.url.query.decode(), keep_blank_values=True) for r in recorder.requests]
    # The wire query is the canonical one: sorted, list filters as repeated keys.
    head = [("admin_state_up", "true"), ("limit", "3")]
    tail = [("nat_gateway_id", GW), ("protocol", "tcp"), ("protocol", "udp")]
    assert queries[0] == [*head, *tail]
    assert queries[1] == [*head, ("marker", "rule-02"), *tail]
    assert queries[2] == [*head, ("marker", "rule-05"), *tail]
    for request in recorder.requests:
        assert request.method == "GET"
        assert request.url.path == f"/v2/{PROJECT}/dnat_rules"
        assert_signed(request)


async def test_list_stops_on_an_exactly_full_last_page_after_an_empty_page() -> None:
    recorder = Recorder(
        answer(200, {"dnat_rules": [{**RULE, "id": "a"}, {**RULE, "id": "b"}]}),
        answer(200, {"dnat_rules": []}),
    )
    seen = [r async for r in make_client(recorder).list_dnat_rules(page_size=2)]
    assert [r["id"] for r in seen] == ["a", "b"]
    assert len(recorder.requests) == 2


async def test_list_stops_when_the_server_ignores_the_marker() -> None:
    page = answer(200, {"dnat_rules": [{**RULE, "id": "a"}, {**RULE, "id": "b"}]})
    recorder = Recorder(page, page)
    seen = [r async for r in make_client(recorder).list_dnat_rules(page_size=2)]
    assert len(seen) == 4
    assert len(recorder.requests) == 2


async def test_list_rejects_unknown_filters() -> None:
    client = make_client(Recorder())
    with pytest.raises(TypeError, match="natgw"):
        await client.list_dnat_rules_page(natgw="x")


# --- errors -----------------------------------------------------------------


async def test_error_body_is_parsed_and_classified() -> None:
    recorder = Recorder(
        answer(
            400, {"error_code": "NAT.0002", "error_msg": "Invalid parameters."}, request_id="bad-1"
        )
    )
    with pytest.raises(CloudError) as caught:
        await make_client(recorder).create_dnat_rule({"protocol": "icmp"})
    error = caught.value
    assert (error.code, error.message, error.http_status) == (
        "NAT.0002",
        "Invalid parameters.",
        400,
    )
    assert error.error_class is ErrorClass.INVALID_SPEC
    assert error.request_id == "bad-1"
    assert error.retry_after is None


async def test_apigw_body_request_id_is_used_when_the_header_is_missing() -> None:
    response = httpx.Response(
        401,
        json={
            "error_msg": "Incorrect IAM authentication information",
            "error_code": "APIGW.0301",
            "request_id": "gw-77",
        },
    )
    with pytest.raises(CloudError) as caught:
        await make_client(Recorder(response)).show_dnat_rule("r1")
    assert caught.value.error_class is ErrorClass.AUTH_FAILED
    assert caught.value.request_id == "gw-77"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("3", 3.0),
        ("0.5", 0.5),
        ("Tue, 11 Jun 2024 08:30:25 GMT", 10.0),
        ("soon", None),
        ("-4", 0.0),
    ],
)
async def test_throttling_honours_retry_after(header: str, expected: float | None) -> None:
    recorder = Recorder(
        answer(
            429,
            {"error_code": "APIGW.0308", "error_msg": "The throttling threshold has been reached"},
            **{"Retry-After": header},
        )
    )
    with pytest.raises(CloudError) as caught:
        await make_client(recorder).show_dnat_rule("r1")
    assert caught.value.error_class is ErrorClass.THROTTLED
    assert caught.value.retry_after == expected


@pytest.mark.parametrize(
    ("code", "call", "expected"),
    [
        # NAT.0319 ("No Dnat Rule exist") on our own rule's path: the rule is gone.
        ("NAT.0319", "show", ErrorClass.NOT_FOUND),
        ("NAT.0319", "update", ErrorClass.NOT_FOUND),
        ("NAT.0319", "delete", ErrorClass.NOT_FOUND),
        ("NAT.0319", "create", ErrorClass.DEPENDENCY_NOT_FOUND),
        ("NAT.0319", "list", ErrorClass.DEPENDENCY_NOT_FOUND),
        # Any other 404 is no proof, on any path: a code nobody listed is Unknown.
        ("NAT.0999", "show", ErrorClass.UNKNOWN),
        ("NAT.0999", "update", ErrorClass.UNKNOWN),
        ("NAT.0999", "delete", ErrorClass.UNKNOWN),
        ("NAT.0999", "create", ErrorClass.UNKNOWN),
        ("NAT.0999", "list", ErrorClass.UNKNOWN),
    ],
)
async def test_a_404_means_rule_gone_only_with_nat_0319_on_its_path(
    code: str, call: str, expected: ErrorClass
) -> None:
    recorder = Recorder(answer(404, {"error_code": code, "error_msg": "not found"}))
    client = make_client(recorder)
    with pytest.raises(CloudError) as caught:
        if call == "show":
            await client.show_dnat_rule("r1")
        elif call == "update":
            await client.update_dnat_rule("r1", {"description": "d"})
        elif call == "delete":
            await client.delete_dnat_rule(GW, "r1")
        elif call == "create":
            await client.create_dnat_rule({"nat_gateway_id": GW})
        else:
            await client.list_dnat_rules_page()
    assert caught.value.error_class is expected


async def test_gateway_missing_is_never_rule_gone() -> None:
    # NAT.0105 (gateway unknown) and NAT.0013 (its router missing) on the delete path
    # are no proof that our rule is gone: the provider asks by id (NAT.0319) first.
    for code in ("NAT.0105", "NAT.0013"):
        body = {"error_code": code, "error_msg": "not found"}
        client = make_client(Recorder(answer(404, body), answer(404, body)))
        with pytest.raises(CloudError) as on_delete:
            await client.delete_dnat_rule(GW, "r1")
        with pytest.raises(CloudError) as on_create:
            await client.create_dnat_rule({"nat_gateway_id": GW})
        assert on_delete.value.error_class is ErrorClass.DEPENDENCY_NOT_FOUND
        assert on_create.value.error_class is ErrorClass.DEPENDENCY_NOT_FOUND


async def test_wrong_endpoint_404_is_not_rule_gone() -> None:
    body = {"error_code": "APIGW.0101", "error_msg": "The API does not exist", "request_id": "x"}
    with pytest.raises(CloudError) as caught:
        await make_client(Recorder(answer(404, body))).show_dnat_rule("r1")
    assert caught.value.error_class is ErrorClass.AUTH_FAILED


async def test_non_json_error_body_falls_back_to_status() -> None:
    recorder = Recorder(answer(502, b"<html>Bad Gateway</html>"))
    with pytest.raises(CloudError) as caught:
        await make_client(recorder).show_dnat_rule("r1")
    assert (caught.value.code, caught.value.error_class) == ("502", ErrorClass.TRANSIENT)
    # An unknown server's words never reach status: only the size of what it sent.
    assert caught.value.message == "HTTP 502 with a non-JSON body (24 bytes)"


@pytest.mark.parametrize("status", [400, 401, 403, 409, 422])
async def test_unknown_code_is_unknown_never_invalid_spec(status: int) -> None:
    recorder = Recorder(answer(status, {"error_code": "Some.NewCode", "error_msg": "new"}))
    with pytest.raises(CloudError) as caught:
        await make_client(recorder).create_dnat_rule({"nat_gateway_id": GW})
    assert (caught.value.code, caught.value.error_class) == ("Some.NewCode", ErrorClass.UNKNOWN)


@pytest.mark.parametrize(
    ("status", "expected"), [(429, ErrorClass.THROTTLED), (503, ErrorClass.TRANSIENT)]
)
async def test_unknown_code_on_throttle_or_server_fault(status: int, expected: ErrorClass) -> None:
    recorder = Recorder(answer(status, {"error_code": "Some.NewCode", "error_msg": "busy"}))
    with pytest.raises(CloudError) as caught:
        await make_client(recorder).create_dnat_rule({"nat_gateway_id": GW})
    assert caught.value.error_class is expected


@pytest.mark.parametrize("spelling", ["APIGW", "APIG"])
async def test_gateway_codes_in_both_spellings(spelling: str) -> None:
    recorder = Recorder(
        answer(401, {"error_code": f"{spelling}.0301", "error_msg": "signature expired"}),
        answer(429, {"error_code": f"{spelling}.0308", "error_msg": "throttled"}),
        answer(404, {"error_code": f"{spelling}.0101", "error_msg": "no such API"}),
    )
    client = make_client(recorder)
    classes = []
    for _ in range(3):
        with pytest.raises(CloudError) as caught:
            await client.show_dnat_rule("r1")
        classes.append(caught.value.error_class)
    assert classes == [ErrorClass.AUTH_FAILED, ErrorClass.THROTTLED, ErrorClass.AUTH_FAILED]


@pytest.mark.parametrize("status", [301, 302, 303, 304, 307, 308])
async def test_a_redirect_is_never_a_success(status: int) -> None:
    location = f"https://nat.cn-north-4.example.com/v2/{PROJECT}/dnat_rules?marker=m&token={TOKEN}"
    recorder = Recorder(
        answer(status, {"dnat_rule": RULE}, request_id="redir-1", Location=location)
    )
    with pytest.raises(CloudError) as caught:
        await make_client(recorder).show_dnat_rule("r1")
    error = caught.value
    assert error.code == UNEXPECTED_REDIRECT_CODE == "UnexpectedRedirect"
    assert error.error_class is ErrorClass.UNKNOWN
    assert (error.http_status, error.request_id) == (status, "redir-1")
    assert str(status) in error.message
    assert f"https://nat.cn-north-4.example.com/v2/{PROJECT}/dnat_rules" in error.message
    # The Location's query (which may echo ours) stays out, and so do secrets.
    for text in (error.message, str(error), repr(error)):
        assert "marker" not in text and TOKEN not in text
    assert len(recorder.requests) == 1


async def test_a_redirect_is_not_followed_even_by_a_following_client() -> None:
    recorder = Recorder(
        answer(307, None, Location="https://elsewhere.example/v2/x"),
        answer(200, {"dnat_rule": RULE}),
    )
    http = httpx.AsyncClient(transport=httpx.MockTransport(recorder), follow_redirects=True)
    client = HuaweiNatClient(
        http,
        endpoint=ENDPOINT,
        project_id=PROJECT,
        credentials=HuaweiCredentials.from_aksk(AK, SK),
        clock=lambda: NOW,
    )
    with pytest.raises(CloudError) as caught:
        await client.show_dnat_rule("r1")
    assert caught.value.code == UNEXPECTED_REDIRECT_CODE
    assert "https://elsewhere.example/v2/x" in caught.value.message
    assert len(recorder.requests) == 1  # the signed request went nowhere else


async def test_a_redirect_without_location_or_with_userinfo() -> None:
    recorder = Recorder(
        answer(302, None),
        answer(301, None, Location=f"https://user:{SK}@nat.example/v2/"),
    )
    client = make_client(recorder)
    with pytest.raises(CloudError) as bare:
        await client.show_dnat_rule("r1")
    assert "without a Location" in bare.value.message
    with pytest.raises(CloudError) as userinfo:
        await client.show_dnat_rule("r1")
    assert "https://nat.example/v2/" in userinfo.value.message
    assert SK not in userinfo.value.message and "user" not in userinfo.value.message


async def test_a_redirect_location_is_bounded() -> None:
    recorder = Recorder(answer(302, None, Location="https://x.example/" + "a" * 5000))
    with pytest.raises(CloudError) as caught:
        await make_client(recorder).show_dnat_rule("r1")
    assert len(caught.value.message) < 400


async def test_non_json_success_body_is_transient() -> None:
    recorder = Recorder(answer(200, b"<html>captive portal</html>"))
    with pytest.raises(CloudError) as caught:
        await make_client(recorder).show_dnat_rule("r1")
    assert caught.value.error_class is ErrorClass.TRANSIENT


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("peer closed connection"),
    ],
    ids=["connect", "timeout", "protocol"],
)
async def test_transport_errors_are_wrapped_with_their_cause(exc: Exception) -> None:
    with pytest.raises(CloudTransportError) as caught:
        await make_client(Recorder(exc)).show_dnat_rule("r1")
    assert caught.value.__cause__ is exc
    assert caught.value.error_class is ErrorClass.TRANSIENT
    assert type(exc).__name__ in str(caught.value)


async def test_secrets_never_reach_error_messages() -> None:
    echo = {"error_code": "NAT.0002", "error_msg": f"bad token {TOKEN} and key {SK}"}
    for creds, secret in (
        (HuaweiCredentials.from_token(TOKEN), TOKEN),
        (HuaweiCredentials.from_aksk(AK, SK), SK),
    ):
        with pytest.raises(CloudError) as caught:
            await make_client(Recorder(answer(400, echo)), creds).show_dnat_rule("r1")
        text = f"{caught.value} {caught.value!r} {caught.value.message}"
        assert secret not in text


# --- credentials --------------------------------------------------------------


def test_credentials_repr_hides_secrets() -> None:
    for creds in (HuaweiCredentials.from_aksk(AK, SK), HuaweiCredentials.from_token(TOKEN)):
        for text in (repr(creds), str(creds), f"{creds}", repr(creds.model_dump())):
            assert SK not in text and TOKEN not in text
    client = make_client(Recorder())
    assert SK not in repr(client)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"access_key": AK},
        {"secret_key": SK},
        {"access_key": AK, "secret_key": ""},
        {"access_key": AK, "secret_key": SK, "token": TOKEN},
        {"token": ""},
    ],
    ids=["nothing", "ak-only", "sk-only", "empty-sk", "both-kinds", "empty-token"],
)
def test_credentials_need_exactly_one_kind(kwargs: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        HuaweiCredentials(**kwargs)


def test_credentials_from_secret_data() -> None:
    aksk = HuaweiCredentials.from_secret_data({"accessKeyId": AK, "accessKeySecret": SK})
    assert aksk.access_key == AK and aksk.secret_key is not None
    assert aksk.secret_key.get_secret_value() == SK
    token = HuaweiCredentials.from_secret_data({"token": TOKEN})
    assert token.token is not None and token.token.get_secret_value() == TOKEN
    with pytest.raises(ValueError):
        HuaweiCredentials.from_secret_data({"accessKeyId": AK})


# --- rate limiting ----------------------------------------------------------


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_token_bucket_paces_calls() -> None:
    fake = FakeTime()
    bucket = TokenBucket(rate=2, burst=2, clock=fake.clock, sleep=fake.sleep)
    for _ in range(5):
        await bucket.acquire()
    # Two from the burst, then one every half second.
    assert fake.sleeps == pytest.approx([0.5, 0.5, 0.5])


async def test_client_waits_for_its_rate_limiter() -> None:
    calls: list[str] = []

    class Limiter:
        async def acquire(self, priority: Priority = Priority.READ) -> None:
            calls.append(f"acquire {priority.name}")

        def throttled(self, retry_after: float | None = None) -> None:
            calls.append("throttled")

        def succeeded(self) -> None:
            calls.append("succeeded")

    recorder = Recorder(answer(200, {"dnat_rule": RULE}))
    http = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    client = HuaweiNatClient(
        http,
        endpoint=ENDPOINT,
        project_id=PROJECT,
        credentials=HuaweiCredentials.from_aksk(AK, SK),
        rate_limiter=Limiter(),
    )
    await client.show_dnat_rule("r1")
    assert calls == ["acquire READ", "succeeded"]


def test_registry_shares_one_bucket_per_endpoint() -> None:
    registry = RateLimiterRegistry(rate=10, burst=5)
    assert registry.for_endpoint("https://NAT.example.com/") is registry.for_endpoint(
        "https://nat.example.com"
    )
    assert registry.for_endpoint("https://a") is not registry.for_endpoint("https://b")
