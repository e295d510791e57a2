"""The provider scaffold writes a skeleton that plugs in with the printed registration lines."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cloudnet_devkit.scaffold import main, names, next_steps, register, scaffold

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


def _ruff_clean(*paths: Path) -> None:
    for command in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        run = subprocess.run(
            [str(RUFF), *command, *map(str, paths)], capture_output=True, text=True, cwd=ROOT
        )
        assert run.returncode == 0, run.stdout + run.stderr


def test_the_skeleton_is_clean_and_registers_with_the_printed_lines(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "operator" / "cloudnet", tmp_path / "operator" / "cloudnet")
    written = scaffold(tmp_path, "probe-nat", "Probe Cloud NAT")
    assert sorted(p.name for p in written) == sorted(
        ["__init__.py", "spec.py", "endpoints.py", "client.py", "provider.py"]
    )
    steps = next_steps("probe-nat", "Probe Cloud NAT")
    assert "probe_nat.PLUGIN," in steps and "`providers/probe_nat/`" in steps
    catalog = register(tmp_path, "probe-nat")
    _ruff_clean(*written, catalog)
    assert catalog.read_text().count("probe_nat") == 2, "the import and the PLUGINS entry"
    probe = """
from cloudnet import catalog
from cloudnet.registry import ProviderRegistry
spec = catalog.crds()["cloudnet.dev_dnatrules.yaml"]["spec"]["versions"][0]["schema"]
assert "probeNat" in spec["openAPIV3Schema"]["properties"]["spec"]["properties"]
config = catalog.ProviderConfigSpec.model_validate(
    {"provider": "probe-nat", "region": "eu-central-1", "credentialsSecretRef": {"name": "s"}}
)
provider = ProviderRegistry().get(config, {"accessKeyId": "a", "accessKeySecret": "b"})
rule = catalog.DnatRuleSpec.model_validate({
    "providerConfigRef": {"name": "pc"},
    "probeNat": {"gatewayId": "gw", "externalPort": 80, "internalIp": "10.0.0.1",
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
        "ProbeNatProvider",
        "probe-nat",
        "https://probe-nat.eu-central-1.example-cloud.com",
    ]


@pytest.mark.parametrize("count", [1, 6])
def test_registering_keeps_the_catalog_sorted_and_formatted_however_long_its_list(
    tmp_path: Path, count: int
) -> None:
    """A name that sorts first, and enough providers that the import wraps."""
    shutil.copytree(ROOT / "operator" / "cloudnet", tmp_path / "operator" / "cloudnet")
    added = [f"aa{chr(ord('a') + i)}-nat" for i in range(count)]
    for provider in added:
        scaffold(tmp_path, provider, provider.upper())
        register(tmp_path, provider)
    catalog = tmp_path / "operator" / "cloudnet" / "catalog.py"
    _ruff_clean(catalog)
    text = catalog.read_text()
    listed = [line.strip() for line in text.splitlines() if line.strip().endswith(".PLUGIN,")]
    assert listed[-count:] == [f"{names(p)['package']}.PLUGIN," for p in added]
    with pytest.raises(FileExistsError, match="registered"):
        register(tmp_path, added[0])
