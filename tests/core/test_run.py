"""Operator start-up pieces: kopf settings and the log filter."""

from __future__ import annotations

import logging

import kopf

from cloudnet.core.outcome import Retry, poll
from cloudnet.core.resource import ANN_PAUSED, FINALIZER
from cloudnet.handlers import dnat
from cloudnet.handlers.common import delete_object
from cloudnet.handlers.run import QuietEventHandlers, RoutinePollFilter, configure
from tests.fixtures.core_fakes import dnat_body, harness


def record(level: int, message: str) -> logging.LogRecord:
    return logging.LogRecord("kopf.objects", level, __file__, 1, message, None, None)


async def test_pending_polls_are_not_logged_as_errors() -> None:
    """kopf logs a TemporaryError at ERROR; the routine ones (polls, a paused delete) are INFO."""
    h = harness()
    h.cluster.add(dnat_body(annotations={ANN_PAUSED: "true"}, deleting=True))
    paused = await delete_object(h.ctx, dnat.KIND, "demo", "web", attempt=0)
    assert isinstance(paused, Retry) and paused.routine
    polling = poll(3)
    assert isinstance(polling, Retry) and polling.routine
    for reason in (polling.reason, paused.reason):
        routine = record(logging.ERROR, f"Handler 'reconcile' failed temporarily: {reason}")
        RoutinePollFilter().filter(routine)
        assert routine.levelno == logging.INFO and routine.levelname == "INFO", reason


def test_real_errors_stay_errors() -> None:
    for message in ("NAT.0013: not found", "delete refused: NAT.0002: invalid; retrying"):
        failure = record(logging.ERROR, f"Handler 'reconcile' failed temporarily: {message}")
        RoutinePollFilter().filter(failure)
        assert failure.levelno == logging.ERROR


def test_kopf_settings() -> None:
    settings = kopf.OperatorSettings()
    configure(settings)
    assert settings.persistence.finalizer == FINALIZER
    assert isinstance(settings.persistence.progress_storage, kopf.AnnotationsProgressStorage)
    assert isinstance(settings.persistence.diffbase_storage, kopf.AnnotationsDiffBaseStorage)
    assert settings.posting.enabled is False and settings.scanning.disabled is True
    # far above kopf's 5 s: a lagging stream must not make kopf re-run a create
    assert settings.persistence.consistency_timeout >= 30


def test_event_handler_successes_are_dropped_and_nothing_else() -> None:
    quiet = QuietEventHandlers()
    for handler in ("watch-cache", "in-use"):
        assert not quiet.filter(record(logging.INFO, f"Handler {handler!r} succeeded."))
        failed = record(
            logging.ERROR, f"Handler {handler!r} failed with an exception. Will ignore."
        )
        assert quiet.filter(failed)
    for kept in ("Handler 'reconcile' succeeded.", "Creation is processed: 1 succeeded; 0 failed."):
        assert quiet.filter(record(logging.INFO, kept))


def test_our_kinds_have_one_event_handler_each() -> None:
    """One kopf event handler per kind feeds the watch cache and the users index."""
    from cloudnet.handlers.context import OperatorContext
    from cloudnet.handlers.run import build_registry
    from cloudnet.handlers.watch import WatchCache

    registry = kopf.OperatorRegistry()
    saved = kopf._core.intents.registries.get_default_registry()
    kopf._core.intents.registries.set_default_registry(registry)
    try:
        ctx = OperatorContext(kube=None, providers=None, watch_cache=WatchCache())  # type: ignore[arg-type]
        build_registry(ctx, drift_interval=0)
    finally:
        kopf._core.intents.registries.set_default_registry(saved)
    for plural in ("dnatrules", "networkinterfaceconfigs"):
        resource = kopf.Resource("cloudnet.dev", "v1alpha1", plural)
        ids = [h.id for h in registry._watching.get_all_handlers() if h.selector.check(resource)]
        assert ids == ["watch-cache"], (plural, ids)
    assert ctx.listeners, "the ProviderConfig protection listens through it"


def test_settled_resources_are_resumed_only_without_drift_checks() -> None:
    """With --drift-interval 0 nothing else would ever look at them after a restart."""
    from cloudnet.handlers.context import OperatorContext
    from cloudnet.handlers.run import build_registry
    from cloudnet.handlers.watch import WatchCache

    settled_body = {
        "metadata": {"generation": 1, "annotations": {}},
        "status": {
            "externalId": "rule-1",
            "phase": "ACTIVE",
            "observedGeneration": 1,
            "conditions": [
                {"type": "Ready", "status": "True"},
                {"type": "Synced", "status": "True"},
            ],
        },
    }
    resumed = {}
    for interval in (0.0, 20.0):
        registry = kopf.OperatorRegistry()
        saved = kopf._core.intents.registries.get_default_registry()
        kopf._core.intents.registries.set_default_registry(registry)
        try:
            ctx = OperatorContext(kube=None, providers=None, watch_cache=WatchCache())  # type: ignore[arg-type]
            build_registry(ctx, drift_interval=interval)
        finally:
            kopf._core.intents.registries.set_default_registry(saved)
        [resume] = [
            h
            for h in registry._changing.get_all_handlers()
            if h.initial
            and h.selector.check(kopf.Resource("cloudnet.dev", "v1alpha1", "dnatrules"))
        ]
        resumed[interval] = resume.when(body=settled_body)
    assert resumed == {0.0: True, 20.0: False}
