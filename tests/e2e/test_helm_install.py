"""The chart on a real cluster: install, one Huawei DnatRule through its life, uninstall.

The cloud is the chart's own simulator (simulator.enabled=true, admin on);
what the cloud holds is read from the simulator's /_sim/state inside its pod,
never taken from the operator's status alone.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import Cluster, Release

pytestmark = pytest.mark.e2e

# Ids of examples/sim-inventory.yaml (the simulator's default inventory).
PROJECT = "2993a37f1765d55d2a6526b764ae47e5"
AK = "HWSIMAK7Q2M4X9C1LP0E"
SK = "sImSk0Z8vQ3nB6yT1rW4eU7iO9pA2sD5fG8hJ1kL"
GATEWAY = "23a937a4-f3dc-41ed-bf54-6a9844aa46e5"
EIP = "a974bed9-1264-4c34-b01a-f8a2c325f4ca"
PORT_WEB1 = "12cf9091-5178-4185-8be3-2c13f3f41ac8"
RULE = "web-https"
WAIT = "--timeout=180s"

# Run inside the simulator's pod (the image's Python; no port-forward needed).
CLOUD_RULES = """
import json, urllib.request
state = json.load(urllib.request.urlopen("http://127.0.0.1:18900/_sim/state"))
rules = [r for p in state["inventory"]["huawei"]["projects"] for r in p.get("dnat_rules") or []]
print(json.dumps(rules))
"""


def manifests(rel: Release, external_port: int) -> list[dict[str, Any]]:
    ns = rel.namespace
    return [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "huawei-credentials", "namespace": ns},
            "type": "Opaque",
            "stringData": {"accessKeyId": AK, "accessKeySecret": SK},
        },
        {
            "apiVersion": "cloudnet.dev/v1alpha1",
            "kind": "ProviderConfig",
            "metadata": {"name": "huawei", "namespace": ns},
            "spec": {
                "provider": "huawei-nat",
                "region": "cn-north-4",
                "projectId": PROJECT,
                "endpoint": rel.simulator_url,
                "credentialsSecretRef": {"name": "huawei-credentials"},
            },
        },
        {
            "apiVersion": "cloudnet.dev/v1alpha1",
            "kind": "DnatRule",
            "metadata": {"name": RULE, "namespace": ns},
            "spec": {
                "providerConfigRef": {"name": "huawei"},
                "huaweiNat": {
                    "natGatewayId": GATEWAY,
                    "floatingIpId": EIP,
                    "portId": PORT_WEB1,
                    "protocol": "tcp",
                    "internalServicePort": 443,
                    "externalServicePort": external_port,
                    "description": "cloudnet e2e",
                },
            },
        },
    ]


def cloud_rules(rel: Release) -> list[dict[str, Any]]:
    out = rel.cluster.kubectl(
        "exec", "-n", rel.namespace, f"deploy/{rel.simulator}", "--",
        "python", "-c", CLOUD_RULES,
    )  # fmt: skip
    rules: list[dict[str, Any]] = json.loads(out.stdout)
    return rules


def wait(rel: Release, *condition: str) -> None:
    result = rel.cluster.kubectl(
        "wait", "-n", rel.namespace, *condition, WAIT, check=False, timeout=200
    )
    if result.returncode != 0:
        raise AssertionError(
            f"kubectl wait {' '.join(condition)}: {result.stderr}\n{rel.diagnostics()}"
        )


def status(rel: Release) -> dict[str, Any]:
    found: dict[str, Any] = rel.cluster.get_json("dnatrule", RULE, "-n", rel.namespace)
    return dict(found.get("status") or {})


def test_operator_runs_as_the_charts_non_root_user(release: Release) -> None:
    kubectl = release.cluster.kubectl
    target = ("-n", release.namespace, f"deploy/{release.operator}", "--")
    assert kubectl("exec", *target, "id", "-u").stdout.strip() == "10001"
    # read-only root filesystem, writable /tmp
    # (EROFS, not EACCES: the kernel checks the mount before the permissions)
    probe = (
        "import errno, sys\n"
        "try:\n open('/probe', 'w')\n"
        "except OSError as e:\n sys.exit(3 if e.errno == errno.EROFS else 4)"
    )
    assert kubectl("exec", *target, "python", "-c", probe, check=False).returncode == 3
    kubectl("exec", *target, "python", "-c", "open('/tmp/probe','w').write('x')")
    [container] = release.cluster.get_json("deploy", release.operator, "-n", release.namespace)[
        "spec"
    ]["template"]["spec"]["containers"]
    assert container["args"][0] == "run"


def test_dnat_rule_create_update_delete(release: Release) -> None:
    cluster: Cluster = release.cluster
    ns = release.namespace
    cluster.apply(manifests(release, external_port=8443))

    wait(release, f"dnatrule/{RULE}", "--for=jsonpath={.status.phase}=ACTIVE")
    created = status(release)
    rule_id = created["externalId"]
    assert rule_id and created["observedGeneration"] == 1
    [cloud] = cloud_rules(release)
    assert cloud["id"] == rule_id
    assert (cloud["external_service_port"], cloud["internal_service_port"]) == (8443, 443)

    # in use: the ProviderConfig and its Secret are protected, the users in /status (a real
    # API server keeps only the status fields the CRD declares)
    wait(release, "providerconfig/huawei", "--for=jsonpath={.status.userCount}=1")
    config = cluster.get_json("providerconfig", "huawei", "-n", ns)
    assert "cloudnet.dev/in-use" in config["metadata"]["finalizers"]
    assert config["status"]["users"] == [f"DnatRule/{RULE}"]
    secret = cluster.get_json("secret", "huawei-credentials", "-n", ns)["metadata"]
    assert "cloudnet.dev/in-use" in secret["finalizers"]
    assert secret["labels"]["cloudnet.dev/in-use"] == "true"

    # change the external port: the same cloud rule, updated
    cluster.kubectl(
        "patch", "dnatrule", RULE, "-n", ns, "--type=merge",
        "-p", json.dumps({"spec": {"huaweiNat": {"externalServicePort": 8444}}}),
    )  # fmt: skip
    wait(release, f"dnatrule/{RULE}", "--for=jsonpath={.status.observedGeneration}=2")
    wait(
        release, f"dnatrule/{RULE}", "--for=jsonpath={.status.observed.external_service_port}=8444"
    )
    wait(release, f"dnatrule/{RULE}", "--for=jsonpath={.status.phase}=ACTIVE")
    [cloud] = cloud_rules(release)
    assert cloud["id"] == rule_id and cloud["external_service_port"] == 8444
    assert status(release)["externalId"] == rule_id

    # the operator may post Events (RBAC events create)
    events = cluster.get_json("events", "-n", ns, "--field-selector", f"involvedObject.name={RULE}")
    reasons = {e.get("reason") for e in events["items"]}
    assert {"Created", "Updated"} <= reasons, reasons

    # delete: the cloud rule goes, then the finalizer, then the resource
    cluster.kubectl("delete", "dnatrule", RULE, "-n", ns, "--wait=false")
    wait(release, f"dnatrule/{RULE}", "--for=delete")
    assert cloud_rules(release) == []
    # the last user is gone: the protection goes too
    wait(release, "providerconfig/huawei", "--for=jsonpath={.status.userCount}=0")


def test_uninstall_keeps_the_crds(release: Release) -> None:
    release.uninstall()
    crds = release.cluster.kubectl(
        "get", "crd", "dnatrules.cloudnet.dev", "providerconfigs.cloudnet.dev", "-o", "name"
    ).stdout.split()
    assert len(crds) == 2  # helm.sh/resource-policy: keep
    left = release.cluster.kubectl(
        "get", "deploy", "-n", release.namespace, "-l",
        f"app.kubernetes.io/instance={release.name}", "-o", "name",
    ).stdout  # fmt: skip
    assert left.strip() == ""
