"""Entity extraction: exact outputs on hard cases, real corpus tickets, and a run over
the whole hand-written corpus."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from triage.entities import Amount, Entities, extract_entities

TODAY = date(2026, 11, 20)
CORPUS_DIR = Path(__file__).resolve().parents[2] / "triage" / "corpus"


def d(iso: str) -> date:
    return date.fromisoformat(iso)


def amount(value: str, currency: str, text: str) -> Amount:
    return Amount(Decimal(value), currency, text)


# --- invoice numbers -----------------------------------------------------------------

INVOICE_CASES = [
    # The formats of the brief, each on its own.
    ("Why was INV-2291 not paid?", ("INV-2291",)),
    ("INV2291 is on hold", ("INV2291",)),
    ("warum hängt 2026/00817 als Dublette?", ("2026/00817",)),
    ("ts=... invoice=F-88213-A vendor=V00412", ("F-88213-A",)),
    ("Hi, könnt ihr bitte RE-2026-0042 prüfen?", ("RE-2026-0042",)),
    ("invoice no. ABC/2026/77 is missing", ("ABC/2026/77",)),
    # A bare 8-10 digit number only with an invoice word, in each language.
    ("invoice 90001234 is late", ("90001234",)),
    ("die Rechnung 90001234 ist offen", ("90001234",)),
    ("la factura 90001234 sigue retenida", ("90001234",)),
    ("la facture n° 90001234 est bloquée", ("90001234",)),
    ("a nota fiscal 90001234 foi recusada", ("90001234",)),
    ("請求書番号 90001234 の件", ("90001234",)),
    ("inv# 90001234 pls", ("90001234",)),
    ("please call back about 90001234", ()),
    # Lists after one invoice word, with "and", "und", "y", ranges and Japanese 〜.
    (
        "Die Rechnungen 2026/00817, 2026/00818 und 2026/00822 sind gesperrt.",
        ("2026/00817", "2026/00818", "2026/00822"),
    ),
    ("Las facturas 0001-00045821 y 0001-00045822", ("0001-00045821", "0001-00045822")),
    ("the four held invoices (OP-7781 to OP-7784, C009)", ("OP-7781", "OP-7784")),
    ("請求書 2611-0301 ～ 2611-0310 が未処理です", ("2611-0301", "2611-0310")),
    ("As NFs 5540 e 5541 da Construtora Ipiranga", ("5540", "5541")),
    # Same shape elsewhere in the ticket, and a corrected copy of an accepted number.
    (
        "請求書 2611-0112（JPY 250,000）が保留です。同じ日付の 2611-0111 は別件です。",
        ("2611-0112", "2611-0111"),
    ),
    ("Invoice MW-5530 was rejected. Vendor resubmitted as MW-5530R.", ("MW-5530", "MW-5530R")),
    # Two numbers written as one token.
    ("matched pairs: RE-2026-0301/RE-2026-0301-K", ("RE-2026-0301", "RE-2026-0301-K")),
    # Year-letters-sequence and letters-year-sequence shapes need no invoice word.
    ("Pinecrest sent PC-2026-1150 again", ("PC-2026-1150",)),
    ("HUF 2026-HU-0330 wieder gesperrt", ("2026-HU-0330",)),
    # "INV 5120" is quoted as written.
    ('inv="INV 5120" paid_as="INV-5120"', ("INV 5120", "INV-5120")),
    # Duplicates collapse, order of appearance is kept.
    ("INV-9 INV-2291 and again INV-2291, then INV-1001", ("INV-9", "INV-2291", "INV-1001")),
]


@pytest.mark.parametrize(("text", "expected"), INVOICE_CASES)
def test_invoice_numbers(text: str, expected: tuple[str, ...]) -> None:
    assert extract_entities(text).invoices == expected


NOT_INVOICE_CASES = [
    # IBANs, compact and grouped, and a truncated one.
    "IBAN DE89370400440532013000 and DE44 5001 0517 5407 3249 31; alte DE89…",
    # Tax ids: German VAT, Indian GSTIN, Brazilian CNPJ, Swiss UID, labelled ids.
    "USt-IdNr. DE136695976, GSTIN 27AAPFU0939F1ZV, CNPJ 45.997.418/0001-53",
    "Unsere UID ist CHE-105.805.080 MWST; NIF 509 876 543; Steuernummer 21/815/08150",
    # Dates and times.
    "invoice dated 2026-11-02, invoice of 02/11/2026, paid at 14:17, window 18:00-22:00",
    # Amounts and percentages.
    "invoice 1.234,50 EUR; invoices 5.5-6.8% over PO; 30-40 invoices",
    # Phone numbers.
    "Rechnung? Bitte Rückruf unter Tel. 0171 2345678 oder +49 30 1234 5678",
    # Batch, payment and booking ids when labelled as such.
    "batch 2026-0042 failed; invoice batch 12345678; payment PMT-2026-118822",
    # Jira keys: the project key, and keys after ticket / jira / see.
    "PAYOPS-4412 invoices held; see PAY-123; ticket PAY-124; jira PAY-125",
    # PO numbers, vendor and client ids, rule ids, encodings and terms.
    "invoices on PO-88120 for V00412 and C017 held by VM-02, DUP-01, BR-CO-15, UTF-8, NET30",
    # Counts after a plural invoice word.
    "Invoices: 141 on hold; affected invoices 320",
    # Sort codes and account numbers next to an invoice word.
    "Invoice query: sort code 20-00-00, account 55779911",
]


@pytest.mark.parametrize("text", NOT_INVOICE_CASES)
def test_things_that_are_not_invoice_numbers(text: str) -> None:
    assert extract_entities(text).invoices == ()


# --- amounts ---------------------------------------------------------------------------

AMOUNT_CASES = [
    ("1.234,50 EUR", "1234.50", "EUR", "1.234,50 EUR"),
    ("EUR 1.234,50", "1234.50", "EUR", "EUR 1.234,50"),
    ("€1.234,50", "1234.50", "EUR", "€1.234,50"),
    ("1 234,50 €", "1234.50", "EUR", "1 234,50 €"),
    ("$12,000.00", "12000.00", "USD", "$12,000.00"),
    ("USD 12,000", "12000", "USD", "USD 12,000"),
    ("JPY 250000", "250000", "JPY", "JPY 250000"),
    ("¥250,000", "250000", "JPY", "¥250,000"),
    ("£3,400.10", "3400.10", "GBP", "£3,400.10"),
    ("R$ 3.400,00", "3400.00", "BRL", "R$ 3.400,00"),
    ("Rs. 1,20,000", "120000", "INR", "Rs. 1,20,000"),
    ("₹1,20,000.50", "120000.50", "INR", "₹1,20,000.50"),
    ("CHF 1'234.50", "1234.50", "CHF", "CHF 1'234.50"),
    ("-45.00 EUR", "-45.00", "EUR", "-45.00 EUR"),
    ("(45.00) EUR", "-45.00", "EUR", "(45.00) EUR"),
    ("EUR (45.00)", "-45.00", "EUR", "EUR (45.00)"),
    ("SGD -1,200.00", "-1200.00", "SGD", "SGD -1,200.00"),
    ("1,5 EUR", "1.5", "EUR", "1,5 EUR"),
    ("1.234 EUR", "1234", "EUR", "1.234 EUR"),
    ("0,500 EUR", "0.500", "EUR", "0,500 EUR"),
    ("12,000.00 USD", "12000.00", "USD", "12,000.00 USD"),
    ("12.000 SEK", "12000", "SEK", "12.000 SEK"),
    ("KWD 1.250", "1.250", "KWD", "KWD 1.250"),
    ("ISK 41.000.000", "41000000", "ISK", "ISK 41.000.000"),
    ("1,480,000円", "1480000", "JPY", "1,480,000円"),
    ("above USD 500k", "500000", "USD", "USD 500k"),
    ("amount=2115.60 currency=USD", "2115.60", "USD", "amount=2115.60 currency=USD"),
]


@pytest.mark.parametrize(("text", "value", "currency", "written"), AMOUNT_CASES)
def test_amounts(text: str, value: str, currency: str, written: str) -> None:
    (found,) = extract_entities(text).amounts
    assert isinstance(found.value, Decimal)
    # str() pins the exponent too: 1234.50, not 1234.5 or 1.2345E+3.
    assert (str(found.value), found.currency, found.text) == (value, currency, written)


@pytest.mark.parametrize(
    "text",
    [
        "12.000 kr",  # SEK, NOK, DKK or ISK: only the code counts
        "ALL 3 invoices, TOP 5 vendors",
        "terms NET 30, 2/10 NET 30",
        "77 MXN invoices dated 2026-11-16",
        "FX-01 holds ARS 140, NGN 77",
        "PAYOPS-4967 VES invoices on hold",
        "rate age: UAH 4.1d",
    ],
)
def test_numbers_that_are_not_amounts(text: str) -> None:
    assert extract_entities(text).amounts == ()


def test_parenthesised_amount_with_currency_is_an_aside_not_a_negative() -> None:
    entities = extract_entities("la facture F-2026-1102 (7 450,00 €) a été rejetée")
    assert entities.amounts == (amount("7450.00", "EUR", "7 450,00 €"),)


def test_a_dash_in_a_list_is_not_a_minus_sign() -> None:
    entities = extract_entities("- INV-3381 / 3381 - $12,000.00\n- INV-3390 / 3390 - $4,875.20")
    assert entities.amounts == (
        amount("12000.00", "USD", "$12,000.00"),
        amount("4875.20", "USD", "$4,875.20"),
    )


def test_a_code_between_two_numbers_belongs_to_the_formatted_one() -> None:
    entities = extract_entities("largest: 90011870 JPY 2,400,000 (~16,100 USD) no PO")
    assert entities.amounts == (
        amount("2400000", "JPY", "JPY 2,400,000"),
        amount("16100", "USD", "16,100 USD"),
    )


def test_the_same_sum_written_twice_is_one_amount() -> None:
    entities = extract_entities("JPY 250,000 (JPY 250000) and EUR 5 and 5 USD")
    assert entities.amounts == (
        amount("250000", "JPY", "JPY 250,000"),
        amount("5", "EUR", "EUR 5"),
        amount("5", "USD", "5 USD"),
    )


# --- dates -----------------------------------------------------------------------------

DATE_CASES = [
    ("ISO 2026-11-02, stamp 2026-11-03T08:02:00Z", ("2026-11-02", "2026-11-03")),
    ("am 02.11.2026 und 3.11.26", ("2026-11-02", "2026-11-03")),
    ("le 02/11/2026", ("2026-11-02",)),
    ("2 Nov 2026 and Nov 3, 2026 and November 4th, 2026", ("2026-11-02", "2026-11-03", "2026-11-04")),
    ("am 2. November 2026", ("2026-11-02",)),
    ("el 2 de noviembre de 2026", ("2026-11-02",)),
    ("le 2 novembre 2026, le 1er décembre 2026", ("2026-11-02", "2026-12-01")),
    ("em 2 de novembro de 2026", ("2026-11-02",)),
    ("2026年11月2日に更新", ("2026-11-02",)),
    ("fechas 12-nov-2026", ("2026-11-12",)),
    ("datapoint [412.0 (14/11/26 06:15:00)]", ("2026-11-14",)),
    # Month-first only when the ticket forces it or is clearly US.
    ("due 11/25/2026, sent 03/04/2026", ("2026-11-25", "2026-03-04")),
    ("due 25/11/2026, sent 03/04/2026", ("2026-11-25", "2026-04-03")),
    ("$480.00 dated 11/02/2026", ("2026-11-02",)),
    ("EUR 480.00 dated 11/02/2026", ("2026-02-11",)),
    ("$480.00 dated 11.02.2026", ("2026-02-11",)),
    # Not dates.
    ("version 4.18.2, ratio 2/3, terms 2/10 NET 30, 32/32 checks", ()),
]


@pytest.mark.parametrize(("text", "expected"), DATE_CASES)
def test_dates(text: str, expected: tuple[str, ...]) -> None:
    assert extract_entities(text).dates == tuple(d(x) for x in expected)


def test_yearless_and_relative_dates_need_today() -> None:
    text = "Seit gestern hängt alles; Kurs für 25.12. fehlt; dated 01/12; since 17 Nov"
    assert extract_entities(text).dates == ()
    assert extract_entities(text, today=TODAY).dates == (
        d("2026-11-19"), d("2026-12-25"), d("2026-12-01"), d("2026-11-17"),
    )


def test_japanese_yearless_dates_are_month_first() -> None:
    text = "マスタは11/8更新済み、11月16日に送信"
    assert extract_entities(text).dates == ()
    assert extract_entities(text, today=TODAY).dates == (d("2026-11-08"), d("2026-11-16"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("paid yesterday, due tomorrow, checked today", ("2026-11-19", "2026-11-21", "2026-11-20")),
        ("hoy no, ayer sí", ("2026-11-20", "2026-11-19")),
        ("la facture a été rejetée hier", ("2026-11-19",)),
        ("die Rechnung ist hier, seit vorgestern", ("2026-11-18",)),  # German "hier" = here
        ("本日確認、昨日登録", ("2026-11-20", "2026-11-19")),
    ],
)
def test_relative_words(text: str, expected: tuple[str, ...]) -> None:
    assert extract_entities(text, today=TODAY).dates == tuple(d(x) for x in expected)


def test_a_yearless_date_takes_the_year_that_keeps_it_near_today() -> None:
    # Up to 275 days back or 90 days ahead: 30/03 is last March, 15/01 next January.
    entities = extract_entities("seit 30/03, fällig 15/01", today=TODAY)
    assert entities.dates == (d("2026-03-30"), d("2027-01-15"))


# --- vendor, client and PO ids, vendor names ------------------------------------------

def test_vendor_and_client_ids_with_and_without_their_prefix() -> None:
    text = (
        "vendor V00412 and V12201; vendor 412 again; supplier no. 7715; vendor_id=v00931; "
        "C017, client 17, client_id:c033, Mandant 5; fx-api-client 401; vendors 61"
    )
    entities = extract_entities(text)
    assert entities.vendors == ("V00412", "V12201", "V07715", "V00931")
    assert entities.clients == ("C017", "C033", "C005")


def test_purchase_order_forms() -> None:
    text = (
        "PO-88120, PO 88121, PO#4500012345, P.O. 77001, purchase order 4500012346, "
        "Bestellung 4500012347, pedido PO-55188, purchase order 4500012345 again, PO-02 rule"
    )
    assert extract_entities(text).purchase_orders == (
        "PO-88120", "PO-88121", "PO-4500012345", "PO-77001", "4500012346", "4500012347",
        "PO-55188",
    )


def test_vendor_names_with_legal_forms() -> None:
    text = (
        "Our vendor Kessler Logistik GmbH and Transportes Andinos S.A. (C073); "
        "PDC Emballages SAS, Van Dijk Media B.V., Acme Holding S.p.A., Stratus SaaS Inc, "
        "Skyline Cloud Solutions Pvt Ltd, Nakamura Seimitsu KK, Comercial Paulista Ltda, "
        "„Brandt Software UG (haftungsbeschränkt)“, 「北斗エナジー株式会社」, 'Bauer & Söhne OHG'"
    )
    assert extract_entities(text).vendor_names == (
        "Kessler Logistik GmbH", "Transportes Andinos S.A.", "PDC Emballages SAS",
        "Van Dijk Media B.V.", "Acme Holding S.p.A.", "Stratus SaaS Inc",
        "Skyline Cloud Solutions Pvt Ltd", "Nakamura Seimitsu KK", "Comercial Paulista Ltda",
        "Brandt Software UG (haftungsbeschränkt)", "北斗エナジー株式会社", "Bauer & Söhne OHG",
    )


def test_vendor_names_stop_at_lowercase_and_generic_words() -> None:
    text = "die geänderte Anschrift der Hoffmann Stahlhandel AG; Vendor V60555 is a US LLC"
    assert extract_entities(text).vendor_names == ("Hoffmann Stahlhandel AG",)


# --- mixed tickets in five languages ---------------------------------------------------

def test_german_ticket() -> None:
    text = "Die Rechnung RE-2026-0042 über 1.234,50 EUR vom 02.11.2026 ist seit gestern gesperrt."
    assert extract_entities(text, today=TODAY) == Entities(
        invoices=("RE-2026-0042",),
        amounts=(amount("1234.50", "EUR", "1.234,50 EUR"),),
        dates=(d("2026-11-02"), d("2026-11-19")),
    )


def test_spanish_ticket() -> None:
    text = "La factura FAC-2026-00977 de 12.340,00 € del 2 de noviembre de 2026 sigue retenida desde ayer."
    assert extract_entities(text, today=TODAY) == Entities(
        invoices=("FAC-2026-00977",),
        amounts=(amount("12340.00", "EUR", "12.340,00 €"),),
        dates=(d("2026-11-02"), d("2026-11-19")),
    )


def test_french_ticket() -> None:
    text = "La facture n° 90001234 de 7 450,00 € du 2 novembre 2026 a été rejetée hier."
    assert extract_entities(text, today=TODAY) == Entities(
        invoices=("90001234",),
        amounts=(amount("7450.00", "EUR", "7 450,00 €"),),
        dates=(d("2026-11-02"), d("2026-11-19")),
    )


def test_portuguese_ticket() -> None:
    text = "A NF 000.118.224 (R$ 27.850,00) de 02/11/2026 da Transportes Serra Azul Ltda foi devolvida ontem."
    assert extract_entities(text, today=TODAY) == Entities(
        invoices=("000.118.224",),
        vendor_names=("Transportes Serra Azul Ltda",),
        amounts=(amount("27850.00", "BRL", "R$ 27.850,00"),),
        dates=(d("2026-11-02"), d("2026-11-19")),
    )


def test_japanese_ticket() -> None:
    text = "請求書番号 90001234（¥250,000）は2026年11月2日に保留になりました。昨日確認しました。C031経理"
    assert extract_entities(text, today=TODAY) == Entities(
        invoices=("90001234",),
        clients=("C031",),
        amounts=(amount("250000", "JPY", "¥250,000"),),
        dates=(d("2026-11-02"), d("2026-11-19")),
    )


def test_english_mixed_ticket_with_every_kind() -> None:
    text = (
        "Invoice INV-2291 from Kessler Logistik GmbH (V00412) for C017 on PO-88120: "
        "USD 12,000.00 paid 2026-11-02 to IBAN DE89370400440532013000, "
        "vendor VAT DE136695976, call +49 30 1234 5678, see PAYOPS-4412."
    )
    assert extract_entities(text) == Entities(
        invoices=("INV-2291",),
        vendors=("V00412",),
        vendor_names=("Kessler Logistik GmbH",),
        clients=("C017",),
        purchase_orders=("PO-88120",),
        amounts=(amount("12000.00", "USD", "USD 12,000.00"),),
        dates=(d("2026-11-02"),),
    )


# --- real tickets from the corpus (copied, so the expectations stay put) --------------

CORPUS_CASES = [
    (
        "AW: Sperre Rechnungen Hoffmann Stahlhandel\nGuten Tag,\n\nwir haben die geänderte "
        "Anschrift und Bankverbindung der Hoffmann Stahlhandel AG (V00588) am 18.11.2026 im "
        "Stammsatz gepflegt. Die Rechnungen 2026/00817, 2026/00818 und 2026/00822 (insgesamt "
        "48.912,40 EUR) sind aber weiterhin gesperrt, der Prüfgrund verweist auf die alten "
        "Daten.\n\nBitte die Prüfung erneut anstoßen.\n\nMit freundlichen Grüßen\nJana Vogt\n"
        "Kreditorenbuchhaltung",
        Entities(
            invoices=("2026/00817", "2026/00818", "2026/00822"),
            vendors=("V00588",),
            vendor_names=("Hoffmann Stahlhandel AG",),
            amounts=(amount("48912.40", "EUR", "48.912,40 EUR"),),
            dates=(d("2026-11-18"),),
        ),
    ),
    (
        "NF retida mesmo com cadastro atualizado\noi pessoal, a NF 000.118.224 da Transportes "
        "Serra Azul tá retida por divergência de dados bancários, mas o cadastro do fornecedor "
        "foi atualizado semana passada com a conta nova do Itaú. vcs tão usando cadastro "
        "antigo? valor R$ 27.850,00",
        Entities(invoices=("000.118.224",), amounts=(amount("27850.00", "BRL", "R$ 27.850,00"),)),
    ),
    (
        "【確認依頼】請求書 2611-0087 の保留理由について\nペイアブル運用チーム御中\n\n"
        "いつもお世話になっております。C031経理の佐藤です。\n仕入先 中村精密（V08812）の請求書 "
        "2611-0087（JPY 1,480,000）が「VM-02 口座情報不一致」で保留になっております。\n"
        "同社は11月上旬に振込先を変更しており、ベンダーマスタは11月8日に更新済みです。",
        Entities(
            invoices=("2611-0087",),
            vendors=("V08812",),
            clients=("C031",),
            amounts=(amount("1480000", "JPY", "JPY 1,480,000"),),
            dates=(d("2026-11-08"),),
        ),
    ),
    (
        "Consulta: facturas retenidas de Transportes Andinos\nHola equipo,\n\nLas facturas "
        "0001-00045821 y 0001-00045822 de Transportes Andinos S.A. (C073) aparecen retenidas "
        'por "datos del proveedor no coinciden". El proveedor cambió su domicilio fiscal y su '
        "CUIT quedó igual; actualizamos el maestro el 15/11.",
        Entities(
            invoices=("0001-00045821", "0001-00045822"),
            vendor_names=("Transportes Andinos S.A.",),
            clients=("C073",),
            dates=(d("2026-11-15"),),
        ),
    ),
    (
        "Virement rejeté - ancien RIB utilisé\nBonjour,\n\nNotre fournisseur Delacroix "
        "Consulting nous signale que le virement de la facture F-2026-1102 (7 450,00 €) a été "
        "rejeté par la banque : il a été émis sur leur ancien compte, clôturé depuis le 1er "
        "novembre. Le nouveau RIB a pourtant été saisi dans le référentiel le 5/11.",
        Entities(
            invoices=("F-2026-1102",),
            amounts=(amount("7450.00", "EUR", "7 450,00 €"),),
            dates=(d("2026-11-01"), d("2026-11-05")),
        ),
    ),
    (
        "Zahlung an alte Bankverbindung?\nSehr geehrte Damen und Herren,\n\nunser Lieferant "
        "Wendt Elektrotechnik teilt mit, dass die Zahlung zur Rechnung 90001877 (3.218,75 EUR) "
        "nicht eingegangen ist. Laut Zahlungslauf wurde an die IBAN DE12 5005 0000 ... "
        "überwiesen – das ist die alte Bankverbindung. Die neue wurde am 04.11.2026 freigegeben.",
        Entities(
            invoices=("90001877",),
            amounts=(amount("3218.75", "EUR", "3.218,75 EUR"),),
            dates=(d("2026-11-04"),),
        ),
    ),
    (
        "[Triggered] payment_returns_rate high - reason AC04 account closed\n[Triggered] "
        "payops.payments.returned{reason:AC04} > 10 in 1h\nCurrent value: 23\nAffected "
        "clients: C017 (19), C052 (4)\nReturned payments all went to vendor V00412 account "
        "DE89370400440532013000 (closed 2026-11-12 per bank).\nVendor master for V00412 holds "
        "DE44500105175407324931 since 2026-11-10. Payment file built from vendor snapshot "
        "2026-11-03.",
        Entities(
            vendors=("V00412",),
            clients=("C017", "C052"),
            dates=(d("2026-11-12"), d("2026-11-10"), d("2026-11-03")),
        ),
    ),
    (
        "Sentry: PossibleDuplicatePayment in payment-builder\nPossibleDuplicatePayment: "
        "beneficiary+amount+reference already paid within 14 days\npayment_run: "
        "PR-20261124-03\nclient_id: C061  vendor: V01877  amount: EUR 42.600,00  reference: "
        "BL-2026-1120\nexisting payment: PR-20261117-02 reference BL-2026-1120/1\ncount: 1",
        Entities(
            invoices=("BL-2026-1120", "BL-2026-1120/1"),
            vendors=("V01877",),
            clients=("C061",),
            amounts=(amount("42600.00", "EUR", "EUR 42.600,00"),),
        ),
    ),
    (
        "[Triggered] Vendor tax id failing for CLOUD reseller\nvendor V50113 (Skyline Cloud "
        "Solutions Pvt Ltd) client C031\ninvoice INV-CL-2210  INR 4,50,000.00\nGSTIN "
        "29ABCDE1234F2Z5 -> IN-01 invalid check code\nstatus REJECTED",
        Entities(
            invoices=("INV-CL-2210",),
            vendors=("V50113",),
            vendor_names=("Skyline Cloud Solutions Pvt Ltd",),
            clients=("C031",),
            amounts=(amount("450000.00", "INR", "INR 4,50,000.00"),),
        ),
    ),
    (
        "Sort code & account\nHi,\nOur sort code is 20-00-00 and account 55779911. The payment "
        "for invoice 2210 was returned, apparently you have 20-00-00 / 55779191. Please "
        "correct.\nThanks,\nBright Kitchens Ltd",
        Entities(invoices=("2210",), vendor_names=("Bright Kitchens Ltd",)),
    ),
    (
        "Pagamento imediato atrasado - NF 3321\nOi pessoal, a nota 3321 da Energisa (R$ "
        "3.400,00) entrou hoje cedo com condição de pagamento IMEDIATO e até agora nada.",
        Entities(
            invoices=("3321",),
            amounts=(amount("3400.00", "BRL", "R$ 3.400,00"),),
            dates=(TODAY,),
        ),
    ),
    (
        "Fwd: returned wire - Sharma Industrial\nFYI, see below - vendor says our wire went to "
        "their old account.\n\n> Dear Sir, your payment of INR 18,42,500.00 against invoice "
        "SIS/2026/771 was credited to our old HDFC account which is being closed. We had "
        "informed the change on 2 November and your vendor team confirmed on 4 November.",
        Entities(
            invoices=("SIS/2026/771",),
            amounts=(amount("1842500.00", "INR", "INR 18,42,500.00"),),
            dates=(d("2026-11-02"), d("2026-11-04")),
        ),
    ),
    (
        "PD: [payops] bank returned SEPA transfer – vendor V20931\nPagerDuty Incident #52231\n"
        "Service: payops-payments\nSummary: pain.002 RJCT for payment PMT-2026-118822 "
        "(Hausmann Elektro GmbH, 7.420,00 EUR) reason AC01\nclient: C063\nIBAN on file: "
        "DE44 5001 0517 5407 3249 31",
        Entities(
            vendors=("V20931",),
            vendor_names=("Hausmann Elektro GmbH",),
            clients=("C063",),
            amounts=(amount("7420.00", "EUR", "7.420,00 EUR"),),
        ),
    ),
    (
        "PAYOPS-4720 Paid twice - vendor V04021\n*Client:* C019 DIGITAL/US\n*What:* two "
        "invoices were paid twice, 6 and 7 Nov:\n- INV-3381 / 3381 - $12,000.00\n- INV-3390 / "
        "3390 - $4,875.20\nVendor confirms they submitted via portal and via email.",
        Entities(
            invoices=("INV-3381", "INV-3390"),
            vendors=("V04021",),
            clients=("C019",),
            amounts=(amount("12000.00", "USD", "$12,000.00"), amount("4875.20", "USD", "$4,875.20")),
            dates=(d("2026-11-07"),),
        ),
    ),
    (
        "Rechnung abgelehnt: UID Schweiz\nGrüezi\nUnsere Rechnung an Ihre Schweizer "
        'Gesellschaft wurde wegen "UID ungültig" abgelehnt. Unsere UID ist CHE-105.805.080 '
        "MWST. Können Sie bitte prüfen, was bei Ihnen erfasst ist?\nFreundliche Grüsse\n"
        "Bergbahn Technik AG",
        Entities(vendor_names=("Bergbahn Technik AG",)),
    ),
]


@pytest.mark.parametrize(("text", "expected"), CORPUS_CASES, ids=lambda v: None)
def test_real_tickets(text: str, expected: Entities) -> None:
    assert extract_entities(text, today=TODAY) == expected


# --- the result type -------------------------------------------------------------------

def test_as_dict_is_json_ready_and_exact() -> None:
    entities = extract_entities("INV-2291 for C017: 1.234,50 EUR due 2026-11-02")
    as_dict = entities.as_dict()
    assert json.loads(json.dumps(as_dict)) == {
        "invoices": ["INV-2291"],
        "vendors": [],
        "vendor_names": [],
        "clients": ["C017"],
        "purchase_orders": [],
        "amounts": [{"value": "1234.50", "currency": "EUR", "text": "1.234,50 EUR"}],
        "dates": ["2026-11-02"],
    }


def test_entities_are_frozen_and_empty_text_gives_nothing() -> None:
    entities = extract_entities("")
    assert entities == Entities()
    with pytest.raises(AttributeError):
        entities.invoices = ("INV-1",)  # type: ignore[misc]


@pytest.mark.parametrize("unit", ["A-", "1.", "1 ", "x", "請求", "Acme & ", "invoice 1 ", "€1 ", "\x00"])
def test_long_degenerate_text_is_handled(unit: str) -> None:
    # Pasted logs and separator lines must not blow up the patterns.
    entities = extract_entities(unit * (5000 // len(unit)), today=TODAY)
    assert entities.invoices == ()


# --- the whole corpus ------------------------------------------------------------------

def _corpus_texts() -> list[str]:
    texts = []
    for path in sorted(CORPUS_DIR.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                ticket = json.loads(line)
                texts.append(f"{ticket['title']}\n{ticket['body']}")
    return texts


_NEVER_AN_INVOICE = re.compile(
    r"(?:REQ|TOT|DATE|CUR|DUP|VM|TAX|BANK|FX|PO|EU|IN|CORP|SLA)-\d{2}|PAYOPS-\d+|PO-\d+"
    r"|[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?|\d{4}-\d{2}-\d{2}"
)


def test_every_corpus_ticket_extracts_without_error() -> None:
    texts = _corpus_texts()
    assert len(texts) > 1000
    for text in texts:
        for today in (None, TODAY):
            entities = extract_entities(text, today=today)
            json.dumps(entities.as_dict())
            for field in ("invoices", "vendors", "vendor_names", "clients", "purchase_orders",
                          "amounts", "dates"):
                values = getattr(entities, field)
                assert isinstance(values, tuple)
                assert len(values) == len(set(values)), (field, text)
            assert all(isinstance(a.value, Decimal) for a in entities.amounts)
            assert all(len(a.currency) == 3 and a.text in text for a in entities.amounts)
            assert all(re.fullmatch(r"V\d{4,6}", v) for v in entities.vendors)
            assert all(re.fullmatch(r"C\d{3}", c) for c in entities.clients)
            assert not set(entities.invoices) & set(entities.vendors + entities.clients)
            assert not any(_NEVER_AN_INVOICE.fullmatch(i) for i in entities.invoices), text
