"""Rule catalogue v1, the rules that apply everywhere (DESIGN.md, Rule catalogue v1)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from payables.canonical import BUSINESS_LINES, PAYMENT_TERMS, CanonicalInvoice, Status
from payables.reference.lookup import VendorRef
from payables.rules.base import Needs, Problem, RuleContext, RulePack, Severity
from payables.rules.codes import COUNTRIES, CURRENCIES, minor_unit, money
from payables.rules.idcheck import (
    compact_iban,
    compact_tax_id,
    iban_problem,
    is_iban_country,
    tax_id_problem,
)

PACK = RulePack("payops-core", "1", description="Rule catalogue v1: rules for every invoice")
MAX_AGE = timedelta(days=365)
# Invoices that will never be paid cannot be what another duplicates (DUP-02).
NEVER_PAID = (Status.REJECTED, Status.CANCELLED)
# Invoices are dated in the vendor's time zone; a date one day ahead of UTC is not "future".
FUTURE_GRACE = timedelta(days=1)
_AMOUNT_NAMES = {"net_amount": "net amount", "tax_amount": "tax amount", "total_amount": "total amount"}
_FIX_FEED = "Correct the row in the client feed and send it again; the corrected row is taken."


@PACK.rule("REQ-01", Severity.BLOCK, "required fields present and well-formed")
def required_fields(inv: CanonicalInvoice, ctx: RuleContext) -> list[Problem] | None:
    if (
        inv.business_line in BUSINESS_LINES
        and inv.geography in COUNTRIES
        and inv.payment_terms in PAYMENT_TERMS
        and inv.invoice_date is not None
        and inv.currency
        and inv.net_amount is not None
        and inv.tax_amount is not None
        and inv.total_amount is not None
    ):
        return None
    return list(_required_field_problems(inv))


def _required_field_problems(inv: CanonicalInvoice) -> Iterator[Problem]:
    if inv.business_line not in BUSINESS_LINES:
        yield Problem(
            f"business_line is '{inv.business_line}', not one of {', '.join(sorted(BUSINESS_LINES))}"
            if inv.business_line else "business_line is missing",
            _FIX_FEED,
        )
    if inv.geography not in COUNTRIES:
        yield Problem(
            f"geography is '{inv.geography}', not an ISO 3166 alpha-2 country code"
            if inv.geography else "geography is missing",
            _FIX_FEED,
        )
    if inv.invoice_date is None:
        yield Problem("invoice_date is missing", _FIX_FEED)
    if not inv.currency:
        yield Problem("currency is missing", _FIX_FEED)
    for name, label in _AMOUNT_NAMES.items():
        if getattr(inv, name) is None:
            yield Problem(f"{label} ({name}) is missing", _FIX_FEED)
    if inv.payment_terms not in PAYMENT_TERMS:
        yield Problem(
            f"payment_terms is '{inv.payment_terms}', not one of {', '.join(sorted(PAYMENT_TERMS))}"
            if inv.payment_terms else "payment_terms is missing",
            _FIX_FEED,
        )


@PACK.rule("TOT-01", Severity.BLOCK, "net + tax = total, to the smallest unit of the currency")
def totals_add_up(inv: CanonicalInvoice, ctx: RuleContext) -> Problem | None:
    net, tax, total = inv.net_amount, inv.tax_amount, inv.total_amount
    if net is None or tax is None or total is None:
        return None
    unit = minor_unit(inv.currency)
    if (net + tax).quantize(unit) == total.quantize(unit):
        return None
    cur = inv.currency
    return Problem(
        f"net {money(net, cur)} + tax {money(tax, cur)} = {money(net + tax, cur)}, "
        f"but the total says {money(total, cur)} (off by {money(total - net - tax, cur)})",
        "Ask the vendor for a corrected invoice, or fix the amounts in the feed and resend it.",
    )


@PACK.rule("DATE-01", Severity.BLOCK, "invoice date not in the future, not older than 365 days")
def date_in_range(inv: CanonicalInvoice, ctx: RuleContext) -> Problem | None:
    if inv.invoice_date is None:
        return None
    today = ctx.now.date()
    if inv.invoice_date > today + FUTURE_GRACE:
        return Problem(
            f"invoice date {inv.invoice_date.isoformat()} is in the future (today is {today.isoformat()})",
            "Check the date with the vendor; a mistyped year is the usual cause. Resend it corrected.",
        )
    if inv.invoice_date < today - MAX_AGE:
        days = (today - inv.invoice_date).days
        return Problem(
            f"invoice date {inv.invoice_date.isoformat()} is {days} days old, beyond the 365-day limit",
            "Invoices older than a year need controllership approval; raise a data_fix ticket with it.",
        )
    return None


@PACK.rule("CUR-01", Severity.BLOCK, "currency is a valid ISO 4217 code")
def currency_valid(inv: CanonicalInvoice, ctx: RuleContext) -> Problem | None:
    if not inv.currency or inv.currency in CURRENCIES:
        return None
    return Problem(
        f"currency '{inv.currency}' is not an ISO 4217 currency code",
        "Use the three-letter ISO code (EUR, USD, GBP, JPY, ...) in the feed and resend the row.",
    )


@PACK.rule(
    "DUP-01",
    Severity.BLOCK,
    "same client, vendor and invoice number already ingested",
    needs=[Needs.INVOICES],
)
def exact_duplicate(inv: CanonicalInvoice, ctx: RuleContext) -> Problem | None:
    existing = ctx.reference.existing_invoice(inv.key)
    # A resend of a rejected invoice replaces it: that is how a client corrects one.
    if existing is None or existing.status == Status.REJECTED:
        return None
    where = (
        "earlier in this same file"
        if existing.earlier_in_file
        else f"before (invoice record {existing.invoice_id}, status {existing.status})"
    )
    return Problem(
        f"invoice {inv.invoice_number} from vendor {inv.vendor_id} for client {inv.client_id} "
        f"was already ingested {where}",
        "Nothing to do if this is a resend. If it is a different invoice, the vendor must issue "
        "it under a new number.",
    )


@PACK.rule(
    "DUP-02",
    Severity.HOLD,
    "same vendor, total and invoice date under another number",
    needs=[Needs.INVOICES],
)
def suspected_duplicate(inv: CanonicalInvoice, ctx: RuleContext) -> Problem | None:
    if inv.total_amount is None or inv.invoice_date is None:
        return None
    twins = [
        e
        for e in ctx.reference.same_total_invoices(inv.vendor_id, inv.total_amount, inv.invoice_date)
        if e.invoice_number != inv.invoice_number and e.status not in NEVER_PAID
    ]
    if not twins:
        return None
    names = ", ".join(f"{e.invoice_number} (client {e.client_id})" for e in twins[:5])
    return Problem(
        f"vendor {inv.vendor_id} already has invoice {names} for the same total "
        f"{money(inv.total_amount, inv.currency)} dated {inv.invoice_date.isoformat()}",
        "Compare the two invoices. Release this one if it is a different supply, or cancel it "
        "as a duplicate (duplicate_suspect playbook).",
    )


def _vendor_ids(inv: CanonicalInvoice) -> tuple[str, str, str, str]:
    """All that the vendor-scoped rules read: their result is the same for each invoice
    with these values, so a batch computes it once per vendor."""
    return (inv.vendor_id, inv.vendor_tax_id, inv.vendor_iban, inv.geography)


@PACK.rule(
    "VM-01",
    Severity.BLOCK,
    "vendor exists and is active in the vendor master",
    needs=[Needs.VENDORS],
    memo_key=_vendor_ids,
)
def vendor_active(inv: CanonicalInvoice, ctx: RuleContext) -> Problem | None:
    vendor = ctx.reference.vendor(inv.vendor_id)
    if vendor is None:
        return Problem(
            f"vendor {inv.vendor_id} is not in the vendor master",
            "Have the vendor onboarded (or the vendor id in the feed corrected), then re-drive.",
        )
    if vendor.status != "active":
        return Problem(
            f"vendor {inv.vendor_id} ({vendor.name}) is {vendor.status} in the vendor master",
            "Ask vendor management to reactivate the vendor if it should be paid, then re-drive.",
        )
    return None


@PACK.rule(
    "VM-02",
    Severity.HOLD,
    "invoice tax id and IBAN match the vendor master",
    needs=[Needs.VENDORS],
    memo_key=_vendor_ids,
)
def matches_vendor_master(inv: CanonicalInvoice, ctx: RuleContext) -> list[Problem] | None:
    vendor = ctx.reference.vendor(inv.vendor_id)
    if vendor is None:
        return None
    problems = list(_master_mismatches(inv, vendor))
    return problems or None


def _master_mismatches(inv: CanonicalInvoice, vendor: VendorRef) -> Iterator[Problem]:
    country = vendor.country
    if inv.vendor_tax_id and vendor.tax_id and (
        compact_tax_id(inv.vendor_tax_id, country) != compact_tax_id(vendor.tax_id, country)
    ):
        yield Problem(
            f"the invoice's tax id {inv.vendor_tax_id} differs from the vendor master's "
            f"{vendor.tax_id} for vendor {inv.vendor_id}",
            "If the vendor changed its tax id, update the vendor master and revalidate "
            "(vendor_master_stale playbook); otherwise ask the vendor for a corrected invoice.",
        )
    if inv.vendor_iban and vendor.iban and compact_iban(inv.vendor_iban) != compact_iban(vendor.iban):
        yield Problem(
            f"the invoice asks for payment to IBAN {inv.vendor_iban}, but the vendor master has "
            f"{vendor.iban} for vendor {inv.vendor_id}",
            "Do not pay to the new account until the vendor confirms it through a known contact "
            "(bank-detail changes are a common fraud); then update the vendor master.",
        )


def _vendor_country(inv: CanonicalInvoice, ctx: RuleContext) -> str:
    if Needs.VENDORS in ctx.reference.loaded:
        vendor = ctx.reference.vendor(inv.vendor_id)
        if vendor is not None and vendor.country:
            return vendor.country
    return inv.geography


def _master_value(inv: CanonicalInvoice, ctx: RuleContext, attribute: str) -> str:
    if Needs.VENDORS not in ctx.reference.loaded:
        return ""
    vendor = ctx.reference.vendor(inv.vendor_id)
    return getattr(vendor, attribute) if vendor is not None else ""


@PACK.rule("TAX-01", Severity.BLOCK, "vendor tax id valid for the vendor's country", memo_key=_vendor_ids)
def tax_id_valid(inv: CanonicalInvoice, ctx: RuleContext) -> Problem | None:
    tax_id = inv.vendor_tax_id or _master_value(inv, ctx, "tax_id")
    if not tax_id:
        return None
    country = _vendor_country(inv, ctx)
    problem = tax_id_problem(country, tax_id)
    if problem is None:
        return None
    return Problem(
        f"vendor {inv.vendor_id}'s tax id {tax_id} is not valid for {country}: {problem}",
        "Ask the vendor for its registered tax id and correct the vendor master "
        "(tax_id_invalid playbook); the invoice is re-validated once it is fixed.",
    )


@PACK.rule(
    "BANK-01",
    Severity.BLOCK,
    "IBAN valid (length, country, check digits)",
    scope_note="vendors in IBAN countries",
    memo_key=_vendor_ids,
)
def iban_valid(inv: CanonicalInvoice, ctx: RuleContext) -> Problem | None:
    iban = inv.vendor_iban or _master_value(inv, ctx, "iban")
    country = _vendor_country(inv, ctx)
    if not iban:
        if not is_iban_country(country) or Needs.VENDORS not in ctx.reference.loaded:
            return None
        return Problem(
            f"vendor {inv.vendor_id} is in {country}, an IBAN country, but neither the invoice "
            "nor the vendor master gives an IBAN",
            "Ask the vendor for its IBAN and add it to the vendor master.",
        )
    problem = iban_problem(iban)
    if problem is None:
        return None
    return Problem(
        f"IBAN {iban} of vendor {inv.vendor_id} is not valid: {problem}",
        "Payment is held; ask the vendor to confirm its bank details (bank_details_invalid "
        "playbook) and correct the vendor master.",
    )


@PACK.rule(
    "FX-01",
    Severity.HOLD,
    "an FX rate exists for the currency on the invoice date",
    applies_when=lambda inv: inv.currency != "USD" and inv.currency in CURRENCIES,
    scope_note="non-USD currencies",
    needs=[Needs.FX_RATES],
)
def fx_rate_exists(inv: CanonicalInvoice, ctx: RuleContext) -> Problem | None:
    if inv.invoice_date is None or ctx.reference.fx_rate(inv.currency, inv.invoice_date):
        return None
    return Problem(
        f"no {inv.currency}->USD rate for {inv.invoice_date.isoformat()} (nor the 4 days before)",
        "Backfill the rate from the rate source and reprocess (missing_fx_rate playbook).",
    )
