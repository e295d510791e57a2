"""``python -m cloudnet_devkit.kubeapi``: the test Kubernetes API in the foreground.

For the demo and for tests that run the operator as a subprocess: start the
API, write a kubeconfig for it, serve until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from cloudnet_devkit.kubeapi.runner import running
from cloudnet_devkit.kubeapi.server import TestKubeAPI


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m cloudnet_devkit.kubeapi",
        description="Serve a test Kubernetes API in memory.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--kubeconfig", help="write a kubeconfig for the server to this path")
    parser.add_argument(
        "--lenient-namespaces",
        action="store_true",
        help="accept objects in namespaces that do not exist",
    )
    parser.add_argument(
        "--no-admission",
        action="store_true",
        help="store custom resources without checking them against their CRD",
    )
    return parser.parse_args(argv)


async def amain(args: argparse.Namespace) -> None:
    api = TestKubeAPI(
        strict_namespaces=not args.lenient_namespaces, admission=not args.no_admission
    )
    async with running(api, args.host, args.port) as server:
        if args.kubeconfig:
            server.write_kubeconfig(args.kubeconfig)
        print(f"Kubernetes API listening on {server.url}", flush=True)
        if args.kubeconfig:
            print(f"kubeconfig: {args.kubeconfig}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    asyncio.run(amain(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
