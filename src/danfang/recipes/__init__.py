"""Named recipes (``danfang fit JOB --recipe NAME``).

Each is a :class:`Recipe`: optimizer, learning rate, weight decay (never on biases or
normalisation parameters) and schedule. ``DEFAULT`` is used when neither the job nor the
command line names one; it was chosen by measurement (``python bench/accuracy_mnist1d.py
--compare``, table in docs/recipes.md).

``STUDY_001`` holds the arms of the 001 optimizer x schedule study
(:mod:`danfang.recipes.study_001`); they are named recipes too (``get_recipe`` finds them,
``ALL_RECIPES`` lists both), kept apart so that ``RECIPES`` stays the short list of
general-purpose recipes that ``fit --help`` and the ``recipes`` grid show.
"""

from __future__ import annotations

from danfang.errors import UsageError
from danfang.recipes.base import Recipe
from danfang.recipes.study_001 import STUDY_001

RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in [
        Recipe("adamw", "AdamW 3e-4, wd 0.01, constant LR (the baseline)",
               optimizer="adamw", lr=3e-4, weight_decay=0.01),
        Recipe("sgd-cosine", "SGD 0.1 + Nesterov 0.9, wd 5e-4, 1 epoch linear warmup, cosine to 1%",
               optimizer="sgd", lr=0.1, nesterov=True, weight_decay=5e-4, schedule="cosine",
               warmup_epochs=1.0, min_lr_ratio=0.01),
        Recipe("sgd-step", "SGD 0.1 + momentum 0.9, wd 5e-4, StepLR x0.1 every 30% of the epochs",
               optimizer="sgd", lr=0.1, weight_decay=5e-4, schedule="step"),
        Recipe("plateau", "AdamW 1e-3, wd 0.01, ReduceLROnPlateau x0.3 (patience 3, floor 0.1%), "
               "mode from the monitor",
               optimizer="adamw", lr=1e-3, weight_decay=0.01, schedule="plateau", min_lr_ratio=1e-3),
        Recipe("one-cycle", "AdamW one-cycle to 3e-3, wd 0.05, label smoothing 0.1",
               optimizer="adamw", lr=3e-3, weight_decay=0.05, schedule="one-cycle",
               label_smoothing=0.1),
    ]
}

DEFAULT = "sgd-cosine"
ALL_RECIPES: dict[str, Recipe] = {**RECIPES, **STUDY_001}


def get_recipe(name: str | Recipe | None) -> Recipe:
    """The recipe called ``name`` (``DEFAULT`` when None); a :class:`Recipe` is returned as is."""
    if isinstance(name, Recipe):
        return name
    name = name or DEFAULT
    if name not in ALL_RECIPES:
        raise UsageError(f"unknown recipe {name!r}; choose one of: {', '.join(RECIPES)} "
                         f"(or an arm of the 001 study: {', '.join(STUDY_001)}).")
    return ALL_RECIPES[name]


__all__ = ["Recipe", "RECIPES", "STUDY_001", "ALL_RECIPES", "DEFAULT", "get_recipe"]
