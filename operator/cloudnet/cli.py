"""The ``cloudnet`` command line.

Subcommands import their machinery lazily so that ``cloudnet crds`` does not
pay for kopf and ``cloudnet sim`` does not pay for the Kubernetes client.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

LOG_FORMATS = ("plain", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")


def _checked(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse ``type`` whose ValueError message reaches the user as it is."""

    def check(value: str) -> Any:
        try:
            return parse(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return check


def _bind_address(value: str) -> Any:
    from cloudnet.handlers.health import parse_bind_address

    return None if value.strip() in ("", "0") else parse_bind_address(value)


def _url(value: str) -> Any:
    from cloudnet.handlers.health import parse_url

    parse_url(value)
    return value


def _demo() -> int:
    """Run the demo from the devkit, which the runtime image does not ship.

    The devkit is looked up by name at run time rather than imported: the
    operator's code must not depend on it (an import-linter contract says so), and
    without it this subcommand says how to get it instead of failing on an import.
    """
    try:
        demo = importlib.import_module("cloudnet_devkit.demo")
    except ModuleNotFoundError as exc:
        print(
            f"cloudnet demo: {exc.name or exc} is not installed; the demo needs the "
            "development tools: pip install -e '.[dev]' (or make demo)",
            file=sys.stderr,
        )
        return 2
    result: int = demo.run_demo()
    return result


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
    run.add_argument("--verbose", action="store_true", help="the same as --log-level debug")
    run.add_argument(
        "--log-level", choices=LOG_LEVELS, default="info", help="lowest level logged (default info)"
    )
    run.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default="plain",
        help="plain text lines, or one JSON object a line (kopf's JSON formatter)",
    )
    run.add_argument(
        "--metrics-bind-address",
        type=_checked(_bind_address),
        metavar="HOST:PORT",
        help="serve Prometheus metrics on http://HOST:PORT/metrics (default: off; 0 is off)",
    )
    run.add_argument(
        "--liveness",
        type=_checked(_url),
        metavar="URL",
        help="kopf's liveness endpoint, e.g. http://0.0.0.0:8081/healthz (default: off)",
    )
    run.add_argument(
        "--readiness",
        type=_checked(_url),
        metavar="URL",
        help="readiness (watching and the clouds reachable), e.g. http://0.0.0.0:8080/readyz "
        "(the metrics port may be shared; --liveness's may not; default: off)",
    )
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
    sim.add_argument(
        "--print-default-inventory",
        action="store_true",
        help="print the bundled inventory (the families' fragments merged) and exit",
    )

    crds = sub.add_parser("crds", help="write the CRD YAML generated from the models")
    crds.add_argument("--output", type=Path, default=Path("crds"))

    sub.add_parser("demo", help="simulator + test Kubernetes API + operator + examples")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "crds":
        from cloudnet.catalog import write_crds

        for path in write_crds(args.output):
            print(path)
        return 0
    if args.command == "sim":
        try:
            from cloudnet.sim.registry import installed
            from cloudnet.sim.server import serve
        except ModuleNotFoundError as exc:
            print(
                f"cloudnet sim: {exc.name or exc} is not installed; the simulator needs "
                "the sim extra: pip install 'cloudnet-operator[sim]'",
                file=sys.stderr,
            )
            return 2
        if args.print_default_inventory:
            sys.stdout.write(installed().default_text())
            return 0
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
                ("rrsa_namespaces", args.rrsa_namespace or None),
                ("alibaba_sts_endpoint", args.alibaba_sts_endpoint),
                ("huawei_iam_endpoint", args.huawei_iam_endpoint),
            )
            if value is not None
        }
        from cloudnet.handlers.health import parse_url
        from cloudnet.handlers.logs import LogFormat, LogLevel

        readiness = parse_url(args.readiness) if args.readiness else None
        if readiness and args.liveness and parse_url(args.liveness)[0] == readiness[0]:
            # kopf binds --liveness's port itself; a second server cannot share it.
            _parser().error("--readiness needs another HOST:PORT than --liveness")
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
            namespaces=args.namespace,
            verbose=args.verbose,
            log_level=LogLevel(args.log_level),
            log_format=LogFormat(args.log_format),
            metrics_address=args.metrics_bind_address,
            liveness=args.liveness,
            readiness_at=readiness,
            allowed_endpoints=allowed,
            leader_election=election,
            # a standby answers the probes kopf and the readiness server answer once it acts
            standby_health=[url for url in (args.liveness, args.readiness) if url],
            **tuning,
        )
    if args.command == "demo":
        return _demo()
    raise AssertionError(args.command)  # argparse enforces the choices


if __name__ == "__main__":
    sys.exit(main())
