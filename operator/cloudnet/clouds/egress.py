"""Which endpoints the operator may send signed requests (and tokens) to.

A ProviderConfig is written by a namespace's users, and its ``endpoint`` is
where the operator sends that namespace's signed requests, its Huawei token,
and whose error text it reads back into status. Left open, anyone who may
write a ProviderConfig could point it at a metadata service
(169.254.169.254, Alibaba's 100.100.100.200), a cluster-internal Service or
a server of their own. So by default an endpoint must be the API host of
the ProviderConfig's own product, over https on port 443, under the cloud's
public domain; ``cloudnet run --allow-endpoint SCHEME://HOST[:PORT]``
allows one more origin exactly (the simulator, a VPC endpoint, a proxy).

Why the product's host and not just the cloud's domain: ``*.aliyuncs.com``
and ``*.myhuaweicloud.com`` also hold names their customers control (OSS and
OBS buckets, Function Compute triggers), and a Huawei token or an Alibaba v1
signature (which does not sign the host) sent there could be replayed. The
accepted shapes are those of each provider's default endpoints (its plugin's
``default_hosts``): ``<product>.<region>.<domain>`` or ``<product>.<domain>``,
the product being the first label of that provider's default hosts (``nat``,
``ens``, ``smartag``, ``ecs``) and the region label shaped like a region (two
letters, a dash, ...), which no bucket host (``bucket.oss-<region>``) is.

The URL is read strictly before anything is looked at: userinfo, a
backslash, percent-escapes, non-ASCII or a trailing dot in the host are
refused outright rather than interpreted, since parsers disagree on them
(``https://evil.example\\@ecs.aliyuncs.com`` is one host to one parser and
another to the next). Hand-written: no library draws this line, and the
rules are the point of the module.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import urlsplit

import httpx

from cloudnet.api.errors import CloudException, ErrorClass

__all__ = [
    "ENDPOINT_REFUSED_CODE",
    "EndpointPolicy",
    "EndpointRefused",
    "Origin",
    "ProductHosts",
    "parse_allowed",
]

#: Our own code for a request the policy stopped before it was sent.
ENDPOINT_REFUSED_CODE = "EndpointRefused"

_DEFAULT_PORTS = {"http": 80, "https": 443}
#: Verdicts kept by EndpointPolicy.check before it starts over.
MAX_VERDICTS = 1024
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_REGION_LABEL = re.compile(r"^[a-z]{2}-[a-z0-9]+(?:-[a-z0-9]+)*$")
_NETLOC = re.compile(r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[^:\[\]]+)(?::(?P<port>[0-9]{1,5}))?$")
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<netloc>[^/?#]*)(?P<path>[^?#]*)$")
_SAFE_PATH = re.compile(r"^(?:/[A-Za-z0-9._~-]+)*/?$")
#: Names that only mean something inside a cluster or a host.
_LOCAL_SUFFIXES = (".svc", ".cluster.local", ".local", ".localhost", ".internal", ".localdomain")
#: Alibaba's metadata service: outside 169.254/16, so named on its own.
_METADATA_ADDRESSES = frozenset({ipaddress.ip_address("100.100.100.200")})


@dataclass(frozen=True)
class ProductHosts:
    """One provider's public API hosts: ``<product>[.<region>].<domain>``, plus exact ones."""

    product: str
    domains: frozenset[str]
    exact: frozenset[str] = frozenset()

    @classmethod
    def of(cls, default_urls: Iterable[str], *, exact: Iterable[str] = ()) -> ProductHosts:
        """The shape the provider's default endpoints share (one product label)."""
        hosts = [str(httpx.URL(url).host) for url in default_urls]
        labels = {host.split(".")[0] for host in hosts}
        if len(labels) != 1:
            raise ValueError(f"default hosts with more than one product label: {sorted(labels)}")
        return cls(
            product=labels.pop(),
            domains=frozenset(".".join(h.split(".")[-2:]) for h in hosts),
            exact=frozenset(exact),
        )


