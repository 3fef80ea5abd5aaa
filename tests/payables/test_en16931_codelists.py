"""EN 16931 code list rules BR-CL-01 to BR-CL-26: official unit tests, examples, hand-made documents."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from payables.canonical import CanonicalInvoice, Status
from payables.conformance import run_conformance
from payables.formats.safe_xml import parse_xml
from payables.formats.ubl import invoice_from_ubl
from payables.rules.base import Needs, Problem, Severity
from payables.rules.packs import en16931_codelists_data as codes
from payables.rules.packs.en16931_codelists import PACK
from payables.rules.registry import RuleSet, default_ruleset
from tests.factories import make_context

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "conformance"
SHARED = Path("/work/shared/conformance")
RULE_IDS = [f"BR-CL-{n:02d}" for n in range(1, 27) if n not in (2, 9, 12)]
BR_CL_EXPECTATIONS = 28  # in scope in en16931/test/Invoice-unit-UBL/BR-CL-*.xml


def ubl(body: str, credit_note: bool = False, type_code: str | None = None) -> CanonicalInvoice:
    root, ns = ("CreditNote", "CreditNote-2") if credit_note else ("Invoice", "Invoice-2")
    code = type_code if type_code is not None else ("381" if credit_note else "380")
    xml = (
        f'<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{ns}"\n'
        ' xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"\n'
        ' xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">\n'
        f"<cbc:ID>T-1</cbc:ID>\n<cbc:{root}TypeCode>{code}</cbc:{root}TypeCode>\n{body}\n</{root}>"
    )
    return invoice_from_ubl(parse_xml(xml.encode()))


def fired(rule_id: str, invoice: CanonicalInvoice) -> list[Problem]:
    result = default_ruleset().rule(rule_id).check(invoice, make_context())
    if result is None:
        return []
    return [result] if isinstance(result, Problem) else list(result)


def messages(invoice: CanonicalInvoice) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for rule_id in RULE_IDS:
        for problem in fired(rule_id, invoice):
            assert problem.action and problem.severity is None
            found.setdefault(rule_id, []).append(problem.message)
    return found


def test_the_pack() -> None:
    assert (PACK.name, PACK.version, PACK.source) == ("en16931-codelists", "1.3.16", "EN16931")
    assert [r.id for r in PACK.rules] == RULE_IDS
    for rule in PACK.rules:
        assert rule.severity == Severity.BLOCK and rule.ubl_only  # every BR-CL assertion is fatal
        assert default_ruleset().rule(rule.id) is rule


def test_br_cl_rules_agree_with_the_official_unit_tests() -> None:
    report = run_conformance(DATA, RuleSet([PACK]))
    tally = report.families["BR-CL"]
    failures = "\n".join(
        f"{f.expectation.file} test {f.expectation.test}: {f.expectation.rule} expected "
        f"{f.expectation.kind} x{f.expectation.number}, fired {f.fired}x: {f.detail}"
        for f in report.failures
    )
    assert tally.total == BR_CL_EXPECTATIONS
    assert tally.met >= 0.99 * tally.total, failures
    assert report.failures == [], failures


def test_no_fatal_findings_on_the_example_documents() -> None:
    report = run_conformance(DATA, RuleSet([PACK]))
    assert len(report.examples) == 31 and report.examples_parsed == 31
    assert [(e.file, f.rule, f.message) for e in report.examples for f in e.fatal] == []


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared conformance folder is not on this machine")
def test_the_shared_folder_gives_the_same_figures() -> None:
    report = run_conformance(SHARED, RuleSet([PACK]))
    assert report.failures == []
    assert report.families["BR-CL"].total == BR_CL_EXPECTATIONS
    assert report.fatal_findings == 0


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared conformance folder is not on this machine")
def test_the_code_lists_are_the_official_ones() -> None:
    """The data module is what the extraction script makes of the official schematron now."""
    script = REPO / "scripts" / "extract_en16931_codelists.py"
    spec = importlib.util.spec_from_file_location("extract_en16931_codelists", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.generate(SHARED) == Path(codes.__file__).read_text(encoding="utf-8")


def test_the_lists_hold_what_they_should() -> None:
    assert {"EUR", "USD", "SEK"} <= codes.CURRENCY_CODES and "EURO" not in codes.CURRENCY_CODES
    assert {"380", "381"} & codes.INVOICE_TYPE_CODES == {"380"}
    assert {"380", "381"} & codes.CREDIT_NOTE_TYPE_CODES == {"381"}
    assert sorted(codes.TAX_CATEGORY_CODES) == ["AE", "B", "E", "G", "K", "L", "M", "O", "S", "Z"]
    assert sorted(codes.VAT_DATE_CODES) == ["3", "35", "432"]
    assert {"0088", "0192"} <= codes.PARTY_ID_SCHEME_CODES and "SEPA" not in codes.PARTY_ID_SCHEME_CODES
    assert {"C62", "HUR", "EA"} <= codes.UNIT_CODES
    assert {"VATEX-EU-IC", "VATEX-EU-AE"} <= codes.VATEX_CODES
    assert "application/pdf" in codes.MIME_CODES and len(codes.MIME_CODES) == 6


BAD = """
<cbc:Note>#XYZ#made-up subject</cbc:Note>
<cbc:DocumentCurrencyCode>EURO</cbc:DocumentCurrencyCode>
<cbc:TaxCurrencyCode>SKK</cbc:TaxCurrencyCode>
<cac:InvoicePeriod><cbc:DescriptionCode>5</cbc:DescriptionCode></cac:InvoicePeriod>
<cac:AdditionalDocumentReference>
  <cbc:ID schemeID="QQQ">OBJ-1</cbc:ID><cbc:DocumentTypeCode>130</cbc:DocumentTypeCode>
