"""Test distribution over pytest-xdist workers (``make test`` and ``make test-fast`` run ``-n``).

Work is handed out in units: a test function with all its parameters in the
fast layers (core, providers, sim, project: their fixtures are cheap, so they
spread over every worker), and a whole module elsewhere (the kube, integration and e2e modules
share module-scoped clusters, built once, not once per worker). The two
checks of ``tests/sim/test_zz_codes_produced.py`` read what every other
simulator test, on any worker, made the simulator answer: they are handed out
last, and wait for the other workers to end (``tests/fixtures/codes_kit.py``); the
run's folder for the workers' records is made here. A scheduler of our own
rather than ``--dist loadgroup``: that mode renames node ids through an
attribute pytest 9.2 no longer reads.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

# Helpers with asserts of their own that were test-module code (they moved out so that no
# module imports from a test module, tests/project/test_test_layout.py): rewritten as they
# were there, so that a failing assert still shows the values it compared.
pytest.register_assert_rewrite("tests.fixtures")

#: Fixtures more than one folder uses (the simulator's apps and clients, the SDK request
#: capture): plugins, so that a provider's tests use the simulator's fixtures without a
#: conftest.py of the simulator's folder above them.
pytest_plugins = ("tests.fixtures.sim_fixtures", "tests.fixtures.sdk_fixtures")

#: The fast layers (``make test-fast``), whose work units are test functions rather than modules.
FAST_LAYERS = ("tests/core/", "tests/providers/", "tests/sim/", "tests/project/")
#: The unit of the codes checks, handed out after every other.
CODES_CHECKS = "tests/sim/test_zz_codes_produced.py::<the codes checks>"

#: The folder of this run's simulator codes, made when the first worker is set up.
_codes_folder: list[Path] = []


def work_unit(nodeid: str) -> str:
    """The unit of work a test belongs to (see the module docstring)."""
    from tests.fixtures.codes_kit import CHECK_MODULE, CHECK_TESTS

    path, _, rest = nodeid.partition("::")
    function = rest.split("[", 1)[0]
    if path == CHECK_MODULE and function in CHECK_TESTS:
        return CODES_CHECKS
    if path.startswith(FAST_LAYERS) and function:
        return f"{path}::{function}"
    return path


if importlib.util.find_spec("xdist") is not None:

    @pytest.hookimpl(optionalhook=True)  # optional: `-p no:xdist` runs without the plugin
    def pytest_xdist_make_scheduler(config: Any, log: Any) -> Any:
        from xdist.scheduler import LoadScopeScheduling

        class ByUnit(LoadScopeScheduling):  # type: ignore[misc]
            def _split_scope(self, nodeid: str) -> str:
                return work_unit(nodeid)

            def _assign_work_unit(self, node: Any) -> None:
                if CODES_CHECKS in self.workqueue and len(self.workqueue) > 1:
                    self.workqueue.move_to_end(CODES_CHECKS)
                super()._assign_work_unit(node)

        return ByUnit(config, log)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(node: Any) -> None:
        from tests.fixtures.codes_kit import FOLDER_KEY

        if not _codes_folder:
            _codes_folder.append(Path(tempfile.mkdtemp(prefix="cloudnet-sim-codes-")))
        node.workerinput[FOLDER_KEY] = str(_codes_folder[0])

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(node: Any, error: object | None) -> None:
        if error is not None and _codes_folder:
            # a crashed worker wrote no record: the codes check must not wait for it
            (_codes_folder[0] / f"{node.gateway.id}.down").write_text(str(error)[:500])


def pytest_unconfigure(config: pytest.Config) -> None:
    for folder in _codes_folder:
        shutil.rmtree(folder, ignore_errors=True)
