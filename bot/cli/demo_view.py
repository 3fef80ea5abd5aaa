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
        messages = t["messages"]
        # A proposal is one message shown in its last state (Slack updates it in place).
        last_proposal = max((i for i, m in enumerate(messages) if m["kind"] == "proposal"), default=None)
        for i, m in enumerate(messages):
            if m["kind"] == "proposal" and i != last_proposal:
                continue
            if m["kind"] in ("answer", "acknowledgement", "follow_up"):
                who = m["kind"].replace("_", " ")
            elif m["kind"].endswith("_notice"):
                who = f"to the {m['kind'].removesuffix('_notice').replace('_', ' ')} (recorded for e-mail)"
            else:
                who = f"{m['kind'].replace('_', ' ')} (on-call)"
            parts.append(Panel(m["text"], title=who, title_align="left", border_style="cyan"))
        state = t["state"]
        console.print(Panel(Group(*parts), title=f"{t['key']} · {t['title'][:70]}",
                            subtitle=f"from {t['reporter']} · [{STATE_STYLE.get(state, 'white')}]{state}[/]",
                            title_align="left", subtitle_align="right"))


RISK_STYLE = {"low": "green", "medium": "yellow", "high": "red"}
PROPOSAL_STYLE = {"proposed": "yellow", "verified": "green", "failed": "red", "rolled_back": "red",
                  "expired": "dim", "rejected": "dim", "shadow": "dim"}


def show_proposals(proposals: list[dict[str, Any]], *, approved_by: str | None,
                   console: Console | None = None) -> None:
    """The fixes the playbooks proposed, where each stands, and how to act on them."""
    console = console or Console()
    if not proposals:
        return
    table = Table(title="Fixes proposed by playbooks", title_justify="left")
    for column in ("#", "ticket", "playbook", "risk", "state", "what"):
        table.add_column(column)
    for p in proposals:
        what = p["outcome"] or p["summary"]
        table.add_row(str(p["id"]), p["ticket"], p["playbook"], Text(p["risk"], style=RISK_STYLE.get(p["risk"], "")),
                      Text(p["state"], style=PROPOSAL_STYLE.get(p["state"], "")), what[:110])
    console.print(table)
    if approved_by:
        console.print(f"(demo) on-call engineer [bold]{approved_by}[/] approved the feed re-parse; see "
                      "[bold]payops audit[/] for every step, before and after.")
    waiting = [p for p in proposals if p["state"] == "proposed"]
    if waiting:
        console.print(f"approve one yourself: PAYOPS_PLAYBOOKS__APPROVERS='[\"you\"]' payops playbook apply "
                      f"{waiting[0]['id']} --as you   |   payops playbook show {waiting[0]['id']}")
