"""What the EN 16931 VAT category rules (payables.rules.packs.en16931_vat) read of a UBL document.

One pass over the document collects every VAT category it states, wherever the schematron
looks for them: the invoiced item categories of the lines (cac:ClassifiedTaxCategory), the
categories of the allowances and charges and of the VAT breakdowns (cac:TaxCategory), with the
amounts the rules add up, and the VAT identifiers of the seller, tax representative and buyer.
The ~100 VAT rules then only look these facts up. `vat_facts(doc)` computes them once per
document: the cache holds the last document itself and is only used for that very object, so
it cannot hand one document's facts to another.

This module defines no PACK: the pack discovery imports it and finds no rules in it.

XPath readings kept here (CEN-EN16931-UBL.sch, validation 1.3.16):
- `normalize-space(cbc:ID)` is the ID with XML whitespace collapsed, "" when absent;
- `cac:TaxScheme/normalize-space(upper-case(cbc:ID))='VAT'` is true when any tax scheme of the
  category has the ID "vat" in any case, surrounded by any whitespace;
- `xs:decimal(x)` of an absent element is the empty sequence: a comparison with it is false,
  and sum() leaves it out; a value that is not an xs:decimal is treated the same way (the
  validator stops with an error there; the datatype rules report such values);
- `(cbc:Percent) > 0` compares the untyped value as a number (xs:double lexical form).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from lxml import etree

from payables.formats.ubl_model import CAC_NS, CBC_NS, UblDocument, xs_boolean

_CAC = "{" + CAC_NS + "}"
_CBC = "{" + CBC_NS + "}"
TAX_CATEGORY = _CAC + "TaxCategory"
CLASSIFIED = _CAC + "ClassifiedTaxCategory"
ALLOWANCE_CHARGE = _CAC + "AllowanceCharge"
INVOICE_LINE = _CAC + "InvoiceLine"
CREDIT_NOTE_LINE = _CAC + "CreditNoteLine"
_TAX_SUBTOTAL = _CAC + "TaxSubtotal"
_TAX_TOTAL = _CAC + "TaxTotal"
_ITEM = _CAC + "Item"
_TAX_SCHEME = _CAC + "TaxScheme"
_PARTY = _CAC + "Party"
_PARTY_TAX_SCHEME = _CAC + "PartyTaxScheme"
_PARTY_LEGAL_ENTITY = _CAC + "PartyLegalEntity"
_ID = _CBC + "ID"
_PERCENT = _CBC + "Percent"
_COMPANY_ID = _CBC + "CompanyID"
_CHARGE_INDICATOR = _CBC + "ChargeIndicator"
_AMOUNT = _CBC + "Amount"
_REASON = _CBC + "AllowanceChargeReason"
_LINE_AMOUNT = _CBC + "LineExtensionAmount"
_TAXABLE = _CBC + "TaxableAmount"
_TAX_AMOUNT = _CBC + "TaxAmount"
_EXEMPTION = (_CBC + "TaxExemptionReason", _CBC + "TaxExemptionReasonCode")

_WS = re.compile(r"[ \t\r\n]+")
_XML_WS = " \t\r\n"
# Memos of pure functions of a text (the same rates, codes and scheme IDs recur in every
# document): values only, nothing of a document, so they cannot carry one document into another.
_DECIMALS: dict[str, Decimal | None] = {}
_VAT_SCHEME_IDS: dict[str, bool] = {}
_XS_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_XS_DOUBLE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?INF")


def string_value(node: etree._Element | None) -> str:
    """XPath string(): all descendant text, as is (comments and processing instructions left out)."""
    if node is None:
        return ""
    if not len(node):  # no child nodes: the common case
        return node.text or ""
    return "".join(t for t in node.itertext() if isinstance(t, str))


def normalize_space(text: str) -> str:
    text = text.strip(_XML_WS)
    if "  " in text or "\t" in text or "\n" in text or "\r" in text:
        return _WS.sub(" ", text)
    return text


def xs_decimal(node: etree._Element | None) -> Decimal | None:
    """xs:decimal(node): None when the node is absent or its value is not an xs:decimal."""
    if node is None:
        return None
    text = node.text or "" if not len(node) else string_value(node)
    try:
        return _DECIMALS[text]
    except KeyError:
        pass
    stripped = text.strip(_XML_WS)
    value = Decimal(stripped) if _XS_DECIMAL.fullmatch(stripped) else None
    if len(_DECIMALS) > 4096:  # rates and common amounts repeat; keep the memo small
        _DECIMALS.clear()
    _DECIMALS[text] = value
    return value


def untyped_number(node: etree._Element) -> Decimal | None:
    """An untyped value compared with a number (cast to xs:double); None when not a number."""
    text = string_value(node).strip(" \t\r\n")
    if not _XS_DOUBLE.fullmatch(text):
        return None
    return Decimal(text.replace("INF", "Infinity"))


def _is_vat_text(text: str) -> bool:
    known = _VAT_SCHEME_IDS.get(text)
    if known is None:
        known = normalize_space(text.upper()) == "VAT"
        if len(_VAT_SCHEME_IDS) > 256:
            _VAT_SCHEME_IDS.clear()
        _VAT_SCHEME_IDS[text] = known
    return known


def is_vat(category: etree._Element) -> bool:
    """`[cac:TaxScheme/normalize-space(upper-case(cbc:ID))='VAT']` on a category or party tax scheme."""
    for scheme in category.iterchildren(_TAX_SCHEME):
        for ident in scheme.iterchildren(_ID):
            if _is_vat_text(string_value(ident)):
                return True
            break  # upper-case(cbc:ID) reads the first (a second would be an error)
    return False


@dataclass(slots=True)
class Category:
    """A cac:TaxCategory or cac:ClassifiedTaxCategory, as the VAT rules read it."""

    node: etree._Element = field(repr=False, compare=False)
    code: str  # normalize-space(cbc:ID) of the first cbc:ID; "" when absent
    codes: tuple[
        str, ...
    ]  # normalize-space(.) of every cbc:ID (for `cbc:ID[normalize-space(.) = 'Z']`)
    raw_ids: tuple[str, ...]  # string values of every cbc:ID (for `cbc:ID = 'L'`, unnormalized)
    id_count: int
    vat: bool
    percents: tuple[etree._Element, ...] = field(repr=False, compare=False)
    percent: Decimal | None  # xs:decimal(cbc:Percent) of the first cbc:Percent
    has_exemption_reason: bool  # cbc:TaxExemptionReason or cbc:TaxExemptionReasonCode present
    line: int  # source line of the category element

    @property
    def has_percent(self) -> bool:
        return bool(self.percents)

    def percent_text(self) -> str:
        return normalize_space(string_value(self.percents[0])) if self.percents else ""


def _category(node: etree._Element) -> Category:
    ids: list[str] = []
    percents: list[etree._Element] = []
    vat = reason = False
    for child in node.iterchildren(_ID, _PERCENT, _TAX_SCHEME, *_EXEMPTION):
        tag = child.tag
        if tag == _ID:
            ids.append(child.text or "" if not len(child) else string_value(child))
        elif tag == _PERCENT:
            percents.append(child)
        elif tag == _TAX_SCHEME:
            if not vat:
                for ident in child.iterchildren(_ID):
                    vat = _is_vat_text(string_value(ident))
                    break  # upper-case(cbc:ID) reads the first (a second would be an error)
        else:
            reason = True
    codes = tuple(normalize_space(i) for i in ids)
    return Category(
        node,
        codes[0] if codes else "",
        codes,
        tuple(ids),
        len(ids),
        vat,
        tuple(percents),
        xs_decimal(percents[0]) if percents else None,
        reason,
        node.sourceline or 0,
    )


@dataclass(slots=True)
class Line:
    """An InvoiceLine or CreditNoteLine with the item VAT categories the rules look at."""

    node: etree._Element = field(repr=False, compare=False)
    credit_note: bool  # a cac:CreditNoteLine
    top_level: bool  # a child of the root (what `../../../cac:InvoiceLine` reaches)
    amount: Decimal | None  # xs:decimal(cbc:LineExtensionAmount)
    categories: tuple[Category, ...]  # cac:Item/cac:ClassifiedTaxCategory
    line: int

    def describe(self) -> str:
        kind = "credit note line" if self.credit_note else "invoice line"
        ident = normalize_space(string_value(self.node.find(_ID)))
        name = f"{kind} {ident}" if ident else f"an {kind} without an ID"
        return f"{name} (line {self.line})"


@dataclass(slots=True)
class AllowanceCharge:
    """A cac:AllowanceCharge that has a cac:TaxCategory (document level or elsewhere)."""

    node: etree._Element = field(repr=False, compare=False)
    indicators: frozenset[bool]  # the cbc:ChargeIndicator values that read as true/false
    document_level: bool  # a child of the root
    amount: Decimal | None
    categories: tuple[Category, ...]
    line: int

    def describe(self, charge: bool) -> str:
        kind = "charge" if charge else "allowance"
        level = "document level" if self.document_level else "line level"
        text = normalize_space(string_value(self.node.find(_REASON)))
        reason = f" '{text}'" if text else ""
        node = self.node.find(_AMOUNT)
        currency = (node.get("currencyID") or "").strip() if node is not None else ""
        amount = f" of {self.amount} {currency}".rstrip() if self.amount is not None else ""
        return f"the {level} {kind}{reason}{amount} (line {self.line})"


@dataclass(slots=True)
class Breakdown:
    """A VAT breakdown: /*/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory with its subtotal's amounts."""

    category: Category
    taxable: Decimal | None  # xs:decimal(../cbc:TaxableAmount)
    tax: Decimal | None  # xs:decimal(../cbc:TaxAmount)
    currency: str
    subtotal_line: int

    def describe(self) -> str:
        c = self.category
        code = f"category {c.code}" if c.code else "a category without a code"
        rate = f" at {c.percent_text()} %" if c.has_percent else ""
        return f"the VAT breakdown for {code}{rate} (TaxSubtotal, line {self.subtotal_line})"


@dataclass(slots=True)
class VatFacts:
    lines: tuple[Line, ...]  # every InvoiceLine and CreditNoteLine, wherever it is
    allowance_charges: tuple[AllowanceCharge, ...]  # every AllowanceCharge with a TaxCategory
    breakdowns: tuple[Breakdown, ...]  # the root's TaxTotal/TaxSubtotal/TaxCategory
    tax_categories: tuple[Category, ...]  # //cac:TaxCategory
    classified: tuple[Category, ...]  # //cac:ClassifiedTaxCategory
    seller_company_id: bool  # //AccountingSupplierParty/Party/PartyTaxScheme/CompanyID
    seller_vat_id: bool  # ... with a VAT tax scheme
    tax_representative_vat_id: bool  # //TaxRepresentativeParty/PartyTaxScheme[VAT]/CompanyID
    buyer_vat_id: bool  # //AccountingCustomerParty/Party/PartyTaxScheme[VAT]/CompanyID
    buyer_legal_id: bool  # //AccountingCustomerParty/Party/PartyLegalEntity/CompanyID
    has_invoice_lines: bool  # exists(//cac:InvoiceLine)
    has_credit_note_lines: bool  # exists(//cac:CreditNoteLine)
    currency: str = ""
    # every category code the document states anywhere (normalized and as written): a family's
    # rules can only fire when its code is among them
    codes: frozenset[str] = frozenset()


_ASP = _CAC + "AccountingSupplierParty"
_TRP = _CAC + "TaxRepresentativeParty"
_ACP = _CAC + "AccountingCustomerParty"
_WALK = (INVOICE_LINE, CREDIT_NOTE_LINE, CLASSIFIED, TAX_CATEGORY, _ASP, _TRP, _ACP)


def _has_vat_company_id(pts: etree._Element) -> bool:
    return pts.find(_COMPANY_ID) is not None and is_vat(pts)


def _indicators(node: etree._Element) -> frozenset[bool]:
    values = (xs_boolean(string_value(i)) for i in node.iterchildren(_CHARGE_INDICATOR))
    return frozenset(v for v in values if v is not None)


def read_vat_facts(doc: UblDocument) -> VatFacts:
    root = doc.root
    line_nodes: list[tuple[etree._Element, list[Category]]] = []
    cats_of_line: dict[etree._Element, list[Category]] = {}
    classified: list[Category] = []
    tax_categories: list[Category] = []
    acs: list[tuple[etree._Element, list[Category]]] = []
    breakdowns: list[Breakdown] = []
    seller_any = seller_vat = rep_vat = buyer_vat = buyer_legal = False
    for node in root.iter(*_WALK):  # one walk, in document order
        tag = node.tag
        if tag == CLASSIFIED:
            cat = _category(node)
            classified.append(cat)
            item = node.getparent()
            if item is not None and item.tag == _ITEM:
                owner = cats_of_line.get(item.getparent())  # type: ignore[arg-type]
                if owner is not None:
                    owner.append(cat)
        elif tag == TAX_CATEGORY:
            cat = _category(node)
            tax_categories.append(cat)
            parent = node.getparent()
            if parent is None:
                continue
            if parent.tag == ALLOWANCE_CHARGE:
                if acs and acs[-1][0] is parent:
                    acs[-1][1].append(cat)
                else:
                    acs.append((parent, [cat]))
            elif parent.tag == _TAX_SUBTOTAL:
                total = parent.getparent()
                if total is not None and total.tag == _TAX_TOTAL and total.getparent() is root:
                    tax = parent.find(_TAX_AMOUNT)
                    breakdowns.append(
                        Breakdown(
                            category=cat,
                            taxable=xs_decimal(parent.find(_TAXABLE)),
                            tax=xs_decimal(tax),
                            currency=(tax.get("currencyID") or "").strip()
                            if tax is not None
                            else "",
                            subtotal_line=parent.sourceline or 0,
                        )
                    )
        elif tag in (INVOICE_LINE, CREDIT_NOTE_LINE):
            cats: list[Category] = []
            cats_of_line[node] = cats
            line_nodes.append((node, cats))
        elif tag == _ASP:
            for party in node.iterchildren(_PARTY):
                for pts in party.iterchildren(_PARTY_TAX_SCHEME):
                    if pts.find(_COMPANY_ID) is not None:
                        seller_any = True
                        seller_vat = seller_vat or is_vat(pts)
        elif tag == _TRP:
            rep_vat = rep_vat or any(
                _has_vat_company_id(p) for p in node.iterchildren(_PARTY_TAX_SCHEME)
            )
        else:  # AccountingCustomerParty
            for party in node.iterchildren(_PARTY):
                buyer_vat = buyer_vat or any(
                    _has_vat_company_id(p) for p in party.iterchildren(_PARTY_TAX_SCHEME)
                )
                buyer_legal = buyer_legal or any(
                    le.find(_COMPANY_ID) is not None
                    for le in party.iterchildren(_PARTY_LEGAL_ENTITY)
                )
    lines = tuple(
        Line(
            node=node,
            credit_note=node.tag == CREDIT_NOTE_LINE,
            top_level=node.getparent() is root,
            amount=xs_decimal(node.find(_LINE_AMOUNT)),
            categories=tuple(cats),
            line=node.sourceline or 0,
        )
        for node, cats in line_nodes
    )
    allowance_charges = tuple(
        AllowanceCharge(
            node=ac,
            indicators=_indicators(ac),
            document_level=ac.getparent() is root,
            amount=xs_decimal(ac.find(_AMOUNT)),
            categories=tuple(cats),
            line=ac.sourceline or 0,
        )
        for ac, cats in acs
    )
    return VatFacts(
        lines=lines,
        allowance_charges=allowance_charges,
        breakdowns=tuple(breakdowns),
        tax_categories=tuple(tax_categories),
        classified=tuple(classified),
        seller_company_id=seller_any,
        seller_vat_id=seller_vat,
        tax_representative_vat_id=rep_vat,
        buyer_vat_id=buyer_vat,
        buyer_legal_id=buyer_legal,
        has_invoice_lines=any(not line.credit_note for line in lines),
        has_credit_note_lines=any(line.credit_note for line in lines),
        currency=doc.document_currency or "",
        codes=frozenset(
            code for cat in (*tax_categories, *classified) for code in (*cat.codes, *cat.raw_ids)
        ),
    )


# (document, its facts) of the last document read: one tuple, replaced whole, so that a reader
# in another thread sees a matching pair or none.
_last: tuple[UblDocument | None, VatFacts | None] = (None, None)


def vat_facts(doc: UblDocument) -> VatFacts:
    """The facts of `doc`, computed once while its rules run one after the other.

    The cache keeps a strong reference to the document it was computed for and answers only
    for that very object, so it cannot give one document's facts for another.
    """
    global _last
    last_doc, facts = _last
    if last_doc is doc and facts is not None:
        return facts
    facts = read_vat_facts(doc)
    _last = (doc, facts)
    return facts
