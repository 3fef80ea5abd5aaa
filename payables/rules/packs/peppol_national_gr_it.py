"""PEPPOL BIS Billing 3.0 (3.0.19) national rules for Greece (GR-R-nnn, GR-S-nnn) and Italy (IT-R-nnn).

Each rule is the Python reading of the assert of the same id in PEPPOL-EN16931-UBL.sch, with
its context: a rule runs once per context node and fires once per node that fails (three
failing endpoint ids, three findings). Which country a document is of is decided as the
schematron's `<let>` variables decide it:

- $supplierCountry: the first two letters of the seller's VAT identifier
  (AccountingSupplierParty/Party/PartyTaxScheme[TaxScheme/ID = 'VAT']/CompanyID), else of the
  tax representative's, else the seller's postal country code, else 'XX' (upper-cased);
  $customerCountry: the same for the buyer (no tax representative step);
- Greek rules: $isGreekSender ($supplierCountry GR or EL), $isGreekSenderandReceiver (both
  sides Greek); GR-R-009 uses $accountingSupplierCountry (the seller only, no tax
  representative step); GR-R-004-1/-2, GR-S-008-1 and GR-R-008-2 also want the seller's postal
  country to be exactly 'GR';
- Italian rules: $supplierCountry = 'IT'.

Only documents for PEPPOL BIS Billing 3.0 are checked (see `_peppol_scope.claims_peppol_billing`): a plain
EN 16931 invoice (CustomizationID urn:cen.eu:en16931:2017) is not a PEPPOL BIS document, and
a PEPPOL validator would not apply this schematron to it.

u:TinVerification (the Greek TIN check digit) is reimplemented exactly: only the first nine
characters count, a non-digit among them fails. The Italian functions of the schematron
(u:checkCF, u:checkPIVA...) are only used by PEPPOL-COMMON-R044..R048, not by IT-R rules.

Where the schematron reads one value from a path that could hold several (a second
PartyName/Name, a second TaxScheme/ID), the first in document order is read.

Speed: the seller-side countries are read once per document, in one precompiled XPath, by
`peppol_national_gr_it.countries`, which both national packs share (a document whose
CustomizationID is not PEPPOL BIS Billing 3.0 is not even read); the findings of the pack are
computed together the first time one of its rules runs on a document and kept for that document
only (`DocumentRules`). On a document of another country each rule is a dictionary look-up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeAlias

from lxml import etree

from payables.canonical import CanonicalInvoice
from payables.formats.ubl_model import CAC_NS, CBC_NS, NS, UblDocument
from payables.rules.base import DocumentRules, Problem, RulePack, Severity
from payables.rules.packs._peppol_scope import claims_peppol_billing
from payables.rules.packs.en16931_core import normalize_space, string_value

PACK = RulePack(
    "peppol-national-gr-it",
    "3.0.19",
    source="PEPPOL",
    description="PEPPOL BIS Billing 3.0 national rules for Greece (GR-R, GR-S) and Italy (IT-R), "
    "UBL invoices and credit notes",
)

Element: TypeAlias = etree._Element
Results: TypeAlias = dict[str, list[Problem]]


def _cac(local: str) -> str:
    return f"{{{CAC_NS}}}{local}"


def _cbc(local: str) -> str:
    return f"{{{CBC_NS}}}{local}"


ASP = _cac("AccountingSupplierParty")
ACP = _cac("AccountingCustomerParty")
PARTY = _cac("Party")
PTS = _cac("PartyTaxScheme")
ADR = _cac("AdditionalDocumentReference")
COMPANY_ID = _cbc("CompanyID")
ENDPOINT = _cbc("EndpointID")
ID = _cbc("ID")
DESCRIPTION = _cbc("DocumentDescription")
ISSUE_DATE = _cbc("IssueDate")
TAX_SCHEME_ID = "cac:TaxScheme/cbc:ID"
POSTAL_COUNTRY = "cac:PostalAddress/cac:Country/cbc:IdentificationCode"
SELLER_POSTAL_COUNTRY = "cac:AccountingSupplierParty/cac:Party/" + POSTAL_COUNTRY
GREEK_DOC_TYPES = frozenset({"1.1", "1.6", "2.1", "2.4", "5.1", "5.2"})
DATE_RE = re.compile(r"^(0?[1-9]|[12][0-9]|3[01])[-\\/ ]?(0?[1-9]|1[0-2])[-\\/ ]?(19|20)[0-9]{2}")
INTEGER_RE = re.compile(r"[+-]?[0-9]+")
IT_TAX_ID_RE = re.compile(r"[A-Z0-9]{11,16}")
MARK = "##M.AR.K##"
URL = "##INVOICE|URL##"
_DIGITS = "0123456789"
_NONE: Results = {}
_CORRECTED = "Ask the vendor for a corrected invoice; it cannot be paid as sent."


# --- XPath helpers -----------------------------------------------------------------------------


def where(node: Element) -> str:
    """'cbc:ID, line 12': the element's prefixed name and its line in the document."""
    qname = etree.QName(node)
    prefix = {CAC_NS: "cac:", CBC_NS: "cbc:"}.get(qname.namespace or "", "")
    line = node.sourceline
    return f"{prefix}{qname.localname}, line {line}" if line else f"{prefix}{qname.localname}"


