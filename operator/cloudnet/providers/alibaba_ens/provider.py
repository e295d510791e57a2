"""Provider ``alibaba-ens``: forward (DNAT) entries on Alibaba Cloud ENS NAT gateways.

CreateForwardEntry and ModifyForwardEntry (ENS API reference) plus the
companion calls DeleteForwardEntry and DescribeForwardTableEntries. The
entry's unique key is (gateway, external IP, external port, protocol); the
cloud refuses a duplicate (Forbidden.ExternalPort.Duplicated), so the key
also finds an entry whose create answer was lost. The user's
``forwardEntryName`` is never touched to mark ownership.

ENS states map onto the shared vocabulary: Pending → PENDING_CREATE (the
reconcile core keeps PENDING_UPDATE after a modify), Available → ACTIVE,
Deleting → PENDING_DELETE.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from cloudnet.providers.alibaba_ens.spec import AlibabaEnsSpec

LIST = "DescribeForwardTableEntries"
#: DescribeForwardTableEntries' largest page.
PAGE_SIZE = 100
#: DescribeForwardTableEntries on a NatGatewayId that does not exist.
GATEWAY_NOT_FOUND_CODE = "InvalidParameter.NatNotFound"
_PHASES = {
    "Pending": Phase.PENDING_CREATE,
    "Available": Phase.ACTIVE,
    "Deleting": Phase.PENDING_DELETE,
}
#: Cloud parameter → spec field (camelCase), for drift paths and modify parameters.
_FIELDS = {
    "ExternalIp": "externalIp",
    "ExternalPort": "externalPort",
    "InternalIp": "internalIp",
    "InternalPort": "internalPort",
    "IpProtocol": "ipProtocol",
    "ForwardEntryName": "forwardEntryName",
    "HealthCheckPort": "healthCheckPort",
    "StandbyExternalIp": "standbyExternalIp",
}
#: What ModifyForwardEntry can change (its reference's parameters); the rest is immutable.
_MODIFIABLE = {
    "ExternalIp",
    "ExternalPort",
    "InternalIp",
    "InternalPort",
    "IpProtocol",
    "ForwardEntryName",
    "HealthCheckPort",
}


def _same(want: Any, have: Any, key: str) -> bool:
    if key == "IpProtocol":
        return str(want).lower() == str(have or "Any").lower()
    return str(want) == ("" if have is None else str(have))


def drift_of(spec: AlibabaEnsSpec, entry: Mapping[str, Any]) -> Delta:
    return Delta.of(
        Difference(
            key=key,
            path=f"spec.alibabaEns.{_FIELDS[key]}",
            desired=str(want),
            observed=None if entry.get(key) in (None, "") else str(entry.get(key)),
        )
        for key, want in spec.to_cloud().items()
        if key in _FIELDS and not _same(want, entry.get(key), key)
    )


class AlibabaEnsProvider(ProviderBase):
    """ENS forward entries through one :class:`AlibabaRpcClient` (Version 2017-11-10)."""

    name = "alibaba-ens"
    #: DescribeForwardTableEntries answers every read, by id or by gateway
    capabilities = Capabilities(batched_reads=True)

    def __init__(self, client: AlibabaRpcClient) -> None:
        self.client = client

    def scope(self, spec: AlibabaEnsSpec) -> str:
        return spec.nat_gateway_id

    def _observation(
        self, spec: AlibabaEnsSpec, entry: Mapping[str, Any], request_id: str | None
    ) -> Observation:
        return Observation(
            exists=True,
            external_id=str(entry["ForwardEntryId"]),
            phase=_PHASES.get(str(entry.get("Status"))),
            observed=dict(entry),
            delta=drift_of(spec, entry),
            request_id=request_id,
        )

    async def _pages(self, params: Mapping[str, Any]) -> Any:
        """Every entry matching ``params``, page by page, with each page's request id."""
        page = 1
        while True:
            response = await self.client.call(
                LIST, {**params, "PageNumber": page, "PageSize": PAGE_SIZE}
            )
            entries = response.body.get("ForwardTableEntries") or []
            if isinstance(entries, Mapping):  # tolerate the XML-style nesting
                entries = entries.get("ForwardTableEntry") or []
            for entry in entries:
                yield entry, response.request_id
            total = int(response.body.get("TotalCount") or 0)
            if not entries or page * PAGE_SIZE >= total:
                return
            page += 1

    async def observe(self, spec: AlibabaEnsSpec, external_id: str) -> Observation:
        request_id = None
        try:
            async for entry, request_id in self._pages(
                {"NatGatewayId": spec.nat_gateway_id, "ForwardEntryId": external_id}
            ):
                if entry.get("ForwardEntryId") == external_id:
                    return self._observation(spec, entry, request_id)
        except CloudError as exc:
            # The entry's own gateway is gone, and its entries with it: the cloud's proof
            # that the entry is gone too (else a delete would wait on it for ever).
            if exc.code == GATEWAY_NOT_FOUND_CODE:
                return Observation.gone(exc.request_id)
            raise
        return Observation.gone(request_id)

    def _holds(self, spec: AlibabaEnsSpec, entry: Mapping[str, Any]) -> bool:
        """Whether the entry holds the spec's unique key (EIP, external port, protocol)."""
        _, external_ip, external_port, protocol = spec.unique_key()
        return (
            entry.get("Status") != "Deleting"
            and str(entry.get("ExternalIp")) == external_ip
            and str(entry.get("ExternalPort")) == external_port
            and str(entry.get("IpProtocol") or "Any").lower() == protocol.lower()
        )

    async def find(self, spec: AlibabaEnsSpec) -> Observation:
        gateway, external_ip, _, _ = spec.unique_key()
        request_id = None
        async for entry, request_id in self._pages(
            {"NatGatewayId": gateway, "ExternalIp": external_ip}
        ):
            if self._holds(spec, entry):
                return self._observation(spec, entry, request_id)
        return Observation.gone(request_id)

    async def find_many(self, scope: str, specs: Sequence[AlibabaEnsSpec]) -> list[Observation]:
        """One listing of the gateway answers every spec's key."""
        entries = [pair async for pair in self._pages({"NatGatewayId": scope})]
        last = entries[-1][1] if entries else None
        answers = []
        for spec in specs:
            held = next(((e, r) for e, r in entries if self._holds(spec, e)), None)
            answers.append(self._observation(spec, *held) if held else Observation.gone(last))
        return answers

    async def create(self, spec: AlibabaEnsSpec) -> WriteResult:
        response = await self.client.call("CreateForwardEntry", spec.to_cloud())
        entry_id = response.body.get("ForwardEntryId")
        return WriteResult(
            external_id=str(entry_id) if entry_id else None, request_id=response.request_id
        )

    async def update(self, spec: AlibabaEnsSpec, external_id: str, delta: Delta) -> WriteResult:
        desired = spec.to_cloud()
        changed = set(delta.keys)
        if changed & {"ExternalPort", "InternalPort"}:
            changed |= {"ExternalPort", "InternalPort"}  # the cloud checks them as a pair
        params = {k: desired[k] for k in sorted(changed & _MODIFIABLE) if k in desired}
        response = await self.client.call(
            "ModifyForwardEntry", {"ForwardEntryId": external_id, **params}
        )
        return WriteResult(external_id=external_id, request_id=response.request_id)

    async def delete(self, spec: AlibabaEnsSpec, external_id: str) -> WriteResult:
        try:
            response = await self.client.call("DeleteForwardEntry", {"ForwardEntryId": external_id})
        except CloudError as exc:
            if exc.error_class is ErrorClass.NOT_FOUND:
                return WriteResult(external_id=external_id, request_id=exc.request_id)
            raise
        return WriteResult(external_id=external_id, request_id=response.request_id)

    async def observe_many(
        self, scope: str, specs: Mapping[str, AlibabaEnsSpec]
    ) -> dict[str, Observation]:
        seen: dict[str, Observation] = {}
        async for entry, request_id in self._pages({"NatGatewayId": scope}):
            entry_id = str(entry.get("ForwardEntryId"))
            if entry_id in specs:
                seen[entry_id] = self._observation(specs[entry_id], entry, request_id)
        return {eid: seen.get(eid, Observation.gone()) for eid in specs}
