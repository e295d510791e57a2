"""The in-use protection of ProviderConfigs and Secrets (handlers/provider_config.py).

:class:`~cloudnet.handlers.provider_config.Protection` runs here on a fake
Kubernetes API that keeps the rules the protection depends on: a
resourceVersion in a patch is a precondition (409), no finalizer can be added
to an object being deleted (422), an object being deleted goes when its last
finalizer does. The events the watch streams would deliver are fed by hand,
so each test can make the cache lag behind the API server, which is exactly
where a release must not happen.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from typing import Any

import pytest

from cloudnet.api.errors import ErrorClass
from cloudnet.core.reconciler import ConfigError
from cloudnet.core.resource import FINALIZER, KubeError
from cloudnet.handlers.context import OperatorContext
from cloudnet.handlers.kube_client import KubeRefused
from cloudnet.handlers.provider_config import IN_USE_FINALIZER, IN_USE_LABEL, Protection
from cloudnet.handlers.watch import WatchCache

NS = "shop"
Key = tuple[str, str, str]  # (kind, namespace, name)


class FakeKube:
    """ProviderConfigs, Secrets and users in memory, with the API server's write rules."""

    def __init__(self) -> None:
        self.objects: dict[Key, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []
        self.forbidden = False  # every metadata patch fails, as without the RBAC to patch
        self._rv = itertools.count(1)
        self._uid = itertools.count(1)

    def add(self, kind: str, name: str, *, namespace: str = NS, **fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": kind,
            "metadata": {
                "name": name,
                "namespace": namespace,
                "uid": f"uid-{next(self._uid)}",
                "resourceVersion": str(next(self._rv)),
                **fields.pop("metadata", {}),
            },
            **fields,
        }
        self.objects[(kind, namespace, name)] = body
        return copy.deepcopy(body)

    def delete(self, kind: str, name: str, namespace: str = NS) -> None:
        body = self.objects[(kind, namespace, name)]
        if body["metadata"].get("finalizers"):
            body["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
            body["metadata"]["resourceVersion"] = str(next(self._rv))
        else:
            del self.objects[(kind, namespace, name)]

    def body(self, kind: str, name: str, namespace: str = NS) -> dict[str, Any] | None:
        found = self.objects.get((kind, namespace, name))
        return copy.deepcopy(found) if found is not None else None

    def _patch_meta(self, kind: str, namespace: str, name: str, patch: Mapping[str, Any]) -> None:
        body = self.objects.get((kind, namespace, name))
        if body is None:
            from cloudnet.core.resource import KubeGone

            raise KubeGone(f"{kind} {name}: not found")
        meta = body["metadata"]
        if patch.get("resourceVersion") not in (None, meta["resourceVersion"]):
            raise KubeRefused("HTTP 409 Conflict")
        finalizers = patch.get("finalizers", meta.get("finalizers") or [])
        if meta.get("deletionTimestamp") and set(finalizers) - set(meta.get("finalizers") or []):
            raise KubeRefused("HTTP 422 no new finalizers can be added if the object is deleted")
        meta["finalizers"] = list(finalizers)
        labels = dict(meta.get("labels") or {})
        for label, value in (patch.get("labels") or {}).items():
            if value is None:
                labels.pop(label, None)
            else:
                labels[label] = value
        meta["labels"] = labels
        meta["resourceVersion"] = str(next(self._rv))
        if meta.get("deletionTimestamp") and not meta["finalizers"]:
            del self.objects[(kind, namespace, name)]

    # ---- the KubeClient methods the protection uses

    async def get_object(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        self.calls.append(("get", f"{kind}/{name}"))
        return self.body(kind, name, namespace)

    async def list_objects(self, kind: str, namespace: str) -> list[dict[str, Any]]:
        self.calls.append(("list", kind))
        return [
            copy.deepcopy(b)
            for (k, ns, _), b in self.objects.items()
            if (k, ns) == (kind, namespace)
        ]

    async def patch_object_metadata(
        self, kind: str, namespace: str, name: str, metadata: Mapping[str, Any]
    ) -> None:
        self.calls.append(("patch", f"{kind}/{name}"))
        if self.forbidden:
            raise KubeError(f"metadata patch of {kind} {name}: HTTP 403 Forbidden")
        self._patch_meta(kind, namespace, name, metadata)

    async def patch_object_status(
        self, kind: str, namespace: str, name: str, status: Mapping[str, Any]
    ) -> None:
        self.calls.append(("status", f"{kind}/{name}"))
        body = self.objects.get((kind, namespace, name))
        if body is not None:
            body["status"] = copy.deepcopy(dict(status))

    async def get_secret_metadata(self, namespace: str, name: str) -> dict[str, Any] | None:
        self.calls.append(("get", f"Secret/{name}"))
        body = self.body("Secret", name, namespace)
        return body["metadata"] if body is not None else None

    async def patch_secret_metadata(
        self, namespace: str, name: str, metadata: Mapping[str, Any]
    ) -> None:
        self.calls.append(("patch", f"Secret/{name}"))
        self._patch_meta("Secret", namespace, name, metadata)


class Woken(list[tuple[str, str, str, str]]):
    def __call__(self, kind: str, namespace: str, name: str, why: str) -> None:
        self.append((kind, namespace, name, why))


@pytest.fixture()
def kube() -> FakeKube:
    kube = FakeKube()
    kube.add("Secret", "creds", data={"accessKeySecret": "c2VjcmV0"})
    kube.add(
        "ProviderConfig",
        "huawei",
        spec={"provider": "huawei-nat", "credentialsSecretRef": {"name": "creds"}},
    )
    return kube


@pytest.fixture()
def protection(kube: FakeKube) -> Protection:
    ctx = OperatorContext(kube=kube, providers=None, watch_cache=WatchCache())  # type: ignore[arg-type]
    ctx.wake = Woken()
    p = Protection(ctx)
    # the tests run each namespace pass themselves, in the order they choose
    p.request_sync = lambda namespace: None  # type: ignore[method-assign]
    p.config_event(None, kube.body("ProviderConfig", "huawei") or {})
    return p


def woken(p: Protection) -> Woken:
    assert isinstance(p.ctx.wake, Woken)
    return p.ctx.wake


def rule(kube: FakeKube, name: str, **status: Any) -> dict[str, Any]:
    return kube.add(
        "DnatRule",
        name,
        metadata={"finalizers": [FINALIZER]},
        spec={"providerConfigRef": {"name": "huawei"}},
        status=status,
    )


def seen(p: Protection, body: Mapping[str, Any], event: str | None = "ADDED") -> None:
    """The DnatRule watch delivered this body (to the users index and the watch cache)."""
    from cloudnet.handlers import dnat

    p.user_event("DnatRule", event, body)
    p.ctx.watch_cache.update(dnat.KIND, event, copy.deepcopy(dict(body)))


def finalizers(kube: FakeKube, kind: str, name: str) -> list[str]:
    body = kube.body(kind, name)
    assert body is not None, f"{kind} {name} is gone"
    return list(body["metadata"].get("finalizers") or [])


async def test_users_protect_the_provider_config_and_its_secret(
    kube: FakeKube, protection: Protection
) -> None:
    seen(protection, rule(kube, "web-b"))
    seen(protection, rule(kube, "web-a"))
    await protection.sync(NS)
    assert finalizers(kube, "ProviderConfig", "huawei") == [IN_USE_FINALIZER]
    assert finalizers(kube, "Secret", "creds") == [IN_USE_FINALIZER]
    secret = kube.body("Secret", "creds")
    assert secret is not None and secret["metadata"]["labels"] == {IN_USE_LABEL: "true"}
    status = (kube.body("ProviderConfig", "huawei") or {})["status"]
    assert status["users"] == ["DnatRule/web-a", "DnatRule/web-b"]
    assert status["userCount"] == 2
    [condition] = status["conditions"]
    assert (condition["type"], condition["status"], condition["reason"]) == (
        "InUse",
        "True",
        "InUse",
    )


async def test_deleting_everything_releases_in_order(
    kube: FakeKube, protection: Protection
) -> None:
    body = rule(kube, "web")
    seen(protection, body)
    await protection.sync(NS)
    for kind, name in (("DnatRule", "web"), ("ProviderConfig", "huawei"), ("Secret", "creds")):
        kube.delete(kind, name)
    # the rule's delete is not done: both stay, deleting
    await protection.sync(NS)
    assert finalizers(kube, "ProviderConfig", "huawei") == [IN_USE_FINALIZER]
    assert finalizers(kube, "Secret", "creds") == [IN_USE_FINALIZER]
    # the rule's cloud object is gone: its finalizer goes, then it is DELETED
    del kube.objects[("DnatRule", NS, "web")]
    seen(protection, body, "DELETED")
    await protection.sync(NS)
    assert kube.body("ProviderConfig", "huawei") is None
    assert kube.body("Secret", "creds") is None


async def test_a_lagging_watch_never_releases_a_user_the_api_server_has(
    kube: FakeKube, protection: Protection
) -> None:
    body = rule(kube, "web")
    seen(protection, body)
    await protection.sync(NS)
    seen(protection, body, "DELETED")  # the cache says gone; the API server still has it
    kube.delete("ProviderConfig", "huawei")
    await protection.sync(NS)
    assert ("list", "DnatRule") in kube.calls  # a live count decided
    assert finalizers(kube, "ProviderConfig", "huawei") == [IN_USE_FINALIZER]
    assert finalizers(kube, "Secret", "creds") == [IN_USE_FINALIZER]


async def test_a_released_provider_config_loses_the_finalizer_and_keeps_a_status(
    kube: FakeKube, protection: Protection
) -> None:
    body = rule(kube, "web")
    seen(protection, body)
    await protection.sync(NS)
    del kube.objects[("DnatRule", NS, "web")]
    seen(protection, body, "DELETED")
    await protection.sync(NS)
    assert finalizers(kube, "ProviderConfig", "huawei") == []
    assert finalizers(kube, "Secret", "creds") == []
    secret = kube.body("Secret", "creds")
    assert secret is not None and IN_USE_LABEL not in secret["metadata"]["labels"]
    status = (kube.body("ProviderConfig", "huawei") or {})["status"]
    assert status["users"] == [] and status["userCount"] == 0
    assert status["conditions"][0]["reason"] == "NotInUse"


async def test_a_new_user_protects_before_its_first_cloud_write(
    kube: FakeKube, protection: Protection
) -> None:
    # nothing synced yet: the guard itself puts the finalizers on
    await protection.ensure(rule(kube, "web"))
    assert finalizers(kube, "ProviderConfig", "huawei") == [IN_USE_FINALIZER]
    assert finalizers(kube, "Secret", "creds") == [IN_USE_FINALIZER]
    # and once protected, the guard costs no API call
    kube.calls.clear()
    await protection.ensure(rule(kube, "web2"))
    assert kube.calls == []


async def test_a_user_created_after_a_release_protects_again(
    kube: FakeKube, protection: Protection
) -> None:
    body = rule(kube, "web")
    seen(protection, body)
    await protection.sync(NS)
    del kube.objects[("DnatRule", NS, "web")]
    seen(protection, body, "DELETED")
    await protection.sync(NS)  # released: nobody was using it
    assert finalizers(kube, "ProviderConfig", "huawei") == []
    # a rule created after that count: its first write waits for the protection
    await protection.ensure(rule(kube, "late"))
    assert finalizers(kube, "ProviderConfig", "huawei") == [IN_USE_FINALIZER]
    assert finalizers(kube, "Secret", "creds") == [IN_USE_FINALIZER]


async def test_a_new_user_refuses_a_provider_config_being_deleted(
    kube: FakeKube, protection: Protection
) -> None:
    kube.delete("ProviderConfig", "huawei")  # no finalizer yet: it is gone at once
    with pytest.raises(ConfigError) as refused:
        await protection.ensure(rule(kube, "web"))
    assert refused.value.error_class is ErrorClass.DEPENDENCY_NOT_FOUND

    # protected but deleting: a resource with a cloud object goes on, a new one is refused
    kube.add(
        "ProviderConfig",
        "huawei",
        metadata={"finalizers": [IN_USE_FINALIZER]},
        spec={"provider": "huawei-nat", "credentialsSecretRef": {"name": "creds"}},
    )
    kube.delete("ProviderConfig", "huawei")
    protection.config_event("MODIFIED", kube.body("ProviderConfig", "huawei") or {})
    await protection.ensure(rule(kube, "old", externalId="rule-1"))
    with pytest.raises(ConfigError, match="being deleted"):
        await protection.ensure(rule(kube, "new"))


async def test_without_protection_a_new_user_makes_nothing_an_existing_one_goes_on(
    kube: FakeKube, protection: Protection
) -> None:
    kube.forbidden = True
    with pytest.raises(ConfigError, match="403") as refused:
        await protection.ensure(rule(kube, "new"))
    assert refused.value.error_class is ErrorClass.TRANSIENT
    await protection.ensure(rule(kube, "old", externalId="rule-1"))  # logged, not refused


async def test_a_new_user_refuses_a_secret_being_deleted(
    kube: FakeKube, protection: Protection
) -> None:
    kube.objects[("Secret", NS, "creds")]["metadata"]["finalizers"] = ["someone.else/hold"]
    kube.delete("Secret", "creds")
    with pytest.raises(ConfigError, match="Secret 'creds' is being deleted"):
        await protection.ensure(rule(kube, "web"))


async def test_changes_wake_the_users_and_our_own_writes_do_not(
    kube: FakeKube, protection: Protection
) -> None:
    seen(protection, rule(kube, "web"))
    await protection.sync(NS)
    protection.config_event("MODIFIED", kube.body("ProviderConfig", "huawei") or {})
    protection.secret_event("ADDED", kube.body("Secret", "creds") or {})
    assert woken(protection) == []  # finalizers, labels and status are ours: no wake-up

    config = kube.objects[("ProviderConfig", NS, "huawei")]
    config["spec"]["endpoint"] = "http://127.0.0.1:18900"
    protection.config_event("MODIFIED", kube.body("ProviderConfig", "huawei") or {})
    assert woken(protection) == [("DnatRule", NS, "web", "ProviderConfig huawei changed")]

    woken(protection).clear()
    kube.objects[("Secret", NS, "creds")]["data"] = {"accessKeySecret": "cm90YXRlZA=="}
    protection.secret_event("MODIFIED", kube.body("Secret", "creds") or {})
    assert woken(protection) == [("DnatRule", NS, "web", "Secret creds changed")]


async def test_a_provider_config_created_while_watching_wakes_its_users(
    kube: FakeKube, protection: Protection
) -> None:
    body = kube.add(
        "DnatRule", "early", spec={"providerConfigRef": {"name": "late"}}, status={"phase": "ERROR"}
    )
    seen(protection, body)
    late = kube.add(
        "ProviderConfig",
        "late",
        spec={"provider": "huawei-nat", "credentialsSecretRef": {"name": "creds"}},
    )
    protection.config_event("ADDED", late)
    assert woken(protection) == [("DnatRule", NS, "early", "ProviderConfig late created")]
    # the initial listing after a restart is no news
    woken(protection).clear()
    protection.configs.clear()
    protection.config_event(None, late)
    assert woken(protection) == []


def test_kopf_keeps_its_hands_off_provider_configs_and_secrets() -> None:
    """Only event handlers: kopf adds no finalizer and writes no annotation to either.

    A changing handler (create/update/resume/delete) would make kopf store a
    diff-base annotation on each Secret, a copy of its data, and add its own
    finalizer to ProviderConfigs.
    """
    import kopf
    from kopf._cogs.structs.references import Resource

    from cloudnet.handlers.run import build_registry

    registry = kopf.OperatorRegistry()
    previous = kopf.get_default_registry()
    kopf.set_default_registry(registry)
    try:
        ctx = OperatorContext(kube=FakeKube(), providers=None, watch_cache=WatchCache())  # type: ignore[arg-type]
        build_registry(ctx, drift_interval=0)
    finally:
        kopf.set_default_registry(previous)
    secrets = Resource(group="", version="v1", plural="secrets", kind="Secret", namespaced=True)
    configs = Resource(
        group="cloudnet.dev",
        version="v1alpha1",
        plural="providerconfigs",
        kind="ProviderConfig",
        namespaced=True,
    )
    rules = Resource(
        group="cloudnet.dev",
        version="v1alpha1",
        plural="dnatrules",
        kind="DnatRule",
        namespaced=True,
    )
    for resource in (secrets, configs):
        assert registry._watching.has_handlers(resource)
        assert not registry._changing.has_handlers(resource)
        assert not registry._spawning.has_handlers(resource)
    assert registry._watching.has_handlers(rules) and registry._changing.has_handlers(rules)
    assert ctx.protect.__self__.__class__ is Protection  # type: ignore[attr-defined]
