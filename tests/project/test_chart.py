"""The Helm chart (deploy/cloudnet-operator) and the Dockerfile, checked offline.

The chart is linted and rendered by the real ``helm`` binary (on PATH or in
``.tools/bin``, installed by ``make tools``); the rendered YAML is parsed and
the facts that matter are asserted: what the operator runs as, the exact
RBAC it gets, and that the CRDs it ships are the repository's ``crds/``.
Without helm these tests skip with a message saying so.

The manifests are checked against the Kubernetes API's own JSON schemas with
``kubernetes-validate`` instead of ``kubectl apply --dry-run=client``, which
needs an API server for discovery even in client mode.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.specifiers import SpecifierSet

from tests.fixtures.chart_kit import (
    CHART,
    FLAG_VALUES,
    FULLNAME,
    HELM,
    MISSING,
    NAMESPACE,
    PASSTHROUGH,
    RELEASE,
    ROOT,
    VPC,
    leaves,
    lookup,
    needs_helm,
    run_flags,
)

CHART_CRDS = CHART / "files" / "crds"
CRDS = ROOT / "crds"
REFRESH = "cloudnet crds --output deploy/cloudnet-operator/files/crds"

Doc = dict[str, Any]


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


# What the chart passes by default: the settings always shown, metrics and probes, and
# leader election on the release's Lease.
SETTINGS_ARGS = [
    "--log-level=info",
    "--log-format=json",
    "--drift-interval=60",
    "--cloud-rate=50",
]
OPS_ARGS = [
    "--metrics-bind-address=0.0.0.0:8080",
    "--liveness=http://0.0.0.0:8081/healthz",
    "--readiness=http://0.0.0.0:8080/readyz",
]
LEADER_ARGS = [
    "--leader-elect",
    f"--leader-election-namespace={NAMESPACE}",
    f"--leader-election-id={FULLNAME}",
    "--leader-election-lease-duration=15",
    "--leader-election-renew-deadline=10",
    "--leader-election-retry-period=2",
]
DEFAULT_ARGS = ["run", *SETTINGS_ARGS, *OPS_ARGS, *LEADER_ARGS]


def container_of(docs: list[Doc], name: str = FULLNAME) -> Doc:
    [container] = only(docs, "Deployment", name)["spec"]["template"]["spec"]["containers"]
    return dict(container)


def grants(role: Doc) -> set[tuple[str, str, str]]:
    out: set[tuple[str, str, str]] = set()
    for rule in role["rules"]:
        assert set(rule) <= {"apiGroups", "resources", "verbs"}, rule  # no resourceNames tricks
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                for verb in rule["verbs"]:
                    out.add((group, resource, verb))
    return out


# --- every value: lint, render, validate against the Kubernetes schemas ----------

# Value sets that, together, set every value of values.yaml to something other than its
# default (test_value_sets_cover_every_value checks it); each is linted, rendered and
# validated.
VALUE_SETS: dict[str, dict[str, Any]] = {
    "default": {},
    "namespaced-tuned": {
        "watchNamespaces": ["a", "b"],
        "logLevel": "debug",
        "logFormat": "plain",
        "driftInterval": 0,
        "cloudRate": 2.5,
        "allowEndpoints": [VPC],
        "rrsaNamespaces": ["a", "*"],
        "alibabaStsEndpoint": "https://sts-vpc.cn-hangzhou.aliyuncs.com",
        "huaweiIamEndpoint": "https://iam.cn-north-4.myhuaweicloud.com",
        "extraArgs": ["--cloud-rate=5"],
        "extraEnv": [{"name": "HTTPS_PROXY", "value": "http://proxy:3128"}],
        "nameOverride": "cloudnet",
    },
    "image-scheduling": {
        "image": {"repository": "registry.example/cloudnet", "tag": "dev", "pullPolicy": "Always"},
        "imagePullSecrets": [{"name": "registry"}],
        "podAnnotations": {"example.com/team": "net"},
        "podLabels": {"example.com/tier": "infra"},
        "priorityClassName": "system-cluster-critical",
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "infra", "operator": "Exists", "effect": "NoSchedule"}],
        "affinity": {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 100,
                        "podAffinityTerm": {
                            "topologyKey": "kubernetes.io/hostname",
                            "labelSelector": {
                                "matchLabels": {"app.kubernetes.io/name": "cloudnet-operator"}
                            },
                        },
                    }
                ]
            }
        },
        "resources": {
            "requests": {"cpu": "1", "memory": "640Mi"},
            "limits": {"cpu": "1500m", "memory": "1536Mi"},
        },
        "podSecurityContext": {"runAsNonRoot": True, "runAsUser": 10001, "fsGroup": 10001},
        "securityContext": {
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    },
    "simulator-egress": {
        "simulator": {
            "enabled": True,
            "admin": True,
            "port": 18901,
            "image": {"repository": "registry.example/cloudnet-sim", "tag": "dev"},
            "resources": {
                "requests": {"cpu": "100m", "memory": "128Mi"},
                "limits": {"cpu": "1", "memory": "512Mi"},
            },
            "service": {"type": "NodePort"},
        },
        "networkPolicy": {
            "enabled": True,
            "apiServer": [{"ipBlock": {"cidr": "10.0.0.1/32"}}],
            "apiServerPorts": [6443],
            "extraEgress": [{"ports": [{"port": 3128, "protocol": "TCP"}]}],
        },
    },
    "monitoring": {
        "metrics": {
            "port": 9090,
            "service": {
                "type": "NodePort",
                "port": 9090,
                "annotations": {"example.com/scrape": "true"},
            },
            "serviceMonitor": {
                "enabled": True,
                "interval": "15s",
                "labels": {"release": "kube-prometheus-stack"},
            },
        },
        "probes": {
            "livenessPort": 9091,
            "liveness": {
                "initialDelaySeconds": 5,
                "periodSeconds": 10,
                "timeoutSeconds": 2,
                "failureThreshold": 6,
            },
            "readiness": {
                "initialDelaySeconds": 1,
                "periodSeconds": 5,
                "timeoutSeconds": 2,
                "failureThreshold": 2,
            },
        },
        "dashboards": {
            "enabled": True,
            "labels": {"grafana_dashboard": "1", "example.com/team": "net"},
            "annotations": {"grafana_folder": "cloudnet"},
            "namespace": "monitoring",
        },
    },
    "readiness-without-metrics": {"metrics": {"enabled": False}},
    "metrics-without-probes": {"probes": {"enabled": False}},
    "standalone": {"replicaCount": 1, "leaderElection": {"enabled": False}},
    "three-slow-lease": {
        "replicaCount": 3,
        "leaderElection": {"leaseDuration": 30, "renewDeadline": 20, "retryPeriod": 4},
        "podDisruptionBudget": {"enabled": False},
    },
    "external-rbac": {
        "installCRDs": False,
        "rbac": {"create": False},
        "serviceAccount": {"create": False, "name": "cloudnet"},
        "fullnameOverride": "cloudnet",
    },
    "service-account": {
        "serviceAccount": {
            "name": "cloudnet-sa",
            "annotations": {"example.com/role": "acs:ram::123:role/cloudnet"},
        }
    },
}

#: Kinds rendered from CRDs that kubernetes-validate has no schema for (it ships the
#: built-in API only): the Prometheus Operator's ServiceMonitor.
NOT_BUILT_IN = {("monitoring.coreos.com/v1", "ServiceMonitor")}
#: The Kubernetes version the manifests are validated against: kubernetes-validate ships
#: 1.25 and later; 1.30 is in the middle of the supported window (Chart.yaml: >= 1.25).
KUBERNETES = "1.30"


def test_value_sets_cover_every_value() -> None:
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    untouched = [
        ".".join(path)
        for path, default in leaves(defaults)
        if not any(lookup(values, path) not in (MISSING, default) for values in VALUE_SETS.values())
    ]
    assert not untouched, f"no value set of the tests changes {untouched}"


@pytest.fixture(scope="module")
def rendered_sets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Doc]]:
    """Every value set, linted with --strict and rendered once for the tests below."""
    out: dict[str, list[Doc]] = {}
    folder = tmp_path_factory.mktemp("value-sets")
    for name, values in VALUE_SETS.items():
        path = folder / f"{name}.yaml"
        path.write_text(yaml.safe_dump(values))
        result = helm("template", RELEASE, str(CHART), "-n", NAMESPACE, "-f", str(path))
        assert result.returncode == 0, f"{name}: {result.stderr}"
        out[name] = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    return out


@needs_helm
@pytest.mark.parametrize("name", list(VALUE_SETS))
def test_helm_lint_strict_is_clean(name: str, tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(VALUE_SETS[name]))
    result = helm("lint", "--strict", str(CHART), "-n", NAMESPACE, "-f", str(path))
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "[WARNING]" not in out and "[ERROR]" not in out, out


@needs_helm
@pytest.mark.parametrize("name", list(VALUE_SETS))
def test_rendered_manifests_are_valid_kubernetes_objects(
    name: str, rendered_sets: dict[str, list[Doc]]
) -> None:
    """Strict schemas (unknown fields refused) of the built-in API, offline."""
    import kubernetes_validate

    validated = []
    for doc in rendered_sets[name]:
        if (doc["apiVersion"], doc["kind"]) in NOT_BUILT_IN:
            continue
        try:
            kubernetes_validate.validate(doc, KUBERNETES, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = ".".join(str(p) for p in exc.path)
            pytest.fail(f"{name}: {doc['kind']} {doc['metadata']['name']}: {where}: {exc.message}")
        validated.append(doc["kind"])
    assert "Deployment" in validated, validated


def test_kubernetes_validate_refuses_what_the_api_server_would() -> None:
    """The validation above is strict: an unknown field and a wrong type fail it."""
    import kubernetes_validate

    service: Doc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "x"},
        "spec": {"ports": [{"port": 80}]},
    }
    assert kubernetes_validate.validate(service, KUBERNETES, strict=True) == KUBERNETES
    for bad in ({"prots": []}, {"ports": [{"port": "eighty"}]}):
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate({**service, "spec": bad}, KUBERNETES, strict=True)


# --- values.schema.json -------------------------------------------------------------

SCHEMA = json.loads((CHART / "values.schema.json").read_text())


def schema_objects(node: Doc, path: str = "") -> Iterator[tuple[str, Doc]]:
    if node.get("type") == "object" or "properties" in node:
        yield path, node
    for key, child in node.get("properties", {}).items():
        yield from schema_objects(child, f"{path}.{key}" if path else key)
    if isinstance(node.get("items"), dict):
        yield from schema_objects(node["items"], f"{path}[]")


def test_values_schema_closes_every_object_of_the_charts_own() -> None:
    found = dict(schema_objects(SCHEMA))
    assert set(PASSTHROUGH) <= set(found), set(PASSTHROUGH) - set(found)
    for path, node in found.items():
        if path in PASSTHROUGH:
            assert node.get("additionalProperties") is not False, path
            assert "passthrough" in node.get("description", "").lower(), (
                f"{path}: say in its description that it is passed through as given"
            )
        else:
            assert node.get("additionalProperties") is False, f"{path or '(top)'} is open"


def test_values_schema_and_values_yaml_name_the_same_keys() -> None:
    """A value documented in values.yaml is in the schema, and the other way round."""
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    closed = {p: n for p, n in schema_objects(SCHEMA) if p not in PASSTHROUGH and "[]" not in p}
    for path, node in closed.items():
        value = lookup(defaults, tuple(path.split("."))) if path else defaults
        assert isinstance(value, dict), path
        assert set(value) == set(node["properties"]), (path, set(value) ^ set(node["properties"]))


@needs_helm
@pytest.mark.parametrize(
    "bad",
    [
        "watchNamespaces=foo",
        "watchNamespace={a}",  # misspelt at the top level
        "verbose=true",  # renamed: logLevel=debug
        "metrics.enable=false",
        "metrics.serviceMonitor.enable=true",
        "probes.liveness.httpGet.path=/x",  # the paths are the operator's, not values
        "probes.livenessPort=0",
        "resources.request.cpu=1",
        "resources.requests.cpu=lots",
        "image.pullPolicy=Sometimes",
        "image.registry=x",
        "serviceAccount.create=yes",
        "rbac.enabled=false",
        "simulator.service.port=1",
        "dashboards.label.grafana=1",
        "replicaCount=-1",
        "leaderElection.leaseDuratoin=30",
        "podDisruptionBudget.minAvailable=2",
        "logLevel=trace",
        "logFormat=text",
        "driftInterval=-1",
        "cloudRate=0",
        "rrsaNamespaces={Not_A_Namespace}",
        "alibabaStsEndpoint=sts.aliyuncs.com",
        "huaweiIamEndpoint=ftp://iam.example",
        "metrics.serviceMonitor.interval=30",
        "allowEndpoints={https://user@ecs.aliyuncs.com}",
        "allowEndpoints={ecs.aliyuncs.com}",
        "networkPolicy.enable=true",
    ],
)
def test_values_schema_rejects_mistakes(bad: str) -> None:
    result = helm("template", RELEASE, str(CHART), "--set", bad)
    assert result.returncode != 0, f"{bad} was accepted"
    assert "schema" in result.stderr, result.stderr


@needs_helm
@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("replicaCount=2,leaderElection.enabled=false", "replicaCount above 1 needs"),
        ("leaderElection.renewDeadline=15", "leaseDuration must be greater than"),
        ("leaderElection.retryPeriod=9", "renewDeadline must be greater than 1.2 x"),
        ("probes.livenessPort=8080", "probes.livenessPort must differ from metrics.port"),
        (
            "metrics.enabled=false,metrics.serviceMonitor.enabled=true",
            "metrics.serviceMonitor.enabled needs metrics.enabled",
        ),
    ],
)
def test_values_that_cannot_work_together_fail_the_install(bad: str, message: str) -> None:
    result = helm("template", RELEASE, str(CHART), "--set", bad)
    assert result.returncode != 0 and message in result.stderr, result.stderr


# --- every `cloudnet run` flag has a value --------------------------------------------


def parse_run(args: list[str]) -> argparse.Namespace:
    from cloudnet import cli

    assert args[0] == "run"
    return cli._parser().parse_args(args)


#: Flags that only spell another flag's setting differently: checked through that one.
ALIASES = {"--verbose": "--log-level"}


def test_every_cloudnet_run_flag_is_mapped_to_a_chart_value() -> None:
    flags = run_flags()
    assert set(FLAG_VALUES) == set(flags), (
        f"unmapped flags {sorted(set(flags) - set(FLAG_VALUES))}, "
        f"gone flags {sorted(set(FLAG_VALUES) - set(flags))}: give each a chart value"
    )
    for flag, (_, dest, _) in FLAG_VALUES.items():
        assert flags[ALIASES.get(flag, flag)].dest == dest, flag


@needs_helm
@pytest.mark.parametrize("flag", list(FLAG_VALUES))
def test_each_flag_reaches_cloudnet_run_from_its_value(
    flag: str, render: Callable[..., list[Doc]]
) -> None:
    values, dest, expected = FLAG_VALUES[flag]
    parsed = parse_run(
        container_of(render(values), values.get("fullnameOverride", FULLNAME))["args"]
    )
    got = getattr(parsed, dest)
    if dest == "metrics_bind_address":
        got = (got.host, got.port)
    assert got == expected, (flag, got)


@needs_helm
def test_default_args_parse_and_leave_the_unset_flags_unset(
    render: Callable[..., list[Doc]],
) -> None:
    args = container_of(render())["args"]
    assert args == DEFAULT_ARGS
    parsed = parse_run(args)
    assert (parsed.namespace, parsed.allow_endpoint, parsed.rrsa_namespace) == ([], [], [])
    assert parsed.alibaba_sts_endpoint is None and parsed.huawei_iam_endpoint is None
    assert parsed.verbose is False
    # cli.main refuses a readiness URL on the liveness port; the chart's differ
    from cloudnet.handlers.health import parse_url

    assert parse_url(parsed.readiness)[0] != parse_url(parsed.liveness)[0]


@needs_helm
def test_extra_args_come_last_and_so_win(render: Callable[..., list[Doc]]) -> None:
    args = container_of(render({"extraArgs": ["--cloud-rate=5", "--log-level", "error"]}))["args"]
    assert args[-3:] == ["--cloud-rate=5", "--log-level", "error"]
    parsed = parse_run(args)
    assert (parsed.cloud_rate, parsed.log_level) == (5.0, "error")


# --- the operator Deployment --------------------------------------------------


@needs_helm
def test_default_render_is_cluster_wide(render: Callable[..., list[Doc]]) -> None:
    docs = render()
    crd_count = len(list(CRDS.glob("*.yaml")))
    assert kinds(docs) == sorted(
        ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Deployment", "Service"]
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
    assert container["args"] == DEFAULT_ARGS
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


@needs_helm
def test_log_level_image_and_scheduling_values(render: Callable[..., list[Doc]]) -> None:
    docs = render(
        {
            "logLevel": "debug",
            "logFormat": "plain",
            "image": {"repository": "registry.example/cloudnet", "tag": "dev"},
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "tolerations": [{"key": "infra", "operator": "Exists", "effect": "NoSchedule"}],
            "extraEnv": [{"name": "HTTPS_PROXY", "value": "http://proxy:3128"}],
        }
    )
    pod = only(docs, "Deployment")["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["args"][:3] == ["run", "--log-level=debug", "--log-format=plain"]
    assert "--verbose" not in container["args"]  # logLevel replaced the verbose value
    assert container["image"] == "registry.example/cloudnet:dev"
    assert {"name": "HTTPS_PROXY", "value": "http://proxy:3128"} in container["env"]
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["tolerations"][0]["key"] == "infra"


def probe_target(container: Doc, probe: str) -> tuple[int, str]:
    """The port number and path a probe GETs, its named port resolved."""
    get = container[probe]["httpGet"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    port = get["port"]
    return (ports[port] if isinstance(port, str) else port), get["path"]


@needs_helm
def test_metrics_and_probes_are_on_by_default(render: Callable[..., list[Doc]]) -> None:
    docs = render()
    deployment = only(docs, "Deployment")
    container = container_of(docs)
    assert container["ports"] == [
        {"name": "metrics", "containerPort": 8080, "protocol": "TCP"},
        {"name": "health", "containerPort": 8081, "protocol": "TCP"},
    ]
    # the probes GET exactly what `cloudnet run` was told to serve
    parsed = parse_run(container["args"])
    assert (parsed.metrics_bind_address.host, parsed.metrics_bind_address.port) == ("0.0.0.0", 8080)
    for probe, url in (("livenessProbe", parsed.liveness), ("readinessProbe", parsed.readiness)):
        port, path = probe_target(container, probe)
        assert url.endswith(f":{port}{path}"), (probe, url)
    assert probe_target(container, "livenessProbe") == (8081, "/healthz")
    assert probe_target(container, "readinessProbe") == (8080, "/readyz")
    service = only(docs, "Service")
    assert service["metadata"]["name"] == f"{FULLNAME}-metrics"
    assert service["spec"]["ports"] == [
        {"name": "metrics", "port": 8080, "targetPort": "metrics", "protocol": "TCP"}
    ]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert not [d for d in docs if d["kind"] in ("ServiceMonitor", "ConfigMap")]


@needs_helm
def test_readiness_keeps_its_own_server_without_metrics(
    render: Callable[..., list[Doc]],
) -> None:
    docs = render({"metrics": {"enabled": False}})
    container = container_of(docs)
    parsed = parse_run(container["args"])
    assert parsed.metrics_bind_address is None
    # the readiness server binds the metrics port number on its own
    assert parsed.readiness == "http://0.0.0.0:8080/readyz"
    assert container["ports"] == [
        {"name": "readiness", "containerPort": 8080, "protocol": "TCP"},
        {"name": "health", "containerPort": 8081, "protocol": "TCP"},
    ]
    assert probe_target(container, "readinessProbe") == (8080, "/readyz")
    assert not [d for d in docs if d["kind"] == "Service"]


@needs_helm
def test_metrics_without_probes_and_neither(render: Callable[..., list[Doc]]) -> None:
    container = container_of(render({"probes": {"enabled": False}}))
    parsed = parse_run(container["args"])
    assert parsed.liveness is None and parsed.readiness is None
    assert "livenessProbe" not in container and "readinessProbe" not in container
    assert container["ports"] == [{"name": "metrics", "containerPort": 8080, "protocol": "TCP"}]

    docs = render({"probes": {"enabled": False}, "metrics": {"enabled": False}})
    container = container_of(docs)
    assert container["args"] == ["run", *SETTINGS_ARGS, *LEADER_ARGS]
    assert "ports" not in container
    assert not [d for d in docs if d["kind"] == "Service"]


@needs_helm
def test_ports_and_probe_timings_follow_their_values(render: Callable[..., list[Doc]]) -> None:
    values = VALUE_SETS["monitoring"]
    container = container_of(render(values))
    assert probe_target(container, "livenessProbe") == (9091, "/healthz")
    assert probe_target(container, "readinessProbe") == (9090, "/readyz")
    for probe, timings in (
        ("livenessProbe", values["probes"]["liveness"]),
        ("readinessProbe", values["probes"]["readiness"]),
    ):
        assert {k: v for k, v in container[probe].items() if k != "httpGet"} == timings


@needs_helm
def test_service_monitor_scrapes_the_metrics_service_only(
    render: Callable[..., list[Doc]],
) -> None:
    docs = render({**VALUE_SETS["monitoring"], "simulator": {"enabled": True}})
    monitor = only(docs, "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["namespace"] == NAMESPACE
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    selector = monitor["spec"]["selector"]["matchLabels"]
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    selected = [
        n for n, s in services.items() if selector.items() <= s["metadata"]["labels"].items()
    ]
    assert selected == [f"{FULLNAME}-metrics"]
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    [endpoint] = monitor["spec"]["endpoints"]
    assert endpoint == {"port": "metrics", "path": "/metrics", "interval": "15s"}
    assert endpoint["port"] in {p["name"] for p in services[selected[0]]["spec"]["ports"]}


def queried_metrics(dashboard: Doc) -> set[str]:
    """Every metric name in the dashboard's queries: panel targets and variables."""
    queries = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    queries += [v["query"] for v in dashboard["templating"]["list"] if v["type"] == "query"]
    return {m for q in queries for m in re.findall(r"\b(?:cloudnet|process|python)_\w+", q)}


