"""Writing what a batch produced: raw records, invoices, validations, findings, history.

Rows are gathered in memory and written with executemany at the end of the batch, in
the caller's transaction: a file is ingested completely or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, update

from models import Finding as FindingRow
from models import Invoice, InvoiceEvent, RawRecord, ValidationResult
from models.bulk import bulk_insert
from models.ids import reserve_ids
from payables.canonical import CanonicalInvoice, Status
from payables.rules.base import Finding
from payables.terms import due_date, payment_deadline

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


@dataclass
class BatchRows:
    batch_id: int
    at: datetime
    rules_version: str
    reference_version: int
    raw: list[dict[str, Any]] = field(default_factory=list)
    new_invoices: dict[int, dict[str, Any]] = field(default_factory=dict)
    replaced_invoices: dict[int, dict[str, Any]] = field(default_factory=dict)
    validations: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def add_raw(self, raw_id: int, line_no: int, text: str, outcome: str, reason: str | None,
                invoice_id: int | None) -> None:
        self.raw.append(dict(id=raw_id, batch_id=self.batch_id, line_no=line_no, raw=text,
                             outcome=outcome, reason=reason, invoice_id=invoice_id))

    def add_validation(self, validation_id: int, invoice_id: int | None, raw_id: int, status: Status,
                       findings: Sequence[Finding], skipped: Sequence[str]) -> None:
        self.validations.append(dict(
            id=validation_id, invoice_id=invoice_id, raw_record_id=raw_id, batch_id=self.batch_id,
            kind="ingestion", status=str(status), validated_at=self.at, rules_version=self.rules_version,
            reference_version=self.reference_version, skipped_rules=" ".join(skipped)))
        for f in findings:
            self.findings.append(dict(validation_id=validation_id, invoice_id=invoice_id, rule=f.rule,
                                      severity=str(f.severity), message=f.message, action=f.action))

    def put_invoice(self, invoice_id: int, inv: CanonicalInvoice, status: Status, raw_id: int,
                    validation_id: int, *, stored_before: bool, previous: str | None) -> None:
        row = {name: getattr(inv, name) for name in INVOICE_COLUMNS}
        row.update(
            id=invoice_id, status=str(status), batch_id=self.batch_id, raw_record_id=raw_id,
            ingested_at=self.at, updated_at=self.at, last_validation_id=validation_id,
            due_date=due_date(inv.payment_terms, inv.invoice_date, self.at),
            payment_deadline=payment_deadline(inv.payment_terms, self.at),
            scheduled_at=None, paid_at=None,
        )
        (self.replaced_invoices if stored_before else self.new_invoices)[invoice_id] = row
        reason = f"ingested in batch {self.batch_id}" if previous is None else (
            f"resubmitted in batch {self.batch_id}, replacing the rejected version")
        self.events.append(dict(invoice_id=invoice_id, at=self.at, from_status=previous,
                                to_status=str(status), reason=reason, actor="ingestion"))

    def write(self, conn: Connection) -> None:
        for table, rows in (
            (RawRecord, self.raw),
            (Invoice, list(self.new_invoices.values())),
            (ValidationResult, self.validations),
            (FindingRow, self.findings),
            (InvoiceEvent, self.events),
        ):
            bulk_insert(conn, table.__table__, rows)
        for invoice_id, row in self.replaced_invoices.items():
            values = {k: v for k, v in row.items() if k != "id"}
            conn.execute(update(Invoice).where(Invoice.id == invoice_id).values(**values))


def reserve(conn: Connection, table: type[Any], count: int) -> IdPool:
    return IdPool(reserve_ids(conn, table.__table__, count))
