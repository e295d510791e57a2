"""A test Kubernetes API in memory, for the demo and for tests (never used by the operator).

No kube-apiserver can run where the project is developed and tested, so
this package serves one that real kubectl and a real kopf operator accept:
``TestKubeAPI`` (a ``kmock.KubernetesEmulator`` subclass),
``serve()`` to run it in a background thread, ``running()`` to run it in the
current event loop, ``write_kubeconfig()``, and ``python -m cloudnet_devkit.kubeapi``.
Pytest fixtures live in ``cloudnet_devkit.fixtures``.
"""

from cloudnet_devkit.kubeapi.runner import (
    AsyncServer,
    ServerHandle,
    kubeconfig_dict,
    running,
    serve,
    start,
    write_kubeconfig,
)
from cloudnet_devkit.kubeapi.server import TestKubeAPI
from cloudnet_devkit.kubeapi.wire import StatusError

__all__ = [
    "AsyncServer",
    "ServerHandle",
    "StatusError",
    "TestKubeAPI",
    "kubeconfig_dict",
    "running",
    "serve",
    "start",
    "write_kubeconfig",
]
