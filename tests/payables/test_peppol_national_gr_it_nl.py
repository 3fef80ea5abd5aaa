"""PEPPOL BIS 3 national rules for Greece, Italy, the Netherlands and Iceland against the official
unit tests and example documents, and on hand-made documents showing what they report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from payables.canonical import CanonicalInvoice, Status
from payables.conformance import run_conformance
from payables.formats.safe_xml import parse_xml
from payables.formats.ubl import invoice_from_ubl
from payables.rules.base import Needs, Problem, Severity
from payables.rules.packs import peppol_national_gr_it as gr_it
from payables.rules.packs import peppol_national_nl_is as nl_is
from payables.rules.registry import RuleSet, default_ruleset
from tests.factories import make_context

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "conformance"
SHARED = Path("/work/shared/conformance")
OURS = RuleSet([gr_it.PACK, nl_is.PACK])
OUR_IDS = re.compile(r"(GR-[RS]|IT-R|NL-R|IS-R)-")
PEPPOL = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"


def test_the_packs() -> None:
    for pack in (gr_it.PACK, nl_is.PACK):
        assert (pack.version, pack.source) == ("3.0.19", "PEPPOL")
        for rule in pack.rules:
            assert rule.ubl_only and rule.title
            assert default_ruleset().rule(rule.id) is rule
    ids = {r.id: r.severity for r in OURS.rules}
    assert len(ids) == 23 + 19
    warnings = {i for i, s in ids.items() if s == Severity.WARN}
    assert warnings == {"GR-S-011", "GR-S-008-1", "IS-R-001"}
    assert all(OUR_IDS.match(i) for i in ids)


@pytest.mark.parametrize("root", [DATA, SHARED], ids=["copy", "shared"])
def test_official_unit_tests(root: Path) -> None:
    if not root.is_dir():
        pytest.skip(f"{root} is not on this machine")
    report = run_conformance(root, OURS)
    failures = [
        f"{f.expectation.file} test {f.expectation.test}: {f.expectation.rule} "
        f"{f.expectation.kind} x{f.expectation.number}, fired {f.fired}: {f.detail}"
        for f in report.failures
    ]
    assert report.families and all(OUR_IDS.match(name + "-") for name in report.families)
    for prefix in ("GR-", "IT-R", "NL-R"):
        assert any(name.startswith(prefix) for name in report.families), prefix
    total = report.total
    assert total.total >= 80
    assert total.met / total.total >= 0.99, "\n".join(failures)
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("root", [DATA, SHARED], ids=["copy", "shared"])
def test_no_fatal_findings_on_the_example_documents(root: Path) -> None:
    if not root.is_dir():
        pytest.skip(f"{root} is not on this machine")
    report = run_conformance(root, OURS)
    assert report.examples_parsed == len(report.examples) >= 31
    assert any("national-examples/GR/" in e.file for e in report.examples)
    findings = [(e.file, f.rule, f.message) for e in report.examples for f in e.fatal]
    assert findings == []


# -- hand-made documents -------------------------------------------------------------------------


def ubl(
    *parts: str, credit_note: bool = False, customization: str | None = PEPPOL
) -> CanonicalInvoice:
    root, ns = ("CreditNote", "CreditNote-2") if credit_note else ("Invoice", "Invoice-2")
    spec = f"<cbc:CustomizationID>{customization}</cbc:CustomizationID>\n" if customization else ""
    xml = (
        f'<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{ns}"\n'
        'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"\n'
        'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">\n'
        + spec
        + "\n".join(parts)
        + f"\n</{root}>"
    )
    return invoice_from_ubl(parse_xml(xml.encode()))


def party(
    side: str,
    country: str,
    vat: str | None = None,
    *,
    endpoint: tuple[str, str] | None = None,
    name: str | None = None,
    street: bool = False,
    legal: tuple[str, str | None] | None = None,
    tax: tuple[str, str] | None = None,
) -> str:
    parts = []
    if endpoint:
        parts.append(f'<cbc:EndpointID schemeID="{endpoint[0]}">{endpoint[1]}</cbc:EndpointID>')
    if name:
        parts.append(f"<cac:PartyName><cbc:Name>{name}</cbc:Name></cac:PartyName>")
    address = (
        "<cbc:StreetName>Main street 1</cbc:StreetName><cbc:CityName>Town</cbc:CityName>"
        "<cbc:PostalZone>1234</cbc:PostalZone>"
        if street
        else ""
    )
    parts.append(
        f"<cac:PostalAddress>{address}<cac:Country><cbc:IdentificationCode>{country}"
        "</cbc:IdentificationCode></cac:Country></cac:PostalAddress>"
    )
    for company, scheme in ((vat, "VAT"), *((tax,) if tax else ())):
        if company:
            parts.append(
                f"<cac:PartyTaxScheme><cbc:CompanyID>{company}</cbc:CompanyID>"
                f"<cac:TaxScheme><cbc:ID>{scheme}</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>"
            )
    if legal:
        attr = f' schemeID="{legal[1]}"' if legal[1] else ""
        parts.append(
            f"<cac:PartyLegalEntity><cbc:RegistrationName>Company</cbc:RegistrationName>"
            f"<cbc:CompanyID{attr}>{legal[0]}</cbc:CompanyID></cac:PartyLegalEntity>"
        )
    return f"<cac:{side}><cac:Party>{''.join(parts)}</cac:Party></cac:{side}>"


def reference(id_: str, description: str, uri: str | None = None) -> str:
    attachment = (
        f"<cac:Attachment><cac:ExternalReference><cbc:URI>{uri}</cbc:URI></cac:ExternalReference>"
        "</cac:Attachment>"
        if uri
        else ""
    )
    return (
        f"<cac:AdditionalDocumentReference><cbc:ID>{id_}</cbc:ID>"
        f"<cbc:DocumentDescription>{description}</cbc:DocumentDescription>{attachment}"
        "</cac:AdditionalDocumentReference>"
    )


def fired(invoice: CanonicalInvoice) -> dict[str, list[str]]:
    """Every finding of the two packs on the invoice, by rule (messages)."""
    found: dict[str, list[str]] = {}
    for rule in OURS.rules:
        result = rule.check(invoice, make_context())
        if result is None:
            continue
        problems = [result] if isinstance(result, Problem) else list(result)
        assert all(p.action for p in problems)
        if problems:
            found[rule.id] = [p.message for p in problems]
    return found


def greek(seller_country: str = "GR", seller_vat: str = "EL061828592") -> CanonicalInvoice:
    return ubl(
        "<cbc:ID>12345|2020-01-01|x|9.9|</cbc:ID>",
        "<cbc:IssueDate>2024-03-01</cbc:IssueDate>",
        reference("0123", "##M.AR.K##"),
        reference("A1", "##M.AR.K##"),
        reference("u1", "##INVOICE|URL##"),
        reference("u2", "##INVOICE|URL##", "https://example.gr/invoice"),
        party(
            "AccountingSupplierParty",
            seller_country,
            seller_vat,
            endpoint=("0088", "5790000435968"),
        ),
        party("AccountingCustomerParty", "GR", "EL123456789", endpoint=("9933", "123456789")),
    )


def test_a_greek_document_breaking_every_rule_gets_every_finding() -> None:
    found = fired(greek())
    assert set(found) == {r.id for r in gr_it.PACK.rules if r.id.startswith("GR-")}
    assert {rule: len(messages) for rule, messages in found.items() if len(messages) != 1} == {
        "GR-R-004-2": 2
    }
    assert "'12345|2020-01-01|x|9.9|' (cbc:ID, line 5) has 5 segment(s)" in found["GR-R-001-1"][0]
    assert "'12345'" in found["GR-R-001-2"][0] and "'061828592'" in found["GR-R-001-2"][0]
    assert "'2020-01-01'" in found["GR-R-001-3"][0] and "'2024-03-01'" in found["GR-R-001-3"][0]
    assert "'x'" in found["GR-R-001-4"][0] and "'9.9'" in found["GR-R-001-5"][0]
    assert "'EL061828592' (cbc:CompanyID, line 11)" in found["GR-R-003"][0]
    assert "'EL061828592'" in found["GR-S-011"][0]
    assert "has 2 MARK references" in found["GR-R-004-1"][0]
    assert ["'0123'" in found["GR-R-004-2"][0], "'A1'" in found["GR-R-004-2"][1]] == [True, True]
    assert "has 2 invoice URL references" in found["GR-R-008-2"][0]
    assert "line 9" in found["GR-R-008-3"][0]
    assert "'5790000435968' (schemeID '0088'" in found["GR-R-009"][0]
    assert "'EL123456789'" in found["GR-R-006"][0] and "'123456789'" in found["GR-R-010"][0]


def test_the_same_document_from_a_seller_of_another_country_gets_none() -> None:
    assert fired(greek("DE", "DE123456789")) == {}
    # a Greek postal address but a German VAT number: $supplierCountry and
    # $accountingSupplierCountry are both DE (the VAT prefix comes first)
    assert fired(greek("GR", "DE123456789")) == {}


def test_gr_r_009_reads_the_sellers_own_country() -> None:
    # no seller VAT number, a German tax representative: $supplierCountry is DE (no Greek
    # sender rule), $accountingSupplierCountry is GR (the seller's postal country): GR-R-009 only
    doc = ubl(
        "<cbc:ID>1</cbc:ID>",
        party("AccountingSupplierParty", "GR", endpoint=("0088", "5790000435968")),
        "<cac:TaxRepresentativeParty><cac:PartyTaxScheme><cbc:CompanyID>DE123456789</cbc:CompanyID>"
        "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>"
        "</cac:TaxRepresentativeParty>",
    )
    found = fired(doc)
    assert list(found) == ["GR-R-009"]
    assert "'5790000435968' (schemeID '0088', cbc:EndpointID, line 6)" in found["GR-R-009"][0]


def test_a_greek_document_through_the_rule_set_is_rejected() -> None:
    evaluation = OURS.evaluate(greek(), make_context(), frozenset(Needs))
    assert evaluation.status == Status.REJECTED
    assert {f.severity for f in evaluation.findings if f.rule in ("GR-S-011", "GR-S-008-1")} == {
        Severity.WARN
    }


def test_greek_tin_check_digit() -> None:
    assert gr_it.tin_verification("061828591")
    assert gr_it.tin_verification("0618285912")  # only the first nine characters count
    assert not gr_it.tin_verification("061828592")
    assert not gr_it.tin_verification("06182859")
    assert not gr_it.tin_verification("06182859x")


def test_a_plain_en16931_document_is_not_judged_by_peppol_national_rules() -> None:
    doc = ubl(
        "<cbc:ID>12345</cbc:ID>",
        party("AccountingSupplierParty", "GR", "EL061828592"),
        customization="urn:cen.eu:en16931:2017",
    )
    assert fired(doc) == {}


def italian(country: str = "IT", vat: str = "IT12345678901") -> CanonicalInvoice:
    return ubl(
        "<cbc:ID>1</cbc:ID>",
        party("AccountingSupplierParty", country, vat, tax=("abc-123", "TAX")),
    )


def test_an_italian_document_breaking_every_rule_gets_every_finding() -> None:
    found = fired(italian())
    assert {k: len(v) for k, v in found.items()} == {
        "IT-R-001": 1,
        "IT-R-002": 1,
        "IT-R-003": 1,
        "IT-R-004": 1,
    }
    assert "'abc-123' (cbc:CompanyID, line 6)" in found["IT-R-001"][0]
    assert "cbc:StreetName" in found["IT-R-002"][0] and "line 6" in found["IT-R-002"][0]
    assert fired(italian("FR", "FR12345678901")) == {}


def dutch(*parts: str, credit_note: bool = False, buyer: str = "NL") -> CanonicalInvoice:
    return ubl(
        "<cbc:ID>1</cbc:ID>",
        "<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>" if credit_note else "",
        party("AccountingSupplierParty", "NL", "NL123456789B01", legal=("12345678", "0088")),
        party("AccountingCustomerParty", buyer, legal=("", "0106")),
        *parts,
        credit_note=credit_note,
    )


def test_a_dutch_document_breaking_rules_gets_the_findings() -> None:
    found = fired(
        dutch(
            "<cac:PaymentMeans><cbc:PaymentMeansCode>31</cbc:PaymentMeansCode></cac:PaymentMeans>",
            '<cac:LegalMonetaryTotal><cbc:PayableAmount currencyID="EUR">100.00</cbc:PayableAmount>'
            "</cac:LegalMonetaryTotal>",
            "<cac:InvoiceLine><cbc:ID>1</cbc:ID><cac:OrderLineReference><cbc:LineID>7</cbc:LineID>"
            "</cac:OrderLineReference></cac:InvoiceLine>",
        )
    )
    assert {k: len(v) for k, v in found.items()} == {
        "NL-R-002": 1,
        "NL-R-003": 1,
        "NL-R-004": 1,
        "NL-R-005": 1,
        "NL-R-008": 1,
        "NL-R-009": 1,
    }
    assert "'12345678' (schemeID '0088'" in found["NL-R-003"][0]
    assert "cbc:StreetName and no cbc:CityName and no cbc:PostalZone" in found["NL-R-002"][0]
    assert "'31'" in found["NL-R-008"][0] and "'7'" in found["NL-R-009"][0]
    # no payment means for an amount due: NL-R-007; a credit note with no invoice reference: NL-R-001
    total = (
        '<cac:LegalMonetaryTotal><cbc:PayableAmount currencyID="EUR">{}</cbc:PayableAmount>'
        "</cac:LegalMonetaryTotal>"
    )
    assert "'100.00'" in fired(dutch(total.format("100.00")))["NL-R-007"][0]
    assert "NL-R-007" not in fired(dutch(total.format("-5.00")))
    credit = fired(dutch(total.format("5.00"), credit_note=True))
    assert "NL-R-001" in credit and "NL-R-007" not in credit
    # a buyer abroad: the buyer rules do not apply
    abroad = fired(dutch(buyer="BE"))
    assert "NL-R-004" not in abroad and "NL-R-005" not in abroad and "NL-R-002" in abroad


def icelandic(*parts: str, type_code: str = "380", seller: str = "IS") -> CanonicalInvoice:
    return ubl(
        "<cbc:ID>1</cbc:ID>",
        "<cbc:DueDate>2024-05-10</cbc:DueDate>",
        f"<cbc:InvoiceTypeCode>{type_code}</cbc:InvoiceTypeCode>",
        reference("2024-05-09x", "EINDAGI"),
        party("AccountingSupplierParty", seller, legal=("4411783279", "0088")),
        party("AccountingCustomerParty", "IS"),
        "<cac:PaymentMeans><cbc:PaymentMeansCode>42</cbc:PaymentMeansCode><cac:PayeeFinancialAccount>"
        "<cbc:ID>0123-26-12</cbc:ID></cac:PayeeFinancialAccount></cac:PaymentMeans>",
        *parts,
    )


def test_an_icelandic_document_breaking_rules_gets_the_findings() -> None:
    found = fired(icelandic(type_code="384"))
    assert set(found) == {
        "IS-R-001",
        "IS-R-002",
        "IS-R-003",
        "IS-R-004",
        "IS-R-005",
        "IS-R-007",
        "IS-R-008",
        "IS-R-010",
    }
    assert "'384'" in found["IS-R-001"][0]
    assert "'4411783279' (schemeID '0088'" in found["IS-R-002"][0]
    assert "'0123-26-12'" in found["IS-R-007"][0]
    assert "'2024-05-09x'" in found["IS-R-008"][0] and "'2024-05-10'" in found["IS-R-010"][0]
    assert fired(icelandic(type_code="384", seller="NO")) == {}


def test_results_belong_to_their_document() -> None:
    bad, good = greek(), greek("DE", "DE123456789")
    assert fired(bad) and fired(good) == {} and fired(bad)
