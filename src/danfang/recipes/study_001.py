"""The recipes of the 001 optimizer x schedule study (``danfang study JOB --grid 001``).

Each arm changes one thing against the same SGD base (lr 0.1, momentum 0.9, weight decay
5e-4, no warmup), so that a claim compares two recipes that differ only in what it is about:

- learning rate x momentum: SGD with lr 0.01 / 0.1 x momentum 0.5 / 0.9, constant LR;
- schedules: ``StepLR`` (the core ``sgd-step`` recipe), cosine to 0, and ``ReduceLROnPlateau``
  stepped on the monitor (set ``settings['monitor'] = 'val_acc'`` to reproduce the article)
  in ``mode='min'`` (the bug: it cuts the LR while the accuracy *rises*) and ``mode='max'``,
  with no floor (``min_lr=0``) and with one (``min_lr`` = 10% of the LR);
- L2 strength: the cosine arm with weight decay 0, 5e-4 and 5e-3;
- optimizers: SGD + momentum + cosine against Adam (L2 in the gradient) and AdamW, both at
  1e-3 with a constant LR.

The plateau arms force their mode on purpose. ``danfang study`` trains without the monitor's
remedies, so nothing corrects them; under ``danfang fit --repair`` the schedule guard
(:mod:`danfang.remedies.schedule_guard`) would find ``scheduler_mode_mismatch`` and fix the
``plateau-acc-min*`` arms before the first step, which is what it is for.
"""

from __future__ import annotations

from danfang.recipes.base import Recipe

#: the base every arm departs from
SGD_BASE = {"optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "weight_decay": 5e-4}
#: the plateau arms at CPU scale: the article's patience of 10 over 200 epochs, shrunk to 2
PLATEAU = {**SGD_BASE, "schedule": "plateau", "plateau_factor": 0.1, "plateau_patience": 2}


def _lr_momentum(lr: float, momentum: float) -> Recipe:
    return Recipe(f"sgd-lr{lr:g}-m{momentum:g}", f"SGD {lr:g} + momentum {momentum:g}, wd 5e-4, constant LR",
                  **{**SGD_BASE, "lr": lr, "momentum": momentum})


STUDY_001: dict[str, Recipe] = {
    r.name: r
    for r in [
        *(_lr_momentum(lr, m) for lr in (0.01, 0.1) for m in (0.5, 0.9)),
        Recipe("sgd-cos", "SGD 0.1 + momentum 0.9, wd 5e-4, cosine to 0, no warmup",
               **SGD_BASE, schedule="cosine"),
        Recipe("sgd-cos-wd0", "SGD 0.1 + momentum 0.9, no weight decay, cosine to 0",
               **{**SGD_BASE, "weight_decay": 0.0}, schedule="cosine"),
        Recipe("sgd-cos-wd5e-3", "SGD 0.1 + momentum 0.9, wd 5e-3, cosine to 0",
               **{**SGD_BASE, "weight_decay": 5e-3}, schedule="cosine"),
        Recipe("plateau-acc-min", "SGD 0.1 + momentum 0.9, ReduceLROnPlateau x0.1 patience 2 in mode='min' "
               "whatever the monitor (the bug, on val_acc), min_lr=0", **PLATEAU, plateau_mode="min",
               plateau_min_lr=False),
        Recipe("plateau-acc-min-floor", "as plateau-acc-min, with min_lr = 10% of the LR",
               **PLATEAU, plateau_mode="min", min_lr_ratio=0.1),
        Recipe("plateau-acc-max", "SGD 0.1 + momentum 0.9, ReduceLROnPlateau x0.1 patience 2 in mode='max' "
               "(right for val_acc), min_lr=0", **PLATEAU, plateau_mode="max", plateau_min_lr=False),
        Recipe("adam", "Adam 1e-3, no weight decay, constant LR", optimizer="adam", lr=1e-3),
        Recipe("adamw-lr1e-3", "AdamW 1e-3, wd 0.01, constant LR", optimizer="adamw", lr=1e-3,
               weight_decay=0.01),
    ]
}

#: named grids of the study (the claims they test are in bench/study_001.py and docs/studies.md)
GRIDS_001: dict[str, list[str]] = {
    "001-lr-momentum": ["sgd-lr0.01-m0.5", "sgd-lr0.01-m0.9", "sgd-lr0.1-m0.5", "sgd-lr0.1-m0.9"],
    "001-schedules": ["sgd-lr0.1-m0.9", "sgd-step", "sgd-cos", "plateau-acc-max"],
    "001-plateau": ["plateau-acc-min", "plateau-acc-min-floor", "plateau-acc-max"],
    "001-l2": ["sgd-cos-wd0", "sgd-cos", "sgd-cos-wd5e-3"],
    "001-optimizers": ["sgd-cos", "adam", "adamw-lr1e-3"],
}
GRIDS_001["001"] = list(dict.fromkeys(n for grid in GRIDS_001.values() for n in grid))
