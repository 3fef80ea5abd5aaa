"""PEPPOL BIS Billing 3.0 (3.0.19) national rules for the Netherlands (NL-R-nnn) and Iceland (IS-R-nnn).

Each rule is the Python reading of the assert of the same id in PEPPOL-EN16931-UBL.sch, with
its context: a rule runs once per context node and fires once per node that fails. Which
country a document is of is decided as the schematron's pattern `<let>` variables decide it:

- Netherlands: $supplierCountryIsNL, $customerCountryIsNL, $taxRepresentativeCountryIsNL:
  the postal country code (cac:PostalAddress/cac:Country/cbc:IdentificationCode) of the
  seller, the buyer and the tax representative, space-normalised and upper-cased, is 'NL';
- Iceland: $SupplierCountry / $CustomerCountry: the seller's / buyer's postal country code as
  written (not normalised, not upper-cased) is 'IS'.

XPath semantics are kept where they matter: `exists(x)` (an empty element is there), general
comparisons over several nodes (true when any matches), IS-R-010 compares the due date and the
EINDAGI date as strings (both are untyped), NL-R-007 reads PayableAmount as xs:decimal (Decimal,
never float; a value that is not a decimal makes that branch false). Where the schematron reads
one value from a path that could hold several, the first in document order is read.

Only documents for PEPPOL BIS Billing 3.0 are checked (as in peppol_national_gr_it,
`claims_peppol_billing`): the EN 16931 examples of Dutch invoices with CustomizationID
urn:cen.eu:en16931:2017 are not PEPPOL BIS documents and are not judged by NL-R rules.

Speed: as for the Greek and Italian pack (see `peppol_national_gr_it`), whose reading of the
countries this pack shares.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypeAlias

from lxml import etree

from payables.canonical import CanonicalInvoice
from payables.formats.ubl_model import CREDIT_NOTE_NS, INVOICE_NS, NS, UblDocument
from payables.rules.base import DocumentRules, Problem, RulePack, Severity
from payables.rules.packs.en16931_core import normalize_space, string_value
from payables.rules.packs.peppol_national_gr_it import _cac, _cbc, countries, where

PACK = RulePack(
    "peppol-national-nl-is",
    "3.0.19",
    source="PEPPOL",
    description="PEPPOL BIS Billing 3.0 national rules for the Netherlands (NL-R) and Iceland "
    "(IS-R), UBL invoices and credit notes",
)

Element: TypeAlias = etree._Element
Results: TypeAlias = dict[str, list[Problem]]

INVOICE_ROOT = f"{{{INVOICE_NS}}}Invoice"
CREDIT_NOTE_ROOT = f"{{{CREDIT_NOTE_NS}}}CreditNote"
ASP = _cac("AccountingSupplierParty")
ACP = _cac("AccountingCustomerParty")
TAX_REP = _cac("TaxRepresentativeParty")
PARTY = _cac("Party")
POSTAL = _cac("PostalAddress")
PLE = _cac("PartyLegalEntity")
PAYMENT_MEANS = _cac("PaymentMeans")
ADR = _cac("AdditionalDocumentReference")
COMPANY_ID = _cbc("CompanyID")
STREET = _cbc("StreetName")
CITY = _cbc("CityName")
ZONE = _cbc("PostalZone")
DUE_DATE = _cbc("DueDate")
COUNTRY_CODE = "cac:PostalAddress/cac:Country/cbc:IdentificationCode"
NL_PAYMENT_CODES = ("30", "48", "49", "57", "58", "59")
IS_TYPE_CODES = ("380", "381")
_XS_DATE = re.compile(r"(-?\d{4,})-(\d\d)-(\d\d)(Z|[+-]\d\d:\d\d)?")
_ZERO = Decimal(0)
_NONE: Results = {}
_CORRECTED = "Ask the vendor for a corrected invoice; it cannot be paid as sent."


def _country(root: Element, party_path: str) -> str | None:
    """The first postal country code under `party_path`, as written (None when there is none)."""
    node = root.find(f"{party_path}/{COUNTRY_CODE}", NS)
    return None if node is None else string_value(node)


def _add(found: Results, rule_id: str, message: str, action: str = _CORRECTED) -> None:
    found.setdefault(rule_id, []).append(Problem(message, action))


def results(inv: CanonicalInvoice) -> Results:
    """The findings of every rule of this pack on the document (DocumentRules keeps them)."""
    doc = inv.ubl
    return _NONE if doc is None else _evaluate(doc)


def _evaluate(doc: UblDocument) -> Results:
    supplier = countries(doc).postal  # None for a document that is not PEPPOL BIS Billing 3.0
    if supplier is None:
        return _NONE
    if normalize_space(supplier).upper() == "NL":
        return _dutch(doc.root)
    if supplier == "IS":
        return _icelandic(doc.root)
    return _NONE


# --- the Netherlands ---------------------------------------------------------------------------


def _is_nl(code: str | None) -> bool:
    return code is not None and normalize_space(code).upper() == "NL"


def _address(found: Results, rule_id: str, who: str, address: Element) -> None:
    missing = [
        f"cbc:{name}"
        for tag, name in ((STREET, "StreetName"), (CITY, "CityName"), (ZONE, "PostalZone"))
        if address.find(tag) is None
    ]
    if missing:
        _add(
            found,
            rule_id,
            f"the {who}'s address ({where(address)}) has no {' and no '.join(missing)}; a Dutch "
            "supplier's invoice must give street, city and post code",
        )


def _kvk_oin(found: Results, rule_id: str, who: str, node: Element) -> None:
    scheme = node.get("schemeID")
    padded = f" {scheme if scheme is not None else ''} "
    value = string_value(node)
    if (" 0106 " in padded or " 0190 " in padded) and normalize_space(value) != "":
        return
    _add(
        found,
        rule_id,
        f"the {who}'s legal entity identifier {value!r} (schemeID {scheme!r}, {where(node)}) must "
        "be a KVK number (schemeID 0106) or an OIN number (schemeID 0190)",
    )


def _xs_decimal(node: Element | None) -> Decimal | None:
    if node is None:
        return None
    text = string_value(node).strip(" \t\r\n")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern only lets decimals through
        return None


def _dutch(root: Element) -> Results:
    found: Results = {}
    customer_nl = _is_nl(_country(root, "cac:AccountingCustomerParty/cac:Party"))
    rep_nl = _is_nl(_country(root, "cac:TaxRepresentativeParty"))
    is_invoice = root.tag == INVOICE_ROOT
    is_credit_note = root.tag == CREDIT_NOTE_ROOT
    payment_means = list(root.iter(PAYMENT_MEANS))
    for node in root.iter(_cbc("CreditNoteTypeCode")):
        if root.find("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", NS) is None:
            _add(
                found,
                "NL-R-001",
                f"the credit note (type code {string_value(node)!r}, {where(node)}) has no reference "
                "to the invoice it credits (cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID)",
                "Ask the vendor for a credit note that names the invoice it credits.",
            )
    for side in root.iter(ASP):
        for party in side.iterchildren(PARTY):
            for address in party.iterchildren(POSTAL):
                _address(found, "NL-R-002", "seller", address)
            for ple in party.iterchildren(PLE):
                for node in ple.iterchildren(COMPANY_ID):
                    _kvk_oin(found, "NL-R-003", "seller", node)
    if customer_nl:
        for side in root.iter(ACP):
            for party in side.iterchildren(PARTY):
                for address in party.iterchildren(POSTAL):
                    _address(found, "NL-R-004", "Dutch buyer", address)
                for ple in party.iterchildren(PLE):
                    for node in ple.iterchildren(COMPANY_ID):
                        _kvk_oin(found, "NL-R-005", "Dutch buyer", node)
        for pm in payment_means:
            code_node = pm.find(_cbc("PaymentMeansCode"))
            code = normalize_space(string_value(code_node)) if code_node is not None else ""
            if code not in NL_PAYMENT_CODES:
                _add(
                    found,
                    "NL-R-008",
                    f"the payment means code {code!r} ({where(code_node if code_node is not None else pm)}) "
                    f"is not allowed between Dutch parties; use one of {', '.join(NL_PAYMENT_CODES)}",
                )
    if rep_nl:
        for rep in root.iter(TAX_REP):
            for address in rep.iterchildren(POSTAL):
                _address(found, "NL-R-006", "Dutch tax representative", address)
    for total in root.iter(_cac("LegalMonetaryTotal")):
        if payment_means:
            continue
        payable_node = total.find(_cbc("PayableAmount"))
        payable = _xs_decimal(payable_node)
        if payable is not None and (
            (is_invoice and payable <= _ZERO) or (is_credit_note and payable >= _ZERO)
        ):
            continue
        shown = string_value(payable_node) if payable_node is not None else "absent"
        _add(
            found,
            "NL-R-007",
            f"the amount due (cbc:PayableAmount {shown!r}, {where(total)}) is to be paid to the "
            "Dutch supplier, but the document gives no means of payment (cac:PaymentMeans)",
            "Ask the vendor for the payment details (cac:PaymentMeans) on a corrected invoice.",
        )
    if root.find("cac:OrderReference/cbc:ID", NS) is None:
        for olr in root.iter(_cac("OrderLineReference")):
            for node in olr.iterchildren(_cbc("LineID")):
                _add(
                    found,
                    "NL-R-009",
                    f"the order line reference {string_value(node)!r} ({where(node)}) is used but the "
                    "document has no order reference (cac:OrderReference/cbc:ID)",
                )
    return found


# --- Iceland -----------------------------------------------------------------------------------


def _castable_date(text: str) -> bool:
    match = _XS_DATE.fullmatch(text.strip(" \t\r\n"))
    if match is None:
        return False
    try:
        date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return False
    return True


def _icelandic(root: Element) -> Results:
    found: Results = {}
    type_codes = [
        node
        for node in (root.find(_cbc("InvoiceTypeCode")), root.find(_cbc("CreditNoteTypeCode")))
        if node is not None
    ]
    codes = [normalize_space(string_value(node)) for node in type_codes]
    if not any(code in IS_TYPE_CODES for code in codes):
        shown = ", ".join(f"{c!r} ({where(n)})" for c, n in zip(codes, type_codes, strict=True))
        _add(
            found,
            "IS-R-001",
            f"the document type code ({shown or 'absent'}) should be 380 (invoice) or 381 (credit "
            "note) for an Icelandic seller",
            "Note only; the invoice can be processed.",
        )
    seller = root.findall("cac:AccountingSupplierParty/cac:Party", NS)
    legal = [n for p in seller for n in p.iterfind("cac:PartyLegalEntity/cbc:CompanyID", NS)]
    if not any(n.get("schemeID") == "0196" for n in legal):
        seen = ", ".join(
            f"{string_value(n)!r} (schemeID {n.get('schemeID')!r}, {where(n)})" for n in legal
        )
        _add(
            found,
            "IS-R-002",
            "the Icelandic seller's legal identifier (BT-30, PartyLegalEntity/cbc:CompanyID with "
            f"schemeID 0196, kennitala) is missing: {seen or 'there is none'}",
        )
    _is_address(found, "IS-R-003", "Icelandic seller", seller)
    for rule_id, wanted in (("IS-R-006", "9"), ("IS-R-007", "42")):
        means = [
            pm
            for pm in root.iterchildren(PAYMENT_MEANS)
            if any(string_value(c) == wanted for c in pm.iterchildren(_cbc("PaymentMeansCode")))
        ]
        if not means:
            continue
        accounts = [a for pm in means for a in pm.iterfind("cac:PayeeFinancialAccount/cbc:ID", NS)]
        account = normalize_space(string_value(accounts[0])) if accounts else ""
        if not accounts or len(account) != 12:
            at = where(accounts[0]) if accounts else f"missing in {where(means[0])}"
            _add(
                found,
                rule_id,
                f"with payment means code {wanted}, the account (BT-84) must have 12 digits (bank, "
                f"ledger 66, account number): it is {account!r} ({at})",
            )
    eindagi = [
        adr
        for adr in root.iterchildren(ADR)
        if any(string_value(d) == "EINDAGI" for d in adr.iterchildren(_cbc("DocumentDescription")))
    ]
    if eindagi:
        ids = [i for adr in eindagi for i in adr.iterchildren(_cbc("ID"))]
        first = string_value(ids[0]) if ids else ""
        if not (len(first) == 10 and _castable_date(first)):
            _add(
                found,
                "IS-R-008",
                f"the EINDAGI date {first!r} ({where(ids[0]) if ids else where(eindagi[0])}) must be "
                "a date written YYYY-MM-DD",
            )
        dues = [string_value(d) for d in root.iterchildren(DUE_DATE)]
        if not dues:
            _add(
                found,
                "IS-R-009",
                f"the document has an EINDAGI date ({where(eindagi[0])}) but no due date (cbc:DueDate, BT-9)",
            )
        if not any(d <= string_value(i) for d in dues for i in ids):
            _add(
                found,
                "IS-R-010",
                f"the EINDAGI date {first!r} must be the same as or later than the due date "
                f"(cbc:DueDate {', '.join(repr(d) for d in dues) or 'absent'})",
            )
    customer = root.find("cac:AccountingCustomerParty/cac:Party/" + COUNTRY_CODE, NS)
    if customer is not None and string_value(customer) == "IS":
        for side in root.iterchildren(ACP):
            buyer = side.findall("cac:Party", NS)
            legal = [n for p in buyer for n in p.iterfind("cac:PartyLegalEntity/cbc:CompanyID", NS)]
            if not any(n.get("schemeID") == "0196" for n in legal):
                _add(
                    found,
                    "IS-R-004",
                    f"the Icelandic buyer ({where(side)}) has no Icelandic legal identifier (BT-47, "
                    "PartyLegalEntity/cbc:CompanyID with schemeID 0196, kennitala)",
                )
            _is_address(found, "IS-R-005", "Icelandic buyer", buyer)
    return found


def _is_address(found: Results, rule_id: str, who: str, parties: list[Element]) -> None:
    missing = [
        f"cbc:{name}"
        for tag, name in ((STREET, "StreetName"), (ZONE, "PostalZone"))
        if not any(a.find(tag) is not None for p in parties for a in p.iterchildren(POSTAL))
    ]
    if missing:
        at = where(parties[0]) if parties else "no cac:Party"
        _add(
            found,
            rule_id,
            f"the {who}'s address ({at}) has no {' and no '.join(missing)}; street name and post "
            "code are required",
        )


# --- registration ------------------------------------------------------------------------------

RULES: tuple[tuple[str, Severity, str], ...] = (
    ("NL-R-001", Severity.BLOCK, "Dutch supplier: a credit note references the invoice"),
    ("NL-R-002", Severity.BLOCK, "Dutch supplier: seller address has street, city and post code"),
    ("NL-R-003", Severity.BLOCK, "Dutch supplier: seller legal id is KVK (0106) or OIN (0190)"),
    (
        "NL-R-004",
        Severity.BLOCK,
        "Dutch supplier and buyer: buyer address has street, city and post code",
    ),
    (
        "NL-R-005",
        Severity.BLOCK,
        "Dutch supplier and buyer: buyer legal id is KVK (0106) or OIN (0190)",
    ),
    ("NL-R-006", Severity.BLOCK, "Dutch supplier and tax representative: its address is complete"),
    ("NL-R-007", Severity.BLOCK, "Dutch supplier: payment means given when the buyer pays"),
    (
        "NL-R-008",
        Severity.BLOCK,
        "Dutch supplier and buyer: payment means code 30, 48, 49, 57, 58 or 59",
    ),
    ("NL-R-009", Severity.BLOCK, "Dutch supplier: order line references need an order reference"),
    ("IS-R-001", Severity.WARN, "Icelandic seller: document type 380 or 381"),
    ("IS-R-002", Severity.BLOCK, "Icelandic seller: legal id (kennitala, 0196) given"),
    ("IS-R-003", Severity.BLOCK, "Icelandic seller: street name and post code given"),
    (
        "IS-R-004",
        Severity.BLOCK,
        "Icelandic seller and buyer: buyer legal id (kennitala, 0196) given",
    ),
    (
        "IS-R-005",
        Severity.BLOCK,
        "Icelandic seller and buyer: buyer street name and post code given",
    ),
    ("IS-R-006", Severity.BLOCK, "Icelandic seller: 12-digit account with payment means 9"),
    ("IS-R-007", Severity.BLOCK, "Icelandic seller: 12-digit account with payment means 42"),
    ("IS-R-008", Severity.BLOCK, "Icelandic seller: EINDAGI date written YYYY-MM-DD"),
    ("IS-R-009", Severity.BLOCK, "Icelandic seller: EINDAGI needs a due date"),
    ("IS-R-010", Severity.BLOCK, "Icelandic seller: EINDAGI not before the due date"),
)


RULES_OF_PACK = DocumentRules(PACK, results)
for _rule in RULES:
    RULES_OF_PACK.rule(*_rule)
