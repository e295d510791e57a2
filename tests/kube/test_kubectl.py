"""Real kubectl against the test Kubernetes API: the commands users and the demo rely on."""

import base64
import subprocess
import threading
import time

from tests.wait_kit import wait_until

WIDGET = """
apiVersion: test.cloudnet.dev/v1
kind: Widget
metadata:
  name: {name}
  namespace: {namespace}
  labels: {{app: {app}}}
spec:
  size: {size}
"""


def widget(name="w1", namespace="default", app="demo", size=3):
    return WIDGET.format(name=name, namespace=namespace, app=app, size=size)


def watching(kube_server):
    """How many watches the server is serving (kubectl wait, delete and get -w watch)."""
    return kube_server.call(lambda api: sum(len(w) for w in api._watchers.values()))


def wait_for_a_watch(kube_server, what):
    wait_until(lambda: watching(kube_server) > 0, timeout=20, interval=0.02, what=what)


def test_namespaces_and_core_discovery(kubectl):
    names = kubectl("get", "namespaces", "-o", "name").stdout.split()
    assert {"namespace/default", "namespace/kube-system"} <= set(names)
    kubectl.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
    assert kubectl.json("get", "ns", "demo")["status"]["phase"] == "Active"
    kubectl.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cm", "namespace": "demo"},
            "data": {"a": "1"},
        }
    )
    assert kubectl.json("get", "cm", "cm", "-n", "demo")["data"] == {"a": "1"}
    resources = kubectl("api-resources", "-o", "name").stdout.split()
    assert "configmaps" in resources and "secrets" in resources


def test_object_in_missing_namespace_is_rejected(kubectl):
    result = kubectl.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cm", "namespace": "nowhere"},
        },
        check=False,
    )
    assert result.returncode != 0
    assert 'namespaces "nowhere" not found' in result.stderr


def test_crd_then_cr_by_kind_shortname_category(kubectl, widget_crd):
    kubectl.apply(widget())
    assert kubectl("get", "widgets", "-o", "name").stdout.split() == ["widget.test.cloudnet.dev/w1"]
    assert "w1" in kubectl("get", "wdg").stdout
    assert "w1" in kubectl("get", "cloudnet-test").stdout
    crd = kubectl.json("get", "crd", "widgets.test.cloudnet.dev")
    established = [c for c in crd["status"]["conditions"] if c["type"] == "Established"]
    assert established[0]["status"] == "True"


def test_printer_columns(kubectl, widget_crd):
    kubectl.apply(widget(size=7))
    kubectl(
        "patch",
        "wdg",
        "w1",
        "--subresource=status",
        "--type=merge",
        "-p",
        '{"status": {"phase": "ACTIVE"}}',
    )
    lines = kubectl("get", "wdg").stdout.splitlines()
    assert lines[0].split() == ["NAME", "SIZE", "PHASE", "AGE"]
    assert lines[1].split()[:3] == ["w1", "7", "ACTIVE"]
    wide = kubectl("get", "wdg", "-A").stdout.splitlines()
    assert wide[0].split()[:2] == ["NAMESPACE", "NAME"]


def test_reapply_bumps_generation_and_diff(kubectl, widget_crd, tmp_path):
    kubectl.apply(widget(size=3))
    assert kubectl.json("get", "wdg", "w1")["metadata"]["generation"] == 1
    manifest = tmp_path / "w.yaml"
    manifest.write_text(widget(size=4))
    diff = kubectl("diff", "-f", str(manifest), check=False)
    assert diff.returncode == 1, diff.stderr
    assert "+  size: 4" in diff.stdout
    assert kubectl.json("get", "wdg", "w1")["spec"]["size"] == 3  # diff is a dry run
    kubectl("apply", "-f", str(manifest))
    obj = kubectl.json("get", "wdg", "w1")
    assert (obj["spec"]["size"], obj["metadata"]["generation"]) == (4, 2)
    kubectl("label", "wdg", "w1", "extra=yes")
    assert kubectl.json("get", "wdg", "w1")["metadata"]["generation"] == 2


def test_label_selector(kubectl, widget_crd):
    kubectl.apply(widget("a", app="front") + "---\n" + widget("b", app="back"))
    assert kubectl("get", "wdg", "-l", "app=front", "-o", "name").stdout.split() == [
        "widget.test.cloudnet.dev/a"
    ]
    both = kubectl("get", "wdg", "-l", "app in (front,back)", "-o", "name").stdout
    assert both.count("widget") == 2
    assert kubectl("get", "wdg", "-l", "app!=front", "-o", "name").stdout.split() == [
        "widget.test.cloudnet.dev/b"
    ]