@dataclass(frozen=True, order=True)
class Origin:
    """scheme://host:port, lower-cased, the port always explicit."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = _DEFAULT_PORTS.get(self.scheme)
        return f"{self.scheme}://{host}" + ("" if self.port == default else f":{self.port}")


class EndpointRefused(CloudException):
    """An endpoint the policy does not allow; nothing was sent to it.

    A :class:`CloudException` so that, raised from the HTTP layer (a request
    to another origin than the client's own), it is reported like any cloud
    failure. ``InvalidSpec``: nothing was sent, so nothing was written, and
    nothing but a change of the ProviderConfig (or of the operator's
    allow-list) makes it pass.
    """

    code = ENDPOINT_REFUSED_CODE
    error_class = ErrorClass.INVALID_SPEC

    def __init__(self, reason: str, *, origin: str | None = None) -> None:
        super().__init__(reason)
        self.message = reason
        #: the origin to pass to --allow-endpoint to allow it, when it has one
        self.origin = origin


@dataclass(frozen=True)
class _Parsed:
    origin: Origin
    path: str
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None


def _ip_of(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host *is* (not resolves to): dotted, or a form inet_aton reads.

    ``2130706433``, ``0x7f.1`` and ``0177.0.0.1`` are all 127.0.0.1 to the C
    resolver, so they count as IP literals, not as names.
    """
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def _parse(url: str) -> _Parsed:
    """The URL's origin and path, read strictly; raises EndpointRefused for anything odd."""
    if not url.isascii() or any(c.isspace() or ord(c) < 32 for c in url):
        raise EndpointRefused("it contains whitespace, control or non-ASCII characters")
    matched = _URL.match(url)
    if matched is None:
        raise EndpointRefused("it is not SCHEME://HOST[:PORT][/PATH] (no query, no fragment)")
    scheme = matched["scheme"].lower()
    if scheme not in _DEFAULT_PORTS:
        raise EndpointRefused(f"scheme {scheme!r} is not http or https")
    netloc = matched["netloc"]
    if "@" in netloc:
        # Never echoed: userinfo is where a password would be.
        raise EndpointRefused("it carries userinfo (user@host); credentials never go in a URL")
    if "\\" in url or "%" in netloc:
        raise EndpointRefused("its host has a backslash or a percent-escape")
    parts = _NETLOC.match(netloc)
    if parts is None or not parts["host"]:
        raise EndpointRefused("its host[:port] cannot be read")
    host = parts["host"].lower()
    port = int(parts["port"]) if parts["port"] else _DEFAULT_PORTS[scheme]
    if not 0 < port < 65536:
        raise EndpointRefused(f"port {port} is out of range")
    ip = _ip_of(host)
    if ip is None and (host.endswith(".") or not _HOSTNAME.match(host)):
        raise EndpointRefused(f"host {host!r} is not a valid DNS name")
    if ip is not None:
        host = str(ip)
    # Cross-check with the parser that sends: both must see the same origin.
    try:
        sent = httpx.URL(url)
        split = urlsplit(url)
    except (httpx.InvalidURL, ValueError):
        # httpx refuses some numeric forms (0177.0.0.1) that the C resolver reads.
        raise EndpointRefused(_local_reason(host, ip) or "it cannot be parsed") from None
    sent_host = str(sent.host)
    if ip is None and (sent_host != host or (split.hostname or "") != host):
        raise EndpointRefused("its host reads differently to different URL parsers")
    path = matched["path"]
    if path and (not _SAFE_PATH.match(path) or any(s in (".", "..") for s in path.split("/"))):
        raise EndpointRefused("its path has characters other than letters, digits and ._~-")
    return _Parsed(Origin(scheme, host, port), path, ip)


def parse_allowed(value: str) -> Origin:
    """One ``--allow-endpoint`` value, SCHEME://HOST[:PORT]; raises ValueError with the rule."""
    shown = repr(value) if "@" not in value else "(a value with userinfo)"
    try:
        parsed = _parse(value.rstrip("/") if value.endswith("/") else value)
    except EndpointRefused as exc:
        raise ValueError(f"--allow-endpoint {shown}: {exc.message}") from None
    if parsed.path not in ("", "/"):
        raise ValueError(f"--allow-endpoint {shown}: give SCHEME://HOST[:PORT], without a path")
    return parsed.origin


def _local_reason(host: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> str:
    if ip is not None:
        if ip in _METADATA_ADDRESSES:
            return f"{host} is the cloud metadata service"
        if ip.is_loopback:
            return f"{host} is a loopback address"
        if ip.is_link_local:
            return f"{host} is a link-local address (169.254.0.0/16, fe80::/10: metadata services)"
        if ip.is_private:
            return f"{host} is a private IP address"
        return f"{host} is an IP address; the clouds' APIs are reached by name"
    if host == "localhost" or host.endswith(".localhost"):
        return f"{host} is the local host"
    if "." not in host:
        return f"{host!r} is a single-label name (a cluster or search-domain name)"
    if host.endswith(_LOCAL_SUFFIXES):
        return f"{host} is a cluster-local name"
    return ""


class EndpointPolicy:
    """The allow-list: each provider's public API hosts, plus origins allowed exactly."""

    def __init__(
        self,
        allowed: Iterable[Origin | str] = (),
        *,
        products: Mapping[str, ProductHosts] | None = None,
    ) -> None:
        """``products``: each provider's public hosts (the installed plugins' declarations)."""
        self.allowed = frozenset(o if isinstance(o, Origin) else parse_allowed(o) for o in allowed)
        self.products: Mapping[str, ProductHosts] = MappingProxyType(dict(products or {}))
        #: the clouds' public domains: a host elsewhere is nobody's API
        self.public_domains = frozenset(d for p in self.products.values() for d in p.domains)
        # Verdicts by (provider, endpoint): checked on every client lookup, i.e. every
        # reconcile. Bounded, since ProviderConfigs (and so endpoints) are user input.
        self._verdicts: dict[tuple[str, str], Origin | EndpointRefused] = {}

    def check(self, provider: str, endpoint: str) -> Origin:
        """The endpoint's origin if it may be called for ``provider``; else EndpointRefused.

        The reason names the rule; the URL itself is only echoed as its
        origin (never with userinfo), so a status cannot carry a password.
        """
        key = (provider, endpoint)
        verdict = self._verdicts.get(key)
        if verdict is None:
            try:
                verdict = self._check(provider, endpoint)
            except EndpointRefused as exc:
                verdict = exc
            if len(self._verdicts) >= MAX_VERDICTS:
                self._verdicts.clear()
            self._verdicts[key] = verdict
        if isinstance(verdict, EndpointRefused):
            raise EndpointRefused(verdict.message, origin=verdict.origin)
        return verdict

    def _check(self, provider: str, endpoint: str) -> Origin:
        parsed = _parse(endpoint)
        origin = parsed.origin
        if origin in self.allowed:
            return origin
        hint = f"allowed only with cloudnet run --allow-endpoint {origin}"
        local = _local_reason(origin.host, parsed.ip)
        if local:
            raise EndpointRefused(f"{local}: {hint}", origin=str(origin))
        hosts = self.products.get(provider, ProductHosts("", frozenset()))
        product, domains = hosts.product, hosts.domains
        domain = ".".join(origin.host.split(".")[-2:])
        if domain not in self.public_domains:
            raise EndpointRefused(
                f"{origin.host} is not under the clouds' public domains "
                f"({', '.join(sorted(self.public_domains))}): {hint}",
                origin=str(origin),
            )
        labels = origin.host.split(".")[:-2]
        shaped = labels[:1] == [product] and (
            len(labels) == 1 or (len(labels) == 2 and bool(_REGION_LABEL.match(labels[1])))
        )
        shaped = shaped or origin.host in hosts.exact
        if domain not in domains or not shaped:
            shapes = " or ".join(f"{product}[.<region>].{d}" for d in sorted(domains))
            raise EndpointRefused(
                f"{origin.host} is not a {provider} API host ({shapes}): {hint}",
                origin=str(origin),
            )
        if origin.scheme != "https":
            raise EndpointRefused(f"public endpoints are called over https only: {hint}")
        if origin.port != 443:
            raise EndpointRefused(f"port {origin.port}: public endpoints use 443 only: {hint}")
        if parsed.path not in ("", "/"):
            raise EndpointRefused("public endpoints take no path: the clouds' APIs are at /")
        return origin

    def guard(self, origin: Origin) -> _Guard:
        """An httpx request hook refusing any request to another origin than ``origin``."""
        return _Guard(origin)


class _Guard:
    """The HTTP layer's check: every request (a redirect's too) must go to the one origin."""

    def __init__(self, origin: Origin) -> None:
        self.origin = origin

    async def __call__(self, request: httpx.Request) -> None:
        url = request.url
        origin = self.origin
        if (
            url.host == origin.host
            and url.scheme == origin.scheme
            and (url.port or _DEFAULT_PORTS.get(url.scheme)) == origin.port
            and not url.userinfo
        ):
            return  # every request of a well-behaved client: no parsing
        scheme = url.scheme
        port = url.port or _DEFAULT_PORTS.get(scheme, 0)
        host = str(url.host)
        ip = _ip_of(host)
        target = Origin(scheme, str(ip) if ip is not None else host, port)
        if target != self.origin or url.userinfo:
            raise EndpointRefused(
                f"a request to {target} was stopped: this client may call {self.origin} only"
            )
