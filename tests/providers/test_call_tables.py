"""Per call, the codes the client's table covers equal the call's public reference table.

Each reference table below is written from the call's own API reference page
(as specified, for the five calls docs/fidelity.md marks "spec"),
independently of the client's tables: a code the reference
lists that the client lacks, or a code the client claims for a call whose
reference does not list it, fails here. The POP gateway's codes are common
to every Alibaba call and are checked in test_alibaba_errors.py.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from cloudnet.clouds.alibaba import GATEWAY_ERRORS, classify_alibaba_error
from cloudnet.clouds.errors import ErrorClass
from cloudnet.providers.alibaba_ecs.errors import ECS_CALL_ERRORS, ECS_ERRORS
from cloudnet.providers.alibaba_ens.errors import ENS_CALL_ERRORS, ENS_ERRORS
from cloudnet.providers.alibaba_sag.errors import SAG_CALL_ERRORS, SAG_ERRORS

IS = ErrorClass.INVALID_SPEC
C = ErrorClass.CONFLICT
A = ErrorClass.AUTH_FAILED
D = ErrorClass.DEPENDENCY_NOT_FOUND
TR = ErrorClass.TRANSIENT

Rows = list[tuple[int, str, ErrorClass]]

# "DescribeDnatEntries" (SAG API reference, as specified): four codes, all 403.
_SAG_FOUR: Rows = [
    (403, "Forbidden", A),
    (403, "MissingParameter", IS),
    (403, "InvalidParameter", IS),
    (403, "InternalError", TR),
]

SAG_REFERENCE: dict[str, Rows] = {
    "DescribeDnatEntries": _SAG_FOUR,
    # "AddDnatEntry", Smart Access Gateway API reference.
    "AddDnatEntry": [
        *_SAG_FOUR,
        (400, "InvalidRegionID", IS),
        (500, "SmartAccessGatewayNotActivated", C),
        (500, "SmartAccessGatewayInArrears", C),
        (400, "MissingParam", IS),
        (400, "IllegalParam", IS),
        (403, "FeatureNotSupport", C),
        (403, "InvalidId.SMARTAG", D),
        (400, "DuplicatedDnatEntry", C),
    ],
    # "DeleteDnatEntry", Smart Access Gateway API reference.
    "DeleteDnatEntry": [*_SAG_FOUR, (400, "InstanceNotExit", D)],
}


def _own_codes(table: Mapping[str, ErrorClass], *, restated: frozenset[str]) -> set[str]:
    """The call's codes beyond the gateway's, plus gateway codes its reference restates."""
    return {code for code in table if code not in GATEWAY_ERRORS or code in restated}


#: the DescribeDnatEntries reference lists InternalError (with 403) among SAG's own codes
_SAG_RESTATED = frozenset({"InternalError"})


@pytest.mark.parametrize("call", sorted(SAG_REFERENCE))
def test_sag_call_table_is_the_reference(call: str) -> None:
    assert _own_codes(SAG_CALL_ERRORS[call], restated=_SAG_RESTATED) == {
        code for _, code, _ in SAG_REFERENCE[call]
    }


def test_sag_calls_are_the_ones_the_provider_makes() -> None:
    assert set(SAG_CALL_ERRORS) == set(SAG_REFERENCE)


@pytest.mark.parametrize(
    ("call", "status", "code", "expected"),
    [(call, *row) for call, rows in SAG_REFERENCE.items() for row in rows],
)
def test_sag_reference_row_is_classified(
    call: str, status: int, code: str, expected: ErrorClass
) -> None:
    assert classify_alibaba_error(SAG_CALL_ERRORS[call], code, status) is expected
    # The product table reads every call's code the same way.
    assert classify_alibaba_error(SAG_ERRORS, code, status) is expected


def test_no_sag_code_reads_differently_in_two_calls() -> None:
    seen: dict[str, ErrorClass] = {}
    for table in SAG_CALL_ERRORS.values():
        for code, cls in table.items():
            assert seen.setdefault(code, cls) is cls, code


# ENS 2017-11-10: the named codes of each call's table (the Missing%s / Invalid%s /
# InvalidParameter.%s templates are checked in test_alibaba_errors.py). All HTTP 400.
ENS_REFERENCE: dict[str, set[str]] = {
    # "CreateForwardEntry", ENS API reference
    "CreateForwardEntry": {
        "InvalidParameter.NatNotFound",
        "InvalidParameter.ExternalIp",
        "Forbidden.ExternalIpUsedInSnat",
        "InvalidParameter.InternalIpNotFound",
        "Forbidden.ExternalPort.Duplicated",
        "ForwardEntryLimitExceed",
        "InvalidParameter.HealthCheckPort",
        "IncorrectInstanceStatus",
        "SystemBusy",
        "InvalidParameter.InternalIp",
        "InvalidPort.Malformed",
        "ens.interface.error",
        "NoPermission",
    },
    # "ModifyForwardEntry", ENS API reference
    "ModifyForwardEntry": {
        "ens.interface.error",
        "InvalidParameter.DnatNotFound",
        "IncorretDnatEntryStatus",
        "InstanceNotFound",
        "IncorrectInstanceStatus",
        "Forbidden.ExternalPort.Duplicated",
        "InvalidExternalIp.NotFound",
        "InvalidPort.Malformed",
        "Forbidden.ExternalIpUsedInSnat",
        "InvalidParameter.HealthCheckPort",
        "NoPermission",
    },
    # "DeleteForwardEntry", ENS API reference
    "DeleteForwardEntry": {
        "ens.interface.error",
        "InvalidParameter.DnatNotFound",
        "IncorretDnatEntryStatus",
        "NoPermission",
    },
    # no published table: what a read naming a gateway meets
    "DescribeForwardTableEntries": {
        "InvalidParameter.NatNotFound",
        "ens.interface.error",
        "NoPermission",
    },
}


@pytest.mark.parametrize("call", sorted(ENS_REFERENCE))
def test_ens_call_table_is_the_reference(call: str) -> None:
    assert _own_codes(ENS_CALL_ERRORS[call], restated=frozenset()) == ENS_REFERENCE[call]


def test_ens_calls_are_the_ones_the_provider_makes() -> None:
    assert set(ENS_CALL_ERRORS) == set(ENS_REFERENCE)


# ECS 2014-05-26, DescribeNetworkInterfaces' table (the ENI family's rows and its own).
_ECS_READ = {
    "InvalidUserType.NotSupported",
    "Abs.InvalidAccount.NotFound",
    "MissingParameter",
    "Forbidden.NotSupportRAM",
    "UnsupportedParameter",
    "Forbidden.SubUser",
    "InvalidParameter",
    "Forbidden.RegionId",
    "InvalidEniId.NotFound",
}
ECS_DESCRIBE_REFERENCE: dict[str, set[str]] = {
    "DescribeNetworkInterfaces": _ECS_READ
    | {
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
    },
    # no published table: the family's rows a read by id meets, and its id check
    "DescribeNetworkInterfaceAttribute": _ECS_READ | {"InvalidParams.EniId"},
}


@pytest.mark.parametrize("call", sorted(ECS_DESCRIBE_REFERENCE))
def test_ecs_read_call_table_is_the_reference(call: str) -> None:
    own = _own_codes(ECS_CALL_ERRORS[call], restated=frozenset())
    assert own == ECS_DESCRIBE_REFERENCE[call]


def test_ecs_modify_is_its_reference_table_without_the_other_calls_codes() -> None:
    modify = _own_codes(ECS_CALL_ERRORS["ModifyNetworkInterfaceAttribute"], restated=frozenset())
    assert "InvalidRegionId.MalFormed" not in modify and "InvalidVpc.Empty" not in modify
    assert modify | {
        "InvalidRegionId.MalFormed",
        "InvalidVpc.Empty",
        "OperationConflict",
        "InvalidOperation.Conflict",
    } == {c for c in ECS_ERRORS if c not in GATEWAY_ERRORS}


@pytest.mark.parametrize(
    ("product", "calls"),
    [(SAG_ERRORS, SAG_CALL_ERRORS), (ENS_ERRORS, ENS_CALL_ERRORS), (ECS_ERRORS, ECS_CALL_ERRORS)],
    ids=["sag", "ens", "ecs"],
)
def test_every_call_code_is_in_its_product_table_with_the_same_class(
    product: Mapping[str, ErrorClass], calls: Mapping[str, Mapping[str, ErrorClass]]
) -> None:
    for table in calls.values():
        for code, cls in table.items():
            assert product[code] is cls, code
