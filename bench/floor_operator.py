"""The framework's floor: a no-op kopf operator for DnatRules (``bench/scale.py`` runs it).

One create handler on ``dnatrules.cloudnet.dev`` that sets ``status.phase:
ACTIVE`` and nothing else: no cloud call, no finalizer, no Events. kopf is
configured as ``cloudnet run`` configures it (``cloudnet.handlers.run.configure``,
copied here so that this script keeps measuring kopf alone while the operator
changes): progress and diff-base in annotations, posting off, scanning off,
``idle_timeout`` 1 s, the same watch timeouts, standalone. Logging at INFO in
the operator's format, as ``cloudnet run`` logs without ``--verbose``.

Usage::

    python bench/floor_operator.py [--namespace NS]...

``KUBECONFIG`` names the API server, as for ``cloudnet run``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

import kopf

FINALIZER = "cloudnet.dev/finalizer"


@kopf.on.startup()
async def _configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    settings.persistence.finalizer = FINALIZER
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix="cloudnet.dev")
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix="cloudnet.dev", key="last-handled-configuration"
    )
    settings.posting.enabled = False
    settings.scanning.disabled = True
    settings.queueing.idle_timeout = 1.0
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    settings.networking.request_timeout = 60
    settings.peering.standalone = True


@kopf.on.create("cloudnet.dev", "v1alpha1", "dnatrules")
async def _create(patch: kopf.Patch, **_: Any) -> None:
    patch.status["phase"] = "ACTIVE"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespace", "-n", action="append", default=[])
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(
        kopf.operator(
            clusterwide=not args.namespace,
            namespaces=list(args.namespace),
            standalone=True,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
