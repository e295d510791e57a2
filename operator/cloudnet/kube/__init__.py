"""A test Kubernetes API in memory, for the demo and for tests (never used by the operator).

No kube-apiserver can run where the project is developed and tested, so
this package serves one that real kubectl and a real kopf operator accept:
``KubeAPI`` (a ``kmock.KubernetesEmulator`` subclass),
``serve()`` to run it in a background thread, ``running()`` to run it in the
current event loop, ``write_kubeconfig()``, and ``python -m cloudnet.kube``.
Pytest fixtures live in ``cloudnet.kube.testing``.
"""

from cloudnet.kube.runner import (
    AsyncServer,
    ServerHandle,
    kubeconfig_dict,
    running,
    serve,
    start,
    write_kubeconfig,
)
from cloudnet.kube.server import KubeAPI, KubeError

__all__ = [
    "AsyncServer",
    "KubeAPI",
    "KubeError",
    "ServerHandle",
    "kubeconfig_dict",
    "running",
    "serve",
    "start",
    "write_kubeconfig",
]
