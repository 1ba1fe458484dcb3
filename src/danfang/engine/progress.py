"""A rich progress bar on stderr, one task for the run, advanced per batch."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from danfang.engine.callback import Callback
from danfang.engine.state import State


class ProgressBar(Callback):
    def __init__(self, description: str = "training") -> None:
        self.description = description
        self.progress: Progress | None = None
        self.task = None

    def fit_start(self, state: State) -> None:
        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                                 TimeRemainingColumn(), console=Console(file=sys.stderr),
                                 transient=False)
        self.progress.start()
        total = state.epochs * max(1, state.steps_per_epoch)
        self.task = self.progress.add_task(self.description, total=total,
                                           completed=state.epoch * state.steps_per_epoch, info="")

    def batch_end(self, state: State) -> None:
        if self.progress is not None:
            self.progress.advance(self.task)

    def epoch_end(self, state: State) -> None:
        if self.progress is None:
            return
        m = state.metrics
        info = f"epoch {m['epoch']}/{state.epochs} val_loss {m['val_loss']:.4f}"
        if m.get("val_acc") is not None:
            info += f" val_acc {m['val_acc']:.3f}"
        # state.epochs may change as a time budget is planned
        self.progress.update(self.task, info=info, completed=(state.epoch + 1) * state.steps_per_epoch,
                             total=state.epochs * max(1, state.steps_per_epoch))

    def fit_end(self, state: State) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
