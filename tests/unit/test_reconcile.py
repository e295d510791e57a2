"""The reconcile core (cloudnet.reconcile), one table row per situation.

Real parts wherever one can run (tests/unit/reconcile_kit.py): the real
simulator app with a fake clock, the real HuaweiNatClient signing with the
inventory's AK/SK, the real HuaweiNatProvider. Only Kubernetes is a recording
fake. Each row prepares the cloud and the resource, runs one reconcile or
delete, and checks the calls the simulator logged, the status Kubernetes
holds, the create-pending mark, the events and the kopf error raised.
"""

from __future__ import annotations

import enum
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import kopf
import pytest

from cloudnet.clouds.errors import ErrorClass
from cloudnet.reconcile import (
    ANN_CREATE_PENDING,
    ANN_EXTERNAL_ID,
    MAX_BACKOFF,
    ConfigError,
    Resource,
    report_config_error,
)
from tests.sim.simkit import GW, PORT_ELSEWHERE, FakeClock
from tests.unit.reconcile_kit import (
    CREATE,
    DELETE,
    LIST,
    SHOW,
    UPDATE,
    WRITES,
    KubeCall,
    World,
    make_world,
    spec_of,
)

GONE_ID = "5a0d6c1e-7f3b-4d2a-9c8e-1b2a3c4d5e6f"  # a rule id the cloud never had
UNKNOWN_GW = "00000000-0000-4000-8000-000000000000"
MARK = "2024-06-11T08:30:15Z"  # a create-pending mark left by an earlier attempt
OLD_TIME = "2024-01-01T00:00:00Z"
#: a port-range rule instead of single ports
RANGES: dict[str, Any] = {
    "internal_service_port": None,
    "external_service_port": None,
    "internal_service_port_range": "8000-8001",
    "external_service_port_range": "9000-9001",
}


class Is(enum.Enum):
    """Expected values that only exist once the row has run."""

    SETUP_ID = "the id of the rule the row put in the cloud"
    NEW_ID = "a rule id the cloud holds now, other than SETUP_ID"
    LAST_REQUEST_ID = "the X-Request-Id of the last call the simulator logged"
    ABSENT = "no such key"


@dataclass(frozen=True)
class Given:
    """The resource as the handler reads it, and the rule the row put in the cloud."""

    status: Mapping[str, Any] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    generation: int = 1
    rule_id: str | None = None


@dataclass
class Outcome:
    """What one run did."""

    world: World
    given: Given
    resource: Resource
    error: Exception | None


Setup = Callable[[World], Awaitable[Given]]
Then = Callable[[Outcome], Awaitable[None]]


@dataclass(frozen=True)
class Row:
    id: str
    given: Setup
    spec: Mapping[str, Any] = field(default_factory=dict)
    run: Literal["reconcile", "delete", "orphan"] = "reconcile"
    observe_only: bool = False
    attempt: int = 0
    #: the simulator's request log, in order (actions)
    calls: tuple[str, ...] = ()
    raises: type[Exception] | None = None
    #: inclusive bounds of the TemporaryError's delay
    delay: tuple[float, float] | None = None
    #: a subset of the status Kubernetes holds afterwards
    status: Mapping[str, Any] = field(default_factory=dict)
    #: condition type -> (status, reason)
    conditions: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: whether the create-pending mark is there afterwards (None: not this row's point)
    pending_mark: bool | None = False
    #: event reasons, in order (None: not this row's point); ``warnings`` must be Warnings
    events: tuple[str, ...] | None = ()
    warnings: frozenset[str] = frozenset()
    then: Then | None = None
    xfail: str | None = None


# --- setups ----------------------------------------------------------------------------


async def nothing(world: World) -> Given:
    return Given()


async def pending_mark_only(world: World) -> Given:
    return Given(annotations={ANN_CREATE_PENDING: MARK})


async def mark_and_rule_in_cloud(world: World) -> Given:
    """The process died between the cloud's answer and the status write."""
    return Given(annotations={ANN_CREATE_PENDING: MARK}, rule_id=await world.put_rule())


async def someone_elses_rule(world: World) -> Given:
    """A rule with our unique key, made outside Kubernetes; we hold no mark."""
    return Given(rule_id=await world.put_rule())


async def ours_active(world: World) -> Given:
    rule_id = await world.put_rule()
    return Given(status={"externalId": rule_id, "phase": "ACTIVE"}, rule_id=rule_id)


async def ours_active_after_conflict(world: World) -> Given:
    """An earlier pass failed with Conflict; the other party has gone since."""
    rule_id = await world.put_rule()
    return Given(
        status={
            "externalId": rule_id,
            "phase": "ERROR",
            "lastError": {"code": "NAT.0009", "message": "in use", "requestId": "r-1"},
        },
        rule_id=rule_id,
    )


async def ours_active_drift_seen_before(world: World) -> Given:
    given = await ours_active(world)
    drift = [
        {
            "path": "spec.huaweiNat.externalServicePort",
            "desired": "9090",
            "observed": "8080",
            "since": OLD_TIME,
        }
    ]
    return Given(status={**given.status, "drift": drift}, rule_id=given.rule_id)


async def ours_pending_create(world: World) -> Given:
    rule_id = await world.put_rule(active=False)
    return Given(
        status={
            "externalId": rule_id,
            "phase": "PENDING_CREATE",
            "conditions": [
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": "Creating",
                    "message": "",
                    "lastTransitionTime": OLD_TIME,
                    "observedGeneration": 1,
                }
            ],
        },
        rule_id=rule_id,
    )


