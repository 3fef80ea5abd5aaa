"""immediate_pay_sla_risk: an at-risk immediate-pay invoice is expedited and on-call paged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from models import Database, Invoice
from payables.canonical import Status
from payables.clock import fixed_clock
from payables.ingest import ingest_file
from playbooks import audit
from playbooks.runner import Runner
from tests.factories import NOW, make_invoice, write_feed
from tests.playbooks.conftest import invoice_of, proposal_of, propose

DEADLINE = NOW + timedelta(hours=2)  # INV-4400 (IMMEDIATE) was ingested at NOW
AT_RISK = NOW + timedelta(minutes=105)  # 15 min left


def _audit(db: Database, pid: int) -> list[tuple[str, str]]:
    with db.session() as session:
        return [(e.action, e.subject) for e in audit.entries(session, proposal_id=pid)]


def _pages(db: Database, pid: int) -> list[str]:
    with db.session() as session:
        return [e.detail for e in audit.entries(session, proposal_id=pid)
                if e.action == "notice" and (e.after or {}).get("audience") == "oncall_page"]


def test_a_passing_invoice_is_scheduled_in_the_priority_lane_and_on_call_paged(
        book: Database, make_runner: Callable[..., Runner], ticket_about: Callable[..., int]) -> None:
    runner = make_runner(clock=fixed_clock(AT_RISK))
    pid = propose(book, runner, ticket_about("immediate_pay_sla_risk", invoices=("INV-4400",)))
    p = proposal_of(book, pid)
    assert (p.playbook, p.state) == ("expedite_immediate_pay", "proposed")
    facts = p.diagnosis["facts"]["at_risk"]["INV-4400"]
    assert (facts["minutes_left"], facts["verdict"], facts["blocking"]) == (15, "VALIDATED", [])
    assert "15 min left before its deadline 11:00 UTC" in "\n".join(p.diagnosis["evidence"])
    assert [(d["kind"], d["field"], d["before"], d["after"]) for d in p.plan["diff"]] == [
        ("invoice_field", "payment_lane", "standard", "priority"),
        ("invoice_status", "status", "VALIDATED", "SCHEDULED"),
        ("notice", "sent", False, True)]
    assert p.plan["diff"][2]["subject"] == "message to oncall page"
    assert {k: Decimal(v) for k, v in p.plan["blast"]["by_currency"].items()} == {"EUR": Decimal("59.50")}
    assert p.plan["dry_run"][0]["after"]["status"] == "VALIDATED"
    assert p.risk == "medium" and p.moves_money  # scheduling lets money go out
    assert p.expires_at == DEADLINE  # unanswered, it expires by the SLA deadline
    assert invoice_of(book, "INV-4400").payment_lane == "standard"  # proposing changes nothing

    assert runner.decide(pid, "alice", approve=True).ok
    assert runner.apply(pid).state == "verified"
    inv = invoice_of(book, "INV-4400")
    assert (inv.status, inv.payment_lane, inv.scheduled_at) == (Status.SCHEDULED, "priority", AT_RISK)
    # On-call is paged when the fix is proposed (the SLA cannot wait for someone to look),
    # and again with what was done.
    announced, page = _pages(book, pid)
    assert "INV-4400" in announced and "Approve the fix now" in announced
    assert "INV-4400" in page and "expedited" in page and "59.50 EUR" in page
    actions = [a for a, _ in _audit(book, pid)]
    assert actions == ["proposed", "notice", "announced", "approved", "applying", "step_applied", "step_applied",
                       "notice", "step_applied", "verified"]
    assert "15 min before its deadline" in proposal_of(book, pid).outcome


def test_an_alarm_naming_only_the_client_finds_its_at_risk_invoices(
        book: Database, make_runner: Callable[..., Runner], ticket_about: Callable[..., int]) -> None:
    runner = make_runner(clock=fixed_clock(AT_RISK))
    pid = propose(book, runner, ticket_about("immediate_pay_sla_risk", "SLA-01 RISK client=C017", clients=("C017",)))
    p = proposal_of(book, pid)
    assert p.playbook == "expedite_immediate_pay"
    assert list(p.diagnosis["facts"]["at_risk"]) == ["INV-4400"]  # INV-3000 is NET30: no clock
    assert [d["subject"] for d in p.plan["diff"]][:2] == ["invoice INV-4400", "invoice INV-4400"]


def test_a_blocked_invoice_only_pages_on_call_with_the_blocking_rules(
        book: Database, make_runner: Callable[..., Runner], ticket_about: Callable[..., int], tmp_path: Path) -> None:
    with book.session() as session:  # V00777 is inactive: VM-01 rejects it
        ingest_file(session, write_feed(tmp_path / "bolt.csv", [make_invoice(
            vendor_id="V00777", vendor_name="Bolt GmbH", invoice_number="INV-7001", payment_terms="IMMEDIATE",
            net_amount=Decimal("10.00"), tax_amount=Decimal("1.90"), total_amount=Decimal("11.90"))]),
            clock=fixed_clock(NOW))
    assert invoice_of(book, "INV-7001").status == Status.REJECTED
    runner = make_runner(clock=fixed_clock(AT_RISK))
    pid = propose(book, runner, ticket_about("immediate_pay_sla_risk", invoices=("INV-7001",)))
    p = proposal_of(book, pid)
    assert p.playbook == "expedite_immediate_pay"
    assert [d["kind"] for d in p.plan["diff"]] == ["notice"]
    assert p.state == "verified" and p.decided_by == "policy"  # a page only: sent at once, nobody approves
    assert runner.apply(pid).state == "verified"
    [page] = _pages(book, pid)
    assert "INV-7001" in page and "NOT expedited, blocked by VM-01" in page
    inv = invoice_of(book, "INV-7001")
    assert (inv.status, inv.payment_lane, inv.scheduled_at) == (Status.REJECTED, "standard", None)


def test_a_breached_invoice_is_still_expedited_and_its_proposal_stays_answerable(
        book: Database, make_runner: Callable[..., Runner], ticket_about: Callable[..., int]) -> None:
    late = DEADLINE + timedelta(minutes=30)
    runner = make_runner(clock=fixed_clock(late))
    pid = propose(book, runner, ticket_about("immediate_pay_sla_risk", invoices=("INV-4400",)))
    p = proposal_of(book, pid)
    assert p.diagnosis["facts"]["at_risk"]["INV-4400"]["minutes_left"] == -30
    assert "(1 already past it)" in p.diagnosis["summary"]
    assert p.expires_at == late + timedelta(minutes=30)  # not already expired
    assert runner.decide(pid, "alice", approve=True).ok
    assert runner.apply(pid).state == "verified"
    assert "30 min after its deadline" in proposal_of(book, pid).outcome


def test_an_unanswered_proposal_expires_at_the_deadline(
        book: Database, make_runner: Callable[..., Runner], ticket_about: Callable[..., int]) -> None:
    pid = propose(book, make_runner(clock=fixed_clock(AT_RISK)),
                  ticket_about("immediate_pay_sla_risk", invoices=("INV-4400",)))
    too_late = make_runner(clock=fixed_clock(DEADLINE + timedelta(minutes=1)))
    decision = too_late.decide(pid, "alice", approve=True)
    assert not decision.ok and "expired" in decision.message
    assert invoice_of(book, "INV-4400").status == Status.VALIDATED


def test_an_invoice_not_at_risk_or_not_immediate_goes_to_a_person(
        book: Database, make_runner: Callable[..., Runner], ticket_about: Callable[..., int]) -> None:
    runner = make_runner(clock=fixed_clock(NOW + timedelta(minutes=10)))
    pid = propose(book, runner, ticket_about("immediate_pay_sla_risk", invoices=("INV-4400", "INV-3000")))
    p = proposal_of(book, pid)
    assert p.playbook == "hand_off"
    evidence = "\n".join(p.diagnosis["evidence"])
    assert "110 min left before its deadline 11:00 UTC: not at risk yet" in evidence
    assert "INV-3000 (client C017, vendor V00412): terms NET30, not immediate pay" in evidence
    assert invoice_of(book, "INV-4400").payment_lane == "standard"


def test_a_hold_after_approval_rolls_the_lane_back_and_pages_nobody(
        book: Database, make_runner: Callable[..., Runner], ticket_about: Callable[..., int]) -> None:
    runner = make_runner(clock=fixed_clock(AT_RISK))
    pid = propose(book, runner, ticket_about("immediate_pay_sla_risk", invoices=("INV-4400",)))
    assert runner.decide(pid, "alice", approve=True).ok
    with book.session() as session:  # a person holds it (a duplicate suspect, say) before it is applied
        session.scalars(select(Invoice).where(Invoice.invoice_number == "INV-4400")).one().status = Status.ON_HOLD
    p = runner.apply(pid)
    assert p.state == "rolled_back" and "is 'ON_HOLD'" in p.outcome
    inv = invoice_of(book, "INV-4400")
    assert (inv.status, inv.payment_lane, inv.scheduled_at) == (Status.ON_HOLD, "standard", None)
    [announced] = _pages(book, pid)  # the page at proposal only: nothing was expedited
    assert "Approve the fix now" in announced
    assert [a for a, _ in _audit(book, pid)][-3:] == ["step_applied", "step_reverted", "rolled_back"]
