"""Alibaba Cloud ENS 2017-11-10: forward (DNAT) entries (Create, Modify and companions).

Actions (RPC, see ``sim/gateways/alibaba_pop.py``): CreateForwardEntry and ModifyForwardEntry
(as their ENS API reference pages give them), DeleteForwardEntry(ForwardEntryId)
and DescribeForwardTableEntries(NatGatewayId; filters ForwardEntryId,
ForwardEntryName, ExternalIp, InternalIp, IpProtocol; PageNumber, PageSize).
Answers follow the official SDK's response models
(``alibabacloud_ens20171110.models``): Create ``{RequestId, ForwardEntryId}``,
Modify and Delete ``{RequestId}``, Describe ``{RequestId, PageNumber,
PageSize, TotalCount, ForwardTableEntries: [entry, ...]}`` (a flat list, no
``ForwardTableEntry`` wrapper, unlike VPC's API).

Lifecycle, lazily from ``status_since`` on every request: Create and Modify
leave the entry Pending for ``alibaba_ens_create_delay`` /
``alibaba_ens_modify_delay`` seconds, then Available; Delete leaves it
Deleting for ``alibaba_ens_delete_delay``, then it is gone. A Deleting
entry still holds its external port and its slot of the gateway's limit.

Validation order and codes (every code of both references, the CreateForwardEntry
and ModifyForwardEntry pages, HTTP 400 as they say). "Create" / "Modify" marks
codes only one call's reference lists:

1. ``Missing<Param>``: a required parameter absent or empty (Create:
   NatGatewayId, ExternalIp, ExternalPort, InternalIp, InternalPort in that
   order; Modify and Delete: ForwardEntryId; Describe: NatGatewayId).
2. Form of each given value: ``InvalidExternalIp`` / ``InvalidStandbyExternalIp``
   (not IPv4); ``InvalidParameter.InternalIp`` (InternalIp not IPv4; the references
   name this code for it); ``InvalidPort.Malformed`` (ExternalPort or
   InternalPort not ``n`` or ``a/b`` with 1 <= a <= b <= 65535);
   ``InvalidIpProtocol`` (not TCP, UDP or Any, exact case);
   ``InvalidForwardEntryName`` (not 2-128 characters, or starting with
   http:// or https://); ``InvalidHealthCheckPort`` (not an integer 1-65535).
3. Ports together: ``InvalidParameter.InternalPort`` (one side a range and
   the other not, or ranges of different sizes); ``InvalidParameter.ExternalPort``
   (a range of more than 1000 ports: the ModifyForwardEntry reference's
   limit, applied on Create too so that no entry exists that Modify could
   not restate);
   ``InvalidParameter.HealthCheckPort`` (outside the internal port range).
4. Create only: ``SystemBusy`` when the ``alibaba_ens_system_busy`` setting is
   on, or when the NAT gateway is not Running (Creating / Modifying: the
   backend asks to retry later).
5. The world: ``InvalidParameter.NatNotFound`` (no such gateway: Create,
   Describe); ``InvalidParameter.DnatNotFound`` (no such entry: Modify,
   Delete); ``IncorretDnatEntryStatus`` (sic, the ModifyForwardEntry
   reference's spelling: Modify of an entry not Available, Delete of a
   Pending one); the ExternalIp must be an EIP bound to the entry's gateway
   and not as a standby: else
   ``InvalidParameter.ExternalIp`` on Create, ``InvalidExternalIp.NotFound``
   on Modify; ``Forbidden.ExternalIpUsedInSnat`` (an SNAT entry uses it);
   ``InvalidParameter.StandbyExternalIp`` (Create: not an EIP bound to this
   gateway as a standby, or equal to ExternalIp); the InternalIp must be an
   instance's private IP: else ``InvalidParameter.InternalIpNotFound`` on
   Create, ``InstanceNotFound`` on Modify (also when the entry's instance was
   released since); ``InvalidParameter.InternalIp`` (the instance is in
   another network than the gateway); ``IncorrectInstanceStatus`` (the
   instance is not Running); ``ForwardEntryLimitExceed`` (Create: the gateway
   holds ``alibaba_ens_forward_entry_limit`` entries, 100);
   ``Forbidden.ExternalPort.Duplicated`` (another entry maps an overlapping
   external port range of the same ExternalIp with an overlapping protocol;
   Any overlaps TCP and UDP).
6. Authorization (the POP gateway): ``NoPermission`` for a key without ENS
   in its products, or a read-only key on Create/Modify/Delete.
7. ``ens.interface.error`` (the backend call failed) has no cause a
   simulator can model: inject it with a fault rule
   (``{"family": "alibaba-ens", "error_code": "ens.interface.error", "status": 400}``).

Modify takes only the parameters of its reference. NatGatewayId and
StandbyExternalIp are not among them: like every unknown parameter they are
ignored (Alibaba's gateway drops unknown parameters), so they never change
an entry. Modify merges the given fields onto the entry and checks the
result as a whole.

Describe paging: PageNumber default 1, PageSize default 10; PageSize outside
1-100 answers ``InvalidPageSize``, PageNumber below 1 ``InvalidPageNumber``
(rejected rather than capped, so a client asking for 500 learns it gets at
most 100 instead of silently missing entries). A page past the end is empty
with the true TotalCount. Entries are listed in creation order. Filters
match exactly; an IpProtocol filter must be TCP, UDP or Any.
"""