def tin_verification(value: str) -> bool:
    """u:TinVerification: the Greek TIN check digit over the first nine characters."""
    if len(value) < 9 or any(c not in _DIGITS for c in value[:9]):
        return False  # number() of a missing or non-digit character is NaN
    checksum = sum(int(value[i]) * (256 >> i) for i in range(8))
    return checksum % 11 % 10 == int(value[8])


def _first_text(node: Element, path: str) -> str:
    found = node.find(path, NS)
    return "" if found is None else string_value(found)


def _has_vat_scheme(pts: Element) -> bool:
    """`cac:TaxScheme/cbc:ID = 'VAT'` (any of them, compared as is)."""
    return any(string_value(i) == "VAT" for i in pts.iterfind(TAX_SCHEME_ID, NS))


def _is_vat_scheme(pts: Element) -> bool:
    """`normalize-space(cac:TaxScheme/cbc:ID) = 'VAT'`."""
    return normalize_space(_first_text(pts, TAX_SCHEME_ID)) == "VAT"


def _vat_prefix(parties: Iterable[Element]) -> str:
    """`.../PartyTaxScheme[cac:TaxScheme/cbc:ID = 'VAT']/substring(cbc:CompanyID, 1, 2)`, first."""
    for party in parties:
        for pts in party.iterchildren(PTS):
            if _has_vat_scheme(pts):
                return string_value(pts.find(COMPANY_ID))[:2]
    return ""


def _vat_ids_3_9(parties: Iterable[Element]) -> list[str]:
    """`.../PartyTaxScheme[cac:TaxScheme/cbc:ID = 'VAT']/substring(cbc:CompanyID, 3, 9)`."""
    return [
        string_value(pts.find(COMPANY_ID))[2:11]
        for party in parties
        for pts in party.iterchildren(PTS)
        if _has_vat_scheme(pts)
    ]


def _postal_country(parties: list[Element]) -> str | None:
    for party in parties:
        code = party.find(POSTAL_COUNTRY, NS)
        if code is not None:
            return normalize_space(string_value(code)).upper()
    return None


def party_country(root: Element, which: str) -> str:
    """$customerCountry of the schematron (for `which` the customer party)."""
    parties = root.findall(f"{which}/cac:Party", NS)
    prefix = _vat_prefix(parties)
    if prefix:
        return normalize_space(prefix).upper()
    return _postal_country(parties) or "XX"


# What the country variables of the seller side read, in one XPath evaluation (document order):
# the seller's VAT identifiers, its postal country codes and the tax representative's VAT ids.
_SELLER_SIDE = etree.XPath(
    "/*/cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme[cac:TaxScheme/cbc:ID = 'VAT']"
    "/cbc:CompanyID"
    " | /*/cac:AccountingSupplierParty/cac:Party/cac:PostalAddress/cac:Country/cbc:IdentificationCode"
    " | /*/cac:TaxRepresentativeParty/cac:PartyTaxScheme[cac:TaxScheme/cbc:ID = 'VAT']/cbc:CompanyID",
    namespaces=NS,
)
_IDENTIFICATION_CODE = _cbc("IdentificationCode")
_TAX_REP = _cac("TaxRepresentativeParty")


