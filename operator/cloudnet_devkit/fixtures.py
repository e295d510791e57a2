"""Pytest fixtures around the test Kubernetes API.

Tests drive real kubectl and a real operator against ``TestKubeAPI``; every
test gets a fresh server (it starts in milliseconds), its own kubeconfig and
its own kubectl ``--cache-dir`` (see ``cloudnet_devkit.kubectl``). The only
module of the project that imports pytest, so that nothing else needs it.

Use it from a conftest.py::

    from cloudnet_devkit.fixtures import kube_server, kubeconfig, kubectl  # noqa: F401

Fixtures: ``kube_server`` (a running ``ServerHandle``), ``kubeconfig`` (its
path), ``kubectl`` (a ``Kubectl``: ``kubectl("get", "dnat")`` runs
/usr/bin/kubectl and returns the CompletedProcess, ``kubectl.json(...)``
parses ``-o json``, ``kubectl.apply(manifest_text_or_dict)``).
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest

from cloudnet_devkit.kubeapi.runner import ServerHandle, serve
from cloudnet_devkit.kubectl import KUBECTL, Kubectl, kubectl_available


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
