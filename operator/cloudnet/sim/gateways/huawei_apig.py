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
  no simulated API serves the path (this gateway's ``unrouted`` answer, which
  the server gives for a request no API claims).

The gateway owns the Huawei credentials of the inventory
(``credentials.huawei``: AK/SK pairs, tokens, IAM users) and its settings;
the families behind it (``huawei_nat``, ``huawei_iam``) reach it through
:class:`HuaweiGateway`, one per store, which also keeps the AK/SK lockouts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable
from importlib import resources
from urllib.parse import parse_qsl

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cloudnet.clouds.signing import (
    HUAWEI_DATE_FORMAT,
    huawei_signature,
    parse_huawei_authorization,
)
from cloudnet.sim.core import (
    Principal,
    SimError,
    Strict,
    TokenBuckets,
    retry_after_header,
)
from cloudnet.sim.family import Gateway, Section
from cloudnet.sim.state import Store

AUTH_FAILED = "APIGW.0301"
TOKEN_EXPIRED = "APIGW.0307"
NOT_AUTHORIZED = "APIGW.0302"
THROTTLED = "APIGW.0308"
NO_SUCH_API = "APIGW.0101"


class ApigSettings(Strict):
    """The gateway's knobs (the ``settings:`` section is flat: every name says its cloud)."""

    #: accepted |X-Sdk-Date - now| in seconds (Huawei API Gateway: 15 minutes)
    huawei_max_clock_skew: float = Field(default=900.0, ge=0)
    #: Huawei's API Gateway locks an AK/SK for ``huawei_aksk_lock_seconds`` after more than
    #: this many consecutive failed signatures (its FAQ: five, five minutes); 0 = never
    huawei_aksk_lock_failures: int = Field(default=5, ge=0)
    huawei_aksk_lock_seconds: float = Field(default=300.0, ge=0)
    #: Huawei's API Gateway answers 429 APIGW.0308 without a retry hint; true adds Retry-After
    #: (a proxy in front of it might). Throttling counts per access key (or token).
    huawei_throttle_retry_after: bool = False


class HuaweiAccessKey(Strict):
    """An AK/SK pair of an IAM user: valid in every project of its account (domain).

    ``project_id`` stands for an IAM policy granted in one project only (a
    sub-user's key meant for one region); None lets the key act in every
    project whose ``account`` is the key's. Elsewhere it answers APIGW.0302.
    A temporary pair (issued by IAM ``OS-CREDENTIAL/securitytokens``) has a
    ``security_token`` that must come in ``X-Security-Token``, and an expiry.
    """

    access_key: str
    secret_key: str
    account: str = ""
    project_id: str | None = None
    name: str = ""
    security_token: str | None = None
    #: epoch seconds after which the pair is refused (temporary pairs only)
    expires_at: float | None = None


class HuaweiToken(Strict):
    """A project-scoped IAM token accepted in X-Auth-Token."""

    token: str
    project_id: str
    name: str = ""
    #: epoch seconds after which the token is refused (issued tokens; None: never)
    expires_at: float | None = None


class HuaweiUser(Strict):
    """An IAM user who may get project-scoped tokens with a password (POST /v3/auth/tokens)."""

    name: str
    password: str
    domain_name: str
    project_ids: list[str] = Field(default_factory=list)


class HuaweiCredentials(Strict):
    access_keys: list[HuaweiAccessKey] = Field(default_factory=list)
    tokens: list[HuaweiToken] = Field(default_factory=list)
    users: list[HuaweiUser] = Field(default_factory=list)


def auth_error(detail: str) -> SimError:
    return SimError(401, AUTH_FAILED, f"Incorrect IAM authentication information: {detail}")


def expired(what: str) -> SimError:
    return SimError(401, TOKEN_EXPIRED, f"The token must be updated: {what} has expired")


def token_caller(name: str, token: str) -> str:
    """How a token caller appears in logs and throttling: its name, never the token."""
    return "token:" + (name or hashlib.sha256(token.encode()).hexdigest()[:12])


#: who owns a project: a family behind the gateway knows its projects, the gateway does not
ProjectAccount = Callable[[str], str | None]


