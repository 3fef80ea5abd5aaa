"""Writing what a batch produced: raw records, invoices and findings.

Rows are gathered in memory and written with driver-level executemany at the end of the
batch, in the caller's transaction: a file is ingested completely or not at all. The
verdict at ingestion is the raw record's outcome plus its findings, so no separate
validation or history row is written per invoice (see models.invoices).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, update

from models import Finding as FindingRow
from models import Invoice, InvoiceEvent, RawRecord
from models.bulk import bulk_insert, bulk_insert_rows
from models.ids import reserve_ids
from payables.canonical import CanonicalInvoice, Status
from payables.rules.base import Finding
from payables.terms import due_date, payment_deadline

# The order of the tuples put_invoice stages.
INVOICE_ROW = (
    "id", "client_id", "vendor_id", "invoice_number", "business_line", "geography", "vendor_name",
    "vendor_tax_id", "vendor_iban", "invoice_date", "currency", "net_amount", "tax_amount",
    "total_amount", "payment_terms", "po_number", "document_type", "status", "batch_id",
    "raw_record_id", "ingested_at", "updated_at", "due_date", "payment_deadline",
)  # fmt: skip
INVOICE_COLUMNS = (
    "client_id", "vendor_id", "invoice_number", "business_line", "geography", "vendor_name",
    "vendor_tax_id", "vendor_iban", "invoice_date", "currency", "net_amount", "tax_amount",
    "total_amount", "payment_terms", "po_number", "document_type",
)  # fmt: skip


class IdPool:
    """Ids reserved up front for rows of one table (see models.ids)."""

    def __init__(self, ids: Sequence[int]) -> None:
        self._ids = iter(ids)

    def take(self) -> int:
        return next(self._ids)


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def reserve(conn: Connection, model: type[Any], count: int) -> IdPool:
    return IdPool(reserve_ids(conn, _table(model), count))


@dataclass
class BatchRows:
    batch_id: int
    at: datetime
    raw: list[tuple[int, int, str, str, str | None, int | None]] = field(default_factory=list)
    new_invoices: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    replaced_invoices: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def add_raw(self, raw_id: int, line_no: int, text: str, outcome: str, reason: str | None,
                invoice_id: int | None, findings: Sequence[Finding] = ()) -> None:
        self.raw.append((raw_id, line_no, text, outcome, reason, invoice_id))
        for f in findings:
            self.findings.append(dict(raw_record_id=raw_id, validation_id=None, invoice_id=invoice_id,
                                      rule=f.rule, severity=str(f.severity), message=f.message,
                                      action=f.action))

    def put_invoice(self, invoice_id: int, inv: CanonicalInvoice, status: Status, raw_id: int, *,
                    replaces: str | None) -> None:
        """Stage an invoice; `replaces` is the status of the rejected version it supersedes."""
        at = self.at
        row = (
            invoice_id, inv.client_id, inv.vendor_id, inv.invoice_number, inv.business_line, inv.geography,
            inv.vendor_name, inv.vendor_tax_id, inv.vendor_iban, inv.invoice_date, inv.currency,
            inv.net_amount, inv.tax_amount, inv.total_amount, inv.payment_terms, inv.po_number,
            inv.document_type, str(status), self.batch_id, raw_id, at, at,
            due_date(inv.payment_terms, inv.invoice_date, at), payment_deadline(inv.payment_terms, at),
        )
        if replaces is None or invoice_id in self.new_invoices:
            self.new_invoices[invoice_id] = row
        else:
            self.replaced_invoices[invoice_id] = row
        if replaces is not None:
            self.events.append(dict(invoice_id=invoice_id, at=at, from_status=replaces, to_status=str(status),
                                    reason=f"resubmitted in batch {self.batch_id}, replacing the rejected "
                                           "version", actor="ingestion"))

    def outcome_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.raw:
            counts[row[3]] = counts.get(row[3], 0) + 1
        return counts

    def write(self, conn: Connection) -> None:
        names = ("id", "line_no", "raw", "outcome", "reason", "invoice_id", "batch_id")
        batch = (self.batch_id,)
        bulk_insert_rows(conn, _table(RawRecord), names, [r + batch for r in self.raw])
        bulk_insert_rows(conn, _table(Invoice), INVOICE_ROW, list(self.new_invoices.values()))
        bulk_insert(conn, _table(FindingRow), self.findings)
        bulk_insert(conn, _table(InvoiceEvent), self.events)
        for invoice_id, row in self.replaced_invoices.items():
            values = dict(zip(INVOICE_ROW[1:], row[1:], strict=True))
            values.update(last_validation_id=None, scheduled_at=None, paid_at=None)
            conn.execute(update(Invoice).where(Invoice.id == invoice_id).values(**values))
