"""Huawei Cloud NAT Gateway v2: public DNAT rules (ShowNatGatewayDnatRule and its companions).

Routes (action names are the official SDK's operations):

=========================  ======================================================  ======
CreateNatGatewayDnatRule   POST   /v2/{project_id}/dnat_rules                      201
ShowNatGatewayDnatRule     GET    /v2/{project_id}/dnat_rules/{id}                 200
UpdateNatGatewayDnatRule   PUT    /v2/{project_id}/dnat_rules/{id}                 200
DeleteNatGatewayDnatRule   DELETE /v2/{project_id}/nat_gateways/{gw}/dnat_rules/{id} 204
ListNatGatewayDnatRules    GET    /v2/{project_id}/dnat_rules?filters              200
=========================  ======================================================  ======

Shapes follow the "Querying Details of a DNAT Rule" reference (NAT Gateway
API reference) and, where it is silent, the SDK's model classes
(``huaweicloudsdknat.v2.model``): the list answer is only ``{"dnat_rules":
[...]}`` (no page_info, no count). Unset string fields answer ``""`` (that
reference shows ``"private_ip": ""``).

Lifecycle, computed lazily from ``status_since`` on every request (no
background task): PENDING_CREATE → ACTIVE after ``huawei_dnat_create_delay``,
PENDING_UPDATE → ACTIVE after ``huawei_dnat_update_delay``, PENDING_DELETE →
gone after ``huawei_dnat_delete_delay``. EIP_FREEZED and INACTIVE are only
reached through the admin edit endpoint (the cloud's failure states).

Error codes: only those of the NAT Gateway "Error Codes" table of the API
reference (its DNAT-module rows NAT.03xx / NAT.04xx as the service's
T-Systems edition of the same page lists them in full), with its statuses,
body ``{"error_code", "error_msg"}``:

- NAT.0001 (400) ``created_at`` list filter that is not a timestamp.
- NAT.0002 (400) invalid parameters: malformed JSON or missing
  ``dnat_rule``; unknown or mistyped fields; both/neither of
  floating_ip_id/global_eip_id; ``<``/``>`` in description; bad list
  ``limit``/``admin_state_up``/port filters; PUT changing an immutable
  property (below) or without nat_gateway_id (the SDK's
  UpdateNatGatewayDnatRuleOption requires it).
- NAT.0301 (400) a missing required field ("param ... is null"); a range
  not ``x-y`` with 1 <= x < y <= 65535 ("Querying Details of a DNAT Rule":
  "x is lower than y"), only one range, ranges of unequal length, ports
  beside ranges.
- NAT.0302 (400) protocol not tcp|udp|any; NAT.0303 (400) a port outside
  0-65535; NAT.0306 (400) an all-port rule (protocol any) that is not 0/0
  without ranges, or port 0 on a tcp/udp rule.
- NAT.0310 (400) neither port_id nor private_ip; NAT.0317 (400) both;
  NAT.0311 (400) private_ip not IPv4; NAT.0315 (400) a port outside the
  gateway's VPC; NAT.0023 (404) an unknown port_id; NAT.0026 (400) an
  unknown EIP or global EIP.
- NAT.0103 (400) the gateway is not ACTIVE; NAT.0104 (400) the gateway is
  frozen (admin_state_up false).
- NAT.0105 (404) NAT gateway unknown (create, PUT, DELETE path).
- NAT.0309 (400) the gateway holds its limit of DNAT rules (200).
- NAT.0305 (400) the external key is taken: another rule maps an
  overlapping external port range of the same EIP with an overlapping
  protocol (``any`` overlaps every protocol; an all-port rule every port);
  NAT.0408 (400) when one of the two is an all-port rule and the other not.
- NAT.0304 (400) the internal key is taken: another rule of the gateway
  maps the same backend (port_id or private_ip) and an overlapping internal
  port range with an overlapping protocol ("only one DNAT rule can be configured for
  each port on a server"); NAT.0307 / NAT.0308 (400) when one of the two is
  an all-port rule (backend named by port_id / private_ip).
- NAT.0402 (400) the EIP is bound outside this gateway; NAT.0404 (400) the
  EIP is used by DNAT rules of another gateway.
- NAT.0009 (400) resource in use: the rule is not ACTIVE on PUT (or is
  PENDING_CREATE/PENDING_UPDATE on DELETE); the reference names no code of
  its own for these.
- NAT.0319 (404) no DNAT rule with that id (show, PUT, DELETE; also a rule
  of another gateway on the DELETE path).
- NAT.0014 (400) description longer than 255 characters.
- NAT.0109 (400) a port whose address is IPv6 (a private_ip must be IPv4:
  NAT.0311); NAT.0312 (400) a port that is a virtual
  IP (``device_owner`` ``neutron:VIP_PORT``); NAT.0313 (400) the EIP holds
  ``huawei_dnat_quota_per_eip`` rules (no number is published: off by
  default); NAT.0401 (400) a frozen EIP; NAT.0409 (400) an all-port rule on
  an EIP that the gateway's SNAT uses; NAT.0318 (400) PUT of a frozen
  (EIP_FREEZED) rule.

Port and protocol rules (chosen, documented by Huawei as "all ports = 0/0
with protocol any"): ``any`` is exactly the all-port rule, ports 0/0 and no
ranges; tcp/udp need ports 1-65535, or ranges with both ports 0 (or omitted).
Upper-case TCP/UDP/ANY are accepted (SDK docs) and stored lower-case.

Immutable on PUT (the cloud cannot change these in place): nat_gateway_id,
switching the backend between port_id and private_ip, and switching between
floating_ip_id and global_eip_id. Everything else in the update option may
change; PUT merges the given fields onto the rule and re-validates the result.

Delete of a PENDING_DELETE rule answers 204 again (idempotent); a rule stays
visible as PENDING_DELETE (and keeps its EIP port and its quota slot) until
the delay passes, then show answers 404.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cloudnet.sim.core import (
    Call,
    CallContext,
    Principal,
    SimError,
    TokenBuckets,
    retry_after_header,
)
from cloudnet.sim.families.huawei_nat.inventory import HUAWEI_TIME_FORMAT, DnatRule, NatGateway
from cloudnet.sim.families.huawei_nat.world import NatSettings, NatTables, settle
from cloudnet.sim.gateways.huawei_apig import HuaweiGateway
from cloudnet.sim.state import Store

FAMILY = "huawei"
CREATE = "CreateNatGatewayDnatRule"
SHOW = "ShowNatGatewayDnatRule"
UPDATE = "UpdateNatGatewayDnatRule"
DELETE = "DeleteNatGatewayDnatRule"
LIST = "ListNatGatewayDnatRules"

INVALID_TIME = "NAT.0001"
INVALID_PARAM = "NAT.0002"
IN_USE = "NAT.0009"
DESCRIPTION_TOO_LONG = "NAT.0014"
PORT_NOT_FOUND = "NAT.0023"
EIP_NOT_FOUND = "NAT.0026"
GATEWAY_NOT_ACTIVE = "NAT.0103"
GATEWAY_FROZEN = "NAT.0104"
GATEWAY_NOT_FOUND = "NAT.0105"
BAD_FIELD = "NAT.0301"
BAD_PROTOCOL = "NAT.0302"
BAD_PORT = "NAT.0303"
INTERNAL_KEY_TAKEN = "NAT.0304"
EXTERNAL_KEY_TAKEN = "NAT.0305"
ALL_PORT_SHAPE = "NAT.0306"
PORT_HAS_RULES = "NAT.0307"
PRIVATE_IP_HAS_RULES = "NAT.0308"
RULE_LIMIT = "NAT.0309"
NO_BACKEND = "NAT.0310"
BAD_PRIVATE_IP = "NAT.0311"
BAD_BACKEND_PORT = "NAT.0315"
TWO_BACKENDS = "NAT.0317"
RULE_NOT_FOUND = "NAT.0319"
EIP_ON_PORT = "NAT.0402"
NO_IPV6 = "NAT.0109"
VIRTUAL_IP = "NAT.0312"
EIP_RULE_LIMIT = "NAT.0313"
RULE_FROZEN = "NAT.0318"
EIP_FROZEN = "NAT.0401"
SNAT_EIP_ALL_PORT = "NAT.0409"
VIP_OWNER = "neutron:VIP_PORT"
EIP_ON_OTHER_GATEWAY = "NAT.0404"
EIP_MIXED_RULES = "NAT.0408"

MAX_LIST_LIMIT = 2000  # SDK ListNatGatewayDnatRulesRequest: limit 1-2000, default 2000
_STRING_FIELDS = (
    "nat_gateway_id",
    "description",
    "port_id",
    "private_ip",
    "protocol",
    "floating_ip_id",
    "global_eip_id",
    "internal_service_port_range",
    "external_service_port_range",
)
_INT_FIELDS = ("internal_service_port", "external_service_port")
_OPTION_FIELDS = frozenset(_STRING_FIELDS + _INT_FIELDS)
_RANGE = re.compile(r"^(\d{1,5})-(\d{1,5})$")
_PROTOCOLS = ("tcp", "udp", "any")

_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"^/v2/(?P<project_id>[^/]+)/dnat_rules/?$"), CREATE),
    ("GET", re.compile(r"^/v2/(?P<project_id>[^/]+)/dnat_rules/?$"), LIST),
    ("GET", re.compile(r"^/v2/(?P<project_id>[^/]+)/dnat_rules/(?P<rule_id>[^/]+)/?$"), SHOW),
    ("PUT", re.compile(r"^/v2/(?P<project_id>[^/]+)/dnat_rules/(?P<rule_id>[^/]+)/?$"), UPDATE),
    (
        "DELETE",
        re.compile(
            r"^/v2/(?P<project_id>[^/]+)/nat_gateways/(?P<gateway_id>[^/]+)"
            r"/dnat_rules/(?P<rule_id>[^/]+)/?$"
        ),
        DELETE,
    ),
]


def _bad(message: str, code: str = INVALID_PARAM) -> SimError:
    return SimError(400, code, message)


def _in_use(message: str) -> SimError:
    return SimError(400, IN_USE, message)


def format_time(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime(HUAWEI_TIME_FORMAT)


# -- request body validation ----------------------------------------------------------------


def _parse_option(body: bytes) -> dict[str, Any]:
    """The ``dnat_rule`` object of a create/update body, type-checked field by field."""
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise _bad("The request body is not valid JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("dnat_rule"), dict):
        raise _bad("The request body must be an object with a dnat_rule object")
    option: dict[str, Any] = data["dnat_rule"]
    unknown = sorted(set(option) - _OPTION_FIELDS)
    if unknown:
        raise _bad(f"Unknown parameter(s) in dnat_rule: {', '.join(unknown)}")
    for name in _STRING_FIELDS:
        if name in option and not isinstance(option[name], str):
            raise _bad(f"{name} must be a string")
    for name in _INT_FIELDS:
        if name in option:
            value = option[name]
            if isinstance(value, bool) or not isinstance(value, int):
                raise _bad(f"{name} must be an integer")
            if not 0 <= value <= 65535:
                raise _bad(f"Invalid value for port {value}: {name} is 0-65535", BAD_PORT)
    if "description" in option:
        description = option["description"]
        if len(description) > 255:
            raise SimError(
                400, DESCRIPTION_TOO_LONG, "The description can contain at most 255 characters"
            )
        if "<" in description or ">" in description:
            raise _bad("The description cannot contain angle brackets (<>)")
    if "protocol" in option:
        protocol = option["protocol"]
        # tcp/TCP, udp/UDP, any/ANY (SDK docs); no mixed case
        if protocol.lower() not in _PROTOCOLS or protocol not in (
            protocol.lower(),
            protocol.upper(),
        ):
            raise _bad(
                f"Dnat rule protocol {protocol} not supported. Only protocol values"
                " tcp, udp, any are supported.",
                BAD_PROTOCOL,
            )
        option["protocol"] = protocol.lower()
    for name in ("internal_service_port_range", "external_service_port_range"):
        if option.get(name):
            _port_range(name, option[name])
    return option


def _port_range(name: str, value: str) -> tuple[int, int]:
    match = _RANGE.match(value)
    if match is None:
        raise _bad(
            f"{name} must be two ports joined by '-', like 1000-1010, got {value!r}", BAD_FIELD
        )
    low, high = int(match.group(1)), int(match.group(2))
    if not 1 <= low < high <= 65535:
        raise _bad(f"'{name}' out of range(1-65535): x-y with x < y, got {value!r}", BAD_FIELD)
    return low, high


def _check_shape(rule: DnatRule) -> None:
    """The either/or and port/protocol rules, on a complete (created or merged) rule."""
    if not rule.port_id and not rule.private_ip:
        raise _bad("The port_id and private_ip values are both empty", NO_BACKEND)
    if rule.port_id and rule.private_ip:
        raise _bad("The port_id and private_ip exist at the same time", TWO_BACKENDS)
    if bool(rule.floating_ip_id) == bool(rule.global_eip_id):
        raise _bad("Exactly one of floating_ip_id and global_eip_id must be given")
    if rule.private_ip:
        try:
            ipaddress.IPv4Address(rule.private_ip)
        except ValueError:
            raise _bad(
                f"The private ip address is not legal: {rule.private_ip!r}", BAD_PRIVATE_IP
            ) from None
    internal_range = rule.internal_service_port_range
    external_range = rule.external_service_port_range
    if bool(internal_range) != bool(external_range):
        raise _bad(
            "internal_service_port_range and external_service_port_range go together", BAD_FIELD
        )
    if rule.protocol == "any":
        if internal_range or rule.internal_service_port or rule.external_service_port:
            raise _bad(
                "The external port equals 0 and internal port equals 0 and protocol equals any"
                " must satisfied at the same time",
                ALL_PORT_SHAPE,
            )
        return
    if internal_range:
        low_in, high_in = _port_range("internal_service_port_range", internal_range)
        low_ex, high_ex = _port_range("external_service_port_range", external_range)
        if high_in - low_in != high_ex - low_ex:
            raise _bad(
                "'internal_service_port_range' and 'external_service_port_range' must be equal",
                BAD_FIELD,
            )
        if rule.internal_service_port or rule.external_service_port:
            raise _bad(
                "With port ranges, internal/external_service_port must be 0 or omitted", BAD_FIELD
            )
        return
    if not rule.internal_service_port or not rule.external_service_port:
        raise _bad(
            "The external port equals 0 and internal port equals 0 and protocol equals any"
            " must satisfied at the same time: tcp/udp ports are 1-65535",
            ALL_PORT_SHAPE,
        )


def _ports(rule: DnatRule, side: str) -> tuple[int, int]:
    """The ``side`` ("external" / "internal") port range a rule takes; all for an all-port rule."""
    if rule.protocol == "any":
        return 1, 65535
    ranged = getattr(rule, f"{side}_service_port_range")
    if ranged:
        return _port_range(f"{side}_service_port_range", ranged)
    port: int = getattr(rule, f"{side}_service_port")
    return port, port


def _meet(a: DnatRule, b: DnatRule, side: str) -> bool:
    """Protocols that overlap (``any`` overlaps all) and ``side`` port ranges that overlap."""
    if a.protocol != b.protocol and "any" not in (a.protocol, b.protocol):
        return False
    low_a, high_a = _ports(a, side)
    low_b, high_b = _ports(b, side)
    return low_a <= high_b and low_b <= high_a


def _overlap(a: DnatRule, b: DnatRule) -> bool:
    """The external key: the same EIP's ports (the caller compares the EIP)."""
    return _meet(a, b, "external")


