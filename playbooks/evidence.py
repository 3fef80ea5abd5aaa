"""Root causes the engine's own findings point to, for tickets whose text does not say.

A customer asks "why wasn't INV-2291 paid?": the classifier cannot tell the root cause
from that, but the engine can. The rule that stops each named invoice names a known root
cause (FX-01 -> missing_fx_rate, DUP-02 -> duplicate_suspect, ...); an invoice that is
stopped but would pass today points at stale reference data. The playbook's diagnosis
still decides whether the evidence bears it out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlalchemy.orm import Session

from models import Invoice
from payables.canonical import Status
from payables.revalidate import ingestion_verdict, latest_findings

CAUSE_OF_RULE = {
    "VM-01": "vendor_master_stale",
    "VM-02": "vendor_master_stale",
    "DUP-02": "duplicate_suspect",
    "FX-01": "missing_fx_rate",
    "PO-01": "po_mismatch",
    "PO-02": "po_mismatch",
    "TAX-01": "tax_id_invalid",
    "BANK-01": "bank_details_invalid",
    "SLA-01": "immediate_pay_sla_risk",
}
STOPPED = (Status.REJECTED, Status.ON_HOLD)


def causes_for(session: Session, invoices: Sequence[Invoice]) -> list[str]:
    """Known root causes behind the stopped `invoices`, most frequent first."""
    stopped = [i for i in invoices if i.status in STOPPED]
    if not stopped:
        return []
    latest = latest_findings(session, stopped)
    counts: Counter[str] = Counter()
    for inv in stopped:
        stops = {f.rule for f in latest[inv.id] if str(f.severity) in ("block", "hold")}
        if not stops:
            counts["vendor_master_stale"] += 1  # stopped, yet nothing stops it today: stale data
        at_ingestion = ingestion_verdict(session, inv)
        rules = stops | {f.rule for f in (at_ingestion.findings if at_ingestion else ())
                         if str(f.severity) in ("block", "hold")}
        counts.update({CAUSE_OF_RULE[r] for r in rules if r in CAUSE_OF_RULE})
    return [cause for cause, _ in counts.most_common()]
