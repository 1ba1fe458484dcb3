"""Checks that read the user's own loop (gradient clearing, train/eval mode, what the optimizer
holds, loss-call shapes), fed by :class:`danfang.loop.LoopObserver`."""

from danfang.checks.loop._base import LoopCheck

__all__ = ["LoopCheck"]
