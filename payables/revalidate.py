"""Re-validating one stored invoice against today's rules and reference data.

One call, because the bot does it for every inquiry: find the invoice, rebuild its
canonical form, run the rule set with the reference data as it is now, record the result
with the versions it used, and compare with the verdict it got at ingestion.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Batch, FindingWaiver, Invoice, InvoiceEvent, RawRecord, ValidationResult
from models import Finding as FindingRow
from payables.canonical import CanonicalInvoice, Outcome, Status
from payables.clock import Clock, system_clock
from payables.errors import AmbiguousInvoice, InvoiceNotFound
from payables.reference.database import reference_for
from payables.reference.lookup import PurchaseOrderRef, VendorRef
from payables.rules.base import Finding, InvoiceState, RuleContext, Severity
from payables.rules.registry import RuleSet, default_ruleset, status_of
from payables.store import INVOICE_COLUMNS

JUDGED = {Status.VALIDATED, Status.REJECTED, Status.ON_HOLD}
STATUS_OF_OUTCOME = {
    Outcome.ACCEPTED: Status.VALIDATED,
    Outcome.REJECTED: Status.REJECTED,
    Outcome.ON_HOLD: Status.ON_HOLD,
    Outcome.QUARANTINED: Status.QUARANTINED,
}


@dataclass(frozen=True)
class Verdict:
    status: str
    findings: tuple[Finding, ...]
    rules_version: str
    reference_version: int
    validated_at: datetime
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True)
class Revalidation:
    invoice: Invoice
    at_ingestion: Verdict | None
    now: Verdict
    history: list[InvoiceEvent] = field(default_factory=list)

    @property
    def passes_now(self) -> bool:
        return self.now.status == Status.VALIDATED

    @property
    def blocking(self) -> tuple[Finding, ...]:
        stops = (Severity.BLOCK, Severity.HOLD)
        return tuple(f for f in self.now.findings if f.severity in stops)

    @property
    def expected_payment_date(self) -> date | None:
        """When it will be paid as things stand; None while something stops it."""
        if self.invoice.status == Status.PAID and self.invoice.paid_at:
            return self.invoice.paid_at.date()
        if self.invoice.status in (Status.REJECTED, Status.ON_HOLD) and not self.passes_now:
            return None
        return self.invoice.due_date


def find_invoice(
    session: Session, number: str, *, client_id: str | None = None, vendor_id: str | None = None
) -> Invoice:
    query = select(Invoice).where(Invoice.invoice_number == number)
    if client_id:
        query = query.where(Invoice.client_id == client_id)
    if vendor_id:
        query = query.where(Invoice.vendor_id == vendor_id)
    found = list(session.scalars(query.limit(20)))
    if not found:
        scope = "".join(
            f" {label} {value}" for label, value in (("for client", client_id), ("from vendor", vendor_id)) if value
        )
        raise InvoiceNotFound(f"no invoice {number}{scope}")
    if len(found) > 1:
        keys = [(i.client_id, i.vendor_id, i.invoice_number) for i in found]
        listed = ", ".join(f"client {c} vendor {v}" for c, v, _ in keys)
        raise AmbiguousInvoice(
            f"{len(found)} invoices are numbered {number} ({listed}); give --client or --vendor", keys
        )
    return found[0]


def canonical_of(session: Session, invoice: Invoice) -> CanonicalInvoice:
    """The stored invoice in canonical form; UBL documents are re-read for their details."""
    canonical = CanonicalInvoice(**{name: getattr(invoice, name) for name in INVOICE_COLUMNS})
    fmt = session.scalar(select(Batch.format).where(Batch.id == invoice.batch_id))
    if fmt == "ubl":
        from payables.formats.ubl import read_ubl

        raw = session.scalar(select(RawRecord.raw).where(RawRecord.id == invoice.raw_record_id))
        record = next(iter(read_ubl((raw or "").encode())), None)
        if record is not None and record.invoice is not None:
            canonical.ubl = record.invoice.ubl
    return canonical


def _findings(session: Session, condition: Any) -> tuple[Finding, ...]:
    rows = session.scalars(select(FindingRow).where(condition).order_by(FindingRow.id))
    return tuple(Finding(r.rule, Severity(r.severity), r.message, r.action) for r in rows)


def ingestion_verdict(session: Session, invoice: Invoice) -> Verdict | None:
    """The verdict the invoice got when its current version was ingested."""
    found = session.execute(
        select(RawRecord.outcome, Batch).join(Batch, Batch.id == RawRecord.batch_id)
        .where(RawRecord.id == invoice.raw_record_id)
    ).first()
    if found is None:
        return None
    outcome, batch = found
    return Verdict(STATUS_OF_OUTCOME[Outcome(outcome)], _findings(session, FindingRow.raw_record_id == invoice.raw_record_id),
                   batch.rules_version, batch.reference_version, batch.received_at,
                   tuple(batch.skipped_rules.split()))


def latest_findings(session: Session, invoices: Sequence[Invoice]) -> dict[int, tuple[Finding, ...]]:
    """Per invoice id, the findings of its latest verdict (the last re-validation, else
    ingestion), in two queries per 500 invoices whatever their number."""
    by_validation = {i.last_validation_id: i.id for i in invoices if i.last_validation_id is not None}
    by_raw = {i.raw_record_id: i.id for i in invoices if i.last_validation_id is None}
    found: dict[int, list[Finding]] = {i.id: [] for i in invoices}
    for column, owners in ((FindingRow.validation_id, by_validation), (FindingRow.raw_record_id, by_raw)):
        keys = list(owners)
        for start in range(0, len(keys), 500):
            rows = session.scalars(select(FindingRow).where(column.in_(keys[start:start + 500]))
                                   .order_by(FindingRow.id))
            for r in rows:
                key = r.validation_id if column is FindingRow.validation_id else r.raw_record_id
                assert key is not None
                found[owners[key]].append(Finding(r.rule, Severity(r.severity), r.message, r.action))
    return {invoice_id: tuple(items) for invoice_id, items in found.items()}


@dataclass(frozen=True)
class Adjustments:
    """Changes a dry run judges an invoice under, on copies: nothing is written."""

    invoice_fields: dict[str, Any] = field(default_factory=dict)
    vendors: tuple[VendorRef, ...] = ()
    purchase_orders: tuple[PurchaseOrderRef, ...] = ()
    fx_rates: dict[tuple[str, date], Decimal] = field(default_factory=dict)
    # Other invoices' statuses (by id) as the plan leaves them.
    statuses: dict[int, str] = field(default_factory=dict)
    # Rules waived for the invoice judged (a hold the plan answers).
    waived: tuple[str, ...] = ()


def judge(
    session: Session,
    invoice: Invoice,
    *,
    adjust: Adjustments | None = None,
    ruleset: RuleSet | None = None,
    clock: Clock = system_clock,
) -> Verdict:
    """The verdict `invoice` gets today (after `adjust`, if given); records nothing."""
    ruleset = ruleset or default_ruleset()
    now = clock()
    canonical = canonical_of(session, invoice)
    if adjust is not None:
        canonical = replace(canonical, **adjust.invoice_fields)
    reference = reference_for(session.connection(), [canonical], exclude_invoice_id=invoice.id)
    if adjust is not None:
        reference.override(vendors=adjust.vendors, purchase_orders=adjust.purchase_orders, fx_rates=adjust.fx_rates,
                           statuses=adjust.statuses)
    state = InvoiceState(invoice.status, invoice.ingested_at, invoice.scheduled_at)
    ctx = RuleContext(reference=reference, now=now, ingested_at=invoice.ingested_at, state=state)
    evaluation = ruleset.evaluate(canonical, ctx, reference.loaded)
    findings = _apply_waivers(session, invoice, evaluation.findings, adjust.waived if adjust else ())
    return Verdict(str(status_of(findings)), findings, ruleset.version, reference.version, now, evaluation.skipped)


def _apply_waivers(session: Session, invoice: Invoice, findings: tuple[Finding, ...],
                   planned: tuple[str, ...] = ()) -> tuple[Finding, ...]:
    """A rule a person waived for this invoice no longer stops it: its finding stays, as a
    warning that says who waived it and why (`planned`: waivers a dry run assumes)."""
    if not findings or invoice.id is None:
        return findings
    waived = {w.rule: f"waived by {w.waived_by} on {w.waived_at:%Y-%m-%d}: {w.reason}"
              for w in session.scalars(select(FindingWaiver).where(FindingWaiver.invoice_id == invoice.id))}
    waived.update({rule: "to be waived by the plan" for rule in planned if rule not in waived})
    if not waived:
        return findings
    return tuple(Finding(f.rule, Severity.WARN, f"{f.message} ({waived[f.rule]})", f.action)
                 if f.rule in waived and f.severity != Severity.WARN else f for f in findings)


def revalidate(
    session: Session,
    invoice: Invoice,
    *,
    ruleset: RuleSet | None = None,
    clock: Clock = system_clock,
) -> Revalidation:
    """Judge `invoice` again under today's rules and reference data, and record the result."""
    now_verdict = judge(session, invoice, ruleset=ruleset, clock=clock)
    result = ValidationResult(
        invoice_id=invoice.id, raw_record_id=invoice.raw_record_id, batch_id=None, kind="revalidation",
        status=now_verdict.status, validated_at=now_verdict.validated_at, rules_version=now_verdict.rules_version,
        reference_version=now_verdict.reference_version, skipped_rules=" ".join(now_verdict.skipped),
    )
    session.add(result)
    session.flush()
    session.add_all(
        FindingRow(validation_id=result.id, raw_record_id=None, invoice_id=invoice.id, rule=f.rule, severity=str(f.severity),
                   message=f.message, action=f.action)
        for f in now_verdict.findings
    )
    invoice.last_validation_id = result.id
    history = list(session.scalars(
        select(InvoiceEvent).where(InvoiceEvent.invoice_id == invoice.id).order_by(InvoiceEvent.id)
    ))
    at_ingestion = ingestion_verdict(session, invoice)
    return Revalidation(invoice, at_ingestion, now_verdict, history)


def redrive(session: Session, revalidation: Revalidation, *, actor: str, clock: Clock = system_clock) -> bool:
    """Move a held or rejected invoice to the verdict it gets today; True if its status changed."""
    invoice = revalidation.invoice
    target = revalidation.now.status
    if invoice.status not in JUDGED or invoice.status == target:
        return False
    now = clock()
    session.add(InvoiceEvent(invoice_id=invoice.id, at=now, from_status=invoice.status, to_status=target,
                             reason=f"re-driven under rules {revalidation.now.rules_version} and "
                                    f"reference data v{revalidation.now.reference_version}",
                             actor=actor))
    invoice.status = target
    invoice.updated_at = now
    return True
