"""Ingestion throughput: end to end, validation alone, and the bare floor.

    python bench/ingest.py [--invoices 200000] [--json]

Generates N canonical invoices over a vendor master with valid tax ids and IBANs, loads the
reference data into a fresh SQLite file and ingests the feed (parse, validate every rule,
store raw records, invoices, validations, findings, history) in one batch. The floor is
csv parsing plus one executemany of the same rows into a table of the same columns, with
no rules, in another fresh file. Targets (issue 2): end to end >= 20,000 invoices/s on one
core and >= 1/4 of the floor; a day of volume (822,000 invoices) in under a minute.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models import Database  # noqa: E402
from payables.canonical import FIELDS  # noqa: E402
from payables.clock import fixed_clock  # noqa: E402
from payables.formats import read_feed  # noqa: E402
from payables.ingest import ingest_file  # noqa: E402
from payables.reference.database import reference_for  # noqa: E402
from payables.reference.loader import load_reference_dir  # noqa: E402
from payables.rules.base import RuleContext  # noqa: E402
from payables.rules.registry import default_ruleset  # noqa: E402

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
# Valid (country, VAT id, IBAN) triples; vendors share them, as group companies do.
IDS = [
    ("DE", "DE136695976", "DE89370400440532013000"),
    ("FR", "FR40303265045", "FR7630006000011234567890189"),
    ("NL", "NL004495445B01", "NL91ABNA0417164300"),
    ("GB", "GB980780684", "GB29NWBK60161331926819"),
    ("US", "", ""),
]
VAT = {"DE": Decimal("0.19"), "FR": Decimal("0.20"), "NL": Decimal("0.21"), "GB": Decimal("0.20"), "US": Decimal(0)}
CURRENCY = {"DE": "EUR", "FR": "EUR", "NL": "EUR", "GB": "GBP", "US": "USD"}
LINES = ["DIGITAL", "CLOUD", "CORPORATE", "RETAIL", "LOGISTICS"]
TERMS = ["NET30", "NET30", "NET45", "NET60", "EOM", "IMMEDIATE"]


def make_data(directory: Path, n: int, seed: int = 1) -> Path:
    rng = random.Random(seed)
    vendors = []
    for i in range(2000):
        country, tax_id, iban = IDS[i % len(IDS)]
        vendors.append({"vendor_id": f"V{i:05d}", "name": f"Vendor {i}", "country": country, "tax_id": tax_id,
                        "iban": iban, "status": "active"})
    rows, pos = [], []
    for i in range(n):
        v = vendors[rng.randrange(len(vendors))]
        country = v["country"]
        net = Decimal(rng.randrange(1000, 5_000_000)) / 100
        tax = (net * VAT[country]).quantize(Decimal("0.01"))
        line = LINES[i % len(LINES)]
        po = ""
        client = f"C{1 + i % 80:03d}"
        if line in ("RETAIL", "LOGISTICS"):
            po = f"PO-{i:07d}"
            pos.append({"po_number": po, "client_id": client, "vendor_id": v["vendor_id"],
                        "currency": CURRENCY[country], "amount": str(net + tax), "status": "open"})
        rows.append({
            "client_id": client, "business_line": line, "geography": country, "vendor_id": v["vendor_id"],
            "vendor_name": v["name"], "vendor_tax_id": v["tax_id"], "vendor_iban": v["iban"],
            "invoice_number": f"INV-{i:08d}", "invoice_date": (NOW.date() - timedelta(days=rng.randrange(60))).isoformat(),
            "currency": CURRENCY[country], "net_amount": str(net), "tax_amount": str(tax),
            "total_amount": str(net + tax), "payment_terms": TERMS[i % len(TERMS)], "po_number": po,
        })
    _write_csv(directory / "vendors.csv", vendors)
    _write_csv(directory / "purchase_orders.csv", pos)
    rates = [{"currency": c, "date": (NOW.date() - timedelta(days=d)).isoformat(), "rate_to_usd": r}
             for c, r in (("EUR", "1.08"), ("GBP", "1.27")) for d in range(70)]
    _write_csv(directory / "fx_rates.csv", rates)
    feed = directory / "feed.csv"
    _write_csv(feed, rows, FIELDS)
    return feed


def _write_csv(path: Path, rows: list[dict[str, str]], fields: tuple[str, ...] | None = None) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(fields or rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def end_to_end(directory: Path, feed: Path) -> tuple[float, dict[str, int]]:
    db = Database(f"sqlite:///{directory / 'e2e.db'}")
    with db.session() as session:
        load_reference_dir(session, directory, NOW)
    start = time.perf_counter()
    with db.session() as session:
        summary = ingest_file(session, feed, clock=fixed_clock(NOW))
    elapsed = time.perf_counter() - start
    db.dispose()
    counts = {k: getattr(summary, k) for k in ("received", "accepted", "rejected", "on_hold", "quarantined")}
    return summary.received / elapsed, counts


def validate_only(directory: Path, feed: Path) -> float:
    """Rule evaluation alone, on invoices already parsed, with their reference prefetched."""
    db = Database(f"sqlite:///{directory / 'e2e.db'}")
    invoices = [r.invoice for r in read_feed(feed, feed.read_bytes()).records if r.invoice]
    ruleset = default_ruleset()
    with db.engine.connect() as conn:
        reference = reference_for(conn, invoices)
    ctx = RuleContext(reference=reference, now=NOW, ingested_at=NOW)
    start = time.perf_counter()
    for inv in invoices:
        ruleset.evaluate(inv, ctx, reference.loaded)
    elapsed = time.perf_counter() - start
    db.dispose()
    return len(invoices) / elapsed


def floor(directory: Path, feed: Path) -> float:
    """csv parse + executemany of the same rows into a same-shaped table, no rules."""
    conn = sqlite3.connect(directory / "floor.db")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"CREATE TABLE invoices (id INTEGER PRIMARY KEY, {', '.join(f + ' TEXT' for f in FIELDS)})")
    sql = f"INSERT INTO invoices ({', '.join(FIELDS)}) VALUES ({', '.join('?' * len(FIELDS))})"
    start = time.perf_counter()
    with feed.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        rows = list(reader)
    with conn:
        conn.executemany(sql, rows)
    elapsed = time.perf_counter() - start
    conn.close()
    return len(rows) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=200_000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="payops-bench-") as tmp:
        directory = Path(tmp)
        feed = make_data(directory, args.invoices)
        e2e, counts = end_to_end(directory, feed)
        validate = validate_only(directory, feed)
        bare = floor(directory, feed)
    result = {
        "invoices": args.invoices,
        "end_to_end_per_s": round(e2e),
        "validate_only_per_s": round(validate),
        "floor_per_s": round(bare),
        "end_to_end_share_of_floor": round(e2e / bare, 3),
        "seconds_for_822k_day": round(822_000 / e2e, 1),
        "outcomes": counts,
    }
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:>28}: {value}")


if __name__ == "__main__":
    main()
