"""ECS's error table for the ENI calls: every code their references list, per call."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from cloudnet.clouds.alibaba import GATEWAY_ERRORS, per_call_errors
from cloudnet.clouds.errors import ErrorClass

#: ECS 2014-05-26 (ModifyNetworkInterfaceAttribute, every code its API reference lists).
#: The ENI is never ours to recreate, so a missing ENI is DependencyNotFound.
#: Conflict where the blocker lies outside the spec (states, other ENIs or
#: groups, quotas), InvalidSpec where only a different spec can succeed.
ECS_ERRORS: Mapping[str, ErrorClass] = MappingProxyType(
    {
        **GATEWAY_ERRORS,
        # --- 400 ---
        "InvalidOperation.NotSupportModifyQueueNumber": ErrorClass.INVALID_SPEC,
        "MissingParameter": ErrorClass.INVALID_SPEC,
        "UnsupportedParameter": ErrorClass.INVALID_SPEC,
        "InvalidParameter": ErrorClass.INVALID_SPEC,
        "InvalidInstanceID.Malformed": ErrorClass.INVALID_SPEC,
        "InvalidOperation.InvalidEcsState": ErrorClass.CONFLICT,  # the instance's state
        "InvalidOperation.InvalidEniState": ErrorClass.CONFLICT,  # 400 and 403 in its reference
        "InvalidOperation.DetachPrimaryEniNotAllowed": ErrorClass.INVALID_SPEC,
        "InvalidParams.EniId": ErrorClass.INVALID_SPEC,
        "Forbidden.RegionId": ErrorClass.INVALID_SPEC,  # RegionId is a spec field
        "JoinedGroupLimitExceed": ErrorClass.CONFLICT,  # quota of security groups
        "InvalidEniQueueSize.RegionOrUserNotSupported": ErrorClass.INVALID_SPEC,
        "InvalidParameter.EniQueueSize": ErrorClass.INVALID_SPEC,
        "InvalidParameter.Conflict": ErrorClass.INVALID_SPEC,  # parameters conflict each other
        "InvalidConnectionTrackingConfiguration.RegionOrUserNotSupported": (
            ErrorClass.INVALID_SPEC
        ),
        "InvalidParameter.InvalidQueuePairNumber": ErrorClass.INVALID_SPEC,
        "InvalidParameter.EniConnectionTrackingConfiguration": ErrorClass.INVALID_SPEC,
        "InvalidOperation.MaxEniQueuePairNumberExceed": ErrorClass.INVALID_SPEC,  # per ENI
        # Instance-wide limits: other ENIs on the instance count, they may go away.
        "InvalidOperation.HighPerformanceEniPerInstanceLimitExceeded": ErrorClass.CONFLICT,
        "InvalidOperation.InstanceTypeNotSupportHighPerformance": ErrorClass.INVALID_SPEC,
        "InvalidTrafficMode.ModifyToStandardNotSupported": ErrorClass.INVALID_SPEC,
        # IPv6 addresses on the ENI are set outside this spec and may be removed.
        "InvalidOperation.EniTrafficModeNotSupportIPv6": ErrorClass.CONFLICT,
        "InvalidOperation.EniQueuePairNumberOverflow": ErrorClass.CONFLICT,  # instance-wide
        "InvalidParameter.QueuePairNumberMustEmpty": ErrorClass.INVALID_SPEC,
        "InvalidParameter.EniTrafficMode": ErrorClass.INVALID_SPEC,
        "InvalidOperation.InstanceTypeNotSupportRss": ErrorClass.INVALID_SPEC,
        "InvalidParameter.EniEnhancedNetwork": ErrorClass.INVALID_SPEC,
        "InvalidOperation.NotSupportModifyVFQueueNumberAndVFQuantity": ErrorClass.INVALID_SPEC,
        "InvalidOperation.TrunkAttachmentMustEmpty": ErrorClass.CONFLICT,  # attachment state
        "InvalidOperation.SourceDestCheckUnsupported": ErrorClass.INVALID_SPEC,
        # --- 403 ---
        "InvalidUserType.NotSupported": ErrorClass.AUTH_FAILED,  # the account cannot do it
        "Abs.InvalidAccount.NotFound": ErrorClass.AUTH_FAILED,  # account gone or AK expired
        "Forbidden.NotSupportRAM": ErrorClass.AUTH_FAILED,
        "Forbidden.SubUser": ErrorClass.AUTH_FAILED,
        "MaxEniCountExceeded": ErrorClass.CONFLICT,  # quota
        "EniPerInstanceLimitExceeded": ErrorClass.CONFLICT,  # quota
        "InvalidOperation.AvailabilityZoneMismatch": ErrorClass.INVALID_SPEC,
        "InvalidOperation.VpcMismatch": ErrorClass.INVALID_SPEC,
        "SecurityGroupInstanceLimitExceed": ErrorClass.CONFLICT,  # quota of the group
        "InvalidSecurityGroupId.NotVpc": ErrorClass.INVALID_SPEC,
        "InvalidOperation.InvalidEniType": ErrorClass.INVALID_SPEC,
        "InvalidOperation.EniServiceManaged": ErrorClass.INVALID_SPEC,  # not ours to change
        "InvalidOperation.MultiGroupType": ErrorClass.INVALID_SPEC,
        "InvalidOperation.EniCountExceeded": ErrorClass.CONFLICT,  # quota of the group
        "InvalidParams.NetworkInterfaceName": ErrorClass.INVALID_SPEC,
        "InvalidOperation.ModifyPrimaryEniQueueNumber": ErrorClass.INVALID_SPEC,
        "InvalidOperation.ResourceManagedByCloudProduct": ErrorClass.INVALID_SPEC,
        "InvalidParameter.InvalidEniQueueNumber": ErrorClass.INVALID_SPEC,
        "InvalidOperation.MaxEniQueueNumberExceeded": ErrorClass.INVALID_SPEC,
        "InvalidOperation.ExceedInstanceTypeQueueNumber": ErrorClass.CONFLICT,  # instance-wide
        "AclLimitExceed": ErrorClass.CONFLICT,  # quota
        "InvalidOperation.EniTypeUnsupported": ErrorClass.INVALID_SPEC,
        # --- 404 ---
        "InvalidEcsId.NotFound": ErrorClass.DEPENDENCY_NOT_FOUND,
        # --- the ENI family's other calls (DescribeNetworkInterfaces / ...Attribute) ---
        "InvalidRegionId.MalFormed": ErrorClass.INVALID_SPEC,  # 400 RegionId malformed
        "InvalidVpc.Empty": ErrorClass.DEPENDENCY_NOT_FOUND,  # 403 no vSwitch in the VPC
        # another operation on the same ENI or instance is under way: passes when it ends
        "OperationConflict": ErrorClass.CONFLICT,
        "InvalidOperation.Conflict": ErrorClass.CONFLICT,
        "InvalidEniId.NotFound": ErrorClass.DEPENDENCY_NOT_FOUND,
        "InvalidVSwitchId.NotFound": ErrorClass.DEPENDENCY_NOT_FOUND,
        "InvalidSecurityGroupId.NotFound": ErrorClass.DEPENDENCY_NOT_FOUND,
        "InvalidOperation.PrimaryEniOnlySupportModifyNameAndDesc": ErrorClass.INVALID_SPEC,
        "InvalidParameter.SecurityGroupIdRepeated": ErrorClass.INVALID_SPEC,
    }
)

#: ECS, per call: ModifyNetworkInterfaceAttribute is its reference's whole table;
#: DescribeNetworkInterfaces is its reference page's table (the ENI family's shared
#: rows plus InvalidRegionId.MalFormed and InvalidVpc.Empty); the
#: DescribeNetworkInterfaceAttribute page publishes no table of its own: the family's
#: rows a read by id can meet.
_ECS_FAMILY_READ = (
    "InvalidUserType.NotSupported",
    "Abs.InvalidAccount.NotFound",
    "MissingParameter",
    "Forbidden.NotSupportRAM",
    "UnsupportedParameter",
    "Forbidden.SubUser",
    "InvalidParameter",
    "Forbidden.RegionId",
    "InvalidEniId.NotFound",
)
ECS_CALL_ERRORS: Mapping[str, Mapping[str, ErrorClass]] = per_call_errors(
    ECS_ERRORS,
    {
        "ModifyNetworkInterfaceAttribute": tuple(
            c
            for c in ECS_ERRORS
            if c not in GATEWAY_ERRORS
            and c
            not in (
                "InvalidRegionId.MalFormed",
                "InvalidVpc.Empty",
                "OperationConflict",
                "InvalidOperation.Conflict",
            )
        ),
        "DescribeNetworkInterfaces": (
            *_ECS_FAMILY_READ,
            "InvalidInstanceID.Malformed",
            "InvalidOperation.InvalidEcsState",
            "InvalidOperation.InvalidEniState",
            "InvalidOperation.DetachPrimaryEniNotAllowed",
            "InvalidEcsId.NotFound",
            "InvalidVSwitchId.NotFound",
            "InvalidSecurityGroupId.NotFound",
            "MaxEniCountExceeded",
            "EniPerInstanceLimitExceeded",
            "InvalidOperation.AvailabilityZoneMismatch",
            "InvalidOperation.VpcMismatch",
            "SecurityGroupInstanceLimitExceed",
            "InvalidSecurityGroupId.NotVpc",
            "InvalidOperation.InvalidEniType",
            "InvalidVpc.Empty",
            "InvalidRegionId.MalFormed",
        ),
        "DescribeNetworkInterfaceAttribute": (*_ECS_FAMILY_READ, "InvalidParams.EniId"),
    },
)
