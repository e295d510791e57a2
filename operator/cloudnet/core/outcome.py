"""What a reconcile ends with: done, look again later, or blocked until something changes.

The values carry the retry decision that kopf would otherwise read from the
exception type; returning them keeps the core testable as plain functions
and lets the drift pass and the wake-up path (neither runs inside kopf)
follow exactly the same decisions as the handlers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

#: Longest wait between retries of errors that need someone else to act (5 min).
MAX_BACKOFF = 300.0
#: Longest wait while the cloud reports a PENDING_* state; short so ACTIVE shows soon.
MAX_PENDING_POLL = 10.0
#: How soon to look again at an object in a failure state the operator cannot fix.
FAILED_STATE_RECHECK = 60.0


@dataclass(frozen=True)
class Done:
    """Nothing more to do until something changes (for a delete: the finalizer may go)."""

    reason: str = ""


@dataclass(frozen=True)
class Retry:
    """Look again after ``after`` seconds; ``reason`` says why, for logs and tests."""

    after: float
    reason: str
    #: a routine poll (a PENDING_* state), not a failure: logged quietly
    routine: bool = False


@dataclass(frozen=True)
class Blocked:
    """Nothing will help until ``until`` changes (the spec, a ProviderConfig, a Secret).

    The status already says why; the handlers end the handler normally so
    that kopf does not keep a failed-handler mark that outlives the fix.
    """

    reason: str
    until: str


Outcome = Done | Retry | Blocked


def backoff(attempt: int, *, base: float, cap: float) -> float:
    """Exponential backoff with "equal jitter": between half and all of the capped delay.

    The jitter spreads out resources that failed together (a throttled
    account, a clock skew) so that they do not retry in lock-step.
    """
    delay = float(min(cap, base * (2 ** min(max(attempt, 0), 16))))
    return delay / 2 + random.uniform(0, delay / 2)


def jittered(delay: float, *, cap: float = MAX_BACKOFF) -> float:
    """A fixed delay (a server's Retry-After, a recheck) spread by up to a fifth, capped.

    Never shorter than asked: a server that said "wait 2 s" gets at least 2 s.
    """
    return min(cap, delay * random.uniform(1.0, 1.2))


def poll(attempt: int) -> Outcome:
    """A routine wait for a PENDING_* state to end."""
    return Retry(
        after=backoff(attempt, base=0.5, cap=MAX_PENDING_POLL),
        reason="waiting for the cloud to settle",
        routine=True,
    )