</cac:AdditionalDocumentReference>
<cac:AdditionalDocumentReference>
  <cbc:ID>ATT-1</cbc:ID>
  <cac:Attachment>
    <cbc:EmbeddedDocumentBinaryObject mimeCode="image/tiff" filename="scan.tif">AA==</cbc:EmbeddedDocumentBinaryObject>
  </cac:Attachment>
</cac:AdditionalDocumentReference>
<cac:AccountingSupplierParty><cac:Party>
  <cbc:EndpointID schemeID="NO:ORGNR">987654321</cbc:EndpointID>
  <cac:PartyIdentification><cbc:ID schemeID="SEPA">DE98ZZZ09999999999</cbc:ID></cac:PartyIdentification>
  <cac:PostalAddress><cac:Country><cbc:IdentificationCode>UK</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
  <cac:PartyLegalEntity><cbc:CompanyID schemeID="ORGNR">123</cbc:CompanyID></cac:PartyLegalEntity>
</cac:Party></cac:AccountingSupplierParty>
<cac:AccountingCustomerParty><cac:Party>
  <cac:PartyIdentification><cbc:ID schemeID="SEPA">X-1</cbc:ID></cac:PartyIdentification>
</cac:Party></cac:AccountingCustomerParty>
<cac:Delivery><cac:DeliveryLocation><cbc:ID schemeID="GLN">5790000435975</cbc:ID></cac:DeliveryLocation></cac:Delivery>
<cac:PaymentMeans><cbc:PaymentMeansCode>99</cbc:PaymentMeansCode></cac:PaymentMeans>
<cac:AllowanceCharge>
  <cbc:ChargeIndicator>false</cbc:ChargeIndicator><cbc:AllowanceChargeReasonCode>94</cbc:AllowanceChargeReasonCode>
  <cbc:Amount currencyID="EUR">1.00</cbc:Amount>
</cac:AllowanceCharge>
<cac:AllowanceCharge>
  <cbc:ChargeIndicator>1</cbc:ChargeIndicator><cbc:AllowanceChargeReasonCode>XX</cbc:AllowanceChargeReasonCode>
  <cbc:Amount currencyID="EUR">1.00</cbc:Amount>
</cac:AllowanceCharge>
<cac:TaxTotal>
  <cbc:TaxAmount currencyID="EUR">0.00</cbc:TaxAmount>
  <cac:TaxSubtotal>
    <cbc:TaxableAmount>10.00</cbc:TaxableAmount>
    <cbc:TaxAmount currencyID="EUR">0.00</cbc:TaxAmount>
    <cac:TaxCategory>
      <cbc:ID>X</cbc:ID><cbc:TaxExemptionReasonCode>VATEX-EU-999</cbc:TaxExemptionReasonCode>
      <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
    </cac:TaxCategory>
  </cac:TaxSubtotal>
</cac:TaxTotal>
<cac:LegalMonetaryTotal><cbc:PayableAmount currencyID="ECU">10.00</cbc:PayableAmount></cac:LegalMonetaryTotal>
<cac:InvoiceLine>
  <cbc:ID>1</cbc:ID>
  <cbc:InvoicedQuantity unitCode="PCS">1</cbc:InvoicedQuantity>
  <cbc:LineExtensionAmount currencyID="EUR">10.00</cbc:LineExtensionAmount>
  <cac:Item>
    <cac:StandardItemIdentification><cbc:ID schemeID="GTIN">4006381333931</cbc:ID></cac:StandardItemIdentification>
    <cac:OriginCountry><cbc:IdentificationCode>XX</cbc:IdentificationCode></cac:OriginCountry>
    <cac:CommodityClassification>
      <cbc:ItemClassificationCode listID="CPV">12345678</cbc:ItemClassificationCode>
    </cac:CommodityClassification>
    <cac:ClassifiedTaxCategory><cbc:ID>VAT</cbc:ID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>
  </cac:Item>
  <cac:Price>
    <cbc:PriceAmount currencyID="EUR">10.00</cbc:PriceAmount>
    <cbc:BaseQuantity unitCode="">1</cbc:BaseQuantity>
  </cac:Price>
