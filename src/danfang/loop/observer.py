"""``LoopObserver``: see a user's own training loop through PyTorch's global hooks.

    obs = LoopObserver(cadence=10)
    obs.attach()          # global optimizer step hooks and module forward hooks
    ...                   # the user's loop, unchanged
    obs.detach()
    obs.findings, obs.summary()

Per step the hooks do a few Python operations and never read a tensor back (no host sync):
gradient clearing is judged from the gradient tensor's identity and in-place version
counter, train/eval mode from ``module.training`` and ``torch.is_grad_enabled()`` at the
root forward, loss-call shapes from the loss modules' arguments. The loop checks
(``danfang.checks.loop``) judge the record every ``cadence`` steps and at the end; with
``training_checks`` the existing training probes run on the model the first optimizer
steps (:class:`~danfang.checks.training._watch.TrainingWatch`), so ``loss_nan`` or
``exploding_gradients`` appear too.
"""

from __future__ import annotations

import math
import weakref
from typing import Any

import torch
from torch import nn
from torch.nn.modules.loss import _Loss

from danfang.checks.base import registered_checks
from danfang.findings import Finding
from danfang.loop.loss_sample import BINARY_LOSSES, REGRESSION_LOSSES, sample_loss
from danfang.loop.record import LossCall, LoopRecord, ModelSeen, OptimizerSeen, StepWindow
from danfang.loop.window import LossWindow

_NORM_DROPOUT = (nn.modules.dropout._DropoutNd, nn.modules.batchnorm._BatchNorm)
_SHAPE_LOSSES = (nn.MSELoss, nn.L1Loss, nn.SmoothL1Loss, nn.HuberLoss, nn.BCELoss, nn.BCEWithLogitsLoss)
_CURVE_POINTS = 1000
_EVAL_BATCHES = 8   # loss calls sampled at the start of each evaluation pass
#: optimizers whose update does not depend on the gradient's scale (up to eps)
_ADAPTIVE = {"Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta", "SparseAdam",
             "Adafactor", "LBFGS"}


class _Root:
    """Per root module: the hot-path state (plain attributes) beside its record entry."""

    __slots__ = ("module", "seen", "param_ids", "pass_open", "pass_forwards", "pass_loss",
                 "last_grad_training", "last_leaf")

    def __init__(self, module: nn.Module, seen: ModelSeen) -> None:
        self.module, self.seen = module, seen
        self.param_ids = {id(p) for p in module.parameters()}
        self.pass_open, self.pass_forwards, self.pass_loss = False, 0, False
        self.last_grad_training = True
        self.last_leaf: nn.Module | None = None


class _Opt:
    __slots__ = ("optimizer", "seen", "param_ids", "root", "grad", "version", "forwards", "nparams")

    def __init__(self, optimizer: torch.optim.Optimizer, seen: OptimizerSeen) -> None:
        self.optimizer, self.seen = optimizer, seen
        self.nparams = -1
        self.param_ids: set[int] = set()
        self.root: _Root | None = None
        self.grad: torch.Tensor | None = None   # one parameter's gradient after the last step
        self.version = 0
        self.forwards = 0                        # training forwards of its model since its last step


def _plain_ratio(ratio: float) -> bool:
    """Whether a backward'd value is the loss calls' sum itself, divided by a whole number (an
    accumulation's 1/k) or multiplied by a power of two (AMP's loss scale), rather than the
    loss calls plus terms written by hand."""
    if not math.isfinite(ratio) or ratio <= 0:
        return False
    if ratio <= 1.02:
        return abs(ratio * round(1 / ratio) - 1) < 0.02
    return abs(math.log2(ratio) - round(math.log2(ratio))) < 0.01


