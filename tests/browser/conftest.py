"""Browser fixtures: a real headless Chromium driven by Selenium through Debian's
chromedriver, the service's real web server, and a book built through the engine whose
every figure the tests know in advance.

The book (NOW is 2026-11-20 09:00 UTC; 14 quiet days before today, then today):
- C017 (DIGITAL): each day 20 accepted, 1 rejected (inactive vendor, VM-01), and on every
  other day 1 immediate-pay invoice that is never scheduled (an SLA-01 breach). Today
  12 rejections instead of 1 (the outlier), 8 accepted and 1 immediate-pay invoice
  received at 08:30, still on its clock (90 minutes left).
- C042 (CORPORATE): each day 3 accepted, 1 on hold (no GBP rate, FX-01); an unreadable
  row on two days.
- Tickets: per quiet day a C017 inquiry payops answered alone and a C042 data fix a person
  resolved after 3 hours; today 3 C017 incidents still with a person. Playbook proposals
  for the quiet days' tickets.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from selenium.webdriver import Chrome, ChromeOptions
from selenium.webdriver.chrome.service import Service
from sqlalchemy.orm import Session

from bot.config import WebSettings
from bot.insights.rollup import roll_up
from bot.web import WebServer, build_app
from models import Database, Proposal, TicketEvent, TicketMessage
from payables.canonical import CanonicalInvoice
from payables.clock import fixed_clock
from payables.ingest import ingest_file
from payables.reference.loader import load_reference_dir
from tests.factories import NOW, VENDOR_ROW, make_invoice, write_feed, write_reference
from triage.service import create_ticket

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
TOKEN = "dashboard-test-token"
TODAY = NOW.date()
QUIET_DAYS = [TODAY - timedelta(days=i) for i in range(14, 0, -1)]
LINES = {"C017": "DIGITAL", "C042": "CORPORATE"}


@dataclass
class Counts:
    accepted: int = 0
    rejected: int = 0
    on_hold: int = 0
    unreadable: int = 0
    immediate: int = 0  # accepted too: validated, waiting to be scheduled

    @property
    def received(self) -> int:
        return self.accepted + self.immediate + self.rejected + self.on_hold + self.unreadable


@dataclass
class Book:
    """What the test put in, per day and client; the expected figures are sums of it."""

    plan: dict[date, dict[str, Counts]] = field(default_factory=dict)
    at_risk: list[str] = field(default_factory=list)  # invoice numbers on their clock now

    def total(self, client: str | None = None) -> Counts:
        out = Counts()
        for by_client in self.plan.values():
            for c, n in by_client.items():
                if client in (None, c):
                    for name in ("accepted", "rejected", "on_hold", "unreadable", "immediate"):
                        setattr(out, name, getattr(out, name) + getattr(n, name))
        return out

    def per_day(self, name: str, days: list[date], client: str | None = None) -> list[int]:
        return [sum(getattr(n, name) for c, n in self.plan.get(d, {}).items() if client in (None, c)) for d in days]


def _plan() -> dict[date, dict[str, Counts]]:
    plan = {d: {"C017": Counts(accepted=20, rejected=1, immediate=1 if i % 2 == 0 else 0),
                "C042": Counts(accepted=3, on_hold=1, unreadable=1 if i in (3, 10) else 0)}
            for i, d in enumerate(QUIET_DAYS)}
    plan[TODAY] = {"C017": Counts(accepted=8, rejected=12, immediate=1), "C042": Counts(accepted=3, on_hold=1)}
    return plan


def _invoices(client: str, day: date, n: Counts) -> list[CanonicalInvoice]:
    """Each kind of row from what makes the engine give it that outcome. Totals differ so
    that no two rows look like duplicates (DUP-02)."""
    offset = 0 if client == "C017" else 500
    kinds = (["accepted"] * n.accepted + ["rejected"] * n.rejected + ["on_hold"] * n.on_hold
             + ["immediate"] * n.immediate)
    out = []
    for i, kind in enumerate(kinds):
        net = Decimal(100 + offset + i)
        tax = (net * Decimal("0.19")).quantize(Decimal("0.01"))
        fields: dict[str, object] = {}
        if kind == "rejected":
            fields = {"vendor_id": "V00777", "vendor_name": "Bolt GmbH"}
        elif kind == "on_hold":
            fields = {"currency": "GBP"}
        elif kind == "immediate":
            fields = {"payment_terms": "IMMEDIATE"}
        out.append(make_invoice(client_id=client, business_line=LINES[client],
                                invoice_number=f"INV-{client}-{day:%m%d}-{i:03d}", invoice_date=day - timedelta(days=1),
                                net_amount=net, tax_amount=tax, total_amount=net + tax, **fields))
    return out


def _ingest(db: Database, directory: Path, book: Book) -> None:
    fx = [{"currency": "EUR", "date": f"2026-11-{d:02d}", "rate_to_usd": "1.08"} for d in range(1, 30)]
    bolt = {**VENDOR_ROW, "vendor_id": "V00777", "name": "Bolt GmbH", "status": "inactive"}
    ref = write_reference(directory / "ref", vendors=[VENDOR_ROW, bolt], fx_rates=fx)
    (ref / "clients.csv").write_text("client_id,name,business_line,geographies\n"
                                     + "".join(f"{c},Client {c},{line},DE\n" for c, line in LINES.items()))
    with db.session() as session:
        load_reference_dir(session, ref, datetime.combine(QUIET_DAYS[0], time(6), tzinfo=NOW.tzinfo))
    for day, by_client in book.plan.items():
        at = datetime.combine(day, time(8, 30 if day == TODAY else 0), tzinfo=NOW.tzinfo)
        for client, counts in by_client.items():
            feed = write_feed(directory / f"{client}-{day}.csv", _invoices(client, day, counts),
                              extra_lines=("garbage that is no invoice",) * counts.unreadable)
            with db.session() as session:
                ingest_file(session, feed, clock=fixed_clock(at))
    today_immediate = _invoices("C017", TODAY, book.plan[TODAY]["C017"])[-1]
    book.at_risk.append(today_immediate.invoice_number)


def _ticket(session: Session, *, client: str, at: datetime, title: str, category: str, cut: str, cause: str,
            state: str, steps: list[tuple[timedelta, str]], message: tuple[timedelta, str]) -> int:
    t = create_ticket(session, title=title, body=f"{title} (client {client})", now=at, reporter=f"client:{client}")
    t.confirmed_cut, t.confirmed_category, t.confirmed_root_cause = cut, category, cause
    t.entities = {"clients": [client]}
    t.state, t.updated_at = state, at + steps[-1][0]
    before = "new"
    for after, to_state in steps:
        session.add(TicketEvent(ticket_id=t.id, at=at + after, from_state=before, to_state=to_state))
        before = to_state
    session.add(TicketMessage(ticket_id=t.id, idempotency_key=f"msg-{t.id}", kind=message[1], destination="reporter",
                              text="...", created_at=at + message[0], status="sent", sent_at=at + message[0]))
    session.flush()
    return t.id


def _proposal(session: Session, ticket_id: int, playbook: str, at: datetime, *, state: str, mode: str,
              decided_by: str | None) -> None:
    session.add(Proposal(ticket_id=ticket_id, playbook=playbook, playbook_version="1", mode=mode, state=state,
                         risk="low", summary=f"{playbook} for ticket {ticket_id}", diagnosis={}, plan={},
                         requested_by="payops", created_at=at, decided_by=decided_by,
                         finished_at=at + timedelta(minutes=5) if state in ("verified", "failed") else None))


def _tickets(db: Database) -> None:
    minutes = lambda n: timedelta(minutes=n)  # noqa: E731 - reads better in the table below
    fates = ["verified"] * 10 + ["failed"] * 2 + ["rejected", "proposed"]
    with db.session() as session:
        for i, day in enumerate(QUIET_DAYS):
            at = datetime.combine(day, time(10), tzinfo=NOW.tzinfo)
            inquiry = _ticket(session, client="C017", at=at, title=f"why was INV-C017-{day:%m%d}-004 rejected?",
                              category="inquiry", cut="customer", cause="vendor_master_stale", state="answered",
                              steps=[(minutes(1), "triaged"), (minutes(10), "answered")],
                              message=(minutes(1), "answer"))
            _proposal(session, inquiry, "refresh_vendor_snapshot", at + minutes(2), state=fates[i], mode="approve",
                      decided_by=None if fates[i] == "proposed" else "oncall")
            at = datetime.combine(day, time(11), tzinfo=NOW.tzinfo)
            fix = _ticket(session, client="C042", at=at, title="please release the GBP invoices on hold",
                          category="data_fix", cut="customer", cause="missing_fx_rate", state="resolved",
                          steps=[(minutes(5), "needs_human"), (minutes(180), "resolved")],
                          message=(minutes(5), "hand_off"))
            _proposal(session, fix, "backfill_fx_rate", at + minutes(6), state="verified", mode="auto", decided_by=None)
        for i in range(3):
            at = NOW - minutes(25 - 5 * i)
            _ticket(session, client="C017", at=at, title=f"ALARM rejections spike C017 #{i}", category="incident",
                    cut="auto", cause="vendor_master_stale", state="needs_human",
                    steps=[(minutes(2), "needs_human")], message=(minutes(2), "triage_summary"))


def build_book(url: str, directory: Path) -> Book:
    book = Book(plan=_plan())
    db = Database(url)
    try:
        _ingest(db, directory, book)
        _tickets(db)
        roll_up(db, fixed_clock(NOW))
    finally:
        db.dispose()
    return book


@pytest.fixture(scope="session")
def book_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Book]:
    directory = tmp_path_factory.mktemp("dashboard-book")
    url = f"sqlite:///{directory / 'payops.db'}"
    return url, build_book(url, directory)


@pytest.fixture(scope="session")
def book(book_db: tuple[str, Book]) -> Book:
    return book_db[1]


@pytest.fixture(scope="session")
def server(book_db: tuple[str, Book]) -> Iterator[str]:
    """The service's web server on a free port, token required; yields its base URL."""
    db = Database(book_db[0])
    web = WebSettings(host="127.0.0.1", port=0, token=TOKEN)  # type: ignore[arg-type]
    server = WebServer(build_app(db, web, None, clock=fixed_clock(NOW)), "127.0.0.1", 0)
    server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()
        db.dispose()


def _browser_missing() -> str | None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not (p.exists() and os.access(p, os.X_OK))]
    return f"headless browser tests need {' and '.join(missing)} (apt-get install chromium chromium-driver)" \
        if missing else None


@pytest.fixture(scope="session")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chrome]:
    reason = _browser_missing()
    if reason:
        if os.environ.get("PAYOPS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"PAYOPS_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    options = ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1400,1000",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager is never asked (it would download one).
    chrome = Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    chrome.set_page_load_timeout(60)
    try:
        yield chrome
    finally:
        chrome.quit()