async def ours_eip_freezed(world: World) -> Given:
    given = await ours_active(world)
    assert given.rule_id
    await world.edit_rule(given.rule_id, status="EIP_FREEZED")
    return given


async def ours_gone(world: World) -> Given:
    return Given(status={"externalId": GONE_ID, "phase": "ACTIVE"})


async def adopt_by_annotation(world: World) -> Given:
    rule_id = await world.put_rule()
    return Given(annotations={ANN_EXTERNAL_ID: rule_id}, rule_id=rule_id)


async def ours_active_throttled_by_fault(world: World) -> Given:
    given = await ours_active(world)
    await world.fault(family="huawei", action=SHOW, status=429, error_code="APIGW.0308", count=1)
    return given


async def ours_active_over_rate_limit(world: World) -> Given:
    """The sim's own per-key throttle: 1 call per 10 s, and the one call spent already."""
    given = await ours_active(world)
    await world.settings(throttle_rate=0.1, throttle_burst=1)
    assert given.rule_id
    await world.provider.client.show_dnat_rule(given.rule_id)
    return given


async def ours_active_with_ranges(world: World) -> Given:
    rule_id = await world.put_rule(**RANGES)
    return Given(status={"externalId": rule_id, "phase": "ACTIVE"}, rule_id=rule_id)


async def ours_active_deleted_before_update(world: World) -> Given:
    """Someone deletes the rule between our observe and our update."""
    given = await ours_active(world)
    assert given.rule_id
    rule_id = given.rule_id

    async def delete_it() -> None:
        await world.edit_rule(rule_id, status="PENDING_DELETE", status_since=0)

    world.tap.before["PUT"] = delete_it
    return given


async def config_error_reported(world: World) -> Given:
    """report_config_error said InvalidSpec (a bad ProviderConfig); the user fixed that."""
    resource = world.resource()
    with pytest.raises(kopf.PermanentError):
        await report_config_error(
            resource,
            world.kube,
            ConfigError(ErrorClass.INVALID_SPEC, "ProviderConfig 'huawei' has provider x"),
            attempt=0,
        )
    return Given(status=world.kube.status)


async def network_down(world: World) -> Given:
    world.tap.cut("*", "refuse")
    return Given()


async def network_down_ours_active(world: World) -> Given:
    given = await ours_active(world)
    world.tap.cut("*", "refuse")
    return given


async def create_answer_lost(world: World) -> Given:
    """The create reaches the cloud and commits; its answer never comes back."""
    world.tap.cut("POST", "lose_answer")
    return Given()


# --- row-specific checks -------------------------------------------------------------


def cloud_call(method: str) -> Callable[[KubeCall], bool]:
    return lambda c: c.kind == "cloud" and c.data["method"] == method


async def mark_guards_the_create(out: Outcome) -> None:
    """Mark written, then the create, then the id in status, then the mark removed."""
    journal = out.world.journal
    mark_set = journal.index_of(
        lambda c: c.kind == "annotations" and c.data.get(ANN_CREATE_PENDING) is not None
    )
    create = journal.index_of(cloud_call("POST"))
    id_written = journal.index_of(lambda c: c.kind == "status" and "externalId" in c.data)
    mark_gone = journal.index_of(
        lambda c: (
            c.kind == "annotations"
            and ANN_CREATE_PENDING in c.data
            and c.data[ANN_CREATE_PENDING] is None
        )
    )
    assert mark_set < create < id_written < mark_gone
    [rule] = await out.world.rules()
    assert rule["id"] == out.world.kube.status["externalId"]
    assert out.world.kube.status["observed"]["external_service_port"] == 8080


