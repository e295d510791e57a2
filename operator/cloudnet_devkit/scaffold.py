"""``python -m cloudnet_devkit.scaffold NAME``: the skeleton of a new DnatRule provider.

Writes ``operator/cloudnet/providers/<package>/`` with the five parts every
provider has (the plugin declaration, the block model, the default
endpoints, the client with its error table, the provider class), each part
holding what is the same for every provider and a ``TODO`` where the
cloud's API reference has to be read. With ``--register`` it also writes the
two registration lines into ``cloudnet/catalog.py`` (the one shared module
that names providers); the other shared edits it prints (docs/contributing.md
has the whole walk).

Why a generator and not a base class with hooks: a provider's code is
mostly its cloud's own words (paths, parameters, codes), which no base
class can know; what is shared already lives in ``cloudnet.core`` and
``cloudnet.clouds``.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main", "names", "register", "scaffold"]

_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z][a-z0-9]*)+$")


def names(provider: str) -> dict[str, str]:
    """The spellings of one provider name (``toy-nat``): package, block, class prefix."""
    if not _NAME.fullmatch(provider):
        raise ValueError(
            f"{provider!r}: a provider name is <cloud>-<product> in lower case, e.g. aws-nat"
        )
    parts = provider.split("-")
    return {
        "name": provider,
        "package": "_".join(parts),
        "block": parts[0] + "".join(p.title() for p in parts[1:]),
        "cls": "".join(p.title() for p in parts),
        "upper": "_".join(parts).upper(),
    }


_INIT = '''"""Provider ``{name}``: {title}.

Its parts: :mod:`.spec` (the ``{block}`` block), :mod:`.endpoints`,
:mod:`.client` (the calls and the error table), :mod:`.provider`; this
module declares it.
"""

from __future__ import annotations

from typing import Any

{imports}

NAME = "{name}"


def build(ctx: BuildContext) -> {cls}Provider:
    return {cls}Provider(
        {cls}Client(
            ctx.http,
            endpoint=ctx.endpoint,
            credentials={cls}Credentials.from_secret_data(ctx.secret),
            rate_limiter=ctx.limiter,
            observer=ctx.observer,
        )
    )


async def check(provider: Any, config: ProviderConfigSpecBase) -> Accepted:
    """One cheap read with these credentials: the smallest page of a list the API has."""
    response = await provider.client.smallest_read(config.region)
    return Accepted("{cls}SmallestRead", response.request_id)


PLUGIN = ProviderPlugin(
    config=ConfigProfile(
        name=NAME,
        title="{title}",
        default_endpoint=default_endpoint,
    ),
    errors={upper}_ERRORS,
    build=build,
    check=check,
    dnat=Block(
        field="{package}",
        model={cls}Spec,
        provider=NAME,
        description="A DNAT rule on {title} ({name}).",
    ),
    default_hosts=example_hosts(),
)
'''

_SPEC = '''"""Block ``{block}`` of a DnatRule: the cloud's own parameter names in lowerCamelCase.

A default the cloud states is said in a field's description, never set as a
schema default: the operator sends only the fields the spec sets.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from cloudnet.api.common import Model, immutable
from cloudnet.api.types import IPv4, Port0


class {cls}Spec(Model):
    """A DNAT rule on {title}."""

    # TODO: every field of the create call, with the reference's ranges and rules
    # (Field constraints, cel_rules with a pydantic validator for each).
    gateway_id: str = Field(
        min_length=1,
        max_length=64,
        description="The NAT gateway's ID. Immutable.",
        json_schema_extra=immutable("gatewayId"),
    )
    external_port: Port0 = Field(ge=1, description="The public port, 1 to 65535.")
    internal_ip: IPv4 = Field(description="The private IPv4 address traffic goes to.")
    internal_port: Port0 = Field(ge=1, description="The private port, 1 to 65535.")
    protocol: Literal["tcp", "udp"] = Field(description="tcp or udp.")

    def unique_key(self) -> tuple[str, ...]:
        """What the cloud refuses twice: how a rule whose create answer was lost is found."""
        return (self.gateway_id, str(self.external_port), self.protocol)

    def to_cloud(self) -> dict[str, Any]:
        """The create call's parameters: only what the spec sets."""
        return self.model_dump(by_alias=True, exclude_none=True)
'''

_ENDPOINTS = '''"""{title}'s public endpoint per region (from the official SDK's region map)."""

from __future__ import annotations

