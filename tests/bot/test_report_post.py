"""The weekly recurrence report in Slack: the PNG chart, the mrkdwn text, and the upload through
the real slack_sdk client to the local fake Slack Web API."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from matplotlib.image import imread
from slack_sdk import WebClient

from bot.insights.filters import Filters
from bot.insights.recurrence_report import Problem, RecurrenceReport
from bot.insights.report_chart import recurrence_png
from bot.insights.report_render import slack_text
from bot.report_post import ReportPostError, post_recurrence
from tests.fakes.slack_api import FakeSlack

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FILTERS = Filters(date(2026, 10, 5), date(2026, 11, 1), client="C017")
WEEKS = tuple(FILTERS.start + timedelta(weeks=i) for i in range(4))


def problem(key: str, name: str, kind: str, tickets: int, *, playbook: str | None, score: float,
            per_week: tuple[int, ...] = (1, 1, 1, 1), trend: str = "steady") -> Problem:
    return Problem(key=key, name=name, kind=kind, tickets=tickets, per_week=per_week, trend=trend,
                   playbook=playbook, human_hours=score * 4, deflected=0, success_rate=0.8, measured=False,
                   score=score, advice=f"advice for {key}", example=f"example for {key}")


COVERED = problem("missing_fx_rate", "missing FX rates", "root_cause", 30, playbook="fx_backfill", score=2.5,
                  per_week=(5, 6, 9, 10), trend="rising")
CLUSTER = problem("cluster-1", "remittance advice · copy <urgent> & `now`", "cluster", 12, playbook=None,
                  score=4.0, per_week=(0, 0, 5, 7), trend="new")
STALE = problem("vendor_master_stale", "stale vendor master data", "root_cause", 8, playbook="vendor_refresh",
                score=1.0)
ONE_OFFS = problem("one-offs", "one-off questions (no recurring pattern)", "one_offs", 3, playbook=None, score=0.0)


def report(problems: tuple[Problem, ...] = (COVERED, CLUSTER, STALE, ONE_OFFS)) -> RecurrenceReport:
    ranking = tuple(sorted((p for p in problems if p.score > 0), key=lambda p: -p.score))
    return RecurrenceReport(filters=FILTERS, generated_at=datetime(2026, 11, 2, 6, tzinfo=UTC),
                            weeks=WEEKS, problems=problems, ranking=ranking,
                            total_tickets=sum(p.tickets for p in problems), assumed_success=0.8,
                            notes=("Time spent is how long tickets waited with a person.",))


EMPTY = replace(report(()), total_tickets=0)


def decode(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_MAGIC)
    height, width = imread(io.BytesIO(png), format="png").shape[:2]
    return width, height


# -- chart -------------------------------------------------------------------------------------

def test_the_chart_is_a_1200_by_700_png():
    assert decode(recurrence_png(report())) == (1200, 700)


def test_an_empty_report_still_gives_a_chart_that_says_so():
    png = recurrence_png(EMPTY)
    assert decode(png) == (1200, 700)
    assert png != recurrence_png(report())


def test_the_chart_copes_with_many_problems_and_a_long_range():
    weeks = tuple(date(2025, 11, 3) + timedelta(weeks=i) for i in range(52))
    many = tuple(problem(f"cluster-{i}", f"a rather long cluster name number {i} " * 3, "cluster", 60 - i,
                         playbook=None, score=1.0, per_week=tuple((i + w) % 7 for w in range(52)))
                 for i in range(25))
    big = replace(report(many), weeks=weeks, filters=Filters(weeks[0], weeks[-1] + timedelta(days=6)))
    assert decode(recurrence_png(big)) == (1200, 700)


# -- Slack text --------------------------------------------------------------------------------

def test_the_slack_text_has_the_scope_the_ranking_and_a_code_block_table():
    text = slack_text(report())
    lines = text.splitlines()
    assert lines[0] == "*Recurrence report*: C017, 2026-10-05 to 2026-11-01 (53 tickets)"
    ranked = [line for line in lines if line[:3] in ("1. ", "2. ", "3. ")]
    assert [line.split("*")[1] for line in ranked] == [
        "remittance advice · copy &lt;urgent&gt; &amp; `now`", "missing FX rates", "stale vendor master data"]
    assert "4.0 h/week. advice for cluster-1" in ranked[0]
    assert text.count("```") == 2 and "|" not in text  # no Markdown table: Slack would show the pipes
    table = text.split("```")[1].splitlines()[1:]
    assert table[0].split() == ["problem", "tickets", "trend", "playbook", "hours"]
    fx = next(row for row in table if row.startswith("missing FX rates"))
    assert fx.split()[-4:] == ["30", "rising", "fx_backfill", "10.0"]
    cluster = next(row for row in table if row.startswith("remittance"))
    assert "`" not in cluster and " none " in cluster  # a backtick would end the code block early
    assert next(row for row in table if row.startswith("one-off")).split()[-2] == "-"
    assert lines[-1] == "_Time spent is how long tickets waited with a person._"
    assert "not shown" not in text


def test_the_table_columns_line_up_even_with_escaped_names():
    rows = slack_text(report()).split("```")[1].splitlines()[1:]
    unescaped = [r.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") for r in rows]
    assert len({len(r) for r in unescaped}) == 1


def test_many_problems_are_cut_to_fit_slack_with_a_note():
    many = tuple(problem(f"cluster-{i}", f"cluster {i:03d} " + "x" * 200, "cluster", 500 - i, playbook=None,
                         score=1.0 + i / 1000) for i in range(400))
    text = slack_text(report(many))
    assert len(text) < 40_000
    assert "_360 more problems not shown: the md/html report lists them all._" in text
    assert text.count("```") == 2
    small = slack_text(report(many), limit=3_000)
    assert len(small) <= 3_000 and small.count("```") == 2
    shown = len(small.split("```")[1].splitlines()) - 2  # minus the empty first line and the header
    assert f"_{400 - shown} more problems not shown" in small


def test_an_empty_report_has_a_heading_and_an_empty_table():
    text = slack_text(EMPTY)
    assert text.startswith("*Recurrence report*: C017, 2026-10-05 to 2026-11-01 (0 tickets)")
    assert "Automate next" not in text


# -- posting -----------------------------------------------------------------------------------

@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(token=slack.token, base_url=slack.base_url)


def test_the_report_is_uploaded_with_its_text_as_the_comment(slack, client):
    file_id = post_recurrence(client, "CREPORTS", report())
    upload = slack.uploads[file_id]
    assert upload["bytes"] == recurrence_png(report())  # intact, byte for byte
    assert upload["length"] == len(upload["bytes"])
    assert upload["filename"] == "recurrence-2026-10-05-2026-11-01.png"
    assert upload["channel"] == "CREPORTS"
    assert upload["initial_comment"] == slack_text(report())
    assert upload["title"] == "Recurrence report: C017, 2026-10-05 to 2026-11-01"
    assert [c.method for c in slack.calls()] == ["files.getUploadURLExternal", "files.completeUploadExternal"]


def test_slack_refusing_the_upload_names_the_channel_and_the_error(slack, client):
    slack.fail_next("files.completeUploadExternal", error="not_in_channel")
    with pytest.raises(ReportPostError, match="channel CREPORTS: not_in_channel") as caught:
        post_recurrence(client, "CREPORTS", report())
    assert caught.value.channel == "CREPORTS" and caught.value.error == "not_in_channel"


def test_a_failed_byte_upload_names_the_channel(slack, client):
    slack.fail_next("upload", status=500)
    with pytest.raises(ReportPostError, match="channel CREPORTS: the upload URL answered HTTP 500"):
        post_recurrence(client, "CREPORTS", report())
    assert not slack.calls("files.completeUploadExternal")


def test_a_bad_token_is_reported_too(slack):
    client = WebClient(token="xoxb-wrong", base_url=slack.base_url)
    with pytest.raises(ReportPostError, match="CREPORTS: invalid_auth"):
        post_recurrence(client, "CREPORTS", report())
