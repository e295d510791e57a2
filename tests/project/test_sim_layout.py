"""The simulator's layout: one folder per API family, shared modules that name none.

Adding a family is meant to be its folder plus one line in
``cloudnet/sim/registry.py`` (docs/simulator.md). That holds only while the
shared modules stay generic, so this test reads their source for the words
of the families' names (identifiers, strings and prose alike: a docstring
that explains one family is knowledge in the wrong place), and checks that
every family folder has its parts and is registered. import-linter checks
the imports (pyproject.toml); this checks what imports cannot show.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import cloudnet.sim
from cloudnet.sim.family import Family
from cloudnet.sim.registry import FAMILIES

SIM = Path(cloudnet.sim.__file__).parent
FAMILY_DIR = SIM / "families"
#: the one shared module allowed to name the families
REGISTRY = SIM / "registry.py"
#: every family folder has these; admin.py and inventory.py only with edits / sections
REQUIRED = ("__init__.py", "api.py", "world.py")


def family_folders() -> list[Path]:
    return sorted(p for p in FAMILY_DIR.iterdir() if p.is_dir() and p.name != "__pycache__")


def family_words() -> set[str]:
    """The words of the family folders' names: ``huawei_nat`` -> huawei, nat."""
    return {word for folder in family_folders() for word in folder.name.split("_")}


def words_of(line: str) -> set[str]:
    """Lower-case words, split at punctuation and camel case (HuaweiGateway -> huawei)."""
    parts = re.split(r"[^A-Za-z0-9]+", line)
    return {
        token.lower()
        for part in parts
        for token in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", part)
    }


def shared_modules() -> list[Path]:
    return sorted(p for p in SIM.glob("*.py") if p != REGISTRY)


def test_there_are_shared_modules_and_families_to_check() -> None:
    names = {p.name for p in shared_modules()}
    assert {"server.py", "admin.py", "inventory.py", "state.py", "core.py"} <= names
    assert len(family_folders()) >= 2
    assert {"huawei", "alibaba", "ens", "sag", "ecs"} <= family_words()


@pytest.mark.parametrize("module", shared_modules(), ids=lambda p: p.name)
def test_no_shared_module_names_a_family(module: Path) -> None:
    words = family_words()
    named = [
        f"{module.name}:{number}: {sorted(words & words_of(line))}"
        for number, line in enumerate(module.read_text("utf-8").splitlines(), 1)
        if words & words_of(line)
    ]
    assert named == [], "a shared simulator module names a family (move it to the family)"


def test_the_word_scan_sees_identifiers_strings_and_camel_case() -> None:
    assert {"huawei", "gateway"} <= words_of("x = HuaweiGateway(store)")
    assert "ens" in words_of('path="alibaba/ens"')
    assert "sag" in words_of("store.sag_dnat_entries")
    assert "ens" not in words_of("sensible tokens")


def test_every_family_folder_is_registered_once() -> None:
    registered = [f.name for f in FAMILIES]
    assert len(registered) == len(set(registered))
    assert sorted(registered) == [p.name for p in family_folders()]


@pytest.mark.parametrize("folder", family_folders(), ids=lambda p: p.name)
def test_each_family_folder_has_its_parts(folder: Path) -> None:
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    assert missing == [], f"{folder.name} lacks {missing}"
    package = importlib.import_module(f"cloudnet.sim.families.{folder.name}")
    family = getattr(package, "FAMILY", None)
    assert isinstance(family, Family), f"{folder.name}/__init__.py defines no FAMILY"
    assert family.name == folder.name
    # the admin edits and the inventory fragment live in their own module, when there are any
    assert (folder / "admin.py").is_file() == (family.edits is not None)
    if family.edits is not None:
        admin = importlib.import_module(f"{package.__name__}.admin")
        assert admin.EDITS is family.edits
    assert (folder / "inventory.py").is_file() == bool(family.sections)
    if family.sections:
        inventory = importlib.import_module(f"{package.__name__}.inventory")
        assert family.sections == inventory.SECTIONS


@pytest.mark.parametrize("folder", family_folders(), ids=lambda p: p.name)
def test_a_family_imports_no_other_family(folder: Path) -> None:
    others = {p.name for p in family_folders()} - {folder.name}
    pattern = re.compile(r"cloudnet\.sim\.families\.(\w+)|from cloudnet\.sim\.families import")
    for module in sorted(folder.glob("*.py")):
        for match in pattern.finditer(module.read_text("utf-8")):
            assert match.group(1) not in others, f"{module} imports {match.group(0)}"
            assert match.group(1) is not None, f"{module} imports the families package"
