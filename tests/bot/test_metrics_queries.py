"""Each metric the dashboard shows, read from roll-up rows the test writes, under filters."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from bot.insights.callouts import find_callouts
from bot.insights.filters import FilterError, Filters, filters_from, parse_since
from bot.insights.queries import (
    backlog_by_client,
    count_at_risk,
    findings_by_rule,
    immediate_at_risk,
    percentile,
    pipeline_by,
    pipeline_days,
    pipeline_rows,
    pipeline_total,
    playbook_stats,
    rule_rows,
    ticket_facts,
    ticket_flow,
)
from bot.insights.rollup import roll_up
from models import Database, PipelineDay, RuleDay, TicketFact
from payables.clock import fixed_clock
from tests.bot.metrics_data import MONDAY, ingest, invoice, load_reference, proposal, ticket

DAY = MONDAY.date()
LINES = {"C017": "DIGITAL", "C042": "CLOUD"}


def _pipeline(client: str, day: date, *, received: int, rejected: int = 0, on_hold: int = 0,
              quarantined: int = 0, immediate: int = 0, breached: int = 0) -> PipelineDay:
    return PipelineDay(day=day, client_id=client, business_line=LINES[client], geography="DE", received=received,
                       accepted=received - rejected - on_hold - quarantined, rejected=rejected, on_hold=on_hold,
                       quarantined=quarantined, immediate=immediate, sla_breached=breached)


def _rule(client: str, day: date, rule: str, n: int, severity: str = "block") -> RuleDay:
    return RuleDay(day=day, client_id=client, business_line=LINES[client], geography="DE", rule=rule,
                   severity=severity, findings=n)


def _fact(ticket_id: int, day: date, *, client: str = "C017", category: str = "inquiry", cut: str = "customer",
          root_cause: str = "unknown", deflected: bool = False, first: int | None = None,
          resolution: int | None = None, human: int = 0, state: str = "answered") -> TicketFact:
    at = datetime.combine(day, datetime.min.time(), tzinfo=MONDAY.tzinfo)
    return TicketFact(ticket_id=ticket_id, created_at=at, day=day, cut=cut, category=category, root_cause=root_cause,
                      client_id=client, business_line=LINES.get(client, ""), state=state, deflected=deflected,
                      first_response_seconds=first, resolution_seconds=resolution, human_seconds=human,
                      rolled_up_at=at)


def test_pipeline_totals_rates_and_filters(db: Database) -> None:
    with db.session() as session:
        session.add_all([
            _pipeline("C017", DAY, received=100, rejected=10, on_hold=5, quarantined=1, immediate=4, breached=1),
            _pipeline("C017", DAY + timedelta(days=2), received=50, rejected=5),
            _pipeline("C042", DAY, received=20, on_hold=4),
            _pipeline("C042", DAY + timedelta(days=9), received=999),  # outside the range
        ])
        session.flush()
        everyone = Filters(DAY, DAY + timedelta(days=3))
        rows = pipeline_rows(session, everyone)
        total = pipeline_total(rows)
        assert (total.received, total.rejected, total.on_hold, total.quarantined, total.sla_breached) == (
            170, 15, 9, 1, 1)
        assert total.rejection_rate == pytest.approx(15 / 170)
        assert total.hold_rate == pytest.approx(9 / 170)
        by_client = {c.key: c for c in pipeline_by(rows, "client_id")}
        assert by_client["C017"].received == 150 and by_client["C042"].hold_rate == pytest.approx(0.2)
        # One entry per day of the range, zero on days nothing arrived.
        assert [(d.key, d.received) for d in pipeline_days(rows, everyone)] == [
            ("2026-11-16", 120), ("2026-11-17", 0), ("2026-11-18", 50), ("2026-11-19", 0)]

        one = pipeline_total(pipeline_rows(session, Filters(DAY, DAY + timedelta(days=3), client="C042")))
        assert one.received == 20
        cloud = pipeline_total(pipeline_rows(session, Filters(DAY, DAY + timedelta(days=30), business_line="CLOUD")))
        assert cloud.received == 1019
        assert pipeline_total([]).rejection_rate is None


def test_findings_by_rule_count_the_rules_that_stop_invoices(db: Database) -> None:
    with db.session() as session:
        session.add_all([_rule("C017", DAY, "TAX-01", 7), _rule("C042", DAY, "TAX-01", 2),
                         _rule("C017", DAY, "FX-01", 4, "hold"), _rule("C017", DAY, "PO-03", 9, "warn")])
        session.flush()
        rows = rule_rows(session, Filters(DAY, DAY))
        assert findings_by_rule(rows) == [("TAX-01", "block", 9), ("FX-01", "hold", 4)]
        assert ("PO-03", "warn", 9) in findings_by_rule(rows, stopping_only=False)


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert percentile([float(x) for x in range(1, 11)], 0.9) == pytest.approx(9.1)


def test_ticket_flow_inflow_deflection_and_response_times(db: Database) -> None:
    with db.session() as session:
        session.add_all([
            _fact(1, DAY, deflected=True, first=2, resolution=2),
            _fact(2, DAY, deflected=True, first=4, resolution=4),
            _fact(3, DAY, cut="auto", category="incident", root_cause="missing_fx_rate", first=10,
                  resolution=7200, human=7000, client="C042"),
            _fact(4, DAY + timedelta(days=1), category="data_fix", first=20, state="needs_human", human=600),
        ])
        session.flush()
        f = Filters(DAY, DAY + timedelta(days=1))
        flow = ticket_flow(ticket_facts(session, f), f)
        assert (flow.total, flow.deflected, flow.open_now) == (4, 2, 1)
        assert flow.deflection_rate == 0.5
        assert flow.by_cut == {"customer": 3, "auto": 1}
        assert flow.by_root_cause == {"unknown": 3, "missing_fx_rate": 1}
        assert flow.per_day == {"2026-11-16": {"inquiry": 2, "incident": 1}, "2026-11-17": {"data_fix": 1}}
        assert (flow.first_response_p50, flow.first_response_p90) == (7.0, pytest.approx(17.0))
        assert (flow.resolution_p50, flow.resolution_p90) == (4.0, pytest.approx(4 + (7200 - 4) * 0.8))
        c042 = Filters(DAY, DAY + timedelta(days=1), client="C042")
        assert ticket_flow(ticket_facts(session, c042), c042).total == 1


def test_playbook_outcomes_per_playbook_under_the_client_filter(db: Database) -> None:
    at = MONDAY
    with db.session() as session:
        t17 = ticket(session, created=at)
        t42 = ticket(session, created=at, client="C042")
        session.add_all([_fact(t17.id, DAY), _fact(t42.id, DAY, client="C042")])
        for state, decided in (("verified", "alice"), ("verified", "alice"), ("rolled_back", "bob"),
                               ("rejected", "bob"), ("expired", None), ("proposed", None)):
            proposal(session, t17, "backfill_fx_rate", state, at, decided_by=decided)
        proposal(session, t17, "backfill_fx_rate", "verified", at, mode="auto")
        proposal(session, t42, "redrive_stuck", "failed", at, decided_by="carol")
        proposal(session, t17, "redrive_stuck", "shadow", at, mode="shadow")
        session.flush()
        stats = {s.playbook: s for s in playbook_stats(session, Filters(DAY, DAY))}
        fx = stats["backfill_fx_rate"]
        assert (fx.proposed, fx.approved, fx.auto, fx.rejected, fx.expired, fx.waiting, fx.verified, fx.failed) == (
            7, 3, 1, 1, 1, 1, 3, 1)
        assert fx.success_rate == 0.75 and fx.approval_rate == 0.8
        assert stats["redrive_stuck"].proposed == 1  # the shadow run is not a proposal anyone saw
        only_42 = playbook_stats(session, Filters(DAY, DAY, client="C042"))
        assert [(s.playbook, s.failed) for s in only_42] == [("redrive_stuck", 1)]


def test_backlog_and_immediate_pay_invoices_at_risk_right_now(db: Database, tmp_path: Path) -> None:
    load_reference(db, tmp_path / "ref")
    now = MONDAY + timedelta(hours=5)
    ingest(db, tmp_path / "old.csv", MONDAY, [invoice(), invoice(payment_terms="IMMEDIATE")])
    soon = invoice(payment_terms="IMMEDIATE")
    ingest(db, tmp_path / "new.csv", now - timedelta(minutes=100), [soon, invoice("C042")])
    with db.session() as session:
        everyone = Filters(DAY, DAY)
        risk = immediate_at_risk(session, everyone, now)
        assert [(r.invoice_number, r.minutes_left(now)) for r in risk] == [(soon.invoice_number, 20)]
        # Overdue: the immediate-pay invoice past its 2 hours. Validated invoices on NET30
        # waiting for their due date are not backlog, nor is one whose 2 hours still run.
        backlog = {b.key: b for b in backlog_by_client(session, everyone, now)}
        assert {k: b.invoices for k, b in backlog.items()} == {"C017": 1}
        assert backlog["C017"].age_hours(now) == pytest.approx(5.0)
        assert {b.key for b in backlog_by_client(session, everyone, now + timedelta(days=31))} == {"C017", "C042"}
        assert immediate_at_risk(session, Filters(DAY, DAY, client="C042"), now) == []
        # The count is of all of them, however few the list shows; 20 minutes is "soon".
        assert immediate_at_risk(session, everyone, now, limit=0) == []
        assert count_at_risk(session, everyone, now) == (1, 1)
        assert count_at_risk(session, everyone, now - timedelta(minutes=30)) == (1, 0)


@pytest.mark.parametrize(("params", "error"), [
    ({"from": "2026-13-01"}, "from '2026-13-01' is not a date"),
    ({"from": "2026-11-20", "to": "2026-11-01"}, "is after to"),
    ({"client": "acme"}, "client 'ACME' is not a client id"),
    ({"business_line": "toys"}, "business_line 'TOYS': one of CLOUD, CORPORATE"),
    ({"from": "2020-01-01", "to": "2026-11-01"}, "spans more than 400 days"),
])
def test_filters_say_which_value_is_wrong(params: dict[str, str], error: str) -> None:
    with pytest.raises(FilterError, match=error):
        filters_from(params, DAY)


def test_filters_default_to_four_weeks_and_read_since() -> None:
    f = filters_from({"client": "c017", "business_line": "digital"}, DAY)
    assert (f.start, f.end, f.client, f.business_line) == (DAY - timedelta(days=27), DAY, "C017", "DIGITAL")
    assert parse_since("30d", DAY) == DAY - timedelta(days=29)
    assert parse_since("8w", DAY) == DAY - timedelta(days=55)
    with pytest.raises(FilterError, match="e.g. 30d"):
        parse_since("a month", DAY)


def test_callout_names_the_client_the_multiple_and_the_rule_that_drove_it(db: Database) -> None:
    today = DAY + timedelta(days=60)
    with db.session() as session:
        for back in range(1, 57):
            day = today - timedelta(days=back)
            session.add_all([_pipeline("C017", day, received=200, rejected=10),
                             _rule("C017", day, "TAX-01", 5), _rule("C017", day, "TOT-01", 5),
                             _pipeline("C042", day, received=100, rejected=3)])
        session.add_all([_pipeline("C017", today, received=210, rejected=48), _rule("C017", today, "TAX-01", 43),
                         _rule("C017", today, "TOT-01", 5), _pipeline("C042", today, received=100, rejected=3)])
        session.flush()
        found = find_callouts(session, Filters(today - timedelta(days=27), today), today=today)
    texts = [c.text for c in found]
    assert "C017 rejected 23% of its invoices, 4.6x its 8-week median of 5%, driven by TAX-01" in texts
    # The same event is not told again as TAX-01's share of all invoices or DE's rejections.
    assert texts == ["C017 rejected 23% of its invoices, 4.6x its 8-week median of 5%, driven by TAX-01"]


def test_a_rule_rising_across_clients_is_called_out_on_its_own(db: Database) -> None:
    today = DAY + timedelta(days=60)
    with db.session() as session:
        for back in range(0, 57):
            day = today - timedelta(days=back)
            for client in ("C017", "C042"):
                session.add_all([_pipeline(client, day, received=200, rejected=10 if back else 14),
                                 _rule(client, day, "TAX-01", 1 if back else 5), _rule(client, day, "TOT-01", 9)])
        session.flush()
        found = find_callouts(session, Filters(today, today), today=today)
    # No client's share moved enough on its own (7 % against 5 %); the rule's did, everywhere.
    assert [c.text for c in found] == ["TAX-01 stopped 2.5% of invoices, 5.0x its 8-week median of 0.5%"]


def test_a_drop_is_called_out_for_a_finished_day_but_not_for_today(db: Database) -> None:
    day = DAY + timedelta(days=60)
    with db.session() as session:
        for back in range(1, 57):
            session.add(_pipeline("C042", day - timedelta(days=back), received=100))
        session.add(_pipeline("C042", day, received=10))
        session.flush()
        finished = find_callouts(session, Filters(day, day), today=day + timedelta(days=1))
        running = find_callouts(session, Filters(day, day), today=day)
    assert [c.text for c in finished] == ["C042 invoices received 0.1x their 8-week median"]
    assert running == []


def test_weekday_rhythm_keeps_a_quiet_sunday_quiet(db: Database) -> None:
    sunday = date(2026, 11, 22)
    with db.session() as session:
        for back in range(1, 57):
            day = sunday - timedelta(days=back)
            session.add(_pipeline("C017", day, received=200 if day.weekday() < 5 else 20))
        session.add(_pipeline("C017", sunday, received=21))
        session.flush()
        assert find_callouts(session, Filters(sunday, sunday), today=sunday + timedelta(days=1)) == []


def test_the_roll_up_feeds_the_queries_end_to_end(db: Database, tmp_path: Path) -> None:
    load_reference(db, tmp_path / "ref")
    ingest(db, tmp_path / "a.csv", MONDAY, [invoice(), invoice(), invoice("C042")])
    roll_up(db, fixed_clock(MONDAY + timedelta(hours=1)))
    with db.session() as session:
        total = pipeline_total(pipeline_rows(session, Filters(DAY, DAY, business_line="DIGITAL")))
    assert (total.received, total.accepted) == (2, 2)


def test_a_busy_day_with_the_usual_share_of_rejections_is_not_news(db: Database) -> None:
    today = DAY + timedelta(days=60)
    with db.session() as session:
        for back in range(1, 57):
            day = today - timedelta(days=back)
            session.add(_pipeline("C017", day, received=100, rejected=5))
            # A client that sends in batches: nothing on most days.
            session.add(_pipeline("C042", day, received=60 if back % 9 == 0 else 0))
        session.add_all([_pipeline("C017", today, received=400, rejected=21), _pipeline("C042", today, received=240)])
        session.flush()
        assert find_callouts(session, Filters(today, today), today=today + timedelta(days=1)) == []
