"""The recurrence report as JSON, Markdown (Slack, tickets, wikis) or a standalone HTML page."""

from __future__ import annotations

import html
import json
from typing import Any

from bot.insights.recurrence_report import Problem, RecurrenceReport

FORMATS = ("md", "html", "json")


def as_dict(report: RecurrenceReport) -> dict[str, Any]:
    return {
        "scope": report.filters.describe(),
        "filters": report.filters.query(),
        "generated_at": report.generated_at.isoformat(),
        "weeks": [w.isoformat() for w in report.weeks],
        "total_tickets": report.total_tickets,
        "assumed_success": report.assumed_success,
        "problems": [_problem(p) for p in report.problems],
        "automate_next": [p.key for p in report.ranking],
        "notes": list(report.notes),
    }


def _problem(p: Problem) -> dict[str, Any]:
    return {"key": p.key, "name": p.name, "kind": p.kind, "tickets": p.tickets, "per_week": list(p.per_week),
            "trend": p.trend, "playbook": p.playbook, "human_hours": p.human_hours, "waited_hours": p.waited_hours,
            "deflected": p.deflected,
            "success_rate": p.success_rate, "success_measured": p.measured, "score": p.score, "advice": p.advice,
            "example": p.example, "tickets_seen": list(p.ticket_keys)}


def render(report: RecurrenceReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(as_dict(report), indent=2)
    if fmt == "md":
        return markdown(report)
    if fmt == "html":
        return page(report)
    raise ValueError(f"format {fmt!r}: one of {', '.join(FORMATS)}")


def _covered(p: Problem) -> str:
    if p.kind == "one_offs":
        return "-"
    return p.playbook or "none: root-cause fix candidate"


def _success(p: Problem) -> str:
    if p.success_rate is None or p.kind == "one_offs":
        return "-"
    return f"{p.success_rate:.0%}" + ("" if p.measured else " (assumed)")


def markdown(report: RecurrenceReport) -> str:
    lines = [f"*Recurrence report*: {report.filters.describe()} ({report.total_tickets} tickets)", ""]
    if report.ranking:
        lines.append("*Automate next* (hours a week it would give back):")
        for n, p in enumerate(report.ranking[:5], start=1):
            lines.append(f"{n}. *{p.name}*: {p.score:.1f} h/week. {p.advice}")
        lines.append("")
    weeks = " ".join(f"{w:%d %b}" for w in report.weeks)
    lines += [f"| problem | tickets | per week ({weeks}) | trend | playbook | handling hours (est.) | success |",
              "| --- | ---: | --- | --- | --- | ---: | ---: |"]
    for p in report.problems:
        lines.append(f"| {p.name} | {p.tickets} | {' '.join(str(n) for n in p.per_week)} | {p.trend} | "
                     f"{_covered(p)} | {p.human_hours:.1f} | {_success(p)} |")
    lines.append("")
    lines += [f"_{note}_" for note in report.notes]
    return "\n".join(lines) + "\n"


def page(report: RecurrenceReport) -> str:
    e = html.escape
    ranking = "".join(f"<li><b>{e(p.name)}</b>: {p.score:.1f} h/week. {e(p.advice)}</li>" for p in report.ranking[:5])
    head = "".join(f"<th>{e(h)}</th>" for h in ("problem", "tickets", "per week", "trend", "playbook",
                                                 "handling hours (est.)", "success", "example"))
    rows = "".join(
        "<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in (
            p.name, p.tickets, " ".join(str(n) for n in p.per_week), p.trend, _covered(p), f"{p.human_hours:.1f}",
            _success(p), p.example)) + "</tr>"
        for p in report.problems)
    notes = "".join(f"<p class='note'>{e(n)}</p>" for n in report.notes)
    return ("<!doctype html><html><head><meta charset='utf-8'><title>payops recurrence report</title>"
            "<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.note{color:#666}</style></head><body>"
            f"<h1>Recurrence report</h1><p>{e(report.filters.describe())}: {report.total_tickets} tickets, weeks "
            f"from {e(', '.join(f'{w:%Y-%m-%d}' for w in report.weeks))}</p>"
            f"<h2>Automate next</h2><ol>{ranking or '<li>nothing measurable yet</li>'}</ol>"
            f"<h2>What recurs</h2><table><tr>{head}</tr>{rows}</table>{notes}</body></html>")


SLACK_LIMIT = 40_000  # characters Slack accepts in one message (and in an upload's initial_comment)
SLACK_ROWS = 40  # beyond this a code block stops being read; the md/html report has every row
SLACK_NAME = 32


def slack_text(report: RecurrenceReport, limit: int = SLACK_LIMIT, max_rows: int = SLACK_ROWS) -> str:
    """Slack mrkdwn: no tables there, so the problems go in a fixed-width code block."""
    head = [f"*Recurrence report*: {_slack(report.filters.describe())} ({report.total_tickets} tickets)", ""]
    if report.ranking:
        head.append("*Automate next* (hours a week it would give back):")
        head += [f"{n}. *{_slack(p.name)}*: {p.score:.1f} h/week. {_slack(p.advice)}"
                 for n, p in enumerate(report.ranking[:5], start=1)]
        head.append("")
    columns = f"{'problem':<{SLACK_NAME}} {'tickets':>7}  {'trend':<7} {'playbook':<24} {'hours':>6}"
    rows = [f"{_cell(p.name, SLACK_NAME)} {p.tickets:>7}  {p.trend:<7} "
            f"{_cell(p.playbook or ('-' if p.kind == 'one_offs' else 'none'), 24)} {p.human_hours:>6.1f}"
            for p in report.problems]
    notes = [f"_{_slack(note)}_" for note in report.notes]

    def text(shown: int) -> str:
        left_out = len(rows) - shown
        more = [f"_{left_out} more problem{'s' * (left_out != 1)} not shown: the md/html report lists them all._"]
        table = ["```", columns, *rows[:shown], "```"]
        return "\n".join(head + table + (more if left_out else []) + notes)

    shown = min(len(rows), max_rows)
    while shown > 0 and len(text(shown)) > limit:  # drop rows, never the heading or the ranking
        shown -= 1
    out = text(shown)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def _slack(s: str) -> str:
    """Slack reads &, < and > as markup (links, mentions): escape them as its docs ask."""
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(s: str, width: int) -> str:
    # A backtick would close the code block early; long names would break the columns.
    # Padded before escaping: Slack shows "&amp;" as one character.
    s = " ".join(s.replace("`", "'").split())
    return _slack((s if len(s) <= width else s[: width - 1] + "…").ljust(width))
