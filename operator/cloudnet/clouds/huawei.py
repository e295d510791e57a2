"""Huawei Cloud API client: async, signed, classified against the product's error table.

Why hand-written: the official SDKs (``huaweicloudsdknat`` and its siblings)
are synchronous (their "async" clients run requests on a thread pool) and own
their HTTP stack, so they cannot take the ``httpx.AsyncClient`` that tests
point at the simulator. The wire format follows the SDK: JSON envelopes,
query encoding (list filters repeat their key, booleans are ``true``/``false``),
and the headers ``BasicCredentials.sign_request`` adds (``X-Project-Id``, then
the signer's ``X-Sdk-Date`` and ``Host``). A product's paths live in its
provider's ``client`` module (a :class:`HuaweiClient` subclass).

Every call returns a :class:`CloudResponse` (parsed body and the
``X-Request-Id``) or raises :class:`~cloudnet.clouds.errors.CloudError`
classified by the product's table, or
:class:`~cloudnet.clouds.errors.CloudTransportError` when no answer came.

Error classification (:func:`classify_huawei_error`), in this order:

1. On a path that names our own object (show, update, delete), the
   product's own "no such object" code means the object is gone
   (``NotFound``). No other answer does: a 404 of the API gateway
   (APIGW.0101 no such API, APIGW.0103 no backend), a 404 about something a
   body names, or a 404 without any code (a proxy's page) keeps its own
   class, since reading it as "gone" would release or recreate an object
   that still exists.
2. The exact code in the product's table; never a prefix. Every table holds
   the API Gateway's codes (:data:`APIG_ERRORS`) in both spellings Huawei
   answers with (``APIGW.0301`` from the shared gateway, ``APIG.0301`` from
   newer ones); none of them is ``InvalidSpec``.
3. A code nobody listed is ``Unknown``: retried with capped backoff and
   named in the status, never permanent. Only the status of a throttle or a
   server fault says more: 429 → ``Throttled``, 5xx → ``Transient``; no
   other status is read (a 400 can be a bad port or an object in use, so a
   status is no verdict on the spec).

Only 2xx is success. A 3xx (the client never follows redirects: a signed
request is answered where it was sent, or not at all) raises
:data:`UNEXPECTED_REDIRECT_CODE`, ``Unknown``, naming the status and the
Location without its query.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import MappingProxyType
from typing import Any, Protocol, Self
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

from cloudnet.clouds.errors import (
    INVALID_RESPONSE_CODE,
    MAX_CODE,
    UNEXPECTED_REDIRECT_CODE,
    CloudError,
    CloudTransportError,
    ErrorClass,
    bounded,
    json_object,
    non_json_message,
    redirect_error,
)
from cloudnet.clouds.observe import NO_ANSWER_CODE, OK_CODE, CallObserver, CallRecord, notify
from cloudnet.clouds.ratelimit import Priority, RateLimiter
from cloudnet.clouds.signing import (
    HUAWEI_DATE_FORMAT,
    huawei_authorization,
    huawei_canonical_query,
)

__all__ = [
    "APIG_ERRORS",
    "INVALID_RESPONSE_CODE",
    "TOKEN_EXPIRED_CODES",
    "UNEXPECTED_REDIRECT_CODE",
    "CloudResponse",
    "FilterValue",
    "HuaweiClient",
    "HuaweiCredentialSource",
    "HuaweiCredentials",
    "StaticHuaweiCredentials",
    "classify_huawei_error",
    "parse_huawei_error",
    "query_pairs",
]

logger = logging.getLogger(__name__)

# The API Gateway's codes, with the HTTP status and the public page each row
# comes from. The same numbers come back spelled APIG.xxxx from newer
# gateways ([H2], and the services' FAQs, e.g. [H4]); the table holds both.
#   [H1] https://support.huaweicloud.com/intl/en-us/devg-apisign/api-sign-errorcode.html
#   [H2] https://support.huaweicloud.com/intl/en-us/usermanual-apig/apig_03_0048.html
#   [H3] https://support.huaweicloud.com/intl/en-us/sis_faq/sis_04_0087.html
#        ("Incorrect IAM authentication information: ... signature expired":
#        an X-Sdk-Date more than 15 minutes off is APIGW.0301 like a bad signature)
#   [H4] https://support.huaweicloud.com/intl/en-us/ocr_faq/ocr_01_0063.html
#   [CA] the NAT API reference's error format ("401 for bad signature or token, 429 for throttling")
# APIGW.0201 is left out on purpose: Huawei lists it with 400, 413, 414, 494,
# 500, 502 and 504 [H1] (a malformed request, a backend timeout ...), so only
# its status tells; the unknown-code rule reads exactly that (5xx Transient,
# else Unknown).
_APIGW_ERRORS: dict[str, ErrorClass] = {
    # 404 "API does not exist or is not published": a wrong endpoint or region
    # in the ProviderConfig, not our rule missing; grouped with the credential
    # errors because only a ProviderConfig change fixes it. [H1]
    "APIGW.0101": ErrorClass.AUTH_FAILED,
    # 404 (APIG.0103: 500) "the backend does not exist": a gateway fault, never our rule [H1][H2]
    "APIGW.0103": ErrorClass.TRANSIENT,
    "APIGW.0104": ErrorClass.TRANSIENT,  # 400 (APIG: 500) plug-ins do not exist [H1][H2]
    "APIGW.0105": ErrorClass.TRANSIENT,  # 400 (APIG: 500) backend configuration missing [H1][H2]
    "APIGW.0106": ErrorClass.TRANSIENT,  # 400 orchestration error [H1]
    "APIGW.0202": ErrorClass.TRANSIENT,  # 502 backend unavailable [H2]
    # 401 incorrect IAM authentication information: bad AK/SK signature, bad
    # or expired token, and also clock skew (X-Sdk-Date over 15 min off [H3]),
    # which shares the code: AuthFailed is retried with capped backoff, so a
    # clock that NTP fixes heals on its own. [H1][H3][H4][CA]
    "APIGW.0301": ErrorClass.AUTH_FAILED,
    "APIGW.0302": ErrorClass.AUTH_FAILED,  # 403 IAM user not authorized for the API [H1]
    "APIGW.0303": ErrorClass.AUTH_FAILED,  # 401 app authentication failed [H1]
    "APIGW.0304": ErrorClass.AUTH_FAILED,  # 403 app not authorized for the API [H1]
    "APIGW.0305": ErrorClass.AUTH_FAILED,  # 401 authentication information missing or wrong [H1]
    "APIGW.0306": ErrorClass.AUTH_FAILED,  # 403 API access denied [H1]
    "APIGW.0307": ErrorClass.AUTH_FAILED,  # 401 token must be refreshed [H1]
    "APIGW.0308": ErrorClass.THROTTLED,  # 429 throttling threshold reached [H1][CA]
    "APIGW.0401": ErrorClass.AUTH_FAILED,  # 403 client IP address not identified [H1]
    "APIGW.0402": ErrorClass.AUTH_FAILED,  # 403 IP address not allowed (access control) [H1]
}

#: The API Gateway's codes in both spellings (``APIGW.`` from the shared gateway,
#: ``APIG.`` from newer ones): every Huawei product table starts from these.
APIG_ERRORS: Mapping[str, ErrorClass] = MappingProxyType(
    {
        **_APIGW_ERRORS,
        **{code.replace("APIGW.", "APIG.", 1): cls for code, cls in _APIGW_ERRORS.items()},
    }
)


class HuaweiCredentials(BaseModel):
    """AK/SK (temporary with a security token) or an IAM token; secrets are SecretStr.

    A ``security_token`` makes the AK/SK temporary (IAM
    ``OS-CREDENTIAL/securitytokens``): it goes in the ``X-Security-Token``
    header, which is signed with the others, as huaweicloudsdkcore's
    ``BasicCredentials(ak, sk).with_security_token(...)`` does.
    """

    model_config = ConfigDict(frozen=True)

    access_key: str | None = None
    secret_key: SecretStr | None = None
    security_token: SecretStr | None = None
    token: SecretStr | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        aksk = self.access_key is not None or self.secret_key is not None
        if aksk and (
            not self.access_key or self.secret_key is None or not self.secret_key.get_secret_value()
        ):
            raise ValueError("AK/SK credentials need both access_key and secret_key")
        if aksk == (self.token is not None):
            raise ValueError("give either access_key + secret_key or token, not both or neither")
        if self.token is not None and not self.token.get_secret_value():
            raise ValueError("token must not be empty")
        if self.security_token is not None and (
            not aksk or not self.security_token.get_secret_value()
        ):
            raise ValueError("security_token goes with access_key + secret_key and is not empty")
        return self

    @classmethod
    def from_aksk(
        cls, access_key: str, secret_key: str, security_token: str | None = None
    ) -> HuaweiCredentials:
        return cls(
            access_key=access_key,
            secret_key=SecretStr(secret_key),
            security_token=SecretStr(security_token) if security_token is not None else None,
        )

    @classmethod
    def from_token(cls, token: str) -> HuaweiCredentials:
        return cls(token=SecretStr(token))

    @classmethod
    def from_secret_data(cls, data: Mapping[str, str]) -> HuaweiCredentials:
        """From a Secret's decoded data: ``accessKeyId`` + ``accessKeySecret``
        [+ ``securityToken``], or ``token``."""
        if "token" in data and "accessKeyId" not in data:
            return cls.from_token(data["token"])
        try:
            return cls.from_aksk(
                data["accessKeyId"], data["accessKeySecret"], data.get("securityToken")
            )
        except KeyError as exc:
            raise ValueError("credentials need accessKeyId and accessKeySecret, or token") from exc

    def redact(self, text: str) -> str:
        """``text`` with any secret value blanked, for messages that echo request data."""
        for secret in (self.secret_key, self.security_token, self.token):
            if secret is not None and (value := secret.get_secret_value()):
                text = text.replace(value, "**********")
        return text


class HuaweiCredentialSource(Protocol):
    """Where a client takes its credentials from before each request (IAM tokens refresh)."""

    async def credentials(self) -> HuaweiCredentials:
        """Credentials valid for at least the next request."""
        ...

    def expired(self, used: HuaweiCredentials) -> bool:
        """The gateway said ``used`` has expired; True if asking again may yield newer ones."""
        ...


class StaticHuaweiCredentials:
    """Credentials from a Secret: they change only when the Secret does."""

    def __init__(self, credentials: HuaweiCredentials) -> None:
        self._credentials = credentials

    def __repr__(self) -> str:
        return "StaticHuaweiCredentials()"

    async def credentials(self) -> HuaweiCredentials:
        return self._credentials

    def expired(self, used: HuaweiCredentials) -> bool:
        return False


#: The gateway's "the token must be updated" (both spellings): a refreshing source is
#: asked again and the request re-sent once (the gateway refused it, nothing ran).
TOKEN_EXPIRED_CODES = frozenset({"APIGW.0307", "APIG.0307"})


@dataclass(frozen=True, slots=True)
class CloudResponse:
    """A successful answer: HTTP status, parsed JSON object ({} when empty), request id."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None


