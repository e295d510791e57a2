"""Alibaba Cloud's POP gateway for RPC-style APIs on ``/``: dispatch, signatures, errors,
throttling, RAM.

Every Alibaba product the simulator serves (a family under ``sim/families/``:
ENS 2017-11-10, SAG 2018-03-13, ECS 2014-05-26, STS 2015-04-01) is an
:class:`RpcProduct` subclass: a product code, an API version, a host id and a
table of actions. Products share one :class:`AlibabaGateway` per store (the
POP gateway in front of every Alibaba API: access keys, nonces, error
bodies), and each product is an ``ApiFamily`` of its own in
``Simulator.families``, so the request log and fault rules name it
(``alibaba-ens``). :class:`UnknownRpc`, this gateway's fallback and so tried
after every family, claims what no product claimed on ``/`` and answers like
the gateway does for an unknown version or action. The gateway owns the
Alibaba credentials of the inventory (``credentials.alibaba``: access keys,
OIDC roles, the keys STS issued) and its settings.

Dispatch: a request with an ``ACS3-HMAC-SHA256``
Authorization is routed by its ``x-acs-action`` / ``x-acs-version`` headers
(the official SDK sends Action and Version nowhere else); otherwise by the
``Action`` / ``Version`` parameters of a v1 request. RPC parameters are the
query merged with an ``application/x-www-form-urlencoded`` body (the form
wins), so both the SDK (everything in the query) and form-posting clients
work. Unknown parameters are ignored, as Alibaba's gateway ignores them.

Authentication, in this order, each with the POP gateway's code and status
(the public tables cited in ``cloudnet.clouds.alibaba.GATEWAY_ERRORS``):

====================================  ======  ==============================================
MissingAccessKeyId                    400     neither an ACS3 Authorization nor AccessKeyId
IncompleteSignature                   400     unparsable Authorization; v1 without Signature
                                              or with a version other than 1.0; ACS3 leaving
                                              an x-acs-* header unsigned
InvalidSignatureMethod                400     v1 SignatureMethod other than HMAC-SHA1
InvalidAccessKeyId.NotFound           404     unknown AccessKeyId / Credential
MissingTimestamp / MissingSignature-  400     v1 Timestamp / SignatureNonce, ACS3 x-acs-date /
Nonce                                         x-acs-signature-nonce missing
InvalidTimeStamp.Format               400     not ``yyyy-mm-ddThh:mm:ssZ``
InvalidTimeStamp.Expired              400     more than ``alibaba_max_clock_skew`` (15 min) off
SignatureDoesNotMatch                 400     recomputed signature differs (v1: HMAC-SHA1 over
                                              every parameter; ACS3: over the signed headers,
                                              and x-acs-content-sha256 must hash the body)
SignatureNonceUsed                    400     the nonce of a valid request was seen within the
                                              skew window (replay)
====================================  ======  ==============================================

STS keys (issued by ``AssumeRoleWithOIDC``, the ``alibaba_sts`` family) also
need their token, checked right after the key is found (v1: the
``SecurityToken`` parameter; ACS3: the ``x-acs-security-token`` header, which
must be signed with ``x-acs-accesskey-id``): ``MissingSecurityToken`` (400)
without it, ``InvalidSecurityToken.MismatchWithAccessKey`` (400) with
another key's token (or any token with a long-lived key),
``InvalidSecurityToken.Malformed`` (400) with one STS never issued,
``InvalidSecurityToken.Expired`` (400) once the key's Expiration has passed.

Then dispatch errors (after authentication, so an unsigned probe learns
nothing): ``MissingAction`` (400), ``InvalidVersion`` (400) for a version no
product serves, ``InvalidAction.NotFound`` (404) for an action the product
lacks. RAM: a key whose ``products`` omit the product, or a ``read_only`` key
on a write action, gets ``NoPermission`` (``RpcProduct.no_permission_status``:
400 for ENS, as its CreateForwardEntry and ModifyForwardEntry references give
it). Throttling has Alibaba's three scopes (``_RpcFamilyBase.throttle``):
``Throttling`` per endpoint, ``Throttling.Api`` per product, API and region,
``Throttling.User`` per account, product, API and region; each answers 400
with ``x-acs-retry-after`` in milliseconds, which the SDK turns into a
ThrottlingException.

Bodies: errors are ``{RequestId, HostId, Code, Message, Recommend}`` (``HostId``
the host the request named); every
success body carries ``RequestId``: the request log's hex id spelled as an
upper-case UUID like Alibaba's (``alibaba_request_id``), also sent in the
``x-acs-request-id`` and ``X-Request-Id`` headers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qsl

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cloudnet.clouds.signing import (
    ACS3_ALGORITHM,
    ALIBABA_V1_METHOD,
    acs3_signature,
    alibaba_v1_signature,
    parse_acs3_authorization,
)
from cloudnet.sim.core import Call, CallContext, Principal, SimError, Strict, TokenBuckets
from cloudnet.sim.family import Gateway, Section
from cloudnet.sim.state import Store

#: Timestamp (v1) and x-acs-date (ACS3): ISO 8601 UTC to the second
ALIBABA_DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
THROTTLING = "Throttling"
THROTTLING_API = "Throttling.Api"
THROTTLING_USER = "Throttling.User"
NO_PERMISSION = "NoPermission"

#: ACS3 headers that must be signed: leaving one out would let a replay change it
_ACS3_MUST_SIGN = (
    "x-acs-action",
    "x-acs-version",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-content-sha256",
)
#: ... and with an STS key, its id and token (the SDK signs both; a replay may not swap them)
_ACS3_TOKEN_HEADERS = ("x-acs-accesskey-id", "x-acs-security-token")
_FORM = "application/x-www-form-urlencoded"

Access = Literal["read", "write"]
RpcHandler = Callable[[CallContext], Awaitable[Response]]


class PopSettings(Strict):
    """The gateway's knobs; ``throttle_rate`` / ``throttle_burst`` (the shared pipeline's) are
    Alibaba's "user flow control": per account, product, API and region (Throttling.User)."""

    #: Alibaba "API flow control": one bucket per product, API and region shared by every
    #: account (Throttling.Api); 0 = off
    alibaba_api_throttle_rate: float = Field(default=0.0, ge=0)
    alibaba_api_throttle_burst: int = Field(default=100, ge=1)
    #: Alibaba's gateway protecting one endpoint from concentrated calls, every API and account
    #: together (Throttling); 0 = off
    alibaba_endpoint_throttle_rate: float = Field(default=0.0, ge=0)
    alibaba_endpoint_throttle_burst: int = Field(default=200, ge=1)
    #: accepted |Timestamp or x-acs-date - now| in seconds (Alibaba's POP gateway: 15 minutes)
    alibaba_max_clock_skew: float = Field(default=900.0, ge=0)


