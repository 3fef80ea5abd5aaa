"""PEPPOL BIS 3 national rules for Germany (DE-R), Denmark (DK-R), Norway (NO-R) and Sweden
(SE-R) against the official unit tests and example documents, and on hand-made documents showing
what they report and that they keep to the documents of their country."""

from __future__ import annotations

from pathlib import Path

import pytest

from payables.canonical import CanonicalInvoice
from payables.conformance import family, run_conformance
from payables.formats.safe_xml import parse_xml
from payables.formats.ubl import invoice_from_ubl
from payables.rules.base import Problem, Severity
from payables.rules.packs import peppol_national_de, peppol_national_nordic
from payables.rules.packs.peppol_national_nordic import mod11, se_orgnr_ok
from payables.rules.registry import RuleSet, default_ruleset
from tests.factories import make_context

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "conformance"
SHARED = Path("/work/shared/conformance")
PACKS = [peppol_national_de.PACK, peppol_national_nordic.PACK]
RULES = RuleSet(PACKS)
FAMILIES = {family(r.id) for p in PACKS for r in p.rules}


def test_the_packs() -> None:
    ids = [r.id for p in PACKS for r in p.rules]
    assert len(ids) == len(set(ids)) == 30 + 13 + 2 + 13
    for rule in RULES.rules:
        assert rule.source == "PEPPOL" and rule.ubl_only and rule.title and rule.scope_note
        assert default_ruleset().rule(rule.id) is rule
    warnings = {r.id for r in RULES.rules if r.severity == Severity.WARN}
    assert warnings == {
        "DE-R-017", "DE-R-019", "DE-R-020", "DE-R-026", "DE-R-027", "DE-R-028",
        "DK-R-003", "NO-R-002", "SE-R-007", "SE-R-008", "SE-R-009", "SE-R-010", "SE-R-011", "SE-R-012",
    }  # fmt: skip


@pytest.mark.parametrize("root", [DATA, SHARED], ids=["copy", "shared"])
def test_official_unit_tests(root: Path) -> None:
    if not root.is_dir():
        pytest.skip(f"{root} is not on this machine")
    report = run_conformance(root, RULES)
    failures = [
        f"{f.expectation.file} test {f.expectation.test}: {f.expectation.rule} "
        f"{f.expectation.kind} x{f.expectation.number}, fired {f.fired}: {f.detail}"
        for f in report.failures
    ]
    assert {"DE-R", "DK-R", "NO-R", "SE-R"} <= set(report.families) <= FAMILIES
    for name, tally in report.families.items():
        assert tally.total > 0
        assert tally.met / tally.total >= 0.99, f"{name}:\n" + "\n".join(failures)
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("root", [DATA, SHARED], ids=["copy", "shared"])
def test_no_fatal_findings_on_the_example_documents(root: Path) -> None:
    if not root.is_dir():
        pytest.skip(f"{root} is not on this machine")
    report = run_conformance(root, RULES)
    assert report.examples_parsed == len(report.examples) >= 31
    assert any("national-examples/NO" in e.file for e in report.examples)
    findings = [(e.file, f.rule, f.message) for e in report.examples for f in e.fatal]
    assert findings == []


# -- hand-made documents -------------------------------------------------------------------------


def party(tag: str, country: str, extra: str = "", address: str = "") -> str:
    return (
        f"<cac:{tag}><cac:Party>{extra}<cac:PostalAddress>{address}<cac:Country>"
        f"<cbc:IdentificationCode>{country}</cbc:IdentificationCode></cac:Country>"
        f"</cac:PostalAddress></cac:Party></cac:{tag}>"
    )


def document(*parts: str, credit_note: bool = False, spec: str | None = None) -> CanonicalInvoice:
    root, ns = ("CreditNote", "CreditNote-2") if credit_note else ("Invoice", "Invoice-2")
    spec = spec or "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
    xml = (
        f'<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{ns}"\n'
        'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"\n'
        'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">\n'
        f"<cbc:CustomizationID>{spec}</cbc:CustomizationID>\n"
        "<cbc:ID>T-1</cbc:ID>\n" + "\n".join(parts) + f"\n</{root}>"
    )
    return invoice_from_ubl(parse_xml(xml.encode()))


