"""The hot path never waits for the device: no host sync between probe steps.

On a GPU a host sync (``.item()``, ``float(t)``, ``if t:``, ``.tolist()``, boolean-mask
indexing, ``nonzero``…) stalls the CPU until the queued kernels finish, which is what makes
naive per-step hooks cost 12–21% on a fast GPU. CI has no GPU, so these tests record the
calls themselves on CPU with a :class:`~torch.overrides.TorchFunctionMode`: every
operation that would sync on CUDA is logged with the training step it happened in.
"""

from __future__ import annotations

import sys
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
from tests.conftest import HEALTHY_JOB, blobs

#: Tensor operations that make the host wait for the device (CUDA semantics).
SYNCING = {"item", "tolist", "numpy", "__bool__", "__float__", "__int__", "__index__",
           "nonzero", "masked_select", "unique", "equal", "allclose"}


def _bool_mask_index(func, args) -> bool:
    name = getattr(func, "__name__", "")
    return name in ("__getitem__", "__setitem__") and any(
        isinstance(a, torch.Tensor) and a.dtype == torch.bool
        for a in (args[1] if isinstance(args[1], tuple) else (args[1],)))


def _host_side_optimizer_counter() -> bool:
    """torch's Adam/AdamW keep their ``step`` counters as CPU tensors on purpose (even when the
    weights are on CUDA), so the ``.item()`` they call on them waits for nothing."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.replace("\\", "/").endswith(
            ("/torch/overrides.py", "/torch/_tensor.py")):
        frame = frame.f_back  # the first frame outside torch's dispatch wrappers made the call
    return frame is not None and "/torch/optim/" in frame.f_code.co_filename.replace("\\", "/")


class SyncRecorder(TorchFunctionMode):
    """Log ``(step, operation)`` for every syncing tensor operation run while active."""

    def __init__(self) -> None:
        super().__init__()
        self.step = -1
        self.calls: list[tuple[int, str]] = []
        self.epoch_ends: set[int] = set()  # the step each epoch ended in (its loss read and evaluation)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", str(func))
        if (name in SYNCING or (len(args) > 1 and _bool_mask_index(func, args))) \
                and not _host_side_optimizer_counter():
            self.calls.append((self.step, name))
        return func(*args, **(kwargs or {}))

    def per_step(self) -> Counter:
        return Counter(step for step, _ in self.calls)


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 3))


def _user_loop(recorder: SyncRecorder, steps: int, cadence: int, sync_every_step: bool = False) -> None:
    x, y = blobs()
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
    # the loop checks' loss window reads the loss calls of its sampled steps (the first three,
    # then every 50th: LoopObserver(sample_every=50)); every other step reads nothing back
    sampled = {s for s in range(steps) if s < 3 or s % 50 == 0}
    assert set(per_step) == probe_steps | sampled, recorder.calls
    assert all(per_step[s] == 1 for s in probe_steps - sampled), recorder.calls  # the one batched read-back
    assert {name for s, name in recorder.calls if s not in sampled} == {"tolist"}


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

    def epoch_end(self, state) -> None:
        self.recorder.epoch_ends.add(self.recorder.step)


class PlantedSync(Callback):
    def after_loss(self, state) -> None:
        if state.loss.item() < 0:  # a callback that reads the loss every step
            raise AssertionError


def _fit_syncs(job_path, run_dir, callbacks, settings=None, recipe=None) -> SyncRecorder:
    recorder = SyncRecorder()
    trainer = Trainer(load_job(job_path), run_dir, callbacks=[StepMarker(recorder), *callbacks],
                      checkpoint=False, evaluate_test=False, settings=settings, recipe=recipe)
    with recorder:
        trainer.fit()
    return recorder


@pytest.mark.parametrize("planted", [False, True], ids=["healthy", "planted_sync"])
def test_fit_with_the_monitor_syncs_only_at_probe_steps_and_epoch_ends(write_job, tmp_path, planted):
    cadence = 4
    callbacks = [TrainingMonitor(cadence)] + ([PlantedSync()] if planted else [])
    recorder = _fit_syncs(write_job(HEALTHY_JOB), tmp_path / "run", callbacks)
    # step -1 is the set-up before the first step (the baseline loss is measured once there)
    allowed = {s for s in range(max(recorder.per_step()) + 1) if (s + 1) % cadence == 0} | recorder.epoch_ends | {-1}
    offending = {s for s in recorder.per_step() if s not in allowed}
    if planted:
        assert offending, "the recorder missed a per-step .item()"
    else:
        assert not offending, [c for c in recorder.calls if c[0] in offending]
        assert cadence - 1 in recorder.per_step()  # the first probe step read its probes back


@pytest.mark.parametrize("settings", [
    {"grad_clip": 1.0, "label_smoothing": 0.1},
    {"accumulate": 2},
], ids=["grad_clip", "accumulate"])
@pytest.mark.parametrize("recipe", ["sgd-cosine", "one-cycle", "adamw"])
def test_fit_options_never_sync_inside_a_step(write_job, tmp_path, settings, recipe):
    recorder = _fit_syncs(write_job(HEALTHY_JOB), tmp_path / "run", [], settings, recipe)
    assert recorder.epoch_ends and set(recorder.per_step()) <= recorder.epoch_ends | {-1}, recorder.calls
