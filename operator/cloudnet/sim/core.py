"""The pieces every simulated API family shares: errors, callers, throttling, the log.

The server (``sim/server.py``) runs one pipeline for every request, whatever
the cloud: find the family and action, authenticate, throttle, apply fault
rules, run the handler, log. An API plugs into it through the
:class:`ApiFamily` protocol, so APIs differ only in routing, authentication,
throttling scopes and the shape of their error bodies, and the pipeline needs
to know none of them by name.
"""

from __future__ import annotations

import collections
import dataclasses
import math
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from cloudnet.sim.state import Store

Clock = Callable[[], float]


class Strict(BaseModel):
    """The base of every inventory model below the top level: a typo in the YAML fails loudly."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class CoreSettings(Strict):
    """The knobs of the shared pipeline; families and gateways add theirs (``Family.settings``).

    Every setting can be changed at run time through POST /_sim/settings.
    """

    #: token bucket per caller: refill rate per second; 0 turns throttling off. Each API
    #: decides what a caller is and how a refusal reads (``ApiFamily.throttle``)
    throttle_rate: float = Field(default=50.0, ge=0)
    #: token bucket size: requests allowed in a burst
    throttle_burst: int = Field(default=100, ge=1)
    #: entries kept in the request log ring buffer
    request_log_size: int = Field(default=2000, ge=1)


class SimError(Exception):
    """An error answer: HTTP status, the cloud's code and message (rendered by the family)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        retry_after: float | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        #: extra body fields a family renders beside its code (a denial's details, say)
        self.detail = detail or {}


@dataclasses.dataclass(frozen=True)
class Principal:
    """An authenticated caller. ``key`` is what the log shows and throttling counts by."""

    key: str
    #: the one project the caller may act on; "" with ``account``: every project of it
    project_id: str
    method: str  # "aksk" | "token"
    account: str = ""


@dataclasses.dataclass
class Call:
    """One request, routed: which action of which family, with its path parameters."""

    family: ApiFamily
    action: str
    params: dict[str, str]
    handler: Callable[[CallContext], Awaitable[Response]]


@dataclasses.dataclass
class CallContext:
    """What a handler gets: the request, its raw body, caller, store and clock."""

    request: Request
    body: bytes
    call: Call
    principal: Principal
    store: Store
    now: float
    request_id: str
    #: set by a handler once its write is in the store (and the state file)
    committed: bool = False


class ApiFamily(Protocol):
    """A simulated API on the shared port; ``name`` is what the log and fault rules match."""

    name: str

    def route(self, request: Request) -> Call | None:
        """The call this request addresses, or None if the family does not serve it."""

    async def authenticate(
        self, request: Request, body: bytes, call: Call, now: float
    ) -> Principal:
        """The caller, or raise :class:`SimError` (bad signature, unknown key, wrong project)."""

    def throttle(
        self, buckets: TokenBuckets, principal: Principal, call: Call, host: str
    ) -> SimError | None:
        """The refusal of the first throttling scope out of tokens, or None (tokens taken).

        The API's own: clouds count callers differently and word refusals differently.
        """

    def render_error(self, error: SimError, request_id: str, *, host: str) -> Response:
        """The family's error body for ``error``; ``host`` is the host the request named."""


class TokenBuckets:
    """Throttling scopes: a token bucket per key, each refilled at ``rate`` per second."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)

    def take(self, key: str, *, rate: float, burst: int) -> float | None:
        """Take one token; None if granted, else the seconds until one is available."""
        if rate <= 0:
            return None
        now = self._clock()
        tokens, last = self._buckets.get(key, (float(burst), now))
        tokens = min(float(burst), tokens + max(0.0, now - last) * rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            return None
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / rate

    def reset(self) -> None:
        self._buckets.clear()


def retry_after_header(seconds: float) -> str:
    """Retry-After takes whole seconds (RFC 9110); never advertise 0."""
    return str(max(1, math.ceil(seconds)))


class RequestLog:
    """A bounded ring buffer of served calls (GET /_sim/requests)."""

    def __init__(self, size: int) -> None:
        self._entries: collections.deque[dict[str, Any]] = collections.deque(maxlen=size)

    def resize(self, size: int) -> None:
        if size != self._entries.maxlen:
            self._entries = collections.deque(self._entries, maxlen=size)

    def append(self, entry: dict[str, Any]) -> None:
        self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        return list(self._entries)

    def clear(self) -> None:
        self._entries.clear()