async def one_rule_in_cloud(out: Outcome) -> None:
    rules = await out.world.rules()
    assert len(rules) == 1, rules


async def transition_time_kept(out: Outcome) -> None:
    """Ready stayed False: its lastTransitionTime is the old one."""
    ready = conditions_of(out.world.kube.status)["Ready"]
    assert ready["lastTransitionTime"] == OLD_TIME


async def update_carries_the_pair(out: Outcome) -> None:
    [put] = [r for r in out.world.tap.requests if r.method == "PUT"]
    body = json.loads(put.content)["dnat_rule"]
    assert body["nat_gateway_id"] == GW
    assert (body["internal_service_port"], body["external_service_port"]) == (80, 9090)
    assert set(body) <= {
        "nat_gateway_id",
        "internal_service_port",
        "external_service_port",
        "protocol",
    }
    [rule] = await out.world.rules()
    assert (rule["id"], rule["external_service_port"]) == (out.given.rule_id, 9090)


async def invalid_spec_once_per_generation(out: Outcome) -> None:
    world = out.world
    await world.forget()
    again = world.again(generation=1)
    with pytest.raises(kopf.PermanentError):
        await world.reconciler(again, spec_of(port_id=PORT_ELSEWHERE)).reconcile()
    assert await world.actions() == [], "the verdict in status must spare the cloud call"
    # the user fixes the spec: generation 2 goes to the cloud again, and now succeeds
    fixed = world.again(generation=2)
    with pytest.raises(kopf.TemporaryError):
        await world.reconciler(fixed, spec_of()).reconcile()
    assert await world.actions() == [CREATE]
    assert world.kube.status["phase"] == "PENDING_CREATE"
    assert world.kube.status["observedGeneration"] == 2
    assert "lastError" not in world.kube.status


async def lost_answer_is_adopted_next_time(out: Outcome) -> None:
    """The next attempt finds the committed rule by its key instead of creating again."""
    world = out.world
    world.tap.cuts.clear()
    await world.forget()
    world.clock.advance(5)
    retry = world.again()
    await world.reconciler(retry, spec_of()).reconcile()
    assert await world.actions() == [LIST]
    [rule] = await world.rules()
    assert world.kube.status["externalId"] == rule["id"]
    assert world.kube.status["phase"] == "ACTIVE"
    assert ANN_CREATE_PENDING not in world.kube.annotations
    assert [e.reason for e in world.kube.events] == ["Adopted"]


async def nothing_reached_the_cloud(out: Outcome) -> None:
    assert await out.world.rules() == []


async def delete_runs_to_completion(out: Outcome) -> None:
    """Next passes: no second delete while PENDING_DELETE; done once the cloud says gone."""
    world = out.world
    await world.forget()
    with pytest.raises(kopf.TemporaryError):
        await world.reconciler(world.again(deleting=True), spec_of()).delete(orphan=False)
    assert await world.actions() == [SHOW]
    world.clock.advance(5)
    await world.forget()
    await world.reconciler(world.again(deleting=True), spec_of()).delete(orphan=False)
    assert await world.actions() == [SHOW]
    assert [e.reason for e in world.kube.events] == ["Deleted"]
    assert await world.rules() == []


def cloud_holds(**fields: Any) -> Then:
    async def check(out: Outcome) -> None:
        [rule] = await out.world.rules()
        assert {k: rule[k] for k in fields} == fields

    return check


async def not_an_error_phase(out: Outcome) -> None:
    assert out.world.kube.status.get("phase") != "ERROR", out.world.kube.status


async def found_by_key_delete_waits_for_gone(out: Outcome) -> None:
    world = out.world
    await world.forget()
    with pytest.raises(kopf.TemporaryError):
        await world.reconciler(world.again(deleting=True), spec_of()).delete(orphan=False)
    [rule] = await world.rules()
    assert rule["status"] == "PENDING_DELETE"
    world.clock.advance(5)
    await world.reconciler(world.again(deleting=True), spec_of()).delete(orphan=False)
    assert await world.rules() == []


async def drift_since_kept(out: Outcome) -> None:
    since = {d["path"]: d["since"] for d in out.world.kube.status["drift"]}
    assert since["spec.huaweiNat.externalServicePort"] == OLD_TIME
    assert since["spec.huaweiNat.internalServicePort"] != OLD_TIME