class Countries:
    """The seller-side country variables of the schematron for one document.

    supplier: $supplierCountry (seller VAT prefix, else the tax representative's, else the
    seller's postal country, else 'XX'); seller: $accountingSupplierCountry (no tax
    representative step); postal: the seller's first postal country code as written (None when
    there is none), which the Dutch and Icelandic patterns read.
    """

    __slots__ = ("supplier", "seller", "postal")

    def __init__(self, supplier: str, seller: str, postal: str | None) -> None:
        self.supplier, self.seller, self.postal = supplier, seller, postal


_NOT_PEPPOL = Countries("", "", None)
_countries_of: list[object] = [None, _NOT_PEPPOL]  # [document, its Countries]


def countries(doc: UblDocument) -> Countries:
    """The seller-side countries of `doc` (read once per document, shared by the national packs).

    Only documents for PEPPOL BIS Billing 3.0 get countries (see `_peppol_scope.claims_peppol_billing`).
    """
    cached = _countries_of
    if cached[0] is doc:
        return cached[1]  # type: ignore[return-value]
    found = _NOT_PEPPOL
    if claims_peppol_billing(doc.root):
        seller_vat = rep_vat = postal = None
        for node in _SELLER_SIDE(doc.root):
            if node.tag == _IDENTIFICATION_CODE:
                if postal is None:
                    postal = string_value(node)
            elif node.getparent().getparent().tag == _TAX_REP:
                if rep_vat is None:
                    rep_vat = string_value(node)[:2]
            elif seller_vat is None:
                seller_vat = string_value(node)[:2]
        postal_country = normalize_space(postal).upper() if postal is not None else "XX"
        if seller_vat:
            seller = supplier = normalize_space(seller_vat).upper()
        else:
            seller = postal_country
            supplier = normalize_space(rep_vat).upper() if rep_vat else postal_country
        found = Countries(supplier, seller, postal)
    cached[0], cached[1] = doc, found
    return found


# --- per-document evaluation -------------------------------------------------------------------

def results(inv: CanonicalInvoice) -> Results:
    """The findings of every rule of this pack on the document (DocumentRules keeps them)."""
    doc = inv.ubl
    return _NONE if doc is None else _evaluate(doc)


def _evaluate(doc: UblDocument) -> Results:
    where_from = countries(doc)
    if where_from.supplier in ("GR", "EL"):
        return _greek(doc.root, where_from.seller)
    if where_from.supplier == "IT":
        return _italian(doc.root)
    if where_from.seller in ("GR", "EL"):  # GR-R-009 reads the seller's own country only
        found: Results = {}
        _greek_endpoints(_parties(doc.root, ASP), found)
        return found
    return _NONE


def _add(found: Results, rule_id: str, message: str, action: str = _CORRECTED) -> None:
    found.setdefault(rule_id, []).append(Problem(message, action))


def _parties(root: Element, which: str) -> list[Element]:
    return [party for side in root.iter(which) for party in side.iterchildren(PARTY)]


def _segments(node: Element) -> list[str]:
    value = string_value(node)
    return value.split("|") if value else []  # tokenize('') is the empty sequence


def _seg(segments: list[str], n: int) -> str | None:
    return segments[n - 1] if len(segments) >= n else None


