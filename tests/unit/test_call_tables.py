"""Per call, the codes the client's table covers equal the call's public reference table.

Each reference table below is written from the call's own API reference page
(or its seed), independently of the client's tables: a code the reference
lists that the client lacks, or a code the client claims for a call whose
reference does not list it, fails here. The POP gateway's codes are common
to every Alibaba call and are checked in test_alibaba_errors.py.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from cloudnet.clouds.alibaba import (
    GATEWAY_ERRORS,
    SAG_CALL_ERRORS,
    SAG_ERRORS,
    classify_alibaba_error,
)
from cloudnet.clouds.errors import ErrorClass

IS = ErrorClass.INVALID_SPEC
C = ErrorClass.CONFLICT
A = ErrorClass.AUTH_FAILED
D = ErrorClass.DEPENDENCY_NOT_FOUND
TR = ErrorClass.TRANSIENT

Rows = list[tuple[int, str, ErrorClass]]

# Seed 002 ("Smart Access Gateway:DescribeDnatEntries"): four codes, all 403.
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


#: seed 002 lists InternalError (with 403) among SAG's own codes
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
