"""The ``ProviderConfig`` kind: which cloud, where, and with which credentials.

Namespaced on purpose: a resource may use only a ProviderConfig of its own
namespace, so a namespace's owners decide which credentials their rules use.
The credentials themselves stay in a Secret; only its name is here.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from typing import ClassVar, Literal, Self

from pydantic import Field, model_validator

from cloudnet.api.common import Condition, LocalObjectReference, Model, StatusModel, cel
from cloudnet.api.endpoints import ENS_ENDPOINT, HUAWEI_NAT_ENDPOINTS, SAG_ENDPOINTS, ecs_endpoint

#: How many users ``status.users`` lists (``status.userCount`` counts them all).
MAX_LISTED_USERS = 100


class Provider(enum.StrEnum):
    HUAWEI_NAT = "huawei-nat"
    ALIBABA_ENS = "alibaba-ens"
    ALIBABA_SAG = "alibaba-sag"
    ALIBABA_ECS = "alibaba-ecs"


def _cel_list(regions: Iterable[str]) -> str:
    return "[" + ", ".join(f"'{r}'" for r in sorted(regions)) + "]"


#: Highest per-ProviderConfig rate and burst: far above any cloud's per-account limit, so a
#: typo is refused; the operator-wide cap (``cloudnet run --cloud-rate``) still applies.
MAX_QPS = 10_000
MAX_BURST = 10_000


class RateLimit(Model):
    """The client-side pace of this ProviderConfig's account at its endpoint."""

    qps: float = Field(
        ge=0.01,
        le=MAX_QPS,
        description=(
            "Calls per second to the endpoint for this account (one token bucket per endpoint "
            "and access key, shared by every ProviderConfig with the same key). Capped by the "
            "operator's --cloud-rate."
        ),
    )
    burst: int | None = Field(
        default=None,
        ge=1,
        le=MAX_BURST,
        description=(
            "Calls that may go at once after a quiet spell. Absent: qps rounded up. Capped "
            "by the operator's --cloud-rate."
        ),
    )

    @property
    def effective_burst(self) -> int:
        return self.burst if self.burst is not None else max(1, math.ceil(self.qps))


class ProviderConfigSpec(Model):
    """Which cloud API, region and endpoint, and the Secret holding the credentials."""

    cel_rules: ClassVar[list[dict[str, str]]] = [
        cel(
            "self.provider != 'huawei-nat' || has(self.projectId)",
            "projectId is required for provider huawei-nat",
        ),
        cel(
            "self.provider == 'huawei-nat' || !has(self.projectId)",
            "projectId is for provider huawei-nat only",
        ),
        cel(
            "self.provider != 'huawei-nat' || has(self.endpoint) || self.region in "
            + _cel_list(HUAWEI_NAT_ENDPOINTS),
            "region has no known huawei-nat endpoint: set endpoint",
        ),
        cel(
            "self.provider != 'alibaba-sag' || has(self.endpoint) || self.region in "
            + _cel_list(SAG_ENDPOINTS),
            "region has no known alibaba-sag endpoint: set endpoint",
        ),
        cel(
            "(has(self.credentialsSource) && self.credentialsSource == 'RRSA') "
            "|| has(self.credentialsSecretRef)",
            "credentialsSecretRef is required unless credentialsSource is RRSA",
        ),
        cel(
            "!has(self.credentialsSource) || self.credentialsSource != 'RRSA' "
            "|| (!has(self.credentialsSecretRef) && self.provider != 'huawei-nat')",
            "credentialsSource RRSA is for Alibaba providers and takes no credentialsSecretRef",
        ),
    ]

    provider: Literal["huawei-nat", "alibaba-ens", "alibaba-sag", "alibaba-ecs"] = Field(
        description="The cloud API: huawei-nat, alibaba-ens, alibaba-sag or alibaba-ecs.",
    )
    region: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z0-9][a-z0-9-]*$",
        description=(
            "The cloud region, e.g. cn-north-4. A resource's own regionId, where its API has "
            "one, wins."
        ),
    )
    project_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9]+$",
        description=(
            "Huawei only: the project ID of the region (the {project_id} of the API paths)."
        ),
    )
    endpoint: str | None = Field(
        default=None,
        max_length=2048,
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description=(
            "Base URL of the API. Absent: the cloud's public endpoint for the region. The "
            "operator calls only this provider's public https API hosts (e.g. "
            "https://nat.<region>.myhuaweicloud.com, https://ecs.<region>.aliyuncs.com) and the "
            "origins it was started with --allow-endpoint for (e.g. http://127.0.0.1:18900 for "
            "the bundled simulator); any other endpoint is refused before a request is sent."
        ),
    )
    rate_limit: RateLimit | None = Field(
        default=None,
        description=(
            "Client-side rate limit for this account at this endpoint. Absent: the provider's "
            "default, 10 calls per second with bursts of 10. Never above the operator's "
            "--cloud-rate."
        ),
    )
    credentials_source: Literal["Secret", "RRSA"] = Field(
        default="Secret",
        description=(
            "Where the credentials come from: Secret (credentialsSecretRef, the default) or "
            "RRSA (Alibaba only: the operator pod's own RAM role, through its OIDC token; "
            "allowed only in the namespaces the operator is started with --rrsa-namespace)."
        ),
    )
    credentials_secret_ref: LocalObjectReference | None = Field(
        default=None,
        description=(
            "The Secret, in this namespace, with data keys accessKeyId + accessKeySecret "
            "(+ securityToken for STS / temporary keys); or, Huawei only, token, or "
            "userName + password + domainName (an IAM token the operator refreshes). "
            "Required unless credentialsSource is RRSA."
        ),
    )

    @model_validator(mode="after")
    def _known_region_or_endpoint(self) -> Self:
        known = {"huawei-nat": HUAWEI_NAT_ENDPOINTS, "alibaba-sag": SAG_ENDPOINTS}.get(
            str(self.provider)
        )
        if self.endpoint is None and known is not None and self.region not in known:
            raise ValueError(
                f"region {self.region!r} has no known {self.provider} endpoint: set endpoint"
                f" (known regions: {', '.join(sorted(known))})"
            )
        return self

    @model_validator(mode="after")
    def _credentials(self) -> Self:
        if self.credentials_source == "Secret" and self.credentials_secret_ref is None:
            raise ValueError("credentialsSecretRef is required unless credentialsSource is RRSA")
        if self.credentials_source == "RRSA" and (
            self.credentials_secret_ref is not None or self.provider == "huawei-nat"
        ):
            raise ValueError(
                "credentialsSource RRSA is for Alibaba providers and takes no credentialsSecretRef"
            )
        return self

    @model_validator(mode="after")
    def _project_id_for_huawei(self) -> Self:
        if (self.provider == "huawei-nat") != (self.project_id is not None):
            raise ValueError(
                "projectId is required for provider huawei-nat"
                if self.provider == "huawei-nat"
                else "projectId is for provider huawei-nat only"
            )
        return self

    def public_endpoint(self) -> str:
        """The endpoint to call: the configured one, or the cloud's public one for the region."""
        if self.endpoint:
            return self.endpoint.rstrip("/")
        provider = Provider(self.provider)
        if provider is Provider.HUAWEI_NAT:
            return HUAWEI_NAT_ENDPOINTS[self.region]
        if provider is Provider.ALIBABA_SAG:
            return SAG_ENDPOINTS[self.region]
        if provider is Provider.ALIBABA_ENS:
            return ENS_ENDPOINT
        return ecs_endpoint(self.region)


