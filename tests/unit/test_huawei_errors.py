"""The Huawei NAT error table (API Gateway codes included), one row per test, plus
the documented rules: a code nobody listed is Unknown (Throttled on 429,
Transient on 5xx), never InvalidSpec."""

from __future__ import annotations

import pytest

from cloudnet.clouds.errors import ErrorClass
from cloudnet.clouds.huawei import (
    HUAWEI_NAT_ERRORS,
    classify_huawei_error,
    parse_huawei_error,
)

# The API Gateway's codes (status and source in cloudnet.clouds.huawei), which
# newer gateways spell APIG.xxxx: both spellings are in the table.
APIG_ROWS = [
    ("APIGW.0101", 404, ErrorClass.AUTH_FAILED),  # wrong endpoint: never "rule gone"
    ("APIGW.0103", 404, ErrorClass.TRANSIENT),  # no backend: never "rule gone" either
    ("APIGW.0104", 400, ErrorClass.TRANSIENT),
    ("APIGW.0105", 400, ErrorClass.TRANSIENT),
    ("APIGW.0106", 400, ErrorClass.TRANSIENT),
    ("APIGW.0202", 502, ErrorClass.TRANSIENT),
    ("APIGW.0301", 401, ErrorClass.AUTH_FAILED),  # also clock skew: same code
    ("APIGW.0302", 403, ErrorClass.AUTH_FAILED),
    ("APIGW.0303", 401, ErrorClass.AUTH_FAILED),
    ("APIGW.0304", 403, ErrorClass.AUTH_FAILED),
    ("APIGW.0305", 401, ErrorClass.AUTH_FAILED),
    ("APIGW.0306", 403, ErrorClass.AUTH_FAILED),
    ("APIGW.0307", 401, ErrorClass.AUTH_FAILED),
    ("APIGW.0308", 429, ErrorClass.THROTTLED),
    ("APIGW.0401", 403, ErrorClass.AUTH_FAILED),
    ("APIGW.0402", 403, ErrorClass.AUTH_FAILED),
]

# (code, the HTTP status Huawei documents for it, expected class)
ROWS = [
    ("NAT.0001", 400, ErrorClass.INVALID_SPEC),
    ("NAT.0002", 400, ErrorClass.INVALID_SPEC),
    ("NAT.0004", 404, ErrorClass.DEPENDENCY_NOT_FOUND),
    ("NAT.0005", 404, ErrorClass.DEPENDENCY_NOT_FOUND),
    ("NAT.0006", 400, ErrorClass.CONFLICT),
    ("NAT.0007", 400, ErrorClass.TRANSIENT),
    ("NAT.0009", 400, ErrorClass.CONFLICT),
    ("NAT.0013", 404, ErrorClass.DEPENDENCY_NOT_FOUND),
    ("NAT.0014", 400, ErrorClass.INVALID_SPEC),
    ("NAT.0020", 404, ErrorClass.AUTH_FAILED),
    ("NAT.0021", 404, ErrorClass.DEPENDENCY_NOT_FOUND),
    ("NAT.0023", 404, ErrorClass.DEPENDENCY_NOT_FOUND),
    ("NAT.0024", 404, ErrorClass.DEPENDENCY_NOT_FOUND),
    ("NAT.0025", 401, ErrorClass.AUTH_FAILED),
    ("NAT.0026", 400, ErrorClass.DEPENDENCY_NOT_FOUND),
    ("NAT.0102", 400, ErrorClass.TRANSIENT),
    ("NAT.0103", 400, ErrorClass.CONFLICT),
    ("NAT.0104", 400, ErrorClass.CONFLICT),
    ("NAT.0105", 404, ErrorClass.DEPENDENCY_NOT_FOUND),
    ("NAT.0106", 400, ErrorClass.TRANSIENT),
    ("NAT.0109", 400, ErrorClass.INVALID_SPEC),
    ("NAT.0301", 400, ErrorClass.INVALID_SPEC),
    ("NAT.0302", 400, ErrorClass.INVALID_SPEC),
    ("NAT.0303", 400, ErrorClass.INVALID_SPEC),
    ("NAT.0304", 400, ErrorClass.CONFLICT),
    ("NAT.0305", 400, ErrorClass.CONFLICT),
    ("NAT.0306", 400, ErrorClass.INVALID_SPEC),
    ("NAT.0307", 400, ErrorClass.CONFLICT),
    ("NAT.0308", 400, ErrorClass.CONFLICT),
    ("NAT.0309", 400, ErrorClass.CONFLICT),
    ("NAT.0310", 400, ErrorClass.INVALID_SPEC),
    ("NAT.0311", 400, ErrorClass.INVALID_SPEC),
    ("NAT.0312", 400, ErrorClass.INVALID_SPEC),
    ("NAT.0313", 400, ErrorClass.CONFLICT),
    ("NAT.0315", 400, ErrorClass.INVALID_SPEC),
    ("NAT.0317", 400, ErrorClass.INVALID_SPEC),
    ("NAT.0318", 400, ErrorClass.CONFLICT),
    ("NAT.0319", 404, ErrorClass.DEPENDENCY_NOT_FOUND),
    ("NAT.0401", 400, ErrorClass.CONFLICT),
    ("NAT.0402", 400, ErrorClass.CONFLICT),
    ("NAT.0404", 400, ErrorClass.CONFLICT),
    ("NAT.0405", 400, ErrorClass.CONFLICT),
    ("NAT.0407", 400, ErrorClass.CONFLICT),
    ("NAT.0408", 400, ErrorClass.CONFLICT),
    ("NAT.0409", 400, ErrorClass.CONFLICT),
    ("NAT.0410", 400, ErrorClass.INVALID_SPEC),
    ("NAT.1001", 500, ErrorClass.TRANSIENT),
    ("VPC.0007", 400, ErrorClass.AUTH_FAILED),
    ("VPC.0008", 401, ErrorClass.AUTH_FAILED),
    ("VPC.0009", 401, ErrorClass.AUTH_FAILED),
    ("VPC.0010", 403, ErrorClass.AUTH_FAILED),
    ("VPC.2201", 403, ErrorClass.AUTH_FAILED),
    ("VPC.2701", 403, ErrorClass.AUTH_FAILED),
    *APIG_ROWS,
    *[(code.replace("APIGW.", "APIG.", 1), status, cls) for code, status, cls in APIG_ROWS],
]


