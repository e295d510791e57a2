"""One chunk of invariant sequences in a worker process (for ``python -m tests.invariants``)."""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass, field

from hypothesis import HealthCheck, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.stateful import run_state_machine_as_test


@dataclass
class Chunk:
    provider: str
    sequences: int
    steps: int
    seed: int


@dataclass
class Result:
    chunk: Chunk
    seconds: float
    failure: str | None = None
    stats: dict[str, int] = field(default_factory=dict)


def run_chunk(chunk: Chunk) -> Result:
    from tests.invariants import machine
    from tests.invariants.findings import left_out
    from tests.invariants.world import PROFILES

    logging.getLogger("cloudnet").setLevel(logging.CRITICAL)
    machine.STATS.clear()
    skip, avoid = left_out()
    factory = machine.machine_for(PROFILES[chunk.provider], skip=skip, avoid=avoid)
    factory = hypothesis_seed(chunk.seed)(factory)
    started = time.monotonic()
    failure = None
    try:
        run_state_machine_as_test(
            factory,
            settings=settings(
                max_examples=chunk.sequences,
                stateful_step_count=chunk.steps,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
                print_blob=True,
            ),
        )
    except Exception as exc:
        failure = "".join(traceback.format_exception(exc))
    return Result(chunk, time.monotonic() - started, failure, dict(machine.STATS))
