"""PEPPOL BIS Billing 3.0 (3.0.19) national rules for Denmark, Norway and Sweden.

Each rule is the Python reading of the assert of the same id in the PEPPOL UBL schematron
(PEPPOL-EN16931-UBL.sch), with the same applicability, decided as there:

- Norway (NO-R-001, NO-R-002): the seller party, when $supplierCountry is NO, i.e. the first two
  letters of the seller's VAT identifier (PartyTaxScheme with TaxScheme/ID 'VAT'), else of the
  tax representative's, else the seller's postal address country, upper-cased.
- Denmark (DK-R-nnn): $DKSupplierCountry / $DKCustomerCountry are the postal address country
  codes exactly as written (no trimming, no case folding). DK-R-002, -014 and -016 apply when
  the seller is in DK; the others when seller and buyer are; the payment means rules
  (DK-R-005..011) only to invoices, as in the schematron.
- Sweden (SE-R-nnn): the seller's postal address country is 'SE' (as written); SE-R-001, -002
  and -006 also need a seller VAT identifier starting with 'SE'; SE-R-012 a buyer in SE too.

A rule runs once per node of its schematron context and fires once per node that fails
(DK-R-013 once per party identification, DK-R-004 once per allowance or charge anywhere in the
document, SE-R-006 once per TaxCategory or ClassifiedTaxCategory of category S, ...). The check
digit functions are the schematron's: u:mod11 (Norwegian organisation numbers) and
u:checkSEOrgnr (Luhn over the first nine digits of a Swedish organisation number). number()
is XPath's (xs:double: blanks around, exponents and 'INF' are numbers, anything else NaN).

Only documents for PEPPOL BIS Billing 3.0 are checked (see _peppol_scope.claims_peppol_billing):
the EN 16931 examples of Danish and Norwegian invoices (CustomizationID urn:cen.eu:en16931:2017)
are not PEPPOL BIS documents and a PEPPOL validator would not judge them by these rules.
Where the schematron reads one value from a path that could hold several (two VAT
identifiers, two PaymentIDs), the first in document order is read.

Speed: whether a document can be Danish, Norwegian or Swedish is decided once per document
from one precompiled XPath shared with the German pack (`parties`); for any other document
every rule of this pack is a dictionary look-up. Otherwise all rules are evaluated together in
one pass and kept for that document only (`DocumentRules`).
"""

from __future__ import annotations

import re
from typing import TypeAlias

from lxml import etree

from payables.canonical import CanonicalInvoice
from payables.formats.ubl_model import CAC_NS, CBC_NS, CREDIT_NOTE_NS, UblDocument
from payables.rules.base import DocumentRules, Problem, RulePack, Severity
from payables.rules.packs.en16931_core import normalize_space, string_value, xs_double
from payables.rules.packs.peppol_national_de import parties

PACK = RulePack(
    "peppol-national-nordic",
    "3.0.19",
    source="PEPPOL",
    description="PEPPOL BIS Billing 3.0 national rules for Denmark (DK-R-nnn), Norway (NO-R-nnn) and Sweden (SE-R-nnn)",
)

Element: TypeAlias = etree._Element
Found: TypeAlias = dict[str, list[Problem]]


def _q(step: str) -> str:
    prefix, local = step.split(":")
    return f"{{{CAC_NS if prefix == 'cac' else CBC_NS}}}{local}"


def _path(*steps: str) -> str:
    return "/".join(_q(s) for s in steps)


