"""The Alibaba error tables (ENS, SAG, ECS, and the POP gateway's codes in all of
them), one row per entry, plus the documented rules: a code no table lists is
Unknown (Throttled on 429, Transient on 5xx), never InvalidSpec."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from cloudnet.api.alibaba_ens import AlibabaEnsSpec
from cloudnet.clouds.alibaba import (
    ECS_ERRORS,
    ENS_ERRORS,
    ENS_SPEC_PARAMETERS,
    GATEWAY_ERRORS,
    OWN_OBJECT_NOT_FOUND_CODES,
    SAG_ERRORS,
    classify_alibaba_error,
    parse_alibaba_error,
)
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

TABLES: list[tuple[str, Mapping[str, ErrorClass], list[tuple[str, int, ErrorClass]]]] = [
    ("ens", ENS_ERRORS, ENS_ROWS),
    ("sag", SAG_ERRORS, SAG_ROWS),
    ("ecs", ECS_ERRORS, ECS_ROWS),
]


@pytest.mark.parametrize(("name", "table", "rows"), TABLES, ids=[t[0] for t in TABLES])
def test_rows_cover_the_table_exactly(
    name: str, table: Mapping[str, ErrorClass], rows: list[tuple[str, int, ErrorClass]]
) -> None:
    assert {code for code, _, _ in rows} == set(table)


def _params(rows: list[tuple[str, int, ErrorClass]], prefix: str) -> list[object]:
    return [
        pytest.param(code, status, cls, id=f"{prefix}-{code}-{status}")
        for code, status, cls in rows
    ]


@pytest.mark.parametrize(("code", "status", "expected"), _params(ENS_ROWS, "ens"))
def test_ens_row(code: str, status: int, expected: ErrorClass) -> None:
    assert classify_alibaba_error(ENS_ERRORS, code, status) is expected


@pytest.mark.parametrize(("code", "status", "expected"), _params(SAG_ROWS, "sag"))
def test_sag_row(code: str, status: int, expected: ErrorClass) -> None:
    assert classify_alibaba_error(SAG_ERRORS, code, status) is expected


@pytest.mark.parametrize(("code", "status", "expected"), _params(ECS_ROWS, "ecs"))
def test_ecs_row(code: str, status: int, expected: ErrorClass) -> None:
    assert classify_alibaba_error(ECS_ERRORS, code, status) is expected


@pytest.mark.parametrize(("code", "status", "expected"), _params(ENS_ROWS, "ens"))
def test_ens_row_on_our_own_entry(code: str, status: int, expected: ErrorClass) -> None:
    # On modify/delete of our DNAT entry, "no such DNAT" means it is gone;
    # every other code keeps its class (a missing NAT gateway is not our entry).
    own = ErrorClass.NOT_FOUND if code == "InvalidParameter.DnatNotFound" else expected
    assert classify_alibaba_error(ENS_ERRORS, code, status, own_object=True) is own


def test_own_object_codes_are_only_dnat_not_found() -> None:
    assert frozenset({"InvalidParameter.DnatNotFound"}) == OWN_OBJECT_NOT_FOUND_CODES


def test_ens_templates_are_filled_with_the_spec_parameters() -> None:
    assert list(ENS_SPEC_PARAMETERS) == ENS_PARAMETERS


def test_ens_spec_parameters_are_what_a_spec_sends() -> None:
    spec = AlibabaEnsSpec.model_validate(
        {
            "natGatewayId": "nat-5t7nh1cfm6kxiszlttr38a1b2",
            "externalIp": "100.64.10.11",
            "externalPort": 2222,
            "internalIp": "10.0.1.11",
            "internalPort": 22,
            "ipProtocol": "TCP",
            "forwardEntryName": "edge-ssh",
            "healthCheckPort": 22,
            "standbyExternalIp": "100.64.10.12",
        }
    )
    assert set(spec.to_cloud()) == set(ENS_SPEC_PARAMETERS)


def test_no_gateway_code_is_invalid_spec() -> None:
    # The gateway judges signature, clock, key, rate and endpoint: never the spec.
    assert ErrorClass.INVALID_SPEC not in set(GATEWAY_ERRORS.values())
    assert {code for code, _, _ in GATEWAY_ROWS} == set(GATEWAY_ERRORS)


@pytest.mark.parametrize("table", [ENS_ERRORS, SAG_ERRORS, ECS_ERRORS], ids=["ens", "sag", "ecs"])
@pytest.mark.parametrize(("code", "status", "expected"), _params(GATEWAY_ROWS, "gw"))
def test_every_table_knows_the_gateway(
    table: Mapping[str, ErrorClass], code: str, status: int, expected: ErrorClass
) -> None:
    if table is SAG_ERRORS and code == "InternalError":
        expected = TR  # DescribeDnatEntries' own row (403), the same class
    assert classify_alibaba_error(table, code, status) is expected


UNLISTED = [
    "Some.NewCode",
    # The ENS references' templates filled in with something a spec does not send: no
    # longer a guess from the "Missing"/"Invalid" prefix.
    "MissingForwardEntryId",
    "InvalidPageSize",
    "InvalidParameter.Foo",
    "InvalidAccessKeyId",
    # a known code's family, not the code
    "Throttling.Foo",
    "NoPermissionX",
    # codes are case-sensitive, as the cloud sends them
    "systembusy",
    "throttling",
]


@pytest.mark.parametrize("code", UNLISTED)
@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 412, 422])
@pytest.mark.parametrize("table", [ENS_ERRORS, SAG_ERRORS, ECS_ERRORS], ids=["ens", "sag", "ecs"])
def test_unlisted_code_is_unknown_never_invalid_spec(
    table: Mapping[str, ErrorClass], code: str, status: int
) -> None:
    assert code not in table
    assert classify_alibaba_error(table, code, status) is U
    assert classify_alibaba_error(table, code, status, own_object=True) is U


@pytest.mark.parametrize(
    ("status", "expected"), [(429, T), (500, TR), (502, TR), (503, TR), (504, TR)]
)
@pytest.mark.parametrize("code", ["Some.NewCode", "InvalidParameter.Foo", "MissingFoo"])
@pytest.mark.parametrize("table", [ENS_ERRORS, SAG_ERRORS, ECS_ERRORS], ids=["ens", "sag", "ecs"])
def test_unlisted_code_on_throttle_or_server_fault_status(
    table: Mapping[str, ErrorClass], code: str, status: int, expected: ErrorClass
) -> None:
    assert classify_alibaba_error(table, code, status) is expected


def test_table_wins_over_status() -> None:
    # SAG's InternalError comes with 403 (DescribeDnatEntries), still a server fault.
    assert classify_alibaba_error(SAG_ERRORS, "InternalError", 403) is TR
    # ENS throttling comes with 400.
    assert classify_alibaba_error(ENS_ERRORS, "Throttling.User", 400) is T


# --- parsing ------------------------------------------------------------------------------------


def test_parse_alibaba_body() -> None:
    body = (
        b'{"RequestId":"R-1","HostId":"ens.aliyuncs.com","Code":"InvalidPort.Malformed",'
        b'"Message":"The specified port is not a valid port.","Recommend":"https://x"}'
    )
    assert parse_alibaba_error(400, body) == (
        "InvalidPort.Malformed",
        "The specified port is not a valid port.",
        "R-1",
    )


def test_parse_lowercase_keys_like_the_sdk() -> None:
    assert parse_alibaba_error(400, b'{"code":"X","message":"m","requestId":"r"}') == (
        "X",
        "m",
        "r",
    )


@pytest.mark.parametrize(
    "content",
    [b"", b"<html>502 Bad Gateway</html>", b"[1, 2]", b'{"RequestId": "R-2"}', b"\xff\xfe"],
)
def test_parse_without_a_code_yields_the_status(content: bytes) -> None:
    code, message, _ = parse_alibaba_error(502, content)
    assert code == "502"
    assert message
    assert classify_alibaba_error(ENS_ERRORS, code, 502) is TR
    # the same body with a 4xx: nobody's verdict on the spec
    assert classify_alibaba_error(ENS_ERRORS, parse_alibaba_error(400, content)[0], 400) is U


def test_parse_keeps_request_id_of_a_body_without_code() -> None:
    assert parse_alibaba_error(503, b'{"RequestId": "R-2"}')[2] == "R-2"


def test_parse_keeps_no_byte_of_an_unparsed_body() -> None:
    _, message, _ = parse_alibaba_error(502, b"x" * 5000)
    assert message == "HTTP 502 with a non-JSON body (5000 bytes)"


def test_parse_bounds_a_parsed_message() -> None:
    code, message, _ = parse_alibaba_error(
        400, b'{"Code": "Throttling", "Message": "' + b"m" * 5000 + b'"}'
    )
    assert (code, len(message)) == ("Throttling", 1024)


def test_ram_denial_names_the_action() -> None:
    body = (
        b'{"Code": "Forbidden.RAM", "Message": "User not authorized to operate on the specified'
        b' resource, or this API doesn\'t support RAM.", "RequestId": "R1", "AccessDeniedDetail":'
        b' {"AuthAction": "ecs:DescribeNetworkInterfaces", "NoPermissionType": "ImplicitDeny",'
        b' "PolicyType": "AccountLevelIdentityBasedPolicy", "AuthPrincipalType": "SubUser",'
        b' "EncodedDiagnosticMessage": "AQEAAAAAaW...long"}}'
    )
    code, message, request_id = parse_alibaba_error(403, body)
    assert (code, request_id) == ("Forbidden.RAM", "R1")
    assert "ecs:DescribeNetworkInterfaces" in message and "ImplicitDeny" in message
    assert "AQEAAAAA" not in message
