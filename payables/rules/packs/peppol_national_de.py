"""PEPPOL BIS Billing 3.0 (3.0.19) national rules for Germany: DE-R-001 .. DE-R-031.

Each rule is the Python reading of the assert of the same id in the PEPPOL UBL schematron
(PEPPOL-EN16931-UBL.sch, pattern "german-rules"). As there, every rule applies only when both
$supplierCountryIsDE and $customerCountryIsDE hold: the seller's and the buyer's postal address
country code (upper-cased, blanks trimmed) is DE. A rule runs once per node of its schematron
context and fires once per node that fails (the rules on the seller contact run once per
seller Contact, those on payment means once per matching PaymentMeans, DE-R-014 once per
TaxSubtotal, and so on).

XPath semantics kept: `x[boolean(normalize-space(.))]` (an element of blanks is as good as
absent), string comparisons are exact (`cbc:PaymentMeansCode = '58'` is false for ' 58'),
while `cbc:PaymentMeansCode = (30, 58)` and `cbc:InvoiceTypeCode = 384` compare as numbers
(a code that is not a number matches no number). The IBAN checks (DE-R-019, DE-R-020) are the
schematron's own: blanks removed, the ISO 13616 pattern, letters as codepoint - 55 (also
lower-case ones, as there) and the number mod 97 = 1, in integers. DE-R-022 compares file names
exactly, as the test does (the message says "non case-sensitive"; the test is not). Where the
schematron reads one value from a path that holds several, the first is read; where it would
stop with an error (DE-R-018 on two PaymentTerms with notes), the rule fires.

Cross-checked against the schematron itself (compiled to XSLT and run by Saxon-HE) on some
30,000 mutated unit-test fragments and examples (with this pack and the Nordic one): the same
number of findings per rule on every document the schematron does not stop on.

Only documents for PEPPOL BIS Billing 3.0 are checked (`_peppol_scope.claims_peppol_billing`): a PEPPOL
validator picks this schematron by the specification identifier (BT-24), so a plain EN 16931
invoice (urn:cen.eu:en16931:2017) or an XRechnung is not judged by it; a bare fragment that
names no specification (the official unit tests) is.

Speed: whether a document is German is decided once per document, by one precompiled XPath
shared with the Nordic pack (`parties`); for any other document every rule of this pack is a
dictionary look-up. For a German document all the rules are evaluated together in one pass,
the first time one of them runs, and kept for that document only (`DocumentRules`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeAlias

from lxml import etree

from payables.canonical import CanonicalInvoice
from payables.formats.ubl_model import CAC_NS, CBC_NS, CREDIT_NOTE_NS, UblDocument
from payables.rules.base import DocumentRules, Problem, RulePack, Severity
from payables.rules.packs._peppol_scope import claims_peppol_billing
from payables.rules.packs.en16931_core import normalize_space, string_value, xs_double

PACK = RulePack(
    "peppol-national-de",
    "3.0.19",
    source="PEPPOL",
    description="PEPPOL BIS Billing 3.0 national rules for Germany (DE-R-nnn), seller and buyer in DE",
)

Element: TypeAlias = etree._Element
Found: TypeAlias = dict[str, list[Problem]]


def _cac(local: str) -> str:
    return f"{{{CAC_NS}}}{local}"


def _cbc(local: str) -> str:
    return f"{{{CBC_NS}}}{local}"


def _path(*steps: str) -> str:
    """'cac:Party', 'cbc:ID' -> an ElementPath in Clark notation."""
    return "/".join(
        _cac(s[4:]) if s.startswith("cac:") else _cbc(s[4:]) if s.startswith("cbc:") else s
        for s in steps
    )


_CREDIT_NOTE = f"{{{CREDIT_NOTE_NS}}}CreditNote"
_SUPPLIER = _cac("AccountingSupplierParty")
_SUPPLIER_PARTY = _path("cac:AccountingSupplierParty", "cac:Party")
_CUSTOMER_PARTY = _path("cac:AccountingCustomerParty", "cac:Party")
_POSTAL = _cac("PostalAddress")
_CONTACT = _cac("Contact")
_CITY = _cbc("CityName")
_ZONE = _cbc("PostalZone")
_NAME = _cbc("Name")
_PHONE = _cbc("Telephone")
_MAIL = _cbc("ElectronicMail")
_PAYMENT_MEANS = _cac("PaymentMeans")
_PM_CODE = _cbc("PaymentMeansCode")
_PAYEE_ACCOUNT = _cac("PayeeFinancialAccount")
_CARD = _cac("CardAccount")
_MANDATE = _cac("PaymentMandate")
_PAYER_ACCOUNT_ID = _path("cac:PaymentMandate", "cac:PayerFinancialAccount", "cbc:ID")
_PAYEE_ACCOUNT_ID = _path("cac:PayeeFinancialAccount", "cbc:ID")
_ID = _cbc("ID")
_TAX_CATEGORY_ID = _path("cac:TaxCategory", "cbc:ID")
_LINE_CATEGORY_ID = _path("cac:Item", "cac:ClassifiedTaxCategory", "cbc:ID")
_CHARGE_INDICATOR = _cbc("ChargeIndicator")
_TAX_SUBTOTAL = _path("cac:TaxTotal", "cac:TaxSubtotal")
_PERCENT = _path("cac:TaxCategory", "cbc:Percent")
_DELIVERY_ADDRESS = _path("cac:Delivery", "cac:DeliveryLocation", "cac:Address")
_ADR = _cac("AdditionalDocumentReference")
_BINARY = _path("cac:Attachment", "cbc:EmbeddedDocumentBinaryObject")
_PAYMENT_NOTE = _path("cac:PaymentTerms", "cbc:Note")
_SEPA_IDS = (
    _path("cac:AccountingSupplierParty", "cac:Party", "cac:PartyIdentification", "cbc:ID"),
    _path("cac:PayeeParty", "cac:PartyIdentification", "cbc:ID"),
)

_VAT_CODES = frozenset({"S", "Z", "E", "AE", "K", "G", "L", "M"})
_TYPE_CODES = frozenset({"326", "380", "384", "389", "381", "875", "876", "877"})
_SKONTO = re.compile(
    r"#(SKONTO)#TAGE=([0-9]+#PROZENT=[0-9]+\.[0-9]{2})(#BASISBETRAG=-?[0-9]+\.[0-9]{2})?#\Z"
)
_ATOM = r"""[a-zA-Z0-9!#$%&"*+/=?^_`{|}~-]"""
_EMAIL = re.compile(
    rf"{_ATOM}+(\.{_ATOM}+)*@([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?\.)+[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?"
)
_THREE_DIGITS = re.compile(r"[0-9].*[0-9].*[0-9]", re.DOTALL)
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{0,30}")
_XML_BLANK = re.compile(r"[ \t\r\n]")
_LINE_BREAK = re.compile(r"\r?\n")
_SKONTO_ROW = re.compile(r"#.+#")  # '.' stops at line ends, as in XPath
_BREAK_FIRST = re.compile(r"[ \t\r\n]*\n")

_CORRECTED = "Ask the vendor for a corrected invoice; it cannot be paid as sent."
_NOTE = "Nothing to do before paying; tell the vendor so that their next invoices are right."


def _text(node: Element | None) -> str:
    return "" if node is None else string_value(node)


def _filled(node: Element, tag: str) -> bool:
    """`tag[boolean(normalize-space(.))]` below `node`."""
    return any(normalize_space(string_value(c)) for c in node.iterchildren(tag))


def _at(node: Element) -> str:
    name = etree.QName(node).localname
    prefix = "cac" if etree.QName(node).namespace == CAC_NS else "cbc"
    return (
        f"<{prefix}:{name}> (line {node.sourceline})" if node.sourceline else f"<{prefix}:{name}>"
    )


def _shown(value: str | None) -> str:
    return "nothing" if value is None else repr(value)


def _numbers(node: Element, tag: str) -> set[float]:
    """The values of the `tag` children of `node` that are numbers (XPath general comparison)."""
    found = set()
    for child in node.iterchildren(tag):
        value = xs_double(string_value(child))
        if value is not None:
            found.add(value)
    return found


def iban_ok(value: str) -> bool:
    """The schematron's IBAN test: pattern after removing blanks, then mod 97 = 1."""
    iban = _XML_BLANK.sub("", value)
    if not _IBAN.fullmatch(iban):
        return False
    moved = iban[4:] + iban[:2].upper() + iban[2:4]
    digits = "".join(str(ord(c) - 55) if ord(c) > 64 else str(ord(c) - 48) for c in moved)
    return int(digits) % 97 == 1


# -- the checks, per schematron rule context --------------------------------------------------


def _add(found: Found, rule_id: str, message: str, action: str = _CORRECTED) -> None:
    found.setdefault(rule_id, []).append(Problem(message, action))


def _document(root: Element, found: Found) -> None:
    kind = "credit note" if root.tag == _CREDIT_NOTE else "invoice"
    if root.find(_PAYMENT_MEANS) is None:
        _add(
            found,
            "DE-R-001",
            f"The German {kind} has no payment instructions (<cac:PaymentMeans>, BG-16).",
        )
    if not _filled(root, _cbc("BuyerReference")):
        node = root.find(_cbc("BuyerReference"))
        where = "is missing" if node is None else f"is empty at {_at(node)}"
        _add(
            found,
            "DE-R-015",
            f"The buyer reference (<cbc:BuyerReference>, BT-10, e.g. the Leitweg-ID) {where}.",
            "Ask the vendor to state the buyer reference you gave them and send the invoice again.",
        )
    used: list[tuple[str, Element]] = []
    for ac in root.iterchildren(_cac("AllowanceCharge")):
        indicators = [string_value(c) for c in ac.iterchildren(_CHARGE_INDICATOR)]
        if "false" in indicators or "true" in indicators:
            used.extend(
                ("allowance" if "false" in indicators else "charge", n)
                for n in ac.iterfind(_TAX_CATEGORY_ID)
            )
    for line in root:
        if line.tag in (_cac("InvoiceLine"), _cac("CreditNoteLine")):
            used.extend(("line", n) for n in line.iterfind(_LINE_CATEGORY_ID))
    coded = [(what, n) for what, n in used if string_value(n) in _VAT_CODES]
    if coded and root.find(_cac("TaxRepresentativeParty")) is None:
        seller_ids = [
            n
            for n in root.iterfind(_path(_SUPPLIER_PARTY, "cac:PartyTaxScheme", "cbc:CompanyID"))
            if normalize_space(string_value(n))
        ]
        if not seller_ids:
            what, node = coded[0]
            _add(
                found,
                "DE-R-016",
                f"VAT category {string_value(node)!r} is used ({what} at {_at(node)}) but the seller states "
                "neither a VAT identifier (BT-31) nor a tax registration identifier (BT-32) "
                "(<cac:PartyTaxScheme>/<cbc:CompanyID>) and there is no tax representative (BG-11).",
            )
    type_node = root.find(_cbc("InvoiceTypeCode"))
    if type_node is None:
        type_node = root.find(_cbc("CreditNoteTypeCode"))
    codes = [
        string_value(c)
        for c in root.iterchildren(_cbc("InvoiceTypeCode"), _cbc("CreditNoteTypeCode"))
    ]
    if not any(c in _TYPE_CODES for c in codes):
        where = f" at {_at(type_node)}" if type_node is not None else ""
        _add(
            found,
            "DE-R-017",
            f"The document type code {_shown(codes[0] if codes else None)}{where} is not one German "
            "invoices should use (326, 380, 384, 389, 381, 875, 876, 877).",
            _NOTE,
        )
    _skonto(root, found)
    seen: set[str] = set()
    for adr in root.iterchildren(_ADR):
        names = [b.get("filename") for b in adr.iterfind(_BINARY)]
        names_set = {n for n in names if n is not None}
        clash = names_set & seen
        if clash:
            _add(
                found,
                "DE-R-022",
                f"The attached document at {_at(adr)} has the file name {sorted(clash)[0]!r}, already used "
                "by an earlier attachment; attachments need unique file names (BT-125).",
            )
            break
        seen |= names_set
    corrected = 384.0 in _numbers(root, _cbc("InvoiceTypeCode")) | _numbers(
        root, _cbc("CreditNoteTypeCode")
    )
    if (
        corrected
        and root.find(_path("cac:BillingReference", "cac:InvoiceDocumentReference")) is None
    ):
        _add(
            found,
            "DE-R-026",
            "The document is a corrected invoice (type code 384) but does not refer to the invoice it "
            "corrects (<cac:BillingReference>/<cac:InvoiceDocumentReference>, BG-3).",
            _NOTE,
        )
    mandates = root.findall(_path("cac:PaymentMeans", "cac:PaymentMandate"))
    if mandates:
        sepa = any(n.get("schemeID") == "SEPA" for p in _SEPA_IDS for n in root.iterfind(p))
        if not sepa:
            _add(
                found,
                "DE-R-030",
                f"The document asks for a direct debit ({_at(mandates[0])}) but gives no bank assigned "
                "creditor identifier (BT-90: a seller or payee <cac:PartyIdentification>/<cbc:ID "
                'schemeID="SEPA">).',
            )
        if root.find(_path("cac:PaymentMeans", _PAYER_ACCOUNT_ID)) is None:
            _add(
                found,
                "DE-R-031",
                f"The document asks for a direct debit ({_at(mandates[0])}) but does not say which account "
                "is debited (<cac:PayerFinancialAccount>/<cbc:ID>, BT-91).",
            )


def _skonto(root: Element, found: Found) -> None:
    """DE-R-018: every line of the first note of each PaymentTerms that starts with '#' is a
    Skonto statement, and the text after the last '#...#' starts with a line break."""
    notes = [
        n
        for n in (t.find(_cbc("Note")) for t in root.iterchildren(_cac("PaymentTerms")))
        if n is not None
    ]
    if not notes:
        return
    texts = [string_value(n) for n in notes]
    rows = [
        (note, normalize_space(row))
        for note, text in zip(notes, texts, strict=True)
        if text
        for row in _LINE_BREAK.split(text)
        if normalize_space(row).startswith("#")
    ]
    if not rows:
        return
    tails = [_SKONTO_ROW.split(text)[-1] for text in texts if text]
    ends_well = len(tails) == 1 and _BREAK_FIRST.match(tails[0]) is not None
    bad = [(note, row) for note, row in rows if not _SKONTO.search(row)]
    if bad:
        note, row = bad[0]
        detail = (
            f"the row {row!r} is not of the form #SKONTO#TAGE=n#PROZENT=n.nn#[BASISBETRAG=n.nn#]"
        )
    elif not ends_well:
        note, row = rows[-1]
        detail = "the last Skonto statement is not followed by a line break"
    else:
        return
    _add(
        found,
        "DE-R-018",
        f"The payment terms {_at(note)} state a cash discount (Skonto) in the wrong form: {detail}.",
        "Ask the vendor for a corrected invoice; do not take the discount until the terms are readable.",
    )


def _seller_buyer(root: Element, found: Found) -> None:
    for supplier in root.iterchildren(_SUPPLIER):
        if supplier.find(_path("cac:Party", "cac:Contact")) is None:
            _add(
                found,
                "DE-R-002",
                f"The seller ({_at(supplier)}) gives no contact (<cac:Contact>, BG-6).",
            )
    for party, who, ids in (
        (_SUPPLIER_PARTY, "seller", ("DE-R-003", "DE-R-004", "BT-37", "BT-38")),
        (_CUSTOMER_PARTY, "buyer", ("DE-R-008", "DE-R-009", "BT-52", "BT-53")),
    ):
        for address in root.iterfind(party + "/" + _POSTAL):
            _address(found, address, f"{who}'s address", ids)
    for address in root.iterfind(_DELIVERY_ADDRESS):
        _address(found, address, "deliver-to address", ("DE-R-010", "DE-R-011", "BT-77", "BT-78"))
    for contact in root.iterfind(_SUPPLIER_PARTY + "/" + _CONTACT):
        for tag, rule_id, what in (
            (_NAME, "DE-R-005", "contact point (<cbc:Name>, BT-41)"),
            (_PHONE, "DE-R-006", "telephone number (<cbc:Telephone>, BT-42)"),
            (_MAIL, "DE-R-007", "email address (<cbc:ElectronicMail>, BT-43)"),
        ):
            if not _filled(contact, tag):
                _add(found, rule_id, f"The seller contact {_at(contact)} gives no {what}.")
        phone = contact.find(_PHONE)
        phone_text = normalize_space(_text(phone))
        if not _THREE_DIGITS.search(phone_text):
            where = f" at {_at(phone)}" if phone is not None else ""
            _add(
                found,
                "DE-R-027",
                f"The seller's telephone number {phone_text!r}{where} is not a valid number "
                "(it needs at least 3 digits).",
                _NOTE,
            )
        mail = contact.find(_MAIL)
        mail_text = normalize_space(_text(mail))
        if not _EMAIL.fullmatch(mail_text):
            where = f" at {_at(mail)}" if mail is not None else ""
            _add(
                found,
                "DE-R-028",
                f"The seller's email address {mail_text!r}{where} is not a valid address.",
                _NOTE,
            )


def _address(found: Found, address: Element, what: str, ids: tuple[str, str, str, str]) -> None:
    city_rule, zone_rule, city_bt, zone_bt = ids
    if not _filled(address, _CITY):
        _add(
            found, city_rule, f"The {what} {_at(address)} has no city (<cbc:CityName>, {city_bt})."
        )
    if not _filled(address, _ZONE):
        _add(
            found,
            zone_rule,
            f"The {what} {_at(address)} has no post code (<cbc:PostalZone>, {zone_bt}).",
        )


def _payment_means(root: Element, found: Found) -> None:
    for pm in root.iterchildren(_PAYMENT_MEANS):
        numbers = _numbers(pm, _PM_CODE)
        codes = [string_value(c) for c in pm.iterchildren(_PM_CODE)]
        has_payee = pm.find(_PAYEE_ACCOUNT) is not None
        has_card = pm.find(_CARD) is not None
        has_mandate = pm.find(_MANDATE) is not None
        code = codes[0] if codes else ""
        if numbers & {30.0, 58.0}:
            if "58" in codes:
                account = pm.find(_PAYEE_ACCOUNT_ID)
                if not iban_ok(normalize_space(_text(account))):
                    _add(
                        found,
                        "DE-R-019",
                        f"The payment account {_shown(None if account is None else string_value(account))} "
                        f"of the SEPA credit transfer {_at(pm)} is not a valid IBAN.",
                        "Check the IBAN with the vendor before paying.",
                    )
            if not has_payee:
                _add(
                    found,
                    "DE-R-023-1",
                    f"The payment means {_at(pm)} is a credit transfer (code {code}) but gives no account "
                    "to pay to (<cac:PayeeFinancialAccount>, BG-17).",
                )
            if has_card or has_mandate:
                _add(
                    found,
                    "DE-R-023-2",
                    f"The payment means {_at(pm)} is a credit transfer (code {code}) but also gives "
                    f"{_others(has_card=has_card, has_mandate=has_mandate)}.",
                )
        if numbers & {48.0, 54.0, 55.0}:
            if not has_card:
                _add(
                    found,
                    "DE-R-024-1",
                    f"The payment means {_at(pm)} is a card payment (code {code}) but gives no card "
                    "(<cac:CardAccount>, BG-18).",
                )
            if has_payee or has_mandate:
                _add(
                    found,
                    "DE-R-024-2",
                    f"The payment means {_at(pm)} is a card payment (code {code}) but also gives "
                    f"{_others(has_payee=has_payee, has_mandate=has_mandate)}.",
                )
        if 59.0 in numbers:
            if "59" in codes:
                account = pm.find(_PAYER_ACCOUNT_ID)
                if not iban_ok(normalize_space(_text(account))):
                    _add(
                        found,
                        "DE-R-020",
                        f"The debited account {_shown(None if account is None else string_value(account))} "
                        f"of the SEPA direct debit {_at(pm)} is not a valid IBAN.",
                        "Check the IBAN to be debited before the direct debit is collected.",
                    )
            if not has_mandate:
                _add(
                    found,
                    "DE-R-025-1",
                    f"The payment means {_at(pm)} is a direct debit (code {code}) but gives no mandate "
                    "(<cac:PaymentMandate>, BG-19).",
                )
            if has_payee or has_card:
                _add(
                    found,
                    "DE-R-025-2",
                    f"The payment means {_at(pm)} is a direct debit (code {code}) but also gives "
                    f"{_others(has_payee=has_payee, has_card=has_card)}.",
                )


def _others(*, has_payee: bool = False, has_card: bool = False, has_mandate: bool = False) -> str:
    parts = []
    if has_payee:
        parts.append("an account to pay to (<cac:PayeeFinancialAccount>, BG-17)")
    if has_card:
        parts.append("a card (<cac:CardAccount>, BG-18)")
    if has_mandate:
        parts.append("a direct debit mandate (<cac:PaymentMandate>, BG-19)")
    return " and ".join(parts)


def _tax_subtotals(root: Element, found: Found) -> None:
    for subtotal in root.iterfind(_TAX_SUBTOTAL):
        if not any(normalize_space(string_value(p)) for p in subtotal.iterfind(_PERCENT)):
            category = subtotal.find(_TAX_CATEGORY_ID)
            name = f" for VAT category {string_value(category)!r}" if category is not None else ""
            _add(
                found,
                "DE-R-014",
                f"The VAT breakdown {_at(subtotal)}{name} gives no VAT rate (<cbc:Percent>, BT-119).",
            )


def evaluate(root: Element) -> Found:
    """Every DE-R finding on a document of a German seller and buyer."""
    found: Found = {}
    _document(root, found)
    _seller_buyer(root, found)
    _payment_means(root, found)
    _tax_subtotals(root, found)
    return found


def _child(node: Element | None, tag: str) -> Element | None:
    """The first child `tag` of `node` (iterchildren filters in C: cheaper than find())."""
    if node is not None:
        for child in node.iterchildren(tag):
            return child
    return None


@dataclass(frozen=True, slots=True)
class Parties:
    """What the national packs decide their applicability from, read once per document:
    whether it is a PEPPOL BIS document, the seller's and the buyer's postal country codes as
    written (the first of each: the schematron reads one value), and whether a tax identifier
    of the seller or of the tax representative starts with 'NO' in any case (any tax scheme)."""

    peppol: bool
    supplier_country: str
    customer_country: str
    norwegian_id: bool


_NO_PREFIX = "cbc:CompanyID[starts-with(translate(., 'no', 'NO'), 'NO')]"
# One precompiled XPath reads the parties (cheaper on a fresh document than walking to each
# value); the specification identifier is the one the UBL reader already read.
_PARTIES = etree.XPath(
    "concat(string(cac:AccountingSupplierParty/cac:Party/cac:PostalAddress/cac:Country/cbc:IdentificationCode),"
    " '|', string(cac:AccountingCustomerParty/cac:Party/cac:PostalAddress/cac:Country/cbc:IdentificationCode),"
    f" '|', boolean(cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/{_NO_PREFIX}"
    f" | cac:TaxRepresentativeParty/cac:PartyTaxScheme/{_NO_PREFIX}))",
    namespaces={"cac": CAC_NS, "cbc": CBC_NS},
)
_NOT_PEPPOL = Parties(False, "", "", False)
_last_parties: tuple[Element | None, Parties] = (None, _NOT_PEPPOL)


def parties(doc: UblDocument) -> Parties:
    """The Parties of `doc`, kept for the last document only (both national packs ask)."""
    global _last_parties
    root = doc.root
    last_root, known = _last_parties
    if last_root is root:
        return known
    if claims_peppol_billing(root):
        supplier, customer, norwegian = str(_PARTIES(root)).split("|")
        known = Parties(True, supplier, customer, norwegian == "true")
    else:
        known = _NOT_PEPPOL
    _last_parties = (root, known)
    return known


def _german_peppol(doc: UblDocument) -> bool:
    """A PEPPOL BIS document with $supplierCountryIsDE and $customerCountryIsDE (the postal
    country codes, blanks trimmed, upper-cased), from the Parties read once."""
    known = parties(doc)
    return (
        known.peppol
        and normalize_space(known.supplier_country).upper() == "DE"
        and normalize_space(known.customer_country).upper() == "DE"
    )


_NONE: Found = {}
def findings(inv: CanonicalInvoice) -> Found:
    """The findings of this pack on `inv` (DocumentRules keeps them for the document)."""
    doc = inv.ubl
    if doc is None:
        return _NONE
    return evaluate(doc.root) if _german_peppol(doc) else _NONE


RULES: tuple[tuple[str, Severity, str], ...] = (
    ("DE-R-001", Severity.BLOCK, "Payment instructions (BG-16) are given"),
    ("DE-R-002", Severity.BLOCK, "The seller contact (BG-6) is given"),
    ("DE-R-003", Severity.BLOCK, "The seller city (BT-37) is given"),
    ("DE-R-004", Severity.BLOCK, "The seller post code (BT-38) is given"),
    ("DE-R-005", Severity.BLOCK, "The seller contact point (BT-41) is given"),
    ("DE-R-006", Severity.BLOCK, "The seller contact telephone number (BT-42) is given"),
    ("DE-R-007", Severity.BLOCK, "The seller contact email address (BT-43) is given"),
    ("DE-R-008", Severity.BLOCK, "The buyer city (BT-52) is given"),
    ("DE-R-009", Severity.BLOCK, "The buyer post code (BT-53) is given"),
    ("DE-R-010", Severity.BLOCK, "A deliver-to address has its city (BT-77)"),
    ("DE-R-011", Severity.BLOCK, "A deliver-to address has its post code (BT-78)"),
    ("DE-R-014", Severity.BLOCK, "Each VAT breakdown gives its VAT rate (BT-119)"),
    ("DE-R-015", Severity.BLOCK, "The buyer reference (BT-10) is given"),
    (
        "DE-R-016",
        Severity.BLOCK,
        "A VAT category in use needs the seller's VAT or tax id or a tax representative",
    ),
    ("DE-R-017", Severity.WARN, "The invoice type code is one German invoices use"),
    ("DE-R-018", Severity.BLOCK, "Cash discount (Skonto) terms are in the prescribed form"),
    ("DE-R-019", Severity.WARN, "A SEPA credit transfer (58) has a valid IBAN"),
    ("DE-R-020", Severity.WARN, "A SEPA direct debit (59) debits a valid IBAN"),
    ("DE-R-022", Severity.BLOCK, "Attached documents have unique file names"),
    (
        "DE-R-023-1",
        Severity.BLOCK,
        "A credit transfer (30, 58) gives the account to pay to (BG-17)",
    ),
    (
        "DE-R-023-2",
        Severity.BLOCK,
        "A credit transfer (30, 58) gives no card (BG-18) or mandate (BG-19)",
    ),
    ("DE-R-024-1", Severity.BLOCK, "A card payment (48, 54, 55) gives the card (BG-18)"),
    (
        "DE-R-024-2",
        Severity.BLOCK,
        "A card payment (48, 54, 55) gives no account (BG-17) or mandate (BG-19)",
    ),
    ("DE-R-025-1", Severity.BLOCK, "A direct debit (59) gives the mandate (BG-19)"),
    ("DE-R-025-2", Severity.BLOCK, "A direct debit (59) gives no account (BG-17) or card (BG-18)"),
    ("DE-R-026", Severity.WARN, "A corrected invoice (384) refers to the invoice it corrects"),
    ("DE-R-027", Severity.WARN, "The seller telephone number has at least 3 digits"),
    ("DE-R-028", Severity.WARN, "The seller email address is well formed"),
    (
        "DE-R-030",
        Severity.BLOCK,
        "A direct debit gives the bank assigned creditor identifier (BT-90)",
    ),
    ("DE-R-031", Severity.BLOCK, "A direct debit gives the debited account (BT-91)"),
)


RULES_OF_PACK = DocumentRules(PACK, findings)
for _id, _severity, _title in RULES:
    RULES_OF_PACK.rule(_id, _severity, _title, scope_note="seller and buyer in Germany (postal address country DE)")
