"""``duplicate_samples``: exact and near-duplicate samples inside one split."""

from __future__ import annotations

import numpy as np

from danfang.checks.base import Check
from danfang.checks.data._common import NEAR, AuditContext, examples, percent
from danfang.checks.data._chance import chance_pairs
from danfang.checks.data._search import exact_pairs, redundant
from danfang.findings import Finding


class DuplicateSamples(Check):
    """The same input, or nearly the same, appears more than once in a split.

    **Symptom:** the model sees some samples several times an epoch; validation or test
    scores count the same example repeatedly; duplicates with different labels teach
    contradictions.

    **Evidence:** exact duplicates by hashing each sample's bytes; near-duplicates as
    pairs closer than ``NEAR`` x the median distance between random training samples
    (and than ``NEAR_NN`` x the typical nearest-neighbour distance, lowered for data of low
    intrinsic dimension, where close points are natural: a 2-D Gaussian's points are not
    copies) in the audit's cheap embedding (see ``_common``). Reported: the number of redundant
    samples (copies beyond the first of each group), their fraction, how many duplicate
    pairs disagree on the label, and example index pairs.

    **Likely causes:** data scraped or merged from overlapping sources, augmentation
    applied before saving, a join that repeated rows, oversampling done on disk.

    **Fix:** deduplicate (keep one of each group; resolve conflicting labels). Severity
    ``warning`` from 1 % redundant samples, where the repeated ones weigh noticeably more
    in the loss; ``info`` for a few (natural data sets such as MNIST hold some), and for the
    exact copies a table of few distinct values makes by chance (``chance_pairs``: a table of
    three categorical columns repeats rows however it was collected).
    """

    code = "duplicate_samples"
    WARN_FRACTION = 0.01
    #: Exact pairs up to this multiple of the number expected by chance (``chance_pairs``) are
    #: what a table of few distinct values produces on its own: info, not a warning.
    CHANCE_MARGIN = 2.0

    def run(self, ctx: AuditContext) -> list[Finding]:
        if not ctx.has_inputs:
            return []
        out = []
        for name, split in ctx.splits.items():
            n = len(split)
            exact = exact_pairs(ctx.hashes(name))
            pairs = np.unique(np.concatenate([exact, ctx.near_pairs(name, name)]), axis=0)
            if len(pairs) == 0:
                continue
            extra = redundant(n, pairs)
            shown = np.stack([split.original(pairs[:20, 0]), split.original(pairs[:20, 1])], 1)
            n_exact = len(exact)
            conflicts = 0
            if ctx.task in ("classification", "binary") and split.y.ndim == 1:
                conflicts = int((split.y[pairs[:, 0]] != split.y[pairs[:, 1]]).sum())
            frac = extra / n
            chance = chance_pairs(split.x)
            by_chance = chance is not None and len(exact) <= self.CHANCE_MARGIN * chance + 3 and \
                extra <= len(exact) + 3
            severity = "warning" if frac >= self.WARN_FRACTION and not by_chance else "info"
            label_note = f"; {conflicts} duplicate pairs disagree on the label" if conflicts else ""
            chance_note = (f" Inputs with so few distinct values repeat by chance: about {chance:.0f} equal "
                           "pairs are expected from the features' own value frequencies, so these "
                           "may be different records." if by_chance else "")
            out.append(self.finding(
                severity,
                f"{name}: {extra} of {split.described()} ({percent(frac)}) are copies of another "
                f"({n_exact} exact, {extra - n_exact if extra > n_exact else 0} near){label_note}; "
                f"e.g. {name}{examples(shown, 3)}.{chance_note}",
                f"Deduplicate the {name} split: keep one sample of each group"
                + (" and fix the conflicting labels" if conflicts else "") + ".",
                where=name,
                evidence={"split": name, "redundant": extra, "fraction": frac, "exact": n_exact,
                          "near_pairs": int(len(pairs)), "label_conflicts": conflicts,
                          "pairs": examples(shown, 20), "near_threshold": NEAR,
                          "near_radius": _finite(ctx.near_radius()),
                          "intrinsic_dimension": _finite(ctx.intrinsic_dimension()),
                          "chance_equal_pairs": chance}))
        return out


def _finite(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None

