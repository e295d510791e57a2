"""Build providers from a ProviderConfig and its Secret, one HTTP client per endpoint.

Clients are cached by (provider, endpoint, project, credentials digest) so
that every resource of one account shares one connection pool, and a rotated
Secret yields a new client. The digest is a SHA-256 of the secret values: the
values themselves are never kept in a key or logged.

This is the one place clients are built, so it is where the endpoint policy
(:mod:`cloudnet.clouds.egress`) is applied: a refused endpoint raises
:class:`EndpointRefused` before a client exists, so no call path (create,
update, delete, observe, drift listing) can send it a byte; and each HTTP
client refuses, in a request hook, any request to another origin than its
own (a redirect, were one ever followed).

Rate limits: one bucket per (endpoint, account), the account being a digest
of the access key id (or of the Huawei token), so ProviderConfigs of one
account share its pace and another account has its own.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import httpx

from cloudnet.api.provider_config import ProviderConfigSpecBase
from cloudnet.catalog import PLUGINS, plugin
from cloudnet.clouds.egress import EndpointPolicy, EndpointRefused, Origin, ProductHosts
from cloudnet.clouds.gate import GatedClient
from cloudnet.clouds.identity import AlibabaOidcCredentials, RrsaSettings
from cloudnet.clouds.observe import CallObserver, CallRecord
from cloudnet.clouds.ratelimit import RateLimiterRegistry, TokenBucket, account_key
from cloudnet.providers import Accepted, BuildContext

__all__ = [
    "DEFAULT_RATE",
    "PROVIDER_RATE_LIMITS",
    "EndpointRefused",
    "ProviderRegistry",
    "UnsupportedProvider",
    "check_credentials",
    "endpoint_policy",
]

#: The operator-wide cap on every bucket (``cloudnet run --cloud-rate``), calls per second.
DEFAULT_RATE = 50.0
DEFAULT_BURST = 50

#: Calls per second and burst per (endpoint, account) when a ProviderConfig sets no
#: ``rateLimit``: each plugin's ``rate`` (:data:`cloudnet.providers.DEFAULT_PROVIDER_RATE`
#: unless it says otherwise, with the sources of that figure).
PROVIDER_RATE_LIMITS: Mapping[str, tuple[float, int]] = {p.name: p.rate for p in PLUGINS}
#: Requests in flight (and connections) per endpoint. Enough for the default rate at
#: half a second per call; httpcore's CPU per request grows with the pool's size
#: (2,000 loopback calls: 4.5 ms of CPU each with 20 connections, 2.7 ms with 10).
MAX_CONNECTIONS = 10
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


async def check_credentials(provider: Any, config: ProviderConfigSpecBase) -> Accepted:
    """The provider's plugin's cheap read (ProviderConfig Ready); the cloud's error if refused."""
    found = plugin(config.provider)
    if found is None:
        raise UnsupportedProvider(f"provider {config.provider} is not supported yet")
    return await found.check(provider, config)


def endpoint_policy(allowed: Iterable[Origin | str] = ()) -> EndpointPolicy:
    """The endpoint policy of the installed providers' public hosts, plus ``allowed``."""
    return EndpointPolicy(
        allowed,
        products={p.name: ProductHosts.of(p.default_hosts, exact=p.exact_hosts) for p in PLUGINS},
    )


class UnsupportedProvider(Exception):
    """The ProviderConfig names a provider this build does not implement yet."""


def _digest(data: Mapping[str, str]) -> str:
    h = hashlib.sha256()
    for key in sorted(data):
        h.update(key.encode() + b"\0" + data[key].encode() + b"\0")
    return h.hexdigest()


