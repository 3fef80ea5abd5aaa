"""`missing_fx_rate`: backfill the missing exchange rate from the rate source, re-drive.

FX-01 holds a non-USD invoice when no rate to USD is loaded for its currency on its date
(nor the few days before). One missing rate holds every invoice of that currency and day,
so the diagnosis looks beyond the invoices the ticket names to all held for the same
pair. The rate comes from the published rate file (`PlaybookOptions.fx_rate_file`), never
from a guess: the rate of that day, or of the nearest earlier day the source published
within the engine's look-back. The plan adds those rates and re-drives every invoice the
engine then passes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import select

from models import FxRate, Invoice
from payables.canonical import Status
from payables.reference.lookup import FX_LOOKBACK_DAYS
from payables.revalidate import latest_findings
from playbooks.base import Check, Context, Diagnosis, Plan, Playbook
from playbooks.changes import PAYABLE, Change, FxRateAdd, InvoiceStatus

RULE = "FX-01"
COLUMNS = ("currency", "date", "rate_to_usd")


class RateFileError(ValueError):
    """The rate file cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class RateSource:
    """Published rates to USD, read whole from a CSV file (currency,date,rate_to_usd)."""

    path: Path
    rates: dict[tuple[str, date], Decimal]

    @classmethod
    def read(cls, path: Path) -> RateSource:
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except FileNotFoundError:
            raise RateFileError(f"{path}: no such rate file") from None
        except UnicodeDecodeError as exc:
            raise RateFileError(f"{path}: not UTF-8 (byte {exc.start})") from None
        except OSError as exc:
            raise RateFileError(f"{path}: cannot be read ({exc.strerror})") from None
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise RateFileError(f"{path}:1: header lacks column {', '.join(missing)} "
                                f"(expected {','.join(COLUMNS)})")
        reader.fieldnames = header
        rates: dict[tuple[str, date], Decimal] = {}
        lines: dict[tuple[str, date], int] = {}
        for raw in reader:
            line = reader.line_num
            if None in raw:  # more values than the header has columns (a decimal comma, say)
                raise RateFileError(f"{path}:{line}: {len(header) + len(raw[None])} values for "  # type: ignore[index]
                                    f"{len(header)} columns ({','.join(COLUMNS)})")
            currency = (raw.get("currency") or "").strip().upper()
            if len(currency) != 3 or not currency.isalpha():
                raise RateFileError(f"{path}:{line}: currency {raw.get('currency')!r} is not a 3-letter code")
            try:
                day = date.fromisoformat((raw.get("date") or "").strip())
            except ValueError:
                raise RateFileError(f"{path}:{line}: date {raw.get('date')!r} is not an ISO date "
                                    "(YYYY-MM-DD)") from None
            try:
                rate = Decimal((raw.get("rate_to_usd") or "").strip())
            except InvalidOperation:
                raise RateFileError(f"{path}:{line}: rate_to_usd {raw.get('rate_to_usd')!r} is not a "
                                    "decimal number") from None
            if not rate.is_finite() or rate <= 0:
                raise RateFileError(f"{path}:{line}: rate_to_usd {raw.get('rate_to_usd')!r} is not a "
                                    "positive number")
            key = (currency, day)
            if key in rates and rates[key] != rate:
                raise RateFileError(f"{path}:{line}: {currency} {day.isoformat()} is {rate} here but "
                                    f"{rates[key]} on line {lines[key]}")
            rates[key], lines[key] = rate, line
        return cls(path, rates)

    def rate_for(self, currency: str, on: date) -> tuple[date, Decimal] | None:
        """The rate published for `on`, else for the nearest earlier day within the
        engine's look-back (rates are published on business days only)."""
        for back in range(FX_LOOKBACK_DAYS + 1):
            day = on - timedelta(days=back)
            rate = self.rates.get((currency, day))
            if rate is not None:
                return day, rate
        return None


