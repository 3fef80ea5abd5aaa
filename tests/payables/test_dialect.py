"""Feed dialects: a changed client file is recognised and rebuilt as canonical feed v1."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from models import Batch, Database, RawRecord
from payables.canonical import FIELDS, Outcome
from payables.clock import fixed_clock
from payables.formats import read_feed
from payables.formats.dialect import detect, header_line, reassemble, rebuild
from payables.formats.mapping import bundled_mappings
from payables.ingest import ingest_bytes
from tests.factories import DE_IBAN, DE_VAT, NOW, make_invoice

ERP_HEADER = "Client ID;Business Line;Country;Supplier No;Supplier;VAT ID;IBAN;Invoice No;Invoice Date;Currency;Net;Tax;Total;Terms"
ERP_ROWS = (
    f"C017;DIGITAL;DE;V00412;Müller GmbH;{DE_VAT};{DE_IBAN};INV-7001;2026-11-10;EUR;1.000,00;190,00;1.190,00;NET30",
    f"C017;DIGITAL;DE;V00412;Acme GmbH;{DE_VAT};{DE_IBAN};INV-7002;2026-11-11;EUR;50,00;9,50;59,50;NET30",
)
CANONICAL = ",".join(FIELDS) + "\n" + ",".join(make_invoice().as_feed_row()[f] for f in FIELDS) + "\n"


def erp_export() -> bytes:
    """A German ERP export: Windows-1252, semicolons, its own column names, decimal commas."""
    return "\r\n".join((ERP_HEADER, *ERP_ROWS, "")).encode("cp1252")


def test_a_semicolon_cp1252_export_with_its_own_header_and_decimal_commas() -> None:
    found = detect(erp_export())
    dialect = found.dialect
    assert dialect is not None and not found.canonical and found.problem == ""
    assert (dialect.encoding, dialect.delimiter, dialect.decimal_comma) == ("cp1252", ";", True)
    assert dict(zip(dialect.header, dialect.columns, strict=True))["Supplier No"] == "vendor_id"
    assert dialect.columns[ERP_HEADER.split(";").index("Invoice No")] == "invoice_number"
    assert found.notes == (
        "delimiter ';' instead of ','",
        "encoding cp1252 instead of UTF-8: 1 line(s) with bytes that are not UTF-8 (e.g. 'Müller GmbH')",
        "header read as canonical fields: 'Client ID' as client_id, 'Business Line' as business_line, "
        "'Country' as geography, 'Supplier No' as vendor_id, 'Supplier' as vendor_name, 'VAT ID' as "
        "vendor_tax_id, 'IBAN' as vendor_iban, 'Invoice No' as invoice_number, 'Invoice Date' as invoice_date, "
        "'Currency' as currency, 'Net' as net_amount, 'Tax' as tax_amount, 'Total' as total_amount, "
        "'Terms' as payment_terms",
        "amounts written with a decimal comma ('1.000,00' read as 1000.00)",
    )

    data, mapping = rebuild(erp_export(), dialect)
    assert mapping is None and data.decode("utf-8").splitlines()[0] == ",".join(FIELDS)
    records = list(read_feed(Path("rebuilt.csv"), data).records)
    assert all(r.invoice is not None for r in records), [r.error for r in records]
    müller = records[0].invoice
    assert müller is not None and müller.vendor_name == "Müller GmbH" and müller.po_number == ""
    assert (müller.net_amount, müller.tax_amount, müller.total_amount) == (
        Decimal("1000.00"), Decimal("190.00"), Decimal("1190.00"))


def test_only_the_rows_on_the_given_lines_are_rebuilt() -> None:
    dialect = detect(erp_export(), {3}).dialect
    assert dialect is not None
    text = rebuild(erp_export(), dialect, {3})[0].decode("utf-8")
    assert "INV-7002" in text and "INV-7001" not in text


def test_a_tab_delimited_utf8_file_with_canonical_names() -> None:
    data = CANONICAL.replace(",", "\t").encode("utf-8")
    found = detect(data)
    assert found.dialect is not None and found.dialect.delimiter == "\t" and found.dialect.encoding == "utf-8"
    assert found.notes == ("delimiter '\\t' instead of ','",)
    rebuilt, _ = rebuild(data, found.dialect)
    assert rebuilt.decode("utf-8") == CANONICAL


def test_a_canonical_file_is_detected_as_canonical() -> None:
    found = detect(("\ufeff" + CANONICAL).encode("utf-8"))
    assert found.canonical and found.notes == ()
    assert found.dialect is not None and found.dialect.columns == FIELDS


def test_a_header_nothing_matches_says_which_columns_it_did_not_understand() -> None:
    found = detect(b"Foo;Bar;Invoice No\n1;2;INV-1\n")
    assert found.dialect is None and not found.canonical
    assert found.problem.startswith("the header lacks client_id, business_line, geography, vendor_id")
    assert "(columns not understood: 'Foo', 'Bar')" in found.problem
    assert detect(b"").problem == "the file has no readable header line"


def test_detects_a_bundled_client_mapping_behind_a_new_delimiter() -> None:
    leeds = next(m for m in bundled_mappings() if m.name == "uk-leeds")
    row = ["E08000035", "Leeds", "2020-06-30", "Adults", "Care", "x", "y", "1", "2020-06-03", "2006-00001", "0",
           "£1,250.00", "Revenue", "Fylde Coast Women\u2019s Aid", ""]
    data = "\n".join(";".join(r) for r in (leeds.header, row)).encode("cp1252")
    found = detect(data, {2})
    assert found.dialect is not None and found.dialect.mapping == "uk-leeds" and found.dialect.delimiter == ";"
    assert "delimiter ';' instead of ','" in found.notes
    rebuilt, mapping = rebuild(data, found.dialect, {2})
    assert mapping is leeds or (mapping is not None and mapping.name == "uk-leeds")
    assert rebuilt.decode("cp1252").splitlines()[1].split(",")[0] == "E08000035"


def test_a_file_mixing_utf8_and_cp1252_lines_keeps_both_readable() -> None:
    header = "Client_ID;Vendor_ID;Vendor Name;Invoice No"
    data = b"\n".join([header.encode(), "C017;V1;Café Zoë;INV-1".encode(), "C017;V2;Müller;INV-2".encode("cp1252")])
    found = detect(data + b"\n", {2, 3})
    assert found.dialect is None  # too few columns for canonical feed v1, and it says which
    assert "the header lacks business_line" in found.problem
    full = data.replace(header.encode(), b"Client_ID;Business_Line;Geography;Vendor_ID;Vendor Name;Invoice No;"
                        b"Invoice Date;Currency;Net;Tax;Total;Terms")
    full = full.replace(b";V1;", b";DIGITAL;DE;V1;").replace(b";V2;", b";DIGITAL;DE;V2;")
    full = full.replace(b"INV-1", b"INV-1;2026-11-02;EUR;1;0;1;NET30").replace(b"INV-2", b"INV-2;2026-11-02;EUR;1;0;1;NET30")
    dialect = detect(full, {2, 3}).dialect
    assert dialect is not None and dialect.encoding == "cp1252"
    text = rebuild(full, dialect, {2, 3})[0].decode("utf-8")
    assert "Café Zoë" in text and "Müller" in text


def test_the_header_line_and_raw_rows_kept_read_back_as_the_file_was_received() -> None:
    data = erp_export()
    header = header_line(data)
    assert header == ERP_HEADER
    raws = [r.raw for r in read_feed(Path("erp.csv"), data).records]
    assert "M\\xfcller" in raws[0]  # a byte that is not UTF-8, kept escaped
    again = reassemble(header, raws)
    assert again == data.replace(ERP_HEADER.encode() + b"\r\n", ERP_HEADER.encode() + b"\n")
    found = detect(again)
    assert found == detect(data) and found.dialect is not None
    assert rebuild(again, found.dialect) == rebuild(data, found.dialect)
    assert header_line(b"\xef\xbb\xbf\n  \r\nclient_id,vendor_id\r\nC017,V1\r\n") == "client_id,vendor_id"


def test_ingestion_keeps_the_header_line_of_csv_feeds_only(db: Database) -> None:
    jsonl = (json.dumps(make_invoice(invoice_number="J-1").as_feed_row()) + "\n").encode()
    with db.session() as session:
        erp = ingest_bytes(session, "erp.csv", erp_export(), clock=fixed_clock(NOW))
        lines = ingest_bytes(session, "feed.jsonl", jsonl, clock=fixed_clock(NOW))
        assert erp.file == "erp.csv" and erp.quarantined == 2
        batch, jsonl_batch = session.get(Batch, erp.batch_id), session.get(Batch, lines.batch_id)
        assert batch is not None and jsonl_batch is not None
        assert (batch.source_name, batch.header, jsonl_batch.header) == ("erp.csv", ERP_HEADER, None)
        raws = list(session.scalars(select(RawRecord.raw).where(
            RawRecord.batch_id == batch.id, RawRecord.outcome == Outcome.QUARANTINED).order_by(RawRecord.line_no)))
        assert batch.header is not None
        assert reassemble(batch.header, raws).decode("cp1252").splitlines()[1:] == list(ERP_ROWS)