def test_rows_cover_the_table_exactly() -> None:
    assert {code for code, _, _ in ROWS} == set(HUAWEI_NAT_ERRORS)


@pytest.mark.parametrize(("code", "status", "expected"), ROWS, ids=[r[0] for r in ROWS])
def test_table_row(code: str, status: int, expected: ErrorClass) -> None:
    assert classify_huawei_error(code, status) is expected


@pytest.mark.parametrize(("code", "status", "expected"), ROWS, ids=[r[0] for r in ROWS])
def test_table_row_on_our_own_rule_path(code: str, status: int, expected: ErrorClass) -> None:
    # On show/update/delete of our rule only NAT.0319 ("No Dnat Rule exist")
    # means the rule is gone; every other 404 (the gateway's, a port's, an
    # EIP's, APIG's) keeps its class.
    own = ErrorClass.NOT_FOUND if code == "NAT.0319" else expected
    assert classify_huawei_error(code, status, own_object=True) is own


def test_no_gateway_code_is_invalid_spec() -> None:
    gateway = {c: cls for c, cls in HUAWEI_NAT_ERRORS.items() if c.startswith(("APIGW.", "APIG."))}
    assert len(gateway) == 2 * len(APIG_ROWS)
    assert ErrorClass.INVALID_SPEC not in set(gateway.values())


def test_rule_gone_vs_gateway_gone() -> None:
    assert classify_huawei_error("NAT.0319", 404, own_object=True) is ErrorClass.NOT_FOUND
    assert classify_huawei_error("NAT.0319", 404) is ErrorClass.DEPENDENCY_NOT_FOUND
    for code in ("NAT.0105", "NAT.0013", "NAT.0023", "NAT.0024", "NAT.0021"):
        assert classify_huawei_error(code, 404, own_object=True) is ErrorClass.DEPENDENCY_NOT_FOUND
    # a proxy's 404 page (no code: the status) and the gateway's 404s are never "gone"
    assert classify_huawei_error("404", 404, own_object=True) is ErrorClass.UNKNOWN
    assert classify_huawei_error("APIGW.0103", 404, own_object=True) is ErrorClass.TRANSIENT
    assert classify_huawei_error("APIGW.0101", 404, own_object=True) is ErrorClass.AUTH_FAILED
    assert classify_huawei_error("APIG.0101", 404, own_object=True) is ErrorClass.AUTH_FAILED