from __future__ import annotations

import ipaddress
import random
import re
import string
from collections.abc import Mapping

from starlette.responses import Response

from cloudnet.sim.core import CallContext, SimError
from cloudnet.sim.families.alibaba_ens.inventory import EnsForwardEntry, EnsNatGateway
from cloudnet.sim.families.alibaba_ens.world import EnsSettings, EnsTables, settle
from cloudnet.sim.gateways.alibaba_pop import (
    AlibabaGateway,
    RpcAction,
    RpcProduct,
    invalid,
    invalid_field,
    missing,
    rpc_error,
    rpc_response,
)

FAMILY = "alibaba-ens"
VERSION = "2017-11-10"
CREATE = "CreateForwardEntry"
MODIFY = "ModifyForwardEntry"
DELETE = "DeleteForwardEntry"
DESCRIBE = "DescribeForwardTableEntries"

PROTOCOLS = ("TCP", "UDP", "Any")
MAX_RANGE_PORTS = 1000  # the ModifyForwardEntry reference: "The maximum port range is 1000"
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 10
_PORT = re.compile(r"^(\d{1,5})(?:/(\d{1,5}))?$")
_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_entry_id(rng: random.Random | None = None) -> str:
    """``fwd-`` and 25 characters, like CreateForwardEntry's ``fwd-5tc07cw14metghn3siv4a****``."""
    pick = rng or random.SystemRandom()
    return "fwd-" + "".join(pick.choice(_ID_ALPHABET) for _ in range(25))


# -- value checks -----------------------------------------------------------------------------


def parse_port(param: str, value: str) -> tuple[int, int]:
    """(first, last) of ``n`` or ``a/b``; else InvalidPort.Malformed."""
    match = _PORT.match(value)
    if match is not None:
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if 1 <= first <= last <= 65535:
            return first, last
    raise rpc_error(
        "InvalidPort.Malformed",
        f"The specified {param} is not a valid port: {value!r}"
        " (a port 1-65535 or a range a/b with a <= b).",
    )


def _ipv4(value: str) -> bool:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


def _check_forms(params: Mapping[str, str]) -> None:
    """Step 2 of the module docstring, on whichever parameters are given."""
    for name in ("ExternalIp", "StandbyExternalIp"):
        if name in params and not _ipv4(params[name]):
            raise invalid(name, f"{params[name]!r} is not an IPv4 address.")
    if "InternalIp" in params and not _ipv4(params["InternalIp"]):
        raise rpc_error(
            "InvalidParameter.InternalIp",
            f"The specified parameter internalIp is invalid: {params['InternalIp']!r}.",
        )
    for name in ("ExternalPort", "InternalPort"):
        if name in params:
            parse_port(name, params[name])
    if "IpProtocol" in params and params["IpProtocol"] not in PROTOCOLS:
        raise invalid("IpProtocol", "Valid values: TCP, UDP, Any.")
    if "ForwardEntryName" in params:
        name = params["ForwardEntryName"]
        if not 2 <= len(name) <= 128 or name.startswith(("http://", "https://")):
            raise invalid(
                "ForwardEntryName",
                "It must be 2 to 128 characters and cannot start with http:// or https://.",
            )
    if "HealthCheckPort" in params:
        _health_check_port(params["HealthCheckPort"])


