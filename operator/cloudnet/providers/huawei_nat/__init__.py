"""Provider ``huawei-nat``: DNAT rules on Huawei Cloud public NAT gateways (NAT Gateway v2).

Its parts: :mod:`.spec` (the ``huaweiNat`` block), :mod:`.endpoints` (the
SDK's region map), :mod:`.client` (the v2 calls and NAT's error table),
:mod:`.provider` (the reconcile contract); this module declares it.
"""

from __future__ import annotations

from typing import Any

from cloudnet.api.dnat import Block
from cloudnet.api.provider_config import ConfigProfile, ProviderConfigSpecBase
from cloudnet.clouds.huawei import HuaweiCredentials, HuaweiCredentialSource
from cloudnet.clouds.identity import HuaweiPasswordCredentials, huawei_iam_endpoint
from cloudnet.providers import Accepted, BuildContext, ProviderPlugin
from cloudnet.providers.huawei_nat.client import HUAWEI_NAT_ERRORS, HuaweiNatClient
from cloudnet.providers.huawei_nat.endpoints import HUAWEI_NAT_ENDPOINTS
from cloudnet.providers.huawei_nat.provider import HuaweiNatProvider
from cloudnet.providers.huawei_nat.spec import HuaweiNatSpec

NAME = "huawei-nat"


def build(ctx: BuildContext) -> HuaweiNatProvider:
    """AK/SK (+ security token), an IAM token, or IAM password credentials refreshed here."""
    config, secret = ctx.config, ctx.secret
    assert config.project_id is not None  # the profile requires it
    credentials: HuaweiCredentials | HuaweiCredentialSource
    if HuaweiPasswordCredentials.wanted(secret):
        iam = huawei_iam_endpoint(config.region, ctx.iam_endpoint)
        credentials = HuaweiPasswordCredentials(
            ctx.identity_http(iam),
            iam_endpoint=iam,
            user=secret.get("userName", ""),
            password=secret.get("password", ""),
            domain=secret.get("domainName", ""),
            project_id=config.project_id,
        )
    else:
        credentials = HuaweiCredentials.from_secret_data(secret)
    return HuaweiNatProvider(
        HuaweiNatClient(
            ctx.http,
            endpoint=ctx.endpoint,
            project_id=config.project_id,
            credentials=credentials,
            rate_limiter=ctx.limiter,
            observer=ctx.observer,
        )
    )


async def check(provider: Any, config: ProviderConfigSpecBase) -> Accepted:
    """A project's DNAT rules, one per page: a list needs no object named."""
    response = await provider.client.list_dnat_rules_page(limit=1)
    return Accepted("ListNatGatewayDnatRules", response.request_id)


PLUGIN = ProviderPlugin(
    config=ConfigProfile(
        name=NAME,
        title="Huawei Cloud NAT Gateway v2",
        default_endpoint=HUAWEI_NAT_ENDPOINTS.__getitem__,
        regions=HUAWEI_NAT_ENDPOINTS.keys(),
        project_id=True,
        other_secret_keys=(
            "token, or userName + password + domainName (an IAM token the operator refreshes)"
        ),
        example_endpoint="https://nat.<region>.myhuaweicloud.com",
    ),
    errors=HUAWEI_NAT_ERRORS,
    build=build,
    check=check,
    dnat=Block(
        field="huawei_nat",
        model=HuaweiNatSpec,
        provider=NAME,
        description="A DNAT rule on Huawei Cloud NAT Gateway v2 (huawei-nat).",
    ),
    default_hosts=tuple(HUAWEI_NAT_ENDPOINTS.values()),
)
