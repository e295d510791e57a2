"""A ProviderConfig's Ready condition: are its credentials accepted by the cloud?

A wrong key otherwise shows only on the first resource that uses it, as
that resource's AuthFailed, and an unused ProviderConfig never says
anything. So each ProviderConfig gets one cheap read with its credentials
(:func:`cloudnet.registry.check_credentials`: its plugin's ``check``),
and the verdict in ``status.conditions[Ready]``:

========================  =======  ==============================================
reason                    status   meaning
========================  =======  ==============================================
CredentialsAccepted       True     the cloud answered the read
CredentialsRejected       False    the cloud refused the key (its code and message)
CredentialsInvalid        False    the Secret's data cannot be used as credentials
SecretMissing             False    the Secret does not exist
InvalidSpec               False    the ProviderConfig does not validate, or the
                                   cloud refused the request itself as invalid
EndpointUnreachable       False    no answer from the endpoint (retried)
Throttled / Transient     Unknown  the cloud was busy (retried)
CheckFailed               Unknown  any other answer, e.g. a code no table knows (retried)
========================  =======  ==============================================

The read is made again only when what it was made with changes: the
ProviderConfig's generation or the Secret's uid/resourceVersion, which
``status.checkedWith`` records (so a restart costs no cloud call either).
A Secret in use is watched; one that is not (nobody uses the
ProviderConfig yet) is looked at again every :data:`SECRET_RECHECK`
seconds while the verdict is a failure, a Kubernetes read only. Answers
that say nothing about the key are retried with capped, jittered backoff.

The check never holds a resource's lock and a resource never waits for it:
a bad key blocks nothing beyond what the resources' own calls report.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pydantic

from cloudnet.api.errors import CloudError, CloudException, CloudTransportError, ErrorClass
from cloudnet.api.provider_config import ProviderConfigSpecBase
from cloudnet.catalog import ProviderConfigSpec
from cloudnet.core.outcome import backoff
from cloudnet.core.resource import KubeError
from cloudnet.handlers.common import validation_message
from cloudnet.handlers.context import OperatorContext
from cloudnet.handlers.kube_client import NotFoundError
from cloudnet.registry import EndpointRefused, UnsupportedProvider, check_credentials

logger = logging.getLogger(__name__)

#: Seconds between looks at an unwatched Secret while the verdict is a failure.
SECRET_RECHECK = 3.0
#: The longest wait before asking again after an answer that said nothing about the key.
MAX_RETRY = 300.0
#: Checks at once: a first start with many ProviderConfigs spreads its reads out.
CONCURRENT_CHECKS = 8
#: Verdicts that stand until the ProviderConfig or its Secret changes.
FINAL_FAILURES = frozenset({"CredentialsRejected", "CredentialsInvalid", "InvalidSpec"})

Key = tuple[str, str]  # (namespace, name)


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def ready_of(status: Mapping[str, Any]) -> dict[str, Any]:
    """The Ready condition a ProviderConfig's status holds ({} when none)."""
    conditions = status.get("conditions")
    return next(
        (
            dict(c)
            for c in (conditions if isinstance(conditions, list) else [])
            if isinstance(c, Mapping) and c.get("type") == "Ready"
        ),
        {},
    )


@dataclass(frozen=True)
class Verdict:
    status: str  # True, False, Unknown
    reason: str
    message: str
    #: seconds until the next look; None: only a change brings one
    again: float | None = None
    #: what the verdict was reached with (status.checkedWith); None: not a cloud verdict
    checked_with: str | None = None


