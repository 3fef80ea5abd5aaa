"""The weeks of daily client feeds before the demo's own files begin (those span the last
five weeks), so that dashboards have eight weeks to compare today with; and today's file
of one client whose ERP change breaks a rule (the outlier a manager should be told of).

Data only: the demo's own clients, vendors and FX rates (read back from the demo
directory), a weekday rhythm (weekends a small share of a weekday), every client sending
in proportion to what it sends today, and a small share of rows breaking one rule each
(the same variants the demo uses). One client is kept free of one rule, so that today's
failures of it stand out against a clean history. Nothing here touches a database.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from payables.demo.failures import FAILURES, inject
from payables.demo.feeds import FILE_SPAN_DAYS, Entry, FeedFile, add_bad_rows, render
from payables.demo.invoices import World
from payables.demo.reference import Client, FxTable, PurchaseOrder, Vendor
from payables.rules.idcheck import iban_problem, tax_id_problem

WEEKS = 8
INVOICES = 3400  # over the three weeks: about the demo files' volume per working day
WEEKEND_SHARE = 0.15  # a weekend day's volume against a weekday's
FAILURE_SHARE = 0.75  # of the demo's per-rule shares: history is a little cleaner than today
BAD_ROW_SHARE = 0.002
MIN_FILE = 10  # invoices a client's ERP waits for before it sends a file (Fridays: any)
# Rules whose demo variants need today's circumstances (the FX gap, resends across files).
SKIPPED_RULES = frozenset({"FX-01"})

Key = tuple[str, str, str]  # client, vendor, invoice number
Twin = tuple[str, Decimal, date]  # vendor, total, invoice date (what DUP-02 compares)


@dataclass(frozen=True)
class HistoryFeed:
    """One client's file of one day, as it arrived."""

    day: date
    at: datetime  # arrival, tz-aware UTC: the clock it is ingested with
    client_id: str
    name: str  # the batch's source name
    data: bytes
    rules: tuple[str, ...]  # the rule each broken row targets (QUARANTINE for unparseable)


@dataclass(frozen=True)
class DemoWorld:
    clients: list[Client]
    vendors: list[Vendor]
    fx: FxTable


@dataclass(frozen=True)
class History:
    feeds: list[HistoryFeed]
    purchase_orders: list[PurchaseOrder]  # the POs the history's invoices are matched to


def history_days(today: date) -> list[date]:
    """The eight weeks before today (tickets)."""
    return [today - timedelta(days=n) for n in range(WEEKS * 7, 0, -1)]


def feed_days(today: date) -> list[date]:
    """The days of the eight weeks before the demo's own feed files begin."""
    return [today - timedelta(days=n) for n in range(WEEKS * 7, FILE_SPAN_DAYS, -1)]


def read_world(directory: Path, today: date) -> DemoWorld:
    """The demo's clients, vendors (with their deliberate flaws inferred) and FX rates."""
    clients = [Client(r["client_id"], r["name"], r["business_line"], tuple(r["geographies"].split()))
               for r in _rows(directory / "clients.csv")]
    vendors = [Vendor(r["vendor_id"], r["name"], r["country"], r["tax_id"], r["iban"], r["status"],
                      _flaw(r)) for r in _rows(directory / "vendors.csv")]
    rates = {(r["currency"], date.fromisoformat(r["date"])): Decimal(r["rate_to_usd"])
             for r in _rows(directory / "fx_rates.csv")}
    gap = (today, today)  # unused: the history skips FX-01 (see SKIPPED_RULES)
    return DemoWorld(clients, vendors, FxTable(rates, "SEK", gap))


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _flaw(row: dict[str, str]) -> str:
    if row["status"] in ("inactive", "blocked"):
        return row["status"]
    if row["tax_id"] and tax_id_problem(row["country"], row["tax_id"]) is not None:
        return "tax_id"
    if row["iban"] and iban_problem(row["iban"]) is not None:
        return "iban"
    return ""


def make_history(
    world_data: DemoWorld,
    *,
    today: date,
    seed: int,
    weights: dict[str, float],
    formats: dict[str, str],
    clean: tuple[str, str],
    taken: set[Key],
    twins: set[Twin],
    invoices: int = INVOICES,
) -> History:
    """The history's feeds, oldest first.

    `weights`: each client's share of the volume; `formats`: csv or jsonl per client;
    `clean`: (client, rule) the client never breaks in the history; `taken`/`twins`: the
    invoices already stored, so that no history row is an accidental duplicate of one.
    """
    rng = random.Random(seed * 7919 + today.toordinal())
    world = World(rng, today, world_data.clients, world_data.vendors, world_data.fx)
    world._seen.update(twins)  # no accidental DUP-02 against what is stored
    files = _plan(world, feed_days(today), weights, formats, invoices)
    taken = set(taken)
    vendors = {v.vendor_id: v for v in world.vendors}
    for feed in files:
        for entry in feed.entries:
            _renumber(world, vendors, entry, taken)
    _inject(world, files, invoices, clean)
    for feed in files:  # rows the variants built are new, except a resend (DUP-01)
        for entry in feed.entries:
            if entry.rule and entry.rule != "DUP-01":
                _renumber(world, vendors, entry, taken)
                _not_immediate(entry)
    if {f.fmt for f in files} == {"csv", "jsonl"}:  # the bad-row kinds take turns between both
        add_bad_rows(world, files, max(6, round(invoices * BAD_ROW_SHARE)))
    feeds = [_feed(rng, f) for f in files]
    feeds.sort(key=lambda f: (f.at, f.client_id))
    return History(feeds, list(world.purchase_orders))