def classify_huawei_error(
    code: str,
    http_status: int,
    *,
    own_object: bool = False,
    errors: Mapping[str, ErrorClass] = APIG_ERRORS,
    gone: frozenset[str] = frozenset(),
) -> ErrorClass:
    """The retry class of an error; the order of the rules is in the module docstring.

    ``own_object`` says the request path names our own object (show, update,
    delete), where a code of ``gone`` (the product's "no such object") means
    the object is gone; ``errors`` is the product's table.
    """
    if own_object and code in gone:
        return ErrorClass.NOT_FOUND
    known = errors.get(code)
    if known is not None:
        return known
    if http_status == 429:
        return ErrorClass.THROTTLED
    if http_status >= 500:
        return ErrorClass.TRANSIENT
    return ErrorClass.UNKNOWN


def _find_code(body: Mapping[str, Any]) -> tuple[str, str] | None:
    # The pairs the official SDK's DefaultExceptionHandler looks for, in its
    # order, then the same search one level down ({"error": {...}} shapes).
    for code_key, msg_key in (
        ("error_code", "error_msg"),
        ("errorCode", "errorMsg"),
        ("code", "message"),
    ):
        if code_key in body and msg_key in body:
            return str(body[code_key]), str(body[msg_key])
    for value in body.values():
        if isinstance(value, Mapping) and (found := _find_code(value)) is not None:
            return found
    return None


