"""Requests signed with a security token, byte for byte against the official SDKs.

Alibaba: alibabacloud-tea-openapi with ``Config(security_token=...)`` (v1:
the ``SecurityToken`` parameter, signed; v3: ``x-acs-accesskey-id`` and
``x-acs-security-token``, signed). Huawei: huaweicloudsdkcore's
``BasicCredentials(ak, sk, project).with_security_token(...)`` (the
``X-Security-Token`` header, signed). The simulator's verification of the
same requests is in tests/sim/test_temporary_credentials.py.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
from alibabacloud_tea_openapi import models as openapi_models
from alibabacloud_tea_openapi.utils import Utils
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from pydantic import SecretStr

from cloudnet.clouds.alibaba import AlibabaCredentials, AlibabaRpcClient
from cloudnet.clouds.huawei import HuaweiCredentials
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
from tests.fixtures.huawei_client_kit import AK as HW_AK
from tests.fixtures.huawei_client_kit import PROJECT, RULE, answer
from tests.fixtures.huawei_client_kit import SK as HW_SK
from tests.fixtures.huawei_client_kit import Recorder as HwRecorder
from tests.fixtures.huawei_client_kit import make_client as hw_client

TOKEN = "CAIS+token/with=odd*chars~" + "x" * 300
STS = AlibabaCredentials(
    access_key_id=AK, access_key_secret=SecretStr(SECRET), security_token=SecretStr(TOKEN)
)

PLAIN = AlibabaCredentials(access_key_id=AK, access_key_secret=SecretStr(SECRET))


def make_client(
    rec: Recorder, *, signature: str = "v3", credentials: AlibabaCredentials = PLAIN
) -> AlibabaRpcClient:
    return AlibabaRpcClient(
        httpx.AsyncClient(transport=httpx.MockTransport(rec)),
        endpoint="http://127.0.0.1:18900",
        credentials=credentials,
        version=ENS_VERSION,
        signature=signature,  # type: ignore[arg-type]
        clock=lambda: NOW,
        nonce=lambda: NONCE,
    )


def _sdk_sts_create(algorithm: str | None) -> None:
    original = openapi_models.Config.__init__

    def with_token(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.security_token = TOKEN

    openapi_models.Config.__init__ = with_token  # type: ignore[method-assign]
    try:
        _sdk_create(algorithm)
    finally:
        openapi_models.Config.__init__ = original  # type: ignore[method-assign]


async def test_alibaba_v1_with_token_equals_the_sdk(sdk_requests: list[Any]) -> None:
    _sdk_sts_create("v2")  # the SDK's name for signature v1
    theirs = sdk_requests[0]
    assert theirs.query["SecurityToken"] == TOKEN  # the SDK really sent one
    rec = Recorder()
    await make_client(rec, signature="v1", credentials=STS).call(
        "CreateForwardEntry", CREATE_PARAMS
    )
    # Same parameters, token included, and so the same signature.
    assert query_of(rec.last) == theirs.query


async def test_alibaba_v3_with_token_is_signed_like_the_sdk(sdk_requests: list[Any]) -> None:
    _sdk_sts_create(None)
    theirs = sdk_requests[0]
    rec = Recorder()
    await make_client(rec, credentials=STS).call("CreateForwardEntry", CREATE_PARAMS)
    ours = rec.last
    for name in ("x-acs-accesskey-id", "x-acs-security-token"):
        assert ours.headers[name] == theirs.headers[name], name
    assert ours.headers["x-acs-security-token"] == TOKEN
    # The SDK's signer over our request's headers gives our Authorization, and
    # the token and key id are among the signed headers.
    auth = ours.headers["Authorization"]
    signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
    assert {"x-acs-accesskey-id", "x-acs-security-token"} <= set(signed)
    request = copy.copy(theirs)
    request.headers = {k: ours.headers[k] for k in signed}
    request.query = query_of(ours)
    expected = Utils.get_authorization(
        request, "ACS3-HMAC-SHA256", ours.headers["x-acs-content-sha256"], AK, SECRET
    )
    assert auth == expected


async def test_alibaba_without_token_sends_none(sdk_requests: list[Any]) -> None:
    rec = Recorder()
    await make_client(rec).call("CreateForwardEntry", CREATE_PARAMS)
    await make_client(rec, signature="v1").call("CreateForwardEntry", CREATE_PARAMS)
    assert "x-acs-security-token" not in rec.requests[0].headers
    assert "SecurityToken" not in query_of(rec.requests[1])


async def test_huawei_security_token_is_signed_like_the_sdk() -> None:
    rec = HwRecorder(answer(201, {"dnat_rule": RULE}))
    creds = HuaweiCredentials.from_aksk(HW_AK, HW_SK, TOKEN)
    await hw_client(rec, creds).create_dnat_rule({"nat_gateway_id": "gw"})
    ours = rec.requests[0]
    assert ours.headers["X-Security-Token"] == TOKEN
    request = SdkRequest(
        method="POST",
        schema="https",
        host=ours.headers["Host"],
        resource_path=ours.url.path,
        query_params=[],
        header_params={
            "Content-Type": ours.headers["Content-Type"],
            "X-Sdk-Date": ours.headers["X-Sdk-Date"],
        },
        body=ours.content,
    )
    signed = BasicCredentials(HW_AK, HW_SK, PROJECT).with_security_token(TOKEN)
    signed.sign_request(request)
    assert request.header_params["X-Security-Token"] == TOKEN
    assert request.header_params["X-Project-Id"] == PROJECT
    assert ours.headers["Authorization"] == request.header_params["Authorization"]
    assert "x-security-token" in ours.headers["Authorization"]


def test_secret_data_with_a_token() -> None:
    alibaba = AlibabaCredentials.from_secret_data(
        {"accessKeyId": AK, "accessKeySecret": SECRET, "securityToken": TOKEN}
    )
    assert alibaba.security_token is not None
    assert alibaba.security_token.get_secret_value() == TOKEN
    huawei = HuaweiCredentials.from_secret_data(
        {"accessKeyId": HW_AK, "accessKeySecret": HW_SK, "securityToken": TOKEN}
    )
    assert huawei.security_token is not None
    for creds in (alibaba, huawei):
        assert TOKEN not in repr(creds) and TOKEN not in str(creds)
        assert TOKEN not in creds.redact(f"echo {TOKEN} back")


async def test_token_is_redacted_from_an_echoing_error() -> None:
    rec = Recorder(
        status=400,
        content=(
            b'{"Code": "InvalidSecurityToken.Malformed", "Message": "bad ' + TOKEN.encode() + b'"}'
        ),
    )
    client = make_client(rec, credentials=STS)
    try:
        await client.call("DescribeForwardTableEntries", {})
    except Exception as exc:
        assert TOKEN not in str(exc)
        assert "InvalidSecurityToken.Malformed" in str(exc)
    else:
        raise AssertionError("no error")
