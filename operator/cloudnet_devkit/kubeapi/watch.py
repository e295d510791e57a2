"""Watches: replay, live events, bookmarks and resumption, losing no write.

kopf and kubectl list, then watch from the list's version; a watch that
misses one event leaves kopf waiting forever for it. So a watch subscribes to
the store before it takes its replay, resumes from any version the backlog
still holds (410 Gone past it, as from a compacted etcd), and sends a
bookmark only when every event up to its version has been written.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp.web
import attrs
import kmock

from cloudnet_devkit.kubeapi import selectors, tables
from cloudnet_devkit.kubeapi.namespaces import Namespaces
from cloudnet_devkit.kubeapi.store import Watcher
from cloudnet_devkit.kubeapi.wire import JSON, Call, Obj, StatusError, Target

BOOKMARK_INTERVAL = 30.0
CONNECTION_CHECK_INTERVAL = 2.0


@attrs.define(kw_only=True)
class Watch(Namespaces):
    """Serves ``?watch=true``; ``close_watches()`` ends every stream for a prompt stop."""

    _closing: asyncio.Event = attrs.field(factory=asyncio.Event, init=False)

    def close_watches(self) -> None:
        """End every watch stream, so that the HTTP server can stop promptly."""
        self._closing.set()

    async def _watch(
        self, target: Target, info: kmock.ResourceInfo, call: Call
    ) -> aiohttp.web.StreamResponse:
        try:
            labels = selectors.label_selector(call.params.get("labelSelector"))
            fields = selectors.field_selector(call.params.get("fieldSelector"))
        except selectors.SelectorError as exc:
            raise StatusError(400, "BadRequest", str(exc)) from exc
        pinned = target.name

        def matches(obj: Mapping[str, Any]) -> bool:
            if pinned is not None and obj.get("metadata", {}).get("name") != pinned:
                return False
            return labels(obj) and fields(obj)

        since_raw = call.params.get("resourceVersion", "")
        initial = call.params.get("sendInitialEvents") == "true"
        bookmarks = call.params.get("allowWatchBookmarks") == "true"
        timeout = float(call.params.get("timeoutSeconds") or 0) or None
        as_table = call.wants_table
        # Subscribed before the replay is taken, with no await in between: every
        # write is either in the replay or queued for this watch (kmock's own watch
        # subscribes after sending its replay and loses the writes made meanwhile).
        # ``floor`` is the newest version the replay covers; queued events at or
        # below it are already in the replay and are dropped.
        watcher = Watcher(namespace=target.namespace, predicate=matches)
        self._watchers.setdefault(target.key, set()).add(watcher)

        response = aiohttp.web.StreamResponse(status=200)
        response.content_type = JSON
        response.enable_chunked_encoding()
        first_table = True

        def render(kind: str, obj: Obj) -> bytes:
            nonlocal first_table
            payload: Obj = self._present(target, obj)
            if as_table and kind != "BOOKMARK":
                payload = tables.build_table(
                    [payload],
                    self._printer_columns(target),
                    include_object=call.params.get("includeObject", "Metadata"),
                    resource_version=obj["metadata"]["resourceVersion"],
                    with_definitions=first_table,
                )
                first_table = False
            return (
                json.dumps({"type": kind, "object": payload}, separators=(",", ":")).encode()
                + b"\n"
            )

        def bookmark(extra: Mapping[str, str] | None = None) -> bytes:
            meta: Obj = {"resourceVersion": str(self._rv)}
            if extra:
                meta["annotations"] = dict(extra)
            obj = {
                "kind": self._kind(target, info),
                "apiVersion": target.group_version,
                "metadata": meta,
            }
            return json.dumps({"type": "BOOKMARK", "object": obj}).encode() + b"\n"

        try:
            floor = self._rv
            chunks: list[bytes] = []
            if since_raw in ("", "0") or initial:
                for obj in self._select(target, call, extra_name=pinned):
                    chunks.append(render("ADDED", obj))
                if initial and bookmarks:
                    chunks.append(bookmark({"k8s.io/initial-events-end": "true"}))
            else:
                try:
                    since = int(since_raw)
                except ValueError as exc:
                    raise StatusError(
                        400, "BadRequest", f"invalid resourceVersion {since_raw!r}"
                    ) from exc
                if since < self._evicted_rv.get(target.key, 0):
                    gone = StatusError(410, "Expired", f"too old resource version: {since}")
                    chunks.append(
                        json.dumps({"type": "ERROR", "object": gone.status()}).encode() + b"\n"
                    )
                    await response.prepare(call.raw)
                    await response.write(b"".join(chunks))
                    await response.write_eof()
                    return response
                for rv, kind, obj, old in self._backlog.get(target.key, ()):
                    if rv > since:
                        ns = obj["metadata"].get("namespace")
                        if target.namespace is None or ns == target.namespace:
                            translated = self._translate(kind, obj, old, matches)
                            if translated:
                                chunks.append(render(translated, obj))
                # A version not reached yet still means "what follows it" (as etcd
                # and the watch cache treat it), not "from now".
                floor = max(floor, since)
            await response.prepare(call.raw)
            if chunks:
                await response.write(b"".join(chunks))
            else:
                await response.write(b"")
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout if timeout else None
            closing = asyncio.ensure_future(self._closing.wait())
            last_write = loop.time()
            try:
                while not self._closing.is_set():
                    transport = call.raw.transport
                    if transport is None or transport.is_closing():
                        break
                    wait = CONNECTION_CHECK_INTERVAL
                    if deadline is not None:
                        wait = min(wait, deadline - loop.time())
                        if wait <= 0:
                            break
                    getter = asyncio.ensure_future(watcher.queue.get())
                    done, _ = await asyncio.wait(
                        {getter, closing}, timeout=wait, return_when=asyncio.FIRST_COMPLETED
                    )
                    batch: list[tuple[int, str, Obj, Obj | None]] = []
                    if getter in done:
                        batch.append(getter.result())
                    else:
                        # Not done, so it has taken nothing: any item stays queued.
                        getter.cancel()
                    # A write can land after the wait timed out and before this task
                    # resumed; its event is queued but was not seen by the wait.
                    while not watcher.queue.empty():
                        batch.append(watcher.queue.get_nowait())
                    if not batch:
                        # The queue is empty and no await separates the check from the
                        # bookmark, so every event up to the bookmark's version has been
                        # written: a client resuming from it (kopf does) misses nothing.
                        # Below ``floor`` it would send a client back before its start.
                        idle = loop.time() - last_write
                        if (
                            bookmarks
                            and not self._closing.is_set()
                            and idle > BOOKMARK_INTERVAL
                            and self._rv >= floor
                        ):
                            await response.write(bookmark())
                            last_write = loop.time()
                        continue
                    last_write = loop.time()
                    out: list[bytes] = []
                    for rv, kind, obj, old in batch:
                        if rv <= floor:
                            continue
                        translated = self._translate(kind, obj, old, matches)
                        if translated:
                            out.append(render(translated, obj))
                    if out:
                        await response.write(b"".join(out))
            finally:
                closing.cancel()
            await response.write_eof()
        except ConnectionResetError:
            pass
        finally:
            self._watchers[target.key].discard(watcher)
        return response

    @staticmethod
    def _translate(
        kind: str, obj: Obj, old: Obj | None, matches: Callable[[Mapping[str, Any]], bool]
    ) -> str | None:
        """The event a selective watch sees: objects entering/leaving the selection."""
        now = matches(obj)
        if kind != "MODIFIED":
            return kind if now or (old is not None and matches(old)) else None
        before = old is not None and matches(old)
        if now and before:
            return "MODIFIED"
        if now:
            return "ADDED"
        if before:
            return "DELETED"
        return None
