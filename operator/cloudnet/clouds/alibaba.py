"""Alibaba Cloud RPC client (ENS, SAG, ECS): async, signed, with one error table per API.

Why hand-written: the official Tea SDK (``alibabacloud-tea-openapi``) owns its
HTTP stack and retries on its own, so it cannot take the
``httpx.AsyncClient`` that tests point at the simulator, and its retries would
hide throttling from our rate limiter. The wire format follows the SDK's
RPC paths (``Client.do_request`` for v3, ``Client.do_rpcrequest`` for v1):

* **v3** (ACS3-HMAC-SHA256, the SDK's default): ``POST /`` with every RPC
  parameter in the query string and an empty body; Action and Version travel
  only in the ``x-acs-action`` / ``x-acs-version`` headers, next to ``host``,
  ``x-acs-date``, ``x-acs-signature-nonce``, ``x-acs-content-sha256`` (of the
  empty body) and ``Authorization``, which signs all of those headers.
* **v1** (HMAC-SHA1, ``Config(signature_algorithm='v2')``): also ``POST /``
  with an empty body; the ENS SDK puts every parameter in the query (as
  captured in tests/core/test_alibaba_client.py) and adds Action,
  ``Format=json`` (lowercase, as the SDK sends it), Version, Timestamp,
  SignatureNonce, SignatureMethod, SignatureVersion, AccessKeyId and finally
  Signature to that same query.
  Like the SDK it also sends ``x-acs-action`` / ``x-acs-version`` headers,
  which v1 does not sign.

Parameters are flattened as the SDK's ``Utils.query`` does (lists as
``Name.1``, ``Name.2``; objects as ``Name.Key``; ``None`` dropped), except
that booleans go out as ``true``/``false`` (the API references' spelling;
the Python SDK would send ``True``). The query string on the wire is the
canonical one (``quote(v, safe='~')``), so what is signed is what is sent.

Every call returns an :class:`AlibabaResponse` or raises
:class:`~cloudnet.clouds.errors.CloudError` classified by
:func:`classify_alibaba_error` against the caller's table
(each Alibaba provider's ``errors`` module), or
:class:`~cloudnet.clouds.errors.CloudTransportError` when no answer came.

Error classification (:func:`classify_alibaba_error`), in this order:

1. On a call that names our own object (``own_object=True``; by default
   :meth:`AlibabaRpcClient.call` assumes it for ``Modify*`` and ``Delete*``
   actions, which act on an existing object named by its id, and for our
   providers that object is always the managed one), a code of
   :data:`OWN_OBJECT_NOT_FOUND_CODES` (ENS ``InvalidParameter.DnatNotFound``)
   means our object is gone: ``NotFound``. Elsewhere it stays
   ``DependencyNotFound``.
2. The exact code in the table; never a prefix. Every table starts from
   :data:`GATEWAY_ERRORS`, the POP gateway's codes common to every RPC API
   (signatures, clock skew, nonces, keys, throttling, unknown action or
   version); none of them is ``InvalidSpec``. The ENS references document their
   parameter errors as templates (``Missing%s``, ``Invalid%s``,
   ``InvalidParameter.%s``); the ENS table holds them filled in with
   each parameter the spec sends, so
   ``InvalidIpProtocol`` is an exact entry, not a guess from a prefix.
3. A code no table lists is ``Unknown``: retried with capped backoff and
   named in the status, never permanent. Only the status of a throttle or a
   server fault says more: 429 → ``Throttled``, 5xx → ``Transient``. No
   other status is read: Alibaba answers nearly everything with 400 (and
   SAG its parameter errors with 403, DescribeDnatEntries), so a status is no verdict.

Only 2xx is success. A 3xx (the client never follows redirects: a signed
request is answered where it was sent, or not at all) raises
:data:`UNEXPECTED_REDIRECT_CODE`, ``Unknown``, naming the status and the
Location without its query.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Literal, Protocol
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

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
from cloudnet.clouds.signing import ALIBABA_V1_METHOD, acs3_authorization, alibaba_v1_signature

__all__ = [
    "ALIBABA_DATE_FORMAT",
    "GATEWAY_ERRORS",
    "INVALID_RESPONSE_CODE",
    "OWN_OBJECT_NOT_FOUND_CODES",
    "TOKEN_EXPIRED_CODES",
    "UNEXPECTED_REDIRECT_CODE",
    "AlibabaCredentialSource",
    "AlibabaCredentials",
    "AlibabaResponse",
    "AlibabaRpcClient",
    "ParamValue",
    "StaticCredentials",
    "classify_alibaba_error",
    "flatten_params",
    "parse_alibaba_error",
    "per_call_errors",
]

logger = logging.getLogger(__name__)

#: Timestamp (v1) and x-acs-date (v3) format, always UTC: the SDK's Utils.get_timestamp.
ALIBABA_DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_REDACTED = "**********"

# The POP gateway's codes, with the HTTP status and the public page each row
# comes from (the same codes come back from every Alibaba RPC product):
#   [A1] https://help.aliyun.com/en/document_detail/434846.html
#        (OpenAPI error codes, "Client-side errors"; in Chinese, with the
#        Throttling.* rows: https://help.aliyun.com/document_detail/48054.html)
#   [A2] https://developer.aliyun.com/ask/278265 (管控 OpenAPI 客户端公用错误码)
#   [A3] https://help.aliyun.com/document_detail/53438.html (公共错误码; read as
#        reproduced in a third-party constant list, not from the page itself)
#   [A4] https://help.aliyun.com/en/polardb/client-error-codes (client error codes)
#   [A5] https://github.com/aliyun/darabonba-openapi/blob/master/golang/client/client.go
#        (the official SDK core raises ThrottlingError for exactly these three codes)
#   [A6] https://help.aliyun.com/zh/api-gateway/traditional-api-gateway/support/control-openapi-error-code-table
#        (server errors: "建议重试", retry)
#   [A7] https://help.aliyun.com/zh/xgip/developer-reference/api-error-codes-1
#        (SecurityToken malformed / expired: 400)
#   [CA] the Alibaba RPC error format (JSON body with Code, Message, RequestId)
#: The POP gateway in front of every Alibaba RPC product, shared by all tables;
#: a product table may override a code where its call's specification says otherwise (SAG's
#: InternalError comes with 403). None of these is InvalidSpec: the gateway
#: judged the request's signature, clock, key, rate or endpoint, never the spec.
GATEWAY_ERRORS: Mapping[str, ErrorClass] = MappingProxyType(
    {
        # --- throttling, in every spelling the gateway uses: retry soon ---
        "Throttling": ErrorClass.THROTTLED,  # 400 [A4][A5][CA] (newer gateways 429)
        "Throttling.User": ErrorClass.THROTTLED,  # 400 per-account flow control [A1][A5]
        "Throttling.Api": ErrorClass.THROTTLED,  # 400 per-API flow control [A1][A5]
        # --- server faults: retry soon ---
        "ServiceUnavailable": ErrorClass.TRANSIENT,  # 503 [A6][CA]
        "InternalError": ErrorClass.TRANSIENT,  # 500 [A6][CA]
        "UnknownError": ErrorClass.TRANSIENT,  # 500, the SDK retries it [A3][CA]
        # --- clock and replay: the next request (new date, new nonce) may pass ---
        # More than 15 minutes between Timestamp / x-acs-date and the gateway's
        # clock: our host's clock, never the spec; it heals when NTP does.
        "InvalidTimeStamp.Expired": ErrorClass.TRANSIENT,  # 400 [A1][A2]
        "InvalidTimeStamp.Format": ErrorClass.TRANSIENT,  # 400 [A1][A2]
        # A nonce seen before within the window: every retry carries a fresh one.
        "SignatureNonceUsed": ErrorClass.TRANSIENT,  # 400 [A1][A2]
        # --- signature and key: only new credentials (or a fixed signer) help ---
        "IncompleteSignature": ErrorClass.AUTH_FAILED,  # 400 [A3][A4]
        "SignatureDoesNotMatch": ErrorClass.AUTH_FAILED,  # 400 wrong secret [A1][CA]
        "InvalidSignatureMethod": ErrorClass.AUTH_FAILED,  # 400 [A2][A3]
        # Missing{ParameterName} [A1] for the signing parameters themselves: the
        # client sends them on every request, so their absence is no spec error.
        "MissingAccessKeyId": ErrorClass.AUTH_FAILED,  # 400 [A1]
        "MissingTimestamp": ErrorClass.AUTH_FAILED,  # 400 [A1]
        "MissingSignatureNonce": ErrorClass.AUTH_FAILED,  # 400 [A1]
        "InvalidAccessKeyId.NotFound": ErrorClass.AUTH_FAILED,  # 404 unknown key [A2][A4][CA]
        "InvalidAccessKeyId.Inactive": ErrorClass.AUTH_FAILED,  # 400 key disabled [A2][A3]
        "Forbidden.AccessKeyDisabled": ErrorClass.AUTH_FAILED,  # key disabled [A3]
        "MissingSecurityToken": ErrorClass.AUTH_FAILED,  # STS key without its token [A3]
        "InvalidSecurityToken.Expired": ErrorClass.AUTH_FAILED,  # 400 [A3][A7]
        "InvalidSecurityToken.Malformed": ErrorClass.AUTH_FAILED,  # 400 [A3][A7]
        "InvalidSecurityToken.MismatchWithAccessKey": ErrorClass.AUTH_FAILED,  # [A3]
        # --- the account may not ---
        "Forbidden.RAM": ErrorClass.AUTH_FAILED,  # 403 RAM user lacks the action [A4][CA]
        "Forbidden.RiskControl": ErrorClass.AUTH_FAILED,  # 403 risk control [A4]
        # --- wrong endpoint, product, action or version ---
        # The gateway found nothing to hand the request to: the ProviderConfig's
        # endpoint (or this operator's API version) is wrong, not the spec.
        # Like Huawei's APIGW.0101 these are AuthFailed: a verdict that nothing
        # was written, retried with capped backoff until the ProviderConfig changes.
        "InvalidProduct.NotFound": ErrorClass.AUTH_FAILED,  # 404 no product at the domain [A1]
        "InvalidApi.NotFound": ErrorClass.AUTH_FAILED,  # 404 [A1]
        "InvalidProtocol.NeedSsl": ErrorClass.AUTH_FAILED,  # 404 HTTPS only, http:// sent [A1]
        # *unconfirmed* (no public table lists them; the simulator models them):
        # the answers for an action or a version the product does not have.
        "InvalidAction.NotFound": ErrorClass.AUTH_FAILED,  # 404
        "InvalidVersion": ErrorClass.AUTH_FAILED,  # 400
    }
)

#: Our own code (not Alibaba's) for a 3xx answer: redirects are never followed,
#: since a signed request is meant for the host it was signed for.


def per_call_errors(
    product: Mapping[str, ErrorClass], calls: Mapping[str, Sequence[str]]
) -> Mapping[str, Mapping[str, ErrorClass]]:
    """Per call: the gateway's codes and the named codes its reference lists, as the
    product table classes them (one class per code across a product's calls)."""
    return MappingProxyType(
        {
            call: MappingProxyType({**GATEWAY_ERRORS, **{c: product[c] for c in codes}})
            for call, codes in calls.items()
        }
    )


#: Codes that, on a call naming our own object, mean that object is gone.
OWN_OBJECT_NOT_FOUND_CODES = frozenset({"InvalidParameter.DnatNotFound"})

#: RPC verbs whose call names an existing object by id: the managed one, for our providers.
_OWN_OBJECT_VERBS = ("Modify", "Delete")

#: An action's place in its rate limiter's queue, by its verb; anything else is a read.
_VERB_PRIORITY = (
    (("Delete", "Remove", "Release"), Priority.DELETE),
    (("Create", "Add", "Allocate"), Priority.CREATE),
    (("Modify", "Update", "Set", "Attach", "Detach", "Assign", "Unassign"), Priority.UPDATE),
)


def action_priority(action: str) -> Priority:
    """Deletes before creates before updates before reads (Describe*, List*)."""
    for verbs, priority in _VERB_PRIORITY:
        if action.startswith(verbs):
            return priority
    return Priority.READ


#: A value :meth:`AlibabaRpcClient.call` can flatten into RPC parameters.
ParamValue = str | int | bool | Sequence["ParamValue"] | Mapping[str, "ParamValue"] | None


class AlibabaCredentials(BaseModel):
    """An AccessKey pair, or an STS triple; secrets are SecretStr, so repr and logs hide them.

    ``security_token`` makes the pair temporary (STS): it is sent as the
    ``SecurityToken`` parameter (v1) or the ``x-acs-security-token`` header
    (v3), signed like everything else, as the official SDK does.
    ``expiration`` (epoch seconds) is known only for credentials this
    operator obtained itself (RRSA); the cloud is the judge for the others.
    """

    model_config = ConfigDict(frozen=True)

    access_key_id: str
    access_key_secret: SecretStr
    security_token: SecretStr | None = None
    expiration: float | None = None

    @field_validator("access_key_id", "access_key_secret", "security_token")
    @classmethod
    def _not_empty(cls, value: str | SecretStr | None) -> str | SecretStr | None:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if value is not None and not raw:
            raise ValueError("must not be empty")
        return value

    @classmethod
    def from_secret_data(cls, data: Mapping[str, str]) -> AlibabaCredentials:
        """From a Secret: ``accessKeyId`` + ``accessKeySecret``, and ``securityToken`` for STS."""
        try:
            token = data.get("securityToken")
            return cls(
                access_key_id=data["accessKeyId"],
                access_key_secret=SecretStr(data["accessKeySecret"]),
                security_token=SecretStr(token) if token is not None else None,
            )
        except KeyError as exc:
            raise ValueError("credentials need accessKeyId and accessKeySecret") from exc

    def redact(self, text: str) -> str:
        """``text`` with the secret and the token blanked, for messages that echo request data."""
        for secret in (self.access_key_secret, self.security_token):
            if secret is not None and (value := secret.get_secret_value()):
                text = text.replace(value, _REDACTED)
        return text


class AlibabaCredentialSource(Protocol):
    """Where a client takes its credentials from before each request (RRSA refreshes them)."""

    async def credentials(self) -> AlibabaCredentials:
        """Credentials valid for at least the next request."""
        ...

    def expired(self, used: AlibabaCredentials) -> bool:
        """The cloud said ``used`` has expired; True if asking again may yield newer ones."""
        ...


class StaticCredentials:
    """Credentials from a Secret: they change only when the Secret does."""

    def __init__(self, credentials: AlibabaCredentials) -> None:
        self._credentials = credentials

    def __repr__(self) -> str:
        return f"StaticCredentials({self._credentials.access_key_id!r})"

    async def credentials(self) -> AlibabaCredentials:
        return self._credentials

    def expired(self, used: AlibabaCredentials) -> bool:
        return False


#: Codes that say the security token has expired: a refreshing source is asked again
#: and the request re-sent once (the gateway refused it, so nothing was written).
TOKEN_EXPIRED_CODES = frozenset({"InvalidSecurityToken.Expired"})


@dataclass(frozen=True, slots=True)
class AlibabaResponse:
    """A successful answer: parsed JSON object ({} when empty), its RequestId, HTTP status."""

    body: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None
    status: int = 200


def classify_alibaba_error(
    table: Mapping[str, ErrorClass], code: str, status: int, *, own_object: bool = False
) -> ErrorClass:
    """The retry class of an error; the order of the rules is in the module docstring.

    ``own_object`` says the call names our own object (modify, delete,
    describe by id), where a "no such entry" code means it is gone.
    """
    if own_object and code in OWN_OBJECT_NOT_FOUND_CODES:
        return ErrorClass.NOT_FOUND
    known = table.get(code)
    if known is not None:
        return known
    if status == 429:
        return ErrorClass.THROTTLED
    if status >= 500:
        return ErrorClass.TRANSIENT
    return ErrorClass.UNKNOWN


def parse_alibaba_error(status: int, content: bytes) -> tuple[str, str, str | None]:
    """(code, message, RequestId) of an error answer.

    Reads ``{"RequestId", "HostId", "Code", "Message", "Recommend"}`` (and the
    lowercase keys the SDK also accepts); a RAM denial's ``AccessDeniedDetail``
    adds the action and the kind of denial to the message. A body without a code, or one that
    is not JSON (a proxy's HTML page), yields the HTTP status as the code: a
    code no table lists (``Unknown``, or ``Throttled`` / ``Transient`` for a
    429 / 5xx).
    """
    text = content.decode("utf-8", errors="replace")
    try:
        parsed = json.loads(text) if text.strip() else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        code = parsed.get("Code") or parsed.get("code")
        message = parsed.get("Message") or parsed.get("message") or ""
        request_id = parsed.get("RequestId") or parsed.get("requestId")
        if code:
            return (
                bounded(str(code), MAX_CODE),
                bounded(str(message) + _denied_detail(parsed.get("AccessDeniedDetail"))),
                bounded(str(request_id), MAX_CODE) if request_id else None,
            )
        return (
            str(status),
            f"HTTP {status} without an error code",
            bounded(str(request_id), MAX_CODE) if request_id else None,
        )
    return str(status), non_json_message(status, content), None


#: AccessDeniedDetail fields a RAM denial names, in the order they help a user fix it;
#: EncodedDiagnosticMessage is left out (long, and only Alibaba can decode it).
_DENIED_FIELDS = ("AuthAction", "NoPermissionType", "PolicyType", "AuthPrincipalType")


def _denied_detail(detail: object) -> str:
    """`` (AuthAction ecs:X, NoPermissionType ...)`` of a RAM denial, so status names the action."""
    if not isinstance(detail, dict):
        return ""
    parts = [f"{name} {detail[name]}" for name in _DENIED_FIELDS if detail.get(name)]
    return f" ({', '.join(parts)})" if parts else ""


def _retry_after(value: str | None) -> float | None:
    """Seconds from ``x-acs-retry-after`` (milliseconds); like the SDK, only a positive int."""
    if not value:
        return None
    try:
        millis = int(value.strip())
    except ValueError:
        return None
    return millis / 1000 if millis > 0 else None


def flatten_params(params: Mapping[str, ParamValue]) -> dict[str, str]:
    """RPC parameters as the SDK's ``Utils.query`` sends them, booleans as true/false.

    Lists become ``Name.1``, ``Name.2`` (ECS ``SecurityGroupId.N``), objects
    ``Name.Key``; ``None`` anywhere means "not given" and is dropped.
    """
    out: dict[str, str] = {}

    def add(key: str, value: ParamValue) -> None:
        if value is None:
            return
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, str | int):
            out[key] = str(value)
        elif isinstance(value, Mapping):
            for sub, item in value.items():
                add(f"{key}.{sub}", item)
        else:
            for index, item in enumerate(value, start=1):
                add(f"{key}.{index}", item)

    for name, value in params.items():
        add(name, value)
    return out


