"""The self-contained HTML report (``report.html``). (Filled in by the report work.)"""

from __future__ import annotations

import html
import json
from pathlib import Path

from danfang.findings import atomic_write_text


def write_report(folder: str | Path) -> Path:
    """Build ``folder/report.html`` from the run.json / findings.json in ``folder``."""
    folder = Path(folder)
    parts = []
    for name in ("findings.json", "run.json"):
        if (folder / name).exists():
            parts.append(f"<h2>{name}</h2><pre>{html.escape(json.dumps(json.loads((folder / name).read_text()), indent=1))}</pre>")
    path = folder / "report.html"
    atomic_write_text(path, "<!doctype html><meta charset='utf-8'><title>danfang report</title>" + "".join(parts))
    return path