def _greek_id(root: Element, found: Results) -> None:
    """GR-R-001-1..7 on /Invoice/cbc:ID (or /CreditNote/cbc:ID)."""
    seller_vat = _vat_ids_3_9(root.findall("cac:AccountingSupplierParty/cac:Party", NS))
    rep_vat = _vat_ids_3_9(root.findall("cac:TaxRepresentativeParty", NS))
    issue = root.find(ISSUE_DATE)
    issue_text = string_value(issue) if issue is not None else ""
    issue_parts = issue_text.split("-") if issue_text else []
    fmt = "TIN|date (dd/mm/yyyy)|branch|document type|series|number"
    for node in root.iterchildren(ID):
        value = string_value(node)
        at = f"invoice number {value!r} ({where(node)})"
        segs = _segments(node)
        if len(segs) != 6:
            _add(
                found,
                "GR-R-001-1",
                f"{at} has {len(segs)} segment(s) separated by '|'; a Greek supplier's invoice "
                f"number must have 6: {fmt}",
            )
        tin = _seg(segs, 1)
        if not (
            tin is not None
            and len(normalize_space(tin)) == 9
            and tin_verification(tin)
            and (tin in seller_vat or tin in rep_vat)
        ):
            known = ", ".join(repr(v) for v in seller_vat + rep_vat) or "none"
            _add(
                found,
                "GR-R-001-2",
                f"the first segment {tin or ''!r} of {at} must be a valid 9-digit Greek TIN equal to "
                f"the seller's or the tax representative's VAT number without 'EL' (they give: {known})",
            )
        date = _seg(segs, 2)
        id_parts = date.split("/") if date else []
        if not (
            date is not None
            and normalize_space(date) != ""
            and DATE_RE.search(date)
            and len(id_parts) >= 3
            and len(issue_parts) >= 3
            and id_parts[0] == issue_parts[2]
            and id_parts[1] == issue_parts[1]
            and id_parts[2] == issue_parts[0]
        ):
            _add(
                found,
                "GR-R-001-3",
                f"the second segment {date or ''!r} of {at} must be the issue date as dd/mm/yyyy; "
                f"the issue date (cbc:IssueDate) is {issue_text!r}",
            )
        branch = _seg(segs, 3)
        stripped = (branch or "").strip(" \t\r\n")
        if not (
            branch is not None
            and normalize_space(branch) != ""
            and INTEGER_RE.fullmatch(stripped)
            and int(stripped) >= 0
        ):
            _add(
                found,
                "GR-R-001-4",
                f"the third segment {branch or ''!r} of {at} must be a whole number of 0 or more",
            )
        kind = _seg(segs, 4)
        if kind is None or normalize_space(kind) == "" or kind not in GREEK_DOC_TYPES:
            _add(
                found,
                "GR-R-001-5",
                f"the fourth segment {kind or ''!r} of {at} must be a Greek document type, one of "
                f"{', '.join(sorted(GREEK_DOC_TYPES))}",
            )
        for number, rule_id, name in ((5, "GR-R-001-6", "fifth"), (6, "GR-R-001-7", "sixth")):
            if not _seg(segs, number):
                _add(found, rule_id, f"the {name} segment of {at} is missing or empty")


def _vat_check(party: Element) -> tuple[bool, str]:
    """GR-S-011 / GR-R-006: exactly one VAT CompanyID, 'EL' and a valid TIN; and what was seen."""
    ids = [
        cid
        for pts in party.iterchildren(PTS)
        if _is_vat_scheme(pts)
        for cid in pts.iterchildren(COMPANY_ID)
    ]
    if not ids:
        return False, "there is none"
    if len(ids) > 1:
        listed = ", ".join(f"{string_value(c)!r} ({where(c)})" for c in ids)
        return False, f"there are {len(ids)}: {listed}"
    value = string_value(ids[0])
    if value[:2] == "EL" and tin_verification(value[2:]):
        return True, ""
    return False, f"it is {value!r} ({where(ids[0])})"


def _greek_endpoints(sellers: list[Element], found: Results) -> None:
    """GR-R-009 on each seller EndpointID of a seller whose own country is GR or EL."""
    for party in sellers:
        for node in party.iterchildren(ENDPOINT):
            _endpoint(found, "GR-R-009", "seller", node)


def _endpoint(found: Results, rule_id: str, who: str, node: Element) -> None:
    scheme = node.get("schemeID")
    value = string_value(node)
    if scheme == "9933" and tin_verification(value):
        return
    _add(
        found,
        rule_id,
        f"the {who}'s electronic address {value!r} (schemeID {scheme!r}, {where(node)}) must be a "
        "valid Greek TIN with schemeID 9933",
        "Ask the vendor to send the invoice with the Greek TIN as electronic address "
        "(schemeID 9933); it cannot be paid as sent.",
    )