class CredentialCheck:
    """One task per ProviderConfig at most; a request while it runs makes it look once more."""

    def __init__(
        self,
        ctx: OperatorContext,
        write: Callable[[str, str], Awaitable[None]],
        watched: Callable[[str, str], bool],
    ) -> None:
        self.ctx = ctx
        #: writes the ProviderConfig's status (Protection composes it with InUse and users)
        self._write = write
        #: whether a Secret is watched (its changes then arrive as requests)
        self._watched = watched
        #: the Ready condition and checkedWith to show, per ProviderConfig
        self.shown: dict[Key, tuple[dict[str, Any], str | None]] = {}
        self._tasks: dict[Key, asyncio.Task[None]] = {}
        self._again: dict[Key, asyncio.Event] = {}
        self._slots = asyncio.Semaphore(CONCURRENT_CHECKS)

    def request(self, namespace: str, name: str) -> None:
        key = (namespace, name)
        if key in self._tasks:
            self._again[key].set()
            return
        self._again[key] = asyncio.Event()
        self._tasks[key] = asyncio.get_running_loop().create_task(self._follow(key))

    def forget(self, namespace: str, name: str) -> None:
        key = (namespace, name)
        self.shown.pop(key, None)
        task = self._tasks.pop(key, None)
        self._again.pop(key, None)
        if task is not None:
            task.cancel()  # a ProviderConfig of the same name made next gets a task of its own

    async def _follow(self, key: Key) -> None:
        attempt = 0
        again = self._again[key]
        try:
            while True:
                again.clear()
                try:
                    async with self._slots:
                        verdict = await self._check(key, attempt)
                except KubeError as exc:
                    logger.warning("credentials check of %s/%s: %s", *key, exc)
                    verdict = Verdict("", "", "", again=backoff(attempt, base=1.0, cap=60.0))
                except Exception:
                    logger.exception("credentials check of %s/%s failed", *key)
                    verdict = Verdict("", "", "", again=backoff(attempt, base=5.0, cap=MAX_RETRY))
                if again.is_set():
                    attempt = 0
                    continue
                if verdict.again is None:
                    return
                try:
                    await asyncio.wait_for(again.wait(), timeout=verdict.again)
                    attempt = 0  # a change: look at once
                except TimeoutError:
                    attempt += 1
        finally:
            if self._again.get(key) is again:
                self._tasks.pop(key, None)
                self._again.pop(key, None)

    async def _check(self, key: Key, attempt: int) -> Verdict:
        namespace, name = key
        body = await self.ctx.kube.get_object("ProviderConfig", namespace, name)
        if body is None:
            self.shown.pop(key, None)
            return Verdict("", "", "")
        verdict = await self._judge(namespace, body, attempt)
        if verdict.reason:
            await self._show(key, body, verdict)
        return verdict

    async def _judge(self, namespace: str, body: Mapping[str, Any], attempt: int) -> Verdict:
        meta, status = _mapping(body.get("metadata")), _mapping(body.get("status"))
        try:
            spec = ProviderConfigSpec.model_validate(_mapping(body.get("spec")))
        except pydantic.ValidationError as exc:
            return Verdict("False", "InvalidSpec", validation_message(exc))
        if spec.credentials_secret_ref is None:  # credentialsSource: RRSA, the pod's identity
            if not self.ctx.rrsa_allowed(namespace):
                return Verdict(
                    "False",
                    "CredentialsRejected",
                    f"credentialsSource RRSA (the operator's own identity) is not allowed in "
                    f"namespace {namespace!r}; the operator allows it with --rrsa-namespace",
                )
            data: Mapping[str, str] = {}
            secret, poll, secret_version = "", None, "rrsa"
        else:
            secret = spec.credentials_secret_ref.name
            poll = None if self._watched(namespace, secret) else SECRET_RECHECK
            try:
                data, secret_version = await self.ctx.kube.get_secret(namespace, secret)
            except NotFoundError as exc:
                return Verdict("False", "SecretMissing", str(exc), again=SECRET_RECHECK)
            except ValueError as exc:
                return Verdict("False", "CredentialsInvalid", str(exc), again=poll)
        checked_with = f"{meta.get('uid', '')}/{meta.get('generation', '')}:{secret_version}"
        ready = ready_of(status)
        if status.get("checkedWith") == checked_with and (
            ready.get("status") == "True" or ready.get("reason") in FINAL_FAILURES
        ):
            # Judged with these very versions already (before a restart, or just now).
            return Verdict(
                str(ready.get("status")),
                str(ready.get("reason")),
                str(ready.get("message") or ""),
                again=None if ready.get("status") == "True" else poll,
                checked_with=checked_with,
            )
        try:
            provider = self.ctx.providers.get(spec, data)
        except UnsupportedProvider as exc:
            return Verdict("False", "InvalidSpec", str(exc), checked_with=checked_with)
        except EndpointRefused as exc:
            # Not memoised in checkedWith: the allow-list is the operator's (its flags), so
            # a restart with another --allow-endpoint must judge again.
            return Verdict("False", "InvalidSpec", f"spec.endpoint is refused: {exc.message}")
        except ValueError as exc:
            # Only the kind of problem, never the values: they are credentials.
            return Verdict(
                "False",
                "CredentialsInvalid",
                f"Secret {secret!r} has unusable credentials: {exc}",
                again=poll,
                checked_with=checked_with,
            )
        return await self._ask(provider, spec, checked_with, poll, attempt)

    async def _ask(
        self,
        provider: Any,
        spec: ProviderConfigSpecBase,
        checked_with: str,
        poll: float | None,
        attempt: int,
    ) -> Verdict:
        try:
            accepted = await check_credentials(provider, spec)
        except CloudTransportError as exc:
            return Verdict(
                "False",
                "EndpointUnreachable",
                f"{spec.public_endpoint()}: {exc.message}",
                again=backoff(attempt, base=5.0, cap=MAX_RETRY),
            )
        except CloudException as exc:
            words = f"{exc.code}: {exc.message}"[:1024]
            if isinstance(exc, CloudError) and exc.error_class is ErrorClass.AUTH_FAILED:
                return Verdict(
                    "False", "CredentialsRejected", words, again=poll, checked_with=checked_with
                )
            if exc.error_class is ErrorClass.INVALID_SPEC:
                # The request itself was refused (a malformed project id, an endpoint
                # the operator may not use): the ProviderConfig has to change.
                return Verdict("False", "InvalidSpec", words, checked_with=checked_with)
            if exc.error_class.retryable_soon:
                return Verdict(
                    "Unknown",
                    exc.error_class.value,
                    f"{words}; asking again",
                    again=backoff(attempt, base=2.0, cap=60.0),
                )
            return Verdict(
                "Unknown",
                "CheckFailed",
                f"{words}; asking again",
                again=backoff(attempt, base=15.0, cap=MAX_RETRY),
            )
        where = f" (request {accepted.request_id})" if accepted.request_id else ""
        return Verdict(
            "True",
            "CredentialsAccepted",
            f"{accepted.action} answered{where}",
            checked_with=checked_with,
        )

    async def _show(self, key: Key, body: Mapping[str, Any], verdict: Verdict) -> None:
        previous = self.shown.get(key, (ready_of(_mapping(body.get("status"))), None))[0]
        since = previous.get("lastTransitionTime")
        if previous.get("status") != verdict.status or not since:
            since = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        generation = _mapping(body.get("metadata")).get("generation")
        condition = {
            "type": "Ready",
            "status": verdict.status,
            "reason": verdict.reason,
            "message": verdict.message,
            "lastTransitionTime": since,
            **({"observedGeneration": generation} if isinstance(generation, int) else {}),
        }
        if (condition, verdict.checked_with) == self.shown.get(key):
            return
        self.shown[key] = (condition, verdict.checked_with)
        if verdict.status != "True" and previous.get("status") != verdict.status:
            logger.warning(
                "ProviderConfig %s/%s is not ready: %s: %s", *key, verdict.reason, verdict.message
            )
        await self._write(*key)

    async def aclose(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