async def rule_left_in_cloud(out: Outcome) -> None:
    [rule] = await out.world.rules()
    assert rule["id"] == out.given.rule_id


async def drift_is_listed(out: Outcome) -> None:
    status = out.world.kube.status
    assert status["observed"]["external_service_port"] == 8080
    assert status["observed"]["internal_service_port"] == 80
    drift = {d["path"]: (d["desired"], d["observed"]) for d in status["drift"]}
    assert drift == {
        "spec.huaweiNat.internalServicePort": ("81", "80"),
        "spec.huaweiNat.externalServicePort": ("9090", "8080"),
    }
    assert all(d["since"] for d in status["drift"])
    [rule] = await out.world.rules()
    assert (rule["internal_service_port"], rule["external_service_port"]) == (80, 8080)


# --- the table -----------------------------------------------------------------------

POLL = (0.1, 10.0)  # a PENDING_* state is polled soon: at most MAX_PENDING_POLL

ROWS = [
    # --- create and the create-pending guard ---------------------------------------
    Row(
        "create: no id, no mark -> mark, one create, id + PENDING_CREATE, mark removed",
        given=nothing,
        calls=(CREATE,),
        raises=kopf.TemporaryError,
        delay=POLL,
        status={
            "externalId": Is.NEW_ID,
            "phase": "PENDING_CREATE",
            "observedGeneration": 1,
            "lastRequestId": Is.LAST_REQUEST_ID,
        },
        conditions={"Ready": ("False", "Creating"), "Synced": ("True", "Created")},
        events=("Created",),
        then=mark_guards_the_create,
    ),
    Row(
        "create: mark, no id, rule with our key in the cloud -> adopted, no create",
        given=mark_and_rule_in_cloud,
        calls=(LIST,),
        status={"externalId": Is.SETUP_ID, "phase": "ACTIVE"},
        conditions={"Ready": ("True", "Available"), "Synced": ("True", "UpToDate")},
        events=("Adopted",),
        then=one_rule_in_cloud,
    ),
    Row(
        "create: mark, no id, adopted -> lastRequestId is the list call's X-Request-Id",
        given=mark_and_rule_in_cloud,
        calls=(LIST,),
        status={"externalId": Is.SETUP_ID, "lastRequestId": Is.LAST_REQUEST_ID},
        events=("Adopted",),
    ),
    Row(
        "create: mark, no id, nothing with our key -> created exactly once",
        given=pending_mark_only,
        calls=(LIST, CREATE),
        raises=kopf.TemporaryError,
        delay=POLL,
        status={"externalId": Is.NEW_ID, "phase": "PENDING_CREATE"},
        events=("Created",),
        then=one_rule_in_cloud,
    ),
    Row(
        "create: id from the external-id annotation, rule ACTIVE -> adopted, no write",
        given=adopt_by_annotation,
        calls=(SHOW,),
        status={"externalId": Is.SETUP_ID, "phase": "ACTIVE"},
        conditions={"Ready": ("True", "Available"), "Synced": ("True", "UpToDate")},
        events=("Adopted",),
    ),
    # --- steady state and updates ---------------------------------------------------
    Row(
        "observe: id, rule ACTIVE and matching -> no write, Ready True, no error",
        given=ours_active,
        calls=(SHOW,),
        status={
            "externalId": Is.SETUP_ID,
            "phase": "ACTIVE",
            "observedGeneration": 1,
            "lastRequestId": Is.LAST_REQUEST_ID,
            "drift": [],
            "lastError": Is.ABSENT,
        },
        conditions={"Ready": ("True", "Available"), "Synced": ("True", "UpToDate")},
    ),
    Row(
        "recover: status ERROR from an earlier Conflict, rule ACTIVE -> ACTIVE, error cleared",
        given=ours_active_after_conflict,
        calls=(SHOW,),
        status={"phase": "ACTIVE", "lastError": Is.ABSENT},
        conditions={"Ready": ("True", "Available"), "Synced": ("True", "UpToDate")},
    ),
    Row(
        "update: id, rule ACTIVE, external port differs -> one update with the pair",
        given=ours_active,
        spec={"external_service_port": 9090},
        calls=(SHOW, UPDATE),
        raises=kopf.TemporaryError,
        delay=POLL,
        status={
            "externalId": Is.SETUP_ID,
            "phase": "PENDING_UPDATE",
            "lastRequestId": Is.LAST_REQUEST_ID,
        },
        conditions={"Ready": ("False", "Updating"), "Synced": ("True", "Updated")},
        events=("Updated",),
        then=update_carries_the_pair,
    ),
    Row(
        "update: cloud has port ranges, spec has single ports -> ranges replaced by ports",
        given=ours_active_with_ranges,
        calls=(SHOW, UPDATE),
        raises=kopf.TemporaryError,
        delay=POLL,
        status={"phase": "PENDING_UPDATE"},
        events=("Updated",),
        then=cloud_holds(
            internal_service_port=80,
            external_service_port=8080,
            internal_service_port_range="",
            external_service_port_range="",
        ),
    ),
    Row(
        "update: cloud has single ports, spec has port ranges -> ports replaced by ranges",
        given=ours_active,
        spec=RANGES,
        calls=(SHOW, UPDATE),
        raises=kopf.TemporaryError,
        delay=POLL,
        status={"phase": "PENDING_UPDATE"},
        events=("Updated",),
        then=cloud_holds(
            internal_service_port=0,
            external_service_port=0,
            internal_service_port_range="8000-8001",
            external_service_port_range="9000-9001",
        ),
    ),
    Row(
        "update: rule deleted between observe and update (404) -> NotFound, phase not ERROR",
        given=ours_active_deleted_before_update,
        spec={"external_service_port": 9090},
        calls=(SHOW, UPDATE),
        raises=kopf.TemporaryError,
        events=None,
        then=not_an_error_phase,
    ),
    Row(
        "verdict: InvalidSpec from report_config_error (no cloud call) -> cloud is asked",
        given=config_error_reported,
        calls=(CREATE,),
        raises=kopf.TemporaryError,
        delay=POLL,
        status={"phase": "PENDING_CREATE", "externalId": Is.NEW_ID},
        events=("Created",),
    ),
    Row(
        "poll: id, rule PENDING_CREATE -> no write, short TemporaryError",
        given=ours_pending_create,
        calls=(SHOW,),
        raises=kopf.TemporaryError,
        delay=POLL,
        status={"phase": "PENDING_CREATE"},
        conditions={"Ready": ("False", "Creating"), "Synced": ("True", "Waiting")},
        then=transition_time_kept,
    ),
    Row(
        "poll: rule PENDING_CREATE, many attempts -> delay capped at 10 s",
        given=ours_pending_create,
        attempt=12,
        calls=(SHOW,),
        raises=kopf.TemporaryError,
        delay=(10.0, 10.0),
        status={"phase": "PENDING_CREATE"},
    ),
    Row(
        "failure state: rule EIP_FREEZED -> no write, look again in a minute",
        given=ours_eip_freezed,
        calls=(SHOW,),
        raises=kopf.TemporaryError,
        delay=(60.0, 60.0),
        status={"phase": "EIP_FREEZED"},
        conditions={"Ready": ("False", "Unavailable"), "Synced": ("True", "Waiting")},
    ),
    Row(
        "recreate: id, rule gone from the cloud -> created again",
        given=ours_gone,
        calls=(SHOW, CREATE),
        raises=kopf.TemporaryError,
        delay=POLL,
        status={"externalId": Is.NEW_ID, "phase": "PENDING_CREATE"},
        events=("Recreating", "Created"),
        warnings=frozenset({"Recreating"}),
        then=one_rule_in_cloud,
    ),
    # --- cloud errors -----------------------------------------------------------------
    Row(
        "InvalidSpec: port in another VPC (NAT.0002) -> ERROR, PermanentError, once per gen",
        given=nothing,
        spec={"port_id": PORT_ELSEWHERE},
        calls=(CREATE,),
        raises=kopf.PermanentError,
        status={
            "phase": "ERROR",
            "observedGeneration": 1,
            "lastError": {"code": "NAT.0002", "requestId": Is.LAST_REQUEST_ID},
            "lastRequestId": Is.LAST_REQUEST_ID,
            "externalId": Is.ABSENT,
        },
        conditions={"Ready": ("False", "InvalidSpec"), "Synced": ("False", "InvalidSpec")},
        events=("InvalidSpec",),
        warnings=frozenset({"InvalidSpec"}),
        then=invalid_spec_once_per_generation,
    ),
    Row(
        "DependencyNotFound: unknown gateway (NAT.0013) -> ERROR, TemporaryError 15 s",
        given=nothing,
        spec={"nat_gateway_id": UNKNOWN_GW},
        calls=(CREATE,),
        raises=kopf.TemporaryError,
        delay=(15.0, 15.0),
        status={"phase": "ERROR", "lastError": {"code": "NAT.0013"}},
        conditions={
            "Ready": ("False", "DependencyNotFound"),
            "Synced": ("False", "DependencyNotFound"),
        },
        events=("DependencyNotFound",),
        warnings=frozenset({"DependencyNotFound"}),
        then=nothing_reached_the_cloud,
    ),
    Row(
        "Conflict: someone else's rule holds our EIP+port+protocol -> ERROR, capped",
        given=someone_elses_rule,
        attempt=9,
        calls=(CREATE,),
        raises=kopf.TemporaryError,
        delay=(MAX_BACKOFF, MAX_BACKOFF),
        status={"phase": "ERROR", "lastError": {"code": "NAT.0009"}, "externalId": Is.ABSENT},
        conditions={"Ready": ("False", "Conflict"), "Synced": ("False", "Conflict")},
        events=("Conflict",),
        warnings=frozenset({"Conflict"}),
        then=rule_left_in_cloud,
    ),
    Row(
        "Throttled: injected 429 APIGW.0308 -> phase unchanged, delay is the hint",
        given=ours_active_throttled_by_fault,
        attempt=5,  # backoff alone would say 32 s; the server said 1 s
        calls=(SHOW,),
        raises=kopf.TemporaryError,
        delay=(1.0, 1.0),
        status={
            "phase": "ACTIVE",
            "lastError": {"code": "APIGW.0308"},
            "lastRequestId": Is.LAST_REQUEST_ID,
        },
        conditions={"Synced": ("False", "Throttled")},
        events=("Throttled",),
        warnings=frozenset({"Throttled"}),
    ),
    Row(
        "Throttled: the simulator's own rate limit -> delay is its Retry-After (10 s)",
        given=ours_active_over_rate_limit,
        calls=(SHOW,),
        raises=kopf.TemporaryError,
        delay=(10.0, 10.0),
        status={"phase": "ACTIVE", "lastError": {"code": "APIGW.0308"}},
        conditions={"Synced": ("False", "Throttled")},
        events=("Throttled",),
    ),
    Row(
        "Transient: connection refused on create -> mark kept, nothing written to status id",
        given=network_down,
        calls=(),
        raises=kopf.TemporaryError,
        delay=(1.0, 1.0),
        status={"externalId": Is.ABSENT, "phase": Is.ABSENT},
        conditions={"Synced": ("False", "Transient")},
        pending_mark=True,
        events=("Transient",),
        warnings=frozenset({"Transient"}),
        then=nothing_reached_the_cloud,
    ),
    Row(
        "Transient: create committed, answer lost -> mark kept; next pass adopts",
        given=create_answer_lost,
        calls=(CREATE,),
        raises=kopf.TemporaryError,
        delay=(1.0, 1.0),
        status={"externalId": Is.ABSENT},
        conditions={"Synced": ("False", "Transient")},
        pending_mark=True,
        events=("Transient",),
        then=lost_answer_is_adopted_next_time,
    ),
    Row(
        "Transient: connection refused on observe -> phase unchanged",
        given=network_down_ours_active,
        calls=(),
        raises=kopf.TemporaryError,
        delay=(1.0, 60.0),
        status={"externalId": Is.SETUP_ID, "phase": "ACTIVE"},
        conditions={"Synced": ("False", "Transient")},
        events=("Transient",),
    ),
    # --- delete -------------------------------------------------------------------------
    Row(
        "delete: rule ACTIVE -> one delete call, PENDING_DELETE, TemporaryError",
        given=ours_active,
        run="delete",
        calls=(SHOW, DELETE),
        raises=kopf.TemporaryError,
        delay=POLL,
        status={"phase": "PENDING_DELETE", "lastRequestId": Is.LAST_REQUEST_ID},
        conditions={"Ready": ("False", "Deleting")},
        events=("DeleteRequested",),
        then=delete_runs_to_completion,
    ),
    Row(
        "delete: rule already gone -> returns, finalizer may go",
        given=ours_gone,
        run="delete",
        calls=(SHOW,),
        events=("Deleted",),
    ),
    Row(
        "delete: rule PENDING_CREATE -> waits, no delete call",
        given=ours_pending_create,
        run="delete",
        calls=(SHOW,),
        raises=kopf.TemporaryError,
        delay=POLL,
        status={"phase": "PENDING_CREATE"},
        then=rule_left_in_cloud,
    ),
    Row(
        "delete: mark, no id (create answer lost) -> found by key and deleted",
        given=mark_and_rule_in_cloud,
        run="delete",
        calls=(LIST, SHOW, DELETE),
        raises=kopf.TemporaryError,
        delay=POLL,
        status={"phase": "PENDING_DELETE"},
        pending_mark=None,
        events=("DeleteRequested",),
    ),
    Row(
        "delete: found by key -> next pass still waits while the rule is PENDING_DELETE",
        given=mark_and_rule_in_cloud,
        run="delete",
        calls=(LIST, SHOW, DELETE),
        raises=kopf.TemporaryError,
        delay=POLL,
        status={"phase": "PENDING_DELETE"},
        pending_mark=None,
        events=("DeleteRequested",),
        then=found_by_key_delete_waits_for_gone,
    ),
    Row(
        "delete: no id, no mark -> nothing was ever created, returns",
        given=nothing,
        run="delete",
    ),
    Row(
        "delete: deletionPolicy Orphan -> no call, returns",
        given=ours_active,
        run="orphan",
        events=("Orphaned",),
        then=rule_left_in_cloud,
    ),
    Row(
        "delete: ObserveOnly -> no call, returns",
        given=ours_active,
        run="delete",
        observe_only=True,
        events=("Orphaned",),
        then=rule_left_in_cloud,
    ),
    # --- ObserveOnly ------------------------------------------------------------------
    Row(
        "ObserveOnly: ports differ -> no write; observed filled; drift per field",
        given=ours_active,
        spec={"internal_service_port": 81, "external_service_port": 9090},
        observe_only=True,
        calls=(SHOW,),
        status={"phase": "ACTIVE", "externalId": Is.SETUP_ID},
        conditions={"Ready": ("True", "Available"), "Synced": ("True", "Observed")},
        then=drift_is_listed,
    ),
    Row(
        "ObserveOnly: drift seen before -> its 'since' is kept, a new one is stamped",
        given=ours_active_drift_seen_before,
        spec={"internal_service_port": 81, "external_service_port": 9090},
        observe_only=True,
        calls=(SHOW,),
        conditions={"Synced": ("True", "Observed")},
        then=drift_since_kept,
    ),
    Row(
        "ObserveOnly: no id, rule with our key -> adopted by key, no write",
        given=someone_elses_rule,
        observe_only=True,
        calls=(LIST,),
        status={"externalId": Is.SETUP_ID, "phase": "ACTIVE", "drift": []},
        conditions={"Synced": ("True", "Observed")},
        events=("Adopted",),
    ),
    Row(
        "ObserveOnly: rule gone -> ERROR DependencyNotFound, never recreated",
        given=ours_gone,
        observe_only=True,
        calls=(SHOW,),
        raises=kopf.TemporaryError,
        delay=(15.0, MAX_BACKOFF),
        status={"phase": "ERROR", "lastError": {"code": "NotFound"}},
        conditions={"Synced": ("False", "DependencyNotFound")},
        events=("DependencyNotFound",),
    ),
]


