"""Each provider lives in one package and is named nowhere else in the operator.

The import-linter contracts (pyproject.toml) keep the imports in line; this
test keeps the *names* out: a provider's name written by hand in a shared
module (a string compare, a block map, a table keyed by provider) is how
adding a provider used to mean editing a dozen shared files.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from pydantic.alias_generators import to_camel, to_pascal

from cloudnet import catalog
from cloudnet.providers import ProviderPlugin

OPERATOR = Path(__file__).resolve().parents[2] / "operator" / "cloudnet"
PROVIDERS = OPERATOR / "providers"
CATALOG = OPERATOR / "catalog.py"
#: the simulator has its own families and its own layout rules
NOT_OPERATOR = (OPERATOR / "sim",)


def _package(plugin: ProviderPlugin) -> str:
    return plugin.name.replace("-", "_")


def _spellings(plugin: ProviderPlugin) -> set[str]:
    snake = _package(plugin)
    return {plugin.name, snake, to_camel(snake), to_pascal(snake)}


def _shared_sources() -> list[Path]:
    own = {PROVIDERS / _package(p) for p in catalog.PLUGINS}
    return [
        path
        for path in sorted(OPERATOR.rglob("*.py"))
        if not any(parent in own or parent in NOT_OPERATOR for parent in path.parents)
    ]


def _registration_lines() -> set[int]:
    """The catalog's lines that list the plugins: its import of the providers (one line, or
    one per name once it wraps) and one ``PLUGINS`` entry each."""
    text = CATALOG.read_text()
    lines: set[int] = set()
    for node in ast.parse(text).body:
        if isinstance(node, ast.ImportFrom) and node.module == "cloudnet.providers":
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    for number, line in enumerate(text.splitlines(), 1):
        if re.fullmatch(r"\s+[a-z_]+\.PLUGIN,", line):
            lines.add(number)
    return lines


def test_every_provider_package_is_registered_and_every_plugin_has_a_package() -> None:
    on_disk = {p.name for p in PROVIDERS.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert on_disk == {_package(p) for p in catalog.PLUGINS}


@pytest.mark.parametrize("plugin", catalog.PLUGINS, ids=lambda p: p.name)
def test_a_provider_package_holds_its_parts(plugin: ProviderPlugin) -> None:
    folder = PROVIDERS / _package(plugin)
    assert (folder / "spec.py").exists(), "its models"
    assert (folder / "provider.py").exists(), "its provider class"
    assert (folder / "endpoints.py").exists(), "its default endpoints"
    assert (folder / "client.py").exists() or (folder / "errors.py").exists(), "its error table"
    assert plugin.dnat is not None or plugin.kinds, "it serves a DnatRule block or a kind"


@pytest.mark.parametrize("path", _shared_sources(), ids=lambda p: str(p.relative_to(OPERATOR)))
def test_no_shared_module_names_a_provider(path: Path) -> None:
    names = sorted({s for p in catalog.PLUGINS for s in _spellings(p)}, key=len, reverse=True)
    pattern = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, names)) + r")")
    found = [
        f"{path.name}:{number}: {line.strip()}"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line) and not (path == CATALOG and number in _registration_lines())
    ]
    assert not found, "a shared module names a provider:\n" + "\n".join(found)


def test_the_kinds_follow_from_the_plugins() -> None:
    crds = catalog.crds()
    dnat = crds["cloudnet.dev_dnatrules.yaml"]["spec"]["versions"][0]["schema"]
    blocks = set(dnat["openAPIV3Schema"]["properties"]["spec"]["properties"])
    assert {p.dnat.alias for p in catalog.PLUGINS if p.dnat} <= blocks
    pc = crds["cloudnet.dev_providerconfigs.yaml"]["spec"]["versions"][0]["schema"]
    enum = pc["openAPIV3Schema"]["properties"]["spec"]["properties"]["provider"]["enum"]
    assert enum == [p.name for p in catalog.PLUGINS]
    kinds = {c["spec"]["names"]["kind"] for c in crds.values()}
    assert {k.name for p in catalog.PLUGINS for k in p.kinds} <= kinds


def test_the_readme_has_a_row_per_provider() -> None:
    readme = (OPERATOR.parents[1] / "README.md").read_text()
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| .* \| `providers/([a-z0-9_]+)/` \|$", readme, re.M)
    assert rows == [(p.name, _package(p)) for p in catalog.PLUGINS]