_CREDIT_NOTE = f"{{{CREDIT_NOTE_NS}}}CreditNote"
_SUPPLIER_PARTY = _path("cac:AccountingSupplierParty", "cac:Party")
_CUSTOMER_PARTY = _path("cac:AccountingCustomerParty", "cac:Party")
_COUNTRY = _path("cac:PostalAddress", "cac:Country", "cbc:IdentificationCode")
_PTS = _q("cac:PartyTaxScheme")
_SCHEME_ID = _path("cac:TaxScheme", "cbc:ID")
_COMPANY_ID = _q("cbc:CompanyID")
_ID = _q("cbc:ID")
_LEGAL = _q("cac:PartyLegalEntity")
_LEGAL_ID = _path("cac:PartyLegalEntity", "cbc:CompanyID")
_PM = _q("cac:PaymentMeans")
_PM_CODE = _q("cbc:PaymentMeansCode")
_PAYMENT_ID = _q("cbc:PaymentID")
_PAYEE_ID = _path("cac:PayeeFinancialAccount", "cbc:ID")
_BRANCH_ID = _path("cac:PayeeFinancialAccount", "cac:FinancialInstitutionBranch", "cbc:ID")
_MANDATE_ID = _path("cac:PaymentMandate", "cbc:ID")
_PAYER_ID = _path("cac:PaymentMandate", "cac:PayerFinancialAccount", "cbc:ID")
_CLASSIFICATION = _path("cac:Item", "cac:CommodityClassification", "cbc:ItemClassificationCode")
_ALLOWANCE = _q("cac:AllowanceCharge")
_REASON_CODE = _q("cbc:AllowanceChargeReasonCode")
_REASON = _q("cbc:AllowanceChargeReason")
_TAX_CATEGORIES = (_q("cac:TaxCategory"), _q("cac:ClassifiedTaxCategory"))
_PERCENT = _q("cbc:Percent")

_DK_MEANS = " 1 10 31 42 48 49 50 58 59 93 97 "
_UNSPSC_VERSIONS = frozenset({"19.05.01", "19.0501", "26.08.01", "26.0801"})
_NO_VAT = re.compile(r"[0-9]{9}MVA")
_GIRO = re.compile(r"[0-9]{7,8}")
_DIGITS = re.compile(r"[0-9]+")
_F_SKATT = "GODKÄND FÖR F-SKATT"

_CORRECTED = "Ask the vendor for a corrected invoice; it cannot be paid as sent."
_NOTE = "Nothing to do before paying; tell the vendor so that their next invoices are right."


# -- XPath helpers ------------------------------------------------------------------------------


def _text(node: Element | None) -> str:
    return "" if node is None else string_value(node)


def _first_text(node: Element) -> str:
    """`x/text()` of an element: its first text node ('' when it has none)."""
    return node.text or ""


def _number(text: str) -> float | None:
    """XPath number(): None for NaN."""
    value = xs_double(text)
    return None if value is None or value != value else value


def _at(node: Element) -> str:
    q = etree.QName(node)
    prefix = "cac" if q.namespace == CAC_NS else "cbc" if q.namespace == CBC_NS else ""
    name = f"<{prefix}:{q.localname}>" if prefix else f"<{q.localname}>"
    return f"{name} (line {node.sourceline})" if node.sourceline else name


def _add(found: Found, rule_id: str, message: str, action: str = _CORRECTED) -> None:
    found.setdefault(rule_id, []).append(Problem(message, action))


def _vat_schemes(party: Element, trim: bool) -> list[Element]:
    """party/cac:PartyTaxScheme[cac:TaxScheme/cbc:ID = 'VAT'] (with normalize-space when `trim`)."""
    return [
        pts
        for pts in party.iterchildren(_PTS)
        if any(
            (normalize_space(string_value(i)) if trim else string_value(i)) == "VAT"
            for i in pts.iterfind(_SCHEME_ID)
        )
    ]


def _prefixes(party: Element | None, trim: bool = False) -> list[str]:
    """party/cac:PartyTaxScheme[VAT]/substring(cbc:CompanyID, 1, 2)."""
    if party is None:
        return []
    return [_text(pts.find(_COMPANY_ID))[:2] for pts in _vat_schemes(party, trim)]


def supplier_country(root: Element) -> str:
    """The schematron's $supplierCountry."""
    for party in (root.find(_SUPPLIER_PARTY), root.find(_q("cac:TaxRepresentativeParty"))):
        prefixes = [p for p in _prefixes(party) if p]
        if prefixes:
            return normalize_space(prefixes[0]).upper()
    code = root.find(_SUPPLIER_PARTY + "/" + _COUNTRY)
    return normalize_space(string_value(code)).upper() if code is not None else "XX"


