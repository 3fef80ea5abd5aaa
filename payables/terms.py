"""Payment terms: when an invoice is due, and the 2-hour budget of immediate pay."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

IMMEDIATE_BUDGET = timedelta(hours=2)
NET_DAYS = {"NET15": 15, "NET30": 30, "NET45": 45, "NET60": 60, "NET90": 90}


def payment_deadline(terms: str, ingested_at: datetime) -> datetime | None:
    """For IMMEDIATE terms, the moment by which the invoice must be scheduled (SLA-01)."""
    return ingested_at + IMMEDIATE_BUDGET if terms == "IMMEDIATE" else None


def due_date(terms: str, invoice_date: date | None, ingested_at: datetime) -> date | None:
    """The date the invoice falls due under its terms, or None when it cannot be known."""
    if terms == "IMMEDIATE":
        return (ingested_at + IMMEDIATE_BUDGET).date()
    if invoice_date is None:
        return None
    if terms in NET_DAYS:
        return invoice_date + timedelta(days=NET_DAYS[terms])
    if terms == "EOM":
        last = calendar.monthrange(invoice_date.year, invoice_date.month)[1]
        return invoice_date.replace(day=last)
    return None
