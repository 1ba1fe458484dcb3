"""Findings: everything the doctor concludes is data, never an exception (DESIGN §3)."""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from danfang.atomic import atomic_write_text

SEVERITIES = ("error", "warning", "info")
PHASES = ("data", "preflight", "training", "curves", "loop")
VERDICTS = ("healthy", "underfitting", "overfitting", "diverged", "not_learning", "inconclusive")

#: Stable codes of DESIGN §3 with their one-line meaning. Add new ones; never rename.
CODES: dict[str, tuple[str, str]] = {
    "nan_in_data": ("data", "NaN/Inf in inputs or targets"),
    "duplicate_samples": ("data", "exact or near-duplicate samples inside a split"),
    "train_test_overlap": ("data", "samples shared between train and val/test (leakage)"),
    "class_imbalance": ("data", "class frequencies far from uniform"),
    "label_noise": ("data", "samples whose labels look wrong"),
    "covariate_shift": ("data", "a classifier can tell train inputs from val inputs"),
    "unnormalized_inputs": ("data", "input features far from zero mean / unit scale"),
    "init_loss_off": ("preflight", "loss at init far from its expected value"),
    "cannot_overfit_batch": ("preflight", "the model cannot drive the loss on one small batch near zero"),
    "input_independent": ("preflight", "the model does no better with real inputs than with zeroed ones"),
    "batch_mixing": ("preflight", "the output for sample i depends on other samples' inputs"),
    "no_gradient": ("preflight", "parameters that never receive a gradient"),
    "gradcheck_failed": ("preflight", "a custom autograd function's backward disagrees with finite differences"),
    "loss_reduction_sum": ("preflight", "the loss scales with batch size (summed, not averaged)"),
    "double_softmax": ("preflight", "probabilities fed to a loss that expects logits"),
    "bad_init": ("preflight", "zero/constant weights or init scale far from Kaiming/Xavier"),
    "saturating_activation": ("preflight", "deep stack of sigmoid/tanh without normalisation"),
    "batchnorm_small_batch": ("preflight", "BatchNorm trained with very small batches"),
    "dropout_with_batchnorm": ("preflight", "Dropout feeding BatchNorm (variance shift)"),
    "weight_decay_on_norm_bias": ("preflight", "weight decay applied to biases and norm parameters"),
    "scheduler_mode_mismatch": ("preflight", "ReduceLROnPlateau mode disagrees with the monitored metric"),
    "no_min_lr": ("preflight", "a plateau schedule with no floor on the learning rate"),
    "loss_nan": ("training", "non-finite loss"),
    "exploding_gradients": ("training", "gradient norms growing without bound"),
    "vanishing_gradients": ("training", "gradients in early layers orders of magnitude below late layers"),
    "dying_relu": ("training", "a large share of ReLU units never active"),
    "activation_saturation": ("training", "sigmoid/tanh units stuck in their flat tails"),
    "update_ratio_high": ("training", "update/weight ratio far above ~1e-3"),
    "update_ratio_low": ("training", "update/weight ratio far below ~1e-3"),
    "loss_oscillating": ("training", "the loss swings up and down without settling"),
    "slow_convergence": ("training", "the loss barely moves"),
    "underfitting": ("curves", "train and val both poor"),
    "overfitting": ("curves", "val gets worse while train keeps improving"),
    "lr_floor": ("curves", "the learning rate decayed to ~0 long before the end"),
    "noisy_validation": ("curves", "the best validation score is a lone spike"),
    "still_improving": ("curves", "stopped while the validation metric was still improving"),
    "shortened_run": ("curves", "the curves come from a run doctor --budget cut to a subset of the data"),
    "no_optimizer_step": ("training", "epochs ran but no optimizer step was taken (the model never changed)"),
    "loss_diverged": ("training", "the training loss blew up while staying finite"),
    "grad_not_cleared": ("loop", "gradients accumulate across optimizer steps (no zero_grad)"),
    "step_changes_nothing": ("loop", "the optimizer steps but no parameter it holds can change"),
    "optimizer_not_holding_model": ("loop", "the model that trains is not (all) held by the optimizer"),
    "step_in_eval_mode": ("loop", "optimizer steps while the model is in eval mode"),
    "eval_in_train_mode": ("loop", "evaluation passes run with dropout/BatchNorm in train mode"),
    "loss_shape_broadcast": ("loop", "loss input and target shapes differ and broadcast"),
    "probabilities_to_logit_loss": ("loop", "probabilities (or logits) fed to a loss that expects the other"),
    "loss_unsuited_to_targets": ("loop", "a regression loss (MSE/L1) trained against class labels or one-hot vectors"),
    "output_range_unreachable": ("loop", "the model's output range cannot reach the targets"),
    "accumulation_unscaled": ("loop", "gradient accumulation without dividing the loss"),
    "unshuffled_batches": ("loop", "training batches each hold one class or labels in sorted order"),
    "labels_misaligned": ("loop", "the model learns the training set while validation stays at chance"),
}


def _jsonable(value: Any) -> Any:
    """Turn tensors, numpy values and non-finite floats into plain JSON values."""
    if hasattr(value, "tolist"):  # torch.Tensor, numpy array / scalar
        value = value.tolist()
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    return str(value)


@dataclass
class Finding:
    """One conclusion of a check, with the evidence that made it fire and a fix."""

    code: str
    severity: str
    message: str
    fix: str = ""
    phase: str = ""
    where: str | None = None
    epoch: int | None = None
    step: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"Finding severity must be one of {SEVERITIES}, got {self.severity!r}.")
        if not self.phase:
            self.phase = CODES.get(self.code, ("", ""))[0]
        if self.phase not in PHASES:
            raise ValueError(
                f"Finding {self.code!r} has phase {self.phase!r}; expected one of {PHASES}. "
                "Register new codes in danfang.findings.CODES."
            )

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Finding":
        keys = cls.__dataclass_fields__.keys()
        return cls(**{k: v for k, v in d.items() if k in keys})


def worst_severity(findings: Iterable[Finding]) -> str | None:
    ranks = {s: i for i, s in enumerate(SEVERITIES)}
    found = [f.severity for f in findings]
    return min(found, key=ranks.__getitem__) if found else None


def exit_code_for(findings: Iterable[Finding]) -> int:
    """DESIGN §2: 1 when at least one error-severity finding, else 0."""
    return 1 if any(f.severity == "error" for f in findings) else 0


def write_findings(path: str | os.PathLike, job: str, verdict: str, findings: list[Finding],
                   extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``findings.json`` (schema 1) atomically and return the document."""
    from danfang import __version__

    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
    doc = {"schema": 1, "danfang": __version__, "job": str(job), "verdict": verdict,
           "findings": [f.to_dict() for f in findings]}
    if extra:
        doc.update(_jsonable(extra))
    atomic_write_text(path, json.dumps(doc, indent=2))
    return doc
