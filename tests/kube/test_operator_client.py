"""The operator's Kubernetes client (handlers/kube.py) against the test Kubernetes API.

Over real HTTP with the official client's ApiClient: the core-group calls
(Secret read and metadata patch, Event post) that go around ``CoreV1Api``,
and how each failure reads to the caller.
"""

from __future__ import annotations

import base64
import pathlib
from typing import Any

import pytest

from cloudnet.core.resource import Resource
from cloudnet.handlers.kube import KubeClient, KubeRefused, NotFoundError, load_config
from cloudnet.kube.testing import ServerHandle


@pytest.fixture()
def client(
    kube_server: ServerHandle, kubeconfig: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> KubeClient:
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    return KubeClient(load_config())


def _secret(client: KubeClient, data: dict[str, str]) -> dict[str, Any]:
    body = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "creds", "namespace": "default"},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }
    return client._core(
        "POST", "/api/v1/namespaces/{namespace}/secrets", {"namespace": "default"}, body
    )


async def test_a_secret_is_read_decoded_with_its_version(client: KubeClient) -> None:
    created = _secret(client, {"accessKeyId": "AK", "accessKeySecret": "s3cret"})
    data, version = await client.get_secret("default", "creds")
    assert data == {"accessKeyId": "AK", "accessKeySecret": "s3cret"}
    meta = created["metadata"]
    assert version == f"{meta['uid']}/{meta['resourceVersion']}"
    with pytest.raises(NotFoundError, match="'nope' not found in namespace 'default'"):
        await client.get_secret("default", "nope")


async def test_a_secret_metadata_patch_honours_its_precondition(client: KubeClient) -> None:
    _secret(client, {"k": "v"})
    meta = await client.get_secret_metadata("default", "creds")
    assert meta is not None and "data" not in meta
    await client.patch_secret_metadata(
        "default",
        "creds",
        {"resourceVersion": meta["resourceVersion"], "labels": {"cloudnet.dev/in-use": "true"}},
    )
    after = await client.get_secret_metadata("default", "creds")
    assert after is not None and after["labels"] == {"cloudnet.dev/in-use": "true"}
    with pytest.raises(KubeRefused, match="409"):  # the version moved with our own write
        await client.patch_secret_metadata(
            "default", "creds", {"resourceVersion": meta["resourceVersion"], "labels": {}}
        )
    assert await client.get_secret_metadata("default", "gone") is None


async def test_an_event_is_posted_and_a_refused_one_only_logged(
    client: KubeClient, caplog: pytest.LogCaptureFixture
) -> None:
    resource = Resource(
        kind="DnatRule",
        namespace="default",
        name="web",
        uid="u-1",
        generation=1,
        annotations={},
        status={},
    )
    await client.post_event(resource, warning=True, reason="Created", message="made it")
    listed = client._core("GET", "/api/v1/namespaces/{namespace}/events", {"namespace": "default"})
    [event] = listed["items"]
    assert (event["reason"], event["message"], event["type"]) == ("Created", "made it", "Warning")
    assert event["involvedObject"]["uid"] == "u-1"
    nowhere = Resource(
        kind="DnatRule",
        namespace="no-such-ns",
        name="x",
        uid="u",
        generation=1,
        annotations={},
        status={},
    )
    await client.post_event(nowhere, warning=False, reason="Created", message="lost")
    assert "could not post event Created" in caplog.text