def mod11(value: str) -> bool:
    """u:mod11: weights 2..7 from the right over all but the last digit, which is the check."""
    length = len(value) - 1
    digits = [ord(c) - 48 for c in value[:length]][::-1]
    weighted = sum(digits[i] * ((i % 6) + 2) for i in range(length))
    number = _number(value)
    check = _number(value[length : length + 1])
    return (
        number is not None
        and number > 0
        and check is not None
        and (11 - weighted % 11) % 11 == check
    )


def se_orgnr_ok(number: str) -> bool:
    """u:checkSEOrgnr: the 10th digit is the Luhn check digit of the first nine."""
    if not _DIGITS.fullmatch(number):
        return False
    main, check = number[:9], number[9:10]
    total = 0
    for pos in range(1, len(main) + 1):
        digit = int(main[len(main) - pos])
        total += (digit * 2) % 10 + (digit * 2) // 10 if pos % 2 == 1 else digit
    return check != "" and (10 - total % 10) % 10 == int(check)


# -- Norway ---------------------------------------------------------------------------------------


def _norway(party: Element, found: Found) -> None:
    tax = [
        pts
        for pts in party.iterchildren(_PTS)
        if any(normalize_space(string_value(i)) == "TAX" for i in pts.iterfind(_SCHEME_ID))
    ]
    register = normalize_space(_text(tax[0].find(_COMPANY_ID))) if tax else ""
    if register != "Foretaksregisteret":
        stated = f"states {register!r} at {_at(tax[0])}" if tax else "does not state it"
        _add(
            found,
            "NO-R-002",
            'Norwegian sellers that are companies must say "Foretaksregisteret" on the invoice '
            f"(<cac:PartyTaxScheme> with tax scheme TAX); the seller {stated}.",
            _NOTE,
        )
    vat = _vat_schemes(party, trim=True)
    ids = [_text(pts.find(_COMPANY_ID)) for pts in vat]
    if any(i[:2] == "NO" for i in ids):
        first = ids[0]
        ok = first[:2] == "NO" and _NO_VAT.fullmatch(first[2:]) is not None and mod11(first[2:11])
        if not ok:
            node = vat[0].find(_COMPANY_ID)
            _add(
                found,
                "NO-R-001",
                f"The seller's VAT identifier {first!r}{' at ' + _at(node) if node is not None else ''} is not "
                "NO followed by a valid Norwegian organisation number (nine digits, mod 11 check digit) "
                "and MVA.",
            )


# -- Denmark --------------------------------------------------------------------------------------


