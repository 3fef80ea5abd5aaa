"""The recurrence report: root causes and clustered unknown problems, trend per week, the
covering playbook, time with a person, and the automate-next ranking. Real embeddings."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from bot.insights.filters import Filters
from bot.insights.recurrence_report import RecurrenceReport, recurrence_report
from bot.insights.report_render import render
from models import Database, TicketEmbedding, TicketFact
from tests.bot.metrics_data import proposal, ticket
from tests.triage.test_recurrence import PROBLEMS, text_of
from triage.embeddings import EMBEDDER_VERSION, Embedder

START = date(2026, 10, 26)  # a Monday; four weeks to Sunday 22 November
END = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)


def _at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10)


@pytest.fixture
def report(db: Database, embedder: Embedder) -> RecurrenceReport:
    """Remittance-copy requests (unknown cause) rise in the last two weeks and take a person
    an hour each; missing FX rates recur steadily, their playbook verified 3 of 4 times."""
    remittance = PROBLEMS["remittance"]
    vectors = embedder.encode([text_of(t, b) for t, b in remittance])
    with db.session() as session:
        days = [START + timedelta(days=d) for d in (1, 15, 16, 22, 23, 24)]
        for (title, body), vector, day in zip(remittance, vectors, days, strict=True):
            t = ticket(session, created=_at(day), title=title)
            t.body = body
            session.add(TicketEmbedding(ticket_id=t.id, model_name=EMBEDDER_VERSION, vector=vector.tobytes()))
            _fact(session, t.id, day, "unknown", human=3600)
        for n, day in enumerate(START + timedelta(days=d) for d in (0, 7, 14, 21)):
            t = ticket(session, created=_at(day), title=f"FX rate missing for GBP #{n}", root_cause="missing_fx_rate")
            _fact(session, t.id, day, "missing_fx_rate", human=1800, deflected=n == 0)
            proposal(session, t, "backfill_fx_rate", "verified" if n else "rolled_back", _at(day), decided_by="alice")
        lone = ticket(session, created=_at(END), title="Thanks for the quick help")
        _fact(session, lone.id, END, "unknown")
        session.flush()
        return recurrence_report(session, Filters(START, END), NOW)


def _fact(session: Session, ticket_id: int, day: date, cause: str, *, human: int = 0,
          deflected: bool = False) -> None:
    session.add(TicketFact(ticket_id=ticket_id, created_at=_at(day), day=day, cut="customer", category="inquiry",
                           root_cause=cause, client_id="C017", business_line="DIGITAL", state="resolved",
                           deflected=deflected, first_response_seconds=5, resolution_seconds=3600,
                           human_seconds=human, rolled_up_at=_at(day)))


def test_unknown_tickets_that_recur_become_a_named_problem_with_no_playbook(report: RecurrenceReport) -> None:
    problems = {p.key: p for p in report.problems}
    assert set(problems) == {"cluster-1", "missing_fx_rate", "one-offs"}
    cluster = problems["cluster-1"]
    assert "remittance" in cluster.name and cluster.kind == "cluster" and cluster.playbook is None
    # Six tickets a person handled, at 30 minutes each; they waited an hour each with a person.
    assert (cluster.tickets, cluster.per_week, cluster.trend) == (6, (1, 0, 2, 3), "rising")
    assert (cluster.human_hours, cluster.waited_hours) == (3.0, 6.0)
    assert "No playbook covers this" in cluster.advice
    assert cluster.example in {title for title, _ in PROBLEMS["remittance"]}
    assert problems["one-offs"].tickets == 1 and problems["one-offs"].score == 0
    assert report.weeks == (date(2026, 10, 26), date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16))


def test_a_known_cause_carries_its_playbook_and_its_measured_success(report: RecurrenceReport) -> None:
    fx = next(p for p in report.problems if p.key == "missing_fx_rate")
    assert (fx.name, fx.playbook, fx.tickets, fx.per_week, fx.trend) == (
        "missing FX rates", "backfill_fx_rate", 4, (1, 1, 1, 1), "steady")
    assert (fx.success_rate, fx.measured, fx.deflected, fx.human_hours, fx.waited_hours) == (0.75, True, 1, 1.5, 2.0)
    assert "review its failures" in fx.advice


def test_automate_next_ranks_by_hours_a_week_times_success(report: RecurrenceReport) -> None:
    # Four weeks: remittance 3 h of handling -> 0.75 h/week x 75 % assumed (the measured
    # playbooks' average); FX 1.5 h (one of four closed by payops alone) -> 0.375 h/week x 75 %.
    assert report.assumed_success == 0.75
    assert [(p.key, p.score) for p in report.ranking] == [("cluster-1", 0.56), ("missing_fx_rate", 0.28)]


def test_the_handling_estimate_is_a_setting(db: Database, report: RecurrenceReport) -> None:
    with db.session() as session:
        doubled = recurrence_report(session, report.filters, NOW, handling_minutes=60)
    assert [(p.key, p.human_hours) for p in doubled.ranking] == [("cluster-1", 6.0), ("missing_fx_rate", 3.0)]
    assert doubled.notes[0].startswith("Handling is estimated at 60 minutes")


def test_the_report_renders_as_markdown_html_and_json(report: RecurrenceReport) -> None:
    md = render(report, "md")
    assert md.splitlines()[0].endswith("(11 tickets)")
    assert "1. *remittance" in md and "| missing FX rates | 4 | 1 1 1 1 | steady | backfill_fx_rate | 1.5 | 75% |" in md
    page = render(report, "html")
    assert page.startswith("<!doctype html>") and "none: root-cause fix candidate" in page
    data = json.loads(render(report, "json"))
    assert data["automate_next"] == ["cluster-1", "missing_fx_rate"]
    assert data["problems"][0]["per_week"] == [1, 0, 2, 3]
    with pytest.raises(ValueError, match="one of md, html, json"):
        render(report, "pdf")
