"""A hook through which the cloud clients report each call, for metrics and readiness.

The clients are framework-free (no kopf, no metrics library): they hand one
:class:`CallRecord` per call to an optional observer that the layer above
supplies (``cloudnet.handlers.metrics`` counts it, readiness remembers
whether the endpoint answered). A record carries the parsed cloud code only,
never a body, so nothing a server sent reaches a metric label unparsed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["NO_ANSWER_CODE", "OK_CODE", "CallObserver", "CallRecord", "notify"]

logger = logging.getLogger(__name__)

#: The code of a call that got a 2xx answer.
OK_CODE = "OK"
#: The code of a call that got no HTTP answer (connection refused, timeout, TLS).
NO_ANSWER_CODE = "NoAnswer"


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One cloud call as its client saw it."""

    #: the API's own name of the call (``CreateForwardEntry``, ``CreateNatGatewayDnatRule``)
    action: str
    #: :data:`OK_CODE`, the parsed cloud error code, or :data:`NO_ANSWER_CODE`
    code: str
    #: the error class's value (``Throttled``, ...) of a failed call, "" on success
    error_class: str
    #: seconds from sending the request to reading its answer (or giving up)
    seconds: float
    #: seconds spent waiting for the client-side rate limiter before sending
    waited: float
    #: scheme://host[:port] the call went to
    endpoint: str
    request_id: str | None = None

    @property
    def answered(self) -> bool:
        """Whether an HTTP answer came back: any cloud error code counts as one."""
        return self.code != NO_ANSWER_CODE


CallObserver = Callable[[CallRecord], None]


def notify(observer: CallObserver | None, record: CallRecord) -> None:
    """Hand ``record`` to ``observer``; a failing observer never fails the call."""
    if observer is None:
        return
    try:
        observer(record)
    except Exception:
        logger.exception("cloud call observer failed")
