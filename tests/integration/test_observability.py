"""Metrics, liveness, readiness and JSON logs of a real ``cloudnet run`` process.

One operator process serves all three, so the test pays for one start-up:
``/metrics`` scraped over HTTP after a rule goes ACTIVE and after a drift is
corrected; kopf's liveness and our readiness requested, readiness turning
503 when a cloud endpoint stops answering; the JSON log parsed line by line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from cloudnet_devkit.kubectl import Kubectl
from tests.integration.harness import (
    ALI_AK,
    ALI_SK,
    SK,
    Cluster,
    Process,
    Simulator,
    ens_rule,
    free_port,
    wait_for,
)

pytestmark = pytest.mark.integration


@pytest.fixture()
def fast_sim(tmp_path: Path) -> Iterator[Simulator]:
    simulator = Simulator(
        tmp_path,
        alibaba_ens_create_delay=0.2,
        alibaba_ens_modify_delay=0.2,
        alibaba_ens_delete_delay=0.2,
        throttle_rate=0,
    ).start()
    yield simulator
    simulator.stop()


class Observed(Cluster):
    def __init__(self, kubectl: Kubectl, tmp: Path, sim: Simulator) -> None:
        super().__init__(kubectl, tmp, sim)
        self.ops = f"http://127.0.0.1:{free_port()}"
        self.liveness = f"http://127.0.0.1:{free_port()}/healthz"
        #: a loopback port nothing listens on, allowed so that the operator does call it
        self.dead = f"http://127.0.0.1:{free_port()}"
        self.operator = Process(
            [
                "run",
                "--log-format",
                "json",
                "--log-level",
                "debug",
                "--drift-interval",
                "1",
                "--metrics-bind-address",
                self.ops.removeprefix("http://"),
                "--liveness",
                self.liveness,
                "--readiness",
                f"{self.ops}/readyz",
                *self.allow_sim(),
                "--allow-endpoint",
                self.dead,
            ],
            tmp / "operator.log",
            env={**os.environ, "KUBECONFIG": kubectl.kubeconfig},
        )
        self.http = httpx.Client(timeout=5)

    def answer(self, url: str) -> httpx.Response | None:
        try:
            return self.http.get(url)
        except httpx.TransportError:
            return None

    def samples(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        response = self.http.get(f"{self.ops}/metrics")
        response.raise_for_status()
        return {
            (s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(response.text)
            for s in family.samples
        }

    def log_lines(self) -> list[dict[str, Any]]:
        lines = []
        for line in self.operator.output().splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
        return lines


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture()
def observed(kubectl: Kubectl, tmp_path: Path, fast_sim: Simulator) -> Iterator[Observed]:
    c = Observed(kubectl, tmp_path, fast_sim)
    c.install()
    c.operator.start()
    yield c
    c.operator.stop()
    c.http.close()


def test_metrics_health_and_json_logs(observed: Observed) -> None:
    c = observed
    # kopf's liveness answers with the probes' results; readiness once kopf watches.
    live = wait_for(lambda: c.answer(c.liveness), timeout=30, what="the liveness endpoint")
    assert live.status_code == 200 and "resources" in live.json()
    wait_for(
        lambda: (r := c.answer(f"{c.ops}/readyz")) is not None and r.status_code == 200,
        what="readiness",
    )

    c.kubectl.apply(ens_rule("web", external_port=2280, internal_port=80))
    entry_id = c.wait_phase("web", "ACTIVE")["externalId"]
    found = wait_for(
        lambda: (
            (s := c.samples())
            and value(s, "cloudnet_resources", kind="DnatRule", phase="ACTIVE") == 1
            and s
        ),
        what="resources by phase ACTIVE = 1",
    )
    calls = {
        "provider": "alibaba-ens",
        "action": "CreateForwardEntry",
        "code": "OK",
    }
    assert value(found, "cloudnet_cloud_calls_total", **calls) == 1
    assert value(found, "cloudnet_resources_ready", kind="DnatRule") == 1
    assert value(found, "cloudnet_resources_synced", kind="DnatRule") == 1
    assert value(found, "cloudnet_resources_ready", kind="NetworkInterfaceConfig") == 0
    assert value(found, "cloudnet_time_to_ready_seconds_count", kind="DnatRule") == 1
    assert 0 < value(found, "cloudnet_time_to_ready_seconds_sum", kind="DnatRule") < 30
    assert value(
        found,
        "cloudnet_cloud_call_duration_seconds_count",
        provider="alibaba-ens",
        action="CreateForwardEntry",
    )
    assert value(found, "cloudnet_rate_limiter_wait_seconds_count", provider="alibaba-ens") >= 1
    reconciles = sum(
        v
        for (name, labels), v in found.items()
        if name == "cloudnet_reconciles_total" and ("kind", "DnatRule") in labels
    )
    assert reconciles >= 1
    assert value(found, "process_resident_memory_bytes") > 0

    # A change made in the cloud: found by the drift pass, then corrected.
    c.sim.admin.patch(
        f"/_sim/alibaba/ens/forward_entries/{entry_id}", json={"internal_port": "5999"}
    ).raise_for_status()
    wait_for(
        lambda: value(c.samples(), "cloudnet_drift_corrected_total", kind="DnatRule") == 1,
        what="the drift to be corrected",
    )
    assert value(c.samples(), "cloudnet_drift_found_total", kind="DnatRule") >= 1
    assert value(c.samples(), "cloudnet_drift_pass_duration_seconds_count") >= 1
    assert [e["internal_port"] for e in c.sim.ens_entries()] == ["80"]

    # JSON logs: a line names the resource; a cloud call's line carries its request id.
    lines = c.log_lines()
    assert lines, "no JSON line in the operator's log"
    about_web = [line for line in lines if (line.get("object") or {}).get("name") == "web"]
    assert about_web and all(line["object"]["namespace"] == "demo" for line in about_web)
    assert any(line.get("cloud_request_id") for line in about_web)
    assert {line["severity"] for line in lines} >= {"debug", "info"}
    text = c.operator.output()
    for secret in (ALI_SK, SK):
        assert secret not in text
    assert ALI_AK not in text  # the v1 query (AccessKeyId) is never logged either

    # An endpoint that stops answering makes the operator unready, naming it.
    dead = c.dead
    broken = [m for m in c.base_manifests() if m["metadata"]["name"] == "ens"]
    broken[0]["metadata"]["name"] = "ens-dead"
    broken[0]["spec"]["endpoint"] = dead
    c.kubectl.apply(broken)
    rule = ens_rule("lost", external_port=2281, internal_port=81)
    rule["spec"]["providerConfigRef"]["name"] = "ens-dead"
    c.kubectl.apply(rule)
    unready = wait_for(
        lambda: (r := c.answer(f"{c.ops}/readyz")) is not None and r.status_code == 503 and r,
        what="readiness to fail",
    )
    assert unready.json() == {"watching": True, "clouds": {c.sim.url: True, dead: False}}
    assert c.answer(c.liveness).status_code == 200  # alive all the same
    calls = c.samples()
    assert any(
        name == "cloudnet_cloud_calls_total" and ("code", "NoAnswer") in labels
        for (name, labels) in calls
    )