def _denmark(root: Element, dk_customer: bool, found: Found) -> None:
    credit_note = root.tag == _CREDIT_NOTE
    supplier = root.find(_SUPPLIER_PARTY)
    legal = root.find(_SUPPLIER_PARTY + "/" + _LEGAL_ID)
    if legal is None or not normalize_space(_first_text(legal)):
        where = f" ({_at(legal)} is empty)" if legal is not None else ""
        _add(
            found,
            "DK-R-002",
            f"The Danish seller gives no legal entity identifier (CVR number, <cac:PartyLegalEntity>/<cbc:CompanyID>){where}.",
        )
    if legal is not None and normalize_space(legal.get("schemeID", "")) != "0184":
        _add(
            found,
            "DK-R-014",
            f"The Danish seller's legal entity identifier {string_value(legal)!r} at {_at(legal)} has scheme "
            f"{legal.get('schemeID')!r}; it must be 0184 (DK CVR number).",
        )
    if credit_note and dk_customer:
        payable = root.find(_path("cac:LegalMonetaryTotal", "cbc:PayableAmount"))
        value = _number(_first_text(payable)) if payable is not None else None
        if payable is not None and value is not None and value < 0:
            _add(
                found,
                "DK-R-016",
                f"The Danish credit note has a negative amount due {_first_text(payable)!r} at {_at(payable)}; "
                "a credit note's total must not be negative.",
            )
    if not dk_customer:
        return
    customer = root.find(_CUSTOMER_PARTY)
    for party in (supplier, customer):
        if party is None:
            continue
        for ident in party.iterchildren(_q("cac:PartyIdentification")):
            id_node = ident.find(_ID)
            if id_node is not None and normalize_space(id_node.get("schemeID", "")) == "":
                who = "seller" if party is supplier else "buyer"
                _add(
                    found,
                    "DK-R-013",
                    f"The {who}'s identifier {string_value(id_node)!r} at {_at(id_node)} has no scheme "
                    "(schemeID); Danish invoices must state it.",
                )
    if not credit_note:
        for pm in root.iterchildren(_PM):
            _dk_payment_means(pm, found)
    line_tag = _q("cac:CreditNoteLine") if credit_note else _q("cac:InvoiceLine")
    for line in root.iterchildren(line_tag):
        codes = line.findall(_CLASSIFICATION)
        if any(c.get("listID") == "TST" for c in codes) and not any(
            c.get("listVersionID") in _UNSPSC_VERSIONS for c in codes
        ):
            versions = sorted(
                {c.get("listVersionID") or "none" for c in codes if c.get("listID") == "TST"}
            )
            _add(
                found,
                "DK-R-003",
                f"The line {_at(line)} classifies its item with UNSPSC version {', '.join(versions)}; "
                "Danish invoices should use version 19.05.01 or 26.08.01.",
                _NOTE,
            )
    for ac in root.iter(_ALLOWANCE):
        if not any(string_value(c) == "ZZZ" for c in ac.iterchildren(_REASON_CODE)):
            continue
        reason_node = ac.find(_REASON)
        reason = _text(reason_node)
        number = _number(reason)
        four_digits = (
            reason_node is not None
            and len(normalize_space(_first_text(reason_node))) == 4
            and number is not None
            and 0 <= number <= 9999
        )
        hashed = (
            reason_node is not None
            and "#" in reason
            and not reason.startswith("#")
            and not reason.endswith("#")
        )
        if not (four_digits or hashed):
            _add(
                found,
                "DK-R-004",
                f"The allowance or charge {_at(ac)} is a non-VAT tax (reason code ZZZ) but its reason "
                f"{reason!r} is neither the 4-digit tax category nor a text with '#' inside (not first or last).",
            )


def _dk_payment_means(pm: Element, found: Found) -> None:
    codes = [string_value(c) for c in pm.iterchildren(_PM_CODE)]
    code = codes[0] if codes else ""
    where = _at(pm)
    if f" {code} " not in _DK_MEANS:
        _add(
            found,
            "DK-R-005",
            f"The payment means code {code!r} at {where} is not one Danish suppliers may use "
            "(1, 10, 31, 42, 48, 49, 50, 58, 59, 93, 97).",
        )
    payee = pm.find(_PAYEE_ID)
    payee_text = _text(payee)
    payment_id = _text(pm.find(_PAYMENT_ID))
    prefix = payment_id[:3]
    if "31" in codes or "42" in codes:
        branch = pm.find(_BRANCH_ID)
        if not (
            payee is not None
            and normalize_space(_first_text(payee))
            and branch is not None
            and normalize_space(_first_text(branch))
        ):
            _add(
                found,
                "DK-R-006",
                f"The bank transfer (code {code}) at {where} must give both the account number "
                f"(<cac:PayeeFinancialAccount>/<cbc:ID>: {payee_text!r}) and the registration number "
                f"(<cac:FinancialInstitutionBranch>/<cbc:ID>: {_text(branch)!r}).",
            )
    if "49" in codes:
        mandate = pm.find(_MANDATE_ID)
        payer = pm.find(_PAYER_ID)
        if not (
            mandate is not None
            and normalize_space(_first_text(mandate))
            and payer is not None
            and normalize_space(_first_text(payer))
        ):
            _add(
                found,
                "DK-R-007",
                f"The direct debit (code 49) at {where} must give the mandate (<cac:PaymentMandate>/<cbc:ID>: "
                f"{_text(mandate)!r}) and the payer's account (<cac:PayerFinancialAccount>/<cbc:ID>: {_text(payer)!r}).",
            )
    if "50" in codes:
        if not (prefix in ("01#", "04#", "15#") and _GIRO.fullmatch(payee_text)):
            _add(
                found,
                "DK-R-008",
                f"The giro payment (code 50) at {where} needs a payment id starting with 01#, 04# or 15# "
                f"(it is {payment_id!r}) and a giro account of 7 or 8 digits (it is {payee_text!r}).",
            )
        if prefix in ("04#", "15#") and len(payment_id) != 19:
            _add(
                found,
                "DK-R-009",
                f"The giro payment id {payment_id!r} at {where} starts with {prefix} and must then hold the "
                "16-digit instruction id (19 characters in all).",
            )
    if "93" in codes:
        if not (
            prefix in ("71#", "73#", "75#") and payee is not None and len(_first_text(payee)) == 8
        ):
            _add(
                found,
                "DK-R-010",
                f"The FIK payment (code 93) at {where} needs a payment id starting with 71#, 73# or 75# "
                f"(it is {payment_id!r}) and a creditor number of exactly 8 characters (it is {payee_text!r}).",
            )
        if prefix in ("71#", "75#") and len(payment_id) not in (18, 19):
            _add(
                found,
                "DK-R-011",
                f"The FIK payment id {payment_id!r} at {where} starts with {prefix} and must then hold the "
                "15 or 16-digit instruction id (18 or 19 characters in all).",
            )


