"""EN 16931 totals arithmetic for UBL documents: BR-CO-10 to BR-CO-16.

Each rule is the Python reading of the XPath test of the same id in the CEN schematron
(CEN-EN16931-UBL.sch / EN16931-UBL-model.sch, validation 1.3.16), including its rounding
(`round(x * 10 * 10) div 100`, where XPath rounds halves towards positive infinity), its
exact comparisons, and what happens when an element is absent (an absent amount makes the
comparison false, so the rule fires, except where the test says otherwise). The contexts are
kept too: BR-CO-10..13 and 16 only run when there is a cac:LegalMonetaryTotal, BR-CO-14 runs
once per document-level cac:TaxTotal, BR-CO-15 once per document.

Not here, on purpose: the full EN 16931 and PEPPOL BIS 3 rule sets (a later issue). The seam
for them: the other EN 16931 rules (BR-nn, BR-CL, BR-DEC, BR-S/Z/E/...) and the PEPPOL BIS 3
rules (PEPPOL-EN16931-Rnnn, national rules) belong in their own packs beside this one, with `source="EN16931"` or `source="PEPPOL"` and `ubl_only=True`. They read
`invoice.ubl` (payables.formats.ubl_model.UblDocument), whose `root` is the lxml element for
everything the model does not carry; `xpath_round2` below is their rounding too. The
conformance harness (payables.conformance) picks up any rule with those sources and checks it
against the official unit tests without further wiring.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import ROUND_FLOOR, Decimal

from payables.canonical import CanonicalInvoice
from payables.formats.ubl_model import UblDocument, UblMonetaryTotal
from payables.rules.base import Problem, RuleContext, RulePack, Severity
from payables.rules.codes import minor_unit

PACK = RulePack(
    "en16931-totals",
    "1.3.16",
    source="EN16931",
    description="EN 16931 totals arithmetic (BR-CO-10 to BR-CO-16) for UBL invoices and credit notes",
)
_HUNDRED = Decimal(100)
_HALF = Decimal("0.5")
_ASK_VENDOR = (
    "Ask the vendor for a corrected invoice whose totals add up; the document cannot be paid as "
    "sent. If the vendor insists, the e-invoicing validator they use will show the same error."
)


def xpath_round2(value: Decimal) -> Decimal:
    """`round(value * 10 * 10) div 100` in XPath 2.0: two places, halves towards +infinity."""
    return (value * _HUNDRED + _HALF).to_integral_value(rounding=ROUND_FLOOR).scaleb(-2)


def _total(amounts: Iterable[Decimal | None]) -> Decimal:
    """XPath sum() over the amounts that are there (absent ones add nothing)."""
    return sum((a for a in amounts if a is not None), Decimal(0))


def _fmt(amount: Decimal, currency: str | None) -> str:
    """'1,010.00 EUR'; as many decimals as the document gave where that is more than usual."""
    currency = currency or ""
    places = -int(minor_unit(currency).as_tuple().exponent)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int):
        places = max(places, -exponent)
    return f"{amount:,.{places}f} {currency}".strip()


def _add_up(items: tuple[object, ...], one: str, many: str) -> str:
    """'the only invoice line comes to' for one item, 'the 3 invoice lines add up to' for three."""
    return f"the only {one} comes to" if len(items) == 1 else f"the {len(items)} {many} add up to"


def _ubl(inv: CanonicalInvoice) -> tuple[UblDocument, UblMonetaryTotal] | None:
    doc = inv.ubl
    if doc is None or doc.monetary_total is None:
        return None
    return doc, doc.monetary_total


def _mismatch(
    what: str, expected: Decimal, element: str, stated: Decimal | None, cur: str | None
) -> str:
    if stated is None:
        return f"{what} {_fmt(expected, cur)}, but the document has no {element}"
    return f"{what} {_fmt(expected, cur)}, but {element} says {_fmt(stated, cur)}"


@PACK.rule(
    "BR-CO-10",
    Severity.BLOCK,
    "Sum of Invoice line net amount (BT-106) = Σ Invoice line net amounts (BT-131)",
    ubl_only=True,
)
def line_total(inv: CanonicalInvoice, ctx: RuleContext) -> Problem | None:
    found = _ubl(inv)
    if found is None:
        return None
    doc, mt = found
    expected = xpath_round2(_total(line.line_extension_amount for line in doc.lines))
    if mt.line_extension_amount is not None and mt.line_extension_amount == expected:
        return None
    what = (
        _add_up(doc.lines, "invoice line", "invoice lines")
        if doc.lines
        else "with no invoice lines, the line total is"
    )
    stated = mt.line_extension_amount
    return Problem(
        _mismatch(what, expected, "LineExtensionAmount (BT-106)", stated, doc.document_currency),
        _ASK_VENDOR,
    )


def _allowance_or_charge_rule(inv: CanonicalInvoice, charges: bool) -> Problem | None:
    found = _ubl(inv)
    if found is None:
        return None
    doc, mt = found
    items = doc.charges if charges else doc.allowances
    stated = mt.charge_total_amount if charges else mt.allowance_total_amount
    expected = xpath_round2(_total(item.amount for item in items))
    if (stated is not None and stated == expected) or (stated is None and not items):
        return None
    kind = "charge" if charges else "allowance"
    element = "ChargeTotalAmount (BT-108)" if charges else "AllowanceTotalAmount (BT-107)"
    what = (
        _add_up(items, f"document level {kind}", f"document level {kind}s")
        if items
        else f"with no document level {kind}s, their sum is"
    )
    return Problem(_mismatch(what, expected, element, stated, doc.document_currency), _ASK_VENDOR)


@PACK.rule(
    "BR-CO-11",
    Severity.BLOCK,
    "Sum of allowances on document level (BT-107) = Σ document level allowance amounts (BT-92)",
    ubl_only=True,
)
def allowance_total(inv: CanonicalInvoice, ctx: RuleContext) -> Problem | None:
    return _allowance_or_charge_rule(inv, charges=False)


@PACK.rule(
    "BR-CO-12",
    Severity.BLOCK,
    "Sum of charges on document level (BT-108) = Σ document level charge amounts (BT-99)",
    ubl_only=True,
)
def charge_total(inv: CanonicalInvoice, ctx: RuleContext) -> Problem | None:
    return _allowance_or_charge_rule(inv, charges=True)


def _expected_tax_exclusive(mt: UblMonetaryTotal) -> Decimal | None:
    """BT-106 - BT-107 + BT-108, as BR-CO-13 computes it for the elements that are present."""
    lines, allowances, charges = (
        mt.line_extension_amount,
        mt.allowance_total_amount,
        mt.charge_total_amount,
    )
    if lines is None:
        return None
    if allowances is None and charges is None:
        return lines  # compared as is, without rounding
    return xpath_round2(lines - (allowances or 0) + (charges or 0))


@PACK.rule(
    "BR-CO-13",
    Severity.BLOCK,
    "Invoice total without VAT (BT-109) = Σ line net amounts (BT-106) - allowances (BT-107) + charges (BT-108)",
    ubl_only=True,
)
def tax_exclusive_total(inv: CanonicalInvoice, ctx: RuleContext) -> Problem | None:
    found = _ubl(inv)
    if found is None:
        return None
    doc, mt = found
    expected = _expected_tax_exclusive(mt)
    if expected is not None and mt.tax_exclusive_amount == expected:
        return None
    cur = doc.document_currency
    if expected is None:
        return Problem(
            "the total without VAT (BT-109) cannot be checked: LegalMonetaryTotal has no "
            "LineExtensionAmount (BT-106)",
            _ASK_VENDOR,
        )
    parts = [f"line total {_fmt(mt.line_extension_amount or Decimal(0), cur)}"]
    if mt.allowance_total_amount is not None:
        parts.append(f"- allowances {_fmt(mt.allowance_total_amount, cur)}")
    if mt.charge_total_amount is not None:
        parts.append(f"+ charges {_fmt(mt.charge_total_amount, cur)}")
    what = " ".join(parts) + " ="
    return Problem(
        _mismatch(what, expected, "TaxExclusiveAmount (BT-109)", mt.tax_exclusive_amount, cur),
        _ASK_VENDOR,
    )


@PACK.rule(
    "BR-CO-14",
    Severity.BLOCK,
    "Invoice total VAT amount (BT-110) = Σ VAT category tax amounts (BT-117)",
    ubl_only=True,
)
def tax_total(inv: CanonicalInvoice, ctx: RuleContext) -> Iterator[Problem]:
    doc = inv.ubl
    if doc is None:
        return
    for number, total in enumerate(doc.tax_totals, 1):
        if not total.subtotals:
            continue
        expected = xpath_round2(_total(sub.tax_amount for sub in total.subtotals))
        if total.tax_amount is not None and total.tax_amount == expected:
            continue
        cur = total.currency or doc.document_currency
        which = f"TaxTotal {number}" if len(doc.tax_totals) > 1 else "the TaxTotal"
        one, many = (
            f"VAT breakdown (TaxSubtotal) of {which}",
            f"VAT breakdowns (TaxSubtotal) of {which}",
        )
        what = _add_up(total.subtotals, one, many)
        yield Problem(
            _mismatch(what, expected, "TaxTotal/TaxAmount (BT-110)", total.tax_amount, cur),
            _ASK_VENDOR,
        )


@PACK.rule(
    "BR-CO-15",
    Severity.BLOCK,
    "Invoice total with VAT (BT-112) = total without VAT (BT-109) + total VAT amount (BT-110)",
    ubl_only=True,
)
def tax_inclusive_total(inv: CanonicalInvoice, ctx: RuleContext) -> Problem | None:
    doc = inv.ubl
    if doc is None or doc.document_currency is None:
        return None  # "every $Currency in cbc:DocumentCurrencyCode": nothing to check
    cur = doc.document_currency
    in_currency = [t for t in doc.tax_totals if cur and t.currency == cur]
    if len(in_currency) != 1:
        return Problem(
            f"the document currency is '{cur}', and {len(in_currency)} TaxTotal/TaxAmount elements are in "
            "it; there must be exactly one, the invoice total VAT amount (BT-110)",
            "Ask the vendor for a corrected invoice with one TaxTotal whose TaxAmount has currencyID "
            f"'{cur}' (a second TaxTotal may only give the VAT in the tax currency, BT-111).",
        )
    mt, tax = doc.monetary_total, in_currency[0].tax_amount
    net = mt.tax_exclusive_amount if mt else None
    gross = mt.tax_inclusive_amount if mt else None
    if net is None or tax is None:
        missing = "TaxExclusiveAmount (BT-109)" if net is None else f"readable TaxAmount in {cur}"
        return Problem(
            f"the total with VAT (BT-112) cannot be checked: the document has no {missing}",
            _ASK_VENDOR,
        )
    expected = xpath_round2(net + tax)
    if gross == expected:
        return None
    what = f"total without VAT {_fmt(net, cur)} + VAT {_fmt(tax, cur)} ="
    return Problem(
        _mismatch(what, expected, "TaxInclusiveAmount (BT-112)", gross, cur), _ASK_VENDOR
    )


def _expected_payable(mt: UblMonetaryTotal) -> tuple[Decimal, Decimal] | None:
    """The two sides BR-CO-16 compares: (amount due from the totals, PayableAmount less rounding)."""
    gross, prepaid, rounding, payable = (
        mt.tax_inclusive_amount,
        mt.prepaid_amount,
        mt.payable_rounding_amount,
        mt.payable_amount,
    )
    if gross is None or payable is None:
        return None
    due = gross if prepaid is None else xpath_round2(gross - prepaid)
    if rounding is None:
        return due, payable
    return due, xpath_round2(payable - rounding)


@PACK.rule(
    "BR-CO-16",
    Severity.BLOCK,
    "Amount due (BT-115) = total with VAT (BT-112) - paid amount (BT-113) + rounding amount (BT-114)",
    ubl_only=True,
)
def amount_due(inv: CanonicalInvoice, ctx: RuleContext) -> Problem | None:
    found = _ubl(inv)
    if found is None:
        return None
    doc, mt = found
    sides = _expected_payable(mt)
    if sides is not None and sides[0] == sides[1]:
        return None
    cur = doc.document_currency
    if sides is None:
        missing = (
            "TaxInclusiveAmount (BT-112)"
            if mt.tax_inclusive_amount is None
            else "PayableAmount (BT-115)"
        )
        return Problem(
            f"the amount due cannot be checked: the document has no {missing}", _ASK_VENDOR
        )
    gross = mt.tax_inclusive_amount or Decimal(0)
    parts = [f"total with VAT {_fmt(gross, cur)}"]
    if mt.prepaid_amount is not None:
        parts.append(f"- paid {_fmt(mt.prepaid_amount, cur)}")
    if mt.payable_rounding_amount is not None:
        parts.append(f"+ rounding {_fmt(mt.payable_rounding_amount, cur)}")
    what = " ".join(parts) + " ="
    if len(parts) == 1:
        what = "with nothing paid in advance and no rounding, the amount due is the total with VAT,"
    expected = sides[0] + (mt.payable_rounding_amount or 0)
    return Problem(
        _mismatch(what, expected, "PayableAmount (BT-115)", mt.payable_amount, cur),
        "Ask the vendor for a corrected invoice; do not pay the PayableAmount as stated until the "
        "amount due is confirmed.",
    )
