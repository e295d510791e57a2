"""Watches lose nothing and never go back in time, however writes interleave with them.

kmock 0.8's own watch takes its replay snapshot before it subscribes to the
event bus, so a write landing while the replay is being sent is lost; kopf
then waits forever for an event that never comes. These tests force each
interleaving that could lose or reorder an event (a write during the replay,
a write between a timed-out wait and the periodic bookmark, a write between
two pages of a chunked list) instead of hoping a timing window opens.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import aiohttp.web
import pytest

from cloudnet_devkit.kubeapi import TestKubeAPI, running, wire
from cloudnet_devkit.kubeapi import watch as watch_module

CMS = "/api/v1/namespaces/default/configmaps"
MERGE = {"Content-Type": "application/merge-patch+json"}
INITIAL_EVENTS = {
    "sendInitialEvents": "true",
    "resourceVersionMatch": "NotOlderThan",
    "allowWatchBookmarks": "true",
}

Event = dict[str, Any]


@pytest.fixture()
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with running(TestKubeAPI()) as srv, aiohttp.ClientSession(srv.url) as session:
        yield session


@pytest.fixture()
def during_replay(
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[Callable[[], Awaitable[None]]], None]:
    """Run a coroutine inside a watch's first write, i.e. while its replay is on the way out.

    Only watch streams call ``StreamResponse.write`` (plain responses go out in
    ``write_eof``), so the first call is the replay of the first watch opened.
    The writes go through HTTP, so they are served by the API concurrently
    with the watch that is suspended in the middle of its replay.
    """
    pending: list[Callable[[], Awaitable[None]]] = []
    original = aiohttp.web.StreamResponse.write

    async def write(self: aiohttp.web.StreamResponse, data: bytes) -> None:
        if pending:
            await pending.pop()()
        await original(self, data)

    monkeypatch.setattr(aiohttp.web.StreamResponse, "write", write)
    return pending.append


async def create(http: aiohttp.ClientSession, name: str, **meta: Any) -> Event:
    async with http.post(CMS, json={"metadata": {"name": name, **meta}}) as response:
        assert response.status == 201, await response.text()
        body: Event = await response.json()
        return body


async def patch(http: aiohttp.ClientSession, name: str, body: Event) -> Event:
    async with http.patch(f"{CMS}/{name}", json=body, headers=MERGE) as response:
        assert response.status == 200, await response.text()
        result: Event = await response.json()
        return result


async def delete(http: aiohttp.ClientSession, name: str) -> Event:
    async with http.delete(f"{CMS}/{name}") as response:
        assert response.status == 200, await response.text()
        result: Event = await response.json()
        return result


def rv(obj: Event) -> int:
    return int(obj["metadata"]["resourceVersion"])


class Watch:
    """One watch stream, read event by event; ``until`` fails instead of hanging."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def until(self, done: Callable[[Event], bool]) -> list[Event]:
        events: list[Event] = []
        async with asyncio.timeout(5):
            while True:
                line = await self.response.content.readline()
                assert line, f"the stream ended before the awaited event; got {brief(events)}"
                if line.strip():
                    events.append(json.loads(line))
                    if done(events[-1]):
                        return events


async def watch(
    http: aiohttp.ClientSession, params: dict[str, str], path: str = CMS
) -> AsyncIterator[Watch]:
    async with http.get(path, params={"watch": "true", **params}) as response:
        assert response.status == 200
        yield Watch(response)


def is_event(kind: str, name: str) -> Callable[[Event], bool]:
    return lambda e: e["type"] == kind and e["object"]["metadata"].get("name") == name


def brief(events: list[Event]) -> list[tuple[str, str | None]]:
    return [(e["type"], e["object"]["metadata"].get("name")) for e in events]


def assert_never_back_in_time(events: list[Event], replayed: int = 0) -> None:
    """After the replay every event is strictly newer than the one before, bookmarks no older.

    A bookmark is the server saying "you have everything up to here"; an event
    at or below it afterwards is one a client resuming from the bookmark would
    never have seen. The replay itself is in name order, not version order.
    """
    live = events[replayed:]
    versions = [rv(e["object"]) for e in live]
    for before, after, event in zip(versions, versions[1:], live[1:], strict=False):
        if event["type"] == "BOOKMARK":
            assert after >= before, brief(events)
        else:
            assert after > before, brief(events)


# ---------------------------------------------------------------- writes during the replay


