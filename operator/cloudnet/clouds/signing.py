"""Request signers, byte-equal to the official SDKs' (checked in tests/core/test_signing.py).

Hand-written because the official SDKs bundle their signers with their own
synchronous HTTP stacks and model classes; the algorithms are small and the
tests compare every byte with the SDKs on the documented vectors and on
randomized input. The simulator uses the same functions to *verify*
signatures, so a signer bug would show up as a failing official-SDK test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import quote, unquote

HUAWEI_ALGORITHM = "SDK-HMAC-SHA256"
HUAWEI_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
HUAWEI_CONTENT_SHA256_HEADER = "x-sdk-content-sha256"
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _q(value: str) -> str:
    return quote(value, safe="~")


def huawei_canonical_query(params: Iterable[tuple[str, str]]) -> str:
    """Sorted ``k=v`` pairs, both quoted; repeated keys keep their values sorted."""
    return "&".join(f"{_q(k)}={_q(v)}" for k, v in sorted(params))


def huawei_canonical_uri(path: str) -> str:
    uri = "/".join(_q(seg) for seg in unquote(path).split("/"))
    return uri if uri.endswith("/") else uri + "/"


def huawei_signed_headers(headers: Mapping[str, str]) -> list[str]:
    """All headers but those whose name holds an underscore, lowercased and sorted."""
    return sorted(k.lower() for k in headers if "_" not in k)


def huawei_signature(
    *,
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    signed_headers: list[str],
    body: bytes,
    secret_key: str,
) -> str:
    """The hex signature of a request; ``headers`` must hold X-Sdk-Date and Host."""
    lowered = {k.lower(): str(v).strip() for k, v in headers.items()}
    canonical_headers = "".join(f"{h}:{lowered.get(h, '')}\n" for h in signed_headers)
    # Like the SDK: an empty body hashes as "", and a non-empty body whose
    # X-Sdk-Content-Sha256 header is set (the SDK sets UNSIGNED-PAYLOAD for
    # non-JSON content types) is represented by that header's value.
    if not body:
        body_hash = _EMPTY_SHA256
    else:
        body_hash = lowered.get(HUAWEI_CONTENT_SHA256_HEADER) or hashlib.sha256(body).hexdigest()
    canonical_request = "\n".join(
        [
            method.upper(),
            huawei_canonical_uri(path),
            huawei_canonical_query(query),
            canonical_headers,
            ";".join(signed_headers),
            body_hash,
        ]
    )
    string_to_sign = "\n".join(
        [
            HUAWEI_ALGORITHM,
            lowered["x-sdk-date"],
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    return hmac.new(secret_key.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


def huawei_authorization(
    *,
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
    access_key: str,
    secret_key: str,
) -> str:
    """The ``Authorization`` header value for a request whose headers are final."""
    signed = huawei_signed_headers(headers)
    signature = huawei_signature(
        method=method,
        path=path,
        query=query,
        headers=headers,
        signed_headers=signed,
        body=body,
        secret_key=secret_key,
    )
    return (
        f"{HUAWEI_ALGORITHM} Access={access_key}, "
        f"SignedHeaders={';'.join(signed)}, Signature={signature}"
    )


def parse_huawei_authorization(value: str) -> tuple[str, list[str], str] | None:
    """Split an Authorization header into (access key, signed headers, signature)."""
    if not value.startswith(HUAWEI_ALGORITHM + " "):
        return None
    fields: dict[str, str] = {}
    for part in value[len(HUAWEI_ALGORITHM) + 1 :].split(","):
        key, sep, val = part.strip().partition("=")
        if not sep:
            return None
        fields[key] = val
    try:
        return fields["Access"], fields["SignedHeaders"].split(";"), fields["Signature"]
    except KeyError:
        return None


# --- Alibaba Cloud RPC ----------------------------------------------------------------------

ALIBABA_V1_METHOD = "HMAC-SHA1"
ACS3_ALGORITHM = "ACS3-HMAC-SHA256"


def alibaba_v1_signature(params: Mapping[str, str], method: str, secret: str) -> str:
    """Signature v1 (HMAC-SHA1) over every parameter but ``Signature`` (Tea's get_rpcsignature)."""
    pairs = sorted((k, v) for k, v in params.items() if k != "Signature" and v is not None)
    canonical = "&".join(f"{_q(k)}={_q(v)}" for k, v in pairs)
    string_to_sign = f"{method.upper()}&%2F&{_q(canonical)}"
    digest = hmac.new((secret + "&").encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def acs3_canonical_query(query: Mapping[str, str]) -> str:
    """Sorted ``k=v``; like the official SDK, only the value is percent-encoded."""
    return "&".join(f"{k}={_q(query[k])}" for k in sorted(query) if query[k] is not None)


def acs3_signature(
    *,
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    signed_headers: Iterable[str],
    payload_sha256: str,
    secret: str,
) -> str:
    """The hex ACS3-HMAC-SHA256 signature over the named (lowercase) headers."""
    lowered = {k.lower(): str(v).strip() for k, v in headers.items()}
    names = sorted({h.lower() for h in signed_headers})
    canonical_headers = "".join(f"{h}:{lowered.get(h, '')}\n" for h in names)
    canonical_request = "\n".join(
        [
            method.upper(),
            path or "/",
            acs3_canonical_query(query),
            canonical_headers,
            ";".join(names),
            payload_sha256,
        ]
    )
    string_to_sign = f"{ACS3_ALGORITHM}\n{hashlib.sha256(canonical_request.encode()).hexdigest()}"
    return hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


def acs3_authorization(
    *,
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    payload_sha256: str,
    access_key: str,
    secret: str,
) -> str:
    """The ``Authorization`` value signing every header given (as the official SDK does)."""
    names = sorted({k.lower() for k in headers})
    signature = acs3_signature(
        method=method,
        path=path,
        query=query,
        headers=headers,
        signed_headers=names,
        payload_sha256=payload_sha256,
        secret=secret,
    )
    return (
        f"{ACS3_ALGORITHM} Credential={access_key},SignedHeaders={';'.join(names)},"
        f"Signature={signature}"
    )


def parse_acs3_authorization(value: str) -> tuple[str, list[str], str] | None:
    """Split an ACS3 Authorization header into (access key, signed headers, signature)."""
    if not value.startswith(ACS3_ALGORITHM + " "):
        return None
    fields: dict[str, str] = {}
    for part in value[len(ACS3_ALGORITHM) + 1 :].split(","):
        key, sep, val = part.strip().partition("=")
        if not sep:
            return None
        fields[key] = val
    try:
        return fields["Credential"], fields["SignedHeaders"].split(";"), fields["Signature"]
    except KeyError:
        return None
