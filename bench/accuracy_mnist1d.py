"""MNIST-1D accuracy of the default recipe against the paper (Greydanus 2020).

    python bench/accuracy_mnist1d.py             # the default recipe, 3 models x 2 seeds
    python bench/accuracy_mnist1d.py --compare   # every recipe: how DEFAULT was chosen

Models are the example jobs (examples/mnist1d_{logistic,mlp,cnn}.py) on the 4,000/1,000
split. The accuracy is the last epoch's on the held-out 1,000 (no selection on them).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from _common import example, print_table, set_threads

from danfang.engine.trainer import fit
from danfang.job import load_job
from danfang.recipes import DEFAULT, RECIPES

PAPER = {"mnist1d_logistic": 0.32, "mnist1d_mlp": 0.68, "mnist1d_cnn": 0.94}
HUMAN = 0.96


def final_accuracy(job, recipe: str, seed: int) -> tuple[float, float]:
    """Train ``job`` with ``recipe``; return (last-epoch val accuracy, seconds)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        result = fit(job, tmp, recipe=recipe, checkpoint=False,
                     settings={"seed": seed, "restore_best": False})
    return float(result.final["val_acc"]), time.perf_counter() - t0


def run(recipes: list[str], seeds: int) -> dict[tuple[str, str], list[float]]:
    scores: dict[tuple[str, str], list[float]] = {}
    for model in PAPER:
        job = load_job(example(model))
        for recipe in recipes:
            for seed in range(seeds):
                acc, secs = final_accuracy(job, recipe, seed)
                scores.setdefault((model, recipe), []).append(acc)
                print(f"{model} {recipe} seed {seed}: {acc:.3f} ({secs:.0f} s)", flush=True)
    return scores


def fmt(accs: list[float]) -> str:
    return f"{100 * statistics.mean(accs):.1f}% ({100 * min(accs):.1f}–{100 * max(accs):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", action="store_true", help="run every recipe, not only the default")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    set_threads(args.threads)
    recipes = list(RECIPES) if args.compare else [DEFAULT]
    scores = run(recipes, args.seeds)
    print(f"\nMNIST-1D, 4,000/1,000 split, {args.seeds} seeds, mean (min–max) last-epoch accuracy\n")
    if args.compare:
        rows = []
        for recipe in recipes:
            gaps = [statistics.mean(scores[m, recipe]) - PAPER[m] for m in PAPER]
            rows.append([recipe + (" (default)" if recipe == DEFAULT else ""),
                         *[fmt(scores[m, recipe]) for m in PAPER],
                         f"{100 * statistics.mean(gaps):+.1f}"])
        print_table(["recipe", *PAPER, "mean gap to paper (pts)"], rows)
    else:
        rows = [[m, DEFAULT, fmt(scores[m, DEFAULT]), f"{100 * PAPER[m]:.0f}%",
                 "yes" if min(scores[m, DEFAULT]) >= PAPER[m] else "no"] for m in PAPER]
        print_table(["model", "recipe", "accuracy", "paper", "every seed ≥ paper"], rows)
        cnn = min(scores["mnist1d_cnn", DEFAULT])
        print(f"\nCNN vs human ({100 * HUMAN:.0f}%): worst seed {100 * cnn:.1f}%")


if __name__ == "__main__":
    main()