# TODO: the SDK's map when it has one (a region outside it then has no default and
# its ConfigProfile lists ``regions``); a pattern only when every region follows it.
_PATTERN = "https://{name}.{{region}}.example-cloud.com"


def default_endpoint(region: str) -> str:
    return _PATTERN.format(region=region)


def example_hosts() -> tuple[str, ...]:
    """Default endpoints in the product's host shape, for the endpoint policy."""
    return (default_endpoint("eu-central-1"),)
'''

_CLIENT = '''"""{title}'s calls and error table.

TODO: the signing (a signer of ``cloudnet.clouds.signing``, tested byte for
byte against the official SDK's), the paths, and every code of each call's
reference in :data:`{upper}_ERRORS`, each row with its source page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr

from cloudnet.clouds.errors import ErrorClass
from cloudnet.clouds.observe import CallObserver
from cloudnet.clouds.ratelimit import RateLimiter

#: exact code -> retry class. A code no row names is Unknown: retried, never permanent.
{upper}_ERRORS: Mapping[str, ErrorClass] = MappingProxyType({{}})


class {cls}Credentials(BaseModel):
    model_config = ConfigDict(frozen=True)

    access_key_id: str
    access_key_secret: SecretStr

    @classmethod
    def from_secret_data(cls, data: Mapping[str, str]) -> {cls}Credentials:
        return cls(
            access_key_id=data.get("accessKeyId", ""),
            access_key_secret=SecretStr(data.get("accessKeySecret", "")),
        )


@dataclass(frozen=True)
class {cls}Response:
    body: dict[str, Any]
    request_id: str | None


class {cls}Client:
    """Signed calls against one endpoint; raises CloudError classified by the table."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        endpoint: str,
        credentials: {cls}Credentials,
        rate_limiter: RateLimiter | None = None,
        observer: CallObserver | None = None,
    ) -> None:
        self._http = http
        self._endpoint = endpoint.rstrip("/")
        self._credentials = credentials
        self._rate_limiter = rate_limiter
        self._observer = observer

    async def smallest_read(self, region: str) -> {cls}Response:
        raise NotImplementedError("TODO: the smallest page of a list call")
'''

_PROVIDER = '''"""The reconcile contract for {title} (:class:`cloudnet.core.provider.Provider`).

TODO: observe by id, find by the unique key, create, update (or
``UpdateStyle.REPLACE``), delete, each as the module docstring of an existing
provider explains; declare what differs in ``capabilities``.
"""

from __future__ import annotations

from cloudnet.core.provider import (
    Capabilities,
    Delta,
    Observation,
    ProviderBase,
    WriteResult,
)
from cloudnet.providers.{package}.client import {cls}Client
from cloudnet.providers.{package}.spec import {cls}Spec


class {cls}Provider(ProviderBase):
    name = "{name}"
    capabilities = Capabilities()

    def __init__(self, client: {cls}Client) -> None:
        self.client = client

    def scope(self, spec: {cls}Spec) -> str:
        return spec.gateway_id

    async def observe(self, spec: {cls}Spec, external_id: str) -> Observation:
        raise NotImplementedError("TODO")

    async def find(self, spec: {cls}Spec) -> Observation:
        raise NotImplementedError("TODO")

    async def create(self, spec: {cls}Spec) -> WriteResult:
        raise NotImplementedError("TODO")

    async def update(self, spec: {cls}Spec, external_id: str, delta: Delta) -> WriteResult:
        raise NotImplementedError("TODO")

    async def delete(self, spec: {cls}Spec, external_id: str) -> WriteResult:
        raise NotImplementedError("TODO")
