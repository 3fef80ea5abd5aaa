"""The dashboard's headline figures and call-outs in the terminal (`payops metrics show`,
and the end of `payops demo`)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from bot.dashboard.render import kpis
from bot.insights.snapshot import Snapshot


def show_snapshot(snapshot: Snapshot, console: Console | None = None) -> None:
    console = console or Console()
    console.rule(f"[bold]Pipeline and tickets: {snapshot.filters.describe()}")
    if snapshot.callouts:
        console.print("[bold]Needs attention[/bold]")
        for callout in snapshot.callouts:
            console.print(f"  [red]![/red] {callout.text}")
    else:
        console.print("Nothing out of the ordinary against the last 8 weeks.")
    table = Table(show_header=False, box=None, padding=(0, 2))
    for kpi in kpis(snapshot):
        table.add_row(kpi.label, f"[bold]{kpi.value}[/bold]", f"[dim]{kpi.note}[/dim]")
    console.print(table)
    report = snapshot.recurrence
    if report is not None and report.ranking:
        console.print("[bold]Automate next[/bold] (hours a week it would give back)")
        for n, problem in enumerate(report.ranking[:3], start=1):
            console.print(f"  {n}. {problem.name}: {problem.score:.1f} h/week. {problem.advice}")
