"""The runner's guarantees: who may approve, once only, expiry, rollback, audit, shadow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from models import AuditEntry, Database, Invoice, InvoiceEvent, Ticket
from payables.canonical import Status
from payables.clock import fixed_clock
from playbooks import audit
from playbooks.base import Check, Context, Diagnosis, Plan, Playbook
from playbooks.changes import InvoiceStatus
from playbooks.policy import ApprovalPolicy
from playbooks.registry import Registry, default_registry
from playbooks.runner import Runner
from playbooks.shadow import compare_due, shadow_report
from tests.bot.scenario import activate_vendor
from tests.factories import NOW
from tests.playbooks.conftest import POLICY, actions_of, proposal_of, propose

STALE = "INV-2291 was rejected, the vendor V00777 is active again"


@pytest.fixture
def stale(book: Database, tmp_path: Path, ticket_about: Callable[..., int]) -> int:
    """INV-2291 and INV-5001 rejected by VM-01; the vendor master has since been fixed."""
    activate_vendor(book, tmp_path / "fixed")
    return ticket_about("vendor_master_stale", STALE, invoices=("INV-2291", "INV-5001"))


def _status(db: Database, number: str) -> str:
    with db.session() as session:
        return session.scalars(select(Invoice.status).where(Invoice.invoice_number == number)).one()


def test_a_proposal_shows_diagnosis_diff_blast_radius_dry_run_and_risk(book: Database, runner: Runner,
                                                                       stale: int) -> None:
    p = proposal_of(book, propose(book, runner, stale))
    assert (p.playbook, p.state, p.mode) == ("refresh_vendor_snapshot", "proposed", "approve")
    assert p.plan["diff"] == [
        {"kind": "invoice_status", "subject": "invoice INV-2291", "field": "status", "before": "REJECTED",
         "after": "VALIDATED"},
        # Once INV-2291 is released, INV-5001 (same vendor, total and date) is a duplicate suspect.
        {"kind": "invoice_status", "subject": "invoice INV-5001", "field": "status", "before": "REJECTED",
         "after": "ON_HOLD"}]
    blast = p.plan["blast"]
    assert (blast["invoices"], blast["clients"], blast["by_currency"]) == (2, ["C017", "C042"], {"EUR": "238"})
    assert blast["usd"] == "257.04"  # 238 EUR at the stored 1.08
    assert {row["invoice_number"]: (row["before"]["rules"], row["after"]["status"], row["after"]["rules"])
            for row in p.plan["dry_run"]} == {"INV-2291": ([], "VALIDATED", []),
                                             "INV-5001": ([], "ON_HOLD", ["DUP-02"])}
    # Releasing rejected invoices lets money go out: a person approves it.
    assert p.risk == "medium" and p.moves_money and not p.changes_bank_data
    assert p.expires_at == NOW + timedelta(hours=4)
    assert _status(book, "INV-2291") == Status.REJECTED  # proposing changes nothing


def test_approved_once_applied_once_and_every_step_audited(book: Database, runner: Runner, stale: int) -> None:
    pid = propose(book, runner, stale)
    assert runner.decide(pid, "alice", approve=True).ok
    second = runner.decide(pid, "bob", approve=True)  # a double click, or a second approver
    assert not second.ok and "already approved by alice" in second.message
    assert runner.apply(pid).state == "verified"
    assert runner.apply(pid).state == "verified"  # a retried apply finds it done
    assert (_status(book, "INV-2291"), _status(book, "INV-5001")) == (Status.VALIDATED, Status.ON_HOLD)
    with book.session() as session:
        moves = session.execute(select(InvoiceEvent.to_status, func.count()).group_by(InvoiceEvent.to_status)).all()
        assert sorted(moves) == [("ON_HOLD", 1), ("VALIDATED", 1)]
        steps = [e for e in audit.entries(session, proposal_id=pid) if e.action == "step_applied"]
        assert [(e.before, e.after) for e in steps] == [({"status": "REJECTED"}, {"status": "VALIDATED"}),
                                                        ({"status": "REJECTED"}, {"status": "ON_HOLD"})]
        assert all("approved by alice" in e.actor for e in steps)
    assert actions_of(book, pid) == ["proposed", "approved", "refused", "applying", "step_applied", "step_applied",
                                   "verified"]


def test_two_person_rule_and_unauthorised_approvers_are_refused_with_a_reason(
        book: Database, runner: Runner, stale: int) -> None:
    pid = propose(book, runner, stale)  # requested by the ticket's reporter, carol
    mine = runner.decide(pid, "carol", approve=True)
    assert not mine.ok and "two-person rule" in mine.message
    stranger = runner.decide(pid, "mallory", approve=True)
    assert not stranger.ok and "not on the approver list" in stranger.message
    assert proposal_of(book, pid).state == "proposed"
    with book.session() as session:
        refused = [e for e in audit.entries(session, proposal_id=pid) if e.action == "refused"]
        assert [e.actor for e in refused] == ["carol", "mallory"]
    # An approver group counts as much as the list.
    grouped = runner.__class__(book, policy=ApprovalPolicy(approver_groups=frozenset({"S-ONCALL"})),
                               notifier=runner.notifier, clock=runner.clock, worker_id="w")
    assert not grouped.decide(pid, "dave", approve=True).ok
    assert grouped.decide(pid, "dave", approve=True, groups=("S-ONCALL",)).ok


def test_the_requester_may_withdraw_but_not_approve(book: Database, runner: Runner, stale: int) -> None:
    pid = propose(book, runner, stale)
    assert runner.decide(pid, "carol", approve=False, note="asked for the wrong invoice").ok
    p = proposal_of(book, pid)
    assert (p.state, p.agreement) == ("rejected", "differ")
    assert runner.apply(pid).state == "rejected"
    assert _status(book, "INV-2291") == Status.REJECTED


def test_an_unanswered_proposal_expires_and_cannot_be_approved_after(
        book: Database, make_runner: Callable[..., Runner], stale: int) -> None:
    pid = propose(book, make_runner(), stale)
    later = make_runner(clock=fixed_clock(NOW + timedelta(hours=4, seconds=1)))
    assert later.run_due() == 1
    p = proposal_of(book, pid)
    assert p.state == "expired" and "expired unanswered" in p.outcome
    late = later.decide(pid, "alice", approve=True)
    assert not late.ok and "expired" in late.message
    assert _status(book, "INV-2291") == Status.REJECTED


def test_a_change_made_by_hand_since_the_plan_stops_the_apply_and_rolls_back(
        book: Database, runner: Runner, stale: int) -> None:
    pid = propose(book, runner, stale)
    assert runner.decide(pid, "alice", approve=True).ok
    with book.session() as session:  # someone cancels INV-5001 by hand meanwhile
        inv = session.scalars(select(Invoice).where(Invoice.invoice_number == "INV-5001")).one()
        inv.status = Status.CANCELLED
    p = runner.apply(pid)
    assert p.state == "rolled_back"
    assert "INV-5001 status is 'CANCELLED'" in p.outcome
    # INV-2291 was re-driven first, then put back: nothing is left half-done.
    assert _status(book, "INV-2291") == Status.REJECTED
    assert _status(book, "INV-5001") == Status.CANCELLED
    assert actions_of(book, pid)[-2:] == ["step_reverted", "rolled_back"]


class _VerifyFails(Playbook):
    """Re-drives INV-2291, then finds the outcome wrong (say the payment run refused it)."""

    name = "verify_fails"
    root_cause = "vendor_master_stale"
    title = "test: verification fails"

    def diagnose(self, ctx: Context) -> Diagnosis:
        return Diagnosis("test", invoice_ids=[i.id for i in ctx.named_invoices()])

    def plan(self, ctx: Context, diagnosis: Diagnosis) -> Plan:
        changes = [InvoiceStatus(invoice=i.id, number=i.invoice_number, before=i.status, after=Status.VALIDATED,
                                 reason="test", revalidate=True) for i in ctx.named_invoices()[:1]]
        return Plan("re-drive", list(changes), diagnosis.invoice_ids)

    def verify(self, ctx: Context, plan: Plan) -> list[Check]:
        return [Check("payment run accepted it", False, "refused by the bank file check")]


def test_a_failed_verification_rolls_every_change_back(book: Database, stale: int) -> None:
    registry = Registry([_VerifyFails(), default_registry().get("hand_off")])
    runner = Runner(book, policy=POLICY, notifier=_notifier(), clock=fixed_clock(NOW), worker_id="w",
                    registry=registry)
    pid = propose(book, runner, stale)
    runner.decide(pid, "alice", approve=True)
    p = runner.apply(pid)
    assert p.state == "rolled_back"
    assert "payment run accepted it: refused by the bank file check" in p.outcome
    assert _status(book, "INV-2291") == _status(book, "INV-5001") == Status.REJECTED
    assert actions_of(book, pid).count("step_reverted") == 1


def _notifier():  # type: ignore[no-untyped-def]
    from playbooks.ports import AuditOnlyNotifier

    return AuditOnlyNotifier(fixed_clock(NOW))


def test_the_audit_log_refuses_updates_and_deletes(book: Database, runner: Runner, stale: int) -> None:
    propose(book, runner, stale)
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), book.engine.begin() as conn:
            conn.execute(text(statement))
    with book.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 1


def test_a_root_cause_not_borne_out_is_handed_to_a_person(book: Database, runner: Runner,
                                                          ticket_about: Callable[..., int]) -> None:
    # The vendor is still inactive: the master is not stale, it is right.
    tid = ticket_about("vendor_master_stale", STALE, invoices=("INV-2291",))
    p = proposal_of(book, propose(book, runner, tid))
    assert (p.playbook, p.state, p.mode) == ("hand_off", "verified", "auto")  # a message: sent at once
    assert "Refresh vendor snapshot" in p.diagnosis["evidence"][0]
    assert any("VM-01" in line for line in p.diagnosis["evidence"])
    assert runner.apply(pid := p.id).state == "verified"
    assert _status(book, "INV-2291") == Status.REJECTED
    assert "notice" in actions_of(book, pid)


def test_shadow_mode_records_without_acting_then_measures_agreement(
        book: Database, make_runner: Callable[..., Runner], stale: int) -> None:
    shadow = make_runner(ApprovalPolicy(approvers=frozenset({"alice"}), modes={"refresh_vendor_snapshot": "shadow"},
                                        min_samples=1))
    pid = propose(book, shadow, stale)
    assert proposal_of(book, pid).state == "shadow"
    assert not shadow.decide(pid, "alice", approve=True).ok
    assert shadow.run_due() == 0
    assert _status(book, "INV-2291") == Status.REJECTED
    # The engineers re-drive both invoices by hand and resolve the ticket.
    with book.session() as session:
        for inv in session.scalars(select(Invoice).where(Invoice.invoice_number.in_(["INV-2291", "INV-5001"]))):
            inv.status = Status.VALIDATED if inv.invoice_number == "INV-2291" else Status.ON_HOLD
        ticket = session.get(Ticket, stale)
        assert ticket is not None
        ticket.state = "resolved"
    with book.session() as session:
        assert compare_due(session, now=NOW) == 1
        report = {r["playbook"]: r for r in shadow_report(session, shadow.policy, ["refresh_vendor_snapshot"])}
    p = proposal_of(book, pid)
    assert p.agreement == "agree"
    assert report["refresh_vendor_snapshot"]["shadow_agree"] == 1
    assert report["refresh_vendor_snapshot"]["recommendation"].startswith("ready for approval mode")


def test_shadow_disagreement_is_measured_too(book: Database, make_runner: Callable[..., Runner], stale: int) -> None:
    shadow = make_runner(ApprovalPolicy(modes={"refresh_vendor_snapshot": "shadow"}))
    pid = propose(book, shadow, stale)
    with book.session() as session:
        ticket = session.get(Ticket, stale)
        assert ticket is not None
        ticket.state = "resolved"  # resolved without re-driving anything
        compare_due(session, now=NOW)
    p = proposal_of(book, pid)
    assert p.agreement == "differ" and "INV-2291 status is 'REJECTED'" in p.agreement_detail


def test_auto_apply_only_on_earned_agreement_and_never_for_money(book: Database, make_runner: Callable[..., Runner],
                                                                stale: int) -> None:
    generous = ApprovalPolicy(approvers=frozenset({"alice"}), auto_apply={"*": "high"}, min_samples=1)
    p = proposal_of(book, propose(book, make_runner(generous), stale))
    assert p.state == "proposed" and "a person approves that" in p.decision_note
    runner = make_runner(generous)
    runner.decide(p.id, "carol", approve=False)  # withdrawn: measured as a disagreement
    money_ok = ApprovalPolicy(approvers=frozenset({"alice"}), auto_apply={"*": "high"}, auto_apply_money=True,
                              min_samples=1)
    again = proposal_of(book, propose(book, make_runner(money_ok), stale))
    assert again.state == "proposed" and "not yet earned: 0/1" in again.decision_note