@pytest.mark.parametrize(
    "code",
    [
        "Some.NewCode",
        "NAT.9999",
        "NAT.00130",  # not NAT.0013
        "NAT.03190",  # not NAT.0319
        "APIGW.03",  # not APIGW.0301
        "APIGW.0201",  # left out on purpose: only its status tells (module comment)
        "APIGW.0204",
        "nat.0013",  # codes are case-sensitive
        "apigw.0308",
        "400",  # what a body without a code parses to
    ],
)
@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 422])
def test_unlisted_code_is_unknown_never_invalid_spec(code: str, status: int) -> None:
    assert code not in HUAWEI_NAT_ERRORS
    assert classify_huawei_error(code, status) is ErrorClass.UNKNOWN


FALLBACKS = [
    # (status, own_object, expected) for a code nobody listed
    (404, True, ErrorClass.UNKNOWN),  # an unknown 404 on our path is not proof of "gone"
    (404, False, ErrorClass.UNKNOWN),
    (429, False, ErrorClass.THROTTLED),
    (429, True, ErrorClass.THROTTLED),
    (500, False, ErrorClass.TRANSIENT),
    (502, True, ErrorClass.TRANSIENT),
    (503, False, ErrorClass.TRANSIENT),
    (504, False, ErrorClass.TRANSIENT),
    (401, False, ErrorClass.UNKNOWN),
    (403, True, ErrorClass.UNKNOWN),
    (409, False, ErrorClass.UNKNOWN),
    (400, False, ErrorClass.UNKNOWN),
    (422, True, ErrorClass.UNKNOWN),
]


@pytest.mark.parametrize(("status", "own_object", "expected"), FALLBACKS)
def test_unknown_code_by_status(status: int, own_object: bool, expected: ErrorClass) -> None:
    assert classify_huawei_error("NAT.9999", status, own_object=own_object) is expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, ErrorClass.UNKNOWN),
        (413, ErrorClass.UNKNOWN),
        (502, ErrorClass.TRANSIENT),
        (504, ErrorClass.TRANSIENT),
        (500, ErrorClass.TRANSIENT),
    ],
)
def test_apigw_0201_is_read_by_its_status(status: int, expected: ErrorClass) -> None:
    # "API request error" (400/413/...) is our request's fault, "Backend
    # unavailable / timeout" (502/504) a fault on the way: the same code [H1].
    assert classify_huawei_error("APIGW.0201", status) is expected


@pytest.mark.parametrize(
    ("body", "code", "message", "request_id"),
    [
        (
            b'{"error_code": "NAT.0002", "error_msg": "Invalid parameters."}',
            "NAT.0002",
            "Invalid parameters.",
            None,
        ),
        (
            b'{"error_msg": "Incorrect IAM authentication information", '
            b'"error_code": "APIGW.0301", "request_id": "abc123"}',
            "APIGW.0301",
            "Incorrect IAM authentication information",
            "abc123",
        ),
        (b'{"errorCode": "NAT.0013", "errorMsg": "gone"}', "NAT.0013", "gone", None),
        (b'{"error": {"code": "NAT.0009", "message": "in use"}}', "NAT.0009", "in use", None),
        (
            b"<html><body>Bad Gateway</body></html>",
            "502",
            "HTTP 502 with a non-JSON body (37 bytes)",
            None,
        ),
        (b"", "502", "HTTP 502 with an empty body", None),
        (b'["not", "an", "object"]', "502", "HTTP 502 with a non-JSON body (23 bytes)", None),
        (b'{"message": "no code here"}', "502", "HTTP 502 without an error code", None),
    ],
    ids=["nat", "apigw", "camel", "nested", "html", "empty", "json-list", "no-code"],
)
def test_parse_error_shapes(body: bytes, code: str, message: str, request_id: str | None) -> None:
    assert parse_huawei_error(502, body) == (code, message, request_id)


def test_parse_error_keeps_no_byte_of_an_unparsed_body() -> None:
    _, message, _ = parse_huawei_error(503, b"x" * 100_000)
    assert message == "HTTP 503 with a non-JSON body (100000 bytes)"


def test_parse_error_bounds_a_parsed_message_and_strips_control_characters() -> None:
    body = b'{"error_code": "NAT.0002", "error_msg": "bad\\u001b[31m' + b"y" * 5000 + b'"}'
    code, message, _ = parse_huawei_error(400, body)
    assert code == "NAT.0002"
    assert len(message) == 1024 and "\x1b" not in message