class AlibabaAccessKey(Strict):
    """An AccessKey pair (v1 and ACS3 signatures), with the RAM permissions it carries.

    ``products`` lists the RAM service codes (``ens``, ``smartag``, ``ecs``) the
    key's policy allows; None allows every product. ``read_only`` keys may call
    Describe* only (a ReadOnlyAccess policy). Denied calls answer ``NoPermission``.
    """

    name: str = ""
    access_key_id: str
    access_key_secret: str
    #: the Alibaba Cloud account (UID) owning the key: user flow control counts per account,
    #: so two keys of one account share it; empty = an account of its own
    account: str = ""
    #: a disabled key (RAM console "Disable") answers InvalidAccessKeyId.Inactive
    enabled: bool = True
    products: list[str] | None = None
    read_only: bool = False
    #: STS credentials (issued by AssumeRoleWithOIDC) carry their token and expiry
    security_token: str | None = None
    expiration: float | None = None


class AlibabaOidcRole(Strict):
    """A RAM role that trusts an OIDC provider (RRSA): AssumeRoleWithOIDC may assume it.

    The temporary keys it yields carry the role's ``products`` / ``read_only``.
    """

    role_arn: str
    oidc_provider_arn: str
    products: list[str] | None = None
    read_only: bool = False
    #: the role's MaxSessionDuration (RAM: 3600 unless raised, up to 43200)
    max_session_duration: int = Field(default=3600, ge=1)


