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

Observability (``--metrics-bind-address``, ``--liveness``, ``--readiness``,
``--log-format``, ``--log-level``) is wired here: :mod:`~cloudnet.handlers.metrics`,
:mod:`~cloudnet.handlers.health`, :mod:`~cloudnet.handlers.logs`.

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
from prometheus_client.aiohttp import make_aiohttp_handler

from cloudnet.clouds.egress import Origin
from cloudnet.clouds.identity import RrsaSettings
from cloudnet.core.resource import FINALIZER
from cloudnet.handlers import dnat, own_kinds, provider_config
from cloudnet.handlers.common import Kind, register
from cloudnet.handlers.context import OperatorContext
from cloudnet.handlers.drift import DEFAULT_INTERVAL, drift_loop
from cloudnet.handlers.health import Address, Handler, OpsServer, Readiness
from cloudnet.handlers.kube_client import KubeClient, load_config
from cloudnet.handlers.leader import ElectionSettings, LeaseAPI, LeaseElector, StandbyHealth
from cloudnet.handlers.logs import LogFormat, LogLevel, configure_logging
from cloudnet.handlers.metrics import Metrics
from cloudnet.handlers.watch import Waker, WatchCache
from cloudnet.registry import DEFAULT_RATE, ProviderRegistry

logger = logging.getLogger(__name__)

KINDS: dict[str, Kind] = {k.name: k for k in (dnat.KIND, *own_kinds.KINDS)}

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


def build_registry(
    ctx: OperatorContext, *, drift_interval: float, server: OpsServer | None = None
) -> None:
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
        if server is not None:
            await server.start()

    @kopf.on.probe(id="resources")
    def _resources(**_: Any) -> int:
        """In the liveness answer: how many resources the watch cache holds."""
        return len(ctx.watch_cache.bodies)

    @kopf.on.cleanup()
    async def _cleanup(**_: Any) -> None:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if server is not None:
            await server.stop()
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


def ops_routes(
    metrics: Metrics,
    readiness: Readiness,
    *,
    metrics_address: Address | None,
    readiness_at: tuple[Address, str] | None,
) -> dict[Address, list[tuple[str, Handler]]]:
    """What the ops server serves where: /metrics and the readiness path, one site per address."""
    routes: dict[Address, list[tuple[str, Handler]]] = {}
    if metrics_address is not None:
        routes.setdefault(metrics_address, []).append(
            ("/metrics", make_aiohttp_handler(metrics.registry))
        )
    if readiness_at is not None:
        address, path = readiness_at
        routes.setdefault(address, []).append((path, readiness.handle))
    return routes


def run_operator(
    *,
    namespaces: Sequence[str],
    verbose: bool = False,
    drift_interval: float = DEFAULT_INTERVAL,
    cloud_rate: float = DEFAULT_RATE,
    log_format: LogFormat = LogFormat.PLAIN,
    log_level: LogLevel = LogLevel.INFO,
    metrics_address: Address | None = None,
    liveness: str | None = None,
    readiness_at: tuple[Address, str] | None = None,
    allowed_endpoints: Sequence[Origin] = (),
    rrsa_namespaces: Sequence[str] = (),
    alibaba_sts_endpoint: str | None = None,
    huawei_iam_endpoint: str | None = None,
    leader_election: ElectionSettings | None = None,
    standby_health: Sequence[str] = (),
) -> int:
    """``verbose`` is ``log_level=debug`` under its old name; ``standby_health``: the
    probe URLs (``http://HOST:PORT/PATH``) a standby answers until it wins, so that
    probes meant for kopf do not restart or hold it back."""
    if verbose:
        log_level = LogLevel.DEBUG
    handler = configure_logging(log_format=log_format, level=log_level)
    handler.addFilter(RoutinePollFilter())
    if log_level is not LogLevel.DEBUG:
        logging.getLogger("kopf.objects").addFilter(QuietEventHandlers())
    # Built before the election (construction makes no call): a standby that wins the
    # Lease only has to start kopf, not import and build the operator first.
    watch_cache = WatchCache()
    metrics = Metrics(kinds=KINDS, bodies=lambda: watch_cache.bodies.values(), process=True)
    readiness = Readiness()

    def observe(provider: str, record: Any) -> None:
        metrics.cloud_call(provider, record)
        readiness.cloud_call(record)

    ctx = OperatorContext(
        kube=KubeClient(load_config(pool_size=KUBE_THREADS)),
        providers=ProviderRegistry(
            rate=cloud_rate,
            burst=max(1, int(cloud_rate)),
            observer=observe,
            allowed=allowed_endpoints,
            rrsa=RrsaSettings.from_env(sts_endpoint=alibaba_sts_endpoint),
            huawei_iam_endpoint=huawei_iam_endpoint,
        ),
        watch_cache=watch_cache,
        metrics=metrics,
        rrsa_namespaces=frozenset(rrsa_namespaces),
    )
    ctx.listeners.append(metrics.on_event)
    routes = ops_routes(
        metrics, readiness, metrics_address=metrics_address, readiness_at=readiness_at
    )
    build_registry(ctx, drift_interval=drift_interval, server=OpsServer(routes) if routes else None)
    if allowed_endpoints:
        logger.info(
            "endpoints allowed beyond the clouds' public API hosts: %s",
            ", ".join(sorted(str(o) for o in allowed_endpoints)),
        )
    elector: LeaseElector | None = None
    if leader_election is not None:
        # Its own ApiClient (pool of 2): renewals never wait for the operator's calls.
        elector = LeaseElector(leader_election, LeaseAPI(load_config(pool_size=2), leader_election))
        health = list(standby_health)
        if metrics_address is not None:
            health.append(f"http://{metrics_address}/metrics")
        metrics_port = metrics_address.port if metrics_address is not None else None
        if not _stand_by(elector, health, metrics_port):
            return 0
    try:
        asyncio.run(
            kopf.operator(
                clusterwide=not namespaces,
                namespaces=list(namespaces),
                standalone=True,
                liveness_endpoint=liveness,
                ready_flag=readiness.watching,
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


def _stand_by(elector: LeaseElector, health: Sequence[str], metrics_port: int | None) -> bool:
    """Wait for the Lease; False if told to stop first (nothing was started, nothing to undo).

    The handlers stay after a win, until kopf replaces them with its own: a
    SIGTERM in between still ends in a release rather than a bare exit.
    """
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _raise_stopped)
    try:
        with StandbyHealth(health, elector, metrics_port=metrics_port):
            elector.acquire()
    except _Stopped as why:
        logger.info("leader election: stopped by %s while standing by", why)
        return False
    elector.start_renewing()
    return True
