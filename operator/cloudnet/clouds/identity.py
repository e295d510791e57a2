"""Short-lived credentials the operator obtains itself: Alibaba RRSA and Huawei IAM tokens.

**Alibaba RRSA.** ACK's RRSA mounts a service-account OIDC token into the
pod and sets ``ALIBABA_CLOUD_OIDC_TOKEN_FILE``, ``ALIBABA_CLOUD_ROLE_ARN`` and
``ALIBABA_CLOUD_OIDC_PROVIDER_ARN``. :class:`AlibabaOidcCredentials` trades
the token for STS credentials with an anonymous ``AssumeRoleWithOIDC``
(STS 2015-04-01), the same parameters ``alibabacloud-credentials``'
``OIDCRoleArnCredentialsProvider`` sends (checked in
tests/core/test_identity.py), caches them and fetches new ones once less
than :func:`refresh_margin` of their lifetime is left, re-reading the token
file each time (the kubelet rotates it).

Why not ``alibabacloud-credentials`` itself: its provider always calls
``https://<host>`` through its own HTTP stack (so neither our shared
``httpx.AsyncClient``, its endpoint checks, nor the http simulator can be
used), and its errors carry the STS answer's raw body, which must not reach
a status or a log. The call is one anonymous RPC request; the tests compare
its parameters with the SDK's.

**Huawei IAM.** :class:`HuaweiPasswordCredentials` gets a project-scoped
token with ``POST /v3/auth/tokens`` (password method), from the ``userName``
/ ``password`` / ``domainName`` of a Secret, and refreshes it the same way
(an IAM token lives 24 hours).

Both raise :class:`~cloudnet.clouds.errors.CloudError` (classified, the
message without any secret) or ``CloudTransportError``; the client calling
:meth:`credentials` passes that on like an answer of the API itself. A
source's ``expired`` drops the cached credentials when the cloud refused
them as expired (clocks differ), so the client's one retry gets new ones.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Generic, TypeVar

import httpx
from pydantic import SecretStr

from cloudnet.clouds.alibaba import (
    ALIBABA_DATE_FORMAT,
    GATEWAY_ERRORS,
    AlibabaCredentials,
    classify_alibaba_error,
    parse_alibaba_error,
)
from cloudnet.clouds.errors import CloudError, CloudTransportError, ErrorClass
from cloudnet.clouds.huawei import HuaweiCredentials, parse_huawei_error

__all__ = [
    "DEFAULT_STS_ENDPOINT",
    "IAM_ERRORS",
    "STS_ERRORS",
    "STS_VERSION",
    "AlibabaOidcCredentials",
    "HuaweiPasswordCredentials",
    "RrsaSettings",
    "huawei_iam_endpoint",
    "refresh_margin",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

STS_VERSION = "2015-04-01"
DEFAULT_STS_ENDPOINT = "https://sts.aliyuncs.com"
#: The SDK's default session length (and the RAM role's default maximum).
DEFAULT_DURATION = 3600
_REDACTED = "**********"

#: AssumeRoleWithOIDC's own codes (STS API reference, error codes of the call; *unconfirmed*
#: where the simulator models them, see sim/families/alibaba_sts/), over the POP gateway's.
STS_ERRORS: Mapping[str, ErrorClass] = MappingProxyType(
    {
        **GATEWAY_ERRORS,
        "MissingRoleArn": ErrorClass.AUTH_FAILED,
        "MissingOIDCProviderArn": ErrorClass.AUTH_FAILED,
        "MissingOIDCToken": ErrorClass.AUTH_FAILED,
        "InvalidParameter.RoleArn": ErrorClass.AUTH_FAILED,
        "InvalidParameter.OIDCProviderArn": ErrorClass.AUTH_FAILED,
        "InvalidParameter.DurationSeconds": ErrorClass.AUTH_FAILED,
        "AuthenticationFail.OIDCToken.Invalid": ErrorClass.AUTH_FAILED,
        # the kubelet writes a fresh token well before the old one expires: read it again soon
        "AuthenticationFail.OIDCToken.Expired": ErrorClass.TRANSIENT,
        "EntityNotExist.Role": ErrorClass.AUTH_FAILED,
        "EntityNotExist.OIDCProvider": ErrorClass.AUTH_FAILED,
    }
)

#: IAM's answers to a password token request (*unconfirmed* codes, see sim/families/huawei_iam/),
#: over the API gateway's (APIGW.0308 throttling and the like).
IAM_ERRORS: Mapping[str, ErrorClass] = MappingProxyType(
    {
        "IAM.0007": ErrorClass.AUTH_FAILED,  # 400 malformed auth body
        "IAM.0008": ErrorClass.AUTH_FAILED,  # 400 duration out of range
        "IAM.0101": ErrorClass.AUTH_FAILED,  # 401 wrong user, password or domain
        "IAM.0102": ErrorClass.AUTH_FAILED,  # 403 the user may not use the project
        "APIGW.0308": ErrorClass.THROTTLED,
        "APIG.0308": ErrorClass.THROTTLED,
    }
)


def _redact(text: str, secret: str) -> str:
    return text.replace(secret, _REDACTED) if secret else text


def refresh_margin(lifetime: float) -> float:
    """How long before expiry to refresh: a fifth of the lifetime, at least 3 minutes.

    Never more than half the lifetime, so a short session is still used.
    """
    return max(0.2 * lifetime, min(180.0, 0.5 * lifetime))


@dataclass(frozen=True)
class RrsaSettings:
    """What RRSA injects into the pod, plus the STS endpoint (an operator flag)."""

    role_arn: str
    oidc_provider_arn: str
    token_file: Path
    sts_endpoint: str = DEFAULT_STS_ENDPOINT
    session_name: str = "cloudnet-operator"
    duration: int = DEFAULT_DURATION

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, sts_endpoint: str | None = None
    ) -> RrsaSettings | None:
        """From RRSA's variables; None when the pod has no RRSA identity."""
        env = os.environ if environ is None else environ
        role, provider, token = (
            env.get("ALIBABA_CLOUD_ROLE_ARN"),
            env.get("ALIBABA_CLOUD_OIDC_PROVIDER_ARN"),
            env.get("ALIBABA_CLOUD_OIDC_TOKEN_FILE"),
        )
        if not (role and provider and token):
            return None
        endpoint = sts_endpoint or env.get("ALIBABA_CLOUD_STS_ENDPOINT")
        if not endpoint and (region := env.get("ALIBABA_CLOUD_STS_REGION")):
            endpoint = f"https://sts.{region}.aliyuncs.com"  # the SDK's regional spelling
        if endpoint and "://" not in endpoint:
            endpoint = "https://" + endpoint
        return cls(
            role_arn=role,
            oidc_provider_arn=provider,
            token_file=Path(token),
            sts_endpoint=(endpoint or DEFAULT_STS_ENDPOINT).rstrip("/"),
            session_name=env.get("ALIBABA_CLOUD_ROLE_SESSION_NAME") or "cloudnet-operator",
        )


