"""Leader election on a ``coordination.k8s.io/v1`` Lease: exactly one ``cloudnet run`` acts.

Why a Lease and not kopf's peering: kopf 1.45's peering pauses *all*
operators of equal priority (replicas of one Deployment are equal), so two
replicas would serve nobody; and a paused kopf only closes its watch
streams: handlers already queued or running, and our own drift loop, carry on
(kopf issue #1266), with no deadline after which they are known to have
stopped. That is no fence.

The algorithm is client-go's ``leaderelection`` (what controller-runtime
uses), with its defaults: lease 15 s, renew deadline 10 s, retry 2 s.

* A standby never starts kopf: until it holds the Lease, the only calls it
  makes are reads (and, on expiry, one conditional update) of that Lease.
* Expiry is judged on the standby's own monotonic clock: a Lease counts as
  expired ``leaseDurationSeconds`` after this process last *saw it change*,
  never by comparing ``renewTime`` with local wall time, so clock skew between
  nodes cannot make two leaders.
* Every write is a PUT carrying the ``resourceVersion`` read just before it:
  of two standbys racing for an expired Lease one gets 409 and stays standby.
* The leader renews every retry period; a watchdog thread, which makes no
  I/O and so cannot be stuck in a call, ends the process with ``os._exit``
  when no renewal has succeeded for the renew deadline. The lease duration
  minus the renew deadline (5 s by default) is the margin between the old
  leader's certain exit and the earliest moment a standby may act.
* A clean stop (SIGTERM, SIGINT) releases the Lease after kopf has stopped,
  so a rolling update hands over at once instead of after a lease duration.

Hand-written rather than ``kubernetes.leaderelection`` (the official
client's): that one has no per-request timeout, so a renewal stuck in a call
outlives the renew deadline and two processes act at once; it never releases
the Lease on a clean stop; and its durations are whole seconds.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import http.server
import json
import logging
import math
import os
import random
import socket
import string
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import kubernetes

logger = logging.getLogger(__name__)

DEFAULT_ID = "cloudnet-operator"
DEFAULT_LEASE_DURATION = 15.0
DEFAULT_RENEW_DEADLINE = 10.0
DEFAULT_RETRY_PERIOD = 2.0
#: client-go's JitterFactor: the renew deadline must leave room for a jittered retry.
JITTER_FACTOR = 1.2
SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
#: Exit status when the lease is lost (controller-runtime exits non-zero too).
LOST_EXIT_CODE = 1
#: What a refused Lease call most likely means, said where the operator's user reads it.
_CREATE_HINTS = {
    403: "creating the Lease is forbidden (HTTP 403): the service account needs create "
    "on leases in the election namespace",
    404: "cannot create the Lease (HTTP 404): its namespace does not exist "
    "(--leader-election-namespace)",
}
_READ_HINTS = {
    401: "reading the Lease is unauthorized (HTTP 401): the service account token is not accepted",
    403: "reading the Lease is forbidden (HTTP 403): the service account needs get on leases "
    "in the election namespace",
}


def default_identity() -> str:
    """The pod name (downward API ``POD_NAME``, else the hostname) + a random suffix.

    The suffix keeps a restarted container (same pod name) from being taken
    for the process that held the Lease before it.
    """
    base = os.environ.get("POD_NAME") or socket.gethostname() or "cloudnet"
    suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=8))
    return f"{base}_{suffix}"


def default_namespace() -> str:
    """``POD_NAMESPACE``, else the service account's namespace in a pod, else ``default``."""
    if namespace := os.environ.get("POD_NAMESPACE"):
        return namespace
    try:
        return SERVICE_ACCOUNT_NAMESPACE.read_text().strip() or "default"
    except OSError:
        return "default"