@needs_helm
def test_dashboard_config_map_ships_the_dashboard(render: Callable[..., list[Doc]]) -> None:
    from cloudnet.handlers.metrics import Metrics

    assert not [d for d in render() if d["kind"] == "ConfigMap"]
    [config_map] = [
        d for d in render({"dashboards": {"enabled": True}}) if d["kind"] == "ConfigMap"
    ]
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert config_map["metadata"]["namespace"] == NAMESPACE
    dashboard = json.loads(config_map["data"]["cloudnet.json"])
    assert dashboard == json.loads((CHART / "dashboards" / "cloudnet.json").read_text())

    exported = Metrics(process=True).names()
    used = queried_metrics(dashboard)
    assert used <= exported, f"the dashboard queries metrics the operator lacks: {used - exported}"
    suffix = re.compile(r"_(total|bucket|sum|count|created)$")
    families = {suffix.sub("", n) for n in exported if n.startswith("cloudnet_")}
    assert families <= {suffix.sub("", n) for n in used}, "an operator metric has no panel"

    elsewhere = only(render(VALUE_SETS["monitoring"]), "ConfigMap")
    assert elsewhere["metadata"]["namespace"] == "monitoring"
    assert elsewhere["metadata"]["annotations"] == {"grafana_folder": "cloudnet"}


