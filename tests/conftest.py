"""Test distribution over pytest-xdist workers (``make test`` runs ``-n``).

Each test module stays on one worker (its module-scoped clusters and
simulators are shared, not rebuilt per worker), and the whole simulator
suite shares one: ``tests/sim/test_zz_codes_produced.py`` reads what every
simulator test before it made the simulator answer, so they must run in one
process, in order. A scheduler of our own rather than ``--dist loadgroup``:
that mode renames node ids through an attribute pytest 9.2 no longer reads.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

# Helpers with asserts of their own that were test-module code (they moved out so that no
# module imports from a test module, tests/unit/test_test_layout.py): rewritten as they
# were there, so that a failing assert still shows the values it compared.
pytest.register_assert_rewrite("tests.sim.alibaba_kit", "tests.unit.alibaba_client_kit")

if importlib.util.find_spec("xdist") is not None:

    def pytest_xdist_make_scheduler(config: Any, log: Any) -> Any:
        from xdist.scheduler import LoadScopeScheduling

        class ByModule(LoadScopeScheduling):  # type: ignore[misc]
            def _split_scope(self, nodeid: str) -> str:
                path = nodeid.split("::", 1)[0]
                return "tests/sim" if path.startswith("tests/sim/") else path

        return ByModule(config, log)
