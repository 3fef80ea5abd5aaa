"""Client mappings: the three UK public-spend layouts, amount/date styles, bad mapping files."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from payables.errors import MappingError
from payables.formats import read_feed
from payables.formats.mapping import (
    ClientMapping,
    bundled_mappings,
    detect_mapping,
    load_mapping,
    read_mapped,
)
from payables.formats.records import SourceRecord

DATA = Path(__file__).resolve().parent.parent / "data" / "feeds" / "uk"
MAPPINGS = Path(__file__).resolve().parents[2] / "payables" / "mappings"
# sample file, mapping name, encoding, amount column, client id
LAYOUTS = [
    ("leeds.csv", "uk-leeds", "cp1252", "Amount", "C081"),
    ("cabinetoffice.csv", "uk-cabinetoffice", "utf-8", "Amount", "C082"),
    ("networkrail.csv", "uk-networkrail", "utf-8", "Spend", "C083"),
]


def _read(name: str) -> tuple[bytes, ClientMapping, list[SourceRecord]]:
    data = (DATA / name).read_bytes()
    mapping = detect_mapping(data)
    assert mapping is not None
    return data, mapping, list(read_mapped(data, mapping))


def _source_rows(name: str, encoding: str) -> dict[int, dict[str, str]]:
    """The sample's data rows by line number (no quoted newlines in these files)."""
    text = (DATA / name).read_bytes().decode(encoding)
    rows = list(csv.DictReader(io.StringIO(text)))
    return {n: row for n, row in enumerate(rows, 2)}


def _with_line(data: bytes, line_no: int, old: bytes, new: bytes) -> bytes:
    lines = data.splitlines(keepends=True)
    assert old in lines[line_no - 1]
    lines[line_no - 1] = lines[line_no - 1].replace(old, new, 1)
    return b"".join(lines)


@pytest.mark.parametrize(("name", "mapping_name", "encoding", "amount", "client"), LAYOUTS)
def test_each_row_becomes_one_invoice_or_one_quarantined_record(name, mapping_name, encoding, amount, client):
    data, mapping, records = _read(name)
    source = _source_rows(name, encoding)
    assert mapping.name == mapping_name
    assert len(records) == len(source) >= 190
    assert [r.line_no for r in records] == list(source)
    for record in records:
        assert (record.invoice is None) != (record.error is None)
        if record.invoice is None:
            assert record.error.startswith(f"line {record.line_no}: column '")
            continue
        invoice, text = record.invoice, source[record.line_no][amount]
        assert invoice.total_amount == Decimal(text) and str(invoice.total_amount) == text
        assert invoice.net_amount == invoice.total_amount - invoice.tax_amount
        assert (invoice.client_id, invoice.business_line, invoice.geography) == (client, "CORPORATE", "GB")
        assert (invoice.currency, invoice.payment_terms) == ("GBP", "NET30")
        assert invoice.vendor_id.startswith("UKV-") and len(invoice.vendor_id) == 14
        assert isinstance(invoice.invoice_date, date)


@pytest.mark.parametrize(("name", "mapping_name"), [(n, m) for n, m, *_ in LAYOUTS])
def test_read_feed_detects_the_layout_by_its_header(name, mapping_name):
    feed = read_feed(DATA / name, (DATA / name).read_bytes())
    assert (feed.format, feed.mapping) == ("mapped-csv", mapping_name)


@pytest.mark.parametrize("name", [n for n, *_ in LAYOUTS])
def test_derived_ids_are_stable_across_reads_and_unique_per_file(name):
    first, second = _read(name)[2], _read(name)[2]
    keys = [r.invoice.key for r in first if r.invoice]
    assert keys == [r.invoice.key for r in second if r.invoice]
    assert len(set(keys)) == len(keys)  # no false DUP-01 within one file


def test_leeds_cp1252_amounts_vat_and_redacted_beneficiaries():
    _, _, records = _read("leeds.csv")
    by_line = {r.line_no: r for r in records}
    fylde = next(r.invoice for r in records if r.invoice and r.invoice.invoice_number == "2006-05170")
    assert fylde.vendor_name == "Fylde Coast Women\u00bfs Aid"  # byte 0xbf in Windows-1252
    first = by_line[2].invoice
    assert (first.invoice_number, first.invoice_date) == ("2006-00001", date(2020, 6, 24))
    assert (first.total_amount, first.tax_amount, first.net_amount) == (
        Decimal("5400.00"), Decimal("0.00"), Decimal("5400.00"))
    # rows naming no supplier are quarantined, each with the mapping's reason
    for name, reason in [
        ("REDACTED PERSONAL DATA", "the beneficiary is redacted personal data"),
        ("REDACTED COMMERCIAL CONFIDENTIALITY", "the supplier is withheld as commercially"),
        ("Various - Total Expenses", "a total of staff expenses paid to various people"),
    ]:
        rows = [r for r in records if f",{name}," in r.raw]
        assert rows and all(r.invoice is None for r in rows)
        for row in rows:
            assert row.error.startswith(
                f"line {row.line_no}: column 'Beneficiary Name' is '{name}': {reason}")