@dataclass(frozen=True)
class ElectionSettings:
    namespace: str
    name: str = DEFAULT_ID
    lease_duration: float = DEFAULT_LEASE_DURATION
    renew_deadline: float = DEFAULT_RENEW_DEADLINE
    retry_period: float = DEFAULT_RETRY_PERIOD
    identity: str = field(default_factory=default_identity)

    def __post_init__(self) -> None:
        # The fence holds only if the leader gives up before a standby may take over.
        if not self.retry_period > 0:
            raise ValueError("--leader-election-retry-period: must be greater than 0")
        if not self.renew_deadline > JITTER_FACTOR * self.retry_period:
            raise ValueError(
                "--leader-election-renew-deadline: must be greater than "
                f"{JITTER_FACTOR} x --leader-election-retry-period"
            )
        if not self.lease_duration > self.renew_deadline:
            raise ValueError(
                "--leader-election-lease-duration: must be greater than "
                "--leader-election-renew-deadline"
            )
        if not self.name or not self.namespace:
            raise ValueError("--leader-election-id / --leader-election-namespace: must be set")

    @property
    def lease_seconds(self) -> int:
        """``leaseDurationSeconds`` is an integer; rounding up only lengthens the wait."""
        return max(1, math.ceil(self.lease_duration))


def _micro_time(moment: datetime.datetime) -> str:
    """Kubernetes ``MicroTime``: RFC 3339 in UTC with microseconds."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _lost() -> None:
    """Stop acting at once: kopf's graceful stop would let running handlers go on writing."""
    logger.critical("leader election lost: the lease was not renewed in time; exiting now")
    for stream in (sys.stderr, sys.stdout):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(LOST_EXIT_CODE)


