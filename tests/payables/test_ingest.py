"""Ingesting feeds into a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from models import Batch, Finding, Invoice, InvoiceEvent, RawRecord, ValidationResult
from payables.clock import fixed_clock
from payables.ingest import ingest_file
from payables.reference.loader import load_reference_dir
from payables.revalidate import find_invoice, latest_findings, redrive, revalidate
from tests.factories import NOW, VENDOR_ROW, make_invoice, write_feed, write_reference

CLOCK = fixed_clock(NOW)


def ingest(db, path: Path):  # type: ignore[no-untyped-def]
    with db.session() as session:
        return ingest_file(session, path, clock=CLOCK)


def test_every_row_ends_in_exactly_one_outcome(db, tmp_path):
    feed = write_feed(
        tmp_path / "c017.csv",
        [
            make_invoice(invoice_number="A-1"),
            make_invoice(invoice_number="A-2", total_amount=Decimal("120.00")),  # TOT-01
            make_invoice(invoice_number="A-3", net_amount=Decimal("200.00"), tax_amount=Decimal("38.00"),
                         total_amount=Decimal("238.00"), currency="GBP"),
        ],
        extra_lines=[
            "C017,DIGITAL,DE,V00412,Acme,,,A-4,2026-11-02,EUR,12,30x,2.34,14.64,NET30,",  # 16 fields
            "C017,DIGITAL,DE,V00412,Acme,,,A-5,2026-11-02,EUR,12.3x,2.34,14.64,NET30,",
        ],
    )
    summary = ingest(db, feed)
    assert (summary.received, summary.accepted, summary.rejected, summary.on_hold, summary.quarantined) == (
        5, 2, 1, 0, 2)
    assert summary.received == summary.accepted + summary.rejected + summary.on_hold + summary.quarantined
    with db.session() as session:
        quarantined = session.scalars(
            select(RawRecord).where(RawRecord.outcome == "quarantined").order_by(RawRecord.line_no)).all()
        assert [q.line_no for q in quarantined] == [5, 6]
        assert quarantined[0].raw.startswith("C017,DIGITAL,DE,V00412,Acme,,,A-4")
        assert "line 5" in quarantined[0].reason and "16 fields" in quarantined[0].reason
        assert "line 6" in quarantined[1].reason and "net_amount" in quarantined[1].reason
        assert "12.3x" in quarantined[1].reason
        assert session.scalar(select(func.count()).select_from(RawRecord)) == 5


def test_the_same_file_twice_changes_nothing_and_says_so(db, tmp_path):
    feed = write_feed(tmp_path / "f.csv", [make_invoice(invoice_number=f"N-{i}", invoice_date=date(2026, 11, 1 + i)) for i in range(3)])
    first = ingest(db, feed)
    second = ingest(db, feed)
    assert first.accepted == 3 and not first.already_ingested
    assert second.already_ingested and second.batch_id == first.batch_id
    assert second.duplicates_skipped == 3 and second.received == second.accepted == 0
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Batch)) == 1
        assert session.scalar(select(func.count()).select_from(Invoice)) == 3


def test_a_resent_invoice_in_another_file_is_rejected_by_dup01_and_kept(db, tmp_path):
    ingest(db, write_feed(tmp_path / "day1.csv", [make_invoice()]))
    again = ingest(db, write_feed(tmp_path / "day2.csv", [make_invoice(), make_invoice(invoice_number="B-1",
                                                                                       total_amount=Decimal("1.19"),
                                                                                       net_amount=Decimal("1"),
                                                                                       tax_amount=Decimal("0.19"))]))
    assert (again.rejected, again.accepted) == (1, 1)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Invoice)) == 2
        rules = session.scalars(select(Finding.rule)).all()
        assert "DUP-01" in rules


def test_a_rejected_invoice_corrected_and_resent_replaces_the_rejected_one(db, tmp_path):
    ingest(db, write_feed(tmp_path / "bad.csv", [make_invoice(total_amount=Decimal("118.00"))]))
    fixed = ingest(db, write_feed(tmp_path / "good.csv", [make_invoice()]))
    assert fixed.accepted == 1
    with db.session() as session:
        invoice = session.scalars(select(Invoice)).one()
        assert invoice.status == "VALIDATED" and invoice.total_amount == Decimal("119")
        events = session.scalars(select(InvoiceEvent).order_by(InvoiceEvent.id)).all()
        assert [(e.from_status, e.to_status) for e in events] == [("REJECTED", "VALIDATED")]
        raws = session.scalars(select(RawRecord).order_by(RawRecord.id)).all()
        assert [(r.outcome, r.invoice_id) for r in raws] == [("rejected", invoice.id), ("accepted", invoice.id)]


def test_immediate_pay_gets_its_two_hour_deadline_from_ingestion(db, tmp_path):
    ingest(db, write_feed(tmp_path / "f.csv", [make_invoice(payment_terms="IMMEDIATE")]))
    with db.session() as session:
        invoice = session.scalars(select(Invoice)).one()
        assert invoice.ingested_at == NOW
        assert invoice.payment_deadline == NOW + timedelta(hours=2)
        assert invoice.payment_deadline.tzinfo is not None


def test_money_is_stored_exactly(db, tmp_path):
    inv = make_invoice(net_amount=Decimal("1234567.89"), tax_amount=Decimal("234567.90"),
                       total_amount=Decimal("1469135.79"), geography="US", currency="USD")
    ingest(db, write_feed(tmp_path / "f.csv", [inv]))
    with db.session() as session:
        stored = session.scalars(select(Invoice)).one()
        assert stored.net_amount == Decimal("1234567.89")
        assert stored.total_amount == Decimal("1469135.79")
        assert isinstance(stored.tax_amount, Decimal)


def test_validation_records_the_rule_and_reference_versions(db, tmp_path):
    with db.session() as session:
        load_reference_dir(session, write_reference(tmp_path / "ref", vendors=[VENDOR_ROW]), NOW)
    summary = ingest(db, write_feed(tmp_path / "f.csv", [make_invoice()]))
    with db.session() as session:
        result = revalidate(session, find_invoice(session, "INV-2291"), clock=CLOCK)
        first = result.at_ingestion
        assert first is not None and first.rules_version == summary.rules_version
        assert "payops-core@1" in first.rules_version
        assert first.reference_version == summary.reference_version >= 1
        assert "FX-01" in first.skipped  # no FX rates loaded
        stored = session.get(ValidationResult, result.invoice.last_validation_id)
        assert stored.rules_version == result.now.rules_version
        assert stored.reference_version == result.now.reference_version


def test_rejected_under_old_vendor_master_passes_after_it_is_corrected(db, tmp_path):
    bad = {**VENDOR_ROW, "tax_id": "DE136695977"}
    with db.session() as session:
        load_reference_dir(session, write_reference(tmp_path / "v1", vendors=[bad]), NOW)
    ingest(db, write_feed(tmp_path / "f.csv", [make_invoice(vendor_tax_id="")]))
    with db.session() as session:
        load_reference_dir(session, write_reference(tmp_path / "v2", vendors=[VENDOR_ROW]), NOW)
    with db.session() as session:
        result = revalidate(session, find_invoice(session, "INV-2291"), clock=fixed_clock(NOW + timedelta(hours=1)))
        assert result.at_ingestion is not None
        assert result.at_ingestion.status == "REJECTED"
        assert [f.rule for f in result.at_ingestion.findings] == ["TAX-01"]
        assert result.passes_now and result.now.reference_version > result.at_ingestion.reference_version
        assert result.invoice.status == "REJECTED"  # revalidating does not re-drive by itself


def test_a_held_invoice_does_not_count_as_its_own_duplicate_when_revalidated(db, tmp_path):
    ingest(db, write_feed(tmp_path / "f.csv", [make_invoice()]))
    with db.session() as session:
        result = revalidate(session, find_invoice(session, "INV-2291"), clock=CLOCK)
        assert result.now.findings == ()


def test_redrive_moves_an_invoice_that_now_passes_and_records_why(db, tmp_path):
    with db.session() as session:
        load_reference_dir(session, write_reference(tmp_path / "v1", vendors=[{**VENDOR_ROW, "status": "inactive"}]), NOW)
    ingest(db, write_feed(tmp_path / "f.csv", [make_invoice()]))
    later = fixed_clock(NOW + timedelta(hours=1))
    with db.session() as session:
        stuck = revalidate(session, find_invoice(session, "INV-2291"), clock=later)
        assert not redrive(session, stuck, actor="ana", clock=later)  # still blocked by VM-01: nothing moves
        assert latest_findings(session, [stuck.invoice])[stuck.invoice.id][0].rule == "VM-01"
    with db.session() as session:
        load_reference_dir(session, write_reference(tmp_path / "v2", vendors=[VENDOR_ROW]), NOW)
    with db.session() as session:
        now_passes = revalidate(session, find_invoice(session, "INV-2291"), clock=later)
        assert redrive(session, now_passes, actor="ana", clock=later)
        assert latest_findings(session, [now_passes.invoice]) == {now_passes.invoice.id: ()}
    with db.session() as session:
        invoice = find_invoice(session, "INV-2291")
        assert invoice.status == "VALIDATED"
        event = session.scalars(select(InvoiceEvent)).one()
        assert (event.from_status, event.to_status, event.actor) == ("REJECTED", "VALIDATED", "ana")
        assert "re-driven under rules" in event.reason
