"""The chart's operator container, run: ``cloudnet run`` with exactly the rendered args.

The unit tests check what the chart renders; this checks that what it renders
works. The chart is rendered with its default values and the operator
container's command and args are run as a real process against the test
Kubernetes API and the simulator. Only what differs from a pod is adapted:
the kubeconfig, the downward-API environment, loopback and free ports instead
of 0.0.0.0:8080 and :8081 (which another process on the machine may hold),
and the simulator's allow-endpoint (the simulator is plain http on loopback).
The probes are then requested at the path and port the Deployment declares
for them, as the kubelet would.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from cloudnet_devkit.kubectl import Kubectl
from tests.fixtures.chart_kit import CHART, FULLNAME, HELM, NAMESPACE, RELEASE, needs_helm
from tests.integration.harness import Cluster, Process, Simulator, free_port, wait_for

pytestmark = [pytest.mark.integration, needs_helm]

POD_NAME = f"{FULLNAME}-7d9f8b6c5-x2x4q"
#: The downward API's fields, as the kubelet fills them for the pod.
FIELDS = {"metadata.name": POD_NAME, "metadata.namespace": NAMESPACE}


def rendered_container() -> dict[str, Any]:
    assert HELM is not None
    result = subprocess.run(
        [HELM, "template", RELEASE, str(CHART), "-n", NAMESPACE],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    [deployment] = [
        doc
        for doc in yaml.safe_load_all(result.stdout)
        if doc and doc["kind"] == "Deployment" and doc["metadata"]["name"] == FULLNAME
    ]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    return dict(container)


def pod_env(container: dict[str, Any]) -> dict[str, str]:
    env = {}
    for var in container["env"]:
        if "value" in var:
            env[var["name"]] = var["value"]
        else:
            env[var["name"]] = FIELDS[var["valueFrom"]["fieldRef"]["fieldPath"]]
    return env


class ChartPod:
    """The rendered container as a local process, its ports mapped to free loopback ones."""

    def __init__(self, kubectl: Kubectl, tmp: Path, sim: Simulator) -> None:
        self.container = rendered_container()
        assert self.container["command"] == ["cloudnet"]
        #: container port -> the free loopback port that stands in for it
        self.local = {p["containerPort"]: free_port() for p in self.container["ports"]}
        self.args = [self.adapt(arg) for arg in self.container["args"]]
        assert not any("0.0.0.0" in arg for arg in self.args), self.args
        self.cluster = Cluster(kubectl, tmp, sim)
        self.cluster.operator = Process(
            [*self.args, *self.cluster.allow_sim()],
            tmp / "operator.log",
            env={**os.environ, **pod_env(self.container), "KUBECONFIG": kubectl.kubeconfig},
        )
        self.http = httpx.Client(timeout=5)

    def adapt(self, arg: str) -> str:
        for port, local in self.local.items():
            arg = arg.replace(f"0.0.0.0:{port}", f"127.0.0.1:{local}")
        return arg

    def probe_url(self, probe: str) -> str:
        """Where the kubelet would send the probe: its port (by name) and path."""
        get = self.container[probe]["httpGet"]
        named = {p["name"]: p["containerPort"] for p in self.container["ports"]}
        port = named[get["port"]] if isinstance(get["port"], str) else get["port"]
        return f"http://127.0.0.1:{self.local[port]}{get['path']}"

    def metrics_url(self) -> str:
        [port] = [p["containerPort"] for p in self.container["ports"] if p["name"] == "metrics"]
        return f"http://127.0.0.1:{self.local[port]}/metrics"

    def get(self, url: str) -> httpx.Response | None:
        try:
            return self.http.get(url)
        except httpx.TransportError:
            return None


@pytest.fixture()
def pod(kubectl: Kubectl, tmp_path: Path, sim: Simulator) -> Iterator[ChartPod]:
    chart_pod = ChartPod(kubectl, tmp_path, sim)
    chart_pod.cluster.install()
    # the release namespace, where the Lease lives, exists wherever the chart is installed
    kubectl.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}])
    chart_pod.cluster.operator.start()
    yield chart_pod
    chart_pod.cluster.operator.stop()
    chart_pod.http.close()


def test_the_charts_default_args_run_an_operator_that_answers_its_probes(pod: ChartPod) -> None:
    log = pod.cluster.operator.log
    live = wait_for(
        lambda: (r := pod.get(pod.probe_url("livenessProbe"))) is not None and r,
        timeout=20,
        what=f"the livenessProbe's URL to answer (log: {log})",
    )
    assert live.status_code == 200, live.text
    # 200 while standing by too; "watching" only once this process leads and kopf watches
    wait_for(
        lambda: (
            (r := pod.get(pod.probe_url("readinessProbe"))) is not None
            and r.status_code == 200
            and r.json().get("watching") is True
            and r
        ),
        timeout=20,
        what=f"the readinessProbe's URL to answer watching (log: {log})",
    )

    # it acts: the Lease named in the args is held by this pod, and the credentials
    # check of a ProviderConfig reached the simulator
    lease = pod.cluster.kubectl.json("get", "lease", FULLNAME, "-n", NAMESPACE)
    assert lease["spec"]["holderIdentity"].startswith(f"{POD_NAME}_")
    wait_for(
        lambda: pod.cluster.config_ready("huawei").get("status") == "True",
        timeout=20,
        what=f"ProviderConfig huawei to be Ready (log: {log})",
    )

    response = pod.http.get(pod.metrics_url())
    assert response.status_code == 200
    calls = [
        sample
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name == "cloudnet_cloud_calls_total"
    ]
    assert calls and sum(s.value for s in calls) >= 1, response.text[:2000]

    # logFormat json: every line of the operator is one JSON object
    lines = [line for line in pod.cluster.operator.output().splitlines() if line.strip()]
    assert lines
    for line in lines:
        assert isinstance(json.loads(line), dict), line