# -- Sweden ---------------------------------------------------------------------------------------


def _sweden(root: Element, party: Element, se_vat: bool, found: Found) -> None:
    if se_vat:
        vat = _vat_schemes(party, trim=False)
        node = vat[0].find(_COMPANY_ID) if vat else None
        vat_id = _text(node)
        where = f" at {_at(node)}" if node is not None else ""
        if len(normalize_space(vat_id)) != 14:
            _add(
                found,
                "SE-R-001",
                f"The Swedish seller's VAT identifier {vat_id!r}{where} has {len(normalize_space(vat_id))} "
                "characters; it must have 14 (SE, 10 digits, 01).",
            )
        if _number(vat_id[2:14]) is None:
            _add(
                found,
                "SE-R-002",
                f"The Swedish seller's VAT identifier {vat_id!r}{where}: the 12 characters after SE "
                f"({vat_id[2:14]!r}) are not a number.",
            )
    for legal in party.iterchildren(_LEGAL):
        company = legal.find(_COMPANY_ID)
        if company is None:
            continue
        value = string_value(company)
        if _number(value) is None:
            _add(
                found,
                "SE-R-003",
                f"The Swedish seller's organisation number {value!r} at {_at(company)} is not numeric.",
            )
        if len(normalize_space(value)) != 10:
            _add(
                found,
                "SE-R-004",
                f"The Swedish seller's organisation number {value!r} at {_at(company)} has "
                f"{len(normalize_space(value))} characters; it must have 10.",
            )
        if not se_orgnr_ok(normalize_space(value)):
            _add(
                found,
                "SE-R-013",
                f"The Swedish seller's organisation number {value!r} at {_at(company)} has a wrong check "
                "digit (Luhn).",
            )
    if party.find(_LEGAL_ID) is not None:
        for pts in party.iterchildren(_PTS):
            scheme = [normalize_space(string_value(i).upper()) for i in pts.iterfind(_SCHEME_ID)]
            if (scheme[0] if scheme else "") == "VAT":
                continue
            for company in pts.iterchildren(_COMPANY_ID):
                if normalize_space(string_value(company).upper()) != _F_SKATT:
                    _add(
                        found,
                        "SE-R-005",
                        f"The Swedish seller's tax registration {string_value(company)!r} at {_at(company)} "
                        "must read 'Godkänd för F-skatt'.",
                    )
    if se_vat:
        for category in root.iter(*_TAX_CATEGORIES):
            if not any(string_value(i) == "S" for i in category.iterchildren(_ID)):
                continue
            percent = category.find(_PERCENT)
            rate = _number(string_value(percent)) if percent is not None else None
            if rate not in (25.0, 12.0, 6.0):
                stated = repr(string_value(percent)) if percent is not None else "no rate"
                _add(
                    found,
                    "SE-R-006",
                    f"The standard rated VAT category {_at(category)} has rate {stated}; Swedish sellers "
                    "use 25, 12 or 6 %.",
                )
    se_customer = any(
        string_value(c) == "SE" for c in root.iterfind(_CUSTOMER_PARTY + "/" + _COUNTRY)
    )
    for pm in root.iter(_PM):
        codes = [string_value(c) for c in pm.iterchildren(_PM_CODE)]
        # normalize-space() of two codes or two branches is an error: such a node is no context
        code = normalize_space(codes[0]) if len(codes) == 1 else ""
        branches = pm.findall(_BRANCH_ID)
        branch = normalize_space(string_value(branches[0])) if len(branches) == 1 else ""
        if code == "30" and branch in ("SE:PLUSGIRO", "SE:BANKGIRO"):
            giro = "Plusgiro" if branch == "SE:PLUSGIRO" else "Bankgiro"
            numeric, length = (
                ("SE-R-007", "SE-R-010") if giro == "Plusgiro" else ("SE-R-008", "SE-R-009")
            )
            for account in pm.iterfind(_PAYEE_ID):
                value = normalize_space(string_value(account))
                if _number(value) is None:
                    _add(
                        found,
                        numeric,
                        f"The {giro} account {value!r} at {_at(account)} is not numeric.",
                        _NOTE,
                    )
                ok = 2 <= len(value) <= 8 if giro == "Plusgiro" else len(value) in (7, 8)
                if not ok:
                    _add(
                        found,
                        length,
                        f"The {giro} account {value!r} at {_at(account)} has {len(value)} characters; "
                        f"it should have {'2 to 8' if giro == 'Plusgiro' else '7 or 8'}.",
                        _NOTE,
                    )
        if "50" in codes or "56" in codes:
            _add(
                found,
                "SE-R-011",
                f"The payment means {_at(pm)} uses code {'50' if '50' in codes else '56'}; Swedish Bankgiro "
                "or Plusgiro should be stated as code 30 with branch SE:BANKGIRO or SE:PLUSGIRO.",
                _NOTE,
            )
        elif se_customer and "31" in codes:
            _add(
                found,
                "SE-R-012",
                f"The payment means {_at(pm)} uses code 31 between Swedish parties; a domestic credit "
                "transfer should use code 30.",
                _NOTE,
            )


