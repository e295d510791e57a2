"""The ``ProviderConfig`` kind: which cloud, where, and with which credentials.

Namespaced on purpose: a resource may use only a ProviderConfig of its own
namespace, so a namespace's owners decide which credentials their rules use.
The credentials themselves stay in a Secret; only its name is here.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, Literal, Self

from pydantic import Field, JsonValue, create_model, model_validator

from cloudnet.api.common import Condition, LocalObjectReference, Model, StatusModel, cel

#: How many users ``status.users`` lists (``status.userCount`` counts them all).
MAX_LISTED_USERS = 100


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


@dataclass(frozen=True, kw_only=True)
class ConfigProfile:
    """What one provider asks of a ProviderConfig: the rules that differ between providers."""

    #: the ``provider`` value
    name: str
    #: a one-line title of the cloud API, for descriptions
    title: str
    #: the public endpoint for a region; called only for a region in ``regions`` if that is set
    default_endpoint: Callable[[str], str]
    #: the regions with a known public endpoint; None: every region has one
    regions: Collection[str] | None = None
    #: the API paths name a project: projectId is required (and refused for the others)
    project_id: bool = False
    #: credentialsSource RRSA (the operator pod's Alibaba RAM role) may be used
    rrsa: bool = False
    #: the Secret's data keys beyond accessKeyId + accessKeySecret (+ securityToken)
    other_secret_keys: str = ""
    #: an example public endpoint, for the ``endpoint`` description
    example_endpoint: str = ""


class ProviderConfigSpecBase(Model):
    """Which cloud API, region and endpoint, and the Secret holding the credentials.

    ``provider`` and the per-provider rules come from the providers' profiles
    (:func:`provider_config_spec`); this base holds what every provider shares.
    """

    #: the installed providers' profiles, set by :func:`provider_config_spec`
    profiles: ClassVar[Mapping[str, ConfigProfile]] = {}

    provider: str = Field(description="The cloud API.")
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
        description="The project ID of the region, for APIs whose paths name one.",
    )
    endpoint: str | None = Field(
        default=None,
        max_length=2048,
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description=(
            "Base URL of the API. Absent: the cloud's public endpoint for the region. The "
            "operator calls only this provider's public https API hosts and the origins it was "
            "started with --allow-endpoint for (e.g. http://127.0.0.1:18900 for the bundled "
            "simulator); any other endpoint is refused before a request is sent."
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
            "RRSA (the operator pod's own Alibaba RAM role, through its OIDC token; allowed "
            "only in the namespaces the operator is started with --rrsa-namespace)."
        ),
    )
    credentials_secret_ref: LocalObjectReference | None = Field(
        default=None,
        description=(
            "The Secret, in this namespace, with data keys accessKeyId + accessKeySecret "
            "(+ securityToken for STS / temporary keys). Required unless credentialsSource is "
            "RRSA."
        ),
    )

    @property
    def profile(self) -> ConfigProfile:
        return self.profiles[self.provider]

    @model_validator(mode="after")
    def _per_provider(self) -> Self:
        """The same rules as the CEL of :func:`provider_config_spec`, past admission."""
        profile = self.profiles.get(self.provider)
        if profile is None:
            raise ValueError(
                f"provider {self.provider!r} is not one of: {', '.join(self.profiles)}"
            )
        if profile.project_id and self.project_id is None:
            raise ValueError(f"projectId is required for provider {self.provider}")
        if not profile.project_id and self.project_id is not None:
            raise ValueError(_project_only(self.profiles.values()))
        known = profile.regions
        if self.endpoint is None and known is not None and self.region not in known:
            raise ValueError(
                f"region {self.region!r} has no known {self.provider} endpoint: set endpoint"
                f" (known regions: {', '.join(sorted(known))})"
            )
        if self.credentials_source == "Secret" and self.credentials_secret_ref is None:
            raise ValueError("credentialsSecretRef is required unless credentialsSource is RRSA")
        if self.credentials_source == "RRSA" and (
            self.credentials_secret_ref is not None or not profile.rrsa
        ):
            raise ValueError(_rrsa_only(self.profiles.values()))
        return self

    def public_endpoint(self) -> str:
        """The endpoint to call: the configured one, or the cloud's public one for the region."""
        if self.endpoint:
            return self.endpoint.rstrip("/")
        return self.profile.default_endpoint(self.region)


