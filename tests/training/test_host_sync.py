"""The hot path never waits for the device: no host sync between probe steps.

On a GPU a host sync (``.item()``, ``float(t)``, ``if t:``, ``.tolist()``, boolean-mask
indexing, ``nonzero``…) stalls the CPU until the queued kernels finish, which is what makes
naive per-step hooks cost 12–21% on a fast GPU. CI has no GPU, so these tests record the
calls themselves on CPU with a :class:`~torch.overrides.TorchFunctionMode`: every
operation that would sync on CUDA is logged with the training step it happened in.
"""

from __future__ import annotations

from collections import Counter

import pytest
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

import danfang
from danfang.checks.training import TrainingMonitor
from danfang.engine.callback import Callback
from danfang.engine.trainer import Trainer
from danfang.job import load_job
from tests.conftest import HEALTHY_JOB

#: Tensor operations that make the host wait for the device (CUDA semantics).
SYNCING = {"item", "tolist", "numpy", "__bool__", "__float__", "__int__", "__index__",
           "nonzero", "masked_select", "unique", "equal", "allclose"}


def _bool_mask_index(func, args) -> bool:
    name = getattr(func, "__name__", "")
    return name in ("__getitem__", "__setitem__") and any(
        isinstance(a, torch.Tensor) and a.dtype == torch.bool
        for a in (args[1] if isinstance(args[1], tuple) else (args[1],)))


class SyncRecorder(TorchFunctionMode):
    """Log ``(step, operation)`` for every syncing tensor operation run while active."""

    def __init__(self) -> None:
        super().__init__()
        self.step = -1
        self.calls: list[tuple[int, str]] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", str(func))
        if name in SYNCING or (len(args) > 1 and _bool_mask_index(func, args)):
            self.calls.append((self.step, name))
        return func(*args, **(kwargs or {}))

    def per_step(self) -> Counter:
        return Counter(step for step, _ in self.calls)


def _blobs(n: int = 512):
    g = torch.Generator().manual_seed(0)
    centers = torch.randn(3, 8, generator=g) * 3
    y = torch.randint(0, 3, (n,), generator=g)
    return centers[y] + torch.randn(n, 8, generator=g), y


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 3))


def _user_loop(recorder: SyncRecorder, steps: int, cadence: int, sync_every_step: bool = False) -> None:
    x, y = _blobs()
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    mon = danfang.Monitor(model, opt, cadence=cadence)
    with recorder:
        for i in range(steps):
            recorder.step = i
            j = (i * 32) % (len(x) - 32)
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x[j:j + 32]), y[j:j + 32])
            loss.backward()
            opt.step()
            mon.step(loss)
            if sync_every_step:
                print(end=f"{loss.item():.0f}"[:0])  # the planted fault: a log line that syncs
    mon.close()


def test_monitor_in_a_user_loop_syncs_once_per_probe_step_only():
    recorder, cadence, steps = SyncRecorder(), 5, 40
    _user_loop(recorder, steps, cadence)
    per_step = recorder.per_step()
    probe_steps = {s for s in range(steps) if (s + 1) % cadence == 0}
    assert set(per_step) == probe_steps, recorder.calls
    assert all(n == 1 for n in per_step.values()), recorder.calls  # the one batched read-back
    assert {name for _, name in recorder.calls} == {"tolist"}


def test_the_recorder_catches_a_planted_per_step_sync():
    recorder, steps = SyncRecorder(), 12
    _user_loop(recorder, steps, cadence=5, sync_every_step=True)
    assert set(recorder.per_step()) == set(range(steps))
    assert ("item" in {name for _, name in recorder.calls})


class StepMarker(Callback):
    """Tells the recorder which optimizer step the loop is in."""

    def __init__(self, recorder: SyncRecorder) -> None:
        self.recorder = recorder

    def batch_start(self, state) -> None:
        self.recorder.step = state.step


class PlantedSync(Callback):
    def after_loss(self, state) -> None:
        if state.loss.item() < 0:  # a callback that reads the loss every step
            raise AssertionError


@pytest.mark.parametrize("planted", [False, True], ids=["healthy", "planted_sync"])
def test_fit_with_the_monitor_syncs_only_at_probe_steps_and_epoch_ends(write_job, tmp_path, planted):
    job = load_job(write_job(HEALTHY_JOB))
    recorder, cadence = SyncRecorder(), 4
    callbacks = [StepMarker(recorder), TrainingMonitor(cadence)] + ([PlantedSync()] if planted else [])
    trainer = Trainer(job, tmp_path / "run", callbacks=callbacks, checkpoint=False, evaluate_test=False)
    with recorder:
        result = trainer.fit()
    steps_per_epoch = len(job.splits.train) // job.settings["batch_size"] + 1
    epochs = len(result.history)
    allowed = {s for s in range(epochs * steps_per_epoch) if (s + 1) % cadence == 0}
    allowed |= {e * steps_per_epoch - 1 for e in range(1, epochs + 1)}  # epoch-end loss and evaluation
    offending = {s for s in recorder.per_step() if s not in allowed}
    if planted:
        assert offending, "the recorder missed a per-step .item()"
    else:
        assert not offending, [c for c in recorder.calls if c[0] in offending]
        assert cadence - 1 in recorder.per_step()  # the first probe step read its probes back
