"""Deletion order and ProviderConfig/Secret changes, through the real operator process.

A ProviderConfig in use, and the Secret it names, carry the finalizer
``cloudnet.dev/in-use`` (the way Kubernetes protects a PVC in use), so
deleting everything at once, or the whole namespace, completes in order with
no cloud rule left behind. Fixing a ProviderConfig or rotating its Secret
reconciles the resources that use it within seconds, well before kopf's own
retry would (its next attempt time is in the handler's progress annotation).

Every assertion about the cloud is made against the simulator's own state.
"""

from __future__ import annotations

import datetime
import json
import time
from typing import Any

import pytest

from cloudnet_devkit.kubeapi import ServerHandle
from tests.integration.harness import AK, EIPS, SK, Cluster, dnat_rule, wait_for

pytestmark = pytest.mark.integration

IN_USE = "cloudnet.dev/in-use"
NS = "shop"


def manifests(
    cluster: Cluster, namespace: str = NS, *, secret: bool = True, config: bool = True
) -> list[dict[str, Any]]:
    """The namespace, the Huawei Secret and ProviderConfig of the harness, in ``namespace``."""
    wanted = {("Namespace", namespace)}
    if secret:
        wanted.add(("Secret", "huawei-credentials"))
    if config:
        wanted.add(("ProviderConfig", "huawei"))
    return [
        doc
        for doc in cluster.base_manifests(namespace)
        if (doc["kind"], doc["metadata"]["name"]) in wanted
    ]


