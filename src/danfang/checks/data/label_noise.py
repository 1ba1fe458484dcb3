"""``label_noise``: training labels that look wrong (confident learning on out-of-sample votes)."""

from __future__ import annotations

import warnings

import numpy as np

from danfang.checks.base import Check
from danfang.checks.data._common import NEIGHBOURS, AuditContext, percent
from danfang.findings import Finding


def neighbour_probabilities(labels: np.ndarray, classes: int, smoothing: float = 0.1) -> np.ndarray:
    """Class probabilities from neighbour votes: ``(count_c + s) / (k + C s)``, shape (n, C).

    ``labels`` (n, k) holds the labels of each sample's k nearest *other* samples, so the
    votes never see a sample's own label: leave-one-out, the limit of out-of-fold.
    """
    n, k = labels.shape
    counts = np.zeros((n, classes))
    np.add.at(counts, (np.repeat(np.arange(n), k), labels.ravel()), 1.0)
    return (counts + smoothing) / (k + classes * smoothing)


class LabelNoise(Check):
    """Training samples whose label disagrees confidently with what their inputs look like.

    **Symptom:** training loss stays above zero on some samples that the model keeps
    getting "wrong"; accuracy saturates below what the model should reach; the model
    memorises the noise late in training (val loss rises).

    **Evidence:** out-of-sample class probabilities from a quick model — the votes of the
    10 nearest other training samples in the audit's embedding (leave-one-out; 96.5 %
    accurate on MNIST) — fed to confident learning (Northcutt et al. 2021, ``cleanlab``'s
    ``find_label_issues``, pruning by the estimated noise rate). Reported: the estimated
    noise rate, the most suspicious indices with their label and the class they look like.

    Confident learning cannot tell "mislabelled" from "hard for the quick model". The
    quick model's own error that the estimated noise does not explain, ``(1 - noise) -
    accuracy``, measures that: above 0.10 (MNIST-1D, where nearest neighbours reach 56 %)
    the check says it cannot judge (``info``) instead of guessing.

    **Likely causes:** annotation mistakes, labels shifted by one row, a class mapping
    mixed up, ambiguous samples.

    **Fix:** inspect the listed samples (the report's data view shows them), relabel or
    drop them; otherwise use label smoothing or a noise-robust loss. Severity ``warning``
    from an estimated 2 % noise (benchmark test sets hold about 3 %, Northcutt et al.);
    ``info`` for a few suspects.
    """

    code = "label_noise"
    WARN_RATE = 0.02
    MAX_UNEXPLAINED = 0.10
    SHOW = 20

    def run(self, ctx: AuditContext) -> list[Finding]:
        if ctx.task == "multilabel" or ctx.per_position():
            what = "multilabel targets" if ctx.task == "multilabel" else \
                f"per-position labels {tuple(ctx.train.y.shape[1:])} a sample"
            return [self.finding(
                "info",
                f"label noise not judged for {what}: the neighbour vote needs one class a sample.",
                "Re-check labels with the trained model's out-of-fold predictions (e.g. per position, "
                "cleanlab.segmentation for masks).",
                where="train", evidence={"judged": False, "task": ctx.task})]
        y = ctx.train.y.reshape(len(ctx.train.y), -1)[:, 0] if ctx.task == "binary" else ctx.train.y
        if ctx.labels("train") is None or y.ndim != 1 or not ctx.has_inputs or len(y) < 5 * NEIGHBOURS:
            return []
        present, labels = np.unique(y.astype(np.int64), return_inverse=True)
        if len(present) < 2:
            return []
        _, idx = ctx.train_neighbours()
        probs = neighbour_probabilities(labels[idx], len(present))
        from cleanlab.filter import find_label_issues

        with warnings.catch_warnings():  # "too few examples in class k": class_imbalance says that
            warnings.simplefilter("ignore", UserWarning)
            issues = find_label_issues(labels, probs, return_indices_ranked_by="self_confidence", n_jobs=1)
        rate = len(issues) / len(y)
        predicted = probs.argmax(1)
        accuracy = float((predicted == labels).mean())
        unexplained = (1.0 - rate) - accuracy
        suspects = [{"index": int(ctx.train.original(i)), "label": int(present[labels[i]]), "looks_like": int(present[predicted[i]]),
                     "confidence": round(float(probs[i, predicted[i]]), 3)} for i in issues[:self.SHOW]]
        judged = unexplained <= self.MAX_UNEXPLAINED
        evidence = {"judged": judged, "noise_rate": rate, "issues": int(len(issues)), "quick_model_accuracy": accuracy,
                    "unexplained_error": unexplained, "suspects": suspects, "neighbours": NEIGHBOURS,
                    "method": "confident learning (cleanlab) on leave-one-out nearest-neighbour votes"}
        if not judged:
            return [self.finding(
                "info",
                f"label noise not judged: the quick nearest-neighbour model reaches only "
                f"{percent(accuracy)} on train, so its disagreements say more about the task's "
                f"difficulty than about the labels.",
                "Re-check labels with the trained model's out-of-fold predictions "
                "(e.g. cleanlab.find_label_issues with cross-validated probabilities).",
                where="train", evidence=evidence)]
        if not len(issues):
            return []
        example = ", ".join(f"train[{s['index']}] labelled {s['label']} looks like {s['looks_like']}"
                            for s in suspects[:3])
        return [self.finding(
            "warning" if rate >= self.WARN_RATE else "info",
            f"about {percent(rate)} of training labels look wrong ({len(issues)} of {ctx.train.described()}); "
            f"most suspicious: {example}.",
            "Inspect the suspicious samples (data view of the report), relabel or drop them; "
            "otherwise train with label smoothing (settings['label_smoothing'] = 0.1) or a "
            "noise-robust loss.",
            where="train", evidence=evidence)]
