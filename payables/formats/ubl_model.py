"""What the rule packs see of a UBL 2.1 Invoice or CreditNote, beyond the canonical invoice.

`read_ubl_document(root)` reads the parts the EN 16931 totals rules need (lines, document
level allowances and charges, LegalMonetaryTotal, TaxTotal) into plain values, and keeps the
lxml root so that a later pack (the full EN 16931 and PEPPOL BIS 3 rule sets) can look at
anything else. Values are as the document states them: a CreditNote's amounts are not negated
here (the canonical invoice does that). Money is always Decimal, never float.

An element that is absent is None; an element that is present but not a valid xs:decimal
(or xs:boolean, xs:date) is also None, and is listed in `unreadable` with its line, so that
the reader can quarantine the document rather than guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from lxml import etree

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NS = {"ubl": INVOICE_NS, "cn": CREDIT_NOTE_NS, "cac": CAC_NS, "cbc": CBC_NS}

# The cbc elements that carry an amount with a currencyID (the context of BR-CL-03 and of
# PEPPOL-EN16931-R051 and CL007).
AMOUNT_ELEMENTS = (
    "Amount", "BaseAmount", "PriceAmount", "TaxAmount", "TaxableAmount", "LineExtensionAmount",
    "TaxExclusiveAmount", "TaxInclusiveAmount", "AllowanceTotalAmount", "ChargeTotalAmount",
    "PrepaidAmount", "PayableRoundingAmount", "PayableAmount",
)
_XS_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_XML_SPACE = " \t\r\n"


class DocumentKind(StrEnum):
    INVOICE = "Invoice"
    CREDIT_NOTE = "CreditNote"


ROOT_KINDS = {
    f"{{{INVOICE_NS}}}Invoice": DocumentKind.INVOICE,
    f"{{{CREDIT_NOTE_NS}}}CreditNote": DocumentKind.CREDIT_NOTE,
}


@dataclass(frozen=True, slots=True)
class UblLine:
    """An InvoiceLine or CreditNoteLine (BG-25)."""

    id: str  # BT-126
    line_extension_amount: Decimal | None  # BT-131
    currency: str = ""


@dataclass(frozen=True, slots=True)
class UblAllowanceCharge:
    """A document level allowance (BG-20) or charge (BG-21)."""

    is_charge: bool | None  # cbc:ChargeIndicator; None when absent or not true/false/1/0
    amount: Decimal | None  # BT-92 / BT-99
    currency: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class UblMonetaryTotal:
    """cac:LegalMonetaryTotal (BG-22)."""

    line_extension_amount: Decimal | None = None  # BT-106
    tax_exclusive_amount: Decimal | None = None  # BT-109
    tax_inclusive_amount: Decimal | None = None  # BT-112
    allowance_total_amount: Decimal | None = None  # BT-107
    charge_total_amount: Decimal | None = None  # BT-108
    prepaid_amount: Decimal | None = None  # BT-113
    payable_rounding_amount: Decimal | None = None  # BT-114
    payable_amount: Decimal | None = None  # BT-115


@dataclass(frozen=True, slots=True)
class UblTaxSubtotal:
    """cac:TaxSubtotal, one VAT breakdown (BG-23)."""

    taxable_amount: Decimal | None  # BT-116
    tax_amount: Decimal | None  # BT-117
    category_id: str = ""  # BT-118
    percent: Decimal | None = None  # BT-119
    currency: str = ""


@dataclass(frozen=True, slots=True)
class UblTaxTotal:
    """cac:TaxTotal: the tax amount (BT-110, or BT-111 in the tax currency) and its breakdown."""

    tax_amount: Decimal | None
    currency: str = ""  # the currencyID of cbc:TaxAmount ("" when not stated)
    subtotals: tuple[UblTaxSubtotal, ...] = ()


@dataclass(slots=True)
class UblDocument:
    kind: DocumentKind
    root: etree._Element = field(repr=False, compare=False)
    customization_id: str = ""  # BT-24
    profile_id: str = ""  # BT-23
    document_currency: str | None = None  # BT-5; None when cbc:DocumentCurrencyCode is absent
    lines: tuple[UblLine, ...] = ()
    allowance_charges: tuple[UblAllowanceCharge, ...] = ()
    monetary_total: UblMonetaryTotal | None = None  # None when there is no LegalMonetaryTotal
    tax_totals: tuple[UblTaxTotal, ...] = ()
    unreadable: tuple[str, ...] = ()  # "line 40: cbc:PayableAmount '12,50' is not ..."

    @property
    def allowances(self) -> tuple[UblAllowanceCharge, ...]:
        return tuple(ac for ac in self.allowance_charges if ac.is_charge is False)

    @property
    def charges(self) -> tuple[UblAllowanceCharge, ...]:
        return tuple(ac for ac in self.allowance_charges if ac.is_charge is True)


def value_text(node: etree._Element | None) -> str:
    """The string value of an element (comments excluded), XML whitespace stripped."""
    if node is None:
        return ""
    if len(node) == 0:  # a leaf, as almost every UBL value is: its text is its value
        return (node.text or "").strip(_XML_SPACE)
    return "".join(node.itertext()).strip(_XML_SPACE)


@lru_cache(maxsize=512)
def clark(path: str) -> str:
    """`cac:Party/cbc:Name` in Clark notation: lxml finds it without mapping prefixes each call."""
    return "/".join(f"{{{NS[step.split(':', 1)[0]]}}}{step.split(':', 1)[1]}" if ":" in step else step
                    for step in path.split("/"))


def xs_decimal(text: str) -> Decimal | None:
    """`text` as an xs:decimal (no exponent, no NaN or INF), or None."""
    text = text.strip(_XML_SPACE)
    return Decimal(text) if _XS_DECIMAL.fullmatch(text) else None


def xs_boolean(text: str) -> bool | None:
    return {"true": True, "1": True, "false": False, "0": False}.get(text.strip(_XML_SPACE))


def qname(node: etree._Element) -> str:
    """`cbc:PayableAmount` for a node in the cbc namespace; the local name otherwise."""
    q = etree.QName(node)
    prefix = next((p for p, uri in NS.items() if uri == q.namespace and p in ("cac", "cbc")), "")
    return f"{prefix}:{q.localname}" if prefix else q.localname


class _Reader:
    """Reads values under one document, noting the ones that are present but unreadable."""

    def __init__(self) -> None:
        self.unreadable: list[str] = []

    def note(self, node: etree._Element, text: str, expected: str) -> None:
        self.unreadable.append(f"line {node.sourceline}: {qname(node)} '{text}' is not {expected}")

    def amount(self, parent: etree._Element, path: str) -> Decimal | None:
        node = parent.find(clark(path))
        if node is None:
            return None
        text = value_text(node)
        value = xs_decimal(text)
        if value is None:
            self.note(node, text, "a decimal amount (use 1234.50: a dot, no grouping)")
        return value

    def boolean(self, parent: etree._Element, path: str) -> bool | None:
        node = parent.find(clark(path))
        if node is None:
            return None
        value = xs_boolean(value_text(node))
        if value is None:
            self.note(node, value_text(node), "true or false")
        return value


def _currency(parent: etree._Element, path: str) -> str:
    node = parent.find(clark(path))
    return (node.get("currencyID") or "").strip() if node is not None else ""


def _text(parent: etree._Element, path: str) -> str:
    return value_text(parent.find(clark(path)))


def _lines(root: etree._Element, reader: _Reader) -> tuple[UblLine, ...]:
    # BR-CO-10 sums //(cac:InvoiceLine|cac:CreditNoteLine): every line, wherever it is.
    tags = (f"{{{CAC_NS}}}InvoiceLine", f"{{{CAC_NS}}}CreditNoteLine")
    return tuple(
        UblLine(
            _text(line, "cbc:ID"),
            reader.amount(line, "cbc:LineExtensionAmount"),
            _currency(line, "cbc:LineExtensionAmount"),
        )
        for line in root.iter(*tags)
    )


def _allowance_charges(root: etree._Element, reader: _Reader) -> tuple[UblAllowanceCharge, ...]:
    return tuple(
        UblAllowanceCharge(
            reader.boolean(ac, "cbc:ChargeIndicator"),
            reader.amount(ac, "cbc:Amount"),
            _currency(ac, "cbc:Amount"),
            _text(ac, "cbc:AllowanceChargeReason"),
        )
        for ac in root.findall("cac:AllowanceCharge", NS)
    )


def _monetary_total(root: etree._Element, reader: _Reader) -> UblMonetaryTotal | None:
    lmt = root.find("cac:LegalMonetaryTotal", NS)
    if lmt is None:
        return None
    return UblMonetaryTotal(
        line_extension_amount=reader.amount(lmt, "cbc:LineExtensionAmount"),
        tax_exclusive_amount=reader.amount(lmt, "cbc:TaxExclusiveAmount"),
        tax_inclusive_amount=reader.amount(lmt, "cbc:TaxInclusiveAmount"),
        allowance_total_amount=reader.amount(lmt, "cbc:AllowanceTotalAmount"),
        charge_total_amount=reader.amount(lmt, "cbc:ChargeTotalAmount"),
        prepaid_amount=reader.amount(lmt, "cbc:PrepaidAmount"),
        payable_rounding_amount=reader.amount(lmt, "cbc:PayableRoundingAmount"),
        payable_amount=reader.amount(lmt, "cbc:PayableAmount"),
    )


def _tax_totals(root: etree._Element, reader: _Reader) -> tuple[UblTaxTotal, ...]:
    totals = []
    for total in root.findall("cac:TaxTotal", NS):
        subtotals = tuple(
            UblTaxSubtotal(
                taxable_amount=reader.amount(sub, "cbc:TaxableAmount"),
                tax_amount=reader.amount(sub, "cbc:TaxAmount"),
                category_id=_text(sub, "cac:TaxCategory/cbc:ID"),
                percent=reader.amount(sub, "cac:TaxCategory/cbc:Percent"),
                currency=_currency(sub, "cbc:TaxAmount"),
            )
            for sub in total.findall("cac:TaxSubtotal", NS)
        )
        totals.append(
            UblTaxTotal(
                reader.amount(total, "cbc:TaxAmount"), _currency(total, "cbc:TaxAmount"), subtotals
            )
        )
    return tuple(totals)


def read_ubl_document(root: etree._Element) -> UblDocument | None:
    """The model of a UBL Invoice or CreditNote root; None for any other root element."""
    kind = ROOT_KINDS.get(root.tag) if isinstance(root.tag, str) else None
    if kind is None:
        return None
    reader = _Reader()
    currency_node = root.find("cbc:DocumentCurrencyCode", NS)
    return UblDocument(
        kind=kind,
        root=root,
        customization_id=_text(root, "cbc:CustomizationID"),
        profile_id=_text(root, "cbc:ProfileID"),
        document_currency=None if currency_node is None else value_text(currency_node),
        lines=_lines(root, reader),
        allowance_charges=_allowance_charges(root, reader),
        monetary_total=_monetary_total(root, reader),
        tax_totals=_tax_totals(root, reader),
        unreadable=tuple(reader.unreadable),
    )
