"""The Huawei NAT error table (API Gateway codes included), one row per test, plus
the documented rules: a code nobody listed is Unknown (Throttled on 429,
Transient on 5xx), never InvalidSpec."""

from __future__ import annotations

import pytest

from cloudnet.clouds.errors import ErrorClass
from cloudnet.clouds.huawei import parse_huawei_error
from cloudnet.providers.huawei_nat.client import HUAWEI_NAT_ERRORS
from cloudnet.providers.huawei_nat.client import classify_nat_error as classify_huawei_error
from tests.fixtures.huawei_error_rows import APIG_ROWS, ROWS


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
