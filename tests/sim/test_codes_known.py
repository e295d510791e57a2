"""Every error code the simulator can answer is one the operator's client classifies.

Read from the simulator's source (every ``rpc_error`` / ``SimError`` / ``_bad``
call and the code constants they use), so a code added to the simulator
without a client table row fails here. Codes built at run time (the ENS
``Missing%s`` / ``Invalid%s`` templates) are left to their own tests.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

import pytest

import cloudnet.sim
from cloudnet.catalog import PLUGINS
from cloudnet.clouds.errors import ErrorClass
from cloudnet.clouds.identity import IAM_ERRORS, STS_ERRORS
from cloudnet.providers.alibaba_ecs.errors import ECS_ERRORS
from cloudnet.providers.alibaba_ens.errors import ENS_ERRORS
from cloudnet.providers.alibaba_sag.errors import SAG_ERRORS
from cloudnet.providers.huawei_nat.client import HUAWEI_NAT_ERRORS

SIM = Path(cloudnet.sim.__file__).parent

#: the position of the code argument in each error constructor
_CODE_ARG = {"rpc_error": 0, "SimError": 1, "_bad": 1, "_error": 1, "_iam_error": 0}

#: our own codes for answers that are not the cloud's (none today)
_NOT_CLOUD_CODES: frozenset[str] = frozenset()


def codes_of(module: Path) -> set[str]:
    tree = ast.parse(module.read_text("utf-8"))
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        position = _CODE_ARG.get(str(name))
        if position is None or len(node.args) <= position:
            continue
        pending = [node.args[position]]
        while pending:
            arg = pending.pop()
            if isinstance(arg, ast.IfExp):  # CODE_A if cond else CODE_B
                pending += [arg.body, arg.orelse]
            elif isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value)
            elif isinstance(arg, ast.Name) and arg.id in constants:
                found.add(constants[arg.id])
    return found


#: a family that simulates a provider's cloud API has the provider's package name, and
#: its codes are checked against that provider's error table (``PLUGIN.errors``)
BY_PROVIDER: list[tuple[str, Mapping[str, ErrorClass]]] = [
    (f"families/{package}/api.py", plugin.errors)
    for plugin in PLUGINS
    if (SIM / "families" / (package := plugin.config.name.replace("-", "_")) / "api.py").exists()
]
#: the gateways and the families of identity services, which no provider owns
SHARED: list[tuple[str, Mapping[str, ErrorClass]]] = [
    ("gateways/huawei_apig.py", HUAWEI_NAT_ERRORS),
    ("families/alibaba_sts/api.py", STS_ERRORS),
    ("families/huawei_iam/api.py", {**IAM_ERRORS, **HUAWEI_NAT_ERRORS}),
    # the POP gateway's pipeline; its NoPermission is ENS's own code (SAG and ECS answer
    # their own words for it), so the product tables together are the reference
    ("gateways/alibaba_pop.py", {**ENS_ERRORS, **SAG_ERRORS, **ECS_ERRORS}),
]
FAMILIES = BY_PROVIDER + SHARED


@pytest.mark.parametrize(("module", "table"), FAMILIES, ids=[f[0] for f in FAMILIES])
def test_every_code_the_simulator_answers_is_in_the_client_table(
    module: str, table: Mapping[str, ErrorClass]
) -> None:
    codes = codes_of(SIM / module)
    assert codes, f"no error codes found in {module}: the scan is broken"
    unknown = sorted(c for c in codes - _NOT_CLOUD_CODES if c not in table)
    assert unknown == [], f"{module} answers codes no client table classifies"


def test_every_installed_family_is_scanned() -> None:
    from cloudnet.sim.registry import FAMILIES as INSTALLED

    scanned = {module for module, _ in FAMILIES}
    missing = [f.name for f in INSTALLED if f"families/{f.name}/api.py" not in scanned]
    assert not missing, (
        "name the family's folder as its provider's package (its codes are then checked "
        f"against PLUGIN.errors), or list it in SHARED with its table: {missing}"
    )


def test_the_scan_finds_known_codes() -> None:
    # guards the scan itself: a few codes each module is known to answer
    assert {"NAT.0319", "NAT.0305", "NAT.0304"} <= codes_of(SIM / "families/huawei_nat/api.py")
    assert {"DuplicatedDnatEntry", "InstanceNotExit"} <= codes_of(
        SIM / "families/alibaba_sag/api.py"
    )
    assert "Forbidden.RAM" in codes_of(SIM / "families/alibaba_ecs/api.py")