def _greek(root: Element, seller: str) -> Results:
    found: Results = {}
    sides: dict[str, list[Element]] = {ASP: [], ACP: [], ADR: []}
    for node in root.iter(ASP, ACP, ADR):  # the contexts, wherever they are, in one pass
        sides[node.tag].append(node)
    sellers = [party for side in sides[ASP] for party in side.iterchildren(PARTY)]
    buyers = [party for side in sides[ACP] for party in side.iterchildren(PARTY)]
    customer = party_country(root, "cac:AccountingCustomerParty")
    greek_buyer = customer in ("GR", "EL")
    postal_gr = any(string_value(c) == "GR" for c in root.iterfind(SELLER_POSTAL_COUNTRY, NS))
    _greek_id(root, found)
    for party in sellers:
        name = _first_text(party, "cac:PartyName/cbc:Name")
        if not name:
            _add(
                found,
                "GR-R-002",
                f"the Greek seller ({where(party)}) has no name (cac:PartyName/cbc:Name)",
            )
        ok, seen = _vat_check(party)
        if not ok:
            _add(
                found,
                "GR-S-011",
                f"the Greek seller ({where(party)}) must give exactly one VAT number (BT-31) starting "
                f"with 'EL' followed by a valid TIN: {seen}",
            )
        for pts in party.iterchildren(PTS):
            if not _is_vat_scheme(pts):
                continue
            for cid in pts.iterchildren(COMPANY_ID):
                value = string_value(cid)
                if not (value[:2] == "EL" and tin_verification(value[2:])):
                    _add(
                        found,
                        "GR-R-003",
                        f"the Greek seller's VAT number {value!r} ({where(cid)}) must start with 'EL' "
                        "followed by a valid Greek TIN",
                    )
    if postal_gr:
        descriptions = [
            [string_value(d) for d in adr.iterchildren(DESCRIPTION)]
            for adr in root.iterchildren(ADR)
        ]
        marks = sum(1 for d in descriptions if MARK in d)
        urls = sum(1 for d in descriptions if URL in d)
        if marks != 1:
            _add(
                found,
                "GR-R-004-1",
                f"the document has {marks} MARK references (cac:AdditionalDocumentReference with "
                f"cbc:DocumentDescription '{MARK}'); a Greek supplier's invoice must have exactly one",
            )
        if urls != 1:
            _add(
                found,
                "GR-S-008-1",
                f"the document has {urls} invoice URL references (cac:AdditionalDocumentReference "
                f"with cbc:DocumentDescription '{URL}'); a Greek supplier's invoice should have one",
                "Note only; the invoice can be processed.",
            )
        if urls > 1:
            _add(
                found,
                "GR-R-008-2",
                f"the document has {urls} invoice URL references (cbc:DocumentDescription '{URL}'); "
                "a Greek supplier's invoice may have at most one",
            )
    for adr in sides[ADR]:
        described = [string_value(d) for d in adr.iterchildren(DESCRIPTION)]
        if postal_gr and MARK in described:
            for node in adr.iterchildren(ID):
                value = string_value(node)
                if not value or value[0] not in "123456789":
                    _add(
                        found,
                        "GR-R-004-2",
                        f"the MARK number {value!r} ({where(node)}) must be a positive whole number",
                    )
        if URL in described:
            uri = _first_text(adr, "cac:Attachment/cac:ExternalReference/cbc:URI")
            if normalize_space(uri) == "":
                _add(
                    found,
                    "GR-R-008-3",
                    f"the invoice URL reference ({where(adr)}) has no URI "
                    "(cac:Attachment/cac:ExternalReference/cbc:URI)",
                )
    for party in buyers:
        if not _first_text(party, "cac:PartyName/cbc:Name"):
            _add(
                found,
                "GR-R-005",
                f"the buyer ({where(party)}) has no name (cac:PartyName/cbc:Name)",
            )
    if seller in ("GR", "EL"):
        _greek_endpoints(sellers, found)
    if greek_buyer:
        for party in buyers:
            ok, seen = _vat_check(party)
            if not ok:
                _add(
                    found,
                    "GR-R-006",
                    f"the Greek buyer ({where(party)}) must have exactly one VAT number starting with "
                    f"'EL' followed by a valid TIN: {seen}",
                )
            for node in party.iterchildren(ENDPOINT):
                _endpoint(found, "GR-R-010", "Greek buyer", node)
    return found


