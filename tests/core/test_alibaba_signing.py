"""Our Alibaba signers against the official Tea SDK's, byte for byte.

The oracles are ``Utils.get_rpcsignature`` (v1, HMAC-SHA1) and
``Utils.get_authorization`` (ACS3-HMAC-SHA256) from
``alibabacloud_tea_openapi/utils.py``; the latter reads ``.method``,
``.pathname``, ``.query`` and ``.headers`` off the SDK's request object, so
a small stand-in with those attributes is enough.
"""

from __future__ import annotations

import hashlib
import random
import string
from dataclasses import dataclass, field
from typing import Any

import pytest
from alibabacloud_tea_openapi.utils import Utils

from cloudnet.clouds.signing import (
    acs3_authorization,
    acs3_canonical_query,
    acs3_signature,
    alibaba_v1_signature,
    parse_acs3_authorization,
)

_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@dataclass
class SdkRequest:
    """The attributes of darabonba's request that ``Utils.get_authorization`` reads."""

    method: str
    pathname: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


def sdk_authorization(
    request: SdkRequest, payload_sha256: str, access_key: str, secret: str
) -> str:
    return str(
        Utils.get_authorization(request, "ACS3-HMAC-SHA256", payload_sha256, access_key, secret)
    )


# --- Alibaba's documented examples: the V1 (RPC) signature of ECS DescribeRegions and the ---
# --- V3 (ACS3-HMAC-SHA256) signature of ECS RunInstances ---------------------------------

V1_VECTOR = {
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "Format": "XML",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "SignatureVersion": "1.0",
    "Timestamp": "2016-02-23T12:46:24Z",
    "Version": "2014-05-26",
}
V1_EXPECTED = "OLeaidS1JvxuMvnyHOwuJ+uX5qY="

V3_QUERY = {
    "ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
    "RegionId": "cn-shanghai",
}
V3_HEADERS = {
    "host": "ecs.cn-shanghai.aliyuncs.com",
    "x-acs-action": "RunInstances",
    "x-acs-version": "2014-05-26",
    "x-acs-date": "2023-10-26T09:01:01Z",
    "x-acs-signature-nonce": "d410180a5abf7fe235dd9b74aca91fc0",
    "x-acs-content-sha256": _EMPTY_SHA256,
}
V3_EXPECTED = "e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804"


def test_v1_documented_vector() -> None:
    assert alibaba_v1_signature(V1_VECTOR, "GET", "testsecret") == V1_EXPECTED
    assert Utils.get_rpcsignature(V1_VECTOR, "GET", "testsecret") == V1_EXPECTED


def test_v1_ignores_a_signature_already_in_the_params() -> None:
    # The verifying side (the simulator) passes the whole query, Signature included.
    signed = {**V1_VECTOR, "Signature": V1_EXPECTED}
    assert alibaba_v1_signature(signed, "GET", "testsecret") == V1_EXPECTED


def test_v3_documented_vector() -> None:
    ours = acs3_authorization(
        method="POST",
        path="/",
        query=V3_QUERY,
        headers=V3_HEADERS,
        payload_sha256=_EMPTY_SHA256,
        access_key="YourAccessKeyId",
        secret="YourAccessKeySecret",
    )
    theirs = sdk_authorization(
        SdkRequest("POST", "/", dict(V3_QUERY), dict(V3_HEADERS)),
        _EMPTY_SHA256,
        "YourAccessKeyId",
        "YourAccessKeySecret",
    )
    assert ours == theirs
    assert ours.endswith(f"Signature={V3_EXPECTED}")
    assert ours.startswith(
        "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;"
        "x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,"
    )


def test_parse_acs3_authorization_round_trip() -> None:
    value = acs3_authorization(
        method="POST",
        path="/",
        query=V3_QUERY,
        headers=V3_HEADERS,
        payload_sha256=_EMPTY_SHA256,
        access_key="YourAccessKeyId",
        secret="YourAccessKeySecret",
    )
    assert parse_acs3_authorization(value) == (
        "YourAccessKeyId",
        sorted(V3_HEADERS),
        V3_EXPECTED,
    )
    assert parse_acs3_authorization("SDK-HMAC-SHA256 Access=x") is None
    assert parse_acs3_authorization("ACS3-HMAC-SHA256 Credential=x") is None


def test_canonical_query_encodes_values_only_like_the_sdk() -> None:
    query = {"b": "x y*~/+", "a": "é"}
    assert acs3_canonical_query(query) == "a=%C3%A9&b=x%20y%2A~%2F%2B"


# --- randomized, against the SDK --------------------------------------------------------------

# Characters that tell encoders apart: space (%20 vs +), * (%2A), ~ (kept),
# / and + (encoded), = and & (separators), %, unicode in two scripts.
_TRICKY = " *~/+=&%é中😀-_.!'()"
_ALNUM = string.ascii_letters + string.digits