def _wire_query(query: Mapping[str, str]) -> str:
    # Sorted and RFC 3986-encoded, keys included: the same bytes the v3
    # canonical query signs (keys are plain ASCII names there) and a form
    # every server decodes to the signed values.
    return "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in sorted(query.items()))


class AlibabaRpcClient:
    """RPC calls (Action + Version) to one Alibaba product endpoint with one AccessKey."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        endpoint: str,
        credentials: AlibabaCredentials | AlibabaCredentialSource,
        version: str,
        signature: Literal["v1", "v3"] = "v3",
        errors: Mapping[str, ErrorClass] = GATEWAY_ERRORS,
        rate_limiter: RateLimiter | None = None,
        observer: CallObserver | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        nonce: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        """``endpoint`` is a URL or a bare host (``ens.aliyuncs.com``, then HTTPS).

        ``observer`` is told of every call (:mod:`cloudnet.clouds.observe`).

        ``errors`` is the product's table (its provider's ``errors`` module; the
        gateway's codes alone by default): one client talks to one product.

        ``clock`` and ``nonce`` are seams for tests; every request needs a
        fresh nonce, since the cloud rejects a replayed one.
        """
        if signature not in ("v1", "v3"):
            raise ValueError("signature must be 'v1' or 'v3'")
        if "://" not in endpoint:
            endpoint = "https://" + endpoint
        self._http = http
        self._endpoint = endpoint.rstrip("/")
        self._source: AlibabaCredentialSource = (
            StaticCredentials(credentials)
            if isinstance(credentials, AlibabaCredentials)
            else credentials
        )
        self._version = version
        self._signature = signature
        self._errors = errors
        self._rate_limiter = rate_limiter
        self._observer = observer
        self._clock = clock
        self._nonce = nonce

    def __repr__(self) -> str:
        return (
            f"AlibabaRpcClient(endpoint={self._endpoint!r}, version={self._version!r}, "
            f"signature={self._signature!r})"
        )

    async def call(
        self,
        action: str,
        params: Mapping[str, ParamValue],
        *,
        own_object: bool | None = None,
    ) -> AlibabaResponse:
        """Call ``action`` with ``params`` (``None`` values are left out).

        ``own_object`` marks a call that names our own object, where a "no such
        entry" code raises ``NotFound``; ``None`` means "a ``Modify*`` or
        ``Delete*`` action" (module docstring, rule 1).
        """
        if own_object is None:
            own_object = action.startswith(_OWN_OBJECT_VERBS)
        creds = await self._source.credentials()
        try:
            return await self._send(action, params, creds, own_object=own_object)
        except CloudError as error:
            # An expired token was refused before anything ran: with newer
            # credentials (RRSA refreshes them) the same request is safe to send again.
            if error.code not in TOKEN_EXPIRED_CODES or not self._source.expired(creds):
                raise
        return await self._send(
            action, params, await self._source.credentials(), own_object=own_object
        )

    async def _send(
        self,
        action: str,
        params: Mapping[str, ParamValue],
        creds: AlibabaCredentials,
        *,
        own_object: bool,
    ) -> AlibabaResponse:
        query = flatten_params(params)
        timestamp = self._clock().astimezone(UTC).strftime(ALIBABA_DATE_FORMAT)
        nonce = self._nonce()
        secret = creds.access_key_secret.get_secret_value()
        token = creds.security_token.get_secret_value() if creds.security_token else None
        headers: dict[str, str] = {"x-acs-action": action, "x-acs-version": self._version}
        if self._signature == "v1":
            if token:
                query["SecurityToken"] = token  # signed with the rest (the SDK's do_rpcrequest)
            query.update(
                {
                    "Action": action,
                    "Format": "json",
                    "Version": self._version,
                    "Timestamp": timestamp,
                    "SignatureNonce": nonce,
                    "SignatureMethod": ALIBABA_V1_METHOD,
                    "SignatureVersion": "1.0",
                    "AccessKeyId": creds.access_key_id,
                }
            )
            query["Signature"] = alibaba_v1_signature(query, "POST", secret)
        url = httpx.URL(self._endpoint + "/" + (f"?{_wire_query(query)}" if query else ""))
        if self._signature == "v3":
            headers.update(
                {
                    "host": url.netloc.decode("ascii"),
                    "x-acs-date": timestamp,
                    "x-acs-signature-nonce": nonce,
                    "x-acs-content-sha256": _EMPTY_SHA256,
                }
            )
            if token:
                # Both signed, like every header here (the SDK's do_request).
                headers["x-acs-accesskey-id"] = creds.access_key_id
                headers["x-acs-security-token"] = token
            headers["Authorization"] = acs3_authorization(
                method="POST",
                # Sign the path as it goes on the wire, including any endpoint prefix.
                path=url.raw_path.split(b"?", 1)[0].decode("ascii"),
                query=query,
                headers=headers,
                payload_sha256=_EMPTY_SHA256,
                access_key=creds.access_key_id,
                secret=secret,
            )
        waited = 0.0
        if self._rate_limiter is not None:
            before = time.monotonic()
            await self._rate_limiter.acquire(action_priority(action))
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
            response = await self._http.post(url, headers=headers, follow_redirects=False)
        except httpx.TransportError as exc:
            record(NO_ANSWER_CODE, ErrorClass.TRANSIENT.value)
            logger.debug(
                "alibaba %s: %s", action, type(exc).__name__, extra={"cloud_action": action}
            )
            raise CloudTransportError(
                f"Alibaba {action}: {type(exc).__name__}: {creds.redact(str(exc)) or 'no answer'}"
            ) from exc
        header_request_id = response.headers.get("x-acs-request-id")
        try:
            if not response.is_success and response.status_code < 400:
                raise redirect_error(response, request_id=header_request_id, redact=creds.redact)
            if not response.is_success:
                failure = self._error(
                    response, own_object=own_object, request_id=header_request_id, creds=creds
                )
                self._pace(failure)
                raise failure
            body = json_object(response, request_id=header_request_id)
        except CloudError as error:
            record(error.code, error.error_class.value, error.request_id)
            logger.debug(
                "alibaba %s -> %d %s (request id %s)",
                action,
                response.status_code,
                error.code,
                error.request_id,
                extra={"cloud_action": action, "cloud_request_id": error.request_id},
            )
            raise
        self._pace(None)
        request_id = body.get("RequestId") or header_request_id
        record(OK_CODE, request_id=str(request_id) if request_id else None)
        logger.debug(
            "alibaba %s -> %d (request id %s)",
            action,
            response.status_code,
            request_id,
            extra={"cloud_action": action, "cloud_request_id": request_id},
        )
        return AlibabaResponse(
            body=body,
            request_id=str(request_id) if request_id else None,
            status=response.status_code,
        )

    def _pace(self, error: CloudError | None) -> None:
        """Tell the rate limiter how the call went: a throttle slows it, anything else not."""
        if self._rate_limiter is None:
            return
        if error is not None and error.error_class is ErrorClass.THROTTLED:
            self._rate_limiter.throttled(error.retry_after)
        else:
            self._rate_limiter.succeeded()

    def _error(
        self,
        response: httpx.Response,
        *,
        own_object: bool,
        request_id: str | None,
        creds: AlibabaCredentials,
    ) -> CloudError:
        code, message, body_request_id = parse_alibaba_error(response.status_code, response.content)
        return CloudError(
            code=code,
            message=creds.redact(message),
            error_class=classify_alibaba_error(
                self._errors, code, response.status_code, own_object=own_object
            ),
            http_status=response.status_code,
            request_id=body_request_id or request_id,
            retry_after=_retry_after(response.headers.get("x-acs-retry-after")),
        )


def credentials_for(
    source: str, secret: Mapping[str, str], rrsa: Callable[[], AlibabaCredentialSource]
) -> AlibabaCredentials | AlibabaCredentialSource:
    """A ProviderConfig's credentials: the pod's RRSA session, or the Secret's keys."""
    return rrsa() if source == "RRSA" else AlibabaCredentials.from_secret_data(secret)
