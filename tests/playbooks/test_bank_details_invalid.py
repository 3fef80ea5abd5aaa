"""bank_details_invalid: payments to an invalid IBAN are held and the vendor contact told."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Database, Invoice, Ticket, Vendor
from payables.canonical import CanonicalInvoice, Status
from payables.clock import fixed_clock
from payables.ingest import ingest_file
from payables.reference.loader import load_reference_dir
from payables.revalidate import latest_findings
from playbooks import audit
from playbooks.ports import AuditOnlyNotifier
from playbooks.runner import Runner
from tests.bot.scenario import BOLT
from tests.factories import NOW, VENDOR_ROW, make_invoice, write_feed, write_reference
from tests.playbooks.conftest import POLICY, actions_of, invoice_of, proposal_of, propose

GOOD_IBAN = "DE12500105170648489890"
BAD_IBAN = "DE12500105170648489891"  # one digit off: the check digits no longer match
KRAFT = {"vendor_id": "V00500", "name": "Kraft Logistik GmbH", "country": "DE", "tax_id": "DE102030400",
         "iban": GOOD_IBAN, "status": "active"}
LATER = NOW + timedelta(hours=1)


def _kraft(number: str, total: str, iban: str = "") -> CanonicalInvoice:
    net = (Decimal(total) / Decimal("1.19")).quantize(Decimal("0.01"))
    return make_invoice(vendor_id="V00500", vendor_name="Kraft Logistik GmbH", vendor_tax_id="DE102030400",
                        vendor_iban=iban, invoice_number=number, net_amount=net, tax_amount=Decimal(total) - net,
                        total_amount=Decimal(total))


@pytest.fixture
def kraft(book: Database, tmp_path: Path) -> Database:
    """V00500's invoices passed; then a typo in the vendor master broke its IBAN.

    INV-B1 is VALIDATED, INV-B2 SCHEDULED (both would be paid to the broken account),
    INV-B3 came in after the typo, printing it, and BANK-01 rejected it.
    """
    others = [VENDOR_ROW, {**BOLT, "status": "inactive"}]
    with book.session() as session:
        load_reference_dir(session, write_reference(tmp_path / "ref1", vendors=[*others, KRAFT]), NOW)
        ingest_file(session, write_feed(tmp_path / "k1.csv", [_kraft("INV-B1", "119.00"),
                                                              _kraft("INV-B2", "238.00")]), clock=fixed_clock(NOW))
    with book.session() as session:
        load_reference_dir(session, write_reference(tmp_path / "ref2", vendors=[*others, {**KRAFT, "iban": BAD_IBAN}]),
                           NOW + timedelta(minutes=10))
        b2 = session.scalars(select(Invoice).where(Invoice.invoice_number == "INV-B2")).one()
        b2.status, b2.scheduled_at = Status.SCHEDULED, NOW + timedelta(minutes=5)  # the payment scheduler
        ingest_file(session, write_feed(tmp_path / "k2.csv", [_kraft("INV-B3", "357.00", iban=BAD_IBAN)]),
                    clock=fixed_clock(NOW + timedelta(minutes=20)))
    return book


def _vendor_notices(db: Database, pid: int) -> list[str]:
    with db.session() as session:
        return [e.detail for e in audit.entries(session, proposal_id=pid)
                if e.action == "notice" and (e.after or {}).get("audience") == "vendor_contact"]


def test_the_setting_is_real(kraft: Database) -> None:
    with kraft.session() as session:
        b3 = session.scalars(select(Invoice).where(Invoice.invoice_number == "INV-B3")).one()
        assert b3.status == Status.REJECTED
        assert "BANK-01" in {f.rule for f in latest_findings(session, [b3])[b3.id]}


def test_payments_to_the_invalid_iban_are_held_and_the_vendor_told_without_the_full_iban(
        kraft: Database, make_runner: Callable[..., Runner], ticket_about: Callable[..., int]) -> None:
    runner = make_runner(clock=fixed_clock(LATER))
    pid = propose(kraft, runner, ticket_about("bank_details_invalid", "V00500 IBAN bounced", vendors=("V00500",)))
    p = proposal_of(kraft, pid)
    assert (p.playbook, p.state) == ("hold_invalid_bank_details", "proposed")
    evidence = "\n".join(p.diagnosis["evidence"])
    assert "IBAN ******************9891 is not valid: its check digits are wrong" in evidence
    assert "INV-B3 (client C017) is already REJECTED by BANK-01: no change needed" in evidence
    assert [(d["subject"], d["before"], d["after"]) for d in p.plan["diff"]] == [
        ("invoice INV-B1", "VALIDATED", "ON_HOLD"), ("invoice INV-B2", "SCHEDULED", "ON_HOLD"),
        ("message to vendor contact", False, True)]
    text = p.plan["diff"][2]["text"]
    assert "Kraft Logistik GmbH" in text and "9891" in text and "its check digits are wrong" in text
    assert "INV-B1, INV-B2" in text
    # The playbook prints the full account number nowhere: not in its message, diff or diagnosis
    # (the dry run quotes the engine's BANK-01 finding, for on-call, as the engine words it).
    assert BAD_IBAN not in json.dumps(p.plan["diff"]) + json.dumps(p.plan["changes"]) + json.dumps(p.diagnosis)
    assert p.plan["blast"]["invoices"] == 2 and p.plan["blast"]["vendors"] == ["V00500"]
    assert [r["before"]["status"] for r in p.plan["dry_run"]] == ["REJECTED", "REJECTED"]  # BANK-01 today
    assert p.risk == "low" and not p.moves_money and not p.changes_bank_data

    assert runner.decide(pid, "alice", approve=True).ok
    assert runner.apply(pid).state == "verified"
    b1, b2 = invoice_of(kraft, "INV-B1"), invoice_of(kraft, "INV-B2")
    assert (b1.status, b2.status, b2.scheduled_at) == (Status.ON_HOLD, Status.ON_HOLD, None)
    assert invoice_of(kraft, "INV-B3").status == Status.REJECTED
    [notice] = _vendor_notices(kraft, pid)
    assert notice == text
    assert actions_of(kraft, pid) == ["proposed", "approved", "applying", "step_applied", "step_applied", "notice",
                                    "step_applied", "verified"]
    with kraft.session() as session:
        vendor = session.get(Vendor, "V00500")
        assert vendor is not None and vendor.iban == BAD_IBAN  # no bank data changed


def test_valid_bank_details_go_to_a_person(
        kraft: Database, make_runner: Callable[..., Runner], ticket_about: Callable[..., int]) -> None:
    pid = propose(kraft, make_runner(clock=fixed_clock(LATER)),
                  ticket_about("bank_details_invalid", vendors=("V00412",)))
    p = proposal_of(kraft, pid)
    assert p.playbook == "hand_off"
    evidence = "\n".join(p.diagnosis["evidence"])
    assert "the bank details are valid" in evidence and "vendor V00412: its IBAN" in evidence
    assert invoice_of(kraft, "INV-3000").status == Status.VALIDATED


def test_a_payment_made_before_apply_stops_it_but_keeps_the_holds_already_placed(
        kraft: Database, make_runner: Callable[..., Runner], ticket_about: Callable[..., int]) -> None:
    runner = make_runner(clock=fixed_clock(LATER))
    pid = propose(kraft, runner, ticket_about("bank_details_invalid", invoices=("INV-B1",)))
    assert proposal_of(kraft, pid).playbook == "hold_invalid_bank_details"
    assert runner.decide(pid, "bob", approve=True).ok
    with kraft.session() as session:  # paid meanwhile: the plan no longer describes the world
        session.scalars(select(Invoice).where(Invoice.invoice_number == "INV-B2")).one().status = Status.PAID
    p = runner.apply(pid)
    # Undoing INV-B1's hold would release a payment to an invalid account: it stays held.
    assert p.state == "failed" and "invoice INV-B2 status is 'PAID'" in p.outcome
    assert "rolled forward to" in p.outcome
    assert invoice_of(kraft, "INV-B1").status == Status.ON_HOLD
    assert invoice_of(kraft, "INV-B2").status == Status.PAID  # theirs stands
    assert _vendor_notices(kraft, pid) == []  # the step that tells the vendor was not reached


class ReleasingNotifier(AuditOnlyNotifier):
    """Someone releases INV-B1's hold while the plan sends its notice (a concurrent edit)."""

    def notice(self, session: Session, *, proposal_id: int, ticket: Ticket | None, key: str, audience: str,
               text: str) -> None:
        super().notice(session, proposal_id=proposal_id, ticket=ticket, key=key, audience=audience, text=text)
        session.scalars(select(Invoice).where(Invoice.invoice_number == "INV-B1")).one().status = Status.VALIDATED


def test_a_failed_verification_rolls_forward_to_held_rather_than_releasing_payments(
        kraft: Database, ticket_about: Callable[..., int]) -> None:
    clock = fixed_clock(LATER)
    runner = Runner(kraft, policy=POLICY, notifier=ReleasingNotifier(clock), clock=clock, worker_id="test")
    pid = propose(kraft, runner, ticket_about("bank_details_invalid", vendors=("V00500",)))
    assert runner.decide(pid, "alice", approve=True).ok
    p = runner.apply(pid)
    assert p.state == "failed"
    assert "invoice INV-B1 is on hold: VALIDATED" in p.outcome and "rolled forward to" in p.outcome
    assert invoice_of(kraft, "INV-B1").status == Status.ON_HOLD  # held again, not released
    assert invoice_of(kraft, "INV-B2").status == Status.ON_HOLD
    assert actions_of(kraft, pid)[-3:] == ["verify_failed", "rolled_forward", "failed"]