def _health_check_port(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise invalid("HealthCheckPort", f"{value!r} is not a port 1-65535.")
    return int(value)


def _check_ports(entry: EnsForwardEntry) -> None:
    """Step 3: the two ports together and the health check port, on a complete entry."""
    ext_first, ext_last = parse_port("ExternalPort", entry.external_port)
    int_first, int_last = parse_port("InternalPort", entry.internal_port)
    if ("/" in entry.external_port) != ("/" in entry.internal_port):
        raise invalid_field(
            "InternalPort", "ExternalPort and InternalPort must both be ports or both be ranges."
        )
    if ext_last - ext_first != int_last - int_first:
        raise invalid_field(
            "InternalPort", "The external and internal port ranges must hold as many ports."
        )
    if ext_last - ext_first + 1 > MAX_RANGE_PORTS:
        raise invalid_field("ExternalPort", f"A port range holds at most {MAX_RANGE_PORTS} ports.")
    port = entry.health_check_port
    if port is not None and not int_first <= port <= int_last:
        raise rpc_error(
            "InvalidParameter.HealthCheckPort",
            "HealthCheckPort is not in the range of InternalPort.",
        )


def _overlap(a: EnsForwardEntry, b: EnsForwardEntry) -> bool:
    if a.external_ip != b.external_ip:
        return False
    if a.ip_protocol != b.ip_protocol and "Any" not in (a.ip_protocol, b.ip_protocol):
        return False
    a_first, a_last = parse_port("ExternalPort", a.external_port)
    b_first, b_last = parse_port("ExternalPort", b.external_port)
    return a_first <= b_last and b_first <= a_last


# -- the family ---------------------------------------------------------------------------


class AlibabaEns(RpcProduct):
    """ENS 2017-11-10 forward entries, behind the Alibaba POP gateway."""

    name = FAMILY
    product = "ens"
    version = VERSION
    host_id = "ens.aliyuncs.com"
    product_name = "Ens"

    def __init__(self, gateway: AlibabaGateway) -> None:
        super().__init__(gateway)
        self.tables = self.store.tables(EnsTables)
        self.actions = {
            CREATE: RpcAction(self._create, "write"),
            MODIFY: RpcAction(self._modify, "write"),
            DELETE: RpcAction(self._delete, "write"),
            DESCRIBE: RpcAction(self._describe, "read"),
        }

    @property
    def settings(self) -> EnsSettings:
        return self.store.settings_of(EnsSettings)

    def _settle(self, now: float) -> None:
        if settle(self.store, now):
            self.store.commit()

    # helpers

    def _gateway(self, gateway_id: str) -> EnsNatGateway:
        gateway = self.tables.nat_gateway(gateway_id)
        if gateway is None:
            raise rpc_error(
                "InvalidParameter.NatNotFound", f"The specified Nat {gateway_id} is not found."
            )
        return gateway

    def _entry(self, entry_id: str) -> EnsForwardEntry:
        entry = self.tables.forward_entries.get(entry_id)
        if entry is None:
            raise rpc_error(
                "InvalidParameter.DnatNotFound", f"The specified dnat {entry_id} is not found."
            )
        return entry

    def _check_world(
        self, entry: EnsForwardEntry, *, creating: bool, before: EnsForwardEntry | None = None
    ) -> None:
        """Step 5 of the module docstring for a complete entry (``before``: Modify's original)."""
        gateway = self._gateway(entry.nat_gateway_id)
        ens = self.tables.section
        if before is None or entry.external_ip != before.external_ip:
            eip = self.tables.eip_by_address(entry.external_ip)
            if eip is None or eip.instance_id != gateway.id or eip.standby:
                reason = (
                    "is bound to it as a standby EIP"
                    if eip is not None and eip.instance_id == gateway.id
                    else "is not found on it"
                )
                if creating:
                    raise rpc_error(
                        "InvalidParameter.ExternalIp",
                        f"The specified externalIp {entry.external_ip} {reason}"
                        f" (NAT gateway {gateway.id}).",
                    )
                raise rpc_error(
                    "InvalidExternalIp.NotFound",
                    f"Specified ExternalIp {entry.external_ip} does not found on the NAT"
                    f" Gateway {gateway.id} ({reason}).",
                )
            if any(s.snat_ip == entry.external_ip for s in ens.snat_entries):
                raise rpc_error(
                    "Forbidden.ExternalIpUsedInSnat",
                    f"The external ip {entry.external_ip} is already in use in the snat rule.",
                )
        if creating and entry.standby_external_ip:
            standby = self.tables.eip_by_address(entry.standby_external_ip)
            if (
                standby is None
                or standby.instance_id != gateway.id
                or not standby.standby
                or entry.standby_external_ip == entry.external_ip
            ):
                raise invalid_field(
                    "StandbyExternalIp",
                    f"{entry.standby_external_ip} is not a standby EIP bound to NAT gateway"
                    f" {gateway.id}.",
                )
        instance = self.tables.instance_by_ip(entry.internal_ip)
        if instance is None:
            if creating:
                raise rpc_error(
                    "InvalidParameter.InternalIpNotFound",
                    f"The input parameter internalIp {entry.internal_ip} that is not found.",
                )
            raise rpc_error(
                "InstanceNotFound",
                f"Instance not found, please check the InstanceId (no instance has the private"
                f" IP {entry.internal_ip}).",
            )
        if instance.network_id and gateway.network_id and instance.network_id != gateway.network_id:
            raise rpc_error(
                "InvalidParameter.InternalIp",
                f"The specified parameter internalIp is invalid: instance {instance.id} is not"
                f" in network {gateway.network_id} of NAT gateway {gateway.id}.",
            )
        if instance.status != "Running":
            raise rpc_error(
                "IncorrectInstanceStatus",
                f"The current status of the instance does not support this operation:"
                f" {instance.id} is {instance.status}.",
            )
        others = [
            e
            for e in self.tables.forward_entries.values()
            if e.id != entry.id and e.nat_gateway_id == gateway.id
        ]
        limit = self.settings.alibaba_ens_forward_entry_limit
        if creating and len(others) >= limit:
            raise rpc_error(
                "ForwardEntryLimitExceed",
                f"The limit of forward entry in the nat reaches ({limit}).",
            )
        for other in self.tables.forward_entries.values():
            if other.id != entry.id and _overlap(entry, other):
                raise rpc_error(
                    "Forbidden.ExternalPort.Duplicated",
                    f"The specified ExternalPort is duplicated: entry {other.id} maps"
                    f" {other.external_ip}:{other.external_port}/{other.ip_protocol}.",
                )

    # handlers

    async def _create(self, ctx: CallContext) -> Response:
        self._settle(ctx.now)
        params = ctx.call.params
        for name in ("NatGatewayId", "ExternalIp", "ExternalPort", "InternalIp", "InternalPort"):
            if not params.get(name):
                raise missing(name)
        _check_forms(params)
        entry = EnsForwardEntry.model_validate(
            {
                "id": new_entry_id(),
                "nat_gateway_id": params["NatGatewayId"],
                "forward_entry_name": params.get("ForwardEntryName", ""),
                "external_ip": params["ExternalIp"],
                "external_port": params["ExternalPort"],
                "internal_ip": params["InternalIp"],
                "internal_port": params["InternalPort"],
                "ip_protocol": params.get("IpProtocol", "Any"),
                "health_check_port": params.get("HealthCheckPort"),
                "standby_external_ip": params.get("StandbyExternalIp", ""),
                "status": "Pending" if self.settings.alibaba_ens_create_delay > 0 else "Available",
                "status_since": ctx.now,
                "pending_after": "create",
            }
        )
        _check_ports(entry)
        if self.settings.alibaba_ens_system_busy:
            raise _busy("the ENS backend is overloaded")
        gateway = self._gateway(entry.nat_gateway_id)
        if gateway.status != "Running":
            raise _busy(f"NAT gateway {gateway.id} is {gateway.status}")
        self._check_world(entry, creating=True)
        self.tables.forward_entries[entry.id] = entry
        self.store.commit()
        ctx.committed = True
        return rpc_response(ctx, {"ForwardEntryId": entry.id})

    async def _modify(self, ctx: CallContext) -> Response:
        self._settle(ctx.now)
        params = ctx.call.params
        if not params.get("ForwardEntryId"):
            raise missing("ForwardEntryId")
        _check_forms(params)
        entry = self._entry(params["ForwardEntryId"])
        if entry.status != "Available":
            raise _bad_status(entry)
        changes: dict[str, object] = {}
        for param, field in (
            ("ForwardEntryName", "forward_entry_name"),
            ("ExternalIp", "external_ip"),
            ("ExternalPort", "external_port"),
            ("InternalIp", "internal_ip"),
            ("InternalPort", "internal_port"),
            ("IpProtocol", "ip_protocol"),
        ):
            if param in params:
                changes[field] = params[param]
        if "HealthCheckPort" in params:
            changes["health_check_port"] = int(params["HealthCheckPort"])
        delay = self.settings.alibaba_ens_modify_delay
        changes["status"] = "Pending" if delay > 0 else "Available"
        changes["status_since"] = ctx.now
        changes["pending_after"] = "modify"
        candidate = entry.model_copy(update=changes)
        _check_ports(candidate)
        self._check_world(candidate, creating=False, before=entry)
        self.tables.forward_entries[entry.id] = EnsForwardEntry.model_validate(
            candidate.model_dump()
        )
        self.store.commit()
        ctx.committed = True
        return rpc_response(ctx)

    async def _delete(self, ctx: CallContext) -> Response:
        self._settle(ctx.now)
        entry_id = ctx.call.params.get("ForwardEntryId")
        if not entry_id:
            raise missing("ForwardEntryId")
        entry = self._entry(entry_id)
        if entry.status == "Pending":
            raise _bad_status(entry)
        if entry.status == "Available":  # Deleting: answered again, nothing changes
            if self.settings.alibaba_ens_delete_delay > 0:
                entry.status = "Deleting"
                entry.status_since = ctx.now
            else:
                del self.tables.forward_entries[entry.id]
            self.store.commit()
        ctx.committed = True
        return rpc_response(ctx)

    async def _describe(self, ctx: CallContext) -> Response:
        self._settle(ctx.now)
        params = ctx.call.params
        gateway_id = params.get("NatGatewayId")
        if not gateway_id:
            raise missing("NatGatewayId")
        page_number = _positive(params, "PageNumber", 1, None)
        page_size = _positive(params, "PageSize", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        if "IpProtocol" in params and params["IpProtocol"] not in PROTOCOLS:
            raise invalid("IpProtocol", "Valid values: TCP, UDP, Any.")
        self._gateway(gateway_id)
        filters = {
            field: params[param]
            for param, field in (
                ("ForwardEntryId", "id"),
                ("ForwardEntryName", "forward_entry_name"),
                ("ExternalIp", "external_ip"),
                ("InternalIp", "internal_ip"),
                ("IpProtocol", "ip_protocol"),
            )
            if param in params
        }
        matching = [
            e
            for e in self.tables.forward_entries.values()
            if e.nat_gateway_id == gateway_id
            and all(getattr(e, field) == value for field, value in filters.items())
        ]
        start = (page_number - 1) * page_size
        page = matching[start : start + page_size]
        return rpc_response(
            ctx,
            {
                "PageNumber": page_number,
                "PageSize": page_size,
                "TotalCount": len(matching),
                "ForwardTableEntries": [e.public() for e in page],
            },
        )


def _busy(detail: str) -> SimError:
    return rpc_error("SystemBusy", f"System is busy, please try again later ({detail}).")


def _bad_status(entry: EnsForwardEntry) -> SimError:
    return rpc_error(
        "IncorretDnatEntryStatus",
        f"Dnat entry status blocked this operation: {entry.id} is {entry.status}.",
    )


def _positive(params: Mapping[str, str], name: str, default: int, most: int | None) -> int:
    """A paging parameter: an integer >= 1 (and <= ``most``); else Invalid<Name>."""
    if name not in params:
        return default
    raw = params[name]
    if not raw.isdigit() or int(raw) < 1 or (most is not None and int(raw) > most):
        bound = f"1-{most}" if most is not None else ">= 1"
        raise invalid(name, f"{raw!r} must be an integer {bound}.")
    return int(raw)
