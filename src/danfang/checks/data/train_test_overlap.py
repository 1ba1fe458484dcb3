"""``train_test_overlap``: validation or test samples that also sit in the training split."""

from __future__ import annotations

import numpy as np

from danfang.checks.base import Check
from danfang.checks.data._common import NEAR, AuditContext, examples, percent
from danfang.checks.data._chance import chance_matches
from danfang.checks.data._search import exact_pairs
from danfang.findings import Finding


class TrainTestOverlap(Check):
    """Samples of the validation or test split that are (near-)copies of training samples.

    **Symptom:** validation/test scores are optimistic: the model is graded on inputs it
    memorised; model selection on val favours memorisation.

    **Evidence:** exact matches of sample hashes across splits and near matches (closer
    than the near-duplicate radius of ``duplicate_samples`` in the cheap embedding); the number and fraction of leaked val/test samples, whether their labels
    agree, and example pairs ``[val index, train index]``.

    **Likely causes:** splitting after augmentation or deduplication was skipped, splitting
    rows of the same subject / patient / video into different splits, re-using a
    "held-out" set that was later merged into training.

    **Fix:** remove the leaked samples from val/test (or from train), and split by group
    (``sklearn.model_selection.GroupShuffleSplit``). Severity ``warning`` from 1 % of the
    split, where the score moves by about that much; ``info`` below, and for the exact
    matches a table of few distinct values makes by chance (``_chance.chance_matches``).
    """

    code = "train_test_overlap"
    WARN_FRACTION = 0.01
    #: Exact matches up to this multiple of those expected by chance (``_chance``) are what a
    #: table of few distinct values produces on its own: info, not a warning.
    CHANCE_MARGIN = 1.5

    def run(self, ctx: AuditContext) -> list[Finding]:
        if not ctx.has_inputs:
            return []
        out = []
        train_hash = ctx.hashes("train")
        for name, split in ctx.splits.items():
            if name == "train":
                continue
            exact = exact_pairs(ctx.hashes(name), train_hash)
            pairs = np.unique(np.concatenate([exact, ctx.near_pairs(name, "train")]), axis=0)
            if len(pairs) == 0:
                continue
            leaked = np.unique(pairs[:, 0])
            shown = np.stack([split.original(pairs[:20, 0]), ctx.train.original(pairs[:20, 1])], 1)
            frac = len(leaked) / len(split)
            same_label = None
            if ctx.task in ("classification", "binary") and split.y.ndim == 1:
                same_label = float((split.y[pairs[:, 0]] == ctx.train.y[pairs[:, 1]]).mean())
            n_exact = len(np.unique(exact[:, 0]))
            label_note = "" if same_label is None else f", {percent(same_label)} with the same label"
            chance = chance_matches(split.x, ctx.train.x)
            by_chance = chance is not None and n_exact <= self.CHANCE_MARGIN * chance + 3 and \
                len(leaked) <= n_exact + 3
            chance_note = (f" Inputs with so few distinct values match by chance: about {chance:.0f} of "
                           f"these {name} rows are expected to equal some training row from the features' "
                           "own value frequencies, so they may be different records." if by_chance else "")
            out.append(self.finding(
                "warning" if frac >= self.WARN_FRACTION and not by_chance else "info",
                f"{name}: {len(leaked)} of {split.described()} ({percent(frac)}) also appear in train "
                f"({n_exact} exact, {len(leaked) - n_exact} near{label_note}); "
                f"e.g. [{name}, train] {examples(shown, 3)}.{chance_note}",
                f"Remove these samples from {name} (or from train) and split by group so that "
                f"copies land in one split; re-measure {name} scores afterwards.",
                where=name,
                evidence={"split": name, "leaked": int(len(leaked)), "fraction": frac, "exact": n_exact,
                          "same_label_fraction": same_label, "pairs": examples(shown, 20),
                          "near_threshold": NEAR, "chance_matches": chance}))
        return out