def _text(rng: random.Random, *, max_len: int, alphabet: str, min_len: int = 0) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(min_len, max_len)))


def _params(rng: random.Random) -> dict[str, str]:
    params: dict[str, str] = {}
    for _ in range(rng.randint(0, 8)):
        # Keys: RPC names, flattened list/object names, sometimes odd characters
        # (the v1 signer quotes keys, the v3 one does not: both must match the SDK).
        kind = rng.random()
        if kind < 0.6:
            key = _text(rng, max_len=12, min_len=1, alphabet=string.ascii_letters)
        elif kind < 0.85:
            key = f"{_text(rng, max_len=8, min_len=1, alphabet=_ALNUM)}.{rng.randint(1, 12)}"
        else:
            key = _text(rng, max_len=6, min_len=1, alphabet=_ALNUM + _TRICKY)
        params[key] = _text(rng, max_len=24, alphabet=_ALNUM + _TRICKY)
    return params


def _case(rng: random.Random) -> dict[str, Any]:
    headers: dict[str, str] = {
        "host": rng.choice(["ens.aliyuncs.com", "127.0.0.1:18900", "[::1]:8080"]),
        "x-acs-action": rng.choice(["CreateForwardEntry", "ModifyForwardEntry", "Describe"]),
        "x-acs-version": rng.choice(["2017-11-10", "2014-05-26", "2018-03-13"]),
        "x-acs-date": f"20{rng.randint(10, 39)}-{rng.randint(1, 12):02d}-"
        f"{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:"
        f"{rng.randint(0, 59):02d}Z",
        "x-acs-signature-nonce": f"{rng.getrandbits(128):032x}",
    }
    body = b"" if rng.random() < 0.6 else _text(rng, max_len=40, alphabet=_ALNUM + _TRICKY).encode()
    headers["x-acs-content-sha256"] = hashlib.sha256(body).hexdigest()
    seen = set(headers)
    for _ in range(rng.randint(0, 4)):
        # Extra headers in mixed case with padding: both sides lowercase and trim.
        name = rng.choice(["X-Acs-", "x-", "Accept", "User-Agent", "Content-Type"])
        name += _text(rng, max_len=6, alphabet=string.ascii_letters + "-")
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        pad = rng.choice(["", " ", "  "])
        headers[name] = pad + _text(rng, max_len=16, alphabet=_ALNUM + " é/=,;") + pad
    return {
        "params": _params(rng),
        "method": rng.choice(["GET", "POST"]),
        "path": rng.choice(["/", "/", "/api/", "/x/y"]),
        "headers": headers,
        "payload": headers["x-acs-content-sha256"],
        "ak": _text(rng, max_len=24, min_len=1, alphabet=_ALNUM),
        "secret": _text(rng, max_len=30, min_len=1, alphabet=_ALNUM + "+/=é"),
    }


_RNG = random.Random(20251117)
_CASES = [_case(_RNG) for _ in range(250)]


@pytest.mark.parametrize("case", _CASES, ids=[f"case{i}" for i in range(len(_CASES))])
def test_v1_randomized_equal_to_sdk(case: dict[str, Any]) -> None:
    params = case["params"]
    ours = alibaba_v1_signature(params, case["method"], case["secret"])
    assert ours == Utils.get_rpcsignature(dict(params), case["method"], case["secret"])


@pytest.mark.parametrize("case", _CASES, ids=[f"case{i}" for i in range(len(_CASES))])
def test_v3_randomized_equal_to_sdk(case: dict[str, Any]) -> None:
    ours = acs3_authorization(
        method=case["method"],
        path=case["path"],
        query=case["params"],
        headers=case["headers"],
        payload_sha256=case["payload"],
        access_key=case["ak"],
        secret=case["secret"],
    )
    theirs = sdk_authorization(
        SdkRequest(case["method"], case["path"], dict(case["params"]), dict(case["headers"])),
        case["payload"],
        case["ak"],
        case["secret"],
    )
    assert ours == theirs
    # And the verifying side (what the simulator does) accepts it.
    access, signed, signature = parse_acs3_authorization(ours) or ("", [], "")
    assert access == case["ak"]
    assert signature == acs3_signature(
        method=case["method"],
        path=case["path"],
        query=case["params"],
        headers=case["headers"],
        signed_headers=signed,
        payload_sha256=case["payload"],
        secret=case["secret"],
    )


def test_randomized_cases_hit_the_tricky_characters() -> None:
    # Guard against a generator change that silently stops exercising the encoders.
    values = "".join(v for case in _CASES for v in case["params"].values())
    for char in " *~/+é中😀":
        assert char in values
