"""Monitoring overhead: the same training with and without danfang's training monitor.

Runs are interleaved in ABBA order (off, on, on, off, off, on, ...), so drift in a shared
machine's load hits both sides alike and neither always runs first. The table compares the
medians, the median of the per-pair ratios, and the fastest run of each side (load only ever
adds time, so the minimum is the least disturbed estimate of the intrinsic cost), by wall
clock and by this process's CPU time (on a GPU only wall clock means anything: the CPU
mostly waits there).

    python bench/monitor_overhead.py                       # CPU, the demo MNIST-1D CNN
    python bench/monitor_overhead.py --device cuda         # GPU, ResNet-18 CIFAR-10, batch 512, bf16
    python bench/monitor_overhead.py --device cuda --synthetic   # without the CIFAR-10 files
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn


def resnet18_cifar(num_classes: int = 10) -> nn.Module:
    """ResNet-18 for 32x32 inputs (3x3 stem, no max-pool), as in the usual CIFAR-10 recipes."""

    class Block(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU()
            self.short = nn.Sequential() if stride == 1 and cin == cout else nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(out)) + self.short(x))

    layers, cin = [], 64
    for cout, stride in [(64, 1), (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1)]:
        layers.append(Block(cin, cout, stride))
        cin = cout
    return nn.Sequential(nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                         *layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, num_classes))


def _data(args: argparse.Namespace):
    if args.device == "cpu":
        from danfang.datasets import load_mnist1d

        (x, y), _ = load_mnist1d(channel=True)
        return torch.as_tensor(x), torch.as_tensor(y)
    if args.synthetic:
        g = torch.Generator().manual_seed(0)
        return torch.randn(args.batch_size * args.steps, 3, 32, 32, generator=g), \
            torch.randint(0, 10, (args.batch_size * args.steps,), generator=g)
    from danfang.datasets import load_cifar10

    (x, y), _ = load_cifar10(args.cifar)  # float32 (N, 3, 32, 32), standardised
    return torch.as_tensor(x), torch.as_tensor(y)


def _model(args: argparse.Namespace) -> nn.Module:
    if args.device == "cpu":
        from danfang.demo.mnist1d_cnn import model

        return model()
    return resnet18_cifar()


def run_once(args: argparse.Namespace, x: torch.Tensor, y: torch.Tensor, monitor: bool) -> tuple[float, float]:
    """Wall and CPU seconds for ``args.steps`` training steps (the user-loop path: ``danfang.Monitor``,
    with its loop checks unless ``--no-loop-checks``)."""
    from danfang.monitor import Monitor

    torch.manual_seed(0)
    dev = torch.device(args.device)
    model = _model(args).to(dev)
    if dev.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    mon = Monitor(model, opt, cadence=args.cadence, loop_checks=not args.no_loop_checks) if monitor else None
    n, bs = len(x), args.batch_size
    xs, ys = x.to(dev), y.to(dev)
    autocast = dev.type == "cuda"

    def step(i: int) -> None:
        j = (i * bs) % max(1, n - bs)
        xb, yb = xs[j:j + bs], ys[j:j + bs]
        opt.zero_grad(set_to_none=True)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=autocast):
            loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        if mon is not None:
            mon.step(loss)

    for i in range(args.warmup):
        step(i)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t, c = time.perf_counter(), time.process_time()
    for i in range(args.steps):
        step(i)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    if mon is not None:
        mon.close()
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--repeats", type=int, default=7, help="interleaved off/on pairs")
    ap.add_argument("--steps", type=int, default=None, help="timed steps a run (default 200 CPU, 100 GPU)")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=None, help="default 128 CPU, 512 GPU")
    ap.add_argument("--cadence", type=int, default=None, help="probe every k steps (default: danfang's)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-loop-checks", action="store_true",
                    help="Monitor(loop_checks=False): the training checks alone, as before the loop checks")
    ap.add_argument("--synthetic", action="store_true", help="GPU: random CIFAR-shaped data")
    ap.add_argument("--cifar", default=None, help="GPU: path for danfang.datasets.load_cifar10")
    args = ap.parse_args(argv)
    from danfang.probes import DEFAULT_CADENCE

    args.cadence = args.cadence or DEFAULT_CADENCE
    args.steps = args.steps or (200 if args.device == "cpu" else 100)
    args.batch_size = args.batch_size or (128 if args.device == "cpu" else 512)
    if args.device == "cuda" and not torch.cuda.is_available():
        ap.error("--device cuda but CUDA is not available here")
    torch.set_num_threads(args.threads)
    x, y = _data(args)
    runs = interleaved(lambda on: run_once(args, x, y, monitor=on), args.repeats)
    case = "MNIST-1D CNN (demo), CPU" if args.device == "cpu" else "ResNet-18 CIFAR-10 bf16, CUDA"
    print(f"{args.repeats} off/on pairs in ABBA order, torch {torch.__version__}, {torch.get_num_threads()} thread(s)\n")
    print_overhead_table(runs, case, f"{args.cadence}", f"{args.steps} x {args.batch_size}")
    return 0


def interleaved(run, repeats: int) -> dict[bool, list[tuple[float, float]]]:
    """``run(on)`` -> (wall s, CPU s), ``repeats`` off/on pairs in ABBA order (neither always first)."""
    runs: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for r in range(repeats):
        for on in ((False, True) if r % 2 == 0 else (True, False)):
            runs[on].append(run(on))
    return runs


def print_overhead_table(runs: dict[bool, list[tuple[float, float]]], case: str, cadence: str, size: str) -> None:
    """The Markdown table: medians, the median of the per-pair ratios, the fastest runs, by clock."""
    print("| case | clock | cadence | steps x batch | off (median s) | on (median s) | overhead (medians) | "
          "overhead (median of pairs) | overhead (fastest runs) |\n|---|---|---|---|---|---|---|---|---|")
    for k, clock in ((0, "wall"), (1, "process CPU")):
        off, on = [t[k] for t in runs[False]], [t[k] for t in runs[True]]
        m_off, m_on = statistics.median(off), statistics.median(on)
        pair = statistics.median(b / a for a, b in zip(off, on))
        print(f"| {case} | {clock} | {cadence} | {size} | {m_off:.3f} | {m_on:.3f} | "
              f"{(m_on / m_off - 1) * 100:+.1f}% | {(pair - 1) * 100:+.1f}% | {(min(on) / min(off) - 1) * 100:+.1f}% |")


if __name__ == "__main__":
    raise SystemExit(main())
