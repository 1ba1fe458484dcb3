"""danfang's training checks as a PyTorch Lightning callback.

    from danfang.integrations.lightning import DanfangCallback

    cb = DanfangCallback()
    trainer = lightning.Trainer(callbacks=[cb])
    trainer.fit(model, datamodule)
    print(cb.report())        # or cb.findings, cb.series

Needs ``pip install "danfang[lightning]"``. Gradient accumulation counts batches, not
optimizer steps, in the cadence.
"""

from __future__ import annotations

from typing import Any, Iterable

from danfang.checks.training._base import TrainingCheck
from danfang.checks.training._watch import TrainingWatch
from danfang.findings import Finding
from danfang.probes.probe_set import DEFAULT_CADENCE

try:
    from lightning.pytorch.callbacks import Callback as _LightningCallback
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("danfang.integrations.lightning needs PyTorch Lightning: "
                      'pip install "danfang[lightning]"  (or: pip install lightning)') from exc


class DanfangCallback(_LightningCallback):
    """Probes every ``cadence`` training batches and runs danfang's training checks; findings
    collect in :attr:`findings` and, with ``verbose``, are printed once each as they appear."""

    def __init__(self, cadence: int = DEFAULT_CADENCE, checks: Iterable[TrainingCheck] | None = None,
                 verbose: bool = True) -> None:
        self.cadence, self.verbose = cadence, verbose
        self.checks = None if checks is None else list(checks)
        self.watch: TrainingWatch | None = None

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        total = trainer.estimated_stepping_batches
        total = int(total) if total and total != float("inf") else None
        self.watch = TrainingWatch(pl_module, self.cadence, self.checks, total_steps=total)

    def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int) -> None:
        self.watch.before_forward()

    def on_before_optimizer_step(self, trainer: Any, pl_module: Any, optimizer: Any) -> None:
        self.watch.after_backward()

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if loss is not None:
            self.watch.add_loss(loss)
        optimizers = trainer.optimizers
        lr = float(optimizers[0].param_groups[0]["lr"]) if optimizers else float("nan")
        known = len(self.watch.findings)
        self.watch.after_step(trainer.current_epoch, lr)
        if self.verbose:
            for f in self.watch.findings[known:]:
                print(f"danfang: {f.severity} {f.code}" + (f" [{f.where}]" if f.where else "") + f": {f.message}")

    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        if self.watch is not None:
            self.watch.close()

    @property
    def findings(self) -> list[Finding]:
        return list(self.watch.findings) if self.watch else []

    @property
    def series(self) -> dict[str, Any]:
        return self.watch.series.doc if self.watch else {}

    def report(self) -> str:
        if not self.findings:
            return "danfang: no training problems found."
        return "\n".join(f"- {f.severity} {f.code}" + (f" [{f.where}]" if f.where else "") +
                         f" at step {f.step}: {f.message}" for f in self.findings)
