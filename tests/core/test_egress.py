"""The endpoint allow-list: which URLs the operator may send signed requests to.

Every refusal must hold before a client exists (the registry) and again at
the HTTP layer (a request hook that a redirect cannot get past).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from cloudnet import catalog
from cloudnet.catalog import ProviderConfigSpec
from cloudnet.clouds.egress import (
    EndpointRefused,
    Origin,
    parse_allowed,
)
from cloudnet.providers.alibaba_ecs.endpoints import ecs_endpoint
from cloudnet.providers.alibaba_ens.endpoints import ENS_ENDPOINT
from cloudnet.providers.alibaba_sag.endpoints import SAG_ENDPOINTS
from cloudnet.providers.huawei_nat.endpoints import HUAWEI_NAT_ENDPOINTS
from cloudnet.registry import ProviderRegistry, endpoint_policy

POLICY = endpoint_policy()
SECRET = {"accessKeyId": "AKIDEXAMPLE", "accessKeySecret": "s3cr3t-value"}


def test_public_domains_are_those_of_the_default_endpoints() -> None:
    declared = {
        ".".join(str(httpx.URL(url).host).split(".")[-2:])
        for plugin in catalog.PLUGINS
        for url in plugin.default_hosts
    }
    assert declared == POLICY.public_domains
    assert {"aliyuncs.com", "myhuaweicloud.com", "myhuaweicloud.cn", "myhuaweicloud.eu"} <= declared


def _defaults() -> Iterator[tuple[str, str]]:
    for url in HUAWEI_NAT_ENDPOINTS.values():
        yield "huawei-nat", url
    for url in SAG_ENDPOINTS.values():
        yield "alibaba-sag", url
    yield "alibaba-ens", ENS_ENDPOINT
    for region in ("cn-hangzhou", "ap-southeast-1", "eu-central-1", "cn-shanghai-finance-1"):
        yield "alibaba-ecs", ecs_endpoint(region)


def test_every_default_endpoint_is_allowed() -> None:
    for provider, url in _defaults():
        assert POLICY.check(provider, url).scheme == "https", url
        assert POLICY.check(provider, url + "/").port == 443


@pytest.mark.parametrize(
    ("provider", "url", "rule"),
    [
        # IP literals in every spelling the C resolver reads as 127.0.0.1
        ("huawei-nat", "http://127.0.0.1:18900", "loopback"),
        ("huawei-nat", "https://2130706433", "loopback"),
        ("huawei-nat", "https://0x7f.1", "loopback"),
        ("huawei-nat", "https://0177.0.0.1", "loopback"),
        ("huawei-nat", "https://[::1]:443", "loopback"),
        # metadata services and link-local
        ("alibaba-ecs", "http://100.100.100.200", "metadata"),
        ("alibaba-ecs", "http://169.254.169.254", "link-local"),
        ("alibaba-ecs", "https://[fe80::1]", "link-local"),
        ("alibaba-ecs", "https://10.0.0.1", "private"),
        ("alibaba-ecs", "https://8.8.8.8", "IP address"),
        # names that only mean something inside the cluster or the host
        ("alibaba-ens", "https://localhost", "local host"),
        ("alibaba-ens", "https://api.localhost", "local host"),
        ("alibaba-ens", "https://metadata", "single-label"),
        ("alibaba-ens", "https://kubernetes.default.svc", "cluster-local"),
        ("alibaba-ens", "https://x.ns.svc.cluster.local", "cluster-local"),
        # elsewhere, or under the cloud's domain but not the product's API host
        ("alibaba-ens", "https://evil.example.com", "public domains"),
        ("alibaba-ens", "https://aliyuncs.com.evil.example", "public domains"),
        ("alibaba-ecs", "https://ecs.oss-cn-hangzhou.aliyuncs.com", "not a alibaba-ecs API host"),
        ("alibaba-ecs", "https://mybucket.oss-cn-hangzhou.aliyuncs.com", "API host"),
        ("alibaba-ecs", "https://ens.aliyuncs.com", "API host"),  # another product
        ("alibaba-ecs", "https://1234.cn-hangzhou.fc.aliyuncs.com", "API host"),
        ("huawei-nat", "https://nat.cn-north-4.aliyuncs.com", "API host"),
        ("huawei-nat", "https://bucket.obs.cn-north-4.myhuaweicloud.com", "API host"),
        ("huawei-nat", "https://nat.cn-north-4.myhuaweicloud.com.", "valid DNS name"),
        # the right host, the wrong way
        ("huawei-nat", "http://nat.cn-north-4.myhuaweicloud.com", "https only"),
        ("huawei-nat", "https://nat.cn-north-4.myhuaweicloud.com:8443", "443 only"),
        ("huawei-nat", "https://nat.cn-north-4.myhuaweicloud.com/proxy", "no path"),
        # parser differentials and smuggling
        ("alibaba-ens", "https://user:pw@ens.aliyuncs.com", "userinfo"),
        ("alibaba-ens", "https://ens.aliyuncs.com@evil.example", "userinfo"),
        ("alibaba-ens", "https://evil.example\\@ens.aliyuncs.com", "userinfo"),
        ("alibaba-ens", "https://evil.example\\.ens.aliyuncs.com", "backslash"),
        ("alibaba-ens", "https://ens%2ealiyuncs.com", "percent-escape"),
        ("alibaba-ens", "https://ens.aliyuncs.com/a/../b", "path"),
        ("alibaba-ens", "https://ens.aliyuncs.com?x=1", "no query"),
        ("alibaba-ens", "https://ens.aliyuncs.com#f", "no query"),
        ("alibaba-ens", "https://ens.aliyuncs.com\t", "whitespace"),
        ("alibaba-ens", "https://\u0435ns.aliyuncs.com", "non-ASCII"),  # a Cyrillic e
        ("alibaba-ens", "ftp://ens.aliyuncs.com", "not http or https"),
        ("alibaba-ens", "ens.aliyuncs.com", "SCHEME://HOST"),
    ],
)
def test_refused_endpoints_name_their_rule(provider: str, url: str, rule: str) -> None:
    with pytest.raises(EndpointRefused) as caught:
        POLICY.check(provider, url)
    assert rule in caught.value.message
    # A refusal never echoes userinfo, where a password would be.
    assert "pw" not in caught.value.message and "user:" not in caught.value.message


def test_an_allowed_origin_is_allowed_exactly() -> None:
    policy = endpoint_policy(["http://127.0.0.1:18900", "https://proxy.internal"])
    assert policy.check("huawei-nat", "http://127.0.0.1:18900") == Origin(
        "http", "127.0.0.1", 18900
    )
    assert policy.check("huawei-nat", "http://127.0.0.1:18900/prefix/").port == 18900
    assert policy.check("alibaba-ens", "https://PROXY.internal:443").host == "proxy.internal"
    # The same numeric address in another spelling is the same origin.
    assert policy.check("huawei-nat", "http://2130706433:18900").host == "127.0.0.1"
    for other in (
        "http://127.0.0.1:18901",  # another port
        "https://127.0.0.1:18900",  # another scheme
        "http://127.0.0.2:18900",  # another host
        "http://localhost:18900",  # a name for it is not it
        "http://u@127.0.0.1:18900",  # userinfo, even on an allowed origin
    ):
        with pytest.raises(EndpointRefused):
            policy.check("huawei-nat", other)
    with pytest.raises(EndpointRefused) as caught:
        policy.check("huawei-nat", "http://127.0.0.1:9")
    assert "--allow-endpoint http://127.0.0.1:9" in caught.value.message


@pytest.mark.parametrize(
    "bad",
    ["127.0.0.1:18900", "http://127.0.0.1:18900/api", "http://u:p@h", "gopher://h", "http://h:0"],
)
def test_allow_endpoint_values_are_origins_only(bad: str) -> None:
    with pytest.raises(ValueError, match="--allow-endpoint"):
        parse_allowed(bad)


def test_allow_endpoint_value_normalises() -> None:
    assert str(parse_allowed("HTTP://Sim.Local:80/")) == "http://sim.local"
    assert str(parse_allowed("http://[::1]:18900")) == "http://[::1]:18900"


def _spec(endpoint: str | None, **extra: object) -> ProviderConfigSpec:
    return ProviderConfigSpec.model_validate(
        {
            "provider": "alibaba-ens",
            "region": "cn-hangzhou",
            **({"endpoint": endpoint} if endpoint else {}),
            "credentialsSecretRef": {"name": "creds"},
            **extra,
        }
    )


async def test_the_registry_refuses_before_any_client_exists() -> None:
    registry = ProviderRegistry()
    with pytest.raises(EndpointRefused):
        registry.get(_spec("http://169.254.169.254"), SECRET)
    assert registry._http == {} and registry._providers == {}
    assert registry.get(_spec(None), SECRET) is not None  # the public default is fine
    await registry.aclose()


async def test_a_redirect_to_another_origin_is_refused_at_the_http_layer() -> None:
    """Even a client told to follow redirects cannot leave its origin."""
    with socket.socket() as trap:
        trap.bind(("127.0.0.1", 0))
        trap.listen(8)
        trap.setblocking(False)
        target = f"http://127.0.0.1:{trap.getsockname()[1]}/"

        def answer(request: httpx.Request) -> httpx.Response:
            return httpx.Response(302, headers={"Location": target})

        origin = parse_allowed("http://sim.test")
        hook = endpoint_policy([origin]).guard(origin)
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(answer),
            event_hooks={"request": [hook]},
            follow_redirects=True,
        ) as client:
            with pytest.raises(EndpointRefused, match=r"may call http://sim\.test only"):
                await client.get("http://sim.test/")
        with pytest.raises(BlockingIOError):
            trap.accept()  # nothing ever connected


async def test_registry_clients_never_follow_redirects() -> None:
    registry = ProviderRegistry(allowed=["http://127.0.0.1:9"])
    provider = registry.get(_spec("http://127.0.0.1:9"), SECRET)
    [client] = registry._http.values()
    assert client.follow_redirects is False
    assert client.event_hooks["request"], "no origin guard on the client"
    assert provider is registry.get(_spec("http://127.0.0.1:9"), SECRET)
    await registry.aclose()


def test_verdicts_are_remembered_and_each_refusal_is_a_fresh_exception() -> None:
    policy = endpoint_policy()
    with pytest.raises(EndpointRefused) as first:
        policy.check("huawei-nat", "http://10.0.0.1")
    with pytest.raises(EndpointRefused) as second:
        policy.check("huawei-nat", "http://10.0.0.1")
    assert first.value is not second.value
    assert first.value.message == second.value.message
    assert policy.check("alibaba-ens", ENS_ENDPOINT) == policy.check("alibaba-ens", ENS_ENDPOINT)


async def test_the_guard_refuses_userinfo_and_other_ports_on_its_own_origin() -> None:
    origin = parse_allowed("http://127.0.0.1:18900")
    guard = endpoint_policy([origin]).guard(origin)
    await guard(httpx.Request("GET", "http://127.0.0.1:18900/v2/x"))
    await guard(httpx.Request("GET", "http://2130706433:18900/"))  # the same address
    for url in ("http://u@127.0.0.1:18900/", "http://127.0.0.1:18901/", "https://127.0.0.1:18900/"):
        with pytest.raises(EndpointRefused):
            await guard(httpx.Request("GET", url))


def test_cloudnet_run_passes_the_allowed_origins_and_refuses_bad_ones(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cloudnet import cli
    from cloudnet.handlers import run

    seen: dict[str, object] = {}
    monkeypatch.setattr(run, "run_operator", lambda **kwargs: seen.update(kwargs) or 0)
    argv = ["run", "--allow-endpoint", "http://127.0.0.1:18900", "--allow-endpoint", "https://p.x"]
    assert cli.main(argv) == 0
    assert seen["allowed_endpoints"] == [
        Origin("http", "127.0.0.1", 18900),
        Origin("https", "p.x", 443),
    ]
    for bad in ("http://u:hunter2@127.0.0.1:1", "http://127.0.0.1:1/path", "127.0.0.1"):
        with pytest.raises(SystemExit) as caught:
            cli.main(["run", "--allow-endpoint", bad])
        assert caught.value.code == 2
        err = capsys.readouterr().err
        assert "--allow-endpoint" in err and "hunter2" not in err
