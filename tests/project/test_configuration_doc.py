"""docs/configuration.md and docs/deploy.md's values table against the code and the chart.

The pages are where an operator of the operator looks a flag or a value up;
these tests fail when a flag is added without a row, when a row names a
chart value that values.yaml does not have (a rename such as verbose →
logLevel), when a row does not name the values that the chart's own test
maps the flag to, or when a value of values.yaml is missing from the table.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.fixtures.chart_kit import CHART, FLAG_VALUES, MISSING, leaves, lookup, run_flags

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "configuration.md"
DEPLOY = ROOT / "docs" / "deploy.md"
COLUMNS = ["flag", "default", "chart value", "chart default", "meaning"]
VALUE_NAME = re.compile(r"^[a-z][A-Za-z]*(\.[a-z][A-Za-z]*)*$")


def rows() -> dict[str, dict[str, str]]:
    """The flag table by each row's first long flag."""
    lines = DOC.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| flag |"))
    header = [cell.strip() for cell in lines[start].strip("|").split("|")]
    assert header == COLUMNS, header
    table: dict[str, dict[str, str]] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = dict(zip(COLUMNS, (c.strip() for c in line.strip("|").split("|")), strict=True))
        flag = re.search(r"`(--[a-z-]+)", cells["flag"])
        assert flag, line
        table[flag.group(1)] = cells
    return table


def named_values(cell: str) -> set[str]:
    """The chart value paths a cell names, in backticks (`logLevel: debug` names logLevel)."""
    names = {code.split(":")[0].strip() for code in re.findall(r"`([^`]+)`", cell)}
    return {name for name in names if VALUE_NAME.match(name)}


def value_paths(values: dict[str, Any]) -> set[str]:
    return {".".join(path) for path, _ in leaves(values) if path}


def test_every_flag_has_one_row_and_every_row_is_a_flag() -> None:
    assert set(rows()) == set(run_flags())


def test_the_chart_values_named_exist_in_values_yaml() -> None:
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    named = {flag: named_values(row["chart value"]) for flag, row in rows().items()}
    assert any(named.values())
    for flag, names in named.items():
        for name in names:
            assert lookup(defaults, tuple(name.split("."))) is not MISSING, (
                f"{flag}: values.yaml has no {name}"
            )


def test_each_row_names_the_values_the_chart_maps_its_flag_to() -> None:
    table = rows()
    for flag, (values, _, _) in FLAG_VALUES.items():
        missing = value_paths(values) - named_values(table[flag]["chart value"])
        assert not missing, f"{flag}: the row does not name {sorted(missing)}"


def deploy_table_names() -> set[str]:
    """The values docs/deploy.md's table names; `a.b` / `.c` is a.b and a.c."""
    text = DEPLOY.read_text()
    section = text[text.index("### Values") : text.index("### What the operator may do")]
    names: set[str] = set()
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        parent = ""
        for code in re.findall(r"`([^`]+)`", line.split("|")[1]):
            name = parent + code if code.startswith(".") else code
            parent = name.rsplit(".", 1)[0] if "." in name else ""
            names.add(name)
    return names


def test_the_deploy_values_table_names_every_value() -> None:
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    named = deploy_table_names()
    missing = [
        ".".join(path)
        for path, _ in leaves(defaults)
        # a row may name the whole of a group (`resources`)
        if not any(".".join(path[:i]) in named for i in range(1, len(path) + 1))
    ]
    assert not missing, f"docs/deploy.md's values table lacks {missing}"
    unknown = {n for n in named if lookup(defaults, tuple(n.split("."))) is MISSING}
    assert not unknown, f"docs/deploy.md names values that values.yaml lacks: {unknown}"