@pytest.mark.parametrize(
    "params",
    [{}, {"resourceVersion": "0"}, INITIAL_EVENTS],
    ids=["no-resourceVersion", "resourceVersion-0", "sendInitialEvents"],
)
async def test_writes_during_the_initial_replay_follow_it(http, during_replay, params):
    a, b = await create(http, "a"), await create(http, "b")
    written: list[Event] = []

    async def write_mid_replay() -> None:
        written.append(await patch(http, "a", {"data": {"x": "2"}}))
        written.append(await create(http, "c"))
        written.append(await delete(http, "b"))

    during_replay(write_mid_replay)
    async for stream in watch(http, params):
        events = await stream.until(is_event("DELETED", "b"))
    replay = [("ADDED", "a"), ("ADDED", "b")]
    if params is INITIAL_EVENTS:
        replay.append(("BOOKMARK", None))
    assert brief(events) == [*replay, ("MODIFIED", "a"), ("ADDED", "c"), ("DELETED", "b")]
    # The replay is the state before the writes; the writes follow at their own versions.
    assert [rv(e["object"]) for e in events[:2]] == [rv(a), rv(b)]
    assert [rv(e["object"]) for e in events[len(replay) :]] == [rv(o) for o in written]
    if params is INITIAL_EVENTS:
        end = events[2]["object"]["metadata"]
        assert end["annotations"] == {"k8s.io/initial-events-end": "true"}
        assert int(end["resourceVersion"]) < rv(written[0])
    assert_never_back_in_time(events, replayed=2)


async def test_writes_during_a_resumed_replay_follow_it(http, during_replay):
    first = await create(http, "a")
    history = [await patch(http, "a", {"data": {"x": "1"}}), await create(http, "b")]

    async def write_mid_replay() -> None:
        history.append(await patch(http, "b", {"data": {"y": "1"}}))
        history.append(await delete(http, "a"))

    during_replay(write_mid_replay)
    async for stream in watch(http, {"resourceVersion": str(rv(first))}):
        events = await stream.until(is_event("DELETED", "a"))
    assert brief(events) == [("MODIFIED", "a"), ("ADDED", "b"), ("MODIFIED", "b"), ("DELETED", "a")]
    assert [rv(e["object"]) for e in events] == [rv(o) for o in history]
    assert_never_back_in_time(events)


# ---------------------------------------------------------------- resumption is exact


async def test_a_watch_from_a_resource_version_replays_exactly_what_followed_it(http):
    async with http.get(CMS) as response:
        listed = int((await response.json())["metadata"]["resourceVersion"])
    history: list[tuple[str, Event]] = [
        ("ADDED", await create(http, "a")),
        ("ADDED", await create(http, "b", labels={"app": "x"})),
        ("MODIFIED", await patch(http, "a", {"data": {"k": "v"}})),
        ("ADDED", await create(http, "held", finalizers=["test/hold"])),
        ("MODIFIED", await patch(http, "b", {"metadata": {"labels": {"app": "y"}}})),
        ("DELETED", await delete(http, "a")),
        ("MODIFIED", await delete(http, "held")),  # held by its finalizer: marked only
        ("DELETED", await patch(http, "held", {"metadata": {"finalizers": None}})),
        ("ADDED", await create(http, "a")),  # the same name again, a new object
    ]
    expected = [(kind, obj["metadata"]["name"], rv(obj)) for kind, obj in history]
    starts = [listed] + [version for _, _, version in expected]
    streams = [watch(http, {"resourceVersion": str(start)}) for start in starts]
    opened = [await anext(stream) for stream in streams]
    await create(http, "sentinel")
    for start, stream in zip(starts, opened, strict=True):
        events = await stream.until(is_event("ADDED", "sentinel"))
        seen = [(e["type"], e["object"]["metadata"]["name"], rv(e["object"])) for e in events]
        assert seen[:-1] == [event for event in expected if event[2] > start], start
    for stream_gen in streams:
        await stream_gen.aclose()


async def test_a_selective_resumed_watch_sees_objects_enter_and_leave(http):
    start = await create(http, "a")
    await create(http, "b", labels={"app": "x"})
    await patch(http, "a", {"metadata": {"labels": {"app": "x"}}})
    await patch(http, "b", {"metadata": {"labels": {"app": "y"}}})
    await create(http, "sentinel", labels={"app": "x"})
    params = {"resourceVersion": str(rv(start)), "labelSelector": "app=x"}
    async for stream in watch(http, params):
        events = await stream.until(is_event("ADDED", "sentinel"))
    assert brief(events) == [
        ("ADDED", "b"),
        ("ADDED", "a"),
        ("DELETED", "b"),
        ("ADDED", "sentinel"),
    ]


