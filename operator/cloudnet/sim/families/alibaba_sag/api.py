"""Alibaba Cloud Smart Access Gateway (SAG) 2018-03-13: DNAT entries (Describe, companions).

Actions (RPC, see ``sim/gateways/alibaba_pop.py``): AddDnatEntry, DeleteDnatEntry and
DescribeDnatEntries. There is no Modify: a change is delete + add. Answers
follow the DescribeDnatEntries reference (SAG API reference) and the official
SDK's models (``alibabacloud_smartag20180313.models``): Add ``{RequestId,
DnatEntryId}``, Delete ``{RequestId}``, Describe ``{RequestId, TotalCount,
PageNumber, PageSize, DnatEntries: {DnatEntry: [entry, ...]}}`` (nested,
unlike ENS's flat list), each entry ``{Type, SagId, InternalIp, InternalPort,
IpProtocol, ExternalPort, DnatEntryId, ExternalIp}``: exactly the SDK's
DnatEntry fields (it has no CreateTime or Status, so neither do we). Entries
exist as soon as Add answers and are gone as soon as Delete answers: the
DescribeDnatEntries reference shows no asynchronous state.

Wire choices, where the references leave room:

- Ports are strings (the SDK types them ``str``): ``1``-``65535`` in plain
  decimal (no sign, no leading zero, no range: both references say 1 to
  65535, neither names a range form), or ``any`` (all ports; the
  DescribeDnatEntries reference lists it, case-insensitive on input, answered
  as ``any``). ``any`` on one side only is refused: all ports cannot map onto
  one port, nor one onto all.
- IpProtocol: the AddDnatEntry reference spells ``TCP``, ``UDP``, ``Any``,
  the DescribeDnatEntries reference answers ``tcp``, ``udp``, ``any``. Input
  is case-insensitive (both spellings work); Describe answers the lower-case
  spelling of its reference, the source of truth for the response. A client
  comparing its spec with Describe must compare protocols case-insensitively.
- Type: ``Intranet`` (the default) or ``Internet``, exact case. The
  DescribeDnatEntries reference gives Describe's Type filter the same
  default, so Describe without Type lists the Intranet entries only; a client
  that wants both lists each type.
- ExternalIp: an Internet entry's must be one of the SAG's WAN public IPs
  (``wan_ips``); without it the entry takes the SAG's first one (the
  reference: "automatically recognizes the current public IP address"). An
  Intranet entry's is the private address the SAG answers for on the cloud
  side (the DescribeDnatEntries reference's example: ``10.10.x.x``): any
  IPv4, and required, since nothing could stand in for it.
- InternalIp: an IPv4 address inside one of the SAG's LAN CIDRs
  (``lan_cidrs``), for both types: the SAG forwards only to its own LAN.
- Unique key: per SAG, (Type, ExternalIp, ExternalPort,
  IpProtocol). ``any`` overlaps every port and protocol, so ``any`` clashes
  with ``tcp`` on the same port, and port ``any`` with every port. The
  DuplicatedDnatEntry message names the internal side too ("ExternalIp,
  IpProtocol, ExternalPort, InternalIp, and InternalPort are duplicated"),
  but one external port cannot forward to two targets, so a second entry on
  the same external side clashes whatever its internal side.

Errors: the four codes of the DescribeDnatEntries reference (every one with
HTTP 403, as the call was specified) are all that DescribeDnatEntries
answers. AddDnatEntry and DeleteDnatEntry answer with their own reference
tables ("AddDnatEntry" / "DeleteDnatEntry", Smart Access Gateway API
reference), which add codes of their own with their own statuses. In order:

1. ``MissingParameter`` (403): RegionId or SagId absent or empty (all
   calls), DnatEntryId (Delete), and on Describe every required parameter.
   On Add, an entry field (ExternalPort, InternalIp, InternalPort,
   IpProtocol) absent or empty is ``MissingParam`` (400, "You must specify
   the parameter"), the Add table's own code.
2. The form of a value: on Describe ``InvalidParameter`` (403): Type,
   PageSize not an integer 1-50 (above 50 is refused, not capped, so a
   client never silently misses entries), PageNumber not an integer >= 1.
   On Add ``IllegalParam`` (400, "The parameter is invalid"): Type, IPs not
   IPv4, ports, IpProtocol, ``any`` on one port only.
3. On Add, ``InvalidRegionID`` (400) for a RegionId where SAG has no
   endpoint (:data:`REGIONS`); Describe and Delete answer
   ``InvalidParameter`` there (their tables have no region code).
4. ``MissingParam`` (Add): an Intranet entry without ExternalIp.
5. ``InternalError`` (403) while the ``alibaba_sag_internal_error`` setting
   is on (or through a fault rule, ``{"family": "alibaba-sag",
   "error_code": "InternalError", "status": 403}``); nothing is written.
6. The world. A SagId unknown in RegionId (an instance of another region is
   unknown there, as in every regional API): ``InvalidId.SMARTAG`` (403) on
   Add, ``InstanceNotExit`` (400) on Delete, ``InvalidParameter`` on
   Describe. A SAG app (``software``) instance (only CPE instances have
   DNAT): ``FeatureNotSupport`` (403) on Add, ``InvalidParameter`` on
   Describe and Delete. On Add and Delete, an instance in business status
   ``Arrearage`` (locked for overdue payments): ``SmartAccessGatewayInArrears``
   (500, as the Add table gives it; reads still work); one not yet
   activated (``Ordered``, ``Delivered``, ``Received``, ``Init``):
   ``SmartAccessGatewayNotActivated`` (500); one ``Offline`` or
   ``Returning``: ``SmartAccessGatewayOffline`` (500, the product's code for
   a device that cannot take configuration; not on the DNAT pages, a
   modelling choice). On Add, ``IllegalParam`` for an Internet ExternalIp
   that is not the SAG's and an InternalIp outside its LAN (modelling
   choices: no reference states these rules), ``DuplicatedDnatEntry`` (400)
   for a clash of the unique key. On Delete, ``InstanceNotExit`` for a
   DnatEntryId that is not an entry of that SAG (a deleted entry's second
   Delete too).
7. Authorization (the POP gateway, answered here as ``Forbidden`` 403 rather
   than the base's NoPermission): a key without ``smartag`` in its products,
   or a read-only key on Add/Delete. It comes first, before any parameter
   check, as the RAM check runs before the product.

Describe paging: PageNumber default 1, PageSize default 10 (echoed as
given); entries in creation order; a page past the end is empty with the true
TotalCount.
"""