'''

FILES = {
    "__init__.py": _INIT,
    "spec.py": _SPEC,
    "endpoints.py": _ENDPOINTS,
    "client.py": _CLIENT,
    "provider.py": _PROVIDER,
}


def _init_imports(n: dict[str, str]) -> str:
    """The declaration's imports, in the order ruff's isort wants for this package name."""
    lines: dict[str, tuple[str, ...]] = {
        "cloudnet.api.dnat": ("Block",),
        "cloudnet.api.provider_config": ("ConfigProfile", "ProviderConfigSpecBase"),
        f"cloudnet.providers.{n['package']}.client": (
            f"{n['upper']}_ERRORS",
            f"{n['cls']}Client",
            f"{n['cls']}Credentials",
        ),
        f"cloudnet.providers.{n['package']}.endpoints": ("default_endpoint", "example_hosts"),
        f"cloudnet.providers.{n['package']}.provider": (f"{n['cls']}Provider",),
        f"cloudnet.providers.{n['package']}.spec": (f"{n['cls']}Spec",),
        "cloudnet.providers": ("Accepted", "BuildContext", "ProviderPlugin"),
    }
    statements = [_import(module, lines[module]) for module in sorted(lines)]
    return "".join(line for statement in statements for line in statement).rstrip("\n")


def scaffold(root: Path, provider: str, title: str) -> list[Path]:
    """Write the skeleton under ``root`` (the repository); refuse to overwrite anything."""
    spelled = names(provider)
    folder = root / "operator" / "cloudnet" / "providers" / spelled["package"]
    if folder.exists():
        raise FileExistsError(f"{folder} exists already")
    folder.mkdir(parents=True)
    written = []
    for filename, template in FILES.items():
        path = folder / filename
        path.write_text(template.format(title=title, imports=_init_imports(spelled), **spelled))
        written.append(path)
    return written


#: ruff's line length, which the rewritten import of the catalog keeps to
_LINE = 100


def _member_order(name: str) -> tuple[int, str]:
    """isort's order of imported names, as ruff applies it: CONSTANTS, Classes, modules."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return kind, name.lower()


def _import(module: str, members: Sequence[str]) -> list[str]:
    line = f"from {module} import {', '.join(members)}\n"
    if len(line) - 1 <= _LINE:
        return [line]
    return [f"from {module} import (\n", *(f"    {m},\n" for m in members), ")\n"]


def register(root: Path, provider: str) -> Path:
    """Add the provider to ``cloudnet/catalog.py``: its package to the import of the
    providers, its ``PLUGIN`` to the end of ``PLUGINS``. Found by the syntax tree, not by
    the text, so the catalog's current list and line wrapping do not matter."""
    package = names(provider)["package"]
    path = root / "operator" / "cloudnet" / "catalog.py"
    text = path.read_text()
    tree = ast.parse(text)
    statement = next(
        node
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == "cloudnet.providers"
    )
    listing = next(
        node
        for node in tree.body
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == "PLUGINS"
    )
    members = [alias.name for alias in statement.names]
    if package in members:
        raise FileExistsError(f"{package} is registered in {path} already")
    lines = text.splitlines(keepends=True)
    assert listing.end_lineno is not None and statement.end_lineno is not None
    assert listing.lineno > statement.end_lineno, "the catalog imports before it lists"
    lines.insert(listing.end_lineno - 1, f"    {package}.PLUGIN,\n")  # before its ")"
    lines[statement.lineno - 1 : statement.end_lineno] = _import(
        "cloudnet.providers", sorted([*members, package], key=_member_order)
    )
    path.write_text("".join(lines))
    return path


def next_steps(provider: str, title: str, registered: bool = False) -> str:
    """The shared edits left, exactly as they are to be written."""
    n = names(provider)
    catalog = (
        "  1. operator/cloudnet/catalog.py: registered (the import of the providers and\n"
        f"     {n['package']}.PLUGIN in PLUGINS)\n"
        if registered
        else f"""  1. operator/cloudnet/catalog.py (what --register writes): add {n["package"]}
     to the import
       from cloudnet.providers import ...
     and the entry
       {n["package"]}.PLUGIN,
     to PLUGINS.
"""
    )
    return f"""Then, by hand (docs/contributing.md, "Adding a provider"):
{catalog}  2. README.md, the providers table:
       | `{provider}` | DnatRule `spec.{n["block"]}` | {title} | `providers/{n["package"]}/` |
  3. make crds   (regenerates the CRD YAML; no hand edit)
  4. the simulator family: operator/cloudnet/sim/families/ (docs/simulator.md)
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cloudnet_devkit.scaffold")
    parser.add_argument("provider", help="<cloud>-<product>, e.g. aws-nat")
    parser.add_argument("--title", required=True, help='e.g. "AWS NAT Gateway"')
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the repository")
    parser.add_argument(
        "--register", action="store_true", help="also add it to operator/cloudnet/catalog.py"
    )
    args = parser.parse_args(argv)
    try:
        for path in scaffold(args.root, args.provider, args.title):
            print(f"wrote {path}")
        if args.register:
            print(f"registered in {register(args.root, args.provider)}")
    except (ValueError, FileExistsError) as exc:
        print(f"scaffold: {exc}", file=sys.stderr)
        return 2
    print(next_steps(args.provider, args.title, registered=args.register))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
