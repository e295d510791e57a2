"""The chart under test and its flag table, shared by the chart's tests.

tests/unit/test_chart.py renders and checks the chart; tests/unit/test_configuration_doc.py
checks the docs' tables against the same values and flags; tests/integration/test_chart_process.py
runs the rendered container. The helm binary is the one on PATH or in ``.tools/bin``
(installed by ``make tools``); :data:`needs_helm` skips a test without it.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "cloudnet-operator"
# `helm template RELEASE CHART -n NAMESPACE`: the names the rendered objects get
RELEASE = "rel"
NAMESPACE = "cloudnet-system"
FULLNAME = "rel-cloudnet-operator"


def _helm_binary() -> str | None:
    found = shutil.which("helm")
    if found:
        return found
    local = ROOT / ".tools" / "bin" / "helm"
    return str(local) if local.is_file() else None


HELM = _helm_binary()
needs_helm = pytest.mark.skipif(
    HELM is None,
    reason="helm not found on PATH or in .tools/bin: run `make tools` (scripts/install-tools.sh)",
)


#: An allowed endpoint, for the value sets and the flag table
VPC = "https://ecs-vpc.cn-hangzhou.aliyuncs.com"


#: Objects of values.schema.json that take keys the chart does not know, each with the reason.
#: Any other object must set additionalProperties: false, so that a misspelt key fails.
PASSTHROUGH = {
    # Kubernetes objects, copied into the manifests as given (the API server checks them)
    "networkPolicy.apiServer[]": "NetworkPolicyPeer",
    "networkPolicy.extraEgress[]": "NetworkPolicyEgressRule",
    "extraEnv[]": "EnvVar",
    "podSecurityContext": "PodSecurityContext",
    "securityContext": "SecurityContext",
    "tolerations[]": "Toleration",
    "affinity": "Affinity",
    # maps of labels and annotations: the keys are the user's
    "serviceAccount.annotations": "annotations",
    "metrics.service.annotations": "annotations",
    "metrics.serviceMonitor.labels": "labels",
    "dashboards.labels": "labels",
    "dashboards.annotations": "annotations",
    "podAnnotations": "annotations",
    "podLabels": "labels",
    "nodeSelector": "node labels",
}


MISSING = object()


def leaves(node: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, value) of every value of values.yaml; lists, empty maps and the Kubernetes
    objects passed through as given are values."""
    if isinstance(node, dict) and node and ".".join(prefix) not in PASSTHROUGH:
        for key, value in node.items():
            yield from leaves(value, (*prefix, key))
    else:
        yield prefix, node


def lookup(values: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = values
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return MISSING
        node = node[key]
    return node


def run_flags() -> dict[str, argparse.Action]:
    """The `cloudnet run` flags by their first long spelling, read off the real parser."""
    from cloudnet import cli

    [sub] = [a for a in cli._parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return {
        next(s for s in action.option_strings if s.startswith("--")): action
        for action in sub.choices["run"]._actions
        if action.option_strings and action.dest != "help"
    }


# flag -> (values that make the chart pass it, the parsed attribute, its expected value).
# --verbose has no value of its own: logLevel debug is the same (cli.py says so).
FLAG_VALUES: dict[str, tuple[dict[str, Any], str, Any]] = {
    "--namespace": ({"watchNamespaces": ["a", "b"]}, "namespace", ["a", "b"]),
    "--verbose": ({"logLevel": "debug"}, "log_level", "debug"),
    "--log-level": ({"logLevel": "warning"}, "log_level", "warning"),
    "--log-format": ({"logFormat": "plain"}, "log_format", "plain"),
    "--metrics-bind-address": (
        {"metrics": {"port": 9090}},
        "metrics_bind_address",
        ("0.0.0.0", 9090),
    ),
    "--liveness": ({"probes": {"livenessPort": 9091}}, "liveness", "http://0.0.0.0:9091/healthz"),
    "--readiness": ({"metrics": {"port": 9090}}, "readiness", "http://0.0.0.0:9090/readyz"),
    "--cloud-rate": ({"cloudRate": 7.5}, "cloud_rate", 7.5),
    "--allow-endpoint": ({"allowEndpoints": [VPC]}, "allow_endpoint", [VPC]),
    "--drift-interval": ({"driftInterval": 0}, "drift_interval", 0.0),
    "--rrsa-namespace": ({"rrsaNamespaces": ["a", "*"]}, "rrsa_namespace", ["a", "*"]),
    "--alibaba-sts-endpoint": (
        {"alibabaStsEndpoint": "https://sts.example"},
        "alibaba_sts_endpoint",
        "https://sts.example",
    ),
    "--huawei-iam-endpoint": (
        {"huaweiIamEndpoint": "https://iam.example"},
        "huawei_iam_endpoint",
        "https://iam.example",
    ),
    "--leader-elect": ({"leaderElection": {"enabled": True}}, "leader_elect", True),
    "--leader-election-namespace": ({}, "leader_election_namespace", NAMESPACE),
    "--leader-election-id": ({"fullnameOverride": "ha"}, "leader_election_id", "ha"),
    "--leader-election-lease-duration": (
        {"leaderElection": {"leaseDuration": 30}},
        "leader_election_lease_duration",
        30.0,
    ),
    "--leader-election-renew-deadline": (
        {"leaderElection": {"renewDeadline": 12}},
        "leader_election_renew_deadline",
        12.0,
    ),
    "--leader-election-retry-period": (
        {"leaderElection": {"retryPeriod": 3}},
        "leader_election_retry_period",
        3.0,
    ),
}
