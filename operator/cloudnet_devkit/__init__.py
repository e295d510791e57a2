"""Tools to develop and test cloudnet, kept out of the operator's package.

The test Kubernetes API (``cloudnet_devkit.kubeapi``), the demo's process
orchestration (``cloudnet_devkit.demo``, run by ``cloudnet demo``), kubectl
for tests (``cloudnet_devkit.kubectl``) and the pytest fixtures
(``cloudnet_devkit.fixtures``). They need kmock and pytest, which the
operator does not: the ``[dev]`` extra installs them, the runtime image does
not build this package, and an import-linter contract keeps ``cloudnet`` from
importing it.
"""
