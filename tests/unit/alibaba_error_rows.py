"""The Alibaba error tables' expected rows: (code, HTTP status, expected class).

One list per table (ENS, SAG, ECS) and the POP gateway's codes that are in all
of them. tests/unit/test_alibaba_errors.py checks the operator's tables
against these rows; tests/sim/test_zz_codes_produced.py takes each code's
status from them.
"""

from __future__ import annotations

from cloudnet.clouds.errors import ErrorClass

T = ErrorClass.THROTTLED
TR = ErrorClass.TRANSIENT
IS = ErrorClass.INVALID_SPEC
C = ErrorClass.CONFLICT
A = ErrorClass.AUTH_FAILED
D = ErrorClass.DEPENDENCY_NOT_FOUND
U = ErrorClass.UNKNOWN

# The POP gateway's codes, in every table, with the status the public tables
# give them (sources in cloudnet.clouds.alibaba, next to GATEWAY_ERRORS).
GATEWAY_ROWS = [
    # throttling, every spelling: retry soon
    ("Throttling", 400, T),
    ("Throttling.User", 400, T),
    ("Throttling.Api", 400, T),
    # server faults
    ("ServiceUnavailable", 503, TR),
    ("InternalError", 500, TR),
    ("UnknownError", 500, TR),
    # clock skew and replay: the next request (fresh date, fresh nonce) may pass
    ("InvalidTimeStamp.Expired", 400, TR),
    ("InvalidTimeStamp.Format", 400, TR),
    ("SignatureNonceUsed", 400, TR),
    # signature, key, token, account: retried with capped backoff, never InvalidSpec
    ("IncompleteSignature", 400, A),
    ("SignatureDoesNotMatch", 400, A),
    ("InvalidSignatureMethod", 400, A),
    ("MissingAccessKeyId", 400, A),
    ("MissingTimestamp", 400, A),
    ("MissingSignatureNonce", 400, A),
    ("InvalidAccessKeyId.NotFound", 404, A),
    ("InvalidAccessKeyId.Inactive", 400, A),
    ("Forbidden.AccessKeyDisabled", 403, A),
    ("MissingSecurityToken", 400, A),
    ("InvalidSecurityToken.Expired", 400, A),
    ("InvalidSecurityToken.Malformed", 400, A),
    ("InvalidSecurityToken.MismatchWithAccessKey", 400, A),
    ("Forbidden.RAM", 403, A),
    ("Forbidden.RiskControl", 403, A),
    # wrong endpoint, product, action or version: the ProviderConfig, not the spec
    ("InvalidProduct.NotFound", 404, A),
    ("InvalidApi.NotFound", 404, A),
    ("InvalidProtocol.NeedSsl", 404, A),
    ("InvalidAction.NotFound", 404, A),
    ("InvalidVersion", 400, A),
]

# The templates Missing%s, Invalid%s, InvalidParameter.%s of the ModifyForwardEntry
# and CreateForwardEntry references (all 400), filled in with every parameter a
# spec sends (AlibabaEnsSpec.to_cloud).
ENS_PARAMETERS = [
    "NatGatewayId",
    "ExternalIp",
    "ExternalPort",
    "InternalIp",
    "InternalPort",
    "IpProtocol",
    "ForwardEntryName",
    "HealthCheckPort",
    "StandbyExternalIp",
]
# Filled-in templates the references also list as rows of their own (below, in ENS_ROWS);
# InvalidParameter.ExternalIp means "not found" there, so it is DependencyNotFound.
ENS_TEMPLATE_OVERRIDES = {
    "InvalidParameter.ExternalIp",
    "InvalidParameter.HealthCheckPort",
    "InvalidParameter.InternalIp",
}
ENS_TEMPLATE_ROWS = [
    (template.format(param), 400, IS)
    for template in ("Missing{}", "Invalid{}", "InvalidParameter.{}")
    for param in ENS_PARAMETERS
    if template.format(param) not in ENS_TEMPLATE_OVERRIDES
]

