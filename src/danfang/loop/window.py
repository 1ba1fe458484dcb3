"""``LossWindow``: a ``TorchFunctionMode`` that sees loss functions (and ``torch.autograd.backward``).

Module hooks see ``nn.CrossEntropyLoss()(...)`` but not ``F.cross_entropy(...)``. While the window is open every torch function call passes through
:meth:`LossWindow.__torch_function__` (a dictionary lookup, then the call itself), so the
observer opens it only on sampled steps and for the first batches of an evaluation pass,
and never nests it under another mode it did not push.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

#: the functions the window reports, by the name the loop records use
WATCHED: dict[Callable, str] = {
    F.cross_entropy: "cross_entropy", F.nll_loss: "nll_loss",
    F.binary_cross_entropy_with_logits: "binary_cross_entropy_with_logits",
    F.binary_cross_entropy: "binary_cross_entropy",
    F.mse_loss: "mse_loss", F.l1_loss: "l1_loss", F.smooth_l1_loss: "smooth_l1_loss", F.huber_loss: "huber_loss",
    torch.autograd.backward: "backward",  # Tensor.backward is wrapped by the observer itself
}


class LossWindow(TorchFunctionMode):
    """Calls ``on_call(name, args, kwargs, result)`` after each watched function returns."""

    def __init__(self, on_call: Callable[[str, tuple, dict, Any], None]) -> None:
        super().__init__()
        self.on_call = on_call
        self.open = False
        self.broken = False   # another mode was pushed above ours: stop using the window

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = WATCHED.get(func)
        if name == "backward":
            self._report(name, args, kwargs, None)  # before: the graph is freed afterwards
            return func(*args, **kwargs)
        out = func(*args, **kwargs)
        if name is not None:
            self._report(name, args, kwargs, out)
        return out

    def _report(self, name: str, args: tuple, kwargs: dict, out: Any) -> None:
        try:
            self.on_call(name, args, kwargs, out)
        except Exception:  # observing must never change the user's program
            pass

    def enter(self) -> None:
        if not self.open and not self.broken:
            self.__enter__()
            self.open = True

    def leave(self) -> None:
        if not self.open:
            return
        n = torch._C._len_torch_function_stack()
        if n and torch._C._get_function_stack_at(n - 1) is self:
            self.__exit__(None, None, None)
            self.open = False
        else:
            self.broken = True  # popping now would pop the user's mode; stay inert instead
            self.on_call = _ignore


def _ignore(*args: Any) -> None:
    return None
