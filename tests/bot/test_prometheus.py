"""/metrics in Prometheus' text format, read from the roll-up: parsed back and checked."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from bot.insights.prometheus import exposition
from bot.insights.rollup import roll_up
from models import Database, PipelineDay, RuleDay, TicketFact
from payables.clock import fixed_clock
from tests.bot.metrics_data import MONDAY, ingest, invoice, load_reference, proposal, ticket


def _samples(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text.decode()) for s in family.samples}


def test_metrics_expose_counts_rates_and_what_is_at_risk_now(db: Database, tmp_path: Path) -> None:
    load_reference(db, tmp_path / "ref")
    now = MONDAY + timedelta(hours=5)
    ingest(db, tmp_path / "a.csv", MONDAY, [invoice(), invoice(total_amount=invoice().net_amount),
                                            invoice(payment_terms="IMMEDIATE")])
    ingest(db, tmp_path / "b.csv", now - timedelta(minutes=100), [invoice(payment_terms="IMMEDIATE")])
    with db.session() as session:
        t = ticket(session, created=MONDAY, cut="auto", category="incident", root_cause="missing_fx_rate")
        proposal(session, t, "backfill_fx_rate", "verified", MONDAY, decided_by="alice")
        session.commit()
    roll_up(db, fixed_clock(now))
    with db.session() as session:  # one answered ticket, the roll-up's facts for the other
        session.add(TicketFact(ticket_id=999, created_at=MONDAY, day=MONDAY.date(), cut="customer",
                               category="inquiry", root_cause="unknown", client_id="C017", business_line="DIGITAL",
                               state="answered", deflected=True, first_response_seconds=3, resolution_seconds=3,
                               human_seconds=0, rolled_up_at=now))
        session.commit()

    samples = _samples(exposition(db, fixed_clock(now)))

    received = ("payops_invoices_received_total",)
    key = (("business_line", "DIGITAL"), ("client", "C017"), ("geography", "DE"))
    assert samples[(received[0], (*key[:3], ("outcome", "accepted")))] == 3.0
    assert samples[(received[0], (*key[:3], ("outcome", "rejected")))] == 1.0
    assert samples[("payops_rule_findings_total", (("client", "C017"), ("rule", "TOT-01"), ("severity", "block")))] == 1
    assert samples[("payops_tickets_total", (("category", "incident"), ("cut", "auto"),
                                             ("root_cause", "missing_fx_rate")))] == 1
    assert samples[("payops_tickets_deflected_total", (("cut", "customer"),))] == 1
    assert samples[("payops_deflection_ratio", ())] == 0.5
    assert samples[("payops_playbook_proposals_total", (("outcome", "verified"), ("playbook", "backfill_fx_rate")))] == 1
    assert samples[("payops_immediate_pay_at_risk", (("within", "2h"),))] == 1
    assert samples[("payops_immediate_pay_at_risk", (("within", "30m"),))] == 1
    # Overdue: the first immediate-pay invoice, past its 2 hours (NET30 ones wait for their due date).
    assert samples[("payops_backlog_invoices", (("client", "C017"),))] == 1
    assert samples[("payops_backlog_oldest_age_seconds", (("client", "C017"),))] == 5 * 3600
    assert samples[("payops_metrics_rollup_last_success_timestamp_seconds", ())] == now.timestamp()


def test_sla_breaches_are_summed_per_client_over_every_day(db: Database) -> None:
    with db.session() as session:
        for day, breached in ((MONDAY.date(), 2), (MONDAY.date() + timedelta(days=1), 1)):
            session.add(PipelineDay(day=day, client_id="C042", business_line="CLOUD", geography="DE", received=9,
                                    accepted=9, rejected=0, on_hold=0, quarantined=0, immediate=3,
                                    sla_breached=breached))
        session.add(RuleDay(day=MONDAY.date(), client_id="C042", business_line="CLOUD", geography="DE",
                            rule="FX-01", severity="hold", findings=4))
        session.commit()
    samples = _samples(exposition(db, fixed_clock(MONDAY + timedelta(days=2))))
    assert samples[("payops_sla_breaches_total", (("business_line", "CLOUD"), ("client", "C042")))] == 3
    assert samples[("payops_rule_findings_total", (("client", "C042"), ("rule", "FX-01"), ("severity", "hold")))] == 4