def parse_huawei_error(http_status: int, content: bytes) -> tuple[str, str, str | None]:
    """(code, message, body request id) of an error answer.

    Handles NAT's ``{"error_code", "error_msg"}``, the API gateway's shape
    with ``request_id``, nested ``{"error": {"code", "message"}}`` and bodies
    that are not JSON at all; like the SDK, a body without a code yields the
    HTTP status as the code.
    """
    text = content.decode("utf-8", errors="replace")
    try:
        parsed = json.loads(text) if text.strip() else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        request_id = parsed.get("request_id")
        found = _find_code(parsed)
        if found is not None:
            code, message = found
            return (
                bounded(code, MAX_CODE),
                bounded(message),
                bounded(str(request_id), MAX_CODE) if request_id else None,
            )
        return str(http_status), f"HTTP {http_status} without an error code", None
    return str(http_status), non_json_message(http_status, content), None


def _retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date; None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


#: A query filter's value: a list repeats its key.
FilterValue = str | int | bool | Sequence[str | int]


def query_pairs(filters: Mapping[str, FilterValue | None]) -> list[tuple[str, str]]:
    # The SDK sends list filters in "multi" format (the key repeated) and
    # booleans as true/false; None means "not given".
    pairs: list[tuple[str, str]] = []
    for key, value in filters.items():
        if value is None:
            continue
        values: Iterable[str | int | bool]
        values = value if isinstance(value, Sequence) and not isinstance(value, str) else [value]
        for item in values:
            pairs.append((key, str(item).lower() if isinstance(item, bool) else str(item)))
    return pairs


