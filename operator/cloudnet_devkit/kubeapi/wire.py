"""What one request to the test Kubernetes API is, and how a refusal answers it.

Every concern of the API (routing, discovery, the store, watches, namespaces)
takes a parsed :class:`Target` and :class:`Call` and refuses with
:class:`StatusError`, so these live apart from all of them.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp.web

Obj = dict[str, Any]
StoreKey = tuple[str, str]  # (group, plural)
ObjKey = tuple[str | None, str]  # (namespace, name)

JSON = "application/json"


class StatusError(Exception):
    """An API error rendered as a ``v1/Status`` with the given HTTP code and reason."""

    def __init__(
        self, code: int, reason: str, message: str, details: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = dict(details or {})

    def status(self) -> Obj:
        body: Obj = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Target:
    """A parsed resource URL."""

    group: str
    version: str
    plural: str
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None

    @property
    def key(self) -> StoreKey:
        return (self.group, self.plural)

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


@dataclass
class Call:
    """One request as the router sees it."""

    method: str
    path: str
    params: Mapping[str, str]
    headers: Mapping[str, str]
    text: str
    data: Any
    raw: aiohttp.web.BaseRequest

    @property
    def dry_run(self) -> bool:
        return self.params.get("dryRun", "") == "All"

    @property
    def wants_table(self) -> bool:
        return "as=Table" in self.headers.get("Accept", "")


def json_response(body: Any, status: int = 200) -> aiohttp.web.Response:
    return aiohttp.web.Response(
        body=json.dumps(body, separators=(",", ":")).encode(),
        status=status,
        content_type=JSON,
    )
