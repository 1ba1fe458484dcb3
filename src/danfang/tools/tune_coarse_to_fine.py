"""Coarse-to-fine search (CS231n, "Hyperparameter optimization"): a wide log-uniform stage, then
a stage narrowed around the best region of the first.

Stage 1 samples the learning rate in 1e-5..1 and the weight decay in 1e-6..1e-1, both
log-uniform, for the first half of the trials. Stage 2 samples, for the rest, the range spanned
in log10 space by the best :data:`TOP_FRACTION` of stage 1's complete trials (at least
:data:`MIN_TOP` of them), widened on each side by :data:`WIDEN` of that span (at least
:data:`MIN_HALF_DECADES` decades), and clipped to the stage-1 range, so it always lies inside
stage 1 and holds stage 1's best trial.

Only danfang's default space is narrowed: the recipe is the default one and the LR and weight
decay are absolute. A job with its own ``search_space(trial)`` (or its own ``optimizer()``) keeps
its space, and asking for coarse-to-fine on it is bad input.

The study records what it did: each trial's user attribute ``stage`` (1 or 2), and the study's
user attribute ``coarse_to_fine`` = ``{"recipe", "top_fraction", "stages": [{"stage", "trials",
"ranges": {param: [low, high]}, ...}]}``; stage 2 also names the stage-1 trials it narrowed
around (``from_trials``) and stage 1's best (``best_trial``, ``best_value``, ``best_params``).
A rerun of the same command resumes and keeps the stored ranges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from danfang.errors import UsageError
from danfang.job import Job
from danfang.recipes import DEFAULT
from danfang.tools.tune_storage import optuna_module

ATTR = "coarse_to_fine"
#: stage 1's ranges (CS231n: "search for hyperparameters on log scale", wide first)
WIDE: dict[str, tuple[float, float]] = {"lr": (1e-5, 1.0), "weight_decay": (1e-6, 1e-1)}
TOP_FRACTION = 0.2
MIN_TOP = 2
WIDEN = 0.25
MIN_HALF_DECADES = 0.25
MIN_TRIALS = 4


def param_name(name: str, stage: int) -> str:
    """Optuna parameter of ``name`` in ``stage`` (each stage has its own distribution)."""
    return name if stage == 1 else f"{name}_stage{stage}"


def stage_targets(trials: int) -> tuple[int, int]:
    """``(stage-1 trials, all trials)``: the first half (rounded up) is the coarse stage."""
    return math.ceil(trials / 2), trials


def check_job(job: Job, trials: int) -> None:
    """Coarse-to-fine needs danfang's default space and enough trials for two stages."""
    if getattr(job.module, "search_space", None) is not None:
        raise UsageError(f"{job.path} defines search_space(trial): --coarse-to-fine narrows only danfang's "
                         "default space (lr, weight decay). Remove --coarse-to-fine to search the job's "
                         "own space, or remove search_space to search coarse-to-fine.")
    if job.optimizer_fn is not None:
        raise UsageError(f"{job.path} defines its own optimizer(): --coarse-to-fine searches the lr and weight "
                         "decay of danfang's recipe. Remove --coarse-to-fine, or the job's optimizer().")
    if trials < MIN_TRIALS:
        raise UsageError(f"--coarse-to-fine needs --trials >= {MIN_TRIALS} (two stages of at least 2), "
                         f"got {trials}.")


def suggest(trial: Any, stage: int, ranges: dict[str, list[float]]) -> dict[str, Any]:
    """The settings of one trial of ``stage``, log-uniform in ``ranges``; records ``stage``."""
    trial.set_user_attr("stage", stage)
    params: dict[str, Any] = {"recipe": DEFAULT}
    for name, (low, high) in ranges.items():
        params[name] = trial.suggest_float(param_name(name, stage), low, high, log=True)
    return params


