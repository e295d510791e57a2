"""What the handlers share: the Kubernetes adapter, providers, locks, the watch cache.

Built once at start-up and passed to the handler modules explicitly, not
kept in module globals (the mistake shared/STYLE.md warns about).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cloudnet.handlers.kube import KubeClient
from cloudnet.providers.registry import ProviderRegistry

if TYPE_CHECKING:
    from cloudnet.handlers.drift import WatchCache


class ResourceLocks:
    """One lock per resource uid, so a handler and the drift check never overlap."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def hold(self, uid: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(uid, asyncio.Lock())
        self._users[uid] = self._users.get(uid, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[uid] -= 1
            if not self._users[uid]:  # forget idle locks: no memory per quiet object
                del self._users[uid], self._locks[uid]


@dataclass
class OperatorContext:
    kube: KubeClient
    providers: ProviderRegistry
    watch_cache: WatchCache
    locks: ResourceLocks = field(default_factory=ResourceLocks)
