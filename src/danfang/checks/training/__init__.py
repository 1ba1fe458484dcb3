"""Checks of the training phase (DESIGN §3): watching a run as it trains.

Each check is one file judging the probe history (:mod:`danfang.probes`); the same checks
run in ``danfang fit``/``doctor`` (:class:`TrainingMonitor`), in a user's own loop
(:class:`danfang.Monitor`) and in Lightning (:mod:`danfang.integrations.lightning`).
"""

from __future__ import annotations

from typing import Any

from danfang.checks.training._base import SustainedFractionCheck, TrainingCheck
from danfang.checks.training._callback import ALERTS, HISTORY, TrainingMonitor
from danfang.checks.training._history import ProbeHistory
from danfang.checks.training._watch import TrainingWatch, default_checks
from danfang.probes.probe_set import DEFAULT_CADENCE


def monitor_callbacks(settings: dict[str, Any]) -> list:
    """Callbacks that probe the run and add training findings to ``state.findings``."""
    return [TrainingMonitor(DEFAULT_CADENCE)]


__all__ = ["ALERTS", "HISTORY", "DEFAULT_CADENCE", "ProbeHistory", "SustainedFractionCheck", "TrainingCheck",
           "TrainingMonitor", "TrainingWatch", "default_checks", "monitor_callbacks"]
