"""The Lease elector against the test Kubernetes API: what "exactly one acts" rests on.

Clocks are injected where the test is about expiry (no waiting for a lease to
run out); the watchdog test runs on the real clock because it is about time.
"""

from __future__ import annotations

import pathlib
import threading
import time
from typing import Any

import kubernetes
import pytest

from cloudnet.handlers.leader import ElectionSettings, LeaseAPI, LeaseElector
from cloudnet_devkit.kubeapi.runner import ServerHandle
from tests.wait_kit import wait_until

NS, NAME = "default", "cloudnet-operator"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def api_client(kube_server: ServerHandle, tmp_path: pathlib.Path) -> kubernetes.client.ApiClient:
    path = kube_server.kubeconfig(tmp_path / "kubeconfig")
    config = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(config_file=str(path), client_configuration=config)  # type: ignore[no-untyped-call]
    return kubernetes.client.ApiClient(config)


def settings(identity: str, **durations: float) -> ElectionSettings:
    return ElectionSettings(namespace=NS, name=NAME, identity=identity, **durations)


@pytest.fixture()
def client(kube_server: ServerHandle, tmp_path: pathlib.Path) -> kubernetes.client.ApiClient:
    return api_client(kube_server, tmp_path)


def elector(client: kubernetes.client.ApiClient, identity: str, clock: Clock) -> LeaseElector:
    s = settings(identity)
    return LeaseElector(s, LeaseAPI(client, s), clock=clock, on_lost=lambda: None)


def quick_pair(client: kubernetes.client.ApiClient) -> tuple[LeaseElector, LeaseElector]:
    """Two candidates on the real clock that keep a Lease for a minute once won."""
    quick = {"lease_duration": 60, "renew_deadline": 0.5, "retry_period": 0.1}
    a = LeaseElector(settings("a", **quick), LeaseAPI(client, settings("a")), on_lost=lambda: None)
    b = LeaseElector(settings("b", **quick), LeaseAPI(client, settings("b")), on_lost=lambda: None)
    return a, b


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spec(client: kubernetes.client.ApiClient) -> dict[str, Any]:
    status, lease = LeaseAPI(client, settings("reader")).get(5)
    assert status == 200
    return dict(lease["spec"])


def test_the_test_api_serves_leases_as_the_elector_needs(
    client: kubernetes.client.ApiClient,
) -> None:
    api = LeaseAPI(client, settings("x"))
    body = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": NAME, "namespace": NS},
        "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15},
    }
    assert api.get(5)[0] == 404
    assert api.create(body, 5)[0] == 201
    assert api.create(body, 5)[0] == 409  # AlreadyExists: of two creators one wins
    status, lease = api.get(5)
    assert status == 200
    stale = {**lease, "spec": {**lease["spec"], "holderIdentity": "b"}}
    assert api.replace(stale, 5)[0] == 200
    assert api.replace(stale, 5)[0] == 409  # its resourceVersion is now old
    assert (
        api.call("GET", "/apis/coordination.k8s.io/v1", None, 5)[1]["resources"][0]["name"]
        == "leases"
    )


def test_settings_refuse_durations_that_leave_no_fence() -> None:
    with pytest.raises(ValueError, match="--leader-election-lease-duration: must be greater"):
        settings("a", lease_duration=10, renew_deadline=10)
    with pytest.raises(ValueError, match="--leader-election-renew-deadline: must be greater"):
        settings("a", renew_deadline=2, retry_period=2)
    with pytest.raises(ValueError, match="--leader-election-retry-period"):
        settings("a", retry_period=0)
    assert settings("a", lease_duration=2.5, renew_deadline=2, retry_period=1).lease_seconds == 3


