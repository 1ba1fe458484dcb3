"""The trainer behind ``danfang fit``: the loop of :mod:`danfang.engine.events`.

It builds the model, loss, optimizer and schedule from the job (or the recipe), trains with
per-epoch evaluation, steps ``ReduceLROnPlateau`` with the monitored metric, keeps the best
weights, writes a crash-safe checkpoint and ``run.json`` after every epoch, and resumes a
killed run to the same result. With ``settings['time_budget_s']`` it plans the number of
epochs to the budget and re-fits the LR schedule to it (:mod:`danfang.engine.time_plan`);
with ``settings['tta'] == 'flip'`` evaluation averages the logits of each image and its mirror.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import torch

from danfang.checkpoint import clean_stale_temps, load_latest
from danfang.data import ArraySplit, Split, batch_size_of, call_model, to_device
from danfang.engine.callback import Callback
from danfang.engine.checkpoint_writer import CheckpointWriter
from danfang.engine.early_stopping import EarlyStopping, improved, monitor_mode
from danfang.engine.engine import Engine
from danfang.engine.events import Event
from danfang.engine.progress import ProgressBar
from danfang.engine.run_integrity import after_run_findings, optimizer_not_holding_model
from danfang.engine.state import State
from danfang.engine.time_plan import EpochPlan, typical_epoch_s
from danfang.engine.user_code import guarded_batches, job_failure
from danfang.environment import environment
from danfang.atomic import is_write_failure, output_error
from danfang.errors import DanfangError, Interrupted, JobError, OutputError, RunDirError, UsageError
from danfang.findings import Finding, atomic_write_text
from danfang.job import Job, default_loss, read_samples
from danfang.task import AccuracyMeter
from danfang.engine.baseline import measure_baseline
from danfang.recipes import get_recipe
from danfang.recipes.schedules import can_refit, refit_schedule
from danfang.seeding import rng_state, seed_everything, set_deterministic, set_rng_state
from danfang.settings import check_settings

STEP_SCHEDULERS = (torch.optim.lr_scheduler.OneCycleLR, torch.optim.lr_scheduler.CyclicLR)


@dataclass
class RunResult:
    run_dir: Path
    history: list[dict[str, Any]]
    best: dict[str, Any] | None
    final: dict[str, Any] | None
    test: dict[str, Any] | None
    status: str
    model: torch.nn.Module
    findings: list = field(default_factory=list)
    repairs: list = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    stop_reason: str | None = None
    budget: dict | None = None      # the time-budget plan (run.json's "budget"), None without one


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError as exc:
        raise UsageError(f"settings['device'] = {name!r} is not a device ('cpu', 'cuda', 'cuda:1').") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise UsageError(f"settings['device'] = {name!r} but CUDA is not available on this machine.")
    return dev


def per_sample_loss(loss_fn: Any) -> Any:
    """A copy of a torch loss module that returns one loss per sample (for ``--reweight``)."""
    if isinstance(loss_fn, torch.nn.modules.loss._Loss):
        clone = copy.copy(loss_fn)
        clone.reduction = "none"
        return clone
    raise UsageError("sample weights (fit --reweight) need the loss to be a torch.nn loss module "
                     f"with a `reduction` argument; the job's loss is {type(loss_fn).__name__}.")


def _fits_on_device(split: Split, device: torch.device) -> bool:
    if not isinstance(split, ArraySplit) or device.type != "cuda":
        return isinstance(split, ArraySplit)
    nbytes = split.x.element_size() * split.x.nelement() + split.y.element_size() * split.y.nelement()
    free, _ = torch.cuda.mem_get_info(device)
    return nbytes < 0.3 * free


def _is_finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def next_run_dir(job: Job, root: str | Path = "runs", resume: bool = False) -> Path:
    """``runs/<job>``; a fresh run never overwrites one (``-2``, ``-3``…); resume takes the latest."""
    root = Path(root)
    candidates = [root / job.name] + sorted(root.glob(f"{job.name}-*"),
                                            key=lambda p: int(p.name.rsplit("-", 1)[1])
                                            if p.name.rsplit("-", 1)[1].isdigit() else 0)
    existing = [p for p in candidates if (p / "run.json").exists() or (p / "checkpoints").exists()]
    if resume:
        return existing[-1] if existing else candidates[0]
    if not existing:
        return candidates[0]
    n = 2
    while (root / f"{job.name}-{n}").exists():
        n += 1
    return root / f"{job.name}-{n}"


def flip_average(out: Any, flipped: Any) -> torch.Tensor:
    """The mean of the logits of the images and of their mirror images (flip TTA), in fp32 or wider."""
    if not (isinstance(out, torch.Tensor) and isinstance(flipped, torch.Tensor)):
        raise UsageError("settings['tta'] = 'flip' averages the model's outputs, so the model must return "
                         f"a tensor; it returned {type(out).__name__}.")
    dtype = torch.promote_types(out.dtype, torch.float32)
    return (out.to(dtype) + flipped.to(dtype)) / 2


class Trainer:
    """Train ``job`` into ``run_dir``. See :func:`fit` for the arguments."""

    #: the clock of ``wall_s`` and of the time budget (tests replace it with a fake one)
    clock = staticmethod(time.perf_counter)

    def __init__(self, job: Job, run_dir: str | Path, *, recipe: str | None = None,
                 epochs: int | None = None, callbacks: Iterable[Callback] = (), quiet: bool = True,
                 resume: bool = False, checkpoint: bool = True, settings: dict[str, Any] | None = None,
                 evaluate_test: bool = True, data_changes: dict[str, Any] | None = None) -> None:
        self.job = job
        self.run_dir = Path(run_dir)
        self.settings = dict(job.settings)
        self.settings.update(settings or {})
        if epochs is not None:
            if epochs < 1:
                raise UsageError(f"--epochs must be a positive integer, got {epochs}.")
            self.settings["epochs"] = epochs
        try:  # overrides (command line, a tuning trial) are checked as the job's own settings were
            check_settings(self.settings)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        self.recipe_name = None if (job.optimizer_fn is not None) else (recipe or None)
        if recipe is not None and job.optimizer_fn is not None:
            raise UsageError(f"--recipe {recipe} was given but {job.path} defines its own optimizer(); "
                             "remove one of the two.")
        self.recipe = get_recipe(recipe)  # validates the name even when unused
        self.user_callbacks = list(callbacks)
        self.quiet = quiet
        self.resume = resume
        self.checkpoint = checkpoint
        self.evaluate_test = evaluate_test
        self.data_changes = data_changes or {}
        if not resume and (self.run_dir / "run.json").exists():
            raise UsageError(f"{self.run_dir} already holds a run; pass --resume to continue it or "
                             "another --out to start a new one.")

    # -- set-up ----------------------------------------------------------------------------
    def _build(self) -> State:
        s = self.settings
        seed_everything(s["seed"])
        set_deterministic(bool(s["deterministic"]))
        device = resolve_device(s["device"])
        model = self.job.make_model().to(device)
        channels_last = s["channels_last"] == "auto" and device.type == "cuda" or s["channels_last"] is True
        x0, _ = read_samples(self.job.path, "train", lambda: self.job.splits.train.arrays(limit=1))
        self.channels_last = bool(channels_last and isinstance(x0, torch.Tensor) and x0.ndim == 4)
        if self.channels_last:
            model = model.to(memory_format=torch.channels_last)
        if s.get("tta") == "flip":
            xv, _ = read_samples(self.job.path, "val", lambda: self.job.splits.val.arrays(limit=1))
            for name, x in (("train", x0), ("val", xv)):
                if not (isinstance(x, torch.Tensor) and x.ndim == 4):
                    shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
                    raise JobError(self.job.path, "settings", "settings['tta'] = 'flip' mirrors images along "
                                   "their width and needs 4-D image inputs (N, C, H, W); the "
                                   f"{name} split's inputs are {shape}. Remove 'tta' from the settings.")
        self.autocast = device.type == "cuda" and s["precision"] in ("auto", "bf16") or s["precision"] == "bf16"

        recipe = self.recipe
        if s["label_smoothing"] is None and recipe.label_smoothing and self.job.loss_fn is None \
                and self.job.optimizer_fn is None:
            s["label_smoothing"] = recipe.label_smoothing
        # the job's own loss, or the default one with *these* settings' label smoothing
        loss_fn = self.job.make_loss() if self.job.loss_fn is not None else \
            default_loss(s["task"], s["label_smoothing"])
        if hasattr(loss_fn, "to"):
            loss_fn = loss_fn.to(device)
        measure_baseline(model, loss_fn, self.job.splits.train, s, device)

        self.train_split = self.job.splits.train
        self.val_split = self.job.splits.val
        self.test_split = self.job.splits.test
        if _fits_on_device(self.train_split, device):
            self.train_split = self.train_split.to(device)
            self.val_split = self.val_split.to(device) if _fits_on_device(self.val_split, device) else self.val_split
            if self.test_split is not None and _fits_on_device(self.test_split, device):
                self.test_split = self.test_split.to(device)
        self.weighted = getattr(self.train_split, "weights", None) is not None
        self.sample_loss = per_sample_loss(loss_fn) if self.weighted else None

        bs = s["batch_size"]
        n = len(self.train_split)
        steps_per_epoch = max(1, n // bs + (1 if n % bs > 1 else 0))
        steps_per_epoch = max(1, math.ceil(steps_per_epoch / s["accumulate"]))
        epochs = s["epochs"]

        optimizer = self.job.make_optimizer(model.parameters())
        interval = "epoch"
        if optimizer is None:
            optimizer, scheduler, interval = recipe.build(model, s, steps_per_epoch, epochs)
            if self.job.scheduler_fn is not None:
                scheduler, interval = self.job.make_scheduler(optimizer), "epoch"
            self.recipe_used = recipe.name if self.job.scheduler_fn is None else f"{recipe.name} (job scheduler)"
        else:
            scheduler = self.job.make_scheduler(optimizer)
            self.recipe_used = "job"
        if isinstance(scheduler, STEP_SCHEDULERS):
            interval = "step"
        interval = s["scheduler_interval"] or interval
        # the recipe's own schedule (a StepLR re-fit needs the recipe's step_every)
        self.recipe_scheduler = scheduler if self.recipe_used == recipe.name else None
        self.grad_clip = s["grad_clip"] if s["grad_clip"] is not None else (
            recipe.grad_clip if self.recipe_used != "job" else None)
        if s["compile"]:
            model = torch.compile(model)

        state = State(model=model, optimizer=optimizer, loss_fn=loss_fn, settings=s, device=device,
                      scheduler=scheduler, scheduler_interval=interval, epochs=epochs,
                      steps_per_epoch=steps_per_epoch, run_dir=self.run_dir)
        callbacks: list[Callback] = []
        if s["patience"]:
            callbacks.append(EarlyStopping(s["monitor"], int(s["patience"])))
        callbacks += self.user_callbacks
        if not self.quiet:
            callbacks.append(ProgressBar(f"fit {self.job.name}"))
        self.callbacks = callbacks
        self.engine = Engine(callbacks)
        self.mode = monitor_mode(s["monitor"])
        self.best: dict[str, Any] | None = None
        self.best_model: dict[str, torch.Tensor] | None = None
        self.wall_offset = 0.0
        self._writer = CheckpointWriter()
        self.plan = EpochPlan(float(s["time_budget_s"]), epochs, epochs) if s.get("time_budget_s") else None
        self._session_epochs_s: list[float] = []
        return state

    # -- the loop --------------------------------------------------------------------------
    def _precision(self, device: torch.device) -> Any:
        """bf16 autocast when on; otherwise no context at all (a disabled autocast costs ~10 us a batch)."""
        return torch.autocast(device.type, dtype=torch.bfloat16) if self.autocast else contextlib.nullcontext()

    def _forward_loss(self, state: State, batch: tuple) -> torch.Tensor:
        x, y = batch[0], batch[1]
        with self._precision(state.device):
            try:
                out = call_model(state.model, x)
            except Exception as exc:
                raise job_failure(self.job, "model", exc, x=x) from exc
            state.outputs = out
            try:
                if self.sample_loss is not None:
                    w = batch[2].to(out.dtype if out.is_floating_point() else torch.float32)
                    loss = (self.sample_loss(out, y) * w).sum() / w.sum()
                else:
                    loss = state.loss_fn(out, y)
            except Exception as exc:
                raise job_failure(self.job, "loss", exc, out=out, y=y) from exc
        return loss

    def _prepare(self, batch: Any, device: torch.device) -> tuple:
        batch = tuple(to_device(b, device, non_blocking=True) for b in batch)
        if self.channels_last and batch[0].ndim == 4:
            batch = (batch[0].contiguous(memory_format=torch.channels_last),) + batch[1:]
        return batch

    def _closure(self, state: State, batch: tuple) -> Any:
        """The closure an LBFGS-style optimizer re-evaluates the loss with (on this batch)."""
        def closure() -> torch.Tensor:
            state.optimizer.zero_grad(set_to_none=True)
            loss = self._forward_loss(state, batch)
            loss.backward()
            return loss
        return closure

    def _train_epoch(self, state: State) -> float:
        s = state.settings
        model, opt, engine = state.model, state.optimizer, self.engine
        model.train()
        accumulate = s["accumulate"]
        total = torch.zeros((), device=state.device)
        count = 0
        pending: list[tuple[torch.Tensor, int]] = []
        opt.zero_grad(set_to_none=True)
        # a lone last sample would make a BatchNorm batch of one; with batch_size 1 every batch is one
        batches = self.train_split.batches(s["batch_size"], shuffle=True, seed=s["seed"],
                                           epoch=state.epoch, drop_singleton=s["batch_size"] > 1)
        batch = None
        self._skipped: list[tuple[torch.Tensor, int]] = []   # losses of skipped steps (a few)
        for i, batch in enumerate(guarded_batches(self.job, batches, "train")):
            batch = self._prepare(batch, state.device)
            state.batch_index, state.batch = i, batch
            engine.run(Event.BATCH_START, state)
            loss = self._forward_loss(state, batch)
            state.loss = loss
            engine.run(Event.AFTER_LOSS, state)
            try:
                (loss / accumulate if accumulate > 1 else loss).backward()
            except Exception as exc:
                raise job_failure(self.job, "backward", exc) from exc
            bs = batch_size_of(batch[0])
            pending.append((loss.detach().float() * bs, bs))
            if (i + 1) % accumulate:
                continue
            for part, n in self._step(state, batch, pending):
                total += part
                count += n
            pending = []
        if pending:  # the epoch's last, partial accumulation steps too (steps_per_epoch counts it)
            grads = [p.grad for group in state.optimizer.param_groups for p in group["params"]
                     if p.grad is not None]
            if grads:  # the mean over the batches it holds, as a full accumulation is
                torch._foreach_mul_(grads, accumulate / len(pending))
            for part, n in self._step(state, batch, pending):
                total += part
                count += n
        if not count:  # every step skipped: the epoch's loss is that of the batches it saw
            for part, n in self._skipped:
                total += part
                count += n
        return float(total.item() / count) if count else float("nan")

    def _step(self, state: State, batch: tuple, pending: list) -> list:
        """One optimizer step (unless a callback skips it) after the backward of ``pending``'s
        batches; returns the losses it counts in the epoch's train loss."""
        engine = self.engine
        engine.run(Event.AFTER_BACKWARD, state)
        if self.grad_clip:
            torch.nn.utils.clip_grad_norm_(state.model.parameters(), self.grad_clip, foreach=True)
        counted = []
        if not state.skip_step:  # a skipped step (e.g. a NaN guard) counts in no train loss
            try:
                if needs_closure(state.optimizer):
                    state.optimizer.step(self._closure(state, batch))
                else:
                    state.optimizer.step()  # state.optimizer: a remedy may have replaced it
            except JobError:
                raise
            except Exception as exc:
                raise job_failure(self.job, "optimizer", exc) from exc
            state.optimizer_steps += 1
            counted = pending
        elif len(self._skipped) < 64:   # kept only for an epoch that takes no step
            self._skipped.extend(pending)
        state.skip_step = False
        state.optimizer.zero_grad(set_to_none=True)
        state.step += 1
        if state.scheduler is not None and state.scheduler_interval == "step" \
                and not isinstance(state.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            if state.scheduler.last_epoch < getattr(state.scheduler, "total_steps", math.inf):
                self._scheduler_step(state)
        engine.run(Event.BATCH_END, state)
        return counted

    def _scheduler_step(self, state: State, *args: Any) -> None:
        try:
            state.scheduler.step(*args)
        except Exception as exc:
            raise job_failure(self.job, "scheduler", exc) from exc

    @torch.no_grad()
    def evaluate(self, state: State, split: Split) -> dict[str, float | None]:
        model = state.model
        was_training = model.training
        model.eval()
        total = torch.zeros((), device=state.device, dtype=torch.float64)
        accuracy = AccuracyMeter(state.settings["task"], state.loss_fn)
        count = 0
        flip = state.settings.get("tta") == "flip"
        ebs = state.settings["eval_batch_size"] or 4 * state.settings["batch_size"]
        name = "val" if split is self.val_split else "test" if split is self.test_split else "evaluation"
        for batch in guarded_batches(self.job, split.batches(ebs, shuffle=False), name):
            batch = self._prepare(batch[:2], state.device)
            x, y = batch
            with self._precision(state.device):
                try:
                    out = call_model(model, x)
                    if flip:  # two forwards of N, not one of 2N: no extra copy, same peak memory
                        out = flip_average(out, call_model(model, x.flip(-1)))
                except UsageError:
                    raise
                except Exception as exc:
                    raise job_failure(self.job, "model", exc, x=x, split=name) from exc
                try:
                    loss = state.loss_fn(out, y)
                except Exception as exc:
                    raise job_failure(self.job, "loss", exc, out=out, y=y) from exc
            bs = batch_size_of(x)
            total += loss.double() * bs
            count += bs
            try:
                accuracy.add(out, y)
            except Exception as exc:
                raise job_failure(self.job, "metrics", exc, out=out, y=y) from exc
        model.train(was_training)
        loss_value = float(total.item() / max(count, 1))
        acc = accuracy.value()
        return {"loss": loss_value, "acc": acc}

    def _step_epoch_scheduler(self, state: State) -> None:
        sched = state.scheduler
        if sched is None:
            return
        if isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau):
            value = state.metrics.get(state.settings["monitor"])
            if _is_finite(value):
                self._scheduler_step(state, value)
        elif state.scheduler_interval == "epoch":
            self._scheduler_step(state)

    # -- checkpoints and run.json ------------------------------------------------------------
    @property
    def ckpt_path(self) -> Path:
        return self.run_dir / "checkpoints" / "last.pt"

    def _save(self, state: State, status: str, final: bool = False) -> None:
        """A checkpoint (``last.pt``, the one before kept as ``prev.pt``) and run.json. Between
        the first and the ``final`` one, checkpoints are spaced by elapsed time so that they cost
        <= ~0.5% of the run (``CheckpointWriter.due``); run.json is written every epoch."""
        if not self.checkpoint:
            return
        if not (final or self._writer.due(time.perf_counter())):
            self._writer.submit(None, self.ckpt_path, self.run_dir / "run.json", self._run_json(state, status))
            return
        ckpt = {
            "schema": 1,
            "epoch": state.epoch,
            "step": state.step,
            "model": state.model.state_dict(),
            "optimizer": state.optimizer.state_dict(),
            "scheduler": state.scheduler.state_dict() if state.scheduler is not None else None,
            "callbacks": [cb.state_dict() for cb in self.callbacks],
            "history": state.history,
            "best": self.best,
            "best_model": self.best_model,
            "rng": rng_state(),
            "repairs": json.loads(json.dumps(state.repairs, default=str)),
            "findings": [f.to_dict() for f in state.findings],
            "budget": self.plan.state_dict() if self.plan is not None else None,
        }
        self._writer.submit(ckpt, self.ckpt_path, self.run_dir / "run.json", self._run_json(state, status))

    def _load(self, state: State) -> int:
        """Restore from the last checkpoint; return the epoch to start from."""
        if not (self.ckpt_path.exists() or self.ckpt_path.with_name("prev.pt").exists()):
            return 0
        run_json = self.run_dir / "run.json"
        if run_json.exists():
            prev = json.loads(run_json.read_text())
            if Path(prev.get("job", "")).name != self.job.path.name:
                raise RunDirError(f"{self.run_dir} holds a run of {prev.get('job')}, not of "
                                  f"{self.job.path}; pass the matching job or another --out.")
        found = load_latest(self.ckpt_path.parent, map_location=state.device)
        if found is None:
            return 0
        ckpt = found[0]
        state.model.load_state_dict(ckpt["model"])
        state.optimizer.load_state_dict(ckpt["optimizer"])
        if state.scheduler is not None and ckpt["scheduler"] is not None:
            state.scheduler.load_state_dict(ckpt["scheduler"])
        for cb, cb_state in zip(self.callbacks, ckpt["callbacks"]):
            cb.load_state_dict(cb_state)
        state.history = list(ckpt["history"])
        state.repairs = list(ckpt.get("repairs", []))
        state.findings = [Finding.from_dict(d) for d in ckpt.get("findings", [])]
        state.step = int(ckpt["step"])
        self.best, self.best_model = ckpt["best"], ckpt["best_model"]
        self.wall_offset = float(state.history[-1]["wall_s"]) if state.history else 0.0
        if self.plan is not None and ckpt.get("budget"):
            self.plan.load_state_dict(ckpt["budget"])   # the scheduler state already holds the re-fit
            self._apply_plan(state, self.plan.planned)
        set_rng_state(ckpt["rng"])
        return int(ckpt["epoch"]) + 1

    def _write_run_json(self, state: State, status: str, test: dict | None = None) -> None:
        atomic_write_text(self.run_dir / "run.json", self._run_json(state, status, test))

    def _run_json(self, state: State, status: str, test: dict | None = None) -> str:
        doc = {
            "schema": 1,
            "job": str(self.job.path),
            "recipe": self.recipe_used,
            "settings": {k: v for k, v in self.settings.items()},
            "seed": self.settings["seed"],
            "status": status,
            "stop_reason": state.stop_reason,
            "budget": self.plan.record() if self.plan is not None else None,
            "history": state.history,
            "best": self.best,
            "final": state.history[-1] if state.history else None,
            "test": test,
            "repairs": state.repairs,
            "data_changes": self.data_changes,
            "probes": state.extras.get("probes"),
            "findings": [f.to_dict() for f in state.findings],
            "environment": environment(state.device),
        }
        return json.dumps(doc, indent=2, default=str)

    # -- the time budget ---------------------------------------------------------------------
    def _apply_plan(self, state: State, planned: int) -> None:
        """Train ``planned`` epochs; with the schedule re-fit, they are the epochs the run uses."""
        state.epochs = planned
        if self.plan is not None:   # run.json's settings: the epochs the schedule was built for
            self.settings["epochs"] = planned if self.plan.cut_schedule is None else self.plan.max_epochs

    def _replan(self, state: State, done: int, wall_s: float, epoch_s: float) -> None:
        """After an epoch: re-plan the epochs to the budget and re-fit the schedule to them."""
        plan = self.plan
        assert plan is not None
        self._session_epochs_s.append(epoch_s)
        old = state.epochs
        new = plan.after_epoch(done, wall_s, epoch_s, typical_epoch_s(self._session_epochs_s))
        if new == old:
            return
        sched = state.scheduler
        if plan.cut_schedule is None:
            recipe = self.recipe if sched is not None and sched is self.recipe_scheduler else None
            per_epoch = state.steps_per_epoch if state.scheduler_interval == "step" else 1
            if not (can_refit(sched, recipe) and refit_schedule(sched, old, new, per_epoch, recipe)):
                plan.cut_schedule = type(sched).__name__   # left as built: sized to the cap
        self._apply_plan(state, new)

    def _budget_end(self, state: State) -> None:
        """The last planned epoch ended: say why the run stops before the cap, if it does."""
        plan = self.plan
        assert plan is not None
        if plan.planned >= plan.max_epochs:
            return
        if plan.cut_schedule is None:
            state.stop_reason = state.stop_reason or (
                f"time budget: planned {plan.planned} epochs of {plan.max_epochs} "
                f"({plan.seconds:g} s at {plan.epoch_s:.3g} s an epoch; the LR schedule was re-fit to them)")
        else:
            state.stop_training = True
            state.stop_reason = (f"time budget of {plan.seconds:g} s: stopped after {plan.planned} epochs of "
                                 f"{plan.max_epochs}; the job's {plan.cut_schedule} cannot be re-fit to a "
                                 "shorter run, so its schedule was cut short")

    # -- the whole run -----------------------------------------------------------------------
    def fit(self) -> RunResult:
        """Build, train, evaluate; on a failure, leave no half-made run folder behind (a folder
        this call created goes again unless it holds a completed checkpoint) and say
        truthfully what was kept."""
        state = self._build()
        made = not self.run_dir.exists()
        try:
            return self._fit(state)
        except KeyboardInterrupt:
            kept = self._discard_unless_kept(made)
            raise Interrupted(f"interrupted in epoch {state.epoch + 1}; " + (
                f"the completed epochs are checkpointed in {self.ckpt_path.parent}: rerun with --resume "
                "to continue." if kept else "no epoch was checkpointed, so there is nothing to resume.")) from None
        except DanfangError as exc:
            kept = self._discard_unless_kept(made)
            if isinstance(exc, OutputError) and kept:
                raise OutputError(f"{exc} The completed checkpoints in {self.ckpt_path.parent} are kept: "
                                  "rerun with --resume once the folder can be written.") from exc
            raise
        except OSError as exc:
            if not is_write_failure(exc):
                raise
            kept = self._discard_unless_kept(made)
            note = f" The completed checkpoints in {self.ckpt_path.parent} are kept." if kept else ""
            raise OutputError(f"{output_error(exc)}{note}") from exc

    def _discard_unless_kept(self, made: bool) -> bool:
        """After a failure: does a completed checkpoint exist? If not and this run made the
        folder, remove it (no empty or half-written run folders)."""
        ckpts = self.ckpt_path.parent
        kept = self.checkpoint and (self.ckpt_path.exists() or (ckpts / "prev.pt").exists())
        if made and not kept:
            shutil.rmtree(self.run_dir, ignore_errors=True)
        return bool(kept)

    def _fit(self, state: State) -> RunResult:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        clean_stale_temps(self.run_dir, self.ckpt_path.parent)   # left by a kill during a write
        start = self._load(state) if self.resume else 0
        state.epoch = start
        if start >= state.epochs:
            status = "finished"
            if self.plan is not None:   # a resumed run that had ended at its planned epochs
                self._budget_end(state)
                status = "stopped_early" if state.stop_training else status
        else:
            held = optimizer_not_holding_model(state.model, state.optimizer)
            if held is not None:
                state.add_finding(held)
                state.stop_training, state.stop_reason = True, "the optimizer holds none of the model's parameters"
            status = self._loop(state, start)
            for finding in after_run_findings(self.job, state, len(state.history) - start):
                state.add_finding(finding)
        test = None
        if self.settings["restore_best"] and self.best_model is not None:
            state.model.load_state_dict(self.best_model)
        if self.evaluate_test and self.test_split is not None:
            m = self.evaluate(state, self.test_split)
            test = {"test_loss": m["loss"], "test_acc": m["acc"]}
        self._write_run_json(state, status, test)
        return RunResult(self.run_dir, state.history, self.best,
                         state.history[-1] if state.history else None, test, status, state.model,
                         state.findings, state.repairs, self.settings, state.stop_reason,
                         self.plan.record() if self.plan is not None else None)

    def _loop(self, state: State, start: int) -> str:
        engine = self.engine
        engine.run(Event.FIT_START, state)
        status = "finished"
        t0 = last = self.clock()
        try:
            epoch = start
            while epoch < state.epochs:  # a time budget may change state.epochs as it goes
                state.epoch = epoch
                engine.run(Event.EPOCH_START, state)
                lr = state.lr
                steps_before = state.optimizer_steps
                train_loss = self._train_epoch(state)
                val = self.evaluate(state, self.val_split)
                now = self.clock()
                state.metrics = {"epoch": epoch + 1, "train_loss": train_loss, "val_loss": val["loss"],
                                 "val_acc": val["acc"], "lr": lr,
                                 "wall_s": round(self.wall_offset + now - t0, 4)}
                engine.run(Event.EVAL_END, state)
                self._step_epoch_scheduler(state)
                if self.plan is not None:
                    self._replan(state, epoch + 1, self.wall_offset + now - t0, now - last)
                last = now
                state.history.append(dict(state.metrics))
                monitored = state.metrics.get(state.settings["monitor"])
                if improved(monitored, self.best[state.settings["monitor"]] if self.best else None, self.mode):
                    self.best = dict(state.metrics)
                    self.best_model = {k: v.detach().clone() for k, v in state.model.state_dict().items()}
                if not _is_finite(train_loss):
                    state.stop_training = True
                    state.stop_reason = state.stop_reason or f"non-finite training loss in epoch {epoch + 1}"
                    status = "diverged"
                elif state.optimizer_steps == steps_before:   # nothing will change in later epochs
                    state.stop_training = True
                    state.stop_reason = state.stop_reason or f"no optimizer step was taken in epoch {epoch + 1}"
                engine.run(Event.EPOCH_END, state)
                if self.plan is not None and not state.stop_training and epoch + 1 >= state.epochs:
                    self._budget_end(state)
                if state.stop_training:
                    status = "diverged" if status == "diverged" else "stopped_early"
                    self._save(state, status, final=True)
                    break
                self._save(state, "running" if epoch + 1 < state.epochs else "finished",
                           final=epoch + 1 >= state.epochs)
                epoch += 1
        finally:
            try:
                engine.run(Event.FIT_END, state)
            finally:
                self._writer.wait()  # the last checkpoint is on disk before fit returns
        return status


