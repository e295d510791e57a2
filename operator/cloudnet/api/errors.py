"""One error taxonomy for every cloud: the classes are part of the API.

An :class:`ErrorClass` value is what a resource shows as its ``Synced``
condition reason, so it lives with the rest of the public vocabulary, below
both the reconcile core (which decides what each class means for a retry)
and the cloud clients (which map each exact cloud code to a class). Each API
module owns a table from *exact* codes to classes; nothing guesses from a
prefix or from an HTTP status alone, and a code no table knows is
:attr:`ErrorClass.UNKNOWN`: retried with capped backoff, never permanent.

The exception tree, one root as in httpx's ``_exceptions.py``::

    CloudException              anything that went wrong talking to a cloud
    ├── CloudError              the cloud answered with an error
    └── CloudTransportError     no usable answer: connect/read failure, timeout
"""

from __future__ import annotations

import enum

#: The longest wait a server's Retry-After (or ``x-acs-retry-after``) can impose, in
#: seconds, on a retry or on a rate limiter: a proxy or an unknown server answering
#: "come back tomorrow" must not park a resource (or an account's calls) for a day.
MAX_RETRY_AFTER = 60.0


class ErrorClass(enum.StrEnum):
    """The retry class of a cloud error; the value is the Kubernetes condition reason."""

    THROTTLED = "Throttled"
    TRANSIENT = "Transient"
    INVALID_SPEC = "InvalidSpec"
    CONFLICT = "Conflict"
    AUTH_FAILED = "AuthFailed"
    DEPENDENCY_NOT_FOUND = "DependencyNotFound"
    NOT_FOUND = "NotFound"
    #: a code no table lists: retried with capped backoff and named in status
    UNKNOWN = "Unknown"

    @property
    def retryable_soon(self) -> bool:
        """Throttling and transient faults retry quickly; everything else backs off longer."""
        return self in (ErrorClass.THROTTLED, ErrorClass.TRANSIENT)

    @property
    def may_have_committed(self) -> bool:
        """Whether a write answered with this class may still have been carried out.

        Only an answer that is a verdict on the request (the spec is wrong, the
        key is taken, the caller may not) proves nothing was written. A throttle,
        a server fault or a code nobody classified proves nothing either way.
        """
        return self in (ErrorClass.THROTTLED, ErrorClass.TRANSIENT, ErrorClass.UNKNOWN)


class CloudException(Exception):
    """The root of every cloud failure; ``code`` and ``error_class`` are always set."""

    code: str
    message: str
    error_class: ErrorClass
    request_id: str | None = None
    retry_after: float | None = None


class CloudError(CloudException):
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


class CloudTransportError(CloudException):
    """The cloud did not answer (connection refused, reset, timeout): always transient."""

    error_class = ErrorClass.TRANSIENT
    code = "Transport"

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message or "no answer from the cloud"
