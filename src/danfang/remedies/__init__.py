"""Remedies: change a run in response to findings, and record every change."""

from __future__ import annotations

from typing import Any


def repair_callbacks(settings: dict[str, Any]) -> list:
    """Callbacks that repair what the monitor finds. (Filled in by the repair work.)"""
    return []