def _plan(world: World, days: list[date], weights: dict[str, float], formats: dict[str, str],
          invoices: int) -> list[FeedFile]:
    """Clean rows for every day: weekday volume with noise, weekends a small share. A
    client's ERP sends once it has MIN_FILE invoices or on Fridays (small clients send a
    few files a week; fewer, fuller batches also keep the demo fast)."""
    rng = world.rng
    share = [1.0 if d.weekday() < 5 else WEEKEND_SHARE for d in days]
    per_unit = invoices / sum(share)
    clients = [c for c in world.clients if weights.get(c.client_id, 0) > 0]
    client_weights = [weights[c.client_id] for c in clients]
    pending: dict[str, list[Entry]] = {}
    files: list[FeedFile] = []
    for day, s in zip(days, share, strict=True):
        count = max(1, round(per_unit * s * rng.uniform(0.9, 1.1)))
        for client in rng.choices(clients, weights=client_weights, k=count):
            pending.setdefault(client.client_id, []).append(Entry(world.invoice(client, day)))
        for client in clients:
            waiting = pending.get(client.client_id, [])
            if len(waiting) >= MIN_FILE or (waiting and (day.weekday() == 4 or day == days[-1])):
                feed = FeedFile(client, day, formats.get(client.client_id, "csv"))
                feed.entries.extend(waiting)
                files.append(feed)
                pending[client.client_id] = []
    return files


def _inject(world: World, files: list[FeedFile], invoices: int, clean: tuple[str, str]) -> None:
    """The demo's failure variants at a slightly lower share; `clean`'s rule elsewhere only."""
    client_id, rule = clean
    counts = {r: 0 if r in SKIPPED_RULES else max(1, round(invoices * share * FAILURE_SHARE))
              for r, share, _least, _variant in FAILURES}
    inject(world, files, {r: (0 if r == rule else n) for r, n in counts.items()})
    elsewhere = [f for f in files if f.client.client_id != client_id]
    inject(world, elsewhere, {r: (counts[r] if r == rule else 0) for r in counts})


def _renumber(world: World, vendors: dict[str, Vendor], entry: Entry, taken: set[Key]) -> None:
    inv = entry.invoice
    if inv is None or inv.invoice_date is None:
        return
    vendor = vendors.get(inv.vendor_id)
    while (inv.client_id, inv.vendor_id, inv.invoice_number) in taken and vendor is not None:
        inv = replace(inv, invoice_number=world.invoice_number(vendor, inv.invoice_date))
    taken.add((inv.client_id, inv.vendor_id, inv.invoice_number))
    entry.invoice = inv


def _not_immediate(entry: Entry) -> None:
    """A broken row is never immediate pay: the history's SLA breaches are chosen, not accidental."""
    if entry.invoice is not None and entry.invoice.payment_terms == "IMMEDIATE":
        entry.invoice = replace(entry.invoice, payment_terms="NET30")


def _feed(rng: random.Random, feed: FeedFile) -> HistoryFeed:
    """Weekday files mostly arrive overnight (the clients' ERP batch runs), some by day."""
    minutes = rng.randint(60, 7 * 60) if rng.random() < 0.7 else rng.randint(7 * 60, 19 * 60)
    at = datetime.combine(feed.day, time(0, 0), tzinfo=UTC) + timedelta(minutes=minutes, seconds=rng.randint(0, 59))
    cid = feed.client.client_id
    # A name no file of today's demo has: playbooks find feeds by file name.
    name = f"history/{cid}-{feed.day:%Y%m%d}-daily.{feed.fmt}"
    return HistoryFeed(feed.day, at, cid, name, render(feed).encode("utf-8"),
                       tuple(e.rule for e in feed.entries if e.rule))


def outlier_feed(world_data: DemoWorld, *, today: date, at: datetime, seed: int, client_id: str, fmt: str,
                 taken: set[Key], twins: set[Twin], invoices: int = 40, broken: int = 12) -> HistoryFeed:
    """Today's file of `client_id` after an ERP change: `broken` of its invoices print their
    vendor's tax id with a wrong check digit (TAX-01 blocks them), the rest are clean."""
    rng = random.Random(seed * 6151 + today.toordinal())
    world = World(rng, today, world_data.clients, world_data.vendors, world_data.fx)
    world._seen.update(twins)  # no accidental DUP-02 against what is stored
    client = next(c for c in world.clients if c.client_id == client_id)
    vendors = {v.vendor_id: v for v in world.vendors}
    feed = FeedFile(client, today, fmt)
    taken = set(taken)
    while len(feed.entries) < invoices:
        entry = Entry(world.invoice(client, today))
        _renumber(world, vendors, entry, taken)
        _not_immediate(entry)
        inv = entry.invoice
        wanted = sum(1 for e in feed.entries if e.rule) < broken
        if wanted and inv is not None and inv.vendor_tax_id:
            country = vendors[inv.vendor_id].country
            spoiled = _spoiled(inv.vendor_tax_id, country)
            if spoiled is None:
                continue  # a tax id whose last digit is no check digit: take another invoice
            entry.invoice, entry.rule = replace(inv, vendor_tax_id=spoiled), "TAX-01"
        feed.entries.append(entry)
    data = render(feed).encode("utf-8")
    return HistoryFeed(today, at, client_id, f"{client_id}-{today:%Y%m%d}-erp-change.{fmt}", data,
                       tuple(e.rule for e in feed.entries if e.rule))


def _spoiled(tax_id: str, country: str) -> str | None:
    """The same tax id with its last digit changed so that it fails its check."""
    if not tax_id[-1].isdigit():
        return None
    for step in range(1, 10):
        candidate = tax_id[:-1] + str((int(tax_id[-1]) + step) % 10)
        if tax_id_problem(country, candidate) is not None:
            return candidate
    return None

