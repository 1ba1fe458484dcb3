"""CIFAR-10 ResNet-18 on one GPU: test accuracy and training wall time.

    DANFANG_CIFAR10=/path/to/cifar10-jpeg.tar.xz python bench/accuracy_cifar10.py
    python bench/accuracy_cifar10.py --compile --seeds 2
    python bench/accuracy_cifar10.py --budget 50          # another time budget
    python bench/accuracy_cifar10.py --epochs 18          # a fixed 18 epochs, no time budget

Trains examples/cifar10_resnet18.py (50,000 images kept on the GPU, crop + flip on the
device, bf16 autocast, channels_last, batch 512, flip test-time augmentation) with the
default recipe and the job's settings, and prints the test accuracy of the last epoch and the
wall time of training (from the first epoch's start to the last epoch's end: model set-up and
data loading excluded; compilation, per-epoch evaluation and checkpoints included).

By default the job's time budget (``settings['time_budget_s']``) plans the epochs: as many as
fit, up to the job's ``epochs``, with the LR schedule re-fit to them. ``--budget S`` sets
another budget; ``--epochs N`` alone trains exactly N epochs with no budget, and with
``--budget`` it is the cap.
Target: >= 93.5% in <= 60 s on one H100.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import torch

from _common import example, print_table

from danfang.engine.trainer import fit
from danfang.job import load_job
from danfang.recipes import DEFAULT

TARGET_ACC, TARGET_S = 0.935, 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=None,
                        help="train exactly this many epochs (no time budget unless --budget is given: then the cap)")
    parser.add_argument("--budget", type=float, default=None, metavar="SECONDS",
                        help="time budget of training (default: the job's time_budget_s)")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model")
    parser.add_argument("--no-checkpoint", action="store_true", help="skip the per-epoch checkpoint")
    args = parser.parse_args()
    if args.budget is not None and args.budget <= 0:
        parser.error("--budget must be a positive number of seconds")
    if not torch.cuda.is_available():
        raise SystemExit("bench/accuracy_cifar10.py needs a CUDA GPU (the target is set for one H100).")
    torch.backends.cudnn.benchmark = True
    job = load_job(example("cifar10_resnet18"))
    budget = args.budget if args.budget is not None else (
        None if args.epochs is not None else job.settings["time_budget_s"])
    cap = args.epochs if args.epochs is not None else job.settings["epochs"]
    rows, accs = [], []
    for seed in range(args.seeds):
        settings = {"seed": seed, "compile": args.compile, "restore_best": False, "time_budget_s": budget}
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            result = fit(job, tmp, epochs=args.epochs, settings=settings, checkpoint=not args.no_checkpoint)
            total = time.perf_counter() - t0
        train_s = result.final["wall_s"]
        acc = result.final["val_acc"]  # the job's val split is the CIFAR-10 test set
        accs.append(acc)
        plan = result.budget
        epochs = f"{len(result.history)}" + (f" of {plan['max_epochs']} (planned at {plan['epoch_s']:.2f} s an epoch)"
                                             if plan else "")
        rows.append([seed, f"{100 * acc:.2f}%", epochs, f"{train_s:.1f}", f"{total:.1f}",
                     "yes" if acc >= TARGET_ACC and train_s <= TARGET_S else "no"])
        print(f"seed {seed}: test acc {acc:.4f}, {len(result.history)} epochs, training {train_s:.1f} s "
              f"(fit call {total:.1f} s)" + (f"; {result.stop_reason}" if result.stop_reason else ""), flush=True)
    plan_text = f"time budget {budget:g} s (epochs planned to it, cap {cap})" if budget else f"{cap} epochs (no time budget)"
    print(f"\nCIFAR-10 ResNet-18, recipe {DEFAULT}, {plan_text}, batch {job.settings['batch_size']}, "
          f"tta {job.settings['tta']}, {torch.cuda.get_device_name()}, torch {torch.__version__}\n")
    print_table(["seed", "test acc (last epoch)", "epochs", "training s", "fit call s",
                 f"≥ {100 * TARGET_ACC}% in ≤ {TARGET_S:.0f} s"], rows)
    if args.seeds > 1:
        print(f"\nmean test acc {100 * statistics.mean(accs):.2f}%")


if __name__ == "__main__":
    main()