from __future__ import annotations

import ipaddress
import random
import re
import string
from collections.abc import Callable, Mapping
from typing import Literal, cast

from starlette.responses import Response

from cloudnet.sim.core import CallContext, SimError
from cloudnet.sim.families.alibaba_sag.inventory import SagDnatEntry, SagDnatType, SagInstance
from cloudnet.sim.families.alibaba_sag.world import SagSettings, SagTables
from cloudnet.sim.gateways.alibaba_pop import (
    NO_PERMISSION,
    AlibabaGateway,
    RpcAction,
    RpcProduct,
    rpc_response,
)

FAMILY = "alibaba-sag"
VERSION = "2018-03-13"
ADD = "AddDnatEntry"
DELETE = "DeleteDnatEntry"
DESCRIBE = "DescribeDnatEntries"

#: every code of the DescribeDnatEntries reference comes with HTTP 403 (its specification)
STATUS = 403
FORBIDDEN = "Forbidden"
MISSING_PARAMETER = "MissingParameter"
INVALID_PARAMETER = "InvalidParameter"
INTERNAL_ERROR = "InternalError"
# AddDnatEntry's own codes ("AddDnatEntry", SAG API reference)
INVALID_REGION = "InvalidRegionID"  # 400
MISSING_PARAM = "MissingParam"  # 400
ILLEGAL_PARAM = "IllegalParam"  # 400
DUPLICATED = "DuplicatedDnatEntry"  # 400
NOT_ACTIVATED = "SmartAccessGatewayNotActivated"  # 500
IN_ARREARS = "SmartAccessGatewayInArrears"  # 500
FEATURE_NOT_SUPPORTED = "FeatureNotSupport"  # 403
INVALID_SAG_ID = "InvalidId.SMARTAG"  # 403
# DeleteDnatEntry's own code, spelt as the reference spells it
INSTANCE_NOT_EXIST = "InstanceNotExit"  # 400
# The product's code for a device that cannot take configuration (not on the DNAT pages)
OFFLINE = "SmartAccessGatewayOffline"  # 500