def _names(profiles: Iterable[ConfigProfile]) -> list[str]:
    return [p.name for p in profiles]


def _project_only(profiles: Iterable[ConfigProfile]) -> str:
    wanted = _names(p for p in profiles if p.project_id)
    return f"projectId is for provider {' and '.join(wanted) or '(none)'} only"


def _rrsa_only(profiles: Iterable[ConfigProfile]) -> str:
    return (
        f"credentialsSource RRSA is for {', '.join(_names(p for p in profiles if p.rrsa))} "
        "only and takes no credentialsSecretRef"
    )


def _cel_names(names: Iterable[str]) -> str:
    return "[" + ", ".join(f"'{n}'" for n in names) + "]"


def _rules(profiles: Sequence[ConfigProfile]) -> list[dict[str, str]]:
    projects = _names(p for p in profiles if p.project_id)
    found: list[dict[str, str]] = []
    for p in profiles:
        if p.project_id:
            found.append(
                cel(
                    f"self.provider != '{p.name}' || has(self.projectId)",
                    f"projectId is required for provider {p.name}",
                )
            )
    found.append(
        cel(
            f"self.provider in {_cel_names(projects)} || !has(self.projectId)",
            _project_only(profiles),
        )
    )
    for p in profiles:
        if p.regions is not None:
            found.append(
                cel(
                    f"self.provider != '{p.name}' || has(self.endpoint) || self.region in "
                    + _cel_list(p.regions),
                    f"region has no known {p.name} endpoint: set endpoint",
                )
            )
    found += [
        cel(
            "(has(self.credentialsSource) && self.credentialsSource == 'RRSA') "
            "|| has(self.credentialsSecretRef)",
            "credentialsSecretRef is required unless credentialsSource is RRSA",
        ),
        cel(
            "!has(self.credentialsSource) || self.credentialsSource != 'RRSA' "
            "|| (!has(self.credentialsSecretRef) && self.provider in "
            + _cel_names(_names(p for p in profiles if p.rrsa))
            + ")",
            _rrsa_only(profiles),
        ),
    ]
    return found


def provider_config_spec(profiles: Sequence[ConfigProfile]) -> type[ProviderConfigSpecBase]:
    """The ProviderConfig spec model of these providers: their names, rules and descriptions."""
    if not profiles:
        raise ValueError("a ProviderConfig needs at least one provider")
    if len({p.name for p in profiles}) != len(profiles):
        raise ValueError("two providers have one name")
    base = ProviderConfigSpecBase.model_fields
    projects = _names(p for p in profiles if p.project_id)
    examples = [p.example_endpoint for p in profiles if p.example_endpoint][:2]
    keys = "; ".join(
        f"Provider {p.name} also takes {p.other_secret_keys}"
        for p in profiles
        if p.other_secret_keys
    )
    described = {
        "provider": "The cloud API: " + "; ".join(f"{p.name} ({p.title})" for p in profiles) + ".",
        "project_id": (
            f"Only for {' and '.join(projects)}, and required there: the project ID of the "
            "region (the {project_id} of the API paths)."
            if projects
            else "No installed provider takes a project ID."
        ),
        "endpoint": base["endpoint"].description or "",
        "credentials_source": (base["credentials_source"].description or "").replace(
            "RRSA (the", f"RRSA ({', '.join(_names(p for p in profiles if p.rrsa))} only: the"
        ),
        "credentials_secret_ref": (base["credentials_secret_ref"].description or "")
        + (f" {keys}." if keys else ""),
    }
    if examples:
        described["endpoint"] = described["endpoint"].replace(
            "public https API hosts and", f"public https API hosts (e.g. {', '.join(examples)}) and"
        )
    fields: dict[str, Any] = {}
    for name, text in described.items():
        info = copy.copy(base[name])
        info.description = text
        if name == "provider":
            info.json_schema_extra = {"enum": list[JsonValue](_names(profiles))}
        fields[name] = (base[name].annotation, info)
    model = create_model(
        "ProviderConfigSpec",
        __base__=ProviderConfigSpecBase,
        __module__=__name__,
        __doc__="Which cloud API, region and endpoint, and the Secret holding the credentials.",
        **fields,
    )
    model.profiles = MappingProxyType({p.name: p for p in profiles})
    model.cel_rules = _rules(profiles)
    return model


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
