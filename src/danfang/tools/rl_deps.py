"""The RL study's optional dependencies (Gymnasium, Stable-Baselines3), imported lazily."""

from __future__ import annotations

from typing import Any

from danfang.errors import UsageError

INSTALL_HINT = "pip install 'danfang[rl]'  (or: pip install stable-baselines3 gymnasium)"


def gymnasium_module() -> Any:
    """``gymnasium``, or a :class:`UsageError` saying what to install."""
    try:
        import gymnasium
    except ImportError as exc:
        raise UsageError(f"the RL study needs Gymnasium and Stable-Baselines3: {INSTALL_HINT}.") from exc
    return gymnasium


def sb3_module() -> Any:
    """``stable_baselines3``, or a :class:`UsageError` saying what to install."""
    gymnasium_module()
    try:
        import stable_baselines3
    except ImportError as exc:
        raise UsageError(f"the RL study needs Stable-Baselines3: {INSTALL_HINT}.") from exc
    return stable_baselines3


def rl_missing() -> str | None:
    """None when both import, else the message saying what to install (tests skip on it)."""
    try:
        sb3_module()
    except UsageError as exc:
        return str(exc)
    return None
