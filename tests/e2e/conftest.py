"""Fixtures of the e2e suite: any cluster from KUBECONFIG, real kubectl and helm.

The suite needs a cluster with at least one Ready node (kind, or any other)
and the operator image loaded into it (``CLOUDNET_IMAGE``, default
``cloudnet-operator:dev``; ``scripts/e2e-kind.sh`` builds and loads it).
Without one, every test skips within a few seconds: the development and CI
machines have no Docker, and the test Kubernetes API of the other layers has
no nodes to run pods on.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "cloudnet-operator"
SKIP_NO_CLUSTER = (
    "no reachable Kubernetes cluster with nodes in KUBECONFIG; "
    "run scripts/e2e-kind.sh where Docker exists"
)
# Reachability is probed with these bounds so that a machine without a
# cluster (or with an unroutable server in KUBECONFIG) skips in under 5 s.
PROBE_REQUEST_TIMEOUT = "2s"
PROBE_PROCESS_TIMEOUT = 3.0


def _tool(name: str) -> str | None:
    return shutil.which(name) or next(
        (str(p) for p in [ROOT / ".tools" / "bin" / name] if p.is_file()), None
    )


def ready_nodes(nodes: dict[str, Any]) -> list[str]:
    """Names of the nodes whose Ready condition is True."""
    return [
        node["metadata"]["name"]
        for node in nodes.get("items", [])
        if any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in node.get("status", {}).get("conditions", [])
        )
    ]


def split_image(image: str) -> tuple[str, str]:
    """``repo/name:tag`` → (``repo/name``, ``tag``); no tag → ``latest``."""
    repository, _, tag = image.rpartition(":")
    if not repository or "/" in tag:  # no tag; the colon was a registry port
        return image, "latest"
    return repository, tag


@dataclass
class Cluster:
    """kubectl and helm against the cluster of KUBECONFIG."""

    kubectl_bin: str
    helm_bin: str
    cache_dir: Path
    nodes: list[str] = field(default_factory=list)

    def kubectl(
        self, *args: str, stdin: str | None = None, timeout: float = 60, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        cmd = [self.kubectl_bin, "--cache-dir", str(self.cache_dir), *args]
        result = subprocess.run(
            cmd, input=stdin, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
            )
        return result

    def helm(
        self, *args: str, timeout: float = 300, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        cmd = [self.helm_bin, *args]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
            )
        return result

    def apply(self, docs: Sequence[dict[str, Any]]) -> None:
        self.kubectl("apply", "-f", "-", stdin=yaml.safe_dump_all(docs))

    def get_json(self, *args: str) -> dict[str, Any]:
        return dict(json.loads(self.kubectl("get", *args, "-o", "json").stdout))


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Cluster:
    """The cluster of KUBECONFIG, or a skip when there is none with a Ready node."""
    kubectl_bin, helm_bin = _tool("kubectl"), _tool("helm")
    if kubectl_bin is None:
        pytest.skip(f"{SKIP_NO_CLUSTER} (kubectl not found)")
    cache = tmp_path_factory.mktemp("kubectl-cache")
    try:
        probe = subprocess.run(
            [
                kubectl_bin,
                "--cache-dir",
                str(cache),
                f"--request-timeout={PROBE_REQUEST_TIMEOUT}",
                "get",
                "nodes",
                "-o",
                "json",
            ],
            capture_output=True,
            text=True,
            timeout=PROBE_PROCESS_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"{SKIP_NO_CLUSTER} (kubectl get nodes timed out)")
    if probe.returncode != 0:
        detail = (probe.stderr.strip().splitlines() or ["?"])[-1]
        pytest.skip(f"{SKIP_NO_CLUSTER} (kubectl get nodes: {detail})")
    try:
        nodes = ready_nodes(json.loads(probe.stdout))
    except (json.JSONDecodeError, AttributeError, TypeError):
        pytest.skip(f"{SKIP_NO_CLUSTER} (kubectl get nodes: not a node list)")
    if not nodes:
        pytest.skip(f"{SKIP_NO_CLUSTER} (no Ready node)")
    if helm_bin is None:
        pytest.skip("a cluster is reachable but helm is not found: run `make tools`")
    return Cluster(kubectl_bin=kubectl_bin, helm_bin=helm_bin, cache_dir=cache, nodes=nodes)


@dataclass
class Release:
    """The chart installed with the simulator into a fresh namespace."""

    cluster: Cluster
    name: str
    namespace: str
    image: str
    operator: str = ""  # Deployment names, found through the chart's labels
    simulator: str = ""
    uninstalled: bool = False

    @property
    def simulator_url(self) -> str:
        return f"http://{self.simulator}.{self.namespace}.svc:18900"

    def deployment(self, component: str) -> str:
        selector = f"app.kubernetes.io/instance={self.name},app.kubernetes.io/component={component}"
        found = self.cluster.get_json("deployments", "-n", self.namespace, "-l", selector)
        names = [item["metadata"]["name"] for item in found["items"]]
        assert len(names) == 1, f"one {component} Deployment expected, found {names}"
        return str(names[0])

    def diagnostics(self) -> str:
        """What a failing test should show: pods, the operator's log, the rules."""
        parts = []
        for args in (
            ("get", "pods,deployments,dnatrules", "-n", self.namespace, "-o", "wide"),
            ("logs", f"deploy/{self.operator}", "-n", self.namespace, "--tail=80"),
            ("get", "dnatrules", "-n", self.namespace, "-o", "yaml"),
            ("get", "events", "-n", self.namespace, "--sort-by=.lastTimestamp"),
        ):
            result = self.cluster.kubectl(*args, check=False, timeout=30)
            parts.append(f"$ kubectl {' '.join(args)}\n{result.stdout}{result.stderr}")
        return "\n".join(parts)

    def uninstall(self) -> None:
        if not self.uninstalled:
            self.cluster.helm("uninstall", self.name, "-n", self.namespace, "--wait")
            self.uninstalled = True


