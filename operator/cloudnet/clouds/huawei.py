"""Huawei Cloud NAT Gateway v2 client for DNAT rules: async, signed, with one error table.

Why hand-written: the official ``huaweicloudsdknat`` is synchronous (its
"async" client runs requests on a thread pool) and owns its HTTP stack, so it
cannot take the ``httpx.AsyncClient`` that tests point at the simulator. The
wire format follows that SDK: the same paths, JSON envelopes, query encoding
(list filters repeat their key, booleans are ``true``/``false``), and the
headers ``BasicCredentials.sign_request`` adds (``X-Project-Id``, then the
signer's ``X-Sdk-Date`` and ``Host``).

Every call returns a :class:`CloudResponse` (parsed body and the
``X-Request-Id``) or raises :class:`~cloudnet.clouds.errors.CloudError`
classified by :data:`HUAWEI_NAT_ERRORS`, or
:class:`~cloudnet.clouds.errors.CloudTransportError` when no answer came.

Error classification (:func:`classify_huawei_error`), in this order:

1. On a path that names our own rule (show, update, delete), ``NAT.0319``
   ("No Dnat Rule exist with id ...", 404), NAT's own code for a missing
   DNAT rule, means the rule is gone (``NotFound``). No other answer does:
   a 404 of the API gateway (APIGW.0101 no such API, APIGW.0103 no backend),
   a 404 about something a PUT body names (NAT.0023 port, NAT.0024 EIP,
   NAT.0105 gateway), or a 404 without any code (a proxy's page) keeps its
   own class, since reading it as "rule gone" would release or recreate a
   rule that still exists.
2. The exact code in :data:`HUAWEI_NAT_ERRORS`; never a prefix. It holds
   the API Gateway's codes in both spellings Huawei answers with
   (``APIGW.0301`` from the shared gateway, ``APIG.0301`` from newer ones);
   none of them is ``InvalidSpec``.
3. A code nobody listed is ``Unknown``: retried with capped backoff and
   named in the status, never permanent. Only the status of a throttle or a
   server fault says more: 429 → ``Throttled``, 5xx → ``Transient``; no
   other status is read (NAT answers 400 both for a bad port and for a
   gateway in use, so a status is no verdict on the spec).

Only 2xx is success. A 3xx (the client never follows redirects: a signed
request is answered where it was sent, or not at all) raises
:data:`UNEXPECTED_REDIRECT_CODE`, ``Unknown``, naming the status and the
Location without its query.

Quota: a public gateway holds at most 200 DNAT rules; a create beyond that
is NAT.0309, a ``Conflict`` that frees up when another rule goes.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
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
    "DNAT_RULE_LIST_FILTERS",
    "HUAWEI_NAT_ERRORS",
    "INVALID_RESPONSE_CODE",
    "RULE_NOT_FOUND_CODE",
    "TOKEN_EXPIRED_CODES",
    "UNEXPECTED_REDIRECT_CODE",
    "CloudResponse",
    "HuaweiCredentialSource",
    "HuaweiCredentials",
    "HuaweiNatClient",
    "StaticHuaweiCredentials",
    "classify_huawei_error",
    "parse_huawei_error",
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
_APIG_ERRORS: dict[str, ErrorClass] = {
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

# NAT Gateway v2 codes, with their HTTP status, from:
#   [N1] "Error Codes", NAT Gateway API reference
#        (https://support.huaweicloud.com/intl/en-us/api-natgateway/ErrorCode.html)
#   [N2] "Error Code Description v2" (nat_api_0039.html): NAT.0013 is the gateway's router
#   [N3] the same "Error Codes" page as mirrored for the same service by its
#        T-Systems edition (opentelekomcloud-docs/nat-gateway, error_codes.rst), for
#        the DNAT-module rows (NAT.03xx, NAT.04xx) the Huawei page shows only in part
#   [N4] "Error Code Description v2.0" (nat_api_0040.html): VPC.xxxx of the shared
#        Neutron layer (project mismatch, policy refusals)
#: The one table: exact Huawei error code → retry class;
#: :func:`classify_huawei_error` adds the own-rule rule (NAT.0319) and the unknown-code rule.
HUAWEI_NAT_ERRORS: Mapping[str, ErrorClass] = MappingProxyType(
    {
        # --- NAT Gateway, common module ---
        "NAT.0001": ErrorClass.INVALID_SPEC,  # 400 invalid created_at timestamp [N1]
        "NAT.0002": ErrorClass.INVALID_SPEC,  # 400 invalid parameters [N1]
        "NAT.0004": ErrorClass.DEPENDENCY_NOT_FOUND,  # 404 router does not exist [N1]
        "NAT.0005": ErrorClass.DEPENDENCY_NOT_FOUND,  # 404 network does not exist [N1]
        "NAT.0006": ErrorClass.CONFLICT,  # 400 rules not deleted yet (gateway delete) [N1]
        "NAT.0007": ErrorClass.TRANSIENT,  # 400 "DB Error": a server fault despite the 400 [N1]
        "NAT.0009": ErrorClass.CONFLICT,  # 400 resource in use by another [N1]
        "NAT.0013": ErrorClass.DEPENDENCY_NOT_FOUND,  # 404 the gateway's router is missing [N2]
        "NAT.0014": ErrorClass.INVALID_SPEC,  # 400 description longer than 255 [N1]
        # 404 tenant_id other than the authenticated one: credentials, never "rule gone" [N3]
        "NAT.0020": ErrorClass.AUTH_FAILED,
        "NAT.0021": ErrorClass.DEPENDENCY_NOT_FOUND,  # 404 nat_gateway_id not a valid id [N3]
        "NAT.0023": ErrorClass.DEPENDENCY_NOT_FOUND,  # 404 port_id not found [N3]
        "NAT.0024": ErrorClass.DEPENDENCY_NOT_FOUND,  # 404 floating_ip_id not found [N3]
        "NAT.0025": ErrorClass.AUTH_FAILED,  # 401 token expired [N1]
        "NAT.0026": ErrorClass.DEPENDENCY_NOT_FOUND,  # 400 floating IP not found [N3]
        # --- NAT Gateway, gateway module ---
        "NAT.0102": ErrorClass.TRANSIENT,  # 400 "the system is busy, try again later" [N3]
        "NAT.0103": ErrorClass.CONFLICT,  # 400 gateway not ACTIVE: it settles or a human acts [N3]
        "NAT.0104": ErrorClass.CONFLICT,  # 400 gateway not UP (frozen, e.g. arrears) [N3]
        "NAT.0105": ErrorClass.DEPENDENCY_NOT_FOUND,  # 404 (400 on delete) gateway unknown [N1]
        "NAT.0106": ErrorClass.TRANSIENT,  # 400 concurrent conflicting requests on a gateway [N3]
        "NAT.0109": ErrorClass.INVALID_SPEC,  # 400 the gateway does not support IPv6 [N3]
        # --- NAT Gateway, DNAT rule module [N3] ---
        "NAT.0301": ErrorClass.INVALID_SPEC,  # 400 port range / missing field / protocol shape
        "NAT.0302": ErrorClass.INVALID_SPEC,  # 400 protocol not supported
        "NAT.0303": ErrorClass.INVALID_SPEC,  # 400 invalid port value
        # 400 port_id/private_ip + internal port + protocol taken by another rule
        "NAT.0304": ErrorClass.CONFLICT,
        # 400 floating IP + external port + protocol taken: the unique key is held
        "NAT.0305": ErrorClass.CONFLICT,
        "NAT.0306": ErrorClass.INVALID_SPEC,  # 400 all-port rule needs 0/0 and protocol any
        "NAT.0307": ErrorClass.CONFLICT,  # 400 port_id already has (all-port) rules
        "NAT.0308": ErrorClass.CONFLICT,  # 400 private_ip already has (all-port) rules [N1]
        "NAT.0309": ErrorClass.CONFLICT,  # 400 the gateway's DNAT rule limit (200) reached
        "NAT.0310": ErrorClass.INVALID_SPEC,  # 400 neither port_id nor private_ip
        "NAT.0311": ErrorClass.INVALID_SPEC,  # 400 private IP address not legal
        "NAT.0312": ErrorClass.INVALID_SPEC,  # 400 a virtual IP address is not supported
        "NAT.0313": ErrorClass.CONFLICT,  # 400 the floating IP's DNAT rule limit reached
        "NAT.0315": ErrorClass.INVALID_SPEC,  # 400 port_id is not a valid port
        "NAT.0317": ErrorClass.INVALID_SPEC,  # 400 port_id and private_ip both given
        "NAT.0318": ErrorClass.CONFLICT,  # 400 the rule is frozen, cannot be updated
        # 404 no DNAT rule with that id; on our own rule's path: NotFound (docstring rule 1)
        "NAT.0319": ErrorClass.DEPENDENCY_NOT_FOUND,
        # --- NAT Gateway, floating IP module [N3] ---
        "NAT.0401": ErrorClass.CONFLICT,  # 400 floating IP frozen
        "NAT.0402": ErrorClass.CONFLICT,  # 400 floating IP associated with a port
        "NAT.0404": ErrorClass.CONFLICT,  # 400 floating IP used by another NAT gateway
        "NAT.0405": ErrorClass.CONFLICT,  # 400 floating IP occupied
        "NAT.0407": ErrorClass.CONFLICT,  # 400 floating IP used by other rules
        "NAT.0408": ErrorClass.CONFLICT,  # 400 floating IP with both DNAT and all-port rules
        "NAT.0409": ErrorClass.CONFLICT,  # 400 floating IP with SNAT and an all-port rule
        "NAT.0410": ErrorClass.INVALID_SPEC,  # 400 invalid floating IP value
        # --- NAT Gateway, server faults [N1] ---
        "NAT.1001": ErrorClass.TRANSIENT,  # 500 internal server error
        # --- the shared network layer's credential and policy codes [N1][N4] ---
        "VPC.0007": ErrorClass.AUTH_FAILED,  # 400 the URL's project is not the token's
        "VPC.0008": ErrorClass.AUTH_FAILED,  # 401 invalid token in the header
        "VPC.0009": ErrorClass.AUTH_FAILED,  # 401 real-name authentication failed
        "VPC.0010": ErrorClass.AUTH_FAILED,  # 403 disallowed by policy
        "VPC.2201": ErrorClass.AUTH_FAILED,  # 403 the IAM policy does not allow the action
        "VPC.2701": ErrorClass.AUTH_FAILED,  # 403 token not allowed (or account frozen)
        # --- API Gateway (APIG) in front of every Huawei API ---
        **_APIG_ERRORS,
        **{code.replace("APIGW.", "APIG.", 1): cls for code, cls in _APIG_ERRORS.items()},
    }
)

#: NAT's own code for "no DNAT rule with that id": the only answer that means our rule is gone.
RULE_NOT_FOUND_CODE = "NAT.0319"

#: Query filters of ListNatGatewayDnatRulesRequest (huaweicloudsdknat v2), paging excluded.
DNAT_RULE_LIST_FILTERS = frozenset(
    {
        "admin_state_up",
        "created_at",
        "description",
        "external_service_port",
        "floating_ip_address",
        "floating_ip_id",
        "global_eip_address",
        "global_eip_id",
        "id",
        "internal_service_port",
        "nat_gateway_id",
        "port_id",
        "private_ip",
        "protocol",
        "status",
    }
)

#: Default page size of :meth:`HuaweiNatClient.list_dnat_rules`: the API's largest
#: (limit 1-2000), so a gateway (quota 200 rules, raisable) is one call. 200 made a
#: full gateway two calls (a full page, then an empty one). A server that silently
#: caps the page would end the paging early; that cannot duplicate anything: gone is
#: said only by a read by id, and the unique key refuses a second create.
DEFAULT_PAGE_SIZE = 2000


#: Our own code (not Huawei's) for a 3xx answer: redirects are never followed,
#: since a signed request is meant for the host it was signed for.

FilterValue = str | int | bool | Sequence[str | int]


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


def classify_huawei_error(code: str, http_status: int, *, own_object: bool = False) -> ErrorClass:
    """The retry class of an error; the order of the rules is in the module docstring.

    ``own_object`` says the request path names our own rule (show, update,
    delete), where NAT.0319 means the rule is gone.
    """
    if own_object and code == RULE_NOT_FOUND_CODE:
        return ErrorClass.NOT_FOUND
    known = HUAWEI_NAT_ERRORS.get(code)
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


def _query_pairs(filters: Mapping[str, FilterValue | None]) -> list[tuple[str, str]]:
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


class HuaweiNatClient:
    """NAT Gateway v2 DNAT-rule calls against one endpoint and project."""

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
        return f"HuaweiNatClient(endpoint={self._endpoint!r}, project_id={self._project_id!r})"

    def _path(self, *segments: str) -> str:
        # Path parameters are quoted with safe='' like the SDK's _parse_path_params.
        return "/v2/" + "/".join(quote(s, safe="") for s in (self._project_id, *segments))

    # --- DNAT rules ------------------------------------------------------

    async def create_dnat_rule(self, rule: Mapping[str, Any]) -> CloudResponse:
        """POST /v2/{project_id}/dnat_rules; answers 201 with ``{"dnat_rule": {...}}``."""
        return await self._call(
            "POST",
            self._path("dnat_rules"),
            body={"dnat_rule": dict(rule)},
            action="CreateNatGatewayDnatRule",
        )

    async def show_dnat_rule(self, rule_id: str) -> CloudResponse:
        """GET /v2/{project_id}/dnat_rules/{id}; a vanished rule raises NotFound."""
        return await self._call(
            "GET",
            self._path("dnat_rules", rule_id),
            own_object=True,
            action="ShowNatGatewayDnatRule",
        )

    async def update_dnat_rule(self, rule_id: str, changes: Mapping[str, Any]) -> CloudResponse:
        """PUT /v2/{project_id}/dnat_rules/{id} with ``{"dnat_rule": changes}``."""
        return await self._call(
            "PUT",
            self._path("dnat_rules", rule_id),
            body={"dnat_rule": dict(changes)},
            own_object=True,
            action="UpdateNatGatewayDnatRule",
        )

    async def delete_dnat_rule(self, nat_gateway_id: str, rule_id: str) -> CloudResponse:
        """DELETE /v2/{project_id}/nat_gateways/{gw}/dnat_rules/{id}; answers 204."""
        return await self._call(
            "DELETE",
            self._path("nat_gateways", nat_gateway_id, "dnat_rules", rule_id),
            own_object=True,
            action="DeleteNatGatewayDnatRule",
        )

    async def list_dnat_rules_page(
        self, *, limit: int = DEFAULT_PAGE_SIZE, marker: str | None = None, **filters: FilterValue
    ) -> CloudResponse:
        """One page of GET /v2/{project_id}/dnat_rules; the body is ``{"dnat_rules": [...]}``."""
        unknown = set(filters) - DNAT_RULE_LIST_FILTERS
        if unknown:
            raise TypeError(f"unknown DNAT rule filters: {sorted(unknown)}")
        query = _query_pairs({"limit": limit, "marker": marker or None, **filters})
        return await self._call(
            "GET", self._path("dnat_rules"), query=query, action="ListNatGatewayDnatRules"
        )

    async def list_dnat_rules(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, **filters: FilterValue
    ) -> AsyncIterator[dict[str, Any]]:
        """Every matching rule, page by page: ``marker`` is the last id of the previous page.

        The v2 list answer carries no next-page hint, so paging stops at the
        first page shorter than ``page_size`` (or when the marker would not
        advance, so a server that ignores ``marker`` cannot loop us forever).
        """
        if page_size < 1:
            raise ValueError("page_size must be positive")
        marker: str | None = None
        while True:
            page = await self.list_dnat_rules_page(limit=page_size, marker=marker, **filters)
            rules = page.body.get("dnat_rules") or []
            for rule in rules:
                yield rule
            if len(rules) < page_size:
                return
            last = rules[-1].get("id")
            if not last or last == marker:
                return
            marker = str(last)

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
                f"Huawei NAT {method} {path}: {type(exc).__name__}: "
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
            error_class=classify_huawei_error(code, response.status_code, own_object=own_object),
            http_status=response.status_code,
            request_id=request_id or body_request_id,
            retry_after=_retry_after(response.headers.get("Retry-After"), self._clock()),
        )
