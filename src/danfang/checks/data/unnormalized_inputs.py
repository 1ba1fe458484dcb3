"""``unnormalized_inputs``: input features far from zero mean / unit scale.

Also home of :func:`input_statistics`, the train-only statistics ``fit --normalize`` uses.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from danfang.checks.base import Check
from danfang.checks.data._common import AuditContext
from danfang.checks.data._embedding import input_kind
from danfang.findings import Finding


def input_statistics(x: Any) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of inputs ``x`` (N, ...) with ``keepdims`` shapes ready to broadcast.

    Per feature for flat inputs (N, D); per channel for (N, C, ...) inputs and for (N, H, W)
    images. A constant feature gets std 1 (it is only centred), so a value unseen in
    training cannot be blown up by a division by ~0.
    """
    x = np.asarray(x)
    if x.ndim <= 2:
        axes: tuple[int, ...] = (0,)
    elif x.ndim == 3 and input_kind(x) == "image":  # (N, H, W): one channel
        axes = (0, 1, 2)
    else:
        axes = (0, *range(2, x.ndim))
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        x = np.where(np.isfinite(x), x, np.nan)
        mean, std = np.nanmean(x, axis=axes, keepdims=True), np.nanstd(x, axis=axes, keepdims=True)
    else:
        mean, std = x.mean(axis=axes, dtype=np.float64, keepdims=True), x.std(axis=axes, dtype=np.float64, keepdims=True)
    std = np.where(std > 1e-8, std, 1.0)
    return mean.astype(np.float32), std.astype(np.float32)


def is_categorical(dtype: Any) -> bool:
    """Integer (or bool) inputs other than ``uint8`` pixels: token ids, category indices."""
    if dtype is None:
        return False
    if isinstance(dtype, torch.dtype):
        return not dtype.is_floating_point and not dtype.is_complex and dtype != torch.uint8
    dtype = np.dtype(dtype)
    return dtype.kind in "iub" and dtype != np.uint8


class UnnormalizedInputs(Check):
    """Inputs on a scale far from zero mean and unit variance.

    **Symptom:** slow or unstable training: the first layer's pre-activations are huge
    (saturated units, exploding gradients) or tiny; the learning rate that suits one
    feature is wrong for another; the usual initialisations assume unit-scale inputs.

    **Evidence:** per feature (flat inputs) or per channel (images, signals) mean and
    standard deviation of the training split. Fires when some have ``|mean| > 3`` or
    ``std > 10``, or when the root-mean-square value of all inputs is below 0.01. Inputs
    in [0, 1] or [-1, 1] (MNIST's 0.13 ± 0.31) train fine and stay silent; raw 0-255
    pixels (33 ± 78) or a feature in thousands fire.

    **Likely causes:** raw pixels or raw physical units, a forgotten ``/ 255``, a
    normalisation applied twice or to one split only.

    **Fix:** standardise every split with the **training** split's mean and std,
    ``danfang fit --normalize`` (statistics from val/test would leak them).

    **Not judged.** Integer inputs other than ``uint8`` (token ids, category or item
    indices fed to an ``nn.Embedding``) are categorical: their mean and scale mean
    nothing, and standardising them would break the embedding lookup, so they give an
    ``info`` "not judged". ``uint8`` inputs are judged as raw pixels.
    """

    code = "unnormalized_inputs"
    MEAN_FAR, STD_FAR, RMS_TINY = 3.0, 10.0, 0.01

    def run(self, ctx: AuditContext) -> list[Finding]:
        x = ctx.train.x
        if not ctx.has_inputs or len(x) == 0:
            return []
        dtype = ctx.train.dtype
        if is_categorical(dtype):
            return [self.finding(
                "info",
                f"input scale not judged: the inputs are integers ({dtype}), i.e. categorical "
                "(token ids or indices, e.g. for an nn.Embedding), which are not normalised.",
                "Nothing to do for token ids; if these integers are measurements, convert them to "
                "float (and standardise them with the training split's statistics).",
                where="train", evidence={"judged": False, "dtype": str(dtype)})]
        mean, std = input_statistics(x)
        m, s = mean.ravel(), std.ravel()
        far = np.flatnonzero((np.abs(m) > self.MEAN_FAR) | (s > self.STD_FAR))
        head = x[:5000][np.isfinite(x[:5000])].astype(np.float64)
        rms = float(np.sqrt(np.mean(head ** 2))) if head.size else 0.0
        tiny = 0 < rms < self.RMS_TINY
        if not len(far) and not tiny:
            return []
        unit = "feature" if x.ndim <= 2 else "channel"
        worst = far[np.argsort(-np.maximum(np.abs(m[far]), s[far]))][:3] if len(far) else []
        detail = (", ".join(f"{unit} {j}: mean {m[j]:.3g}, std {s[j]:.3g}" for j in worst) if len(far)
                  else f"root-mean-square value {rms:.2g}")
        count = f"{len(far)} of {m.size} {unit}s" if len(far) else "the inputs"
        return [self.finding(
            "warning",
            f"train inputs are not normalised: {count} far from mean 0 / std 1 ({detail}).",
            "Standardise every split with the training split's statistics: danfang fit --normalize "
            "(x = (x - mean) / std per " + unit + ", mean and std from train only).",
            where="train",
            evidence={"per": unit, "mean": np.round(m, 6).tolist()[:256], "std": np.round(s, 6).tolist()[:256],
                      "far": far.tolist()[:256], "rms": rms}),
        ]
