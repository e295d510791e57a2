"""Alibaba Cloud ECS 2014-05-26: elastic network interfaces (Modify and its companions).

Actions (RPC, see ``sim/gateways/alibaba_pop.py``): ModifyNetworkInterfaceAttribute (its
ECS API reference), DescribeNetworkInterfaceAttribute(RegionId,
NetworkInterfaceId, Attribute) and DescribeNetworkInterfaces(RegionId,
NetworkInterfaceId.N, filters, MaxResults + NextToken or the deprecated
PageNumber + PageSize).
Answers follow the official SDK's response models
(``alibabacloud_ecs20140526.models``): Modify ``{RequestId}``; the attribute
call the ENI's fields at the top level, with lists wrapped as the SDK reads
them (``SecurityGroupIds: {SecurityGroupId: [...]}``, ``PrivateIpSets:
{PrivateIpSet: [...]}``, ``Ipv6Sets: {Ipv6Set: [...]}``) and the nested
``NetworkInterfaceTrafficConfig``, ``EnhancedNetwork``, plus
``ConnectionTrackingConfiguration`` only for
``Attribute=connectionTrackingConfiguration`` and ``Attachment`` only for
``Attribute=attachment`` (the SDK's field notes); the list call
``{RequestId, NextToken, TotalCount, NetworkInterfaceSets:
{NetworkInterfaceSet: [...]}}`` (``PageNumber, PageSize`` instead of
``NextToken`` in page mode), whose items carry no traffic config, connection
tracking or EnhancedNetwork (the SDK's list item has none). RxQueueSize and
TxQueueSize are write-only: no SDK response model has them, so they show only
in ``GET /_sim/state``.

Parameters arrive flattened as the SDK's ``Utils.query`` sends them
(``SecurityGroupId.1``, ``NetworkInterfaceTrafficConfig.QueueNumber``); a
nested object sent as one JSON parameter is expanded the same way. Booleans
are ``true``/``false`` in any case (the SDK sends ``True``). An empty value
counts as not given, like an absent one (so a name cannot be cleared, as on
the real API).

ModifyNetworkInterfaceAttribute checks, in this order; the first failure
answers, and nothing changes unless every check passes (all or nothing):

1. ``MissingParameter`` (400): RegionId or NetworkInterfaceId absent.
2. ``InvalidRegionId.MalFormed`` (400): a RegionId not of a region id's form
   (DescribeNetworkInterfaces' table); ``Forbidden.RegionId`` (400): a region
   the inventory does not list.
3. ``InvalidParams.EniId`` (400): NetworkInterfaceId not ``eni-`` + [0-9a-z].
4. Region features (the inventory's region flags): SourceDestCheck →
   ``InvalidOperation.SourceDestCheckUnsupported`` (400); RxQueueSize /
   TxQueueSize (either place) → ``InvalidEniQueueSize.RegionOrUserNotSupported``
   (400); ConnectionTrackingConfiguration.* →
   ``InvalidConnectionTrackingConfiguration.RegionOrUserNotSupported`` (400);
   EnhancedNetwork.* → ``UnsupportedParameter`` (400).
5. Forms: ``InvalidParams.NetworkInterfaceName`` (403: not 2-128 characters
   starting with a letter or Chinese character, of letters, digits, Chinese,
   ``:_.-``); ``InvalidParameter`` (400: Description not 2-255 characters or
   starting with http(s)://, a boolean not true/false, an Attribute or paging
   value out of range); ``InvalidParameter.InvalidEniQueueNumber`` (403:
   QueueNumber not an integer 1-2048, either place);
   ``InvalidParameter.EniQueueSize`` (400: RxQueueSize/TxQueueSize not
   integers in 256-16384 — the simulator's range, the reference names none — or,
   after merging with the ENI's values, unequal);
   ``InvalidParameter.EniTrafficMode`` (400: mode not Standard or
   HighPerformance); ``InvalidParameter.InvalidQueuePairNumber`` (400: not an
   integer 1-2048); ``InvalidParameter.EniConnectionTrackingConfiguration``
   (400: TcpEstablishedTimeout not one of 30 60 80 100 200 300 500 700 910,
   TcpClosedAndTimeWaitTimeout not 3-15, UdpTimeout not one of 10 20 30 60
   80 100); ``InvalidParameter.EniEnhancedNetwork`` (400: EnableSriov true
   without VirtualFunctionTotalQueueNumber >= 1 and VirtualFunctionQuantity
   1-256, or EnableSriov absent/false with either of them);
   ``InvalidParameter.Conflict`` (400: QueueNumber, RxQueueSize or
   TxQueueSize given at the top level and in NetworkInterfaceTrafficConfig
   with different values); ``InvalidParameter.SecurityGroupIdRepeated`` (404:
   one group twice); ``InvalidParameter.QueuePairNumberMustEmpty`` (400:
   QueuePairNumber with mode Standard given, or without a mode on a Standard
   ENI).
6. ``InvalidEniId.NotFound`` (404): no such ENI in RegionId.
7. ``InvalidOperation.EniServiceManaged`` (403): the ENI is managed by a cloud
   service.
8. ``InvalidOperation.InvalidEniState`` (400): the ENI is Attaching,
   Detaching or Deleting.
9. Primary ENIs take NetworkInterfaceName and Description only: QueueNumber →
   ``InvalidOperation.ModifyPrimaryEniQueueNumber`` (403); DeleteOnRelease
   false → ``InvalidOperation.DetachPrimaryEniNotAllowed`` (400: retaining it
   would detach it from its released instance; the simulator's reading); any
   other parameter → ``InvalidOperation.PrimaryEniOnlySupportModifyNameAndDesc``
   (404).
10. The ENI itself: ``InvalidTrafficMode.ModifyToStandardNotSupported`` (400:
    HighPerformance → Standard); ``InvalidOperation.EniTrafficModeNotSupportIPv6``
    (400: HighPerformance on an ENI with IPv6 addresses);
    ``InvalidOperation.TrunkAttachmentMustEmpty`` (400: EnableSriov true on a
    Trunk ENI with member ENIs); ``InvalidOperation.NotSupportModifyVFQueueNumberAndVFQuantity``
    (400: the ENI has SR-IOV on and the request changes its VF queue number
    or quantity).
11. The instance of an InUse ENI: ``InvalidEcsId.NotFound`` (404: it no longer
    exists); ``InvalidOperation.InvalidEcsState`` (400: Starting, Stopping or
    Pending, for a change of queues, traffic config or EnhancedNetwork);
    QueueNumber: ``InvalidOperation.NotSupportModifyQueueNumber`` (400: the
    type cannot), ``InvalidOperation.InvalidEniState`` (403: the instance is
    not Stopped), ``InvalidOperation.MaxEniQueueNumberExceeded`` (403: above
    MaximumQueueNumberPerEni), ``InvalidOperation.ExceedInstanceTypeQueueNumber``
    (403: all ENIs of the instance above TotalEniQueueQuantity; an unset
    QueueNumber counts as the type's default); queue depth above the type's
    ``max_queue_size`` or on a type without one → ``InvalidParameter.EniQueueSize``;
    HighPerformance: ``InvalidOperation.InstanceTypeNotSupportHighPerformance``
    (400: EriQuantity 0), ``InvalidOperation.HighPerformanceEniPerInstanceLimitExceeded``
    (400: more HighPerformance ENIs than EriQuantity); QueuePairNumber:
    ``InvalidOperation.MaxEniQueuePairNumberExceed`` (400: above the type's
    per-ERI QueuePairNumber), ``InvalidOperation.EniQueuePairNumberOverflow``
    (400: all ERIs of the instance above its total); EnableRss true →
    ``InvalidOperation.InstanceTypeNotSupportRss`` (400); EnableSriov true on
    a type without SR-IOV → ``UnsupportedParameter`` (400).
12. Security groups (secondary and trunk ENIs): ``JoinedGroupLimitExceed``
    (400: more than the region's per-ENI quota, or the instance type's when
    lower); per group: ``InvalidSecurityGroupId.NotFound`` (404: unknown or in
    another region), ``InvalidOperation.ResourceManagedByCloudProduct`` (403),
    ``InvalidSecurityGroupId.NotVpc`` (403: classic network),
    ``InvalidOperation.VpcMismatch`` (403: another VPC than the ENI's); then
    ``InvalidOperation.MultiGroupType`` (403: normal and enterprise groups
    mixed); a group the ENI joins anew must have room:
    ``SecurityGroupInstanceLimitExceed`` (403, normal group) or
    ``InvalidOperation.EniCountExceeded`` (403, enterprise group).
13. Authorization: a key whose RAM products omit ``ecs``, or a read-only key
    on Modify, gets ``Forbidden.SubUser`` (403, the reference's "not authorized to
    manage this resource") on Modify and ``Forbidden.RAM`` (403, with
    ``AccessDeniedDetail`` naming ``ecs:<Action>``) on the Describe calls, as
    ECS answers RAM-checked reads since 2025-12-20, instead of the gateway's
    NoPermission. Throttling
    per AccessKeyId answers ``Throttling`` (400) from the shared pipeline.

Fault injection only (their cause lies outside the model): InternalError
(500), InvalidInstanceID.Malformed (400), InvalidUserType.NotSupported,
Abs.InvalidAccount.NotFound, Forbidden.NotSupportRAM, MaxEniCountExceeded,
EniPerInstanceLimitExceeded, InvalidOperation.AvailabilityZoneMismatch,
InvalidOperation.InvalidEniType, AclLimitExceed,
InvalidOperation.EniTypeUnsupported (403 each), InvalidVSwitchId.NotFound
(404): ``POST /_sim/faults {"family": "alibaba-ecs", "action":
"ModifyNetworkInterfaceAttribute", "error_code": "...", "status": ...}``.

The describe calls check 1-3 and 6 likewise (``InvalidEniId.NotFound`` for an
unknown id in the attribute call; the list call simply leaves it out).
DescribeNetworkInterfaces lists the region's ENIs in inventory order;
filters NetworkInterfaceId.N (at most 100), Status, Type, InstanceId, VpcId,
VSwitchId, SecurityGroupId, NetworkInterfaceName, PrimaryIpAddress,
ServiceManaged match exactly. MaxResults below 10 reads as 10 and above 500
as 500 (the SDK's documented behaviour); NextToken is opaque (the next ENI's
id) and empty on the last page; a token this simulator did not issue answers
``InvalidParameter``. PageNumber/PageSize (1-100, default 10) page the same
list when neither MaxResults nor NextToken is given.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response

from cloudnet.sim.core import CallContext, SimError
from cloudnet.sim.families.alibaba_ecs.inventory import (
    EcsInstance,
    EcsInstanceType,
    EcsNetworkInterface,
    EcsRegion,
    EcsSecurityGroup,
)
from cloudnet.sim.families.alibaba_ecs.world import EcsTables
from cloudnet.sim.gateways.alibaba_pop import (
    NO_PERMISSION,
    AlibabaGateway,
    RpcAction,
    RpcProduct,
    rpc_error,
    rpc_response,
)

FAMILY = "alibaba-ecs"
VERSION = "2014-05-26"
MODIFY = "ModifyNetworkInterfaceAttribute"
#: a region id's form (cn-hangzhou, ap-southeast-1); anything else is InvalidRegionId.MalFormed
_REGION_ID = re.compile(r"^[a-z]+(-[a-z0-9]+)+$")
DESCRIBE_ATTRIBUTE = "DescribeNetworkInterfaceAttribute"
DESCRIBE = "DescribeNetworkInterfaces"

QUEUE_NUMBER_RANGE = (1, 2048)  # ModifyNetworkInterfaceAttribute: "Valid values: 1 to 2048"
QUEUE_PAIR_NUMBER_RANGE = (1, 2048)  # the simulator's bound; the reference names none
QUEUE_SIZE_RANGE = (256, 16384)  # the simulator's bound; the reference names none
TCP_ESTABLISHED_TIMEOUTS = (30, 60, 80, 100, 200, 300, 500, 700, 910)
TCP_CLOSED_TIMEOUT_RANGE = (3, 15)
UDP_TIMEOUTS = (10, 20, 30, 60, 80, 100)
VF_QUANTITY_RANGE = (1, 256)
TRAFFIC_MODES = ("Standard", "HighPerformance")
ATTRIBUTES = ("attachment", "connectionTrackingConfiguration")
#: instance states in which the instance's NIC hardware cannot be reconfigured
TRANSITIONAL_INSTANCE_STATES = ("Starting", "Stopping", "Pending")
MAX_RESULTS_RANGE = (10, 500)
MAX_IDS_PER_DESCRIBE = 100
MAX_PAGE_SIZE = 100

_ENI_ID = re.compile(r"^eni-[0-9a-z]+$")
_NAME = re.compile(r"^[A-Za-z\u4e00-\u9fa5][A-Za-z0-9\u4e00-\u9fa5:_.\-]{1,127}$")
_NESTED = ("NetworkInterfaceTrafficConfig", "ConnectionTrackingConfiguration", "EnhancedNetwork")
_TRAFFIC = "NetworkInterfaceTrafficConfig."
_TRACKING = "ConnectionTrackingConfiguration."
_ENHANCED = "EnhancedNetwork."


# -- the parsed request -----------------------------------------------------------------------


@dataclass
class _Change:
    """What one ModifyNetworkInterfaceAttribute asks for; None = not given."""

    name: str | None = None
    description: str | None = None
    security_group_ids: list[str] | None = None
    queue_number: int | None = None
    rx_queue_size: int | None = None
    tx_queue_size: int | None = None
    delete_on_release: bool | None = None
    traffic_mode: str | None = None
    queue_pair_number: int | None = None
    tracking: dict[str, int] = field(default_factory=dict)
    enable_sriov: bool | None = None
    enable_rss: bool | None = None
    vf_total_queue_number: int | None = None
    vf_quantity: int | None = None
    source_dest_check: bool | None = None

    @property
    def beyond_name_and_description(self) -> bool:
        return any(
            value is not None and value != {}
            for name, value in vars(self).items()
            if name not in ("name", "description")
        )

    @property
    def touches_hardware(self) -> bool:
        """Queues, traffic config or EnhancedNetwork: what an instance in transition refuses."""
        return any(
            v is not None
            for v in (
                self.queue_number,
                self.rx_queue_size,
                self.tx_queue_size,
                self.traffic_mode,
                self.queue_pair_number,
                self.enable_sriov,
                self.enable_rss,
            )
        )


def expand_params(params: Mapping[str, str]) -> dict[str, str]:
    """Flattened parameters; a nested object sent as one JSON value is flattened too.

    Empty values are dropped: an empty optional parameter counts as not given.
    """
    out: dict[str, str] = {}
    for key, value in params.items():
        if key in _NESTED and value.startswith("{"):
            try:
                nested = json.loads(value)
            except ValueError:
                raise _invalid(f"{key} is not a JSON object.") from None
            if not isinstance(nested, dict):
                raise _invalid(f"{key} is not a JSON object.")
            for inner, inner_value in nested.items():
                if inner_value is not None:
                    out[f"{key}.{inner}"] = _scalar(inner_value)
        elif value != "":
            out[key] = value
    return out


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _invalid(detail: str) -> SimError:
    return rpc_error("InvalidParameter", f"The specified parameter is invalid: {detail}")


def _missing(name: str) -> SimError:
    return rpc_error("MissingParameter", f"The input parameter {name} that is mandatory is null.")


def _bool(params: Mapping[str, str], name: str) -> bool | None:
    if name not in params:
        return None
    value = params[name].lower()
    if value not in ("true", "false"):
        raise _invalid(f"{name} must be true or false, not {params[name]!r}.")
    return value == "true"


def _int(
    params: Mapping[str, str],
    name: str,
    bounds: tuple[int, int] | None,
    error: SimError,
) -> int | None:
    if name not in params:
        return None
    raw = params[name]
    if not re.fullmatch(r"-?\d+", raw):
        raise error
    value = int(raw)
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        raise error
    return value


def _indexed(params: Mapping[str, str], name: str) -> list[str]:
    """``Name.1``, ``Name.2``... in index order."""
    found: list[tuple[int, str]] = []
    for key, value in params.items():
        prefix, _, index = key.rpartition(".")
        if prefix == name and index.isdigit():
            found.append((int(index), value))
    return [value for _, value in sorted(found)]


def _one_of_two(params: Mapping[str, str], name: str, parse: Any) -> int | None:
    """A value settable at the top level and in NetworkInterfaceTrafficConfig (not both)."""
    top = parse(name)
    nested = parse(_TRAFFIC + name)
    if top is not None and nested is not None and top != nested:
        raise rpc_error(
            "InvalidParameter.Conflict",
            f"The specified parameter {name} conflicts with {_TRAFFIC}{name}.",
        )
    value: int | None = top if top is not None else nested
    return value


def parse_change(params: Mapping[str, str], region: EcsRegion) -> _Change:
    """Steps 4 and 5 of the module docstring: region features, then every value's form."""
    if "SourceDestCheck" in params and not region.source_dest_check:
        raise rpc_error(
            "InvalidOperation.SourceDestCheckUnsupported",
            f"Modifying sourceDestCheck attribute for network interface is not allowed in the"
            f" {region.id} region.",
        )
    if not region.eni_queue_size and any(
        k in params for p in ("", _TRAFFIC) for k in (p + "RxQueueSize", p + "TxQueueSize")
    ):
        raise rpc_error(
            "InvalidEniQueueSize.RegionOrUserNotSupported",
            "The specified parameter RxQueueSize or TxQueueSize is not supported in this region,"
            " or this account is not in the whitelist of using eni QueueSize.",
        )
    if not region.connection_tracking and any(k.startswith(_TRACKING) for k in params):
        raise rpc_error(
            "InvalidConnectionTrackingConfiguration.RegionOrUserNotSupported",
            "The specified parameter ConnectionTrackingConfiguration is not supported in this"
            " region, or this account is not in the whitelist of using network interface"
            " ConnectionTrackingConfiguration.",
        )
    if not region.enhanced_network and any(k.startswith(_ENHANCED) for k in params):
        raise rpc_error(
            "UnsupportedParameter",
            f"The parameter EnhancedNetwork is not supported in the {region.id} region.",
        )

    change = _Change()
    name = params.get("NetworkInterfaceName")
    if name is not None:
        if not _NAME.match(name) or name.startswith(("http://", "https://")):
            raise rpc_error(
                "InvalidParams.NetworkInterfaceName",
                "The NetworkInterfaceName must be 2 to 128 characters, start with a letter or a"
                " Chinese character, and contain only letters, digits, Chinese characters,"
                " colons (:), underscores (_), periods (.) and hyphens (-).",
                status=403,
            )
        change.name = name
    description = params.get("Description")
    if description is not None:
        if not 2 <= len(description) <= 255 or description.startswith(("http://", "https://")):
            raise _invalid(
                "Description must be 2 to 255 characters and cannot start with http:// or https://."
            )
        change.description = description
    change.delete_on_release = _bool(params, "DeleteOnRelease")
    change.source_dest_check = _bool(params, "SourceDestCheck")

    def queue_number(key: str) -> int | None:
        return _int(
            params,
            key,
            QUEUE_NUMBER_RANGE,
            rpc_error(
                "InvalidParameter.InvalidEniQueueNumber",
                f"The specified {key} is invalid: {params.get(key)!r} (an integer 1-2048).",
                status=403,
            ),
        )

    def queue_size(key: str) -> int | None:
        return _int(params, key, QUEUE_SIZE_RANGE, _queue_size_error())

    change.queue_number = _one_of_two(params, "QueueNumber", queue_number)
    change.rx_queue_size = _one_of_two(params, "RxQueueSize", queue_size)
    change.tx_queue_size = _one_of_two(params, "TxQueueSize", queue_size)

    mode = params.get(_TRAFFIC + "NetworkInterfaceTrafficMode")
    if mode is not None and mode not in TRAFFIC_MODES:
        raise rpc_error(
            "InvalidParameter.EniTrafficMode",
            "The ENI traffic mode is set incorrectly, it must be either Standard or"
            " HighPerformance.",
        )
    change.traffic_mode = mode
    change.queue_pair_number = _int(
        params,
        _TRAFFIC + "QueuePairNumber",
        QUEUE_PAIR_NUMBER_RANGE,
        rpc_error(
            "InvalidParameter.InvalidQueuePairNumber",
            "The specified parameter QueuePairNumber exceeds limit.",
        ),
    )

    tracking_error = rpc_error(
        "InvalidParameter.EniConnectionTrackingConfiguration",
        "The specify network interface connection tracking configuration exceeds limit.",
    )
    for key, allowed in (
        ("TcpEstablishedTimeout", TCP_ESTABLISHED_TIMEOUTS),
        ("TcpClosedAndTimeWaitTimeout", None),
        ("UdpTimeout", UDP_TIMEOUTS),
    ):
        bounds = TCP_CLOSED_TIMEOUT_RANGE if allowed is None else None
        value = _int(params, _TRACKING + key, bounds, tracking_error)
        if value is not None:
            if allowed is not None and value not in allowed:
                raise tracking_error
            change.tracking[key] = value

    enhanced_error = rpc_error(
        "InvalidParameter.EniEnhancedNetwork",
        'The input parameter "EnhancedNetwork" is illegal, when EnableSriov is true,'
        " VirtualFunctionTotalQueueNumber must not be empty, and VirtualFunctionQuantity must"
        " be 1 to 256. When EnableSriov is empty or false, VirtualFunctionTotalQueueNumber and"
        " VirtualFunctionQuantity must be empty.",
    )
    change.enable_sriov = _bool(params, _ENHANCED + "EnableSriov")
    change.enable_rss = _bool(params, _ENHANCED + "EnableRss")
    change.vf_total_queue_number = _int(
        params, _ENHANCED + "VirtualFunctionTotalQueueNumber", (1, 2**31 - 1), enhanced_error
    )
    change.vf_quantity = _int(
        params, _ENHANCED + "VirtualFunctionQuantity", VF_QUANTITY_RANGE, enhanced_error
    )
    if change.enable_sriov:
        if change.vf_total_queue_number is None or change.vf_quantity is None:
            raise enhanced_error
    elif change.vf_total_queue_number is not None or change.vf_quantity is not None:
        raise enhanced_error

    groups = _indexed(params, "SecurityGroupId")
    if groups:
        if len(set(groups)) != len(groups):
            raise rpc_error(
                "InvalidParameter.SecurityGroupIdRepeated",
                "The specified security group ids has repeated.",
                status=404,
            )
        change.security_group_ids = groups
    return change


