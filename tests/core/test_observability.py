"""Metrics, readiness and log plumbing, piece by piece (the process test is in integration)."""

from __future__ import annotations

import datetime
import functools
import io
import json
import logging
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloudnet.clouds.huawei import HuaweiCredentials
from cloudnet.clouds.observe import NO_ANSWER_CODE, CallRecord
from cloudnet.handlers.health import Address, Readiness, parse_bind_address, parse_url
from cloudnet.handlers.logs import LogFormat, LogLevel, about, configure_logging
from cloudnet.handlers.metrics import MAX_CODES, OTHER_CODE, Metrics
from cloudnet.providers.huawei_nat.client import HuaweiNatClient

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "cloudnet-operator" / "dashboards" / "cloudnet.json"


def record(code: str = "OK", *, endpoint: str = "https://a", **kw: Any) -> CallRecord:
    fields: dict[str, Any] = {
        "action": "CreateForwardEntry",
        "code": code,
        "error_class": "",
        "seconds": 0.1,
        "waited": 0.0,
        "endpoint": endpoint,
    }
    return CallRecord(**{**fields, **kw})


def test_every_dashboard_expression_uses_metrics_the_operator_exports() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exported = Metrics(process=True).names()
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    assert len(exprs) >= 14
    used = {m for e in exprs for m in re.findall(r"\b((?:cloudnet|process)_[a-z_]+)\b", e)}
    assert used and used <= exported, used - exported
    # every family of ours has a panel
    ours = {n for n in exported if n.startswith("cloudnet_")}
    bases = {re.sub(r"_(total|bucket|sum|count|created)$", "", n) for n in used}
    assert {re.sub(r"_(total|bucket|sum|count|created)$", "", n) for n in ours} <= bases


def test_cloud_codes_are_bounded_label_values() -> None:
    metrics = Metrics()
    metrics.cloud_call("alibaba-ens", record("<html>bad gateway</html>"))
    for i in range(MAX_CODES + 5):
        metrics.cloud_call("alibaba-ens", record(f"Code{i}"))
    sample = metrics.registry.get_sample_value
    labels = {"provider": "alibaba-ens", "action": "CreateForwardEntry"}
    assert sample("cloudnet_cloud_calls_total", {**labels, "code": "Code0"}) == 1
    # the odd one and the ones past the cap
    assert sample("cloudnet_cloud_calls_total", {**labels, "code": OTHER_CODE}) == 6


async def test_a_throttled_and_an_unanswered_call_are_counted_by_the_real_client() -> None:
    metrics, readiness = Metrics(), Readiness()

    def observe(provider: str, rec: CallRecord) -> None:
        metrics.cloud_call(provider, rec)
        readiness.cloud_call(rec)

    answers = iter(
        [
            httpx.Response(429, json={"error_code": "APIGW.0308", "error_msg": "slow down"}),
            httpx.ConnectError("refused"),
        ]
    )

    def transport(request: httpx.Request) -> httpx.Response:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    client = HuaweiNatClient(
        httpx.AsyncClient(transport=httpx.MockTransport(transport)),
        endpoint="https://nat.example",
        project_id="p",
        credentials=HuaweiCredentials.from_aksk("AK", "SK"),
        observer=functools.partial(observe, "huawei-nat"),  # as ProviderRegistry binds it
    )
    for _ in range(2):
        with pytest.raises(Exception):  # noqa: B017 - a CloudError, then a transport error
            await client.show_dnat_rule("r1")
    sample = metrics.registry.get_sample_value
    show = {"provider": "huawei-nat", "action": "ShowNatGatewayDnatRule"}
    assert sample("cloudnet_cloud_calls_total", {**show, "code": "APIGW.0308"}) == 1
    assert sample("cloudnet_cloud_calls_total", {**show, "code": NO_ANSWER_CODE}) == 1
    assert sample("cloudnet_cloud_throttled_total", show) == 1
    assert sample("cloudnet_cloud_call_duration_seconds_count", show) == 2
    assert readiness.clouds() == {"https://nat.example": False}


def test_readiness_needs_watching_and_every_endpoint_in_use_answering() -> None:
    now = [0.0]
    readiness = Readiness(in_use_for=600, clock=lambda: now[0])
    assert readiness.report()[0] is False  # not watching yet
    readiness.watching.set()
    assert readiness.report() == (True, {"watching": True, "clouds": {}})
    readiness.cloud_call(record("InvalidParameter", endpoint="https://a"))  # an answer
    readiness.cloud_call(record(NO_ANSWER_CODE, endpoint="https://b"))
    assert readiness.report() == (
        False,
        {"watching": True, "clouds": {"https://a": True, "https://b": False}},
    )
    now[0] = 300
    readiness.cloud_call(record(endpoint="https://a"))
    now[0] = 601  # b not called for longer than in_use_for: no longer in use
    assert readiness.report() == (True, {"watching": True, "clouds": {"https://a": True}})


