"""A realistic synthetic data set for demos: reference data and client feeds (`payops demo-data`).

    write_demo_data(Path("demo"), today=date(2026, 11, 20))

writes clients.csv, vendors.csv, purchase_orders.csv, fx_rates.csv, feeds/*.csv|jsonl, and
rate-source/published-rates.csv (the publisher's series, with the week fx_rates.csv lacks).
Most invoices are clean; a realistic share breaks one rule of the catalogue each (every
rule somewhere), and a few rows cannot be parsed at all. The same seed and `today` give
byte-identical files. The parts live in payables/demo/.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from payables.demo.failures import failure_counts, inject
from payables.demo.feeds import QUARANTINE, FeedFile, add_bad_rows, fill_clean, plan_files, render
from payables.demo.invoices import World
from payables.demo.reference import make_clients, make_fx, make_vendors

__all__ = ["QUARANTINE", "DemoFailure", "DemoSummary", "write_demo_data"]

MIN_INVOICES = 400
CLIENT_COLUMNS = ("client_id", "name", "business_line", "geographies")
VENDOR_COLUMNS = ("vendor_id", "name", "country", "tax_id", "iban", "status")
PO_COLUMNS = ("po_number", "client_id", "vendor_id", "currency", "amount", "status")
FX_COLUMNS = ("currency", "date", "rate_to_usd")
RATE_SOURCE = "rate-source/published-rates.csv"


@dataclass(frozen=True)
class DemoFailure:
    """One deliberately broken row: the rule it targets (QUARANTINE: not parseable) and where."""

    rule: str
    file: str  # relative to the output directory, e.g. feeds/C017-2026-11-20.csv
    line: int  # 1-based line in the file
    client_id: str
    vendor_id: str
    invoice_number: str
    note: str


@dataclass(frozen=True)
class DemoSummary:
    out_dir: Path
    clients: int
    vendors: int
    vendor_countries: int
    purchase_orders: int
    fx_rates: int
    feed_files: int
    invoices: int  # rows in all feed files, parseable or not
    immediate: int  # parseable rows with IMMEDIATE terms
    vendor_flaws: dict[str, int]  # tax_id, iban, inactive, blocked: vendors deliberately wrong
    failures: tuple[DemoFailure, ...] = field(repr=False)

    @property
    def targeted_rules(self) -> frozenset[str]:
        """Catalogue rule ids that some row is built to break."""
        return frozenset(f.rule for f in self.failures if f.rule != QUARANTINE)

    @property
    def unparseable(self) -> int:
        return sum(1 for f in self.failures if f.rule == QUARANTINE)

    def by_rule(self) -> dict[str, int]:
        return dict(sorted(Counter(f.rule for f in self.failures).items()))


def write_demo_data(out_dir: Path, *, today: date, seed: int = 7, invoices: int = 6000) -> DemoSummary:
    """Write the demo data set under `out_dir` and say what is in it."""
    if invoices < MIN_INVOICES:
        raise ValueError(f"the demo needs at least {MIN_INVOICES} invoices to break every rule")
    rng = random.Random(seed)
    clients = make_clients(rng)
    vendors = make_vendors(rng)
    fx = make_fx(rng, today, first=today - timedelta(days=75))
    world = World(rng, today, clients, vendors, fx)
    files = plan_files(rng, clients, today, invoices)
    counts = failure_counts(invoices)
    bad_rows = max(6, round(invoices * 0.003))
    fill_clean(world, files, invoices - sum(counts.values()) - bad_rows)
    inject(world, files, counts)
    add_bad_rows(world, files, bad_rows)
    _extra_pos(world)

    out_dir.mkdir(parents=True, exist_ok=True)
    _write_csv(out_dir / "clients.csv", CLIENT_COLUMNS, [c.row() for c in clients])
    _write_csv(out_dir / "vendors.csv", VENDOR_COLUMNS, [v.row() for v in vendors])
    _write_csv(out_dir / "purchase_orders.csv", PO_COLUMNS, [p.row() for p in world.purchase_orders])
    _write_csv(out_dir / "fx_rates.csv", FX_COLUMNS, fx.rows())
    # The rate publisher's full series, the week missing from fx_rates.csv included: the
    # demo's rate source for the missing_fx_rate playbook (never loaded as reference data).
    (out_dir / "rate-source").mkdir(exist_ok=True)
    _write_csv(out_dir / RATE_SOURCE, FX_COLUMNS, fx.published_rows())
    (out_dir / "feeds").mkdir(exist_ok=True)
    for feed in files:
        with open(out_dir / feed.path, "w", encoding="utf-8", newline="") as handle:
            handle.write(render(feed))
    return DemoSummary(
        out_dir=out_dir,
        clients=len(clients),
        vendors=len(vendors),
        vendor_countries=len({v.country for v in vendors}),
        purchase_orders=len(world.purchase_orders),
        fx_rates=len(fx.rates),
        feed_files=len(files),
        invoices=sum(len(f.entries) for f in files),
        immediate=sum(1 for f in files for e in f.entries if e.invoice and e.invoice.payment_terms == "IMMEDIATE"),
        vendor_flaws=dict(sorted(Counter(v.flaw for v in vendors if v.flaw).items())),
        failures=tuple(_failures(files)),
    )


def _extra_pos(world: World) -> None:
    """POs nobody invoices against in the feeds: closed history and open ones still to bill."""
    rng, count = world.rng, len(world.purchase_orders)
    for status, share in (("closed", 0.08), ("open", 0.04)):
        for _ in range(max(2, round(count * share))):
            client = rng.choice(world.clients)
            vendor = rng.choice(world.good[rng.choice(client.geographies)])
            net, tax = world.amounts(client.business_line, vendor.currency, vendor.country)
            world.add_po(client, vendor, vendor.currency, net + tax, status)


def _failures(files: list[FeedFile]) -> list[DemoFailure]:
    found = []
    for feed in files:
        for offset, entry in enumerate(feed.entries):
            if not entry.rule:
                continue
            inv = entry.invoice
            found.append(DemoFailure(
                rule=entry.rule, file=feed.path, line=feed.first_line() + offset,
                client_id=feed.client.client_id, vendor_id=inv.vendor_id if inv else "",
                invoice_number=inv.invoice_number if inv else "", note=entry.note,
            ))
    return found


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