def _italian(root: Element) -> Results:
    found: Results = {}
    for party in _parties(root, ASP):
        for pts in party.iterchildren(PTS):
            if normalize_space(_first_text(pts, TAX_SCHEME_ID)) == "VAT":
                continue
            node = pts.find(COMPANY_ID)
            value = normalize_space(string_value(node)) if node is not None else ""
            if not IT_TAX_ID_RE.fullmatch(value):
                at = where(node) if node is not None else f"missing in {where(pts)}"
                _add(
                    found,
                    "IT-R-001",
                    f"the Italian seller's tax registration identifier (BT-32) {value!r} ({at}) must "
                    "be 11 to 16 capital letters or digits",
                )
        address = party.findall("cac:PostalAddress", NS)
        for rule_id, element, bt in (
            ("IT-R-002", "StreetName", "BT-35"),
            ("IT-R-003", "CityName", "BT-37"),
            ("IT-R-004", "PostalZone", "BT-38"),
        ):
            if not any(a.find(_cbc(element)) is not None for a in address):
                _add(
                    found,
                    rule_id,
                    f"the Italian seller ({where(party)}) has no cac:PostalAddress/cbc:{element} ({bt})",
                )
    return found


# --- registration ------------------------------------------------------------------------------

RULES: tuple[tuple[str, Severity, str], ...] = (
    ("GR-R-001-1", Severity.BLOCK, "Greek supplier: the invoice number has 6 segments"),
    (
        "GR-R-001-2",
        Severity.BLOCK,
        "Greek supplier: invoice number segment 1 is the seller's valid TIN",
    ),
    ("GR-R-001-3", Severity.BLOCK, "Greek supplier: invoice number segment 2 is the issue date"),
    (
        "GR-R-001-4",
        Severity.BLOCK,
        "Greek supplier: invoice number segment 3 is a non-negative integer",
    ),
    (
        "GR-R-001-5",
        Severity.BLOCK,
        "Greek supplier: invoice number segment 4 is a Greek document type",
    ),
    ("GR-R-001-6", Severity.BLOCK, "Greek supplier: invoice number segment 5 is not empty"),
    ("GR-R-001-7", Severity.BLOCK, "Greek supplier: invoice number segment 6 is not empty"),
    ("GR-R-002", Severity.BLOCK, "Greek supplier: the seller's name is given"),
    ("GR-S-011", Severity.WARN, "Greek supplier: one seller VAT number, 'EL' and a valid TIN"),
    ("GR-R-003", Severity.BLOCK, "Greek supplier: the seller VAT number is 'EL' and a valid TIN"),
    ("GR-R-004-1", Severity.BLOCK, "Greek supplier: exactly one MARK number"),
    ("GR-S-008-1", Severity.WARN, "Greek supplier: one invoice URL"),
    ("GR-R-008-2", Severity.BLOCK, "Greek supplier: at most one invoice URL"),
    ("GR-R-004-2", Severity.BLOCK, "Greek supplier: the MARK number is a positive integer"),
    ("GR-R-008-3", Severity.BLOCK, "Greek supplier: the invoice URL reference has a URI"),
    ("GR-R-005", Severity.BLOCK, "Greek supplier: the buyer's name is given"),
    ("GR-R-009", Severity.BLOCK, "Greek supplier: the seller's electronic address is a TIN (9933)"),
    (
        "GR-R-006",
        Severity.BLOCK,
        "Greek supplier and buyer: the buyer's VAT number is 'EL' and a valid TIN",
    ),
    (
        "GR-R-010",
        Severity.BLOCK,
        "Greek supplier and buyer: the buyer's electronic address is a TIN (9933)",
    ),
    ("IT-R-001", Severity.BLOCK, "Italian supplier: BT-32 is 11 to 16 letters or digits"),
    ("IT-R-002", Severity.BLOCK, "Italian supplier: the seller's street (BT-35) is given"),
    ("IT-R-003", Severity.BLOCK, "Italian supplier: the seller's city (BT-37) is given"),
    ("IT-R-004", Severity.BLOCK, "Italian supplier: the seller's post code (BT-38) is given"),
)


RULES_OF_PACK = DocumentRules(PACK, results)
for _rule in RULES:
    RULES_OF_PACK.rule(*_rule)
