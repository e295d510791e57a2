"""Huawei Cloud API Gateway behaviour in front of every simulated Huawei service.

Huawei services sit behind an API gateway (APIG) that authenticates before
the service sees the request, so its errors have their own codes
(``APIGW.*``) and body ``{"error_code", "error_msg", "request_id"}``, unlike a
service's ``{"error_code", "error_msg"}``. The gateway accepts:

- SDK-HMAC-SHA256 (AK/SK): the signature is recomputed here with the
  request's own SignedHeaders list by the same functions the operator signs
  with (``cloudnet.clouds.signing``), and compared in constant time.
  ``X-Sdk-Date`` must be within ``huawei_max_clock_skew`` (15 min) of now.
- ``X-Auth-Token``: a project-scoped token listed in the inventory.

Codes used (the API Gateway's documented error table,
https://support.huaweicloud.com/intl/en-us/devg-apisign/api-sign-errorcode.html;
a skewed X-Sdk-Date is the same 401 APIGW.0301 as a bad signature, per
https://support.huaweicloud.com/intl/en-us/sis_faq/sis_04_0087.html):

- ``APIGW.0301`` (401) "Incorrect IAM authentication information": no or
  unparsable credentials, unknown AK or token, bad signature, X-Sdk-Date
  missing, malformed or more than 15 minutes off.
- ``APIGW.0307`` (401) "The token must be updated": an issued X-Auth-Token
  or a temporary AK/SK past its ``expires_at``. A temporary AK/SK needs its
  ``X-Security-Token``, signed; a missing, unsigned or wrong one is APIGW.0301.
- ``APIGW.0302`` (403) "The IAM user is not authorized to access the API":
  valid credentials of one project used on another project's path (or a
  mismatching ``X-Project-Id`` header). Chosen over 401 because the
  credentials themselves are fine; re-signing will not help.
- ``APIGW.0308`` (429) "The throttling threshold has been reached", with
  ``Retry-After`` (rendered here, raised by the server's throttle).
- ``APIGW.0101`` (404) "The API does not exist or has not been published":
  no simulated API serves the path (raised by the server).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cloudnet.clouds.signing import (
    HUAWEI_DATE_FORMAT,
    huawei_signature,
    parse_huawei_authorization,
)
from cloudnet.sim.core import Principal, SimError, retry_after_header
from cloudnet.sim.state import Store

AUTH_FAILED = "APIGW.0301"
TOKEN_EXPIRED = "APIGW.0307"
NOT_AUTHORIZED = "APIGW.0302"
THROTTLED = "APIGW.0308"
NO_SUCH_API = "APIGW.0101"


def auth_error(detail: str) -> SimError:
    return SimError(401, AUTH_FAILED, f"Incorrect IAM authentication information: {detail}")


def expired(what: str) -> SimError:
    return SimError(401, TOKEN_EXPIRED, f"The token must be updated: {what} has expired")


def token_caller(name: str, token: str) -> str:
    """How a token caller appears in logs and throttling: its name, never the token."""
    return "token:" + (name or hashlib.sha256(token.encode()).hexdigest()[:12])


def authenticate(
    store: Store, request: Request, body: bytes, *, project_id: str, now: float
) -> Principal:
    """The caller of a Huawei request, or raise SimError with an APIGW code."""
    creds = store.inventory.credentials.huawei
    token = request.headers.get("x-auth-token")
    authorization = request.headers.get("authorization")
    if token is not None and authorization is None:
        match = next((t for t in creds.tokens if hmac.compare_digest(t.token, token)), None)
        if match is None:
            raise auth_error("verify token fail")
        if match.expires_at is not None and now >= match.expires_at:
            raise expired("the X-Auth-Token")
        principal = Principal(
            key=token_caller(match.name, match.token), project_id=match.project_id, method="token"
        )
    elif authorization is not None:
        principal = _locked_out(store, request, body, authorization, now=now)
    else:
        raise auth_error("Authorization or X-Auth-Token header is missing")

    header_project = request.headers.get("x-project-id")
    if not _may_act_on(store, principal, project_id) or header_project not in (None, project_id):
        scope = principal.project_id and f"project {principal.project_id}"
        raise SimError(
            403,
            NOT_AUTHORIZED,
            f"The IAM user is not authorized to access the API: credentials of "
            f"{scope or 'account ' + principal.account} cannot act on project {project_id}",
        )
    return principal


def _may_act_on(store: Store, principal: Principal, project_id: str) -> bool:
    """Tokens are scoped to their project; an IAM user's AK/SK to its account's projects."""
    if principal.project_id:
        return principal.project_id == project_id
    project = store.projects.get(project_id)
    return (
        project is not None and bool(principal.account) and (project.account == principal.account)
    )


def _locked_out(
    store: Store, request: Request, body: bytes, authorization: str, *, now: float
) -> Principal:
    """The signature check behind the gateway's lock of an AK after repeated failures.

    More than ``huawei_aksk_lock_failures`` consecutive failures lock the pair
    for ``huawei_aksk_lock_seconds``: every request with it is refused, a
    correct signature included, until the lock ends ("Common Errors Related
    to IAM Authentication Information", API Gateway FAQ).
    """
    parsed = parse_huawei_authorization(authorization)
    if parsed is None:
        return _verify_signature(store, request, body, authorization, now=now)
    access_key = parsed[0]
    settings = store.inventory.settings
    failures, locked_until = store.aksk_failures.get(access_key, (0, 0.0))
    if now < locked_until:
        raise auth_error("AK access failed to reach the limit,forbidden.")
    try:
        principal = _verify_signature(store, request, body, authorization, now=now)
    except SimError:
        failures += 1
        limit = settings.huawei_aksk_lock_failures
        lock = now + settings.huawei_aksk_lock_seconds if limit and failures > limit else 0.0
        store.aksk_failures[access_key] = (0, lock) if lock else (failures, 0.0)
        raise
    store.aksk_failures.pop(access_key, None)
    return principal


def _verify_signature(
    store: Store, request: Request, body: bytes, authorization: str, *, now: float
) -> Principal:
    parsed = parse_huawei_authorization(authorization)
    if parsed is None:
        raise auth_error("unsupported or malformed Authorization header")
    access_key, signed_headers, signature = parsed
    key = next(
        (k for k in store.inventory.credentials.huawei.access_keys if k.access_key == access_key),
        None,
    )
    if key is None:
        raise auth_error(f"access key {access_key} does not exist")
    sdk_date = request.headers.get("x-sdk-date")
    if sdk_date is None:
        raise auth_error("X-Sdk-Date header is missing")
    try:
        signed_at = dt.datetime.strptime(sdk_date, HUAWEI_DATE_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError:
        raise auth_error(f"X-Sdk-Date {sdk_date!r} is not yyyymmddThhmmssZ") from None
    if abs(signed_at.timestamp() - now) > store.inventory.settings.huawei_max_clock_skew:
        raise auth_error("X-Sdk-Date is more than 15 minutes away from the server time")
    if "x-sdk-date" not in signed_headers:
        raise auth_error("X-Sdk-Date is not among the signed headers")
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    expected = huawei_signature(
        method=request.method,
        path=raw_path.decode("latin-1"),
        query=parse_qsl(request.url.query, keep_blank_values=True),
        headers={k: v for k, v in request.headers.items()},
        signed_headers=signed_headers,
        body=body,
        secret_key=key.secret_key,
    )
    if not hmac.compare_digest(expected, signature):
        raise auth_error("verify aksk signature fail")
    token = request.headers.get("x-security-token")
    if key.security_token is not None or token is not None:
        if key.security_token is None or token is None:
            raise auth_error("verify security token fail")
        if "x-security-token" not in signed_headers:
            raise auth_error("X-Security-Token is not among the signed headers")
        if not hmac.compare_digest(token, key.security_token):
            raise auth_error("verify security token fail")
        if key.expires_at is not None and now >= key.expires_at:
            raise expired("the security token")
    return Principal(
        key=key.access_key, project_id=key.project_id or "", method="aksk", account=key.account
    )


def render_gateway_error(error: SimError, request_id: str) -> Response:
    """An API Gateway error body; 429 carries a Retry-After hint."""
    headers = {"X-Request-Id": request_id}
    if error.retry_after is not None:
        headers["Retry-After"] = retry_after_header(error.retry_after)
    return JSONResponse(
        {"error_code": error.code, "error_msg": error.message, "request_id": request_id},
        status_code=error.status,
        headers=headers,
    )


def throttled(retry_after: float | None) -> SimError:
    """APIGW.0308; the real gateway sends no Retry-After, so ``retry_after`` is usually None."""
    return SimError(
        429, THROTTLED, "The throttling threshold has been reached", retry_after=retry_after
    )


def no_such_api() -> SimError:
    return SimError(
        404, NO_SUCH_API, "The API does not exist or has not been published in the environment"
    )
