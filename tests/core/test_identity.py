"""Which identity a ProviderConfig gets: RRSA only where allowed, one shared session, env.

The STS and IAM calls themselves run against the simulator in
tests/sim/test_temporary_credentials.py; this file covers the choices made
before any call: the namespace gate of ``credentialsSource: RRSA``, the
registry's one RRSA source, the Secret kinds, RRSA's environment, and the
refresh margin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cloudnet.api.errors import ErrorClass
from cloudnet.catalog import ProviderConfigSpec
from cloudnet.clouds.identity import (
    AlibabaOidcCredentials,
    HuaweiPasswordCredentials,
    RrsaSettings,
    refresh_margin,
)
from cloudnet.core.reconciler import ConfigError
from cloudnet.handlers.common import Resolver
from cloudnet.handlers.context import OperatorContext
from cloudnet.handlers.watch import WatchCache
from cloudnet.registry import ProviderRegistry

ROLE = "acs:ram::1234567890123456:role/cloudnet-operator"
PROVIDER = "acs:ram::1234567890123456:oidc-provider/ack-rrsa-c0ffee"
RRSA_ENV = {
    "ALIBABA_CLOUD_ROLE_ARN": ROLE,
    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": PROVIDER,
    "ALIBABA_CLOUD_OIDC_TOKEN_FILE": "/var/run/secrets/tokens/oidc-token",
}


class Kube:
    """The reads a Resolver makes: one RRSA ProviderConfig; Secrets are never asked for."""

    def __init__(self) -> None:
        self.reads: list[str] = []

    async def get_provider_config(self, namespace: str, name: str) -> dict[str, Any]:
        self.reads.append(f"ProviderConfig/{name}")
        return {
            "metadata": {"name": name, "namespace": namespace, "uid": "pc", "generation": 1},
            "spec": {
                "provider": "alibaba-ens",
                "region": "cn-hangzhou",
                "endpoint": "http://127.0.0.1:9",
                "credentialsSource": "RRSA",
            },
        }

    async def get_secret(self, namespace: str, name: str) -> Any:
        raise AssertionError("an RRSA ProviderConfig reads no Secret")


def context(rrsa_namespaces: frozenset[str], rrsa: RrsaSettings | None) -> OperatorContext:
    return OperatorContext(
        kube=Kube(),  # type: ignore[arg-type]
        providers=ProviderRegistry(rrsa=rrsa, allowed=["http://127.0.0.1:9"]),
        watch_cache=WatchCache(),
        rrsa_namespaces=rrsa_namespaces,
    )


async def resolve(ctx: OperatorContext, namespace: str) -> Any:
    return await Resolver(ctx).provider(
        namespace, "pc", expected="alibaba-ens", needed_by="DnatRule"
    )


async def test_rrsa_is_refused_outside_the_allowed_namespaces() -> None:
    ctx = context(frozenset({"platform"}), RrsaSettings.from_env(RRSA_ENV))
    with pytest.raises(ConfigError) as caught:
        await resolve(ctx, "tenant-a")
    assert caught.value.error_class is ErrorClass.AUTH_FAILED
    assert "--rrsa-namespace" in caught.value.message and "tenant-a" in caught.value.message
    provider, version = await resolve(ctx, "platform")
    assert isinstance(provider.client._source, AlibabaOidcCredentials)
    assert version.endswith(":rrsa")
    await ctx.providers.aclose()


async def test_every_rrsa_provider_shares_one_session_and_star_allows_all() -> None:
    ctx = context(frozenset({"*"}), RrsaSettings.from_env(RRSA_ENV))
    first, _ = await resolve(ctx, "a")
    spec = ProviderConfigSpec.model_validate(
        {"provider": "alibaba-sag", "region": "cn-shanghai", "credentialsSource": "RRSA"}
    )
    second = ctx.providers.get(spec, {})
    assert first.client._source is second.client._source
    await ctx.providers.aclose()


async def test_rrsa_without_the_pod_identity_names_the_variables() -> None:
    ctx = context(frozenset({"*"}), None)
    with pytest.raises(ConfigError) as caught:
        await resolve(ctx, "a")
    assert caught.value.error_class is ErrorClass.AUTH_FAILED
    assert "ALIBABA_CLOUD_OIDC_TOKEN_FILE" in caught.value.message


def test_huawei_secret_with_a_password_gets_an_iam_token_source() -> None:
    registry = ProviderRegistry(huawei_iam_endpoint="http://127.0.0.1:9")
    spec = ProviderConfigSpec.model_validate(
        {
            "provider": "huawei-nat",
            "region": "cn-north-4",
            "projectId": "2993a37f1765d55d2a6526b764ae47e5",
            "credentialsSecretRef": {"name": "s"},
        }
    )
    secret = {"userName": "op", "password": "pa55-word", "domainName": "d"}
    provider = registry.get(spec, secret)
    source = provider.client._source
    assert isinstance(source, HuaweiPasswordCredentials)
    assert "pa55-word" not in repr(source)
    with pytest.raises(ValueError, match="userName, password and domainName"):
        registry.get(spec, {"userName": "op", "password": "x"})


def test_rrsa_settings_from_env() -> None:
    assert RrsaSettings.from_env({}) is None
    assert RrsaSettings.from_env({"ALIBABA_CLOUD_ROLE_ARN": ROLE}) is None
    default = RrsaSettings.from_env(RRSA_ENV)
    assert default is not None
    assert default.sts_endpoint == "https://sts.aliyuncs.com"
    assert default.token_file == Path(RRSA_ENV["ALIBABA_CLOUD_OIDC_TOKEN_FILE"])
    regional = RrsaSettings.from_env({**RRSA_ENV, "ALIBABA_CLOUD_STS_REGION": "cn-hangzhou"})
    assert regional is not None and regional.sts_endpoint == "https://sts.cn-hangzhou.aliyuncs.com"
    env = {**RRSA_ENV, "ALIBABA_CLOUD_STS_ENDPOINT": "sts-vpc.cn-hangzhou.aliyuncs.com"}
    assert RrsaSettings.from_env(env).sts_endpoint == (  # type: ignore[union-attr]
        "https://sts-vpc.cn-hangzhou.aliyuncs.com"
    )
    flag = RrsaSettings.from_env(env, sts_endpoint="http://127.0.0.1:18900/")
    assert flag is not None and flag.sts_endpoint == "http://127.0.0.1:18900"


@pytest.mark.parametrize(
    ("lifetime", "margin"),
    [(3600, 720), (900, 180), (600, 180), (100, 50), (4, 2)],
)
def test_refresh_margin(lifetime: float, margin: float) -> None:
    assert refresh_margin(lifetime) == margin
