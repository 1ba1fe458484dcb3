"""Crash-safe checkpoints.

Written atomically (temp file, fsync, rename, fsync of the folder) so a kill at any
moment leaves either the previous checkpoint or the new one. A run keeps the last two
(``last.pt`` and ``prev.pt``) and a resume falls back to the older one, with a message, when
the newest cannot be read. Read with ``torch.load(weights_only=True)``: loading never
executes code from the file.
"""

from __future__ import annotations

import os
import pickle
import pickletools
import re
import sys
import warnings
import zipfile
from pathlib import Path
from typing import Any

import torch

from danfang.atomic import atomic_write
from danfang.errors import CheckpointError

LAST, PREV = "last.pt", "prev.pt"
_TMP = re.compile(r"^\..+\.tmp-(\d+)$")   # atomic_write's temp files: .NAME.tmp-PID
_SAFE_GLOBALS = ("torch.", "collections.OrderedDict", "_codecs.encode", "builtins.set",
                 "builtins.frozenset", "builtins.bytearray", "numpy.")


def save_checkpoint(obj: dict[str, Any], path: str | os.PathLike) -> None:
    """Save ``obj`` (tensors, numbers, strings, lists, dicts) to ``path`` atomically."""
    atomic_write(path, lambda fh: torch.save(obj, fh), binary=True)


def previous_path(path: str | os.PathLike) -> Path:
    """Where the checkpoint before ``path`` is kept: ``prev.pt`` beside ``last.pt``."""
    path = Path(path)
    return path.with_name(PREV) if path.name == LAST else path.with_name(f"{path.stem}.prev{path.suffix}")


def save_rotating(obj: dict[str, Any], path: str | os.PathLike) -> Path:
    """Save ``obj`` as ``path`` (``last.pt``), keeping the previous one as ``prev.pt``.

    A kill between the two steps leaves ``prev.pt`` alone, which :func:`load_latest` reads.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        os.replace(path, previous_path(path))
    save_checkpoint(obj, path)
    return path


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:   # exists but not ours
        return True
    return True


def clean_stale_temps(*folders: str | os.PathLike) -> list[Path]:
    """Remove the temp files (``.NAME.tmp-PID``) that a process killed mid-write left behind.

    Files of a process that is still alive are left alone. Returns the removed paths.
    """
    removed = []
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for p in folder.iterdir():
            m = _TMP.match(p.name)
            if m and p.is_file() and not _pid_alive(int(m.group(1))):
                try:
                    p.unlink()
                    removed.append(p)
                except OSError:
                    pass
    return removed


def _pickle_globals(data: bytes) -> list[str]:
    """The ``module.name`` globals a pickle would import (best effort on damaged bytes)."""
    found, strings = [], []
    try:
        for op, arg, _ in pickletools.genops(data):
            if op.name == "GLOBAL":
                found.append(str(arg).replace(" ", "."))
            elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
                found.append(f"{strings[-2]}.{strings[-1]}")
            elif op.name in ("INST", "OBJ") and arg:
                found.append(str(arg).replace(" ", "."))
            if isinstance(arg, str):
                strings.append(arg)
    except Exception:   # truncated or foreign bytes: report what was read
        pass
    return found


def _diagnose(path: Path, exc: BaseException) -> str:
    """Why ``path`` cannot be loaded, in words true for what the file actually holds."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as err:
        return f"cannot be read ({err.strerror or err})."
    size = path.stat().st_size
    if size == 0:
        return "is empty (0 bytes): it is not a checkpoint, or its write never finished."
    pkl: bytes | None = None
    if head.startswith(b"PK\x03\x04"):
        if not zipfile.is_zipfile(path):
            return ("is a damaged or truncated checkpoint archive (the zip that torch.save writes, "
                    f"with its end missing; {size} bytes).")
        try:
            with zipfile.ZipFile(path) as zf:
                names = [n for n in zf.namelist() if n.endswith("data.pkl")]
                pkl = zf.read(names[0]) if names else None
        except Exception:
            return f"is a damaged checkpoint archive ({type(exc).__name__}: {_first_line(exc)})."
        if pkl is None:
            return "is a zip archive but not a torch checkpoint (it holds no data.pkl)."
    elif head[:1] == b"\x80":
        with open(path, "rb") as fh:
            pkl = fh.read()
    else:
        return ("is not a checkpoint: its bytes are neither the archive that torch.save writes nor a "
                "pickle (random or foreign data, or a file overwritten by something else).")
    unsafe = [g for g in _pickle_globals(pkl) if not g.startswith(_SAFE_GLOBALS)]
    if unsafe:
        return ("refused: the file asks to import and call " + ", ".join(sorted(set(unsafe))[:5]) +
                " when loaded, which could run code. danfang loads checkpoints with weights_only=True "
                "and never runs code from them; use a checkpoint danfang wrote.")
    return f"is a damaged checkpoint ({type(exc).__name__}: {_first_line(exc)})."


def _first_line(exc: BaseException) -> str:
    lines = [ln for ln in str(exc).splitlines() if ln.strip()]
    return lines[0][:200] if lines else type(exc).__name__


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint` without executing code from it."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: no such checkpoint.")
    try:
        with warnings.catch_warnings():   # torch's note on a foreign pickle's protocol: we explain it
            warnings.filterwarnings("ignore", message="Detected pickle protocol", category=UserWarning)
            obj = torch.load(path, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, Exception) as exc:
        raise CheckpointError(f"{path}: {_diagnose(path, exc)}") from exc
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path}: expected a dict checkpoint, got {type(obj).__name__}.")
    return obj


def load_latest(folder: str | os.PathLike, map_location: str | torch.device = "cpu",
                valid: Any = None) -> tuple[dict[str, Any], Path] | None:
    """The newest readable checkpoint in ``folder`` (``last.pt``, else ``prev.pt``) and its path.

    ``valid(ckpt)`` may raise :class:`CheckpointError` to reject a checkpoint that loads but does
    not fit. When ``last.pt`` is unusable and ``prev.pt`` is used instead, a message says so on
    stderr and the bad file is renamed ``last.pt.corrupt`` (kept for inspection, out of the
    rotation). ``None`` when the folder holds neither; :class:`CheckpointError` when neither loads.
    """
    folder = Path(folder)
    last, prev = folder / LAST, folder / PREV
    if not last.exists() and not prev.exists():
        return None
    errors = []
    for p in (last, prev):
        if not p.exists():
            continue
        try:
            ckpt = load_checkpoint(p, map_location=map_location)
            if valid is not None:
                valid(ckpt)
        except CheckpointError as exc:
            errors.append(str(exc))
            continue
        if p == prev:
            why = errors[0] if errors else f"{last}: missing (the run was killed while rotating checkpoints)."
            if last.exists():
                os.replace(last, folder / (LAST + ".corrupt"))
                why += f" It was moved to {LAST}.corrupt."
            print(f"danfang: the newest checkpoint cannot be used — {why} Resuming from the previous "
                  f"one, {p} (epoch {int(ckpt.get('epoch', -1)) + 1}).", file=sys.stderr)
        return ckpt, p
    raise CheckpointError(" ".join(errors) + " No usable checkpoint is left; start a new run with another "
                          "--out, or delete the checkpoints folder to start this one again.")
