"""EN 16931 code list rules for UBL documents: BR-CL-01 to BR-CL-26.

Each rule is the Python reading of the assertion of the same id in the CEN schematron,
validation 1.3.16: the `Codesmodel` pattern of EN16931-UBL-codes.sch, and BR-CL-08 (invoice
note subject code) of EN16931-UBL-model.sch. The code lists themselves are in
en16931_codelists_data (generated from those tests by scripts/extract_en16931_codelists.py),
so the values are the official validator's, quirks included. There are no BR-CL-02, -09 or -12
for UBL: those ids are not asserted in the UBL schematron.

What is kept from the schematron:
- the contexts: a rule runs once per context node, anywhere in the document (a bad unit code on
  3 lines fires 3 times), and only where the context's predicate holds (`cbc:ID[@schemeID]`:
  only identifiers that carry a schemeID are checked, an empty schemeID fails);
- the tests: `normalize-space(.)` (XML whitespace stripped; a value with inner whitespace never
  matches), `upper-case()` for the VATEX codes of BR-CL-22 only, exact comparison for the MIME
  codes of BR-CL-24 and for `cbc:DocumentTypeCode = '130'` of BR-CL-07; an amount without
  currencyID fails BR-CL-03; `cbc:ChargeIndicator = false()` compares as xs:boolean ('false'
  or '0'), and an allowance/charge whose indicator is not a boolean is neither (BR-CL-19/20 do
  not run on it); SEPA is an accepted party identifier scheme only under the seller
  (AccountingSupplierParty) or the payee (PayeeParty) (BR-CL-10); BR-CL-08 looks only at the
  document-level notes and only at a 3-character code between the first two '#', which must be
  a substring of the UNCL 4451 list string as the test has it.

Speed: one pass over the elements the rules look at (lxml `iter` with the tag names) serves
all rules; its result is kept for the last 8 documents (keyed by the identity of the lxml root,
so a tree changed in place after it was checked is not read again), so the 23 rules cost one
pass, about 60 us for a typical 180-element invoice.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from lxml import etree

from payables.canonical import CanonicalInvoice
from payables.formats.ubl_model import AMOUNT_ELEMENTS, CAC_NS, CBC_NS, value_text, xs_boolean
from payables.rules.base import Problem, RuleContext, RulePack, Severity
from payables.rules.packs import en16931_codelists_data as codes

PACK = RulePack(
    "en16931-codelists",
    "1.3.16",
    source="EN16931",
    description="EN 16931 code lists (BR-CL-01 to BR-CL-26) for UBL invoices and credit notes",
)

_CBC = f"{{{CBC_NS}}}"
_CAC = f"{{{CAC_NS}}}"
_XML_SPACE = " \t\r\n"
_ASK_VENDOR = "Ask the vendor for a corrected document"
_VALIDATOR = "; the EN 16931 validator rejects the document as sent."

Found = dict[str, list[Problem]]
_Handler = Callable[[etree._Element, Found], None]


def _string(node: etree._Element) -> str:
    """The string value of an element (`.` in XPath); its text when it has no children (fast)."""
    return "".join(node.itertext()) if len(node) else node.text or ""


def _normalized(node: etree._Element) -> str:
    """`normalize-space(.)` as far as the tests need it: XML whitespace stripped at both ends
    (a value with whitespace inside is in no code list either way)."""
    return value_text(node) if len(node) else (node.text or "").strip(_XML_SPACE)


def _at(node: etree._Element) -> str:
    return f" (line {node.sourceline})" if node.sourceline else ""


def _shown(value: str) -> str:
    """The value as the message quotes it: whitespace runs shown as one space."""
    return f"'{' '.join(value.split())}'" if value.strip(_XML_SPACE) else "'' (empty)"


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname


def _where(node: etree._Element) -> str:
    """'cac:PaymentMeans/cbc:PaymentMeansCode' as 'PaymentMeans/PaymentMeansCode'."""
    parent = node.getparent()
    return f"{_local(parent)}/{_local(node)}" if parent is not None else _local(node)


def _add(found: Found, rule_id: str, message: str, action: str) -> None:
    found.setdefault(rule_id, []).append(Problem(message, action))


def _element_code(
    rule_id: str, allowed: frozenset[str], what: str, action: str, path: bool = False
) -> _Handler:
    """A rule whose test is `normalize-space(.)` in the list."""

    def check(node: etree._Element, found: Found) -> None:
        value = _normalized(node)
        if value in allowed:
            return
        name = _where(node) if path else _local(node)
        _add(found, rule_id, f"{name} {_shown(value)}{_at(node)} is not {what}", action)

    return check


def _attribute_code(
    rule_id: str, attribute: str, allowed: frozenset[str], what: str, action: str
) -> _Handler:
    """A rule whose context is `...[@attribute]` and whose test is `normalize-space(@attribute)` in the list."""

    def check(node: etree._Element, found: Found) -> None:
        raw = node.get(attribute)
        if raw is None or raw.strip(_XML_SPACE) in allowed:
            return
        _add(
            found,
            rule_id,
            f"the {attribute} {_shown(raw)} of {_where(node)}{_at(node)} is not {what}",
            action,
        )

    return check


def _currency_attribute(node: etree._Element, found: Found) -> None:  # BR-CL-03
    raw = node.get("currencyID")
    if raw is not None and raw.strip(_XML_SPACE) in codes.CURRENCY_CODES:
        return
    if raw is None:
        message = f"{_where(node)}{_at(node)} has no currencyID; an amount must state its ISO 4217 currency code"
    else:
        message = f"the currencyID {_shown(raw)} of {_where(node)}{_at(node)} is not an ISO 4217 currency code"
    _add(
        found,
        "BR-CL-03",
        message,
        f"{_ASK_VENDOR} that states every amount's currency as an ISO 4217 code (e.g. EUR)"
        + _VALIDATOR,
    )


def _type_code(node: etree._Element, found: Found) -> None:  # BR-CL-01
    credit_note = node.tag == f"{_CBC}CreditNoteTypeCode"
    allowed = codes.CREDIT_NOTE_TYPE_CODES if credit_note else codes.INVOICE_TYPE_CODES
    value = _normalized(node)
    if value in allowed:
        return
    kind, usual = ("credit note", "381") if credit_note else ("invoice", "380")
    _add(
        found,
        "BR-CL-01",
        f"{_local(node)} {_shown(value)}{_at(node)} is not a UNTDID 1001 {kind} type code "
        "that EN 16931 accepts",
        f"{_ASK_VENDOR} with a valid {kind} type code (usually {usual}){_VALIDATOR}",
    )


_INVOICED_OBJECT_PARENTS = (f"{_CAC}AdditionalDocumentReference", f"{_CAC}DocumentReference")


def _invoiced_object(node: etree._Element, found: Found) -> None:  # BR-CL-07
    parent = node.getparent()
    if parent is None or not any(
        _string(t) == "130" for t in parent.iterchildren(f"{_CBC}DocumentTypeCode")
    ):
        return
    _OBJECT_SCHEME(node, found)


def _party_id(node: etree._Element, found: Found) -> None:  # BR-CL-10
    raw = node.get("schemeID")
    if raw is None:
        return
    scheme = raw.strip(_XML_SPACE)
    if scheme in codes.PARTY_ID_SCHEME_CODES:
        return
    sepa_allowed = any(
        a.tag in (f"{_CAC}AccountingSupplierParty", f"{_CAC}PayeeParty")
        for a in node.iterancestors()
    )
    if scheme == "SEPA" and sepa_allowed:
        return
    extra = " (SEPA is accepted only for the seller or the payee)" if scheme == "SEPA" else ""
    _add(
        found,
        "BR-CL-10",
        f"the schemeID {_shown(raw)} of PartyIdentification/ID{_at(node)} is not an ISO 6523 "
        f"ICD code{extra}",
        f"{_ASK_VENDOR} whose party identifier states an ISO 6523 ICD scheme (e.g. 0088 for a "
        f"GLN) or none{_VALIDATOR}",
    )


def _allowance_charge_reason(node: etree._Element, found: Found) -> None:  # BR-CL-19, BR-CL-20
    parent = node.getparent()
    if parent is None or parent.tag != f"{_CAC}AllowanceCharge":
        return
    indicators = {xs_boolean(_string(i)) for i in parent.iterchildren(f"{_CBC}ChargeIndicator")}
    value = _normalized(node)
    # Both contexts in one schematron pattern: a node the BR-CL-19 rule matched (some indicator
    # is false) is not tested by the BR-CL-20 rule, even if another indicator is true.
    if False in indicators:
        if value in codes.ALLOWANCE_REASON_CODES:
            return
        _add(
            found,
            "BR-CL-19",
            f"allowance reason code {_shown(value)}{_at(node)} is not a UNCL 5189 allowance "
            "reason code",
            f"{_ASK_VENDOR} with a UNCL 5189 allowance reason code (e.g. 95 for a discount), "
            f"or with the reason in words only (AllowanceChargeReason){_VALIDATOR}",
        )
    elif True in indicators and value not in codes.CHARGE_REASON_CODES:
        _add(
            found,
            "BR-CL-20",
            f"charge reason code {_shown(value)}{_at(node)} is not a UNCL 7161 charge reason code",
            f"{_ASK_VENDOR} with a UNCL 7161 charge reason code (e.g. FC for freight), or with "
            f"the reason in words only (AllowanceChargeReason){_VALIDATOR}",
        )


def _exemption_reason(node: etree._Element, found: Found) -> None:  # BR-CL-22
    value = _normalized(node)
    if value.upper() in codes.VATEX_CODES:
        return
    _add(
        found,
        "BR-CL-22",
        f"TaxExemptionReasonCode {_shown(value)}{_at(node)} is not a VATEX exemption reason code",
        f"{_ASK_VENDOR} with a VATEX code (e.g. VATEX-EU-IC for an intra-community supply), or "
        f"with the exemption reason in words only (TaxExemptionReason){_VALIDATOR}",
    )


def _mime_code(node: etree._Element, found: Found) -> None:  # BR-CL-24
    mime = node.get("mimeCode")
    if mime is None or mime in codes.MIME_CODES:
        return
    filename = node.get("filename")
    attachment = f"the attachment '{filename}'" if filename else "an attachment"
    _add(
        found,
        "BR-CL-24",
        f"the mimeCode '{mime}' of {attachment}{_at(node)} is not one EN 16931 accepts "
        "(PDF, PNG, JPEG, CSV, XLSX or ODS)",
        f"{_ASK_VENDOR} whose attachments are PDF, PNG, JPEG, CSV, XLSX or ODS files with the "
        f"matching MIME code (e.g. application/pdf){_VALIDATOR}",
    )


def _note(node: etree._Element, found: Found) -> None:  # BR-CL-08, document-level notes only
    parent = node.getparent()
    if parent is None or parent.getparent() is not None:
        return
    parts = _string(node).split("#")
    code = parts[1] if len(parts) >= 3 else ""
    if len(code) != 3 or code in codes.NOTE_SUBJECT_LIST:
        return
    _add(
        found,
        "BR-CL-08",
        f"the Note{_at(node)} starts its subject code with '#{code}#', and '{code}' is not a "
        "UNCL 4451 text subject code",
        f"{_ASK_VENDOR} whose note uses a UNCL 4451 subject code between the '#' marks (e.g. "
        f"#AAI#) or no subject code{_VALIDATOR}",
    )


def _fix(what: str, example: str) -> str:
    return f"{_ASK_VENDOR} with {what} (e.g. {example}){_VALIDATOR}"


_ICD = "an ISO 6523 ICD code"
_ICD_FIX = _fix("an ISO 6523 ICD scheme identifier", "0088 for a GLN, 0060 for a DUNS number")
_OBJECT_SCHEME = _attribute_code(
    "BR-CL-07",
    "schemeID",
    codes.OBJECT_SCHEME_CODES,
    "a UNTDID 1153 reference code (invoiced object identifier)",
    f"{_ASK_VENDOR} whose invoiced object identifier states a UNTDID 1153 reference code "
    f"qualifier as its scheme{_VALIDATOR}",
)
_CURRENCY_FIX = _fix("an ISO 4217 currency code", "EUR")
_TAX_CATEGORY = "a UNCL 5305 VAT category code (S, Z, E, AE, K, G, O, L, M or B)"
_TAX_CATEGORY_FIX = _fix("a UNCL 5305 VAT category code", "S for standard rate")
_COUNTRY = "an ISO 3166-1 alpha-2 country code"
_COUNTRY_FIX = _fix("an ISO 3166-1 alpha-2 country code", "DE, FR, NL")

_CHILD_OF: dict[str, dict[str, _Handler]] = {
    # element tag -> parent tag -> handler: contexts such as cac:TaxCategory/cbc:ID
    f"{_CBC}ID": {
        **dict.fromkeys(_INVOICED_OBJECT_PARENTS, _invoiced_object),
        f"{_CAC}PartyIdentification": _party_id,
        f"{_CAC}TaxCategory": _element_code(
            "BR-CL-17", codes.TAX_CATEGORY_CODES, _TAX_CATEGORY, _TAX_CATEGORY_FIX, path=True
        ),
        f"{_CAC}ClassifiedTaxCategory": _element_code(
            "BR-CL-18", codes.LINE_TAX_CATEGORY_CODES, _TAX_CATEGORY, _TAX_CATEGORY_FIX, path=True
        ),
        f"{_CAC}StandardItemIdentification": _attribute_code(
            "BR-CL-21", "schemeID", codes.ITEM_SCHEME_CODES, _ICD, _ICD_FIX
        ),
        f"{_CAC}DeliveryLocation": _attribute_code(
            "BR-CL-26", "schemeID", codes.DELIVERY_LOCATION_SCHEME_CODES, _ICD, _ICD_FIX
        ),
    },
    f"{_CBC}DescriptionCode": {
        f"{_CAC}InvoicePeriod": _element_code(
            "BR-CL-06",
            codes.VAT_DATE_CODES,
            "a UNTDID 2005 VAT point date code EN 16931 accepts (3, 35 or 432)",
            _fix("a VAT point date code 3, 35 or 432", "35 for the actual delivery date"),
            path=True,
        )
    },
    f"{_CBC}CompanyID": {
        f"{_CAC}PartyLegalEntity": _attribute_code(
            "BR-CL-11", "schemeID", codes.LEGAL_ID_SCHEME_CODES, _ICD, _ICD_FIX
        )
    },
    f"{_CBC}ItemClassificationCode": {
        f"{_CAC}CommodityClassification": _attribute_code(
            "BR-CL-13",
            "listID",
            codes.ITEM_CLASSIFICATION_CODES,
            "a UNTDID 7143 item classification scheme",
            _fix(
                "a UNTDID 7143 classification scheme identifier", "HS for a customs tariff number"
            ),
        )
    },
    f"{_CBC}IdentificationCode": {
        f"{_CAC}Country": _element_code(
            "BR-CL-14", codes.COUNTRY_CODES, _COUNTRY, _COUNTRY_FIX, path=True
        ),
        f"{_CAC}OriginCountry": _element_code(
            "BR-CL-15", codes.ORIGIN_COUNTRY_CODES, _COUNTRY, _COUNTRY_FIX, path=True
        ),
    },
    f"{_CBC}PaymentMeansCode": {
        f"{_CAC}PaymentMeans": _element_code(
            "BR-CL-16",
            codes.PAYMENT_MEANS_CODES,
            "a UNCL 4461 payment means code",
            _fix("a UNCL 4461 payment means code", "30 credit transfer, 58 SEPA credit transfer"),
        )
    },
}

_ANYWHERE: dict[str, _Handler] = {
    # element tag -> handler: contexts such as cbc:DocumentCurrencyCode
    f"{_CBC}InvoiceTypeCode": _type_code,
    f"{_CBC}CreditNoteTypeCode": _type_code,
    **dict.fromkeys(
        (f"{_CBC}{name}" for name in AMOUNT_ELEMENTS),
        _currency_attribute,
    ),
    f"{_CBC}DocumentCurrencyCode": _element_code(
        "BR-CL-04", codes.CURRENCY_CODES, "an ISO 4217 currency code", _CURRENCY_FIX
    ),
    f"{_CBC}TaxCurrencyCode": _element_code(
        "BR-CL-05", codes.CURRENCY_CODES, "an ISO 4217 currency code", _CURRENCY_FIX
    ),
    f"{_CBC}Note": _note,
    f"{_CBC}AllowanceChargeReasonCode": _allowance_charge_reason,
    f"{_CBC}TaxExemptionReasonCode": _exemption_reason,
    **dict.fromkeys(
        (f"{_CBC}InvoicedQuantity", f"{_CBC}BaseQuantity", f"{_CBC}CreditedQuantity"),
        _attribute_code(
            "BR-CL-23",
            "unitCode",
            codes.UNIT_CODES,
            "a UN/ECE Recommendation 20/21 unit code",
            _fix("a UN/ECE Recommendation 20 unit code", "C62 for units, HUR for hours"),
        ),
    ),
    f"{_CBC}EmbeddedDocumentBinaryObject": _mime_code,
    f"{_CBC}EndpointID": _attribute_code(
        "BR-CL-25",
        "schemeID",
        codes.EAS_CODES,
        "a CEF EAS electronic address scheme code",
        _fix("an EAS electronic address scheme", "0088 for a GLN, 9930 for a German VAT number"),
    ),
}
_TAGS = tuple(_ANYWHERE) + tuple(_CHILD_OF)


@lru_cache(maxsize=8)
def _scan(root: etree._Element) -> dict[str, tuple[Problem, ...]]:
    """The problems of every BR-CL rule in one document, by rule id (root: held by identity)."""
    found: Found = {}
    anywhere, child_of = _ANYWHERE, _CHILD_OF
    for node in root.iter(*_TAGS):
        handler = anywhere.get(node.tag)
        if handler is None:
            parent = node.getparent()
            handler = child_of[node.tag].get(parent.tag) if parent is not None else None
            if handler is None:
                continue
        handler(node, found)
    return {rule_id: tuple(problems) for rule_id, problems in found.items()}


def _rule(rule_id: str) -> Callable[[CanonicalInvoice, RuleContext], tuple[Problem, ...] | None]:
    def check(inv: CanonicalInvoice, ctx: RuleContext) -> tuple[Problem, ...] | None:
        doc = inv.ubl
        return None if doc is None else _scan(doc.root).get(rule_id)

    check.__name__ = check.__qualname__ = f"check_{rule_id.replace('-', '_').lower()}"
    return check


# (id, title): the official assertion text; every BR-CL rule is flagged fatal.
RULES = (
    ("BR-CL-01", "The document type code MUST be coded by the invoice and credit note related code lists of UNTDID 1001"),
    ("BR-CL-03", "currencyID MUST be coded using ISO code list 4217 alpha-3"),
    ("BR-CL-04", "Invoice currency code MUST be coded using ISO code list 4217 alpha-3"),
    ("BR-CL-05", "Tax currency code MUST be coded using ISO code list 4217 alpha-3"),
    ("BR-CL-06", "Value added tax point date code MUST be coded using a restriction of UNTDID 2005"),
    ("BR-CL-07", "Object identifier identification scheme identifier MUST be coded using a restriction of UNTDID 1153"),
    ("BR-CL-08", "Invoiced note subject code shall be coded using UNCL4451"),
    ("BR-CL-10", "Any identifier identification scheme identifier MUST be coded using one of the ISO 6523 ICD list"),
    ("BR-CL-11", "Any registration identifier identification scheme identifier MUST be coded using one of the ISO 6523 ICD list"),
    ("BR-CL-13", "Item classification identifier identification scheme identifier MUST be coded using one of the UNTDID 7143 list"),
    ("BR-CL-14", "Country codes in an invoice MUST be coded using ISO code list 3166-1"),
    ("BR-CL-15", "Country codes in an invoice MUST be coded using ISO code list 3166-1 (item country of origin)"),
    ("BR-CL-16", "Payment means in an invoice MUST be coded using UNCL4461 code list"),
    ("BR-CL-17", "Invoice tax categories MUST be coded using UNCL5305 code list"),
    ("BR-CL-18", "Invoice tax categories MUST be coded using UNCL5305 code list (invoice line)"),
    ("BR-CL-19", "Coded allowance reasons MUST belong to the UNCL 5189 code list"),
    ("BR-CL-20", "Coded charge reasons MUST belong to the UNCL 7161 code list"),
    ("BR-CL-21", "Item standard identifier scheme identifier MUST belong to the ISO 6523 ICD code list"),
    ("BR-CL-22", "Tax exemption reason code identifier scheme identifier MUST belong to the CEF VATEX code list"),
    ("BR-CL-23", "Unit code MUST be coded according to the UN/ECE Recommendation 20 with Rec 21 extension"),
    ("BR-CL-24", "For Mime code in attribute use MIMEMediaType"),
    ("BR-CL-25", "Endpoint identifier scheme identifier MUST belong to the CEF EAS code list"),
    ("BR-CL-26", "Delivery location identifier scheme identifier MUST belong to the ISO 6523 ICD code list"),
)  # fmt: skip
def all_findings(inv: CanonicalInvoice, ctx: RuleContext) -> dict[str, tuple[Problem, ...]]:
    """Every BR-CL rule at once (the rule set's group call)."""
    doc = inv.ubl
    return {} if doc is None else _scan(doc.root)


for _id, _title in RULES:
    PACK.rule(_id, Severity.BLOCK, _title, ubl_only=True, group=all_findings)(_rule(_id))
