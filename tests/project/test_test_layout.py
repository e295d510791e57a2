"""The test suite's own layout: where test modules live, and what they may import.

Every test module is in one of the layer folders under tests/ (README's Tests
section), so ``pytest tests/<layer>`` runs exactly that layer and ``make
test-fast`` exactly the unit and simulator layers. No module imports from a
test module: what more than one module uses lives in a helper module named
for what it holds (``tests/fixtures/chart_kit.py``, ``tests/fixtures/alibaba_kit.py``,
...) or, for a fixture, in a conftest.py. An import from a test module ties
one test file (or layer) to another's internals, and a test function imported
with it is collected twice.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = (
    "core",
    "providers",
    "sim",
    "project",
    "kube",
    "integration",
    "invariants",
    "e2e",
    "bench",
)
#: Where the suite's Python lives: the tests and the benchmarks.
SOURCES = ("tests", "bench")


def is_test_module(path: Path) -> bool:
    """pytest's default ``python_files``: test_*.py and *_test.py."""
    return path.suffix == ".py" and (path.name.startswith("test_") or path.stem.endswith("_test"))


def repository_files() -> Iterator[Path]:
    """Every file of the repository, outside hidden folders (.venv, .tools, .git)."""
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for name in sorted(files):
            yield Path(folder) / name


def python_modules() -> list[Path]:
    return sorted(p for folder in SOURCES for p in (ROOT / folder).rglob("*.py"))


def imported_test_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, what) for each import in ``path`` that names a test module or a test function."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if any(part.startswith("test_") for part in alias.name.split(".")):
                    yield node.lineno, f"import {alias.name}"
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            parts = (node.module or "").split(".")
            names = [alias.name for alias in node.names]
            if any(part.startswith("test_") for part in parts) or any(
                name.startswith("test_") for name in names
            ):
                yield node.lineno, f"from {module} import {', '.join(names)}"


def test_every_test_module_is_in_a_layer_folder() -> None:
    modules = [p.relative_to(ROOT) for p in repository_files() if is_test_module(p)]
    assert Path("tests/project/test_test_layout.py") in modules  # the scan sees this one
    outside = [
        str(p)
        for p in modules
        if len(p.parts) < 3 or p.parts[0] != "tests" or p.parts[1] not in LAYERS
    ]
    assert not outside, (
        f"test modules outside tests/{{{','.join(LAYERS)}}}/: {outside}; "
        "move each into the folder of the layer it tests"
    )


def test_no_module_imports_from_a_test_module() -> None:
    modules = python_modules()
    assert ROOT / "tests" / "project" / "test_test_layout.py" in modules
    found = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in modules
        for line, what in imported_test_modules(path)
    ]
    assert not found, (
        "imports from test modules (move what they share into a helper module, "
        "or a fixture into conftest.py):\n" + "\n".join(found)
    )


def test_the_import_check_sees_every_spelling(tmp_path: Path) -> None:
    module = tmp_path / "sample.py"
    module.write_text(
        "import tests.project.test_chart\n"
        "from tests.project.test_chart import CHART\n"
        "from tests.sim import test_alibaba_ens\n"
        "from .test_state import STATE\n"
        "from tests.fixtures.chart_kit import CHART, needs_helm\n"
        "import tests.fixtures.simkit\n"
    )
    assert [line for line, _ in imported_test_modules(module)] == [1, 2, 3, 4]


#: The mark a sleep in the suite carries when the wait is the point (see tests/wait_kit.py).
SLEEP_OK = re.compile(r"#\s*sleep-ok:\s*\S")
#: Modules whose ``sleep`` is a fixed wait: ``time.sleep``, ``asyncio.sleep``, ...
SLEEPING_MODULES = {"time", "asyncio", "anyio", "trio", "gevent"}


def bare_sleeps(path: Path) -> Iterator[int]:
    """Lines of ``path`` with a sleep call without a ``# sleep-ok: why`` on it or in the
    comment lines right above it."""
    text = path.read_text()
    lines = text.splitlines()
    tree = ast.parse(text, filename=str(path))
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module in SLEEPING_MODULES
        for alias in node.names
        if alias.name == "sleep"
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        sleeping = (
            isinstance(func, ast.Attribute)
            and func.attr == "sleep"
            and isinstance(func.value, ast.Name)
            and func.value.id in SLEEPING_MODULES
        ) or (isinstance(func, ast.Name) and func.id in imported)
        if not sleeping:
            continue
        end = node.end_lineno or node.lineno
        around = lines[node.lineno - 1 : end]
        above = node.lineno - 2
        while above >= 0 and lines[above].strip().startswith("#"):
            around.append(lines[above])
            above -= 1
        if not any(SLEEP_OK.search(line) for line in around):
            yield node.lineno


def test_no_fixed_sleep_without_a_reason() -> None:
    modules = sorted((ROOT / "tests").rglob("*.py"))
    assert ROOT / "tests" / "wait_kit.py" in modules
    found = [f"{path.relative_to(ROOT)}:{line}" for path in modules for line in bare_sleeps(path)]
    assert not found, (
        "fixed sleeps: wait for the condition instead (tests.wait_kit.wait_until, "
        "wait_until_async), or, where the time is the point of the test (nothing may happen "
        "in a window, a paced clock), say why with `# sleep-ok: reason`:\n" + "\n".join(found)
    )


def test_the_sleep_check_sees_every_spelling(tmp_path: Path) -> None:
    module = tmp_path / "sample.py"
    module.write_text(
        "import asyncio, time\n"
        "from time import sleep\n"
        "from asyncio import sleep as nap\n"
        "time.sleep(1)\n"
        "sleep(1)\n"
        "async def f():\n"
        "    await nap(0.1)\n"
        "    await asyncio.sleep(\n"
        "        0.2)\n"
        "    # sleep-ok: nothing may happen in this window\n"
        "    await asyncio.sleep(3)\n"
        "    await asyncio.sleep(0)  # sleep-ok: one loop turn\n"
        "    await asyncio.sleep(1)  # sleep-ok:\n"
        "    fake.sleep(1)\n"
        "    # sleep-ok: a reason on two lines,\n"
        "    # the second one here\n"
        "    time.sleep(2)\n"
    )
    assert sorted(bare_sleeps(module)) == [4, 5, 7, 8, 13]


def _test_folders(layer: str) -> set[str]:
    """The subfolders of ``tests/<layer>/`` that hold test modules."""
    return {
        path.parent.relative_to(ROOT / "tests" / layer).parts[0]
        for path in (ROOT / "tests" / layer).rglob("test_*.py")
        if path.parent != ROOT / "tests" / layer
    }


def test_each_provider_has_its_test_folder_and_each_folder_a_provider() -> None:
    from cloudnet.catalog import PLUGINS

    packages = {plugin.name.replace("-", "_") for plugin in PLUGINS}
    assert _test_folders("providers") == packages, (
        "tests/providers/<package>/ holds one provider's tests: one folder per registered "
        "provider (cloudnet/catalog.py), none for a provider that is not"
    )


def test_each_simulator_test_folder_is_a_family_or_the_gateways() -> None:
    from cloudnet.catalog import PLUGINS
    from cloudnet.sim.registry import FAMILIES

    families = {family.name for family in FAMILIES}
    folders = _test_folders("sim")
    assert folders - {"gateways"} <= families, f"not a simulator family: {folders - families}"
    assert "gateways" in folders, "the gateways' own tests (authentication): tests/sim/gateways/"
    # a provider's simulator family (named as its package) has its conformance tests
    assert {plugin.name.replace("-", "_") for plugin in PLUGINS} <= folders