def test_one_holder_and_a_take_over_only_after_a_full_lease_on_the_standbys_clock(
    client: kubernetes.client.ApiClient,
) -> None:
    a_clock, b_clock = Clock(), Clock()
    a, b = elector(client, "a", a_clock), elector(client, "b", b_clock)
    assert a.try_acquire_or_renew(5)
    assert not b.try_acquire_or_renew(5)  # b first sees the Lease now, on its own clock
    b_clock.now += 14.9
    assert not b.try_acquire_or_renew(5)
    a_clock.now += 2
    assert a.try_acquire_or_renew(5)  # a renews: the record changes
    b_clock.now += 14.9  # 29.8 s after b first saw the Lease: but b sees the renewal now
    assert not b.try_acquire_or_renew(5)
    b_clock.now += 14.9
    assert not b.try_acquire_or_renew(5)
    b_clock.now += 0.2  # a full lease since b saw the last change: expired on b's clock
    assert b.try_acquire_or_renew(5)
    taken = spec(client)
    assert taken["holderIdentity"] == "b" and taken["leaseTransitions"] == 1
    assert not a.try_acquire_or_renew(5)  # the old leader cannot renew any more


def test_of_two_standbys_racing_for_an_expired_lease_one_wins(
    client: kubernetes.client.ApiClient,
) -> None:
    clock = Clock()
    assert elector(client, "dead", clock).try_acquire_or_renew(5)
    b, c = elector(client, "b", clock), elector(client, "c", clock)
    assert not b.try_acquire_or_renew(5) and not c.try_acquire_or_renew(5)
    clock.now += 16

    class Interleaved(LeaseAPI):
        """c's write goes out after b's whole attempt, with what c read before it."""

        def replace(self, lease: dict[str, Any], timeout: float) -> tuple[int, dict[str, Any]]:
            assert b.try_acquire_or_renew(5)
            return super().replace(lease, timeout)

    c.api = Interleaved(client, c.settings)
    assert not c.try_acquire_or_renew(5)
    assert spec(client)["holderIdentity"] == "b"


def test_a_release_lets_the_standby_take_over_at_once(client: kubernetes.client.ApiClient) -> None:
    clock = Clock()
    a, b = elector(client, "a", clock), elector(client, "b", clock)
    a.acquire()
    assert not b.try_acquire_or_renew(5)
    a.release()
    assert spec(client)["holderIdentity"] == ""
    assert b.try_acquire_or_renew(5)  # no clock advance needed


def test_the_watchdog_ends_the_leader_at_the_renew_deadline_even_if_a_call_hangs(
    client: kubernetes.client.ApiClient,
) -> None:
    s = settings("a", lease_duration=0.6, renew_deadline=0.4, retry_period=0.1)
    lost = threading.Event()
    a = LeaseElector(s, LeaseAPI(client, s), on_lost=lost.set)
    a.acquire()
    renewed_at = time.monotonic()
    a.start_renewing()
    assert not lost.wait(0.3)  # renewals succeed meanwhile

    hang = threading.Event()

    def stuck(timeout: float) -> tuple[int, dict[str, Any]]:
        hang.wait(5)
        return 500, {}

    a.api.get = stuck  # type: ignore[method-assign]
    stuck_at = time.monotonic()
    assert lost.wait(2), "the watchdog did not fire"
    fired = time.monotonic()
    hang.set()
    # at most one renew deadline after the last successful renewal began
    assert fired - stuck_at <= s.renew_deadline + 0.2
    assert fired - renewed_at >= s.renew_deadline


