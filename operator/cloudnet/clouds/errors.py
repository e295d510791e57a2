"""The cloud clients' side of the error taxonomy: parsing answers into it.

The classes and exceptions themselves live in :mod:`cloudnet.api.errors`
(the reconcile core reads them without depending on any client) and are
re-exported here for the clients. Each API module owns a table that maps an
*exact* error code to one class; the same HTTP status means different things
in different APIs (Huawei answers 400 both for a bad port and for a gateway
in use), so nothing is classified from a status alone.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from cloudnet.api.errors import (
    CloudError,
    CloudException,
    CloudTransportError,
    ErrorClass,
)

__all__ = [
    "INVALID_RESPONSE_CODE",
    "CloudError",
    "CloudException",
    "CloudTransportError",
    "ErrorClass",
    "json_object",
]


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