def findings(invoice: CanonicalInvoice) -> dict[str, list[Problem]]:
    found: dict[str, list[Problem]] = {}
    ctx = make_context()
    for rule in default_ruleset().rules:
        if rule not in RULES.rules:
            continue
        result = rule.check(invoice, ctx)
        if result is None:
            continue
        problems = [result] if isinstance(result, Problem) else list(result)
        assert all(p.message and p.action for p in problems)
        found[rule.id] = problems
    return found


def german(seller_country: str = "DE", spec: str | None = None) -> CanonicalInvoice:
    contact = (
        "<cac:Contact><cbc:Name>Anna</cbc:Name><cbc:Telephone>12</cbc:Telephone></cac:Contact>"
    )
    return document(
        "<cbc:InvoiceTypeCode>999</cbc:InvoiceTypeCode>",
        party(
            "AccountingSupplierParty",
            seller_country,
            "<cac:PartyTaxScheme><cbc:CompanyID>DE123456789</cbc:CompanyID>"
            "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>" + contact,
            "<cbc:CityName>Berlin</cbc:CityName>",
        ),
        party(
            "AccountingCustomerParty",
            "DE",
            address="<cbc:CityName>Bonn</cbc:CityName><cbc:PostalZone>53111</cbc:PostalZone>",
        ),
        "<cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>"
        "<cac:PayeeFinancialAccount><cbc:ID>DE00 1234 5678</cbc:ID></cac:PayeeFinancialAccount>"
        "<cac:CardAccount><cbc:PrimaryAccountNumberID>1234</cbc:PrimaryAccountNumberID>"
        "<cbc:NetworkID>VISA</cbc:NetworkID></cac:CardAccount></cac:PaymentMeans>",
        "<cac:PaymentTerms><cbc:Note>#SKONTO#TAGE=14#PROZENT=2#\n</cbc:Note></cac:PaymentTerms>",
        '<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">0</cbc:TaxAmount><cac:TaxSubtotal>'
        "<cac:TaxCategory><cbc:ID>S</cbc:ID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>"
        "</cac:TaxCategory></cac:TaxSubtotal></cac:TaxTotal>",
        spec=spec,
    )


def test_a_german_document_gets_every_finding_with_its_values() -> None:
    found = findings(german())
    assert set(found) == {
        "DE-R-004", "DE-R-007", "DE-R-014", "DE-R-015", "DE-R-017", "DE-R-018",
        "DE-R-019", "DE-R-023-2", "DE-R-027", "DE-R-028",
    }  # fmt: skip
    assert all(len(p) == 1 for p in found.values())
    text = {rule: problems[0].message for rule, problems in found.items()}
    assert "post code" in text["DE-R-004"] and "line" in text["DE-R-004"]
    assert "'999'" in text["DE-R-017"]
    assert "'#SKONTO#TAGE=14#PROZENT=2#'" in text["DE-R-018"]
    assert "'DE00 1234 5678'" in text["DE-R-019"] and "IBAN" in text["DE-R-019"]
    assert "<cac:CardAccount>" in text["DE-R-023-2"] and "code 58" in text["DE-R-023-2"]
    assert "'12'" in text["DE-R-027"]
    assert "VAT category 'S'" in text["DE-R-014"]
    severities = {r.id: r.severity for r in RULES.rules}
    assert severities["DE-R-019"] == Severity.WARN and severities["DE-R-018"] == Severity.BLOCK


@pytest.mark.parametrize(
    "seller, spec",
    [
        ("FR", None),
        ("NO", None),
        ("DE", "urn:cen.eu:en16931:2017"),
        ("DE", "urn:xeinkauf.de:kosit:xrechnung_3.0"),
    ],
)
def test_the_german_rules_keep_to_german_peppol_documents(seller: str, spec: str | None) -> None:
    assert findings(german(seller, spec)) == {}