def _queue_size_error(detail: str = "") -> SimError:
    message = "The specified parameter TxQueueSize and RxQueueSize are not equal or exceed limit."
    return rpc_error("InvalidParameter.EniQueueSize", f"{message} {detail}".strip())


def _eni_state(eni: EcsNetworkInterface) -> SimError:
    return rpc_error(
        "InvalidOperation.InvalidEniState",
        f"The current status of the network interface {eni.id} ({eni.status}) does not"
        " support this operation.",
    )


# -- wire shapes ------------------------------------------------------------------------------


def effective_queue_number(eni: EcsNetworkInterface, itype: EcsInstanceType | None) -> int | None:
    """The QueueNumber DescribeNetworkInterfaceAttribute reports (the SDK's field note)."""
    if eni.queue_number is not None:
        return eni.queue_number
    if itype is None or eni.instance_id is None:
        return None
    if eni.type == "Primary":
        return itype.primary_eni_queue_number
    return itype.secondary_eni_queue_number


def _common(eni: EcsNetworkInterface, queue_number: int | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "CreationTime": eni.creation_time,
        "DeleteOnRelease": eni.delete_on_release,
        "Description": eni.description,
        "InstanceId": eni.instance_id or "",
        "Ipv6Sets": {"Ipv6Set": [{"Ipv6Address": a} for a in eni.ipv6_addresses]},
        "MacAddress": eni.mac_address,
        "NetworkInterfaceId": eni.id,
        "NetworkInterfaceName": eni.network_interface_name,
        "NetworkInterfaceTrafficMode": eni.traffic_mode,
        "OwnerId": eni.owner_id,
        "PrivateIpAddress": eni.private_ip_address,
        "PrivateIpSets": {
            "PrivateIpSet": [{"PrivateIpAddress": eni.private_ip_address, "Primary": True}]
        },
        "ResourceGroupId": eni.resource_group_id,
        "SecurityGroupIds": {"SecurityGroupId": list(eni.security_group_ids)},
        "ServiceManaged": eni.service_managed,
        "SourceDestCheck": eni.source_dest_check,
        "Status": eni.status,
        "Tags": {"Tag": []},
        "Type": eni.type,
        "VSwitchId": eni.vswitch_id,
        "VpcId": eni.vpc_id,
        "ZoneId": eni.zone_id,
    }
    if queue_number is not None:
        body["QueueNumber"] = queue_number
    if eni.queue_pair_number is not None:
        body["QueuePairNumber"] = eni.queue_pair_number
    return body


