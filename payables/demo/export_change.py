"""The demo's broken feed: a client changed its export overnight.

One canonical CSV file is rewritten the way an ERP export upgrade tends to break a feed:
semicolons for commas, Windows-1252 for UTF-8, the ERP's own column names and decimal
commas. Ingestion quarantines every row of it (with its raw text); monitoring cuts an
alarm; the feed_format_error playbook re-parses it with the detected dialect.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from payables.canonical import FIELDS, MONEY_FIELDS

EXPORT_HEADER = {
    "client_id": "Client", "business_line": "Business Line", "geography": "Country", "vendor_id": "Supplier ID",
    "vendor_name": "Supplier", "vendor_tax_id": "VAT ID", "vendor_iban": "IBAN", "invoice_number": "Invoice No",
    "invoice_date": "Invoice Date", "currency": "Currency", "net_amount": "Net", "tax_amount": "Tax",
    "total_amount": "Total", "payment_terms": "Terms", "po_number": "PO",
}


def _decimal_comma(value: str) -> str:
    return value.replace(".", ",") if value else value


def rewrite_as_changed_export(path: Path) -> bool:
    """Rewrite the canonical CSV at `path` in the changed export's dialect; False if it
    already is (the demo runs again on the same directory)."""
    text = path.read_bytes()
    if not text.startswith(",".join(FIELDS).encode()):
        return False
    rows = list(csv.DictReader(io.StringIO(text.decode("utf-8"))))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([EXPORT_HEADER[f] for f in FIELDS])
    for row in rows:
        writer.writerow([_decimal_comma(row[f]) if f in MONEY_FIELDS else row[f] for f in FIELDS])
    path.write_bytes(out.getvalue().encode("cp1252", errors="replace"))
    return True


def pick_export(feeds: Path) -> Path | None:
    """The newest canonical CSV feed: the file that arrived in the new format."""
    candidates = sorted((p for p in feeds.glob("*.csv")), key=lambda p: (p.stem.split("-", 1)[-1], p.name))
    return candidates[-1] if candidates else None
