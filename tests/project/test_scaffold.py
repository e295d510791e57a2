"""The provider scaffold writes a skeleton that plugs in with the printed registration lines."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cloudnet_devkit.scaffold import main, names, next_steps, scaffold

ROOT = Path(__file__).resolve().parents[2]
RUFF = Path(sys.executable).with_name("ruff")


def test_names_are_spelled_every_way_the_code_needs() -> None:
    assert names("aws-nat-gateway") == {
        "name": "aws-nat-gateway",
        "package": "aws_nat_gateway",
        "block": "awsNatGateway",
        "cls": "AwsNatGateway",
        "upper": "AWS_NAT_GATEWAY",
    }


@pytest.mark.parametrize("bad", ["aws", "AWS-nat", "aws_nat", "aws-", "9x-nat", "aws--nat"])
def test_a_name_that_is_not_cloud_dash_product_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="<cloud>-<product>"):
        names(bad)


def test_it_refuses_to_overwrite_a_provider(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "operator" / "cloudnet" / "providers" / "huawei_nat").mkdir(parents=True)
    assert main(["huawei-nat", "--title", "x", "--root", str(tmp_path)]) == 2
    assert "exists already" in capsys.readouterr().err


def test_the_skeleton_is_clean_and_registers_with_the_printed_lines(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "operator" / "cloudnet", tmp_path / "operator" / "cloudnet")
    written = scaffold(tmp_path, "toy-nat", "Toy Cloud NAT")
    assert sorted(p.name for p in written) == sorted(
        ["__init__.py", "spec.py", "endpoints.py", "client.py", "provider.py"]
    )
    lint = subprocess.run(
        [str(RUFF), "check", "--no-cache", *map(str, written)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert lint.returncode == 0, lint.stdout
    steps = next_steps("toy-nat", "Toy Cloud NAT")
    assert "toy_nat.PLUGIN," in steps and "`providers/toy_nat/`" in steps
    catalog = tmp_path / "operator" / "cloudnet" / "providers" / "catalog.py"
    text = catalog.read_text()
    text = text.replace(
        "from cloudnet.providers import alibaba_ecs, alibaba_ens, alibaba_sag, huawei_nat",
        "from cloudnet.providers import alibaba_ecs, alibaba_ens, alibaba_sag, huawei_nat, toy_nat",
    ).replace("    alibaba_ecs.PLUGIN,\n", "    alibaba_ecs.PLUGIN,\n    toy_nat.PLUGIN,\n")
    catalog.write_text(text)
    probe = """
from cloudnet.providers import catalog
from cloudnet.providers.registry import ProviderRegistry
spec = catalog.crds()["cloudnet.dev_dnatrules.yaml"]["spec"]["versions"][0]["schema"]
assert "toyNat" in spec["openAPIV3Schema"]["properties"]["spec"]["properties"]
config = catalog.ProviderConfigSpec.model_validate(
    {"provider": "toy-nat", "region": "eu-central-1", "credentialsSecretRef": {"name": "s"}}
)
provider = ProviderRegistry().get(config, {"accessKeyId": "a", "accessKeySecret": "b"})
rule = catalog.DnatRuleSpec.model_validate({
    "providerConfigRef": {"name": "pc"},
    "toyNat": {"gatewayId": "gw", "externalPort": 80, "internalIp": "10.0.0.1",
               "internalPort": 8080, "protocol": "tcp"},
})
print(type(provider).__name__, rule.block.provider, config.public_endpoint())
"""
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "operator")}
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [
        "ToyNatProvider",
        "toy-nat",
        "https://toy-nat.eu-central-1.example-cloud.com",
    ]
