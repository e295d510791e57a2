"""The providers, one subpackage each, and here the plugin interface they implement.

What a provider plugin declares, and what the operator hands it to build a
provider. This package holds nothing else, so that the import-linter
contracts can name "every provider" as ``cloudnet.providers.*`` and cover a
new one the moment its folder exists.

A provider lives in one package (``cloudnet/providers/<name>/``) and says
everything the shared code needs about it in one :class:`ProviderPlugin`
value (its ``PLUGIN``): the ProviderConfig rules it needs, its DnatRule
block or its own kinds, its default hosts for the endpoint policy, its
default rate, how to build it from a ProviderConfig and its Secret, and its
credentials check. :mod:`cloudnet.catalog` lists the installed
plugins, one line each; nothing else in the shared code names a provider,
so the core, the handlers and the CRDs follow from these declarations
(crossplane-runtime's Setup list and ACK's self-registering resource
managers work the same way).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from cloudnet.api.crds import KindSchema
from cloudnet.api.dnat import Block
from cloudnet.api.provider_config import ConfigProfile, ProviderConfigSpecBase
from cloudnet.clouds.errors import CloudError, ErrorClass
from cloudnet.clouds.identity import AlibabaOidcCredentials
from cloudnet.clouds.observe import CallObserver
from cloudnet.clouds.ratelimit import TokenBucket
from cloudnet.core.reconciler import Policy

__all__ = [
    "Accepted",
    "BuildContext",
    "OwnKind",
    "ProviderPlugin",
    "answered_past_authentication",
]


@dataclass(frozen=True)
class Accepted:
    """The cloud authenticated the request: which call answered, and its request id."""

    action: str
    request_id: str | None


async def answered_past_authentication(
    action: str, call: Awaitable[Any], after_auth: frozenset[ErrorClass]
) -> Accepted:
    """The call's answer, or the product's refusal of a made-up id, as proof.

    For APIs that list only under a parent the ProviderConfig does not name:
    the gateway authenticates before the product reads parameters, so the
    product's "no such parent" answer, with a request id, proves the
    credentials as well as a page would; an authentication or permission
    refusal still comes back as such.
    """
    try:
        response = await call
    except CloudError as exc:
        if exc.error_class in after_auth and exc.request_id:
            return Accepted(action, exc.request_id)
        raise
    return Accepted(action, getattr(response, "request_id", None))


@dataclass(frozen=True, kw_only=True)
class BuildContext:
    """Everything a plugin's ``build`` may use; the operator owns each part's lifetime.

    ``http`` refuses any request to another origin than ``endpoint``'s (the
    endpoint policy already accepted it); ``identity_http`` is for the
    operator-wide identity services (STS, IAM), which the operator's own
    flags name, never a namespace.
    """

    config: ProviderConfigSpecBase
    secret: Mapping[str, str]
    endpoint: str
    http: httpx.AsyncClient
    limiter: TokenBucket
    observer: CallObserver | None
    identity_http: Callable[[str], httpx.AsyncClient]
    #: the operator pod's RRSA session (raises ValueError when the pod has no RRSA identity)
    rrsa: Callable[[], AlibabaOidcCredentials]
    #: ``cloudnet run --huawei-iam-endpoint``, else None (the region's public IAM)
    iam_endpoint: str | None


@dataclass(frozen=True, kw_only=True)
class OwnKind:
    """A kind only this provider serves (its whole spec is the provider's model).

    ``schema`` describes its CRD; ``policy`` reads the management and deletion
    policies from a parsed spec; ``region`` the region the resource names
    (None: the ProviderConfig's).
    """

    schema: KindSchema
    default_deletion: str
    policy: Callable[[Any], Policy]
    region: Callable[[Any], str | None] = lambda spec: None

    @property
    def name(self) -> str:
        return self.schema.kind

    @property
    def plural(self) -> str:
        return self.schema.plural


#: Calls per second and burst per (endpoint, account) when a ProviderConfig sets no
#: ``rateLimit``. The clouds publish their limits per API and per account, not one
#: figure per product, so this stays below every published per-account figure we found:
#: * Alibaba ECS: "API throttling" (alibabacloud.com/help/en/elastic-compute-service/
#:   latest/api-throttling): per API, per region, per account (RAM users share it),
#:   thresholds per minute shown in Quota Center, "API Rate Limits"; a throttled API
#:   recovers the next minute.
#: * Alibaba ENS and SAG: the same Quota Center "API Rate Limits" per account; their
#:   API references publish no figure. The per-user figures Alibaba does publish for
#:   comparable products are 10 per second and above (Real-Time Communication
#:   "API QPS limits", help.aliyun.com/document_detail/342760.html).
#: * Huawei NAT: the API reference publishes no figure; Huawei's per-user figures
#:   elsewhere are 10 per second per API ("Request Throttling", Customer Operation
#:   Capabilities API, support.huaweicloud.com/intl/en-us/api-oce/fci_00002.html),
#:   and the API gateway answers APIGW.0308 / 429 above the limit.
DEFAULT_PROVIDER_RATE = (10.0, 10)


def _identity(secret: Mapping[str, str]) -> str:
    """Who the calls are made as: the access key id, else a token; never a secret.

    Only ever used through :func:`cloudnet.clouds.ratelimit.account_key`'s digest.
    """
    return secret.get("accessKeyId") or secret.get("token") or ""


@dataclass(frozen=True, kw_only=True)
class ProviderPlugin:
    """One provider, declared once."""

    #: the provider's ProviderConfig rules; ``config.name`` is the provider's name
    config: ConfigProfile
    #: the provider for one ProviderConfig and Secret (cached by the registry)
    build: Callable[[BuildContext], Any]
    #: one cheap read showing the credentials are accepted (ProviderConfig Ready)
    check: Callable[[Any, ProviderConfigSpecBase], Awaitable[Accepted]]
    #: its cloud's error table: what each code the provider's calls may answer means (a
    #: code outside it is retried as unknown); the simulator's codes are checked against it
    errors: Mapping[str, ErrorClass] = field(default_factory=dict)
    #: the provider's DnatRule block, if it serves DnatRules
    dnat: Block | None = None
    #: kinds of its own (NetworkInterfaceConfig for ECS ENIs)
    kinds: tuple[OwnKind, ...] = ()
    #: default endpoints in the product's host shape (``<product>[.<region>].<domain>``):
    #: the endpoint policy accepts that shape for this provider
    default_hosts: Sequence[str] = ()
    #: hosts outside that shape the SDK's endpoint map names, accepted exactly
    exact_hosts: frozenset[str] = frozenset()
    #: calls per second and burst per (endpoint, account) without a ``rateLimit``
    rate: tuple[float, int] = DEFAULT_PROVIDER_RATE
    #: who the calls are made as, for the per-account rate bucket
    identity: Callable[[Mapping[str, str]], str] = field(default=_identity)

    @property
    def name(self) -> str:
        return self.config.name