# --- the runner --------------------------------------------------------------------


def conditions_of(status: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in status.get("conditions") or []}


def check_subset(actual: Mapping[str, Any], expected: Mapping[str, Any], facts: Facts) -> None:
    for key, want in expected.items():
        if want is Is.ABSENT:
            assert key not in actual, f"{key} should be absent: {actual.get(key)!r}"
            continue
        assert key in actual, f"{key} missing from {dict(actual)}"
        have = actual[key]
        if isinstance(want, Mapping):
            check_subset(have, want, facts)
        elif want is Is.SETUP_ID:
            assert have == facts.setup_id, key
        elif want is Is.NEW_ID:
            assert isinstance(have, str) and have != facts.setup_id, key
            assert have in facts.cloud_ids, f"{key} {have} is not in the cloud"
        elif want is Is.LAST_REQUEST_ID:
            assert have and have == facts.last_request_id, key
        else:
            assert have == want, f"{key}: {have!r} != {want!r}"


@dataclass(frozen=True)
class Facts:
    setup_id: str | None
    cloud_ids: frozenset[str]
    last_request_id: str | None


@pytest.fixture
async def world(clock: FakeClock) -> AsyncIterator[World]:
    made = make_world(clock)
    yield made
    await made.http.aclose()
    await made.admin.aclose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def params(rows: list[Row]) -> list[Any]:
    return [
        pytest.param(
            row,
            id=row.id,
            marks=[pytest.mark.xfail(strict=True, reason=row.xfail)] if row.xfail else [],
        )
        for row in rows
    ]


