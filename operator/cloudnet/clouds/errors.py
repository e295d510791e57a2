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
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from cloudnet.api.errors import (
    CloudError,
    CloudException,
    CloudTransportError,
    ErrorClass,
)

__all__ = [
    "INVALID_RESPONSE_CODE",
    "MAX_CODE",
    "MAX_MESSAGE",
    "UNEXPECTED_REDIRECT_CODE",
    "CloudError",
    "CloudException",
    "CloudTransportError",
    "ErrorClass",
    "bounded",
    "json_object",
    "non_json_message",
    "redirect_error",
]


#: Our own code for a non-2xx answer below 400: a redirect is never a success.
UNEXPECTED_REDIRECT_CODE = "UnexpectedRedirect"
#: Longest cloud message kept: HTML error pages from proxies stay out of conditions.
MAX_MESSAGE = 1024
#: Longest redirect target named in a message.
MAX_LOCATION = 256


#: Longest cloud code kept: a code is a short identifier; anything longer is not one.
MAX_CODE = 128


def bounded(text: str, limit: int = MAX_MESSAGE) -> str:
    """A cloud's words made safe for a condition: no control characters, at most ``limit``."""
    return "".join(c if c.isprintable() else " " for c in text)[:limit].strip()


def non_json_message(status: int, content: bytes) -> str:
    """What status says of an error body that is not the cloud's JSON: its size, never its text.

    An unknown server (a proxy, a captive portal, something the endpoint was
    pointed at) could put anything in its body, including what it read from
    our request; only the parsed code and message of a cloud's answer are kept.
    """
    if not content.strip():
        return f"HTTP {status} with an empty body"
    return f"HTTP {status} with a non-JSON body ({len(content)} bytes)"


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


def location_without_query(location: str) -> str:
    """A Location as scheme://host/path: no query or fragment (they may echo
    the request's query) and no userinfo."""
    try:
        parts = urlsplit(location.strip())
    except ValueError:
        return "an unparsable Location"
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def redirect_error(
    response: httpx.Response, *, request_id: str | None, redact: Callable[[str], str]
) -> CloudError:
    """The error for a 3xx (or any other non-2xx below 400) answer: never a success.

    ``Unknown``: retried with capped backoff, the status and where it pointed
    named in the message (the Location without its query; ``redact`` blanks
    any secret the server echoed).
    """
    location = response.headers.get("location")
    where = (
        # The server's own text: bounded and without control characters, like a message.
        f"to {bounded(redact(location_without_query(location)), MAX_LOCATION)}"
        if location
        else "without a Location header"
    )
    return CloudError(
        code=UNEXPECTED_REDIRECT_CODE,
        message=(
            f"HTTP {response.status_code} {where}; redirects are not followed: "
            "check the ProviderConfig endpoint"
        )[:MAX_MESSAGE],
        error_class=ErrorClass.UNKNOWN,
        http_status=response.status_code,
        request_id=request_id,
    )