class AlibabaCredentials(Strict):
    access_keys: list[AlibabaAccessKey] = Field(default_factory=list)
    oidc_roles: list[AlibabaOidcRole] = Field(default_factory=list)
    #: temporary keys STS issued (kept, with the state file, until they expire)
    sts_keys: list[AlibabaAccessKey] = Field(default_factory=list)


def alibaba_request_id(request_id: str) -> str:
    """The simulator's hex request id spelled like Alibaba's (``473469C7-AA6F-...``)."""
    try:
        return str(uuid.UUID(hex=request_id)).upper()
    except ValueError:
        return request_id


def rpc_error(code: str, message: str, *, status: int = 400) -> SimError:
    return SimError(status, code, message)


def missing(param: str) -> SimError:
    """``Missing<Param>`` (ENS references' ``Missing%s``): a required parameter absent or empty."""
    return SimError(400, f"Missing{param}", f"You must specify the parameter {param}.")


def invalid(param: str, detail: str = "") -> SimError:
    """``Invalid<Param>`` (ENS references' ``Invalid%s``): a value of the wrong form."""
    message = f"The specified parameter {param} is invalid."
    return SimError(400, f"Invalid{param}", f"{message} {detail}".strip())


def invalid_field(field: str, detail: str = "") -> SimError:
    """``InvalidParameter.<Field>`` (ENS references' ``InvalidParameter.%s``): wrong in context."""
    message = f"The specified field {field} invalid. Please check it again."
    return SimError(400, f"InvalidParameter.{field}", f"{message} {detail}".strip())


def rpc_params(request: Request, body: bytes) -> dict[str, str]:
    """The RPC parameters: the query, overlaid by a form-encoded body."""
    params = dict(parse_qsl(request.url.query, keep_blank_values=True))
    content_type = request.headers.get("content-type", "")
    if body and content_type.split(";")[0].strip().lower() == _FORM:
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def _cached_body(request: Request) -> bytes:
    """The request body, which the server reads before routing (``Simulator.handle``).

    ``route`` is synchronous, yet a v1 form post carries Action and Version in
    the body; Starlette keeps the body it has read on the request.
    """
    body = getattr(request, "_body", b"")
    return body if isinstance(body, bytes) else b""


def _is_acs3(request: Request) -> bool:
    return request.headers.get("authorization", "").startswith(ACS3_ALGORITHM + " ")


def _action_and_version(request: Request, params: Mapping[str, str]) -> tuple[str, str]:
    if _is_acs3(request):
        return request.headers.get("x-acs-action", ""), request.headers.get("x-acs-version", "")
    action = params.get("Action") or request.headers.get("x-acs-action", "")
    version = params.get("Version") or request.headers.get("x-acs-version", "")
    return action, version


def _claims(request: Request) -> bool:
    """Alibaba RPC lives on ``/`` (Huawei's REST paths start with ``/v2/``)."""
    return request.url.path in ("/", "")


