"""tax_id_invalid: a vendor-master tax id correction is proposed, held for a person, then re-drives."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from models import Database, Invoice, Vendor, VendorChange
from payables.canonical import CanonicalInvoice, Status
from payables.clock import fixed_clock
from payables.ingest import ingest_file
from payables.reference.loader import load_reference_dir
from playbooks.library.tax_id_invalid import normalised_variants
from playbooks.policy import ApprovalPolicy, Track
from playbooks.runner import Runner
from tests.bot.scenario import BOLT
from tests.factories import NOW, VENDOR_ROW, make_invoice, write_feed, write_reference
from tests.playbooks.conftest import actions_of, invoice_of, proposal_of, propose

VALID = "DE102030400"
TYPO = "DE102030401"  # wrong check digit
LETTER_O = "DE1O2O3O4OO"  # typed with the letter O for zeros
IBAN = "DE12500105170648489890"
LATER = NOW + timedelta(hours=1)


def _oberon(number: str, total: str, printed: str = "") -> CanonicalInvoice:
    net = (Decimal(total) / Decimal("1.19")).quantize(Decimal("0.01"))
    return make_invoice(vendor_id="V00900", vendor_name="Oberon Handel GmbH", vendor_tax_id=printed,
                        vendor_iban=IBAN, invoice_number=number, net_amount=net, tax_amount=Decimal(total) - net,
                        total_amount=Decimal(total))


def _seed(db: Database, directory: Path, stored: str, invoices: list[CanonicalInvoice]) -> None:
    oberon = {"vendor_id": "V00900", "name": "Oberon Handel GmbH", "country": "DE", "tax_id": stored,
              "iban": IBAN, "status": "active"}
    with db.session() as session:
        load_reference_dir(session, write_reference(directory / "ref", vendors=[
            VENDOR_ROW, {**BOLT, "status": "inactive"}, oberon]), NOW)
        ingest_file(session, write_feed(directory / "oberon.csv", invoices), clock=fixed_clock(NOW))


def _tax_id(db: Database) -> str:
    with db.session() as session:
        vendor = session.get(Vendor, "V00900")
        assert vendor is not None
        return vendor.tax_id


def test_the_id_printed_on_the_invoices_corrects_the_master_once_a_person_approves(
        book: Database, make_runner: Callable[..., Runner], ticket_about: Callable[..., int], tmp_path: Path) -> None:
    _seed(book, tmp_path, TYPO, [
        _oberon("INV-T1", "119.00"),  # prints no id: TAX-01 on the master's
        _oberon("INV-T2", "238.00", printed=VALID),  # the right id: VM-02, it differs from the master
        _oberon("INV-T3", "357.00", printed=TYPO)])  # prints the typo itself: stays until re-issued
    assert [invoice_of(book, n).status for n in ("INV-T1", "INV-T2", "INV-T3")] == [
        Status.REJECTED, Status.ON_HOLD, Status.REJECTED]
    runner = make_runner(clock=fixed_clock(LATER))
    pid = propose(book, runner, ticket_about("tax_id_invalid", invoices=("INV-T1",)))
    p = proposal_of(book, pid)
    assert (p.playbook, p.state, p.mode) == ("propose_tax_id_correction", "proposed", "approve")
    evidence = "\n".join(p.diagnosis["evidence"])
    assert f"tax id '{TYPO}' fails TAX-01 for DE: the number's checksum or check digit is invalid" in evidence
    assert f"candidate {VALID} (printed on invoice INV-T2)" in evidence
    assert "INV-T3 (client C017) is REJECTED; still REJECTED once corrected (TAX-01, VM-02)" in evidence
    assert "stay blocked until a person approves" in p.diagnosis["summary"]
    assert p.diagnosis["facts"]["corrections"]["V00900"]["after"] == VALID
    assert [(d["subject"], d["field"], d["before"], d["after"]) for d in p.plan["diff"]] == [
        ("vendor V00900", "tax_id", TYPO, VALID), ("invoice INV-T1", "status", "REJECTED", "VALIDATED"),
        ("invoice INV-T2", "status", "ON_HOLD", "VALIDATED")]
    assert {r["invoice_number"]: (r["before"]["rules"], r["after"]["status"]) for r in p.plan["dry_run"]} == {
        "INV-T1": (["TAX-01"], "VALIDATED"), "INV-T2": (["VM-02"], "VALIDATED")}
    assert p.plan["blast"]["vendors"] == ["V00900"] and p.plan["blast"]["invoices"] == 2
    assert p.risk == "high" and "changes the vendor master" in p.plan["risk_reasons"]
    assert _tax_id(book) == TYPO and invoice_of(book, "INV-T1").status == Status.REJECTED  # held until approved

    assert runner.decide(pid, "alice", approve=True).ok
    assert runner.apply(pid).state == "verified"
    assert _tax_id(book) == VALID
    assert [invoice_of(book, n).status for n in ("INV-T1", "INV-T2", "INV-T3")] == [
        Status.VALIDATED, Status.VALIDATED, Status.REJECTED]
    with book.session() as session:
        [change] = session.scalars(select(VendorChange).where(VendorChange.vendor_id == "V00900")).all()
        assert (change.field, change.old_value, change.new_value) == ("tax_id", TYPO, VALID)
    assert actions_of(book, pid) == ["proposed", "approved", "applying", "step_applied", "step_applied",
                                   "step_applied", "verified"]


def test_a_vendor_master_change_never_applies_without_a_person(
        book: Database, make_runner: Callable[..., Runner], ticket_about: Callable[..., int], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(book, tmp_path, LETTER_O, [_oberon("INV-T1", "119.00")])
    trusting = ApprovalPolicy(approvers=frozenset({"alice"}), auto_apply={"*": "medium"}, auto_apply_money=True,
                              min_samples=0, min_agreement=0.0)
    runner = make_runner(trusting, clock=fixed_clock(LATER))
    monkeypatch.setattr(Runner, "track", lambda self, session, playbook: Track(100, 100))
    p = proposal_of(book, propose(book, runner, ticket_about("tax_id_invalid", vendors=("V00900",))))
    assert p.state == "proposed" and p.risk == "high"
    assert "risk high is above" in p.decision_note


def test_the_stored_id_normalised_is_proposed_when_exactly_one_variant_validates(
        book: Database, make_runner: Callable[..., Runner], ticket_about: Callable[..., int], tmp_path: Path) -> None:
    _seed(book, tmp_path, LETTER_O, [_oberon("INV-T1", "119.00"), _oberon("INV-T2", "238.00")])
    runner = make_runner(clock=fixed_clock(LATER))
    pid = propose(book, runner, ticket_about("tax_id_invalid", vendors=("V00900",)))
    p = proposal_of(book, pid)
    assert p.playbook == "propose_tax_id_correction"
    assert "the number has an invalid format" in "\n".join(p.diagnosis["evidence"])
    assert p.diagnosis["facts"]["corrections"]["V00900"]["sources"] == ["the stored id normalised"]
    assert p.plan["diff"][0]["after"] == VALID and len(p.plan["diff"]) == 3
    assert runner.decide(pid, "bob", approve=True).ok
    assert runner.apply(pid).state == "verified"
    assert _tax_id(book) == VALID
    assert invoice_of(book, "INV-T2").status == Status.VALIDATED


def test_normalising_undoes_the_usual_slips() -> None:
    assert VALID in normalised_variants("de 102.030.400", "DE")
    assert VALID in normalised_variants("102030400", "DE")
    assert VALID in normalised_variants(LETTER_O, "DE")
    assert "27AAPFU0939F1ZV" in normalised_variants("27AAPFUO939F1ZV", "IN")  # one O among letters


def test_no_single_valid_candidate_goes_to_a_person_with_the_reason(
        book: Database, make_runner: Callable[..., Runner], ticket_about: Callable[..., int], tmp_path: Path) -> None:
    _seed(book, tmp_path, TYPO, [_oberon("INV-T1", "119.00")])
    pid = propose(book, make_runner(clock=fixed_clock(LATER)), ticket_about("tax_id_invalid", vendors=("V00900",)))
    p = proposal_of(book, pid)
    assert p.playbook == "hand_off"
    evidence = "\n".join(p.diagnosis["evidence"])
    assert "no valid candidate: a person must ask the vendor for its registered tax id" in evidence
    assert _tax_id(book) == TYPO


def test_a_valid_master_tax_id_goes_to_a_person(
        book: Database, make_runner: Callable[..., Runner], ticket_about: Callable[..., int]) -> None:
    pid = propose(book, make_runner(clock=fixed_clock(LATER)), ticket_about("tax_id_invalid", vendors=("V00412",)))
    p = proposal_of(book, pid)
    assert p.playbook == "hand_off"
    assert "vendor V00412's tax id DE136695976 passes TAX-01 for DE" in "\n".join(p.diagnosis["evidence"])


def test_an_invoice_changed_after_approval_rolls_back_the_vendor_master_too(
        book: Database, make_runner: Callable[..., Runner], ticket_about: Callable[..., int], tmp_path: Path) -> None:
    _seed(book, tmp_path, TYPO, [_oberon("INV-T1", "119.00"), _oberon("INV-T2", "238.00", printed=VALID)])
    runner = make_runner(clock=fixed_clock(LATER))
    pid = propose(book, runner, ticket_about("tax_id_invalid", vendors=("V00900",)))
    assert runner.decide(pid, "alice", approve=True).ok
    with book.session() as session:  # a person cancels INV-T2 before the plan runs
        session.scalars(select(Invoice).where(Invoice.invoice_number == "INV-T2")).one().status = Status.CANCELLED
    p = runner.apply(pid)
    assert p.state == "rolled_back" and "every change was rolled back" in p.outcome
    assert _tax_id(book) == TYPO  # the master correction was undone with the rest
    assert invoice_of(book, "INV-T1").status == Status.REJECTED
    assert invoice_of(book, "INV-T2").status == Status.CANCELLED
    assert actions_of(book, pid)[-3:] == ["step_reverted", "step_reverted", "rolled_back"]
