"""crds/ is generated from the models and must match them; the schema must be structural."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloudnet.api.crds import render
from cloudnet.catalog import crds as build_crds
from tests.admission import re2_compiles, walk_patterns

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(build_crds()))
def test_crds_folder_is_up_to_date(name: str) -> None:
    path = ROOT / "crds" / name
    assert path.exists(), f"{path} missing: run `cloudnet crds`"
    assert path.read_text() == render(build_crds()[name]), f"{path} is stale: run `cloudnet crds`"


def test_no_stray_files_in_crds_folder() -> None:
    assert sorted(p.name for p in (ROOT / "crds").glob("*.yaml")) == sorted(build_crds())


def _walk(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        out.append((path, node))
        for key, value in node.get("properties", {}).items():
            out += _walk(value, f"{path}.{key}")
        if isinstance(node.get("items"), dict):
            out += _walk(node["items"], f"{path}[]")
    return out


@pytest.mark.parametrize("name", sorted(build_crds()))
def test_schema_is_structural(name: str) -> None:
    schema = build_crds()[name]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    text = yaml.safe_dump(schema)
    for forbidden in (
        "$ref",
        "$defs",
        "title:",
        "default:",
        "additionalProperties: false",
    ):
        assert forbidden not in text, f"{forbidden} in {name}"
    for path, node in _walk(schema):
        if "anyOf" in node:  # only the int-or-string form Kubernetes allows
            assert node.get("x-kubernetes-int-or-string") is True, path
            assert node["anyOf"] == [{"type": "integer"}, {"type": "string", "maxLength": 11}]
        assert "type" in node or node.get("x-kubernetes-int-or-string"), f"{path} has no type"
        if path.startswith(".spec") and path != ".spec":
            assert node.get("description"), f"{path} has no description (kubectl explain)"


@pytest.mark.parametrize("name", sorted(build_crds()))
def test_patterns_are_re2(name: str) -> None:
    patterns = walk_patterns(build_crds()[name])
    assert patterns
    for pattern in patterns:
        assert re2_compiles(pattern), pattern


@pytest.mark.parametrize("name", sorted(build_crds()))
def test_cel_strings_and_lists_are_bounded(name: str) -> None:
    """A real API server rejects a CRD whose CEL rules read unbounded strings or lists."""
    schema = build_crds()[name]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]

    def check(node: dict[str, Any], path: str, under_rule: bool) -> None:
        under_rule = under_rule or bool(node.get("x-kubernetes-validations"))
        if under_rule and node.get("type") == "string" and "enum" not in node:
            assert "maxLength" in node, f"{path}: string read by CEL without maxLength"
        if under_rule and node.get("type") == "array":
            assert "maxItems" in node, f"{path}: list read by CEL without maxItems"
        for key, value in node.get("properties", {}).items():
            check(value, f"{path}.{key}", under_rule)
        if isinstance(node.get("items"), dict):
            check(node["items"], f"{path}[]", under_rule)

    check(schema["properties"]["spec"], ".spec", False)


def _descriptions(node: Any, path: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                found.append((path, value))
            else:
                found += _descriptions(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _descriptions(value, f"{path}[{i}]")
    return found


#: What `kubectl explain` readers cannot follow: files outside the repository or
#: inside its source, Markdown or reST markup, and the project's internal names.
NOT_PLAIN = {
    "a file outside the repository": re.compile(r"shared[/]"),
    "markup (backticks)": re.compile(r"`"),
    "a Python file": re.compile(r"\.py\b"),
    "a Markdown link": re.compile(r"\[[^\]]*\]\([^)]*\)"),
    "a source path": re.compile(r"\b(handlers|core|providers|clouds|api|tests)/"),
    "a seed document": re.compile(r"\bseed \d"),
    "the README": re.compile(r"README"),
}


@pytest.mark.parametrize("name", sorted(build_crds()))
def test_descriptions_are_plain_text(name: str) -> None:
    descriptions = _descriptions(build_crds()[name])
    assert len(descriptions) > 20
    for path, text in descriptions:
        for what, pattern in NOT_PLAIN.items():
            assert not pattern.search(text), f"{name} {path}: {what} in {text!r}"


def test_names_and_printer_columns() -> None:
    crd = build_crds()["cloudnet.dev_dnatrules.yaml"]
    names = crd["spec"]["names"]
    assert names["shortNames"] == ["dnat"] and names["categories"] == ["cloudnet"]
    columns = [c["name"].upper() for c in crd["spec"]["versions"][0]["additionalPrinterColumns"]]
    assert columns == ["PHASE", "EXTERNAL-ID", "READY", "AGE"]
    assert crd["spec"]["versions"][0]["subresources"] == {"status": {}}
    pc = build_crds()["cloudnet.dev_providerconfigs.yaml"]["spec"]["names"]
    assert pc["shortNames"] == ["cnpc"]


def test_cli_writes_same_output(tmp_path: Path) -> None:
    from cloudnet.cli import main

    assert main(["crds", "--output", str(tmp_path)]) == 0
    for name, crd in build_crds().items():
        assert (tmp_path / name).read_text() == render(crd)
