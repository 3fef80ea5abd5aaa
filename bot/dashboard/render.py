"""Snapshot -> HTML: the served page, the self-contained static file, the error page.

Jinja2 with autoescape always on; the figures go in as JSON through `tojson`, which
escapes <, > and & so that no value can close the script element it sits in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader
from markupsafe import Markup

from bot.dashboard.charts import figures

if TYPE_CHECKING:  # the snapshot module pulls in the recurrence clustering (scikit-learn)
    from bot.insights.snapshot import Snapshot

END_SCRIPT = re.compile(r"</(script)", re.IGNORECASE)
AT_RISK_ROWS = 12  # the soonest deadlines; the count in the heading says how many in all
AUTOMATE_ROWS = 8  # the best-paying; the report has the rest
NONE = "–"  # what a figure with nothing to measure shows (not 0: 0 would be a claim)


def plotly_js_path() -> Path:
    """plotly.js as the installed `plotly` package ships it: no CDN, works offline."""
    spec = find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the plotly package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"


def duration(seconds: float | None) -> str:
    """Seconds as a person reads them: 45 s, 12 min, 3.5 h, 2.1 d."""
    if seconds is None:
        return NONE
    if seconds < 1:
        return "under 1 s"  # answered in the same second: "0 s" would read as a bug
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def percent(rate: float | None) -> str:
    return NONE if rate is None else f"{rate * 100:.1f}%"


def number(n: int | float | None) -> str:
    return NONE if n is None else f"{n:,}"


def when(at: datetime | None) -> str:
    return "never" if at is None else f"{at:%Y-%m-%d %H:%M} UTC"


@dataclass(frozen=True)
class Kpi:
    key: str  # the data-kpi attribute tests and scrapers read
    label: str
    value: str
    note: str = ""


def kpis(s: Snapshot) -> list[Kpi]:
    p, t = s.pipeline, s.tickets
    backlog = sum(b.invoices for b in s.backlog)
    ages = [h for h in (b.age_hours(s.generated_at) for b in s.backlog) if h is not None]
    oldest = duration(max(ages) * 3600) if ages else NONE
    proposed = sum(x.proposed for x in s.playbooks)
    approved = sum(x.approved + x.auto for x in s.playbooks)
    auto = sum(x.auto for x in s.playbooks)
    verified = sum(x.verified for x in s.playbooks)
    return [
        Kpi("invoices-received", "Invoices received", number(p.received)),
        Kpi("rejection-rate", "Rejection rate", percent(p.rejection_rate), f"{p.rejected:,} rejected"),
        Kpi("hold-rate", "Hold rate", percent(p.hold_rate), f"{p.on_hold:,} on hold"),
        Kpi("unreadable-rows", "Unreadable rows", number(p.quarantined), "quarantined at ingestion"),
        Kpi("backlog", "Backlog now", number(backlog), "stuck, on hold, or overdue"),
        Kpi("backlog-oldest", "Oldest in backlog", oldest, "age of the oldest unscheduled invoice"),
        Kpi("tickets", "Tickets", number(t.total), f"{t.open_now:,} still open"),
        Kpi("deflection-rate", "Deflection rate", percent(t.deflection_rate), f"{t.deflected:,} closed by payops alone"),
        Kpi("first-response-p50", "First response p50", duration(t.first_response_p50)),
        Kpi("first-response-p90", "First response p90", duration(t.first_response_p90)),
        Kpi("resolution-p50", "Resolution p50", duration(t.resolution_p50)),
        Kpi("resolution-p90", "Resolution p90", duration(t.resolution_p90)),
        Kpi("playbook-proposals", "Fixes proposed", number(proposed), "playbook proposals"),
        Kpi("playbook-approved", "Fixes approved", number(approved), f"{auto:,} of them applied automatically"),
        Kpi("playbook-verified", "Fixes verified", number(verified), "applied and checked"),
        Kpi("sla-breaches", "SLA-01 breaches", number(p.sla_breached), f"of {p.immediate:,} immediate-pay invoices"),
        Kpi("at-risk-now", "Immediate-pay at risk now", number(s.at_risk_total), "2-hour clock still running"),
    ]


@cache
def _environment() -> Environment:
    env = Environment(loader=PackageLoader("bot.dashboard", "templates"), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(duration=duration, percent=percent, number=number, when=when)
    env.globals.update(AT_RISK_ROWS=AT_RISK_ROWS, AUTOMATE_ROWS=AUTOMATE_ROWS)
    return env


def _with_token(path: str, token: str | None) -> str:
    return f"{path}?{urlencode({'token': token})}" if token else path


def render_page(s: Snapshot, *, token: str | None = None, plotly_src: str = "") -> str:
    """The page the server sends; `token` (when the request carried one in its URL) is
    kept in the filter form so that applying a filter stays signed in."""
    return _render(s, token=token, plotly_src=plotly_src, plotly_inline=None)


def render_static(s: Snapshot) -> str:
    """One self-contained HTML file: plotly.js inlined, no form (there is no server)."""
    source = plotly_js_path().read_text(encoding="utf-8")
    # "</script" (any case) would end the element early; "<\/" means the same to JavaScript.
    safe = END_SCRIPT.sub(r"<\\/\1", source)
    return _render(s, token=None, plotly_src="", plotly_inline=Markup(safe))


def _render(s: Snapshot, *, token: str | None, plotly_src: str, plotly_inline: Markup | None) -> str:
    return _environment().get_template("dashboard.html").render(
        s=s, kpis=kpis(s), figures=figures(s), token=token, plotly_src=plotly_src, plotly_inline=plotly_inline,
        static=plotly_inline is not None, now=s.generated_at)


def render_error(message: str, *, token: str | None = None, status: int = 400) -> str:
    return _environment().get_template("error.html").render(
        message=message, status=status, back=_with_token("/dashboard", token))
