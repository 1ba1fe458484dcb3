"""Checkpoints written on a background thread, so the next epoch trains while the files
are serialised and fsynced; the snapshot is taken on the training thread at submit time.

Each checkpoint rotates ``last.pt`` to ``prev.pt`` (two good ones are kept). The writer times
what a checkpoint costs (the snapshot on the training thread plus the write), so that the
trainer can space checkpoints out by elapsed time when epochs are short (``due``)."""

from __future__ import annotations

import copy
import os
import threading
import time
from pathlib import Path
from typing import Any

import torch

from danfang.atomic import atomic_write_text, is_write_failure, output_error
from danfang.checkpoint import save_rotating


def _snapshot(obj: Any) -> Any:
    """A copy that later training cannot change: tensors copied to the CPU, containers rebuilt."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().to("cpu", copy=True)
    if isinstance(obj, dict):
        return {k: _snapshot(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_snapshot(v) for v in obj)
    return copy.deepcopy(obj)


def _replace_text(path: Path, text: str) -> None:
    """run.json between checkpoints: renamed into place (never half a file), not fsynced."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if is_write_failure(exc):
            raise output_error(exc, path) from exc  # type: ignore[arg-type]
        raise


class CheckpointWriter:
    """Writes a checkpoint, then the run.json text that goes with it, on a background thread,
    one epoch at a time, so that the next epoch trains while the files are written and
    fsynced. ``wait()`` re-raises a failed write.

    ``due(now)`` says whether a checkpoint is worth writing now: when at least
    ``share_inverse`` times its measured cost (snapshot + write) has passed since the last one,
    capped at ``max_interval_s``, so checkpoints take at most ~1/``share_inverse`` of the run's
    time (0.5% by default). The first one is always due; the trainer writes one at the end.
    """

    share_inverse = 200.0
    max_interval_s = 300.0

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.cost_s = 0.0            # the last checkpoint's snapshot + write time
        self._snapshot_s = 0.0
        self.last_at: float | None = None

    def due(self, now: float) -> bool:
        if self.last_at is None:
            return True
        if min(self.max_interval_s, self.share_inverse) <= 0:
            return True   # every epoch
        if self._thread is not None and self._thread.is_alive():
            return False  # the last one is still being written: its cost is not known yet
        cost = max(self.cost_s, self._snapshot_s)
        return now - self.last_at >= min(self.max_interval_s, self.share_inverse * cost)

    def submit(self, ckpt: dict[str, Any] | None, path: Path, json_path: Path | None = None,
               json_text: str = "", now: float | None = None) -> None:
        """Write ``ckpt`` into ``path``'s folder (rotating), then ``json_text``; ``ckpt=None``
        writes the run.json text alone."""
        self.wait()
        if ckpt is not None:
            self.last_at = time.perf_counter() if now is None else now
            t0 = time.perf_counter()
            snap = _snapshot(ckpt)
            self._snapshot_s = time.perf_counter() - t0
        else:
            snap = None
        args = (snap, path, json_path, json_text)
        self._thread = threading.Thread(target=self._write, args=args, name="danfang-checkpoint")
        self._thread.start()

    def _write(self, ckpt: dict[str, Any] | None, path: Path, json_path: Path | None, json_text: str) -> None:
        try:
            if ckpt is not None:
                t0 = time.perf_counter()
                save_rotating(ckpt, path)
                self.cost_s = self._snapshot_s + time.perf_counter() - t0
                if json_path is not None:
                    atomic_write_text(json_path, json_text)
            elif json_path is not None:
                _replace_text(json_path, json_text)
        except BaseException as exc:  # handed to the training thread by wait()
            self._error = exc

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error