</cac:InvoiceLine>
"""


def test_every_bad_code_is_found_and_named() -> None:
    found = messages(ubl(BAD, type_code="999"))
    assert found == {
        "BR-CL-01": ["InvoiceTypeCode '999' (line 5) is not a UNTDID 1001 invoice type code that EN 16931 accepts"],
        "BR-CL-03": [
            "TaxSubtotal/TaxableAmount (line 42) has no currencyID; an amount must state its ISO 4217 currency code",
            "the currencyID 'ECU' of LegalMonetaryTotal/PayableAmount (line 50) is not an ISO 4217 currency code",
        ],
        "BR-CL-04": ["DocumentCurrencyCode 'EURO' (line 8) is not an ISO 4217 currency code"],
        "BR-CL-05": ["TaxCurrencyCode 'SKK' (line 9) is not an ISO 4217 currency code"],
        "BR-CL-06": [
            "InvoicePeriod/DescriptionCode '5' (line 10) is not a UNTDID 2005 VAT point date code "
            "EN 16931 accepts (3, 35 or 432)"
        ],
        "BR-CL-07": [
            "the schemeID 'QQQ' of AdditionalDocumentReference/ID (line 12) is not a UNTDID 1153 "
            "reference code (invoiced object identifier)"
        ],
        "BR-CL-08": [
            "the Note (line 7) starts its subject code with '#XYZ#', and 'XYZ' is not a UNCL 4451 text subject code"
        ],
        "BR-CL-10": [
            "the schemeID 'SEPA' of PartyIdentification/ID (line 27) is not an ISO 6523 ICD code "
            "(SEPA is accepted only for the seller or the payee)"
        ],
        "BR-CL-11": ["the schemeID 'ORGNR' of PartyLegalEntity/CompanyID (line 24) is not an ISO 6523 ICD code"],
        "BR-CL-13": [
            "the listID 'CPV' of CommodityClassification/ItemClassificationCode (line 59) is not a "
            "UNTDID 7143 item classification scheme"
        ],
        "BR-CL-14": ["Country/IdentificationCode 'UK' (line 23) is not an ISO 3166-1 alpha-2 country code"],
        "BR-CL-15": ["OriginCountry/IdentificationCode 'XX' (line 57) is not an ISO 3166-1 alpha-2 country code"],
        "BR-CL-16": ["PaymentMeansCode '99' (line 30) is not a UNCL 4461 payment means code"],
        "BR-CL-17": [
            "TaxCategory/ID 'X' (line 45) is not a UNCL 5305 VAT category code (S, Z, E, AE, K, G, O, L, M or B)"
        ],
        "BR-CL-18": [
            "ClassifiedTaxCategory/ID 'VAT' (line 61) is not a UNCL 5305 VAT category code "
            "(S, Z, E, AE, K, G, O, L, M or B)"
        ],
        "BR-CL-19": ["allowance reason code '94' (line 32) is not a UNCL 5189 allowance reason code"],
        "BR-CL-20": ["charge reason code 'XX' (line 36) is not a UNCL 7161 charge reason code"],
        "BR-CL-21": [
            "the schemeID 'GTIN' of StandardItemIdentification/ID (line 56) is not an ISO 6523 ICD code"
        ],
        "BR-CL-22": ["TaxExemptionReasonCode 'VATEX-EU-999' (line 45) is not a VATEX exemption reason code"],
        "BR-CL-23": [
            "the unitCode 'PCS' of InvoiceLine/InvoicedQuantity (line 53) is not a UN/ECE "
            "Recommendation 20/21 unit code",
            "the unitCode '' (empty) of Price/BaseQuantity (line 65) is not a UN/ECE Recommendation 20/21 unit code",
        ],
        "BR-CL-24": [
            "the mimeCode 'image/tiff' of the attachment 'scan.tif' (line 17) is not one EN 16931 "
            "accepts (PDF, PNG, JPEG, CSV, XLSX or ODS)"
        ],
        "BR-CL-25": [
            "the schemeID 'NO:ORGNR' of Party/EndpointID (line 21) is not a CEF EAS electronic address scheme code"
        ],
        "BR-CL-26": ["the schemeID 'GLN' of DeliveryLocation/ID (line 29) is not an ISO 6523 ICD code"],
    }


def test_the_document_is_rejected_through_the_rule_set() -> None:
    evaluation = default_ruleset().evaluate(ubl(BAD), make_context(), frozenset(Needs))
    assert evaluation.status == Status.REJECTED
    assert {f.rule for f in evaluation.findings if f.rule.startswith("BR-CL")} == set(RULE_IDS) - {"BR-CL-01"}


GOOD = """
<cbc:Note>#AAI#general information</cbc:Note>
<cbc:Note>no subject code # here, nor #LONGER# ones</cbc:Note>
<cbc:DocumentCurrencyCode> EUR
</cbc:DocumentCurrencyCode>
<cac:InvoicePeriod><cbc:DescriptionCode>35</cbc:DescriptionCode></cac:InvoicePeriod>
<cac:AdditionalDocumentReference><cbc:ID schemeID="QQQ">not an invoiced object</cbc:ID></cac:AdditionalDocumentReference>
<cac:AccountingSupplierParty><cac:Party>
  <cbc:EndpointID schemeID="0088">5790000435975</cbc:EndpointID>
  <cac:PartyIdentification><cbc:ID schemeID="SEPA">DE98ZZZ09999999999</cbc:ID></cac:PartyIdentification>
  <cac:PartyIdentification><cbc:ID>no scheme</cbc:ID></cac:PartyIdentification>
  <cac:PostalAddress><cac:Country><cbc:IdentificationCode>SE</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