class AlibabaGateway:
    """What Alibaba's POP gateway does for every product: authenticate and remember nonces."""

    def __init__(self, store: Store) -> None:
        self.store = store
        #: (access key, nonce) -> epoch seconds after which the nonce may be forgotten
        self._nonces: dict[tuple[str, str], float] = {}

    @property
    def credentials(self) -> AlibabaCredentials:
        return self.store.section(AlibabaCredentials)

    @property
    def settings(self) -> PopSettings:
        return self.store.settings_of(PopSettings)

    def access_key(self, access_key_id: str) -> AlibabaAccessKey | None:
        """A long-lived key of the inventory or a temporary one STS issued (expired or not)."""
        creds = self.credentials
        for keys in (creds.access_keys, creds.sts_keys):
            found = next((k for k in keys if k.access_key_id == access_key_id), None)
            if found is not None:
                return found
        return None

    def authenticate(self, request: Request, body: bytes, now: float) -> Principal:
        """The caller of a v1 or ACS3 request, or raise SimError with the gateway's code."""
        authorization = request.headers.get("authorization")
        if authorization is not None and authorization.startswith(ACS3_ALGORITHM):
            return self._acs3(request, body, authorization, now)
        params = rpc_params(request, body)
        if "AccessKeyId" not in params:
            if authorization is not None:
                raise rpc_error("IncompleteSignature", "Unsupported Authorization header.")
            raise rpc_error("MissingAccessKeyId", "AccessKeyId is mandatory for this action.")
        return self._v1(request, params, now)

    # -- the two signature versions ----------------------------------------------------------

    def _v1(self, request: Request, params: Mapping[str, str], now: float) -> Principal:
        key = self._key(params["AccessKeyId"])
        self._check_token(key, params.get("SecurityToken"), now)
        signature = params.get("Signature")
        if not signature:
            raise rpc_error("IncompleteSignature", "The request signature is missing.")
        if params.get("SignatureMethod", ALIBABA_V1_METHOD) != ALIBABA_V1_METHOD:
            raise rpc_error(
                "InvalidSignatureMethod",
                f"Specified signature method is not valid: SignatureMethod must be"
                f" {ALIBABA_V1_METHOD} for signature version 1.0.",
            )
        if params.get("SignatureVersion", "1.0") != "1.0":
            raise rpc_error("IncompleteSignature", "SignatureVersion must be 1.0.")
        self._check_time(params.get("Timestamp"), "Timestamp", now)
        nonce = params.get("SignatureNonce") or ""
        if not nonce:
            raise missing("SignatureNonce")
        expected = alibaba_v1_signature(params, request.method, key.access_key_secret)
        if not hmac.compare_digest(expected, signature):
            raise _mismatch()
        self._use_nonce(key.access_key_id, nonce, now)
        return Principal(key=key.access_key_id, project_id="", method="aksk")

    def _acs3(self, request: Request, body: bytes, authorization: str, now: float) -> Principal:
        parsed = parse_acs3_authorization(authorization)
        if parsed is None:
            raise rpc_error(
                "IncompleteSignature",
                "The Authorization header is not ACS3-HMAC-SHA256 Credential=...,"
                "SignedHeaders=...,Signature=...",
            )
        access_key_id, signed_headers, signature = parsed
        key = self._key(access_key_id)
        token = request.headers.get("x-acs-security-token")
        self._check_token(key, token, now)
        must_sign = _ACS3_MUST_SIGN + (_ACS3_TOKEN_HEADERS if token is not None else ())
        unsigned = [h for h in must_sign if h not in signed_headers]
        if unsigned:
            raise rpc_error(
                "IncompleteSignature", f"Header(s) {', '.join(unsigned)} must be signed."
            )
        self._check_time(request.headers.get("x-acs-date"), "Timestamp", now)
        nonce = request.headers.get("x-acs-signature-nonce", "")
        if not nonce:
            raise missing("SignatureNonce")
        payload_sha256 = request.headers.get("x-acs-content-sha256", "")
        if not hmac.compare_digest(payload_sha256, hashlib.sha256(body).hexdigest()):
            raise _mismatch("x-acs-content-sha256 is not the SHA-256 of the body.")
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        expected = acs3_signature(
            method=request.method,
            path=raw_path.decode("latin-1"),
            query=dict(parse_qsl(request.url.query, keep_blank_values=True)),
            headers=dict(request.headers.items()),
            signed_headers=signed_headers,
            payload_sha256=payload_sha256,
            secret=key.access_key_secret,
        )
        if not hmac.compare_digest(expected, signature):
            raise _mismatch()
        self._use_nonce(key.access_key_id, nonce, now)
        return Principal(key=key.access_key_id, project_id="", method="aksk")

    # -- shared checks ----------------------------------------------------------------------

    def _key(self, access_key_id: str) -> AlibabaAccessKey:
        key = self.access_key(access_key_id)
        if key is None:
            raise rpc_error(
                "InvalidAccessKeyId.NotFound", "Specified access key is not found.", status=404
            )
        if not key.enabled:
            raise rpc_error("InvalidAccessKeyId.Inactive", "Specified access key is disabled.")
        return key

    def _check_token(self, key: AlibabaAccessKey, token: str | None, now: float) -> None:
        """An STS key needs its own, unexpired token; a long-lived key takes none."""
        if key.security_token is None:
            if token is not None:
                raise rpc_error(
                    "InvalidSecurityToken.MismatchWithAccessKey",
                    "The SecurityToken does not match the AccessKeyId.",
                )
            return
        if not token:
            raise rpc_error("MissingSecurityToken", "SecurityToken is mandatory for this key.")
        if not hmac.compare_digest(token, key.security_token):
            issued = any(
                hmac.compare_digest(token, k.security_token or "")
                for k in self.credentials.sts_keys
            )
            if issued:
                raise rpc_error(
                    "InvalidSecurityToken.MismatchWithAccessKey",
                    "The SecurityToken does not match the AccessKeyId.",
                )
            raise rpc_error("InvalidSecurityToken.Malformed", "The SecurityToken is malformed.")
        if key.expiration is not None and now >= key.expiration:
            raise rpc_error("InvalidSecurityToken.Expired", "The SecurityToken has expired.")

    def _check_time(self, value: str | None, name: str, now: float) -> None:
        if not value:
            raise missing(name)
        try:
            signed_at = dt.datetime.strptime(value, ALIBABA_DATE_FORMAT).replace(tzinfo=dt.UTC)
        except ValueError:
            raise rpc_error(
                "InvalidTimeStamp.Format",
                f"Specified time stamp or date value {value!r} is not well formatted"
                " (yyyy-mm-ddThh:mm:ssZ).",
            ) from None
        if abs(signed_at.timestamp() - now) > self.settings.alibaba_max_clock_skew:
            raise rpc_error(
                "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
            )

    def _use_nonce(self, access_key_id: str, nonce: str, now: float) -> None:
        """Remember a nonce for the skew window; a second use in it is a replay."""
        window = self.settings.alibaba_max_clock_skew
        if len(self._nonces) > 10_000:  # forget expired nonces now and then, not per request
            self._nonces = {k: t for k, t in self._nonces.items() if t > now}
        seen = self._nonces.get((access_key_id, nonce))
        if seen is not None and seen > now:
            raise rpc_error("SignatureNonceUsed", "Specified signature nonce was used already.")
        self._nonces[(access_key_id, nonce)] = now + 2 * window


