"""Our Huawei SDK-HMAC-SHA256 signer against huaweicloudsdkcore's ``Signer``, byte for byte.

hypothesis is not installed, so the randomized cases come from ``random``
with a fixed seed: a failure names its case number and reproduces exactly.
"""

from __future__ import annotations

import copy
import random
import string
from typing import Any

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from cloudnet.clouds.signing import (
    huawei_authorization,
    huawei_signature,
    huawei_signed_headers,
    parse_huawei_authorization,
)

VECTOR_AK = "QTWAOYTTINDUT2QVKYUC"
VECTOR_SK = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"
VECTOR_SIGNATURE = "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"


def sdk_authorization(
    *,
    method: str,
    host: str,
    path: str,
    query: list[tuple[str, Any]],
    headers: dict[str, str],
    body: bytes,
    ak: str,
    sk: str,
) -> tuple[str, dict[str, str]]:
    """The SDK's Authorization value, and the headers as they stood when it signed."""
    request = SdkRequest(
        method=method,
        schema="https",
        host=host,
        resource_path=path,
        query_params=copy.deepcopy(query),
        header_params=dict(headers),
        body=body,
    )
    # The SDK adds X-Sdk-Content-Sha256 (non-JSON bodies) and Host before
    # signing; it then rewrites header values to latin-1 for the wire, so the
    # values we compare with are taken from our own copy, not from the request.
    signed = Signer(BasicCredentials(ak, sk)).sign(request)
    final = dict(headers)
    for name in signed.header_params:
        if name not in final and name != "Authorization":
            final[name] = str(signed.header_params[name])
    return signed.header_params["Authorization"], final


def test_documented_vector() -> None:
    headers = {
        "Content-Type": "application/json",
        "X-Sdk-Date": "20191115T033655Z",
        "Host": "service.region.example.com",
    }
    query = [("limit", "2"), ("marker", "13551d6b-755d-4757-b956-536f674975c0")]
    path = "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs"
    ours = huawei_authorization(
        method="GET",
        path=path,
        query=query,
        headers=headers,
        body=b"",
        access_key=VECTOR_AK,
        secret_key=VECTOR_SK,
    )
    theirs, _ = sdk_authorization(
        method="GET",
        host="service.region.example.com",
        path=path,
        query=list(query),
        headers=headers,
        body=b"",
        ak=VECTOR_AK,
        sk=VECTOR_SK,
    )
    assert ours == theirs
    assert ours == (
        f"SDK-HMAC-SHA256 Access={VECTOR_AK}, SignedHeaders=content-type;host;x-sdk-date, "
        f"Signature={VECTOR_SIGNATURE}"
    )


def test_parse_authorization_round_trip() -> None:
    value = f"SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature={'0' * 64}"
    assert parse_huawei_authorization(value) == ("AK", ["host", "x-sdk-date"], "0" * 64)
    assert parse_huawei_authorization("Bearer x") is None
    assert parse_huawei_authorization("SDK-HMAC-SHA256 Access=AK") is None


def test_signed_headers_skip_underscores() -> None:
    assert huawei_signed_headers({"Host": "h", "X_Skip": "1", "X-Sdk-Date": "d"}) == [
        "host",
        "x-sdk-date",
    ]


# --- randomized comparison with the SDK ------------------------------------

# Characters that exercise quoting: reserved, unreserved, percent, unicode.
_TRICKY = " ~!*'();:@&=+$,/?#[]%-._\"<>\\^`{|}é中文ß€\u00a0"
_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "get", "Post"]
_CONTENT_TYPES = [
    None,
    "application/json",
    "application/json;charset=UTF-8",
    "application/bson",
    "text/plain",
    "application/octet-stream",
    "application/x-www-form-urlencoded",
]


def _text(rng: random.Random, *, max_len: int, alphabet: str) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, max_len)))


