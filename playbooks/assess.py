"""What a plan touches and how risky it is: the diff, the blast radius, the dry run.

The dry run judges every affected invoice twice with the real engine, as it stands and
as it would stand once the plan's changes are made (on copies: nothing is written), so
the approver sees which rule stops each invoice now and whether it passes afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import FxRate, Invoice
from payables.canonical import Status
from payables.reference.lookup import FX_LOOKBACK_DAYS
from payables.revalidate import Verdict
from playbooks.base import Context, Plan
from playbooks.changes import Change, InvoiceStatus

RISKS = ("low", "medium", "high")
# Money a plan may release before it counts as medium / high risk (USD-equivalent).
MEDIUM_USD = Decimal("10000")
HIGH_USD = Decimal("100000")
MEDIUM_INVOICES = 10
HIGH_CLIENTS = 3


@dataclass(frozen=True)
class BlastRadius:
    invoices: int
    clients: list[str]
    business_lines: list[str]
    geographies: list[str]
    vendors: list[str]
    by_currency: dict[str, str]
    usd: Decimal | None  # None when an amount has no known rate

    def as_dict(self) -> dict[str, Any]:
        return {"invoices": self.invoices, "clients": self.clients, "business_lines": self.business_lines,
                "geographies": self.geographies, "vendors": self.vendors, "by_currency": self.by_currency,
                "usd": None if self.usd is None else str(self.usd)}

    def words(self) -> str:
        money = ", ".join(f"{amount} {cur}" for cur, amount in self.by_currency.items()) or "no money"
        usd = f" (≈ {self.usd:,.2f} USD)" if self.usd is not None and self.by_currency else ""
        return (f"{self.invoices} invoice(s), {len(self.clients)} client(s) ({', '.join(self.clients) or '-'}), "
                f"business line(s) {', '.join(self.business_lines) or '-'}, {money}{usd}")


def _usd_rate(session: Session, currency: str, on: date | None) -> Decimal | None:
    if currency == "USD":
        return Decimal(1)
    if on is None:
        return None
    return session.scalar(select(FxRate.rate_to_usd).where(
        FxRate.currency == currency, FxRate.date <= on, FxRate.date >= on - timedelta(days=FX_LOOKBACK_DAYS))
        .order_by(FxRate.date.desc()).limit(1))


def blast_radius(session: Session, invoices: Sequence[Invoice], changes: Sequence[Change]) -> BlastRadius:
    totals: dict[str, Decimal] = {}
    usd: Decimal | None = Decimal(0)
    for inv in invoices:
        amount = inv.total_amount or Decimal(0)
        totals[inv.currency] = totals.get(inv.currency, Decimal(0)) + amount
        rate = _usd_rate(session, inv.currency, inv.invoice_date)
        usd = None if usd is None or rate is None else usd + amount * rate
    vendors = {inv.vendor_id for inv in invoices} | {
        c.subject.removeprefix("vendor ") for c in changes if c.subject.startswith("vendor ")}
    return BlastRadius(
        invoices=len(invoices), clients=sorted({i.client_id for i in invoices}),
        business_lines=sorted({i.business_line for i in invoices}), geographies=sorted({i.geography for i in invoices}),
        vendors=sorted(vendors), by_currency={cur: str(amount) for cur, amount in sorted(totals.items())},
        usd=None if usd is None else usd.quantize(Decimal("0.01")))


def risk_of(blast: BlastRadius, changes: Sequence[Change]) -> tuple[str, list[str]]:
    """low / medium / high, with the reasons."""
    high, medium = [], []
    if any(c.changes_bank_data for c in changes):
        high.append("changes bank data")
    if any(c.changes_vendor_master for c in changes):
        high.append("changes the vendor master")
    if blast.usd is not None and blast.usd >= HIGH_USD:
        high.append(f"touches ≥ {HIGH_USD:,} USD")
    if len(blast.clients) > HIGH_CLIENTS:
        high.append(f"touches more than {HIGH_CLIENTS} clients")
    if any(c.moves_money for c in changes):
        medium.append("lets money go out")
    if any(isinstance(c, InvoiceStatus) and c.after == Status.CANCELLED for c in changes):
        medium.append("cancels an invoice: it will never be paid")
    if blast.invoices > MEDIUM_INVOICES:
        medium.append(f"touches more than {MEDIUM_INVOICES} invoices")
    if blast.usd is None and blast.by_currency:
        medium.append("an amount has no known USD rate")
    elif blast.usd is not None and blast.usd >= MEDIUM_USD:
        medium.append(f"touches ≥ {MEDIUM_USD:,} USD")
    if high:
        return "high", high + medium
    if medium:
        return "medium", medium
    return "low", ["changes no bank or vendor data and lets no money go out"]


def _verdict_dict(v: Verdict) -> dict[str, Any]:
    stops = [f for f in v.findings if str(f.severity) in ("block", "hold")]
    return {"status": v.status, "rules": sorted({f.rule for f in stops}),
            "findings": [{"rule": f.rule, "severity": str(f.severity), "message": f.message} for f in stops][:10]}


def dry_run(ctx: Context, invoices: Sequence[Invoice], changes: Sequence[Change]) -> list[dict[str, Any]]:
    """Per affected invoice: its verdict now and after the plan, from the engine."""
    rows = []
    for inv in invoices:
        before = ctx.verdict(inv)
        # An invoice the plan re-drives is judged at its status step, with every change
        # before it in place (its own PO fix, say) and the step itself (a release waives
        # the hold it answers), as applying will judge it; later steps are not yet made.
        own = next((i for i, c in enumerate(changes) if c.invoice_id == inv.id and isinstance(c, InvoiceStatus)),
                   len(changes))
        after = ctx.simulate(inv, changes[:own + 1])
        rows.append({"invoice_id": inv.id, "invoice_number": inv.invoice_number, "client_id": inv.client_id,
                     "vendor_id": inv.vendor_id, "stored_status": inv.status,
                     "before": _verdict_dict(before), "after": _verdict_dict(after)})
    return rows


def affected_invoices(ctx: Context, plan: Plan) -> list[Invoice]:
    ids = sorted(set(plan.invoice_ids) | {c.invoice_id for c in plan.changes if c.invoice_id is not None})
    found: list[Invoice] = []
    for start in range(0, len(ids), 500):
        found += ctx.session.scalars(select(Invoice).where(Invoice.id.in_(ids[start:start + 500])).order_by(Invoice.id))
    return found
