"""The 001 optimizer x schedule claims at CPU scale: which reproduce, with intervals.

    python bench/study_001.py [--seeds 5] [--epochs 10] [--width 16] [--budget-s 1300] [--reps 2000] [--out DIR]
                              [--resume]

Runs ``danfang study`` with the ``001`` grid (13 recipes, src/danfang/recipes/study_001.py) on
MNIST-1D (4,000 train / 1,000 val) with a small 1-D CNN (BatchNorm; ``--width`` channels in its
first layers), the job's monitor set to ``val_acc`` so that the plateau arms step on accuracy as
in the article. Then, while ``--budget-s`` seconds of the whole run are left, every claim whose
interval of P(improvement) still contains 0.5 gets ``--seeds`` more seeds for its two arms (a
study of the pair with the next seeds), and the claims are judged again on all seeds.

Prints, for each claim (src/danfang/recipes/study_001_claims.py): the arms A (the article's
loser) and B (its winner), the IQM [95% CI] of each arm's best val_acc, P(B > A) [95% CI]
(rliable, stratified bootstrap) and reproduced / not reproduced / cannot tell. Markdown table
(docs/studies.md, "The 001 claims at CPU scale").

``--resume`` with the same ``--out`` keeps the studies already there (the grid and every round
of extra seeds) and adds rounds for the claims still undecided, within a new ``--budget-s`` for
this invocation, the cost of a run estimated from the first invocation (``timing.json``).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from _common import print_table, set_threads

from danfang.job import load_job
from danfang.recipes.study_001_claims import CLAIMS_001, CANNOT_TELL, judge, undecided
from danfang.tools.seed_stats import seed_statistics
from danfang.tools.study import study

JOB = '''
"""MNIST-1D (4,000 / 1,000) with a small 1-D CNN; the monitor is val_acc (the plateau arms step on it)."""
from torch import nn

from danfang.datasets import load_mnist1d

WIDTH = {width}


def block(c_in, c_out, k=3):
    return [nn.Conv1d(c_in, c_out, k, padding=k // 2, bias=False), nn.BatchNorm1d(c_out), nn.ReLU()]


def model():
    w = WIDTH
    return nn.Sequential(*block(1, w, 5), *block(w, w), nn.MaxPool1d(2), *block(w, 2 * w), nn.MaxPool1d(2),
                         *block(2 * w, 4 * w), nn.AdaptiveMaxPool1d(1), nn.Flatten(), nn.Linear(4 * w, 10))


def data():
    return load_mnist1d(channel=True)


settings = {{"task": "classification", "batch_size": 128, "epochs": {epochs}, "seed": 0, "monitor": "val_acc"}}
'''


#: ResNet-18 / CIFAR-10 for a GPU (``--job cifar10``): the example's network and data, without its
#: settings' lr / weight decay (they would override every arm's), time budget and label smoothing.
CIFAR_JOB = '''
"""CIFAR-10, the CIFAR-style ResNet-18 of examples/cifar10_resnet18.py; the monitor is val_acc."""
import sys
sys.path.insert(0, {examples!r})
from cifar10_resnet18 import data, model  # noqa: F401

settings = {{"task": "classification", "batch_size": 128, "epochs": {epochs}, "seed": 0, "monitor": "val_acc",
            "eval_batch_size": 2000}}
'''


def values_of(folder: Path) -> dict[str, list[float]]:
    doc = json.loads((folder / "study.json").read_text())
    out: dict[str, list[float]] = {}
    for run in doc["runs"]:
        out.setdefault(run["recipe"], []).append(run[doc["metric"]])
    return out


def judge_all(values: dict[str, list[float]], reps: int) -> dict:
    """``{claim: (status, stats of the pair)}`` on all seeds gathered so far."""
    judged = {}
    for claim in CLAIMS_001:
        st = seed_statistics({claim.a: values[claim.a], claim.b: values[claim.b]}, higher_is_better=True,
                             metric="val_acc", reps=reps)
        pair = st.pairs[0]
        p, ci = (pair.p, pair.ci) if pair.better == claim.b else (1 - pair.p, (1 - pair.ci[1], 1 - pair.ci[0]))
        aggs = {a.recipe: a for a in st.aggregates}
        n_min = min(aggs[claim.a].n, aggs[claim.b].n)
        judged[claim] = (judge(claim, p, ci, n_min), p, ci, aggs[claim.a], aggs[claim.b])
    return judged


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--budget-s", type=float, default=1300.0, help="top up undecided claims while time is left")
    ap.add_argument("--reps", type=int, default=2000)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--job", choices=("mnist1d", "cifar10"), default="mnist1d",
                    help="cifar10: ResNet-18 on CIFAR-10 (a GPU; DANFANG_CIFAR10 names the archive)")
    ap.add_argument("--resume", action="store_true", help="keep the studies already in --out, add rounds")
    args = ap.parse_args()
    set_threads(1)
    start = time.perf_counter()
    out = args.out or Path(tempfile.mkdtemp(prefix="study001-"))
    out.mkdir(parents=True, exist_ok=True)
    job_path = out / "job_001.py"
    examples = str(Path(__file__).resolve().parent.parent / "examples")
    job_path.write_text(JOB.format(width=args.width, epochs=args.epochs) if args.job == "mnist1d"
                        else CIFAR_JOB.format(examples=examples, epochs=args.epochs))
    job = load_job(job_path)
    timing = out / "timing.json"
    if not (args.resume and (out / "001" / "study.json").exists()):
        study(job, grid="001", seeds=args.seeds, out=out / "001", reps=500)
        values = values_of(out / "001")
        timing.write_text(json.dumps({"per_run_s": (time.perf_counter() - start) / (len(values) * args.seeds)}))
    values = values_of(out / "001")
    per_run = json.loads(timing.read_text())["per_run_s"]
    print(f"grid 001: {len(values)} recipes x {args.seeds} seeds, {per_run:.1f} s a run", flush=True)
    next_seed, round_no = args.seeds, 1
    while args.resume and (out / f"extra{round_no}" / "study.json").exists():   # rounds of an earlier call
        for name, vals in values_of(out / f"extra{round_no}").items():
            values[name].extend(vals)
        next_seed, round_no = next_seed + args.seeds, round_no + 1
    judged = judge_all(values, args.reps)
    while True:
        todo = undecided({c: j[0] for c, j in judged.items()})
        arms = list(dict.fromkeys(n for c in todo for n in (c.a, c.b)))
        elapsed = time.perf_counter() - start
        if not arms or elapsed + per_run * len(arms) * args.seeds > args.budget_s:
            break
        job.settings["seed"] = next_seed
        folder = out / f"extra{round_no}"
        study(job, grid=",".join(arms), seeds=args.seeds, out=folder, reps=500)
        for name, vals in values_of(folder).items():
            values[name].extend(vals)
        print(f"round {round_no}: {len(arms)} arms of {len(todo)} undecided claims, seeds {next_seed}.."
              f"{next_seed + args.seeds - 1}, at {time.perf_counter() - start:.0f} s", flush=True)
        next_seed += args.seeds
        round_no += 1
        judged = judge_all(values, args.reps)
    rows = []
    for claim, (status, p, ci, a, b) in judged.items():
        rows.append([claim.text, f"A `{claim.a}`", f"{a.iqm:.4f} [{a.iqm_ci[0]:.4f}, {a.iqm_ci[1]:.4f}] (n={a.n})",
                     f"B `{claim.b}`", f"{b.iqm:.4f} [{b.iqm_ci[0]:.4f}, {b.iqm_ci[1]:.4f}] (n={b.n})",
                     f"{p:.2f} [{ci[0]:.2f}, {ci[1]:.2f}]", f"**{status}**" if status != CANNOT_TELL else status])
    wall = time.perf_counter() - start
    print(f"\n{args.job}: best val_acc, {args.epochs} epochs, width {args.width}; wall time {wall:.0f} s; "
          f"folders in {out}\n")
    print_table(["claim", "A", "IQM [95% CI]", "B", "IQM [95% CI]", "P(B > A) [95% CI]", "status"], rows)
    (out / "claims.json").write_text(json.dumps({
        "wall_s": wall, "epochs": args.epochs, "width": args.width, "values": values,
        "claims": [{"claim": c.text, "a": c.a, "b": c.b, "status": s, "p": p, "ci": ci}
                   for c, (s, p, ci, _, _) in judged.items()]}, indent=2))


if __name__ == "__main__":
    main()