class LoopObserver:
    """Watch every model, optimizer and loss module of the running process (or only ``model``
    and ``optimizer`` when given) and run the loop checks on what it sees."""

    def __init__(self, cadence: int = 10, *, model: nn.Module | None = None,
                 optimizer: torch.optim.Optimizer | None = None, training_checks: bool = True,
                 checks: list | None = None, sample_every: int = 50) -> None:
        if not isinstance(cadence, int) or cadence < 1:
            raise ValueError(f"cadence must be a positive integer (judge every k steps), got {cadence!r}.")
        if not isinstance(sample_every, int) or sample_every < 1:
            raise ValueError(f"sample_every must be a positive integer (read loss calls every k steps), "
                             f"got {sample_every!r}.")
        self.cadence, self.only_model, self.only_optimizer = cadence, model, optimizer
        self.sample_every = sample_every
        self.training_checks = training_checks
        self.checks = [cls() for cls in registered_checks("loop")] if checks is None else list(checks)
        self.record = LoopRecord()
        self.also_training_checks = None  # a TrainingWatch once the first optimizer steps
        self._findings: list[Finding] = []
        self._handles: list = []
        self._roots: dict[int, _Root] = {}
        self._opts: dict[int, _Opt] = {}
        self._depth = 0
        self._root: _Root | None = None      # the root whose forward is running
        self._last_grad_root: _Root | None = None
        self._step_loss: torch.Tensor | None = None
        self._curve_pending: list[torch.Tensor] = []
        self._curve: list[tuple[int, float]] = []
        self._curve_stride = 1
        self._curve_count = 0                 # losses pushed to the curve so far
        self._primary: _Opt | None = None
        self.epoch = 0
        # the loss window (danfang.loop.window): sampled steps and evaluation-pass starts
        self._window = LossWindow(self._on_call)
        self._want_window = True      # the next training step is sampled
        self._train_window = False    # a sampled training step is running
        self._eval_left = 0           # loss calls still to sample in this evaluation pass
        self._eval_pass_no = 0
        self._in_loss = 0             # depth of loss-module forwards (their F call is not a new loss)
        self._in_step = False         # inside optimizer.step (a closure's backward is not accumulation)
        self._last_leaf: nn.Module | None = None
        self._parameterless: "weakref.WeakSet[nn.Module]" = weakref.WeakSet()
        self._win_backwards, self._win_ratios, self._win_summed = 0, [], False
        self._since_backward, self._since_backward_n = 0.0, 0
        # Tensor.backward, wrapped while attached: the loss of every step, whatever computed it
        self._backward_loss: torch.Tensor | None = None
        self._backward_scale = 1.0       # backward'd value / loss on the latest sampled step
        self._backwards_without_step = 0  # a loop that updates the weights by hand has no step
        self._manual_steps = 0
        self._primary_idle = 0            # steps of other optimizers since the primary last stepped
        self._retired_findings: list[Finding] = []
        self._orig_backward = None
        self._in_backward = False
        self.notes: list[str] = []       # what went wrong inside the observer itself
        self._dead = False

    # ---- attach / detach -------------------------------------------------------------
    def attach(self) -> "LoopObserver":
        if self._handles:
            return self
        from torch.nn.modules import module as M
        from torch.optim import optimizer as O

        self._handles = [M.register_module_forward_pre_hook(self._guarded(self._pre_forward)),
                         M.register_module_forward_hook(self._guarded(self._post_forward), always_call=True),
                         O.register_optimizer_step_pre_hook(self._guarded(self._pre_step)),
                         O.register_optimizer_step_post_hook(self._guarded(self._post_step))]
        self._wrap_backward()
        return self

    def _guarded(self, hook):
        """``hook``, made unable to break the user's program: an exception inside it is noted
        once (``notes``, shown by watch), and the observer stops observing."""
        def guarded(*args):
            if self._dead:
                return None
            try:
                return hook(*args)
            except Exception as exc:  # noqa: BLE001 - a bug of ours must not end the user's run
                self.notes.append(f"the loop observer failed in {hook.__name__} ({type(exc).__name__}: "
                                  f"{exc}) and stopped observing; the program ran on")
                self._stop_observing()
                return None
        return guarded

    def _stop_observing(self) -> None:
        # the hooks stay registered (removing them while PyTorch iterates them would raise in the
        # user's step) but do nothing; detach() removes them
        self._dead = True
        self._unwrap_backward()
        self._window.leave()
        self._train_window, self._eval_left = False, 0

    def _wrap_backward(self) -> None:
        """Wrap ``torch.Tensor.backward`` (PyTorch has no global backward hook): the wrapper keeps a
        detached reference to the scalar being back-propagated, no host sync, then calls through."""
        original = torch.Tensor.backward
        observer = self

        def backward(tensor, *args, **kwargs):
            if observer._orig_backward is None or observer._in_backward:
                return original(tensor, *args, **kwargs)
            observer._in_backward = True  # (the window dispatches this call back through the wrapper)
            try:
                observer._on_backward_any(tensor)
                return original(tensor, *args, **kwargs)
            finally:
                observer._in_backward = False

        backward.__wrapped__ = original  # type: ignore[attr-defined]
        backward.__doc__ = original.__doc__
        self._orig_backward, self._backward_wrapper = original, backward
        torch.Tensor.backward = backward

    def _unwrap_backward(self) -> None:
        if self._orig_backward is None:
            return
        if torch.Tensor.backward is self._backward_wrapper:
            torch.Tensor.backward = self._orig_backward
        self._orig_backward = None  # wrapped again by someone else: ours stays, inert

    def detach(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []
        self._unwrap_backward()
        self._window.leave()
        self._train_window, self._eval_left = False, 0
        self._depth, self._root = 0, None
        if self.also_training_checks is not None:
            self.also_training_checks.close()
        self._judge()

    def __enter__(self) -> "LoopObserver":
        return self.attach()

    def __exit__(self, *exc: Any) -> None:
        self.detach()

    # ---- forward hooks ------------------------------------------------------------------
    def _pre_forward(self, module: nn.Module, args: tuple) -> None:
        depth = self._depth
        self._depth = depth + 1
        if isinstance(module, _Loss):
            self._in_loss += 1
            return
        if depth:
            return
        if self.only_model is not None and module is not self.only_model:
            return
        root = self._roots.get(id(module))
        if root is None or root.module is not module:
            if module in self._parameterless:
                return
            if next(module.parameters(), None) is None:  # a transform (Normalize), not a model
                self._parameterless.add(module)
                return
            root = self._new_root(module)
        self._root = root
        seen = root.seen
        if torch.is_grad_enabled():
            seen.grad_forwards += 1
            root.last_grad_training = module.training
            root.pass_open = False
            self._last_grad_root = root
            for opt in self._opts.values():
                if opt.root is root:
                    opt.forwards += 1
            if self._eval_left:
                self._eval_left = 0
                self._window.leave()
            if self._want_window and not self._train_window:
                self._train_window = True
                self._window.enter()
        else:
            seen.nograd_forwards += 1
            if not root.pass_open:
                root.pass_open, root.pass_forwards, root.pass_loss = True, 0, False
                seen.eval_passes += 1
                if seen.stepped and not self._train_window:
                    self._eval_pass_no += 1
                    self._eval_left = _EVAL_BATCHES
                    self._window.enter()
            elif self._eval_left <= 0 and not self._train_window:
                self._window.leave()
            root.pass_forwards += 1
            if module.training and seen.has_dropout_or_bn:
                seen.nograd_train_mode += 1
                if root.pass_forwards == 2:
                    seen.nograd_train_mode_passes += 1

    def _post_forward(self, module: nn.Module, args: tuple, output: Any) -> None:
        self._depth = max(0, self._depth - 1)
        if isinstance(module, _Loss):
            self._in_loss = max(0, self._in_loss - 1)
            self._on_loss(module, args, output)
        elif self._depth == 0:
            root = self._root
            if root is not None and root.module is module:
                root.last_leaf = self._last_leaf if module._modules else module
            self._root = None
        elif not module._modules:
            self._last_leaf = module

    def _new_root(self, module: nn.Module) -> _Root:
        params = sum(p.numel() for p in module.parameters())
        has = any(isinstance(m, _NORM_DROPOUT) for m in module.modules())
        seen = ModelSeen(type(module).__name__, params, has)
        root = _Root(module, seen)
        self._roots[id(module)] = root
        self.record.models[id(module)] = seen
        return root

    def _on_loss(self, module: nn.Module, args: tuple, output: Any) -> None:
        kind = type(module).__name__
        losses = self.record.losses
        losses[kind] = losses.get(kind, 0) + 1
        training = torch.is_grad_enabled()
        if training and isinstance(output, torch.Tensor) and output.numel() == 1:
            out = output.detach()
            self._step_loss = out if self._step_loss is None else self._step_loss + out
        elif not training:
            for root in self._roots.values():
                if root.pass_open and not root.pass_loss:
                    root.pass_loss = True
                    seen = root.seen
                    if root.module.training and seen.has_dropout_or_bn and root.pass_forwards == 1:
                        seen.nograd_train_mode_passes += 1
        if isinstance(module, _SHAPE_LOSSES) and len(args) >= 2:
            inp, tgt = args[0], args[1]
            if isinstance(inp, torch.Tensor) and isinstance(tgt, torch.Tensor) and inp.shape != tgt.shape \
                    and len(self.record.broadcast_calls) < 20:
                self.record.broadcast_calls.append(LossCall(kind, tuple(inp.shape), tuple(tgt.shape),
                                                            self.record.steps, training))

    # ---- the loss window: functional losses and backward() on sampled steps ------------
    def _on_call(self, name: str, args: tuple, kwargs: dict, out: Any) -> None:
        if name == "backward":
            if not self._in_backward:  # torch.autograd.backward called directly
                self._on_backward(args[0] if args else kwargs.get("tensors"))
            return
        inp = args[0] if args else kwargs.get("input")
        tgt = args[1] if len(args) > 1 else kwargs.get("target")
        if not isinstance(inp, torch.Tensor) or not isinstance(tgt, torch.Tensor):
            return
        training = torch.is_grad_enabled()
        rec = self.record
        if training and not self._train_window or not training and self._eval_left <= 0:
            return
        sample = sample_loss(name, inp, tgt, out, rec.steps, training, kwargs.get("ignore_index", -100),
                             kwargs.get("reduction", "mean"))
        if training:
            rec.samples.append(sample)
            self._win_summed |= sample.reduction == "sum"
            if not math.isnan(sample.value):
                self._since_backward += sample.value
                self._since_backward_n += 1
        else:
            rec.eval_samples.append((self._eval_pass_no, sample))
            self._eval_left -= 1
        rec.keep_bounded()
        if self._in_loss:
            return  # a loss module's own call: its module hook counted it
        rec.losses[name] = rec.losses.get(name, 0) + 1
        if training and isinstance(out, torch.Tensor) and out.numel() == 1:
            o = out.detach()
            self._step_loss = o if self._step_loss is None else self._step_loss + o
        if (name in REGRESSION_LOSSES or name in BINARY_LOSSES) and inp.shape != tgt.shape \
                and len(rec.broadcast_calls) < 20:
            rec.broadcast_calls.append(LossCall(name, tuple(inp.shape), tuple(tgt.shape), rec.steps, training))

    def _on_backward(self, tensor: Any) -> None:
        if isinstance(tensor, (list, tuple)):
            tensor = tensor[0] if len(tensor) == 1 else None
        if not self._train_window or self._in_step:
            return
        self._win_backwards += 1
        if isinstance(tensor, torch.Tensor) and tensor.numel() == 1 and self._step_loss is None \
                and not self._since_backward_n:
            self._step_loss = tensor.detach()  # a loss written by hand: its backward is the curve point
        if isinstance(tensor, torch.Tensor) and tensor.numel() == 1 and self._since_backward_n:
            total = self._since_backward
            if total and math.isfinite(total):
                ratio = float(tensor.detach()) / total
                self._win_ratios.append(ratio)
                if _plain_ratio(ratio):
                    self.record.matched_backwards += 1
                else:
                    self.record.mixed_backwards += 1
                if math.isfinite(ratio) and ratio > 0:
                    self._backward_scale = ratio
        elif isinstance(tensor, torch.Tensor) and tensor.numel() == 1:
            self.record.unmatched_backwards += 1
        self._since_backward, self._since_backward_n = 0.0, 0

    def _on_backward_any(self, tensor: torch.Tensor) -> None:
        try:
            self._on_backward_seen(tensor)
        except Exception as exc:  # noqa: BLE001 - never break the user's backward()
            self.notes.append(f"the loop observer failed reading backward() ({type(exc).__name__}: {exc})")
            self._stop_observing()

    def _on_backward_seen(self, tensor: torch.Tensor) -> None:
        if self._in_step or not isinstance(tensor, torch.Tensor):
            return
        if tensor.numel() == 1:
            self._backward_loss = tensor.detach()
        self._on_backward(tensor)
        self._backwards_without_step += 1
        if not self._opts and self._backwards_without_step > 2:
            self._manual_step()

    def _manual_step(self) -> None:
        """A loop without an optimizer (``p.data.add_(-lr * p.grad)``): each backward is a step
        of the loss curve, and ends a sampled window."""
        self._manual_steps += 1
        loss, self._step_loss = self._step_loss, None
        if loss is None:
            loss = self._backward_loss
        self._backward_loss = None
        if loss is not None:
            self._push_curve(loss)
        if self._train_window:
            self._win_backwards, self._win_ratios, self._win_summed = 0, [], False
            self._train_window = False
            self._window.leave()
        self._want_window = self._manual_steps % self.sample_every == 0

    def _close_step_window(self, opt: _Opt) -> None:
        step = self.record.steps - 1
        calls = [s for s in self.record.samples[-32:] if s.step == step]
        if len({s.tgt_min for s in calls if s.tgt_distinct == 1}) >= 2:
            self.record.adversarial_steps += 1
        self.record.windows.append(StepWindow(
            opt.seen.name, opt.seen.name in _ADAPTIVE, self._win_backwards, self._win_ratios, self._win_summed,
            same_loss=len({(s.kind, s.target_shape) for s in calls}) <= 1,
            constant_targets=any(s.tgt_distinct == 1 for s in calls)))
        self._win_backwards, self._win_ratios, self._win_summed = 0, [], False
        self._since_backward, self._since_backward_n = 0.0, 0
        self._train_window = False
        self._window.leave()

    # ---- optimizer hooks --------------------------------------------------------------
    def _opt_for(self, optimizer: torch.optim.Optimizer) -> _Opt:
        opt = self._opts.get(id(optimizer))
        if opt is None or opt.optimizer is not optimizer:
            seen = OptimizerSeen(type(optimizer).__name__, 0)
            opt = self._opts[id(optimizer)] = _Opt(optimizer, seen)
            self.record.optimizers[id(optimizer)] = seen
        n = sum(len(g["params"]) for g in optimizer.param_groups)
        if n != opt.nparams:
            opt.nparams = n
            opt.param_ids = {id(p) for g in optimizer.param_groups for p in g["params"]}
            opt.seen.params = sum(p.numel() for g in optimizer.param_groups for p in g["params"])
            opt.seen.tensors = n
            opt.root = None
        if opt.root is None:
            self._match_root(opt)
        return opt

    def _match_root(self, opt: _Opt) -> None:
        best, overlap = None, 0
        for root in self._roots.values():
            k = len(root.param_ids & opt.param_ids)
            if k > overlap:
                best, overlap = root, k
        if best is not None:
            opt.root = best
            opt.seen.model = best.seen.name
            best.seen.stepped = True

    def _pre_step(self, optimizer: torch.optim.Optimizer, args: tuple, kwargs: dict) -> None:
        if self.only_optimizer is not None and optimizer is not self.only_optimizer:
            return
        self._in_step = True
        opt = self._opt_for(optimizer)
        seen = opt.seen
        root = opt.root
        if root is not None and opt.forwards and not root.last_grad_training:
            seen.steps_in_eval_mode += 1
        grad = opt.grad
        if grad is not None:
            now = self._first_grad(optimizer)
            if now is grad:
                delta = grad._version - opt.version
                if opt.forwards and delta == opt.forwards:
                    seen.grad_kept += 1
                else:
                    seen.grad_cleared += 1
            elif now is not None or grad is not None:
                seen.grad_cleared += 1
        probing = (seen.steps + 1) % self.cadence == 0 or seen.steps < 3
        if probing:
            self._probe_step(opt)
        if self.training_checks and self._primary in (None, opt) and root is not None:
            if self.also_training_checks is None:
                from danfang.checks.training._watch import TrainingWatch

                self.also_training_checks = TrainingWatch(root.module, self.cadence)
                self._primary = opt
            self.also_training_checks.after_backward()

    def _probe_step(self, opt: _Opt) -> None:
        seen, optimizer = opt.seen, opt.optimizer
        params = [p for g in optimizer.param_groups for p in g["params"]]
        if not any(p.grad is not None for p in params):
            seen.steps_with_no_grad += 1
        if all(float(g.get("lr", 1.0) if not isinstance(g.get("lr"), torch.Tensor) else 1.0) == 0.0
               for g in optimizer.param_groups):
            seen.steps_lr_zero += 1
        seen.frozen_params = sum(1 for p in params if not p.requires_grad)
        if seen.first_step_seen is None:
            seen.first_step_seen = self.record.steps
        held = set().union(*(o.param_ids for o in self._opts.values()))
        for root in (opt.root, self._last_grad_root):
            if root is None:
                continue
            unheld = [n for n, p in root.module.named_parameters()
                      if p.grad is not None and p.requires_grad and id(p) not in held]
            if unheld:
                root.seen.unheld_with_grad = unheld

    @staticmethod
    def _first_grad(optimizer: torch.optim.Optimizer) -> torch.Tensor | None:
        for g in optimizer.param_groups:
            for p in g["params"]:
                if p.grad is not None:
                    return p.grad
        return None

    def _post_step(self, optimizer: torch.optim.Optimizer, args: tuple, kwargs: dict) -> None:
        if self.only_optimizer is not None and optimizer is not self.only_optimizer:
            return
        self._in_step = False
        opt = self._opts.get(id(optimizer))
        if opt is None:
            return
        seen = opt.seen
        seen.steps += 1
        self.record.steps += 1
        if self._train_window:
            self._close_step_window(opt)
        nxt = self.record.steps
        self._want_window = nxt < 3 or nxt % self.sample_every == 0
        grad = self._first_grad(optimizer)
        opt.grad, opt.version = grad, (grad._version if grad is not None else 0)
        opt.forwards = 0
        self._backwards_without_step = 0
        loss, self._step_loss = self._step_loss, None
        backward_loss, self._backward_loss = self._backward_loss, None
        if loss is None and backward_loss is not None:
            loss = backward_loss / self._backward_scale if self._backward_scale != 1.0 else backward_loss
        if self._primary is not None and opt is not self._primary:
            self._primary_idle += 1
            if self._primary_idle > 2 * self.cadence + 2:
                self._retire_primary()
        else:
            self._primary_idle = 0
        if opt is self._primary or self._primary is None:
            watch = self.also_training_checks
            if loss is not None:
                self._push_curve(loss)
                if watch is not None:
                    watch.add_loss(loss)
            if watch is not None and opt is self._primary:
                lr = optimizer.param_groups[0].get("lr", float("nan"))
                watch.after_step(self.epoch, float(lr) if not isinstance(lr, torch.Tensor) else float("nan"))
                watch.probes.prepare()
        if seen.steps % self.cadence == 0:
            self._judge()

    def _retire_primary(self) -> None:
        """The optimizer the training checks followed stopped stepping while another steps (a
        new phase, a rebuilt optimizer): keep what they found and follow the next one."""
        watch = self.also_training_checks
        if watch is not None:
            self._retired_findings += [f for f in watch.findings if f not in self._retired_findings]
            watch.close()
        self.also_training_checks, self._primary, self._primary_idle = None, None, 0

    def objective_need_not_fall(self) -> bool:
        """Whether the loop's loss need not fall, so its progress is not judged (task ``other``):
        several optimizers stepping different models (a GAN), one step scoring constant "real"
        and "fake" targets (a GAN in one model, a gradient-reversal game), or an objective written
        by hand (a policy gradient's ``-log_prob * return``) with no loss function behind it, or
        with hand-written terms added to the loss calls (an actor-critic's policy term plus its
        critic's ``smooth_l1_loss``) on most sampled steps."""
        rec = self.record
        busy = {o.model for o in rec.optimizers.values() if o.steps >= 3}
        return len(busy) >= 2 or rec.adversarial_steps > 0 or \
            rec.unmatched_backwards + rec.mixed_backwards > rec.matched_backwards

    # ---- judging and reporting ------------------------------------------------------------
    def _judge(self) -> None:
        watch = self.also_training_checks
        if watch is not None:
            watch.history.task = "other" if self.objective_need_not_fall() else None
            if watch.history.samples and watch.history.latest.update_ratio:
                ratios = sorted(watch.history.latest.update_ratio.values())
                self.record.update_ratio = ratios[len(ratios) // 2]
        for root in self._roots.values():
            if root.last_leaf is not None:
                root.seen.last_layer = type(root.last_leaf).__name__
        for check in self.checks:
            try:
                found = check.run(self.record)
            except Exception as exc:  # noqa: BLE001 - one broken check must not stop the others
                note = f"the loop check {check.code} failed ({type(exc).__name__}: {exc})"
                if note not in self.notes:
                    self.notes.append(note)
                continue
            for f in found:
                self._keep(f)

    def _keep(self, f: Finding) -> None:
        if all((g.code, g.where) != (f.code, f.where) for g in self._findings):
            self._findings.append(f)

    def _push_curve(self, loss: torch.Tensor) -> None:
        self._curve_pending.append(loss)
        self._curve_count += 1
        if len(self._curve_pending) >= 256:
            self._read_curve()  # one read-back per 256 steps keeps memory bounded

    def _read_curve(self) -> None:
        """The per-step training losses so far (read back at the end or on summary)."""
        if not self._curve_pending:
            return
        start = self._curve_count - len(self._curve_pending) + 1
        values = torch.stack([t.float().reshape(()).cpu() for t in self._curve_pending]).tolist()
        self._curve_pending = []
        for i, v in enumerate(values):
            if (start + i) % self._curve_stride == 0:
                self._curve.append((start + i, v))
        while len(self._curve) > _CURVE_POINTS:
            self._curve_stride *= 2
            self._curve = [(s, v) for s, v in self._curve if s % self._curve_stride == 0]

    @property
    def findings(self) -> list[Finding]:
        """Every (code, where) found so far, at its first occurrence; training checks included."""
        self._judge()
        out = list(self._findings)
        out += [f for f in self._retired_findings if all((g.code, g.where) != (f.code, f.where) for g in out)]
        if self.also_training_checks is not None:
            out += [f for f in self.also_training_checks.findings
                    if all((g.code, g.where) != (f.code, f.where) for g in out)]
        return out

    def summary(self) -> dict[str, Any]:
        """What was seen: models, optimizers, losses, steps, validation passes, the loss curve."""
        self._read_curve()
        rec = self.record
        return {
            "steps": rec.steps + self._manual_steps,   # optimizer steps, or backward() calls of a loop without one
            "optimizer_steps": rec.steps,
            "epochs": self.epoch,
            "models": [{"name": m.name, "params": m.params, "stepped": m.stepped,
                        "training_forwards": m.grad_forwards, "nograd_forwards": m.nograd_forwards,
                        "validation_passes": m.eval_passes} for m in rec.models.values()],
            "optimizers": [{"name": o.name, "params": o.params, "steps": o.steps, "model": o.model}
                           for o in rec.optimizers.values()],
            "losses": dict(rec.losses),
            "validation_passes": sum(m.eval_passes for m in rec.models.values() if m.stepped),
            "objective_need_not_fall": self.objective_need_not_fall(),
            "observer_notes": list(self.notes),
            "loss_curve": [v for _, v in self._curve],
            "loss_curve_steps": [s for s, _ in self._curve],
            "findings": [f.to_dict() for f in self.findings],
        }
