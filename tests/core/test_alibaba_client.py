"""AlibabaRpcClient: request building (v1, v3), errors, transport failures, secrets.

httpx.MockTransport is only a recording seam here: each test checks the
request that went out (verified with our signing functions and against the
official SDK) or hands back one canned answer. The ENS simulator is tested
elsewhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from alibabacloud_tea_openapi.utils import Utils
from pydantic import ValidationError

from cloudnet.clouds.alibaba import (
    INVALID_RESPONSE_CODE,
    UNEXPECTED_REDIRECT_CODE,
    AlibabaCredentials,
    AlibabaResponse,
    AlibabaRpcClient,
    flatten_params,
)
from cloudnet.clouds.errors import CloudError, CloudTransportError, ErrorClass
from cloudnet.clouds.ratelimit import Priority
from cloudnet.clouds.signing import (
    acs3_signature,
    alibaba_v1_signature,
    parse_acs3_authorization,
)
from cloudnet.providers.alibaba_ecs.errors import ECS_ERRORS
from cloudnet.providers.alibaba_ens.errors import ENS_ERRORS
from cloudnet.providers.alibaba_sag.errors import SAG_ERRORS
from tests.fixtures.alibaba_client_kit import (
    AK,
    CREATE_PARAMS,
    ENS_VERSION,
    NONCE,
    NOW,
    SECRET,
    Recorder,
    _sdk_create,
    query_of,
)

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
CREDS = AlibabaCredentials.from_secret_data({"accessKeyId": AK, "accessKeySecret": SECRET})


class CountingLimiter:
    def __init__(self) -> None:
        self.calls = 0
        self.priorities: list[Priority] = []
        self.feedback: list[str] = []

    async def acquire(self, priority: Priority = Priority.READ) -> None:
        self.calls += 1
        self.priorities.append(priority)

    def throttled(self, retry_after: float | None = None) -> None:
        self.feedback.append(f"throttled {retry_after}")

    def succeeded(self) -> None:
        self.feedback.append("ok")


def make_client(
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    signature: str = "v3",
    endpoint: str = "http://127.0.0.1:18900",
    **kwargs: Any,
) -> AlibabaRpcClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return AlibabaRpcClient(
        http,
        endpoint=endpoint,
        credentials=CREDS,
        version=ENS_VERSION,
        signature=signature,  # type: ignore[arg-type]
        errors=kwargs.pop("errors", ENS_ERRORS),
        clock=lambda: NOW,
        nonce=lambda: NONCE,
        **kwargs,
    )


# --- v3 ---------------------------------------------------------------------------------------


async def test_v3_request_shape() -> None:
    rec = Recorder()
    response = await make_client(rec).call("CreateForwardEntry", CREATE_PARAMS)
    assert response == AlibabaResponse(
        body={"RequestId": "REQ-1", "ForwardEntryId": "fwd-1"}, request_id="REQ-1", status=200
    )
    request = rec.last
    assert request.method == "POST"
    assert request.url.path == "/"
    assert request.content == b""
    # Parameters in the query; Action and Version only in the headers.
    assert query_of(request) == {
        "NatGatewayId": "nat-5t7nh1cfm6kxiszlttr38",
        "ExternalIp": "121.0.0.28",
        "ExternalPort": "10/20",
        "InternalIp": "10.0.0.50",
        "InternalPort": "80/90",
        "IpProtocol": "TCP",
        "HealthCheckPort": "85",
        "ForwardEntryName": "web entry * ~ é/+",
    }
    headers = request.headers
    assert headers["host"] == "127.0.0.1:18900"
    assert headers["x-acs-action"] == "CreateForwardEntry"
    assert headers["x-acs-version"] == ENS_VERSION
    assert headers["x-acs-date"] == "2025-11-17T09:01:02Z"
    assert headers["x-acs-signature-nonce"] == NONCE
    assert headers["x-acs-content-sha256"] == EMPTY_SHA256
    assert headers["Authorization"].startswith(f"ACS3-HMAC-SHA256 Credential={AK},")


async def test_v3_wire_query_is_the_canonical_query() -> None:
    # What is signed is what is sent: sorted, RFC 3986 (%20 for space, ~ kept).
    rec = Recorder()
    await make_client(rec).call("X", {"b": "a b*~", "a": "/+"})
    assert rec.last.url.query == b"a=%2F%2B&b=a%20b%2A~"


async def test_v3_signature_verifies_and_matches_the_sdk() -> None:
    rec = Recorder()
    await make_client(rec).call("CreateForwardEntry", CREATE_PARAMS)
    request = rec.last
    access, signed, signature = parse_acs3_authorization(request.headers["Authorization"]) or (
        "",
        [],
        "",
    )
    assert access == AK
    assert signed == sorted(
        [
            "host",
            "x-acs-action",
            "x-acs-content-sha256",
            "x-acs-date",
            "x-acs-signature-nonce",
            "x-acs-version",
        ]
    )
    query = query_of(request)
    headers = {name: request.headers[name] for name in signed}
    # The verifying side (what the simulator does) accepts it...
    assert signature == acs3_signature(
        method="POST",
        path="/",
        query=query,
        headers=headers,
        signed_headers=signed,
        payload_sha256=EMPTY_SHA256,
        secret=SECRET,
    )

    # ... and the official SDK signs the same request the same way.
    @dataclass
    class SdkRequest:
        method: str
        pathname: str
        query: dict[str, str]
        headers: dict[str, str]

    theirs = Utils.get_authorization(
        SdkRequest("POST", "/", query, headers), "ACS3-HMAC-SHA256", EMPTY_SHA256, AK, SECRET
    )
    assert request.headers["Authorization"] == theirs


async def test_v3_signs_the_endpoint_path_prefix() -> None:
    rec = Recorder()
    await make_client(rec, endpoint="http://gw.example/ens/").call("DescribeX", {"A": "1"})
    assert rec.last.url.path == "/ens/"
    _, signed, signature = parse_acs3_authorization(rec.last.headers["Authorization"]) or (
        "",
        [],
        "",
    )
    assert signature == acs3_signature(
        method="POST",
        path="/ens/",
        query={"A": "1"},
        headers={name: rec.last.headers[name] for name in signed},
        signed_headers=signed,
        payload_sha256=EMPTY_SHA256,
        secret=SECRET,
    )


async def test_bare_host_endpoint_means_https() -> None:
    rec = Recorder()
    await make_client(rec, endpoint="ens.aliyuncs.com").call("DescribeX", {})
    assert str(rec.last.url) == "https://ens.aliyuncs.com/"
    assert rec.last.headers["host"] == "ens.aliyuncs.com"


async def test_fresh_nonce_per_request_by_default() -> None:
    rec = Recorder()
    http = httpx.AsyncClient(transport=httpx.MockTransport(rec))
    client = AlibabaRpcClient(
        http, endpoint="http://h", credentials=CREDS, version=ENS_VERSION, errors=ENS_ERRORS
    )
    await client.call("A", {})
    await client.call("A", {})
    nonces = {r.headers["x-acs-signature-nonce"] for r in rec.requests}
    assert len(nonces) == 2


# --- v1 ---------------------------------------------------------------------------------------


async def test_v1_request_shape_and_signature() -> None:
    rec = Recorder()
    await make_client(rec, signature="v1").call("CreateForwardEntry", CREATE_PARAMS)
    request = rec.last
    assert request.method == "POST"
    assert request.url.path == "/"
    assert request.content == b""
    query = query_of(request)
    assert {k: query[k] for k in query if k != "Signature"} == {
        **{k: str(v) for k, v in CREATE_PARAMS.items() if v is not None},
        "Action": "CreateForwardEntry",
        "Format": "json",
        "Version": ENS_VERSION,
        "Timestamp": "2025-11-17T09:01:02Z",
        "SignatureNonce": NONCE,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "AccessKeyId": AK,
    }
    assert query["Signature"] == alibaba_v1_signature(query, "POST", SECRET)
    unsigned = {k: v for k, v in query.items() if k != "Signature"}
    assert query["Signature"] == Utils.get_rpcsignature(unsigned, "POST", SECRET)
    # Like the SDK, v1 also names the action in headers, but signs nothing there.
    assert request.headers["x-acs-action"] == "CreateForwardEntry"
    assert request.headers["x-acs-version"] == ENS_VERSION
    assert "Authorization" not in request.headers
    assert "x-acs-signature-nonce" not in request.headers


# --- the official SDK as the reference for the wire format ----------------------------------


async def test_v1_equals_the_official_sdk(sdk_requests: list[Any]) -> None:
    _sdk_create("v2")  # the SDK's name for signature v1
    theirs = sdk_requests[0]
    rec = Recorder()
    await make_client(rec, signature="v1").call("CreateForwardEntry", CREATE_PARAMS)
    assert (theirs.method, theirs.pathname, theirs.body) == ("POST", "/", None)
    # Same parameters, same values, same signature.
    assert query_of(rec.last) == theirs.query


async def test_v3_matches_the_official_sdk(sdk_requests: list[Any]) -> None:
    _sdk_create(None)  # the SDK's default: ACS3-HMAC-SHA256
    theirs = sdk_requests[0]
    rec = Recorder()
    await make_client(rec).call("CreateForwardEntry", CREATE_PARAMS)
    ours = rec.last
    assert (theirs.method, theirs.pathname, theirs.body) == ("POST", "/", None)
    assert query_of(ours) == theirs.query
    # The SDK signs a few more headers of its own (accept, user-agent,
    # x-acs-credentials-provider); every header we send has its value.
    for name in (
        "host",
        "x-acs-action",
        "x-acs-version",
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-content-sha256",
    ):
        assert ours.headers[name] == theirs.headers[name], name


# --- parameters -------------------------------------------------------------------------------


def test_flatten_params() -> None:
    assert flatten_params(
        {
            "SecurityGroupId": ["sg-1", "sg-2", None, "sg-3"],
            "SourceDestCheck": False,
            "EnableSriov": True,
            "QueueNumber": 8,
            "Description": "",
            "NetworkInterfaceTrafficConfig": {
                "NetworkInterfaceTrafficMode": "HighPerformance",
                "QueuePairNumber": 4,
                "Unset": None,
            },
            "Gone": None,
            "Empty": [],
        }
    ) == {
        "SecurityGroupId.1": "sg-1",
        "SecurityGroupId.2": "sg-2",
        "SecurityGroupId.4": "sg-3",
        "SourceDestCheck": "false",
        "EnableSriov": "true",
        "QueueNumber": "8",
        "Description": "",
        "NetworkInterfaceTrafficConfig.NetworkInterfaceTrafficMode": "HighPerformance",
        "NetworkInterfaceTrafficConfig.QueuePairNumber": "4",
    }


def test_flatten_matches_the_sdk_except_booleans() -> None:
    params = {"SecurityGroupId": ["sg-1", "sg-2"], "Obj": {"A": 1, "B": ["x"]}, "N": None}
    assert flatten_params(params) == Utils.query(params)


async def test_lists_and_booleans_on_the_wire() -> None:
    rec = Recorder()
    client = make_client(rec, signature="v1", errors=ECS_ERRORS)
    await client.call(
        "ModifyNetworkInterfaceAttribute",
        {"SecurityGroupId": ["sg-a", "sg-b"], "SourceDestCheck": True, "Description": None},
    )
    query = query_of(rec.last)
    assert query["SecurityGroupId.1"] == "sg-a"
    assert query["SecurityGroupId.2"] == "sg-b"
    assert query["SourceDestCheck"] == "true"
    assert "Description" not in query
    assert query["Signature"] == alibaba_v1_signature(query, "POST", SECRET)


# --- answers ----------------------------------------------------------------------------------


async def test_empty_success_body() -> None:
    response = await make_client(Recorder(content=b"")).call("DeleteForwardEntry", {})
    assert response == AlibabaResponse(body={}, request_id=None, status=200)


async def test_request_id_falls_back_to_the_header() -> None:
    rec = Recorder(content=b"{}", headers={"x-acs-request-id": "HDR-1"})
    assert (await make_client(rec).call("A", {})).request_id == "HDR-1"


@pytest.mark.parametrize("content", [b"<html>ok</html>", b"[1]", b'"x"'])
async def test_success_that_is_not_a_json_object_is_transient(content: bytes) -> None:
    with pytest.raises(CloudError) as info:
        await make_client(Recorder(content=content)).call("A", {})
    assert info.value.code == INVALID_RESPONSE_CODE
    assert info.value.error_class is ErrorClass.TRANSIENT


def _error_body(code: str, message: str = "msg", request_id: str = "ERR-1") -> bytes:
    return (
        f'{{"RequestId":"{request_id}","HostId":"ens.aliyuncs.com","Code":"{code}",'
        f'"Message":"{message}","Recommend":"https://api.aliyun.com/troubleshoot"}}'
    ).encode()


async def test_error_is_parsed_and_classified() -> None:
    rec = Recorder(status=400, content=_error_body("Forbidden.ExternalPort.Duplicated", "dup"))
    with pytest.raises(CloudError) as info:
        await make_client(rec).call("CreateForwardEntry", CREATE_PARAMS)
    error = info.value
    assert error.code == "Forbidden.ExternalPort.Duplicated"
    assert error.message == "dup"
    assert error.request_id == "ERR-1"
    assert error.http_status == 400
    assert error.error_class is ErrorClass.CONFLICT
    assert error.retry_after is None


@pytest.mark.parametrize(
    ("action", "own_object", "expected"),
    [
        # Modify*/Delete* name the managed object by id: by default, its "not found" is NotFound.
        ("ModifyForwardEntry", None, ErrorClass.NOT_FOUND),
        ("DeleteForwardEntry", None, ErrorClass.NOT_FOUND),
        ("DescribeForwardTableEntries", None, ErrorClass.DEPENDENCY_NOT_FOUND),
        ("CreateForwardEntry", None, ErrorClass.DEPENDENCY_NOT_FOUND),
        # The caller's word wins.
        ("DescribeForwardTableEntries", True, ErrorClass.NOT_FOUND),
        ("DeleteForwardEntry", False, ErrorClass.DEPENDENCY_NOT_FOUND),
    ],
)
async def test_own_object_dnat_not_found(
    action: str, own_object: bool | None, expected: ErrorClass
) -> None:
    rec = Recorder(status=400, content=_error_body("InvalidParameter.DnatNotFound"))
    with pytest.raises(CloudError) as info:
        await make_client(rec).call(action, {"ForwardEntryId": "fwd-1"}, own_object=own_object)
    assert info.value.error_class is expected


async def test_missing_gateway_on_modify_is_not_our_entry_gone() -> None:
    rec = Recorder(status=400, content=_error_body("InvalidParameter.NatNotFound"))
    with pytest.raises(CloudError) as info:
        await make_client(rec).call("ModifyForwardEntry", {"ForwardEntryId": "fwd-1"})
    assert info.value.error_class is ErrorClass.DEPENDENCY_NOT_FOUND


async def test_table_is_per_client() -> None:
    rec = Recorder(status=403, content=_error_body("InternalError"))
    with pytest.raises(CloudError) as info:
        await make_client(rec, errors=SAG_ERRORS).call("DescribeDnatEntries", {})
    assert info.value.error_class is ErrorClass.TRANSIENT
    rec = Recorder(status=403, content=_error_body("Forbidden"))
    with pytest.raises(CloudError) as info:
        await make_client(rec, errors=SAG_ERRORS).call("DescribeDnatEntries", {})
    assert info.value.error_class is ErrorClass.AUTH_FAILED


@pytest.mark.parametrize(
    ("header", "expected"),
    [("1500", 1.5), ("1", 0.001), ("0", None), ("-5", None), ("soon", None), ("", None)],
)
async def test_retry_after_from_x_acs_retry_after(header: str, expected: float | None) -> None:
    rec = Recorder(
        status=400, content=_error_body("Throttling.User"), headers={"x-acs-retry-after": header}
    )
    with pytest.raises(CloudError) as info:
        await make_client(rec).call("A", {})
    assert info.value.error_class is ErrorClass.THROTTLED
    assert info.value.retry_after == expected


async def test_non_json_error_falls_back_to_status() -> None:
    rec = Recorder(status=502, content=b"<html><body>Bad Gateway</body></html>")
    with pytest.raises(CloudError) as info:
        await make_client(rec).call("A", {})
    assert info.value.code == "502"
    assert info.value.error_class is ErrorClass.TRANSIENT
    # Never the body of a server that did not answer as Alibaba does.
    assert info.value.message == "HTTP 502 with a non-JSON body (37 bytes)"


async def test_error_request_id_from_header_when_body_has_none() -> None:
    rec = Recorder(status=503, content=b"", headers={"x-acs-request-id": "HDR-9"})
    with pytest.raises(CloudError) as info:
        await make_client(rec).call("A", {})
    assert info.value.request_id == "HDR-9"
    assert info.value.error_class is ErrorClass.TRANSIENT


@pytest.mark.parametrize("status", [400, 403, 404, 409])
async def test_unknown_code_is_unknown_never_invalid_spec(status: int) -> None:
    rec = Recorder(status=status, content=_error_body("Some.NewCode"))
    with pytest.raises(CloudError) as info:
        await make_client(rec).call("CreateForwardEntry", CREATE_PARAMS)
    assert (info.value.code, info.value.error_class) == ("Some.NewCode", ErrorClass.UNKNOWN)


@pytest.mark.parametrize(
    ("status", "expected"), [(429, ErrorClass.THROTTLED), (503, ErrorClass.TRANSIENT)]
)
async def test_unknown_code_on_throttle_or_server_fault(status: int, expected: ErrorClass) -> None:
    rec = Recorder(status=status, content=_error_body("Some.NewCode"))
    with pytest.raises(CloudError) as info:
        await make_client(rec).call("CreateForwardEntry", CREATE_PARAMS)
    assert info.value.error_class is expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("InvalidTimeStamp.Expired", ErrorClass.TRANSIENT),
        ("SignatureNonceUsed", ErrorClass.TRANSIENT),
        ("Throttling.Api", ErrorClass.THROTTLED),
        ("InvalidAccessKeyId.Inactive", ErrorClass.AUTH_FAILED),
        ("IncompleteSignature", ErrorClass.AUTH_FAILED),
    ],
)
@pytest.mark.parametrize("table", [SAG_ERRORS, ECS_ERRORS], ids=["sag", "ecs"])
async def test_gateway_codes_reach_every_product(
    table: Mapping[str, ErrorClass], code: str, expected: ErrorClass
) -> None:
    rec = Recorder(status=400, content=_error_body(code))
    with pytest.raises(CloudError) as info:
        await make_client(rec, errors=table).call("DescribeX", {})
    assert info.value.error_class is expected


@pytest.mark.parametrize("status", [301, 302, 303, 304, 307, 308])
@pytest.mark.parametrize("signature", ["v1", "v3"])
async def test_a_redirect_is_never_a_success(status: int, signature: str) -> None:
    location = f"https://ens.aliyuncs.com/?AccessKeyId={AK}&Signature=abc%3D&Secret={SECRET}"
    rec = Recorder(
        status=status,
        headers={"Location": location, "x-acs-request-id": "REDIR-1"},
    )
    with pytest.raises(CloudError) as info:
        await make_client(rec, signature=signature).call("CreateForwardEntry", CREATE_PARAMS)
    error = info.value
    assert error.code == UNEXPECTED_REDIRECT_CODE == "UnexpectedRedirect"
    assert error.error_class is ErrorClass.UNKNOWN
    assert (error.http_status, error.request_id) == (status, "REDIR-1")
    assert str(status) in error.message and "https://ens.aliyuncs.com/" in error.message
    # Neither the query the server echoed (our signed one) nor any secret.
    for text in (error.message, str(error), repr(error)):
        assert "Signature" not in text and AK not in text and SECRET not in text
    assert len(rec.requests) == 1


async def test_a_redirect_is_not_followed_even_by_a_following_client() -> None:
    answers = [
        httpx.Response(302, headers={"Location": "https://elsewhere.example/"}),
        httpx.Response(200, content=b'{"RequestId": "R"}'),
    ]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler), follow_redirects=True)
    client = AlibabaRpcClient(
        http, endpoint="http://h", credentials=CREDS, version=ENS_VERSION, errors=ENS_ERRORS
    )
    with pytest.raises(CloudError) as info:
        await client.call("DescribeX", {})
    assert info.value.code == UNEXPECTED_REDIRECT_CODE
    assert "https://elsewhere.example/" in info.value.message
    assert len(seen) == 1  # the signed request went nowhere else


async def test_a_redirect_without_location_or_with_userinfo() -> None:
    rec = Recorder(status=302, content=b"")
    with pytest.raises(CloudError) as bare:
        await make_client(rec).call("DescribeX", {})
    assert "without a Location" in bare.value.message
    rec = Recorder(status=301, headers={"Location": "https://me:pw@ens.example/p#frag"})
    with pytest.raises(CloudError) as userinfo:
        await make_client(rec).call("DescribeX", {})
    assert "https://ens.example/p" in userinfo.value.message
    assert "pw" not in userinfo.value.message and "frag" not in userinfo.value.message


# --- transport ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("peer closed"),
    ],
)
async def test_transport_errors_are_chained(exc: httpx.TransportError) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise exc

    with pytest.raises(CloudTransportError) as info:
        await make_client(fail).call("CreateForwardEntry", CREATE_PARAMS)
    assert info.value.__cause__ is exc
    assert info.value.error_class is ErrorClass.TRANSIENT
    assert "CreateForwardEntry" in str(info.value)


async def test_rate_limiter_is_asked_before_each_call() -> None:
    limiter = CountingLimiter()
    client = make_client(Recorder(), rate_limiter=limiter)
    await client.call("A", {})
    await client.call("B", {})
    assert limiter.calls == 2


async def test_rate_limiter_hears_the_priority_and_the_throttle() -> None:
    limiter = CountingLimiter()
    for action in ("DeleteForwardEntry", "CreateForwardEntry", "ModifyForwardEntry"):
        await make_client(Recorder(), rate_limiter=limiter).call(action, {})
    throttle = Recorder(
        status=400,
        content=b'{"Code": "Throttling.User", "Message": "slow down"}',
        headers={"x-acs-retry-after": "1500"},
    )
    with pytest.raises(CloudError):
        await make_client(throttle, rate_limiter=limiter).call("DescribeForwardTableEntries", {})
    assert limiter.priorities == [Priority.DELETE, Priority.CREATE, Priority.UPDATE, Priority.READ]
    assert limiter.feedback == ["ok", "ok", "ok", "throttled 1.5"]


# --- secrets ------------------------------------------------------------------------------------


def test_credentials_never_show_the_secret() -> None:
    for text in (repr(CREDS), str(CREDS), f"{CREDS}", repr(CREDS.model_dump())):
        assert SECRET not in text
    assert AK in repr(CREDS)


def test_client_repr_has_no_secret() -> None:
    client = make_client(Recorder())
    assert SECRET not in repr(client)
    assert AK not in repr(client)


async def test_secret_is_redacted_from_error_and_transport_messages() -> None:
    rec = Recorder(status=400, content=_error_body("SignatureDoesNotMatch", f"expected {SECRET}"))
    with pytest.raises(CloudError) as info:
        await make_client(rec).call("A", {})
    assert info.value.error_class is ErrorClass.AUTH_FAILED
    for text in (str(info.value), repr(info.value), info.value.message):
        assert SECRET not in text

    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach, secret was {SECRET}")

    with pytest.raises(CloudTransportError) as transport:
        await make_client(fail).call("A", {})
    assert SECRET not in str(transport.value)


async def test_secret_never_goes_on_the_wire() -> None:
    for signature in ("v1", "v3"):
        rec = Recorder()
        await make_client(rec, signature=signature).call("A", {"X": "y"})
        raw = str(rec.last.url) + repr(dict(rec.last.headers)) + rec.last.content.decode()
        assert SECRET not in raw
        assert SECRET.replace("/", "%2F").replace("+", "%2B").replace("=", "%3D") not in raw


@pytest.mark.parametrize(
    "data",
    [
        {"accessKeyId": AK},
        {"accessKeySecret": SECRET},
        {},
        {"token": "t"},
    ],
)
def test_from_secret_data_needs_both_keys(data: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="accessKeyId and accessKeySecret") as info:
        AlibabaCredentials.from_secret_data(data)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    "data",
    [{"accessKeyId": "", "accessKeySecret": SECRET}, {"accessKeyId": AK, "accessKeySecret": ""}],
)
def test_from_secret_data_rejects_empty_values(data: dict[str, str]) -> None:
    with pytest.raises(ValidationError) as info:
        AlibabaCredentials.from_secret_data(data)
    assert SECRET not in str(info.value)


def test_unknown_signature_version_is_rejected() -> None:
    with pytest.raises(ValueError, match="signature"):
        make_client(Recorder(), signature="v2")
