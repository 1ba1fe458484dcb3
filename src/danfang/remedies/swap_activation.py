"""Swap a dying or saturating activation for a better-behaved one."""

from __future__ import annotations

from typing import Any, Callable

from torch import nn

from danfang.engine.state import State
from danfang.findings import Finding
from danfang.probes.functional import is_call_site
from danfang.remedies._base import Remedy
from danfang.remedies.reinit import reinitialise, reset_optimizer_state


def _parent(model: nn.Module, name: str) -> tuple[nn.Module, str]:
    path, _, leaf = name.rpartition(".")
    return (model.get_submodule(path) if path else model), leaf


class SwapActivation(Remedy):
    """Replace every ``nn.Module`` activation of ``kinds`` by ``make()`` — except the model's
    last module, which may be an output activation (e.g. a sigmoid before BCELoss).
    With ``reinit=True`` the weights are re-initialised for the new activation (needed when
    the old one left them in a bad place, as deep sigmoid stacks do). Undo puts the old
    modules back and restores the weights.

    A functional call (``F.relu``, ``torch.sigmoid``) is no module and cannot be swapped: the
    remedy declines a finding that names a call site (``layer1.0:relu``), and a model with no
    activation module, so the repairer goes on to its next remedy."""

    def __init__(self, name: str, kinds: tuple[type[nn.Module], ...], make: Callable[[], nn.Module],
                 reinit: bool = False) -> None:
        self.name, self.kinds, self.make, self.reinit = name, kinds, make, reinit
        self.changes = (f"replaces {'/'.join(k.__name__ for k in kinds)} modules by "
                        f"{type(make()).__name__}" + (", then re-initialises" if reinit else ""))
        self.swapped: list[tuple[str, nn.Module]] = []

    def _targets(self, model: nn.Module) -> list[tuple[str, nn.Module]]:
        named = [(n, m) for n, m in model.named_modules() if n]
        last = named[-1][0] if named else None
        return [(n, m) for n, m in named if isinstance(m, self.kinds) and n != last]

    def applies(self, state: State, finding: Finding, repairer: Any) -> bool:
        return not is_call_site(finding.where) and bool(self._targets(state.model))

    def apply(self, state: State, finding: Finding, repairer: Any) -> dict[str, Any]:
        self.swapped = []
        for name, old in self._targets(state.model):
            parent, leaf = _parent(state.model, name)
            setattr(parent, leaf, self.make())
            self.swapped.append((name, old))
        done: dict[str, Any] = {"modules": [n for n, _ in self.swapped], "to": type(self.make()).__name__}
        if self.reinit:
            done["reinit"] = reinitialise(state.model)["scheme"]
            reset_optimizer_state(state.optimizer)
        return done

    def undo(self, state: State, repairer: Any) -> None:
        for name, old in self.swapped:
            parent, leaf = _parent(state.model, name)
            setattr(parent, leaf, old)
        self.swapped = []
        super().undo(state, repairer)