def test_vendor_id_is_the_same_for_the_same_supplier_in_any_spelling_or_client():
    _, _, cabinet = _read("cabinetoffice.csv")
    ids = {r.invoice.vendor_name: r.invoice.vendor_id for r in cabinet if r.invoice}
    assert ids["GOVERNMENT LEGAL DEPARTMENT"] == ids["Government Legal Department"]
    assert len(set(ids.values())) > 50
    rail = b"Supplier Name,Category Family,Invoice GL Date,Spend\nGovernment  Legal-Department,Legal,2021-04-01,5.00\n"
    (record,) = read_mapped(rail, load_mapping(MAPPINGS / "uk-networkrail.toml"))
    assert record.invoice.vendor_id == ids["Government Legal Department"]


def test_cabinet_office_lines_of_one_payment_get_distinct_numbers():
    _, _, records = _read("cabinetoffice.csv")
    capita = [r.invoice.invoice_number for r in records
              if r.invoice and r.invoice.invoice_number.startswith("1037144404")]
    assert capita == ["1037144404"] + [f"1037144404-{n}" for n in range(2, 11)]
    gpa = [r.invoice for r in records if r.invoice and r.invoice.invoice_number == "3"]
    assert len({i.vendor_id for i in gpa}) == len(gpa) > 1  # small GPA numbers, other suppliers


def test_network_rail_numbers_are_content_hashes_and_repeats_stay_distinct():
    data, mapping, records = _read("networkrail.csv")
    story = [r.invoice.invoice_number for r in records
             if r.invoice and r.invoice.vendor_name == "Story Contracting Ltd"
             and r.invoice.total_amount == Decimal("34093.45")]
    assert len(story) == 4 and story[1:] == [f"{story[0]}-{n}" for n in (2, 3, 4)]
    assert story[0].startswith("NR-") and len(story[0]) == 13
    # the same row resent on its own gets the same number, so DUP-01 sees it
    header, row = data.splitlines(keepends=True)[0], b"Story Contracting Ltd,General Civils,2021-04-07,34093.45\n"
    (again,) = read_mapped(header + row, mapping)
    assert again.invoice.invoice_number == story[0]
    # the trailing total and copyright lines are quarantined, not dropped
    total, footer = records[-2:]
    assert total.error == f"line {total.line_no}: column 'Supplier Name' is 'Grand Total': a total line, not a payment"
    assert footer.error.startswith(f"line {footer.line_no}: column 'Invoice GL Date' (-> invoice_date): ")


def test_malformed_rows_are_quarantined_naming_line_and_column():
    data, mapping, _ = _read("leeds.csv")
    data = _with_line(data, 3, b",2020-06-10,", b",31/13/2020,")
    data = _with_line(data, 7, b",160.00,", b",16.00.00,")
    data = _with_line(data, 8, b",2006-00007,", b",,")
    errors = {r.line_no: r.error for r in read_mapped(data, mapping) if r.line_no in (3, 7, 8)}
    assert errors == {
        3: "line 3: column 'Payment Date' (-> invoice_date): '31/13/2020' does not match %Y-%m-%d or %d/%m/%Y",
        7: "line 7: column 'Amount' (-> total_amount): '16.00.00' is not an amount like 1,234.56, -12.00 or (12.00)",
        8: "line 8: column 'Transaction Number' (-> invoice_number): is empty, so the invoice cannot be identified",
    }


def test_a_column_missing_from_the_header_quarantines_every_row():
    data = b"Supplier Name,Category Family,Invoice GL Date\nAECOM Ltd,Track,2021-04-01\n"
    mapping = load_mapping(MAPPINGS / "uk-networkrail.toml")
    (record,) = read_mapped(data, mapping)
    assert record.error == "line 2: column 'Spend' (-> total_amount): is not in the file's header"


MINI = """
name = "mini"
encoding = "cp1252"
delimiter = ";"
header = ["Fournisseur", "Date", "Montant"]
date_formats = ["%d-%b-%Y", "%d/%m/%Y"]
[amounts]
decimal_separator = ","
thousands_separator = "."
currency_symbols = ["£", "GBP"]
[constants]
client_id = "C099"
business_line = "CORPORATE"
geography = "GB"
currency = "GBP"
payment_terms = "NET30"
[columns]
vendor_name = "Fournisseur"
invoice_date = "Date"
total_amount = "Montant"
tax_amount = "TVA"
[defaults]
tax_amount = "0"
[templates]
vendor_id = "UKV-{namehash:Fournisseur}"
invoice_number = "M-{hash:Fournisseur|Date|Montant}{repeat}"
[computed]
net_amount = "total_amount - tax_amount"
"""


