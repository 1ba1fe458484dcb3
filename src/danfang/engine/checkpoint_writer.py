"""Checkpoints written on a background thread, so the next epoch trains while the files
are serialised and fsynced; the snapshot is taken on the training thread at submit time."""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Any

import torch

from danfang.atomic import atomic_write_text
from danfang.checkpoint import save_checkpoint


def _snapshot(obj: Any) -> Any:
    """A copy that later training cannot change: tensors copied to the CPU, containers rebuilt."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().to("cpu", copy=True)
    if isinstance(obj, dict):
        return {k: _snapshot(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_snapshot(v) for v in obj)
    return copy.deepcopy(obj)


class CheckpointWriter:
    """Writes a checkpoint, then the run.json text that goes with it, on a background thread,
    one epoch at a time, so that the next epoch trains while the files are written and
    fsynced. ``wait()`` re-raises a failed write."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def submit(self, ckpt: dict[str, Any], path: Path, json_path: Path | None = None,
               json_text: str = "") -> None:
        self.wait()
        args = (_snapshot(ckpt), path, json_path, json_text)
        self._thread = threading.Thread(target=self._write, args=args, name="danfang-checkpoint")
        self._thread.start()

    def _write(self, ckpt: dict[str, Any], path: Path, json_path: Path | None, json_text: str) -> None:
        try:
            save_checkpoint(ckpt, path)
            if json_path is not None:
                atomic_write_text(json_path, json_text)
        except BaseException as exc:  # handed to the training thread by wait()
            self._error = exc

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error