def _case(rng: random.Random) -> dict[str, Any]:
    alnum = string.ascii_letters + string.digits
    segments = [
        _text(rng, max_len=12, alphabet=alnum + _TRICKY.replace("/", "").replace("?", ""))
        for _ in range(rng.randint(1, 5))
    ]
    path = "/" + "/".join(segments)
    if rng.random() < 0.3:
        path += "/"

    query: list[tuple[str, Any]] = []
    ours_query: list[tuple[str, str]] = []
    used_list_keys: set[str] = set()
    for _ in range(rng.randint(0, 6)):
        key = _text(rng, max_len=8, alphabet=alnum + "_-.~ é&=") or "k"
        if rng.random() < 0.2 and key not in {k for k, _ in query}:
            # A list value: the SDK sorts and expands it; we take repeated pairs.
            values = [_text(rng, max_len=6, alphabet=alnum + _TRICKY) for _ in range(3)]
            query.append((key, values))
            ours_query.extend((key, v) for v in values)
            used_list_keys.add(key)
            continue
        if key in used_list_keys:
            continue
        value = _text(rng, max_len=10, alphabet=alnum + _TRICKY)
        query.append((key, value))
        ours_query.append((key, value))
        if rng.random() < 0.3:  # the same key again
            other = _text(rng, max_len=10, alphabet=alnum + _TRICKY)
            query.append((key, other))
            ours_query.append((key, other))

    headers: dict[str, str] = {
        "X-Sdk-Date": f"20{rng.randint(10, 39)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        f"T{rng.randint(0, 23):02d}{rng.randint(0, 59):02d}{rng.randint(0, 59):02d}Z",
    }
    host = rng.choice(["nat.cn-north-4.myhuaweicloud.com", "127.0.0.1:18900", "[::1]:8080"])
    if rng.random() < 0.7:
        headers["Host"] = host
    content_type = rng.choice(_CONTENT_TYPES)
    if content_type is not None:
        headers["Content-Type"] = content_type
    seen = {name.lower() for name in headers}
    for _ in range(rng.randint(0, 5)):
        name = "X-" + _text(rng, max_len=8, alphabet=string.ascii_letters + "-_") + "a"
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        padding = rng.choice(["", " ", "  ", "\t"])
        headers[name] = padding + _text(rng, max_len=12, alphabet=alnum + " é中/=,;") + padding

    body_kind = rng.random()
    if body_kind < 0.4:
        body = b""
    elif body_kind < 0.7:
        body = (
            '{"dnat_rule": {"description": "'
            + _text(rng, max_len=20, alphabet=alnum + "é ")
            + '"}}'
        ).encode()
    else:
        body = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))

    return {
        "method": rng.choice(_METHODS),
        "host": host,
        "path": path,
        "query": query,
        "ours_query": ours_query,
        "headers": headers,
        "body": body,
        "ak": _text(rng, max_len=20, alphabet=string.ascii_uppercase + string.digits) or "AK",
        "sk": _text(rng, max_len=40, alphabet=alnum) or "SK",
    }


_RNG = random.Random(20240611)
_CASES = [_case(_RNG) for _ in range(300)]


@pytest.mark.parametrize("case", _CASES, ids=[f"case{i}" for i in range(len(_CASES))])
def test_randomized_equal_to_sdk(case: dict[str, Any]) -> None:
    theirs, final_headers = sdk_authorization(
        method=case["method"],
        host=case["host"],
        path=case["path"],
        query=case["query"],
        headers=case["headers"],
        body=case["body"],
        ak=case["ak"],
        sk=case["sk"],
    )
    ours = huawei_authorization(
        method=case["method"],
        path=case["path"],
        query=case["ours_query"],
        headers=final_headers,
        body=case["body"],
        access_key=case["ak"],
        secret_key=case["sk"],
    )
    assert ours == theirs
    # And the verifying side (what the simulator does) accepts it.
    access, signed, signature = parse_huawei_authorization(ours) or ("", [], "")
    assert access == case["ak"]
    assert signature == huawei_signature(
        method=case["method"],
        path=case["path"],
        query=case["ours_query"],
        headers=final_headers,
        signed_headers=signed,
        body=case["body"],
        secret_key=case["sk"],
    )


def test_unsigned_payload_header_replaces_body_hash() -> None:
    """The SDK signs non-JSON bodies as UNSIGNED-PAYLOAD; so must we (the fix in signing.py)."""
    headers = {"Host": "h", "X-Sdk-Date": "20240101T000000Z", "Content-Type": "text/plain"}
    theirs, final_headers = sdk_authorization(
        method="POST", host="h", path="/p", query=[], headers=headers, body=b"x", ak="A", sk="S"
    )
    assert final_headers["X-Sdk-Content-Sha256"] == "UNSIGNED-PAYLOAD"
    ours = huawei_authorization(
        method="POST",
        path="/p",
        query=[],
        headers=final_headers,
        body=b"anything else",
        access_key="A",
        secret_key="S",
    )
    assert ours == theirs