def _mini(tmp_path: Path, text: str = MINI) -> ClientMapping:
    path = tmp_path / "mini.toml"
    path.write_text(text, encoding="utf-8")
    return load_mapping(path)


@pytest.mark.parametrize(("text", "amount"), [
    ("£1.234,50", "1234.50"), ("(12,00)", "-12.00"), ("12,00-", "-12.00"), ("-£0,05", "-0.05"),
    ("GBP 1.000.000", "1000000"), ("7", "7"),
])
def test_amount_styles_become_exact_decimals(tmp_path, text, amount):
    mapping = _mini(tmp_path)
    data = f"Fournisseur;Date;Montant;TVA\nAcme;05-Jun-2020;{text};\n".encode("cp1252")
    (record,) = read_mapped(data, mapping)
    assert record.invoice is not None, record.error
    assert record.invoice.total_amount == Decimal(amount) == record.invoice.net_amount
    assert str(record.invoice.total_amount) == amount and record.invoice.tax_amount == Decimal("0")
    assert record.invoice.invoice_date == date(2020, 6, 5)


@pytest.mark.parametrize("text", ["1.23,4", "12,3,4", "(12,00", "--5", "abc", "1 234"])
def test_unreadable_amounts_are_quarantined(tmp_path, text):
    data = f"Fournisseur;Date;Montant;TVA\nAcme;05/06/2020;{text};\n".encode("cp1252")
    (record,) = read_mapped(data, _mini(tmp_path))
    assert record.error.startswith(f"line 2: column 'Montant' (-> total_amount): '{text}' is not an amount")


def test_extra_mapping_is_detected_and_a_cp1252_file_decodes(tmp_path):
    mapping = _mini(tmp_path)
    data = "Fournisseur;Date;Montant;TVA\nCafé Noël;05/06/2020;£10,00;2,00\n".encode("cp1252")
    assert detect_mapping(data) is None
    assert detect_mapping(data, extra=[mapping]) == mapping
    (record,) = read_mapped(data, mapping)
    assert record.invoice.vendor_name == "Café Noël"
    assert (record.invoice.total_amount, record.invoice.net_amount) == (Decimal("10.00"), Decimal("8.00"))


def test_unknown_and_canonical_headers_are_not_detected():
    assert detect_mapping(b"Vendor,When,How much\nAcme,2020-01-01,5.00\n") is None
    assert detect_mapping(b"Supplier Name,Spend\nAcme,5.00\n") is None  # only some columns
    canonical = (
        "client_id,business_line,geography,vendor_id,vendor_name,vendor_tax_id,vendor_iban,"
        "invoice_number,invoice_date,currency,net_amount,tax_amount,total_amount,payment_terms,"
        "po_number\n"
    )
    assert detect_mapping(canonical.encode()) is None


def test_bundled_mappings_load():
    names = {m.name for m in bundled_mappings()}
    assert {"uk-leeds", "uk-cabinetoffice", "uk-networkrail"} <= names


@pytest.mark.parametrize(("old", "new", "key"), [
    ('vendor_name = "Fournisseur"', 'vendor_nme = "Fournisseur"', "columns.vendor_nme"),
    ('delimiter = ";"', 'delimiter = ";"\nquote = "\'"', "quote"),
    ('"%d-%b-%Y", "%d/%m/%Y"', '"%d-%b-%Y", "%d/%q"', "date_formats"),
    ('encoding = "cp1252"', 'encoding = "cp9999"', "encoding"),
    ('business_line = "CORPORATE"', 'business_line = "GOVERNMENT"', "constants.business_line"),
    ('{namehash:Fournisseur}', '{sha256:Fournisseur}', "templates.vendor_id"),
    ('"total_amount - tax_amount"', '"total_amount - vat_amount"', "computed.net_amount"),
    ('invoice_date = "Date"\n', '', "columns.invoice_date"),
    ('decimal_separator = ","', 'decimal_separator = ";"', "amounts.decimal_separator"),
    ('[defaults]', '[defaults]\ncolour = "red"', "defaults.colour"),
])
def test_a_bad_mapping_file_names_the_file_and_the_key(tmp_path, old, new, key):
    assert old in MINI
    with pytest.raises(MappingError) as caught:
        _mini(tmp_path, MINI.replace(old, new))
    assert str(tmp_path / "mini.toml") in str(caught.value)
    assert f"key '{key}'" in str(caught.value)


def test_a_mapping_file_that_is_not_toml_is_named(tmp_path):
    with pytest.raises(MappingError, match=r"mini\.toml: not valid TOML"):
        _mini(tmp_path, "name = \n")
