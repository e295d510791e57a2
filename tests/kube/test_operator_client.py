"""The operator's Kubernetes client (handlers/kube_client.py) against the test Kubernetes API.

Over real HTTP with the official client's ApiClient: the core-group calls
(Secret read and metadata patch, Event post) that go around ``CoreV1Api``,
and how each failure reads to the caller.
"""

from __future__ import annotations

import base64
import datetime
import pathlib
import re
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from cloudnet.core.resource import Resource
from cloudnet.handlers.kube_client import KubeClient, KubeRefused, NotFoundError, load_config
from cloudnet_devkit.kubeapi import ServerHandle

DNS_SUBDOMAIN = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"


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


def _events(client: KubeClient, namespace: str = "default") -> list[dict[str, Any]]:
    listed = client._core("GET", "/api/v1/namespaces/{namespace}/events", {"namespace": namespace})
    return list(listed["items"])


def _rule(name: str, uid: str = "u-1") -> Resource:
    return Resource(
        kind="DnatRule",
        namespace="default",
        name=name,
        uid=uid,
        generation=1,
        annotations={},
        status={},
    )


async def test_a_repeated_event_is_one_event_with_a_count(client: KubeClient) -> None:
    start = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    ticks = iter(start + datetime.timedelta(seconds=s) for s in range(10))
    client.clock = lambda: next(ticks)
    rule = _rule("web")
    for _ in range(3):
        await client.post_event(rule, warning=True, reason="Throttled", message="slow down")
    # a different message, type or object is an Event of its own
    await client.post_event(rule, warning=True, reason="Throttled", message="slower")
    await client.post_event(rule, warning=False, reason="Throttled", message="slow down")
    await client.post_event(
        _rule("db", "u-2"), warning=True, reason="Throttled", message="slow down"
    )
    events = _events(client)
    assert len(events) == 4
    [repeated] = [
        e
        for e in events
        if e["message"] == "slow down"
        and e["type"] == "Warning"
        and e["involvedObject"]["name"] == "web"
    ]
    assert repeated["count"] == 3
    assert repeated["firstTimestamp"] == "2026-01-02T03:04:05Z"
    assert repeated["lastTimestamp"] == "2026-01-02T03:04:07Z"
    assert {e["count"] for e in events if e is not repeated} == {1}


async def test_an_event_deleted_meanwhile_is_created_again(client: KubeClient) -> None:
    rule = _rule("web")
    await client.post_event(rule, warning=False, reason="Updated", message="port")
    [first] = _events(client)
    client._core(
        "DELETE",
        "/api/v1/namespaces/{namespace}/events/{name}",
        {"namespace": "default", "name": first["metadata"]["name"]},
    )
    await client.post_event(rule, warning=False, reason="Updated", message="port")
    [again] = _events(client)
    assert again["metadata"]["name"] != first["metadata"]["name"]
    assert again["count"] == 1
    await client.post_event(rule, warning=False, reason="Updated", message="port")
    [counted] = _events(client)
    assert counted["metadata"]["name"] == again["metadata"]["name"] and counted["count"] == 2


@pytest.mark.parametrize("cut", ["a" * 253, "a" * 235 + ".b" * 9, "a" * 235 + "-b" * 9])
async def test_the_longest_resource_names_get_valid_event_names(
    client: KubeClient, cut: str
) -> None:
    """253 characters, and names whose cut would end a label in '.' or '-'."""
    assert len(cut) == 253
    await client.post_event(_rule(cut), warning=False, reason="Created", message="made it")
    [event] = _events(client)  # the test API refuses names a real API server refuses
    name = event["metadata"]["name"]
    assert len(name) <= 253 and re.fullmatch(DNS_SUBDOMAIN, name), name
    assert event["involvedObject"]["name"] == cut
    assert name.startswith(cut[:230])


def test_the_test_api_refuses_an_invalid_event_name(client: KubeClient) -> None:
    body = {"metadata": {"name": "web..1"}, "reason": "x", "involvedObject": {}}
    with pytest.raises(ApiException) as refused:
        client._core(
            "POST", "/api/v1/namespaces/{namespace}/events", {"namespace": "default"}, body
        )
    assert refused.value.status == 422
