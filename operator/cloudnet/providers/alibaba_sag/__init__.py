"""Provider ``alibaba-sag``: DNAT entries on Alibaba Cloud Smart Access Gateway.

Its parts: :mod:`.spec` (the ``alibabaSag`` block), :mod:`.endpoints` (the
region table), :mod:`.errors` (SAG's table, per call), :mod:`.provider`;
this module declares it.
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
from cloudnet.providers.alibaba_sag.endpoints import SAG_ENDPOINTS
from cloudnet.providers.alibaba_sag.errors import SAG_ERRORS
from cloudnet.providers.alibaba_sag.provider import AlibabaSagProvider
from cloudnet.providers.alibaba_sag.spec import AlibabaSagSpec

NAME = "alibaba-sag"
VERSION = "2018-03-13"
#: A SAG instance id of the right form that no account holds.
PROBE_INSTANCE = "sag-cloudnetcredentialcheck0"


def build(ctx: BuildContext) -> AlibabaSagProvider:
    return AlibabaSagProvider(
        AlibabaRpcClient(
            ctx.http,
            endpoint=ctx.endpoint,
            credentials=credentials_for(ctx.config.credentials_source, ctx.secret, ctx.rrsa),
            version=VERSION,
            errors=SAG_ERRORS,
            rate_limiter=ctx.limiter,
            observer=ctx.observer,
        )
    )


async def check(provider: Any, config: ProviderConfigSpecBase) -> Accepted:
    """SAG lists entries of one instance only: ask about one that cannot exist;
    InvalidParameter (an unknown SagId), InvalidId.SMARTAG or SAG.InstanceNoFound
    with a request id is proof."""
    return await answered_past_authentication(
        "DescribeDnatEntries",
        provider.client.call(
            "DescribeDnatEntries",
            {"RegionId": config.region, "SagId": PROBE_INSTANCE, "PageSize": 1},
        ),
        frozenset({ErrorClass.INVALID_SPEC, ErrorClass.DEPENDENCY_NOT_FOUND}),
    )


PLUGIN = ProviderPlugin(
    config=ConfigProfile(
        name=NAME,
        title="Alibaba Cloud Smart Access Gateway",
        default_endpoint=SAG_ENDPOINTS.__getitem__,
        regions=SAG_ENDPOINTS.keys(),
        rrsa=True,
    ),
    errors=SAG_ERRORS,
    build=build,
    check=check,
    dnat=Block(
        field="alibaba_sag",
        model=AlibabaSagSpec,
        provider=NAME,
        description="A DNAT entry on an Alibaba Cloud Smart Access Gateway (alibaba-sag).",
    ),
    default_hosts=tuple(SAG_ENDPOINTS.values()),
)