def cleanup_rules(cluster: Cluster, namespace: str) -> None:
    """Delete what a failed test left, while the operator still runs; else drop finalizers.

    A DnatRule whose finalizer nobody removes would hold its namespace in
    Terminating forever.
    """
    cluster.kubectl(
        "delete", "dnatrules", "--all", "-n", namespace, "--timeout=60s", check=False, timeout=90
    )
    left = cluster.kubectl("get", "dnatrules", "-n", namespace, "-o", "name", check=False)
    for name in left.stdout.split():
        cluster.kubectl(
            "patch",
            name,
            "-n",
            namespace,
            "--type=merge",
            "-p",
            '{"metadata":{"finalizers":null}}',
            check=False,
        )


def drop_in_use_finalizers(cluster: Cluster, namespace: str) -> None:
    """With the operator gone, nobody removes ``cloudnet.dev/in-use``: the namespace would hang.

    The operator takes that finalizer off a ProviderConfig and its Secret
    a moment after their last user goes; an uninstall right after the last
    delete may be quicker.
    """
    for kind in ("providerconfigs.cloudnet.dev", "secrets"):
        found = cluster.kubectl("get", kind, "-n", namespace, "-o", "json", check=False)
        if found.returncode != 0:
            continue
        for item in json.loads(found.stdout).get("items") or []:
            finalizers = item["metadata"].get("finalizers") or []
            if "cloudnet.dev/in-use" in finalizers:
                kept = [f for f in finalizers if f != "cloudnet.dev/in-use"]
                cluster.kubectl(
                    "patch",
                    f"{kind}/{item['metadata']['name']}",
                    "-n",
                    namespace,
                    "--type=merge",
                    "-p",
                    json.dumps({"metadata": {"finalizers": kept or None}}),
                    check=False,
                )


@pytest.fixture(scope="module")
def release(cluster: Cluster) -> Iterator[Release]:
    """``helm install`` with simulator.enabled=true; uninstalled and deleted afterwards.

    The operator watches only the release namespace unless
    CLOUDNET_E2E_CLUSTERWIDE=1 (a shared cluster may run another operator).
    """
    image = os.environ.get("CLOUDNET_IMAGE", "cloudnet-operator:dev")
    repository, tag = split_image(image)
    rel = Release(
        cluster=cluster,
        name="cloudnet-e2e",
        namespace=f"cloudnet-e2e-{secrets.token_hex(3)}",
        image=image,
    )
    args = [
        "install",
        rel.name,
        str(CHART),
        "-n",
        rel.namespace,
        "--create-namespace",
        "--set",
        f"image.repository={repository}",
        "--set",
        f"image.tag={tag}",
        "--set",
        "simulator.enabled=true",
        "--set",
        "simulator.admin=true",
        # CRDs kept (resource-policy: keep) by an earlier release are adopted.
        "--take-ownership",
        "--wait",
        "--timeout",
        "4m",
    ]
    if os.environ.get("CLOUDNET_E2E_CLUSTERWIDE") != "1":
        args += ["--set", f"watchNamespaces={{{rel.namespace}}}"]
    try:
        cluster.helm(*args, timeout=300)
        rel.operator = rel.deployment("operator")
        rel.simulator = rel.deployment("simulator")
        yield rel
    finally:
        if not rel.uninstalled:
            cleanup_rules(cluster, rel.namespace)
            cluster.helm("uninstall", rel.name, "-n", rel.namespace, "--wait", check=False)
        drop_in_use_finalizers(cluster, rel.namespace)
        cluster.kubectl(
            "delete", "namespace", rel.namespace, "--ignore-not-found", "--wait=false", check=False
        )