def test_cloudnet_run_refuses_a_renew_deadline_past_the_lease(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from cloudnet.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["run", "--leader-elect", "--leader-election-renew-deadline", "20"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "--leader-election-lease-duration: must be greater than" in err


def test_a_standby_answers_the_probe_urls_until_it_wins_then_frees_the_port(
    client: kubernetes.client.ApiClient,
) -> None:
    import socket

    import httpx

    from cloudnet.handlers.leader import StandbyHealth

    a, b = quick_pair(client)
    a.acquire()
    port = _free_port()
    url = f"http://127.0.0.1:{port}/healthz"
    won = threading.Event()

    def stand_by() -> None:
        with StandbyHealth([url], b):
            b.acquire()
        won.set()

    thread = threading.Thread(target=stand_by, daemon=True)
    thread.start()

    def read_once() -> httpx.Response | None:
        try:
            answer = httpx.get(url, timeout=2)
        except httpx.TransportError:
            return None
        return answer if answer.json()["holder"] else None

    answer = wait_until(
        read_once, timeout=10, interval=0.02, what="the standby to have read the Lease once"
    )
    assert answer.status_code == 200
    assert answer.json() == {"standby": True, "holder": "a"}
    assert httpx.get(f"http://127.0.0.1:{port}/other", timeout=2).status_code == 404
    assert not won.is_set()

    a.release()
    assert won.wait(5)
    with pytest.raises(httpx.TransportError):
        httpx.get(url, timeout=2)
    with socket.socket() as sock:  # free for kopf's own liveness server
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))


def test_a_leader_that_finds_another_holder_stops_at_once(
    client: kubernetes.client.ApiClient,
) -> None:
    s = settings("a", lease_duration=30, renew_deadline=20, retry_period=0.05)
    lost = threading.Event()
    a = LeaseElector(s, LeaseAPI(client, s), on_lost=lost.set)
    a.acquire()
    a.start_renewing()
    api = LeaseAPI(client, s)
    _, lease = api.get(5)
    lease["spec"]["holderIdentity"] = "intruder"
    assert api.replace(lease, 5)[0] == 200
    started = time.monotonic()
    assert lost.wait(2), "the leader went on after another took the Lease"
    assert time.monotonic() - started < 1  # not the 20 s renew deadline
    a.release()
    assert spec(client)["holderIdentity"] == "intruder"  # a release never clears another's


def test_a_standby_serves_shared_ports_and_an_empty_metrics_page(
    client: kubernetes.client.ApiClient,
) -> None:
    """The chart's layout: readiness on the metrics port, liveness on its own."""
    import httpx

    from cloudnet.handlers.leader import StandbyHealth

    a, b = quick_pair(client)
    a.acquire()
    assert not b.try_acquire_or_renew(2)  # b has read the Lease: it knows the holder
    metrics, live = _free_port(), _free_port()
    urls = [
        f"http://127.0.0.1:{live}/healthz",
        f"http://127.0.0.1:{metrics}/readyz",
        f"http://127.0.0.1:{metrics}/metrics",
    ]
    try:
        with StandbyHealth(urls, b, metrics_port=metrics):
            for url in urls[:2]:
                answer = httpx.get(url, timeout=2)
                assert (answer.status_code, answer.json()) == (
                    200,
                    {"standby": True, "holder": "a"},
                )
            scrape = httpx.get(urls[2], timeout=2)
            assert scrape.status_code == 200 and scrape.headers["content-type"] == "text/plain"
            assert all(line.startswith("#") for line in scrape.text.splitlines())  # no series
            assert httpx.get(f"http://127.0.0.1:{live}/metrics", timeout=2).status_code == 404
    finally:
        a.release()


def test_a_lease_that_cannot_be_created_is_said_and_fails_the_standbys_probes(
    client: kubernetes.client.ApiClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A missing election namespace: the standby could never take over, so it must not look fine."""
    import httpx

    from cloudnet.handlers.leader import StandbyHealth

    s = ElectionSettings(namespace="no-such-namespace", name=NAME, identity="b", retry_period=0.1)
    b = LeaseElector(s, LeaseAPI(client, s), on_lost=lambda: None)
    with caplog.at_level("WARNING", logger="cloudnet.handlers.leader"):
        assert not b._attempt(2)
        assert not b._attempt(2)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1, warnings  # said once, not at every retry
    assert (
        "namespace does not exist" in warnings[0] and "--leader-election-namespace" in warnings[0]
    )
    assert b.problem and "404" in b.problem
    port = _free_port()
    with StandbyHealth([f"http://127.0.0.1:{port}/healthz"], b):
        answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    assert answer.status_code == 503
    assert "namespace does not exist" in answer.json()["problem"]