@dataclass
class _Cached(Generic[T]):
    value: T | None = None
    expires: float = 0.0
    refresh_at: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class AlibabaOidcCredentials:
    """STS credentials for the pod's RRSA role, refreshed before they expire."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: RrsaSettings,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = http
        self.settings = settings
        self._clock = clock
        self._cache: _Cached[AlibabaCredentials] = _Cached()
        #: how many times STS was asked (for tests and logs)
        self.fetches = 0

    def __repr__(self) -> str:
        return f"AlibabaOidcCredentials(role_arn={self.settings.role_arn!r})"

    async def credentials(self) -> AlibabaCredentials:
        cache = self._cache
        if cache.value is not None and self._clock() < cache.refresh_at:
            return cache.value
        async with cache.lock:  # one STS call however many requests wait
            if cache.value is None or self._clock() >= cache.refresh_at:
                cache.value, cache.expires = await self._assume_role()
                lifetime = max(0.0, cache.expires - self._clock())
                cache.refresh_at = cache.expires - refresh_margin(lifetime)
            return cache.value

    def expired(self, used: AlibabaCredentials) -> bool:
        if self._cache.value is not None and (
            self._cache.value.access_key_id == used.access_key_id
        ):
            self._cache.refresh_at = 0.0
        return True

    async def _assume_role(self) -> tuple[AlibabaCredentials, float]:
        s = self.settings
        try:
            token = (await asyncio.to_thread(s.token_file.read_text)).strip()
        except OSError as exc:
            # Not a cloud answer; retried soon like one that did not come (the kubelet
            # may be writing the file). The path is configuration, never a secret.
            raise CloudTransportError(
                f"RRSA token file {s.token_file}: {type(exc).__name__}"
            ) from None
        form = {
            "Action": "AssumeRoleWithOIDC",
            "Format": "JSON",
            "Version": STS_VERSION,
            "DurationSeconds": str(s.duration),
            "RoleArn": s.role_arn,
            "OIDCProviderArn": s.oidc_provider_arn,
            "OIDCToken": token,
            "RoleSessionName": s.session_name,
            "Timestamp": dt.datetime.fromtimestamp(self._clock(), dt.UTC).strftime(
                ALIBABA_DATE_FORMAT
            ),
        }
        self.fetches += 1
        try:
            # A form body, not the query the SDK uses: the token stays out of URLs and logs.
            response = await self._http.post(
                s.sts_endpoint + "/", data=form, follow_redirects=False
            )
        except httpx.TransportError as exc:
            raise CloudTransportError(
                f"Alibaba STS AssumeRoleWithOIDC: {type(exc).__name__}"
            ) from None
        if response.status_code != 200:
            code, message, request_id = parse_alibaba_error(response.status_code, response.content)
            raise CloudError(
                code=code,
                message=f"AssumeRoleWithOIDC: {_redact(message, token)}",
                error_class=classify_alibaba_error(STS_ERRORS, code, response.status_code),
                http_status=response.status_code,
                request_id=request_id,
            )
        try:
            body = response.json()
            cred = body["Credentials"]
            expires = (
                dt.datetime.strptime(cred["Expiration"], ALIBABA_DATE_FORMAT)
                .replace(tzinfo=dt.UTC)
                .timestamp()
            )
            creds = AlibabaCredentials(
                access_key_id=cred["AccessKeyId"],
                access_key_secret=SecretStr(cred["AccessKeySecret"]),
                security_token=SecretStr(cred["SecurityToken"]),
                expiration=expires,
            )
        except (ValueError, KeyError, TypeError):
            raise CloudError(
                code="InvalidResponse",
                message="AssumeRoleWithOIDC answered without usable Credentials",
                error_class=ErrorClass.TRANSIENT,
                http_status=response.status_code,
            ) from None
        logger.info(
            "RRSA: STS credentials for %s until %s",
            s.role_arn,
            cred["Expiration"],
        )
        return creds, expires


def huawei_iam_endpoint(region: str, override: str | None = None) -> str:
    """The IAM endpoint: the flag, ``HUAWEICLOUD_SDK_IAM_ENDPOINT`` (the SDK's), or the region's."""
    endpoint = override or os.environ.get("HUAWEICLOUD_SDK_IAM_ENDPOINT")
    if not endpoint:
        return f"https://iam.{region}.myhuaweicloud.com"
    return (endpoint if "://" in endpoint else "https://" + endpoint).rstrip("/")


def _iam_time(value: str) -> float:
    """IAM's ``expires_at`` (``2026-01-04T09:05:22.701000Z``) as epoch seconds."""
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


class HuaweiPasswordCredentials:
    """A project-scoped IAM token from an IAM user's password, refreshed before it expires."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        iam_endpoint: str,
        user: str,
        password: str,
        domain: str,
        project_id: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not (user and password and domain):
            raise ValueError("IAM password credentials need userName, password and domainName")
        self._http = http
        self._endpoint = iam_endpoint.rstrip("/")
        self._user = user
        self._password = SecretStr(password)
        self._domain = domain
        self._project_id = project_id
        self._clock = clock
        self._cache: _Cached[HuaweiCredentials] = _Cached()
        self.fetches = 0

    def __repr__(self) -> str:
        return f"HuaweiPasswordCredentials(user={self._user!r}, endpoint={self._endpoint!r})"

    @classmethod
    def wanted(cls, data: Mapping[str, str]) -> bool:
        """Whether a Secret's data asks for IAM password credentials."""
        return "userName" in data or "password" in data

    async def credentials(self) -> HuaweiCredentials:
        cache = self._cache
        if cache.value is not None and self._clock() < cache.refresh_at:
            return cache.value
        async with cache.lock:
            if cache.value is None or self._clock() >= cache.refresh_at:
                cache.value, cache.expires = await self._token()
                lifetime = max(0.0, cache.expires - self._clock())
                cache.refresh_at = cache.expires - refresh_margin(lifetime)
            return cache.value

    def expired(self, used: HuaweiCredentials) -> bool:
        if self._cache.value is used:
            self._cache.refresh_at = 0.0
        return True

    async def _token(self) -> tuple[HuaweiCredentials, float]:
        password = self._password.get_secret_value()
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": self._user,
                            "password": password,
                            "domain": {"name": self._domain},
                        }
                    },
                },
                "scope": {"project": {"id": self._project_id}},
            }
        }
        self.fetches += 1
        try:
            response = await self._http.post(
                self._endpoint + "/v3/auth/tokens",
                content=json.dumps(body).encode(),
                headers={"Content-Type": "application/json;charset=utf8"},
                follow_redirects=False,
            )
        except httpx.TransportError as exc:
            raise CloudTransportError(f"Huawei IAM token: {type(exc).__name__}") from None
        request_id = response.headers.get("X-Request-Id")
        if response.status_code != 201:
            code, message, body_request_id = parse_huawei_error(
                response.status_code, response.content
            )
            known = IAM_ERRORS.get(code)
            error_class = known or (
                ErrorClass.THROTTLED
                if response.status_code == 429
                else ErrorClass.TRANSIENT
                if response.status_code >= 500
                else ErrorClass.UNKNOWN
            )
            raise CloudError(
                code=code,
                message=f"IAM token: {_redact(message, password)}",
                error_class=error_class,
                http_status=response.status_code,
                request_id=request_id or body_request_id,
            )
        token = response.headers.get("X-Subject-Token", "")
        try:
            expires = _iam_time(response.json()["token"]["expires_at"])
            creds = HuaweiCredentials.from_token(token)
        except (ValueError, KeyError, TypeError):
            raise CloudError(
                code="InvalidResponse",
                message="IAM answered without a usable token",
                error_class=ErrorClass.TRANSIENT,
                http_status=response.status_code,
                request_id=request_id,
            ) from None
        logger.info("Huawei IAM: token for %s until %s", self._user, expires)
        return creds, expires
