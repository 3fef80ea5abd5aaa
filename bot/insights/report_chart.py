"""The recurrence report as one PNG for a manager: what recurs most, and how it moves week by week.

Drawn on a bare `Figure` with the Agg canvas, never through pyplot: pyplot keeps global
state (current figure, backend) that a long-running, threaded service must not share.
"""

from __future__ import annotations

import io

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bot.insights.recurrence_report import Problem, RecurrenceReport

WIDTH_IN, HEIGHT_IN, DPI = 12, 7, 100  # 1200 x 700 px: readable inline in Slack
TOP_BARS, TOP_LINES = 10, 5
NAME_CHARS = 34
# The dashboard's colours (bot/dashboard/charts.py), so both views read the same.
KIND_COLOURS = {"root_cause": "#1565c0", "cluster": "#6a1b9a", "one_offs": "#9e9e9e"}
LINE_COLOURS = ("#1565c0", "#6a1b9a", "#c62828", "#f9a825", "#2e7d32")


def recurrence_png(report: RecurrenceReport) -> bytes:
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(fig)
    fig.suptitle(f"Recurrence report: {report.filters.describe()} ({report.total_tickets} tickets)",
                 fontsize=14, fontweight="bold")
    if report.total_tickets == 0 or not report.problems:
        fig.text(0.5, 0.5, "No tickets in this period: nothing recurred.", ha="center", va="center",
                 fontsize=16, color="#555555")
    else:
        left, right = fig.subplots(1, 2)
        _bars(left, report.problems[:TOP_BARS])
        _lines(right, report)
        # Room on the left for the problem names, below for the lines' legend.
        fig.subplots_adjust(left=0.22, right=0.97, top=0.88, bottom=0.25, wspace=0.22)
    out = io.BytesIO()
    # Fixed size on purpose: bbox_inches="tight" would make the pixel size depend on the labels.
    fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _short(name: str, limit: int = NAME_CHARS) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _uncovered(p: Problem) -> bool:
    return p.kind != "one_offs" and p.playbook is None


def _bars(ax: Axes, problems: tuple[Problem, ...]) -> None:
    shown = list(reversed(problems))  # barh draws bottom-up; most tickets on top
    labels = [_short(p.name) for p in shown]
    bars = ax.barh(range(len(shown)), [p.tickets for p in shown],
                   color=[KIND_COLOURS.get(p.kind, "#9e9e9e") for p in shown])
    for bar, p in zip(bars, shown, strict=True):
        if _uncovered(p):  # hatched: no playbook yet, a root-cause fix candidate
            bar.set_hatch("//")
            bar.set_edgecolor("white")
        ax.annotate(f"{p.tickets}" + ("  no playbook" if _uncovered(p) else ""), (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    xytext=(3, 0), textcoords="offset points", va="center", fontsize=9)
    ax.set_yticks(range(len(shown)), labels, fontsize=9)
    ax.set_xlabel("tickets")
    ax.set_title(f"Top {len(shown)} problems by tickets", fontsize=11)
    ax.margins(x=0.3)  # room for the "no playbook" annotations
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(handles=[Patch(color=KIND_COLOURS["root_cause"], label="known root cause"),
                       Patch(color=KIND_COLOURS["cluster"], label="cluster of unknown tickets"),
                       Patch(facecolor="#bbbbbb", hatch="//", edgecolor="white", label="no playbook")],
              loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize=8, frameon=False)


def _lines(ax: Axes, report: RecurrenceReport) -> None:
    # One-offs are noise by definition: the lines follow the recurring problems only.
    top = [p for p in report.problems if p.kind != "one_offs"][:TOP_LINES]
    x = list(range(len(report.weeks)))
    for p, colour in zip(top, LINE_COLOURS, strict=False):
        ax.plot(x, list(p.per_week), marker="o" if len(x) <= 16 else None, markersize=4, color=colour,
                label=f"{_short(p.name, 40)} ({p.trend})")
    step = -(-len(x) // 6)  # at most 6 week labels, or they overlap
    ax.set_xticks(x[::step], [f"{w:%d %b}" for w in report.weeks[::step]], fontsize=9)
    ax.set_xlabel("week starting")
    ax.set_ylabel("tickets")
    ax.set_ylim(bottom=0)
    ax.set_title(f"Tickets per week, top {len(top)} recurring problems", fontsize=11)
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    if top:
        ax.legend(loc="upper left", bbox_to_anchor=(0, -0.12), fontsize=8, frameon=False)