def secret(key: str = SK, namespace: str = NS) -> dict[str, Any]:
    """The Huawei credentials Secret, with ``key`` as the secret key."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "huawei-credentials", "namespace": namespace},
        "stringData": {"accessKeyId": AK, "accessKeySecret": key},
    }


def get(cluster: Cluster, kind: str, name: str, namespace: str = NS) -> dict[str, Any]:
    return cluster.get(name, namespace, kind)


def status(cluster: Cluster, name: str, namespace: str = NS) -> dict[str, Any]:
    return cluster.status(name, namespace)


def wait_status(
    cluster: Cluster, name: str, predicate: Any, *, timeout: float = 30, what: str = ""
) -> dict[str, Any]:
    return dict(
        wait_for(
            lambda: (s := status(cluster, name)) and predicate(s) and s,
            timeout=timeout,
            what=f"{what or name} (operator log: {cluster.operator.log})",
        )
    )


def reason(status: dict[str, Any], type_: str = "Ready") -> str:
    return next((c["reason"] for c in status.get("conditions") or [] if c["type"] == type_), "")


def next_kopf_retry(cluster: Cluster, name: str) -> float:
    """When kopf would run the failed handler again, as a time.time() value."""
    annotations = get(cluster, "dnatrule", name)["metadata"].get("annotations") or {}
    progress = json.loads(annotations["cloudnet.dev/reconcile"])
    delayed = datetime.datetime.fromisoformat(progress["delayed"])
    if delayed.tzinfo is None:
        delayed = delayed.replace(tzinfo=datetime.UTC)
    return delayed.timestamp()


def secret_reads(kube_server: ServerHandle) -> list[tuple[str, str, dict[str, str]]]:
    """(method, name, query) of every Secret request the test API has served."""

    def collect(api: Any) -> list[tuple[str, str, dict[str, str]]]:
        return [
            (r.method, r.name or "", dict(r.params))
            for r in api._requests  # the bounded request history (private to the test API)
            if r.resource is not None and r.resource.plural == "secrets"
        ]

    return kube_server.call(collect)


def test_deleting_rules_config_and_secret_at_once_completes_in_order(
    cluster: Cluster, kube_server: ServerHandle
) -> None:
    kubectl = cluster.kubectl
    kubectl.apply(manifests(cluster))
    kubectl.apply(
        [
            dnat_rule("web-a", namespace=NS, eip=EIPS[0]),
            dnat_rule("web-b", namespace=NS, eip=EIPS[1]),
        ]
    )
    for name in ("web-a", "web-b"):
        wait_status(cluster, name, lambda s: s.get("phase") == "ACTIVE", what=f"{name} ACTIVE")
    assert len(cluster.sim.rules()) == 2

    config = wait_for(
        lambda: (
            (pc := get(cluster, "providerconfig", "huawei")).get("status", {}).get("userCount") == 2
            and pc
        ),
        timeout=10,
        what="the ProviderConfig to list its users",
    )
    assert IN_USE in config["metadata"]["finalizers"]
    assert config["status"]["users"] == ["DnatRule/web-a", "DnatRule/web-b"]
    [in_use] = [c for c in config["status"]["conditions"] if c["type"] == "InUse"]
    assert in_use["status"] == "True"
    credentials = get(cluster, "secret", "huawei-credentials")
    assert IN_USE in credentials["metadata"]["finalizers"]
    assert credentials["metadata"]["labels"][IN_USE] == "true"
    # kubectl shows how many use it
    header, row = kubectl("get", "cnpc", "huawei", "-n", NS).stdout.splitlines()
    assert dict(zip(header.split(), row.split(), strict=True))["USERS"] == "2"

    # everything at once, in one command, as `kubectl delete -f` of the whole app does
    kubectl(
        "delete",
        "dnatrule/web-a",
        "dnatrule/web-b",
        "providerconfig/huawei",
        "secret/huawei-credentials",
        "-n",
        NS,
        "--wait=false",
    )
    # the ProviderConfig and Secret wait for the rules' cloud deletes (the sim takes 1 s)
    config = get(cluster, "providerconfig", "huawei")
    assert (
        config["metadata"].get("deletionTimestamp") and IN_USE in config["metadata"]["finalizers"]
    )
    assert get(cluster, "secret", "huawei-credentials")["metadata"].get("deletionTimestamp")
    wait_for(
        lambda: (
            not any(
                get(cluster, kind, name)
                for kind, name in (
                    ("dnatrule", "web-a"),
                    ("dnatrule", "web-b"),
                    ("providerconfig", "huawei"),
                    ("secret", "huawei-credentials"),
                )
            )
        ),
        timeout=30,
        what=f"everything to go (operator log: {cluster.operator.log})",
    )
    assert cluster.sim.rules() == []  # nothing leaked
    assert len(cluster.sim.requests("DeleteNatGatewayDnatRule")) == 2

    # the operator lists and watches only the Secrets it protects (server-side selection)
    listed = [q for method, name, q in secret_reads(kube_server) if method == "GET" and not name]
    assert any(q.get("watch") == "true" for q in listed), listed
    assert all(q.get("labelSelector") == IN_USE for q in listed), listed


def test_deleting_the_namespace_completes_with_nothing_leaked(cluster: Cluster) -> None:
    kubectl = cluster.kubectl
    kubectl.apply(manifests(cluster))
    kubectl.apply(
        [
            dnat_rule("web-a", namespace=NS, eip=EIPS[0]),
            dnat_rule("web-b", namespace=NS, eip=EIPS[1]),
        ]
    )
    for name in ("web-a", "web-b"):
        wait_status(cluster, name, lambda s: s.get("phase") == "ACTIVE", what=f"{name} ACTIVE")
    wait_for(
        lambda: (
            IN_USE
            in (get(cluster, "secret", "huawei-credentials")["metadata"].get("finalizers") or [])
        ),
        timeout=10,
        what="the Secret to be protected",
    )

    kubectl("delete", "namespace", NS, "--wait=false")
    wait_for(
        lambda: kubectl("get", "namespace", NS, check=False).returncode != 0,
        timeout=30,
        what=f"the namespace to go (operator log: {cluster.operator.log})",
    )
    assert cluster.sim.rules() == []
    assert len(cluster.sim.requests("DeleteNatGatewayDnatRule")) == 2


def test_a_provider_config_created_late_is_used_within_seconds(cluster: Cluster) -> None:
    kubectl = cluster.kubectl
    kubectl.apply(manifests(cluster, config=False))
    kubectl.apply(dnat_rule("early", namespace=NS))
    failed = wait_status(cluster, "early", lambda s: s.get("phase") == "ERROR", what="early ERROR")
    assert reason(failed) == "DependencyNotFound"
    kopf_retry = next_kopf_retry(cluster, "early")

    [config] = [d for d in manifests(cluster) if d["kind"] == "ProviderConfig"]
    fixed = time.time()
    kubectl.apply(config)
    recovered = wait_status(
        cluster, "early", lambda s: s.get("externalId"), timeout=10, what="early to be created"
    )
    took = time.time()
    assert took - fixed < 3, f"{took - fixed:.1f}s after the ProviderConfig appeared"
    assert took < kopf_retry, "recovered by kopf's retry, not by the ProviderConfig's arrival"
    assert recovered["phase"] in ("PENDING_CREATE", "ACTIVE")
    assert "reconciling (ProviderConfig huawei created)" in cluster.operator.output()
    wait_status(cluster, "early", lambda s: s.get("phase") == "ACTIVE", what="early ACTIVE")

    # a ProviderConfig fixed in place: the wrong project (the keys may not act on it), then
    # the right one
    wrong = {**config, "metadata": {"name": "elsewhere", "namespace": NS}}
    wrong["spec"] = {**config["spec"], "projectId": "0123456789abcdef0123456789abcdef"}
    kubectl.apply(
        [wrong, dnat_rule("misdirected", namespace=NS, eip=EIPS[1], provider_config="elsewhere")]
    )
    failed = wait_status(
        cluster, "misdirected", lambda s: s.get("phase") == "ERROR", what="misdirected ERROR"
    )
    assert reason(failed, "Synced") == "AuthFailed"
    kopf_retry = next_kopf_retry(cluster, "misdirected")
    fixed = time.time()
    kubectl.apply({**wrong, "spec": config["spec"]})
    wait_status(
        cluster,
        "misdirected",
        lambda s: s.get("externalId"),
        timeout=10,
        what="misdirected created",
    )
    took = time.time()
    assert took - fixed < 3, f"{took - fixed:.1f}s after the fix"
    assert took < kopf_retry, "recovered by kopf's retry, not by the fix"
    assert "reconciling (ProviderConfig elsewhere changed)" in cluster.operator.output()


def test_a_secret_created_late_is_used_within_seconds(cluster: Cluster) -> None:
    kubectl = cluster.kubectl
    kubectl.apply(manifests(cluster, secret=False))
    kubectl.apply(dnat_rule("early", namespace=NS))
    failed = wait_status(cluster, "early", lambda s: s.get("phase") == "ERROR", what="early ERROR")
    assert reason(failed) == "DependencyNotFound"
    assert "Secret 'huawei-credentials' not found" in json.dumps(failed)
    # the ProviderConfig is protected and lists its user: the operator has looked for the Secret
    wait_for(
        lambda: get(cluster, "providerconfig", "huawei").get("status", {}).get("userCount") == 1,
        timeout=10,
        what="the ProviderConfig to list its user",
    )

    fixed = time.time()
    kubectl.apply(secret())
    wait_status(
        cluster, "early", lambda s: s.get("externalId"), timeout=10, what="early to be created"
    )
    assert time.time() - fixed < 5  # unlabelled Secrets are looked for every 2 s
    # found by that look-out ("created"), or by a namespace pass that protected it ("found")
    assert "reconciling (Secret huawei-credentials " in cluster.operator.output()


def test_rotating_the_secret_recovers_an_auth_failure_within_seconds(cluster: Cluster) -> None:
    kubectl = cluster.kubectl
    kubectl.apply([*manifests(cluster, secret=False), secret(key="not-the-right-secret-key")])
    kubectl.apply(dnat_rule("locked", namespace=NS))
    failed = wait_status(
        cluster, "locked", lambda s: s.get("phase") == "ERROR", what="locked to fail"
    )
    assert reason(failed, "Synced") == "AuthFailed"
    wait_for(
        lambda: (
            IN_USE in (get(cluster, "secret", "huawei-credentials")["metadata"].get("labels") or {})
        ),
        timeout=10,
        what="the Secret to be protected (and so watched)",
    )
    kopf_retry = next_kopf_retry(cluster, "locked")

    rotated = time.time()
    kubectl.apply(secret())
    wait_status(
        cluster, "locked", lambda s: s.get("externalId"), timeout=10, what="locked to be created"
    )
    took = time.time()
    assert took - rotated < 3, f"{took - rotated:.1f}s after the rotation"
    assert took < kopf_retry, "recovered by kopf's retry, not by the rotation"
    assert "reconciling (Secret huawei-credentials changed)" in cluster.operator.output()
    wait_status(cluster, "locked", lambda s: s.get("phase") == "ACTIVE", what="locked ACTIVE")
    # the rotation went through kubectl apply: our finalizer and label survived it
    meta = get(cluster, "secret", "huawei-credentials")["metadata"]
    assert IN_USE in meta["finalizers"] and IN_USE in meta["labels"]
    assert SK not in cluster.operator.output()


def test_lost_credentials_are_reported_and_orphan_is_the_way_out(cluster: Cluster) -> None:
    kubectl = cluster.kubectl
    kubectl.apply(manifests(cluster))
    kubectl.apply(dnat_rule("stranded", namespace=NS))
    wait_status(cluster, "stranded", lambda s: s.get("phase") == "ACTIVE", what="ACTIVE")
    wait_for(
        lambda: (
            IN_USE
            in (get(cluster, "secret", "huawei-credentials")["metadata"].get("finalizers") or [])
        ),
        timeout=10,
        what="the Secret to be protected",
    )
    # the credentials are truly gone: deleted, and the protection removed by hand
    kubectl("delete", "secret", "huawei-credentials", "-n", NS, "--wait=false")
    assert get(cluster, "secret", "huawei-credentials"), "the Secret in use must wait"
    kubectl(
        "patch",
        "secret",
        "huawei-credentials",
        "-n",
        NS,
        "--type",
        "json",
        "-p",
        '[{"op": "remove", "path": "/metadata/finalizers"}]',
    )
    wait_for(lambda: not get(cluster, "secret", "huawei-credentials"), what="the Secret to go")

    kubectl("delete", "dnat", "stranded", "-n", NS, "--wait=false")
    stuck = wait_status(
        cluster,
        "stranded",
        lambda s: "deletionPolicy: Orphan" in json.dumps(s.get("conditions")),
        what="the resource to say why its delete waits",
    )
    assert reason(stuck, "Synced") == "DependencyNotFound"
    assert get(cluster, "dnatrule", "stranded")["metadata"].get("deletionTimestamp")
    assert len(cluster.sim.rules()) == 1 and cluster.sim.requests("DeleteNatGatewayDnatRule") == []

    # the README's way out
    kubectl(
        "patch",
        "dnat",
        "stranded",
        "-n",
        NS,
        "--type",
        "merge",
        "-p",
        '{"spec":{"deletionPolicy":"Orphan"}}',
    )
    wait_for(lambda: not get(cluster, "dnatrule", "stranded"), timeout=30, what="the delete to end")
    assert len(cluster.sim.rules()) == 1  # left in the cloud on purpose
    wait_for(
        lambda: (
            IN_USE
            not in (get(cluster, "providerconfig", "huawei")["metadata"].get("finalizers") or [])
        ),
        timeout=10,
        what="the ProviderConfig to be released",
    )
