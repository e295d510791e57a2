"""Provider ``huawei-nat``: DNAT rules on Huawei Cloud NAT Gateway v2.

The calls are those of the NAT Gateway API reference ("Querying Details of a
DNAT Rule" and its sibling pages for create, update, delete and list). The
rule's unique key is (gateway, EIP, external port or range, protocol): the
cloud refuses a second rule with the same key, so it is also how a rule whose
create answer was lost is found again. Only the fields the spec sets
are compared and sent; a field the spec leaves out is the cloud's business.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cloudnet.api.common import Phase
from cloudnet.clouds.errors import CloudError, ErrorClass
from cloudnet.core.provider import (
    Capabilities,
    Delta,
    Difference,
    Observation,
    ProviderBase,
    WriteResult,
)
from cloudnet.providers.huawei_nat.client import DEFAULT_PAGE_SIZE, HuaweiNatClient
from cloudnet.providers.huawei_nat.spec import HuaweiNatSpec

_PHASES = {p.value for p in Phase}
#: The spec fields that are not compared: the gateway is the scope (and immutable).
_NOT_COMPARED = {"nat_gateway_id"}
#: Spec field → its path in the resource, for status.drift.
_SPEC_PATH = "spec.huaweiNat."


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _phase(rule: Mapping[str, Any]) -> Phase | None:
    status = rule.get("status")
    return Phase(status) if status in _PHASES else None


def drift_of(spec: HuaweiNatSpec, rule: Mapping[str, Any]) -> Delta:
    desired = spec.to_cloud()
    drift = []
    for key, want in desired.items():
        if key in _NOT_COMPARED:
            continue
        have = rule.get(key)
        if isinstance(want, str) and isinstance(have, str) and key == "protocol":
            same = want.lower() == have.lower()
        else:
            same = want == have
        if not same:
            drift.append(
                Difference(
                    key=key,
                    path=_SPEC_PATH + _camel(key),
                    desired=None if want is None else str(want),
                    observed=None if have in (None, "") else str(have),
                )
            )
    return Delta.of(drift)


def _external(rule: Mapping[str, Any]) -> str:
    return str(rule.get("external_service_port_range") or rule.get("external_service_port"))


#: The fields UpdateNatGatewayDnatRule wants sent together (global_eip_id stands in for
#: floating_ip_id on a global-EIP rule).
_UPDATED_TOGETHER = (
    "port_id",
    "private_ip",
    "internal_service_port",
    "external_service_port",
    "floating_ip_id",
    "global_eip_id",
    "protocol",
    "internal_service_port_range",
    "external_service_port_range",
)


class HuaweiNatProvider(ProviderBase):
    """DNAT rules of one Huawei project, through one :class:`HuaweiNatClient`."""

    name = "huawei-nat"
    #: the list answer shows a rule as the show answer does
    capabilities = Capabilities(batched_reads=True)

    def __init__(self, client: HuaweiNatClient) -> None:
        self.client = client

    def scope(self, spec: HuaweiNatSpec) -> str:
        return spec.nat_gateway_id

    def _observation(
        self, spec: HuaweiNatSpec, rule: Mapping[str, Any], request_id: str | None
    ) -> Observation:
        return Observation(
            exists=True,
            external_id=str(rule["id"]),
            phase=_phase(rule),
            observed=dict(rule),
            delta=drift_of(spec, rule),
            request_id=request_id,
        )

    async def observe(self, spec: HuaweiNatSpec, external_id: str) -> Observation:
        try:
            response = await self.client.show_dnat_rule(external_id)
        except CloudError as exc:
            if exc.error_class is ErrorClass.NOT_FOUND:
                return Observation.gone(exc.request_id)
            raise
        return self._observation(spec, response.body.get("dnat_rule") or {}, response.request_id)

    async def _rules(self, **filters: Any) -> tuple[list[dict[str, Any]], str | None]:
        """Every rule matching ``filters``, page by page, and the last page's request id."""
        marker: str | None = None
        found: list[dict[str, Any]] = []
        while True:
            page = await self.client.list_dnat_rules_page(
                limit=DEFAULT_PAGE_SIZE, marker=marker, **filters
            )
            rules = page.body.get("dnat_rules") or []
            found.extend(rules)
            if len(rules) < DEFAULT_PAGE_SIZE or not rules or rules[-1].get("id") == marker:
                return found, page.request_id
            marker = str(rules[-1].get("id"))

    def _holder(
        self, spec: HuaweiNatSpec, rules: list[dict[str, Any]], request_id: str | None
    ) -> Observation:
        """The rule that holds the spec's unique key (EIP, external port, protocol)."""
        _, eip, external, protocol = spec.unique_key()
        for rule in rules:
            if rule.get("status") == Phase.PENDING_DELETE:
                continue
            rule_eip = rule.get("floating_ip_id") or rule.get("global_eip_id")
            if (
                rule_eip == eip
                and _external(rule) == external
                and str(rule.get("protocol", "")).lower() == protocol
            ):
                return self._observation(spec, rule, request_id)
        return Observation.gone(request_id)

    async def find(self, spec: HuaweiNatSpec) -> Observation:
        filters: dict[str, Any] = {"nat_gateway_id": spec.nat_gateway_id}
        if spec.floating_ip_id:
            filters["floating_ip_id"] = spec.floating_ip_id
        if spec.external_service_port is not None:
            filters["external_service_port"] = spec.external_service_port
        rules, request_id = await self._rules(**filters)
        return self._holder(spec, rules, request_id)

    async def find_many(self, scope: str, specs: Sequence[HuaweiNatSpec]) -> list[Observation]:
        """One listing of the gateway answers every spec's key."""
        rules, request_id = await self._rules(nat_gateway_id=scope)
        return [self._holder(spec, rules, request_id) for spec in specs]

    async def create(self, spec: HuaweiNatSpec) -> WriteResult:
        response = await self.client.create_dnat_rule(spec.to_cloud())
        rule = response.body.get("dnat_rule") or {}
        observation = self._observation(spec, rule, response.request_id) if rule else None
        return WriteResult(
            external_id=str(rule.get("id")) if rule.get("id") else None,
            request_id=response.request_id,
            observation=observation,
        )

    async def update(self, spec: HuaweiNatSpec, external_id: str, delta: Delta) -> WriteResult:
        desired = spec.to_cloud()
        changes = {k: v for k, v in desired.items() if delta.different_at(k)}
        # "The following fields must be updated together: port_id, private_ip,
        # internal_service_port, external_service_port, floating_ip_id, protocol,
        # internal_service_port_range and external_service_port_range"
        # (UpdateNatGatewayDnatRule): when any of them changes, the whole group goes.
        if any(k in _UPDATED_TOGETHER for k in changes):
            changes.update({k: desired[k] for k in _UPDATED_TOGETHER if k in desired})
        changes["nat_gateway_id"] = spec.nat_gateway_id
        response = await self.client.update_dnat_rule(external_id, changes)
        rule = response.body.get("dnat_rule") or {}
        return WriteResult(
            external_id=external_id,
            request_id=response.request_id,
            observation=self._observation(spec, rule, response.request_id) if rule else None,
        )

    async def delete(self, spec: HuaweiNatSpec, external_id: str) -> WriteResult:
        try:
            response = await self.client.delete_dnat_rule(spec.nat_gateway_id, external_id)
        except CloudError as exc:
            if exc.error_class is ErrorClass.NOT_FOUND:
                return WriteResult(external_id=external_id, request_id=exc.request_id)
            raise
        return WriteResult(external_id=external_id, request_id=response.request_id)

    async def observe_many(
        self, scope: str, specs: Mapping[str, HuaweiNatSpec]
    ) -> dict[str, Observation]:
        """One paged listing of the gateway's rules answers for all of its resources."""
        seen: dict[str, Observation] = {}
        async for rule in self.client.list_dnat_rules(nat_gateway_id=scope):
            rule_id = str(rule.get("id"))
            if rule_id in specs:
                seen[rule_id] = self._observation(specs[rule_id], rule, None)
        return {rid: seen.get(rid, Observation.gone()) for rid in specs}
