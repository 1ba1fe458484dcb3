"""Functional activation calls (``F.relu``, ``torch.sigmoid``, ``x.tanh()``…), seen on probe steps.

:class:`CallSites` is a :class:`~torch.overrides.TorchFunctionMode` plus a forward pre-hook
and hook on every module of the model that keep a stack of the modules running. It exists
only between :meth:`~CallSites.attach` and :meth:`~CallSites.detach` (one probe step), and
the mode is on the mode stack only while a module of the model runs: it is entered when the
outermost module's forward starts and left when it ends, so the loss, the optimizer and the
data loading never go through it, and nothing at all is active between probe steps.

A call site is named after the innermost running module and the activation:
``layer1.0:relu``, then ``layer1.0:relu#2`` for the second relu of one forward of that module;
calls in the root module's own forward use its class name (``Net:relu``). Calls are skipped
in eval mode, outside any module, and inside the activation modules a probe hooks already
(``nn.ReLU`` calls ``F.relu``). ``__torch_function__`` runs with the mode popped, so what a
function calls itself (``F.relu`` -> ``torch.relu``) is not seen a second time.

A compiled model (``torch.compile``: an ``OptimizedModule`` or a module with ``_orig_mod`` or
a compiled forward anywhere in it) is left alone: a mode inside the forward would break its
graphs, so only the activation modules' hooks see it. A model found to make no call of the
watched functions on its first probe step is not watched again (the mode costs a Python
call per torch function while it is on).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from functools import partial

import torch
from torch import nn
from torch.overrides import (
    TorchFunctionMode,
    _get_current_function_mode_stack,
    _pop_mode,
    _push_mode,
)


def is_call_site(name: str | None) -> bool:
    """Whether a probe name is a functional call site (``layer1.0:relu``) rather than a module."""
    return bool(name) and ":" in name


def is_compiled(model: nn.Module) -> bool:
    return any(hasattr(m, "_orig_mod") or getattr(m, "_compiled_call_impl", None) is not None
               for m in model.modules())


class CallSites(TorchFunctionMode):
    """While attached, hand ``record(site name, kind, output)`` the output of every
    training-mode call of ``functions`` (function -> activation kind) made in a module's
    forward, except inside modules of the ``skip`` types."""

    def __init__(self, functions: dict[Callable, str], skip: tuple[type[nn.Module], ...],
                 record: Callable[[str, str, torch.Tensor], None]) -> None:
        super().__init__()
        self.functions, self.skip, self.record = functions, skip, record
        self._handles: list = []
        self._stack: list[tuple[str, nn.Module, dict[str, int]]] = []
        self._plain: weakref.WeakSet = weakref.WeakSet()  # models seen to make no such call
        self._model: nn.Module | None = None
        self.ran = self.seen = False  # a training forward ran / a call was recorded, since attach

    @property
    def attached(self) -> bool:
        return bool(self._handles)

    def attach(self, model: nn.Module) -> None:
        self.detach()
        if not self.functions or model in self._plain or is_compiled(model):
            return
        self._model, root = model, type(model).__name__
        for name, module in model.named_modules():
            if not isinstance(module, torch.jit.ScriptModule):  # runs no Python forward
                self._handles.append(module.register_forward_pre_hook(partial(self._enter, name or root)))
                self._handles.append(module.register_forward_hook(self._leave, always_call=True))

    def detach(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles, self._stack = [], []
        self._leave_mode()
        if self._model is not None and self.ran and not self.seen:
            self._plain.add(self._model)
        self._model, self.ran, self.seen = None, False, False

    def _enter(self, name: str, module: nn.Module, args: tuple) -> None:
        if not self._stack:
            _push_mode(self)
        self._stack.append((name, module, {}))

    def _leave(self, module: nn.Module, args: tuple, output: object) -> None:
        if self._stack and self._stack[-1][1] is module:
            self._stack.pop()
            if not self._stack:
                self.ran = self.ran or module.training
                self._leave_mode()

    def _leave_mode(self) -> None:
        """Pop this mode, also from under modes pushed after it (the others go back on)."""
        if not any(m is self for m in _get_current_function_mode_stack()):
            return
        above = []
        while (top := _pop_mode()) is not self:
            above.append(top)
        for m in reversed(above):
            _push_mode(m)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        kind = self.functions.get(func)
        if kind is not None and self._stack:
            name, module, counts = self._stack[-1]
            if module.training and not isinstance(module, self.skip) and isinstance(out, torch.Tensor) \
                    and out.numel():
                counts[kind] = n = counts.get(kind, 0) + 1
                self.seen = True
                self.record(f"{name}:{kind}" + (f"#{n}" if n > 1 else ""), kind, out)
        return out
