"""The default inventory assembled from the families' fragments: the merge keeps the
comments where they were written, refuses a key two fragments set, and each fragment
holds only what its family or gateway owns."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloudnet.sim.core import CoreSettings
from cloudnet.sim.defaults import FragmentError, assemble, merged_data
from cloudnet.sim.registry import installed
from tests.fixtures.simkit import INVENTORY

A = """\
# The header of the document.
#
# Two lines of it.

settings:
  # the core knob
  rate: 5
credentials:
  a:
    # a's keys
    keys:
      - name: one
"""
B = """\
settings:
  # b's knob
  b_delay: 1.0
  b_limit: 3
credentials:
  b:
    keys: [two]
cloud:
  # b's product
  b:
    items: []
"""
C = """\
cloud:
  # c's product
  c:
    items:
      - id: x
        # inside c
        size: 2
"""


def test_the_merge_opens_each_shared_node_once_and_keeps_every_comment() -> None:
    text = assemble([("a", A), ("b", B), ("c", C)])
    assert text == (
        "# The header of the document.\n#\n# Two lines of it.\n\n"
        "settings:\n  # the core knob\n  rate: 5\n  # b's knob\n  b_delay: 1.0\n  b_limit: 3\n\n"
        "credentials:\n  a:\n    # a's keys\n    keys:\n      - name: one\n"
        "  b:\n    keys: [two]\n\n"
        "cloud:\n  # b's product\n  b:\n    items: []\n"
        "  # c's product\n  c:\n    items:\n      - id: x\n        # inside c\n        size: 2\n"
    )
    assert yaml.safe_load(text) == merged_data([("a", A), ("b", B), ("c", C)])


@pytest.mark.parametrize(
    ("second", "path"),
    [
        ("settings:\n  rate: 6\n", "settings.rate"),
        ("credentials:\n  a:\n    keys: []\n", "credentials.a.keys"),
        ("credentials: []\n", "credentials"),
    ],
)
def test_a_key_two_fragments_set_is_refused_with_its_path(second: str, path: str) -> None:
    with pytest.raises(FragmentError, match=rf"^{path} is set by more than one fragment"):
        assemble([("a", A), ("second", second)])
    with pytest.raises(FragmentError, match=rf"^{path} is set by more than one fragment"):
        merged_data([("a", A), ("second", second)])


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("settings:\n  rate: 1\n  # a comment with no key below\n", "no key below"),
        ("  indented: 1\n", "less indented|no key above"),
        ("settings:\n  x: 1\n[1, 2]\n", "not a `key:` line"),
        ("# a second header\n\nsettings:\n  x: 1\n", "only the first fragment"),
    ],
)
def test_a_fragment_that_is_not_plain_block_yaml_is_refused(text: str, rule: str) -> None:
    with pytest.raises(FragmentError, match=rule):
        assemble([("a", A), ("bad", text)])


def test_only_the_first_fragment_comments_a_shared_node() -> None:
    with pytest.raises(FragmentError, match="cloud is opened by an earlier fragment"):
        assemble([("b", B), ("late", "# late words\ncloud:\n  d: {}\n")])


def test_the_default_inventory_is_the_merge_of_the_installed_fragments() -> None:
    world = installed()
    fragments = world.fragments()
    assert [name for name, _ in fragments] == [
        "cloudnet.sim",
        *(g.name for g in world.gateways if g.defaults is not None),
        *(f.name for f in world.families if f.defaults is not None),
    ]
    text = world.default_text()
    assert yaml.safe_load(text) == merged_data(fragments)
    # it loads, and every family with a section brings objects for it
    inventory = world.parse(text)
    assert inventory.model_dump() == world.load(None).model_dump()
    assert INVENTORY.read_text() == text, "examples/sim-inventory.yaml is stale: make inventory"


def _paths(data: Any, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    if not isinstance(data, dict) or not data:
        return {prefix} if prefix else set()
    return {p for key, value in data.items() for p in _paths(value, (*prefix, key))}


def test_each_fragment_holds_only_what_its_owner_declares() -> None:
    world = installed()
    owners = {"cloudnet.sim": ((), CoreSettings)}
    owners |= {g.name: (g.sections, g.settings) for g in world.gateways}
    owners |= {f.name: (f.sections, f.settings) for f in world.families}
    for name, text in world.fragments():
        sections, settings = owners[name]
        data = yaml.safe_load(text)
        own = set(settings.model_fields) if settings is not None else set()
        assert set(data.pop("settings", {})) <= own, f"{name} sets another's settings"
        places = [s.path for s in sections]
        for path in _paths(data):
            assert any(path[: len(p)] == p for p in places), f"{name} writes {path}, not its own"


def test_the_cli_prints_the_default_inventory() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cloudnet", "sim", "--print-default-inventory"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == installed().default_text()


def test_every_family_with_a_section_ships_a_fragment() -> None:
    world = installed()
    for family in world.families:
        if family.sections:
            assert family.defaults is not None, f"{family.name} has no inventory.yaml"
            assert Path(str(family.defaults)).name == "inventory.yaml"
