"""``cloudnet run``: configure kopf as measured, and start it.

Settings and why:

* our own finalizer name, ``cloudnet.dev/finalizer``;
* progress and diff-base in annotations under ``cloudnet.dev/``: status
  storage would put kopf's fields into our status, which a real API server
  prunes because the CRD schema does not declare them;
* ``posting.enabled = False``: we post our own Events for every cloud write
  and error (kopf 1.45 posts handler logs only when told to);
* ``scanning.disabled``: the CRDs are installed by the chart, and scanning
  needs cluster-wide CRD read access for nothing;
* ``queueing.idle_timeout = 1``: workers of quiet objects go away sooner,
  which measured -30% memory at 10,000 objects; ``worker_limit`` is left
  unset on purpose (it caps throughput at worker_limit / idle_timeout).

With ``--leader-elect`` kopf is not started before this process holds the
Lease (:mod:`cloudnet.handlers.leader`): a standby makes no cloud call and no
Kubernetes call but to that Lease.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import signal
from collections.abc import Sequence
from types import FrameType
from typing import Any

import kopf

from cloudnet.core.resource import FINALIZER
from cloudnet.handlers import dnat, nic, provider_config
from cloudnet.handlers.common import Kind, register
from cloudnet.handlers.context import OperatorContext
from cloudnet.handlers.drift import DEFAULT_INTERVAL, drift_loop
from cloudnet.handlers.kube import KubeClient, load_config
from cloudnet.handlers.leader import ElectionSettings, LeaseAPI, LeaseElector, StandbyHealth
from cloudnet.handlers.watch import Waker, WatchCache
from cloudnet.providers.registry import DEFAULT_RATE, ProviderRegistry

logger = logging.getLogger(__name__)

KINDS: dict[str, Kind] = {k.name: k for k in (dnat.KIND, nic.KIND)}

#: Threads for Kubernetes API calls; also a cap on concurrent calls to the API server.
KUBE_THREADS = 32
#: Seconds kopf waits for the watch event of its own patch (``configure``).
CONSISTENCY_TIMEOUT = 60.0


def configure(settings: kopf.OperatorSettings) -> None:
    settings.persistence.finalizer = FINALIZER
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix="cloudnet.dev")
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix="cloudnet.dev", key="last-handled-configuration"
    )
    settings.posting.enabled = False
    settings.scanning.disabled = True
    settings.queueing.idle_timeout = 1.0
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    settings.networking.request_timeout = 60
    settings.peering.standalone = True
    # How long kopf waits for the watch event of its own last patch before it acts on
    # an older body. Our handlers' own patches (the create guard, status) come back on
    # the same stream first; at 10,000 objects that stream lags more than kopf's 5 s
    # default, kopf then took the pre-patch body for a new object and ran the create
    # handler a second time (1.5 handler runs per rule). The wait ends as soon as the
    # event arrives, so a longer bound costs nothing when the stream keeps up.
    settings.persistence.consistency_timeout = CONSISTENCY_TIMEOUT


def build_registry(ctx: OperatorContext, *, drift_interval: float) -> None:
    tasks: list[asyncio.Task[None]] = []
    waker = Waker(ctx, KINDS)
    ctx.wake = waker
    ctx.watch_cache.on_intent = waker

    @kopf.on.startup()
    async def _startup(settings: kopf.OperatorSettings, **_: Any) -> None:
        configure(settings)
        # Kubernetes calls run in threads (the official client is synchronous); the
        # default pool of cores + 4 threads throttled convergence of many objects.
        asyncio.get_running_loop().set_default_executor(
            concurrent.futures.ThreadPoolExecutor(max_workers=KUBE_THREADS)
        )
        if drift_interval > 0:
            tasks.append(
                asyncio.create_task(drift_loop(ctx, ctx.watch_cache, KINDS, drift_interval))
            )

    @kopf.on.cleanup()
    async def _cleanup(**_: Any) -> None:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await waker.aclose()
        await ctx.providers.aclose()

    for kind in KINDS.values():
        register(ctx, kind, drift_checks=drift_interval > 0)
    provider_config.register(ctx)


class RoutinePollFilter(logging.Filter):
    """kopf logs every TemporaryError at ERROR; a PENDING_* poll is routine, not an error."""

    ROUTINE = ("waiting for", "paused: the delete waits")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR and "failed temporarily" in record.getMessage():
            message = record.getMessage()
            if any(marker in message for marker in self.ROUTINE):
                record.levelno, record.levelname = logging.INFO, "INFO"
        return True


class QuietEventHandlers(logging.Filter):
    """Drops kopf's INFO line for each event handler's success: one per watch event.

    kopf logs "Handler 'watch-cache' succeeded." for every event of every
    resource: 6 of the 8 INFO lines per created DnatRule at 1,000 rules, and
    each line written to the console cost CPU in the one process. The same
    lines stay at ``--verbose``; failures are never dropped.
    """

    IDS = ("watch-cache", "in-use")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
            return True
        message = record.getMessage()
        return not any(message == f"Handler {handler!r} succeeded." for handler in self.IDS)


def run_operator(
    *,
    namespaces: Sequence[str],
    verbose: bool = False,
    drift_interval: float = DEFAULT_INTERVAL,
    cloud_rate: float = DEFAULT_RATE,
    leader_election: ElectionSettings | None = None,
    standby_health: Sequence[str] = (),
) -> int:
    """``standby_health``: the probe URLs (``http://HOST:PORT/PATH``) a standby answers
    until it wins, so that probes meant for kopf do not restart or hold it back."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # The Kubernetes client logs request bodies at DEBUG; Secrets must never reach a log.
    logging.getLogger("kubernetes").setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RoutinePollFilter())
    if not verbose:
        logging.getLogger("kopf.objects").addFilter(QuietEventHandlers())
    # Built before the election (construction makes no call): a standby that wins the
    # Lease only has to start kopf, not import and build the operator first.
    ctx = OperatorContext(
        kube=KubeClient(load_config(pool_size=KUBE_THREADS)),
        providers=ProviderRegistry(rate=cloud_rate, burst=max(1, int(cloud_rate))),
        watch_cache=WatchCache(),
    )
    build_registry(ctx, drift_interval=drift_interval)
    elector: LeaseElector | None = None
    if leader_election is not None:
        # Its own ApiClient (pool of 2): renewals never wait for the operator's calls.
        elector = LeaseElector(leader_election, LeaseAPI(load_config(pool_size=2), leader_election))
        if not _stand_by(elector, standby_health):
            return 0
    try:
        asyncio.run(
            kopf.operator(
                clusterwide=not namespaces,
                namespaces=list(namespaces),
                standalone=True,
            )
        )
    except _Stopped as why:  # before kopf had put its own signal handlers in place
        logger.info("stopped by %s while starting", why)
    finally:
        if elector is not None:
            elector.release()  # kopf has stopped: nothing of ours acts any more
    return 0


class _Stopped(Exception):
    """SIGTERM or SIGINT while standing by, or after winning but before kopf handles them."""


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise _Stopped(signal.Signals(signum).name)


def _stand_by(elector: LeaseElector, health: Sequence[str]) -> bool:
    """Wait for the Lease; False if told to stop first (nothing was started, nothing to undo).

    The handlers stay after a win, until kopf replaces them with its own: a
    SIGTERM in between still ends in a release rather than a bare exit.
    """
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _raise_stopped)
    try:
        with StandbyHealth(health, elector):
            elector.acquire()
    except _Stopped as why:
        logger.info("leader election: stopped by %s while standing by", why)
        return False
    elector.start_renewing()
    return True
