"""PEPPOL BIS Billing 3.0 rules (release 3.0.19) for UBL invoices and credit notes.

Each rule is the Python reading of the assertion of the same id in the official UBL schematron
(OpenPEPPOL peppol-bis-invoice-3, v3.0.19, rules/sch/PEPPOL-EN16931-UBL.sch, EUPL 1.2): the
generic rules PEPPOL-EN16931-R*, -P*, -CL*, -F001 and PEPPOL-COMMON-R040 to R050. The national
rules of the same schematron (DE-R, DK-R, GR-R, IS-R, IT-R, NL-R, NO-R, SE-R) are elsewhere.
Code lists are in peppol_bis3_data (generated from the schematron).

What is kept from the schematron:
- the contexts: a rule runs once per context node, anywhere in the document unless the context
  is anchored at the root (`ubl-invoice:Invoice/cac:AllowanceCharge`: document level and line
  level allowances/charges only; an InvoiceLine counts only under an Invoice, a CreditNoteLine
  only under a CreditNote); within one schematron pattern a node is tested only by the first
  rule whose context it matches, so an allowance/charge with a percentage but no base amount
  gets R041 and neither R040 nor R043;
- the tests: `normalize-space` strips and collapses XML whitespace only; `@currencyID =
  $documentCurrencyCode` and the code-list tests of CL001/CL007/CL008 compare exactly (no
  whitespace stripping); `cbc:ChargeIndicator = 'false'` (CL002/CL003) is an exact string
  comparison while R044/R120 normalize it; numbers are Decimal (xs:decimal), never float;
  R120 rounds the line allowance/charge sums as XPath `round` does (half toward +infinity);
  u:gln, u:mod11, u:mod97-0208, u:checkCodiceIPA, u:checkCF, u:checkPIVAseIT, u:checkSEOrgnr
  and u:abn are reimplemented digit for digit;
- which documents: only those that claim PEPPOL BIS Billing 3.0 or EHF 3.0, or state no
  specification identifier (`_peppol_scope.claims_peppol_billing`), as a PEPPOL validator picks this
  schematron by the specification identifier; so R004 fires on an EHF 3.0 identifier or on one
  that names PEPPOL billing 3.0 without starting with the PEPPOL identifier, not on a plain
  EN 16931 invoice;
- a context predicate that raises an error (upper-case() or normalize-space() of two elements:
  two TaxExemptionReasonCode in a TaxCategory, two PaymentMeansCode) does not match, as in XSLT;
- where the schematron would stop with a dynamic error (a number or date that cannot be cast)
  the rule reports nothing: the malformed value is reported by the decimal / date rules
  (PEPPOL-EN16931-F001, BR-DEC) instead.

Checked against the schematron itself: on about 8,600 mutated documents (the PEPPOL examples
and unit-test fragments with elements removed, duplicated, re-valued), the counts per rule id
agree with those of the schematron's asserts run by Saxon (documents on which Saxon stops with
a dynamic error left out).

Speed: one pass over the document's elements (lxml `iter`) serves every rule (about 180 us
for a 175-element PEPPOL invoice); its result is kept for the last 8 documents (keyed by the
identity of the lxml root), so the 56 rules cost one pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import ROUND_FLOOR, Context, Decimal
from functools import lru_cache

from lxml import etree

from payables.canonical import CanonicalInvoice
from payables.formats.ubl_model import (
    AMOUNT_ELEMENTS,
    CAC_NS,
    CBC_NS,
    CREDIT_NOTE_NS,
    INVOICE_NS,
    qname,
    xs_decimal,
)
from payables.rules.base import Problem, RuleContext, RulePack, Severity
from payables.rules.packs import peppol_bis3_data as codes
from payables.rules.packs._peppol_scope import claims_peppol_billing

PACK = RulePack(
    "peppol-bis3",
    "3.0.19",
    source="PEPPOL",
    description=(
        "PEPPOL BIS Billing 3.0 generic rules (PEPPOL-EN16931-R/P/CL/F001, PEPPOL-COMMON-R040 "
        "to R050) for UBL invoices and credit notes"
    ),
)

_CBC = f"{{{CBC_NS}}}"
_CAC = f"{{{CAC_NS}}}"
_CAC_ACCOUNTINGCUSTOMERPARTY = f"{_CAC}AccountingCustomerParty"
_CAC_ACCOUNTINGSUPPLIERPARTY = f"{_CAC}AccountingSupplierParty"
_CAC_ADDITIONALDOCUMENTREFERENCE = f"{_CAC}AdditionalDocumentReference"
_CAC_ALLOWANCECHARGE = f"{_CAC}AllowanceCharge"
_CAC_CREDITNOTELINE = f"{_CAC}CreditNoteLine"
_CAC_DOCUMENTREFERENCE = f"{_CAC}DocumentReference"
_CAC_INVOICELINE = f"{_CAC}InvoiceLine"
_CAC_INVOICEPERIOD = f"{_CAC}InvoicePeriod"
_CAC_ORDERREFERENCE = f"{_CAC}OrderReference"
_CAC_PARTY = f"{_CAC}Party"
_CAC_PARTYIDENTIFICATION = f"{_CAC}PartyIdentification"
_CAC_PAYMENTMANDATE = f"{_CAC}PaymentMandate"
_CAC_PAYMENTMEANS = f"{_CAC}PaymentMeans"
_CAC_PRICE = f"{_CAC}Price"
_CAC_TAXCATEGORY = f"{_CAC}TaxCategory"
_CAC_TAXSUBTOTAL = f"{_CAC}TaxSubtotal"
_CAC_TAXTOTAL = f"{_CAC}TaxTotal"
_CBC_ALLOWANCECHARGEREASONCODE = f"{_CBC}AllowanceChargeReasonCode"
_CBC_AMOUNT = f"{_CBC}Amount"
_CBC_BASEAMOUNT = f"{_CBC}BaseAmount"
_CBC_BASEQUANTITY = f"{_CBC}BaseQuantity"
_CBC_BUYERREFERENCE = f"{_CBC}BuyerReference"
_CBC_CHARGEINDICATOR = f"{_CBC}ChargeIndicator"
_CBC_COMPANYID = f"{_CBC}CompanyID"
_CBC_CREDITEDQUANTITY = f"{_CBC}CreditedQuantity"
_CBC_CREDITNOTETYPECODE = f"{_CBC}CreditNoteTypeCode"
_CBC_CUSTOMIZATIONID = f"{_CBC}CustomizationID"
_CBC_DESCRIPTIONCODE = f"{_CBC}DescriptionCode"
_CBC_DOCUMENTCURRENCYCODE = f"{_CBC}DocumentCurrencyCode"
_CBC_DOCUMENTTYPECODE = f"{_CBC}DocumentTypeCode"
_CBC_EMBEDDEDDOCUMENTBINARYOBJECT = f"{_CBC}EmbeddedDocumentBinaryObject"
_CBC_ENDDATE = f"{_CBC}EndDate"
_CBC_ENDPOINTID = f"{_CBC}EndpointID"
_CBC_ID = f"{_CBC}ID"
_CBC_INVOICEDQUANTITY = f"{_CBC}InvoicedQuantity"
_CBC_INVOICETYPECODE = f"{_CBC}InvoiceTypeCode"
_CBC_LINEEXTENSIONAMOUNT = f"{_CBC}LineExtensionAmount"
_CBC_MULTIPLIERFACTORNUMERIC = f"{_CBC}MultiplierFactorNumeric"
_CBC_NOTE = f"{_CBC}Note"
_CBC_PAYMENTMEANSCODE = f"{_CBC}PaymentMeansCode"
_CBC_PRICEAMOUNT = f"{_CBC}PriceAmount"
_CBC_PROFILEID = f"{_CBC}ProfileID"
_CBC_STARTDATE = f"{_CBC}StartDate"
_CBC_TAXAMOUNT = f"{_CBC}TaxAmount"
_CBC_TAXCURRENCYCODE = f"{_CBC}TaxCurrencyCode"
_CBC_TAXEXEMPTIONREASONCODE = f"{_CBC}TaxExemptionReasonCode"
_CAC_POSTALADDRESS = f"{_CAC}PostalAddress"
_CAC_COUNTRY = f"{_CAC}Country"
_CBC_IDENTIFICATIONCODE = f"{_CBC}IdentificationCode"
_INVOICE = f"{{{INVOICE_NS}}}Invoice"
_CREDIT_NOTE = f"{{{CREDIT_NOTE_NS}}}CreditNote"
_WS = re.compile(r"[ \t\r\n]+")
_XML_SPACE = " \t\r\n"
_PROFILE = re.compile(r"urn:fdc:peppol.eu:2017:poacc:billing:([0-9]{2}):1.0")
_SPEC_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
_DIGITS = re.compile(r"[0-9]+")
_XS_INTEGER = re.compile(r"[+-]?[0-9]+")
_XS_DATE = re.compile(r"(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})(Z|[+-][0-9]{2}:[0-9]{2})?")
_DATE10 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_XS_DOUBLE = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_ALPHA = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_ALNUM = _ALPHA | frozenset("0123456789")
_SLACK = Decimal("0.02")
_HUNDRED = Decimal(100)
_HALF = Decimal("0.5")
_DIVISION = Context(prec=40)

_ASK = "Ask the vendor for a corrected document"
_PEPPOL = "; the PEPPOL BIS 3 validator rejects the document as sent."
_PEPPOL_WARN = "; the PEPPOL BIS 3 validator only warns about it."

Found = dict[str, list[Problem]]


# --- XPath helpers --------------------------------------------------------------------------


def _ns(text: str) -> str:
    """normalize-space(): XML whitespace runs collapsed to one space, stripped at both ends."""
    text = text.strip(_XML_SPACE)
    if " " in text or "\t" in text or "\n" in text or "\r" in text:
        return _WS.sub(" ", text)
    return text


def _string(node: etree._Element) -> str:
    """The string value of an element (`string(.)`), comments and processing instructions excluded."""
    return "".join(node.itertext()) if len(node) else node.text or ""


def _first(parent: etree._Element, tag: str) -> etree._Element | None:
    return next(parent.iterchildren(tag), None)


def _first_string(parent: etree._Element, tag: str) -> str:
    node = _first(parent, tag)
    return "" if node is None else _string(node)


def _has(parent: etree._Element, tag: str) -> bool:
    return next(parent.iterchildren(tag), None) is not None


def _decimal(node: etree._Element | None) -> Decimal | None:
    return None if node is None else xs_decimal(_string(node))


def _double(text: str) -> Decimal | None:
    """An untyped value as a number for a general comparison with a number (xs:double)."""
    text = text.strip(_XML_SPACE)
    return Decimal(text) if _XS_DOUBLE.fullmatch(text) else None


def _xs_date(text: str) -> date | None:
    """`text` cast to xs:date (the date part; a timezone is accepted and ignored), or None."""
    if len(text) == 10 and _DATE10.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    match = _XS_DATE.fullmatch(text.strip(_XML_SPACE))
    if match is None or len(match.group(1)) != 4:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _xpath_round(value: Decimal) -> Decimal:
    """XPath round(): the nearest integer, halves toward positive infinity."""
    return (value + _HALF).to_integral_value(rounding=ROUND_FLOOR)


def _at(node: etree._Element) -> str:
    return f" (line {node.sourceline})" if node.sourceline else ""


def _shown(value: str) -> str:
    return f"'{_ns(value)}'" if value.strip(_XML_SPACE) else "'' (empty)"


def _name(node: etree._Element) -> str:
    """'cac:PaymentMeans/cbc:PaymentMeansCode' for an element and its parent."""
    parent = node.getparent()
    return f"{qname(parent)}/{qname(node)}" if parent is not None else qname(node)


def _add(found: Found, rule_id: str, message: str) -> None:
    found.setdefault(rule_id, []).append(Problem(message, ACTIONS[rule_id]))


# --- identifier check digits (the u: functions of the schematron) ------------------------


def gln(value: str) -> bool:
    """u:gln: GS1 check digit (weights 3, 1, 3, ... from the right of the body)."""
    body, check = value[:-1], value[-1:]
    digits = [ord(c) - 48 for c in reversed(body)]
    weighted = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(digits))
    return check.isdigit() and (10 - weighted % 10) % 10 == int(check)


def mod11(value: str) -> bool:
    """u:mod11: Norwegian organisation number (weights 2..7 from the right of the body)."""
    body, check = value[:-1], value[-1:]
    digits = [ord(c) - 48 for c in reversed(body)]
    weighted = sum(d * (i % 6 + 2) for i, d in enumerate(digits))
    return (
        int(value) > 0
        and check.isdigit()
        and (11 - weighted % 11) % 11 == int(check)
    )


def mod97_0208(value: str) -> bool:
    """u:mod97-0208: Belgian enterprise number, digits 9-10 = 97 - (digits 1-8 mod 97)."""
    return int(value[8:10]) == 97 - int(value[:8]) % 97


def codice_ipa(value: str) -> bool:
    """u:checkCodiceIPA: 6 ASCII letters or digits."""
    return len(value) == 6 and all(c in _ALNUM for c in value)


def _letters(value: str) -> bool:
    return all(c in _ALPHA for c in value)


def _castable_integer(value: str) -> bool:
    return _XS_INTEGER.fullmatch(value.strip(_XML_SPACE)) is not None


def codice_fiscale(value: str) -> bool:
    """u:checkCF: 16 characters in the personal tax code pattern, or 11 digits (an integer)."""
    if len(value) == 16:
        return (
            _letters(value[0:6])
            and _castable_integer(value[6:8])
            and _letters(value[8:9])
            and _castable_integer(value[9:11])
            and _castable_integer(value[14:15])
            and _letters(value[15:16])
        )
    return len(value) == 11 and _castable_integer(value)


def _piva_sum(value: str) -> int | None:
    """u:addPIVA from the first digit, alternately plain and doubled (Luhn); None on an error."""
    total = 0
    for position, char in enumerate(value):
        if not char.isdigit() or not "0" <= char <= "9":
            return None  # xs:integer() of a sign or a space: a dynamic error
        digit = ord(char) - 48
        total += int("0246813579"[digit]) if position % 2 else digit
    return total


def partita_iva(value: str) -> bool:
    """u:checkPIVAseIT: an 'IT' or 'it' prefix must be followed by 11 digits passing Luhn."""
    if value[:2] not in ("IT", "it"):
        return True
    code = value[2:]
    if len(code) != 11 or not _castable_integer(code):
        return False
    total = _piva_sum(code)
    return total is not None and total % 10 == 0


def se_orgnr(value: str) -> bool:
    """u:checkSEOrgnr: Luhn check digit (10th) over the first 9 digits."""
    if _DIGITS.fullmatch(value) is None:
        return False
    main, check = value[:9], value[9:10]
    total = 0
    for pos, char in enumerate(reversed(main), 1):
        digit = ord(char) - 48
        total += (digit * 2) % 10 + (digit * 2) // 10 if pos % 2 == 1 else digit
    return check != "" and (10 - total % 10) % 10 == int(check)


_ABN_WEIGHTS = (10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19)


def abn(value: str) -> bool:
    """u:abn: Australian Business Number (first digit minus 1, weights 10, 1, 3, ..., 19, mod 89)."""
    digits = [ord(c) - 48 for c in value]
    digits[0] -= 1
    return sum(d * w for d, w in zip(digits, _ABN_WEIGHTS, strict=True)) % 89 == 0


def _xs_number(value: str) -> bool:
    """string(number(.)) != 'NaN'."""
    text = value.strip(_XML_SPACE)
    return text in ("INF", "-INF", "+INF") or _XS_DOUBLE.fullmatch(text) is not None


# --- scheme identifier rules (PEPPOL-COMMON-R040 to R050) ---------------------------------


def _dk_cvr(raw: str) -> bool:
    def digits_only(s: str) -> bool:
        return all(c in "1234567890" for c in s)

    return (len(raw) == 10 and raw[:2] == "DK" and digits_only(raw[2:10])) or (
        len(raw) == 8 and digits_only(raw)
    )


# schemeID -> (rule id, what the identifier is, test on (normalized value, raw string value))
_SCHEMES: dict[str, tuple[str, str, Callable[[str, str], bool]]] = {
    "0088": (
        "PEPPOL-COMMON-R040",
        "a GLN (GS1 format with a valid check digit)",
        lambda v, _: _DIGITS.fullmatch(v) is not None and gln(v),
    ),
    "0192": (
        "PEPPOL-COMMON-R041",
        "a Norwegian organisation number (9 digits with a valid mod 11 check digit)",
        lambda v, _: re.fullmatch(r"[0-9]{9}", v) is not None and mod11(v),
    ),
    "0184": (
        "PEPPOL-COMMON-R042",
        "a Danish CVR number (8 digits, or DK and 8 digits)",
        lambda _, raw: _dk_cvr(raw),
    ),
    "0208": (
        "PEPPOL-COMMON-R043",
        "a Belgian enterprise number (10 digits with a valid mod 97 check)",
        lambda v, _: re.fullmatch(r"[0-9]{10}", v) is not None and mod97_0208(v),
    ),
    "0201": (
        "PEPPOL-COMMON-R044",
        "an Italian IPA code (6 letters or digits)",
        lambda v, _: codice_ipa(v),
    ),
    "0210": (
        "PEPPOL-COMMON-R045",
        "an Italian Codice Fiscale (16 characters in the tax code pattern, or 11 digits)",
        lambda v, _: codice_fiscale(v),
    ),
    "0211": (
        "PEPPOL-COMMON-R047",
        "an Italian Partita IVA (IT and 11 digits with a valid check digit)",
        lambda v, _: partita_iva(v),
    ),
    "0007": (
        "PEPPOL-COMMON-R049",
        "a Swedish organisation number (10 digits with a valid Luhn check digit)",
        lambda v, _: len(v) == 10 and _xs_number(v) and se_orgnr(v),
    ),
    "0151": (
        "PEPPOL-COMMON-R050",
        "an Australian Business Number (11 digits with a valid mod 89 check)",
        lambda v, _: re.fullmatch(r"[0-9]{11}", v) is not None and abn(v),
    ),
}
_ENDPOINT_ONLY_SCHEMES = {
    "9907": (
        "PEPPOL-COMMON-R046",
        "an Italian Codice Fiscale (16 characters in the tax code pattern, or 11 digits)",
        lambda v, _: codice_fiscale(v),
    )
}


def _scheme_id(node: etree._Element, scheme: str | None, found: Found, endpoint: bool) -> None:
    if scheme is None:
        return
    spec = _SCHEMES.get(scheme) or (_ENDPOINT_ONLY_SCHEMES.get(scheme) if endpoint else None)
    if spec is None:
        return
    rule_id, what, test = spec
    raw = _string(node)
    if test(_ns(raw), raw):
        return
    _add(
        found,
        rule_id,
        f"{_name(node)} {_shown(raw)}{_at(node)} has schemeID {scheme} but is not {what}",
    )


# --- the pass over the document ------------------------------------------------------------


class _Doc:
    """What the rules need of the whole document, computed once."""

    __slots__ = (
        "root", "invoice", "kind", "profile", "both_de", "currencies", "line_tag", "_periods"
    )

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.invoice = root.tag == _INVOICE
        self.kind = "invoice" if self.invoice else "credit note"
        self.line_tag = _CAC_INVOICELINE if self.invoice else _CAC_CREDITNOTELINE
        profile_node = _first(root, _CBC_PROFILEID)
        profile = "Unknown"
        if profile_node is not None:
            value = _ns(_string(profile_node))
            if _PROFILE.search(value):
                profile = value.split(":")[6]
        self.profile = profile
        self.both_de = self._country_de(root, _CAC_ACCOUNTINGSUPPLIERPARTY) and self._country_de(
            root, _CAC_ACCOUNTINGCUSTOMERPARTY
        )
        self.currencies = [_string(n) for n in root.iterchildren(_CBC_DOCUMENTCURRENCYCODE)]
        self._periods: dict[str, date | None] = {}

    def period_date(self, tag: str) -> date | None:
        """The document's InvoicePeriod start or end date (`tag`) as xs:date, None when it has
        none or it is not a date (R110/R111 then do not run)."""
        if tag not in self._periods:
            found = None
            for period in self.root.iterchildren(_CAC_INVOICEPERIOD):
                node = _first(period, tag)
                if node is not None:
                    found = _xs_date(_string(node))
                    break
            self._periods[tag] = found
        return self._periods[tag]

    @staticmethod
    def _country_de(root: etree._Element, party: str) -> bool:
        """upper-case(normalize-space(/*/cac:{party}/cac:Party/cac:PostalAddress/cac:Country/
        cbc:IdentificationCode)) = 'DE' (the first such code)."""
        node: etree._Element | None = root
        for tag in (party, _CAC_PARTY, _CAC_POSTALADDRESS, _CAC_COUNTRY):
            node = _first(node, tag) if node is not None else None
        code = _first(node, _CBC_IDENTIFICATIONCODE) if node is not None else None
        return code is not None and _ns(_string(code)).upper() == "DE"


def _document(doc: _Doc, found: Found) -> None:
    root = doc.root
    kind = doc.kind
    where = f"the {kind}{_at(root)}"
    if not doc.invoice:  # R080 has a CreditNote context only
        projects = [
            ref
            for ref in root.iterchildren(_CAC_ADDITIONALDOCUMENTREFERENCE)
            if any(_string(t) == "50" for t in ref.iterchildren(_CBC_DOCUMENTTYPECODE))
        ]
        if len(projects) > 1:
            lines = ", ".join(str(p.sourceline) for p in projects)
            _add(
                found,
                "PEPPOL-EN16931-R080",
                f"{where} has {len(projects)} project references (AdditionalDocumentReference "
                f"with DocumentTypeCode 50, lines {lines}); at most one is allowed",
            )
    profile_node = _first(root, _CBC_PROFILEID)
    if profile_node is None:
        _add(found, "PEPPOL-EN16931-R001", f"{where} has no cbc:ProfileID (business process)")
    if doc.profile == "Unknown":
        shown = "absent" if profile_node is None else _shown(_string(profile_node))
        _add(
            found,
            "PEPPOL-EN16931-R007",
            f"the ProfileID of {where} is {shown}, not of the form "
            "'urn:fdc:peppol.eu:2017:poacc:billing:NN:1.0'",
        )
    notes = list(root.iterchildren(_CBC_NOTE))
    if len(notes) > 1 and not doc.both_de:
        _add(
            found,
            "PEPPOL-EN16931-R002",
            f"{where} has {len(notes)} document level cbc:Note elements (lines "
            f"{', '.join(str(n.sourceline) for n in notes)}); at most one is allowed unless "
            "seller and buyer are both in Germany",
        )
    if not _has(root, _CBC_BUYERREFERENCE) and not any(
        _has(o, _CBC_ID) for o in root.iterchildren(_CAC_ORDERREFERENCE)
    ):
        _add(
            found,
            "PEPPOL-EN16931-R003",
            f"{where} has neither a buyer reference (cbc:BuyerReference) nor a purchase order "
            "reference (cac:OrderReference/cbc:ID)",
        )
    spec = _first(root, _CBC_CUSTOMIZATIONID)
    spec_text = "" if spec is None else spec.text or ""
    if not _ns(spec_text).startswith(_SPEC_ID):
        shown = "absent" if spec is None else _shown(spec_text)
        _add(
            found,
            "PEPPOL-EN16931-R004",
            f"the CustomizationID of {where} is {shown}; it must start with '{_SPEC_ID}'",
        )
    tax_totals = list(root.iterchildren(_CAC_TAXTOTAL))
    with_sub = [t for t in tax_totals if _has(t, _CAC_TAXSUBTOTAL)]
    without_sub = [t for t in tax_totals if not _has(t, _CAC_TAXSUBTOTAL)]
    if len(with_sub) != 1:
        _add(
            found,
            "PEPPOL-EN16931-R053",
            f"{where} has {len(with_sub)} cac:TaxTotal elements with VAT breakdown "
            "(cac:TaxSubtotal); exactly one is required",
        )
    tax_currency = _first(root, _CBC_TAXCURRENCYCODE)
    expected = 0 if tax_currency is None else 1
    if len(without_sub) != expected:
        reason = (
            "none is allowed without a tax currency code (cbc:TaxCurrencyCode)"
            if tax_currency is None
            else f"exactly one is required with tax currency code {_shown(_string(tax_currency))}"
        )
        _add(
            found,
            "PEPPOL-EN16931-R054",
            f"{where} has {len(without_sub)} cac:TaxTotal elements without VAT breakdown; {reason}",
        )
    if tax_currency is not None:
        _vat_signs(doc, tax_totals, tax_currency, found)


def _vat_signs(
    doc: _Doc, tax_totals: list[etree._Element], tax_currency: etree._Element, found: Found
) -> None:  # R055
    accounting = _ns(_string(tax_currency))
    document = _ns(doc.currencies[0]) if doc.currencies else ""
    amounts = [
        (a.get("currencyID"), _double(_string(a)), a)
        for t in tax_totals
        for a in t.iterchildren(_CBC_TAXAMOUNT)
    ]
    in_tax = [v for c, v, _ in amounts if c == accounting and v is not None]
    in_doc = [v for c, v, _ in amounts if c == document and v is not None]
    negative = any(v <= 0 for v in in_tax) and any(v <= 0 for v in in_doc)
    positive = any(v >= 0 for v in in_tax) and any(v >= 0 for v in in_doc)
    if negative or positive:
        return
    shown = "; ".join(
        f"{_string(a).strip()} {c or '(no currencyID)'} (line {a.sourceline})" for c, _, a in amounts
    )
    _add(
        found,
        "PEPPOL-EN16931-R055",
        f"the total VAT amounts of the {doc.kind} in {document or '(no currency)'} and in the "
        f"VAT accounting currency {accounting or '(empty)'} do not have the same sign "
        f"(or one of them is missing): {shown or 'no cbc:TaxAmount'}",
    )


def _tax_currency(node: etree._Element, doc: _Doc, found: Found) -> None:  # R005
    parent = node.getparent()
    own = _ns(node.text or "")
    other = _first(parent, _CBC_DOCUMENTCURRENCYCODE) if parent is not None else None
    if own != _ns("" if other is None else other.text or ""):
        return
    _add(
        found,
        "PEPPOL-EN16931-R005",
        f"the VAT accounting currency (cbc:TaxCurrencyCode{_at(node)}) {_shown(own)} is the "
        "same as the invoice currency (cbc:DocumentCurrencyCode)",
    )


def _party(node: etree._Element, doc: _Doc, found: Found) -> None:  # R010, R020
    parent = node.getparent()
    if parent is None or _has(node, _CBC_ENDPOINTID):
        return
    if parent.tag == _CAC_ACCOUNTINGCUSTOMERPARTY:
        _add(
            found,
            "PEPPOL-EN16931-R010",
            f"the buyer (cac:AccountingCustomerParty/cac:Party{_at(node)}) has no electronic "
            "address (cbc:EndpointID)",
        )
    elif parent.tag == _CAC_ACCOUNTINGSUPPLIERPARTY:
        _add(
            found,
            "PEPPOL-EN16931-R020",
            f"the seller (cac:AccountingSupplierParty/cac:Party{_at(node)}) has no electronic "
            "address (cbc:EndpointID)",
        )


def _allowance_charge(node: etree._Element, doc: _Doc, found: Found) -> None:
    parent = node.getparent()
    if parent is None:
        return
    if parent.tag == _CAC_PRICE:
        _price_allowance(node, parent, found)
        return
    if not (parent is doc.root or (parent.tag == doc.line_tag and parent.getparent() is doc.root)):
        return

    def what() -> str:
        level = "document level" if parent is doc.root else f"line {_line_id(parent)}"
        return f"the {level} allowance/charge{_at(node)}"

    factor = _first(node, _CBC_MULTIPLIERFACTORNUMERIC)
    base = _first(node, _CBC_BASEAMOUNT)
    if factor is not None and base is None:
        _add(
            found,
            "PEPPOL-EN16931-R041",
            f"{what()} states a percentage ({_string(factor).strip()}) but no base amount",
        )
        return
    if factor is None and base is not None:
        _add(
            found,
            "PEPPOL-EN16931-R042",
            f"{what()} states a base amount ({_string(base).strip()}) but no percentage",
        )
        return
    if factor is not None and base is not None:
        amount_node = _first(node, _CBC_AMOUNT)
        amount = Decimal(0) if amount_node is None else _decimal(amount_node)
        base_value, factor_value = _decimal(base), _decimal(factor)
        if amount is not None and base_value is not None and factor_value is not None:
            expected = base_value * factor_value / _HUNDRED
            if not (amount + _SLACK >= expected and amount - _SLACK <= expected):
                _add(
                    found,
                    "PEPPOL-EN16931-R040",
                    f"{what()} has amount {amount} but base amount {base_value} x "
                    f"{factor_value} % = {expected} (more than 0.02 apart)",
                )
    indicator = _first(node, _CBC_CHARGEINDICATOR)
    value = _ns("" if indicator is None else indicator.text or "")
    if value not in ("true", "false"):
        shown = "absent" if indicator is None else _shown(value)
        _add(
            found,
            "PEPPOL-EN16931-R043",
            f"the ChargeIndicator of {what()} is {shown}; it must be 'true' or 'false'",
        )


def _price_allowance(node: etree._Element, price: etree._Element, found: Found) -> None:
    indicator = _first(node, _CBC_CHARGEINDICATOR)
    value = _ns("" if indicator is None else _string(indicator))
    line = price.getparent()
    where = f"the price allowance{_at(node)}" + (
        f" of line {_line_id(line)}" if line is not None else ""
    )
    if value != "false":
        shown = "no ChargeIndicator" if indicator is None else f"ChargeIndicator {_shown(value)}"
        _add(
            found,
            "PEPPOL-EN16931-R044",
            f"{where} has {shown}; only allowances ('false') are allowed on the price",
        )
    base = _first(node, _CBC_BASEAMOUNT)
    if base is None:
        return
    price_node = _first(price, _CBC_PRICEAMOUNT)
    amount_node = _first(node, _CBC_AMOUNT)
    net, gross, discount = _decimal(price_node), _decimal(base), _decimal(amount_node)
    unreadable = [
        n for n in (price_node, base, amount_node) if n is not None and _decimal(n) is None
    ]
    if unreadable:
        return  # a dynamic error in the schematron; the decimal rules report the value
    if net is not None and gross is not None and discount is not None and net == gross - discount:
        return
    shown = (
        f"net price {net if net is not None else '(absent)'}, gross price {gross}, allowance "
        f"{discount if discount is not None else '(absent)'}"
    )
    _add(
        found,
        "PEPPOL-EN16931-R046",
        f"{where}: the item net price must equal gross price - allowance amount; {shown}",
    )


def _line_id(line: etree._Element) -> str:
    ident = _first(line, _CBC_ID)
    return f"'{_ns(_string(ident))}'" if ident is not None else "(no ID)"


def _line_where(node: etree._Element) -> str:
    kind = "InvoiceLine" if node.tag == _CAC_INVOICELINE else "CreditNoteLine"
    return f"{kind} {_line_id(node)}{_at(node)}"


def _line(node: etree._Element, doc: _Doc, found: Found) -> None:  # R120, R121, R100, R101
    price = _first(node, _CAC_PRICE)
    base_qty_node = _first(price, _CBC_BASEQUANTITY) if price is not None else None
    base_qty = _decimal(base_qty_node)
    if base_qty_node is not None and base_qty is not None and base_qty <= 0:
        _add(
            found,
            "PEPPOL-EN16931-R121",
            f"{_line_where(node)} has price base quantity {base_qty}; it must be above zero",
        )
    _line_amount(node, doc, price, base_qty_node, base_qty, found)
    refs = list(node.iterchildren(_CAC_DOCUMENTREFERENCE))
    if len(refs) > 1:
        _add(
            found,
            "PEPPOL-EN16931-R100",
            f"{_line_where(node)} has {len(refs)} cac:DocumentReference elements; at most one invoiced "
            "object is allowed per line",
        )
    if refs and not any(
        _string(t) == "130" for r in refs for t in r.iterchildren(_CBC_DOCUMENTTYPECODE)
    ):
        codes_seen = [
            _string(t) for r in refs for t in r.iterchildren(_CBC_DOCUMENTTYPECODE)
        ]
        _add(
            found,
            "PEPPOL-EN16931-R101",
            f"{_line_where(node)} has a cac:DocumentReference whose DocumentTypeCode is "
            f"{', '.join(_shown(c) for c in codes_seen) or 'absent'}, not 130 (invoiced object)",
        )


def _line_amount(
    node: etree._Element,
    doc: _Doc,
    price: etree._Element | None,
    base_qty_node: etree._Element | None,
    base_qty: Decimal | None,
    found: Found,
) -> None:  # R120
    amount_node = _first(node, _CBC_LINEEXTENSIONAMOUNT)
    quantity_node = _first(
        node, _CBC_INVOICEDQUANTITY if doc.invoice else _CBC_CREDITEDQUANTITY
    )
    price_node = _first(price, _CBC_PRICEAMOUNT) if price is not None else None
    amount = Decimal(0) if amount_node is None else _decimal(amount_node)
    quantity = Decimal(1) if quantity_node is None else _decimal(quantity_node)
    unit_price = Decimal(0) if price_node is None else _decimal(price_node)
    if base_qty_node is not None and base_qty is None:
        return  # xs:decimal() of a non-number: a dynamic error in the schematron
    per = base_qty if base_qty is not None and base_qty != 0 else Decimal(1)
    sums: dict[str, Decimal] = {}
    for ac in node.iterchildren(_CAC_ALLOWANCECHARGE):
        indicator = _first(ac, _CBC_CHARGEINDICATOR)
        flag = _ns("" if indicator is None else _string(indicator))
        if flag not in ("true", "false"):
            continue
        sums.setdefault(flag, Decimal(0))
        for a in ac.iterchildren(_CBC_AMOUNT):
            value = _decimal(a)
            if value is None:
                return
            sums[flag] += value
    if amount is None or quantity is None or unit_price is None:
        return
    allowances = _xpath_round(sums["false"] * _HUNDRED) / _HUNDRED if "false" in sums else 0
    charges = _xpath_round(sums["true"] * _HUNDRED) / _HUNDRED if "true" in sums else 0
    expected = quantity * _DIVISION.divide(unit_price, per) + charges - allowances
    if amount + _SLACK >= expected and amount - _SLACK <= expected:
        return
    parts = f"{quantity} x ({unit_price} / {per})"
    if charges:
        parts += f" + charges {charges}"
    if allowances:
        parts += f" - allowances {allowances}"
    _add(
        found,
        "PEPPOL-EN16931-R120",
        f"{_line_where(node)} has net amount (cbc:LineExtensionAmount) {amount}, but {parts} = "
        f"{format(expected, 'f')} "
        "(more than 0.02 apart)",
    )


def _payment_means(node: etree._Element, doc: _Doc, found: Found) -> None:  # R061
    codes_ = list(node.iterchildren(_CBC_PAYMENTMEANSCODE))
    if len(codes_) > 1:
        return  # normalize-space() of two codes: an error in the context predicate, no match
    value = _ns(_string(codes_[0]) if codes_ else "")
    if value not in ("49", "59"):
        return
    mandate = any(
        _has(m, _CBC_ID) for m in node.iterchildren(_CAC_PAYMENTMANDATE)
    )
    if not mandate:
        _add(
            found,
            "PEPPOL-EN16931-R061",
            f"the payment means{_at(node)} is a direct debit (code {value}) without a mandate "
            "reference (cac:PaymentMandate/cbc:ID)",
        )


def _amount(node: etree._Element, doc: _Doc, found: Found) -> None:  # R051, CL007
    currency = node.get("currencyID")
    if currency not in codes.CURRENCY_CODES:
        shown = "no currencyID" if currency is None else f"currencyID {_shown(currency)}"
        _add(
            found,
            "PEPPOL-EN16931-CL007",
            f"{_name(node)}{_at(node)} has {shown}, not an ISO 4217 currency code",
        )
    if node.tag == _CBC_TAXAMOUNT:
        parent = node.getparent()
        if parent is None or not (
            parent.tag == _CAC_TAXSUBTOTAL
            or (parent.tag == _CAC_TAXTOTAL and _has(parent, _CAC_TAXSUBTOTAL))
        ):
            return
    if currency is not None and currency in doc.currencies:
        return
    document = ", ".join(_shown(c) for c in doc.currencies) or "absent"
    shown = "no currencyID" if currency is None else f"currencyID {_shown(currency)}"
    _add(
        found,
        "PEPPOL-EN16931-R051",
        f"{_name(node)} {_string(node).strip()}{_at(node)} has {shown}, but the invoice "
        f"currency (cbc:DocumentCurrencyCode) is {document}",
    )


def _line_period_date(node: etree._Element, doc: _Doc) -> None | tuple[str, date, date]:
    """R110/R111 context: a line's period start/end date when the document has one too."""
    period = node.getparent()
    line = period.getparent() if period is not None else None
    if (
        period is None
        or line is None
        or period.tag != _CAC_INVOICEPERIOD
        or line.tag != doc.line_tag
        or line.getparent() is not doc.root
    ):
        return None
    limit = doc.period_date(node.tag)
    if limit is None:
        return None
    own = _xs_date(node.text or "")
    if own is None or limit is None:
        return None
    return _line_id(line), own, limit


def _date(node: etree._Element, doc: _Doc, found: Found) -> None:  # F001, R110, R111
    text = node.text or ""
    if len(text) != 10 or len(node) or _xs_date(text) is None:
        _add(
            found,
            "PEPPOL-EN16931-F001",
            f"{_name(node)} {_shown(_string(node))}{_at(node)} is not a date in the format "
            "YYYY-MM-DD",
        )
    if node.tag not in (_CBC_STARTDATE, _CBC_ENDDATE):
        return
    dates = _line_period_date(node, doc)
    if dates is None:
        return
    line_id, own, limit = dates
    if node.tag == _CBC_STARTDATE and own < limit:
        _add(
            found,
            "PEPPOL-EN16931-R110",
            f"line {line_id}: its period starts {own.isoformat()}{_at(node)}, before the "
            f"{doc.kind} period start {limit.isoformat()}",
        )
    elif node.tag == _CBC_ENDDATE and own > limit:
        _add(
            found,
            "PEPPOL-EN16931-R111",
            f"line {line_id}: its period ends {own.isoformat()}{_at(node)}, after the "
            f"{doc.kind} period end {limit.isoformat()}",
        )


def _base_quantity(node: etree._Element, doc: _Doc, found: Found) -> None:  # R130
    unit = node.get("unitCode")
    price = node.getparent()
    if unit is None or price is None or price.tag != _CAC_PRICE:
        return
    line = price.getparent()
    if line is None:
        return
    has_quantity = _has(line, _CBC_INVOICEDQUANTITY) or _has(line, _CBC_CREDITEDQUANTITY)
    if not has_quantity:
        return
    tag = _CBC_INVOICEDQUANTITY if doc.invoice else _CBC_CREDITEDQUANTITY
    units = [q.get("unitCode") for q in line.iterchildren(tag)]
    if unit in units:
        return
    shown = ", ".join(_shown(u) for u in units if u is not None) or "none"
    _add(
        found,
        "PEPPOL-EN16931-R130",
        f"the price base quantity{_at(node)} of line {_line_id(line)} has unit code "
        f"{_shown(unit)}, but the {'invoiced' if doc.invoice else 'credited'} quantity's unit "
        f"code is {shown}",
    )


def _endpoint(node: etree._Element, doc: _Doc, found: Found) -> None:  # CL008, COMMON
    scheme = node.get("schemeID")
    _scheme_id(node, scheme, found, endpoint=True)
    if scheme is not None and scheme not in codes.EAS_CODES:
        _add(
            found,
            "PEPPOL-EN16931-CL008",
            f"the schemeID {_shown(scheme)} of {_name(node)}{_at(node)} is not in the PEPPOL "
            "Electronic Address Scheme (EAS) code list",
        )


def _party_id(node: etree._Element, doc: _Doc, found: Found) -> None:  # COMMON
    for ident in node.iterchildren(_CBC_ID):  # node: cac:PartyIdentification
        _scheme_id(ident, ident.get("schemeID"), found, endpoint=False)


def _company_id(node: etree._Element, doc: _Doc, found: Found) -> None:  # COMMON
    _scheme_id(node, node.get("schemeID"), found, endpoint=False)


def _invoice_type(node: etree._Element, doc: _Doc, found: Found) -> None:  # P0100, P0112
    own = _ns(node.text or "")
    if doc.profile == "01" and own not in codes.INVOICE_TYPE_CODES_01:
        _add(
            found,
            "PEPPOL-EN16931-P0100",
            f"cbc:InvoiceTypeCode {_shown(own)}{_at(node)} is not an invoice type code allowed "
            "in business process 01 (billing)",
        )
    value = _ns(_string(node))
    if value in ("326", "384") and not doc.both_de:
        _add(
            found,
            "PEPPOL-EN16931-P0112",
            f"cbc:InvoiceTypeCode {value}{_at(node)} ("
            f"{'partial invoice' if value == '326' else 'corrected invoice'}) is only allowed "
            "when seller and buyer are both in Germany",
        )


def _credit_note_type(node: etree._Element, doc: _Doc, found: Found) -> None:  # P0101
    own = _ns(node.text or "")
    if doc.profile == "01" and own not in codes.CREDIT_NOTE_TYPE_CODES_01:
        _add(
            found,
            "PEPPOL-EN16931-P0101",
            f"cbc:CreditNoteTypeCode {_shown(own)}{_at(node)} is not a credit note type code "
            "allowed in business process 01 (billing)",
        )


def _mime(node: etree._Element, doc: _Doc, found: Found) -> None:  # CL001
    mime = node.get("mimeCode")
    if mime is None or mime in codes.MIME_CODES:
        return
    filename = node.get("filename")
    attachment = f"the attachment '{filename}'" if filename else "an attachment"
    _add(
        found,
        "PEPPOL-EN16931-CL001",
        f"the mimeCode '{mime}' of {attachment}{_at(node)} is not one PEPPOL accepts (PDF, PNG, "
        "JPEG, CSV, XLSX or ODS)",
    )


def _reason_code(node: etree._Element, doc: _Doc, found: Found) -> None:  # CL002, CL003
    parent = node.getparent()
    if parent is None or parent.tag != _CAC_ALLOWANCECHARGE:
        return
    indicators = [_string(i) for i in parent.iterchildren(_CBC_CHARGEINDICATOR)]
    value = _ns(node.text or "")
    if "false" in indicators:
        if value not in codes.ALLOWANCE_REASON_CODES:
            _add(
                found,
                "PEPPOL-EN16931-CL002",
                f"allowance reason code {_shown(value)}{_at(node)} is not in the PEPPOL subset of "
                "UNCL 5189",
            )
    elif "true" in indicators and value not in codes.CHARGE_REASON_CODES:
        _add(
            found,
            "PEPPOL-EN16931-CL003",
            f"charge reason code {_shown(value)}{_at(node)} is not a UNCL 7161 charge reason code",
        )


def _description_code(node: etree._Element, doc: _Doc, found: Found) -> None:  # CL006
    parent = node.getparent()
    if parent is None or parent.tag != _CAC_INVOICEPERIOD:
        return
    value = _ns(node.text or "")
    if value not in codes.VAT_DATE_CODES:
        _add(
            found,
            "PEPPOL-EN16931-CL006",
            f"cac:InvoicePeriod/cbc:DescriptionCode {_shown(value)}{_at(node)} is not a UNCL 2005 "
            "code PEPPOL accepts (3, 35 or 432)",
        )


def _tax_category(node: etree._Element, doc: _Doc, found: Found) -> None:  # P0104-P0111
    reasons = list(node.iterchildren(_CBC_TAXEXEMPTIONREASONCODE))
    if len(reasons) != 1:
        return  # upper-case() of two codes: an error in the context predicate, no match
    code = _string(reasons[0]).upper()
    category = codes.VATEX_CATEGORY.get(code)
    if category is None:
        return
    ident = _first(node, _CBC_ID)
    value = _ns("" if ident is None else _string(ident))
    if value == category:
        return
    _add(
        found,
        _VATEX_RULE[code],
        f"the tax category{_at(node)} has exemption reason code {code} but VAT category "
        f"{_shown(value)}; {code} requires category {category}",
    )


_VATEX_RULE = {
    "VATEX-EU-G": "PEPPOL-EN16931-P0104",
    "VATEX-EU-O": "PEPPOL-EN16931-P0105",
    "VATEX-EU-IC": "PEPPOL-EN16931-P0106",
    "VATEX-EU-AE": "PEPPOL-EN16931-P0107",
    "VATEX-EU-D": "PEPPOL-EN16931-P0108",
    "VATEX-EU-F": "PEPPOL-EN16931-P0109",
    "VATEX-EU-I": "PEPPOL-EN16931-P0110",
    "VATEX-EU-J": "PEPPOL-EN16931-P0111",
}

_Handler = Callable[[etree._Element, _Doc, Found], None]
_DATES = ("IssueDate", "DueDate", "TaxPointDate", "StartDate", "EndDate", "ActualDeliveryDate")
_HANDLERS: dict[str, _Handler] = {
    **dict.fromkeys((f"{_CBC}{n}" for n in AMOUNT_ELEMENTS), _amount),
    **dict.fromkeys((f"{_CBC}{n}" for n in _DATES), _date),
    _CBC_TAXCURRENCYCODE: _tax_currency,
    _CAC_PARTY: _party,
    _CAC_ALLOWANCECHARGE: _allowance_charge,
    _CAC_PAYMENTMEANS: _payment_means,
    _CAC_INVOICELINE: _line,
    _CAC_CREDITNOTELINE: _line,
    _CBC_BASEQUANTITY: _base_quantity,
    _CBC_ENDPOINTID: _endpoint,
    _CAC_PARTYIDENTIFICATION: _party_id,
    _CBC_COMPANYID: _company_id,
    _CBC_INVOICETYPECODE: _invoice_type,
    _CBC_CREDITNOTETYPECODE: _credit_note_type,
    _CBC_EMBEDDEDDOCUMENTBINARYOBJECT: _mime,
    _CBC_ALLOWANCECHARGEREASONCODE: _reason_code,
    _CBC_DESCRIPTIONCODE: _description_code,
    _CAC_TAXCATEGORY: _tax_category,
}


def _empty(node: etree._Element) -> bool:
    """For R008 (`//*[not(*) and not(normalize-space())]`), an element whose children are not
    all elements: empty when none is an element and its string value (comments and processing
    instructions excluded) is XML whitespace only."""
    if any(isinstance(child.tag, str) for child in node):
        return False
    return not "".join(node.itertext()).strip(_XML_SPACE)


@lru_cache(maxsize=8)
def _scan(root: etree._Element) -> dict[str, tuple[Problem, ...]]:
    """The problems of every rule of this pack in one document, by rule id."""
    found: Found = {}
    if not claims_peppol_billing(root, ehf=True):
        return {}
    doc = _Doc(root)
    if root.tag in (_INVOICE, _CREDIT_NOTE):
        _document(doc, found)
    handler_of = _HANDLERS.get
    empty = []
    for node in root.iter(etree.Element):  # one pass: the rule contexts and R008's
        handler = handler_of(node.tag)
        if handler is not None:
            handler(node, doc, found)
        if len(node):
            if isinstance(node[0].tag, str) or not _empty(node):
                continue
        elif (node.text or "").strip(_XML_SPACE):
            continue
        empty.append(node)
    for node in empty:
        _add(found, "PEPPOL-EN16931-R008", f"{_name(node)}{_at(node)} is empty")
    return {rule_id: tuple(problems) for rule_id, problems in found.items()}


_last: list = [None, {}]  # [root, results]: the last document's, without hashing


def _rule(rule_id: str) -> Callable[[CanonicalInvoice, RuleContext], tuple[Problem, ...] | None]:
    def check(inv: CanonicalInvoice, ctx: RuleContext) -> tuple[Problem, ...] | None:
        doc = inv.ubl
        if doc is None:
            return None
        root = doc.root
        if _last[0] is not root:  # the 56 rules ask for the same document in a row
            _last[:] = [root, _scan(root)]
        return _last[1].get(rule_id)

    check.__name__ = check.__qualname__ = f"check_{rule_id.replace('-', '_').lower()}"
    return check


def all_findings(inv: CanonicalInvoice, ctx: RuleContext) -> dict[str, tuple[Problem, ...]]:
    """Every rule of this pack at once (the rule set's group call): one pass over the document."""
    doc = inv.ubl
    if doc is None:
        return {}
    root = doc.root
    if _last[0] is not root:
        _last[:] = [root, _scan(root)]
    results: dict[str, tuple[Problem, ...]] = _last[1]
    return results


def _fix(what: str) -> str:
    return f"{_ASK} {what}{_PEPPOL}"


def _fix_warn(what: str) -> str:
    return f"{_ASK} {what}{_PEPPOL_WARN}"


_SCHEME_FIX = "with the identifier in the format its schemeID states, or the right schemeID"
# id -> (flag, official assertion text, action)
RULES: dict[str, tuple[Severity, str, str]] = {
    "PEPPOL-EN16931-R001": (Severity.BLOCK, "Business process MUST be provided.", _fix("that states its business process (cbc:ProfileID, e.g. urn:fdc:peppol.eu:2017:poacc:billing:01:1.0)")),
    "PEPPOL-EN16931-R002": (Severity.BLOCK, "No more than one note is allowed on document level, unless both the buyer and seller are German organizations.", _fix("with all document level notes in one cbc:Note")),
    "PEPPOL-EN16931-R003": (Severity.BLOCK, "A buyer reference or purchase order reference MUST be provided.", _fix("that quotes our buyer reference or purchase order number")),
    "PEPPOL-EN16931-R004": (Severity.BLOCK, "Specification identifier MUST have the value 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0'.", _fix(f"whose cbc:CustomizationID is '{_SPEC_ID}'")),
    "PEPPOL-EN16931-R005": (Severity.BLOCK, "VAT accounting currency code MUST be different from invoice currency code when provided.", _fix("without cbc:TaxCurrencyCode, or with a VAT accounting currency other than the invoice currency")),
    "PEPPOL-EN16931-R007": (Severity.BLOCK, "Business process MUST be in the format 'urn:fdc:peppol.eu:2017:poacc:billing:NN:1.0' where NN indicates the process number.", _fix("whose cbc:ProfileID is 'urn:fdc:peppol.eu:2017:poacc:billing:01:1.0' (or another PEPPOL process number)")),
    "PEPPOL-EN16931-R008": (Severity.BLOCK, "Document MUST not contain empty elements.", _fix("without empty elements (leave out what has no value)")),
    "PEPPOL-EN16931-R010": (Severity.BLOCK, "Buyer electronic address MUST be provided", _fix("that states our electronic address (buyer cbc:EndpointID)")),
    "PEPPOL-EN16931-R020": (Severity.BLOCK, "Seller electronic address MUST be provided", _fix("that states their electronic address (seller cbc:EndpointID)")),
    "PEPPOL-EN16931-R040": (Severity.BLOCK, "Allowance/charge amount must equal base amount * percentage/100 if base amount and percentage exists", _fix("whose allowance/charge amount equals base amount x percentage / 100")),
    "PEPPOL-EN16931-R041": (Severity.BLOCK, "Allowance/charge base amount MUST be provided when allowance/charge percentage is provided.", _fix("that states the base amount of every percentage allowance/charge")),
    "PEPPOL-EN16931-R042": (Severity.BLOCK, "Allowance/charge percentage MUST be provided when allowance/charge base amount is provided.", _fix("that states the percentage of every allowance/charge with a base amount")),
    "PEPPOL-EN16931-R043": (Severity.BLOCK, "Allowance/charge ChargeIndicator value MUST equal 'true' or 'false'", _fix("whose allowance/charge ChargeIndicator is 'true' (charge) or 'false' (allowance)")),
    "PEPPOL-EN16931-R044": (Severity.BLOCK, "Charge on price level is NOT allowed. Only value 'false' allowed.", _fix("with price level charges moved to line charges (only price discounts on the price)")),
    "PEPPOL-EN16931-R046": (Severity.BLOCK, "Item net price MUST equal (Gross price - Allowance amount) when gross price is provided.", _fix("whose item net price equals gross price minus price discount")),
    "PEPPOL-EN16931-R051": (Severity.BLOCK, "All currencyID attributes must have the same value as the invoice currency code (BT-5), except for the invoice total VAT amount in accounting currency (BT-111).", _fix("with every amount in the invoice currency (only the VAT total in accounting currency may differ)")),
    "PEPPOL-EN16931-R053": (Severity.BLOCK, "Only one tax total with tax subtotals MUST be provided.", _fix("with exactly one VAT total carrying the VAT breakdown")),
    "PEPPOL-EN16931-R054": (Severity.BLOCK, "Only one tax total without tax subtotals MUST be provided when tax currency code is provided.", _fix("with a VAT total without breakdown only when it states a VAT accounting currency, and then exactly one")),
    "PEPPOL-EN16931-R055": (Severity.BLOCK, "Invoice total VAT amount and Invoice total VAT amount in accounting currency MUST have the same operational sign", _fix("whose VAT totals in invoice and accounting currency have the same sign")),
    "PEPPOL-EN16931-R061": (Severity.BLOCK, "Mandate reference MUST be provided for direct debit.", _fix("that states the direct debit mandate reference (cac:PaymentMandate/cbc:ID)")),
    "PEPPOL-EN16931-R080": (Severity.BLOCK, "Only one project reference is allowed on document level", _fix("with a single project reference")),
    "PEPPOL-EN16931-R100": (Severity.BLOCK, "Only one invoiced object is allowed pr line", _fix("with at most one invoiced object per line")),
    "PEPPOL-EN16931-R101": (Severity.BLOCK, "Element Document reference can only be used for Invoice line object", _fix("whose line document references are invoiced objects (DocumentTypeCode 130)")),
    "PEPPOL-EN16931-R110": (Severity.BLOCK, "Start date of line period MUST be within invoice period.", _fix("whose line periods lie within the invoice period")),
    "PEPPOL-EN16931-R111": (Severity.BLOCK, "End date of line period MUST be within invoice period.", _fix("whose line periods lie within the invoice period")),
    "PEPPOL-EN16931-R120": (Severity.BLOCK, "Invoice line net amount MUST equal (Invoiced quantity * (Item net price/item price base quantity) + Sum of invoice line charge amount - sum of invoice line allowance amount", _fix("whose line net amounts equal quantity x price / base quantity + charges - allowances")),
    "PEPPOL-EN16931-R121": (Severity.BLOCK, "Base quantity MUST be a positive number above zero.", _fix("whose price base quantities are above zero")),
    "PEPPOL-EN16931-R130": (Severity.BLOCK, "Unit code of price base quantity MUST be same as invoiced quantity.", _fix("whose price base quantity uses the unit code of the line quantity")),
    "PEPPOL-EN16931-P0100": (Severity.BLOCK, "Invoice type code MUST be set according to the profile.", _fix("with an invoice type code allowed in the billing process (usually 380)")),
    "PEPPOL-EN16931-P0101": (Severity.BLOCK, "Credit note type code MUST be set according to the profile.", _fix("with a credit note type code allowed in the billing process (usually 381)")),
    "PEPPOL-EN16931-P0104": (Severity.BLOCK, "Tax Category G MUST be used when exemption reason code is VATEX-EU-G", _fix("whose VAT category matches the exemption reason code (G for VATEX-EU-G)")),
    "PEPPOL-EN16931-P0105": (Severity.BLOCK, "Tax Category O MUST be used when exemption reason code is VATEX-EU-O", _fix("whose VAT category matches the exemption reason code (O for VATEX-EU-O)")),
    "PEPPOL-EN16931-P0106": (Severity.BLOCK, "Tax Category K MUST be used when exemption reason code is VATEX-EU-IC", _fix("whose VAT category matches the exemption reason code (K for VATEX-EU-IC)")),
    "PEPPOL-EN16931-P0107": (Severity.BLOCK, "Tax Category AE MUST be used when exemption reason code is VATEX-EU-AE", _fix("whose VAT category matches the exemption reason code (AE for VATEX-EU-AE)")),
    "PEPPOL-EN16931-P0108": (Severity.BLOCK, "Tax Category E MUST be used when exemption reason code is VATEX-EU-D", _fix("whose VAT category matches the exemption reason code (E for VATEX-EU-D)")),
    "PEPPOL-EN16931-P0109": (Severity.BLOCK, "Tax Category E MUST be used when exemption reason code is VATEX-EU-F", _fix("whose VAT category matches the exemption reason code (E for VATEX-EU-F)")),
    "PEPPOL-EN16931-P0110": (Severity.BLOCK, "Tax Category E MUST be used when exemption reason code is VATEX-EU-I", _fix("whose VAT category matches the exemption reason code (E for VATEX-EU-I)")),
    "PEPPOL-EN16931-P0111": (Severity.BLOCK, "Tax Category E MUST be used when exemption reason code is VATEX-EU-J", _fix("whose VAT category matches the exemption reason code (E for VATEX-EU-J)")),
    "PEPPOL-EN16931-P0112": (Severity.BLOCK, "Invoice type code 326 or 384 are only allowed when both buyer and seller are German organizations", _fix("with invoice type code 380 (or a credit note for a correction)")),
    "PEPPOL-EN16931-CL001": (Severity.BLOCK, "Mime code must be according to subset of IANA code list.", _fix("whose attachments are PDF, PNG, JPEG, CSV, XLSX or ODS files with the matching MIME code")),
    "PEPPOL-EN16931-CL002": (Severity.BLOCK, "Reason code MUST be according to subset of UNCL 5189 D.16B.", _fix("with a UNCL 5189 allowance reason code (e.g. 95 for a discount), or the reason in words only")),
    "PEPPOL-EN16931-CL003": (Severity.BLOCK, "Reason code MUST be according to UNCL 7161 D.16B.", _fix("with a UNCL 7161 charge reason code (e.g. FC for freight), or the reason in words only")),
    "PEPPOL-EN16931-CL006": (Severity.BLOCK, "Invoice period description code must be according to UNCL 2005 D.16B.", _fix("whose invoice period description code is 3, 35 or 432")),
    "PEPPOL-EN16931-CL007": (Severity.BLOCK, "Currency code must be according to ISO 4217:2005", _fix("that states every amount's currency as an ISO 4217 code (e.g. EUR)")),
    "PEPPOL-EN16931-CL008": (Severity.BLOCK, "Electronic address identifier scheme must be from the codelist \"Electronic Address Identifier Scheme\"", _fix("whose electronic addresses use a PEPPOL EAS scheme (e.g. 0088 for a GLN, 9930 for a German VAT number)")),
    "PEPPOL-EN16931-F001": (Severity.BLOCK, "A date MUST be formatted YYYY-MM-DD.", _fix("with every date written YYYY-MM-DD (e.g. 2025-03-31)")),
    "PEPPOL-COMMON-R040": (Severity.BLOCK, "GLN must have a valid format according to GS1 rules.", _fix(_SCHEME_FIX)),
    "PEPPOL-COMMON-R041": (Severity.BLOCK, "Norwegian organization number MUST be stated in the correct format.", _fix(_SCHEME_FIX)),
    "PEPPOL-COMMON-R042": (Severity.BLOCK, "Danish organization number (CVR) MUST be stated in the correct format.", _fix(_SCHEME_FIX)),
    "PEPPOL-COMMON-R043": (Severity.BLOCK, "Belgian enterprise number MUST be stated in the correct format.", _fix(_SCHEME_FIX)),
    "PEPPOL-COMMON-R044": (Severity.WARN, "IPA Code (Codice Univoco Unità Organizzativa) must be stated in the correct format", _fix_warn(_SCHEME_FIX)),
    "PEPPOL-COMMON-R045": (Severity.WARN, "Tax Code (Codice Fiscale) must be stated in the correct format", _fix_warn(_SCHEME_FIX)),
    "PEPPOL-COMMON-R046": (Severity.WARN, "Tax Code (Codice Fiscale) must be stated in the correct format", _fix_warn(_SCHEME_FIX)),
    "PEPPOL-COMMON-R047": (Severity.WARN, "Italian VAT Code (Partita Iva) must be stated in the correct format", _fix_warn(_SCHEME_FIX)),
    "PEPPOL-COMMON-R049": (Severity.BLOCK, "Swedish organization number MUST be stated in the correct format.", _fix(_SCHEME_FIX)),
    "PEPPOL-COMMON-R050": (Severity.BLOCK, "Australian Business Number (ABN) MUST be stated in the correct format.", _fix(_SCHEME_FIX)),
}  # fmt: skip
ACTIONS = {rule_id: action for rule_id, (_, _, action) in RULES.items()}
for _id, (_severity, _title, _) in RULES.items():
    PACK.rule(_id, _severity, _title, ubl_only=True, group=all_findings)(_rule(_id))
