"""Provider ``alibaba-ecs``: the attributes of an existing ECS elastic network interface.

ModifyNetworkInterfaceAttribute (ECS API reference) with DescribeNetworkInterfaceAttribute
and DescribeNetworkInterfaces. The ENI is never created or deleted here: the
provider observes it, changes only the parameters the spec sets that differ,
and can put back a recorded snapshot (deletion policy Restore).

What the cloud shows decides what can be compared:

* the attribute call (asked with ``Attribute=connectionTrackingConfiguration``)
  shows everything but RxQueueSize/TxQueueSize, which no ECS response carries:
  those are write-only, sent once per spec generation (the reconcile core
  keeps count in ``status.writeOnlyGeneration``);
* the list call, used by the batched drift check, shows the top-level fields
  and the traffic mode, not the nested objects: resources whose spec sets
  ConnectionTrackingConfiguration or EnhancedNetwork get one attribute call
  each on top of the shared listing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudnet.api.common import Phase
from cloudnet.clouds.alibaba import AlibabaRpcClient
from cloudnet.clouds.errors import CloudError, ErrorClass
from cloudnet.core.provider import (
    Capabilities,
    Delta,
    Difference,
    Observation,
    ProviderBase,
    WriteResult,
)
from cloudnet.providers.alibaba_ecs.spec import NetworkInterfaceConfigSpec

MODIFY = "ModifyNetworkInterfaceAttribute"
WRITE_ONLY = frozenset({"RxQueueSize", "TxQueueSize"})
#: Nested objects the list call does not show.
_DETAIL_ONLY = frozenset({"ConnectionTrackingConfiguration", "EnhancedNetwork"})
#: DescribeNetworkInterfaces takes at most 100 NetworkInterfaceId.N.
IDS_PER_LIST = 100
_PHASES = {
    "Available": Phase.ACTIVE,
    "InUse": Phase.ACTIVE,
    "Attaching": Phase.PENDING_UPDATE,
    "Detaching": Phase.PENDING_UPDATE,
    "Deleting": Phase.PENDING_DELETE,
}


def _camel(name: str) -> str:
    return "securityGroupIds" if name == "SecurityGroupId" else name[0].lower() + name[1:]


def normalize(eni: Mapping[str, Any]) -> dict[str, Any]:
    """A Describe* answer in ModifyNetworkInterfaceAttribute's parameter names."""
    out: dict[str, Any] = {}
    for key in ("NetworkInterfaceName", "Description", "QueueNumber", "DeleteOnRelease"):
        if key in eni:
            out[key] = eni[key]
    if "SourceDestCheck" in eni:
        out["SourceDestCheck"] = eni["SourceDestCheck"]
    groups = (eni.get("SecurityGroupIds") or {}).get("SecurityGroupId")
    if groups is not None:
        out["SecurityGroupId"] = list(groups)
    traffic = dict(eni.get("NetworkInterfaceTrafficConfig") or {})
    if not traffic and eni.get("NetworkInterfaceTrafficMode"):
        traffic["NetworkInterfaceTrafficMode"] = eni["NetworkInterfaceTrafficMode"]
    if traffic:
        out["NetworkInterfaceTrafficConfig"] = traffic
    for key in _DETAIL_ONLY:
        if key in eni:
            out[key] = dict(eni[key])
    return out


def _same(key: str, want: Any, have: Any) -> bool:
    if key == "SecurityGroupId":
        return sorted(want) == sorted(have or [])
    return bool(want == have)


def _shows(key: str, want: Any, have: Any) -> bool:
    """Whether an observed value holds ``want`` (for objects: every key of ``want``)."""
    if isinstance(want, Mapping):
        return isinstance(have, Mapping) and all(have.get(k) == v for k, v in want.items())
    return _same(key, want, have)