async def test_a_watch_from_a_future_resource_version_starts_after_it(http):
    """A version the server has not reached yet still means "what follows it", as in etcd."""
    now = rv(await create(http, "now"))
    async for stream in watch(http, {"resourceVersion": str(now + 2)}):
        for name in ("e1", "e2", "e3"):
            await create(http, name)
        events = await stream.until(is_event("ADDED", "e3"))
    assert brief(events) == [("ADDED", "e3")]


# ---------------------------------------------------------------- bookmarks


class _WriteAfterTimeout:
    """The watch module's ``asyncio``, but a write lands right after a wait times out.

    That is the moment after the timer fired and before the watch's task
    resumes: a request handler scheduled in between can commit a write and
    queue its event for the watch, which the timed-out wait did not see.
    """

    def __init__(self, write: Callable[[], None]) -> None:
        self._write: Callable[[], None] | None = write

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    async def wait(self, fs: Any, **kwargs: Any) -> Any:
        done, pending = await asyncio.wait(fs, **kwargs)
        if not done and self._write is not None:
            write, self._write = self._write, None
            write()
        return done, pending


async def test_a_bookmark_never_overtakes_a_queued_event(monkeypatch):
    api = TestKubeAPI()
    target = wire.Target("", "v1", "configmaps", "default")

    def write_as_another_handler() -> None:
        body = {"metadata": {"name": "slipped-in"}}
        api._create_object(target, api._info(target), body, dry_run=False)

    monkeypatch.setattr(watch_module, "CONNECTION_CHECK_INTERVAL", 0.01)
    monkeypatch.setattr(watch_module, "BOOKMARK_INTERVAL", 0.0)
    monkeypatch.setattr(watch_module, "asyncio", _WriteAfterTimeout(write_as_another_handler))
    async with running(api) as srv, aiohttp.ClientSession(srv.url) as http:
        async with http.get(CMS) as response:
            listed = (await response.json())["metadata"]["resourceVersion"]
        params = {"resourceVersion": listed, "allowWatchBookmarks": "true"}
        # As kopf does: remember the version of everything seen, bookmarks included...
        async for stream in watch(http, params):
            first = await stream.until(lambda e: e["type"] == "BOOKMARK")
        assert_never_back_in_time(first)
        # ...and after a disconnect, resume from it.
        params["resourceVersion"] = first[-1]["object"]["metadata"]["resourceVersion"]
        async for stream in watch(http, params):
            await create(http, "sentinel")
            second = await stream.until(is_event("ADDED", "sentinel"))
    seen = {name for kind, name in brief(first + second) if kind == "ADDED"}
    assert "slipped-in" in seen, brief(first + second)


# ---------------------------------------------------------------- chunked lists, then a watch


async def test_chunked_list_is_one_snapshot_that_a_watch_continues(http):
    for name in ("a", "b", "c", "d"):
        await create(http, name)
    async with http.get(CMS, params={"limit": "2"}) as response:
        page1 = await response.json()
    changes = [await patch(http, "a", {"data": {"k": "v"}}), await delete(http, "c")]
    changes.append(await create(http, "bb"))
    async with http.get(CMS, params={"limit": "2", "continue": page1["metadata"]["continue"]}) as r:
        page2 = await r.json()
    # Every page is the state at the first page's version (as kube-apiserver serves them)...
    assert [i["metadata"]["name"] for i in page1["items"] + page2["items"]] == ["a", "b", "c", "d"]
    assert page2["metadata"]["resourceVersion"] == page1["metadata"]["resourceVersion"]
    assert "continue" not in page2["metadata"]
    # ...so a watch from it (kopf's and kubectl's list+watch) brings every change since.
    async for stream in watch(http, {"resourceVersion": page2["metadata"]["resourceVersion"]}):
        events = await stream.until(is_event("ADDED", "bb"))
    assert brief(events) == [("MODIFIED", "a"), ("DELETED", "c"), ("ADDED", "bb")]
    assert [rv(e["object"]) for e in events] == [rv(o) for o in changes]


async def test_chunked_list_continued_past_the_backlog_is_410():
    async with (
        running(TestKubeAPI(watch_backlog=2)) as api,
        aiohttp.ClientSession(api.url) as http,
    ):
        for name in ("a", "b", "c"):
            await create(http, name)
        async with http.get(CMS, params={"limit": "1"}) as response:
            token = (await response.json())["metadata"]["continue"]
        for name in ("d", "e", "f"):
            await create(http, name)
        async with http.get(CMS, params={"limit": "1", "continue": token}) as response:
            assert response.status == 410
            assert (await response.json())["reason"] == "Expired"