def _mismatch(detail: str = "") -> SimError:
    message = "Specified signature is not matched with our calculation."
    return rpc_error("SignatureDoesNotMatch", f"{message} {detail}".strip())


def render_rpc_error(error: SimError, request_id: str, *, host_id: str, product: str) -> Response:
    """Alibaba's error body; throttling answers carry ``x-acs-retry-after`` (milliseconds)."""
    rid = alibaba_request_id(request_id)
    headers = {"X-Request-Id": rid, "x-acs-request-id": rid}
    if error.code.startswith(THROTTLING):
        wait = error.retry_after if error.retry_after is not None else 1.0
        headers["x-acs-retry-after"] = str(max(1, math.ceil(wait * 1000)))
    body = {
        "RequestId": rid,
        "HostId": host_id,
        "Code": error.code,
        "Message": error.message,
        "Recommend": (
            f"https://api.aliyun.com/troubleshoot?q={error.code}&product={product}&requestId={rid}"
        ),
        **error.detail,
    }
    return JSONResponse(body, status_code=error.status, headers=headers)


def rpc_response(ctx: CallContext, body: Mapping[str, Any] | None = None) -> Response:
    """A success answer: ``RequestId`` first, then the action's fields."""
    rid = alibaba_request_id(ctx.request_id)
    return JSONResponse(
        {"RequestId": rid, **(body or {})},
        headers={"X-Request-Id": rid, "x-acs-request-id": rid},
    )


@dataclass(frozen=True)
class RpcAction:
    """One action of a product: its handler and RAM access level."""

    handler: RpcHandler
    access: Access


