"""Benchmark: the data audit on all of MNIST (60,000 train + 10,000 test images).

Budget: under 60 s on 2 CPU cores. Prints the time of each shared step (hashes,
embedding, neighbour searches) and of each check, then the total. Skips with a message
when the MNIST file is absent.

    python bench/audit_mnist.py --mnist /work/shared/data/mnist.npz
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

BUDGET_S = 60.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", default=os.environ.get("DANFANG_MNIST", "/work/shared/data/mnist.npz"))
    parser.add_argument("--threads", type=int, default=2, help="torch threads (the budget assumes 2 cores)")
    args = parser.parse_args()
    if not Path(args.mnist).exists():
        print(f"skipped: no MNIST file at {args.mnist} (pass --mnist PATH)")
        return 0

    import torch

    from danfang.checks.data import _as_split, audit_context, run_checks
    from danfang.datasets import load_mnist

    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    train, test = load_mnist(args.mnist)
    load_s = time.perf_counter() - t0

    times: dict[str, float] = {}
    start = time.perf_counter()

    def timed(name: str, fn) -> None:
        t = time.perf_counter()
        fn()
        times[name] = time.perf_counter() - t

    ctx = None

    def build() -> None:
        nonlocal ctx
        ctx = audit_context([("train", _as_split(train)), ("val", _as_split(test))], "classification", 10)

    timed("shared: arrays", build)
    timed("shared: hashes", lambda: [ctx.hashes(n) for n in ctx.splits])
    timed("shared: embedding", lambda: ctx.embedding("train"))
    timed("shared: train neighbours", ctx.train_neighbours)
    timed("shared: near pairs", lambda: [ctx.near_pairs(n, m) for n in ctx.splits for m in {n, "train"}])
    check_times: dict[str, float] = {}
    findings = run_checks(ctx, check_times)
    times.update({f"check: {k}": v for k, v in check_times.items()})
    total = time.perf_counter() - start

    print(f"data audit of MNIST: {len(ctx.train)} train + {len(ctx.splits['val'])} test images, "
          f"torch threads {torch.get_num_threads()}, {os.cpu_count()} CPUs visible")
    print(f"{'(load npz, not counted)':32s} {load_s:7.2f} s")
    for name, s in times.items():
        print(f"{name:32s} {s:7.2f} s")
    print(f"{'total':32s} {total:7.2f} s  (budget {BUDGET_S:.0f} s: {'ok' if total < BUDGET_S else 'OVER'})")
    print("findings:")
    for f in findings:
        print(f"  {f.severity:7s} {f.code}: {f.message}")
    return 0 if total < BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