def narrow(trials: list[Any], wide: dict[str, tuple[float, float]], maximize: bool) -> dict[str, Any]:
    """Stage 2 from stage 1's complete trials: ``{"ranges", "from_trials", "best_trial", ...}``."""
    if len(trials) < MIN_TOP:
        raise ValueError(f"stage 1 completed {len(trials)} trial(s); narrowing needs at least {MIN_TOP}")
    ranked = sorted(trials, key=lambda t: t.value, reverse=maximize)
    top = ranked[:max(MIN_TOP, math.ceil(TOP_FRACTION * len(ranked)))]
    ranges = {}
    for name, (low, high) in wide.items():
        logs = [math.log10(t.params[name]) for t in top]
        span = max(logs) - min(logs)
        pad = max(WIDEN * span, MIN_HALF_DECADES)
        lo = max(math.log10(low), min(logs) - pad)
        hi = min(math.log10(high), max(logs) + pad)
        ranges[name] = [10 ** lo, 10 ** hi]
    best = ranked[0]
    return {"ranges": ranges, "from_trials": [t.number for t in top], "best_trial": best.number,
            "best_value": best.value, "best_params": {k: best.params[k] for k in wide}}


@dataclass
class Plan:
    """Where a coarse-to-fine study stands: its stored record and the two targets."""

    record: dict[str, Any]
    stage1_target: int
    target: int

    @property
    def narrowed(self) -> dict[str, Any] | None:
        return self.record["stages"][1] if len(self.record["stages"]) > 1 else None

    def ranges(self, stage: int) -> dict[str, list[float]]:
        return self.record["stages"][stage - 1]["ranges"]


def open_plan(study: Any, trials: int) -> Plan:
    """The study's stored plan, or a new one (stored); refuses a study made without stages."""
    record = study.user_attrs.get(ATTR)
    if record is None:
        if study.get_trials(deepcopy=False):
            raise UsageError(f"study {study.study_name} already holds trials searched without --coarse-to-fine; "
                             "pass another --study (or --out) for a coarse-to-fine search.")
        n1, _ = stage_targets(trials)
        record = {"recipe": DEFAULT, "top_fraction": TOP_FRACTION,
                  "stages": [{"stage": 1, "trials": n1, "ranges": {k: list(v) for k, v in WIDE.items()}}]}
        study.set_user_attr(ATTR, record)
    n1 = int(record["stages"][0]["trials"])
    if trials <= n1:
        raise UsageError(f"study {study.study_name} spends its first {n1} trials on the coarse stage; "
                         f"--trials {trials} leaves none for the fine stage: pass --trials > {n1}.")
    return Plan(record, n1, trials)


def refuse_plain_rerun(study: Any) -> None:
    """A coarse-to-fine study rerun without ``--coarse-to-fine`` would mix two spaces."""
    if ATTR in study.user_attrs:
        raise UsageError(f"study {study.study_name} is a coarse-to-fine search; rerun it with --coarse-to-fine "
                         "(or pass another --study).")


def record_stage2(study: Any, plan: Plan) -> dict[str, list[float]]:
    """Narrow around stage 1 (once; a rerun keeps the stored ranges) and store stage 2."""
    if plan.narrowed is None:
        state = optuna_module().trial.TrialState
        done = [t for t in study.get_trials(deepcopy=False, states=(state.COMPLETE,))
                if t.user_attrs.get("stage") == 1]
        try:
            stage2 = narrow(done, WIDE, maximize=study.direction.name == "MAXIMIZE")
        except ValueError as exc:  # the caller reports it (exit 1): a run outcome, not bad input
            raise ValueError(f"{exc} (the others were pruned or failed); rerun with more --trials") from None
        plan.record["stages"].append({"stage": 2, "trials": plan.target - plan.stage1_target, **stage2})
        study.set_user_attr(ATTR, plan.record)
    plan.record["stages"][1]["trials"] = plan.target - plan.stage1_target
    study.set_user_attr(ATTR, plan.record)
    return plan.ranges(2)


def describe(record: dict[str, Any]) -> list[str]:
    """The search space and its narrowing, one line a stage (for the terminal and the docs)."""
    lines = []
    for st in record["stages"]:
        ranges = ", ".join(f"{k} {lo:.3g}..{hi:.3g}" for k, (lo, hi) in st["ranges"].items())
        extra = ""
        if st["stage"] == 2:
            extra = (f" (around the best {len(st['from_trials'])} of stage 1: trials "
                     f"{', '.join(map(str, st['from_trials']))}; stage-1 best trial {st['best_trial']} = "
                     f"{st['best_value']:.4g})")
        kind = "coarse" if st["stage"] == 1 else "fine"
        lines.append(f"stage {st['stage']} ({kind}, {st['trials']} trials, log-uniform): {ranges}{extra}")
    return lines
