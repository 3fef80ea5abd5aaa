"""rematch_po, end to end through the engine and the runner.

Three RETAIL / LOGISTICS clients of vendor V00412, each with its POs on file:
- C100 R-1 (119.00 EUR) quotes PO-100 for 100.00 EUR: held, +19 % against RETAIL's 2 %;
- C200 R-2 (119.00 EUR) quotes PO-200, which is closed: rejected; PO-201 (118.00 EUR,
  open) fits it, PO-202 (USD) and PO-203 (500.00 EUR) do not;
- C300 R-3 (LOGISTICS, 119.00 EUR) quotes PO-300 for 110.00 EUR: held, +8.2 % against 5 %.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from models import Database, Invoice
from payables.clock import fixed_clock
from payables.ingest import ingest_file
from payables.reference.loader import load_reference_dir
from playbooks import audit
from playbooks.runner import Runner
from tests.factories import NOW, make_invoice, write_feed, write_reference
from tests.playbooks.conftest import proposal_of, propose


def po(number: str, client: str, amount: str, status: str = "open", currency: str = "EUR") -> dict[str, str]:
    return {"po_number": number, "client_id": client, "vendor_id": "V00412", "currency": currency,
            "amount": amount, "status": status}


POS = [po("PO-100", "C100", "100.00"), po("PO-200", "C200", "119.00", "closed"), po("PO-201", "C200", "118.00"),
       po("PO-202", "C200", "119.00", currency="USD"), po("PO-203", "C200", "500.00"), po("PO-300", "C300", "110.00")]


def load_pos(book: Database, directory: Path, rows: list[dict[str, str]]) -> None:
    with book.session() as session:
        load_reference_dir(session, write_reference(directory, purchase_orders=rows), NOW)


def ingest(book: Database, path: Path, *invoices: dict[str, Any]) -> None:
    with book.session() as session:
        ingest_file(session, write_feed(path, [make_invoice(**fields) for fields in invoices]),
                    clock=fixed_clock(NOW))


@pytest.fixture
def retail(book: Database, tmp_path: Path) -> Database:
    load_pos(book, tmp_path / "pos", POS)
    ingest(book, tmp_path / "retail.csv",
           dict(client_id="C100", business_line="RETAIL", invoice_number="R-1", po_number="PO-100",
                invoice_date=date(2026, 11, 6)),
           dict(client_id="C200", business_line="RETAIL", invoice_number="R-2", po_number="PO-200",
                invoice_date=date(2026, 11, 7)),
           dict(client_id="C300", business_line="LOGISTICS", invoice_number="R-3", po_number="PO-300",
                invoice_date=date(2026, 11, 8)))
    assert [row(book, n)[0] for n in ("R-1", "R-2", "R-3")] == ["ON_HOLD", "REJECTED", "ON_HOLD"]
    return book


def row(book: Database, number: str) -> tuple[str, str]:
    with book.session() as session:
        inv = session.scalars(select(Invoice).where(Invoice.invoice_number == number)).one()
        return inv.status, inv.po_number




def test_re_drives_after_the_po_update_and_re_matches_to_the_one_fitting_po(
        retail: Database, tmp_path: Path, runner: Runner, ticket_about: Callable[..., int]) -> None:
    # The buyer raised PO-100 to the invoiced amount.
    load_pos(retail, tmp_path / "pos-updated", [po("PO-100", "C100", "119.00"), *POS[1:]])
    pid = propose(retail, runner, ticket_about("po_mismatch", invoices=("R-1", "R-2")))
    p = proposal_of(retail, pid)
    assert (p.playbook, p.state) == ("rematch_po", "proposed")
    evidence = "\n".join(p.diagnosis["evidence"])
    assert "R-1: passes now" in evidence
    assert "names PO PO-200 (closed, 119.00 EUR)" in evidence
    assert "open PO PO-201 (118.00 EUR, +0.8 %) fits" in evidence
    assert p.plan["diff"] == [
        {"kind": "invoice_status", "subject": "invoice R-1", "field": "status", "before": "ON_HOLD",
         "after": "VALIDATED"},
        {"kind": "invoice_field", "subject": "invoice R-2", "field": "po_number", "before": "PO-200",
         "after": "PO-201"},
        {"kind": "invoice_status", "subject": "invoice R-2", "field": "status", "before": "REJECTED",
         "after": "VALIDATED"},
    ]
    assert p.plan["blast"]["clients"] == ["C100", "C200"] and p.plan["blast"]["business_lines"] == ["RETAIL"]
    dry = {r["invoice_number"]: r for r in p.plan["dry_run"]}
    assert (dry["R-1"]["before"]["status"], dry["R-1"]["after"]["status"]) == ("VALIDATED", "VALIDATED")
    assert (dry["R-2"]["stored_status"], dry["R-2"]["before"]["rules"]) == ("REJECTED", ["PO-01"])

    assert runner.decide(pid, "alice", approve=True).ok
    p = runner.apply(pid)
    assert p.state == "verified", p.outcome
    assert row(retail, "R-1") == ("VALIDATED", "PO-100")
    assert row(retail, "R-2") == ("VALIDATED", "PO-201")
    assert row(retail, "R-3")[0] == "ON_HOLD"  # not named, not touched
    with retail.session() as session:
        entries = audit.entries(session, proposal_id=pid)
    assert [e.action for e in entries] == ["proposed", "approved", "applying"] + ["step_applied"] * 3 + ["verified"]
    assert entries[4].before == {"po_number": "PO-200"} and entries[4].after == {"po_number": "PO-201"}


def test_routes_to_the_buyer_with_the_mismatch_in_numbers(
        retail: Database, runner: Runner, ticket_about: Callable[..., int]) -> None:
    pid = propose(retail, runner, ticket_about("po_mismatch", invoices=("R-3",)))
    p = proposal_of(retail, pid)
    assert p.playbook == "rematch_po"
    assert p.state == "verified" and p.decided_by == "policy"  # only a message: sent at once, nobody approves
    [notice] = p.plan["diff"]
    assert notice["subject"] == "message to buyer"
    for fact in ("R-3", "client C300", "119.00 EUR", "PO PO-300", "110.00 EUR", "+8.2 %", "LOGISTICS tolerance of 5 %",
                 "up to 115.50 EUR"):
        assert fact in notice["text"], fact

    p = runner.apply(pid)
    assert p.state == "verified"
    assert row(retail, "R-3") == ("ON_HOLD", "PO-300")
    with retail.session() as session:
        sent = [e for e in audit.entries(session, proposal_id=pid) if e.action == "notice"]
    assert len(sent) == 1 and sent[0].after == {"audience": "buyer"} and "+8.2 %" in sent[0].detail


def test_a_fitting_po_another_invoice_draws_on_is_not_offered(
        retail: Database, tmp_path: Path, runner: Runner, ticket_about: Callable[..., int]) -> None:
    ingest(retail, tmp_path / "more.csv", dict(client_id="C200", business_line="RETAIL", invoice_number="R-9",
                                               po_number="PO-201", invoice_date=date(2026, 11, 3)))
    assert row(retail, "R-9")[0] == "VALIDATED"
    pid = propose(retail, runner, ticket_about("po_mismatch", invoices=("R-2",)))
    p = proposal_of(retail, pid)
    assert "PO PO-201 (118.00 EUR) fits but invoice R-9 already quotes it" in "\n".join(p.diagnosis["evidence"])
    assert [d["kind"] for d in p.plan["diff"]] == ["notice"]
    assert runner.apply(pid).state == "verified"
    assert row(retail, "R-2") == ("REJECTED", "PO-200")


def test_hand_off_when_no_po_rule_stops_the_invoice(
        retail: Database, runner: Runner, ticket_about: Callable[..., int]) -> None:
    pid = propose(retail, runner, ticket_about("po_mismatch", invoices=("INV-3000",)))
    p = proposal_of(retail, pid)
    assert p.playbook == "hand_off"
    assert "no invoice named here is rejected by PO-01 or held by PO-02" in "\n".join(p.diagnosis["evidence"])
    assert row(retail, "INV-3000")[0] == "VALIDATED"


def test_an_invoice_moved_by_hand_after_approval_rolls_the_re_match_back(
        retail: Database, runner: Runner, ticket_about: Callable[..., int]) -> None:
    pid = propose(retail, runner, ticket_about("po_mismatch", invoices=("R-2",)))
    assert runner.decide(pid, "alice", approve=True).ok
    with retail.session() as session:  # someone puts R-2 on hold by hand meanwhile
        session.scalars(select(Invoice).where(Invoice.invoice_number == "R-2")).one().status = "ON_HOLD"

    p = runner.apply(pid)
    assert p.state == "rolled_back"
    assert "invoice R-2 status is 'ON_HOLD'" in p.outcome and "every change was rolled back" in p.outcome
    assert row(retail, "R-2") == ("ON_HOLD", "PO-200")  # the PO number it was given is taken back
    with retail.session() as session:
        done = [(e.action, e.subject) for e in audit.entries(session, proposal_id=pid)
                if e.action.startswith("step")]
    assert done == [("step_applied", "step 1/2: invoice R-2"), ("step_reverted", "invoice R-2")]


def test_the_dry_run_judges_a_re_matched_invoice_against_its_new_po(
        retail: Database, runner: Runner, ticket_about: Callable[..., int]) -> None:
    p = proposal_of(retail, propose(retail, runner, ticket_about("po_mismatch", invoices=("R-2",))))
    [dry] = p.plan["dry_run"]
    assert (dry["before"]["status"], dry["after"]["status"]) == ("REJECTED", "VALIDATED")