#: Regions with a SAG endpoint ("Smart Access Gateway: Endpoints").
REGIONS = frozenset(
    {
        "cn-hangzhou",
        "cn-shanghai",
        "cn-shanghai-finance-1",
        "cn-hongkong",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-5",
        "ap-northeast-1",
        "eu-central-1",
    }
)
#: Instance states before activation (DescribeSmartAccessGateways' Status vocabulary).
_NOT_ACTIVATED = frozenset({"Ordered", "Delivered", "Received", "Init", "init"})

TYPES = ("Intranet", "Internet")
DEFAULT_TYPE = "Intranet"
PROTOCOLS = ("tcp", "udp", "any")
ANY = "any"
SagProtocol = Literal["tcp", "udp", "any"]
MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 10
_PORT = re.compile(r"^[1-9][0-9]{0,4}$")
_ID_ALPHABET = string.ascii_lowercase + string.digits
_ADD_REQUIRED = ("RegionId", "SagId", "ExternalPort", "InternalIp", "InternalPort", "IpProtocol")


def new_entry_id(rng: random.Random | None = None) -> str:
    """``fwd-`` and 18 characters, like DescribeDnatEntries' example ``fwd-kxe4fq3xuzczze****``."""
    pick = rng or random.SystemRandom()
    return "fwd-" + "".join(pick.choice(_ID_ALPHABET) for _ in range(18))


# -- errors (DescribeDnatEntries) -------------------------------------------------------------


def forbidden(detail: str) -> SimError:
    return SimError(
        STATUS,
        FORBIDDEN,
        f"User not authorized to operate on the specified resource. {detail}".strip(),
    )


def missing_parameter(name: str, detail: str = "") -> SimError:
    message = f"The input parameter {name} is missing, please check your input."
    return SimError(STATUS, MISSING_PARAMETER, f"{message} {detail}".strip())


def invalid_parameter(name: str, detail: str) -> SimError:
    return SimError(
        STATUS, INVALID_PARAMETER, f"The specified parameter {name} is invalid. {detail}"
    )


def internal_error() -> SimError:
    return SimError(STATUS, INTERNAL_ERROR, "An internal server error occurred.")


def missing_param(name: str, detail: str = "") -> SimError:
    """AddDnatEntry's 400 twin of MissingParameter, for the entry's own fields."""
    return SimError(400, MISSING_PARAM, f"You must specify the parameter {name}. {detail}".strip())


def illegal_param(name: str, detail: str) -> SimError:
    """AddDnatEntry's 400 twin of InvalidParameter, for the entry's own fields."""
    return SimError(400, ILLEGAL_PARAM, f"The parameter {name} is invalid. {detail}")


# -- value checks -----------------------------------------------------------------------------


#: How a call words "this value has the wrong form": Add's IllegalParam, else InvalidParameter.
Refusal = Callable[[str, str], SimError]


def parse_port(name: str, value: str, bad: Refusal = invalid_parameter) -> str:
    """The port as answered: ``1``-``65535`` unchanged, ``any`` in lower case."""
    if value.lower() == ANY:
        return ANY
    if _PORT.match(value) and int(value) <= 65535:
        return value
    raise bad(name, f"{value!r} is not a port 1-65535 or any.")


def parse_protocol(value: str, bad: Refusal = invalid_parameter) -> SagProtocol:
    """``tcp`` / ``udp`` / ``any`` from any case (TCP, UDP, Any as AddDnatEntry spells them)."""
    if value.lower() in PROTOCOLS:
        return cast(SagProtocol, value.lower())
    raise bad("IpProtocol", f"{value!r}: valid values are TCP, UDP, Any.")


def parse_type(params: Mapping[str, str], bad: Refusal = invalid_parameter) -> SagDnatType:
    """Type, exact case; absent or empty is the default, Intranet (DescribeDnatEntries)."""
    value = params.get("Type") or DEFAULT_TYPE
    if value not in TYPES:
        raise bad("Type", f"{value!r}: valid values are Intranet, Internet.")
    return cast(SagDnatType, value)


def _ipv4(name: str, value: str, bad: Refusal = invalid_parameter) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(value)
    except ValueError:
        raise bad(name, f"{value!r} is not an IPv4 address.") from None