# ModifyForwardEntry and CreateForwardEntry (ENS API reference): every code, all HTTP 400.
ENS_ROWS = [
    *GATEWAY_ROWS,
    *ENS_TEMPLATE_ROWS,
    ("SystemBusy", 400, T),
    ("ens.interface.error", 400, TR),
    ("InvalidParameter.DnatNotFound", 400, D),
    ("InvalidParameter.NatNotFound", 400, D),
    ("InstanceNotFound", 400, D),
    ("InvalidExternalIp.NotFound", 400, D),
    ("InvalidParameter.ExternalIp", 400, D),
    ("InvalidParameter.InternalIpNotFound", 400, D),
    ("IncorretDnatEntryStatus", 400, C),
    ("IncorrectInstanceStatus", 400, C),
    ("Forbidden.ExternalPort.Duplicated", 400, C),
    ("Forbidden.ExternalIpUsedInSnat", 400, C),
    ("ForwardEntryLimitExceed", 400, C),
    ("InvalidPort.Malformed", 400, IS),
    ("InvalidParameter.HealthCheckPort", 400, IS),
    ("InvalidParameter.InternalIp", 400, IS),
    ("NoPermission", 400, A),
]

# DescribeDnatEntries (SAG API reference): its four codes, all with HTTP 403; the
# AddDnatEntry and DeleteDnatEntry references' own codes (per call in
# test_call_tables.py); the product's error-code page for the rest.
SAG_ROWS = [
    *[row for row in GATEWAY_ROWS if row[0] != "InternalError"],
    ("Forbidden", 403, A),
    ("MissingParameter", 403, IS),
    ("InvalidParameter", 403, IS),
    ("InternalError", 403, TR),
    ("InvalidRegionID", 400, IS),
    ("MissingParam", 400, IS),
    ("IllegalParam", 400, IS),
    ("DuplicatedDnatEntry", 400, C),
    ("SmartAccessGatewayNotActivated", 500, C),
    ("SmartAccessGatewayInArrears", 500, C),
    ("SmartAccessGatewayInArrears", 400, C),  # some sibling pages give 400
    ("FeatureNotSupport", 403, C),
    ("InvalidId.SMARTAG", 403, D),
    ("InstanceNotExit", 400, D),
    ("SmartAccessGatewayOffline", 500, C),
    ("SmartAccessGatewayNotOnline", 403, C),
    ("ResourceConfiguring", 400, TR),
    ("ResourceInOperating", 400, TR),
    ("ConfigSynchronizing", 400, TR),
    ("ConfigUnsynchronized", 400, C),
    ("SAG.InstanceNoFound", 400, D),
    ("FeatureNotSupportForActiveSmartAG", 403, C),
    ("FeatureNotSupportForStandBySmartAG", 403, C),
]