class ProviderConfig(Model):
    """The whole resource as the operator reads it."""

    model_config = Model.model_config | {"extra": "ignore"}

    api_version: str = Field(alias="apiVersion")
    kind: Literal["ProviderConfig"]
    metadata: dict[str, object]
    spec: ProviderConfigSpec


class ProviderConfigCondition(Condition):
    """A condition of a ProviderConfig (InUse, Ready), per Kubernetes API conventions."""

    type: str = Field(description="InUse or Ready.", max_length=64)


class ProviderConfigStatus(StatusModel):
    """Whether the cloud accepts its credentials, and who uses it (then it cannot go away)."""

    # Written by the operator. A ProviderConfig in use carries the finalizer
    # cloudnet.dev/in-use, and so does the Secret it names, the way Kubernetes
    # protects a PersistentVolumeClaim in use: a delete waits until the last
    # resource naming it is gone, because that resource's delete needs the
    # credentials to remove its cloud object.

    users: list[str] = Field(
        default_factory=list,
        max_length=MAX_LISTED_USERS,
        description=(
            "The resources of this namespace that name this ProviderConfig and still exist "
            f"(deleting ones included), as Kind/name, sorted; at most {MAX_LISTED_USERS} "
            "(userCount has the total)."
        ),
    )
    user_count: int | None = Field(
        default=None, description="How many resources use this ProviderConfig."
    )
    conditions: list[ProviderConfigCondition] = Field(
        default_factory=list,
        description=(
            "InUse: True while resources use this ProviderConfig (it is then protected). "
            "Ready: True when the cloud answered one cheap read made with these credentials "
            "(CredentialsAccepted); False with CredentialsRejected (the cloud's code and "
            "message), CredentialsInvalid, SecretMissing, InvalidSpec or "
            "EndpointUnreachable; Unknown while the cloud is busy (Throttled, Transient, "
            "CheckFailed). Checked again when the spec or the Secret changes."
        ),
    )
    checked_with: str | None = Field(
        default=None,
        max_length=512,
        description=(
            "The ProviderConfig uid/generation and Secret uid/resourceVersion the Ready "
            "verdict was reached with; the read is not made again while they hold."
        ),
    )
