"""What the handlers share: the Kubernetes adapter, providers, locks, the watch cache, wake-ups.

Built once at start-up and passed to the handler modules explicitly, not
kept in module globals.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cloudnet.handlers.kube_client import KubeClient
from cloudnet.handlers.metrics import Metrics
from cloudnet.registry import ProviderRegistry

if TYPE_CHECKING:
    from cloudnet.handlers.watch import WatchCache, WatchedCopies


class ResourceLocks:
    """One lock per resource, so a handler, a wake-up and the drift pass never overlap."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:  # forget idle locks: no memory per quiet object
                del self._users[key], self._locks[key]


async def _unprotected(body: Mapping[str, Any]) -> bool:
    """No protection to make sure of (``provider_config.register`` installs the real one)."""
    return False


@dataclass
class OperatorContext:
    kube: KubeClient
    providers: ProviderRegistry
    watch_cache: WatchCache
    locks: ResourceLocks = field(default_factory=ResourceLocks)
    #: schedules a reconcile of (kind, namespace, name) soon, outside kopf (set by run.py)
    wake: Callable[[str, str, str, str], None] = field(default=lambda *_: None)
    #: before a resource's cloud writes: makes sure the ProviderConfig and Secret it uses are
    #: protected from deletion (``provider_config``); raises ConfigError when they cannot be;
    #: True when it wrote (the ProviderConfig and Secret are then read again)
    protect: Callable[[Mapping[str, Any]], Awaitable[bool]] = field(default=_unprotected)
    #: ProviderConfigs and protected Secrets from their watch streams (fed by
    #: ``provider_config``); None: every read goes to the API server
    copies: WatchedCopies | None = None
    #: more listeners of our kinds' watch events, (kind, event type, body), called after
    #: the watch cache by the kinds' one event handler (one kopf handler, not one each)
    listeners: list[Callable[[str, str | None, Mapping[str, Any]], None]] = field(
        default_factory=list
    )
    #: the operator's metrics (``run.py`` builds one that reads the watch cache)
    metrics: Metrics = field(default_factory=Metrics)

    #: namespaces whose ProviderConfigs may use credentialsSource RRSA, the operator's
    #: own identity (``--rrsa-namespace``; "*" allows every namespace)
    rrsa_namespaces: frozenset[str] = frozenset()

    def rrsa_allowed(self, namespace: str) -> bool:
        return "*" in self.rrsa_namespaces or namespace in self.rrsa_namespaces