def danish(seller: str = "DK") -> CanonicalInvoice:
    return document(
        party(
            "AccountingSupplierParty",
            seller,
            '<cac:PartyIdentification><cbc:ID schemeID=" ">5790000000001</cbc:ID></cac:PartyIdentification>'
            '<cac:PartyLegalEntity><cbc:CompanyID schemeID="0088">12345678</cbc:CompanyID></cac:PartyLegalEntity>',
        ),
        party("AccountingCustomerParty", "DK"),
        "<cac:AllowanceCharge><cbc:ChargeIndicator>true</cbc:ChargeIndicator>"
        "<cbc:AllowanceChargeReasonCode>ZZZ</cbc:AllowanceChargeReasonCode>"
        "<cbc:AllowanceChargeReason>Afgift#</cbc:AllowanceChargeReason></cac:AllowanceCharge>",
        "<cac:PaymentMeans><cbc:PaymentMeansCode>93</cbc:PaymentMeansCode><cbc:PaymentID>71#123</cbc:PaymentID>"
        "<cac:PayeeFinancialAccount><cbc:ID>1234567</cbc:ID></cac:PayeeFinancialAccount></cac:PaymentMeans>",
        "<cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode></cac:PaymentMeans>",
    )


def test_a_danish_document_gets_every_finding_and_another_seller_none() -> None:
    found = findings(danish())
    assert set(found) == {"DK-R-004", "DK-R-005", "DK-R-010", "DK-R-011", "DK-R-013", "DK-R-014"}
    text = {rule: problems[0].message for rule, problems in found.items()}
    assert "'Afgift#'" in text["DK-R-004"]
    assert "'30'" in text["DK-R-005"]
    assert "'71#123'" in text["DK-R-010"] and "'1234567'" in text["DK-R-010"]
    assert "'5790000000001'" in text["DK-R-013"]
    assert "'0088'" in text["DK-R-014"] and "line" in text["DK-R-014"]
    assert findings(danish("DE")) == {}


def test_swedish_and_norwegian_documents() -> None:
    swedish = document(
        party(
            "AccountingSupplierParty",
            "SE",
            "<cac:PartyTaxScheme><cbc:CompanyID>SE55603607930</cbc:CompanyID>"
            "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>"
            "<cac:PartyLegalEntity><cbc:CompanyID>5560360794</cbc:CompanyID></cac:PartyLegalEntity>",
        ),
        "<cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode><cac:PayeeFinancialAccount>"
        "<cbc:ID>12-34</cbc:ID><cac:FinancialInstitutionBranch><cbc:ID>SE:BANKGIRO</cbc:ID>"
        "</cac:FinancialInstitutionBranch></cac:PayeeFinancialAccount></cac:PaymentMeans>",
        '<cac:TaxTotal><cbc:TaxAmount currencyID="SEK">0</cbc:TaxAmount><cac:TaxSubtotal>'
        "<cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID>"
        "</cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal></cac:TaxTotal>",
    )
    found = findings(swedish)
    assert set(found) == {"SE-R-001", "SE-R-006", "SE-R-008", "SE-R-009", "SE-R-013"}
    assert "'SE55603607930'" in found["SE-R-001"][0].message
    assert "'20'" in found["SE-R-006"][0].message
    assert "'5560360794'" in found["SE-R-013"][0].message
    norwegian = document(
        party(
            "AccountingSupplierParty",
            "NO",
            "<cac:PartyTaxScheme><cbc:CompanyID>NO123456789MVA</cbc:CompanyID>"
            "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>",
        )
    )
    found = findings(norwegian)
    assert set(found) == {"NO-R-001", "NO-R-002"}
    assert "'NO123456789MVA'" in found["NO-R-001"][0].message


def test_check_digits() -> None:
    assert mod11("974760673") and not mod11("974760674") and not mod11("000000000")
    assert (
        se_orgnr_ok("5560360793")
        and not se_orgnr_ok("5560360794")
        and not se_orgnr_ok("556036079A")
    )
