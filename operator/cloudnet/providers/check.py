"""One cheap read per provider that shows whether a ProviderConfig's credentials are accepted.

Each check is a read the provider already makes, with the smallest page,
so it needs no permission the operator does not need anyway and writes
nothing. Huawei and ECS can list without naming an object (a project's DNAT
rules, a region's ENIs). ENS and SAG list entries of one gateway only, and a
ProviderConfig names none: their check asks about an id that cannot exist.
Alibaba's gateway authenticates every request before the product looks at
its parameters, so the product's "no such gateway" answer, carrying a
RequestId, is as good a proof as a page would be; an authentication or
RAM refusal comes back as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudnet.api.provider_config import ProviderConfigSpec
from cloudnet.clouds.errors import CloudError, ErrorClass
from cloudnet.providers.alibaba_ecs import AlibabaEcsProvider
from cloudnet.providers.alibaba_ens import LIST as ENS_LIST
from cloudnet.providers.alibaba_ens import AlibabaEnsProvider
from cloudnet.providers.alibaba_sag import AlibabaSagProvider
from cloudnet.providers.huawei_nat import HuaweiNatProvider

#: An ENS NAT gateway id of the right form that no account holds.
ENS_PROBE_GATEWAY = "nat-cloudnetcredentialcheck000"
#: A SAG instance id of the right form that no account holds.
SAG_PROBE_INSTANCE = "sag-cloudnetcredentialcheck0"


@dataclass(frozen=True)
class Accepted:
    """The cloud authenticated the request: which call answered, and its request id."""

    action: str
    request_id: str | None


async def _answered_past_authentication(
    action: str, call: Any, after_auth: frozenset[ErrorClass]
) -> Accepted:
    """The call's answer, or the product's refusal of the made-up id, as proof."""
    try:
        response = await call
    except CloudError as exc:
        if exc.error_class in after_auth and exc.request_id:
            return Accepted(action, exc.request_id)
        raise
    return Accepted(action, response.request_id)


async def check_credentials(provider: Any, config: ProviderConfigSpec) -> Accepted:
    """One read with this provider's client; raises the cloud's error when it is refused."""
    if isinstance(provider, HuaweiNatProvider):
        response = await provider.client.list_dnat_rules_page(limit=1)
        return Accepted("ListNatGatewayDnatRules", response.request_id)
    if isinstance(provider, AlibabaEcsProvider):
        # MaxResults below 10 is read as 10: the smallest page there is.
        listed = await provider.client.call(
            "DescribeNetworkInterfaces", {"RegionId": config.region, "MaxResults": 10}
        )
        return Accepted("DescribeNetworkInterfaces", listed.request_id)
    if isinstance(provider, AlibabaEnsProvider):
        return await _answered_past_authentication(
            ENS_LIST,
            provider.client.call(ENS_LIST, {"NatGatewayId": ENS_PROBE_GATEWAY, "PageSize": 1}),
            # InvalidParameter.NatNotFound
            frozenset({ErrorClass.DEPENDENCY_NOT_FOUND}),
        )
    if isinstance(provider, AlibabaSagProvider):
        return await _answered_past_authentication(
            "DescribeDnatEntries",
            provider.client.call(
                "DescribeDnatEntries",
                {"RegionId": config.region, "SagId": SAG_PROBE_INSTANCE, "PageSize": 1},
            ),
            # InvalidParameter (an unknown SagId), InvalidId.SMARTAG / SAG.InstanceNoFound
            frozenset({ErrorClass.INVALID_SPEC, ErrorClass.DEPENDENCY_NOT_FOUND}),
        )
    raise TypeError(f"no credentials check for {type(provider).__name__}")
