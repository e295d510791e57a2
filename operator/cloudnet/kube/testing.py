"""Pytest fixtures and helpers around the test Kubernetes API.

Tests drive real kubectl and a real operator against ``KubeAPI``; every test
gets a fresh server (it starts in milliseconds), its own kubeconfig and its
own kubectl ``--cache-dir`` (kubectl caches discovery, and a cache shared
between servers would hide CRDs created by the test).

Use it from a conftest.py::

    from cloudnet.kube.testing import kube_server, kubeconfig, kubectl  # noqa: F401

Fixtures: ``kube_server`` (a running ``ServerHandle``), ``kubeconfig`` (its
path), ``kubectl`` (a ``Kubectl``: ``kubectl("get", "dnat")`` runs
/usr/bin/kubectl and returns the CompletedProcess, ``kubectl.json(...)``
parses ``-o json``, ``kubectl.apply(manifest_text_or_dict)``).
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import yaml

from cloudnet.kube.runner import ServerHandle, serve

KUBECTL = os.environ.get("KUBECTL", "/usr/bin/kubectl")


class KubectlError(AssertionError):
    """kubectl exited non-zero where the test expected success."""


class Kubectl:
    """Runs the real kubectl against one kubeconfig with a private cache dir."""

    def __init__(
        self,
        kubeconfig: str | os.PathLike[str],
        cache_dir: str | os.PathLike[str],
        binary: str = KUBECTL,
    ) -> None:
        self.kubeconfig = str(kubeconfig)
        self.cache_dir = str(cache_dir)
        self.binary = binary

    def argv(self, *args: str) -> list[str]:
        return [
            self.binary,
            f"--kubeconfig={self.kubeconfig}",
            f"--cache-dir={self.cache_dir}",
            *args,
        ]

    def __call__(
        self, *args: str, check: bool = True, input: str | None = None, timeout: float = 60.0
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            self.argv(*args),
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise KubectlError(
                f"kubectl {' '.join(args)} exited {result.returncode}\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}"
            )
        return result

    def json(self, *args: str, timeout: float = 60.0) -> Any:
        """``kubectl <args> -o json``, parsed."""
        return json.loads(self(*args, "-o", "json", timeout=timeout).stdout)

    def apply(
        self,
        manifest: str | Mapping[str, Any] | list[Mapping[str, Any]],
        *args: str,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """``kubectl apply -f -`` of YAML text, one object, or a list of objects."""
        if isinstance(manifest, str):
            text = manifest
        elif isinstance(manifest, list):
            text = yaml.safe_dump_all(manifest)
        else:
            text = yaml.safe_dump(dict(manifest))
        return self("apply", "-f", "-", *args, input=text, check=check)


def kubectl_available(binary: str = KUBECTL) -> bool:
    return pathlib.Path(binary).exists() or shutil.which(binary) is not None


@pytest.fixture()
def kube_server() -> Iterator[ServerHandle]:
    """A fresh test Kubernetes API in a background thread (its own event loop)."""
    handle = serve()
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture()
def kubeconfig(kube_server: ServerHandle, tmp_path: pathlib.Path) -> pathlib.Path:
    """A kubeconfig file for ``kube_server`` (plain http, no credentials)."""
    return kube_server.kubeconfig(tmp_path / "kubeconfig")


@pytest.fixture()
def kubectl(kubeconfig: pathlib.Path, tmp_path: pathlib.Path) -> Kubectl:
    """Real kubectl bound to ``kubeconfig``, with its own --cache-dir."""
    if not kubectl_available():
        pytest.skip(f"kubectl not found at {KUBECTL}")
    return Kubectl(kubeconfig, tmp_path / "kubectl-cache")
