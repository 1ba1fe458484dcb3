"""Base class of everything the engine calls at its events."""

from __future__ import annotations

from typing import Any

from danfang.engine.events import Event


class Callback:
    """Override a method named after an :class:`Event` (``after_backward(self, state)``, …).

    A callback that keeps state across epochs returns it from :meth:`state_dict` (tensors,
    numbers, strings, lists and dicts only) so a resumed run continues where it left off.
    """

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass

    @classmethod
    def handles(cls, event: Event) -> bool:
        return getattr(cls, event.value, None) is not getattr(Callback, event.value, None)