def test_describe_and_wait_for_jsonpath(kubectl, widget_crd, kube_server):
    kubectl.apply(widget())

    def later():
        wait_for_a_watch(kube_server, "kubectl wait to watch")
        kubectl(
            "patch",
            "wdg",
            "w1",
            "--subresource=status",
            "--type=merge",
            "-p",
            '{"status": {"phase": "ACTIVE"}}',
        )

    thread = threading.Thread(target=later)
    thread.start()
    kubectl("wait", "--for=jsonpath={.status.phase}=ACTIVE", "wdg/w1", "--timeout=20s")
    thread.join()
    described = kubectl("describe", "wdg", "w1").stdout
    assert "Phase:  ACTIVE" in described and "Size:  3" in described


def test_delete_waits_for_finalizers(kubectl, widget_crd, kube_server):
    kubectl.apply(widget())
    kubectl(
        "patch",
        "wdg",
        "w1",
        "--type=merge",
        "-p",
        '{"metadata": {"finalizers": ["test.cloudnet.dev/hold"]}}',
    )
    started = time.monotonic()
    deleting = subprocess.Popen(
        kubectl.argv("delete", "wdg", "w1", "--timeout=30s"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for_a_watch(kube_server, "kubectl delete to wait for the object to go")
    assert deleting.poll() is None, "kubectl delete returned while a finalizer held the object"
    obj = kubectl.json("get", "wdg", "w1")
    assert obj["metadata"]["deletionTimestamp"]
    kubectl(
        "patch",
        "wdg",
        "w1",
        "--type=json",
        "-p",
        '[{"op": "remove", "path": "/metadata/finalizers"}]',
    )
    _, err = deleting.communicate(timeout=30)
    assert deleting.returncode == 0, err
    assert time.monotonic() - started < 25
    assert kubectl("get", "wdg", "w1", check=False).returncode != 0


def test_wait_for_delete(kubectl, widget_crd, kube_server):
    kubectl.apply(widget())
    kubectl("patch", "wdg", "w1", "--type=merge", "-p", '{"metadata": {"finalizers": ["x/y"]}}')
    kubectl("delete", "wdg", "w1", "--wait=false")
    waiting = subprocess.Popen(
        kubectl.argv("wait", "--for=delete", "wdg/w1", "--timeout=30s"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for_a_watch(kube_server, "kubectl wait --for=delete to watch")
    assert waiting.poll() is None, "kubectl wait returned while a finalizer held the object"
    kubectl("patch", "wdg", "w1", "--type=merge", "-p", '{"metadata": {"finalizers": null}}')
    _, err = waiting.communicate(timeout=30)
    assert waiting.returncode == 0, err


def test_secret_string_data_is_folded(kubectl, manifests):
    kubectl("apply", "-f", str(manifests / "secret.yaml"))
    secret = kubectl.json("get", "secret", "creds")
    assert "stringData" not in secret
    assert base64.b64decode(secret["data"]["accessKeyId"]) == b"AKID"
    assert base64.b64decode(secret["data"]["accessKeySecret"]) == b"s3cret"
    # Re-apply with a changed value: client-side apply patches (strategic merge) stringData.
    text = (manifests / "secret.yaml").read_text().replace("s3cret", "rotated")
    kubectl.apply(text)
    secret = kubectl.json("get", "secret", "creds")
    assert "stringData" not in secret
    assert base64.b64decode(secret["data"]["accessKeySecret"]) == b"rotated"


def test_server_side_apply_and_dry_run(kubectl, widget_crd):
    kubectl.apply(widget(), "--server-side")
    assert kubectl.json("get", "wdg", "w1")["spec"]["size"] == 3
    kubectl.apply(widget(size=9), "--dry-run=server")
    assert kubectl.json("get", "wdg", "w1")["spec"]["size"] == 3
    kubectl.apply(widget("w2"), "--dry-run=server")
    assert kubectl("get", "wdg", "w2", check=False).returncode != 0


def test_explain_uses_crd_descriptions(kubectl, widget_crd):
    out = kubectl("explain", "widgets.spec").stdout
    assert "The desired state of the widget." in out
    assert "How big the widget is" in out


def test_delete_namespace_cascades(kubectl, widget_crd):
    kubectl.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "gone"}})
    kubectl.apply(widget("w", namespace="gone"))
    kubectl("delete", "namespace", "gone", "--timeout=20s")
    assert kubectl("get", "ns", "gone", check=False).returncode != 0
    assert kubectl("get", "wdg", "-A", "-o", "name").stdout.strip() == ""


def test_get_watch_streams_changes(kubectl, widget_crd, kube_server):
    kubectl.apply(widget())
    get_w = subprocess.Popen(
        kubectl.argv("get", "wdg", "-w", "--output-watch-events", "--request-timeout=5s"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []

    def read() -> None:
        for line in get_w.stdout:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        wait_until(lambda: any("w1" in line for line in lines), timeout=20, what="w1 listed")
        wait_for_a_watch(kube_server, "kubectl get -w to watch")
        kubectl.apply(widget("w2"))
        wait_until(lambda: any("w2" in line for line in lines), timeout=20, what="w2 streamed")
    finally:
        get_w.terminate()
        get_w.wait(timeout=10)
