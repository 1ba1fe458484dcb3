"""Planted-fault repair suite: does ``danfang fit --repair`` bring a broken run back?

Each case is an MNIST-1D job (a 3-layer MLP trained with SGD + momentum) with one planted
fault. For every case the script trains the healthy twin, the faulty job with the monitor
only, and the faulty job with monitor + repairs, and prints a markdown table: the findings,
the repairs, the validation accuracy before/after (and healthy), and the repaired run's wall
time over the healthy run's.

    python bench/repair_suite.py                 # all cases (~5-10 min on 2 CPU cores)
    python bench/repair_suite.py --cases zero_init,lr_tiny --epochs 10
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

BASE = '''
import torch
from torch import nn
from danfang.datasets import load_mnist1d

ACT, DEPTH, WIDTH = {act}, {depth}, 128

def init(net):
    {init}

def model():
    layers, d = [], 40
    for _ in range(DEPTH):
        layers += [nn.Linear(d, WIDTH), ACT()]
        d = WIDTH
    net = nn.Sequential(*layers, nn.Linear(d, 10))
    init(net)
    return net

def data():
    return load_mnist1d()

def optimizer(params):
    return {optimizer}

{scheduler}
settings = {{"task": "classification", "batch_size": 128, "epochs": {epochs}, "seed": 0}}
'''

HEALTHY = {"act": "nn.ReLU", "depth": 3, "init": "pass",
           "optimizer": "torch.optim.SGD(params, lr=0.05, momentum=0.9)", "scheduler": ""}

#: case -> (what is planted, the changes to the healthy job); the healthy twin of each case
#: is HEALTHY with ``twin`` changes (the sigmoid stack's twin is the same depth with ReLU).
CASES: dict[str, tuple[str, dict, dict]] = {
    "lr_absurd": ("SGD lr 20 (x400)", {"optimizer": "torch.optim.SGD(params, lr=20.0, momentum=0.9)"}, {}),
    "lr_tiny": ("SGD lr 5e-6 (/10,000)", {"optimizer": "torch.optim.SGD(params, lr=5e-6, momentum=0.9)"}, {}),
    "sigmoid_stack": ("8 Linear+Sigmoid layers", {"act": "nn.Sigmoid", "depth": 8}, {"depth": 8}),
    "zero_init": ("all weights and biases 0",
                  {"init": "[torch.nn.init.zeros_(p) for p in net.parameters()]"}, {}),
    "dying_relu": ("biases initialised to -3",
                   {"init": "[torch.nn.init.constant_(m.bias, -3.0) for m in net if isinstance(m, nn.Linear)]"}, {}),
    "oversized_init": ("weights ~ N(0, 1) (x10 Kaiming)",
                       {"init": "[torch.nn.init.normal_(m.weight, 0, 1.0) for m in net if isinstance(m, nn.Linear)]"}, {}),
    "plateau_wrong_mode": ("ReduceLROnPlateau(mode='max', patience=0) on val_loss",
                           {"scheduler": "def scheduler(opt):\n    return torch.optim.lr_scheduler."
                                         "ReduceLROnPlateau(opt, mode='max', factor=0.1, patience=0)\n"}, {}),
    "lr_collapse": ("ExponentialLR(gamma=0.05) per epoch",
                    {"scheduler": "def scheduler(opt):\n    return torch.optim.lr_scheduler."
                                  "ExponentialLR(opt, gamma=0.05)\n"}, {}),
    "weight_decay_crush": ("SGD weight_decay 1.0",
                           {"optimizer": "torch.optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=1.0)"}, {}),
}


def job_text(changes: dict, epochs: int) -> str:
    return BASE.format(**{**HEALTHY, **changes, "epochs": epochs})


def train(path: Path, out: Path, *, monitor: bool, repair: bool) -> dict:
    from danfang.checks.training import monitor_callbacks
    from danfang.engine.trainer import fit
    from danfang.job import load_job
    from danfang.remedies import repair_callbacks

    job = load_job(path)
    callbacks = (monitor_callbacks(job.settings) if monitor or repair else []) + \
        (repair_callbacks(job.settings) if repair else [])
    t = time.perf_counter()
    result = fit(job, out, callbacks=callbacks, checkpoint=False)
    wall = time.perf_counter() - t
    accs = [r["val_acc"] for r in result.history if r.get("val_acc") is not None]
    return {"acc": max(accs) if accs else 0.0, "wall": wall, "findings": result.findings,
            "repairs": result.repairs, "status": result.status}


def run_case(name: str, epochs: int, root: Path) -> dict:
    what, changes, twin = CASES[name]
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "healthy.py").write_text(job_text(twin, epochs))
    (folder / "faulty.py").write_text(job_text({**twin, **changes}, epochs))
    healthy = train(folder / "healthy.py", folder / "run-healthy", monitor=True, repair=False)
    before = train(folder / "faulty.py", folder / "run-monitor", monitor=True, repair=False)
    after = train(folder / "faulty.py", folder / "run-repair", monitor=True, repair=True)
    return {"case": name, "what": what, "healthy": healthy, "before": before, "after": after}


def _repairs(rs: list[dict]) -> str:
    return ", ".join(f"{r['action']} ({r.get('result', '')})".replace(" (kept)", "") for r in rs) or "-"


def table(rows: list[dict]) -> str:
    lines = ["| fault | findings (monitor only) | repairs | acc healthy | acc before | acc after | "
             "after/healthy | time after/healthy |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        h, b, a = r["healthy"], r["before"], r["after"]
        codes = ", ".join(sorted({f.code for f in b["findings"]})) or "-"
        ratio = a["acc"] / h["acc"] if h["acc"] else 0.0
        lines.append(f"| {r['case']}: {r['what']} | {codes} | {_repairs(a['repairs'])} | {h['acc']:.3f} | "
                     f"{b['acc']:.3f} | {a['acc']:.3f} | {ratio:.2f} | {a['wall'] / h['wall']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=",".join(CASES), help="comma-separated case names")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1 keeps timings stable)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    names = [c for c in args.cases.split(",") if c]
    unknown = [c for c in names if c not in CASES]
    if unknown:
        ap.error(f"unknown case(s) {unknown}; choose from {list(CASES)}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            rows.append(run_case(name, args.epochs, Path(tmp)))
            print(f"{name}: healthy {rows[-1]['healthy']['acc']:.3f} before {rows[-1]['before']['acc']:.3f} "
                  f"after {rows[-1]['after']['acc']:.3f}", file=sys.stderr, flush=True)
    print(table(rows))
    ok = [r for r in rows if r["after"]["acc"] >= 0.95 * r["healthy"]["acc"]
          and r["after"]["wall"] <= 2.0 * r["healthy"]["wall"]]
    print(f"\nrepaired to >= 95% of the healthy accuracy within 2x its time: {len(ok)}/{len(rows)} "
          f"({len(ok) / max(len(rows), 1):.0%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
