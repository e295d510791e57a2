"""Build providers from a ProviderConfig and its Secret, one HTTP client per endpoint.

Clients are cached by (provider, endpoint, project, credentials digest) so
that every resource of one account shares one connection pool and one rate
limiter, and a rotated Secret yields a new client. The digest is a SHA-256 of
the secret values: the values themselves are never kept in a key or logged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from cloudnet.api.provider_config import ProviderConfigSpec
from cloudnet.clouds.alibaba import (
    ECS_ERRORS,
    ENS_ERRORS,
    SAG_ERRORS,
    AlibabaCredentials,
    AlibabaRpcClient,
)
from cloudnet.clouds.errors import ErrorClass
from cloudnet.clouds.gate import GatedClient
from cloudnet.clouds.huawei import HuaweiCredentials, HuaweiCredentialSource, HuaweiNatClient
from cloudnet.clouds.identity import (
    AlibabaOidcCredentials,
    HuaweiPasswordCredentials,
    RrsaSettings,
    huawei_iam_endpoint,
)
from cloudnet.clouds.ratelimit import RateLimiterRegistry
from cloudnet.providers.alibaba_ecs import AlibabaEcsProvider
from cloudnet.providers.alibaba_ens import AlibabaEnsProvider
from cloudnet.providers.alibaba_sag import AlibabaSagProvider
from cloudnet.providers.huawei_nat import HuaweiNatProvider

#: Calls per second per endpoint: below every cloud's default API quota we know of.
DEFAULT_RATE = 20.0
DEFAULT_BURST = 20
#: Requests in flight (and connections) per endpoint. Enough for the default rate at
#: half a second per call; httpcore's CPU per request grows with the pool's size
#: (2,000 loopback calls: 4.5 ms of CPU each with 20 connections, 2.7 ms with 10).
MAX_CONNECTIONS = 10
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
ENS_VERSION = "2017-11-10"
SAG_VERSION = "2018-03-13"
ECS_VERSION = "2014-05-26"


#: Alibaba RPC providers: provider class, API version, error table.
ALIBABA: dict[str, tuple[Callable[[AlibabaRpcClient], Any], str, Mapping[str, ErrorClass]]] = {
    "alibaba-ens": (AlibabaEnsProvider, ENS_VERSION, ENS_ERRORS),
    "alibaba-sag": (AlibabaSagProvider, SAG_VERSION, SAG_ERRORS),
    "alibaba-ecs": (AlibabaEcsProvider, ECS_VERSION, ECS_ERRORS),
}


class UnsupportedProvider(Exception):
    """The ProviderConfig names a provider this build does not implement yet."""


def _digest(data: Mapping[str, str]) -> str:
    h = hashlib.sha256()
    for key in sorted(data):
        h.update(key.encode() + b"\0" + data[key].encode() + b"\0")
    return h.hexdigest()


class ProviderRegistry:
    """Long-lived: owns the HTTP clients; close it when the operator stops."""

    def __init__(
        self,
        *,
        rate: float = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        rrsa: RrsaSettings | None = None,
        huawei_iam_endpoint: str | None = None,
    ) -> None:
        """``rrsa``: the pod's RRSA identity (None: no ProviderConfig can use RRSA);
        ``huawei_iam_endpoint``: where IAM password credentials get their tokens
        (None: ``HUAWEICLOUD_SDK_IAM_ENDPOINT``, else the region's public IAM).
        Both are operator-wide on purpose: a namespace cannot send a password or
        the pod's OIDC token elsewhere."""
        self._limiters = RateLimiterRegistry(rate, burst)
        self._http: dict[str, httpx.AsyncClient] = {}
        self._providers: dict[tuple[str, ...], Any] = {}
        self._rrsa_settings = rrsa
        self._rrsa: AlibabaOidcCredentials | None = None
        self._iam_endpoint = huawei_iam_endpoint

    def rrsa(self) -> AlibabaOidcCredentials:
        """The one RRSA source of the operator: every RRSA ProviderConfig shares its session."""
        if self._rrsa_settings is None:
            raise ValueError(
                "credentialsSource RRSA needs the operator pod's RRSA identity "
                "(ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, "
                "ALIBABA_CLOUD_OIDC_TOKEN_FILE), and none is set"
            )
        if self._rrsa is None:
            endpoint = self._rrsa_settings.sts_endpoint
            self._rrsa = AlibabaOidcCredentials(self._client(endpoint), self._rrsa_settings)
        return self._rrsa

    def _client(self, endpoint: str) -> httpx.AsyncClient:
        client = self._http.get(endpoint)
        if client is None or client.is_closed:
            client = GatedClient(
                in_flight=MAX_CONNECTIONS,
                timeout=TIMEOUT,
                limits=httpx.Limits(max_connections=MAX_CONNECTIONS),
            )
            self._http[endpoint] = client
        return client

    def get(self, config: ProviderConfigSpec, secret: Mapping[str, str]) -> Any:
        """The provider for this config; raises ValueError for unusable credentials."""
        endpoint = config.public_endpoint()
        identity = "rrsa" if config.credentials_source == "RRSA" else _digest(secret)
        key = (config.provider, endpoint, config.project_id or "", config.region, identity)
        cached = self._providers.get(key)
        if cached is not None:
            return cached
        if config.provider == "huawei-nat":
            assert config.project_id is not None  # the model requires it for huawei-nat
            credentials: HuaweiCredentials | HuaweiCredentialSource
            if HuaweiPasswordCredentials.wanted(secret):
                iam = huawei_iam_endpoint(config.region, self._iam_endpoint)
                credentials = HuaweiPasswordCredentials(
                    self._client(iam),
                    iam_endpoint=iam,
                    user=secret.get("userName", ""),
                    password=secret.get("password", ""),
                    domain=secret.get("domainName", ""),
                    project_id=config.project_id,
                )
            else:
                credentials = HuaweiCredentials.from_secret_data(secret)
            client = HuaweiNatClient(
                self._client(endpoint),
                endpoint=endpoint,
                project_id=config.project_id,
                credentials=credentials,
                rate_limiter=self._limiters.for_endpoint(endpoint),
            )
            provider: Any = HuaweiNatProvider(client)
        elif config.provider in ALIBABA:
            make, version, errors = ALIBABA[config.provider]
            provider = make(
                AlibabaRpcClient(
                    self._client(endpoint),
                    endpoint=endpoint,
                    credentials=(
                        self.rrsa()
                        if config.credentials_source == "RRSA"
                        else AlibabaCredentials.from_secret_data(secret)
                    ),
                    version=version,
                    errors=errors,
                    rate_limiter=self._limiters.for_endpoint(endpoint),
                )
            )
        else:
            raise UnsupportedProvider(f"provider {config.provider} is not supported yet")
        self._providers[key] = provider
        return provider

    async def aclose(self) -> None:
        for client in self._http.values():
            await client.aclose()
        self._http.clear()
        self._providers.clear()