#: A call's place in its rate limiter's queue, by its method.
_METHOD_PRIORITY = {
    "DELETE": Priority.DELETE,
    "POST": Priority.CREATE,
    "PUT": Priority.UPDATE,
}


class HuaweiClient:
    """Signed calls to one Huawei Cloud API at one endpoint and project.

    A product's client (its provider's ``client`` module) subclasses this with
    its paths and passes its error table and its "no such object" codes.
    """

    #: for messages and logs: the product called
    product = "Huawei Cloud"
    #: the product's error table (the API gateway's codes included)
    errors: Mapping[str, ErrorClass] = APIG_ERRORS
    #: the product's codes that, on a path naming our own object, mean it is gone
    gone_codes: frozenset[str] = frozenset()

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        endpoint: str,
        project_id: str,
        credentials: HuaweiCredentials | HuaweiCredentialSource,
        rate_limiter: RateLimiter | None = None,
        observer: CallObserver | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """``observer`` is told of every call (:mod:`cloudnet.clouds.observe`)."""
        self._http = http
        self._endpoint = endpoint.rstrip("/")
        self._project_id = project_id
        self._source: HuaweiCredentialSource = (
            StaticHuaweiCredentials(credentials)
            if isinstance(credentials, HuaweiCredentials)
            else credentials
        )
        self._rate_limiter = rate_limiter
        self._observer = observer
        self._clock = clock

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(endpoint={self._endpoint!r}, project_id={self._project_id!r})"
        )

    def _path(self, version: str, *segments: str) -> str:
        # Path parameters are quoted with safe='' like the SDK's _parse_path_params.
        return f"/{version}/" + "/".join(quote(s, safe="") for s in (self._project_id, *segments))

    # --- transport, signing, errors ----------------------------------------

    def _headers(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        host: str,
        body: bytes,
        creds: HuaweiCredentials,
    ) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "X-Project-Id": self._project_id}
        if creds.token is not None:
            headers["X-Auth-Token"] = creds.token.get_secret_value()
            return headers
        assert (
            creds.access_key is not None and creds.secret_key is not None
        )  # the validator ensures it
        if creds.security_token is not None:
            headers["X-Security-Token"] = creds.security_token.get_secret_value()
        headers["Host"] = host
        headers["X-Sdk-Date"] = self._clock().astimezone(UTC).strftime(HUAWEI_DATE_FORMAT)
        headers["Authorization"] = huawei_authorization(
            method=method,
            path=path,
            query=query,
            headers=headers,
            body=body,
            access_key=creds.access_key,
            secret_key=creds.secret_key.get_secret_value(),
        )
        return headers

    async def _call(
        self,
        method: str,
        path: str,
        *,
        query: list[tuple[str, str]] | None = None,
        body: Mapping[str, Any] | None = None,
        own_object: bool = False,
        action: str = "",
    ) -> CloudResponse:
        """One signed call; ``action`` is the API reference's name of it, for metrics and logs."""
        action = action or f"{method} {path}"
        creds = await self._source.credentials()
        try:
            return await self._send(method, path, creds, query, body, own_object, action)
        except CloudError as error:
            # An expired token was refused by the gateway before anything ran: with a
            # fresh one (IAM password credentials) the same request is safe to send again.
            if error.code not in TOKEN_EXPIRED_CODES or not self._source.expired(creds):
                raise
        return await self._send(
            method, path, await self._source.credentials(), query, body, own_object, action
        )

    async def _send(
        self,
        method: str,
        path: str,
        creds: HuaweiCredentials,
        query: list[tuple[str, str]] | None,
        body: Mapping[str, Any] | None,
        own_object: bool,
        action: str,
    ) -> CloudResponse:
        query = query or []
        content = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        # The URL carries the canonical query string itself (as the SDK's
        # Signer.process_request_uri does), so what is signed is what is sent.
        canonical_query = huawei_canonical_query(query)
        url = httpx.URL(self._endpoint + path + (f"?{canonical_query}" if canonical_query else ""))
        # Sign the path as it goes on the wire, including any endpoint prefix.
        wire_path = url.raw_path.split(b"?", 1)[0].decode("ascii")
        headers = self._headers(
            method, wire_path, query, url.netloc.decode("ascii"), content, creds
        )
        waited = 0.0
        limiter = self._rate_limiter
        if limiter is not None:
            before = time.monotonic()
            await limiter.acquire(_METHOD_PRIORITY.get(method, Priority.READ))
            waited = time.monotonic() - before
        sent = time.monotonic()

        def record(code: str, error_class: str = "", request_id: str | None = None) -> None:
            notify(
                self._observer,
                CallRecord(
                    action=action,
                    code=code,
                    error_class=error_class,
                    seconds=time.monotonic() - sent,
                    waited=waited,
                    endpoint=self._endpoint,
                    request_id=request_id,
                ),
            )

        try:
            # Never follow a redirect, whatever the shared client is set to:
            # a 3xx is answered as an error (module docstring).
            response = await self._http.request(
                method, url, headers=headers, content=content or None, follow_redirects=False
            )
        except httpx.TransportError as exc:
            record(NO_ANSWER_CODE, ErrorClass.TRANSIENT.value)
            logger.debug(
                "huawei %s %s: %s", method, path, type(exc).__name__, extra={"cloud_action": action}
            )
            raise CloudTransportError(
                f"{self.product} {method} {path}: {type(exc).__name__}: "
                f"{creds.redact(str(exc)) or 'no answer'}"
            ) from exc
        request_id = response.headers.get("X-Request-Id")
        logger.debug(
            "huawei %s %s -> %d (request id %s)",
            method,
            path,
            response.status_code,
            request_id,
            extra={"cloud_action": action, "cloud_request_id": request_id},
        )
        try:
            if not response.is_success and response.status_code < 400:
                raise redirect_error(response, request_id=request_id, redact=creds.redact)
            if not response.is_success:
                failure = self._error(
                    response, request_id=request_id, own_object=own_object, creds=creds
                )
                if limiter is not None:
                    if failure.error_class is ErrorClass.THROTTLED:
                        limiter.throttled(failure.retry_after)
                    else:
                        limiter.succeeded()
                raise failure
            parsed = json_object(response, request_id=request_id)
        except CloudError as error:
            record(error.code, error.error_class.value, error.request_id)
            raise
        if limiter is not None:
            limiter.succeeded()
        record(OK_CODE, request_id=request_id)
        return CloudResponse(status=response.status_code, body=parsed, request_id=request_id)

    def _error(
        self,
        response: httpx.Response,
        *,
        request_id: str | None,
        own_object: bool,
        creds: HuaweiCredentials,
    ) -> CloudError:
        code, message, body_request_id = parse_huawei_error(response.status_code, response.content)
        return CloudError(
            code=code,
            message=creds.redact(message),
            error_class=classify_huawei_error(
                code,
                response.status_code,
                own_object=own_object,
                errors=self.errors,
                gone=self.gone_codes,
            ),
            http_status=response.status_code,
            request_id=request_id or body_request_id,
            retry_after=_retry_after(response.headers.get("Retry-After"), self._clock()),
        )
