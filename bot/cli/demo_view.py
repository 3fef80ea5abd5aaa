"""The demo's console view: each ticket with its classification and the bot's answer."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

STATE_STYLE = {"answered": "green", "awaiting_customer": "yellow", "escalated": "magenta",
               "needs_human": "red", "resolved": "green"}


def _labels(ticket: dict[str, Any]) -> Table:
    table = Table.grid(padding=(0, 2))
    for head in ("cut", "category", "root_cause"):
        p = ticket["labels"].get(head) or {}
        unsure = " (unsure)" if p.get("abstained") else ""
        table.add_row(Text(head.replace("_", " "), style="dim"),
                      Text(f"{p.get('label', '?')} {p.get('confidence', 0):.0%}{unsure}"))
    named = {k: v for k, v in ticket["entities"].items() if v and k in ("invoices", "clients", "vendors",
                                                                         "purchase_orders")}
    if named:
        table.add_row(Text("names", style="dim"), Text("; ".join(f"{k} {', '.join(v)}" for k, v in named.items())))
    if ticket["parent"]:
        table.add_row(Text("under", style="dim"), Text(ticket["parent"], style="bold"))
    return table


def show_tickets(tickets: list[dict[str, Any]], console: Console | None = None) -> None:
    console = console or Console()
    for t in tickets:
        parts: list[Any] = [Text(t["body"][:300], style="italic"), _labels(t)]
        for m in t["messages"]:
            who = "answer" if m["kind"] in ("answer", "acknowledgement") else f"{m['kind'].replace('_', ' ')} (on-call)"
            parts.append(Panel(m["text"], title=who, title_align="left", border_style="cyan"))
        state = t["state"]
        console.print(Panel(Group(*parts), title=f"{t['key']} · {t['title'][:70]}",
                            subtitle=f"from {t['reporter']} · [{STATE_STYLE.get(state, 'white')}]{state}[/]",
                            title_align="left", subtitle_align="right"))
