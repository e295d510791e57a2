"""Operator start-up pieces: kopf settings and the log filter."""

from __future__ import annotations

import logging

import kopf

from cloudnet.handlers.run import RoutinePollFilter, configure
from cloudnet.reconcile import FINALIZER


def record(level: int, message: str) -> logging.LogRecord:
    return logging.LogRecord("kopf.objects", level, __file__, 1, message, None, None)


def test_pending_polls_are_not_logged_as_errors() -> None:
    routine = record(
        logging.ERROR, "Handler 'reconcile' failed temporarily: cloud object is PENDING_CREATE"
    )
    RoutinePollFilter().filter(routine)
    assert routine.levelno == logging.INFO and routine.levelname == "INFO"


def test_real_errors_stay_errors() -> None:
    failure = record(logging.ERROR, "Handler 'reconcile' failed temporarily: NAT.0013: not found")
    RoutinePollFilter().filter(failure)
    assert failure.levelno == logging.ERROR


def test_kopf_settings() -> None:
    settings = kopf.OperatorSettings()
    configure(settings)
    assert settings.persistence.finalizer == FINALIZER
    assert isinstance(settings.persistence.progress_storage, kopf.AnnotationsProgressStorage)
    assert isinstance(settings.persistence.diffbase_storage, kopf.AnnotationsDiffBaseStorage)
    assert settings.posting.enabled is False and settings.scanning.disabled is True