def _same_backend(a: DnatRule, b: DnatRule) -> bool:
    return bool(a.port_id and a.port_id == b.port_id) or bool(
        a.private_ip and a.private_ip == b.private_ip
    )


# -- the family ---------------------------------------------------------------------------


class HuaweiNat:
    """The Huawei NAT v2 DNAT API family, behind the Huawei API Gateway."""

    name = FAMILY

    def __init__(self, store: Store) -> None:
        self.store = store
        self.gateway = store.shared(HuaweiGateway)
        self.tables = store.tables(NatTables)
        self._handlers: dict[str, Callable[[CallContext], Response]] = {
            CREATE: self._create,
            SHOW: self._show,
            UPDATE: self._update,
            DELETE: self._delete,
            LIST: self._list,
        }

    # ApiFamily protocol

    def route(self, request: Request) -> Call | None:
        path = request.url.path
        if not path.startswith("/v2/"):
            return None
        for method, pattern, action in _ROUTES:
            match = pattern.match(path)
            if match is not None and request.method == method:
                return Call(family=self, action=action, params=match.groupdict(), handler=self._run)
        return None

    async def authenticate(
        self, request: Request, body: bytes, call: Call, now: float
    ) -> Principal:
        return self.gateway.authenticate(
            request,
            body,
            project_id=call.params["project_id"],
            now=now,
            project_account=self.tables.account_of,
        )

    def throttle(
        self, buckets: TokenBuckets, principal: Principal, call: Call, host: str
    ) -> SimError | None:
        return self.gateway.throttle(buckets, principal)

    def render_error(self, error: SimError, request_id: str, *, host: str) -> Response:
        if error.code.startswith("APIGW."):
            return self.gateway.render_error(error, request_id)
        headers = {"X-Request-Id": request_id}
        if error.retry_after is not None and self.gateway.settings.huawei_throttle_retry_after:
            headers["Retry-After"] = retry_after_header(error.retry_after)
        return JSONResponse(
            {"error_code": error.code, "error_msg": error.message},
            status_code=error.status,
            headers=headers,
        )

    @property
    def settings(self) -> NatSettings:
        return self.store.settings_of(NatSettings)

    async def _run(self, ctx: CallContext) -> Response:
        if settle(self.store, ctx.now):
            self.store.commit()
        return self._handlers[ctx.call.action](ctx)

    # helpers

    def _gateway(self, project_id: str, gateway_id: str) -> NatGateway:
        gateway = self.tables.nat_gateway(project_id, gateway_id)
        if gateway is None:
            raise SimError(404, GATEWAY_NOT_FOUND, f"NatGateway {gateway_id} does not exist.")
        return gateway

    def _rule(self, project_id: str, rule_id: str) -> DnatRule:
        rule = self.tables.dnat_rules.get(rule_id)
        if rule is None or rule.tenant_id != project_id:
            raise SimError(404, RULE_NOT_FOUND, f"No Dnat Rule exist with id {rule_id}")
        return rule

    def _check_dependencies(self, rule: DnatRule, *, creating: bool) -> None:
        """Gateway state, port, EIP binding, quota and duplicates of a complete rule."""
        project_id = rule.tenant_id
        gateway = self._gateway(project_id, rule.nat_gateway_id)
        if gateway.status != "ACTIVE":
            raise _bad(
                f"NatGateway {gateway.id} is not ACTIVE ({gateway.status}).", GATEWAY_NOT_ACTIVE
            )
        if not gateway.admin_state_up:
            raise _bad(f"NatGateway {gateway.id} is frozen, can not update.", GATEWAY_FROZEN)
        if rule.port_id:
            port = self.tables.port(project_id, rule.port_id)
            if port is None:
                raise SimError(404, PORT_NOT_FOUND, f"Port '{rule.port_id}' could not be found.")
            if port.vpc_id and gateway.vpc_id and port.vpc_id != gateway.vpc_id:
                raise _bad(
                    f"Port {rule.port_id} is not a valid port: it is not in the VPC of NAT"
                    f" gateway {gateway.id}",
                    BAD_BACKEND_PORT,
                )
            if port.device_owner == VIP_OWNER:
                raise _bad(f"Port {rule.port_id} is a virtual IP: not supported", VIRTUAL_IP)
            if ":" in port.fixed_ip:
                raise _bad(
                    f"The NAT gateway does not support IPv6: port {port.id} has {port.fixed_ip}",
                    NO_IPV6,
                )
        if rule.floating_ip_id:
            eip = self.tables.eip(project_id, rule.floating_ip_id)
            if eip is None:
                raise _bad(f"Floating IP {rule.floating_ip_id} could not be found.", EIP_NOT_FOUND)
            rule.floating_ip_address = eip.address
            rule.global_eip_address = ""
        else:
            eip = self.tables.global_eip(project_id, rule.global_eip_id)
            if eip is None:
                raise _bad(f"Global EIP {rule.global_eip_id} could not be found.", EIP_NOT_FOUND)
            rule.global_eip_address = eip.address
            rule.floating_ip_address = ""
        if eip.frozen:
            raise _bad(f"Floating Ip {eip.id} is frozen.", EIP_FROZEN)
        if eip.bound_to not in (None, "", gateway.id):
            raise _bad(f"Floating Ip {eip.id} has associated with {eip.bound_to}.", EIP_ON_PORT)
        if eip.bound_to == gateway.id and rule.protocol == "any":
            raise _bad(
                f"Floating Ip {eip.id} is used by an SNAT rule: it cannot take a DNAT all"
                " port rule",
                SNAT_EIP_ALL_PORT,
            )

        # The rules of this gateway and of this EIP, from the table's indexes.
        table = self.tables.dnat_rules
        gateway_rules = table.of_gateway(gateway.id)
        in_gateway = len(gateway_rules)
        on_gateway = [o for o in gateway_rules if o.id != rule.id and o.tenant_id == project_id]
        same_eip = [
            o for o in table.of_eip(eip.id) if o.id != rule.id and o.tenant_id == project_id
        ]
        for other in same_eip:
            if other.nat_gateway_id != gateway.id:
                raise _bad(
                    f"Floating Ip {eip.id} has used by nat gateway {other.nat_gateway_id}.",
                    EIP_ON_OTHER_GATEWAY,
                )
        if creating:
            quota = self.settings.huawei_dnat_quota_per_gateway
            used = in_gateway
            if used >= quota:
                raise _bad(
                    f"{quota} DNAT rules has been associated to this NAT Gateway, no more is"
                    f" allowed ({gateway.id})",
                    RULE_LIMIT,
                )
            per_eip = self.settings.huawei_dnat_quota_per_eip
            if per_eip and len(same_eip) >= per_eip:
                raise _bad(
                    f"{per_eip} DNAT rules use floating ip {eip.id}, no more is allowed",
                    EIP_RULE_LIMIT,
                )
        for other in same_eip:
            if _overlap(rule, other):
                mixed = (rule.protocol == "any") != (other.protocol == "any")
                raise _bad(
                    f"Floating Ip {eip.id} can not be associated with both DNAT rule and DNAT"
                    f" all port rule: DNAT rule {other.id} maps it"
                    if mixed
                    else "The floating ip, external port and protocol specified have been"
                    f" occupied: DNAT rule {other.id} maps EIP {eip.id} port(s)"
                    f" {_describe_ports(other)}/{other.protocol}",
                    EIP_MIXED_RULES if mixed else EXTERNAL_KEY_TAKEN,
                )
        # private IPs repeat across VPCs: a backend is one server only behind one gateway
        for other in on_gateway:
            if _same_backend(rule, other) and _meet(rule, other, "internal"):
                if "any" in (rule.protocol, other.protocol):
                    by_port = bool(rule.port_id)
                    raise _bad(
                        f"The {'port_id' if by_port else 'private_ip'} already existing dnat"
                        " allport rules or dnat_rules, can no longer create dnat rules or dnat"
                        f" allport rules (DNAT rule {other.id})",
                        PORT_HAS_RULES if by_port else PRIVATE_IP_HAS_RULES,
                    )
                raise _bad(
                    "The port_id, private_ip, internal port and protocol specified have been"
                    f" occupied: DNAT rule {other.id} maps"
                    f" {other.port_id or other.private_ip}"
                    f" port(s) {_describe_internal(other)}/{other.protocol}",
                    INTERNAL_KEY_TAKEN,
                )

    # handlers

    def _create(self, ctx: CallContext) -> Response:
        option = _parse_option(ctx.body)
        missing = [f for f in ("nat_gateway_id", "protocol") if not option.get(f)]
        if not option.get("internal_service_port_range"):
            missing += [f for f in _INT_FIELDS if f not in option]
        if missing:
            raise _bad(f"param {', '.join(missing)} is null in request body", BAD_FIELD)
        project_id = ctx.call.params["project_id"]
        delay = self.settings.huawei_dnat_create_delay
        rule = DnatRule(
            id=str(uuid.uuid4()),
            tenant_id=project_id,
            status="PENDING_CREATE" if delay > 0 else "ACTIVE",
            status_since=ctx.now,
            created_at=format_time(ctx.now),
            **option,
        )
        _check_shape(rule)
        self._check_dependencies(rule, creating=True)
        self.tables.dnat_rules[rule.id] = rule
        self.store.commit()
        ctx.committed = True
        return _rule_response(rule, 201, ctx.request_id)

    def _show(self, ctx: CallContext) -> Response:
        rule = self._rule(ctx.call.params["project_id"], ctx.call.params["rule_id"])
        return _rule_response(rule, 200, ctx.request_id)

    def _update(self, ctx: CallContext) -> Response:
        option = _parse_option(ctx.body)
        if not option.get("nat_gateway_id"):
            raise _bad("Missing required parameter: nat_gateway_id")
        project_id = ctx.call.params["project_id"]
        rule = self._rule(project_id, ctx.call.params["rule_id"])
        if option["nat_gateway_id"] != rule.nat_gateway_id:
            raise _bad(
                f"nat_gateway_id cannot change: DNAT rule {rule.id} belongs to"
                f" {rule.nat_gateway_id}"
            )
        if (rule.port_id and option.get("private_ip")) or (
            rule.private_ip and option.get("port_id")
        ):
            raise _bad("A DNAT rule cannot switch between port_id and private_ip")
        if (rule.floating_ip_id and option.get("global_eip_id")) or (
            rule.global_eip_id and option.get("floating_ip_id")
        ):
            raise _bad("A DNAT rule cannot switch between floating_ip_id and global_eip_id")
        if rule.status == "EIP_FREEZED":
            raise _bad(f"DNAT rule {rule.id} is frozen, can not update.", RULE_FROZEN)
        if rule.status != "ACTIVE":
            raise _in_use(f"DNAT rule {rule.id} is {rule.status}: only an ACTIVE rule can change")
        merged = rule.model_dump()
        merged.update(option)
        # a rule takes the shape of what was sent: ranges without ports drop the ports,
        # single ports without ranges drop the ranges
        if option.get("internal_service_port_range") and not any(f in option for f in _INT_FIELDS):
            merged.update(internal_service_port=0, external_service_port=0)
        if any(option.get(f) for f in _INT_FIELDS) and "internal_service_port_range" not in option:
            merged.update(internal_service_port_range="", external_service_port_range="")
        if option.get("protocol") == "any" and not any(f in option for f in _INT_FIELDS):
            merged.update(internal_service_port=0, external_service_port=0)
        candidate = DnatRule.model_validate(merged)
        _check_shape(candidate)
        self._check_dependencies(candidate, creating=False)
        delay = self.settings.huawei_dnat_update_delay
        candidate.status = "PENDING_UPDATE" if delay > 0 else "ACTIVE"
        candidate.status_since = ctx.now
        self.tables.dnat_rules[rule.id] = candidate
        self.store.commit()
        ctx.committed = True
        return _rule_response(candidate, 200, ctx.request_id)

    def _delete(self, ctx: CallContext) -> Response:
        project_id = ctx.call.params["project_id"]
        gateway = self._gateway(project_id, ctx.call.params["gateway_id"])
        rule = self._rule(project_id, ctx.call.params["rule_id"])
        if rule.nat_gateway_id != gateway.id:
            raise SimError(
                404,
                RULE_NOT_FOUND,
                f"No Dnat Rule exist with id {rule.id} on NAT gateway {gateway.id}",
            )
        if rule.status in ("PENDING_CREATE", "PENDING_UPDATE"):
            raise _in_use(f"DNAT rule {rule.id} is {rule.status}: wait until it settles")
        if rule.status != "PENDING_DELETE":
            if self.settings.huawei_dnat_delete_delay > 0:
                rule.status = "PENDING_DELETE"
                rule.status_since = ctx.now
            else:
                del self.tables.dnat_rules[rule.id]
            self.store.commit()
        ctx.committed = True
        return Response(status_code=204, headers={"X-Request-Id": ctx.request_id})

    def _list(self, ctx: CallContext) -> Response:
        project_id = ctx.call.params["project_id"]
        limit, marker, predicates = _list_filters(ctx.request)
        rules = sorted(
            (r for r in self.tables.dnat_rules.values() if r.tenant_id == project_id),
            key=lambda r: r.id,
        )
        # Huawei marker paging: the page starts after the record whose id is the marker.
        # Records are ordered by id, so a marker whose record was deleted between two pages
        # still works.
        page = [
            r.public()
            for r in rules
            if (marker is None or r.id > marker) and all(p(r) for p in predicates)
        ][:limit]
        return JSONResponse({"dnat_rules": page}, headers={"X-Request-Id": ctx.request_id})


