"""RRSA through real parts: a ``cloudnet run`` process with the pod identity RRSA injects.

The operator reads the OIDC token file named by ``ALIBABA_CLOUD_OIDC_TOKEN_FILE``,
trades it at the simulator's STS (``--alibaba-sts-endpoint``) and creates the
ENS entry with the temporary credentials; a namespace not named by
``--rrsa-namespace`` may not use that identity.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudnet_devkit.kubectl import Kubectl
from tests.integration.harness import Cluster, Process, Simulator, ens_rule, wait_for

pytestmark = pytest.mark.integration

ROLE = "acs:ram::1234567890123456:role/cloudnet-operator"
OIDC_PROVIDER = "acs:ram::1234567890123456:oidc-provider/ack-rrsa-c0ffee"


def jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2ln"


def rrsa_config(namespace: str, sim: Simulator) -> dict[str, Any]:
    return {
        "apiVersion": "cloudnet.dev/v1alpha1",
        "kind": "ProviderConfig",
        "metadata": {"name": "ens", "namespace": namespace},
        "spec": {
            "provider": "alibaba-ens",
            "region": "cn-hangzhou",
            "endpoint": sim.url,
            "credentialsSource": "RRSA",
        },
    }


@pytest.fixture()
def rrsa_cluster(kubectl: Kubectl, tmp_path: Path, sim: Simulator) -> Iterator[Cluster]:
    token = tmp_path / "oidc-token"
    token.write_text(jwt({"sub": "system:serviceaccount:cloudnet:operator"}))
    c = Cluster(kubectl, tmp_path, sim)
    env = {
        **os.environ,
        "KUBECONFIG": kubectl.kubeconfig,
        "ALIBABA_CLOUD_ROLE_ARN": ROLE,
        "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": OIDC_PROVIDER,
        "ALIBABA_CLOUD_OIDC_TOKEN_FILE": str(token),
    }
    c.operator = Process(
        [
            "run",
            "--verbose",
            "--rrsa-namespace",
            "demo",
            "--alibaba-sts-endpoint",
            sim.url,
            "--allow-endpoint",
            sim.url,
        ],
        tmp_path / "operator.log",
        env=env,
    )
    kubectl("apply", "-f", str(Path(__file__).resolve().parents[2] / "crds"))
    kubectl.apply(
        [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}},
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tenant"}},
            rrsa_config("demo", sim),
            rrsa_config("tenant", sim),
        ]
    )
    c.operator.start()
    yield c
    c.operator.stop()


def test_rrsa_creates_with_sts_credentials_only_where_allowed(rrsa_cluster: Cluster) -> None:
    cluster = rrsa_cluster
    cluster.kubectl.apply(ens_rule("ssh"))
    cluster.kubectl.apply(ens_rule("ssh", namespace="tenant", external_port=2223))
    cluster.wait_phase("ssh", "ACTIVE")
    sts = cluster.sim.requests("AssumeRoleWithOIDC")
    assert [e["error_code"] for e in sts] == [None]  # one session for everything so far
    [create] = cluster.sim.requests("CreateForwardEntry")
    assert create["caller"].startswith("STS.") and create["error_code"] is None

    status = wait_for(
        lambda: (s := cluster.status("ssh", namespace="tenant")).get("phase") == "ERROR" and s,
        what="the tenant's rule to report its refusal",
    )
    ready = {c["type"]: c for c in status["conditions"]}["Ready"]
    assert ready["reason"] == "AuthFailed"
    assert "--rrsa-namespace" in ready["message"]
    # refused before any cloud call: still the one create, and no other STS session
    assert len(cluster.sim.requests("CreateForwardEntry")) == 1
    assert len(cluster.sim.requests("AssumeRoleWithOIDC")) == 1
    log = Path(cluster.operator.log).read_text()
    assert jwt({"sub": "system:serviceaccount:cloudnet:operator"}) not in log
