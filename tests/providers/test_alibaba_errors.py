"""The Alibaba error tables (ENS, SAG, ECS, and the POP gateway's codes in all of
them), one row per entry, plus the documented rules: a code no table lists is
Unknown (Throttled on 429, Transient on 5xx), never InvalidSpec."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from cloudnet.clouds.alibaba import (
    GATEWAY_ERRORS,
    OWN_OBJECT_NOT_FOUND_CODES,
    classify_alibaba_error,
    parse_alibaba_error,
)
from cloudnet.clouds.errors import ErrorClass
from cloudnet.providers.alibaba_ecs.errors import ECS_ERRORS
from cloudnet.providers.alibaba_ens.errors import ENS_ERRORS, ENS_SPEC_PARAMETERS
from cloudnet.providers.alibaba_ens.spec import AlibabaEnsSpec
from cloudnet.providers.alibaba_sag.errors import SAG_ERRORS
from tests.fixtures.alibaba_error_rows import (
    ECS_ROWS,
    ENS_PARAMETERS,
    ENS_ROWS,
    GATEWAY_ROWS,
    SAG_ROWS,
    TR,
    T,
    U,
)

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