@pytest.mark.parametrize("row", params(ROWS))
async def test_reconcile(row: Row, world: World) -> None:
    given = await row.given(world)
    resource = world.resource(
        status=given.status,
        annotations=given.annotations,
        generation=given.generation,
        deleting=row.run != "reconcile",
    )
    await world.forget()
    reconciler = world.reconciler(
        resource, spec_of(**row.spec), observe_only=row.observe_only, attempt=row.attempt
    )

    error: Exception | None = None
    try:
        if row.run == "reconcile":
            await reconciler.reconcile()
        else:
            await reconciler.delete(orphan=row.run == "orphan")
    except (kopf.TemporaryError, kopf.PermanentError) as exc:
        error = exc

    log = await world.requests()
    assert [e["action"] for e in log] == list(row.calls)
    if row.observe_only or row.run == "orphan":
        assert not any(e["action"] in WRITES for e in log)
    if row.raises is None:
        assert error is None, f"unexpected {error!r}"
    else:
        assert type(error) is row.raises, f"expected {row.raises.__name__}, got {error!r}"
    if row.delay is not None:
        assert isinstance(error, kopf.TemporaryError)
        low, high = row.delay
        assert low <= error.delay <= high, error.delay  # type: ignore[operator]

    facts = Facts(
        setup_id=given.rule_id,
        cloud_ids=frozenset(r["id"] for r in await world.rules()),
        last_request_id=log[-1]["request_id"] if log else None,
    )
    check_subset(world.kube.status, row.status, facts)
    conditions = conditions_of(world.kube.status)
    for type_, (status, reason) in row.conditions.items():
        assert (conditions[type_]["status"], conditions[type_]["reason"]) == (status, reason)
        assert conditions[type_]["observedGeneration"] == given.generation
    for condition in conditions.values():
        assert "." not in condition["reason"], "a reason is a class, never a dotted code"
    if row.pending_mark is not None:
        assert (ANN_CREATE_PENDING in world.kube.annotations) is row.pending_mark
    if row.events is not None:
        assert [e.reason for e in world.kube.events] == list(row.events)
    for event in world.kube.events:
        if event.reason in row.warnings:
            assert event.warning, event
    if row.then is not None:
        await row.then(Outcome(world=world, given=given, resource=resource, error=error))