def test_bind_addresses_and_urls() -> None:
    assert parse_bind_address("0.0.0.0:8080") == Address("0.0.0.0", 8080)
    assert parse_bind_address(":9090") == Address("0.0.0.0", 9090)
    assert parse_bind_address("[::1]:8080") == Address("::1", 8080)
    assert parse_url("http://0.0.0.0:8081/healthz") == (Address("0.0.0.0", 8081), "/healthz")
    for bad in ("8080", "host", "host:port", "host:8080/metrics", "host:99999"):
        with pytest.raises(ValueError, match="HOST:PORT"):
            parse_bind_address(bad)
    for bad in ("https://h:1/x", "http://h/x", "h:1/x"):
        with pytest.raises(ValueError, match="http://HOST:PORT/PATH"):
            parse_url(bad)


def body(uid: str, *, ready: bool, synced: bool = True, phase: str = "ACTIVE") -> dict[str, Any]:
    return {
        "kind": "DnatRule",
        "metadata": {
            "uid": uid,
            "namespace": "ns",
            "name": uid,
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        "status": {
            "phase": phase,
            "conditions": [
                {
                    "type": "Ready",
                    "status": str(ready),
                    "lastTransitionTime": "2026-01-01T00:00:12Z",
                },
                {"type": "Synced", "status": str(synced)},
            ],
        },
    }


def test_time_to_first_ready_only_for_resources_seen_before_they_were_ready() -> None:
    bodies: dict[str, dict[str, Any]] = {}
    seen = datetime.datetime(2026, 1, 1, 0, 0, 12, 500000, tzinfo=datetime.UTC)
    metrics = Metrics(
        kinds=["DnatRule", "NetworkInterfaceConfig"], bodies=bodies.values, clock=lambda: seen
    )
    metrics.on_event("DnatRule", None, body("old", ready=True))  # ready before we started
    metrics.on_event("DnatRule", "ADDED", body("new", ready=False, phase="PENDING_CREATE"))
    metrics.on_event("DnatRule", "MODIFIED", body("new", ready=True))
    metrics.on_event("DnatRule", "MODIFIED", body("new", ready=False, phase="ERROR"))
    metrics.on_event("DnatRule", "MODIFIED", body("new", ready=True))  # not a first Ready
    sample = metrics.registry.get_sample_value
    assert sample("cloudnet_time_to_ready_seconds_count", {"kind": "DnatRule"}) == 1
    # seen at 12.5 s: not the condition's whole-second lastTransitionTime
    assert sample("cloudnet_time_to_ready_seconds_sum", {"kind": "DnatRule"}) == 12.5

    bodies.update(a=body("a", ready=True), b=body("b", ready=False, phase="ERROR"))
    assert sample("cloudnet_resources", {"kind": "DnatRule", "phase": "ACTIVE"}) == 1
    assert sample("cloudnet_resources", {"kind": "DnatRule", "phase": "ERROR"}) == 1
    assert sample("cloudnet_resources_ready", {"kind": "DnatRule"}) == 1
    assert sample("cloudnet_resources_synced", {"kind": "DnatRule"}) == 2
    assert sample("cloudnet_resources_ready", {"kind": "NetworkInterfaceConfig"}) == 0


def test_drift_counts_as_corrected_once_ready_and_synced_without_drift() -> None:
    metrics = Metrics()
    sample = metrics.registry.get_sample_value
    metrics.drifted("DnatRule", "ns", "r")
    metrics.on_event("DnatRule", "MODIFIED", body("r", ready=False, phase="PENDING_UPDATE"))
    observe_only = body("r", ready=True)
    observe_only["status"]["drift"] = [{"path": "spec.port"}]
    metrics.on_event("DnatRule", "MODIFIED", observe_only)  # still drifted: not corrected
    assert sample("cloudnet_drift_corrected_total", {"kind": "DnatRule"}) in (None, 0)
    metrics.on_event("DnatRule", "MODIFIED", body("r", ready=True))
    metrics.on_event("DnatRule", "MODIFIED", body("r", ready=True))
    assert sample("cloudnet_drift_found_total", {"kind": "DnatRule"}) == 1
    assert sample("cloudnet_drift_corrected_total", {"kind": "DnatRule"}) == 1


@pytest.fixture()
def root_logging() -> Any:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_name_the_resource_and_keep_secret_loggers_quiet(root_logging: Any) -> None:
    handler = configure_logging(log_format=LogFormat.JSON, level=LogLevel.DEBUG)
    stream = io.StringIO()
    handler.setStream(stream)  # type: ignore[attr-defined]
    with about("DnatRule", "demo", "web"):
        logging.getLogger("cloudnet.test").info(
            "created", extra={"cloud_request_id": "REQ-1", "cloud_action": "CreateForwardEntry"}
        )
    logging.getLogger("cloudnet.test").warning("outside")
    logging.getLogger("kubernetes.client.rest").debug("response body: {'data': 'c2VjcmV0'}")
    first, second, *rest = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert first["object"] == {"kind": "DnatRule", "namespace": "demo", "name": "web"}
    assert (first["message"], first["severity"], first["logger"]) == (
        "created",
        "info",
        "cloudnet.test",
    )
    assert first["cloud_request_id"] == "REQ-1"
    assert "object" not in second and second["severity"] == "warn"
    assert rest == []  # the Kubernetes client's DEBUG body never reaches the log
