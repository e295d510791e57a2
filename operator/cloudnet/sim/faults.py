"""Fault injection: make chosen calls fail, slow down, or lose their answer.

A :class:`FaultRule` matches calls by family and action (``"*"`` = any) and
fires with probability ``rate``, at most ``count`` times. When it fires:

- ``latency`` seconds pass before anything else happens;
- with ``error_code`` (and ``status``) the call fails with that error and
  changes nothing;
- with ``drop_response_after_commit`` the call runs and commits its write,
  then the answer is held: for ``hold_seconds`` and then sent, or (when
  ``hold_seconds`` is null) never, until the client goes away. That is the
  window in which a test SIGKILLs an operator whose create the cloud has
  already made.

The rules live in memory only; they are test scaffolding, not cloud state.
"""

from __future__ import annotations

import itertools
import random

from pydantic import BaseModel, ConfigDict, Field, model_validator


class FaultRule(BaseModel):
    """One fault rule, as POSTed to /_sim/faults."""

    model_config = ConfigDict(extra="forbid")

    id: str = ""
    family: str = "*"
    action: str = "*"
    #: only calls by this access key (or token name); None = any caller
    caller: str | None = None
    error_code: str | None = None
    status: int | None = Field(default=None, ge=400, le=599)
    error_msg: str = "Injected fault (cloudnet sim)"
    rate: float = Field(default=1.0, ge=0.0, le=1.0)
    #: how many more times the rule may fire; None = unlimited
    count: int | None = Field(default=None, ge=0)
    latency: float = Field(default=0.0, ge=0.0)
    drop_response_after_commit: bool = False
    hold_seconds: float | None = Field(default=None, ge=0.0)
    fired: int = 0

    @model_validator(mode="after")
    def _consistent(self) -> FaultRule:
        if (self.error_code is None) != (self.status is None):
            raise ValueError("error_code and status go together")
        if self.error_code is not None and self.drop_response_after_commit:
            raise ValueError("an error fault commits nothing: no drop_response_after_commit")
        return self

    def matches(self, family: str, action: str, caller: str) -> bool:
        return (
            self.family in ("*", family)
            and self.action in ("*", action)
            and (self.caller is None or self.caller == caller)
            and (self.count is None or self.count > 0)
        )


class FaultBook:
    """The active fault rules, first match wins."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)
        self._rng = rng or random.Random()

    def add(self, rule: FaultRule) -> FaultRule:
        rule = rule.model_copy(update={"id": rule.id or f"fault-{next(self._ids)}", "fired": 0})
        self._rules.append(rule)
        return rule

    def rules(self) -> list[FaultRule]:
        return list(self._rules)

    def remove(self, rule_id: str) -> bool:
        before = len(self._rules)
        self._rules = [r for r in self._rules if r.id != rule_id]
        return len(self._rules) != before

    def clear(self) -> None:
        self._rules.clear()

    def fire(self, family: str, action: str, caller: str) -> FaultRule | None:
        """The rule that fires for this call (its count spent), or None."""
        for rule in self._rules:
            if not rule.matches(family, action, caller):
                continue
            if rule.rate < 1.0 and self._rng.random() >= rule.rate:
                continue
            if rule.count is not None:
                rule.count -= 1
            rule.fired += 1
            return rule
        return None
