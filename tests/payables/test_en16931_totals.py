"""EN 16931 totals arithmetic BR-CO-10 to BR-CO-16, each shown firing and not firing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payables.canonical import CanonicalInvoice, Status
from payables.formats.safe_xml import parse_xml
from payables.formats.ubl import invoice_from_ubl
from payables.rules.base import Needs, Problem, Severity
from payables.rules.packs import en16931_totals
from payables.rules.packs.en16931_totals import PACK, xpath_round2
from payables.rules.registry import default_ruleset
from tests.factories import make_context, make_invoice

RULE_IDS = [f"BR-CO-{n}" for n in range(10, 17)]
LMT_ELEMENTS = {
    "lines": "LineExtensionAmount",
    "net": "TaxExclusiveAmount",
    "gross": "TaxInclusiveAmount",
    "allowances": "AllowanceTotalAmount",
    "charges": "ChargeTotalAmount",
    "prepaid": "PrepaidAmount",
    "rounding": "PayableRoundingAmount",
    "payable": "PayableAmount",
}


def lmt(**amounts: str) -> str:
    inner = "".join(
        f'<cbc:{LMT_ELEMENTS[k]} currencyID="EUR">{v}</cbc:{LMT_ELEMENTS[k]}>' for k, v in amounts.items()
    )
    return f"<cac:LegalMonetaryTotal>{inner}</cac:LegalMonetaryTotal>"


def line(amount: str, line_id: str = "1", tag: str = "InvoiceLine") -> str:
    return (
        f"<cac:{tag}><cbc:ID>{line_id}</cbc:ID>"
        f'<cbc:LineExtensionAmount currencyID="EUR">{amount}</cbc:LineExtensionAmount></cac:{tag}>'
    )


def allowance(amount: str, indicator: str = "false") -> str:
    return (
        f"<cac:AllowanceCharge><cbc:ChargeIndicator>{indicator}</cbc:ChargeIndicator>"
        f'<cbc:Amount currencyID="EUR">{amount}</cbc:Amount></cac:AllowanceCharge>'
    )


def charge(amount: str) -> str:
    return allowance(amount, "true")


def tax_total(amount: str | None, *subtotals: str, currency: str = "EUR") -> str:
    head = f'<cbc:TaxAmount currencyID="{currency}">{amount}</cbc:TaxAmount>' if amount is not None else ""
    subs = "".join(
        f'<cac:TaxSubtotal><cbc:TaxAmount currencyID="{currency}">{s}</cbc:TaxAmount></cac:TaxSubtotal>'
        for s in subtotals
    )
    return f"<cac:TaxTotal>{head}{subs}</cac:TaxTotal>"


def ubl(*parts: str, currency: str | None = "EUR", credit_note: bool = False) -> CanonicalInvoice:
    root, ns = ("CreditNote", "CreditNote-2") if credit_note else ("Invoice", "Invoice-2")
    code = f"<cbc:DocumentCurrencyCode>{currency}</cbc:DocumentCurrencyCode>" if currency is not None else ""
    xml = (
        f'<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{ns}" '
        'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
        'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
        f"<cbc:ID>T-1</cbc:ID>{code}{''.join(parts)}</{root}>"
    )
    return invoice_from_ubl(parse_xml(xml.encode()))


def fired(rule_id: str, invoice: CanonicalInvoice) -> list[Problem]:
    result = default_ruleset().rule(rule_id).check(invoice, make_context())
    if result is None:
        return []
    return [result] if isinstance(result, Problem) else list(result)


def one(rule_id: str, invoice: CanonicalInvoice) -> str:
    problems = fired(rule_id, invoice)
    assert len(problems) == 1, problems
    assert problems[0].action
    return problems[0].message


def test_the_pack() -> None:
    assert (PACK.name, PACK.version, PACK.source) == ("en16931-totals", "1.3.16", "EN16931")
    assert [r.id for r in PACK.rules] == RULE_IDS
    for rule in PACK.rules:
        assert rule.severity == Severity.BLOCK and rule.ubl_only
        assert default_ruleset().rule(rule.id) is rule
    assert "the full EN 16931 and PEPPOL BIS 3 rule sets" in " ".join((en16931_totals.__doc__ or "").split())


def test_rules_do_not_fire_on_feed_rows() -> None:
    evaluation = default_ruleset().evaluate(make_invoice(net_amount=Decimal(1)), make_context(), frozenset(Needs))
    assert not {f.rule for f in evaluation.findings} & set(RULE_IDS)
    assert not set(evaluation.skipped) & set(RULE_IDS)


def test_rejects_through_the_rule_set() -> None:
    invoice = ubl(
        lmt(lines="1010.00", net="1010.00", gross="1010.00", payable="1010.00"), line("1000.00"), tax_total("0.00")
    )
    evaluation = default_ruleset().evaluate(invoice, make_context(), frozenset(Needs))
    assert evaluation.status == Status.REJECTED
    # The minimal document breaks other EN 16931 rules too (no VAT breakdown, no due date...);
    # of the totals rules, only BR-CO-10 fires.
    assert [f.rule for f in evaluation.findings if f.rule in {f"BR-CO-{n}" for n in range(10, 17)}] == ["BR-CO-10"]


@pytest.mark.parametrize(
    ("value", "rounded"),
    [("100.004", "100.00"), ("100.005", "100.01"), ("-100.005", "-100.00"), ("-100.006", "-100.01"), ("0", "0.00")],
)
def test_xpath_rounding(value: str, rounded: str) -> None:
    assert xpath_round2(Decimal(value)) == Decimal(rounded)
    assert str(xpath_round2(Decimal(value))) == rounded


class TestBRCO10:
    def test_lines_add_up(self) -> None:
        assert fired("BR-CO-10", ubl(lmt(lines="200"), line("110.00"), line("90.00", "2"))) == []

    def test_credit_note_lines(self) -> None:
        invoice = ubl(lmt(lines="-20"), line("-110", tag="CreditNoteLine"), line("90", "2", "CreditNoteLine"),
                      credit_note=True)  # fmt: skip
        assert fired("BR-CO-10", invoice) == []

    def test_lines_do_not_add_up(self) -> None:
        message = one("BR-CO-10", ubl(lmt(lines="1010.00"), line("600.00"), line("400.00", "2")))
        assert message == (
            "the 2 invoice lines add up to 1,000.00 EUR, but LineExtensionAmount (BT-106) says 1,010.00 EUR"
        )

    def test_sum_is_rounded_half_up_to_cents(self) -> None:
        parts = (line("50.0025"), line("50.0025", "2"))  # 100.005
        assert fired("BR-CO-10", ubl(lmt(lines="100.01"), *parts)) == []
        assert "100.01 EUR, but LineExtensionAmount (BT-106) says 100.00 EUR" in one(
            "BR-CO-10", ubl(lmt(lines="100.00"), *parts)
        )

    def test_missing_line_total_fires(self) -> None:
        assert "the document has no LineExtensionAmount" in one("BR-CO-10", ubl(lmt(payable="1"), line("1")))

    def test_no_monetary_total_no_check(self) -> None:
        assert fired("BR-CO-10", ubl(line("1"))) == []


class TestBRCO11And12:
    def test_allowances_add_up(self) -> None:
        invoice = ubl(allowance("100"), allowance("1000.0"), charge("5"), lmt(allowances="1100.00", charges="5"))
        assert fired("BR-CO-11", invoice) == [] and fired("BR-CO-12", invoice) == []

    def test_allowances_do_not_add_up(self) -> None:
        message = one("BR-CO-11", ubl(allowance("100"), allowance("1000.0"), lmt(allowances="1000.00")))
        assert message == (
            "the 2 document level allowances add up to 1,100.00 EUR, but AllowanceTotalAmount (BT-107) says "
            "1,000.00 EUR"
        )

    def test_zero_indicator_is_an_allowance(self) -> None:
        assert fired("BR-CO-11", ubl(allowance("7", "0"), lmt(allowances="7"))) == []
        assert fired("BR-CO-12", ubl(allowance("7", "0"), lmt(allowances="7"))) == []

    def test_allowance_without_total_fires(self) -> None:
        assert "the document has no AllowanceTotalAmount" in one("BR-CO-11", ubl(allowance("5"), lmt(lines="0")))

    def test_total_without_allowances_must_be_zero(self) -> None:
        assert fired("BR-CO-11", ubl(lmt(allowances="0.00"))) == []
        assert "with no document level allowances, their sum is 0.00 EUR" in one("BR-CO-11", ubl(lmt(allowances="3")))

    def test_neither_allowances_nor_total(self) -> None:
        assert fired("BR-CO-11", ubl(lmt(lines="1"))) == []

    def test_charges_do_not_add_up(self) -> None:
        message = one("BR-CO-12", ubl(charge("25"), charge("0.5"), allowance("99"), lmt(charges="25")))
        assert message == (
            "the 2 document level charges add up to 25.50 EUR, but ChargeTotalAmount (BT-108) says 25.00 EUR"
        )

    def test_charge_without_total_fires(self) -> None:
        assert "the document has no ChargeTotalAmount" in one("BR-CO-12", ubl(charge("1"), lmt(lines="0")))


class TestBRCO13:
    @pytest.mark.parametrize(
        "amounts",
        [
            {"lines": "1000", "net": "1000", "allowances": "100", "charges": "100"},
            {"lines": "1000", "net": "900", "allowances": "100"},
            {"lines": "1000", "net": "1100", "charges": "100"},
            {"lines": "1000", "net": "1000"},
            {"lines": "100.001", "net": "100.001"},  # compared as is when there is nothing to add
        ],
    )
    def test_adds_up(self, amounts: dict[str, str]) -> None:
        assert fired("BR-CO-13", ubl(lmt(**amounts))) == []

    def test_does_not_add_up(self) -> None:
        message = one("BR-CO-13", ubl(lmt(lines="1000", net="1000", allowances="100", charges="200")))
        assert message == (
            "line total 1,000.00 EUR - allowances 100.00 EUR + charges 200.00 EUR = 1,100.00 EUR, but "
            "TaxExclusiveAmount (BT-109) says 1,000.00 EUR"
        )

    def test_rounded_when_allowances_are_given(self) -> None:
        assert "100.00 EUR, but TaxExclusiveAmount (BT-109) says 100.001 EUR" in one(
            "BR-CO-13", ubl(lmt(lines="100.001", net="100.001", allowances="0"))
        )

    def test_missing_amounts_fire(self) -> None:
        assert "the document has no TaxExclusiveAmount (BT-109)" in one("BR-CO-13", ubl(lmt(lines="1")))
        assert "no LineExtensionAmount (BT-106)" in one("BR-CO-13", ubl(lmt(net="1")))


class TestBRCO14:
    def test_adds_up(self) -> None:
        assert fired("BR-CO-14", ubl(tax_total("400", "250", "150"))) == []
        assert fired("BR-CO-14", ubl(tax_total("250.0", "250", "0.00"))) == []

    def test_a_total_without_breakdown_is_not_checked(self) -> None:
        assert fired("BR-CO-14", ubl(tax_total("99"))) == []

    def test_does_not_add_up(self) -> None:
        message = one("BR-CO-14", ubl(tax_total("300", "250", "150.00")))
        assert message == (
            "the 2 VAT breakdowns (TaxSubtotal) of the TaxTotal add up to 400.00 EUR, but TaxTotal/TaxAmount "
            "(BT-110) says 300.00 EUR"
        )

    def test_fires_once_per_wrong_tax_total(self) -> None:
        invoice = ubl(tax_total("1", "0"), tax_total("10", "10", currency="SEK"), tax_total("5", "4", currency="NOK"))
        problems = fired("BR-CO-14", invoice)
        assert len(problems) == 2
        assert "TaxTotal 1" in problems[0].message and "TaxTotal 3" in problems[1].message
        assert "4.00 NOK" in problems[1].message

    def test_missing_tax_amount_fires(self) -> None:
        message = one("BR-CO-14", ubl(tax_total(None, "5")))
        assert message == (
            "the only VAT breakdown (TaxSubtotal) of the TaxTotal comes to 5.00 EUR, but the document has no "
            "TaxTotal/TaxAmount (BT-110)"
        )


class TestBRCO15:
    def test_adds_up(self) -> None:
        invoice = ubl(tax_total("675.00"), tax_total("628.62", currency="SEK"), lmt(net="4000.00", gross="4675.00"))
        assert fired("BR-CO-15", invoice) == []

    def test_does_not_add_up(self) -> None:
        message = one("BR-CO-15", ubl(tax_total("19.00"), lmt(net="100.00", gross="120.00")))
        assert message == (
            "total without VAT 100.00 EUR + VAT 19.00 EUR = 119.00 EUR, but TaxInclusiveAmount (BT-112) says "
            "120.00 EUR"
        )

    def test_tax_in_another_currency_does_not_count(self) -> None:
        message = one("BR-CO-15", ubl(tax_total("700.00", currency="DKK"), lmt(net="5000", gross="5700"), currency="NOK"))
        assert "the document currency is 'NOK', and 0 TaxTotal/TaxAmount elements are in it" in message

    def test_two_tax_totals_in_the_document_currency(self) -> None:
        assert "2 TaxTotal/TaxAmount" in one("BR-CO-15", ubl(tax_total("1"), tax_total("1"), lmt(net="1", gross="2")))

    def test_no_document_currency_no_check(self) -> None:
        assert fired("BR-CO-15", ubl(lmt(net="1", gross="5"), currency=None)) == []

    def test_missing_total_with_vat_fires(self) -> None:
        assert "the document has no TaxInclusiveAmount" in one("BR-CO-15", ubl(tax_total("1"), lmt(net="1")))
        assert "no TaxExclusiveAmount" in one("BR-CO-15", ubl(tax_total("1"), lmt(gross="2")))


class TestBRCO16:
    @pytest.mark.parametrize(
        "amounts",
        [
            {"gross": "1200", "prepaid": "1000", "payable": "200.00"},
            {"gross": "8250.00", "payable": "8250.0"},
            {"gross": "1200.78", "prepaid": "1000.0", "rounding": "0.22", "payable": "201"},
            {"gross": "1200.78", "rounding": "0.22", "payable": "1201"},
            {"gross": "12829.69", "prepaid": "12829.69", "rounding": "0", "payable": "0"},
        ],
    )
    def test_adds_up(self, amounts: dict[str, str]) -> None:
        assert fired("BR-CO-16", ubl(lmt(**amounts))) == []

    def test_prepaid_not_deducted(self) -> None:
        message = one("BR-CO-16", ubl(lmt(gross="1200.00", prepaid="100", payable="1200.00")))
        assert message == (
            "total with VAT 1,200.00 EUR - paid 100.00 EUR = 1,100.00 EUR, but PayableAmount (BT-115) says 1,200.00 EUR"
        )

    def test_without_prepaid_or_rounding(self) -> None:
        message = one("BR-CO-16", ubl(lmt(gross="1200.00", payable="1100.00")))
        assert "the amount due is the total with VAT, 1,200.00 EUR, but PayableAmount (BT-115) says 1,100.00" in message

    def test_wrong_rounding(self) -> None:
        message = one("BR-CO-16", ubl(lmt(gross="1200.78", prepaid="100", rounding="0.22", payable="1100.78")))
        assert "- paid 100.00 EUR + rounding 0.22 EUR = 1,101.00 EUR" in message

    def test_missing_payable_fires(self) -> None:
        assert "no PayableAmount (BT-115)" in one("BR-CO-16", ubl(lmt(gross="1")))


def test_a_consistent_document_passes_every_rule() -> None:
    invoice = ubl(
        allowance("10.00"),
        charge("5.50"),
        tax_total("19.00", "19.00"),
        lmt(lines="104.50", net="100.00", gross="119.00", allowances="10.00", charges="5.50",
            prepaid="19.00", payable="100.00"),
        line("100.00"),
        line("4.50", "2"),
    )  # fmt: skip
    assert {rule_id: fired(rule_id, invoice) for rule_id in RULE_IDS} == {rule_id: [] for rule_id in RULE_IDS}
