"""Every code of every client table is one the simulator answers, and the fault-only list is exact.

Its two checks run after every other test of the session (tests/conftest.py
hands them out last; in one process, the module's name sorts last) and read
what the whole suite made the simulator answer, on every xdist worker
(tests/fixtures/codes_kit.py, filled from the simulator's request log). A code is
either produced in its
situation by some test of the suite, or listed below as one the simulator
answers only through fault injection (its cause lies outside the model:
server faults, account and risk-control states, the dedicated gateway's
spelling); docs/fidelity.md gives the same lists. Each fault-only code is
injected here, answered with the status its reference gives, and read by
the operator's own client as a known code, never a guess.

A code that gains a situation must leave the fault-only list, and one that
loses its situation fails here: the lists cannot drift from the simulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette

from cloudnet.clouds.alibaba import GATEWAY_ERRORS, AlibabaCredentials, AlibabaRpcClient
from cloudnet.clouds.errors import CloudError, ErrorClass
from cloudnet.clouds.huawei import HuaweiCredentials
from cloudnet.providers.alibaba_ecs.errors import ECS_CALL_ERRORS, ECS_ERRORS
from cloudnet.providers.alibaba_ens.errors import ENS_CALL_ERRORS, ENS_ERRORS
from cloudnet.providers.alibaba_sag.errors import SAG_CALL_ERRORS, SAG_ERRORS
from cloudnet.providers.huawei_nat.client import HUAWEI_NAT_ERRORS, HuaweiNatClient
from tests.fixtures import codes_kit
from tests.fixtures.alibaba_error_rows import ECS_ROWS, ENS_ROWS, GATEWAY_ROWS, SAG_ROWS
from tests.fixtures.huawei_error_rows import ROWS as HUAWEI_ROWS
from tests.fixtures.simkit import AK, PROJECT, SK, FakeClock

ALI_AK, ALI_SK = "LTAI5tSimQ7m2X9c1Lp0EaKw", "sImAliSk0Z8vQ3nB6yT1rW4eU7iO9pA2"

PRODUCTS: dict[
    str, tuple[str, Mapping[str, Mapping[str, ErrorClass]], Mapping[str, ErrorClass]]
] = {
    "alibaba-ens": ("2017-11-10", ENS_CALL_ERRORS, ENS_ERRORS),
    "alibaba-sag": ("2018-03-13", SAG_CALL_ERRORS, SAG_ERRORS),
    "alibaba-ecs": ("2014-05-26", ECS_CALL_ERRORS, ECS_ERRORS),
}
STATUS = {
    "alibaba-ens": {code: status for code, status, _ in ENS_ROWS},
    "alibaba-sag": {code: status for code, status, _ in SAG_ROWS},
    "alibaba-ecs": {code: status for code, status, _ in ECS_ROWS},
    "gateway": {code: status for code, status, _ in GATEWAY_ROWS},
    "huawei": {code: status for code, status, _ in HUAWEI_ROWS},
}

#: The POP gateway's codes no situation of the simulator causes (one pool for every product).
GATEWAY_FAULT_ONLY = {
    "Forbidden.AccessKeyDisabled",  # an account-level switch, not modelled
    "Forbidden.RiskControl",  # risk control
    "InvalidApi.NotFound",  # the API exists in every product we call
    "InvalidProduct.NotFound",  # the product exists
    "InvalidProtocol.NeedSsl",  # the simulator serves plain HTTP to tests
    "ServiceUnavailable",  # server faults
    "UnknownError",
}
#: Each call's own codes no situation causes.
CALL_FAULT_ONLY: dict[tuple[str, str], set[str]] = {
    # "the ENS backend failed": a server fault
    **{
        ("alibaba-ens", call): {"ens.interface.error"}
        for call in (
            "CreateForwardEntry",
            "ModifyForwardEntry",
            "DeleteForwardEntry",
            "DescribeForwardTableEntries",
        )
    },
    # the operator always sends RegionId and SagId; their 403 InvalidParameter has no other cause
    ("alibaba-sag", "AddDnatEntry"): {"InvalidParameter"},
    ("alibaba-sag", "DeleteDnatEntry"): {"InvalidParameter"},
    # account types, other products' quotas and instance kinds the simulator does not hold
    ("alibaba-ecs", "ModifyNetworkInterfaceAttribute"): {
        "Abs.InvalidAccount.NotFound",
        "AclLimitExceed",
        "EniPerInstanceLimitExceeded",
        "Forbidden.NotSupportRAM",
        "InvalidInstanceID.Malformed",
        "InvalidOperation.AvailabilityZoneMismatch",
        "InvalidOperation.EniTypeUnsupported",
        "InvalidOperation.InvalidEniType",
        "InvalidUserType.NotSupported",
        "InvalidVSwitchId.NotFound",
        "MaxEniCountExceeded",
    },
    # the reference lists its family's write codes for a read: no read causes them
    ("alibaba-ecs", "DescribeNetworkInterfaces"): {
        "Abs.InvalidAccount.NotFound",
        "EniPerInstanceLimitExceeded",
        "Forbidden.NotSupportRAM",
        "Forbidden.SubUser",
        "InvalidEcsId.NotFound",
        "InvalidEniId.NotFound",
        "InvalidInstanceID.Malformed",
        "InvalidOperation.AvailabilityZoneMismatch",
        "InvalidOperation.DetachPrimaryEniNotAllowed",
        "InvalidOperation.InvalidEcsState",
        "InvalidOperation.InvalidEniState",
        "InvalidOperation.InvalidEniType",
        "InvalidOperation.VpcMismatch",
        "InvalidSecurityGroupId.NotFound",
        "InvalidSecurityGroupId.NotVpc",
        "InvalidUserType.NotSupported",
        "InvalidVSwitchId.NotFound",
        "InvalidVpc.Empty",
        "MaxEniCountExceeded",
        "SecurityGroupInstanceLimitExceed",
        "UnsupportedParameter",
    },
    ("alibaba-ecs", "DescribeNetworkInterfaceAttribute"): {
        "Abs.InvalidAccount.NotFound",
        "Forbidden.NotSupportRAM",
        "Forbidden.SubUser",
        "InvalidUserType.NotSupported",
        "UnsupportedParameter",
    },
}
#: Huawei codes no situation causes: the dedicated gateway's APIG.* spelling, gateway
#: faults, other NAT objects' and VPC's codes the DNAT calls can meet.
HUAWEI_FAULT_ONLY = {
    *(f"APIG.{n}" for n in ("0101", "0103", "0104", "0105", "0106", "0202", "0301", "0302")),
    *(f"APIG.{n}" for n in ("0303", "0304", "0305", "0306", "0307", "0308", "0401", "0402")),
    *(f"APIGW.{n}" for n in ("0103", "0104", "0105", "0106", "0202", "0303", "0304", "0305")),
    *(f"APIGW.{n}" for n in ("0306", "0401", "0402")),
    *(f"NAT.{n}" for n in ("0004", "0005", "0006", "0007", "0013", "0020", "0021", "0024")),
    *(f"NAT.{n}" for n in ("0025", "0102", "0106", "0405", "0407", "0410", "1001")),
    *(f"VPC.{n}" for n in ("0007", "0008", "0009", "0010", "2201", "2701")),
}

_ALIBABA_CASES = [
    (family, call, code)
    for (family, call), codes in sorted(CALL_FAULT_ONLY.items())
    for code in sorted(codes)
] + [("alibaba-ens", "DescribeForwardTableEntries", code) for code in sorted(GATEWAY_FAULT_ONLY)]


def _alibaba(http: httpx.AsyncClient, clock: FakeClock, family: str) -> AlibabaRpcClient:
    version, _, table = PRODUCTS[family]
    return AlibabaRpcClient(
        http,
        endpoint="http://ecs.cn-hangzhou.sim.test",
        credentials=AlibabaCredentials(access_key_id=ALI_AK, access_key_secret=SecretStr(ALI_SK)),
        version=version,
        errors=table,
        clock=lambda: datetime.fromtimestamp(clock(), UTC),
    )


@pytest.mark.parametrize(("family", "call", "code"), _ALIBABA_CASES)
async def test_an_alibaba_fault_only_code_is_answered_and_known(
    app: Starlette, clock: FakeClock, admin: httpx.AsyncClient, family: str, call: str, code: str
) -> None:
    status = STATUS[family].get(code) or STATUS["gateway"][code]
    fault = {"family": family, "action": call, "error_code": code, "status": status, "count": 1}
    assert (await admin.post("/_sim/faults", json=fault)).status_code == 201
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        with pytest.raises(CloudError) as raised:
            await _alibaba(http, clock, family).call(
                call, {"RegionId": "cn-hangzhou"}, own_object=False
            )
    error = raised.value
    assert (error.code, error.http_status) == (code, status)
    table = PRODUCTS[family][1][call]
    assert code in table and error.error_class is table[code]


@pytest.mark.parametrize("code", sorted(HUAWEI_FAULT_ONLY))
async def test_a_huawei_fault_only_code_is_answered_and_known(
    app: Starlette, clock: FakeClock, admin: httpx.AsyncClient, code: str
) -> None:
    status = STATUS["huawei"][code]
    fault = {"family": "huawei", "error_code": code, "status": status, "count": 1}
    assert (await admin.post("/_sim/faults", json=fault)).status_code == 201
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        client = HuaweiNatClient(
            http,
            endpoint="http://nat.cn-north-4.sim.test",
            credentials=HuaweiCredentials.from_aksk(AK, SK),
            project_id=PROJECT,
            clock=lambda: datetime.fromtimestamp(clock(), UTC),
        )
        with pytest.raises(CloudError) as raised:
            await client.list_dnat_rules_page()
    error = raised.value
    assert (error.code, error.http_status) == (code, status)
    assert error.error_class is not ErrorClass.UNKNOWN


@pytest.fixture
def situations(request: pytest.FixtureRequest) -> dict[tuple[str, str], set[str]]:
    """Codes the suite made the simulator answer without fault injection, by family and call."""
    assert request.node.originalname in codes_kit.CHECK_TESTS, "the scheduler hands these out last"
    missing = codes_kit.whole_suite(request.session)
    if missing is not None:
        pytest.skip(f"needs the whole simulator suite in this session: {missing}")
    found: dict[tuple[str, str], set[str]] = {}
    for (family, action, code), only_by_fault in codes_kit.merged(request.config).items():
        if not only_by_fault:
            found.setdefault((family, action), set()).add(code)
    return found


def test_every_alibaba_call_code_is_produced_by_a_situation_or_listed(
    situations: dict[tuple[str, str], set[str]],
) -> None:
    for family, (_, calls, _) in PRODUCTS.items():
        for call, table in calls.items():
            own = {code for code in table if code not in GATEWAY_ERRORS}
            by_situation = own & situations.get((family, call), set())
            assert own - by_situation == CALL_FAULT_ONLY.get((family, call), set()), (family, call)
    gateway = set().union(*(c for (f, _), c in situations.items() if f.startswith("alibaba")))
    assert set(GATEWAY_ERRORS) - gateway == GATEWAY_FAULT_ONLY


def test_every_huawei_code_is_produced_by_a_situation_or_listed(
    situations: dict[tuple[str, str], set[str]],
) -> None:
    produced = set().union(*(c for (f, _), c in situations.items() if f == "huawei"))
    assert set(HUAWEI_NAT_ERRORS) - produced == HUAWEI_FAULT_ONLY
    assert produced <= set(HUAWEI_NAT_ERRORS)