def _describe_internal(rule: DnatRule) -> str:
    low, high = _ports(rule, "internal")
    return str(low) if low == high else f"{low}-{high}"


def _describe_ports(rule: DnatRule) -> str:
    if rule.protocol == "any":
        return "all"
    return rule.external_service_port_range or str(rule.external_service_port)


def _rule_response(rule: DnatRule, status: int, request_id: str) -> Response:
    return JSONResponse(
        {"dnat_rule": rule.public()}, status_code=status, headers={"X-Request-Id": request_id}
    )


def _field_in(name: str, wanted: frozenset[object]) -> Callable[[DnatRule], bool]:
    def predicate(rule: DnatRule) -> bool:
        return getattr(rule, name) in wanted

    return predicate


def _values(request: Request, name: str) -> list[str]:
    """All values of a list filter, repeated (``?a=1&a=2``) or comma-joined (the SDK's csv)."""
    return [v for raw in request.query_params.getlist(name) for v in raw.split(",") if v]


def _list_filters(
    request: Request,
) -> tuple[int, str | None, list[Callable[[DnatRule], bool]]]:
    query = request.query_params
    limit = MAX_LIST_LIMIT
    if "limit" in query:
        try:
            limit = int(query["limit"])
        except ValueError:
            raise _bad(f"limit must be an integer, got {query['limit']!r}") from None
        if not 1 <= limit <= MAX_LIST_LIMIT:
            raise _bad(f"limit must be within 1-{MAX_LIST_LIMIT}, got {limit}")
    marker = query.get("marker") or None
    predicates: list[Callable[[DnatRule], bool]] = []
    for name in ("status", "nat_gateway_id", "protocol"):
        wanted = _values(request, name)
        if name == "protocol":
            wanted = [w.lower() for w in wanted]
        if wanted:
            predicates.append(_field_in(name, frozenset(wanted)))
    for name in (
        "id",
        "description",
        "port_id",
        "private_ip",
        "floating_ip_id",
        "floating_ip_address",
        "global_eip_id",
        "global_eip_address",
    ):
        if name in query:
            predicates.append(_field_in(name, frozenset([query[name]])))
    for name in _INT_FIELDS:
        if name in query:
            try:
                port = int(query[name])
            except ValueError:
                raise _bad(f"{name} must be an integer, got {query[name]!r}") from None
            predicates.append(_field_in(name, frozenset([port])))
    if "admin_state_up" in query:
        raw = query["admin_state_up"].lower()
        if raw not in ("true", "false"):
            raise _bad(f"admin_state_up must be true or false, got {query['admin_state_up']!r}")
        predicates.append(_field_in("admin_state_up", frozenset([raw == "true"])))
    if "created_at" in query:
        wanted_time = _parse_time(query["created_at"])
        predicates.append(lambda rule: _parse_time(rule.created_at) == wanted_time)
    return limit, marker, predicates


def _parse_time(value: str) -> dt.datetime:
    """``yyyy-mm-dd hh:mm:ss[.ffffff]`` (the show call) or ISO 8601 (the SDK); else NAT.0001."""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise SimError(
            400, INVALID_TIME, f"created_at {value!r} is not a time like 2017-11-15 15:44:42.595173"
        ) from None
    if parsed.tzinfo is not None:  # naive times are UTC, like created_at itself
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed
