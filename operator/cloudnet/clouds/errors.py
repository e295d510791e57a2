"""One error taxonomy for every cloud (shared/DESIGN.md, "Errors").

Each API module owns a table that maps an *exact* error code to one
:class:`ErrorClass`; nothing here guesses from a prefix or from the HTTP
status alone, because the same status means different things in different
APIs (Huawei answers 400 both for a bad port and for a gateway in use).
The exception tree::

    CloudError                  the cloud answered with an error body
    └── (error_class says what the reconcile loop does with it)
    CloudTransportError         no answer: connect/read failure, timeout
"""

from __future__ import annotations

import enum
import json
from typing import Any

import httpx


class ErrorClass(enum.StrEnum):
    """The retry class of a cloud error; the value is the Kubernetes condition reason."""

    THROTTLED = "Throttled"
    TRANSIENT = "Transient"
    INVALID_SPEC = "InvalidSpec"
    CONFLICT = "Conflict"
    AUTH_FAILED = "AuthFailed"
    DEPENDENCY_NOT_FOUND = "DependencyNotFound"
    NOT_FOUND = "NotFound"

    @property
    def retryable_soon(self) -> bool:
        """Throttling and transient faults retry quickly; everything else waits for a change."""
        return self in (ErrorClass.THROTTLED, ErrorClass.TRANSIENT)


class CloudError(Exception):
    """An error answer from a cloud API, with the cloud's own code and words."""

    def __init__(
        self,
        *,
        code: str,
        message: str,
        error_class: ErrorClass,
        http_status: int,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.error_class = error_class
        self.http_status = http_status
        self.request_id = request_id
        #: seconds the server asked us to wait, if it said so
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"CloudError(code={self.code!r}, class={self.error_class.value}, "
            f"status={self.http_status}, request_id={self.request_id!r})"
        )


class CloudTransportError(Exception):
    """The cloud did not answer (connection refused, reset, timeout): always transient."""

    error_class = ErrorClass.TRANSIENT


#: Our own code (not a cloud's) for a 2xx answer whose body is not a JSON object.
INVALID_RESPONSE_CODE = "InvalidResponse"


def json_object(response: httpx.Response, *, request_id: str | None) -> dict[str, Any]:
    """The body of a success as a dict; {} for an empty body (204).

    A success whose body is not a JSON object (a proxy's HTML page, a cut-off
    answer) raises a Transient error rather than pass for an empty answer.
    """
    if not response.content.strip():
        return {}
    try:
        parsed = json.loads(response.content)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise CloudError(
            code=INVALID_RESPONSE_CODE,
            message=f"HTTP {response.status_code} with a body that is not a JSON object",
            error_class=ErrorClass.TRANSIENT,
            http_status=response.status_code,
            request_id=request_id,
        )
    return parsed
