"""Every module of the operator imports where the test tools are not installed.

The runtime image has no kmock, pytest or devkit; the development machines
have all three, so an import of one of them would pass every other test and
fail only in a cluster. Each check runs a fresh interpreter whose import
system refuses those packages, then imports every ``cloudnet`` module.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import cloudnet

PACKAGE = pathlib.Path(cloudnet.__file__).parent
TEST_TOOLS = ("kmock", "pytest", "_pytest", "cloudnet_devkit")
#: The sim extra's: the operator itself (`cloudnet run`) must not need them either.
SIM_EXTRA = ("starlette", "uvicorn")

_REFUSING = """
import importlib, json, sys

BLOCKED = set(sys.argv[1].split(","))
already = sorted(name for name in sys.modules if name.split(".")[0] in BLOCKED)
assert not already, f"imported before the check started: {already}"


class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (refused)", name=name)
        return None


sys.meta_path.insert(0, Refuse())
"""


def _run(blocked: tuple[str, ...], body: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, "-c", _REFUSING + body, ",".join(blocked), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
        cwd=PACKAGE.parent.parent,
    )


def _modules(*, outside: str | None = None) -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__main__":  # runs the command line when imported
            continue
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join(parts)
        if outside is None or not (name == outside or name.startswith(outside + ".")):
            names.append(name)
    return names


_IMPORT_ALL = """
names = json.loads(sys.argv[2])
for name in names:
    importlib.import_module(name)
try:
    import kmock  # noqa: F401
except ModuleNotFoundError:
    print(json.dumps(sorted(n for n in sys.modules if n.split(".")[0] == "cloudnet")))
else:
    raise SystemExit("the refusal did not hold")
"""


def _import_all(blocked: tuple[str, ...], names: list[str]) -> list[str]:
    result = _run(blocked, _IMPORT_ALL, json.dumps(names))
    assert result.returncode == 0, result.stderr
    imported: list[str] = json.loads(result.stdout)
    return imported


def test_every_cloudnet_module_imports_without_kmock_pytest_or_the_devkit() -> None:
    names = _modules()
    assert {"cloudnet", "cloudnet.cli", "cloudnet.handlers.run", "cloudnet.sim.server"} <= set(
        names
    )
    imported = _import_all(TEST_TOOLS, names)
    assert set(names) <= set(imported)


def test_the_operator_imports_without_the_simulators_web_stack() -> None:
    names = _modules(outside="cloudnet.sim")
    assert "cloudnet.handlers.run" in names and "cloudnet.sim.server" not in names
    imported = _import_all(TEST_TOOLS + SIM_EXTRA, names)
    assert set(names) <= set(imported)


def test_cloudnet_demo_without_the_devkit_says_how_to_install_it() -> None:
    result = _run(TEST_TOOLS, "from cloudnet.cli import main\nraise SystemExit(main(['demo']))")
    assert result.returncode == 2, result.stderr
    assert "cloudnet_devkit is not installed" in result.stderr
    assert "pip install -e '.[dev]'" in result.stderr


def test_cloudnet_sim_without_the_sim_extra_says_how_to_install_it() -> None:
    result = _run(SIM_EXTRA, "from cloudnet.cli import main\nraise SystemExit(main(['sim']))")
    assert result.returncode == 2, result.stderr
    assert "starlette is not installed" in result.stderr
    assert "pip install 'cloudnet-operator[sim]'" in result.stderr
