"""The dashboard's routes and rendering without a browser: the token, filter errors,
the bundled plotly.js, escaping, and the self-contained static file."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest
import requests

from bot.config import WebSettings
from bot.dashboard import render_page, render_static
from bot.dashboard.render import duration, percent, plotly_js_path
from bot.insights.callouts import Callout
from bot.insights.filters import Filters, filters_from
from bot.insights.queries import PipelineCounts, pipeline_days, ticket_flow
from bot.insights.rollup import roll_up
from bot.insights.snapshot import Snapshot, build_snapshot
from bot.web import WebServer, build_app
from models import Database
from payables.clock import fixed_clock
from tests.factories import NOW

TOKEN = "render-test-token"


@pytest.fixture
def base_url(book: Database) -> Iterator[str]:
    """The seeded book (4 invoices: C017 1 rejected, 2 accepted; C042 1 rejected), rolled up."""
    roll_up(book, fixed_clock(NOW))
    web = WebSettings(port=0, token=TOKEN)  # type: ignore[arg-type]
    server = WebServer(build_app(book, web, None, clock=fixed_clock(NOW)), "127.0.0.1", 0)
    server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


def kpi(html: str, key: str) -> str:
    match = re.search(rf'data-kpi="{re.escape(key)}">([^<]*)<', html)
    assert match, f"no KPI {key}"
    return match.group(1)


def test_the_dashboard_needs_the_token(base_url: str) -> None:
    assert requests.get(f"{base_url}/dashboard", timeout=30).status_code == 401
    assert requests.get(f"{base_url}/dashboard", params={"token": "wrong"}, timeout=30).status_code == 401
    page = requests.get(f"{base_url}/dashboard", params={"token": TOKEN}, timeout=30)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert kpi(page.text, "invoices-received") == "4"
    assert kpi(page.text, "rejection-rate") == "50.0%"
    # The token given in the URL rides along in the filter form, so Apply stays signed in.
    assert f'<input type="hidden" name="token" value="{TOKEN}">' in page.text


def test_a_header_token_is_not_written_into_the_page(base_url: str) -> None:
    page = requests.get(f"{base_url}/dashboard", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert page.status_code == 200
    assert TOKEN not in page.text


def test_filters_narrow_the_figures(base_url: str) -> None:
    page = requests.get(f"{base_url}/dashboard", params={"token": TOKEN, "client": "c042"}, timeout=30)
    assert page.status_code == 200
    assert kpi(page.text, "invoices-received") == "1"
    assert kpi(page.text, "rejection-rate") == "100.0%"
    assert '<option value="C042" selected>' in page.text


@pytest.mark.parametrize(("params", "named"), [
    ({"from": "2026-13-01"}, "from &#39;2026-13-01&#39; is not a date"),
    ({"to": "yesterday"}, "to &#39;yesterday&#39; is not a date"),
    ({"from": "2026-11-20", "to": "2026-11-01"}, "from 2026-11-20 is after to 2026-11-01"),
    ({"business_line": "toys"}, "business_line &#39;TOYS&#39;"),
    ({"client": "17"}, "client &#39;17&#39; is not a client id"),
])
def test_a_bad_filter_value_is_a_400_that_names_it(base_url: str, params: dict[str, str], named: str) -> None:
    page = requests.get(f"{base_url}/dashboard", params={"token": TOKEN, **params}, timeout=30)
    assert page.status_code == 400
    assert named in page.text
    assert f'href="/dashboard?token={TOKEN}"' in page.text


def test_a_filter_value_is_never_reflected_unescaped(base_url: str) -> None:
    page = requests.get(f"{base_url}/dashboard", params={"token": TOKEN, "client": "<script>alert(1)</script>"},
                        timeout=30)
    assert page.status_code == 400
    assert "<SCRIPT>" not in page.text.upper().replace("&LT;SCRIPT&GT;", "")
    assert "&lt;SCRIPT&gt;ALERT(1)&lt;/SCRIPT&gt;" in page.text


def test_the_dashboard_is_read_only(base_url: str) -> None:
    response = requests.post(f"{base_url}/dashboard", params={"token": TOKEN}, timeout=30)
    assert response.status_code == 405


def test_plotly_js_is_served_from_the_installed_package(base_url: str) -> None:
    page = requests.get(f"{base_url}/dashboard", params={"token": TOKEN}, timeout=30).text
    src = re.search(r'<script src="([^"]+)"', page)
    assert src and src.group(1).startswith("/dashboard/static/plotly.min.js?v=")
    # No token needed: it is the public library and holds no data.
    response = requests.get(base_url + src.group(1).replace("&amp;", "&"), timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "max-age=31536000" in response.headers["cache-control"]
    assert response.content == plotly_js_path().read_bytes()


def _snapshot(db: Database) -> Snapshot:
    with db.session() as session:
        return build_snapshot(session, filters_from({}, NOW.date()), NOW)


def test_render_static_is_self_contained(book: Database) -> None:
    roll_up(book, fixed_clock(NOW))
    html = render_static(_snapshot(book))
    assert not re.search(r"<script[^>]*\bsrc=", html, re.IGNORECASE)
    # The markup (scripts' bodies aside: plotly.js has URLs in its strings) loads nothing remote.
    markup = re.sub(r"(<script[^>]*>).*?</script>", r"\1</script>", html, flags=re.DOTALL | re.IGNORECASE)
    assert not re.search(r"""(src|href|url)\s*[=(]\s*["']?(https?:)?//""", markup, re.IGNORECASE)
    assert "<form" not in html  # no server to send a filter to
    assert plotly_js_path().read_text(encoding="utf-8")[:2000] in html
    assert "Plotly.newPlot" in html
    assert kpi(html, "invoices-received") == "4"


def _hostile_snapshot() -> Snapshot:
    f = Filters(date(2026, 11, 1), date(2026, 11, 20))
    evil = "</script><script>alert(1)</script>"
    return Snapshot(
        filters=f, generated_at=NOW, rolled_up_at=None, clients=["C017"], client_lines={"C017": "DIGITAL"},
        business_lines=["DIGITAL"], pipeline=PipelineCounts("total"), pipeline_days=pipeline_days([], f),
        by_client=[replace(PipelineCounts(evil), received=3, rejected=1)], by_geography=[],
        by_rule=[(evil, "block", 3)], backlog=[], tickets=ticket_flow([], f), playbooks=[], at_risk=[], at_risk_total=0,
        callouts=[Callout(evil, "rejections", "C017", f.end, 5, 1, "up")])


def test_text_and_figure_data_are_escaped() -> None:
    html = render_page(_hostile_snapshot(), plotly_src="/dashboard/static/plotly.min.js")
    assert "<script>alert(1)" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the call-out, as text
    figures = json.loads(re.search(r'<script id="figures" type="application/json">(.*?)</script>', html,
                                   re.DOTALL).group(1))  # type: ignore[union-attr]
    assert figures["chart-rules"]["data"][0]["y"] == ["</script><script>alert(1)</script>"]
    assert "chart-recurrence" not in figures  # no recurrence report: no chart for it


def test_an_empty_range_says_so_instead_of_drawing_zeros() -> None:
    html = render_page(_hostile_snapshot(), plotly_src="/x.js")
    assert kpi(html, "invoices-received") == "0"
    assert kpi(html, "rejection-rate") == "–"
    assert kpi(html, "first-response-p50") == "–"
    assert "no invoices in range" in html
    assert "metrics rolled up <strong id=\"rolled-up\">never</strong>" in html


@pytest.mark.parametrize(("seconds", "text"), [
    (None, "–"), (0, "under 1 s"), (0.4, "under 1 s"), (1, "1 s"), (45, "45 s"), (89, "89 s"), (120, "2 min"), (5399, "90 min"), (5700, "1.6 h"),
    (10800, "3.0 h"), (47 * 3600, "47.0 h"), (14 * 86400 + 3600, "14.0 d"),
])
def test_durations_read_like_a_person_says_them(seconds: float | None, text: str) -> None:
    assert duration(seconds) == text


def test_percentages_keep_one_decimal() -> None:
    assert percent(26 / 154) == "16.9%"
    assert percent(0.0) == "0.0%"
    assert percent(None) == "–"


def test_prometheus_scrapes_metrics_with_the_bearer_token(base_url: str) -> None:
    assert requests.get(f"{base_url}/metrics", timeout=30).status_code == 401
    scrape = requests.get(f"{base_url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert scrape.status_code == 200 and scrape.headers["content-type"].startswith("text/plain; version=")
    rejected = [line for line in scrape.text.splitlines()
                if line.startswith("payops_invoices_received_total{") and 'outcome="rejected"' in line]
    assert sum(float(line.rsplit(" ", 1)[1]) for line in rejected) == 2
