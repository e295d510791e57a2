"""API semantics over plain HTTP: what kopf and kubectl depend on beyond the happy path."""

import json
import threading

import httpx
import pytest
import yaml

from cloudnet_devkit.kubeapi import TestKubeAPI, serve
from tests.wait_kit import wait_until

CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
WIDGETS = "/apis/test.cloudnet.dev/v1/namespaces/default/widgets"
MERGE = {"Content-Type": "application/merge-patch+json"}
JSON_PATCH = {"Content-Type": "application/json-patch+json"}


@pytest.fixture()
def client(kube_server, manifests):
    with httpx.Client(base_url=kube_server.url, timeout=10) as http:
        crd = yaml.safe_load((manifests / "widget-crd.yaml").read_text())
        assert http.post(CRD_PATH, json=crd).status_code == 201
        yield http


def make(client, name="w1", size=1, **meta):
    body = {
        "apiVersion": "test.cloudnet.dev/v1",
        "kind": "Widget",
        "metadata": {"name": name, **meta},
        "spec": {"size": size},
    }
    response = client.post(WIDGETS, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_metadata_is_server_owned(client):
    obj = make(client)
    meta = obj["metadata"]
    assert meta["uid"] and meta["creationTimestamp"].endswith("Z")
    assert meta["generation"] == 1 and meta["namespace"] == "default"
    other = make(client, "w2")
    assert int(other["metadata"]["resourceVersion"]) > int(meta["resourceVersion"])
    assert other["metadata"]["uid"] != meta["uid"]


def test_generation_bumps_on_spec_only(client):
    make(client)
    url = f"{WIDGETS}/w1"
    labelled = client.patch(url, json={"metadata": {"labels": {"a": "b"}}}, headers=MERGE).json()
    assert labelled["metadata"]["generation"] == 1
    status = client.patch(f"{url}/status", json={"status": {"phase": "X"}}, headers=MERGE).json()
    assert status["metadata"]["generation"] == 1
    assert status["metadata"]["resourceVersion"] != labelled["metadata"]["resourceVersion"]
    spec = client.patch(url, json={"spec": {"size": 2}}, headers=MERGE).json()
    assert spec["metadata"]["generation"] == 2


def test_status_subresource_semantics(client):
    make(client)
    url = f"{WIDGETS}/w1"
    # The main resource ignores status; /status ignores everything else.
    main = client.patch(url, json={"status": {"phase": "NO"}, "spec": {"size": 5}}, headers=MERGE)
    assert "status" not in main.json() and main.json()["spec"]["size"] == 5
    sub = client.patch(
        f"{url}/status", json={"status": {"phase": "YES"}, "spec": {"size": 9}}, headers=MERGE
    ).json()
    assert sub["status"] == {"phase": "YES"} and sub["spec"]["size"] == 5
    # PUT of the main resource keeps the stored status.
    body = client.get(url).json()
    body["status"] = {"phase": "OVERWRITTEN"}
    body["spec"]["size"] = 6
    put = client.put(url, json=body)
    assert put.status_code == 200
    assert put.json()["status"] == {"phase": "YES"} and put.json()["spec"]["size"] == 6
    assert client.get(f"{url}/status").json()["status"] == {"phase": "YES"}


def test_failed_json_patch_test_is_422(client):
    obj = make(client)
    url = f"{WIDGETS}/w1"
    stale = [
        {"op": "test", "path": "/metadata/resourceVersion", "value": "0"},
        {"op": "add", "path": "/metadata/finalizers", "value": ["x/y"]},
    ]
    response = client.patch(url, json=stale, headers=JSON_PATCH)
    assert response.status_code == 422
    assert response.json()["kind"] == "Status" and response.json()["reason"] == "Invalid"
    fresh = [
        {
            "op": "test",
            "path": "/metadata/resourceVersion",
            "value": obj["metadata"]["resourceVersion"],
        },
        {"op": "add", "path": "/metadata/finalizers", "value": ["x/y"]},
    ]
    response = client.patch(url, json=fresh, headers=JSON_PATCH)
    assert response.status_code == 200 and response.json()["metadata"]["finalizers"] == ["x/y"]


def test_stale_resource_version_is_409(client):
    obj = make(client)
    url = f"{WIDGETS}/w1"
    client.patch(url, json={"spec": {"size": 2}}, headers=MERGE)
    obj["spec"]["size"] = 3
    put = client.put(url, json=obj)  # carries the old resourceVersion
    assert put.status_code == 409 and put.json()["reason"] == "Conflict"
    patch = client.patch(
        url,
        json={
            "metadata": {"resourceVersion": obj["metadata"]["resourceVersion"]},
            "spec": {"size": 4},
        },
        headers=MERGE,
    )
    assert patch.status_code == 409
    assert client.get(url).json()["spec"]["size"] == 2


def test_create_conflict_and_not_found(client):
    make(client)
    again = client.post(WIDGETS, json={"metadata": {"name": "w1"}, "spec": {}})
    assert again.status_code == 409 and again.json()["reason"] == "AlreadyExists"
    missing = client.get(f"{WIDGETS}/nope")
    assert missing.status_code == 404 and missing.json()["reason"] == "NotFound"
    assert client.get("/apis/nothing.example.com/v1/things").status_code == 404


def test_lists_are_typed(client):
    make(client)
    body = client.get(WIDGETS).json()
    assert body["kind"] == "WidgetList" and body["apiVersion"] == "test.cloudnet.dev/v1"
    assert body["metadata"]["resourceVersion"]
    assert [item["kind"] for item in body["items"]] == ["Widget"]
    namespaces = client.get("/api/v1/namespaces").json()
    assert namespaces["kind"] == "NamespaceList" and namespaces["apiVersion"] == "v1"


def test_discovery(client):
    core = client.get("/api/v1").json()
    assert core["groupVersion"] == "v1"
    groups = {g["name"]: g for g in client.get("/apis").json()["groups"]}
    assert "test.cloudnet.dev" in groups and "events.k8s.io" in groups
    assert groups["test.cloudnet.dev"]["preferredVersion"]["version"] == "v1"
    resources = {r["name"]: r for r in client.get("/apis/test.cloudnet.dev/v1").json()["resources"]}
    assert resources["widgets"]["kind"] == "Widget"
    assert resources["widgets"]["shortNames"] == ["wdg"]
    assert resources["widgets"]["categories"] == ["cloudnet-test"]
    assert resources["widgets"]["namespaced"] is True
    assert {"list", "watch", "patch"} <= set(resources["widgets"]["verbs"])
    assert "widgets/status" in resources


def test_crd_deletion_removes_resource_and_objects(client):
    make(client)
    assert client.delete(f"{CRD_PATH}/widgets.test.cloudnet.dev").status_code == 200
    assert client.get("/apis/test.cloudnet.dev/v1").status_code == 404
    assert client.get(WIDGETS).status_code == 404


def test_finalizers_hold_deletion(client):
    make(client, finalizers=["x/y"])
    url = f"{WIDGETS}/w1"
    deleted = client.delete(url)
    assert deleted.status_code == 200 and deleted.json()["metadata"]["deletionTimestamp"]
    assert deleted.json()["metadata"]["generation"] == 2
    assert client.get(url).status_code == 200
    adding = client.patch(url, json={"metadata": {"finalizers": ["x/y", "new/one"]}}, headers=MERGE)
    assert adding.status_code == 422
    released = client.patch(url, json={"metadata": {"finalizers": []}}, headers=MERGE)
    assert released.status_code == 200
    assert client.get(url).status_code == 404


def test_delete_preconditions(client):
    make(client)
    response = client.request(
        "DELETE", f"{WIDGETS}/w1", json={"preconditions": {"resourceVersion": "1"}}
    )
    assert response.status_code == 409


def test_secret_string_data_on_patch(kube_server):
    with httpx.Client(base_url=kube_server.url) as http:
        url = "/api/v1/namespaces/default/secrets"
        created = http.post(url, json={"metadata": {"name": "s"}, "stringData": {"k": "v"}})
        assert created.json()["data"] == {"k": "dg=="} and "stringData" not in created.json()
        patched = http.patch(
            f"{url}/s",
            json={"stringData": {"k": "w", "n": "1"}},
            headers={"Content-Type": "application/strategic-merge-patch+json"},
        )
        assert patched.json()["data"] == {"k": "dw==", "n": "MQ=="}
        assert "stringData" not in http.get(f"{url}/s").json()


def test_events_core_and_events_k8s_io(kube_server):
    with httpx.Client(base_url=kube_server.url) as http:
        core = http.post(
            "/api/v1/namespaces/default/events",
            json={
                "metadata": {"generateName": "kopf-event-"},
                "reason": "Logging",
                "message": "hi",
                "type": "Normal",
                "involvedObject": {"kind": "Widget", "name": "w1"},
            },
        )
        assert core.status_code == 201
        assert core.json()["metadata"]["name"].startswith("kopf-event-")
        new = http.post(
            "/apis/events.k8s.io/v1/namespaces/default/events",
            json={
                "metadata": {"name": "e1"},
                "reason": "Test",
                "note": "hi",
                "type": "Normal",
                "eventTime": "2025-01-01T00:00:00.000000Z",
                "action": "Test",
                "reportingController": "x",
                "reportingInstance": "y",
            },
        )
        assert new.status_code == 201
        selected = http.get(
            "/api/v1/namespaces/default/events",
            params={"fieldSelector": "involvedObject.name=w1,type=Normal"},
        )
        assert len(selected.json()["items"]) == 1


def test_field_selectors(client):
    make(client, "a")
    make(client, "b")
    names = [
        i["metadata"]["name"]
        for i in client.get(WIDGETS, params={"fieldSelector": "metadata.name=b"}).json()["items"]
    ]
    assert names == ["b"]
    everywhere = client.get(
        "/apis/test.cloudnet.dev/v1/widgets", params={"fieldSelector": "metadata.namespace=default"}
    ).json()
    assert len(everywhere["items"]) == 2
    names = [
        i["metadata"]["name"]
        for i in client.get(WIDGETS, params={"fieldSelector": "metadata.name!=a"}).json()["items"]
    ]
    assert names == ["b"]


def test_pagination(client):
    for index in range(5):
        make(client, f"w{index}")
    first = client.get(WIDGETS, params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["metadata"]["continue"]
    rest = client.get(WIDGETS, params={"limit": 10, "continue": first["metadata"]["continue"]})
    assert len(rest.json()["items"]) == 3 and "continue" not in rest.json()["metadata"]


def test_dry_run_changes_nothing(client):
    obj = make(client)
    url = f"{WIDGETS}/w1"
    dry = client.patch(url, params={"dryRun": "All"}, json={"spec": {"size": 9}}, headers=MERGE)
    assert dry.json()["spec"]["size"] == 9
    after = client.get(url).json()
    assert after["spec"]["size"] == 1
    assert after["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]
    client.request("DELETE", url, params={"dryRun": "All"})
    assert client.get(url).status_code == 200


def test_table_from_printer_columns(client):
    make(client, size=4)
    table = client.get(
        WIDGETS, headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}
    ).json()
    assert table["kind"] == "Table"
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Size", "Phase", "Age"]
    assert table["rows"][0]["cells"][:3] == ["w1", 4, None]
    assert table["rows"][0]["object"]["metadata"]["name"] == "w1"


def _watch(url, params, events, stop_after):
    with httpx.Client(timeout=10) as http, http.stream("GET", url, params=params) as response:
        assert response.headers["content-type"].startswith("application/json")
        for line in response.iter_lines():
            if line:
                events.append(json.loads(line))
                if len(events) >= stop_after:
                    return


def test_watch_resumes_from_resource_version(client, kube_server):
    first = make(client, "a")
    make(client, "b")
    client.patch(f"{WIDGETS}/a", json={"spec": {"size": 5}}, headers=MERGE)
    events: list[dict] = []
    _watch(
        kube_server.url + WIDGETS,
        {
            "watch": "true",
            "resourceVersion": first["metadata"]["resourceVersion"],
            "allowWatchBookmarks": "true",
            "timeoutSeconds": "5",
        },
        events,
        stop_after=2,
    )
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "b"),
        ("MODIFIED", "a"),
    ]


