"""UBL 2.1 Invoice / CreditNote documents read into canonical invoices."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from payables.formats import read_feed
from payables.formats.safe_xml import parse_xml
from payables.formats.ubl import invoice_from_ubl, read_ubl
from payables.formats.ubl_model import DocumentKind, UblDocument

DATA = Path(__file__).resolve().parents[1] / "data" / "conformance"
PEPPOL = DATA / "peppol-bis-invoice-3" / "rules"
EN = DATA / "en16931" / "ubl" / "examples"
EXAMPLES = sorted(
    p
    for p in [*PEPPOL.glob("examples/*"), *PEPPOL.glob("national-examples/**/*"), *EN.glob("*")]
    if p.suffix.lower() == ".xml"
)
NS = (
    'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
    'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"'
)
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"


def document(body: str, root: str = "Invoice", ns: str = INVOICE_NS) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{ns}" {NS}>\n{body}\n</{root}>\n'.encode()


def read_one(data: bytes, defaults: dict[str, str] | None = None):
    records = list(read_ubl(data, defaults))
    assert len(records) == 1
    assert records[0].line_no == 1
    return records[0]


SELLER = """
<cac:AccountingSupplierParty><cac:Party>
  <cbc:EndpointID schemeID="0088">7300010000001</cbc:EndpointID>
  <cac:PartyIdentification><cbc:ID>V-77</cbc:ID></cac:PartyIdentification>
  <cac:PartyName><cbc:Name>Acme Trading</cbc:Name></cac:PartyName>
  <cac:PostalAddress><cac:Country><cbc:IdentificationCode>de</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
  <cac:PartyTaxScheme><cbc:CompanyID>12/345/67890</cbc:CompanyID><cac:TaxScheme><cbc:ID>FC</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
  <cac:PartyTaxScheme><cbc:CompanyID>DE136695976</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
  <cac:PartyLegalEntity><cbc:RegistrationName>Acme Trading GmbH</cbc:RegistrationName><cbc:CompanyID>HRB 1</cbc:CompanyID></cac:PartyLegalEntity>
</cac:Party></cac:AccountingSupplierParty>
<cac:AccountingCustomerParty><cac:Party>
  <cbc:EndpointID schemeID="0088">5790000435975</cbc:EndpointID>
  <cac:PartyIdentification><cbc:ID>C017</cbc:ID></cac:PartyIdentification>
  <cac:PostalAddress><cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
</cac:Party></cac:AccountingCustomerParty>
"""
FULL = f"""
<cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
<cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>
<cbc:ID>INV-2291</cbc:ID>
<cbc:IssueDate>2026-11-02</cbc:IssueDate>
<cbc:DueDate>2026-12-02</cbc:DueDate>
<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
<cbc:TaxCurrencyCode>SEK</cbc:TaxCurrencyCode>
<cbc:BuyerReference>REF-9</cbc:BuyerReference>
<cac:OrderReference><cbc:ID>PO-88120</cbc:ID></cac:OrderReference>
{SELLER}
<cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>
  <cac:PayeeFinancialAccount><cbc:ID>DE89370400440532013000</cbc:ID></cac:PayeeFinancialAccount></cac:PaymentMeans>
<cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>
  <cac:PayeeFinancialAccount><cbc:ID>DE02120300000000202051</cbc:ID></cac:PayeeFinancialAccount></cac:PaymentMeans>
<cac:AllowanceCharge><cbc:ChargeIndicator>false</cbc:ChargeIndicator><cbc:Amount currencyID="EUR">10.00</cbc:Amount></cac:AllowanceCharge>
<cac:AllowanceCharge><cbc:ChargeIndicator>1</cbc:ChargeIndicator><cbc:Amount currencyID="EUR">5.50</cbc:Amount></cac:AllowanceCharge>
<cac:TaxTotal><cbc:TaxAmount currencyID="SEK">210.00</cbc:TaxAmount></cac:TaxTotal>
<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">19.00</cbc:TaxAmount>
  <cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">100.00</cbc:TaxableAmount><cbc:TaxAmount currencyID="EUR">19.00</cbc:TaxAmount>
    <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent></cac:TaxCategory></cac:TaxSubtotal>
</cac:TaxTotal>
<cac:LegalMonetaryTotal>
  <cbc:LineExtensionAmount currencyID="EUR">104.50</cbc:LineExtensionAmount>
  <cbc:TaxExclusiveAmount currencyID="EUR">100.00</cbc:TaxExclusiveAmount>
  <cbc:TaxInclusiveAmount currencyID="EUR">119.00</cbc:TaxInclusiveAmount>
  <cbc:AllowanceTotalAmount currencyID="EUR">10.00</cbc:AllowanceTotalAmount>
  <cbc:ChargeTotalAmount currencyID="EUR">5.50</cbc:ChargeTotalAmount>
  <cbc:PayableAmount currencyID="EUR">119.00</cbc:PayableAmount>
