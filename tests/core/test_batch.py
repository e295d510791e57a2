"""Coalesced reads (``cloudnet.core.batch``): fewer calls, never an older answer.

The Coalescer is driven with hand-made ``single``/``many`` functions that
hold each call open until the test lets it go, so the interleavings that
matter (a read asked while a call is in flight, a failing call, a reader
cancelled) are forced, not timed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from cloudnet.core import batch
from cloudnet.core.batch import Coalescer
from cloudnet.core.provider import Capabilities, Observation


@dataclass
class Backend:
    """A cloud whose listing answers what was put in it before the listing started."""

    objects: dict[str, str] = field(default_factory=dict)
    calls: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    fail_next: Exception | None = None

    async def single(self, item: str) -> str | None:
        snapshot = dict(self.objects)
        self.calls.append(("single", (item,)))
        await self.gate.wait()
        return snapshot.get(item)

    async def many(self, items: list[str]) -> list[str | None]:
        snapshot = dict(self.objects)
        self.calls.append(("many", tuple(items)))
        await self.gate.wait()
        if self.fail_next is not None:
            exc, self.fail_next = self.fail_next, None
            raise exc
        return [snapshot.get(i) for i in items]


async def turns(n: int = 5) -> None:
    for _ in range(n):
        await asyncio.sleep(0)  # sleep-ok: loop turns, no time: the tasks reach their awaits


async def test_a_lone_read_is_its_own_call() -> None:
    b, c = Backend({"a": "1"}), Coalescer()
    b.gate.set()
    assert await c.read("scope", "a", b.single, b.many) == "1"
    assert b.calls == [("single", ("a",))]


async def test_reads_asked_during_a_call_go_out_together_next_and_see_a_fresh_state() -> None:
    b, c = Backend({"a": "1"}), Coalescer()
    first = asyncio.create_task(c.read("scope", "a", b.single, b.many))
    await turns()
    assert b.calls == [("single", ("a",))]  # in flight, held open
    b.objects["b"] = "2"  # committed after the first call started
    later = [asyncio.create_task(c.read("scope", k, b.single, b.many)) for k in ("b", "c", "a")]
    await turns()
    assert len(b.calls) == 1, "one call in flight per scope"
    b.gate.set()
    assert await first == "1"
    assert [await t for t in later] == ["2", None, "1"], "each answer is its own item's"
    assert b.calls == [("single", ("a",)), ("many", ("b", "c", "a"))]
    assert c.calls == [1, 3]


async def test_scopes_do_not_wait_for_each_other() -> None:
    b, c = Backend({"a": "1"}), Coalescer()
    one = asyncio.create_task(c.read("gw-1", "a", b.single, b.many))
    other = asyncio.create_task(c.read("gw-2", "a", b.single, b.many))
    await turns()
    assert len(b.calls) == 2
    b.gate.set()
    assert (await one, await other) == ("1", "1")


async def test_a_failed_call_fails_each_of_its_readers_and_the_next_batch_still_runs() -> None:
    b, c = Backend({"a": "1"}), Coalescer()
    first = asyncio.create_task(c.read("scope", "a", b.single, b.many))
    await turns()
    failing = [asyncio.create_task(c.read("scope", k, b.single, b.many)) for k in ("a", "b")]
    await turns()
    b.fail_next = RuntimeError("throttled")
    b.gate.set()
    assert await first == "1"
    for task in failing:
        with pytest.raises(RuntimeError, match="throttled"):
            await task
    assert await c.read("scope", "a", b.single, b.many) == "1"


async def test_a_cancelled_reader_leaves_the_others_their_answers() -> None:
    b, c = Backend({"a": "1", "b": "2"}), Coalescer()
    first = asyncio.create_task(c.read("scope", "a", b.single, b.many))
    await turns()
    gone = asyncio.create_task(c.read("scope", "a", b.single, b.many))
    kept = asyncio.create_task(c.read("scope", "b", b.single, b.many))
    await turns()
    gone.cancel()
    b.gate.set()
    assert await first == "1"
    assert await kept == "2"
    assert b.calls[-1] == ("single", ("b",)), "the cancelled read was not asked for"


# --- batch.observe: "gone" is said by a read by id only ---------------------------------


@dataclass
class ListingProvider:
    """A provider whose listing lags: it does not show what was created a moment ago."""

    capabilities: Capabilities = field(default_factory=lambda: Capabilities(batched_reads=True))
    listed: set[str] = field(default_factory=set)
    real: set[str] = field(default_factory=set)
    calls: list[str] = field(default_factory=list)
    gate: asyncio.Event = field(default_factory=asyncio.Event)

    def scope(self, spec: Any) -> str:
        return "gw"

    async def observe(self, spec: Any, external_id: str) -> Observation:
        self.calls.append(f"observe {external_id}")
        await self.gate.wait()
        if external_id in self.real:
            return Observation(exists=True, external_id=external_id)
        return Observation.gone()

    async def observe_many(self, scope: str, specs: dict[str, Any]) -> dict[str, Observation]:
        self.calls.append(f"list {sorted(specs)}")
        return {
            eid: Observation(exists=True, external_id=eid)
            if eid in self.listed
            else Observation.gone()
            for eid in specs
        }


async def test_an_object_a_listing_does_not_show_is_read_by_id_before_it_is_called_gone() -> None:
    p = ListingProvider(listed={"a"}, real={"a", "fresh"})
    first = asyncio.create_task(batch.observe(p, object(), "a"))  # type: ignore[arg-type]
    await turns()
    spec = object()
    readers = [
        asyncio.create_task(batch.observe(p, spec, eid))  # type: ignore[arg-type]
        for eid in ("a", "fresh", "gone")
    ]
    await turns()
    p.gate.set()
    await first
    answers = [await r for r in readers]
    assert [a.exists for a in answers] == [True, True, False]
    assert p.calls == ["observe a", "list ['a', 'fresh', 'gone']", "observe fresh", "observe gone"]


async def test_without_the_capability_every_read_is_its_own() -> None:
    p = ListingProvider(capabilities=Capabilities(), real={"a"})
    p.gate.set()
    answers = await asyncio.gather(
        *(batch.observe(p, object(), "a") for _ in range(3))  # type: ignore[arg-type]
    )
    assert all(a.exists for a in answers)
    assert p.calls == ["observe a"] * 3


class Died(BaseException):
    """What a process death looks like to the code that was running."""


async def test_a_call_dying_with_a_base_exception_leaves_no_reader_hanging() -> None:
    c = Coalescer()
    gate = asyncio.Event()

    async def single(item: str) -> str:
        await gate.wait()
        raise Died()

    async def many(items: list[str]) -> list[str]:
        return items

    first = asyncio.create_task(c.read("scope", "a", single, many))
    await turns()
    queued = asyncio.create_task(c.read("scope", "b", single, many))
    await turns()
    gate.set()
    for task in (first, queued):
        with pytest.raises(Died):
            await task
    assert not c._lanes, "the lane went with its driver"


async def test_a_cancelled_call_cancels_its_readers_and_the_queued_ones() -> None:
    c = Coalescer()

    async def single(item: str) -> str:
        await asyncio.Event().wait()
        raise AssertionError("never answered")

    async def many(items: list[str]) -> list[str]:
        return items

    first = asyncio.create_task(c.read("scope", "a", single, many))
    await turns()
    queued = asyncio.create_task(c.read("scope", "b", single, many))
    await turns()
    [lane] = c._lanes.values()
    assert lane.driver is not None
    lane.driver.cancel()
    for task in (first, queued):
        with pytest.raises(asyncio.CancelledError):
            await task
