"""Operator start-up pieces: kopf settings and the log filter."""

from __future__ import annotations

import logging

import kopf

from cloudnet.core.outcome import Retry, poll
from cloudnet.core.resource import ANN_PAUSED, FINALIZER
from cloudnet.handlers import dnat
from cloudnet.handlers.common import delete_object
from cloudnet.handlers.run import RoutinePollFilter, configure
from tests.unit.core_fakes import dnat_body, harness


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
