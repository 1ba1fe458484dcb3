"""``danfang watch`` overhead: a plain MNIST training loop, and the same loop with the loop
observer attached as ``danfang watch`` attaches it (``LoopObserver(cadence=10)``: global module
forward and optimizer step hooks, the loss window on sampled steps, the training probes on the
stepped model), on the CPU.

Runs are interleaved in ABBA order, as in ``bench/monitor_overhead.py`` (its table: medians,
median of the per-pair ratios, fastest runs; wall clock and process CPU time). A watched run
is timed from ``attach()`` to ``detach()`` (the end-of-run judging included); writing the
report is a one-off cost after the script and is left out.

    python bench/watch_overhead.py                      # MLP 784-256-128-10 (the worst case: tiny steps)
    python bench/watch_overhead.py --model cnn          # a small two-layer CNN
    python bench/watch_overhead.py --model example      # pytorch/examples' mnist/main.py network
    python bench/watch_overhead.py --mnist PATH.npz     # real MNIST (else danfang's default paths, else random)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from torch import nn

from monitor_overhead import interleaved, print_overhead_table


class ExampleNet(nn.Module):
    """The network of pytorch/examples' mnist/main.py (functional ReLU, pooling, log-softmax)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 3, 1), nn.Conv2d(32, 64, 3, 1)
        self.dropout1, self.dropout2 = nn.Dropout(0.25), nn.Dropout(0.5)
        self.fc1, self.fc2 = nn.Linear(9216, 128), nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        F = nn.functional
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
        x = self.dropout2(F.relu(self.fc1(torch.flatten(self.dropout1(x), 1))))
        return F.log_softmax(self.fc2(x), dim=1)


def mnist_model(kind: str) -> nn.Module:
    """The MLP of the classic MNIST tutorials, a LeNet-sized CNN, or pytorch/examples' MNIST
    network (log-probabilities out, as that example feeds ``F.nll_loss``)."""
    if kind == "example":
        return ExampleNet()
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                             nn.Dropout(0.2), nn.Linear(128, 10), nn.LogSoftmax(dim=1))
    return nn.Sequential(nn.Conv2d(1, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.25), nn.Linear(512, 10), nn.LogSoftmax(dim=1))


def mnist_data(path: str | None, n: int) -> tuple[torch.Tensor, torch.Tensor, str]:
    """``n`` MNIST training images (N, 1, 28, 28) and labels, or random ones of that shape."""
    from danfang.datasets.mnist import load_mnist

    try:
        (x, y), _ = load_mnist(path)
        return torch.as_tensor(x[:n]), torch.as_tensor(y[:n]).long(), "MNIST"
    except Exception as exc:  # noqa: BLE001 - a benchmark runs on random data rather than not at all
        print(f"(MNIST not found: {exc}; random 28x28 images instead)")
        g = torch.Generator().manual_seed(0)
        return torch.rand(n, 1, 28, 28, generator=g), torch.randint(0, 10, (n,), generator=g), "random 28x28"


def run_once(args: argparse.Namespace, x: torch.Tensor, y: torch.Tensor, watched: bool) -> tuple[float, float]:
    """Wall and CPU seconds for ``args.steps`` steps of a plain loop, watched or not."""
    from danfang.loop import LoopObserver

    torch.manual_seed(0)
    model = mnist_model(args.model)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    n, bs = len(x), args.batch_size

    def step(i: int) -> None:
        j = (i * bs) % max(1, n - bs)
        opt.zero_grad()
        loss = nn.functional.nll_loss(model(x[j:j + bs]), y[j:j + bs])
        loss.backward()
        opt.step()

    for i in range(args.warmup):  # the same warm-up for both sides, before any hook exists
        step(i)
    t, c = time.perf_counter(), time.process_time()
    observer = LoopObserver(cadence=args.cadence).attach() if watched else None
    for i in range(args.steps):
        step(i)
    if observer is not None:
        observer.detach()
    return time.perf_counter() - t, time.process_time() - c


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="mlp", choices=["mlp", "cnn", "example"])
    ap.add_argument("--repeats", type=int, default=10, help="interleaved off/on pairs")
    ap.add_argument("--steps", type=int, default=300, help="timed steps a run")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--cadence", type=int, default=10, help="danfang watch's default")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--mnist", default=None, help="path of mnist.npz (default: danfang's search paths)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    default = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist.npz"
    x, y, source = mnist_data(args.mnist or (str(default) if default.exists() else None),
                              args.batch_size * (args.steps + args.warmup))
    runs = interleaved(lambda on: run_once(args, x, y, watched=on), args.repeats)
    print(f"{args.repeats} plain/watched pairs in ABBA order, torch {torch.__version__}, "
          f"{torch.get_num_threads()} thread(s), {source}\n")
    print_overhead_table(runs, f"MNIST {args.model.upper()}, danfang watch's observer, CPU", str(args.cadence),
                         f"{args.steps} x {args.batch_size}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
