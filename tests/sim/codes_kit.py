"""The error codes the simulator answered in this test session, over every xdist worker.

tests/sim/conftest.py records each code the simulator answers (:data:`PRODUCED`);
tests/sim/test_zz_codes_produced.py checks that together they cover every code
of the clients' tables. The simulator modules run on any worker: at its end
each worker writes what it recorded to ``<folder>/<worker id>.json`` (the
folder is made per run by the controller, tests/conftest.py, which also
marks a worker that crashed), and the check, which the scheduler hands out
after every other test, waits for the other workers' files and merges them
with its own worker's record.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.wait_kit import wait_until

#: (family, action, code) -> whether only fault injection produced it, in this process
PRODUCED: dict[tuple[str, str, str], bool] = {}

#: Tests of tests/sim deselected in this session (-k, --lf, ...): the check then skips.
DESELECTED: list[str] = []

#: The ``workerinput`` key of the per-run folder (set by tests/conftest.py).
FOLDER_KEY = "cloudnet_sim_codes"
#: The check tests of test_zz_codes_produced.py: the scheduler hands them out last.
CHECK_MODULE = "tests/sim/test_zz_codes_produced.py"
CHECK_TESTS = (
    "test_every_alibaba_call_code_is_produced_by_a_situation_or_listed",
    "test_every_huawei_code_is_produced_by_a_situation_or_listed",
)
#: How long the check waits for the other workers to end; under ``make test`` they may
#: still be running integration modules of a few minutes each.
WAIT_SECONDS = 900.0


def record(key: tuple[str, str, str], by_fault: bool) -> None:
    """A code is produced by a situation once any answer of it came without a fault rule."""
    PRODUCED[key] = PRODUCED.get(key, True) and by_fault


def save(config: pytest.Config) -> None:
    """This worker's record, into the run's folder (a no-op outside xdist)."""
    workerinput = getattr(config, "workerinput", None)
    if not workerinput or FOLDER_KEY not in workerinput:
        return
    folder = Path(workerinput[FOLDER_KEY])
    rows = [[*key, by_fault] for key, by_fault in sorted(PRODUCED.items())]
    partial = folder / f".{workerinput['workerid']}.json"
    partial.write_text(json.dumps(rows))
    os.replace(partial, folder / f"{workerinput['workerid']}.json")  # whole, or not there


def whole_suite(session: pytest.Session) -> str | None:
    """Why this session does not run the whole simulator suite, or None when it does."""
    here = Path(__file__).parent
    modules = {path.name for path in here.glob("test_*.py")}
    collected = {Path(item.path).name for item in session.items if Path(item.path).parent == here}
    if modules - collected:
        return f"not collected: {sorted(modules - collected)}"
    if DESELECTED:
        return f"{len(DESELECTED)} deselected, e.g. {DESELECTED[0]}"
    return None


def merged(config: pytest.Config) -> dict[tuple[str, str, str], bool]:
    """What every worker of the run recorded; waits for the other workers to end first."""
    found = dict(PRODUCED)
    workerinput = getattr(config, "workerinput", None)
    if not workerinput or FOLDER_KEY not in workerinput:
        return found  # one process: it ran every test before this one
    folder = Path(workerinput[FOLDER_KEY])
    others = [
        folder / f"gw{n}.json"
        for n in range(int(workerinput["workercount"]))
        if f"gw{n}" != workerinput["workerid"]
    ]
    wait_until(
        lambda: all(path.exists() or path.with_suffix(".down").exists() for path in others),
        timeout=WAIT_SECONDS,
        interval=0.2,
        what=f"the other xdist workers to end and write their simulator codes to {folder}",
    )
    down = [path.with_suffix(".down") for path in others if not path.exists()]
    assert not down, "workers went down, their simulator codes lost: " + "; ".join(
        f"{path.stem}: {path.read_text()}" for path in down
    )
    for path in others:
        for family, action, code, by_fault in json.loads(path.read_text()):
            key = (family, action, code)
            found[key] = found.get(key, True) and by_fault
    return found
