"""Namespaces as a cluster has them: required, terminating, and deleted with their content.

A real cluster refuses objects in a namespace that does not exist or is being
deleted, and ``kubectl delete namespace`` returns only once everything in it
has gone, finalizers included; the operator's deletion order is tested against
exactly that.
"""

from __future__ import annotations

import attrs

from cloudnet_devkit.kubeapi.store import Store
from cloudnet_devkit.kubeapi.wire import Obj, StatusError

DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


@attrs.define(kw_only=True)
class Namespaces(Store):
    """``strict_namespaces`` refuses objects in namespaces that do not exist."""

    strict_namespaces: bool = True

    def _new_namespace(self, name: str) -> Obj:
        return {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }

    def _check_namespace(self, namespace: str | None) -> None:
        if namespace is None or not self.strict_namespaces:
            return
        ns = self._store.get(("", "namespaces"), {}).get((None, namespace))
        if ns is None:
            raise StatusError(
                404,
                "NotFound",
                f'namespaces "{namespace}" not found',
                {"name": namespace, "kind": "namespaces"},
            )
        if ns["metadata"].get("deletionTimestamp"):
            raise StatusError(
                403,
                "Forbidden",
                f"unable to create new content in namespace {namespace} because it is being "
                "terminated",
                {"name": namespace, "kind": "namespaces"},
            )

    def _terminate_namespace(self, namespace: str) -> None:
        for key, bucket in list(self._store.items()):
            for (ns, _), obj in list(bucket.items()):
                if ns == namespace:
                    self._delete_object(key, obj)
        self._maybe_finish_namespace(namespace)

    def _maybe_finish_namespace(self, namespace: str) -> None:
        ns = self._store.get(("", "namespaces"), {}).get((None, namespace))
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return
        if any(n == namespace for bucket in self._store.values() for (n, _) in bucket):
            return
        self._remove(("", "namespaces"), None, namespace, ns)
