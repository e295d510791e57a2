"""Log set-up for ``cloudnet run``: plain or JSON lines, one level, no secrets.

kopf's own ``kopf.configure`` installs the handler and the formatter (its
JSON formatter, built on python-json-logger, puts a kopf object's reference
under ``object``). Our lines get the same reference: the reconcile path runs
inside :func:`about`, and :class:`ResourceFilter` copies the resource of
the current task onto every record that has none (a context variable, so
concurrent reconciles never mix their names up). The cloud clients add
``cloud_action`` and ``cloud_request_id`` to their lines about a call, which
the JSON formatter writes as fields of their own.

Loggers that would write what must not be written are held above DEBUG at
every level: the Kubernetes client logs request and response bodies (Secret
data among them) at DEBUG; httpx and httpcore log URLs and headers.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import logging
from collections.abc import Iterator

import kopf

__all__ = ["LogFormat", "LogLevel", "ResourceFilter", "about", "configure_logging"]

#: The plain format: what ``cloudnet run`` always printed.
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

#: Loggers and the lowest level they may write at, whatever --log-level says.
QUIET_LOGGERS = {
    "kubernetes": logging.INFO,  # request and response bodies at DEBUG: Secrets
    "urllib3": logging.INFO,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "aiohttp.access": logging.WARNING,  # a line per probe and per scrape
}


class LogFormat(enum.StrEnum):
    PLAIN = "plain"
    JSON = "json"


class LogLevel(enum.StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


_RESOURCE: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "cloudnet_resource", default=None
)


@contextlib.contextmanager
def about(kind: str, namespace: str, name: str) -> Iterator[None]:
    """Lines logged inside (by this task and the tasks it starts) name this resource."""
    token = _RESOURCE.set({"kind": kind, "namespace": namespace, "name": name})
    try:
        yield
    finally:
        _RESOURCE.reset(token)


class ResourceFilter(logging.Filter):
    """Adds the current resource (as kopf's ``k8s_ref``) and the logger's name to records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "k8s_ref"):
            ref = _RESOURCE.get()
            if ref is not None:
                record.k8s_ref = ref
        if not hasattr(record, "logger"):
            record.logger = record.name
        return True


def configure_logging(
    *, log_format: LogFormat = LogFormat.PLAIN, level: LogLevel = LogLevel.INFO
) -> logging.Handler:
    """Install the root handler; returns it, for more filters."""
    debug = level is LogLevel.DEBUG
    json = log_format is LogFormat.JSON
    kopf.configure(debug=debug, log_format=kopf.LogFormat.JSON if json else kopf.LogFormat.PLAIN)
    root = logging.getLogger()
    handler = root.handlers[-1]
    if not json:
        handler.setFormatter(logging.Formatter(PLAIN_FORMAT))
    root.setLevel(level.upper())
    for name, lowest in QUIET_LOGGERS.items():
        logger = logging.getLogger(name)
        logger.setLevel(max(lowest, root.level))
    handler.addFilter(ResourceFilter())
    return handler
