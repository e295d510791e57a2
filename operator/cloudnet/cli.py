"""The ``cloudnet`` command line.

Subcommands import their machinery lazily so that ``cloudnet crds`` does not
pay for kopf and ``cloudnet sim`` does not pay for the Kubernetes client.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cloudnet", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the operator")
    run.add_argument(
        "--namespace",
        "-n",
        action="append",
        default=[],
        help="watch only this namespace (repeatable; default: all namespaces)",
    )
    run.add_argument("--verbose", action="store_true", help="debug logging")
    run.add_argument(
        "--cloud-rate",
        type=float,
        help="the cap on every client-side rate limit, in cloud API calls per second per "
        "endpoint and account (burst equal); ProviderConfigs and the providers' defaults "
        "apply below it (default 50)",
    )
    run.add_argument(
        "--allow-endpoint",
        action="append",
        default=[],
        metavar="SCHEME://HOST[:PORT]",
        help="also allow ProviderConfigs to use exactly this origin, http and IP addresses "
        "included (repeatable; default: only the clouds' public https API hosts)",
    )
    run.add_argument(
        "--drift-interval",
        type=float,
        help="seconds between batched drift checks (one list call per scope; default 60); "
        "0 turns them off",
    )

    sim = sub.add_parser("sim", help="run the cloud simulator")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=18900)
    sim.add_argument("--inventory", type=Path, help="inventory YAML (default: the bundled one)")
    sim.add_argument("--state", type=Path, help="persist state here; an existing file wins")
    sim.add_argument("--admin", action="store_true", help="enable the /_sim/ admin endpoints")

    crds = sub.add_parser("crds", help="write the CRD YAML generated from the models")
    crds.add_argument("--output", type=Path, default=Path("crds"))

    sub.add_parser("demo", help="simulator + test Kubernetes API + operator + examples")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "crds":
        from cloudnet.api.crds import write_crds

        for path in write_crds(args.output):
            print(path)
        return 0
    if args.command == "sim":
        from cloudnet.sim.server import serve

        serve(
            host=args.host,
            port=args.port,
            inventory=args.inventory,
            state=args.state,
            admin=args.admin,
        )
        return 0
    if args.command == "run":
        from cloudnet.clouds.egress import parse_allowed
        from cloudnet.handlers.run import run_operator

        try:
            allowed = [parse_allowed(value) for value in args.allow_endpoint]
        except ValueError as exc:
            _parser().error(str(exc))
        if args.cloud_rate is not None and not args.cloud_rate > 0:
            _parser().error("--cloud-rate must be above 0")

        # Unset options take run_operator's defaults, defined once next to their use.
        tuning = {
            name: value
            for name, value in (
                ("drift_interval", args.drift_interval),
                ("cloud_rate", args.cloud_rate),
            )
            if value is not None
        }
        return run_operator(
            namespaces=args.namespace, verbose=args.verbose, allowed_endpoints=allowed, **tuning
        )
    if args.command == "demo":
        from cloudnet.demo import run_demo

        return run_demo()
    raise AssertionError(args.command)  # argparse enforces the choices


if __name__ == "__main__":
    sys.exit(main())
