"""EN 16931 VAT category rules (BR-S, -Z, -E, -AE, -IC, -G, -O, -AF, -AG) against the official
unit tests and example documents, and on hand-made documents showing what they report."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from payables.canonical import CanonicalInvoice, Status
from payables.conformance import family, run_conformance
from payables.formats.safe_xml import parse_xml
from payables.formats.ubl import invoice_from_ubl
from payables.rules.base import Needs, Problem, Severity
from payables.rules.packs._vat_breakdown import read_vat_facts, vat_facts
from payables.rules.packs.en16931_vat import CATEGORIES, PACK
from payables.rules.registry import RuleSet, default_ruleset
from tests.factories import make_context, make_invoice

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "conformance"
SHARED = Path("/work/shared/conformance")
FAMILIES = {f for f, _ in CATEGORIES.values()}
NUMBERS = {"BR-IC": 12, "BR-O": 14}
VAT_RULES = RuleSet([PACK])  # the checks, whatever the state of the other packs


def test_the_pack() -> None:
    assert (PACK.name, PACK.version, PACK.source) == ("en16931-vat", "1.3.16", "EN16931")
    expected = {f"{f}-{n:02d}" for f in FAMILIES for n in range(1, NUMBERS.get(f, 10) + 1)}
    assert {r.id for r in PACK.rules} == expected and len(PACK.rules) == 96
    for rule in PACK.rules:
        assert rule.severity == Severity.BLOCK and rule.ubl_only and rule.title
        assert default_ruleset().rule(rule.id) is rule


@pytest.mark.parametrize("root", [DATA, SHARED], ids=["copy", "shared"])
def test_official_unit_tests(root: Path) -> None:
    if not root.is_dir():
        pytest.skip(f"{root} is not on this machine")
    report = run_conformance(root, RuleSet([PACK]))
    assert set(report.families) == FAMILIES
    failures = [
        f"{f.expectation.file} test {f.expectation.test}: {f.expectation.rule} "
        f"{f.expectation.kind} x{f.expectation.number}, fired {f.fired}: {f.detail}"
        for f in report.failures
    ]
    for name in FAMILIES:
        tally = report.families[name]
        assert tally.total > 0
        assert tally.met / tally.total >= 0.99, "\n".join(failures)
    assert report.total.met == report.total.total == 423 and failures == [], "\n".join(failures)


def test_no_fatal_findings_on_the_example_documents() -> None:
    report = run_conformance(DATA, RuleSet([PACK]))
    assert report.examples_parsed == len(report.examples) == 31
    findings = [(e.file, f.rule, f.message) for e in report.examples for f in e.fatal]
    assert findings == []


# -- hand-made documents -------------------------------------------------------------------------

SELLER_VAT = (
    "<cac:AccountingSupplierParty><cac:Party><cac:PartyTaxScheme><cbc:CompanyID>DE123456789"
    "</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>"
    "</cac:Party></cac:AccountingSupplierParty>"
)
BUYER_VAT = (
    "<cac:AccountingCustomerParty><cac:Party><cac:PartyTaxScheme><cbc:CompanyID>FR12345678901"
    "</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>"
    "</cac:Party></cac:AccountingCustomerParty>"
)


def category(tag: str, code: str, percent: str | None, reason: str | None = None) -> str:
    rate = f"<cbc:Percent>{percent}</cbc:Percent>" if percent is not None else ""
    why = f"<cbc:TaxExemptionReason>{reason}</cbc:TaxExemptionReason>" if reason else ""
    return (
        f"<cac:{tag}><cbc:ID>{code}</cbc:ID>{rate}{why}"
        "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:" + tag + ">"
    )


def line(
    line_id: str, amount: str, code: str, percent: str | None, tag: str = "InvoiceLine"
) -> str:
    return (
        f"<cac:{tag}><cbc:ID>{line_id}</cbc:ID>"
        f'<cbc:LineExtensionAmount currencyID="EUR">{amount}</cbc:LineExtensionAmount>'
        f"<cac:Item><cbc:Name>Item {line_id}</cbc:Name>"
        f"{category('ClassifiedTaxCategory', code, percent)}</cac:Item></cac:{tag}>"
    )


def allowance(amount: str, code: str, percent: str | None, charge: bool = False) -> str:
    return (
        f"<cac:AllowanceCharge><cbc:ChargeIndicator>{str(charge).lower()}</cbc:ChargeIndicator>"
        "<cbc:AllowanceChargeReason>Discount</cbc:AllowanceChargeReason>"
        f'<cbc:Amount currencyID="EUR">{amount}</cbc:Amount>'
        f"{category('TaxCategory', code, percent)}</cac:AllowanceCharge>"
    )


def breakdown(
    taxable: str, tax: str, code: str, percent: str | None, reason: str | None = None
) -> str:
    return (
        f'<cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">{taxable}</cbc:TaxableAmount>'
        f'<cbc:TaxAmount currencyID="EUR">{tax}</cbc:TaxAmount>'
        f"{category('TaxCategory', code, percent, reason)}</cac:TaxSubtotal>"
    )


def tax_total(*subtotals: str) -> str:
    return f'<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">0</cbc:TaxAmount>{"".join(subtotals)}</cac:TaxTotal>'


def ubl(*parts: str, credit_note: bool = False) -> CanonicalInvoice:
    root, ns = ("CreditNote", "CreditNote-2") if credit_note else ("Invoice", "Invoice-2")
    xml = (
        f'<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{ns}"\n'
        'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"\n'
        'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">\n'
        "<cbc:ID>T-1</cbc:ID>\n<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>\n"
        + "\n".join(parts)
        + f"\n</{root}>"
    )
    return invoice_from_ubl(parse_xml(xml.encode()))


def fired(rule_id: str, invoice: CanonicalInvoice) -> list[Problem]:
    result = VAT_RULES.rule(rule_id).check(invoice, make_context())
    if result is None:
        return []
    problems = [result] if isinstance(result, Problem) else list(result)
    assert all(p.action for p in problems)
    return problems


def one(rule_id: str, invoice: CanonicalInvoice) -> str:
    problems = fired(rule_id, invoice)
    assert len(problems) == 1, problems
    return problems[0].message


def vat_findings(invoice: CanonicalInvoice) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for rule in PACK.rules:
        for p in fired(rule.id, invoice):
            found.setdefault(rule.id, []).append(p.message)
    return found


def standard(taxable: str = "300.00", tax: str = "57.00") -> CanonicalInvoice:
    return ubl(
        SELLER_VAT,
        tax_total(breakdown(taxable, tax, "S", "19")),
        line("1", "100.00", "S", "19"),
        line("2", "200.00", "S", "19"),
    )


def test_a_consistent_standard_rated_invoice_passes() -> None:
    assert vat_findings(standard()) == {}


def test_breakdown_disagreeing_with_its_lines() -> None:
    found = vat_findings(standard(taxable="350.00", tax="70.00"))
    assert set(found) == {"BR-S-08", "BR-S-09"}
    (s08,) = found["BR-S-08"]
    assert "the VAT breakdown for category S at 19 % (TaxSubtotal, line 7)" in s08
    assert "taxable amount (BT-116) of 350.00 EUR" in s08 and "come to 300.00 EUR" in s08
    (s09,) = found["BR-S-09"]
    assert "VAT amount (BT-117) of 70.00 EUR" in s09
    assert "19 % of the taxable amount 350.00 EUR is 66.50 EUR" in s09


def test_breakdown_within_one_unit_passes() -> None:
    assert vat_findings(standard(taxable="300.99", tax="57.90")) == {}


def test_through_the_rule_set_the_invoice_is_rejected() -> None:
    invoice = standard(taxable="350.00")
    evaluation = default_ruleset().evaluate(invoice, make_context(), frozenset(Needs))
    assert evaluation.status == Status.REJECTED
    assert "BR-S-08" in {f.rule for f in evaluation.findings}


def test_zero_rated_line_with_a_rate() -> None:
    invoice = ubl(
        SELLER_VAT,
        tax_total(breakdown("100.00", "0.00", "Z", "0")),
        line("7", "100.00", "Z", "5"),
    )
    found = vat_findings(invoice)
    assert set(found) == {"BR-Z-05"}
    (message,) = found["BR-Z-05"]
    assert message.startswith('invoice line 7 (line 8) is in VAT category Z ("Zero rated")')
    assert "states 5 %" in message and "must have a VAT rate (cbc:Percent) of 0" in message


def test_a_rate_rule_fires_once_per_line() -> None:
    invoice = ubl(
        SELLER_VAT,
        tax_total(breakdown("300.00", "0.00", "Z", "0")),
        line("1", "100.00", "Z", "5"),
        line("2", "100.00", "Z", "0"),
        line("3", "100.00", "Z", None),
    )
    messages = [p.message for p in fired("BR-Z-05", invoice)]
    assert len(messages) == 2
    assert "invoice line 1" in messages[0] and "states 5 %" in messages[0]
    assert "invoice line 3" in messages[1] and "states no rate" in messages[1]


def test_exempt_breakdown_without_a_reason() -> None:
    invoice = ubl(
        SELLER_VAT,
        tax_total(breakdown("100.00", "0.00", "E", "0")),
        line("1", "100.00", "E", "0"),
    )
    found = vat_findings(invoice)
    assert set(found) == {"BR-E-10"}
    (message,) = found["BR-E-10"]
    assert "the VAT breakdown for category E at 0 % (TaxSubtotal, line 7)" in message
    assert "no VAT exemption reason" in message
    with_reason = ubl(
        SELLER_VAT,
        tax_total(breakdown("100.00", "0.00", "E", "0", reason="Exempt")),
        line("1", "100.00", "E", "0"),
    )
    assert vat_findings(with_reason) == {}


def test_category_on_a_line_without_a_breakdown() -> None:
    invoice = ubl(
        SELLER_VAT,
        tax_total(breakdown("100.00", "19.00", "S", "19")),
        line("1", "100.00", "S", "19"),
        line("2", "0.00", "Z", "0"),
    )
    message = one("BR-Z-01", invoice)
    assert message.startswith('invoice line 2 (line 9) is in VAT category Z ("Zero rated")')
    assert "has no category Z" in message


def test_missing_seller_vat_identifier() -> None:
    invoice = ubl(
        tax_total(breakdown("100.00", "19.00", "S", "19")), line("1", "100.00", "S", "19")
    )
    message = one("BR-S-02", invoice)
    assert message.startswith(
        'invoice line 1 (line 7) is in VAT category S ("Standard rated"), but'
    )
    assert "lacks a seller VAT identifier or tax registration identifier" in message


def test_intra_community_supply() -> None:
    base = (
        SELLER_VAT,
        tax_total(breakdown("100.00", "0.00", "K", "0", reason="Intra-community supply")),
        line("1", "100.00", "K", "0"),
    )
    found = vat_findings(ubl(*base))
    assert set(found) == {"BR-IC-02", "BR-IC-11", "BR-IC-12"}
    assert "buyer VAT identifier" in found["BR-IC-02"][0]
    delivery = (
        "<cac:Delivery><cbc:ActualDeliveryDate>2024-05-01</cbc:ActualDeliveryDate>"
        "<cac:DeliveryLocation><cac:Address><cac:Country><cbc:IdentificationCode>FR"
        "</cbc:IdentificationCode></cac:Country></cac:Address></cac:DeliveryLocation></cac:Delivery>"
    )
    assert vat_findings(ubl(base[0], BUYER_VAT, delivery, *base[1:])) == {}


def test_not_subject_to_vat_with_vat_ids_and_other_categories() -> None:
    invoice = ubl(
        SELLER_VAT,
        tax_total(
            breakdown("100.00", "0.00", "O", None, reason="Not subject"),
            breakdown("50.00", "9.50", "S", "19"),
        ),
        line("1", "100.00", "O", "0"),
        line("2", "50.00", "S", "19"),
    )
    found = vat_findings(invoice)
    assert {"BR-O-02", "BR-O-05", "BR-O-11", "BR-O-12"} <= set(found)
    assert "seller VAT identifier" in found["BR-O-02"][0]
    assert "states 0 %" in found["BR-O-05"][0]
    assert "category S at 19 %" in found["BR-O-11"][0]
    assert "invoice line 2" in found["BR-O-12"][0]


def test_allowance_in_a_category_counts_in_its_breakdown() -> None:
    invoice = ubl(
        SELLER_VAT,
        allowance("10.00", "S", "19"),
        tax_total(breakdown("90.00", "17.10", "S", "19")),
        line("1", "100.00", "S", "19"),
    )
    assert vat_findings(invoice) == {}
    wrong = ubl(
        SELLER_VAT,
        allowance("10.00", "S", "0"),
        tax_total(breakdown("100.00", "19.00", "S", "19"), breakdown("-10.00", "0.00", "S", "0")),
        line("1", "100.00", "S", "19"),
    )
    (message,) = [p.message for p in fired("BR-S-06", wrong)]
    assert message.startswith("the document level allowance 'Discount' of 10.00 EUR (line 7)")
    assert "greater than zero" in message


def test_credit_note_lines_are_added_up() -> None:
    invoice = ubl(
        SELLER_VAT,
        tax_total(breakdown("100.00", "0.00", "Z", "0")),
        line("1", "60.00", "Z", "0", tag="CreditNoteLine"),
        line("2", "40.00", "Z", "0", tag="CreditNoteLine"),
        credit_note=True,
    )
    assert vat_findings(invoice) == {}
    short = ubl(
        SELLER_VAT,
        tax_total(breakdown("100.00", "0.00", "Z", "0")),
        line("1", "60.00", "Z", "0", tag="CreditNoteLine"),
        credit_note=True,
    )
    assert "come to 60.00 EUR" in one("BR-Z-08", short)


def test_igic_breakdown_amount_is_computed() -> None:
    invoice = ubl(
        SELLER_VAT,
        tax_total(breakdown("100.00", "7.00", "L", "7")),
        line("1", "100.00", "L", "7"),
    )
    assert vat_findings(invoice) == {}
    wrong = ubl(
        SELLER_VAT,
        tax_total(breakdown("100.00", "9.00", "L", "7")),
        line("1", "100.00", "L", "7"),
    )
    assert "7 % of the taxable amount 100.00 EUR is 7.00 EUR" in one("BR-AF-09", wrong)


def test_rules_do_not_fire_on_feed_rows() -> None:
    evaluation = default_ruleset().evaluate(
        make_invoice(net_amount=Decimal(1)), make_context(), frozenset(Needs)
    )
    ours = {r.id for r in PACK.rules}
    assert not {f.rule for f in evaluation.findings} & ours
    assert not set(evaluation.skipped) & ours


def test_facts_are_not_shared_between_documents() -> None:
    first, second = standard(), standard(taxable="350.00")
    assert first.ubl is not None and second.ubl is not None
    assert vat_facts(first.ubl).breakdowns[0].taxable == Decimal("300.00")
    assert vat_facts(second.ubl).breakdowns[0].taxable == Decimal("350.00")
    assert vat_facts(first.ubl).breakdowns[0].taxable == Decimal("300.00")
    assert read_vat_facts(first.ubl).codes == frozenset({"S"})


def test_family_names() -> None:
    assert {family(r.id) for r in PACK.rules} == FAMILIES
