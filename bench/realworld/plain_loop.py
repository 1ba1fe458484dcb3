"""Train each real-world job with a plain PyTorch loop (no danfang) and print start/end loss
and, where meaningful, accuracy: the proof that every job is healthy and learns.

    python bench/realworld/plain_loop.py [--jobs NAME,...] [--epochs N] [--monitor]

With --monitor the loop also runs danfang.Monitor and prints its findings (used by
bench/realworld.py). Reads the job file itself with importlib (not danfang's loader).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
JOBS = sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_") and p.stem != "plain_loop")


def load(name):
    sys.path.insert(0, str(HERE))
    spec = importlib.util.spec_from_file_location(f"rw_{name}", HERE / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def loader(split, bs, shuffle, seed=0):
    if isinstance(split, (tuple, list)):
        split = torch.utils.data.TensorDataset(torch.as_tensor(split[0]), torch.as_tensor(split[1]))
    g = torch.Generator().manual_seed(seed)
    return torch.utils.data.DataLoader(split, batch_size=bs, shuffle=shuffle, generator=g)


def call(model, x):
    return model(**x) if isinstance(x, dict) else model(x)


def metric(task, out, y):
    """Accuracy where it means something, else None."""
    if task == "classification":
        mask = y != -100
        return ((out.argmax(1) == y) & mask).sum().item(), mask.sum().item()
    if task in ("binary", "multilabel"):
        return ((out > 0).float() == y).sum().item(), y.numel()
    return None


def evaluate(mod, model, loss_fn, split, task, bs):
    model.eval()
    tot, n, hit, cnt = 0.0, 0, 0, 0
    with torch.no_grad():
        for x, y in loader(split, bs, False):
            out = call(model, x)
            tot += float(loss_fn(out, y)) * len(y)
            n += len(y)
            m = metric(task, out, y)
            if m:
                hit, cnt = hit + m[0], cnt + m[1]
    model.train()
    return tot / n, (hit / cnt if cnt else None)


def extra(name, mod, model):
    """A task-specific measure of learning for the 'other' jobs."""
    with torch.no_grad():
        if name == "gan":
            s = model.sample(2000)
            return f"fake mean {s.mean(0).numpy().round(2).tolist()} std {s.std(0).numpy().round(2).tolist()} (real {mod.MEAN.tolist()} / {mod.STD})"
        if name == "policy_gradient":
            (_, _), (xv, bv) = mod.data()
            return f"greedy reward {(model(xv).argmax(1) == bv).float().mean():.3f} (random 0.25)"
        if name == "siamese_contrastive":
            _, (pv, sv) = mod.data()
            model.eval()
            return f"pair accuracy (d < 1) {((model(pv) < 1.0).float() == sv).float().mean():.3f}"
    return ""


def train(name, epochs=None, monitor=False):
    torch.manual_seed(0)
    mod = load(name)
    s = dict(getattr(mod, "settings", {}))
    task = mod.EXPECTED_TASK
    epochs = epochs or s.get("epochs", 10)
    bs = s.get("batch_size", 128)
    train_split, val_split = mod.data()[:2]
    model = mod.model()
    loss_fn = mod.loss() if hasattr(mod, "loss") else (
        torch.nn.CrossEntropyLoss() if task == "classification" else torch.nn.MSELoss())
    opt = mod.optimizer(model.parameters())
    mon = None
    if monitor:
        import danfang
        mon = danfang.Monitor(model, opt)
    t0 = time.time()
    start = evaluate(mod, model, loss_fn, val_split, task, 256)
    lbfgs = isinstance(opt, torch.optim.LBFGS)
    for ep in range(epochs):
        for x, y in loader(train_split, bs, True, seed=ep):
            if lbfgs:
                def closure():
                    opt.zero_grad()
                    l = loss_fn(call(model, x), y)
                    l.backward()
                    return l
                loss = opt.step(closure)
            else:
                opt.zero_grad()
                loss = loss_fn(call(model, x), y)
                loss.backward()
                opt.step()
            if mon is not None:
                mon.step(loss, epoch=ep)
    end = evaluate(mod, model, loss_fn, val_split, task, 256)
    row = {"job": name, "task": task, "epochs": epochs, "val_loss_start": start[0], "val_loss_end": end[0],
           "acc_start": start[1], "acc_end": end[1], "extra": extra(name, mod, model),
           "seconds": round(time.time() - t0, 1)}
    if mon is not None:
        row["monitor"] = [{"code": f.code, "severity": f.severity, "where": f.where, "message": f.message,
                           "evidence": f.evidence} for f in mon.findings]
        mon.close()
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", default="")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--monitor", action="store_true")
    ap.add_argument("--json", action="store_true", help="one JSON line a job")
    a = ap.parse_args()
    torch.set_num_threads(1)
    for name in (a.jobs.split(",") if a.jobs else JOBS):
        row = train(name, a.epochs, a.monitor)
        if a.json:
            print(json.dumps(row, default=str), flush=True)
            continue
        acc = (f"  acc {row['acc_start']:.3f} -> {row['acc_end']:.3f}" if row["acc_end"] is not None else "")
        print(f"{name:24s} {row['task']:14s} val loss {row['val_loss_start']:.4f} -> {row['val_loss_end']:.4f}"
              f"{acc}  {row['extra']}  ({row['seconds']} s)", flush=True)


if __name__ == "__main__":
    main()
