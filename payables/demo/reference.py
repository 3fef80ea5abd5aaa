"""Reference data of the demo world: clients, the vendor master, FX rates, purchase orders."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from payables.demo.banks import BBAN_MAKERS, NATIONAL_CHECK, make_iban
from payables.demo.ids import NO_CHECK_DIGIT, make_tax_id
from payables.demo.names import BUSINESS_LINES, COUNTRIES, COUNTRY_CODES, PROGRAMS, USD_RATES
from payables.reference.lookup import FX_LOOKBACK_DAYS

CLIENTS = 80
RATE_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class Client:
    client_id: str
    name: str
    business_line: str
    geographies: tuple[str, ...]

    def row(self) -> dict[str, str]:
        return {"client_id": self.client_id, "name": self.name, "business_line": self.business_line,
                "geographies": " ".join(self.geographies)}


@dataclass(frozen=True)
class Vendor:
    vendor_id: str
    name: str
    country: str
    tax_id: str
    iban: str
    status: str  # active, inactive, blocked
    flaw: str = ""  # "", "tax_id", "iban", "inactive", "blocked": what is deliberately wrong

    @property
    def currency(self) -> str:
        return COUNTRIES[self.country].currency

    def row(self) -> dict[str, str]:
        return {"vendor_id": self.vendor_id, "name": self.name, "country": self.country,
                "tax_id": self.tax_id, "iban": self.iban, "status": self.status}


@dataclass(frozen=True)
class PurchaseOrder:
    po_number: str
    client_id: str
    vendor_id: str
    currency: str
    amount: Decimal
    status: str  # open, closed

    def row(self) -> dict[str, str]:
        return {"po_number": self.po_number, "client_id": self.client_id, "vendor_id": self.vendor_id,
                "currency": self.currency, "amount": str(self.amount), "status": self.status}


def make_clients(rng: random.Random) -> list[Client]:
    """80 clients; every (business line, primary geography) pair occurs, so every rule has
    a client it applies to."""
    clients = []
    for i in range(CLIENTS):
        line, primary = BUSINESS_LINES[i % 5], COUNTRY_CODES[i % len(COUNTRY_CODES)]
        extra = rng.choices((0, 1, 2), weights=(55, 30, 15))[0]
        others = [c for c in COUNTRY_CODES if c != primary]
        geographies = (primary, *sorted(rng.sample(others, extra)))
        program = PROGRAMS[line][(i // 5) % len(PROGRAMS[line])]
        clients.append(Client(f"C{i + 1:03d}", f"{program} {COUNTRIES[primary].name}", line, geographies))
    return clients


def vendor_name(rng: random.Random, country: str, taken: set[str]) -> str:
    spec = COUNTRIES[country]
    for _ in range(200):
        stem, trade, suffix = rng.choice(spec.stems), rng.choice(spec.trades), rng.choice(spec.suffixes)
        core = f"{trade} {stem}" if spec.trade_first else f"{stem} {trade}"
        name = f"{core if rng.random() < 0.8 else stem} {suffix}"
        if name not in taken:
            taken.add(name)
            return name
    raise RuntimeError(f"ran out of vendor names for {country}")


def _flaws(rng: random.Random, countries: list[str]) -> list[str]:
    """The deliberate flaw of each vendor: ~3 % bad tax id, ~2 % bad IBAN, a few inactive."""
    n = len(countries)
    flaws = [""] * n
    order = list(range(n))
    rng.shuffle(order)
    india = next(i for i in order if countries[i] == "IN")  # IN-01 needs a bad GSTIN too
    tax = [india] + [i for i in order if countries[i] not in NO_CHECK_DIGIT and i != india]
    for i in tax[: round(n * 0.03)]:
        flaws[i] = "tax_id"
    iban = [i for i in order if countries[i] in BBAN_MAKERS and not flaws[i]]
    for i in iban[: round(n * 0.02)]:
        flaws[i] = "iban"
    rest = [i for i in order if not flaws[i]]
    for i in rest[:4]:
        flaws[i] = "inactive"
    for i in rest[4:6]:
        flaws[i] = "blocked"
    return flaws


def make_vendors(rng: random.Random) -> list[Vendor]:
    countries = [c for c in COUNTRY_CODES for _ in range(COUNTRIES[c].vendors)]
    rng.shuffle(countries)  # vendors were onboarded over time, not country by country
    flaws = _flaws(rng, countries)
    taken: set[str] = set()
    vendors = []
    for i, (country, flaw) in enumerate(zip(countries, flaws, strict=True)):
        name = vendor_name(rng, country, taken)
        tax_id = make_tax_id(country, rng, name=name, broken=flaw == "tax_id")
        iban = ""
        if country in BBAN_MAKERS:
            kind = ""
            if flaw == "iban":
                kind = "bban" if country in NATIONAL_CHECK and rng.random() < 0.5 else "check"
            iban = make_iban(country, rng, broken=kind)
        status = flaw if flaw in ("inactive", "blocked") else "active"
        vendors.append(Vendor(f"V{i + 1:05d}", name, country, tax_id, iban, status, flaw))
    return vendors


@dataclass
class FxTable:
    rates: dict[tuple[str, date], Decimal]
    gap_currency: str
    gap: tuple[date, date]  # first and last calendar day without a published rate
    # The gap's rates as the rate source has them (published, never loaded): what the
    # missing_fx_rate playbook backfills from.
    late: dict[tuple[str, date], Decimal] = field(default_factory=dict)

    def rate(self, currency: str, on: date) -> Decimal | None:
        """The rate the engine would use: that day's, or up to FX_LOOKBACK_DAYS before."""
        if currency == "USD":
            return Decimal(1)
        for back in range(FX_LOOKBACK_DAYS + 1):
            found = self.rates.get((currency, on - timedelta(days=back)))
            if found is not None:
                return found
        return None

    def missing_days(self) -> list[date]:
        """Dates for which the gap currency has no usable rate (FX-01 fires)."""
        start, end = self.gap
        days = (end - start).days + FX_LOOKBACK_DAYS + 1
        return [d for d in (start + timedelta(days=i) for i in range(days))
                if self.rate(self.gap_currency, d) is None]

    def rows(self) -> list[dict[str, str]]:
        return [{"currency": cur, "date": day.isoformat(), "rate_to_usd": str(rate)}
                for (cur, day), rate in sorted(self.rates.items())]

    def published_rows(self) -> list[dict[str, str]]:
        """Every rate the source published, the gap included."""
        return [{"currency": cur, "date": day.isoformat(), "rate_to_usd": str(rate)}
                for (cur, day), rate in sorted({**self.rates, **self.late}.items())]


def make_fx(rng: random.Random, today: date, *, first: date, gap_currency: str = "SEK") -> FxTable:
    """Business-day rates from `first` to `today`, with a week missing for `gap_currency`."""
    gap = (today - timedelta(days=38), today - timedelta(days=32))
    rates: dict[tuple[str, date], Decimal] = {}
    late: dict[tuple[str, date], Decimal] = {}
    for currency, start in USD_RATES.items():
        level = start
        day = first
        while day <= today:
            if currency != "USD":
                level = (level * Decimal(str(round(1 + rng.gauss(0, 0.004), 6)))).quantize(RATE_PLACES)
            in_gap = currency == gap_currency and gap[0] <= day <= gap[1]
            if day.weekday() < 5:
                (late if in_gap else rates)[(currency, day)] = level.quantize(RATE_PLACES)
            day += timedelta(days=1)
    return FxTable(rates, gap_currency, gap, late)