def drift_of(spec: NetworkInterfaceConfigSpec, seen: Mapping[str, Any]) -> Delta:
    """Every parameter the spec sets whose value the cloud shows differently."""
    drift: list[Difference] = []
    for key, want in spec.to_cloud().items():
        if key in WRITE_ONLY or key in ("RegionId", "NetworkInterfaceId") or key not in seen:
            continue  # not shown by this answer: nothing to compare
        if isinstance(want, Mapping):
            have_nested = seen[key] or {}
            for sub, sub_want in want.items():
                if sub in WRITE_ONLY or sub not in have_nested:
                    continue
                if sub_want != have_nested[sub]:
                    drift.append(
                        Difference(
                            key=key,
                            path=f"spec.{_camel(key)}.{_camel(sub)}",
                            desired=str(sub_want),
                            observed=str(have_nested[sub]),
                        )
                    )
        elif not _same(key, want, seen[key]):
            drift.append(
                Difference(
                    key=key, path=f"spec.{_camel(key)}", desired=str(want), observed=str(seen[key])
                )
            )
    return Delta.of(drift)


class AlibabaEcsProvider(ProviderBase):
    """ENI attributes through one :class:`AlibabaRpcClient` (ECS 2014-05-26)."""

    name = "alibaba-ecs"
    #: the ENI exists already: never created or deleted; Restore puts back a snapshot;
    #: queue sizes are shown by no answer
    capabilities = Capabilities(creates=False, snapshots=True, write_only=True)

    def __init__(self, client: AlibabaRpcClient) -> None:
        self.client = client

    def scope(self, spec: NetworkInterfaceConfigSpec) -> str:
        return spec.region_id

    def identity(self, spec: NetworkInterfaceConfigSpec) -> str:
        return spec.network_interface_id

    def _observation(
        self, spec: NetworkInterfaceConfigSpec, eni: Mapping[str, Any], request_id: str | None
    ) -> Observation:
        seen = normalize(eni)
        return Observation(
            exists=True,
            external_id=str(eni.get("NetworkInterfaceId") or spec.network_interface_id),
            phase=_PHASES.get(str(eni.get("Status"))),
            observed={**seen, "Status": eni.get("Status"), "Type": eni.get("Type")},
            delta=drift_of(spec, seen),
            request_id=request_id,
        )

    async def observe(self, spec: NetworkInterfaceConfigSpec, external_id: str) -> Observation:
        try:
            response = await self.client.call(
                "DescribeNetworkInterfaceAttribute",
                {
                    "RegionId": spec.region_id,
                    "NetworkInterfaceId": external_id,
                    "Attribute": "connectionTrackingConfiguration",
                },
            )
        except CloudError as exc:
            if exc.code == "InvalidEniId.NotFound":
                return Observation.gone(exc.request_id)
            raise
        return self._observation(spec, response.body, response.request_id)

    async def find(self, spec: NetworkInterfaceConfigSpec) -> Observation:
        return await self.observe(spec, spec.network_interface_id)

    async def create(self, spec: NetworkInterfaceConfigSpec) -> WriteResult:
        raise CloudError(
            code="InvalidEniId.NotFound",
            message=(
                f"ENI {spec.network_interface_id} does not exist; the operator never creates ENIs"
            ),
            error_class=ErrorClass.DEPENDENCY_NOT_FOUND,
            http_status=404,
        )

    def write_only(self, spec: NetworkInterfaceConfigSpec) -> Delta:
        """The parameters the spec sets that no answer shows (sent once per generation)."""
        params = spec.to_cloud()
        found = [
            Difference(key=k, path=f"spec.{_camel(k)}", desired=str(params[k]), observed=None)
            for k in sorted(WRITE_ONLY)
            if k in params
        ]
        traffic = params.get("NetworkInterfaceTrafficConfig") or {}
        found += [
            Difference(
                key="NetworkInterfaceTrafficConfig",
                path=f"spec.networkInterfaceTrafficConfig.{_camel(k)}",
                desired=str(traffic[k]),
                observed=None,
            )
            for k in sorted(WRITE_ONLY)
            if k in traffic
        ]
        return Delta.of(found)

    async def modify(
        self, spec: NetworkInterfaceConfigSpec, params: Mapping[str, Any]
    ) -> WriteResult:
        response = await self.client.call(
            MODIFY,
            {
                "RegionId": spec.region_id,
                "NetworkInterfaceId": spec.network_interface_id,
                **params,
            },
            own_object=False,  # an unknown ENI is a dependency, not ours to recreate
        )
        return WriteResult(external_id=spec.network_interface_id, request_id=response.request_id)

    async def update(
        self, spec: NetworkInterfaceConfigSpec, external_id: str, delta: Delta
    ) -> WriteResult:
        """One Modify with every parameter that differs (nested objects whole)."""
        desired = spec.to_cloud()
        params = {key: desired[key] for key in sorted(delta.keys) if key in desired}
        return await self.modify(spec, params)

    async def delete(self, spec: NetworkInterfaceConfigSpec, external_id: str) -> WriteResult:
        """Never deletes an ENI: the resource only ever held its attributes."""
        return WriteResult(external_id=external_id, request_id=None)

    def snapshot(self, observation: Observation) -> dict[str, Any]:
        """The attributes Restore can put back, as observed before any change."""
        return {
            k: v
            for k, v in observation.observed.items()
            if k not in ("Status", "Type") and v is not None
        }

    async def restore(
        self, spec: NetworkInterfaceConfigSpec, original: Mapping[str, Any], current: Observation
    ) -> WriteResult | None:
        """One Modify putting back what the spec manages and the ENI shows otherwise.

        None when the ENI already shows every recorded value (or nothing is
        recorded): the core takes that as the proof that Restore is done.
        """
        params = {
            key: value
            for key, value in self.restore_params(spec, original).items()
            if not _shows(key, value, current.observed.get(key))
        }
        return await self.modify(spec, params) if params else None

    def restore_params(
        self, spec: NetworkInterfaceConfigSpec, original: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Original values of what the spec manages (what the operator may have changed).

        An empty original (an ENI without a description) cannot be put back:
        ModifyNetworkInterfaceAttribute takes 2-255 characters, and an empty
        parameter is no parameter. It is left out rather than sent for ever.
        """
        params: dict[str, Any] = {}
        for key, value in spec.to_cloud().items():
            if key in ("RegionId", "NetworkInterfaceId") or key not in original:
                continue
            if original[key] in ("", None, [], {}):
                continue
            if isinstance(value, Mapping):
                subset = {s: original[key][s] for s in value if s in (original[key] or {})}
                if subset:
                    params[key] = subset
            else:
                params[key] = original[key]
        return params

    async def observe_many(
        self, scope: str, specs: Mapping[str, NetworkInterfaceConfigSpec]
    ) -> dict[str, Observation]:
        """One DescribeNetworkInterfaces per 100 ENIs of the region, plus details where needed."""
        ids = sorted(specs)
        seen: dict[str, Observation] = {}
        for start in range(0, len(ids), IDS_PER_LIST):
            chunk = ids[start : start + IDS_PER_LIST]
            token: str | None = None
            while True:
                response = await self.client.call(
                    "DescribeNetworkInterfaces",
                    {
                        "RegionId": scope,
                        "NetworkInterfaceId": chunk,
                        "MaxResults": 100,
                        "NextToken": token,
                    },
                )
                sets = (response.body.get("NetworkInterfaceSets") or {}).get(
                    "NetworkInterfaceSet"
                ) or []
                for eni in sets:
                    eni_id = str(eni.get("NetworkInterfaceId"))
                    if eni_id in specs:
                        seen[eni_id] = self._observation(specs[eni_id], eni, response.request_id)
                token = response.body.get("NextToken") or None
                if not token or not sets:
                    break
        for eni_id, spec in specs.items():
            if eni_id in seen and _DETAIL_ONLY & set(spec.to_cloud()):
                seen[eni_id] = await self.observe(spec, eni_id)
        return {eni_id: seen.get(eni_id, Observation.gone()) for eni_id in specs}
