"""The terminal summary of a doctor run: the report's first screen, in rich.

A verdict panel (what the curves say and what to do next, with the key numbers), then the
findings worst first with their fixes, then where the files are.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from danfang.report.verdicts import SEVERITY_ORDER, verdict_style

SEVERITY_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "cyan"}


def verdict_panel(verdict: str, reason: str, numbers: str, title: str) -> Panel:
    style = verdict_style(verdict)
    body = Text()
    body.append(f" {style.title.upper()} ", style=style.rich)
    body.append(f"  {reason or style.meaning}\n")
    body.append("next: ", style="bold")
    body.append(style.next_step)
    if numbers:
        body.append(f"\n{numbers}", style="dim")
    return Panel(body, title=title, title_align="left", border_style=style.rich.split()[-1])


def findings_table(findings: list) -> Table:
    table = Table(expand=True, show_lines=True, header_style="bold")
    table.add_column("severity", no_wrap=True)
    table.add_column("finding", overflow="fold", ratio=3)
    table.add_column("fix", overflow="fold", ratio=2)
    for f in sorted(findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.phase)):
        where = " · ".join(x for x in (f.where, f.epoch is not None and f"epoch {f.epoch}") if x)
        cell = Text()
        cell.append(f.code, style="bold")
        cell.append(f"  {f.phase}" + (f" · {where}" if where else ""), style="dim")
        cell.append(f"\n{f.message}")
        table.add_row(Text(f.severity, style=SEVERITY_STYLE.get(f.severity, "")), cell, Text(f.fix))
    return table


def print_summary(result: Any, console: Console) -> None:
    """Print a :class:`danfang.doctor.DoctorResult` as the report's first screen."""
    from danfang.errors import RunDirError
    from danfang.report.load import load_report_input

    try:  # read back what the report shows, so both say the same
        shown = load_report_input(result.out, build_data_view=False)
        reason, numbers = shown.reason, " · ".join(f"{k} {v}" for k, v in shown.key_numbers().items())
    except RunDirError:
        reason, numbers = "", ""
    console.print(verdict_panel(result.verdict, reason, numbers, f"danfang doctor · {result.job.path}"))
    for note in result.notes:
        console.print(f"[dim]note:[/] {note}", highlight=False)
    if result.findings:
        counts = ", ".join(f"{n} {s}" for s in SEVERITY_ORDER
                           if (n := sum(f.severity == s for f in result.findings)))
        console.print(Group(Text(f"findings ({counts})", style="bold"), findings_table(result.findings)))
    else:
        console.print("[green]no findings:[/] nothing looks wrong.")
    console.print(f"report:   {result.out / 'report.html'}\nfindings: {result.out / 'findings.json'}",
                  highlight=False)
