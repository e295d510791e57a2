"""The Helm chart (deploy/cloudnet-operator) and the Dockerfile, checked offline.

The chart is linted and rendered by the real ``helm`` binary (on PATH or in
``.tools/bin``, installed by ``make tools``); the rendered YAML is parsed and
the facts that matter are asserted: what the operator runs as, the exact
RBAC it gets, and that the CRDs it ships are the repository's ``crds/``.
Without helm these tests skip with a message saying so.

``kubectl apply --dry-run=client`` is not used: it needs an API server for
discovery even in client mode.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "cloudnet-operator"
CHART_CRDS = CHART / "files" / "crds"
CRDS = ROOT / "crds"
RELEASE = "rel"
NAMESPACE = "cloudnet-system"
FULLNAME = "rel-cloudnet-operator"
REFRESH = "cloudnet crds --output deploy/cloudnet-operator/files/crds"

Doc = dict[str, Any]


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


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    assert HELM is not None
    return subprocess.run([HELM, *args], capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture()
def render(tmp_path: Path) -> Callable[..., list[Doc]]:
    """``helm template`` with the given values; the documents, parsed."""
    counter = iter(range(1000))

    def _render(values: dict[str, Any] | None = None) -> list[Doc]:
        values_file = tmp_path / f"values-{next(counter)}.yaml"
        values_file.write_text(yaml.safe_dump(values or {}))
        result = helm("template", RELEASE, str(CHART), "-n", NAMESPACE, "-f", str(values_file))
        assert result.returncode == 0, result.stderr
        return [doc for doc in yaml.safe_load_all(result.stdout) if doc]

    return _render


def only(docs: list[Doc], kind: str, name: str | None = None) -> Doc:
    found = [
        d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    ]
    assert len(found) == 1, f"expected one {kind} {name or ''}, got {len(found)}"
    return found[0]


def kinds(docs: list[Doc]) -> list[str]:
    return sorted(d["kind"] for d in docs)


def repo_crds() -> dict[str, Doc]:
    return {
        doc["metadata"]["name"]: doc
        for doc in (yaml.safe_load(p.read_text()) for p in sorted(CRDS.glob("*.yaml")))
    }


def crd_plurals() -> set[str]:
    return {doc["spec"]["names"]["plural"] for doc in repo_crds().values()}


def walk_strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from walk_strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk_strings(item)
    elif isinstance(node, str):
        yield node


# The rules of templates/_helpers.tpl "cloudnet-operator.rules", as sets, so
# that any extra verb or resource (or a wildcard) fails a test.
CLOUDNET_KINDS = {"dnatrules", "networkinterfaceconfigs", "providerconfigs"}
EXPECTED_GRANTS = {
    *(("cloudnet.dev", r, v) for r in CLOUDNET_KINDS for v in ("get", "list", "watch", "patch")),
    *(("cloudnet.dev", f"{r}/status", "patch") for r in CLOUDNET_KINDS),
    # get by name; patch for the in-use finalizer and label; list/watch with that label only
    *(("", "secrets", v) for v in ("get", "list", "watch", "patch")),
    ("", "events", "create"),
    ("", "events", "patch"),
}


# What the chart passes by default: leader election on the release's Lease.
LEADER_ARGS = [
    "--leader-elect",
    f"--leader-election-namespace={NAMESPACE}",
    f"--leader-election-id={FULLNAME}",
    "--leader-election-lease-duration=15",
    "--leader-election-renew-deadline=10",
    "--leader-election-retry-period=2",
]


def grants(role: Doc) -> set[tuple[str, str, str]]:
    out: set[tuple[str, str, str]] = set()
    for rule in role["rules"]:
        assert set(rule) <= {"apiGroups", "resources", "verbs"}, rule  # no resourceNames tricks
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                for verb in rule["verbs"]:
                    out.add((group, resource, verb))
    return out


# --- lint -------------------------------------------------------------------


@needs_helm
@pytest.mark.parametrize(
    "sets",
    [
        [],
        ["--set", "watchNamespaces={a,b}"],
        ["--set", "simulator.enabled=true,simulator.admin=true"],
        ["--set", "metrics.enabled=true,probes.enabled=true,installCRDs=false"],
        [
            "--set",
            "networkPolicy.enabled=true,simulator.enabled=true",
            "--set",
            "allowEndpoints={https://ecs-vpc.cn-hangzhou.aliyuncs.com}",
        ],
        ["--set", "replicaCount=1,leaderElection.enabled=false"],
        ["--set", "replicaCount=3"],
    ],
    ids=[
        "default",
        "namespaced",
        "simulator",
        "metrics-probes-nocrds",
        "egress",
        "standalone",
        "three",
    ],
)
def test_helm_lint_strict_is_clean(sets: list[str]) -> None:
    result = helm("lint", "--strict", str(CHART), *sets)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "[WARNING]" not in out and "[ERROR]" not in out, out


@needs_helm
def test_values_schema_rejects_mistakes() -> None:
    for bad in (
        "watchNamespaces=foo",
        "replicaCount=-1",
        "image.pullPolicy=Sometimes",
        "leaderElection.leaseDuratoin=30",  # misspelt: additionalProperties false
        "podDisruptionBudget.minAvailable=2",
    ):
        result = helm("template", RELEASE, str(CHART), "--set", bad)
        assert result.returncode != 0, f"{bad} was accepted"


@needs_helm
@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("replicaCount=2,leaderElection.enabled=false", "replicaCount above 1 needs"),
        ("leaderElection.renewDeadline=15", "leaseDuration must be greater than"),
        ("leaderElection.retryPeriod=9", "renewDeadline must be greater than 1.2 x"),
    ],
)
def test_two_acting_replicas_or_a_fence_without_margin_fail_the_install(
    bad: str, message: str
) -> None:
    result = helm("template", RELEASE, str(CHART), "--set", bad)
    assert result.returncode != 0 and message in result.stderr, result.stderr


# --- the operator Deployment --------------------------------------------------


@needs_helm
def test_default_render_is_cluster_wide(render: Callable[..., list[Doc]]) -> None:
    docs = render()
    crd_count = len(list(CRDS.glob("*.yaml")))
    assert kinds(docs) == sorted(
        ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Deployment"]
        + ["Role", "RoleBinding", "PodDisruptionBudget"]  # leader election, two replicas
        + ["CustomResourceDefinition"] * crd_count
    )
    for doc in docs:
        labels = doc["metadata"]["labels"]
        assert labels["app.kubernetes.io/instance"] == RELEASE
        assert labels["app.kubernetes.io/name"] == "cloudnet-operator"
        if doc["kind"] in ("ServiceAccount", "Deployment", "Service"):
            assert doc["metadata"]["namespace"] == NAMESPACE


@needs_helm
def test_deployment_runs_cloudnet_run_as_non_root_read_only(
    render: Callable[..., list[Doc]],
) -> None:
    docs = render()
    deployment = only(docs, "Deployment")
    spec = deployment["spec"]
    assert spec["replicas"] == 2
    # the surge pod only stands by until the old one releases the Lease
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
    }
    pod = spec["template"]["spec"]
    assert pod["serviceAccountName"] == only(docs, "ServiceAccount")["metadata"]["name"]
    pod_sc = pod["securityContext"]
    assert pod_sc["runAsNonRoot"] is True
    assert pod_sc["runAsUser"] == 10001 and pod_sc["runAsUser"] != 0
    assert pod_sc["seccompProfile"] == {"type": "RuntimeDefault"}

    [container] = pod["containers"]
    assert container["command"] == ["cloudnet"]
    assert container["args"] == ["run", *LEADER_ARGS]
    env = {e["name"]: e for e in container["env"]}
    assert env["POD_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert env["POD_NAMESPACE"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}
    assert container["image"] == "cloudnet-operator:0.1.0"  # tag defaults to appVersion
    sc = container["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["runAsNonRoot"] is True
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert "add" not in sc["capabilities"]
    assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert sc.get("privileged") is not True
    # a writable /tmp, since the root filesystem is read-only
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    assert any(v["name"] == "tmp" and "emptyDir" in v for v in pod["volumes"])
    resources = container["resources"]
    assert set(resources["requests"]) == {"cpu", "memory"}
    assert set(resources["limits"]) >= {"memory"}
    # off by default: `cloudnet run` serves no liveness endpoint and no metrics yet
    assert "livenessProbe" not in container and "readinessProbe" not in container
    assert "ports" not in container
    assert not [d for d in docs if d["kind"] == "Service"]


@needs_helm
def test_verbose_image_and_scheduling_values(render: Callable[..., list[Doc]]) -> None:
    docs = render(
        {
            "verbose": True,
            "image": {"repository": "registry.example/cloudnet", "tag": "dev"},
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "tolerations": [{"key": "infra", "operator": "Exists", "effect": "NoSchedule"}],
            "extraEnv": [{"name": "HTTPS_PROXY", "value": "http://proxy:3128"}],
        }
    )
    pod = only(docs, "Deployment")["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["args"] == ["run", "--verbose", *LEADER_ARGS]
    assert container["image"] == "registry.example/cloudnet:dev"
    assert {"name": "HTTPS_PROXY", "value": "http://proxy:3128"} in container["env"]
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["tolerations"][0]["key"] == "infra"


@needs_helm
def test_metrics_service_and_probes_when_enabled(render: Callable[..., list[Doc]]) -> None:
    docs = render({"metrics": {"enabled": True}, "probes": {"enabled": True}})
    deployment = only(docs, "Deployment")
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["ports"] == [{"name": "metrics", "containerPort": 8080, "protocol": "TCP"}]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    service = only(docs, "Service")
    assert service["spec"]["ports"] == [
        {"name": "metrics", "port": 8080, "targetPort": "metrics", "protocol": "TCP"}
    ]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()


# --- RBAC -------------------------------------------------------------------


@needs_helm
def test_cluster_role_grants_exactly_what_the_operator_needs(
    render: Callable[..., list[Doc]],
) -> None:
    docs = render()
    role = only(docs, "ClusterRole")
    assert grants(role) == EXPECTED_GRANTS
    assert "*" not in set(walk_strings(role["rules"]))
    # Secrets: read by name, and watched (label-selected) and patched for the in-use protection
    assert {v for g, r, v in grants(role) if r == "secrets"} == {"get", "list", "watch", "patch"}
    binding = only(docs, "ClusterRoleBinding")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": role["metadata"]["name"],
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": FULLNAME, "namespace": NAMESPACE}
    ]


@needs_helm
def test_rbac_covers_every_crd_and_every_kind_the_code_patches(
    render: Callable[..., list[Doc]],
) -> None:
    from cloudnet.handlers.kube import PLURALS

    granted = grants(only(render(), "ClusterRole"))
    for plural in crd_plurals() | set(PLURALS.values()):
        for verb in ("get", "list", "watch", "patch"):
            assert ("cloudnet.dev", plural, verb) in granted, (plural, verb)
        assert ("cloudnet.dev", f"{plural}/status", "patch") in granted


@needs_helm
def test_rbac_covers_the_in_use_protection(render: Callable[..., list[Doc]]) -> None:
    """The ProviderConfig/Secret protection: finalizers, /status users, a label-selected watch."""
    from cloudnet.handlers import provider_config

    granted = grants(only(render(), "ClusterRole"))
    assert ("cloudnet.dev", "providerconfigs", "patch") in granted  # the in-use finalizer
    assert ("cloudnet.dev", "providerconfigs/status", "patch") in granted  # status.users
    for verb in ("get", "patch", "list", "watch"):  # read, protect, watch the labelled ones
        assert ("", "secrets", verb) in granted
    for verb in ("create", "update", "delete", "deletecollection"):
        assert ("", "secrets", verb) not in granted
    assert provider_config.IN_USE_LABEL == provider_config.IN_USE_FINALIZER == "cloudnet.dev/in-use"


@needs_helm
def test_watch_namespaces_gives_roles_not_a_cluster_role(
    render: Callable[..., list[Doc]],
) -> None:
    docs = render({"watchNamespaces": ["a", "b"]})
    assert not [d for d in docs if d["kind"] in ("ClusterRole", "ClusterRoleBinding")]
    roles = {
        d["metadata"]["namespace"]: d
        for d in docs
        if d["kind"] == "Role" and d["metadata"]["name"] == FULLNAME
    }
    bindings = {
        d["metadata"]["namespace"]: d
        for d in docs
        if d["kind"] == "RoleBinding" and d["metadata"]["name"] == FULLNAME
    }
    assert set(roles) == set(bindings) == {"a", "b"}
    for ns in ("a", "b"):
        assert grants(roles[ns]) == EXPECTED_GRANTS
        assert "*" not in set(walk_strings(roles[ns]["rules"]))
        assert bindings[ns]["roleRef"]["kind"] == "Role"
        assert bindings[ns]["roleRef"]["name"] == roles[ns]["metadata"]["name"]
        assert bindings[ns]["subjects"] == [
            {"kind": "ServiceAccount", "name": FULLNAME, "namespace": NAMESPACE}
        ]
    [container] = only(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["run", "--namespace", "a", "--namespace", "b", *LEADER_ARGS]


@needs_helm
def test_rbac_create_false_renders_no_rbac(render: Callable[..., list[Doc]]) -> None:
    docs = render({"rbac": {"create": False}, "serviceAccount": {"create": False, "name": "x"}})
    assert not {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount"} & {
        d["kind"] for d in docs
    }
    assert only(docs, "Deployment")["spec"]["template"]["spec"]["serviceAccountName"] == "x"


# --- high availability ------------------------------------------------------


def lease_grants(role: Doc) -> set[tuple[str, str, str, tuple[str, ...]]]:
    return {
        (group, resource, verb, tuple(rule.get("resourceNames", ())))
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


@needs_helm
@pytest.mark.parametrize("watch", [[], ["a", NAMESPACE]], ids=["cluster-wide", "namespaced"])
def test_leader_election_role_grants_exactly_the_lease_calls_in_the_release_namespace(
    render: Callable[..., list[Doc]], watch: list[str]
) -> None:
    docs = render({"watchNamespaces": watch})
    name = f"{FULLNAME}-leader-election"
    role = only(docs, "Role", name)
    assert role["metadata"]["namespace"] == NAMESPACE
    # get/update of the one Lease by name; create cannot be narrowed by name in RBAC
    assert lease_grants(role) == {
        ("coordination.k8s.io", "leases", "get", (FULLNAME,)),
        ("coordination.k8s.io", "leases", "update", (FULLNAME,)),
        ("coordination.k8s.io", "leases", "create", ()),
    }
    binding = only(docs, "RoleBinding", name)
    assert binding["metadata"]["namespace"] == NAMESPACE
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": name,
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": FULLNAME, "namespace": NAMESPACE}
    ]
    # the Lease the operator is told to use is the one the Role names
    [container] = only(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert f"--leader-election-id={FULLNAME}" in container["args"]
    assert f"--leader-election-namespace={NAMESPACE}" in container["args"]


def test_the_lease_calls_of_the_operator_are_the_granted_ones() -> None:
    """The elector uses GET, POST (create) and PUT (update) only: no patch, list or watch."""
    import inspect

    from cloudnet.handlers import leader

    source = inspect.getsource(leader.LeaseAPI)
    methods = set(re.findall(r'self\.call\("([A-Z]+)"', source))
    assert methods == {"GET", "POST", "PUT"}


@needs_helm
def test_pod_disruption_budget_keeps_one_replica(render: Callable[..., list[Doc]]) -> None:
    docs = render()
    pdb = only(docs, "PodDisruptionBudget")
    assert pdb["spec"]["minAvailable"] == 1
    pod_labels = only(docs, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    # one replica: a PDB of minAvailable 1 would block every node drain
    assert not [d for d in render({"replicaCount": 1}) if d["kind"] == "PodDisruptionBudget"]


@needs_helm
def test_leader_election_off_is_one_replica_with_recreate(
    render: Callable[..., list[Doc]],
) -> None:
    docs = render({"replicaCount": 1, "leaderElection": {"enabled": False}})
    spec = only(docs, "Deployment")["spec"]
    assert spec["strategy"] == {"type": "Recreate"}
    [container] = spec["template"]["spec"]["containers"]
    assert container["args"] == ["run"]
    assert not [d for d in docs if d["kind"] in ("Role", "RoleBinding", "PodDisruptionBudget")]


@needs_helm
def test_leader_election_durations_reach_the_operator(render: Callable[..., list[Doc]]) -> None:
    docs = render({"leaderElection": {"leaseDuration": 30, "renewDeadline": 20, "retryPeriod": 4}})
    [container] = only(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert container["args"][-3:] == [
        "--leader-election-lease-duration=30",
        "--leader-election-renew-deadline=20",
        "--leader-election-retry-period=4",
    ]


# --- the simulator ------------------------------------------------------------


@needs_helm
def test_simulator_is_its_own_deployment_and_service(render: Callable[..., list[Doc]]) -> None:
    assert not [d for d in render() if "simulator" in d["metadata"]["name"]]
    docs = render({"simulator": {"enabled": True}})
    name = f"{FULLNAME}-simulator"
    sim = only(docs, "Deployment", name)
    operator = only(docs, "Deployment", FULLNAME)
    pod = sim["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["command"] == ["cloudnet"]
    assert container["args"] == ["sim", "--host", "0.0.0.0", "--port", "18900"]
    assert container["image"] == "cloudnet-operator:0.1.0"
    assert container["ports"] == [{"name": "http", "containerPort": 18900, "protocol": "TCP"}]
    assert container["readinessProbe"]["tcpSocket"] == {"port": "http"}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False
    assert sim["metadata"]["namespace"] == NAMESPACE

    service = only(docs, "Service", name)
    assert service["metadata"]["namespace"] == NAMESPACE
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 18900, "targetPort": "http", "protocol": "TCP"}
    ]
    sim_labels = sim["spec"]["template"]["metadata"]["labels"]
    operator_labels = operator["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= sim_labels.items()
    assert not service["spec"]["selector"].items() <= operator_labels.items()
    # the two Deployments never adopt each other's pods
    assert not sim["spec"]["selector"]["matchLabels"].items() <= operator_labels.items()
    assert not operator["spec"]["selector"]["matchLabels"].items() <= sim_labels.items()


@needs_helm
def test_simulator_admin_flag(render: Callable[..., list[Doc]]) -> None:
    docs = render({"simulator": {"enabled": True, "admin": True}})
    sim = only(docs, "Deployment", f"{FULLNAME}-simulator")
    assert sim["spec"]["template"]["spec"]["containers"][0]["args"][-1] == "--admin"


@needs_helm
def test_allow_endpoints_and_the_simulator_become_allow_endpoint_args(
    render: Callable[..., list[Doc]],
) -> None:
    def args(values: dict[str, Any]) -> list[str]:
        operator = only(render(values), "Deployment", FULLNAME)
        return list(operator["spec"]["template"]["spec"]["containers"][0]["args"])

    assert "--allow-endpoint" not in args({})
    vpc = "https://ecs-vpc.cn-hangzhou.aliyuncs.com"
    assert args({"allowEndpoints": [vpc, vpc]}) == ["run", "--allow-endpoint", vpc, *LEADER_ARGS]
    sim = f"http://{FULLNAME}-simulator.{NAMESPACE}.svc:18900"
    assert args({"simulator": {"enabled": True}}) == [
        "run",
        "--allow-endpoint",
        sim,
        *LEADER_ARGS,
    ]


@needs_helm
def test_values_schema_rejects_endpoint_and_network_policy_mistakes() -> None:
    for bad in (
        "allowEndpoints={https://user@ecs.aliyuncs.com}",
        "allowEndpoints={ecs.aliyuncs.com}",
        "networkPolicy.enable=true",
    ):
        result = helm("template", RELEASE, str(CHART), "--set", bad)
        assert result.returncode != 0, f"{bad} was accepted"


@needs_helm
def test_network_policy_allows_dns_the_api_server_and_443_only(
    render: Callable[..., list[Doc]],
) -> None:
    assert not [d for d in render() if d["kind"] == "NetworkPolicy"]
    docs = render({"networkPolicy": {"enabled": True}})
    policy = only(docs, "NetworkPolicy", FULLNAME)
    operator = only(docs, "Deployment", FULLNAME)
    pod_labels = operator["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()
    assert policy["spec"]["policyTypes"] == ["Egress"]
    ports = {(p["port"], p["protocol"]) for rule in policy["spec"]["egress"] for p in rule["ports"]}
    assert ports == {(53, "UDP"), (53, "TCP"), (443, "TCP"), (6443, "TCP")}
    with_sim = only(
        render({"networkPolicy": {"enabled": True}, "simulator": {"enabled": True}}),
        "NetworkPolicy",
        FULLNAME,
    )
    [sim_rule] = [r for r in with_sim["spec"]["egress"] if r["ports"][0]["port"] == 18900]
    selector = sim_rule["to"][0]["podSelector"]["matchLabels"]
    assert selector["app.kubernetes.io/component"] == "simulator"


# --- CRDs -------------------------------------------------------------------


def test_chart_crd_files_equal_the_repository_crds() -> None:
    ours = sorted(p.name for p in CHART_CRDS.glob("*.yaml"))
    theirs = sorted(p.name for p in CRDS.glob("*.yaml"))
    assert ours == theirs, f"chart CRD files differ from crds/: run `{REFRESH}`"
    for name in theirs:
        assert (CHART_CRDS / name).read_bytes() == (CRDS / name).read_bytes(), (
            f"{CHART_CRDS / name} is stale: run `{REFRESH}`"
        )


@needs_helm
def test_rendered_crds_are_the_repository_crds_with_the_keep_policy(
    render: Callable[..., list[Doc]],
) -> None:
    rendered = {
        d["metadata"]["name"]: d for d in render() if d["kind"] == "CustomResourceDefinition"
    }
    expected = repo_crds()
    assert set(rendered) == set(expected)
    for name, crd in rendered.items():
        meta = dict(crd["metadata"])
        assert meta.pop("annotations") == {"helm.sh/resource-policy": "keep"}
        assert meta.pop("labels")["app.kubernetes.io/instance"] == RELEASE
        assert "namespace" not in meta  # cluster-scoped
        # Everything else survives Helm's fromYaml/toYaml unchanged (types included).
        got = json.dumps({**crd, "metadata": meta}, sort_keys=True)
        assert got == json.dumps(expected[name], sort_keys=True), f"{name} changed by the template"


@needs_helm
def test_install_crds_false_renders_none(render: Callable[..., list[Doc]]) -> None:
    assert "CustomResourceDefinition" not in kinds(render({"installCRDs": False}))


def test_chart_has_no_crds_folder() -> None:
    """Helm never upgrades crds/: the CRDs must come from templates/ (STYLE.md)."""
    assert not (CHART / "crds").exists()


def test_chart_metadata() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert chart["apiVersion"] == "v2"
    assert chart["name"] == "cloudnet-operator"
    assert chart["appVersion"] == project["version"] == "0.1.0"


# --- Dockerfile ---------------------------------------------------------------


def _dockerfile() -> list[str]:
    """Instructions, with continuation lines joined and comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    text = re.sub(r"\\\n", " ", text)
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_dockerfile_base_image_satisfies_requires_python() -> None:
    lines = _dockerfile()
    args = dict(
        line.removeprefix("ARG ").split("=", 1) for line in lines if line.startswith("ARG ")
    )
    froms = [line.split()[1] for line in lines if line.startswith("FROM ")]
    assert len(froms) >= 2, "multi-stage build expected"
    images = {re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], f) for f in froms}
    assert images == {"python:3.11-slim"}
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    version = re.fullmatch(r"python:(\d+\.\d+)-slim", images.pop())
    assert version and version.group(1) in SpecifierSet(requires)


def test_dockerfile_runs_cloudnet_as_the_charts_non_root_user() -> None:
    lines = _dockerfile()
    final = lines[max(i for i, line in enumerate(lines) if line.startswith("FROM ")) :]
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users, "the final stage must set USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "numeric non-root USER (runAsNonRoot checks it)"
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert int(uid) == values["podSecurityContext"]["runAsUser"]
    assert 'ENTRYPOINT ["cloudnet"]' in final
    assert 'CMD ["run"]' in final
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert "cloudnet" in scripts
    # the project is installed from its wheel into a venv on PATH
    assert any("pip wheel" in line for line in lines)
    assert any("python -m venv /opt/venv" in line for line in final)
    assert any(line.startswith("ENV") and "PATH=/opt/venv/bin:" in line for line in final)


def test_dockerfile_copies_only_what_dockerignore_lets_through() -> None:
    ignore = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert ignore[0] == "*", ".dockerignore should exclude by default"
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    for line in _dockerfile():
        if line.startswith("COPY ") and "--from" not in line:
            *sources, _dest = line.split()[1:]
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: no such path"
                assert source.rstrip("/") in allowed, f"COPY {source} is excluded by .dockerignore"
