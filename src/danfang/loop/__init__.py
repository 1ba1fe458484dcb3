"""Watching the user's own training loop through PyTorch's global hooks."""

from danfang.loop.observer import LoopObserver
from danfang.loop.record import LoopRecord

__all__ = ["LoopObserver", "LoopRecord"]
