"""Throughput of the danfang trainer against a hand-written PyTorch loop and Lightning.

    python bench/throughput.py                       # CPU: the demo's MNIST-1D CNN
    python bench/throughput.py --device cuda         # GPU: CIFAR ResNet-18, batch 512, bf16
    python bench/throughput.py --device cuda --synthetic   # ... on random images

All three do the same work: the same model, data held on the device as tensors and batched
by indexing a fresh permutation each epoch, the same batch size, optimizer and schedule
(one recipe builds them for all), bf16 autocast and channels_last on CUDA, and a validation
pass after every epoch. They run interleaved in one process (A B C, B C A, C A B, ...: the order rotates so
that none always runs first); each round times whole ``fit`` calls (set-up included) and the
table shows the median over rounds of samples/s and of the ratio to the plain loop measured
in the same round, by wall clock and by this process's CPU time (steadier on a shared
machine, blind to time spent waiting, e.g. on the checkpoint's fsync or on the GPU).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
import warnings
from typing import Any, Callable

import torch

from _common import ROOT, example, median, print_table, set_threads

from danfang.engine.trainer import fit
from danfang.data import ArraySplit, Splits
from danfang.job import Job, import_job_module, load_job
from danfang.recipes import get_recipe
from danfang.settings import validate_settings


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class Workload:
    """The job, the recipe and the precision every contender uses."""

    def __init__(self, job: Job, recipe: str, device: torch.device, epochs: int, compile: bool) -> None:
        self.job, self.recipe, self.device, self.epochs, self.compile = job, get_recipe(recipe), device, epochs, compile
        # the same fixed work for every contender: no time budget, no test-time augmentation
        self.settings = {**job.settings, "device": str(device), "epochs": epochs, "compile": compile,
                         "time_budget_s": None, "tta": None}
        self.cuda = device.type == "cuda"
        x, y = job.splits.train.arrays()
        vx, vy = job.splits.val.arrays()
        self.x, self.y, self.vx, self.vy = (t.to(device) for t in (x, y, vx, vy))
        self.batch_size = job.settings["batch_size"]
        self.steps = len(self.x) // self.batch_size + (1 if len(self.x) % self.batch_size > 1 else 0)

    def model(self) -> torch.nn.Module:
        torch.manual_seed(0)
        model = self.job.make_model().to(self.device)
        if self.cuda and self.x.ndim == 4:
            model = model.to(memory_format=torch.channels_last)
        return model

    def optim(self, model: torch.nn.Module) -> tuple[torch.optim.Optimizer, Any, str]:
        return self.recipe.build(model, self.settings, self.steps, self.epochs)

    def loss(self) -> torch.nn.Module:
        return torch.nn.CrossEntropyLoss(label_smoothing=float(self.settings["label_smoothing"] or 0.0))

    def batches(self, epoch: int):
        order = torch.randperm(len(self.x), generator=torch.Generator().manual_seed(epoch)).to(self.device)
        for start in range(0, len(self.x), self.batch_size):
            idx = order[start:start + self.batch_size]
            if len(idx) > 1:
                yield self.prep(self.x[idx]), self.y[idx]

    def val_batches(self):
        ebs = self.settings["eval_batch_size"] or 4 * self.batch_size
        for start in range(0, len(self.vx), ebs):
            yield self.prep(self.vx[start:start + ebs]), self.vy[start:start + ebs]

    def prep(self, x: torch.Tensor) -> torch.Tensor:
        return x.contiguous(memory_format=torch.channels_last) if self.cuda and x.ndim == 4 else x


def run_danfang(w: Workload, checkpoint: bool = True) -> None:
    """``danfang fit`` as users run it: run.json every epoch, crash-safe checkpoints spaced by their cost (the first and the last always)."""
    with tempfile.TemporaryDirectory() as tmp:
        fit(w.job, tmp, recipe=w.recipe.name, settings=w.settings, checkpoint=checkpoint)


def run_plain(w: Workload) -> None:
    model = w.model()
    opt, sched, interval = w.optim(model)
    loss_fn = w.loss()
    step = torch.compile(model) if w.compile else model
    for epoch in range(w.epochs):
        model.train()
        total = torch.zeros((), device=w.device)
        for x, y in w.batches(epoch):
            with torch.autocast(w.device.type, dtype=torch.bfloat16, enabled=w.cuda):
                loss = loss_fn(step(x), y)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            if sched is not None and interval == "step":
                sched.step()
            total += loss.detach()
        if sched is not None and interval == "epoch":
            sched.step()
        model.eval()
        correct = torch.zeros((), device=w.device, dtype=torch.long)
        with torch.no_grad(), torch.autocast(w.device.type, dtype=torch.bfloat16, enabled=w.cuda):
            for x, y in w.val_batches():
                correct += (step(x).argmax(1) == y).sum()
        float(total), int(correct)  # the per-epoch log line every loop prints


def run_lightning(w: Workload) -> None:
    try:
        import lightning as L
    except ImportError as exc:
        raise SystemExit("the Lightning baseline needs `pip install lightning` (or pass --no-lightning)") from exc
    for name in ("lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)

    class Batches:
        def __init__(self, make: Callable, n: int) -> None:
            self.make, self.n, self.epoch = make, n, 0

        def __len__(self) -> int:
            return self.n

        def __iter__(self):
            self.epoch += 1
            return iter(self.make(self.epoch - 1))

    class Module(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net, self.loss_fn = w.model(), w.loss()

        def training_step(self, batch, _):
            x, y = batch
            return self.loss_fn(self.net(x), y)

        def validation_step(self, batch, _):
            x, y = batch
            self.log("val_acc", (self.net(x).argmax(1) == y).float().mean())

        def configure_optimizers(self):
            opt, sched, interval = w.optim(self)
            return opt if sched is None else {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": interval}}

    module = Module()
    if w.compile:
        module = torch.compile(module)
    trainer = L.Trainer(max_epochs=w.epochs, accelerator="gpu" if w.cuda else "cpu", devices=1,
                        precision="bf16-mixed" if w.cuda else "32-true", logger=False,
                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                        num_sanity_val_steps=0, default_root_dir=tempfile.gettempdir())
    val = Batches(lambda _: w.val_batches(), 1)
    trainer.fit(module, Batches(w.batches, w.steps), val)


CONTENDERS: dict[str, Callable[[Workload], None]] = {
    "plain loop": run_plain, "danfang": run_danfang,
    "danfang, no checkpoints": lambda w: run_danfang(w, checkpoint=False), "lightning": run_lightning}


def synthetic_cifar_job() -> Job:
    """The CIFAR ResNet-18 job with random images in place of CIFAR-10 (no file needed)."""
    module = import_job_module(example("cifar10_resnet18"))
    g = torch.Generator().manual_seed(0)

    def split(n: int) -> ArraySplit:
        return ArraySplit(torch.randn(n, 3, 32, 32, generator=g), torch.randint(0, 10, (n,), generator=g))

    return Job(example("cifar10_resnet18"), module, module.model, Splits(split(50_000), split(10_000)),
               validate_settings(module.settings))


def workload(args: argparse.Namespace) -> Workload:
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: CUDA is not available on this machine.")
    if device.type == "cuda":
        job = synthetic_cifar_job() if args.synthetic else load_job(example("cifar10_resnet18"))
        return Workload(job, "sgd-cosine", device, args.epochs, args.compile)
    job = load_job(ROOT / "src" / "danfang" / "demo" / "mnist1d_cnn.py")
    return Workload(job, "adamw", device, args.epochs, args.compile)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs per timed fit (default: the demo job's 20 on CPU, 3 on CUDA)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (1 avoids oversubscription on a shared box)")
    parser.add_argument("--synthetic", action="store_true", help="GPU: random images instead of CIFAR-10")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model in every contender")
    parser.add_argument("--no-lightning", action="store_true")
    args = parser.parse_args()
    args.epochs = args.epochs or (3 if args.device.startswith("cuda") else 20)
    set_threads(args.threads)
    warnings.filterwarnings("ignore", module="lightning")
    torch.backends.cudnn.benchmark = True
    w = workload(args)
    names = [n for n in CONTENDERS if not (args.no_lightning and n == "lightning")]
    for name in names:  # warm-up: allocator, kernels, compilation, imports
        CONTENDERS[name](w)
    wall: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    samples = w.epochs * len(w.x)
    for r in range(args.rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:  # rotate: no contender always first
            sync(w.device)
            t0, c0 = time.perf_counter(), time.process_time()
            CONTENDERS[name](w)
            sync(w.device)
            wall[name].append(samples / (time.perf_counter() - t0))
            cpu[name].append(samples / (time.process_time() - c0))
        print(f"round {r + 1}: " + ", ".join(f"{n} {wall[n][-1]:,.0f}/s" for n in names), flush=True)

    def ratio(rates: dict[str, list[float]], name: str) -> str:
        return f"{median([a / b for a, b in zip(rates[name], rates['plain loop'])]):.3f}"

    rows = [[n, f"{median(wall[n]):,.0f}", ratio(wall, n), ratio(cpu, n)] for n in names]
    print(f"\n{w.job.name} on {w.device}, batch {w.batch_size}, {w.epochs} epochs a fit, {args.rounds} rounds, "
          f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)\n")
    print_table(["contender", "samples/s (median, wall)", "× plain loop (wall)", "× plain loop (CPU time)"], rows)


if __name__ == "__main__":
    main()
