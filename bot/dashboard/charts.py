"""The dashboard's Plotly figures as plain dicts (JSON-ready), one function per chart.

Only built-in types go in (str, int, float, None): the page embeds the figures with
Jinja2's `tojson`. Missing values are None, never NaN (NaN is not JSON).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the snapshot module pulls in the recurrence clustering (scikit-learn)
    from bot.insights.queries import PipelineCounts
    from bot.insights.snapshot import Snapshot

Figure = dict[str, Any]

GREEN, AMBER, RED, GREY, BLUE, PURPLE = "#2e7d32", "#f9a825", "#c62828", "#9e9e9e", "#1565c0", "#6a1b9a"
SEVERITY_COLOURS = {"block": RED, "hold": AMBER, "incident": PURPLE}
KIND_COLOURS = {"root_cause": BLUE, "cluster": PURPLE, "one_offs": GREY}
# Categories in the taxonomy's order, then anything else the facts hold (e.g. "unknown").
CATEGORIES = ("inquiry", "incident", "data_fix", "config_change", "other")
CATEGORY_COLOURS = {"inquiry": BLUE, "incident": RED, "data_fix": AMBER, "config_change": PURPLE,
                    "other": GREY}
TOP_CLIENTS = 15


def _layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "height": 320, "margin": {"l": 56, "r": 24, "t": 16, "b": 48},
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        "legend": {"orientation": "h", "y": 1.12, "x": 0, "traceorder": "normal"},
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
        "xaxis": {"gridcolor": "#eceff1"}, "yaxis": {"gridcolor": "#eceff1", "rangemode": "tozero"},
    }
    layout.update(extra)
    return layout


def _count_axis(title: str, top: int) -> dict[str, Any]:
    """A y axis for counts up to `top`: whole-number ticks when they are small (no "0.2 invoices")."""
    axis: dict[str, Any] = {"title": {"text": title}, "rangemode": "tozero", "gridcolor": "#eceff1"}
    if top < 8:
        axis.update(dtick=1, tick0=0)
    return axis


def _empty(layout: dict[str, Any], message: str) -> dict[str, Any]:
    """Say so on the chart instead of drawing empty axes a reader could take for zeros."""
    layout["annotations"] = [{"text": message, "showarrow": False, "xref": "paper", "yref": "paper",
                              "x": 0.5, "y": 0.5, "font": {"size": 14, "color": "#607d8b"}}]
    return layout


def pipeline_health(s: Snapshot) -> Figure:
    """Per day: what became of the rows received, stacked."""
    days = [c.key for c in s.pipeline_days]
    parts = (("accepted", "accepted", GREEN), ("on hold", "on_hold", AMBER),
             ("rejected", "rejected", RED), ("unreadable", "quarantined", GREY))
    data = [{"type": "bar", "name": name, "x": days, "y": [getattr(c, field) for c in s.pipeline_days],
             "marker": {"color": colour}, "hovertemplate": f"%{{x}}: %{{y}} {name}<extra></extra>"}
            for name, field, colour in parts]
    layout = _layout(barmode="stack", yaxis=_count_axis("invoices", max((c.received for c in s.pipeline_days), default=0)))
    return {"data": data, "layout": layout if s.pipeline.received else _empty(layout, "no invoices in range")}


def client_rates(s: Snapshot) -> Figure:
    """Rejection and hold rates of the biggest clients (by invoices received)."""
    top: list[PipelineCounts] = s.by_client[:TOP_CLIENTS]
    clients = [c.key or "unattributed" for c in top]
    data = [{"type": "bar", "name": name, "x": clients, "y": [getattr(c, rate) for c in top],
             "customdata": [[getattr(c, count), c.received] for c in top], "marker": {"color": colour},
             "hovertemplate": f"%{{x}}: %{{y:.1%}} {name} (%{{customdata[0]}} of %{{customdata[1]}})<extra></extra>"}
            for name, rate, count, colour in (("rejected", "rejection_rate", "rejected", RED),
                                              ("on hold", "hold_rate", "on_hold", AMBER))]
    layout = _layout(barmode="group", yaxis={"tickformat": ".0%", "rangemode": "tozero",
                                             "title": {"text": "share of invoices received"}},
                     xaxis={"type": "category"})
    return {"data": data, "layout": layout if top else _empty(layout, "no invoices in range")}


def findings_by_rule(s: Snapshot) -> Figure:
    """Findings of the rules that stop invoices, most first."""
    rules = [rule for rule, _, _ in s.by_rule]
    data = [{"type": "bar", "orientation": "h", "name": "findings", "y": rules,
             "x": [n for _, _, n in s.by_rule], "customdata": [sev for _, sev, _ in s.by_rule],
             "marker": {"color": [SEVERITY_COLOURS.get(sev, GREY) for _, sev, _ in s.by_rule]},
             "hovertemplate": "%{y} (%{customdata}): %{x} findings<extra></extra>"}]
    layout = _layout(showlegend=False, height=max(320, 40 + 24 * len(rules)),
                     yaxis={"autorange": "reversed", "type": "category"},
                     xaxis={"title": {"text": "findings"}, "rangemode": "tozero"},
                     margin={"l": 120, "r": 24, "t": 16, "b": 48})
    return {"data": data, "layout": layout if rules else _empty(layout, "no stopping findings in range")}


def ticket_flow(s: Snapshot) -> Figure:
    """Tickets per day by category, and the share payops closed alone (second axis)."""
    flow = s.tickets
    days = list(flow.per_day)
    seen = {cat for counts in flow.per_day.values() for cat in counts}
    categories = [c for c in CATEGORIES if c in seen] + sorted(seen - set(CATEGORIES))
    data: list[dict[str, Any]] = [
        {"type": "bar", "name": cat.replace("_", " "), "x": days,
         "y": [flow.per_day[d].get(cat, 0) for d in days], "marker": {"color": CATEGORY_COLOURS.get(cat, GREY)}}
        for cat in categories]
    totals = [sum(flow.per_day[d].values()) for d in days]
    rates = [flow.deflected_per_day.get(d, 0) / t if t else None for d, t in zip(days, totals, strict=True)]
    data.append({"type": "scatter", "mode": "lines+markers", "name": "deflection rate", "x": days, "y": rates,
                 "yaxis": "y2", "connectgaps": False, "line": {"color": "#263238", "width": 2},
                 "hovertemplate": "%{x}: %{y:.0%} deflected<extra></extra>"})
    layout = _layout(barmode="stack", yaxis=_count_axis("tickets", max(totals, default=0)),
                     yaxis2={"overlaying": "y", "side": "right", "range": [0, 1], "tickformat": ".0%",
                             "showgrid": False, "title": {"text": "deflected"}},
                     margin={"l": 56, "r": 64, "t": 16, "b": 48})
    return {"data": data, "layout": layout if flow.total else _empty(layout, "no tickets in range")}


def recurrence(s: Snapshot) -> Figure:
    """Tickets per recurring problem (root causes and clusters of unknown tickets)."""
    problems = list(s.recurrence.problems) if s.recurrence else []
    data = [{"type": "bar", "orientation": "h", "name": "tickets", "y": [p.name for p in problems],
             "x": [p.tickets for p in problems], "customdata": [p.trend for p in problems],
             "marker": {"color": [KIND_COLOURS.get(p.kind, GREY) for p in problems]},
             "hovertemplate": "%{y}: %{x} tickets (%{customdata})<extra></extra>"}]
    layout = _layout(showlegend=False, height=max(320, 40 + 26 * len(problems)),
                     yaxis={"autorange": "reversed", "type": "category", "automargin": True},
                     xaxis={"title": {"text": "tickets"}, "rangemode": "tozero"})
    return {"data": data, "layout": layout if problems else _empty(layout, "no recurring problems in range")}


def sla(s: Snapshot) -> Figure:
    """Immediate-pay invoices received per day against those that missed their 2 hours."""
    days = [c.key for c in s.pipeline_days]
    data = [{"type": "bar", "name": name, "x": days, "y": [getattr(c, field) for c in s.pipeline_days],
             "marker": {"color": colour}}
            for name, field, colour in (("immediate-pay received", "immediate", BLUE),
                                        ("SLA-01 breaches", "sla_breached", RED))]
    # Breaches are a subset of the immediate-pay invoices: those bars are the tallest.
    layout = _layout(barmode="group", yaxis=_count_axis("invoices", max((c.immediate for c in s.pipeline_days),
                                                                        default=0)))
    return {"data": data, "layout": layout if s.pipeline.immediate else _empty(layout, "no immediate-pay invoices")}


def figures(s: Snapshot) -> dict[str, Figure]:
    """Every chart by the id of the div it is drawn in."""
    out = {"chart-pipeline": pipeline_health(s), "chart-client-rates": client_rates(s),
           "chart-rules": findings_by_rule(s), "chart-tickets": ticket_flow(s), "chart-sla": sla(s)}
    if s.recurrence is not None:
        out["chart-recurrence"] = recurrence(s)
    return out