class LeaseAPI:
    """get / create / replace of one Lease through the official client's ApiClient.

    Raw JSON rather than ``CoordinationV1Api``: the models would parse and
    re-serialise ``MicroTime`` through naive datetimes for nothing. The
    ApiClient is the elector's own (its own connection pool), so renewals never
    queue behind the operator's Kubernetes calls.
    """

    def __init__(self, api: kubernetes.client.ApiClient, settings: ElectionSettings) -> None:
        self.api = api
        self.path = (
            f"/apis/coordination.k8s.io/v1/namespaces/{settings.namespace}/leases/{settings.name}"
        )
        self.collection = self.path.rsplit("/", 1)[0]

    def call(self, method: str, path: str, body: Any, timeout: float) -> tuple[int, dict[str, Any]]:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        method, url, headers, body, post = self.api.param_serialize(
            method=method,
            resource_path=path,
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        response = self.api.call_api(
            method, url, headers, body, post, _request_timeout=max(0.05, timeout)
        )
        data = response.read()  # type: ignore[no-untyped-call]
        try:
            decoded = json.loads(data) if data else {}
        except ValueError:
            decoded = {}
        return int(response.status), decoded if isinstance(decoded, dict) else {}

    def get(self, timeout: float) -> tuple[int, dict[str, Any]]:
        return self.call("GET", self.path, None, timeout)

    def create(self, lease: dict[str, Any], timeout: float) -> tuple[int, dict[str, Any]]:
        return self.call("POST", self.collection, lease, timeout)

    def replace(self, lease: dict[str, Any], timeout: float) -> tuple[int, dict[str, Any]]:
        return self.call("PUT", self.path, lease, timeout)


class LeaseElector:
    """Acquire the Lease (blocking), then keep it from two threads, or release it."""

    def __init__(
        self,
        settings: ElectionSettings,
        api: LeaseAPI,
        *,
        on_lost: Callable[[], None] = _lost,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.api = api
        self.on_lost = on_lost
        self.clock = clock
        self._observed: tuple[Any, ...] | None = None
        self._observed_at = 0.0
        self._renewed_at = 0.0  # start of the last successful acquire/renew attempt
        self._leading = False
        self._problem_text: str | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def observed_holder(self) -> str | None:
        """The holder this process last saw (for the standby's health answer)."""
        return str(self._observed[0]) if self._observed and self._observed[0] else None

    # -- one attempt, as client-go's tryAcquireOrRenew ------------------------------------

    def try_acquire_or_renew(self, timeout: float) -> bool:
        """One read and at most one conditional write; True if this process holds the Lease."""
        me = self.settings.identity
        now = datetime.datetime.now(datetime.UTC)
        status, lease = self.api.get(timeout)
        spec_new = {
            "holderIdentity": me,
            "leaseDurationSeconds": self.settings.lease_seconds,
            "acquireTime": _micro_time(now),
            "renewTime": _micro_time(now),
            "leaseTransitions": 0,
        }
        if status == 404:
            created, _ = self.api.create(
                {
                    "apiVersion": "coordination.k8s.io/v1",
                    "kind": "Lease",
                    "metadata": {"name": self.settings.name, "namespace": self.settings.namespace},
                    "spec": spec_new,
                },
                timeout,
            )
            if created in (200, 201):
                self._problem(None)
                return True
            if created != 409:  # 409: another candidate created it first
                self._problem(
                    _CREATE_HINTS.get(created, f"creating the Lease answered HTTP {created}")
                )
            return False
        if status != 200:
            self._problem(_READ_HINTS.get(status, f"reading the Lease answered HTTP {status}"))
            return False
        self._problem(None)
        spec = dict(lease.get("spec") or {})
        record = tuple(
            spec.get(k)
            for k in (
                "holderIdentity",
                "leaseDurationSeconds",
                "acquireTime",
                "renewTime",
                "leaseTransitions",
            )
        )
        holder = str(spec.get("holderIdentity") or "")
        if record != self._observed:
            if self._observed is not None and holder != (self._observed[0] or ""):
                logger.info("leader election: the Lease is now held by %r", holder or None)
            self._observed, self._observed_at = record, self.clock()
        duration = float(spec.get("leaseDurationSeconds") or self.settings.lease_seconds)
        if holder and holder != me and self._observed_at + duration > self.clock():
            return False  # held by another and not expired on our clock
        if holder == me:
            spec_new["acquireTime"] = spec.get("acquireTime") or spec_new["acquireTime"]
            spec_new["leaseTransitions"] = int(spec.get("leaseTransitions") or 0)
        else:
            spec_new["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + 1
        lease["spec"] = {**spec, **spec_new}
        replaced, body = self.api.replace(lease, timeout)
        if replaced != 200:
            return False  # 409: another candidate wrote first
        new_spec = (body.get("spec") or lease["spec"]) if body else lease["spec"]
        self._observed = tuple(
            new_spec.get(k)
            for k in (
                "holderIdentity",
                "leaseDurationSeconds",
                "acquireTime",
                "renewTime",
                "leaseTransitions",
            )
        )
        self._observed_at = self.clock()
        return True

    def _attempt(self, timeout: float) -> bool:
        try:
            return self.try_acquire_or_renew(timeout)
        except Exception as exc:  # any failure is one failed attempt
            self._problem(f"the Lease call failed: {type(exc).__name__}")
            return False

    @property
    def problem(self) -> str | None:
        """Why the last attempt could not even compete (None: it could, win or lose)."""
        return self._problem_text

    def _problem(self, text: str | None) -> None:
        """Log a new reason once, as a warning: a standby that cannot write the Lease
        never takes over, and retrying quietly would hide it until the leader dies."""
        if text and text != self._problem_text:
            logger.warning(
                "leader election: %s; retrying every %.1fs", text, self.settings.retry_period
            )
        elif not text and self._problem_text:
            logger.info("leader election: the Lease answers again")
        self._problem_text = text

    # -- the standby ------------------------------------------------------------------------

    def acquire(self) -> None:
        """Block until this process holds the Lease; a standby does nothing else meanwhile."""
        s = self.settings
        logger.info(
            "leader election: %s wants Lease %s/%s "
            "(lease %.1fs, renew deadline %.1fs, retry %.1fs)",
            s.identity,
            s.namespace,
            s.name,
            s.lease_duration,
            s.renew_deadline,
            s.retry_period,
        )
        waiting_logged = False
        while True:
            started = self.clock()
            if self._attempt(s.renew_deadline):
                self._renewed_at = started
                self._leading = True
                logger.info("leader election: %s holds the Lease; starting", s.identity)
                return
            if not waiting_logged and self._observed is not None:
                logger.info(
                    "leader election: standing by, the Lease is held by %r", self._observed[0]
                )
                waiting_logged = True
            time.sleep(s.retry_period * (1 + random.random() * (JITTER_FACTOR - 1)))

    # -- the leader ---------------------------------------------------------------------------

    def start_renewing(self) -> None:
        """Renew every retry period; a watchdog ends the process past the renew deadline."""
        for target, name in ((self._renew_loop, "lease-renew"), (self._watchdog, "lease-watchdog")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _renew_loop(self) -> None:
        s = self.settings
        while not self._stop.wait(s.retry_period):
            started = self.clock()
            remaining = self._renewed_at + s.renew_deadline - started
            if remaining <= 0:
                return  # the watchdog ends the process
            if self._attempt(remaining):
                self._renewed_at = started
            elif self.observed_holder not in (None, s.identity) and not self._stop.is_set():
                # Someone else holds it (an edit, a deleted and re-created Lease): no
                # point waiting out the deadline while that holder may already act.
                logger.warning("leader election: the Lease is held by %r", self.observed_holder)
                self.on_lost()
                return
            elif not self._stop.is_set():
                logger.warning(
                    "leader election: renewal failed; %.1fs left before giving up", remaining
                )

    def _watchdog(self) -> None:
        """No I/O here: this thread cannot be stuck in a call, so the deadline always holds."""
        s = self.settings
        while not self._stop.is_set():
            remaining = self._renewed_at + s.renew_deadline - self.clock()
            if remaining <= 0:
                if not self._stop.is_set():
                    self.on_lost()
                return
            self._stop.wait(min(remaining, s.retry_period / 4))

    def release(self) -> None:
        """After kopf has stopped: give the Lease up so a standby takes over at once."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.settings.renew_deadline)
        if not self._leading:
            return
        self._leading = False
        now = _micro_time(datetime.datetime.now(datetime.UTC))
        try:
            status, lease = self.api.get(self.settings.retry_period)
            spec = dict(lease.get("spec") or {})
            if status != 200 or spec.get("holderIdentity") != self.settings.identity:
                return
            # client-go's release: no holder, a 1 s lease, so the next candidate wins now.
            lease["spec"] = {
                **spec,
                "holderIdentity": "",
                "leaseDurationSeconds": 1,
                "acquireTime": now,
                "renewTime": now,
            }
            status, _ = self.api.replace(lease, self.settings.retry_period)
            if status == 200:
                logger.info("leader election: released the Lease")
        except Exception as exc:  # the Lease then expires on its own
            logger.info("leader election: release failed (%s); it expires", type(exc).__name__)


class StandbyHealth:
    """Answers the health URLs while this process stands by; closed before kopf starts.

    kopf serves its liveness endpoint only after its startup, which a standby
    never reaches: without this, a liveness probe would restart every standby
    pod, and a readiness probe would hold a rolling update forever (the surge
    pod stands by until the old pod goes, and ``maxUnavailable: 0`` waits for
    it to be Ready first). The answer says ``standby`` (200), or 503 with the
    reason while the Lease cannot even be competed for (its namespace missing,
    RBAC), so that a standby that could never take over does not look healthy.
    ``/metrics`` on the metrics port answers an empty exposition: a scraper
    then sees a standby as up with no series, not as a failing target. The
    ports are free again when kopf binds them. The stdlib server suffices:
    one GET per probe.
    """

    def __init__(
        self, urls: Sequence[str], elector: LeaseElector, *, metrics_port: int | None = None
    ) -> None:
        self.servers: list[http.server.ThreadingHTTPServer] = []
        paths: dict[tuple[str, int], set[str]] = {}
        for url in urls:
            parsed = urllib.parse.urlsplit(url)
            if not parsed.hostname or not parsed.port:
                raise ValueError(f"{url!r}: expected http://HOST:PORT/PATH")
            paths.setdefault((parsed.hostname, parsed.port), set()).add(parsed.path or "/")
        for (host, port), served in paths.items():
            handler = _standby_handler(frozenset(served), elector, metrics=port == metrics_port)
            server = http.server.ThreadingHTTPServer((host, port), handler)
            server.daemon_threads = True
            self.servers.append(server)

    def __enter__(self) -> StandbyHealth:
        for server in self.servers:
            # a short poll: closing the server is on the take-over path
            serve = functools.partial(server.serve_forever, poll_interval=0.05)
            threading.Thread(target=serve, name="standby-health", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


def _standby_handler(
    paths: frozenset[str], elector: LeaseElector, *, metrics: bool
) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urllib.parse.urlsplit(self.path).path
            if metrics and path == "/metrics":
                self._answer(200, b"# standby: the Lease holder serves the metrics\n", "text/plain")
                return
            if path not in paths:
                self.send_error(404)
                return
            problem = elector.problem
            answer = {"standby": True, "holder": elector.observed_holder}
            if problem:
                answer["problem"] = problem
            self._answer(503 if problem else 200, json.dumps(answer).encode(), "application/json")

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # one line per probe would drown the log

    return Handler
