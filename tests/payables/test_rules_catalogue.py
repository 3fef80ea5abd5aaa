"""Every rule of Rule catalogue v1, shown firing and not firing, with what its message says."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from payables.canonical import Status
from payables.reference import ExistingInvoice, MemoryReference
from payables.rules.base import Finding, InvoiceState, Needs, Severity
from payables.rules.registry import default_ruleset
from tests.factories import NOW, full_reference, make_context, make_invoice, make_po, make_vendor

GSTIN = "27AAPFU0939F1ZV"
IN_VENDOR = make_vendor(vendor_id="V00900", name="Tata Supplies", country="IN", tax_id=GSTIN, iban="")


def findings(inv, ctx=None) -> list[Finding]:  # type: ignore[no-untyped-def]
    ctx = ctx or make_context()
    return list(default_ruleset().evaluate(inv, ctx, ctx.reference.loaded).findings)


def fired(inv, ctx=None) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.rule for f in findings(inv, ctx)}


def only(rule_id: str, inv, ctx=None) -> Finding:  # type: ignore[no-untyped-def]
    hits = [f for f in findings(inv, ctx) if f.rule == rule_id]
    assert len(hits) == 1, f"{rule_id} should fire once, fired: {findings(inv, ctx)}"
    return hits[0]


def with_existing(*rows: tuple[str, str, str, str, Decimal, date]) -> MemoryReference:
    ref = full_reference()
    for n, (client, vendor, number, status, total, day) in enumerate(rows, 1):
        ref.remember(ExistingInvoice(n, client, vendor, number, status), total, day)
    return ref


def test_a_clean_invoice_passes_every_rule():
    evaluation = default_ruleset().evaluate(make_invoice(), make_context(), frozenset(Needs))
    assert evaluation.status == Status.VALIDATED
    assert evaluation.findings == ()


class TestREQ01:
    def test_fires_for_each_missing_or_malformed_field(self):
        inv = make_invoice(business_line="RETALE", geography="XX", invoice_date=None, tax_amount=None,
                           payment_terms="NET31")
        messages = [f.message for f in findings(inv) if f.rule == "REQ-01"]
        assert any("'RETALE'" in m for m in messages)
        assert any("'XX'" in m for m in messages)
        assert "invoice_date is missing" in messages
        assert any("tax_amount" in m for m in messages)
        assert any("'NET31'" in m for m in messages)

    def test_silent_when_complete(self):
        assert "REQ-01" not in fired(make_invoice())


class TestTOT01:
    def test_fires_with_the_arithmetic(self):
        f = only("TOT-01", make_invoice(total_amount=Decimal("118.00")))
        assert f.severity == Severity.BLOCK
        assert "119.00 EUR" in f.message and "118.00 EUR" in f.message and "1.00" in f.message

    def test_counts_to_the_cent_not_beyond(self):
        assert "TOT-01" not in fired(make_invoice(total_amount=Decimal("119.001")))
        assert "TOT-01" in fired(make_invoice(total_amount=Decimal("119.01")))

    def test_uses_the_currency_minor_unit(self):
        yen = make_invoice(currency="JPY", net_amount=Decimal(1000), tax_amount=Decimal(100),
                           total_amount=Decimal(1100), geography="JP", vendor_tax_id="", vendor_iban="")
        assert "TOT-01" not in fired(yen)


class TestDATE01:
    def test_future_date(self):
        f = only("DATE-01", make_invoice(invoice_date=NOW.date() + timedelta(days=5)))
        assert "future" in f.message

    def test_older_than_a_year(self):
        assert "DATE-01" in fired(make_invoice(invoice_date=NOW.date() - timedelta(days=366)))

    def test_edges_pass(self):
        assert "DATE-01" not in fired(make_invoice(invoice_date=NOW.date() - timedelta(days=365)))
        assert "DATE-01" not in fired(make_invoice(invoice_date=NOW.date() + timedelta(days=1)))


class TestCUR01:
    def test_fires_on_unknown_code(self):
        assert "'EUX'" in only("CUR-01", make_invoice(currency="EUX")).message

    def test_silent_on_iso_code(self):
        assert "CUR-01" not in fired(make_invoice(currency="EUR"))


class TestDUP01:
    def test_fires_when_the_same_key_is_live(self):
        ref = with_existing(("C017", "V00412", "INV-2291", "VALIDATED", Decimal(1), date(2026, 1, 1)))
        f = only("DUP-01", make_invoice(), make_context(ref))
        assert "already ingested" in f.message

    def test_a_resend_of_a_rejected_invoice_is_allowed(self):
        ref = with_existing(("C017", "V00412", "INV-2291", "REJECTED", Decimal(1), date(2026, 1, 1)))
        assert "DUP-01" not in fired(make_invoice(), make_context(ref))

    def test_another_client_may_use_the_number(self):
        ref = with_existing(("C099", "V00412", "INV-2291", "VALIDATED", Decimal(1), date(2026, 1, 1)))
        assert "DUP-01" not in fired(make_invoice(), make_context(ref))


class TestDUP02:
    def test_holds_same_vendor_total_and_date_under_another_number(self):
        ref = with_existing(("C017", "V00412", "INV-1000", "VALIDATED", Decimal("119.0"), date(2026, 11, 2)))
        f = only("DUP-02", make_invoice(), make_context(ref))
        assert f.severity == Severity.HOLD and "INV-1000" in f.message

    def test_silent_when_the_total_differs(self):
        ref = with_existing(("C017", "V00412", "INV-1000", "VALIDATED", Decimal("120"), date(2026, 11, 2)))
        assert "DUP-02" not in fired(make_invoice(), make_context(ref))


class TestVM01:
    def test_unknown_vendor(self):
        ref = full_reference(vendors=[])
        assert "not in the vendor master" in only("VM-01", make_invoice(), make_context(ref)).message

    def test_inactive_vendor(self):
        ref = full_reference(vendors=[make_vendor(status="inactive")])
        assert "inactive" in only("VM-01", make_invoice(), make_context(ref)).message

    def test_skipped_not_guessed_when_no_vendor_master(self):
        ref = full_reference(loaded={Needs.INVOICES, Needs.FX_RATES, Needs.PURCHASE_ORDERS})
        evaluation = default_ruleset().evaluate(make_invoice(), make_context(ref), ref.loaded)
        assert {"VM-01", "VM-02"} <= set(evaluation.skipped)


class TestVM02:
    def test_holds_on_a_changed_iban(self):
        inv = make_invoice(vendor_iban="FR1420041010050500013M02606")
        f = only("VM-02", inv)
        assert f.severity == Severity.HOLD and "FR1420041010050500013M02606" in f.message

    def test_tax_id_compared_without_prefix_and_spaces(self):
        ref = full_reference(vendors=[make_vendor(tax_id="136 695 976")])
        assert "VM-02" not in fired(make_invoice(), make_context(ref))


class TestTAX01:
    def test_fires_on_a_bad_check_digit(self):
        f = only("TAX-01", make_invoice(vendor_tax_id="DE136695977"))
        assert "DE136695977" in f.message and "check digit" in f.message

    @pytest.mark.parametrize(("country", "tax_id"), [("FR", "FR40303265045"), ("GB", "GB980780684"),
                                                      ("NL", "NL004495445B01"), ("IT", "IT00743110157")])
    def test_valid_ids_of_other_countries_pass(self, country, tax_id):
        ref = full_reference(vendors=[make_vendor(country=country, tax_id=tax_id, iban="")])
        inv = make_invoice(geography="US", vendor_tax_id=tax_id, vendor_iban="", currency="USD")
        assert "TAX-01" not in fired(inv, make_context(ref))

    def test_checked_for_the_vendors_country_not_the_invoices(self):
        ref = full_reference(vendors=[make_vendor(country="FR", tax_id="FR40303265045", iban="")])
        inv = make_invoice(vendor_tax_id="FR40303265045", vendor_iban="")
        assert "TAX-01" not in fired(inv, make_context(ref))


class TestBANK01:
    def test_fires_on_bad_check_digits(self):
        ref = full_reference(vendors=[make_vendor(iban="DE89370400440532013001")])
        f = only("BANK-01", make_invoice(vendor_iban="DE89370400440532013001"), make_context(ref))
        assert "check digits" in f.message

    def test_national_check_digits_are_checked(self):
        # Valid IBAN check digits, wrong French RIB key inside the BBAN.
        bad = "FR5430006000011234567890100"
        ref = full_reference(vendors=[make_vendor(country="FR", tax_id="FR40303265045", iban=bad)])
        inv = make_invoice(vendor_iban=bad, vendor_tax_id="FR40303265045")
        assert "BANK-01" in fired(inv, make_context(ref))

    def test_no_iban_needed_outside_iban_countries(self):
        ref = full_reference(vendors=[make_vendor(country="US", tax_id="", iban="")])
        inv = make_invoice(geography="US", currency="USD", vendor_tax_id="", vendor_iban="")
        assert "BANK-01" not in fired(inv, make_context(ref))


class TestFX01:
    def test_holds_without_a_rate(self):
        inv = make_invoice(currency="GBP", geography="GB", vendor_tax_id="GB980780684")
        f = only("FX-01", inv)
        assert f.severity == Severity.HOLD and "GBP" in f.message

    def test_a_rate_from_the_friday_before_counts(self):
        saturday = date(2026, 11, 7)
        ref = full_reference(fx_rates={("EUR", date(2026, 11, 6)): Decimal("1.08")})
        assert "FX-01" not in fired(make_invoice(invoice_date=saturday), make_context(ref))

    def test_usd_needs_no_rate(self):
        ref = full_reference(fx_rates={})
        inv = make_invoice(currency="USD")
        assert "FX-01" not in fired(inv, make_context(ref))


class TestPO01:
    def test_retail_without_po(self):
        assert "none" in only("PO-01", make_invoice(business_line="RETAIL")).message

    def test_closed_po(self):
        ref = full_reference(purchase_orders=[make_po(status="closed")])
        inv = make_invoice(business_line="RETAIL", po_number="PO-88120")
        assert "closed" in only("PO-01", inv, make_context(ref)).message

    def test_someone_elses_po(self):
        ref = full_reference(purchase_orders=[make_po(vendor_id="V00001")])
        inv = make_invoice(business_line="LOGISTICS", po_number="PO-88120")
        assert "V00001" in only("PO-01", inv, make_context(ref)).message

    def test_open_po_passes_and_digital_needs_none(self):
        assert "PO-01" not in fired(make_invoice(business_line="RETAIL", po_number="PO-88120"))
        assert "PO-01" not in fired(make_invoice(business_line="DIGITAL"))


class TestPO02:
    def test_retail_tolerance_is_two_percent(self):
        ref = full_reference(purchase_orders=[make_po(amount=Decimal("116.00"))])  # +2.6 %
        inv = make_invoice(business_line="RETAIL", po_number="PO-88120")
        f = only("PO-02", inv, make_context(ref))
        assert f.severity == Severity.HOLD and "+2.6 %" in f.message

    def test_logistics_tolerance_is_five_percent(self):
        ref = full_reference(purchase_orders=[make_po(amount=Decimal("116.00"))])
        inv = make_invoice(business_line="LOGISTICS", po_number="PO-88120")
        assert "PO-02" not in fired(inv, make_context(ref))


class TestCORP01:
    def test_large_corporate_invoice_without_po(self):
        inv = make_invoice(business_line="CORPORATE", net_amount=Decimal("10000"), tax_amount=Decimal("1900"),
                           total_amount=Decimal("11900"))
        f = only("CORP-01", inv)  # 11,900 EUR at 1.08 is about 12,852 USD
        assert f.severity == Severity.HOLD and "12,852.00 USD" in f.message

    def test_below_threshold_or_with_po(self):
        assert "CORP-01" not in fired(make_invoice(business_line="CORPORATE"))
        big = make_invoice(business_line="CORPORATE", po_number="PO-1", net_amount=Decimal("10000"),
                           tax_amount=Decimal("1900"), total_amount=Decimal("11900"))
        assert "CORP-01" not in fired(big)


class TestEU01:
    def test_no_vat_id(self):
        ref = full_reference(vendors=[make_vendor(tax_id="")])
        f = only("EU-01", make_invoice(vendor_tax_id=""), make_context(ref))
        assert "VAT id" in f.message

    def test_tax_above_the_standard_rate(self):
        inv = make_invoice(tax_amount=Decimal("25.00"), total_amount=Decimal("125.00"))
        assert "19 %" in only("EU-01", inv).message

    def test_reduced_rate_and_zero_rate_with_vat_id_pass(self):
        assert "EU-01" not in fired(make_invoice(tax_amount=Decimal("7.00"), total_amount=Decimal("107.00")))
        assert "EU-01" not in fired(make_invoice(tax_amount=Decimal("0"), total_amount=Decimal("100.00")))

    def test_only_in_eu_geographies(self):
        ref = full_reference(vendors=[make_vendor(country="US", tax_id="", iban="")])
        inv = make_invoice(geography="US", currency="USD", vendor_tax_id="", vendor_iban="")
        assert "EU-01" not in fired(inv, make_context(ref))


class TestIN01:
    def _inv(self, **kw):  # type: ignore[no-untyped-def]
        fields = dict(geography="IN", vendor_id="V00900", currency="INR", vendor_tax_id=GSTIN, vendor_iban="",
                      net_amount=Decimal("1000"), tax_amount=Decimal("180"), total_amount=Decimal("1180"))
        fields.update(kw)
        return make_invoice(**fields)

    def _ctx(self):  # type: ignore[no-untyped-def]
        rates = {("INR", date(2026, 11, 2)): Decimal("0.012")}
        return make_context(full_reference(vendors=[IN_VENDOR], fx_rates=rates))

    def test_valid_gstin_with_gst_passes(self):
        assert "IN-01" not in fired(self._inv(), self._ctx())

    def test_bad_gstin(self):
        bad = GSTIN[:-1] + "X"
        assert bad in only("IN-01", self._inv(vendor_tax_id=bad), self._ctx()).message

    def test_no_gst_amount(self):
        inv = self._inv(tax_amount=Decimal("0"), total_amount=Decimal("1000"))
        assert "no GST amount" in only("IN-01", inv, self._ctx()).message


class TestSLA01:
    def _ctx(self, minutes_after_ingestion: int, status: str = "VALIDATED", scheduled_at=None):  # type: ignore[no-untyped-def]
        ingested = NOW
        state = InvoiceState(status, ingested, scheduled_at)
        return make_context(now=NOW + timedelta(minutes=minutes_after_ingestion), ingested_at=ingested,
                            state=state)

    def test_incident_when_past_two_hours_unscheduled(self):
        f = only("SLA-01", make_invoice(payment_terms="IMMEDIATE"), self._ctx(135))
        assert f.severity == Severity.INCIDENT and "15 min past" in f.message

    def test_warns_when_at_risk(self):
        f = only("SLA-01", make_invoice(payment_terms="IMMEDIATE"), self._ctx(100))
        assert f.severity == Severity.WARN and "20 min left" in f.message

    def test_silent_in_budget_or_scheduled_in_time(self):
        assert "SLA-01" not in fired(make_invoice(payment_terms="IMMEDIATE"), self._ctx(30))
        scheduled = self._ctx(300, "SCHEDULED", NOW + timedelta(minutes=90))
        assert "SLA-01" not in fired(make_invoice(payment_terms="IMMEDIATE"), scheduled)

    def test_does_not_change_the_verdict(self):
        ctx = self._ctx(300)
        evaluation = default_ruleset().evaluate(make_invoice(payment_terms="IMMEDIATE"), ctx, ctx.reference.loaded)
        assert evaluation.status == Status.VALIDATED

    def test_only_for_immediate_terms(self):
        assert "SLA-01" not in fired(make_invoice(payment_terms="NET30"), self._ctx(300))


def test_a_rule_that_crashes_holds_the_invoice_instead_of_losing_the_batch():
    from payables.rules.base import RulePack
    from payables.rules.registry import RuleSet

    pack = RulePack("broken", "1")

    @pack.rule("BRK-01", Severity.BLOCK, "always crashes")
    def crash(inv, ctx):  # type: ignore[no-untyped-def]
        raise ZeroDivisionError

    evaluation = RuleSet([pack]).evaluate(make_invoice(), make_context(), frozenset(Needs))
    assert evaluation.status == Status.ON_HOLD
    assert "internal error" in evaluation.findings[0].message


def test_every_catalogue_rule_is_registered_with_its_severity():
    expected = {
        "REQ-01": "block", "TOT-01": "block", "DATE-01": "block", "CUR-01": "block", "DUP-01": "block",
        "DUP-02": "hold", "VM-01": "block", "VM-02": "hold", "TAX-01": "block", "BANK-01": "block",
        "FX-01": "hold", "PO-01": "block", "PO-02": "hold", "EU-01": "block", "IN-01": "block",
        "CORP-01": "hold", "SLA-01": "incident",
    }  # fmt: skip
    ruleset = default_ruleset()
    assert {rule_id: str(ruleset.rule(rule_id).severity) for rule_id in expected} == expected