def test_watch_initial_events_and_live_changes(client, kube_server):
    make(client, "a")
    events: list[dict] = []
    thread = threading.Thread(
        target=_watch,
        args=(
            kube_server.url + WIDGETS,
            {
                "watch": "true",
                "sendInitialEvents": "true",
                "resourceVersionMatch": "NotOlderThan",
                "allowWatchBookmarks": "true",
                "labelSelector": "app=x",
                "timeoutSeconds": "10",
            },
            events,
            4,
        ),
    )
    make(client, "b", labels={"app": "x"})
    thread.start()
    wait_until(lambda: len(events) >= 2, timeout=10, interval=0.02, what="the initial events")
    client.patch(f"{WIDGETS}/a", json={"metadata": {"labels": {"app": "x"}}}, headers=MERGE)
    client.delete(f"{WIDGETS}/b")
    thread.join(10)
    kinds = [(e["type"], e["object"]["metadata"].get("name")) for e in events]
    assert kinds[0] == ("ADDED", "b")
    assert kinds[1][0] == "BOOKMARK"
    assert events[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert kinds[2:] == [("ADDED", "a"), ("DELETED", "b")]  # "a" entered the selection


def test_watch_too_old_is_410():
    api = TestKubeAPI(watch_backlog=2)
    handle = serve(api=api)
    try:
        with httpx.Client(base_url=handle.url) as http:
            for name in "abcd":
                http.post(
                    "/api/v1/namespaces/default/configmaps", json={"metadata": {"name": name}}
                )
            events: list[dict] = []
            _watch(
                handle.url + "/api/v1/namespaces/default/configmaps",
                {"watch": "true", "resourceVersion": "1"},
                events,
                1,
            )
            assert events[0]["type"] == "ERROR" and events[0]["object"]["code"] == 410
    finally:
        handle.stop()


def test_request_history_is_bounded(kube_server):
    with httpx.Client(base_url=kube_server.url) as http:
        for _ in range(50):
            http.get("/api/v1/namespaces")
    history = kube_server.call(lambda api: len(api._requests))
    assert history <= 2 * kube_server.api.history_limit


def test_openapi_stubs(client):
    assert client.get("/openapi/v2").status_code == 200
    index = client.get("/openapi/v3").json()
    url = index["paths"]["apis/test.cloudnet.dev/v1"]["serverRelativeURL"]
    doc = client.get(url).json()
    schema = doc["components"]["schemas"]["dev.cloudnet.test.v1.Widget"]
    assert schema["properties"]["spec"]["description"] == "The desired state of the widget."