# --- backoff of errors that need someone else to act -----------------------------


@pytest.mark.parametrize(
    ("attempt", "delay"),
    [(0, 15.0), (1, 30.0), (2, 60.0), (3, 120.0), (4, 240.0), (5, 300.0), (40, 300.0)],
)
async def test_dependency_backoff_grows_and_is_capped(
    attempt: int, delay: float, world: World
) -> None:
    resource = world.resource()
    with pytest.raises(kopf.TemporaryError) as caught:
        await world.reconciler(
            resource, spec_of(nat_gateway_id=UNKNOWN_GW), attempt=attempt
        ).reconcile()
    assert caught.value.delay == delay
    assert world.kube.status["lastError"]["code"] == "NAT.0013"
    assert await world.actions() == [CREATE]


# --- report_config_error: Kubernetes-side problems, no cloud call ---------------------


@pytest.mark.parametrize(
    ("error_class", "attempt", "raises", "delay"),
    [
        pytest.param(ErrorClass.INVALID_SPEC, 0, kopf.PermanentError, None, id="InvalidSpec"),
        pytest.param(
            ErrorClass.DEPENDENCY_NOT_FOUND, 0, kopf.TemporaryError, 5.0, id="missing Secret"
        ),
        pytest.param(
            ErrorClass.AUTH_FAILED, 10, kopf.TemporaryError, MAX_BACKOFF, id="bad credentials"
        ),
    ],
)
async def test_report_config_error(
    error_class: ErrorClass,
    attempt: int,
    raises: type[Exception],
    delay: float | None,
    world: World,
) -> None:
    resource = world.resource(status={"phase": "ACTIVE", "externalId": GONE_ID}, generation=3)
    with pytest.raises(raises) as caught:
        await report_config_error(
            resource, world.kube, ConfigError(error_class, "it is broken"), attempt=attempt
        )
    if delay is not None:
        assert isinstance(caught.value, kopf.TemporaryError)
        assert caught.value.delay == delay
    status = world.kube.status
    assert (status["phase"], status["observedGeneration"], status["externalId"]) == (
        "ERROR",
        3,
        GONE_ID,
    )
    synced = conditions_of(status)["Synced"]
    assert (synced["status"], synced["reason"], synced["message"]) == (
        "False",
        error_class.value,
        "it is broken",
    )
    assert [(e.reason, e.warning) for e in world.kube.events] == [(error_class.value, True)]
    assert await world.actions() == []
