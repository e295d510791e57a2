"""Fixtures for the test Kubernetes API's own tests: a fresh server, kubeconfig, real kubectl."""

import pathlib

import pytest

from cloudnet_devkit.fixtures import kube_server, kubeconfig, kubectl  # noqa: F401

MANIFESTS = pathlib.Path(__file__).parent / "manifests"


@pytest.fixture()
def manifests() -> pathlib.Path:
    return MANIFESTS


@pytest.fixture()
def widget_crd(kubectl, manifests):  # noqa: F811
    """The Widget CRD (status subresource, printer columns, shortName wdg, category)."""
    kubectl("apply", "-f", str(manifests / "widget-crd.yaml"))
    return manifests / "widget-crd.yaml"
