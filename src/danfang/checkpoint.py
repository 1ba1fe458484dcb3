"""Crash-safe checkpoints.

Written atomically (temp file, fsync, rename, fsync of the folder) so a kill at any
moment leaves either the previous checkpoint or the new one. Read with
``torch.load(weights_only=True)``: loading never executes code from the file.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import torch

from danfang.atomic import atomic_write
from danfang.errors import CheckpointError


def save_checkpoint(obj: dict[str, Any], path: str | os.PathLike) -> None:
    """Save ``obj`` (tensors, numbers, strings, lists, dicts) to ``path`` atomically."""
    atomic_write(path, lambda fh: torch.save(obj, fh), binary=True)


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint` without executing code from it."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: no such checkpoint.")
    try:
        obj = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(f"{path}: refused to load — the file asks to run code or build "
                              f"objects other than tensors and plain containers ({exc}). danfang only "
                              "loads checkpoints with weights_only=True.") from exc
    except Exception as exc:
        raise CheckpointError(f"{path}: cannot be read as a checkpoint ({type(exc).__name__}: {exc}).") from exc
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path}: expected a dict checkpoint, got {type(obj).__name__}.")
    return obj
