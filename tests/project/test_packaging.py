"""The runtime image holds the operator and the simulator, and no test tool.

No Docker daemon runs where the tests do, so the image is checked through what
decides its content: the Dockerfile's build stage (what it copies, which
extras it installs), the project's dependency lists, and the wheel the build
stage makes, built here from the same copied tree.
"""

from __future__ import annotations

import fnmatch
import importlib.metadata
import pathlib
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
#: Distributions that exist only to develop or test; none may reach the image.
TEST_TOOLS = {"kmock", "pytest", "pytest-asyncio", "hypothesis", "ruff", "mypy", "import-linter"}


def _stages() -> list[list[str]]:
    """The Dockerfile's stages, each a list of instructions (continuations joined)."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    stages: list[list[str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def _pip_targets(stages: list[list[str]]) -> list[str]:
    """Every requirement or path given to ``pip install`` / ``pip wheel``, quotes dropped."""
    targets = []
    for line in (line for stage in stages for line in stage if line.startswith("RUN ")):
        for command in re.split(r"&&|;", line.removeprefix("RUN ")):
            words = [w.strip("'\"") for w in command.split()]
            pip = next((i for i, w in enumerate(words) if w == "pip" or w.endswith("/pip")), None)
            if pip is None or words[pip + 1 : pip + 2] not in (["install"], ["wheel"]):
                continue
            rest = words[pip + 2 :]
            # options and their values (--wheel-dir /wheels, --find-links=/wheels)
            targets += [w for w in rest if not w.startswith(("-", "/"))]
    return targets


def _extras(target: str) -> set[str]:
    match = re.search(r"\[([^\]]*)\]", target)
    return {e.strip() for e in match.group(1).split(",")} if match else set()


def _names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def test_the_image_installs_the_project_with_the_sim_extra_and_never_the_dev_one() -> None:
    targets = _pip_targets(_stages())
    assert any(t.startswith("cloudnet-operator") for t in targets), targets
    extras = set().union(*(_extras(t) for t in targets))
    assert "dev" not in extras
    assert extras == {"sim"}, "the chart's simulator runs from the image: it needs the sim extra"
    assert not any(t.startswith(("-e", "requirements")) for t in targets), targets


def test_the_runtime_dependencies_name_no_test_tool() -> None:
    runtime = _names(PROJECT["dependencies"])
    sim = _names(PROJECT["optional-dependencies"]["sim"])
    dev = _names(PROJECT["optional-dependencies"]["dev"])
    assert {"kmock", "pytest"} <= dev, "the devkit's needs belong to the dev extra"
    assert not (runtime | sim) & {canonicalize_name(t) for t in TEST_TOOLS}
    assert not (runtime | sim) & (dev - {"cloudnet-operator"})
    # The simulator's web stack is the sim extra's, not the operator's.
    assert {"starlette", "uvicorn"} <= sim and not {"starlette", "uvicorn"} & runtime


def test_the_build_context_and_stage_copy_no_devkit() -> None:
    opened = [
        line.strip()[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip().startswith("!")
    ]
    under_operator = [path for path in opened if path.startswith("operator")]
    assert under_operator == ["operator/cloudnet"], opened
    build = _stages()[0]
    sources = [
        source.rstrip("/")
        for line in build
        if line.startswith("COPY ") and "--from" not in line
        for source in line.split()[1:-1]
    ]
    assert "operator/cloudnet" in sources
    assert not any(s in ("operator", ".") or "devkit" in s for s in sources), sources


def _replay_build_copies(into: pathlib.Path) -> None:
    """The build stage's COPY instructions, applied to a directory instead of /src."""
    for line in _stages()[0]:
        if not line.startswith("COPY ") or "--from" in line:
            continue
        *sources, dest = line.split()[1:]
        for source in sources:
            src = ROOT / source
            target = into / dest / src.name if dest.endswith("/") else into / dest
            if src.is_dir():
                shutil.copytree(
                    src, target, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
                )
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(src, target)


@pytest.fixture(scope="module")
def image_wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    work = tmp_path_factory.mktemp("image-build")
    _replay_build_copies(work / "src")
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"),
            *("--no-build-isolation", "--no-index", "--wheel-dir", str(work / "wheels")),
            str(work / "src"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = (work / "wheels").glob("cloudnet_operator-*.whl")
    return zipfile.ZipFile(wheel)


def test_the_image_wheel_holds_the_operator_and_simulator_and_no_devkit(
    image_wheel: zipfile.ZipFile,
) -> None:
    names = image_wheel.namelist()
    packages = {name.split("/")[0] for name in names if not name.split("/")[0].endswith("-info")}
    assert packages == {"cloudnet"}
    for needed in ("cloudnet/cli.py", "cloudnet/handlers/run.py", "cloudnet/sim/server.py"):
        assert needed in names
    # the default inventory's fragments: the core's, each gateway's, each family's
    source = ROOT / "operator"
    fragments = sorted(
        p.relative_to(source).as_posix() for p in source.glob("cloudnet/sim/**/*.yaml")
    )
    assert "cloudnet/sim/inventory.yaml" in fragments
    assert "cloudnet/sim/families/huawei_nat/inventory.yaml" in fragments
    assert [f for f in fragments if f not in names] == []


def test_the_image_wheel_requires_no_test_tool_outside_the_dev_extra(
    image_wheel: zipfile.ZipFile,
) -> None:
    (metadata,) = fnmatch.filter(image_wheel.namelist(), "*.dist-info/METADATA")
    text = image_wheel.read(metadata).decode()
    requires = [Requirement(v) for v in re.findall(r"^Requires-Dist: (.+)$", text, re.M)]
    installed = {
        canonicalize_name(r.name)
        for r in requires
        if r.marker is None or any(r.marker.evaluate({"extra": e}) for e in ("", "sim"))
    }
    assert {"kopf", "starlette"} <= installed
    assert not installed & {canonicalize_name(t) for t in TEST_TOOLS}


def test_what_the_image_installs_pulls_in_no_test_tool() -> None:
    """The image's packages: every requirement of cloudnet-operator[sim], followed down.

    Resolved against the distributions installed here, the same releases the
    image's build resolves to: a dependency that itself needed pytest would show.
    """
    seen: set[str] = set()
    pending = [Requirement("cloudnet-operator[sim]")]
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        extras = {"", *requirement.extras}
        for raw in importlib.metadata.requires(requirement.name) or []:
            sub = Requirement(raw)
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in extras):
                pending.append(sub)
    assert {"cloudnet-operator", "kopf", "kubernetes", "starlette", "uvicorn"} <= seen
    assert not seen & {canonicalize_name(t) for t in TEST_TOOLS}, sorted(seen)