def attribute_body(
    eni: EcsNetworkInterface, itype: EcsInstanceType | None, attribute: str | None
) -> dict[str, Any]:
    """DescribeNetworkInterfaceAttributeResponseBody, without RequestId."""
    queue_number = effective_queue_number(eni, itype)
    body = _common(eni, queue_number)
    traffic: dict[str, Any] = {"NetworkInterfaceTrafficMode": eni.traffic_mode}
    if queue_number is not None:
        traffic["QueueNumber"] = queue_number
    if eni.queue_pair_number is not None:
        traffic["QueuePairNumber"] = eni.queue_pair_number
    body["NetworkInterfaceTrafficConfig"] = traffic
    enhanced: dict[str, Any] = {"EnableSriov": eni.enable_sriov}
    if eni.enable_rss is not None:
        enhanced["EnableRss"] = eni.enable_rss
    if eni.virtual_function_quantity is not None:
        enhanced["VirtualFunctionQuantity"] = eni.virtual_function_quantity
    if eni.virtual_function_total_queue_number is not None:
        enhanced["VirtualFunctionTotalQueueNumber"] = eni.virtual_function_total_queue_number
    body["EnhancedNetwork"] = enhanced
    if attribute == "connectionTrackingConfiguration":
        body["ConnectionTrackingConfiguration"] = {
            "TcpClosedAndTimeWaitTimeout": eni.tcp_closed_and_time_wait_timeout,
            "TcpEstablishedTimeout": eni.tcp_established_timeout,
            "UdpTimeout": eni.udp_timeout,
        }
    if attribute == "attachment":
        attachment: dict[str, Any] = {
            "MemberNetworkInterfaceIds": {
                "MemberNetworkInterfaceId": list(eni.member_network_interface_ids)
            }
        }
        if eni.instance_id is not None:
            attachment["InstanceId"] = eni.instance_id
        if eni.device_index is not None:
            attachment["DeviceIndex"] = eni.device_index
        body["Attachment"] = attachment
    return dict(sorted(body.items()))


