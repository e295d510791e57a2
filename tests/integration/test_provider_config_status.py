"""ProviderConfig status through real parts: Ready from one read per check, printer columns."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.harness import AK, ALI_AK, ALI_SK, PROJECT, SK, Cluster, wait_for

pytestmark = pytest.mark.integration


def _secret(name: str, **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": "demo"},
        "stringData": data,
    }


def _config(name: str, secret: str, endpoint: str, **spec: str) -> dict[str, Any]:
    return {
        "apiVersion": "cloudnet.dev/v1alpha1",
        "kind": "ProviderConfig",
        "metadata": {"name": name, "namespace": "demo"},
        "spec": {"endpoint": endpoint, "credentialsSecretRef": {"name": secret}, **spec},
    }


def _ready(cluster: Cluster, name: str, reason: str) -> dict[str, Any]:
    found: dict[str, Any] = wait_for(
        lambda: (c := cluster.config_ready(name)).get("reason") == reason and c,
        timeout=20,
        what=f"ProviderConfig {name} Ready reason {reason} (log: {cluster.operator.log})",
    )
    return found


def test_ready_follows_the_credentials(cluster: Cluster) -> None:
    # every provider's check passes with the simulator's keys
    for name in ("huawei", "ens", "ecs", "sag"):
        assert _ready(cluster, name, "CredentialsAccepted")["status"] == "True"
    table = cluster.kubectl("get", "cnpc", "-n", "demo").stdout
    assert table.split("\n")[0].split() == ["NAME", "PROVIDER", "REGION", "READY", "USERS", "AGE"]
    assert "huawei-nat" in table and "True" in table

    huawei = {"provider": "huawei-nat", "region": "cn-north-4", "projectId": PROJECT}
    ens = {"provider": "alibaba-ens", "region": "cn-hangzhou"}
    cluster.kubectl.apply(
        [
            _secret("wrong-hw", accessKeyId=AK, accessKeySecret="not-the-secret-key"),
            _config("huawei-wrong", "wrong-hw", cluster.sim.url, **huawei),
            _secret("wrong-ali", accessKeyId="LTAI5tNoSuchKey000000000", accessKeySecret=ALI_SK),
            _config("ens-wrong", "wrong-ali", cluster.sim.url, **ens),
            _config("ens-late", "late", cluster.sim.url, **ens),
        ]
    )
    rejected = _ready(cluster, "huawei-wrong", "CredentialsRejected")
    assert rejected["status"] == "False"
    assert rejected["message"].startswith("APIGW.0301: "), rejected  # the cloud's parsed code
    rejected = _ready(cluster, "ens-wrong", "CredentialsRejected")
    assert rejected["message"].startswith("InvalidAccessKeyId.NotFound: "), rejected
    missing = _ready(cluster, "ens-late", "SecretMissing")
    assert "'late' not found" in missing["message"]
    assert "not-the-secret-key" not in str(cluster.get("huawei-wrong", kind="providerconfig"))

    # fixing the Secrets (unused, so not watched: looked at again while failing) flips them
    checks = len(cluster.sim.requests("ListNatGatewayDnatRules"))
    cluster.kubectl.apply(
        [
            _secret("wrong-hw", accessKeyId=AK, accessKeySecret=SK),
            _secret("wrong-ali", accessKeyId=ALI_AK, accessKeySecret=ALI_SK),
            _secret("late", accessKeyId=ALI_AK, accessKeySecret=ALI_SK),
        ]
    )
    for name in ("huawei-wrong", "ens-wrong", "ens-late"):
        assert _ready(cluster, name, "CredentialsAccepted")["status"] == "True"
    # one read per change, not one per look at the Secret
    assert len(cluster.sim.requests("ListNatGatewayDnatRules")) == checks + 1
