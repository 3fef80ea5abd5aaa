"""stuck_in_pipeline: stuck invoices are re-driven to the engine's verdict, idempotently."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from models import Database, Invoice, InvoiceEvent
from payables.canonical import Status
from payables.clock import fixed_clock
from playbooks.runner import Runner
from tests.factories import NOW
from tests.playbooks.conftest import actions_of, invoice_of, proposal_of, propose

LATER = NOW + timedelta(minutes=45)  # past the 30-minute threshold of RECEIVED and PARSED


def _set(db: Database, number: str, status: str, at: datetime = NOW) -> None:
    """What the situation is: the pipeline left the invoice in `status` at `at`."""
    with db.session() as session:
        for inv in session.scalars(select(Invoice).where(Invoice.invoice_number == number)):
            inv.status, inv.updated_at = status, at


def test_stuck_invoices_are_re_driven_to_the_engines_verdict(
        book: Database, make_runner: Callable[..., Runner], ticket_about: Callable[..., int]) -> None:
    _set(book, "INV-3000", Status.RECEIVED)  # from V00412, active: passes
    _set(book, "INV-2291", Status.PARSED)  # from V00777, inactive: VM-01 rejects it
    runner = make_runner(clock=fixed_clock(LATER))
    pid = propose(book, runner, ticket_about("stuck_in_pipeline", invoices=("INV-3000", "INV-2291")))
    p = proposal_of(book, pid)
    assert (p.playbook, p.state) == ("redrive_stuck", "proposed")
    assert "2 invoice(s) stuck" in p.diagnosis["summary"]
    assert any("RECEIVED for 45 min" in line for line in p.diagnosis["evidence"])
    assert {(d["subject"], d["before"], d["after"]) for d in p.plan["diff"]} == {
        ("invoice INV-2291", "PARSED", "REJECTED"), ("invoice INV-3000", "RECEIVED", "VALIDATED")}
    assert {r["invoice_number"]: r["after"]["rules"] for r in p.plan["dry_run"]} == {
        "INV-2291": ["VM-01"], "INV-3000": []}
    assert p.plan["blast"]["invoices"] == 2 and p.plan["blast"]["clients"] == ["C017"]
    # INV-3000 becomes payable: money can go out, so a person approves.
    assert p.risk == "medium" and p.moves_money
    assert invoice_of(book, "INV-3000").status == Status.RECEIVED  # proposing changes nothing

    assert runner.decide(pid, "alice", approve=True).ok
    assert runner.apply(pid).state == "verified"
    done = invoice_of(book, "INV-3000")
    assert done.status == Status.VALIDATED and done.updated_at == LATER
    assert done.last_validation_id is not None  # the re-drive is a recorded re-validation
    assert invoice_of(book, "INV-2291").status == Status.REJECTED
    assert actions_of(book, pid) == ["proposed", "approved", "applying", "step_applied", "step_applied", "verified"]
    with book.session() as session:
        event = session.scalars(select(InvoiceEvent).where(InvoiceEvent.invoice_id == done.id)).one()
        assert (event.from_status, event.to_status) == ("RECEIVED", "VALIDATED")
        assert "stuck in RECEIVED for 45 min" in event.reason and "approved by alice" in event.actor
    assert runner.apply(pid).state == "verified"  # applying again does nothing more


def test_a_client_ticket_re_drives_that_clients_stuck_invoices_only(
        book: Database, make_runner: Callable[..., Runner], ticket_about: Callable[..., int]) -> None:
    day_later = NOW + timedelta(hours=25)
    _set(book, "INV-3000", Status.RECEIVED)
    _set(book, "INV-5001", Status.RECEIVED)  # client C042: not this ticket's
    runner = make_runner(clock=fixed_clock(day_later))
    pid = propose(book, runner, ticket_about("stuck_in_pipeline", "C017 invoices stuck", clients=("C017",)))
    p = proposal_of(book, pid)
    assert p.playbook == "redrive_stuck"
    assert [d["subject"] for d in p.plan["diff"]] == ["invoice INV-3000"]
    # INV-4400 has been VALIDATED and unscheduled for 25 h: its verdict stands, a person
    # looks at the scheduler; it is listed, not changed.
    assert any(line.startswith("INV-4400") and "payment scheduler" in line for line in p.diagnosis["evidence"])
    assert "awaiting scheduling" in p.diagnosis["summary"]
    assert runner.decide(pid, "bob", approve=True).ok
    assert runner.apply(pid).state == "verified"
    assert invoice_of(book, "INV-3000").status == Status.VALIDATED
    assert invoice_of(book, "INV-5001").status == Status.RECEIVED
    assert invoice_of(book, "INV-4400").status == Status.VALIDATED


def test_an_invoice_that_is_not_stuck_goes_to_a_person(
        book: Database, make_runner: Callable[..., Runner], ticket_about: Callable[..., int]) -> None:
    _set(book, "INV-3000", Status.RECEIVED, at=NOW + timedelta(minutes=30))  # 15 min ago: still in budget
    runner = make_runner(clock=fixed_clock(LATER))
    pid = propose(book, runner, ticket_about("stuck_in_pipeline", invoices=("INV-3000", "INV-4400")))
    p = proposal_of(book, pid)
    assert p.playbook == "hand_off" and p.state == "verified"  # only a message: sent at once
    evidence = "\n".join(p.diagnosis["evidence"])
    assert "no invoice named here is stuck" in evidence
    assert "RECEIVED for 15 min, under its 30-min threshold" in evidence
    assert invoice_of(book, "INV-3000").status == Status.RECEIVED


def test_only_validated_invoices_waiting_for_the_scheduler_go_to_a_person(
        book: Database, make_runner: Callable[..., Runner], ticket_about: Callable[..., int]) -> None:
    runner = make_runner(clock=fixed_clock(NOW + timedelta(hours=25)))
    pid = propose(book, runner, ticket_about("stuck_in_pipeline", invoices=("INV-3000",)))
    p = proposal_of(book, pid)
    assert p.playbook == "hand_off"
    assert "the scheduler needs a person" in "\n".join(p.diagnosis["evidence"])


def test_a_redrive_the_pipeline_already_did_counts_as_done(
        book: Database, make_runner: Callable[..., Runner], ticket_about: Callable[..., int]) -> None:
    _set(book, "INV-3000", Status.RECEIVED)
    runner = make_runner(clock=fixed_clock(LATER))
    pid = propose(book, runner, ticket_about("stuck_in_pipeline", invoices=("INV-3000",)))
    assert runner.decide(pid, "alice", approve=True).ok
    _set(book, "INV-3000", Status.VALIDATED, at=LATER)  # the pipeline caught up meanwhile
    assert runner.apply(pid).state == "verified"
    assert "step_already_done" in actions_of(book, pid)
    with book.session() as session:
        assert not session.scalars(select(InvoiceEvent)).all()  # not moved twice


def test_a_subject_changed_after_approval_rolls_everything_back(
        book: Database, make_runner: Callable[..., Runner], ticket_about: Callable[..., int]) -> None:
    _set(book, "INV-3000", Status.RECEIVED)
    _set(book, "INV-2291", Status.PARSED)
    runner = make_runner(clock=fixed_clock(LATER))
    pid = propose(book, runner, ticket_about("stuck_in_pipeline", invoices=("INV-3000", "INV-2291")))
    order = [d["subject"] for d in proposal_of(book, pid).plan["diff"]]
    assert order == ["invoice INV-2291", "invoice INV-3000"]
    assert runner.decide(pid, "alice", approve=True).ok
    _set(book, "INV-3000", Status.ON_HOLD, at=LATER)  # a person held it in the meantime
    p = runner.apply(pid)
    assert p.state == "rolled_back" and "changed since the plan was made" in p.outcome
    assert invoice_of(book, "INV-2291").status == Status.PARSED  # the first step was undone
    assert invoice_of(book, "INV-3000").status == Status.ON_HOLD  # the person's decision stands
    assert actions_of(book, pid)[-2:] == ["step_reverted", "rolled_back"]