def needs_closure(optimizer: torch.optim.Optimizer) -> bool:
    """Optimizers whose ``step`` re-evaluates the loss (``torch.optim.LBFGS``)."""
    return isinstance(optimizer, torch.optim.LBFGS)


def fit(job: Job | str | Path, out: str | Path | None = None, *, recipe: str | None = None,
        epochs: int | None = None, callbacks: Iterable[Callback] = (), quiet: bool = True,
        resume: bool = False, settings: dict[str, Any] | None = None, checkpoint: bool = True,
        data_changes: dict[str, Any] | None = None) -> RunResult:
    """Train a job with checkpoints and a run directory; the Python form of ``danfang fit``.

    ``job`` is a loaded :class:`~danfang.job.Job` or the path of a job file. ``out`` defaults
    to ``runs/<job name>`` (a fresh run never overwrites an old one; ``resume=True`` continues
    the latest).
    """
    from danfang.job import load_job

    if not isinstance(job, Job):
        job = load_job(job)
    run_dir = Path(out) if out is not None else next_run_dir(job, resume=resume)
    return Trainer(job, run_dir, recipe=recipe, epochs=epochs, callbacks=callbacks, quiet=quiet,
                   resume=resume, settings=settings, checkpoint=checkpoint,
                   data_changes=data_changes).fit()
