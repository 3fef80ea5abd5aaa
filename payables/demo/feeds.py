"""Client feed files of the demo: which client sends what when, unparseable rows, writing."""

from __future__ import annotations

import csv
import io
import json
import random
import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from payables.canonical import FIELDS, CanonicalInvoice
from payables.demo.invoices import World
from payables.demo.reference import Client

QUARANTINE = "QUARANTINE"  # what `rule` says of a row that is meant not to parse at all
FILE_SPAN_DAYS = 35  # feed files are dated within this many days before today
BAD_ROW_KINDS = (("csv", "amount"), ("csv", "date"), ("csv", "fields"),
                 ("jsonl", "amount"), ("jsonl", "date"), ("jsonl", "truncated"))


@dataclass
class Entry:
    """One row of a feed file: an invoice, or raw text that is deliberately unparseable."""

    invoice: CanonicalInvoice | None = None
    raw: str = ""
    rule: str = ""  # the rule this row is meant to break; "" for a clean row
    note: str = ""


@dataclass
class FeedFile:
    client: Client
    day: date
    fmt: str  # csv or jsonl
    entries: list[Entry] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"feeds/{self.client.client_id}-{self.day.isoformat()}.{self.fmt}"

    def clean(self) -> list[Entry]:
        return [e for e in self.entries if not e.rule and e.invoice is not None]

    def insert(self, rng: random.Random, entry: Entry, *, after: Entry | None = None) -> None:
        start = 0 if after is None else self.entries.index(after) + 1
        self.entries.insert(rng.randint(start, len(self.entries)), entry)

    def first_line(self) -> int:
        return 2 if self.fmt == "csv" else 1  # CSV files open with the header row


def plan_files(rng: random.Random, clients: list[Client], today: date, invoices: int) -> list[FeedFile]:
    """Two to four files per client on distinct working days (clients' ERPs send on
    business days), a third of the clients on JSON Lines."""
    files: list[FeedFile] = []
    working = [o for o in range(FILE_SPAN_DAYS + 1) if (today - timedelta(days=o)).weekday() < 5]
    for i, client in enumerate(clients):
        fmt = "jsonl" if (rng.random() < 0.3 or i == 1) and i != 0 else "csv"
        count = rng.choice((2, 3, 3, 4)) if invoices >= 2000 else 2
        offsets = sorted(rng.sample(working, count), reverse=True)
        files.extend(FeedFile(client, today - timedelta(days=o), fmt) for o in offsets)
    return files


def fill_clean(world: World, files: list[FeedFile], count: int) -> None:
    """`count` clean invoices over the files, at least one each, busier clients sending more."""
    rng = world.rng
    volume = {c.client_id: rng.lognormvariate(0, 0.7) for c in world.clients}
    per_file = [1] * len(files)
    for index in rng.choices(range(len(files)), weights=[volume[f.client.client_id] for f in files],
                             k=count - len(files)):
        per_file[index] += 1
    for feed, n in zip(files, per_file, strict=True):
        feed.entries.extend(Entry(world.invoice(feed.client, feed.day)) for _ in range(n))


def add_bad_rows(world: World, files: list[FeedFile], count: int) -> None:
    """Rows no reader can turn into an invoice: they must be quarantined, not lost."""
    rng = world.rng
    for k in range(count):
        fmt, kind = BAD_ROW_KINDS[k % len(BAD_ROW_KINDS)]
        feed = rng.choice([f for f in files if f.fmt == fmt])
        base = world.invoice(feed.client, feed.day)
        raw, note = _bad_csv(base, kind, world.today) if fmt == "csv" else _bad_jsonl(base, kind, world.today)
        feed.insert(rng, Entry(raw=raw, rule=QUARANTINE, note=note))


def _bad_values(inv: CanonicalInvoice, kind: str, today: date) -> tuple[dict[str, str], str]:
    row = inv.as_feed_row()
    if kind == "amount":
        row["net_amount"] = row["net_amount"].replace(".", ",") + "x"
        return row, f"net_amount '{row['net_amount']}' is not a decimal"
    if kind == "date":
        row["invoice_date"] = f"{today.year}-13-40"
        return row, f"invoice_date '{row['invoice_date']}' is not a date"
    row["vendor_name"] = f"{row['vendor_name']}, Branch Office"
    return row, "an unquoted comma in vendor_name shifts the fields"


def _bad_csv(inv: CanonicalInvoice, kind: str, today: date) -> tuple[str, str]:
    row, note = _bad_values(inv, kind, today)
    if kind == "fields":
        return ",".join(row[name] for name in FIELDS), note
    return _csv_line([row[name] for name in FIELDS]), note


def _bad_jsonl(inv: CanonicalInvoice, kind: str, today: date) -> tuple[str, str]:
    if kind == "truncated":
        text = json.dumps(inv.as_feed_row(), ensure_ascii=False)
        return text[: len(text) * 3 // 5], "the line breaks off in the middle of the JSON object"
    row, note = _bad_values(inv, kind, today)
    return json.dumps(row, ensure_ascii=False), note


def _csv_line(values: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(values)
    return out.getvalue().rstrip("\n")


def render(feed: FeedFile) -> str:
    """The file's text: canonical feed v1, UTF-8, header row and commas, or JSON Lines."""
    lines = [_csv_line(list(FIELDS))] if feed.fmt == "csv" else []
    for entry in feed.entries:
        if entry.invoice is None:
            lines.append(entry.raw)
            continue
        row = entry.invoice.as_feed_row()
        values = [row[name] for name in FIELDS]
        lines.append(_csv_line(values) if feed.fmt == "csv" else json.dumps(row, ensure_ascii=False))
    return "\n".join(lines) + "\n"


FILE_DAY = re.compile(r"-(\d{4}-\d{2}-\d{2})\.")


def arrival(name: str, now: datetime) -> datetime:
    """When the demo's file `C017-2026-11-02.csv` arrived: early that morning (the clients'
    overnight ERP runs), or for today's files within the last 85 minutes, so that their
    immediate-pay invoices are still on their 2-hour clock. The same name, the same time."""
    found = FILE_DAY.search(name)
    day = date.fromisoformat(found.group(1)) if found else now.date()
    spread = zlib.crc32(name.encode()) % 80
    if day >= now.date():
        return now - timedelta(minutes=85 - spread)
    return datetime.combine(day, time(5, 0), tzinfo=UTC) + timedelta(minutes=3 * spread)

