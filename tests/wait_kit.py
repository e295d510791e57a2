"""Waiting on a condition instead of sleeping a fixed time (tests of every layer).

A test that needs something to have happened waits for exactly that, with
a deadline, and fails naming what it waited for and what it saw last: it is
as fast as the thing it waits on and no slower machine turns it flaky.
A sleep that stays in a test module is the point of its test (a window in
which something must *not* happen, a paced clock, a loop turn) and says so
with a ``# sleep-ok: why`` comment; tests/project/test_test_layout.py checks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T], *, timeout: float = 30.0, interval: float = 0.1, what: str = ""
) -> T:
    """Call ``predicate`` until it returns something truthy and return that.

    Raises AssertionError after ``timeout`` seconds, naming ``what`` (or the
    predicate) and its last answer. An exception from ``predicate`` is not
    caught: a predicate that can fail transiently catches that itself.
    """
    deadline = time.monotonic() + timeout
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what or predicate}: last saw {last!r}"
            )
        time.sleep(interval)  # sleep-ok: the poll interval of a wait with a deadline


async def wait_until_async(
    predicate: Callable[[], T],
    *,
    timeout: float = 10.0,  # noqa: ASYNC109 - the deadline of the wait, as in wait_until
    interval: float = 0.005,
    what: str = "",
) -> T:
    """:func:`wait_until` inside an event loop: other tasks run between the looks."""
    deadline = time.monotonic() + timeout
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what or predicate}: last saw {last!r}"
            )
        await asyncio.sleep(interval)  # sleep-ok: the poll interval of a wait with a deadline
