"""What each ensemble kind gains over one model on MNIST-1D, with 95% intervals.

    python bench/ensembles.py [--members 5] [--epochs 21] [--reps 2000] [--out DIR]

The job is the example 1-D CNN (examples/mnist1d_cnn.py) on MNIST-1D with 6,000 samples:
4,000 train, 800 val (best-epoch selection), 1,200 test (every score; never selected on).
Three `danfang ensemble` folders: ``distill`` (K seed members, their ensemble and the
distilled student), ``snapshots`` (one run of the same epochs: 1 warmup epoch, then K
cosine cycles; 21 = 1 + 5 x 4) and ``swa`` (the last K of the same epochs averaged). The
single-model reference is the mean of the K seed members, each trained normally; every gain
is paired over the 1,200 test examples (percentile bootstrap). Prints a Markdown table (docs/studies.md).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from _common import print_table, set_threads

from danfang.tools.ensemble import ensemble
from danfang.tools.ensemble_metrics import gain, score

JOB = '''
"""MNIST-1D (6,000 samples: 4,000 / 800 / 1,200) with the example 1-D CNN."""
import sys
sys.path.insert(0, {examples!r})
from mnist1d_cnn import model  # noqa: F401
from danfang.datasets import load_mnist1d


def data():
    (x, y), (xt, yt) = load_mnist1d(num_samples=6000, channel=True)
    return (x[:4000], y[:4000]), (x[4000:], y[4000:]), (xt, yt)


settings = {{"task": "classification", "batch_size": 128, "epochs": {epochs}, "seed": 0}}
'''


def _predictions(folder: Path) -> tuple[dict[str, np.ndarray], np.ndarray, list[str], list[str]]:
    npz = np.load(folder / "predictions.npz")
    roles, names = list(npz["roles"]), list(npz["names"])
    preds = {f"{r}_{i}": npz[f"{r}_{i}"] for i, r in enumerate(roles)}
    return preds, npz["targets"], roles, names


def _scores(prob: np.ndarray, targets: np.ndarray):
    return score("classification", torch.from_numpy(prob), torch.from_numpy(targets))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=21)
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="keep the ensemble folders here")
    args = parser.parse_args()
    set_threads(args.threads)
    root = args.out or Path(tempfile.mkdtemp(prefix="danfang-ensembles-"))
    root.mkdir(parents=True, exist_ok=True)
    job = root / "mnist1d_cnn_6000.py"
    job.write_text(JOB.format(examples=str(Path(__file__).resolve().parent.parent / "examples"), epochs=args.epochs))
    seconds = {}
    for kind in ("distill", "snapshots", "swa"):
        t0 = time.perf_counter()
        ensemble(job, kind=kind, members=args.members, out=root / kind, reps=args.reps, quiet=True)
        seconds[kind] = time.perf_counter() - t0
        print(f"{kind}: {seconds[kind]:.0f} s — {json.loads((root / kind / 'ensemble.json').read_text())['summary']}",
              flush=True)

    preds, targets, roles, names = _predictions(root / "distill")
    members = [_scores(p, targets) for k, p in preds.items() if k.startswith("member_")]
    single_acc = float(np.mean([m.summary()["acc"] for m in members]))
    single_nll = float(np.mean([m.summary()["nll"] for m in members]))
    rows = [[f"single model (mean of {len(members)} seeds)", "1 run each", f"{100 * single_acc:.2f}", "–", "–",
             f"{single_nll:.4f}", "–"]]

    def row(label: str, trained: str, model) -> list[object]:
        acc, nll = gain(model, members, "acc", reps=args.reps), gain(model, members, "nll", reps=args.reps)
        s = model.summary()
        return [label, trained, f"{100 * s['acc']:.2f}", f"{100 * acc['gain']:+.2f}",
                f"[{100 * acc['ci'][0]:+.2f}, {100 * acc['ci'][1]:+.2f}]", f"{s['nll']:.4f}",
                f"{nll['gain']:+.4f} [{nll['ci'][0]:+.4f}, {nll['ci'][1]:+.4f}]"]

    k = args.members
    ens = _scores(next(p for key, p in preds.items() if key.startswith("ensemble_")), targets)
    student = _scores(next(p for key, p in preds.items() if key.startswith("student_")), targets)
    rows.append(row(f"seed ensemble ({k})", f"{k} runs", ens))
    for kind, label in (("snapshots", f"snapshot ensemble ({k} cycles)"), ("swa", f"SWA (last {k} epochs)")):
        p2, t2, _, _ = _predictions(root / kind)
        assert np.array_equal(t2, targets)
        rows.append(row(label, "1 run", _scores(next(p for key, p in p2.items() if key.startswith("ensemble_")), t2)))
    rows.append(row("distilled student", f"{k} runs + 1", student))
    share = json.loads((root / "distill" / "ensemble.json").read_text())["share_of_gain"]
    header = ["model", "trained", "test acc %", "gain (pts)", "95% interval", "test NLL", "NLL gain [95%]"]
    print()
    print(f"MNIST-1D, example CNN, {args.epochs} epochs a run, {len(targets)} test examples; "
          f"reference: the mean single seed model")
    print_table(header, rows)
    pct = {m: "n/a (no gain to share)" if v is None else f"{v:.0%}" for m, v in share.items()}
    print(f"\ndistilled student's share of the seed ensemble's gain: accuracy {pct['acc']}, NLL {pct['nll']}")
    print("seconds: " + ", ".join(f"{kind} {s:.0f}" for kind, s in seconds.items()) + f"; folders: {root}")


if __name__ == "__main__":
    main()
