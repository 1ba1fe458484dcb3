"""``danfang ensemble``: "the last weapon", measured — what K models buy over one.

Four kinds, each trained with the engine's :class:`~danfang.engine.trainer.Trainer`:

- ``seeds``: K runs with seeds ``seed … seed+K-1``; the ensemble averages their softmax
  outputs (their outputs, for regression);
- ``snapshots``: one run of the job's epochs: the recipe's warmup (whole epochs), then K
  cosine cycles with warm restarts (``CosineAnnealingWarmRestarts``, the remainder of the
  epochs dropped); the K end-of-cycle snapshots are averaged;
- ``swa``: one run of the job's epochs whose last K epochs hold the LR at ``swa_lr``
  (``SWALR``) and average the weights (``AveragedModel``), BatchNorm statistics recomputed
  with ``update_bn``; the members are the K averaged epochs' weights;
- ``distill``: the ``seeds`` ensemble teaches one model of the original size (KL to its
  soft targets at temperature T, plus the hard loss; :mod:`danfang.tools.distillation`).

Every model is scored on the test split (val when the job has none). The folder holds
``ensemble.json`` (members, ensemble, gains with paired bootstrap 95% intervals over the
examples), ``predictions.npz``, ``weights.pt``, the members' runs under ``members/`` and
``report.html``.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from danfang.data import ArraySplit, Splits
from danfang.engine.trainer import RunResult, Trainer
from danfang.errors import UsageError
from danfang.findings import atomic_write_text
from danfang.job import Job, load_job
from danfang.recipes import get_recipe
from danfang.tools.distillation import DistillationLoss, packed_targets
from danfang.tools.ensemble_callbacks import SnapshotCycles, WeightAveraging, recompute_batch_norm
from danfang.tools.ensemble_metrics import TASKS, Scores, as_prediction, gain, predict, score

KINDS = ("seeds", "snapshots", "swa", "distill")
MAX_MEMBERS = 64
#: settings that would cut a one-run ensemble short or re-plan its epochs
ONE_RUN = {"patience": None, "time_budget_s": None, "restore_best": False}


@dataclass
class Model:
    """One scored model of the folder: a member, the ensemble, the SWA base or the student."""

    name: str
    role: str                 # "member" | "ensemble" | "student" | "base"
    prediction: torch.Tensor
    scores: Scores
    run: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class EnsembleResult:
    folder: Path
    kind: str
    models: list[Model]
    gains: list[dict[str, Any]]
    doc: dict[str, Any]


def snapshot_warmup(job: Job, recipe: str | None) -> int:
    """Whole epochs of warmup before the first snapshot cycle: the recipe's, rounded up (none
    when the job brings its own optimizer)."""
    if job.optimizer_fn is not None:
        return 0
    return math.ceil(get_recipe(recipe).warmup_epochs)


def check_arguments(kind: str, members: int, epochs: int, task: str, temperature: float, alpha: float,
                    warmup: int = 0) -> None:
    if kind not in KINDS:
        raise UsageError(f"--kind {kind!r}: expected one of {', '.join(KINDS)}.")
    if not 2 <= members <= MAX_MEMBERS:
        raise UsageError(f"--members must be between 2 and {MAX_MEMBERS} (an ensemble of one is one model), "
                         f"got {members}.")
    if task not in TASKS or (kind == "distill" and task != "classification"):
        allowed = "classification" if kind == "distill" else " and ".join(TASKS)
        raise UsageError(f"danfang ensemble --kind {kind} handles {allowed} jobs; this job's task is {task!r} "
                         "(set settings['task'] if it was inferred wrongly).")
    if kind == "snapshots" and (epochs - warmup) // members < 1:
        raise UsageError(f"--kind snapshots cuts the job's {epochs} epochs ({warmup} of warmup first) into "
                         f"--members {members} cycles; give at least {members + warmup} epochs (--epochs) or "
                         "fewer members.")
    if kind == "swa" and epochs <= members:
        raise UsageError(f"--kind swa averages the last --members {members} of the job's {epochs} epochs and "
                         f"needs at least one epoch before them; give --epochs {members + 1} or more.")
    if not temperature > 0 or not 0 <= alpha <= 1:
        raise UsageError(f"--temperature must be > 0 and --alpha in [0, 1]; got {temperature} and {alpha}.")


class _Builder:
    """Trains and scores the models of one ensemble folder."""

    def __init__(self, job: Job, out: Path, recipe: str | None, epochs: int, quiet: bool) -> None:
        self.job, self.out, self.recipe, self.epochs, self.quiet = job, out, recipe, epochs, quiet
        self.task = job.task
        self.split_name = "test" if job.splits.test is not None else "val"
        self.split = job.splits.test if job.splits.test is not None else job.splits.val
        s = job.settings
        self.eval_bs = s["eval_batch_size"] or 4 * s["batch_size"]
        self.targets: torch.Tensor | None = None
        self.weights: dict[str, Any] = {}     # what weights.pt keeps

    def train(self, name: str, job: Job | None = None, callbacks: tuple = (), epochs: int | None = None,
              **settings: Any) -> RunResult:
        return Trainer(job or self.job, self.out / "members" / name, recipe=self.recipe, epochs=epochs or self.epochs,
                       callbacks=callbacks, quiet=self.quiet, checkpoint=False, settings=settings,
                       evaluate_test=True).fit()

    def scored(self, name: str, role: str, model: torch.nn.Module, run: str | None = None,
               **extra: Any) -> Model:
        out, y = predict(model, self.split, self.eval_bs)
        if self.task == "classification" and out.ndim != 2:
            raise UsageError(f"{self.job.path}: danfang ensemble averages (N, C) class scores; the model "
                             f"returns {tuple(out.shape)} (per-position outputs are not supported).")
        self.targets = y
        p = as_prediction(self.task, out)
        return Model(name, role, p, score(self.task, p, y), run, dict(extra))

    def averaged(self, name: str, members: list[Model]) -> Model:
        p = torch.stack([m.prediction for m in members]).mean(0)
        assert self.targets is not None
        return Model(name, "ensemble", p, score(self.task, p, self.targets))

    def with_weights(self, model: torch.nn.Module, weights: dict[str, torch.Tensor]) -> torch.nn.Module:
        m = copy.deepcopy(model)
        m.load_state_dict(weights)
        return m

    # -- the kinds -----------------------------------------------------------------------
    def seeds(self, k: int) -> tuple[list[Model], list[RunResult]]:
        base = self.job.settings["seed"]
        models, runs = [], []
        for i in range(k):
            res = self.train(f"seed{base + i}", seed=base + i)
            runs.append(res)
            models.append(self.scored(f"seed{base + i}", "member", res.model, f"members/seed{base + i}"))
        self.weights = {"members": [{n: v.cpu() for n, v in r.model.state_dict().items()} for r in runs]}
        return models + [self.averaged("ensemble", models)], runs

    def snapshots(self, k: int) -> tuple[list[Model], dict[str, Any]]:
        warm = snapshot_warmup(self.job, self.recipe)
        cycle = (self.epochs - warm) // k
        cb = SnapshotCycles(cycle, warm)
        res = self.train("run", callbacks=(cb,), epochs=warm + cycle * k, **ONE_RUN)
        members = [self.scored(f"snapshot {i + 1} (epoch {e})", "member", self.with_weights(res.model, w),
                               "members/run") for i, (w, e) in enumerate(zip(cb.snapshots, cb.snapshot_epochs))]
        self.weights = {"members": cb.snapshots}
        return members + [self.averaged("ensemble", members)], {
            "warmup_epochs": warm, "cycle_epochs": cycle, "epochs": warm + cycle * k,
            "schedule": "LinearLR warmup, then CosineAnnealingWarmRestarts, per step"}

    def swa(self, k: int, swa_lr: float | None) -> tuple[list[Model], dict[str, Any]]:
        start = self.epochs - k
        cb = WeightAveraging(start, swa_lr)
        res = self.train("run", callbacks=(cb,), **ONE_RUN)
        members = [self.scored(f"epoch {start + i + 1}", "member", self.with_weights(res.model, w), "members/run")
                   for i, w in enumerate(cb.members)]
        averaged = cb.averaged_module()
        device = next(averaged.parameters()).device
        bs = self.job.settings["batch_size"]
        inputs = (b[0] for b in self.job.splits.train.batches(bs, shuffle=True, seed=self.job.settings["seed"]))
        bn = recompute_batch_norm(averaged, inputs, device)
        swa_model = self.scored("swa", "ensemble", averaged, "members/run", bn_recomputed=bn)
        assert cb.before is not None
        base = self.scored(f"before averaging (epoch {start})", "base", self.with_weights(res.model, cb.before))
        self.weights = {"swa": {k2: v.cpu() for k2, v in averaged.state_dict().items()}, "members": cb.members}
        return members + [swa_model, base], {"swa_start_epoch": start + 1, "swa_lr": cb.swa_lr,
                                             "bn_recomputed": bn, "epochs": self.epochs}

    def distill(self, k: int, temperature: float, alpha: float) -> tuple[list[Model], dict[str, Any]]:
        models, runs = self.seeds(k)
        x, y = self.job.splits.train.arrays()
        if not isinstance(x, torch.Tensor):
            raise UsageError(f"{self.job.path}: --kind distill needs tensor inputs to carry the teacher's "
                             f"targets with the training split; the inputs are {type(x).__name__}.")
        train = ArraySplit(x, y)
        soft = torch.stack([as_prediction(self.task, predict(r.model, train, self.eval_bs)[0], temperature)
                            for r in runs]).mean(0)
        hard = self.job.make_loss()
        num_classes = soft.shape[1]
        student_job = dataclasses.replace(
            self.job, splits=Splits(ArraySplit(x, packed_targets(y, soft)), self.job.splits.val, self.job.splits.test),
            loss_fn=lambda: DistillationLoss(hard, num_classes, temperature, alpha))
        known = {key: runs[0].settings.get(key) for key in ("baseline_loss", "chance_acc", "loss_floor_known")}
        seed = self.job.settings["seed"] + k
        res = self.train("student", job=student_job, seed=seed, **known)
        student = self.scored("student", "student", res.model, "members/student")
        self.weights["student"] = {k2: v.cpu() for k2, v in res.model.state_dict().items()}
        return models + [student], {"temperature": temperature, "alpha": alpha, "student_seed": seed}


def _gains(kind: str, models: list[Model], metrics: list[str], reps: int, seed: int) -> list[dict[str, Any]]:
    members = [m for m in models if m.role == "member"]
    out = []
    against = [("mean member", members)]
    if kind in ("snapshots", "swa"):
        against.append((f"last member ({members[-1].name})", [members[-1]]))
    for m in models:
        if m.role not in ("ensemble", "student"):
            continue
        for label, ref in against:
            for metric in metrics:
                out.append({"model": m.name, "against": label, **gain(m.scores, [r.scores for r in ref], metric,
                                                                         reps=reps, seed=seed)})
    return out


def share_of_gain(gains: list[dict[str, Any]], metric: str) -> float | None:
    """The student's gain over the mean member as a fraction of the teacher ensemble's."""
    get = {(g["model"], g["against"], g["metric"]): g["gain"] for g in gains}
    teacher, student = get.get(("ensemble", "mean member", metric)), get.get(("student", "mean member", metric))
    if teacher is None or student is None or abs(teacher) < 1e-12:
        return None
    return student / teacher


def ensemble(job: Job | str | Path, *, kind: str, members: int, out: str | Path, epochs: int | None = None,
             recipe: str | None = None, temperature: float = 4.0, alpha: float = 0.9, swa_lr: float | None = None,
             reps: int = 2000, quiet: bool = True) -> EnsembleResult:
    """Build one ensemble of ``kind`` with ``members`` models into ``out``; see the module doc."""
    if not isinstance(job, Job):
        job = load_job(job)
    epochs = epochs if epochs is not None else int(job.settings["epochs"])
    if epochs < 1:
        raise UsageError(f"--epochs must be a positive integer, got {epochs}.")
    check_arguments(kind, members, epochs, job.task, temperature, alpha,
                    snapshot_warmup(job, recipe) if kind == "snapshots" else 0)
    if reps < 100:
        raise UsageError(f"--reps must be >= 100 bootstrap resamples for a 95% interval, got {reps}.")
    out = Path(out)
    if (out / "ensemble.json").exists():
        raise UsageError(f"{out} already holds an ensemble; pass another --out.")
    b = _Builder(job, out, recipe, epochs, quiet)
    details: dict[str, Any] = {"epochs": epochs}
    if kind == "seeds":
        models, _ = b.seeds(members)
    elif kind == "snapshots":
        models, details = b.snapshots(members)
    elif kind == "swa":
        models, details = b.swa(members, swa_lr)
    else:
        models, details = b.distill(members, temperature, alpha)
        details["epochs"] = epochs
    metrics = ["acc", "nll"] if job.task == "classification" else ["mse"]
    gains = _gains(kind, models, metrics, reps, int(job.settings["seed"]))
    doc = _document(job, kind, members, b, models, gains, metrics, details)
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / "predictions.npz", targets=b.targets.numpy(),
                        **{f"{m.role}_{i}": m.prediction.numpy() for i, m in enumerate(models)},
                        names=np.array([m.name for m in models]), roles=np.array([m.role for m in models]))
    if b.weights:
        torch.save(b.weights, out / "weights.pt")
    atomic_write_text(out / "ensemble.json", json.dumps(doc, indent=2))
    from danfang.report.html import write_report

    write_report(out)
    return EnsembleResult(out, kind, models, gains, doc)


def _document(job: Job, kind: str, k: int, b: _Builder, models: list[Model], gains: list[dict[str, Any]],
              metrics: list[str], details: dict[str, Any]) -> dict[str, Any]:
    members = [m for m in models if m.role == "member"]
    mean_member = {metric: float(np.mean([m.scores.summary()[metric] for m in members])) for metric in metrics}
    doc = {"schema": 1, "job": str(job.path), "kind": kind, "members": k, "task": job.task,
           "split": b.split_name, "examples": int(len(b.targets)), "metrics": metrics, "details": details,
           "models": [{"name": m.name, "role": m.role, "run": m.run, **m.scores.summary(), **m.extra}
                      for m in models],
           "mean_member": mean_member, "gains": gains,
           "interval": "paired percentile bootstrap over the examples, 95% (scipy.stats.bootstrap)"}
    if kind == "distill":
        doc["share_of_gain"] = {metric: share_of_gain(gains, metric) for metric in metrics}
    doc["summary"] = summary_line(doc)
    return doc


def summary_line(doc: dict[str, Any]) -> str:
    """One sentence: the headline gain and its interval, e.g. for a seed ensemble of 5."""
    metric = doc["metrics"][0]
    head = next((g for g in doc["gains"] if g["against"] == "mean member" and g["metric"] == metric
                 and g["model"] == ("student" if doc["kind"] == "distill" else
                                    "swa" if doc["kind"] == "swa" else "ensemble")), None)
    if head is None:
        return ""
    scale, unit = (100, " points") if metric == "acc" else (1, "")
    g, (lo, hi) = head["gain"] * scale, (c * scale for c in head["ci"])
    what = {"seeds": f"The ensemble of {doc['members']} seeds",
            "snapshots": f"The ensemble of {doc['members']} snapshots",
            "swa": f"SWA over the last {doc['members']} epochs", "distill": "The distilled student"}[doc["kind"]]
    word = "better" if g >= 0 else "worse"
    sure = "" if lo > 0 or hi < 0 else " (the interval contains 0: not a clear gain)"
    text = (f"{what} is {abs(g):.3g}{unit} of {metric} {word} than the mean member on {doc['examples']} "
            f"{doc['split']} examples, 95% interval [{lo:.3g}, {hi:.3g}]{sure}.")
    share = (doc.get("share_of_gain") or {}).get(metric)
    if share is not None:
        text += f" It keeps {share:.0%} of the teacher ensemble's gain."
    return text