def _page_param(params: Mapping[str, str], name: str, default: int, most: int | None) -> int:
    """PageNumber / PageSize: an integer >= 1 (and <= ``most``), else InvalidParameter."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1 or (most is not None and int(raw) > most):
        bound = f"1 to {most}" if most is not None else "1 or more"
        raise invalid_parameter(name, f"{raw!r} must be an integer {bound}.")
    return int(raw)


def _overlap(a: SagDnatEntry, b: SagDnatEntry) -> bool:
    """Same SAG, type and ExternalIp, and ports and protocols that meet (``any`` meets all)."""
    same_address = (a.sag_id, a.type, a.external_ip) == (b.sag_id, b.type, b.external_ip)
    ports = a.external_port == b.external_port or ANY in (a.external_port, b.external_port)
    protocols = a.ip_protocol == b.ip_protocol or ANY in (a.ip_protocol, b.ip_protocol)
    return same_address and ports and protocols


# -- the family ---------------------------------------------------------------------------


class AlibabaSag(RpcProduct):
    """SAG 2018-03-13 DNAT entries, behind the Alibaba POP gateway."""

    name = FAMILY
    product = "smartag"
    version = VERSION
    host_id = "smartag.aliyuncs.com"
    product_name = "Smartag"
    no_permission_status = STATUS

    def __init__(self, gateway: AlibabaGateway) -> None:
        super().__init__(gateway)
        self.tables = self.store.tables(SagTables)
        self.actions = {
            ADD: RpcAction(self._add, "write"),
            DELETE: RpcAction(self._delete, "write"),
            DESCRIBE: RpcAction(self._describe, "read"),
        }

    @property
    def settings(self) -> SagSettings:
        return self.store.settings_of(SagSettings)

    async def _run(self, ctx: CallContext) -> Response:
        """The base's RAM check, in SAG's words: DescribeDnatEntries names ``Forbidden`` for it."""
        try:
            return await super()._run(ctx)
        except SimError as error:
            if error.code == NO_PERMISSION:
                raise forbidden(
                    f"The access key may not call {ctx.call.action} (RAM policy)."
                ) from None
            raise

    # helpers

    def _backend(self) -> None:
        if self.settings.alibaba_sag_internal_error:
            raise internal_error()

    def _instance(self, params: Mapping[str, str], action: str) -> SagInstance:
        """Step 6's instance checks, each in the words of ``action``'s own table."""
        sag_id, region = params["SagId"], params["RegionId"]
        instance = self.tables.instance(sag_id)
        if instance is None or instance.region_id != region:
            detail = f"The SAG instance {sag_id} is not found in region {region}."
            if action == ADD:
                raise SimError(
                    403,
                    INVALID_SAG_ID,
                    f"The specified smart access gateway instance id is invalid. {detail}",
                )
            if action == DELETE:
                raise SimError(
                    400, INSTANCE_NOT_EXIST, f"The specified instance does not exist. {detail}"
                )
            raise invalid_parameter("SagId", detail)
        if instance.type != "hardware":
            detail = f"{sag_id} is a SAG app instance: only SAG CPE instances support DNAT."
            if action == ADD:
                raise SimError(
                    403,
                    FEATURE_NOT_SUPPORTED,
                    "The current edition of the smart access gateway does not support this"
                    f" feature. {detail}",
                )
            raise invalid_parameter("SagId", detail)
        if action == DESCRIBE:
            return instance
        if instance.business_status == "Arrearage":
            raise SimError(
                500,
                IN_ARREARS,
                f"The specified Smart Access Gateway has expired. {sag_id}: renew it first.",
            )
        if instance.status in _NOT_ACTIVATED:
            raise SimError(
                500,
                NOT_ACTIVATED,
                f"The specified Smart Access Gateway has not been activated. {sag_id} is"
                f" {instance.status}: activate it first.",
            )
        if instance.status != "Active":
            raise SimError(
                500,
                OFFLINE,
                "The request cannot be completed. The Smart Access Gateway is offline."
                f" {sag_id} is {instance.status}.",
            )
        return instance

    # handlers

    async def _add(self, ctx: CallContext) -> Response:
        params = ctx.call.params
        for name in ("RegionId", "SagId"):
            if not params.get(name):
                raise missing_parameter(name)
        for name in _ADD_REQUIRED:
            if not params.get(name):
                raise missing_param(name)
        if params["RegionId"] not in REGIONS:
            raise SimError(
                400,
                INVALID_REGION,
                f"The specified regionId does not exist. {params['RegionId']!r} has no SAG.",
            )
        entry_type = parse_type(params, illegal_param)
        external_ip = params.get("ExternalIp", "")
        if external_ip:
            _ipv4("ExternalIp", external_ip, illegal_param)
        internal_ip = _ipv4("InternalIp", params["InternalIp"], illegal_param)
        external_port = parse_port("ExternalPort", params["ExternalPort"], illegal_param)
        internal_port = parse_port("InternalPort", params["InternalPort"], illegal_param)
        if (external_port == ANY) != (internal_port == ANY):
            raise illegal_param(
                "InternalPort", "ExternalPort and InternalPort must both be any or both be ports."
            )
        protocol = parse_protocol(params["IpProtocol"], illegal_param)
        if entry_type == "Intranet" and not external_ip:
            raise missing_param("ExternalIp", "An Intranet DNAT entry needs an ExternalIp.")
        self._backend()
        instance = self._instance(params, ADD)
        if entry_type == "Internet":
            if not external_ip:
                if not instance.wan_ips:
                    raise illegal_param(
                        "ExternalIp", f"The SAG instance {instance.id} has no public IP."
                    )
                external_ip = instance.wan_ips[0]
            elif external_ip not in instance.wan_ips:
                raise illegal_param(
                    "ExternalIp",
                    f"{external_ip} is not a public IP of the SAG instance {instance.id}.",
                )
        if not any(internal_ip in ipaddress.IPv4Network(c) for c in instance.lan_cidrs):
            raise illegal_param(
                "InternalIp",
                f"{internal_ip} is not in a LAN of the SAG instance {instance.id}"
                f" ({', '.join(instance.lan_cidrs) or 'none'}).",
            )
        entry = SagDnatEntry(
            id=new_entry_id(),
            sag_id=instance.id,
            type=entry_type,
            external_ip=external_ip,
            external_port=external_port,
            internal_ip=str(internal_ip),
            internal_port=internal_port,
            ip_protocol=protocol,
        )
        for other in self.tables.dnat_entries.values():
            if _overlap(entry, other):
                raise SimError(
                    400,
                    DUPLICATED,
                    "The specified ExternalIp, IpProtocol, ExternalPort, InternalIp, and"
                    f" InternalPort are duplicated. {other.id} already maps {other.type}"
                    f" {other.external_ip}:{other.external_port}/{other.ip_protocol}.",
                )
        self.tables.dnat_entries[entry.id] = entry
        self.store.commit()
        ctx.committed = True
        return rpc_response(ctx, {"DnatEntryId": entry.id})

    async def _delete(self, ctx: CallContext) -> Response:
        params = ctx.call.params
        for name in ("RegionId", "SagId", "DnatEntryId"):
            if not params.get(name):
                raise missing_parameter(name)
        self._backend()
        instance = self._instance(params, DELETE)
        entry_id = params["DnatEntryId"]
        entry = self.tables.dnat_entries.get(entry_id)
        if entry is None or entry.sag_id != instance.id:
            raise SimError(
                400,
                INSTANCE_NOT_EXIST,
                f"The specified instance does not exist. The DNAT entry {entry_id} is not"
                f" found on {instance.id}.",
            )
        del self.tables.dnat_entries[entry.id]
        self.store.commit()
        ctx.committed = True
        return rpc_response(ctx)

    async def _describe(self, ctx: CallContext) -> Response:
        params = ctx.call.params
        for name in ("RegionId", "SagId"):
            if not params.get(name):
                raise missing_parameter(name)
        entry_type = parse_type(params)
        page_number = _page_param(params, "PageNumber", 1, None)
        page_size = _page_param(params, "PageSize", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        self._backend()
        instance = self._instance(params, DESCRIBE)
        matching = [
            e
            for e in self.tables.dnat_entries.values()
            if e.sag_id == instance.id and e.type == entry_type
        ]
        start = (page_number - 1) * page_size
        page = matching[start : start + page_size]
        return rpc_response(
            ctx,
            {
                "TotalCount": len(matching),
                "PageSize": page_size,
                "PageNumber": page_number,
                "DnatEntries": {"DnatEntry": [e.public() for e in page]},
            },
        )