# ModifyNetworkInterfaceAttribute (ECS API reference): every code with its status.
ECS_ROWS = [
    *[row for row in GATEWAY_ROWS if row[0] not in ("Throttling", "InternalError")],
    ("InvalidOperation.NotSupportModifyQueueNumber", 400, IS),
    ("MissingParameter", 400, IS),
    ("UnsupportedParameter", 400, IS),
    ("InvalidParameter", 400, IS),
    ("InvalidInstanceID.Malformed", 400, IS),
    ("InvalidOperation.InvalidEcsState", 400, C),
    ("InvalidOperation.InvalidEniState", 400, C),
    ("InvalidOperation.DetachPrimaryEniNotAllowed", 400, IS),
    ("InvalidParams.EniId", 400, IS),
    ("Forbidden.RegionId", 400, IS),
    ("JoinedGroupLimitExceed", 400, C),
    ("InvalidEniQueueSize.RegionOrUserNotSupported", 400, IS),
    ("InvalidParameter.EniQueueSize", 400, IS),
    ("InvalidParameter.Conflict", 400, IS),
    ("InvalidConnectionTrackingConfiguration.RegionOrUserNotSupported", 400, IS),
    ("InvalidParameter.InvalidQueuePairNumber", 400, IS),
    ("InvalidParameter.EniConnectionTrackingConfiguration", 400, IS),
    ("InvalidOperation.MaxEniQueuePairNumberExceed", 400, IS),
    ("InvalidOperation.HighPerformanceEniPerInstanceLimitExceeded", 400, C),
    ("InvalidOperation.InstanceTypeNotSupportHighPerformance", 400, IS),
    ("InvalidTrafficMode.ModifyToStandardNotSupported", 400, IS),
    ("InvalidOperation.EniTrafficModeNotSupportIPv6", 400, C),
    ("InvalidOperation.EniQueuePairNumberOverflow", 400, C),
    ("InvalidParameter.QueuePairNumberMustEmpty", 400, IS),
    ("InvalidParameter.EniTrafficMode", 400, IS),
    ("InvalidOperation.InstanceTypeNotSupportRss", 400, IS),
    ("InvalidParameter.EniEnhancedNetwork", 400, IS),
    ("InvalidOperation.NotSupportModifyVFQueueNumberAndVFQuantity", 400, IS),
    ("InvalidOperation.TrunkAttachmentMustEmpty", 400, C),
    ("Throttling", 400, T),
    ("InvalidOperation.SourceDestCheckUnsupported", 400, IS),
    ("InternalError", 500, TR),
    ("InvalidUserType.NotSupported", 403, A),
    ("Abs.InvalidAccount.NotFound", 403, A),
    ("Forbidden.NotSupportRAM", 403, A),
    ("Forbidden.SubUser", 403, A),
    ("MaxEniCountExceeded", 403, C),
    ("EniPerInstanceLimitExceeded", 403, C),
    ("InvalidOperation.AvailabilityZoneMismatch", 403, IS),
    ("InvalidOperation.VpcMismatch", 403, IS),
    ("SecurityGroupInstanceLimitExceed", 403, C),
    ("InvalidSecurityGroupId.NotVpc", 403, IS),
    ("InvalidOperation.InvalidEniType", 403, IS),
    ("InvalidOperation.EniServiceManaged", 403, IS),
    ("InvalidOperation.MultiGroupType", 403, IS),
    ("InvalidOperation.EniCountExceeded", 403, C),
    ("InvalidParams.NetworkInterfaceName", 403, IS),
    ("InvalidOperation.ModifyPrimaryEniQueueNumber", 403, IS),
    # Listed twice in the reference (400 and 403); one table entry, one class.
    ("InvalidOperation.InvalidEniState", 403, C),
    ("InvalidOperation.ResourceManagedByCloudProduct", 403, IS),
    ("InvalidParameter.InvalidEniQueueNumber", 403, IS),
    ("InvalidOperation.MaxEniQueueNumberExceeded", 403, IS),
    ("InvalidOperation.ExceedInstanceTypeQueueNumber", 403, C),
    ("AclLimitExceed", 403, C),
    ("InvalidOperation.EniTypeUnsupported", 403, IS),
    ("InvalidEcsId.NotFound", 404, D),
    ("InvalidEniId.NotFound", 404, D),
    ("InvalidVSwitchId.NotFound", 404, D),
    ("InvalidSecurityGroupId.NotFound", 404, D),
    ("InvalidOperation.PrimaryEniOnlySupportModifyNameAndDesc", 404, IS),
    ("InvalidParameter.SecurityGroupIdRepeated", 404, IS),
    # DescribeNetworkInterfaces' own rows, and the concurrency codes of the ENI family
    ("InvalidRegionId.MalFormed", 400, IS),
    ("InvalidVpc.Empty", 403, D),
    ("OperationConflict", 400, C),
    ("InvalidOperation.Conflict", 400, C),
]