# -- per document ---------------------------------------------------------------------------------


def evaluate(root: Element) -> Found:
    """Every DK-R, NO-R and SE-R finding on a document (empty unless one of them applies)."""
    found: Found = {}
    party = root.find(_SUPPLIER_PARTY)
    if party is None:
        return found
    codes = [string_value(c) for c in party.iterfind(_COUNTRY)]
    prefixes = _prefixes(party)
    if supplier_country(root) == "NO":
        _norway(party, found)
    if (codes[0] if codes else "") == "DK":
        customer_codes = [string_value(c) for c in root.iterfind(_CUSTOMER_PARTY + "/" + _COUNTRY)]
        _denmark(root, (customer_codes[0] if customer_codes else "") == "DK", found)
    if "SE" in codes:
        _sweden(root, party, "SE" in prefixes, found)
    return found


_COUNTRIES = frozenset({"DK", "NO", "SE"})


def _maybe_nordic_peppol(doc: UblDocument) -> bool:
    """False when no rule of this pack can apply: not a PEPPOL BIS document, or nothing the
    countries are read from (seller postal country, a seller or tax representative tax
    identifier starting with NO) says DK, NO or SE. A superset of the documents the rules
    apply to: `evaluate` then decides exactly."""
    known = parties(doc)
    return known.peppol and (
        known.norwegian_id or normalize_space(known.supplier_country).upper() in _COUNTRIES
    )


_NONE: Found = {}
def findings(inv: CanonicalInvoice) -> Found:
    """The findings of this pack on `inv` (DocumentRules keeps them for the document)."""
    doc = inv.ubl
    if doc is None:
        return _NONE
    return (evaluate(doc.root) or _NONE) if _maybe_nordic_peppol(doc) else _NONE


