"""Invoices with their lifecycle state and history, and their validation results."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Money, UtcDateTime


class Invoice(Base):
    """One payable, identified by client, vendor and invoice number.

    status is the lifecycle name: RECEIVED, PARSED, VALIDATED, SCHEDULED, PAID, or a side
    state REJECTED, ON_HOLD (QUARANTINED rows never become invoices; see RawRecord).
    """

    __tablename__ = "invoices"
    # Number first: the unique index also serves lookups by invoice number alone.
    __table_args__ = (UniqueConstraint("invoice_number", "client_id", "vendor_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(16))
    vendor_id: Mapped[str] = mapped_column(String(32))
    invoice_number: Mapped[str] = mapped_column(String(64))
    business_line: Mapped[str] = mapped_column(String(16))
    geography: Mapped[str] = mapped_column(String(2))
    vendor_name: Mapped[str] = mapped_column(String(300), default="")
    vendor_tax_id: Mapped[str] = mapped_column(String(64), default="")
    vendor_iban: Mapped[str] = mapped_column(String(64), default="")
    invoice_date: Mapped[date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    net_amount: Mapped[Decimal | None] = mapped_column(Money)
    tax_amount: Mapped[Decimal | None] = mapped_column(Money)
    total_amount: Mapped[Decimal | None] = mapped_column(Money)
    payment_terms: Mapped[str] = mapped_column(String(16))
    po_number: Mapped[str] = mapped_column(String(64), default="")
    document_type: Mapped[str] = mapped_column(String(16), default="invoice")
    status: Mapped[str] = mapped_column(String(16))
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    raw_record_id: Mapped[int] = mapped_column(Integer)
    ingested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_date: Mapped[date | None] = mapped_column(Date)
    payment_deadline: Mapped[datetime | None] = mapped_column(UtcDateTime)
    scheduled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The latest re-validation; None while the verdict at ingestion (on the raw record) stands.
    last_validation_id: Mapped[int | None] = mapped_column(Integer)
    # standard, or priority: expedited (an immediate-pay invoice at risk of its 2 hours).
    payment_lane: Mapped[str] = mapped_column(String(12), default="standard", server_default="standard")


Index("ix_invoices_status_client", Invoice.status, Invoice.client_id)
Index("ix_invoices_dup2", Invoice.vendor_id, Invoice.invoice_date, Invoice.total_amount)


class InvoiceEvent(Base):
    """A lifecycle transition after ingestion: append-only history of an invoice.

    The first step of every invoice's history is its raw record (the batch it came in and
    the outcome it got), so bulk ingestion does not write an event per row.
    """

    __tablename__ = "invoice_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(Integer, index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))


class ValidationResult(Base):
    """A re-validation of a stored invoice under the rules and reference data of its time.

    The verdict at ingestion is not repeated here: it is the raw record's outcome, the
    batch's rule and reference versions, and the findings that point at the raw record.
    """

    __tablename__ = "validation_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int | None] = mapped_column(Integer, index=True)
    raw_record_id: Mapped[int | None] = mapped_column(Integer)
    batch_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # revalidation
    status: Mapped[str] = mapped_column(String(16))
    validated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    rules_version: Mapped[str] = mapped_column(Text)
    reference_version: Mapped[int] = mapped_column(Integer)
    skipped_rules: Mapped[str] = mapped_column(Text, default="")


class Finding(Base):
    """What one rule found: from ingestion (raw_record_id) or a re-validation (validation_id)."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    raw_record_id: Mapped[int | None] = mapped_column(Integer, index=True)
    validation_id: Mapped[int | None] = mapped_column(ForeignKey("validation_results.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(48))
    severity: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)


Index("ix_findings_rule_invoice", Finding.rule, Finding.invoice_id)


class FindingWaiver(Base):
    """A person's answer to a hold: this rule no longer stops this invoice (a duplicate
    suspect confirmed as a separate supply, say). Re-validations still report the rule,
    as a warning naming who waived it, so the answer is kept and visible."""

    __tablename__ = "finding_waivers"
    __table_args__ = (UniqueConstraint("invoice_id", "rule"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    rule: Mapped[str] = mapped_column(String(48))
    waived_by: Mapped[str] = mapped_column(String(200))
    waived_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(Text)
