"""Provider ``alibaba-ens``: forward (DNAT) entries on Alibaba Cloud ENS NAT gateways.

Its parts: :mod:`.spec` (the ``alibabaEns`` block), :mod:`.endpoints`,
:mod:`.errors` (ENS's table, per call), :mod:`.provider`; this module
declares it.
"""

from __future__ import annotations

from typing import Any

from cloudnet.api.dnat import Block
from cloudnet.api.provider_config import ConfigProfile, ProviderConfigSpecBase
from cloudnet.clouds.alibaba import AlibabaRpcClient, credentials_for
from cloudnet.clouds.errors import ErrorClass
from cloudnet.providers import (
    Accepted,
    BuildContext,
    ProviderPlugin,
    answered_past_authentication,
)
from cloudnet.providers.alibaba_ens.endpoints import ENS_ENDPOINT
from cloudnet.providers.alibaba_ens.errors import ENS_ERRORS
from cloudnet.providers.alibaba_ens.provider import LIST, AlibabaEnsProvider
from cloudnet.providers.alibaba_ens.spec import AlibabaEnsSpec

NAME = "alibaba-ens"
VERSION = "2017-11-10"
#: An ENS NAT gateway id of the right form that no account holds.
PROBE_GATEWAY = "nat-cloudnetcredentialcheck000"


def build(ctx: BuildContext) -> AlibabaEnsProvider:
    return AlibabaEnsProvider(
        AlibabaRpcClient(
            ctx.http,
            endpoint=ctx.endpoint,
            credentials=credentials_for(ctx.config.credentials_source, ctx.secret, ctx.rrsa),
            version=VERSION,
            errors=ENS_ERRORS,
            rate_limiter=ctx.limiter,
            observer=ctx.observer,
        )
    )


async def check(provider: Any, config: ProviderConfigSpecBase) -> Accepted:
    """ENS lists entries of one gateway only, and a ProviderConfig names none: ask about
    a gateway that cannot exist; InvalidParameter.NatNotFound with a request id is proof."""
    return await answered_past_authentication(
        LIST,
        provider.client.call(LIST, {"NatGatewayId": PROBE_GATEWAY, "PageSize": 1}),
        frozenset({ErrorClass.DEPENDENCY_NOT_FOUND}),
    )


PLUGIN = ProviderPlugin(
    config=ConfigProfile(
        name=NAME,
        title="Alibaba Cloud ENS NAT gateways",
        default_endpoint=lambda region: ENS_ENDPOINT,
        rrsa=True,
    ),
    errors=ENS_ERRORS,
    build=build,
    check=check,
    dnat=Block(
        field="alibaba_ens",
        model=AlibabaEnsSpec,
        provider=NAME,
        description="A forward (DNAT) entry on an Alibaba Cloud ENS NAT gateway (alibaba-ens).",
    ),
    default_hosts=(ENS_ENDPOINT,),
)
