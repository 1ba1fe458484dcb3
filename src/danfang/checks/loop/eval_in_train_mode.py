"""eval_in_train_mode: evaluation passes run with dropout/BatchNorm in train mode."""

from __future__ import annotations

from danfang.checks.loop._base import LoopCheck
from danfang.findings import Finding
from danfang.loop.record import LoopRecord


class EvalInTrainMode(LoopCheck):
    """Symptom: validation scores are noisy and worse than they should be; BatchNorm's running
    statistics drift towards the validation data.

    Evidence: a trained model with dropout or BatchNorm ran forwards under
    ``torch.no_grad()``/``inference_mode`` with ``training`` True, in a pass that computed a
    loss or held at least two forwards (a lone no-grad forward, e.g. sampling a GAN's
    fixed noise, is not judged).

    Likely causes: the validation loop is missing ``model.eval()``.

    Fix: call ``model.eval()`` before validation (and ``model.train()`` after it).
    """

    code = "eval_in_train_mode"

    def run(self, record: LoopRecord) -> list[Finding]:
        return [self.found(
            "warning", f"{m.name} ran {m.nograd_train_mode} no-grad forwards in train mode "
            f"({m.nograd_train_mode_passes} evaluation pass(es)): dropout was on and BatchNorm updated its "
            "running statistics with evaluation data.",
            "Validation runs without model.eval(): call model.eval() before evaluating and model.train() after.",
            where=m.name, step=record.steps, nograd_train_forwards=m.nograd_train_mode,
            passes=m.nograd_train_mode_passes)
            for m in record.models.values() if m.stepped and m.nograd_train_mode_passes >= 1]
