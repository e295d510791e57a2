"""The handlers' side of issue 10: a fresh view under the lock, any body, a robust drift pass.

The real handler paths (``handlers.common.reconcile_object`` /
``delete_object``, ``handlers.drift.check_once``, the watch cache and the
:class:`~cloudnet.handlers.watch.Waker`) and the real ``DnatRule`` kind run on
a fake operator context (tests/fixtures/core_fakes.py): ``ctx.kube`` is an
in-memory cluster with objects, ProviderConfigs and Secrets, and
``ctx.providers.get(pc, secret)`` hands out one
:class:`~tests.fixtures.core_fakes.ProviderFns` whose defaults work on an
in-memory cloud. Each test is one defect of issue 10 that the handlers
before it had: acting on the body kopf handed over instead of a fresh read,
the drift pass re-creating a deleting resource or stopping at one bad
object, ProviderConfig reads per resource, and bodies of odd shapes looping
on an exception.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
from collections.abc import Mapping
from typing import Any

import pytest

from cloudnet.api.errors import ErrorClass
from cloudnet.catalog import DnatRuleSpec
from cloudnet.core.outcome import MAX_BACKOFF, Blocked, Done, Outcome, Retry
from cloudnet.core.resource import ANN_EXTERNAL_ID, ANN_PAUSED, ANN_REFRESH
from cloudnet.handlers import dnat, own_kinds
from cloudnet.handlers.common import delete_object, reconcile_object
from cloudnet.handlers.drift import check_once
from cloudnet.handlers.watch import Waker
from tests.fixtures.core_fakes import (
    Harness,
    ProviderFns,
    conditions_of,
    default_create,
    default_observe_many,
    dnat_body,
    harness,
    key_of,
    refuse,
)
from tests.wait_kit import wait_until_async

NIC_KIND = next(k for k in own_kinds.KINDS if k.name == "NetworkInterfaceConfig")
KINDS = {dnat.KIND.name: dnat.KIND, NIC_KIND.name: NIC_KIND}
NS = "demo"


def status_of(h: Harness, name: str = "web", namespace: str = NS) -> dict[str, Any]:
    return h.cluster.status_of("DnatRule", namespace, name)


async def reconcile(h: Harness, name: str = "web", namespace: str = NS) -> Outcome:
    return await reconcile_object(h.ctx, dnat.KIND, namespace, name, attempt=0)


async def delete(h: Harness, name: str = "web", namespace: str = NS) -> Outcome:
    return await delete_object(h.ctx, dnat.KIND, namespace, name, attempt=0)


def rule_in_cloud(h: Harness, name: str = "web", *, namespace: str = NS, **block: Any) -> str:
    """Our rule exists in the cloud and the stored body's status names it, ACTIVE."""
    body = h.cluster.add(dnat_body(name, namespace=namespace, status={"phase": "ACTIVE"}, **block))
    spec = DnatRuleSpec.model_validate(body["spec"]).huawei_nat
    object_id = h.cloud.put(key_of(spec), "", id=f"rule-{namespace}-{name}")
    # the value the fake compares is the block's JSON: make the cloud match the spec
    h.cloud.objects[object_id].value = spec.model_dump_json()
    body["status"] = {"externalId": object_id, "phase": "ACTIVE", "observedGeneration": 1}
    return object_id


def cached(h: Harness, body: Mapping[str, Any]) -> None:
    """The watch cache saw this body (kopf's event handler feeds it, a copy each time)."""
    h.ctx.watch_cache.update(dnat.KIND, "MODIFIED", copy.deepcopy(dict(body)))


async def settle(waker: Waker) -> None:
    """Let every wake-up task run to its end (polls and backoff included)."""
    for _ in range(50):
        tasks = list(waker.tasks.values())
        if not tasks:
            return
        await asyncio.gather(*tasks, return_exceptions=True)
    raise AssertionError("wake-ups did not settle")


def slow(fn: Any, started: asyncio.Event, go: asyncio.Event) -> Any:
    """A provider function that stops half-way until the test says go."""

    async def wrapped(p: ProviderFns, *args: Any) -> Any:
        started.set()
        await go.wait()
        return await fn(p, *args)

    return wrapped


