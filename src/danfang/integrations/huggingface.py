"""danfang's training checks and loop checks as a Hugging Face ``transformers`` callback.

    from danfang.integrations.huggingface import DanfangTrainerCallback

    cb = DanfangTrainerCallback()
    trainer = transformers.Trainer(model=model, args=args, train_dataset=train, callbacks=[cb])
    trainer.train()
    print(cb.report())        # or cb.findings, cb.series

Needs ``pip install "danfang[huggingface]"`` (transformers 4.42 or later: the callback reads
the gradients in ``on_optimizer_step``, after ``optimizer.step()`` and before the Trainer's
``zero_grad``). The training loss is the ``loss`` the model returns from each training
forward (``outputs.loss``, as with ``labels`` in the batch); a ``compute_loss`` that ignores it
leaves the loss-based checks without data. The loop checks watch every module and optimizer
of the process from ``on_train_begin`` to ``on_train_end`` (Accelerate wraps the optimizer the
callback is given).
"""

from __future__ import annotations

from typing import Any, Iterable

import torch

from danfang.checks.training._base import TrainingCheck
from danfang.integrations._user_loop import LoopFindingsView, UserLoopWatch
from danfang.probes.probe_set import DEFAULT_CADENCE

try:
    from transformers import TrainerCallback as _TrainerCallback
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("danfang.integrations.huggingface needs Hugging Face transformers: "
                      'pip install "danfang[huggingface]"  (or: pip install transformers)') from exc


def _output_loss(output: Any) -> torch.Tensor | None:
    loss = output.get("loss") if isinstance(output, dict) else getattr(output, "loss", None)
    return loss if isinstance(loss, torch.Tensor) and loss.numel() == 1 else None


class DanfangTrainerCallback(LoopFindingsView, _TrainerCallback):
    """Probes every ``cadence`` optimizer steps and runs danfang's training checks, and the
    loop checks throughout (``loop_checks=False`` leaves them out); findings collect in
    :attr:`findings` and, with ``verbose``, are printed once each as they appear."""

    def __init__(self, cadence: int = DEFAULT_CADENCE, checks: Iterable[TrainingCheck] | None = None,
                 verbose: bool = True, loop_checks: bool = True) -> None:
        LoopFindingsView.__init__(self, cadence, checks, verbose, loop_checks)
        self._loss_hook = None

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        if not isinstance(model, torch.nn.Module):
            raise TypeError("DanfangTrainerCallback needs the Trainer's model (a torch.nn.Module), got "
                            f"{type(model).__name__}.")
        self._release()
        total = int(state.max_steps) if getattr(state, "max_steps", 0) else None
        self.loop = UserLoopWatch(model, cadence=self.cadence, checks=self.checks, total_steps=total,
                                  loop_checks=self.loop_checks, observe=False)
        self._loss_hook = model.register_forward_hook(self._on_forward)
        self.loop.prepare()

    def _on_forward(self, module: torch.nn.Module, args: tuple, output: Any) -> None:
        if module.training and torch.is_grad_enabled():
            loss = _output_loss(output)
            if loss is not None:
                self.loop.add_loss(loss)

    def on_optimizer_step(self, args: Any, state: Any, control: Any, optimizer: Any = None, **kwargs: Any) -> None:
        loop = self.loop
        loop.after_backward()  # gradient norms; Δw is against the snapshot taken by prepare()
        lr = optimizer.param_groups[0]["lr"] if optimizer is not None else float("nan")
        epoch = int(state.epoch) if state.epoch is not None else 0
        fired = loop.after_step(epoch, float(lr) if isinstance(lr, (int, float)) else float("nan"))
        loop.prepare()
        if fired:
            self._print_new()

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._release()
        self._print_new()

    def _release(self) -> None:
        if self._loss_hook is not None:
            self._loss_hook.remove()
            self._loss_hook = None
        if self.loop is not None:
            self.loop.close()