class ProviderRegistry:
    """Long-lived: owns the HTTP clients; close it when the operator stops.

    ``rate`` / ``burst`` are the cap on every bucket; ``allowed`` the origins
    allowed beyond the clouds' public API hosts (``--allow-endpoint``).
    """

    def __init__(
        self,
        *,
        rate: float = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        observer: Callable[[str, CallRecord], None] | None = None,
        allowed: Iterable[Origin | str] = (),
        rrsa: RrsaSettings | None = None,
        huawei_iam_endpoint: str | None = None,
    ) -> None:
        """``observer`` hears of every cloud call, with the provider's name first.

        ``rrsa``: the pod's RRSA identity (None: no ProviderConfig can use RRSA);
        ``huawei_iam_endpoint``: where IAM password credentials get their tokens
        (None: ``HUAWEICLOUD_SDK_IAM_ENDPOINT``, else the region's public IAM).
        Both are operator-wide on purpose: a namespace cannot send a password or
        the pod's OIDC token elsewhere, so they are outside the endpoint policy.
        """
        self._limiters = RateLimiterRegistry(rate, burst)
        self._observer = observer
        self.policy = endpoint_policy(allowed)
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

    def _client(self, endpoint: str, origin: Origin | None = None) -> httpx.AsyncClient:
        client = self._http.get(endpoint)
        if client is None or client.is_closed:
            hooks = {"request": [self.policy.guard(origin)]} if origin is not None else {}
            client = GatedClient(
                in_flight=MAX_CONNECTIONS,
                timeout=TIMEOUT,
                limits=httpx.Limits(max_connections=MAX_CONNECTIONS),
                # Off, as httpx's default is: a signed request is answered where it was
                # sent; the clients pass follow_redirects=False on each call as well.
                follow_redirects=False,
                event_hooks=hooks,
            )
            self._http[endpoint] = client
        return client

    def _observer_for(self, provider: str) -> CallObserver | None:
        return None if self._observer is None else functools.partial(self._observer, provider)

    def limiter(self, config: ProviderConfigSpecBase, secret: Mapping[str, str]) -> TokenBucket:
        """The bucket of this config's account at its endpoint, with its limits applied."""
        default_rate, default_burst = PROVIDER_RATE_LIMITS.get(
            config.provider, (DEFAULT_RATE, DEFAULT_BURST)
        )
        limit = config.rate_limit
        found = plugin(config.provider)
        identity = found.identity(secret) if found is not None else ""
        return self._limiters.for_account(
            config.public_endpoint(),
            account_key(f"{config.provider}\0{identity}"),
            rate=limit.qps if limit is not None else default_rate,
            burst=limit.effective_burst if limit is not None else default_burst,
        )

    def get(self, config: ProviderConfigSpecBase, secret: Mapping[str, str]) -> Any:
        """The provider for this config.

        Raises :class:`UnsupportedProvider` for a provider no plugin serves,
        :class:`EndpointRefused` (before any client exists) for an endpoint
        the policy refuses, ValueError for unusable credentials.
        """
        found = plugin(config.provider)
        if found is None:
            raise UnsupportedProvider(f"provider {config.provider} is not supported yet")
        endpoint = config.public_endpoint()
        origin = self.policy.check(config.provider, endpoint)
        # Looked up on every call: a changed rateLimit applies to the account's bucket.
        limiter = self.limiter(config, secret)
        identity = "rrsa" if config.credentials_source == "RRSA" else _digest(secret)
        key = (config.provider, endpoint, config.project_id or "", config.region, identity)
        cached = self._providers.get(key)
        if cached is not None:
            return cached
        provider = found.build(
            BuildContext(
                config=config,
                secret=secret,
                endpoint=endpoint,
                http=self._client(endpoint, origin),
                limiter=limiter,
                observer=self._observer_for(config.provider),
                identity_http=self._client,
                rrsa=self.rrsa,
                iam_endpoint=self._iam_endpoint,
            )
        )
        self._providers[key] = provider
        return provider

    async def aclose(self) -> None:
        for client in self._http.values():
            await client.aclose()
        self._http.clear()
        self._providers.clear()
