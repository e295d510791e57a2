"""Provider ``alibaba-sag``: DNAT entries on Alibaba Cloud Smart Access Gateway.

SAG has AddDnatEntry, DeleteDnatEntry and DescribeDnatEntries (SAG API
reference), and no Modify: a changed entry is replaced
(``UpdateStyle.REPLACE``), which the reconcile core does as delete-then-add
under the create-pending guard, so a crash in between is finished on the
next pass rather than losing the rule.
Entries have no asynchronous state: one that exists is ACTIVE.

DescribeDnatEntries has no id filter, so observing one entry pages through
its SAG's listing; :meth:`observe_many` lists each SAG once per Type
(Intranet, Internet) for all its resources together, at 50 entries a page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from cloudnet.api.common import Phase
from cloudnet.clouds.alibaba import AlibabaRpcClient
from cloudnet.clouds.errors import CloudError
from cloudnet.core.provider import (
    Capabilities,
    Delta,
    Difference,
    Observation,
    ProviderBase,
    UpdateStyle,
    WriteResult,
)
from cloudnet.providers.alibaba_sag.spec import AlibabaSagSpec

#: DescribeDnatEntries' largest page (its reference: PageSize at most 50).
PAGE_SIZE = 50
TYPES = ("Intranet", "Internet")
_FIELDS = {
    "Type": "type",
    "ExternalIp": "externalIp",
    "ExternalPort": "externalPort",
    "InternalIp": "internalIp",
    "InternalPort": "internalPort",
    "IpProtocol": "ipProtocol",
}


def drift_of(spec: AlibabaSagSpec, entry: Mapping[str, Any]) -> Delta:
    desired = spec.to_cloud()
    desired.setdefault("Type", "Intranet")  # the cloud's default
    drift = []
    for key, field in _FIELDS.items():
        if key not in desired:
            continue
        want, have = str(desired[key]), str(entry.get(key) or "")
        if key == "IpProtocol":  # Describe answers tcp/udp/any, Add takes TCP/UDP/Any
            want, have = want.lower(), have.lower()
        if want != have:
            drift.append(
                Difference(
                    key=key, path=f"spec.alibabaSag.{field}", desired=want, observed=have or None
                )
            )
    return Delta.of(drift)


def _key(entry: Mapping[str, Any]) -> tuple[str, str, str, str, str]:
    return (
        str(entry.get("SagId") or ""),
        str(entry.get("Type") or "Intranet"),
        str(entry.get("ExternalIp") or ""),
        str(entry.get("ExternalPort") or ""),
        str(entry.get("IpProtocol") or "").lower(),
    )


class AlibabaSagProvider(ProviderBase):
    """SAG DNAT entries through one :class:`AlibabaRpcClient` (Version 2018-03-13)."""

    name = "alibaba-sag"
    #: no Modify call: the reconcile core replaces a changed entry (delete, then add)
    capabilities = Capabilities(update=UpdateStyle.REPLACE, batched_reads=True)

    def __init__(self, client: AlibabaRpcClient) -> None:
        self.client = client

    def scope(self, spec: AlibabaSagSpec) -> str:
        return f"{spec.region_id}/{spec.sag_id}"

    def _observation(
        self, spec: AlibabaSagSpec, entry: Mapping[str, Any], request_id: str | None
    ) -> Observation:
        return Observation(
            exists=True,
            external_id=str(entry["DnatEntryId"]),
            phase=Phase.ACTIVE,
            observed=dict(entry),
            delta=drift_of(spec, entry),
            request_id=request_id,
        )

    async def entries(
        self, region: str, sag_id: str, entry_type: str
    ) -> AsyncIterator[tuple[dict[str, Any], str | None]]:
        """Every entry of one SAG and Type, page by page, with each page's request id."""
        page = 1
        while True:
            response = await self.client.call(
                "DescribeDnatEntries",
                {
                    "RegionId": region,
                    "SagId": sag_id,
                    "Type": entry_type,
                    "PageNumber": page,
                    "PageSize": PAGE_SIZE,
                },
            )
            entries = (response.body.get("DnatEntries") or {}).get("DnatEntry") or []
            for entry in entries:
                yield entry, response.request_id
            total = int(response.body.get("TotalCount") or 0)
            if not entries or page * PAGE_SIZE >= total:
                return
            page += 1

    async def observe(self, spec: AlibabaSagSpec, external_id: str) -> Observation:
        request_id = None
        for entry_type in TYPES:
            async for entry, request_id in self.entries(spec.region_id, spec.sag_id, entry_type):
                if entry.get("DnatEntryId") == external_id:
                    return self._observation(spec, entry, request_id)
        return Observation.gone(request_id)

    @staticmethod
    def _holds(spec: AlibabaSagSpec, entry: Mapping[str, Any]) -> bool:
        key = spec.unique_key()
        return _key(entry) == key or (not spec.external_ip and _key(entry)[3:] == key[3:])

    async def find(self, spec: AlibabaSagSpec) -> Observation:
        key = spec.unique_key()
        request_id = None
        async for entry, request_id in self.entries(spec.region_id, spec.sag_id, key[1]):
            if self._holds(spec, entry):
                return self._observation(spec, entry, request_id)
        return Observation.gone(request_id)

    async def find_many(self, scope: str, specs: Sequence[AlibabaSagSpec]) -> list[Observation]:
        """One listing per Type of the SAG answers every spec's key."""
        region, _, sag_id = scope.partition("/")
        wanted = sorted({spec.unique_key()[1] for spec in specs})
        listed: dict[str, list[tuple[dict[str, Any], str | None]]] = {}
        for entry_type in wanted:
            listed[entry_type] = [p async for p in self.entries(region, sag_id, entry_type)]
        answers = []
        for spec in specs:
            entries = listed[spec.unique_key()[1]]
            held = next(((e, r) for e, r in entries if self._holds(spec, e)), None)
            last = entries[-1][1] if entries else None
            answers.append(self._observation(spec, *held) if held else Observation.gone(last))
        return answers

    async def create(self, spec: AlibabaSagSpec) -> WriteResult:
        response = await self.client.call("AddDnatEntry", spec.to_cloud())
        entry_id = response.body.get("DnatEntryId")
        if not entry_id:
            return WriteResult(external_id=None, request_id=response.request_id)
        # No asynchronous state on SAG: the entry is in force once added.
        entry = {**spec.to_cloud(), "DnatEntryId": str(entry_id)}
        entry.setdefault("Type", "Intranet")
        return WriteResult(
            external_id=str(entry_id),
            request_id=response.request_id,
            observation=self._observation(spec, entry, response.request_id),
        )

    async def update(self, spec: AlibabaSagSpec, external_id: str, delta: Delta) -> WriteResult:
        raise NotImplementedError("SAG has no Modify call: the reconcile core replaces entries")

    async def delete(self, spec: AlibabaSagSpec, external_id: str) -> WriteResult:
        try:
            response = await self.client.call(
                "DeleteDnatEntry",
                {"RegionId": spec.region_id, "SagId": spec.sag_id, "DnatEntryId": external_id},
            )
        except CloudError:
            # SAG answers an unknown entry with a generic InvalidParameter: if the entry
            # is no longer listed, it is gone, and that is what a delete wants.
            after = await self.observe(spec, external_id)
            if not after.exists:
                return WriteResult(external_id=external_id, request_id=after.request_id)
            raise
        return WriteResult(external_id=external_id, request_id=response.request_id)

    async def observe_many(
        self, scope: str, specs: Mapping[str, AlibabaSagSpec]
    ) -> dict[str, Observation]:
        """One paged listing per Type for every resource on this SAG."""
        region, _, sag_id = scope.partition("/")
        seen: dict[str, Observation] = {}
        for entry_type in TYPES:
            async for entry, request_id in self.entries(region, sag_id, entry_type):
                entry_id = str(entry.get("DnatEntryId"))
                if entry_id in specs:
                    seen[entry_id] = self._observation(specs[entry_id], entry, request_id)
        return {eid: seen.get(eid, Observation.gone()) for eid in specs}