RULES: tuple[tuple[str, Severity, str, str], ...] = (
    (
        "NO-R-001",
        Severity.BLOCK,
        "A Norwegian VAT identifier is NO + a valid organisation number + MVA",
        "NO",
    ),
    ("NO-R-002", Severity.WARN, "Norwegian sellers state 'Foretaksregisteret'", "NO"),
    (
        "DK-R-002",
        Severity.BLOCK,
        "Danish sellers give their legal entity identifier (CVR number)",
        "DK",
    ),
    (
        "DK-R-003",
        Severity.WARN,
        "Danish item classifications use UNSPSC 19.05.01 or 26.08.01",
        "DK2",
    ),
    (
        "DK-R-004",
        Severity.BLOCK,
        "Danish non-VAT taxes (ZZZ) state the tax category in the reason",
        "DK2",
    ),
    ("DK-R-005", Severity.BLOCK, "Danish payment means codes are among those allowed", "DK2"),
    (
        "DK-R-006",
        Severity.BLOCK,
        "Danish bank transfers (31, 42) give account and registration number",
        "DK2",
    ),
    ("DK-R-007", Severity.BLOCK, "Danish direct debits (49) give mandate and payer account", "DK2"),
    (
        "DK-R-008",
        Severity.BLOCK,
        "Danish giro payments (50) give card type code and giro account",
        "DK2",
    ),
    (
        "DK-R-009",
        Severity.BLOCK,
        "Danish giro payment ids 04#/15# carry the 16-digit instruction id",
        "DK2",
    ),
    (
        "DK-R-010",
        Severity.BLOCK,
        "Danish FIK payments (93) give card type code and 8-character creditor number",
        "DK2",
    ),
    (
        "DK-R-011",
        Severity.BLOCK,
        "Danish FIK payment ids 71#/75# carry the 15-16 digit instruction id",
        "DK2",
    ),
    ("DK-R-013", Severity.BLOCK, "Danish party identifiers state their scheme", "DK2"),
    (
        "DK-R-014",
        Severity.BLOCK,
        "A Danish seller's legal entity identifier has scheme 0184 (CVR)",
        "DK",
    ),
    ("DK-R-016", Severity.BLOCK, "A Danish credit note has no negative total", "DK"),
    ("SE-R-001", Severity.BLOCK, "A Swedish VAT identifier has 14 characters", "SE"),
    ("SE-R-002", Severity.BLOCK, "A Swedish VAT identifier is numeric after SE", "SE"),
    ("SE-R-003", Severity.BLOCK, "A Swedish organisation number is numeric", "SE"),
    ("SE-R-004", Severity.BLOCK, "A Swedish organisation number has 10 characters", "SE"),
    (
        "SE-R-005",
        Severity.BLOCK,
        "A Swedish seller tax registration reads 'Godkänd för F-skatt'",
        "SE",
    ),
    ("SE-R-006", Severity.BLOCK, "Swedish standard VAT rates are 25, 12 or 6 %", "SE"),
    ("SE-R-007", Severity.WARN, "A Swedish Plusgiro account is numeric", "SE"),
    ("SE-R-008", Severity.WARN, "A Swedish Bankgiro account is numeric", "SE"),
    ("SE-R-009", Severity.WARN, "A Swedish Bankgiro account has 7 or 8 characters", "SE"),
    ("SE-R-010", Severity.WARN, "A Swedish Plusgiro account has 2 to 8 characters", "SE"),
    ("SE-R-011", Severity.WARN, "Swedish Bankgiro/Plusgiro use payment means code 30", "SE"),
    (
        "SE-R-012",
        Severity.WARN,
        "Domestic Swedish credit transfers use payment means code 30",
        "SE",
    ),
    (
        "SE-R-013",
        Severity.BLOCK,
        "A Swedish organisation number has a valid Luhn check digit",
        "SE",
    ),
)

_SCOPES = {
    "NO": "seller in Norway (VAT identifier prefix, else postal address country NO)",
    "DK": "seller in Denmark (postal address country DK)",
    "DK2": "seller and buyer in Denmark (postal address country DK)",
    "SE": "seller in Sweden (postal address country SE)",
}


RULES_OF_PACK = DocumentRules(PACK, findings)
for _id, _severity, _title, _scope in RULES:
    RULES_OF_PACK.rule(_id, _severity, _title, scope_note=_SCOPES[_scope])
