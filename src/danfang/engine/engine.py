"""Dispatches events to callbacks, in order, skipping those that do not handle them."""

from __future__ import annotations

from typing import Iterable

from danfang.engine.callback import Callback
from danfang.engine.events import Event
from danfang.engine.state import State


class Engine:
    def __init__(self, callbacks: Iterable[Callback] = ()) -> None:
        self.callbacks = list(callbacks)
        self._table = {event: [getattr(cb, event.value) for cb in self.callbacks if cb.handles(event)]
                       for event in Event}

    def run(self, event: Event, state: State) -> None:
        for method in self._table[event]:
            method(state)

    def has(self, event: Event) -> bool:
        return bool(self._table[event])
