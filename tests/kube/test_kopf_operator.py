"""A real kopf operator against the test API: finalizer, create handler with status, delete."""

import kopf
import pytest
from kopf.testing import KopfRunner

from cloudnet_devkit.kubeapi import ServerHandle
from tests.wait_kit import wait_until

FINALIZER = "test.cloudnet.dev/finalizer"


def build_operator(
    server: ServerHandle, seen: list[str]
) -> tuple[kopf.OperatorRegistry, kopf.OperatorSettings]:
    registry = kopf.OperatorRegistry()
    settings = kopf.OperatorSettings()
    settings.persistence.finalizer = FINALIZER
    settings.watching.server_timeout = 10
    settings.watching.client_timeout = 15
    settings.networking.request_timeout = 10

    @kopf.on.login(registry=registry)
    def login(**_):
        return kopf.ConnectionInfo(server=server.url, insecure=True)

    @kopf.on.create("test.cloudnet.dev", "v1", "widgets", registry=registry)
    def created(name, spec, patch, body, **_):
        seen.append(f"create:{name}")
        # kopf 1.45 posts no handler logs as Events unless configured: post one explicitly.
        kopf.info(body, reason="Created", message=f"widget {name} created")
        patch.status["phase"] = "ACTIVE"
        patch.status["size"] = spec.get("size")

    @kopf.on.delete("test.cloudnet.dev", "v1", "widgets", registry=registry)
    def deleted(name, **_):
        seen.append(f"delete:{name}")

    return registry, settings


@pytest.fixture()
def operator(kube_server, kubectl, widget_crd):
    seen: list[str] = []
    registry, settings = build_operator(kube_server, seen)
    runner = KopfRunner(
        ["run", "--standalone", "--all-namespaces"],
        registry=registry,
        settings=settings,
        timeout=30,
    )
    with runner:
        yield seen
    assert runner.exception is None, runner.output


def test_kopf_operator_lifecycle(operator, kubectl):
    kubectl.apply("""
apiVersion: test.cloudnet.dev/v1
kind: Widget
metadata: {name: w1, namespace: default}
spec: {size: 3}
""")
    kubectl("wait", "--for=jsonpath={.status.phase}=ACTIVE", "wdg/w1", "--timeout=30s")
    obj = kubectl.json("get", "wdg", "w1")
    assert FINALIZER in obj["metadata"]["finalizers"]
    assert obj["status"]["size"] == 3
    assert operator == ["create:w1"]

    # kopf posts Events for its handlers: they must be creatable and listable.
    events = wait_until(
        lambda: kubectl.json("get", "events", "--field-selector", "involvedObject.name=w1")[
            "items"
        ],
        timeout=10,
        interval=0.2,
        what="kopf's Events for w1",
    )
    assert any("created" in e.get("message", "") for e in events)

    kubectl("delete", "wdg", "w1", "--timeout=30s")
    assert operator == ["create:w1", "delete:w1"]
    assert kubectl("get", "wdg", "w1", check=False).returncode != 0