# --- one fresh view under the lock ------------------------------------------------------------


async def test_a_handler_that_waited_for_the_lock_sees_the_create_that_held_it() -> None:
    """Two runs for one resource (a handler and a wake-up): one cloud object, not two.

    Before issue 10 the handler reconciled the body kopf had handed it; the
    second run, queued on the lock behind a create, still saw no id and no
    mark, and created a second object.
    """
    h = harness()
    h.cluster.add(dnat_body())
    started, go = asyncio.Event(), asyncio.Event()
    h.provider.create_fn = slow(default_create, started, go)
    first = asyncio.create_task(reconcile(h))
    await started.wait()  # the first run holds the lock, its create is in flight
    second = asyncio.create_task(reconcile(h))
    await asyncio.sleep(0)  # sleep-ok: one loop turn, no time: the second run queues on the lock
    go.set()
    outcomes = await asyncio.gather(first, second)
    assert [type(o) for o in outcomes] == [Done, Done], outcomes
    # the first run checked the key free and created; the second saw the id
    assert h.provider.journal.calls() == ["find", "create", "observe"]
    assert len(h.cloud.objects) == 1
    assert h.cluster.reads["DnatRule/demo/web"] == 2, "each run read the object under the lock"


async def test_a_delete_that_waited_for_the_lock_deletes_what_the_create_made() -> None:
    """The delete handler's body predates the create's id: it must read the id again."""
    h = harness()
    h.cluster.add(dnat_body())
    started, go = asyncio.Event(), asyncio.Event()
    h.provider.create_fn = slow(default_create, started, go)
    creating = asyncio.create_task(reconcile(h))
    await started.wait()
    h.cluster.body("DnatRule", NS, "web")["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    deleting = asyncio.create_task(delete(h))
    await asyncio.sleep(0)  # sleep-ok: one loop turn, no time: the delete queues on the lock
    go.set()
    _, outcome = await asyncio.gather(creating, deleting)
    assert isinstance(outcome, Retry) and outcome.routine, outcome
    assert h.provider.journal.calls() == ["find", "create", "observe", "delete"]
    assert h.cloud.objects == {}
    assert isinstance(await delete(h), Done), "released once the cloud says gone"


async def test_a_handler_that_waited_for_the_lock_never_creates_a_deleting_object() -> None:
    h = harness()
    h.cluster.add(dnat_body())
    async with h.ctx.locks.hold("DnatRule/demo/web"):
        waiting = asyncio.create_task(reconcile(h))
        await asyncio.sleep(0)  # sleep-ok: one loop turn, no time: the run queues on the lock
        # meanwhile: kubectl delete
        h.cluster.body("DnatRule", NS, "web")["metadata"]["deletionTimestamp"] = "2026-01-01T00Z"
    outcome = await waiting
    assert isinstance(outcome, Done), outcome
    assert h.provider.journal.calls() == []
    assert h.cloud.objects == {}


async def test_a_handler_that_waited_for_the_lock_leaves_a_paused_object_alone() -> None:
    h = harness()
    object_id = rule_in_cloud(h, internalServicePort=80)
    body = h.cluster.body("DnatRule", NS, "web")
    body["spec"]["huaweiNat"]["internalServicePort"] = 81
    async with h.ctx.locks.hold("DnatRule/demo/web"):
        waiting = asyncio.create_task(reconcile(h))
        await asyncio.sleep(0)  # sleep-ok: one loop turn, no time: the run queues on the lock
        body["metadata"]["annotations"][ANN_PAUSED] = "true"
    assert isinstance(await waiting, Done)
    assert h.provider.journal.calls() == []
    assert object_id in h.cloud.objects


# --- the drift pass ---------------------------------------------------------------------------


def drift_harness(*namespaces: str) -> tuple[Harness, Waker]:
    h = harness(*namespaces)
    waker = Waker(h.ctx, KINDS)
    h.ctx.wake = waker
    return h, waker


async def test_drift_pass_never_recreates_a_resource_whose_deletion_started() -> None:
    """The cache still shows the resource live; the fresh read shows it deleting."""
    h, waker = drift_harness()
    object_id = rule_in_cloud(h)
    cached(h, h.cluster.body("DnatRule", NS, "web"))
    del h.cloud.objects[object_id]  # the cloud object went (our delete, or someone's)
    h.cluster.body("DnatRule", NS, "web")["metadata"]["deletionTimestamp"] = "2026-01-01T00Z"
    stats = await check_once(h.ctx, h.ctx.watch_cache, KINDS)
    await settle(waker)
    assert stats.woken == 1
    assert "create" not in h.provider.journal.calls()
    assert h.cloud.objects == {}


async def test_drift_pass_recreates_a_live_resource_whose_object_went() -> None:
    """The control for the test above: the same pass on a live resource corrects it."""
    h, waker = drift_harness()
    object_id = rule_in_cloud(h)
    cached(h, h.cluster.body("DnatRule", NS, "web"))
    del h.cloud.objects[object_id]
    stats = await check_once(h.ctx, h.ctx.watch_cache, KINDS)
    await settle(waker)
    assert stats.woken == 1
    assert h.provider.journal.calls() == ["observe_many", "observe", "find", "create"]
    assert len(h.cloud.objects) == 1


def odd_bodies() -> list[dict[str, Any]]:
    """Resources that must cost the pass nothing but themselves."""
    naive = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(hours=1)
    zoneless = dnat_body(
        "zoneless",
        externalServicePort=8091,
        status={
            "externalId": "rule-zoneless",
            "phase": "PENDING_CREATE",
            "observedGeneration": 1,
            "conditions": [
                {"type": "Ready", "status": "False", "lastTransitionTime": naive.isoformat()}
            ],
        },
    )
    garbage = dnat_body(
        "garbage",
        externalServicePort=8092,
        status={
            "externalId": "rule-garbage",
            "phase": "ACTIVE",
            "observedGeneration": 1,
            "conditions": "garbage",
            "drift": {"not": "a list"},
        },
    )
    not_an_object = dnat_body(
        "spec-string", spec="oops", status={"externalId": "x", "phase": "ACTIVE"}
    )
    not_an_object["metadata"]["generation"] = None
    no_metadata_name = dnat_body(
        "nameless", status={"externalId": "y", "phase": "ACTIVE", "observedGeneration": 1}
    )
    no_metadata_name["metadata"]["namespace"] = 7
    return [zoneless, garbage, not_an_object, no_metadata_name]


async def test_one_bad_resource_does_not_stop_the_drift_pass() -> None:
    h, waker = drift_harness("demo", "broken")
    good = rule_in_cloud(h, "good", externalServicePort=8081)
    for body in odd_bodies():
        h.cluster.add(body)
        cached(h, body)
    # a namespace whose ProviderConfig cannot be read right now
    rule_in_cloud(h, "elsewhere", namespace="broken", externalServicePort=8082)
    h.cluster.fail_provider_config_reads.add("broken")
    cached(h, h.cluster.body("DnatRule", "broken", "elsewhere"))
    # a resource whose provider fails in an unexpected way
    rule_in_cloud(h, "explodes", externalServicePort=6666)
    cached(h, h.cluster.body("DnatRule", NS, "explodes"))

    def scope(p: ProviderFns, spec: Any) -> str:
        if spec.external_service_port == 6666:
            raise RuntimeError("a provider bug")
        return str(spec.nat_gateway_id)

    h.provider.scope_fn = scope
    cached(h, h.cluster.body("DnatRule", NS, "good"))
    h.cloud.objects[good].value = "changed in the cloud"  # drift on the good one
    stats = await check_once(h.ctx, h.ctx.watch_cache, KINDS)
    await settle(waker)
    # listed: good, zoneless, garbage; skipped: the bad spec, the PC that cannot be read;
    # failed on its own: the one whose provider raised
    assert (stats.scopes, stats.resources, stats.failed) == (1, 3, 1), stats
    # good drifted; zoneless and garbage have no cloud object; the bad spec and the
    # namespace without a ProviderConfig are reported by their wake-ups; the ProviderConfig
    # that cannot be read right now is not (the next pass sees it again)
    assert stats.woken == 5
    [(_, delta)] = [e.data for e in h.provider.journal if e.side == "cloud" and e.what == "update"]
    assert h.cloud.objects[good].value != "changed in the cloud", "the good one was corrected"
    assert delta


async def test_one_failing_scope_does_not_stop_the_drift_pass() -> None:
    h, waker = drift_harness()
    good = rule_in_cloud(h, "good", externalServicePort=8081)
    rule_in_cloud(h, "bad", natGatewayId="b583f13c-1b55-45c7-911e-a07c2f8e5920")
    for name in ("good", "bad"):
        cached(h, h.cluster.body("DnatRule", NS, name))
    h.provider.scope_fn = lambda p, spec: str(spec.nat_gateway_id)

    async def observe_many(p: ProviderFns, scope: str, specs: Mapping[str, Any]) -> Any:
        if scope.startswith("b583"):
            raise ValueError("a listing that cannot be parsed")
        return await default_observe_many(p, scope, specs)

    h.provider.observe_many_fn = observe_many
    h.cloud.objects[good].value = "changed in the cloud"
    stats = await check_once(h.ctx, h.ctx.watch_cache, KINDS)
    await settle(waker)
    assert (stats.scopes, stats.failed, stats.woken) == (2, 1, 1)
    assert h.cloud.objects[good].value != "changed in the cloud"


async def test_drift_pass_reads_each_provider_config_and_secret_once() -> None:
    h, _ = drift_harness("demo", "other")
    for i in range(5):
        rule_in_cloud(h, f"a{i}", externalServicePort=9000 + i)
        cached(h, h.cluster.body("DnatRule", NS, f"a{i}"))
    for i in range(3):
        rule_in_cloud(h, f"b{i}", namespace="other", externalServicePort=9100 + i)
        cached(h, h.cluster.body("DnatRule", "other", f"b{i}"))
    stats = await check_once(h.ctx, h.ctx.watch_cache, KINDS)
    assert stats.resources == 8 and stats.woken == 0
    reads = {k: v for k, v in h.cluster.reads.items() if not k.startswith("DnatRule/")}
    assert reads == {
        "ProviderConfig/demo/huawei": 1,
        "Secret/demo/huawei-credentials": 1,
        "ProviderConfig/other/huawei": 1,
        "Secret/other/huawei-credentials": 1,
    }
    # the next pass reads them again (a changed ProviderConfig is seen within a pass)
    await check_once(h.ctx, h.ctx.watch_cache, KINDS)
    assert h.cluster.reads["ProviderConfig/demo/huawei"] == 2


async def test_drift_pass_wakes_a_settled_resource_whose_credentials_went() -> None:
    """A restart resumes no settled resource: the drift pass has to report a broken config."""
    h, waker = drift_harness()
    rule_in_cloud(h)
    cached(h, h.cluster.body("DnatRule", NS, "web"))
    del h.cluster.secrets[(NS, "huawei-credentials")]  # deleted while the operator was down
    stats = await check_once(h.ctx, h.ctx.watch_cache, KINDS)
    assert stats.woken == 1
    await wait_until_async(lambda: status_of(h).get("phase") == "ERROR", what="phase ERROR")
    await waker.aclose()  # it retries with backoff until the Secret is back
    status = status_of(h)
    assert status["phase"] == "ERROR"
    assert conditions_of(status)["Ready"]["reason"] == ErrorClass.DEPENDENCY_NOT_FOUND


@pytest.mark.parametrize(
    ("error_class", "woken"),
    [
        (ErrorClass.AUTH_FAILED, 2),
        (ErrorClass.UNKNOWN, 2),
        (ErrorClass.THROTTLED, 0),
        (ErrorClass.TRANSIENT, 0),
    ],
)
async def test_a_refused_listing_wakes_its_resources_unless_it_is_only_busy(
    error_class: ErrorClass, woken: int
) -> None:
    h, waker = drift_harness()
    for name, port in (("a", 8081), ("b", 8082)):
        rule_in_cloud(h, name, externalServicePort=port)
        cached(h, h.cluster.body("DnatRule", NS, name))
    h.provider.observe_many_fn = refuse(error_class, "Refused")
    h.provider.observe_fn = refuse(error_class, "Refused")
    stats = await check_once(h.ctx, h.ctx.watch_cache, KINDS)
    for task in list(waker.tasks.values()):
        task.cancel()  # the wake-ups retry with backoff: their start is what is checked
    await waker.aclose()
    assert stats.woken == woken


# --- intent outside the spec ------------------------------------------------------------------


async def test_removing_paused_reconciles_without_a_restart() -> None:
    h, waker = drift_harness()
    h.ctx.watch_cache.on_intent = waker
    paused = h.cluster.add(dnat_body(annotations={ANN_PAUSED: "true"}))
    cached(h, paused)
    assert h.provider.journal.calls() == []
    del h.cluster.body("DnatRule", NS, "web")["metadata"]["annotations"][ANN_PAUSED]
    cached(h, h.cluster.body("DnatRule", NS, "web"))
    await settle(waker)
    assert h.provider.journal.calls() == ["find", "create"]
    assert status_of(h)["phase"] == "ACTIVE"


async def test_adding_external_id_adopts_without_a_restart() -> None:
    h, waker = drift_harness()
    h.ctx.watch_cache.on_intent = waker
    body = h.cluster.add(dnat_body())
    cached(h, body)
    spec = DnatRuleSpec.model_validate(body["spec"]).huawei_nat
    h.cloud.put(key_of(spec), spec.model_dump_json(), id="made-by-hand")
    body["metadata"]["annotations"][ANN_EXTERNAL_ID] = "made-by-hand"
    cached(h, h.cluster.body("DnatRule", NS, "web"))
    await settle(waker)
    assert h.provider.journal.calls() == ["observe"]
    assert status_of(h)["externalId"] == "made-by-hand"
    assert [e.reason for e in h.cluster.events] == ["Adopted"]


async def test_other_annotation_changes_do_not_wake() -> None:
    h, waker = drift_harness()
    h.ctx.watch_cache.on_intent = waker
    body = h.cluster.add(dnat_body())
    cached(h, body)
    body["metadata"]["annotations"]["cloudnet.dev/last-handled-configuration"] = "{}"
    cached(h, h.cluster.body("DnatRule", NS, "web"))
    assert waker.tasks == {}


async def test_a_refresh_annotation_observes_corrects_and_is_echoed() -> None:
    h, waker = drift_harness()
    h.ctx.watch_cache.on_intent = waker
    object_id = rule_in_cloud(h)
    cached(h, h.cluster.body("DnatRule", NS, "web"))
    h.cloud.objects[object_id].value = "changed behind our back"

    def refresh(value: str | None, **other: str) -> None:
        annotations = h.cluster.body("DnatRule", NS, "web")["metadata"]["annotations"]
        annotations.update(other)
        if value is not None:
            annotations[ANN_REFRESH] = value
        cached(h, h.cluster.body("DnatRule", NS, "web"))

    refresh("2026-01-01T00:00:00Z")
    await settle(waker)
    assert h.provider.journal.calls() == ["observe", "update"]
    status = status_of(h)
    assert status["refreshRequestedAt"] == "2026-01-01T00:00:00Z"
    assert status["lastRefreshedAt"]
    assert h.cloud.objects[object_id].value != "changed behind our back"
    # the echo (a status event) and another annotation with the same value: no call
    cached(h, h.cluster.body("DnatRule", NS, "web"))
    refresh(None, note="x")
    assert waker.tasks == {}
    # a new value observes again; nothing drifted, so nothing is written
    refresh("2")
    await settle(waker)
    assert h.provider.journal.calls() == ["observe", "update", "observe"]
    assert status_of(h)["refreshRequestedAt"] == "2"


async def test_a_refresh_asks_the_cloud_again_about_a_spec_it_refused() -> None:
    """InvalidSpec is judged once per generation; a refresh by hand is one more judgement."""
    h, waker = drift_harness()
    h.ctx.watch_cache.on_intent = waker
    h.provider.create_fn = refuse(ErrorClass.INVALID_SPEC)
    cached(h, h.cluster.add(dnat_body()))
    assert isinstance(await reconcile(h), Blocked)
    assert isinstance(await reconcile(h), Blocked)
    assert h.provider.journal.calls() == ["find", "create"]
    h.cluster.body("DnatRule", NS, "web")["metadata"]["annotations"][ANN_REFRESH] = "again"
    cached(h, h.cluster.body("DnatRule", NS, "web"))
    await settle(waker)
    assert h.provider.journal.calls() == ["find", "create", "find", "create"]
    assert status_of(h)["refreshRequestedAt"] == "again"
    assert isinstance(await reconcile(h), Blocked)  # answered: judged once more, not again
    assert h.provider.journal.calls() == ["find", "create", "find", "create"]


# --- any body is handled ----------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["oops", ["a", "b"], 42, True], ids=repr)
async def test_spec_not_an_object_is_blocked_with_a_clear_status(spec: Any) -> None:
    """No exception loop and no cloud call: InvalidSpec, once, until the spec changes."""
    h = harness()
    h.cluster.add(dnat_body(spec=spec))
    outcome = await reconcile(h)
    assert isinstance(outcome, Blocked), outcome
    status = status_of(h)
    assert status["phase"] == "ERROR"
    synced = conditions_of(status)["Synced"]
    assert (synced["status"], synced["reason"]) == ("False", "InvalidSpec")
    assert synced["message"].startswith("spec: must be an object")
    writes = h.cluster.journal.kube_writes()
    assert isinstance(await reconcile(h), Blocked)
    assert h.cluster.journal.kube_writes() == writes, "the same verdict is not written twice"
    assert h.provider.journal.calls() == []
    # deleting it: nothing was created, so nothing holds the finalizer
    h.cluster.body("DnatRule", NS, "web")["metadata"]["deletionTimestamp"] = "2026-01-01T00Z"
    assert isinstance(await delete(h), Done)
    assert h.provider.journal.calls() == []


async def test_spec_not_an_object_with_a_cloud_object_is_never_released() -> None:
    """An id in status: the finalizer stays (no model, so no way to delete), and says why."""
    h = harness()
    h.cluster.add(dnat_body(spec="oops", status={"externalId": "rule-1", "phase": "ACTIVE"}))
    h.cluster.body("DnatRule", NS, "web")["metadata"]["deletionTimestamp"] = "2026-01-01T00Z"
    outcome = await delete(h)
    assert isinstance(outcome, Retry), outcome
    assert outcome.after <= MAX_BACKOFF
    synced = conditions_of(status_of(h))["Synced"]
    assert (synced["status"], synced["reason"]) == ("False", "InvalidSpec")
    assert "deletionPolicy: Orphan" in synced["message"]


@pytest.mark.parametrize(
    "conditions", ["garbage", {"Ready": "True"}, [1, None, "x"]], ids=["string", "map", "items"]
)
async def test_status_conditions_not_a_list_is_rewritten_after_the_create(conditions: Any) -> None:
    """The create's status write replaces them; before issue 10 it raised after the write."""
    h = harness()
    h.cluster.add(dnat_body(status={"conditions": conditions}))
    outcome = await reconcile(h)
    assert isinstance(outcome, Done), outcome
    status = status_of(h)
    assert status["externalId"] in h.cloud.objects
    assert {c["type"] for c in conditions_of(status).values()} == {"Ready", "Synced"}
    assert isinstance(await reconcile(h), Done)
    assert h.provider.journal.calls() == ["find", "create", "observe"], "created once"


def odd_shape(shape: str) -> dict[str, Any]:
    body = dnat_body()
    meta = body["metadata"]
    if shape == "annotations a list, generation a word":
        meta["annotations"], meta["generation"] = ["a"], "two"
    elif shape == "status a string":
        body["status"] = "garbage"
    elif shape == "status a list":
        body["status"] = [1, 2]
    elif shape == "provider block a string":
        body["spec"]["huaweiNat"] = "x"
    elif shape == "providerConfigRef a string":
        body["spec"]["providerConfigRef"] = "huawei"
    elif shape == "two provider blocks":
        body["spec"]["alibabaSag"] = {"sagId": "sag-1"}
    return body


ODD_SHAPES = [
    "annotations a list, generation a word",
    "status a string",
    "status a list",
    "provider block a string",
    "providerConfigRef a string",
    "two provider blocks",
]


@pytest.mark.parametrize("shape", ODD_SHAPES)
async def test_any_body_shape_ends_in_an_outcome(shape: str) -> None:
    """Reconcile and delete of a body that skipped admission: an outcome, never an exception."""
    h = harness()
    h.cluster.bodies[("DnatRule", NS, "web")] = odd_shape(shape)
    for run in (reconcile_object, delete_object):
        outcome = await run(h.ctx, dnat.KIND, NS, "web", attempt=0)
        assert isinstance(outcome, Done | Retry | Blocked), outcome


# --- a refused delete through the handler path -----------------------------------------------


@pytest.mark.parametrize(
    "error_class", [c for c in ErrorClass if c is not ErrorClass.NOT_FOUND], ids=lambda c: c.value
)
async def test_a_refused_delete_keeps_the_finalizer(error_class: ErrorClass) -> None:
    h = harness()
    rule_in_cloud(h)
    h.cluster.body("DnatRule", NS, "web")["metadata"]["deletionTimestamp"] = "2026-01-01T00Z"
    h.provider.delete_fn = refuse(error_class, "Delete.Refused")
    outcome = await delete(h)
    assert isinstance(outcome, Retry), outcome
    assert "Delete.Refused" in conditions_of(status_of(h))["Synced"]["message"]


async def test_credentials_gone_while_deleting_keeps_the_finalizer_and_says_why() -> None:
    h = harness()
    rule_in_cloud(h)
    h.cluster.body("DnatRule", NS, "web")["metadata"]["deletionTimestamp"] = "2026-01-01T00Z"
    del h.cluster.secrets[(NS, "huawei-credentials")]
    outcome = await delete(h)
    assert isinstance(outcome, Retry), outcome
    synced = conditions_of(status_of(h))["Synced"]
    assert (synced["status"], synced["reason"]) == ("False", "DependencyNotFound")
    assert "huawei-credentials" in synced["message"]
    assert h.provider.journal.calls() == []


async def test_nic_with_default_orphan_policy_is_released_without_credentials() -> None:
    h = harness()
    h.cluster.add(
        {
            "apiVersion": "cloudnet.dev/v1alpha1",
            "kind": "NetworkInterfaceConfig",
            "metadata": {
                "name": "eni",
                "namespace": NS,
                "uid": "uid-eni",
                "generation": 1,
                "deletionTimestamp": "2026-01-01T00:00:00Z",
            },
            "spec": {
                "providerConfigRef": {"name": "ecs-gone"},
                "regionId": "cn-hangzhou",
                "networkInterfaceId": "eni-bp14f7k2m9xq3w8y5avl",
                "description": "managed",
            },
            "status": {"externalId": "eni-bp14f7k2m9xq3w8y5avl", "phase": "ACTIVE"},
        }
    )
    outcome = await delete_object(h.ctx, NIC_KIND, NS, "eni", attempt=0)
    assert isinstance(outcome, Done), outcome


def test_the_claimant_of_a_cloud_object_is_its_creator_never_an_observer() -> None:
    """The creator owns an object; an observer watches whatever holds its key: it owns nothing."""
    h = harness()
    owner = dnat_body("owner", status={"externalId": "rule-1"})  # from before createdId
    observer = dnat_body("observer", status={"externalId": "rule-2"})
    observer["spec"]["managementPolicy"] = "ObserveOnly"
    creator = dnat_body("creator", status={"externalId": "rule-3", "createdId": "rule-3"})
    creator["spec"]["managementPolicy"] = "ObserveOnly"  # created it, then stopped managing
    adopter = dnat_body("adopter", status={"externalId": "rule-4", "createdId": "rule-0"})
    follower = dnat_body("follower", status={"externalId": "rule-5", "createdId": ""})
    for body in (owner, observer, creator, adopter, follower):
        cached(h, body)
    claimant = h.ctx.watch_cache.claimant
    assert claimant("DnatRule", "rule-1", "uid-someone-else") == "DnatRule demo/owner"
    assert claimant("DnatRule", "rule-1", owner["metadata"]["uid"]) is None, "not its own"
    assert claimant("DnatRule", "rule-2", "uid-someone-else") is None
    assert claimant("DnatRule", "rule-3", "uid-someone-else") == "DnatRule demo/creator"
    assert claimant("DnatRule", "rule-4", "uid-someone-else") is None, "named, not created"
    assert claimant("DnatRule", "rule-5", "uid-x") == "DnatRule demo/follower", (
        "observed, then turned to Manage: it manages it already"
    )
    assert claimant("NetworkInterfaceConfig", "rule-1", "uid-x") is None, "another kind"


def test_an_object_its_creator_left_behind_is_remembered() -> None:
    """Deleted with Orphan (or as ObserveOnly), a creator leaves its object: still not free."""
    h = harness()
    cache = h.ctx.watch_cache
    orphaning = dnat_body("orphaning", status={"externalId": "rule-1", "createdId": "rule-1"})
    orphaning["spec"]["deletionPolicy"] = "Orphan"
    deleting = dnat_body("deleting", status={"externalId": "rule-2", "createdId": "rule-2"})
    adopter = dnat_body("adopter", status={"externalId": "rule-3"})
    adopter["spec"]["deletionPolicy"] = "Orphan"  # named it, never created it
    for body in (orphaning, deleting, adopter):
        cached(h, body)
        cache.update(dnat.KIND, "DELETED", copy.deepcopy(body))
    assert (
        cache.creator_gone("DnatRule", "rule-1") == "DnatRule demo/orphaning (deleted, object left)"
    )
    assert cache.creator_gone("DnatRule", "rule-2") is None, "Delete: its object went with it"
    assert cache.creator_gone("DnatRule", "rule-3") is None, "not its creator"
    assert cache.claimant("DnatRule", "rule-1", "uid-x") is None, "no live claimant"


# --- what a restart resumes -------------------------------------------------------------------


def _settled_body(**changes: Any) -> dict[str, Any]:
    body = dnat_body(status={})
    body["metadata"]["generation"] = 2
    body["status"] = {
        "externalId": "rule-1",
        "phase": "ACTIVE",
        "observedGeneration": 2,
        "conditions": [
            {"type": "Ready", "status": "True", "reason": "Available"},
            {"type": "Synced", "status": "True", "reason": "UpToDate"},
        ],
    }
    for path, value in changes.items():
        where = body
        *parents, leaf = path.split("__")
        for parent in parents:
            where = where.setdefault(parent, {})
        if value is None:
            where.pop(leaf, None)
        else:
            where[leaf] = value
    return body


def test_only_a_settled_resource_is_left_out_of_the_resume() -> None:
    from cloudnet.core.resource import ANN_CREATE_PENDING
    from cloudnet.handlers.common import settled

    assert settled(_settled_body())
    not_settled = {
        "spec changed since": {"metadata__generation": 3},
        "create guard": {"metadata__annotations": {ANN_CREATE_PENDING: "{}"}},
        "adoption asked": {"metadata__annotations": {ANN_EXTERNAL_ID: "rule-2"}},
        "deleting": {"metadata__deletionTimestamp": "2026-01-01T00:00:00Z"},
        "no id": {"status__externalId": None},
        "pending": {"status__phase": "PENDING_UPDATE"},
        "failed state": {"status__phase": "EIP_FREEZED"},
        "error": {"status__phase": "ERROR"},
        "drift recorded": {"status__drift": [{"path": "x"}]},
        "not synced": {
            "status__conditions": [
                {"type": "Ready", "status": "True"},
                {"type": "Synced", "status": "False", "reason": "Throttled"},
            ]
        },
        "odd conditions": {"status__conditions": "yes"},
        "no status": {"status": None},
    }
    for why, changes in not_settled.items():
        assert not settled(_settled_body(**changes)), why
    # the adoption annotation naming the id it already follows changes nothing
    assert settled(_settled_body(metadata__annotations={ANN_EXTERNAL_ID: "rule-1"}))
    # a refresh asked for while the operator was down is answered by the resume
    asked = {"metadata__annotations": {ANN_REFRESH: "t1"}}
    assert not settled(_settled_body(**asked))
    assert settled(_settled_body(**asked, status__refreshRequestedAt="t1"))
