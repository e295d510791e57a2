"""The NAT Gateway v2 DNAT-rule calls, and NAT's error table.

The paths, JSON envelopes and list filters are ``huaweicloudsdknat`` v2's
(``CreateNatGatewayDnatRule``, ``ShowNatGatewayDnatRule``,
``UpdateNatGatewayDnatRule``, ``DeleteNatGatewayDnatRule``,
``ListNatGatewayDnatRules``); signing, transport and classification are the
shared Huawei client's (:mod:`cloudnet.clouds.huawei`).

Quota: a public gateway holds at most 200 DNAT rules; a create beyond that
is NAT.0309, a ``Conflict`` that frees up when another rule goes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from types import MappingProxyType
from typing import Any

from cloudnet.clouds.errors import ErrorClass
from cloudnet.clouds.huawei import (
    APIG_ERRORS,
    CloudResponse,
    FilterValue,
    HuaweiClient,
    classify_huawei_error,
    query_pairs,
)

# NAT Gateway v2 codes, with their HTTP status, from:
#   [N1] "Error Codes", NAT Gateway API reference
#        (https://support.huaweicloud.com/intl/en-us/api-natgateway/ErrorCode.html)
#   [N2] "Error Code Description v2" (nat_api_0039.html): NAT.0013 is the gateway's router
#   [N3] the same "Error Codes" page as mirrored for the same service by its
#        T-Systems edition (opentelekomcloud-docs/nat-gateway, error_codes.rst), for
#        the DNAT-module rows (NAT.03xx, NAT.04xx) the Huawei page shows only in part
#   [N4] "Error Code Description v2.0" (nat_api_0040.html): VPC.xxxx of the shared
#        Neutron layer (project mismatch, policy refusals)
#: The one table: exact Huawei error code → retry class; the client adds the
#: own-rule rule (NAT.0319) and the unknown-code rule (:func:`classify_nat_error`).
HUAWEI_NAT_ERRORS: Mapping[str, ErrorClass] = MappingProxyType(
    {
        # --- NAT Gateway, common module ---
        "NAT.0001": ErrorClass.INVALID_SPEC,  # 400 invalid created_at timestamp [N1]
        "NAT.0002": ErrorClass.INVALID_SPEC,  # 400 invalid parameters [N1]
        "NAT.0004": ErrorClass.DEPENDENCY_NOT_FOUND,  # 404 router does not exist [N1]
        "NAT.0005": ErrorClass.DEPENDENCY_NOT_FOUND,  # 404 network does not exist [N1]
        "NAT.0006": ErrorClass.CONFLICT,  # 400 rules not deleted yet (gateway delete) [N1]
        "NAT.0007": ErrorClass.TRANSIENT,  # 400 "DB Error": a server fault despite the 400 [N1]
        "NAT.0009": ErrorClass.CONFLICT,  # 400 resource in use by another [N1]
        "NAT.0013": ErrorClass.DEPENDENCY_NOT_FOUND,  # 404 the gateway's router is missing [N2]
        "NAT.0014": ErrorClass.INVALID_SPEC,  # 400 description longer than 255 [N1]
        # 404 tenant_id other than the authenticated one: credentials, never "rule gone" [N3]
        "NAT.0020": ErrorClass.AUTH_FAILED,
        "NAT.0021": ErrorClass.DEPENDENCY_NOT_FOUND,  # 404 nat_gateway_id not a valid id [N3]
        "NAT.0023": ErrorClass.DEPENDENCY_NOT_FOUND,  # 404 port_id not found [N3]
        "NAT.0024": ErrorClass.DEPENDENCY_NOT_FOUND,  # 404 floating_ip_id not found [N3]
        "NAT.0025": ErrorClass.AUTH_FAILED,  # 401 token expired [N1]
        "NAT.0026": ErrorClass.DEPENDENCY_NOT_FOUND,  # 400 floating IP not found [N3]
        # --- NAT Gateway, gateway module ---
        "NAT.0102": ErrorClass.TRANSIENT,  # 400 "the system is busy, try again later" [N3]
        "NAT.0103": ErrorClass.CONFLICT,  # 400 gateway not ACTIVE: it settles or a human acts [N3]
        "NAT.0104": ErrorClass.CONFLICT,  # 400 gateway not UP (frozen, e.g. arrears) [N3]
        "NAT.0105": ErrorClass.DEPENDENCY_NOT_FOUND,  # 404 (400 on delete) gateway unknown [N1]
        "NAT.0106": ErrorClass.TRANSIENT,  # 400 concurrent conflicting requests on a gateway [N3]
        "NAT.0109": ErrorClass.INVALID_SPEC,  # 400 the gateway does not support IPv6 [N3]
        # --- NAT Gateway, DNAT rule module [N3] ---
        "NAT.0301": ErrorClass.INVALID_SPEC,  # 400 port range / missing field / protocol shape
        "NAT.0302": ErrorClass.INVALID_SPEC,  # 400 protocol not supported
        "NAT.0303": ErrorClass.INVALID_SPEC,  # 400 invalid port value
        # 400 port_id/private_ip + internal port + protocol taken by another rule
        "NAT.0304": ErrorClass.CONFLICT,
        # 400 floating IP + external port + protocol taken: the unique key is held
        "NAT.0305": ErrorClass.CONFLICT,
        "NAT.0306": ErrorClass.INVALID_SPEC,  # 400 all-port rule needs 0/0 and protocol any
        "NAT.0307": ErrorClass.CONFLICT,  # 400 port_id already has (all-port) rules
        "NAT.0308": ErrorClass.CONFLICT,  # 400 private_ip already has (all-port) rules [N1]
        "NAT.0309": ErrorClass.CONFLICT,  # 400 the gateway's DNAT rule limit (200) reached
        "NAT.0310": ErrorClass.INVALID_SPEC,  # 400 neither port_id nor private_ip
        "NAT.0311": ErrorClass.INVALID_SPEC,  # 400 private IP address not legal
        "NAT.0312": ErrorClass.INVALID_SPEC,  # 400 a virtual IP address is not supported
        "NAT.0313": ErrorClass.CONFLICT,  # 400 the floating IP's DNAT rule limit reached
        "NAT.0315": ErrorClass.INVALID_SPEC,  # 400 port_id is not a valid port
        "NAT.0317": ErrorClass.INVALID_SPEC,  # 400 port_id and private_ip both given
        "NAT.0318": ErrorClass.CONFLICT,  # 400 the rule is frozen, cannot be updated
        # 404 no DNAT rule with that id; on our own rule's path: NotFound (docstring rule 1)
        "NAT.0319": ErrorClass.DEPENDENCY_NOT_FOUND,
        # --- NAT Gateway, floating IP module [N3] ---
        "NAT.0401": ErrorClass.CONFLICT,  # 400 floating IP frozen
        "NAT.0402": ErrorClass.CONFLICT,  # 400 floating IP associated with a port
        "NAT.0404": ErrorClass.CONFLICT,  # 400 floating IP used by another NAT gateway
        "NAT.0405": ErrorClass.CONFLICT,  # 400 floating IP occupied
        "NAT.0407": ErrorClass.CONFLICT,  # 400 floating IP used by other rules
        "NAT.0408": ErrorClass.CONFLICT,  # 400 floating IP with both DNAT and all-port rules
        "NAT.0409": ErrorClass.CONFLICT,  # 400 floating IP with SNAT and an all-port rule
        "NAT.0410": ErrorClass.INVALID_SPEC,  # 400 invalid floating IP value
        # --- NAT Gateway, server faults [N1] ---
        "NAT.1001": ErrorClass.TRANSIENT,  # 500 internal server error
        # --- the shared network layer's credential and policy codes [N1][N4] ---
        "VPC.0007": ErrorClass.AUTH_FAILED,  # 400 the URL's project is not the token's
        "VPC.0008": ErrorClass.AUTH_FAILED,  # 401 invalid token in the header
        "VPC.0009": ErrorClass.AUTH_FAILED,  # 401 real-name authentication failed
        "VPC.0010": ErrorClass.AUTH_FAILED,  # 403 disallowed by policy
        "VPC.2201": ErrorClass.AUTH_FAILED,  # 403 the IAM policy does not allow the action
        "VPC.2701": ErrorClass.AUTH_FAILED,  # 403 token not allowed (or account frozen)
        # --- API Gateway (APIG) in front of every Huawei API, both spellings ---
        **APIG_ERRORS,
    }
)

#: NAT's own code for "no DNAT rule with that id": the only answer that means our rule is gone.
RULE_NOT_FOUND_CODE = "NAT.0319"

#: Query filters of ListNatGatewayDnatRulesRequest (huaweicloudsdknat v2), paging excluded.
DNAT_RULE_LIST_FILTERS = frozenset(
    {
        "admin_state_up",
        "created_at",
        "description",
        "external_service_port",
        "floating_ip_address",
        "floating_ip_id",
        "global_eip_address",
        "global_eip_id",
        "id",
        "internal_service_port",
        "nat_gateway_id",
        "port_id",
        "private_ip",
        "protocol",
        "status",
    }
)

#: Default page size of :meth:`HuaweiNatClient.list_dnat_rules`: the API's largest
#: (limit 1-2000), so a gateway (quota 200 rules, raisable) is one call. 200 made a
#: full gateway two calls (a full page, then an empty one). A server that silently
#: caps the page would end the paging early; that cannot duplicate anything: gone is
#: said only by a read by id, and the unique key refuses a second create.
DEFAULT_PAGE_SIZE = 2000


def classify_nat_error(code: str, http_status: int, *, own_object: bool = False) -> ErrorClass:
    """The retry class of a NAT answer (:func:`cloudnet.clouds.huawei.classify_huawei_error`)."""
    return classify_huawei_error(
        code,
        http_status,
        own_object=own_object,
        errors=HUAWEI_NAT_ERRORS,
        gone=frozenset({RULE_NOT_FOUND_CODE}),
    )


class HuaweiNatClient(HuaweiClient):
    """NAT Gateway v2 DNAT-rule calls against one endpoint and project."""

    product = "Huawei NAT"
    errors = HUAWEI_NAT_ERRORS
    gone_codes = frozenset({RULE_NOT_FOUND_CODE})

    # --- DNAT rules ------------------------------------------------------

    async def create_dnat_rule(self, rule: Mapping[str, Any]) -> CloudResponse:
        """POST /v2/{project_id}/dnat_rules; answers 201 with ``{"dnat_rule": {...}}``."""
        return await self._call(
            "POST",
            self._path("v2", "dnat_rules"),
            body={"dnat_rule": dict(rule)},
            action="CreateNatGatewayDnatRule",
        )

    async def show_dnat_rule(self, rule_id: str) -> CloudResponse:
        """GET /v2/{project_id}/dnat_rules/{id}; a vanished rule raises NotFound."""
        return await self._call(
            "GET",
            self._path("v2", "dnat_rules", rule_id),
            own_object=True,
            action="ShowNatGatewayDnatRule",
        )

    async def update_dnat_rule(self, rule_id: str, changes: Mapping[str, Any]) -> CloudResponse:
        """PUT /v2/{project_id}/dnat_rules/{id} with ``{"dnat_rule": changes}``."""
        return await self._call(
            "PUT",
            self._path("v2", "dnat_rules", rule_id),
            body={"dnat_rule": dict(changes)},
            own_object=True,
            action="UpdateNatGatewayDnatRule",
        )

    async def delete_dnat_rule(self, nat_gateway_id: str, rule_id: str) -> CloudResponse:
        """DELETE /v2/{project_id}/nat_gateways/{gw}/dnat_rules/{id}; answers 204."""
        return await self._call(
            "DELETE",
            self._path("v2", "nat_gateways", nat_gateway_id, "dnat_rules", rule_id),
            own_object=True,
            action="DeleteNatGatewayDnatRule",
        )

    async def list_dnat_rules_page(
        self, *, limit: int = DEFAULT_PAGE_SIZE, marker: str | None = None, **filters: FilterValue
    ) -> CloudResponse:
        """One page of GET /v2/{project_id}/dnat_rules; the body is ``{"dnat_rules": [...]}``."""
        unknown = set(filters) - DNAT_RULE_LIST_FILTERS
        if unknown:
            raise TypeError(f"unknown DNAT rule filters: {sorted(unknown)}")
        query = query_pairs({"limit": limit, "marker": marker or None, **filters})
        return await self._call(
            "GET", self._path("v2", "dnat_rules"), query=query, action="ListNatGatewayDnatRules"
        )

    async def list_dnat_rules(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, **filters: FilterValue
    ) -> AsyncIterator[dict[str, Any]]:
        """Every matching rule, page by page: ``marker`` is the last id of the previous page.

        The v2 list answer carries no next-page hint, so paging stops at the
        first page shorter than ``page_size`` (or when the marker would not
        advance, so a server that ignores ``marker`` cannot loop us forever).
        """
        if page_size < 1:
            raise ValueError("page_size must be positive")
        marker: str | None = None
        while True:
            page = await self.list_dnat_rules_page(limit=page_size, marker=marker, **filters)
            rules = page.body.get("dnat_rules") or []
            for rule in rules:
                yield rule
            if len(rules) < page_size:
                return
            last = rules[-1].get("id")
            if not last or last == marker:
                return
            marker = str(last)
