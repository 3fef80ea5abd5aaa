"""The roll-up job: invoice counts per day, client and rule; SLA-01 breaches; ticket facts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select, update

from bot.insights.rollup import roll_up
from models import Database, Invoice, PipelineDay, RollupRun, RuleDay, TicketFact
from payables.clock import fixed_clock
from tests.bot.metrics_data import (
    MONDAY,
    ingest,
    invoice,
    load_reference,
    message,
    move,
    proposal,
    ticket,
)

TUESDAY = MONDAY + timedelta(days=1)


def _days(db: Database) -> dict[tuple[date, str], PipelineDay]:
    with db.session() as session:
        return {(r.day, r.client_id): r for r in session.scalars(select(PipelineDay))}


def test_counts_each_days_outcomes_per_client_and_the_rules_that_stopped_them(db: Database, tmp_path: Path) -> None:
    load_reference(db, tmp_path / "ref")
    bad_total = invoice(total_amount=Decimal("1.00"))
    ingest(db, tmp_path / "C017-mon.csv", MONDAY, [invoice(), invoice(), invoice(), bad_total], ("not,a,row",))
    ingest(db, tmp_path / "C042-mon.csv", MONDAY + timedelta(hours=3), [invoice("C042"), invoice("C042")])
    ingest(db, tmp_path / "C017-tue.csv", TUESDAY, [invoice()])

    summary = roll_up(db, fixed_clock(TUESDAY + timedelta(hours=2)))

    assert (summary.first_day, summary.last_day, summary.invoices) == (MONDAY.date(), TUESDAY.date(), 8)
    days = _days(db)
    mon = days[(MONDAY.date(), "C017")]
    assert (mon.received, mon.accepted, mon.rejected, mon.on_hold, mon.quarantined) == (5, 3, 1, 0, 1)
    assert (mon.business_line, mon.geography) == ("DIGITAL", "DE")
    assert (days[(MONDAY.date(), "C042")].received, days[(MONDAY.date(), "C042")].business_line) == (2, "CLOUD")
    assert days[(TUESDAY.date(), "C017")].accepted == 1
    with db.session() as session:
        rules = {(r.day, r.client_id, r.rule): (r.severity, r.findings) for r in session.scalars(select(RuleDay))}
    assert rules[(MONDAY.date(), "C017", "TOT-01")] == ("block", 1)
    assert not any(rule == "TOT-01" for (_, client, rule) in rules if client == "C042")


def test_a_feed_that_could_not_be_read_at_all_counts_for_the_client_its_file_names(db: Database,
                                                                                    tmp_path: Path) -> None:
    load_reference(db, tmp_path / "ref")
    (tmp_path / "C042-2026-11-16.csv").write_text("client_id;vendor\nC042;V1\nC042;V2\n", encoding="utf-8")
    from payables.ingest import ingest_file

    with db.session() as session:
        ingest_file(session, tmp_path / "C042-2026-11-16.csv", clock=fixed_clock(MONDAY))
        session.commit()
    roll_up(db, fixed_clock(MONDAY + timedelta(hours=1)))
    row = _days(db)[(MONDAY.date(), "C042")]
    assert (row.received, row.quarantined, row.business_line) == (2, 2, "CLOUD")


def test_sla_breaches_are_immediate_pay_invoices_not_scheduled_within_their_two_hours(db: Database,
                                                                                      tmp_path: Path) -> None:
    load_reference(db, tmp_path / "ref")
    never, on_time, late, young = (invoice(payment_terms="IMMEDIATE") for _ in range(4))
    ingest(db, tmp_path / "a.csv", MONDAY, [never, on_time, late, invoice()])
    ingest(db, tmp_path / "b.csv", MONDAY + timedelta(hours=11), [young])
    with db.session() as session:
        for inv, after in ((on_time, 1), (late, 3)):
            session.execute(update(Invoice).where(Invoice.invoice_number == inv.invoice_number)
                            .values(scheduled_at=MONDAY + timedelta(hours=after), status="SCHEDULED"))
        session.commit()

    roll_up(db, fixed_clock(MONDAY + timedelta(hours=12)))  # `young` has an hour left

    row = _days(db)[(MONDAY.date(), "C017")]
    assert (row.immediate, row.sla_breached) == (4, 2)


def test_running_again_recomputes_recent_days_without_counting_twice(db: Database, tmp_path: Path) -> None:
    load_reference(db, tmp_path / "ref")
    ingest(db, tmp_path / "a.csv", MONDAY, [invoice(), invoice()])
    first = roll_up(db, fixed_clock(MONDAY + timedelta(hours=1)))
    ingest(db, tmp_path / "b.csv", MONDAY + timedelta(hours=2), [invoice()])
    second = roll_up(db, fixed_clock(MONDAY + timedelta(hours=3)))
    third = roll_up(db, fixed_clock(MONDAY + timedelta(hours=4)))

    assert _days(db)[(MONDAY.date(), "C017")].received == 3
    assert first.first_day == MONDAY.date()
    # Later runs start from yesterday at the earliest: late SLA breaches land on it.
    assert second.first_day == third.first_day == MONDAY.date() - timedelta(days=1)
    with db.session() as session:
        assert len(list(session.scalars(select(RollupRun)))) == 3


def test_ticket_facts_time_to_first_response_resolution_deflection_and_human_time(db: Database,
                                                                                 tmp_path: Path) -> None:
    load_reference(db, tmp_path / "ref")
    at = MONDAY
    with db.session() as session:
        answered = ticket(session, created=at)
        message(session, answered, "answer", at + timedelta(seconds=2))
        move(session, answered, "answered", at + timedelta(seconds=2))

        alarm = ticket(session, created=at, cut="auto", category="incident", root_cause="missing_fx_rate",
                       client="C042")
        message(session, alarm, "triage_summary", at + timedelta(seconds=5))
        move(session, alarm, "needs_human", at + timedelta(seconds=5))
        move(session, alarm, "resolved", at + timedelta(hours=3, seconds=5), actor="alice")

        waiting = ticket(session, created=at + timedelta(hours=1), category="data_fix", client=None)
        move(session, waiting, "escalated", at + timedelta(hours=1))

        relabelled = ticket(session, created=at, root_cause="unknown", confirmed_category="config_change")
        proposal(session, relabelled, "backfill_fx_rate", "proposed", at)
        session.commit()
        ids = answered.id, alarm.id, waiting.id, relabelled.id

    roll_up(db, fixed_clock(at + timedelta(hours=4)))

    with db.session() as session:
        facts = {f.ticket_id: f for f in session.scalars(select(TicketFact))}
    a, b, c, d = (facts[i] for i in ids)
    assert (a.deflected, a.first_response_seconds, a.resolution_seconds, a.human_seconds) == (True, 2, 2, 0)
    assert (b.deflected, b.first_response_seconds, b.resolution_seconds, b.human_seconds) == (
        False, 5, 3 * 3600 + 5, 3 * 3600)
    assert (b.cut, b.category, b.root_cause, b.client_id, b.business_line) == (
        "auto", "incident", "missing_fx_rate", "C042", "CLOUD")
    # Still with a person: its time keeps counting, and it is neither resolved nor deflected.
    assert (c.deflected, c.resolution_seconds, c.human_seconds, c.client_id) == (False, None, 3 * 3600, "")
    # A person's label wins; the cause a playbook's diagnosis bore out beats the model's "unknown".
    assert (d.category, d.root_cause) == ("config_change", "missing_fx_rate")


def test_a_later_run_refreshes_tickets_that_changed_and_those_still_with_a_person(db: Database) -> None:
    with db.session() as session:
        open_one = ticket(session, created=MONDAY)
        move(session, open_one, "needs_human", MONDAY)
        session.commit()
        ticket_id = open_one.id
    roll_up(db, fixed_clock(MONDAY + timedelta(hours=1)))
    roll_up(db, fixed_clock(MONDAY + timedelta(hours=2)))
    with db.session() as session:
        fact = session.get(TicketFact, ticket_id)
        assert fact is not None and fact.human_seconds == 2 * 3600
        t = session.get(type(open_one), ticket_id)
        assert t is not None
        move(session, t, "resolved", MONDAY + timedelta(hours=2, minutes=30), actor="bob")
        session.commit()
    roll_up(db, fixed_clock(MONDAY + timedelta(hours=5)))
    with db.session() as session:
        fact = session.get(TicketFact, ticket_id)
        assert fact is not None
        assert (fact.state, fact.human_seconds, fact.resolution_seconds) == ("resolved", 9000, 9000)
