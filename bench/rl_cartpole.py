"""The CartPole RL study: PPO on fixed vs randomised physics, 10 seeds an arm, on 2 CPU cores.

    python bench/rl_cartpole.py [--seeds 10] [--timesteps 20000] [--workers 2] [--out DIR] [--docs]

Runs `danfang rl-study examples/rl_cartpole.py` (pole length, pole mass and gravity; held-out
ranges inside and outside the training range), prints the Markdown table of docs/rl.md, the
verdicts and the measured wall time; with ``--docs`` also saves the report's pictures as
docs/rl_curves.png, docs/rl_grid.png and docs/rl_seeds.png. A rerun with the same --out keeps
the finished seeds (so a killed benchmark continues).
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import time
from pathlib import Path

from _common import ROOT, example, print_table


def _save_img(img_html: str, path: Path) -> None:
    """Write the PNG inlined in an ``<img src="data:image/png;base64,...">`` tag."""
    data = re.search(r'src="data:image/png;base64,([^"]+)"', img_html)
    assert data, "no inline PNG"
    path.write_bytes(base64.b64decode(data.group(1)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--timesteps", type=int, default=20000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-rl-cartpole")
    ap.add_argument("--docs", action="store_true", help="save the pictures into docs/")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from danfang.report.rl_study import evaluation_grid, final_spread, learning_curves, table_rows
    from danfang.tools.rl_study import rl_study

    start = time.perf_counter()
    doc = rl_study(example("rl_cartpole"), out=args.out, seeds=args.seeds, timesteps=args.timesteps,
                   workers=args.workers, log=lambda m: print(m, flush=True))
    wall = time.perf_counter() - start
    head, rows = table_rows(doc)
    print_table(head, rows)
    for c in doc["stats"]["comparison"].values():
        print(f"- {'decided' if c['decided'] else 'cannot tell'}: {c['verdict']}")
    cost = doc["stats"]["steps_to_threshold"]
    print(f"- steps to {cost['threshold']}: reached {cost['reached']} of {cost['of']}; ratio randomised/fixed "
          f"{cost.get('ratio', float('nan')):.2f}")
    train_s = sum(r["wall_s"] for r in doc["runs"])
    print(f"wall time {wall:.0f} s for {len(doc['runs'])} runs ({train_s:.0f} s of run time summed over "
          f"{args.workers} workers); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the end")
    if args.docs:
        docs = ROOT / "docs"
        learning_curves(doc).savefig(docs / "rl_curves.png")
        evaluation_grid(doc).savefig(docs / "rl_grid.png")
        _save_img(final_spread(doc), docs / "rl_seeds.png")
        print("saved docs/rl_curves.png docs/rl_grid.png docs/rl_seeds.png")


if __name__ == "__main__":
    main()
