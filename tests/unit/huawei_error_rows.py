"""The Huawei NAT error table's expected rows: (code, HTTP status, expected class).

tests/unit/test_huawei_errors.py checks the operator's table against these
rows; tests/sim/test_zz_codes_produced.py takes each code's status from them.
"""

from __future__ import annotations

from cloudnet.clouds.errors import ErrorClass

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
