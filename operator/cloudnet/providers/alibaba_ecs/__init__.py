"""Provider ``alibaba-ecs``: the attributes of existing Alibaba Cloud ECS network interfaces.

It serves a kind of its own, ``NetworkInterfaceConfig`` (:mod:`.spec`), and
no DnatRule block. Its parts: :mod:`.spec`, :mod:`.endpoints` (the SDK's
endpoint map), :mod:`.errors` (the ENI calls' table), :mod:`.provider`; this
module declares it.
"""

from __future__ import annotations

from typing import Any

from cloudnet.api.crds import AGE_COLUMN, PHASE_COLUMN, READY_COLUMN, KindSchema
from cloudnet.api.provider_config import ConfigProfile, ProviderConfigSpecBase
from cloudnet.clouds.alibaba import AlibabaRpcClient, credentials_for
from cloudnet.core.reconciler import Policy
from cloudnet.providers import Accepted, BuildContext, OwnKind, ProviderPlugin
from cloudnet.providers.alibaba_ecs.endpoints import ECS_DEFAULT_HOSTS, ecs_endpoint
from cloudnet.providers.alibaba_ecs.errors import ECS_ERRORS
from cloudnet.providers.alibaba_ecs.provider import AlibabaEcsProvider
from cloudnet.providers.alibaba_ecs.spec import NetworkInterfaceConfigSpec, NicStatus

NAME = "alibaba-ecs"
VERSION = "2014-05-26"


def build(ctx: BuildContext) -> AlibabaEcsProvider:
    return AlibabaEcsProvider(
        AlibabaRpcClient(
            ctx.http,
            endpoint=ctx.endpoint,
            credentials=credentials_for(ctx.config.credentials_source, ctx.secret, ctx.rrsa),
            version=VERSION,
            errors=ECS_ERRORS,
            rate_limiter=ctx.limiter,
            observer=ctx.observer,
        )
    )


async def check(provider: Any, config: ProviderConfigSpecBase) -> Accepted:
    """A region's ENIs at the smallest page (MaxResults below 10 is read as 10)."""
    listed = await provider.client.call(
        "DescribeNetworkInterfaces", {"RegionId": config.region, "MaxResults": 10}
    )
    return Accepted("DescribeNetworkInterfaces", listed.request_id)


def _policy(spec: NetworkInterfaceConfigSpec) -> Policy:
    return Policy(
        observe_only=spec.effective_management_policy == "ObserveOnly",
        deletion="Restore" if spec.effective_deletion_policy == "Restore" else "Orphan",
    )


NETWORK_INTERFACE_CONFIG = OwnKind(
    schema=KindSchema(
        kind="NetworkInterfaceConfig",
        plural="networkinterfaceconfigs",
        short_names=["nic"],
        description=(
            "The attributes of an existing Alibaba Cloud ECS elastic network interface, "
            "kept in line by cloudnet-operator."
        ),
        spec=NetworkInterfaceConfigSpec,
        status=NicStatus,
        columns=[
            {"name": "ENI", "type": "string", "jsonPath": ".spec.networkInterfaceId"},
            PHASE_COLUMN,
            READY_COLUMN,
            AGE_COLUMN,
        ],
    ),
    default_deletion="Orphan",
    policy=_policy,
    region=lambda spec: spec.region_id,
)

PLUGIN = ProviderPlugin(
    config=ConfigProfile(
        name=NAME,
        title="Alibaba Cloud ECS elastic network interfaces",
        default_endpoint=ecs_endpoint,
        rrsa=True,
        example_endpoint="https://ecs.<region>.aliyuncs.com",
    ),
    errors=ECS_ERRORS,
    build=build,
    check=check,
    kinds=(NETWORK_INTERFACE_CONFIG,),
    # the regional shape; the SDK map's central hosts are accepted exactly
    default_hosts=(ecs_endpoint("eu-central-1"),),
    exact_hosts=ECS_DEFAULT_HOSTS,
)
