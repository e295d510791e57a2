"""The ProviderConfig Ready condition (handlers/credentials.py) and its status writes.

The read itself runs against the simulator in
tests/integration/test_provider_config_status.py; here the cloud's answer
is chosen per test, so each failure class, the retry and the "judged with
these versions already" shortcut can be seen one at a time.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from typing import Any

import pytest

from cloudnet.api.errors import CloudError, CloudTransportError, ErrorClass
from cloudnet.handlers import credentials
from cloudnet.handlers.context import OperatorContext
from cloudnet.handlers.kube_client import NotFoundError
from cloudnet.handlers.provider_config import Protection
from cloudnet.handlers.watch import WatchCache
from cloudnet.providers import Accepted
from cloudnet.registry import endpoint_policy
from tests.wait_kit import wait_until_async

NS = "shop"
SPEC = {
    "provider": "huawei-nat",
    "region": "cn-north-4",
    "projectId": "p1",
    "endpoint": "https://nat.cn-north-4.myhuaweicloud.com",
    "credentialsSecretRef": {"name": "creds"},
}


class FakeKube:
    """One ProviderConfig and its Secret; status writes replace the status, as a merge would."""

    def __init__(self) -> None:
        self._rv = itertools.count(10)
        self.config: dict[str, Any] = {
            "kind": "ProviderConfig",
            "metadata": {"name": "pc", "namespace": NS, "uid": "pc-uid", "generation": 1},
            "spec": dict(SPEC),
        }
        self.secret: dict[str, str] | None = {"accessKeyId": "AK", "accessKeySecret": "SK"}
        self.secret_rv = "1"
        self.writes: list[dict[str, Any]] = []
        self.secret_reads = 0

    async def get_object(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.config)

    async def get_secret(self, namespace: str, name: str) -> tuple[dict[str, str], str]:
        self.secret_reads += 1
        if self.secret is None:
            raise NotFoundError(f"Secret {name!r} not found in namespace {namespace!r}")
        return dict(self.secret), f"secret-uid/{self.secret_rv}"

    async def patch_object_status(
        self, kind: str, namespace: str, name: str, status: Mapping[str, Any]
    ) -> None:
        self.writes.append(copy.deepcopy(dict(status)))
        self.config["status"] = copy.deepcopy(dict(status))


class Cloud:
    """The answers the check gets, in order; the last one repeats."""

    def __init__(self, *answers: Exception | None) -> None:
        self.answers = list(answers)
        self.calls = 0

    async def __call__(self, provider: Any, config: Any) -> Accepted:
        self.calls += 1
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if answer is not None:
            raise answer
        return Accepted("ListNatGatewayDnatRules", f"req-{self.calls}")


class Providers:
    def __init__(self) -> None:
        self.refuse: str | None = None
        self.policy = endpoint_policy(())

    def get(self, config: Any, secret: Mapping[str, str]) -> object:
        if self.refuse:
            raise ValueError(self.refuse)
        # the real registry's first step: the endpoint policy, before any client exists
        self.policy.check(config.provider, config.public_endpoint())
        return object()


@pytest.fixture()
def kube() -> FakeKube:
    return FakeKube()


@pytest.fixture()
def protection(kube: FakeKube, monkeypatch: pytest.MonkeyPatch) -> Protection:
    monkeypatch.setattr(credentials, "backoff", lambda attempt, **_: 0.01)
    monkeypatch.setattr(credentials, "SECRET_RECHECK", 0.01)
    ctx = OperatorContext(kube=kube, providers=Providers(), watch_cache=WatchCache())  # type: ignore[arg-type]
    p = Protection(ctx)
    p.request_sync = lambda namespace: None  # type: ignore[method-assign]
    p.checker = credentials.CredentialCheck(ctx, p._write_status, p.watched_secret)
    return p


def answer(monkeypatch: pytest.MonkeyPatch, *answers: Exception | None) -> Cloud:
    cloud = Cloud(*answers)
    monkeypatch.setattr(credentials, "check_credentials", cloud)
    return cloud


def ready(kube: FakeKube) -> dict[str, Any]:
    return credentials.ready_of(kube.config.get("status") or {})


async def until(predicate: Any, what: str) -> None:
    await wait_until_async(predicate, what=what)


async def settled(p: Protection) -> None:
    assert p.checker is not None
    await until(lambda: not p.checker._tasks, "the checks to end")  # type: ignore[union-attr]


def seen(p: Protection, kube: FakeKube, event: str = "ADDED") -> None:
    p.config_event(event, copy.deepcopy(kube.config))


def refused(code: str, error_class: ErrorClass) -> CloudError:
    return CloudError(
        code=code, message="refused", error_class=error_class, http_status=401, request_id="r"
    )


async def test_accepted_credentials_are_ready_and_not_asked_again(
    kube: FakeKube, protection: Protection, monkeypatch: pytest.MonkeyPatch
) -> None:
    cloud = answer(monkeypatch, None)
    seen(protection, kube)
    await settled(protection)
    assert ready(kube)["status"] == "True"
    assert ready(kube)["reason"] == "CredentialsAccepted"
    assert "request req-1" in ready(kube)["message"]
    assert kube.config["status"]["checkedWith"] == "pc-uid/1:secret-uid/1"
    # our own status write comes back through the watch: nothing to check
    seen(protection, kube, "MODIFIED")
    await settled(protection)
    # a restart (a new process, the same versions) makes no cloud call either
    fresh = Protection(protection.ctx)
    fresh.request_sync = lambda namespace: None  # type: ignore[method-assign]
    fresh.checker = credentials.CredentialCheck(
        protection.ctx, fresh._write_status, lambda *_: True
    )
    seen(fresh, kube)
    await settled(fresh)
    assert cloud.calls == 1
    # a new generation of the spec is checked again
    kube.config["metadata"]["generation"] = 2
    kube.config["spec"]["region"] = "cn-east-3"
    seen(protection, kube, "MODIFIED")
    await settled(protection)
    assert cloud.calls == 2
    assert kube.config["status"]["checkedWith"] == "pc-uid/2:secret-uid/1"


async def test_rejected_credentials_show_the_code_until_the_secret_changes(
    kube: FakeKube, protection: Protection, monkeypatch: pytest.MonkeyPatch
) -> None:
    cloud = answer(monkeypatch, refused("APIGW.0301", ErrorClass.AUTH_FAILED), None)
    seen(protection, kube)  # the Secret is not watched: it is looked at while failing
    await until(lambda: ready(kube).get("reason") == "CredentialsRejected", "rejected")
    assert ready(kube)["status"] == "False"
    assert ready(kube)["message"] == "APIGW.0301: refused"
    looked = kube.secret_reads
    await until(lambda: kube.secret_reads >= looked + 3, "several looks at the unchanged Secret")
    assert cloud.calls == 1
    kube.secret_rv = "2"
    await until(lambda: ready(kube).get("status") == "True", "accepted after the fix")
    assert cloud.calls == 2
    await settled(protection)


@pytest.mark.parametrize(
    ("fault", "status", "reason"),
    [
        (CloudTransportError("connection refused"), "False", "EndpointUnreachable"),
        (refused("APIGW.0308", ErrorClass.THROTTLED), "Unknown", "Throttled"),
        (refused("Nobody.Knows", ErrorClass.UNKNOWN), "Unknown", "CheckFailed"),
    ],
)
async def test_answers_that_say_nothing_about_the_key_are_retried(
    kube: FakeKube,
    protection: Protection,
    monkeypatch: pytest.MonkeyPatch,
    fault: Exception,
    status: str,
    reason: str,
) -> None:
    cloud = answer(monkeypatch, fault, fault, None)
    shown: list[tuple[str, str]] = []
    write = protection._write_status

    async def recording(namespace: str, name: str, users: list[str] | None = None) -> None:
        await write(namespace, name, users)
        shown.append((ready(kube)["status"], ready(kube)["reason"]))

    assert protection.checker is not None
    protection.checker._write = recording
    seen(protection, kube)
    await settled(protection)
    assert shown == [(status, reason), ("True", "CredentialsAccepted")]
    assert cloud.calls == 3
    assert "checkedWith" in kube.config["status"]


async def test_a_request_refused_as_invalid_waits_for_a_change(
    kube: FakeKube, protection: Protection, monkeypatch: pytest.MonkeyPatch
) -> None:
    cloud = answer(monkeypatch, refused("APIGW.0101", ErrorClass.INVALID_SPEC))
    seen(protection, kube)
    await settled(protection)
    assert (ready(kube)["status"], ready(kube)["reason"]) == ("False", "InvalidSpec")
    assert ready(kube)["message"] == "APIGW.0101: refused"
    assert cloud.calls == 1


async def test_a_refused_endpoint_is_invalid_spec_and_never_called(
    kube: FakeKube, protection: Protection, monkeypatch: pytest.MonkeyPatch
) -> None:
    cloud = answer(monkeypatch, None)
    kube.config["spec"]["endpoint"] = "http://169.254.169.254"
    seen(protection, kube)
    await until(lambda: ready(kube).get("reason") == "InvalidSpec", "refused")
    assert ready(kube)["message"].startswith("spec.endpoint is refused: ")
    assert "--allow-endpoint" in ready(kube)["message"]
    assert cloud.calls == 0
    # not memoised: another operator (other --allow-endpoint flags) judges again
    assert not (kube.config.get("status") or {}).get("checkedWith")


async def test_a_missing_secret_and_unusable_data_make_no_cloud_call(
    kube: FakeKube, protection: Protection, monkeypatch: pytest.MonkeyPatch
) -> None:
    cloud = answer(monkeypatch, None)
    secret, kube.secret = kube.secret, None
    seen(protection, kube)
    await until(lambda: ready(kube).get("reason") == "SecretMissing", "missing")
    assert "'creds' not found" in ready(kube)["message"]
    providers = protection.ctx.providers
    assert isinstance(providers, Providers)
    providers.refuse = "credentials need accessKeyId and accessKeySecret, or token"
    kube.secret, kube.secret_rv = secret, "2"
    await until(lambda: ready(kube).get("reason") == "CredentialsInvalid", "unusable")
    assert "accessKeyId and accessKeySecret" in ready(kube)["message"]
    assert cloud.calls == 0
    providers.refuse = None
    kube.secret_rv = "3"
    await until(lambda: ready(kube).get("status") == "True", "accepted")
    await settled(protection)


async def test_in_use_and_ready_survive_each_others_writes(
    kube: FakeKube, protection: Protection, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer(monkeypatch, None)
    seen(protection, kube)
    await settled(protection)
    await protection._write_status(NS, "pc", ["DnatRule/web"])
    status = kube.config["status"]
    assert [c["type"] for c in status["conditions"]] == ["InUse", "Ready"]
    assert status["userCount"] == 1 and status["conditions"][1]["status"] == "True"
    # a new verdict keeps the users and InUse
    kube.config["metadata"]["generation"] = 2
    kube.config["spec"]["projectId"] = "p2"
    answer(monkeypatch, refused("APIGW.0301", ErrorClass.AUTH_FAILED))
    seen(protection, kube, "MODIFIED")
    await until(lambda: ready(kube).get("status") == "False", "rejected")
    status = kube.config["status"]
    assert status["users"] == ["DnatRule/web"]
    assert status["conditions"][0]["reason"] == "InUse"
    protection.config_event("DELETED", copy.deepcopy(kube.config))
    await settled(protection)
