"""``python -m cloudnet_devkit.kubeapi`` as the demo and subprocess-operator tests start it."""

import signal
import subprocess
import sys

from cloudnet_devkit.kubectl import Kubectl


def test_module_serves_until_interrupted(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cloudnet_devkit.kubeapi",
            "--port",
            "0",
            "--kubeconfig",
            str(kubeconfig),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Kubernetes API listening on http://127.0.0.1:"), first
        kubectl = Kubectl(kubeconfig, tmp_path / "cache")
        assert "default" in kubectl("get", "namespaces").stdout
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
