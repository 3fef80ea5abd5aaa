"""Revalidations in words and as plain data: what the CLI prints and the bot answers."""

from __future__ import annotations

from typing import Any

from payables.canonical import Status
from payables.revalidate import Revalidation, Verdict
from payables.rules.base import Finding, Severity
from payables.rules.codes import amount_text, money

STOPS = (Severity.BLOCK, Severity.HOLD)


def verdict_dict(v: Verdict | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {
        "status": v.status.lower(),
        "rules_version": v.rules_version,
        "reference_version": v.reference_version,
        "validated_at": v.validated_at.isoformat(),
        "findings": [f.as_dict() for f in v.findings],
        "skipped_rules": list(v.skipped),
    }


def revalidation_dict(r: Revalidation) -> dict[str, Any]:
    inv = r.invoice
    expected = r.expected_payment_date
    return {
        "invoice_number": inv.invoice_number,
        "client_id": inv.client_id,
        "vendor_id": inv.vendor_id,
        "status": inv.status.lower(),
        "total_amount": None if inv.total_amount is None else amount_text(inv.total_amount, inv.currency),
        "currency": inv.currency,
        "payment_terms": inv.payment_terms,
        "findings": [f.as_dict() for f in r.now.findings],
        "passes_now": r.passes_now,
        "expected_payment_date": expected.isoformat() if expected else None,
        "payment_deadline": inv.payment_deadline.isoformat() if inv.payment_deadline else None,
        "at_ingestion": verdict_dict(r.at_ingestion),
        "now": verdict_dict(r.now),
        "summary": summary(r),
    }


def _rules_of(findings: tuple[Finding, ...]) -> str:
    return ", ".join(sorted({f.rule for f in findings if f.severity in STOPS})) or "no rule"


def summary(r: Revalidation) -> str:
    """One paragraph a person can act on."""
    inv = r.invoice
    amount = money(inv.total_amount, inv.currency) if inv.total_amount is not None else "no amount"
    head = (f"Invoice {inv.invoice_number} (client {inv.client_id}, vendor {inv.vendor_id}, {amount}) "
            f"is {inv.status.lower().replace('_', ' ')}.")
    parts = [head]
    first = r.at_ingestion
    if first is not None and first.status != Status.VALIDATED:
        parts.append(
            f"At ingestion it was {first.status.lower().replace('_', ' ')} under rules "
            f"{first.rules_version} and reference data v{first.reference_version} by "
            f"{_rules_of(first.findings)}."
        )
    if r.blocking:
        parts.append("Under today's rules and reference data it is stopped by:")
        parts += [f"- {f.rule} ({f.severity}): {f.message}. {f.action}" for f in r.blocking]
    elif inv.status in (Status.REJECTED, Status.ON_HOLD):
        parts.append("Under today's rules and reference data it passes: it can be re-driven for payment.")
    expected = r.expected_payment_date
    if expected is not None:
        parts.append(f"Expected payment date: {expected.isoformat()}.")
    return "\n".join(parts)
