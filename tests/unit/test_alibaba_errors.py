"""The Alibaba error tables (ENS, SAG, ECS), one row per entry, plus the documented rules."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from cloudnet.clouds.alibaba import (
    ECS_ERRORS,
    ENS_ERRORS,
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

# The API gateway's codes, in every table (status as CLOUD_APIS.md records it).
GATEWAY_ROWS = [
    ("Throttling", 400, T),
    ("Throttling.User", 400, T),
    ("ServiceUnavailable", 503, TR),
    ("InternalError", 500, TR),
    ("UnknownError", 500, TR),
    ("Forbidden.RAM", 403, A),
    ("InvalidAccessKeyId.NotFound", 404, A),
    ("SignatureDoesNotMatch", 400, A),
]

# Seeds 000 (ModifyForwardEntry) and 001 (CreateForwardEntry): every code, all HTTP 400.
ENS_ROWS = [
    *GATEWAY_ROWS,
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

# Seed 002 (DescribeDnatEntries): its four codes, all with HTTP 403.
SAG_ROWS = [
    *[row for row in GATEWAY_ROWS if row[0] != "InternalError"],
    ("Forbidden", 403, A),
    ("MissingParameter", 403, IS),
    ("InvalidParameter", 403, IS),
    ("InternalError", 403, TR),
]

# Seed 004 (ModifyNetworkInterfaceAttribute): every code with its status.
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
    # Listed twice in the seed (400 and 403); one table entry, one class.
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


@pytest.mark.parametrize(
    "code",
    # The seeds' templates Missing%s, Invalid%s, InvalidParameter.%s, filled in.
    [
        "MissingNatGatewayId",
        "MissingParameter",
        "InvalidExternalPort",
        "InvalidForwardEntryName",
        "InvalidParameter",
        "InvalidParameter.ForwardEntryName",
        "InvalidParameter.IpProtocol",
    ],
)
@pytest.mark.parametrize("status", [400, 403, 404, 409])
def test_family_rule(code: str, status: int) -> None:
    assert classify_alibaba_error(ENS_ERRORS, code, status) is ErrorClass.INVALID_SPEC


@pytest.mark.parametrize(("status", "expected"), [(429, T), (500, TR), (503, TR)])
def test_family_rule_yields_to_throttle_and_server_fault(status: int, expected: ErrorClass) -> None:
    assert classify_alibaba_error(ENS_ERRORS, "InvalidParameter.Foo", status) is expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, IS),
        (404, IS),
        (409, IS),
        (401, A),
        (403, A),
        (429, T),
        (500, TR),
        (502, TR),
        (503, TR),
        (504, TR),
    ],
)
@pytest.mark.parametrize("table", [ENS_ERRORS, SAG_ERRORS, ECS_ERRORS], ids=["ens", "sag", "ecs"])
def test_status_fallback_for_unknown_codes(
    table: Mapping[str, ErrorClass], status: int, expected: ErrorClass
) -> None:
    assert classify_alibaba_error(table, "Some.UnlistedCode", status) is expected


def test_exact_codes_only_never_a_prefix() -> None:
    # "Throttling.Foo" is not in any table and is not a Missing/Invalid family code:
    # the status decides, not a prefix of a known code.
    assert classify_alibaba_error(ENS_ERRORS, "Throttling.Foo", 400) is IS
    assert classify_alibaba_error(ENS_ERRORS, "NoPermissionX", 400) is IS
    # Codes are case-sensitive, as the cloud sends them.
    assert classify_alibaba_error(ENS_ERRORS, "systembusy", 400) is IS


def test_table_wins_over_status() -> None:
    # SAG's InternalError comes with 403 (seed 002), still a server fault.
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


def test_parse_keeps_request_id_of_a_body_without_code() -> None:
    assert parse_alibaba_error(503, b'{"RequestId": "R-2"}')[2] == "R-2"


def test_parse_truncates_long_messages() -> None:
    _, message, _ = parse_alibaba_error(502, b"x" * 5000)
    assert len(message) == 1024
