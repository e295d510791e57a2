"""The endpoint allow-list through the real ``cloudnet run`` process.

A ProviderConfig pointing at an endpoint the operator was not told to allow
is reported on the resource, naming ``spec.endpoint`` and the rule, and not
a single connection reaches that endpoint (a listening socket that nobody
accepts on: the kernel would queue any connection, so ``accept`` tells).
A delete whose ProviderConfig turned to a refused endpoint keeps the
finalizer and the cloud rule until the endpoint is allowed again.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.harness import Cluster, dnat_rule, wait_for

pytestmark = pytest.mark.integration

DELETE = "DeleteNatGatewayDnatRule"


@pytest.fixture()
def trap() -> Iterator[socket.socket]:
    """A loopback port that listens and never accepts: any connection stays queued."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    yield sock
    sock.close()


def _connected(sock: socket.socket) -> bool:
    try:
        sock.accept()[0].close()
    except BlockingIOError:
        return False
    return True


def _condition(status: dict[str, Any], kind: str) -> dict[str, Any]:
    return next((c for c in status.get("conditions") or [] if c.get("type") == kind), {})


def _provider_config(cluster: Cluster, name: str, endpoint: str) -> dict[str, Any]:
    config = next(
        m for m in cluster.base_manifests() if m.get("metadata", {}).get("name") == "huawei"
    )
    return {**config, "metadata": {"name": name, "namespace": "demo"},
            "spec": {**config["spec"], "endpoint": endpoint}}  # fmt: skip


def test_a_refused_endpoint_is_reported_and_never_contacted(
    cluster: Cluster, trap: socket.socket
) -> None:
    url = f"http://127.0.0.1:{trap.getsockname()[1]}"
    cluster.kubectl.apply(_provider_config(cluster, "elsewhere", url))
    cluster.kubectl.apply(dnat_rule("lured", external_port=8484, provider_config="elsewhere"))

    status = cluster.wait_phase("lured", "ERROR")
    synced = _condition(status, "Synced")
    assert synced["reason"] == "InvalidSpec"
    message = synced["message"]
    assert "ProviderConfig 'elsewhere' spec.endpoint is refused" in message
    assert "loopback" in message and f"--allow-endpoint {url}" in message
    events = cluster.events("lured")
    assert any("spec.endpoint is refused" in e.get("message", "") for e in events)
    assert not _connected(trap)

    # Nothing was created, so the delete has nothing to wait for.
    cluster.kubectl("delete", "dnat", "lured", "-n", "demo", "--timeout=30s")
    assert not _connected(trap)


def test_a_delete_waits_while_the_endpoint_is_refused(
    cluster: Cluster, trap: socket.socket
) -> None:
    cluster.kubectl.apply(_provider_config(cluster, "movable", cluster.sim.url))
    cluster.kubectl.apply(dnat_rule("anchored", external_port=8585, provider_config="movable"))
    rule_id = cluster.wait_phase("anchored", "ACTIVE")["externalId"]

    url = f"http://127.0.0.1:{trap.getsockname()[1]}"
    cluster.kubectl.apply(_provider_config(cluster, "movable", url))
    cluster.kubectl("delete", "dnat", "anchored", "-n", "demo", "--wait=false")
    synced = wait_for(
        lambda: (
            "spec.endpoint is refused"
            in (c := _condition(cluster.status("anchored"), "Synced")).get("message", "")
            and c
        ),
        timeout=30,
        what="the refused endpoint on the deleting rule",
    )
    assert "the cloud object stays" in synced["message"]
    assert cluster.get("anchored")["metadata"]["finalizers"]
    assert [r["id"] for r in cluster.sim.rules()] == [rule_id]
    assert cluster.sim.requests(DELETE) == []
    assert not _connected(trap)

    cluster.kubectl.apply(_provider_config(cluster, "movable", cluster.sim.url))
    wait_for(lambda: not cluster.get("anchored"), timeout=40, what="the delete to finish")
    assert cluster.sim.rules() == []
    assert not _connected(trap)
