"""``cloudnet demo``: the whole product on one machine, for a newcomer to watch.

It starts the cloud simulator on 127.0.0.1:18900 (the endpoint the example
ProviderConfigs name), the test Kubernetes API on a free loopback port, and
the operator as a real ``cloudnet run`` process; it then applies the CRDs and
``examples/manifests/`` with real kubectl and prints every phase change with
the time since apply, until interrupted. A second terminal can use kubectl
with the kubeconfig it prints.

It lives in the devkit because it runs the test Kubernetes API, which the
runtime image does not have; ``cloudnet demo`` finds it here at run time.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cloudnet.catalog import write_crds

SIM_PORT = 18900
ROOT = Path(__file__).resolve().parents[2]


def _kubectl_binary() -> str:
    for candidate in ("kubectl", str(ROOT / ".tools" / "bin" / "kubectl-1.33")):
        found = shutil.which(candidate)
        if found:
            return found
    raise SystemExit("cloudnet demo needs kubectl on PATH (or run `make tools`)")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _port_free(port):
            return
        time.sleep(0.05)
    raise SystemExit(f"nothing answered on 127.0.0.1:{port} within {timeout:.0f}s")


@contextlib.contextmanager
def _process(argv: list[str], log: Path, env: dict[str, str] | None = None) -> Iterator[None]:
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            yield
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _phases(kubectl: list[str]) -> dict[str, tuple[str, str]]:
    out = subprocess.run(
        [*kubectl, "get", "dnatrules,networkinterfaceconfigs", "-A", "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        return {}
    items: list[dict[str, Any]] = json.loads(out.stdout).get("items", [])
    result = {}
    for item in items:
        meta, status = item["metadata"], item.get("status") or {}
        key = f"{item['kind']} {meta['namespace']}/{meta['name']}"
        ready: dict[str, Any] = next(
            (c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {}
        )
        result[key] = (str(status.get("phase") or "-"), str(ready.get("message") or ""))
    return result


def run_demo(manifests: Path | None = None) -> int:
    manifests = manifests or ROOT / "examples" / "manifests"
    if not manifests.is_dir():
        raise SystemExit(f"{manifests} not found: run the demo from a clone of the repository")
    if not _port_free(SIM_PORT):
        raise SystemExit(f"127.0.0.1:{SIM_PORT} is taken; the examples' simulator needs it")
    from cloudnet_devkit.kubeapi.runner import serve as serve_kube

    workdir = Path(tempfile.mkdtemp(prefix="cloudnet-demo-"))
    kubeconfig = workdir / "kubeconfig"
    kubectl = [_kubectl_binary(), "--kubeconfig", str(kubeconfig), "--cache-dir", str(workdir)]
    python = sys.executable
    print(f"cloudnet demo: work files in {workdir}")
    with contextlib.ExitStack() as stack:
        stack.enter_context(
            _process(
                [python, "-m", "cloudnet", "sim", "--port", str(SIM_PORT), "--admin"],
                workdir / "sim.log",
            )
        )
        _wait_port(SIM_PORT)
        print(f"  cloud simulator   http://127.0.0.1:{SIM_PORT}  (log: {workdir / 'sim.log'})")
        kube = stack.enter_context(serve_kube())
        kube.kubeconfig(kubeconfig)
        print(f"  Kubernetes API    {kube.url}  (test API; kubeconfig: {kubeconfig})")
        subprocess.run(
            [*kubectl, "apply", "-f", str(write_crds(workdir / "crds")[0].parent)],
            check=True,
            capture_output=True,
        )
        env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
        stack.enter_context(
            _process(
                # The simulator is http on loopback: allowed exactly, nothing else is.
                [
                    python,
                    "-m",
                    "cloudnet",
                    "run",
                    "--allow-endpoint",
                    f"http://127.0.0.1:{SIM_PORT}",
                ],
                workdir / "operator.log",
                env=env,
            )
        )
        print(f"  operator          cloudnet run  (log: {workdir / 'operator.log'})")
        print(
            f"\nIn another terminal:\n  export KUBECONFIG={kubeconfig}\n  kubectl get cloudnet -A"
        )
        print(f"\nApplying {manifests} ...")
        started = time.monotonic()
        subprocess.run([*kubectl, "apply", "-f", str(manifests)], check=True)
        print("\nPhase changes (seconds since apply):")
        seen: dict[str, tuple[str, str]] = {}
        try:
            while True:
                for key, (phase, message) in sorted(_phases(kubectl).items()):
                    if seen.get(key) != (phase, message):
                        seen[key] = (phase, message)
                        note = f"  {message}" if message and phase != "ACTIVE" else ""
                        print(f"  {time.monotonic() - started:7.2f}s  {key:40} {phase}{note}")
                time.sleep(0.2)
        except KeyboardInterrupt:
            print("\nstopping ...")
    return 0