def list_item(eni: EcsNetworkInterface, itype: EcsInstanceType | None) -> dict[str, Any]:
    """One DescribeNetworkInterfacesResponseBodyNetworkInterfaceSetsNetworkInterfaceSet."""
    body = _common(eni, effective_queue_number(eni, itype))
    if eni.instance_id is not None:
        attachment: dict[str, Any] = {"InstanceId": eni.instance_id}
        if eni.device_index is not None:
            attachment["DeviceIndex"] = eni.device_index
        body["Attachment"] = attachment
    return dict(sorted(body.items()))


def _token(eni_id: str) -> str:
    return base64.urlsafe_b64encode(eni_id.encode()).decode().rstrip("=")


def _untoken(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return ""


# -- the family -------------------------------------------------------------------------------


class AlibabaEcs(RpcProduct):
    """ECS 2014-05-26 elastic network interfaces, behind the Alibaba POP gateway."""

    name = FAMILY
    product = "ecs"
    version = VERSION
    host_id = "ecs.aliyuncs.com"
    product_name = "Ecs"

    def __init__(self, gateway: AlibabaGateway) -> None:
        super().__init__(gateway)
        self.tables = self.store.tables(EcsTables)
        self.actions = {
            MODIFY: RpcAction(self._modify, "write"),
            DESCRIBE_ATTRIBUTE: RpcAction(self._describe_attribute, "read"),
            DESCRIBE: RpcAction(self._describe, "read"),
        }

    async def _run(self, ctx: CallContext) -> Response:
        """The shared dispatch, with RAM denials in ECS's words (Modify's: Forbidden.SubUser)."""
        try:
            return await super()._run(ctx)
        except SimError as error:
            if error.code != NO_PERMISSION:
                raise
            if ctx.call.action != MODIFY:
                # Describe* since 2025-12-20: Forbidden.RAM naming the action (an empty
                # list before that date), the way every RAM-checked ECS read answers now.
                raise SimError(
                    403,
                    "Forbidden.RAM",
                    "User not authorized to operate on the specified resource, or this API"
                    " doesn't support RAM.",
                    detail={
                        "AccessDeniedDetail": {
                            "AuthAction": f"ecs:{ctx.call.action}",
                            "AuthPrincipalType": "SubUser",
                            "AuthPrincipalDisplayName": ctx.principal.key,
                            "PolicyType": "AccountLevelIdentityBasedPolicy",
                            "NoPermissionType": "ImplicitDeny",
                            "EncodedDiagnosticMessage": "AQEAAAAA" + "x" * 40,
                        }
                    },
                ) from None
            raise rpc_error(
                "Forbidden.SubUser",
                f"The specified action {ctx.call.action} is not authorized for this user: you are"
                " not authorized to manage this resource.",
                status=403,
            ) from None

    # helpers

    def _region(self, params: Mapping[str, str]) -> EcsRegion:
        region_id = params.get("RegionId")
        if not region_id:
            raise _missing("RegionId")
        if not _REGION_ID.match(region_id):
            raise rpc_error(
                "InvalidRegionId.MalFormed", "The specified parameter RegionId is not valid."
            )
        region = self.tables.region(region_id)
        if region is None:
            raise rpc_error(
                "Forbidden.RegionId", f"The service is unavailable in the region {region_id}."
            )
        return region

    def _eni_id(self, params: Mapping[str, str]) -> str:
        eni_id = params.get("NetworkInterfaceId")
        if not eni_id:
            raise _missing("NetworkInterfaceId")
        if not _ENI_ID.match(eni_id):
            raise rpc_error("InvalidParams.EniId", f"The specified EniId {eni_id!r} is invalid.")
        return eni_id

    def _eni(self, region: EcsRegion, eni_id: str) -> EcsNetworkInterface:
        eni = self.tables.network_interface(eni_id)
        if eni is None or eni.region_id != region.id:
            raise rpc_error(
                "InvalidEniId.NotFound",
                f"The specified network interface {eni_id} does not exist in {region.id}.",
                status=404,
            )
        return eni

    def _type_of(self, eni: EcsNetworkInterface) -> EcsInstanceType | None:
        """The instance type of an attached ENI's instance (None when unattached or unknown)."""
        if eni.instance_id is None:
            return None
        instance = self.tables.instance(eni.instance_id)
        return None if instance is None else self.tables.instance_type(instance.instance_type)

    def _siblings(self, instance_id: str, eni_id: str) -> list[EcsNetworkInterface]:
        """The other ENIs attached to an instance (InUse, Attaching or Detaching)."""
        return [
            e
            for e in self.tables.section.network_interfaces
            if e.instance_id == instance_id and e.id != eni_id
        ]

    # handlers

    async def _modify(self, ctx: CallContext) -> Response:
        params = expand_params(ctx.call.params)
        if not params.get("RegionId"):
            raise _missing("RegionId")
        if not params.get("NetworkInterfaceId"):
            raise _missing("NetworkInterfaceId")
        region = self._region(params)
        eni_id = self._eni_id(params)
        change = parse_change(params, region)
        eni = self._eni(region, eni_id)
        if eni.service_managed:
            raise rpc_error(
                "InvalidOperation.EniServiceManaged",
                f"The network interface {eni.id} is managed by a cloud service.",
                status=403,
            )
        if eni.status not in ("Available", "InUse"):
            raise _eni_state(eni)
        if eni.type == "Primary":
            _check_primary(eni, change)
        updates = self._check_eni(eni, change)
        if eni.status == "InUse" and eni.instance_id is not None:
            self._check_instance(eni, eni.instance_id, change, updates)
        if change.security_group_ids is not None:
            self._check_groups(eni, region, change.security_group_ids)
        candidate = EcsNetworkInterface.model_validate(eni.model_copy(update=updates).model_dump())
        self.tables.replace_network_interface(candidate)
        self.store.commit()
        ctx.committed = True
        return rpc_response(ctx)

    def _check_eni(self, eni: EcsNetworkInterface, change: _Change) -> dict[str, Any]:
        """Step 10 (and the merged queue depth and QueuePairNumber rules): the field updates."""
        updates: dict[str, Any] = {}
        if change.name is not None:
            updates["network_interface_name"] = change.name
        if change.description is not None:
            updates["description"] = change.description
        if change.delete_on_release is not None:
            updates["delete_on_release"] = change.delete_on_release
        if change.source_dest_check is not None:
            updates["source_dest_check"] = change.source_dest_check
        if change.security_group_ids is not None:
            updates["security_group_ids"] = change.security_group_ids
        if change.queue_number is not None:
            updates["queue_number"] = change.queue_number

        rx = change.rx_queue_size if change.rx_queue_size is not None else eni.rx_queue_size
        tx = change.tx_queue_size if change.tx_queue_size is not None else eni.tx_queue_size
        if change.rx_queue_size is not None or change.tx_queue_size is not None:
            if rx != tx:
                raise _queue_size_error(f"RxQueueSize {rx} and TxQueueSize {tx} would differ.")
            updates["rx_queue_size"], updates["tx_queue_size"] = rx, tx

        mode = change.traffic_mode or eni.traffic_mode
        if change.queue_pair_number is not None and mode == "Standard":
            raise rpc_error(
                "InvalidParameter.QueuePairNumberMustEmpty",
                "When the traffic mode is set to Standard, the QueuePairNumber must be empty.",
            )
        if eni.traffic_mode == "HighPerformance" and change.traffic_mode == "Standard":
            raise rpc_error(
                "InvalidTrafficMode.ModifyToStandardNotSupported",
                "The specified parameter NetworkInterfaceTrafficMode is not supported to modify"
                " to Standard.",
            )
        if change.traffic_mode == "HighPerformance" and eni.ipv6_addresses:
            raise rpc_error(
                "InvalidOperation.EniTrafficModeNotSupportIPv6",
                "The ENI using High Performance traffic mode does not support IPv6.",
            )
        if change.traffic_mode is not None:
            updates["traffic_mode"] = change.traffic_mode
        if change.queue_pair_number is not None:
            updates["queue_pair_number"] = change.queue_pair_number

        for key, name in (
            ("TcpEstablishedTimeout", "tcp_established_timeout"),
            ("TcpClosedAndTimeWaitTimeout", "tcp_closed_and_time_wait_timeout"),
            ("UdpTimeout", "udp_timeout"),
        ):
            if key in change.tracking:
                updates[name] = change.tracking[key]

        if change.enable_sriov:
            if eni.type == "Trunk" and eni.member_network_interface_ids:
                raise rpc_error(
                    "InvalidOperation.TrunkAttachmentMustEmpty",
                    "The Attachment of the current Trunk type Network Interface must be empty"
                    " when modify EnableSriov to true.",
                )
            if eni.enable_sriov and (
                change.vf_total_queue_number != eni.virtual_function_total_queue_number
                or change.vf_quantity != eni.virtual_function_quantity
            ):
                raise rpc_error(
                    "InvalidOperation.NotSupportModifyVFQueueNumberAndVFQuantity",
                    "The ENI not support modify VirtualFunctionTotalQueueNumber and"
                    " VirtualFunctionQuantity when EnableSriov is true.",
                )
            updates["enable_sriov"] = True
            updates["virtual_function_total_queue_number"] = change.vf_total_queue_number
            updates["virtual_function_quantity"] = change.vf_quantity
        elif change.enable_sriov is False:
            updates["enable_sriov"] = False
            updates["virtual_function_total_queue_number"] = None
            updates["virtual_function_quantity"] = None
        if change.enable_rss is not None:
            updates["enable_rss"] = change.enable_rss
        return updates

    def _check_instance(
        self, eni: EcsNetworkInterface, instance_id: str, change: _Change, updates: dict[str, Any]
    ) -> None:
        """Step 11: the limits of the instance an InUse ENI is attached to."""
        instance = self.tables.instance(instance_id)
        if instance is None:
            raise rpc_error(
                "InvalidEcsId.NotFound",
                f"The instance {instance_id} of network interface {eni.id} does not exist.",
                status=404,
            )
        itype = self._instance_type(instance)
        if change.touches_hardware and instance.status in TRANSITIONAL_INSTANCE_STATES:
            raise rpc_error(
                "InvalidOperation.InvalidEcsState",
                f"The current status of the instance {instance.id} ({instance.status}) does not"
                " support this operation.",
            )
        siblings = self._siblings(instance.id, eni.id)
        after = eni.model_copy(update=updates)
        if change.queue_number is not None:
            if not itype.queue_number_modifiable:
                raise rpc_error(
                    "InvalidOperation.NotSupportModifyQueueNumber",
                    f"The instance type {itype.id} does not support modifying the queue number.",
                )
            if instance.status != "Stopped":
                raise rpc_error(
                    "InvalidOperation.InvalidEniState",
                    "Available status or ECS instance attached is Stopped is allowed to modify"
                    " network interface queue number.",
                    status=403,
                )
            if change.queue_number > itype.maximum_queue_number_per_eni:
                raise rpc_error(
                    "InvalidOperation.MaxEniQueueNumberExceeded",
                    f"The queue number {change.queue_number} exceeds the maximum of"
                    f" {itype.maximum_queue_number_per_eni} per ENI of {itype.id}.",
                    status=403,
                )
            total = sum(effective_queue_number(e, itype) or 0 for e in [after, *siblings])
            if total > itype.total_eni_queue_quantity:
                raise rpc_error(
                    "InvalidOperation.ExceedInstanceTypeQueueNumber",
                    f"The queues of all ENIs of {instance.id} ({total}) would exceed"
                    f" TotalEniQueueQuantity {itype.total_eni_queue_quantity} of {itype.id}.",
                    status=403,
                )
        if change.rx_queue_size is not None or change.tx_queue_size is not None:
            size = after.rx_queue_size or 0
            if itype.max_queue_size is None or size > itype.max_queue_size:
                limit = (
                    "no queue depth setting (7th generation and later only)"
                    if itype.max_queue_size is None
                    else f"at most {itype.max_queue_size}"
                )
                raise _queue_size_error(f"The instance type {itype.id} allows {limit}.")
        if change.traffic_mode == "HighPerformance" and eni.traffic_mode != "HighPerformance":
            if itype.eri_quantity == 0:
                raise rpc_error(
                    "InvalidOperation.InstanceTypeNotSupportHighPerformance",
                    f"The ECS instance type {itype.id} where the ENI is located does not support"
                    " the RDMA mode.",
                )
            eris = 1 + sum(1 for e in siblings if e.traffic_mode == "HighPerformance")
            if eris > itype.eri_quantity:
                raise rpc_error(
                    "InvalidOperation.HighPerformanceEniPerInstanceLimitExceeded",
                    f"The number of RDMA ENIs attached to the ECS instance {instance.id} exceeds"
                    f" the upper limit {itype.eri_quantity}.",
                )
        if change.queue_pair_number is not None:
            if change.queue_pair_number > itype.queue_pair_number:
                raise rpc_error(
                    "InvalidOperation.MaxEniQueuePairNumberExceed",
                    f"The QueuePairNumber on the RDMA ENI exceeds the upper limit"
                    f" {itype.queue_pair_number} allowed for a single ENI.",
                )
            pairs = sum(
                e.queue_pair_number or 0
                for e in [after, *siblings]
                if e.traffic_mode == "HighPerformance"
            )
            if pairs > itype.total_queue_pair_number:
                raise rpc_error(
                    "InvalidOperation.EniQueuePairNumberOverflow",
                    f"The RDMA QueuePairNumber of the ECS instance {instance.id} ({pairs})"
                    f" exceeds the limit {itype.total_queue_pair_number}.",
                )
        if change.enable_rss and not itype.rss:
            raise rpc_error(
                "InvalidOperation.InstanceTypeNotSupportRss",
                f"The ECS instance type {itype.id} does not support Rss.",
            )
        if change.enable_sriov and not itype.sriov:
            raise rpc_error(
                "UnsupportedParameter",
                f"The parameter EnhancedNetwork.EnableSriov is not supported by instance type"
                f" {itype.id}.",
            )

    def _instance_type(self, instance: EcsInstance) -> EcsInstanceType:
        itype = self.tables.instance_type(instance.instance_type)
        if itype is None:  # an inventory mistake, not a caller's
            raise SimError(
                500,
                "InternalError",
                f"The request processing has failed due to some unknown error (instance type"
                f" {instance.instance_type} is not in the inventory).",
            )
        return itype

    def _check_groups(self, eni: EcsNetworkInterface, region: EcsRegion, ids: list[str]) -> None:
        """Step 12: the security groups an ENI is to join."""
        limit = region.security_groups_per_eni
        itype = self._type_of(eni)
        if itype is not None and itype.max_security_groups_per_eni is not None:
            limit = min(limit, itype.max_security_groups_per_eni)
        if len(ids) > limit:
            raise rpc_error(
                "JoinedGroupLimitExceed",
                f"The maximum number of security groups to which the specified resource can be"
                f" added has been reached: {limit}.",
            )
        groups: list[EcsSecurityGroup] = []
        for group_id in ids:
            group = self.tables.security_group(group_id)
            if group is None or group.region_id != region.id:
                raise rpc_error(
                    "InvalidSecurityGroupId.NotFound",
                    f"The specified security group {group_id} does not exist in {region.id}.",
                    status=404,
                )
            if group.service_managed:
                raise rpc_error(
                    "InvalidOperation.ResourceManagedByCloudProduct",
                    f"The security group {group.id} is managed by a cloud product and cannot be"
                    " modified.",
                    status=403,
                )
            if group.network_type != "vpc":
                raise rpc_error(
                    "InvalidSecurityGroupId.NotVpc",
                    f"The specified security group {group.id} is not of the VPC network type.",
                    status=403,
                )
            if group.vpc_id != eni.vpc_id:
                raise rpc_error(
                    "InvalidOperation.VpcMismatch",
                    f"The security group {group.id} is in {group.vpc_id}, the network interface"
                    f" in {eni.vpc_id}.",
                    status=403,
                )
            groups.append(group)
        if len({g.type for g in groups}) > 1:
            raise rpc_error(
                "InvalidOperation.MultiGroupType",
                "The specified instance can't join different types of security group.",
                status=403,
            )
        enis = self.tables.section.network_interfaces
        for group in groups:
            if group.id in eni.security_group_ids:
                continue
            members = group.other_members + sum(1 for e in enis if group.id in e.security_group_ids)
            if members >= group.capacity:
                if group.type == "enterprise":
                    raise rpc_error(
                        "InvalidOperation.EniCountExceeded",
                        "The maximum number of eni in a enterprise level security group is"
                        f" exceeded ({group.id}: {group.capacity}).",
                        status=403,
                    )
                raise rpc_error(
                    "SecurityGroupInstanceLimitExceed",
                    f"The security group {group.id} holds its maximum of {group.capacity} members.",
                    status=403,
                )

    async def _describe_attribute(self, ctx: CallContext) -> Response:
        params = expand_params(ctx.call.params)
        region = self._region(params)
        eni_id = self._eni_id(params)
        attribute = params.get("Attribute")
        if attribute is not None and attribute not in ATTRIBUTES:
            raise _invalid(f"Attribute must be one of {', '.join(ATTRIBUTES)}.")
        eni = self._eni(region, eni_id)
        return rpc_response(ctx, attribute_body(eni, self._type_of(eni), attribute))

    async def _describe(self, ctx: CallContext) -> Response:
        params = expand_params(ctx.call.params)
        region = self._region(params)
        ids = _indexed(params, "NetworkInterfaceId")
        if len(ids) > MAX_IDS_PER_DESCRIBE:
            raise _invalid(f"NetworkInterfaceId.N takes at most {MAX_IDS_PER_DESCRIBE} ids.")
        filters = {
            name: params[key]
            for key, name in (
                ("Status", "status"),
                ("Type", "type"),
                ("InstanceId", "instance_id"),
                ("VpcId", "vpc_id"),
                ("VSwitchId", "vswitch_id"),
                ("NetworkInterfaceName", "network_interface_name"),
                ("PrimaryIpAddress", "private_ip_address"),
            )
            if key in params
        }
        group_id = params.get("SecurityGroupId")
        service_managed = _bool(params, "ServiceManaged")
        matching = [
            e
            for e in self.tables.section.network_interfaces
            if e.region_id == region.id
            and (not ids or e.id in ids)
            and all(getattr(e, name) == value for name, value in filters.items())
            and (group_id is None or group_id in e.security_group_ids)
            and (service_managed is None or e.service_managed == service_managed)
        ]
        body: dict[str, Any]
        token_mode = "MaxResults" in params or "NextToken" in params
        if token_mode or not ("PageNumber" in params or "PageSize" in params):
            page, next_token = _token_page(params, matching)
            body = {"NextToken": next_token, "TotalCount": len(matching)}
        else:
            number = _int(params, "PageNumber", (1, 2**31 - 1), _invalid("PageNumber >= 1.")) or 1
            size = _int(params, "PageSize", (1, MAX_PAGE_SIZE), _invalid("PageSize 1-100.")) or 10
            page = matching[(number - 1) * size : number * size]
            body = {"PageNumber": number, "PageSize": size, "TotalCount": len(matching)}
        body["NetworkInterfaceSets"] = {
            "NetworkInterfaceSet": [list_item(e, self._type_of(e)) for e in page]
        }
        return rpc_response(ctx, body)


def _check_primary(eni: EcsNetworkInterface, change: _Change) -> None:
    """Step 9: a primary ENI takes a name and a description, nothing else."""
    if change.queue_number is not None:
        raise rpc_error(
            "InvalidOperation.ModifyPrimaryEniQueueNumber",
            "Primary NetworkInterface is not allowed to modify queue number.",
            status=403,
        )
    if change.delete_on_release is False:
        raise rpc_error(
            "InvalidOperation.DetachPrimaryEniNotAllowed",
            f"The primary network interface {eni.id} cannot outlive its instance"
            " (DeleteOnRelease false).",
        )
    if change.beyond_name_and_description:
        raise rpc_error(
            "InvalidOperation.PrimaryEniOnlySupportModifyNameAndDesc",
            "Primary NetworkInterface is only allowed to modify name and description.",
            status=404,
        )


def _token_page(
    params: Mapping[str, str], matching: list[EcsNetworkInterface]
) -> tuple[list[EcsNetworkInterface], str]:
    """One MaxResults page from NextToken on, and the token of the next page ("" at the end)."""
    raw = params.get("MaxResults")
    if raw is not None and not re.fullmatch(r"-?\d+", raw):
        raise _invalid(f"MaxResults must be an integer, not {raw!r}.")
    low, high = MAX_RESULTS_RANGE
    size = min(high, max(low, int(raw))) if raw is not None else low
    start = 0
    token = params.get("NextToken")
    if token:
        after = _untoken(token)
        positions = [i for i, e in enumerate(matching) if e.id == after]
        if not positions:
            raise _invalid(f"NextToken {token!r} is not valid.")
        start = positions[0]
    page = matching[start : start + size]
    rest = matching[start + size :]
    return page, _token(rest[0].id) if rest else ""
