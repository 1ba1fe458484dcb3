"""danfang's training checks and loop checks as a PyTorch Lightning callback.

    from danfang.integrations.lightning import DanfangCallback

    cb = DanfangCallback()
    trainer = lightning.Trainer(callbacks=[cb])
    trainer.fit(model, datamodule)
    print(cb.report())        # or cb.findings, cb.series

Needs ``pip install "danfang[lightning]"``. Gradient accumulation counts batches, not
optimizer steps, in the cadence. The loop checks watch every module and optimizer of the
process from ``on_fit_start`` to ``on_fit_end`` (a LightningModule's ``training_step``
usually calls its inner modules, not itself); what Lightning does by design (its own
``zero_grad``, ``optimizer.step(closure)``, sanity-check validation in eval mode) trips none
of them.
"""

from __future__ import annotations

from typing import Any, Iterable

from danfang.checks.training._base import TrainingCheck
from danfang.integrations._user_loop import LoopFindingsView, UserLoopWatch
from danfang.probes.probe_set import DEFAULT_CADENCE

try:
    from lightning.pytorch.callbacks import Callback as _LightningCallback
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("danfang.integrations.lightning needs PyTorch Lightning: "
                      'pip install "danfang[lightning]"  (or: pip install lightning)') from exc


def _lr(optimizers: list) -> float:
    lr = optimizers[0].param_groups[0]["lr"] if optimizers else float("nan")
    return float(lr) if isinstance(lr, (int, float)) else float("nan")


class DanfangCallback(LoopFindingsView, _LightningCallback):
    """Probes every ``cadence`` training batches and runs danfang's training checks, and the
    loop checks throughout (``loop_checks=False`` leaves them out); findings collect in
    :attr:`findings` and, with ``verbose``, are printed once each as they appear."""

    def __init__(self, cadence: int = DEFAULT_CADENCE, checks: Iterable[TrainingCheck] | None = None,
                 verbose: bool = True, loop_checks: bool = True) -> None:
        LoopFindingsView.__init__(self, cadence, checks, verbose, loop_checks)

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        total = trainer.estimated_stepping_batches
        total = int(total) if total and total != float("inf") else None
        if self.loop is not None:
            self.loop.close()
        self.loop = UserLoopWatch(pl_module, cadence=self.cadence, checks=self.checks, total_steps=total,
                                  loop_checks=self.loop_checks, observe=False)

    def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int) -> None:
        self.loop.before_forward()

    def on_before_optimizer_step(self, trainer: Any, pl_module: Any, optimizer: Any) -> None:
        self.loop.after_backward()

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if loss is not None:
            self.loop.add_loss(loss)
        if self.loop.after_step(trainer.current_epoch, _lr(trainer.optimizers)):
            self._print_new()


    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        if self.loop is not None:
            self.loop.close()
            self._print_new()

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        if self.loop is not None:
            self.loop.close()
