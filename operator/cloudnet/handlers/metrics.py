"""The operator's Prometheus metrics: one registry, owned here, served on ``/metrics``.

Built on ``prometheus-client`` (the reference client; its aiohttp handler
serves the registry in the operator's own event loop). The registry is our
own rather than the library's global one, so that each operator context (and
each test) starts from zero.

Cardinality stays bounded by design: no label carries a resource's name or
namespace. Labels are the kind, the provider, the API's action names, the
outcome, the phase, and the cloud's error code, which a misbehaving server
could invent freely: a code is kept only while it looks like a code and only
the first :data:`MAX_CODES` distinct ones; later or odd ones count as
``Other``. Resources by phase, Ready and Synced are read from the watch cache
when scraped (a collector), not kept up to date on every event.

The core and the cloud clients know nothing of this module (import-linter's
layers): the clients report through :mod:`cloudnet.clouds.observe`, the
handlers call the methods below.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from cloudnet.api.errors import ErrorClass
from cloudnet.clouds.observe import CallRecord
from cloudnet.core.outcome import Blocked, Done, Outcome, Retry

__all__ = ["MAX_CODES", "OTHER_CODE", "Metrics", "outcome_label"]

#: Distinct cloud codes kept as label values; later ones count as :data:`OTHER_CODE`.
MAX_CODES = 200
OTHER_CODE = "Other"
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,79}")
#: The phase label of a resource whose status has no phase yet.
NO_PHASE = "None"

_FAST = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_WAIT = (0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_READY = (1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
_PASS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


def outcome_label(outcome: Outcome) -> str:
    """done, retry, poll (a routine PENDING_* wait) or blocked."""
    if isinstance(outcome, Done):
        return "done"
    if isinstance(outcome, Retry):
        return "poll" if outcome.routine else "retry"
    if isinstance(outcome, Blocked):
        return "blocked"
    return "error"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _condition(status: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    conditions = status.get("conditions")
    for c in conditions if isinstance(conditions, list) else []:
        if isinstance(c, Mapping) and c.get("type") == kind:
            return c
    return {}


def _time(stamp: Any) -> datetime.datetime | None:
    try:
        parsed = datetime.datetime.fromisoformat(str(stamp))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


class _Resources(Collector):
    """Resources by kind and phase, and how many are Ready / Synced, from the watch cache."""

    def __init__(
        self, kinds: Iterable[str], bodies: Callable[[], Iterable[Mapping[str, Any]]]
    ) -> None:
        self._kinds = tuple(kinds)
        self._bodies = bodies

    def collect(self) -> Iterator[Metric]:
        phases: dict[tuple[str, str], int] = {}
        ready = dict.fromkeys(self._kinds, 0)
        synced = dict.fromkeys(self._kinds, 0)
        for body in list(self._bodies()):
            kind = str(body.get("kind") or "")
            status = _mapping(body.get("status"))
            phase = str(status.get("phase") or NO_PHASE)
            phases[(kind, phase)] = phases.get((kind, phase), 0) + 1
            if _condition(status, "Ready").get("status") == "True":
                ready[kind] = ready.get(kind, 0) + 1
            if _condition(status, "Synced").get("status") == "True":
                synced[kind] = synced.get(kind, 0) + 1
        by_phase = GaugeMetricFamily(
            "cloudnet_resources",
            "Resources this operator watches, by kind and status.phase.",
            labels=["kind", "phase"],
        )
        for (kind, phase), count in sorted(phases.items()):
            by_phase.add_metric([kind, phase], count)
        yield by_phase
        for name, counts, what in (
            ("cloudnet_resources_ready", ready, "Ready"),
            ("cloudnet_resources_synced", synced, "Synced"),
        ):
            family = GaugeMetricFamily(
                name, f"Resources whose {what} condition is True, by kind.", labels=["kind"]
            )
            for kind, count in sorted(counts.items()):
                family.add_metric([kind], count)
            yield family


class Metrics:
    """Every metric of the operator, and the calls that move them."""

    def __init__(
        self,
        *,
        kinds: Iterable[str] = (),
        bodies: Callable[[], Iterable[Mapping[str, Any]]] = lambda: (),
        process: bool = False,
        clock: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
    ) -> None:
        """``bodies``: the watched resources (the watch cache's), read at each scrape.

        ``clock``: when a first Ready is seen (time to Ready ends there).

        ``process``: add the library's process and platform collectors (CPU,
        memory, file descriptors, Python version); only one per process.
        """
        self._clock = clock
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        if process:
            ProcessCollector(registry=r)
            PlatformCollector(registry=r)
        r.register(_Resources(kinds, bodies))
        self.reconciles = Counter(
            "cloudnet_reconciles",
            "Reconciles (operation reconcile or delete) by kind and outcome.",
            ["kind", "operation", "outcome"],
            registry=r,
        )
        self.reconcile_seconds = Histogram(
            "cloudnet_reconcile_duration_seconds",
            "Seconds one reconcile or delete took, the per-resource lock's wait included.",
            ["kind", "operation"],
            buckets=_FAST,
            registry=r,
        )
        self.cloud_calls = Counter(
            "cloudnet_cloud_calls",
            "Cloud API calls by provider, action and code (OK, the cloud's code, or NoAnswer).",
            ["provider", "action", "code"],
            registry=r,
        )
        self.cloud_seconds = Histogram(
            "cloudnet_cloud_call_duration_seconds",
            "Seconds from sending a cloud call to reading its answer.",
            ["provider", "action"],
            buckets=_FAST,
            registry=r,
        )
        self.throttled = Counter(
            "cloudnet_cloud_throttled",
            "Cloud calls the cloud answered with a throttling code.",
            ["provider", "action"],
            registry=r,
        )
        self.rate_wait = Histogram(
            "cloudnet_rate_limiter_wait_seconds",
            "Seconds a cloud call waited for the client-side rate limiter before it was sent.",
            ["provider"],
            buckets=_WAIT,
            registry=r,
        )
        self.drift_found = Counter(
            "cloudnet_drift_found",
            "Resources the drift pass found differing from the cloud (gone, changed, state).",
            ["kind"],
            registry=r,
        )
        self.drift_corrected = Counter(
            "cloudnet_drift_corrected",
            "Resources found drifted that were Ready and Synced again afterwards.",
            ["kind"],
            registry=r,
        )
        self.time_to_ready = Histogram(
            "cloudnet_time_to_ready_seconds",
            "Seconds from a resource's creation to its first Ready=True seen by this process.",
            ["kind"],
            buckets=_READY,
            registry=r,
        )
        self.drift_pass_seconds = Histogram(
            "cloudnet_drift_pass_duration_seconds",
            "Seconds one drift pass (every scope listed once) took.",
            buckets=_PASS,
            registry=r,
        )
        self._codes: set[str] = set()
        #: uids seen not Ready yet (their first Ready is timed); those seen Ready are not
        self._awaiting_ready: set[str] = set()
        self._seen: set[str] = set()
        #: (kind, namespace, name) found drifted, until they are Ready and Synced again
        self._drifted: set[tuple[str, str, str]] = set()

    # --- reconciles ---------------------------------------------------------

    def reconciled(self, kind: str, operation: str, outcome: str, seconds: float) -> None:
        self.reconciles.labels(kind, operation, outcome).inc()
        self.reconcile_seconds.labels(kind, operation).observe(seconds)

    # --- cloud calls --------------------------------------------------------

    def _code(self, code: str) -> str:
        if code in self._codes:
            return code
        if not _CODE.fullmatch(code) or len(self._codes) >= MAX_CODES:
            return OTHER_CODE
        self._codes.add(code)
        return code

    def cloud_call(self, provider: str, record: CallRecord) -> None:
        """The observer of :class:`~cloudnet.registry.ProviderRegistry`."""
        action = record.action  # our own names of the calls: a closed set
        self.cloud_calls.labels(provider, action, self._code(record.code)).inc()
        self.cloud_seconds.labels(provider, action).observe(record.seconds)
        self.rate_wait.labels(provider).observe(record.waited)
        if record.error_class == ErrorClass.THROTTLED.value:
            self.throttled.labels(provider, action).inc()

    # --- drift --------------------------------------------------------------

    def drift_pass(self, seconds: float) -> None:
        self.drift_pass_seconds.observe(seconds)

    def drifted(self, kind: str, namespace: str, name: str) -> None:
        self.drift_found.labels(kind).inc()
        self._drifted.add((kind, namespace, name))

    # --- watch events -------------------------------------------------------

    def on_event(self, kind: str, event_type: str | None, body: Mapping[str, Any]) -> None:
        """A listener of our kinds' watch events (``OperatorContext.listeners``)."""
        meta = _mapping(body.get("metadata"))
        uid = str(meta.get("uid") or "")
        key = (kind, str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        if not uid:
            return
        if event_type == "DELETED":
            self._seen.discard(uid)
            self._awaiting_ready.discard(uid)
            self._drifted.discard(key)
            return
        status = _mapping(body.get("status"))
        ready = _condition(status, "Ready")
        is_ready = ready.get("status") == "True"
        if uid not in self._seen:
            self._seen.add(uid)
            if not is_ready:
                self._awaiting_ready.add(uid)
        elif is_ready and uid in self._awaiting_ready:
            self._awaiting_ready.discard(uid)
            created = _time(meta.get("creationTimestamp"))
            # Now, not the condition's lastTransitionTime: both Kubernetes timestamps
            # have whole seconds, so a Ready within the creation's second would read
            # 0 s; the watch event arrives milliseconds after the status write.
            when = self._clock()
            if created is not None:
                self.time_to_ready.labels(kind).observe(max(0.0, (when - created).total_seconds()))
        if (
            key in self._drifted
            and is_ready
            and _condition(status, "Synced").get("status") == "True"
            and status.get("phase") == "ACTIVE"
            and not status.get("drift")
        ):
            self._drifted.discard(key)
            self.drift_corrected.labels(kind).inc()

    def names(self) -> set[str]:
        """Every sample name this registry can expose (for the dashboard's test)."""
        found: set[str] = set()
        for family in self.registry.collect():
            found.add(family.name)
            found.update(sample.name for sample in family.samples)
            if family.type == "histogram":
                found.update(f"{family.name}{suffix}" for suffix in ("_bucket", "_sum", "_count"))
            if family.type == "counter":
                found.add(f"{family.name}_total")
        return found
