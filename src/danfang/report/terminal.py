"""The terminal summary of a doctor run (mirrors the report's first screen)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
PHASE_ORDER = {"data": 0, "preflight": 1, "training": 2, "curves": 3}


def print_summary(result: Any, console: Console) -> None:
    console.print(f"[bold]danfang doctor[/] {result.job.path}  verdict: [bold]{result.verdict}[/]")
    for note in result.notes:
        console.print(f"  note: {note}")
    if not result.findings:
        console.print("  no findings: nothing looks wrong.")
    else:
        table = Table(show_lines=False, expand=True)
        for col in ("phase", "severity", "code", "message", "fix"):
            table.add_column(col, overflow="fold")
        for f in sorted(result.findings, key=lambda f: (PHASE_ORDER.get(f.phase, 9), f.severity != "error")):
            table.add_row(f.phase, f"[{SEVERITY_STYLE[f.severity]}]{f.severity}[/]", f.code,
                          f.message + (f" [dim]({f.where})[/]" if f.where else ""), f.fix)
        console.print(table)
    console.print(f"findings: {result.out / 'findings.json'}")
