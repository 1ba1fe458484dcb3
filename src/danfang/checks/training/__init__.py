"""Checks of the training phase (DESIGN §3): watching a run as it trains."""

from __future__ import annotations

from typing import Any


def monitor_callbacks(settings: dict[str, Any]) -> list:
    """Callbacks that probe the run and add training findings to ``state.findings``.
    (Filled in by the training-monitor work.)"""
    return []
