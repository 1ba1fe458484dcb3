"""Read what a report shows from a doctor folder or a fit run directory.

A doctor folder holds ``findings.json`` and ``data_view.json`` with the monitored run in
``run/``; a fit run directory holds ``run.json`` (and ``checkpoints/``). Whatever is absent
is simply not shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from danfang.errors import RunDirError
from danfang.findings import Finding


@dataclass
class ReportInput:
    folder: Path
    kind: str                               # "doctor" or "run"
    job: str
    verdict: str
    reason: str
    findings: list[Finding]
    run: dict[str, Any] | None = None
    data_view: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def key_numbers(self) -> dict[str, str]:
        """The numbers of the summary card: epochs, time, best epoch and scores, test accuracy."""
        stats: dict[str, str] = {}
        run = self.run or {}
        history = run.get("history") or []
        if history:
            planned = (run.get("settings") or {}).get("epochs")
            stats["epochs"] = f"{len(history)}" + (f" of {planned}" if planned else "")
            stats["wall time"] = f"{as_float(history[-1].get('wall_s')):.1f} s"
        best = run.get("best") or {}
        if best:
            stats["best epoch"] = str(best.get("epoch"))
            stats["val loss at best"] = f"{as_float(best.get('val_loss')):.4g}"
            if best.get("val_acc") is not None:
                stats["val acc at best"] = f"{as_float(best['val_acc']):.4g}"
        test = run.get("test") or {}
        if test.get("test_acc") is not None:
            stats["test acc"] = f"{as_float(test['test_acc']):.4g}"
        return stats


def as_float(v: Any) -> float:
    """A JSON value as a float; NaN for None, strings and the like."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunDirError(f"{path} cannot be read as JSON ({exc}); rerun the command that wrote it.") from None
    if not isinstance(doc, dict):
        raise RunDirError(f"{path} holds a {type(doc).__name__}, expected a JSON object.")
    if doc.get("schema", 1) != 1:
        raise RunDirError(f"{path} has schema {doc.get('schema')!r}; this danfang reads schema 1.")
    return doc


def _curve_diagnosis(run: dict[str, Any]) -> tuple[str, str, list[Finding]]:
    from danfang.checks.curves import explain

    d = explain(run.get("history") or [], run.get("settings") or {}, status=run.get("status"),
                stop_reason=run.get("stop_reason"))
    return d.verdict, d.reason, d.findings


def _job_data_view(run: dict[str, Any], folder: Path, notes: list[str]) -> dict[str, Any] | None:
    """For a fit run with no data_view.json: build one from the job file, if it still loads."""
    job_path = Path(run.get("job") or "")
    if not job_path.is_file():
        return None
    try:
        from danfang.checks.data.views import data_view
        from danfang.findings import _jsonable, atomic_write_text
        from danfang.job import load_job

        view = _jsonable(data_view(load_job(job_path, check_model=False), []))
    except Exception as exc:  # the user's job may have changed since; the report goes on
        notes.append(f"data view skipped: the job could not be loaded again ({type(exc).__name__}: {exc})")
        return None
    atomic_write_text(folder / "data_view.json", json.dumps(view))
    return view


def load_report_input(folder: str | Path, *, build_data_view: bool = True) -> ReportInput:
    """Everything the report shows, from ``folder``; :class:`RunDirError` when it holds no run."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RunDirError(f"{folder} is not a directory; pass the folder `danfang doctor --out` or "
                          "`danfang fit --out` wrote (it holds findings.json or run.json).")
    run_path = next((p for p in (folder / "run.json", folder / "run" / "run.json") if p.is_file()), None)
    run = _read_json(run_path) if run_path else None
    view = _read_json(folder / "data_view.json") if (folder / "data_view.json").is_file() else None
    if (folder / "findings.json").is_file():
        doc = _read_json(folder / "findings.json")
        findings = [Finding.from_dict(f) for f in doc.get("findings", []) if isinstance(f, dict)]
        verdict = str(doc.get("verdict", "inconclusive"))
        reason = ""
        if run is not None:
            v, r, _ = _curve_diagnosis(run)
            reason = r if v == verdict else ""
        return ReportInput(folder, "doctor", str(doc.get("job", "")), verdict, reason, findings, run, view,
                           [str(n) for n in doc.get("notes", [])], dict(doc.get("timings_s", {})))
    if run is None:
        raise RunDirError(f"{folder} holds neither findings.json (a doctor folder) nor run.json (a fit run "
                          "directory); pass the folder a `danfang doctor` or `danfang fit` run wrote.")
    verdict, reason, curve_findings = _curve_diagnosis(run)
    findings = [Finding.from_dict(f) for f in run.get("findings") or [] if isinstance(f, dict)]
    notes: list[str] = []
    if view is None and build_data_view:
        view = _job_data_view(run, folder, notes)
    return ReportInput(folder, "run", str(run.get("job", "")), verdict, reason, findings + curve_findings,
                       run, view, notes)
