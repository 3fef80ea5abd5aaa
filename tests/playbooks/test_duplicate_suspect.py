"""resolve_duplicate_suspect, end to end through the engine and the runner.

The book (tests/bot/scenario.py) holds INV-3000 (238.00 EUR, 2026-11-05) and INV-4400
(59.50 EUR, 2026-11-02) from V00412 for C017, both validated. The feeds below bring in
invoices the engine holds for DUP-02 against them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from models import Database, FindingWaiver, Invoice, InvoiceEvent
from payables.canonical import CanonicalInvoice
from payables.clock import fixed_clock
from payables.ingest import ingest_file
from payables.reference.loader import load_reference_dir
from payables.revalidate import revalidate
from playbooks.library.duplicate_suspect import normalise_number
from playbooks.runner import Runner
from tests.factories import NOW, VENDOR_ROW, make_invoice, write_feed, write_reference
from tests.playbooks.conftest import actions_of, invoice_of, proposal_of, propose

OTHER_IBAN = "DE02120300000000202051"  # valid, but not the vendor master's


def twin_of_3000(number: str, **fields: str) -> CanonicalInvoice:
    return make_invoice(invoice_number=number, net_amount=Decimal("200.00"), tax_amount=Decimal("38.00"),
                        total_amount=Decimal("238.00"), invoice_date=date(2026, 11, 5), **fields)


def twin_of_4400(number: str, **fields: str) -> CanonicalInvoice:
    return make_invoice(invoice_number=number, net_amount=Decimal("50.00"), tax_amount=Decimal("9.50"),
                        total_amount=Decimal("59.50"), **fields)


def ingest(book: Database, path: Path, invoices: list[CanonicalInvoice]) -> None:
    with book.session() as session:
        ingest_file(session, write_feed(path, invoices), clock=fixed_clock(NOW))








@pytest.fixture
def held(book: Database, tmp_path: Path) -> Database:
    """inv-03000: INV-3000 retyped (a resend); INV-4401: another supply, same total and day."""
    ingest(book, tmp_path / "dups.csv", [twin_of_3000("inv-03000"), twin_of_4400("INV-4401")])
    assert invoice_of(book, "inv-03000").status == "ON_HOLD"
    assert invoice_of(book, "INV-4401").status == "ON_HOLD"
    return book


def test_numbers_normalise_across_separators_case_and_leading_zeros() -> None:
    assert normalise_number("inv-03000") == normalise_number("INV 3000") == normalise_number("INV/3000")
    assert normalise_number("INV-3000") != normalise_number("INV-3001")
    assert normalise_number("INV-1030") != normalise_number("INV-130")


def test_cancels_the_resend_and_releases_the_other_supply(
        held: Database, runner: Runner, ticket_about: Callable[..., int]) -> None:
    tid = ticket_about("duplicate_suspect", invoices=("inv-03000", "INV-4401"))
    pid = propose(held, runner, tid)
    p = proposal_of(held, pid)
    assert (p.playbook, p.state) == ("resolve_duplicate_suspect", "proposed")

    evidence = "\n".join(p.diagnosis["evidence"])
    assert "invoice number inv-03000 vs INV-3000, the same once normalised" in evidence
    assert "inv-03000 is very likely a duplicate of INV-3000" in evidence
    assert "invoice number INV-4401 vs INV-4400 (normalised INV4401 vs INV4400)" in evidence
    cancelled, released = invoice_of(held, "inv-03000"), invoice_of(held, "INV-4401")
    assert p.plan["diff"] == [
        {"kind": "invoice_status", "subject": "invoice inv-03000", "field": "status", "before": "ON_HOLD",
         "after": "CANCELLED"},
        {"kind": "invoice_release", "subject": "invoice INV-4401", "field": "status", "before": "ON_HOLD",
         "after": "VALIDATED"},
    ]
    assert p.plan["blast"]["invoices"] == 2 and p.plan["blast"]["clients"] == ["C017"]
    assert Decimal(p.plan["blast"]["by_currency"]["EUR"]) == Decimal("297.50")
    assert {row["invoice_number"]: row["before"]["rules"] for row in p.plan["dry_run"]} == {
        "inv-03000": ["DUP-02"], "INV-4401": ["DUP-02"]}
    # The dry run shows the release for what it is: DUP-02 answered, nothing else stops it.
    assert {row["invoice_number"]: (row["after"]["status"], row["after"]["rules"]) for row in p.plan["dry_run"]}[
        "INV-4401"] == ("VALIDATED", [])
    assert p.moves_money  # the release lets INV-4401 be paid: a person approves it

    assert runner.decide(pid, "alice", approve=True).ok
    p = runner.apply(pid)
    assert p.state == "verified", p.outcome

    assert invoice_of(held, "inv-03000").status == "CANCELLED"
    assert invoice_of(held, "INV-4401").status == "VALIDATED"
    assert invoice_of(held, "INV-3000").status == "VALIDATED"  # the original is untouched
    with held.session() as session:
        reasons = {e.invoice_id: e.reason for e in session.scalars(select(InvoiceEvent))}
    assert "duplicate of invoice INV-3000" in reasons[cancelled.id]
    assert "not a duplicate of INV-4400" in reasons[released.id]
    assert actions_of(held, pid) == ["proposed", "approved", "applying", "step_applied", "step_applied", "verified"]
    # The answer is remembered: a later re-validation (an inquiry) keeps it released and
    # still says what DUP-02 found, and who waived it.
    with held.session() as session:
        again = revalidate(session, session.scalars(select(Invoice).where(Invoice.invoice_number == "INV-4401")).one(),
                           clock=fixed_clock(NOW))
    assert again.now.status == "VALIDATED"
    [dup] = [f for f in again.now.findings if f.rule == "DUP-02"]
    assert dup.severity == "warn" and "waived by playbook resolve_duplicate_suspect" in dup.message
    assert "approved by alice" in dup.message


def test_same_po_net_tax_and_iban_under_another_number_is_a_duplicate(
        book: Database, tmp_path: Path, runner: Runner, ticket_about: Callable[..., int]) -> None:
    ingest(book, tmp_path / "po.csv", [
        make_invoice(invoice_number="A-7000", po_number="PO-555", invoice_date=date(2026, 11, 9)),
        make_invoice(invoice_number="B-9", po_number="PO-555", invoice_date=date(2026, 11, 9))])
    assert invoice_of(book, "B-9").status == "ON_HOLD"
    pid = propose(book, runner, ticket_about("duplicate_suspect", invoices=("B-9",)))
    assert proposal_of(book, pid).plan["diff"][0]["after"] == "CANCELLED"
    assert "same PO, net, tax and IBAN" in "\n".join(proposal_of(book, pid).diagnosis["evidence"])
    runner.decide(pid, "bob", approve=True)
    assert runner.apply(pid).state == "verified"
    assert (invoice_of(book, "B-9").status, invoice_of(book, "A-7000").status) == ("CANCELLED", "VALIDATED")


def test_no_release_when_another_rule_still_stops_it(
        book: Database, tmp_path: Path, runner: Runner, ticket_about: Callable[..., int]) -> None:
    # Another supply (other number), but asking for payment to an account the master lacks.
    ingest(book, tmp_path / "iban.csv", [twin_of_3000("INV-3200", vendor_iban=OTHER_IBAN)])
    pid = propose(book, runner, ticket_about("duplicate_suspect", invoices=("INV-3200",)))
    p = proposal_of(book, pid)
    assert p.playbook == "hand_off"
    text = "\n".join(p.diagnosis["evidence"])
    assert "VM-02" in text and f"vendor IBAN {OTHER_IBAN}" in text
    assert runner.apply(pid).state == "verified"  # the hand-off only tells on-call
    assert invoice_of(book, "INV-3200").status == "ON_HOLD"


def test_hand_off_when_the_invoice_is_not_held_as_a_duplicate(
        book: Database, runner: Runner, ticket_about: Callable[..., int]) -> None:
    pid = propose(book, runner, ticket_about("duplicate_suspect", invoices=("INV-3000",)))
    p = proposal_of(book, pid)
    assert p.playbook == "hand_off"
    assert any("no invoice named here is on hold as a suspected duplicate" in line
               for line in p.diagnosis["evidence"])
    assert invoice_of(book, "INV-3000").status == "VALIDATED"


def test_an_invoice_moved_by_hand_after_approval_rolls_the_whole_plan_back(
        held: Database, runner: Runner, ticket_about: Callable[..., int]) -> None:
    pid = propose(held, runner, ticket_about("duplicate_suspect", invoices=("inv-03000", "INV-4401")))
    assert runner.decide(pid, "alice", approve=True).ok
    with held.session() as session:  # someone rejects INV-4401 by hand meanwhile
        inv = session.scalars(select(Invoice).where(Invoice.invoice_number == "INV-4401")).one()
        inv.status = "REJECTED"

    p = runner.apply(pid)
    assert p.state == "rolled_back"
    assert "INV-4401" in p.outcome and "every change was rolled back" in p.outcome
    # The cancel of step 1 was undone: nothing is left half-done.
    assert invoice_of(held, "inv-03000").status == "ON_HOLD"
    assert invoice_of(held, "INV-4401").status == "REJECTED"
    assert actions_of(held, pid)[-3:] == ["step_applied", "step_reverted", "rolled_back"]
    with held.session() as session:
        assert session.scalars(select(FindingWaiver)).all() == []  # no release was recorded


def test_a_release_is_refused_when_another_rule_stops_the_invoice_by_the_time_it_is_applied(
        held: Database, tmp_path: Path, runner: Runner, ticket_about: Callable[..., int]) -> None:
    pid = propose(held, runner, ticket_about("duplicate_suspect", invoices=("INV-4401",)))
    assert proposal_of(held, pid).plan["diff"][0]["after"] == "VALIDATED"
    assert runner.decide(pid, "alice", approve=True).ok
    with held.session() as session:  # vendor management blocks the vendor meanwhile
        load_reference_dir(session, write_reference(tmp_path / "ref-blocked",
                                                    vendors=[{**VENDOR_ROW, "status": "blocked"}]), NOW)

    p = runner.apply(pid)
    assert p.state == "rolled_back"
    assert "VM-01" in p.outcome and "not released" in p.outcome
    assert invoice_of(held, "INV-4401").status == "ON_HOLD"