def mebibytes(quantity: str) -> float:
    units = {"Mi": 1.0, "Gi": 1024.0, "M": 1e6 / 2**20, "G": 1e9 / 2**20}
    number, unit = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", quantity).groups()  # type: ignore[union-attr]
    return float(number) * units[unit]


def benchmark_rss(resources: str) -> float:
    """Our settled RSS in MB at that many resources, from docs/performance.md's P3 row."""
    text = (ROOT / "docs" / "performance.md").read_text()
    row = re.search(rf"\| P3 \| RSS at {resources}, settled \| [0-9.]+ MB \| ([0-9.]+) MB \|", text)
    assert row, f"docs/performance.md has no P3 row for {resources}"
    return float(row.group(1))


def test_default_resources_fit_the_benchmarked_memory() -> None:
    """requests cover 1,000 resources settled with room; the limit covers 10,000."""
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    resources = values["resources"]
    assert mebibytes(resources["requests"]["memory"]) >= 1.5 * benchmark_rss("1,000")
    assert mebibytes(resources["limits"]["memory"]) >= 1.5 * benchmark_rss("10,000")
    assert "docs/performance.md" in (CHART / "values.yaml").read_text()


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
    from cloudnet.handlers.kube_client import PLURALS

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
    assert container["args"] == [
        "run",
        "--namespace",
        "a",
        "--namespace",
        "b",
        *SETTINGS_ARGS,
        *OPS_ARGS,
        *LEADER_ARGS,
    ]


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
    assert container["args"] == ["run", *SETTINGS_ARGS, *OPS_ARGS]
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
    before = ["run", *SETTINGS_ARGS, *OPS_ARGS]
    assert args({"allowEndpoints": [vpc, vpc]}) == [*before, "--allow-endpoint", vpc, *LEADER_ARGS]
    sim = f"http://{FULLNAME}-simulator.{NAMESPACE}.svc:18900"
    assert args({"simulator": {"enabled": True}}) == [
        *before,
        "--allow-endpoint",
        sim,
        *LEADER_ARGS,
    ]


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
    """Helm never upgrades crds/: the CRDs must come from templates/ (Helm's CRD best practices)."""
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
