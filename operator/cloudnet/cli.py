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
        help="cloud API calls per second per endpoint (client-side limit, burst equal; default 20)",
    )
    run.add_argument(
        "--drift-interval",
        type=float,
        help="seconds between batched drift checks (one list call per scope; default 60); "
        "0 turns them off",
    )

    ha = run.add_argument_group(
        "leader election",
        "a coordination.k8s.io/v1 Lease; only its holder acts (durations in seconds, "
        "client-go's defaults)",
    )
    ha.add_argument(
        "--leader-elect",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="act only while holding the Lease (default: off; the chart turns it on)",
    )
    ha.add_argument(
        "--leader-election-namespace",
        help="namespace of the Lease (default: POD_NAMESPACE, else the service account's)",
    )
    ha.add_argument("--leader-election-id", default="cloudnet-operator", help="name of the Lease")
    ha.add_argument("--leader-election-lease-duration", type=float, default=15.0)
    ha.add_argument("--leader-election-renew-deadline", type=float, default=10.0)
    ha.add_argument("--leader-election-retry-period", type=float, default=2.0)

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
        from cloudnet.handlers.run import run_operator

        # Unset options take run_operator's defaults, defined once next to their use.
        tuning = {
            name: value
            for name, value in (
                ("drift_interval", args.drift_interval),
                ("cloud_rate", args.cloud_rate),
            )
            if value is not None
        }
        election = None
        if args.leader_elect:
            from cloudnet.handlers.leader import ElectionSettings, default_namespace

            try:
                election = ElectionSettings(
                    namespace=args.leader_election_namespace or default_namespace(),
                    name=args.leader_election_id,
                    lease_duration=args.leader_election_lease_duration,
                    renew_deadline=args.leader_election_renew_deadline,
                    retry_period=args.leader_election_retry_period,
                )
            except ValueError as exc:
                _parser().error(str(exc))
        return run_operator(
            namespaces=args.namespace, verbose=args.verbose, leader_election=election, **tuning
        )
    if args.command == "demo":
        from cloudnet.demo import run_demo

        return run_demo()
    raise AssertionError(args.command)  # argparse enforces the choices


if __name__ == "__main__":
    sys.exit(main())
