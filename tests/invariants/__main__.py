"""Run many invariant sequences: ``python -m tests.invariants --sequences 10000``.

The sequences are shared evenly between the providers and cut into chunks
of ``--chunk`` sequences, each chunk one hypothesis run with its own seed,
spread over ``--jobs`` processes. Every chunk that finds a broken invariant
prints the shrunk sequence. The report ends with the totals: sequences, steps
per sequence, wall time, and what the sequences did (cloud requests and
writes, crashes, lost answers, injected faults, how resources settled).

Exit status 1 when any chunk failed.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import random
import sys
import time

from tests.invariants.runner import Chunk, Result, run_chunk


def main(argv: list[str] | None = None) -> int:
    from tests.invariants.findings import OPEN, left_out
    from tests.invariants.world import PROFILES

    parser = argparse.ArgumentParser(prog="python -m tests.invariants", description=__doc__)
    parser.add_argument("--sequences", type=int, default=10_000, help="in all (default 10000)")
    parser.add_argument("--steps", type=int, default=30, help="most steps per sequence")
    parser.add_argument("--provider", action="append", choices=sorted(PROFILES))
    parser.add_argument("--jobs", type=int, default=max(1, multiprocessing.cpu_count()))
    parser.add_argument("--chunk", type=int, default=250, help="sequences per hypothesis run")
    parser.add_argument("--seed", type=int, default=None, help="base seed (default: random)")
    args = parser.parse_args(argv)

    providers = args.provider or sorted(PROFILES)
    base = args.seed if args.seed is not None else random.randrange(2**32)
    chunks: list[Chunk] = []
    per_provider = -(-args.sequences // len(providers))
    for provider in providers:
        left = per_provider
        while left > 0:
            n = min(args.chunk, left)
            chunks.append(Chunk(provider, n, args.steps, base + len(chunks)))
            left -= n
    print(
        f"{sum(c.sequences for c in chunks)} sequences of up to {args.steps} steps, "
        f"{len(providers)} provider(s), {len(chunks)} chunks, {args.jobs} process(es), "
        f"base seed {base}",
        flush=True,
    )
    skip, avoid = left_out()
    print(
        f"open findings: {', '.join(OPEN) or 'none'}\n"
        f"left out: checks {sorted(skip) or 'none'}, scenarios {sorted(avoid) or 'none'}",
        flush=True,
    )
    started = time.monotonic()
    totals: collections.Counter[str] = collections.Counter()
    failures: list[Result] = []
    per: collections.Counter[str] = collections.Counter()
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        for result in pool.imap_unordered(run_chunk, chunks):
            totals.update(result.stats)
            per[result.chunk.provider] += result.chunk.sequences
            status = "FAILED" if result.failure else "ok"
            print(
                f"  {result.chunk.provider:12} seed {result.chunk.seed}: "
                f"{result.chunk.sequences} sequences, {result.seconds:6.1f} s, {status}",
                flush=True,
            )
            if result.failure:
                failures.append(result)
                print(result.failure, flush=True)
    elapsed = time.monotonic() - started
    print(f"\n{sum(per.values())} sequences in {elapsed:.0f} s ({dict(sorted(per.items()))})")
    for name, value in sorted(totals.items()):
        print(f"  {name:32} {value}")
    print(f"{len(failures)} chunk(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
