"""Real kubectl against the test Kubernetes API, each run with its own cache.

kubectl caches discovery per server URL; a cache shared between the fresh
servers of two tests would hide the CRDs the second one creates, so every
``Kubectl`` carries its own ``--cache-dir``. Benchmarks use it as the tests
do, which is why it lives apart from the pytest fixtures.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
from collections.abc import Mapping
from typing import Any

import yaml

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
