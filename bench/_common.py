"""Helpers shared by the benchmark scripts: threads, the example jobs, tables, medians."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Sequence

import torch

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def set_threads(threads: int) -> None:
    """Pin torch's CPU threads; one thread avoids OpenMP oversubscription on a shared box."""
    torch.set_num_threads(threads)


def example(name: str) -> Path:
    return EXAMPLES / f"{name}.py"


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def print_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A Markdown table (pasteable into docs/recipes.md)."""
    cells = [[str(c) for c in header]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    print(line(cells[0]))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in cells[1:]:
        print(line(r))
