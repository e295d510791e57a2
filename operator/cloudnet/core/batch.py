"""Concurrent cloud reads of one scope, answered together by one listing.

At scale, the reads of a burst are many and alike: a thousand creates each
check their key free (a list call each), a restart resumes ten thousand
resources (a read by id each), every create polls its PENDING state. One
listing of the scope (a NAT gateway, a SAG) answers all of them at once, so
the cloud's rate limit is spent on writes.

Freshness is the point, not the batching: a read joins the batch of its
scope that has not started yet, and a batch starts only once the previous
one of the same scope has ended (one read in flight per scope). Every answer
therefore comes from a call that started after the read was asked, exactly
as fresh as a call of its own; the guard's lookups (is this key free? did
my lost create commit?) rely on that. Nothing waits on purpose: a lone read
goes out at once as its own call; what queues behind it while it is in
flight leaves together next.

Gone is only ever said by a read by id: an object a listing does not show is
read again by its id before anyone is told it is gone (a listing that lags
behind a fresh create must never cause a second one).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from cloudnet.core.provider import Observation, Provider

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")

Single = Callable[[ItemT], Awaitable[ResultT]]
Many = Callable[[list[ItemT]], Awaitable[list[ResultT]]]


@dataclass
class _Lane(Generic[ItemT, ResultT]):
    waiting: list[tuple[ItemT, asyncio.Future[ResultT]]] = field(default_factory=list)
    driver: asyncio.Task[None] | None = None


class Coalescer:
    """One read in flight per key; whatever arrives meanwhile goes out together next."""

    def __init__(self) -> None:
        self._lanes: dict[Hashable, _Lane[Any, Any]] = {}
        #: calls made, by how many reads they answered (for tests and benchmarks)
        self.calls: list[int] = []

    async def read(
        self,
        key: Hashable,
        item: ItemT,
        single: Single[ItemT, ResultT],
        many: Many[ItemT, ResultT],
    ) -> ResultT:
        lane = self._lanes.setdefault(key, _Lane())
        future: asyncio.Future[ResultT] = asyncio.get_running_loop().create_future()
        lane.waiting.append((item, future))
        if lane.driver is None:
            lane.driver = asyncio.create_task(self._drive(key, lane, single, many))
        return await future

    async def _drive(
        self,
        key: Hashable,
        lane: _Lane[ItemT, ResultT],
        single: Single[ItemT, ResultT],
        many: Many[ItemT, ResultT],
    ) -> None:
        try:
            while lane.waiting:
                batch, lane.waiting = lane.waiting, []
                live = [(item, f) for item, f in batch if not f.done()]  # cancelled readers
                if not live:
                    continue
                items = [item for item, _ in live]
                self.calls.append(len(items))
                try:
                    results = [await single(items[0])] if len(items) == 1 else await many(items)
                except Exception as exc:  # every reader of the batch sees the failure
                    for _, f in live:
                        if not f.done():
                            f.set_exception(exc)
                    continue
                except BaseException as exc:  # cancelled (shutdown): no reader may hang
                    for _, f in [*live, *lane.waiting]:
                        if not f.done():
                            f.set_exception(exc)
                    lane.waiting = []
                    if isinstance(exc, asyncio.CancelledError):
                        raise
                    return
                for (_, f), result in zip(live, results, strict=True):
                    if not f.done():
                        f.set_result(result)
        finally:
            lane.driver = None
            if not lane.waiting:
                self._lanes.pop(key, None)


#: by provider identity (a provider need not be hashable); entries go with their provider
_COALESCERS: dict[int, tuple[weakref.ref[Any], Coalescer]] = {}


def coalescer_of(provider: Any) -> Coalescer:
    """The provider's own coalescer (one endpoint and one set of credentials each)."""
    key = id(provider)
    entry = _COALESCERS.get(key)
    if entry is None or entry[0]() is not provider:
        entry = (weakref.ref(provider, lambda _: _COALESCERS.pop(key, None)), Coalescer())
        _COALESCERS[key] = entry
    return entry[1]


async def find(provider: Provider[Any], spec: Any) -> Observation:
    """``provider.find``, answered with other finds of its scope by one listing."""
    if not provider.capabilities.batched_reads:
        return await provider.find(spec)
    scope = provider.scope(spec)

    async def together(specs: list[Any]) -> list[Observation]:
        return list(await provider.find_many(scope, specs))

    return await coalescer_of(provider).read(("find", scope), spec, provider.find, together)


async def observe(provider: Provider[Any], spec: Any, external_id: str) -> Observation:
    """``provider.observe``, answered with other reads by id of its scope by one listing."""
    if not provider.capabilities.batched_reads:
        return await provider.observe(spec, external_id)
    scope = provider.scope(spec)

    async def alone(item: tuple[Any, str]) -> Observation:
        return await provider.observe(*item)

    async def together(items: list[tuple[Any, str]]) -> list[Observation]:
        first: dict[str, Any] = {}
        for s, eid in items:
            first.setdefault(eid, s)
        listed = await provider.observe_many(scope, first)
        answers: list[Observation] = []
        for s, eid in items:
            seen = listed.get(eid)
            if seen is not None and seen.exists and first[eid] is s:
                answers.append(seen)
            else:  # not listed (gone is said by a read by id only), or another spec
                answers.append(await provider.observe(s, eid))
        return answers

    return await coalescer_of(provider).read(
        ("observe", scope), (spec, external_id), alone, together
    )
