"""Run a Python script exactly as ``python SCRIPT ARGS`` would, and return its exit status.

Same ``sys.argv``, ``__main__`` as the module name, the script's folder first on
``sys.path``, the caller's working folder and streams. ``SystemExit`` gives its code; an
uncaught exception prints the script's traceback (from the script's first frame, as
python shows it) and gives 1; Ctrl-C gives 130.
"""

from __future__ import annotations

import runpy
import sys
import traceback
from pathlib import Path

from danfang.errors import UsageError


def check_script(path: str | Path) -> Path:
    """The script's path, or a :class:`UsageError` saying what was expected."""
    p = Path(path)
    if not p.exists():
        raise UsageError(f"danfang watch: no such file {str(p)!r}; pass the path of a Python training "
                         "script, e.g. `danfang watch train.py --epochs 1`.")
    if p.is_dir() or p.suffix != ".py":
        raise UsageError(f"danfang watch: {str(p)!r} is not a Python script; expected a file ending in .py.")
    return p.resolve()


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # python prints a non-integer exit argument and exits 1
    return 1


def _print_script_traceback(exc: BaseException, script: Path) -> None:
    tb = exc.__traceback__
    while tb is not None and Path(tb.tb_frame.f_code.co_filename).resolve() != script:
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb or exc.__traceback__, file=sys.stderr)


def run_script(script: Path, args: list[str]) -> int:
    """Run ``script`` with ``args`` in this process; return what ``python`` would exit with."""
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [str(script), *args]
    sys.path.insert(0, str(script.parent))
    try:
        runpy.run_path(str(script), run_name="__main__")
        return 0
    except SystemExit as exc:
        return _exit_status(exc.code)
    except KeyboardInterrupt as exc:
        _print_script_traceback(exc, script)
        return 130
    except BaseException as exc:  # noqa: BLE001 - the user's program failed: show it as python would
        _print_script_traceback(exc, script)
        return 1
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