class _RpcFamilyBase:
    """Routing-independent parts of an Alibaba family: auth, errors, throttling."""

    name: str
    host_id: ClassVar[str] = "aliyuncs.com"
    product_name: ClassVar[str] = ""

    def __init__(self, gateway: AlibabaGateway) -> None:
        self.gateway = gateway
        self.store = gateway.store

    async def authenticate(
        self, request: Request, body: bytes, call: Call, now: float
    ) -> Principal:
        return self.gateway.authenticate(request, body, now)

    def render_error(self, error: SimError, request_id: str, *, host: str) -> Response:
        return render_rpc_error(
            error, request_id, host_id=_host_id(host, self.host_id), product=self.product_name
        )

    def throttle(
        self, buckets: TokenBuckets, principal: Principal, call: Call, host: str
    ) -> SimError | None:
        """Alibaba's three flow controls, widest first, each with its own code (HTTP 400).

        The gateway guards one endpoint from concentrated calls (``Throttling``);
        each API has a quota per region shared by every account (``Throttling.Api``)
        and one per account (``Throttling.User``, the quota the console's API Rate
        Limits page shows). All three are ThrottlingError in the SDK core.
        """
        settings = self.gateway.settings
        core = self.store.settings
        scope = f"{self.name}:{call.action}:{call.params.get('RegionId', '')}"
        key = self.gateway.access_key(principal.key)
        account = (key.account if key is not None else "") or principal.key
        for bucket, rate, burst, code, message in (
            (
                f"endpoint:{host}",
                settings.alibaba_endpoint_throttle_rate,
                settings.alibaba_endpoint_throttle_burst,
                THROTTLING,
                "Request was denied due to request throttling.",
            ),
            (
                f"api:{scope}",
                settings.alibaba_api_throttle_rate,
                settings.alibaba_api_throttle_burst,
                THROTTLING_API,
                "Request was denied due to api flow control.",
            ),
            (
                f"user:{account}:{scope}",
                core.throttle_rate,
                core.throttle_burst,
                THROTTLING_USER,
                "Request was denied due to user flow control.",
            ),
        ):
            wait = buckets.take(bucket, rate=rate, burst=burst)
            if wait is not None:
                return SimError(400, code, message, retry_after=wait)
        return None


def _host_id(host: str, product_host: str) -> str:
    """``HostId`` names the Alibaba endpoint called (``ecs.cn-shenzhen.aliyuncs.com``).

    Reached by an address or a name of its own (a test, a port-forward), the
    simulator stands for the product's central endpoint.
    """
    return host if host.endswith(".aliyuncs.com") else product_host


class RpcProduct(_RpcFamilyBase):
    """An Alibaba product on ``/``: subclasses set the class vars and fill :attr:`actions`."""

    #: RAM service code (``ens``): what AlibabaAccessKey.products lists
    product: ClassVar[str]
    version: ClassVar[str]
    #: HTTP status of NoPermission (the product's API references fix it)
    no_permission_status: ClassVar[int] = 400

    def __init__(self, gateway: AlibabaGateway) -> None:
        super().__init__(gateway)
        self.actions: dict[str, RpcAction] = {}

    def route(self, request: Request) -> Call | None:
        if not _claims(request):
            return None
        params = rpc_params(request, _cached_body(request))
        action, version = _action_and_version(request, params)
        if version != self.version or not action:
            return None
        return Call(family=self, action=action, params=params, handler=self._run)

    async def _run(self, ctx: CallContext) -> Response:
        spec = self.actions.get(ctx.call.action)
        if spec is None:
            raise rpc_error(
                "InvalidAction.NotFound",
                "Specified api is not found, please check your url and method.",
                status=404,
            )
        key = self.gateway.access_key(ctx.principal.key)
        if key is not None and (
            (key.products is not None and self.product not in key.products)
            or (key.read_only and spec.access == "write")
        ):
            raise rpc_error(NO_PERMISSION, "Permission denied.", status=self.no_permission_status)
        return await spec.handler(ctx)


class UnknownRpc(_RpcFamilyBase):
    """Last family on ``/``: what no product claimed (no action, or a version nobody serves)."""

    name = "alibaba"

    def route(self, request: Request) -> Call | None:
        if not _claims(request):
            return None
        params = rpc_params(request, _cached_body(request))
        action, _ = _action_and_version(request, params)
        return Call(family=self, action=action, params=params, handler=self._run)

    async def _run(self, ctx: CallContext) -> Response:
        _, version = _action_and_version(ctx.request, ctx.call.params)
        if not ctx.call.action:
            raise missing("Action")
        if not version:
            raise missing("Version")
        raise rpc_error("InvalidVersion", "Specified parameter Version is not valid.")


GATEWAY = Gateway(
    name="alibaba_pop",
    defaults=resources.files("cloudnet.sim.gateways") / "alibaba_pop.inventory.yaml",
    sections=(Section(("credentials", "alibaba"), AlibabaCredentials),),
    settings=PopSettings,
    fallback=lambda store: UnknownRpc(store.shared(AlibabaGateway)),
)
