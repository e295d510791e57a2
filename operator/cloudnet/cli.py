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
    run.add_argument(
        "--rrsa-namespace",
        action="append",
        default=[],
        metavar="NAMESPACE",
        help="let ProviderConfigs of this namespace use credentialsSource: RRSA, the operator "
        "pod's own Alibaba RAM role (repeatable; '*' for every namespace; default: none)",
    )
    run.add_argument(
        "--alibaba-sts-endpoint",
        metavar="URL",
        help="STS endpoint for RRSA's AssumeRoleWithOIDC (default: env "
        "ALIBABA_CLOUD_STS_ENDPOINT, else https://sts.aliyuncs.com)",
    )
    run.add_argument(
        "--huawei-iam-endpoint",
        metavar="URL",
        help="IAM endpoint for Secrets with userName/password/domainName (default: env "
        "HUAWEICLOUD_SDK_IAM_ENDPOINT, else https://iam.REGION.myhuaweicloud.com)",
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
        from cloudnet.handlers.run import run_operator

        # Unset options take run_operator's defaults, defined once next to their use.
        tuning = {
            name: value
            for name, value in (
                ("drift_interval", args.drift_interval),
                ("cloud_rate", args.cloud_rate),
                ("rrsa_namespaces", args.rrsa_namespace or None),
                ("alibaba_sts_endpoint", args.alibaba_sts_endpoint),
                ("huawei_iam_endpoint", args.huawei_iam_endpoint),
            )
            if value is not None
        }
        return run_operator(namespaces=args.namespace, verbose=args.verbose, **tuning)
    if args.command == "demo":
        from cloudnet.demo import run_demo

        return run_demo()
    raise AssertionError(args.command)  # argparse enforces the choices


if __name__ == "__main__":
    sys.exit(main())