class HuaweiGateway:
    """The gateway in front of one store's Huawei APIs: credentials, signatures, lockouts."""

    def __init__(self, store: Store) -> None:
        self.store = store
        #: AK -> (consecutive failed signatures, locked until); not persisted, as the
        #: gateway's lock is not part of the account's resources
        self.aksk_failures: dict[str, tuple[int, float]] = {}

    @property
    def credentials(self) -> HuaweiCredentials:
        return self.store.section(HuaweiCredentials)

    @property
    def settings(self) -> ApigSettings:
        return self.store.settings_of(ApigSettings)

    def token(self, token: str, now: float) -> HuaweiToken:
        """The inventory's (or IAM's) token sent in X-Auth-Token, or APIGW.0301 / .0307."""
        match = next(
            (t for t in self.credentials.tokens if hmac.compare_digest(t.token, token)), None
        )
        if match is None:
            raise auth_error("verify token fail")
        if match.expires_at is not None and now >= match.expires_at:
            raise expired("the X-Auth-Token")
        return match

    def authenticate(
        self,
        request: Request,
        body: bytes,
        *,
        project_id: str,
        now: float,
        project_account: ProjectAccount,
    ) -> Principal:
        """The caller of a Huawei request on ``project_id``, or raise SimError (APIGW code)."""
        token = request.headers.get("x-auth-token")
        authorization = request.headers.get("authorization")
        if token is not None and authorization is None:
            match = self.token(token, now)
            principal = Principal(
                key=token_caller(match.name, match.token),
                project_id=match.project_id,
                method="token",
            )
        elif authorization is not None:
            principal = self._locked_out(request, body, authorization, now=now)
        else:
            raise auth_error("Authorization or X-Auth-Token header is missing")

        header_project = request.headers.get("x-project-id")
        if not _may_act_on(principal, project_id, project_account) or header_project not in (
            None,
            project_id,
        ):
            scope = principal.project_id and f"project {principal.project_id}"
            raise SimError(
                403,
                NOT_AUTHORIZED,
                f"The IAM user is not authorized to access the API: credentials of "
                f"{scope or 'account ' + principal.account} cannot act on project {project_id}",
            )
        return principal

    def throttle(self, buckets: TokenBuckets, principal: Principal) -> SimError | None:
        """One bucket per access key (or token): APIGW.0308, with Retry-After only if set."""
        core = self.store.settings
        wait = buckets.take(principal.key, rate=core.throttle_rate, burst=core.throttle_burst)
        if wait is None:
            return None
        return throttled(wait if self.settings.huawei_throttle_retry_after else None)

    def render_error(self, error: SimError, request_id: str) -> Response:
        return render_gateway_error(
            error, request_id, retry_after=self.settings.huawei_throttle_retry_after
        )

    def _locked_out(
        self, request: Request, body: bytes, authorization: str, *, now: float
    ) -> Principal:
        """The signature check behind the gateway's lock of an AK after repeated failures.

        More than ``huawei_aksk_lock_failures`` consecutive failures lock the pair
        for ``huawei_aksk_lock_seconds``: every request with it is refused, a
        correct signature included, until the lock ends ("Common Errors Related
        to IAM Authentication Information", API Gateway FAQ).
        """
        parsed = parse_huawei_authorization(authorization)
        if parsed is None:
            return self._verify_signature(request, body, authorization, now=now)
        access_key = parsed[0]
        settings = self.settings
        failures, locked_until = self.aksk_failures.get(access_key, (0, 0.0))
        if now < locked_until:
            raise auth_error("AK access failed to reach the limit,forbidden.")
        try:
            principal = self._verify_signature(request, body, authorization, now=now)
        except SimError:
            failures += 1
            limit = settings.huawei_aksk_lock_failures
            lock = now + settings.huawei_aksk_lock_seconds if limit and failures > limit else 0.0
            self.aksk_failures[access_key] = (0, lock) if lock else (failures, 0.0)
            raise
        self.aksk_failures.pop(access_key, None)
        return principal

    def _verify_signature(
        self, request: Request, body: bytes, authorization: str, *, now: float
    ) -> Principal:
        parsed = parse_huawei_authorization(authorization)
        if parsed is None:
            raise auth_error("unsupported or malformed Authorization header")
        access_key, signed_headers, signature = parsed
        key = next((k for k in self.credentials.access_keys if k.access_key == access_key), None)
        if key is None:
            raise auth_error(f"access key {access_key} does not exist")
        sdk_date = request.headers.get("x-sdk-date")
        if sdk_date is None:
            raise auth_error("X-Sdk-Date header is missing")
        try:
            signed_at = dt.datetime.strptime(sdk_date, HUAWEI_DATE_FORMAT).replace(tzinfo=dt.UTC)
        except ValueError:
            raise auth_error(f"X-Sdk-Date {sdk_date!r} is not yyyymmddThhmmssZ") from None
        if abs(signed_at.timestamp() - now) > self.settings.huawei_max_clock_skew:
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


def _may_act_on(principal: Principal, project_id: str, project_account: ProjectAccount) -> bool:
    """Tokens are scoped to their project; an IAM user's AK/SK to its account's projects."""
    if principal.project_id:
        return principal.project_id == project_id
    account = project_account(project_id)
    return account is not None and bool(principal.account) and account == principal.account


def render_gateway_error(error: SimError, request_id: str, *, retry_after: bool) -> Response:
    """An API Gateway error body; with ``retry_after``, a 429 carries a Retry-After hint."""
    headers = {"X-Request-Id": request_id}
    if retry_after and error.retry_after is not None:
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


def _unrouted(request_id: str) -> tuple[SimError, Response]:
    """The gateway's answer when no API serves the path (the real one's 404 APIGW.0101)."""
    error = no_such_api()
    return error, render_gateway_error(error, request_id, retry_after=False)


GATEWAY = Gateway(
    name="huawei_apig",
    defaults=resources.files("cloudnet.sim.gateways") / "huawei_apig.inventory.yaml",
    sections=(Section(("credentials", "huawei"), HuaweiCredentials),),
    settings=ApigSettings,
    unrouted=_unrouted,
)