</cac:LegalMonetaryTotal>
<cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount></cac:InvoiceLine>
<cac:InvoiceLine><cbc:ID>2</cbc:ID><cbc:LineExtensionAmount currencyID="EUR">4.50</cbc:LineExtensionAmount></cac:InvoiceLine>
"""


# (file, number, type, currency, net, tax, total, seller VAT id, IBAN)
KNOWN = [
    ("peppol-bis-invoice-3/rules/examples/base-example.xml", "Snippet1", "invoice", "EUR",
     "1325", "331.25", "1656.25", "GB1232434", "IBAN32423940"),
    ("peppol-bis-invoice-3/rules/examples/base-creditnote-correction.xml", "Snippet1", "credit_note", "EUR",
     "-1325", "-331.25", "-1656.25", "GB1232434", "IBAN32423940"),
    ("peppol-bis-invoice-3/rules/examples/vat-category-E.xml", "Vat-Z", "invoice", "GBP",
     "1200.00", "0.00", "1200.00", "GB928741974", "SE1212341234123412"),
    ("peppol-bis-invoice-3/rules/national-examples/NO/Norwegian-example-1.xml", "TOSL108", "invoice", "NOK",
     "1436.5", "365.28", "1801.78", "NO123456785MVA", "NO9386011117947"),
    ("peppol-bis-invoice-3/rules/national-examples/GR/GR-base-example-correct.xml",
     "061828591|01/10/2020|0|1.1|0|1", "invoice", "EUR", "1325", "331.25", "1656.25", "EL0618285912",
     "IBAN32423940"),
    ("en16931/ubl/examples/ubl-tc434-example1.xml", "12115118", "invoice", "EUR",
     "229.60", "20.73", "250.33", "NL8200.98.395.B.01", "NL57 RABO 0107307510"),
    ("en16931/ubl/examples/ubl-tc434-example2.xml", "TOSL108", "invoice", "NOK",
     "1436.50", "365.28", "1801.78", "NO123456789MVA", "NO9386011117947"),
    ("en16931/ubl/examples/ubl-tc434-example8.xml", "1100512149", "invoice", "EUR",
     "908.91", "190.87", "1099.78", "NL809561074B01", "NL28RBOS0420242228"),
    ("en16931/ubl/examples/ubl-tc434-creditnote1.xml", "018304 / 28865", "credit_note", "EUR",
     "-100.11", "0.00", "-100.11", "BE0000000196", "BE91000000143476"),
    ("en16931/ubl/examples/FT G2G_TD01 con Allegato, Bonifico e Split Payment.xml", "1316/85", "invoice", "EUR",
     "1246.00", "274.12", "1520.12", "IT01598570354", "IT64W0100003245243300306301"),
    ("en16931/ubl/examples/BIS3_Invoice_negativ.XML", "12345", "invoice", "DKK",
     "-625743.54", "-156435.89", "-782179.43", "DK12345678", "1234567891234"),
]  # fmt: skip


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_document_parses(path: Path) -> None:
    record = read_one(path.read_bytes())
    assert record.error is None
    invoice = record.invoice
    assert invoice is not None and invoice.invoice_number
    assert invoice.invoice_date is not None and len(invoice.currency) == 3
    for amount in (invoice.net_amount, invoice.tax_amount, invoice.total_amount):
        assert isinstance(amount, Decimal)
    assert isinstance(invoice.ubl, UblDocument) and invoice.ubl.unreadable == ()
    assert invoice.ubl.lines and invoice.ubl.monetary_total is not None


def test_the_examples_are_all_there() -> None:
    assert len(EXAMPLES) == 31


@pytest.mark.parametrize(("name", "number", "kind", "cur", "net", "tax", "total", "vat", "iban"), KNOWN)
def test_example_values(name: str, number: str, kind: str, cur: str, net: str, tax: str, total: str,
                        vat: str, iban: str) -> None:  # fmt: skip
    invoice = read_one((DATA / name).read_bytes()).invoice
    assert invoice is not None
    assert (invoice.invoice_number, invoice.document_type, invoice.currency) == (number, kind, cur)
    assert (invoice.net_amount, invoice.tax_amount, invoice.total_amount) == (Decimal(net), Decimal(tax), Decimal(total))
    assert (invoice.vendor_tax_id, invoice.vendor_iban) == (vat, iban)


def test_full_document_maps_every_field() -> None:
    record = read_one(document(FULL))
    invoice = record.invoice
    assert record.error is None and invoice is not None
    assert invoice.invoice_number == "INV-2291"
    assert invoice.invoice_date.isoformat() == "2026-11-02"
    assert (invoice.currency, invoice.net_amount, invoice.tax_amount, invoice.total_amount) == (
        "EUR", Decimal("100.00"), Decimal("19.00"), Decimal("119.00")
    )  # tax is the TaxTotal in the document currency, not the SEK one
    assert invoice.vendor_id == "V-77"
    assert invoice.vendor_name == "Acme Trading"
    assert invoice.vendor_tax_id == "DE136695976"  # the VAT scheme, not the FC one
    assert invoice.vendor_iban == "DE89370400440532013000"  # the first PaymentMeans
    assert invoice.po_number == "PO-88120"
    assert invoice.geography == "DE"
    assert invoice.client_id == "C017"
    assert invoice.business_line == ""
    assert invoice.payment_terms == "NET30"
    assert invoice.document_type == "invoice"
    assert record.raw == document(FULL).decode()


def test_the_ubl_model() -> None:
    doc = read_one(document(FULL)).invoice.ubl
    assert doc.kind == DocumentKind.INVOICE
    assert doc.customization_id.startswith("urn:cen.eu:en16931:2017")
    assert doc.profile_id == "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
    assert doc.root.tag == f"{{{INVOICE_NS}}}Invoice"
    assert [(line.id, line.line_extension_amount) for line in doc.lines] == [
        ("1", Decimal("100.00")), ("2", Decimal("4.50"))
    ]
    assert [a.amount for a in doc.allowances] == [Decimal("10.00")]
    assert [c.amount for c in doc.charges] == [Decimal("5.50")]
    mt = doc.monetary_total
    assert (mt.line_extension_amount, mt.allowance_total_amount, mt.charge_total_amount) == (
        Decimal("104.50"), Decimal("10.00"), Decimal("5.50")
    )
    assert (mt.prepaid_amount, mt.payable_rounding_amount, mt.payable_amount) == (None, None, Decimal("119.00"))
    assert [(t.currency, t.tax_amount) for t in doc.tax_totals] == [("SEK", Decimal("210.00")), ("EUR", Decimal("19.00"))]
    sub = doc.tax_totals[1].subtotals[0]
    assert (sub.taxable_amount, sub.tax_amount, sub.category_id, sub.percent) == (
        Decimal("100.00"), Decimal("19.00"), "S", Decimal("19")
    )


def test_fallbacks_for_vendor_and_client() -> None:
    body = FULL.replace("<cac:PartyIdentification><cbc:ID>V-77</cbc:ID></cac:PartyIdentification>", "")
    body = body.replace("<cac:PartyName><cbc:Name>Acme Trading</cbc:Name></cac:PartyName>", "")
    body = body.replace("<cac:PartyIdentification><cbc:ID>C017</cbc:ID></cac:PartyIdentification>", "")
    invoice = read_one(document(body)).invoice
    assert invoice.vendor_id == "7300010000001"  # the seller's EndpointID
    assert invoice.vendor_name == "Acme Trading GmbH"  # the legal registration name
    assert invoice.client_id == "5790000435975"  # the buyer's EndpointID
    body = body.replace('<cbc:EndpointID schemeID="0088">7300010000001</cbc:EndpointID>', "")
    body = body.replace('<cbc:EndpointID schemeID="0088">5790000435975</cbc:EndpointID>', "")
    body = body.replace("<cbc:IdentificationCode>de</cbc:IdentificationCode>", "")
    invoice = read_one(document(body)).invoice
    assert invoice.vendor_id == "HRB 1"  # the seller's legal registration id
    assert invoice.client_id == "REF-9"  # the BuyerReference
    assert invoice.geography == "FR"  # the buyer's country


def test_tax_id_without_a_vat_scheme() -> None:
    body = FULL.replace("<cbc:CompanyID>DE136695976</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID>",
                        "<cbc:CompanyID>X</cbc:CompanyID><cac:TaxScheme><cbc:ID>GST</cbc:ID>")  # fmt: skip
    assert read_one(document(body)).invoice.vendor_tax_id == "12/345/67890"


def test_defaults_win() -> None:
    defaults = {"client_id": "C042", "business_line": "RETAIL", "payment_terms": "IMMEDIATE"}
    invoice = read_one(document(FULL), defaults).invoice
    assert (invoice.client_id, invoice.business_line, invoice.payment_terms) == ("C042", "RETAIL", "IMMEDIATE")


@pytest.mark.parametrize(
    ("due", "terms"),
    [("2026-11-02", "NET15"), ("2026-11-17", "NET15"), ("2026-11-18", "NET30"), ("2026-12-02", "NET30"),
     ("2026-12-17", "NET45"), ("2027-01-01", "NET60"), ("2027-01-02", "NET90"), (None, "NET30")],
)  # fmt: skip
def test_payment_terms_from_the_due_date(due: str | None, terms: str) -> None:
    replacement = f"<cbc:DueDate>{due}</cbc:DueDate>" if due else ""
    body = FULL.replace("<cbc:DueDate>2026-12-02</cbc:DueDate>", replacement)
    assert read_one(document(body)).invoice.payment_terms == terms


def test_payment_due_date_of_payment_means() -> None:
    body = FULL.replace("<cbc:DueDate>2026-12-02</cbc:DueDate>", "").replace(
        "<cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>",
        "<cbc:PaymentMeansCode>30</cbc:PaymentMeansCode><cbc:PaymentDueDate>2026-12-20</cbc:PaymentDueDate>",
        1,
    )
    assert read_one(document(body)).invoice.payment_terms == "NET60"


def test_credit_note_is_negated_but_its_model_is_not() -> None:
    body = FULL.replace("cac:InvoiceLine", "cac:CreditNoteLine").replace("<cbc:DueDate>2026-12-02</cbc:DueDate>", "")
    invoice = read_one(document(body, "CreditNote", CREDIT_NS)).invoice
    assert invoice.document_type == "credit_note"
    assert (invoice.net_amount, invoice.tax_amount, invoice.total_amount) == (
        Decimal("-100.00"), Decimal("-19.00"), Decimal("-119.00")
    )
    assert invoice.ubl.kind == DocumentKind.CREDIT_NOTE
    assert invoice.ubl.monetary_total.tax_inclusive_amount == Decimal("119.00")
    assert [line.id for line in invoice.ubl.lines] == ["1", "2"]


def test_no_tax_total_in_the_document_currency_is_zero_tax() -> None:
    body = FULL.replace('<cbc:TaxAmount currencyID="EUR">19.00</cbc:TaxAmount>\n', "")
    assert read_one(document(body)).invoice.tax_amount == Decimal(0)


def test_a_fragment_parses_as_far_as_it_goes() -> None:
    fragment = document("<cac:LegalMonetaryTotal><cbc:PayableAmount>5</cbc:PayableAmount></cac:LegalMonetaryTotal>")
    invoice = invoice_from_ubl(parse_xml(fragment))
    assert invoice.invoice_number == "" and invoice.invoice_date is None and invoice.currency == ""
    assert (invoice.net_amount, invoice.tax_amount, invoice.total_amount) == (None, Decimal(0), None)
    assert invoice.payment_terms == "NET30"
    assert invoice.ubl.monetary_total.payable_amount == Decimal("5")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"this is not xml", "not well-formed XML at line 1, column 1"),
        (b"<Invoice><cbc:ID>1</Invoice>", "not well-formed XML at line 1"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><Invoice/>', "declares a DOCTYPE"),
        (b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>',
         "line 1: the root element is <CrossIndustryInvoice> in namespace urn:un:unece"),
        (b"<Invoice><ID>1</ID></Invoice>", "the root element is <Invoice> (no namespace)"),
        (document("<cbc:IssueDate>2026-11-02</cbc:IssueDate>"), "line 2: the Invoice has no cbc:ID, the invoice number (BT-1)"),
        (document("<cbc:ID> </cbc:ID>"), "has an empty cbc:ID (line 3)"),
        (document("<cbc:ID>1</cbc:ID>\n<cac:LegalMonetaryTotal><cbc:PayableAmount>1,50</cbc:PayableAmount></cac:LegalMonetaryTotal>"),
         "line 4: cbc:PayableAmount '1,50' is not a decimal amount"),
        (document("<cbc:ID>1</cbc:ID>\n<cbc:IssueDate>02.11.2026</cbc:IssueDate>"), "line 4: cbc:IssueDate '02.11.2026' is not an ISO date"),
        (document("<cbc:ID>1</cbc:ID><cac:AllowanceCharge><cbc:ChargeIndicator>yes</cbc:ChargeIndicator></cac:AllowanceCharge>"),
         "cbc:ChargeIndicator 'yes' is not true or false"),
    ],
)  # fmt: skip
def test_quarantined_documents_say_why(data: bytes, reason: str) -> None:
    record = read_one(data)
    assert record.invoice is None
    assert reason in record.error
    assert record.raw == data.decode("utf-8", errors="replace")


def test_invoice_from_ubl_refuses_other_roots() -> None:
    with pytest.raises(ValueError, match="not a UBL 2.1 Invoice"):
        invoice_from_ubl(parse_xml(b"<Order/>"))


def test_read_feed_picks_the_ubl_reader() -> None:
    feed = read_feed(Path("INV-2291.xml"), document(FULL))
    assert feed.format == "ubl"
    records = list(feed.records)
    assert len(records) == 1 and records[0].invoice.invoice_number == "INV-2291"