class BackfillFxRate(Playbook):
    name = "backfill_fx_rate"
    root_cause = "missing_fx_rate"
    title = "Backfill the missing FX rate from the rate source and reprocess"

    def _held(self, ctx: Context, invoices: list[Invoice]) -> list[Invoice]:
        held = [i for i in invoices if i.status == Status.ON_HOLD]
        findings = latest_findings(ctx.session, held)
        # By the last verdict or, when that was lost (a re-drive rolled back), by the engine's now.
        return [i for i in held if any(f.rule == RULE for f in findings[i.id])
                or any(f.rule == RULE for f in ctx.verdict(i).findings)]

    def _same_pair(self, ctx: Context, currency: str, day: date) -> list[Invoice]:
        """Every invoice held for the same currency and day (the blast radius)."""
        query = (select(Invoice).where(Invoice.status == Status.ON_HOLD, Invoice.currency == currency,
                                       Invoice.invoice_date == day)
                 .order_by(Invoice.id).limit(ctx.options.max_invoices + 1))
        return self._held(ctx, list(ctx.session.scalars(query)))

    @staticmethod
    def _loaded(ctx: Context, currency: str, day: date) -> bool:
        """Whether the engine has a rate for `day` now (FX-01's look-back included)."""
        return ctx.session.scalar(select(FxRate.date).where(
            FxRate.currency == currency, FxRate.date <= day,
            FxRate.date >= day - timedelta(days=FX_LOOKBACK_DAYS)).limit(1)) is not None

    def diagnose(self, ctx: Context) -> Diagnosis:
        named = self._held(ctx, ctx.named_invoices())
        if not named:
            return Diagnosis(f"no invoice named here is on hold for a missing FX rate ({RULE})",
                             applicable=False)
        invoices = {i.id: i for i in named}
        pairs = sorted({(i.currency, i.invoice_date) for i in named if i.invoice_date is not None})
        for currency, day in pairs:
            invoices.update((i.id, i) for i in self._same_pair(ctx, currency, day))
        evidence = []
        for currency, day in pairs:
            numbers = sorted(i.invoice_number for i in invoices.values()
                             if (i.currency, i.invoice_date) == (currency, day))
            more = f" and {len(numbers) - 10} more" if len(numbers) > 10 else ""
            evidence.append(f"{currency} on {day.isoformat()}: {len(numbers)} invoice(s) held "
                            f"({', '.join(numbers[:10])}{more})")
        # Which pairs the engine still lacks (a rate may have been loaded since the hold).
        lacking = [(c, d) for c, d in pairs if not self._loaded(ctx, c, d)]
        loaded_since = [p for p in pairs if p not in lacking]
        evidence += [f"{c} {d.isoformat()}: a rate has been loaded since the hold" for c, d in loaded_since]
        found: dict[str, dict[str, str]] = {}
        facts: dict[str, object] = {"lacking": [f"{c} {d.isoformat()}" for c, d in lacking], "rates": found}
        source_problem = ""
        if lacking:
            path = ctx.options.fx_rate_file
            if path is None:
                source_problem = "no rate source is configured (fx_rate_file)"
            else:
                try:
                    source = RateSource.read(path)
                except RateFileError as exc:
                    source_problem = f"the rate source cannot be used: {exc}"
                else:
                    for currency, day in lacking:
                        hit = source.rate_for(currency, day)
                        if hit is None:
                            evidence.append(f"{currency} {day.isoformat()}: the rate source {path} has no rate for "
                                            f"that day nor the {FX_LOOKBACK_DAYS} days before")
                            continue
                        published, rate = hit
                        when = ("for that day" if published == day
                                else f"published {published.isoformat()}, the nearest earlier business day")
                        evidence.append(f"{currency} {day.isoformat()}: the rate source has {rate} {when}")
                        found[f"{currency} {day.isoformat()}"] = {"currency": currency, "day": published.isoformat(),
                                                                   "rate": str(rate), "source": str(path)}
            if source_problem:
                evidence.append(source_problem)
        ids = [i.id for i in invoices.values() if i.invoice_date is not None
               and ((i.currency, i.invoice_date) in loaded_since
                    or f"{i.currency} {i.invoice_date.isoformat()}" in found)]
        if not ids:
            missing = ", ".join(f"{c} {d.isoformat()}" for c, d in lacking)
            why = source_problem or f"the rate source has no rate for {missing}"
            return Diagnosis(f"the missing rate(s) cannot be backfilled: {why}", evidence, applicable=False,
                             invoice_ids=sorted(invoices), facts=facts)
        summary = (f"{len(found)} rate(s) to backfill for {len(ids)} held invoice(s)" if found
                   else f"the rate(s) are loaded now: {len(ids)} held invoice(s) to re-drive")
        return Diagnosis(summary, evidence, invoice_ids=sorted(ids), facts=facts)

    def plan(self, ctx: Context, diagnosis: Diagnosis) -> Plan | None:
        rates = diagnosis.facts.get("rates") or {}
        fx_changes: list[Change] = []
        for r in {(r["currency"], r["day"]): r for r in rates.values()}.values():
            fx_changes.append(FxRateAdd(currency=r["currency"], day=date.fromisoformat(r["day"]),
                                        rate=Decimal(r["rate"]), source=r["source"]))
        redrives: list[Change] = []
        for invoice_id in diagnosis.invoice_ids:
            inv = ctx.session.get(Invoice, invoice_id)
            if inv is None or inv.status != Status.ON_HOLD:
                continue
            after = ctx.simulate(inv, fx_changes)
            if after.status != Status.VALIDATED:
                continue  # the rate is still added; what else stops it shows in the dry run
            redrives.append(InvoiceStatus(invoice=inv.id, number=inv.invoice_number, before=inv.status,
                                          after=after.status, revalidate=True,
                                          reason="re-driven: the missing FX rate was backfilled"))
        if not fx_changes and not redrives:
            return None
        return Plan(f"add {len(fx_changes)} FX rate(s) from the rate source and re-drive {len(redrives)} "
                    "invoice(s)", fx_changes + redrives, list(diagnosis.invoice_ids),
                    expected="each rate loaded, each re-driven invoice VALIDATED")

    def verify(self, ctx: Context, plan: Plan) -> list[Check]:
        checks = []
        for change in plan.changes:
            if isinstance(change, FxRateAdd):
                now = change.current(ctx.session)
                checks.append(Check(f"{change.subject} is loaded", now == change.rate,
                                    "missing" if now is None else str(now)))
            elif isinstance(change, InvoiceStatus):
                inv = ctx.session.get(Invoice, change.invoice)
                status = inv.status if inv is not None else "missing"
                checks.append(Check(f"{change.subject} is validated", status in PAYABLE, status))
        return checks