</cac:Party></cac:AccountingSupplierParty>
<cac:PayeeParty><cac:PartyIdentification><cbc:ID schemeID="SEPA">P-1</cbc:ID></cac:PartyIdentification></cac:PayeeParty>
<cac:AllowanceCharge>
  <cbc:ChargeIndicator>0</cbc:ChargeIndicator><cbc:AllowanceChargeReasonCode>95</cbc:AllowanceChargeReasonCode>
  <cbc:Amount currencyID="EUR">1.00</cbc:Amount>
</cac:AllowanceCharge>
<cac:AllowanceCharge>
  <cbc:ChargeIndicator>yes</cbc:ChargeIndicator><cbc:AllowanceChargeReasonCode>??</cbc:AllowanceChargeReasonCode>
  <cbc:Amount currencyID="EUR">1.00</cbc:Amount>
</cac:AllowanceCharge>
<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">0.00</cbc:TaxAmount>
  <cac:TaxSubtotal><cac:TaxCategory><cbc:ID>E</cbc:ID>
    <cbc:TaxExemptionReasonCode>vatex-eu-ic</cbc:TaxExemptionReasonCode></cac:TaxCategory></cac:TaxSubtotal>
</cac:TaxTotal>
<cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:InvoicedQuantity>1</cbc:InvoicedQuantity>
  <cac:Item><cac:CommodityClassification><cbc:ItemClassificationCode>1</cbc:ItemClassificationCode></cac:CommodityClassification></cac:Item>
</cac:InvoiceLine>
"""


def test_good_codes_and_out_of_context_values_pass() -> None:
    assert messages(ubl(GOOD)) == {}


def test_credit_note_type_codes() -> None:
    assert messages(ubl("", credit_note=True)) == {}
    assert messages(ubl("", credit_note=True, type_code="380")) == {
        "BR-CL-01": [
            "CreditNoteTypeCode '380' (line 5) is not a UNTDID 1001 credit note type code that EN 16931 accepts"
        ]
    }


def test_a_bad_code_fires_once_per_element() -> None:
    lines = "".join(
        f'<cac:InvoiceLine><cbc:ID>{n}</cbc:ID><cbc:InvoicedQuantity unitCode="PCS">1</cbc:InvoicedQuantity></cac:InvoiceLine>'
        for n in (1, 2, 3)
    )
    assert len(fired("BR-CL-23", ubl(lines))) == 3


def test_an_allowance_and_charge_indicator_counts_as_allowance() -> None:
    """Both contexts are in one schematron pattern: the first (allowance, BR-CL-19) wins."""
    body = (
        "<cac:AllowanceCharge><cbc:ChargeIndicator>true</cbc:ChargeIndicator><cbc:ChargeIndicator>false"
        "</cbc:ChargeIndicator><cbc:AllowanceChargeReasonCode>FC</cbc:AllowanceChargeReasonCode></cac:AllowanceCharge>"
    )
    assert list(messages(ubl(body))) == ["BR-CL-19"]


@pytest.mark.parametrize(
    ("note", "fires"),
    [("#AAA#x", False), ("#A A#x", False), ("#AAB#", False), ("#ZZZ#", False), ("#QQQ#", True), ("#AA#x", False),
     ("x #QQQ# y", True), ("#QQQ", False)],
)  # fmt: skip
def test_note_subject_codes(note: str, fires: bool) -> None:
    """BR-CL-08 asks whether the code is a substring of the list string, as the schematron does."""
    assert bool(fired("BR-CL-08", ubl(f"<cbc:Note>{note}</cbc:Note>"))) is fires
