"""Clean, valid invoices of the demo world, and the purchase orders they are matched to."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from payables.canonical import CanonicalInvoice
from payables.demo.banks import printed
from payables.demo.names import (
    AMOUNT_PROFILE,
    COUNTRIES,
    INVOICE_STYLES,
    TERM_WEIGHTS,
    TERMS,
    USD_RATES,
)
from payables.demo.reference import Client, FxTable, PurchaseOrder, Vendor
from payables.rules.codes import minor_unit

WINDOW_DAYS = 60  # invoices are dated within this many days before today
PO_LINES = ("RETAIL", "LOGISTICS")
PO_SPREAD = {"RETAIL": 0.012, "LOGISTICS": 0.03}  # well inside the 2 % and 5 % tolerances
CORP_PO_FROM_USD = Decimal(9000)  # CORP-01 needs a PO above 10,000 USD; stay clear of the edge


def quantize(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def _tag(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    letters = "".join(word[0] for word in ascii_name.split()[:3] if word[:1].isalpha()).upper()
    return letters or "V"


@dataclass
class World:
    """The demo world's reference data plus what has been invoiced so far."""

    rng: random.Random
    today: date
    clients: list[Client]
    vendors: list[Vendor]
    fx: FxTable
    purchase_orders: list[PurchaseOrder] = field(default_factory=list)
    _seen: set[tuple[str, Decimal, date]] = field(default_factory=set)
    _numbers: dict[str, int] = field(default_factory=dict)
    _next_po: int = 0

    def __post_init__(self) -> None:
        self._next_po = self.rng.randint(100000, 400000)
        self.good: dict[str, list[Vendor]] = {}
        for vendor in self.vendors:
            if not vendor.flaw:
                self.good.setdefault(vendor.country, []).append(vendor)

    def flawed(self, flaw: str, *, country: str | None = None) -> list[Vendor]:
        return [v for v in self.vendors if v.flaw == flaw and (country is None or v.country == country)]

    def invoice_number(self, vendor: Vendor, on: date) -> str:
        n = self._numbers.get(vendor.vendor_id)
        if n is None:
            n = self.rng.randint(100, 40000)
        self._numbers[vendor.vendor_id] = n + self.rng.randint(1, 40)
        style = INVOICE_STYLES[int(vendor.vendor_id[1:]) % len(INVOICE_STYLES)]
        return style.format(n=n, year=on.year, yy=on.strftime("%y"), tag=_tag(vendor.name))

    def add_po(self, client: Client, vendor: Vendor, currency: str, amount: Decimal, status: str) -> str:
        self._next_po += self.rng.randint(1, 9)
        number = f"PO-{self._next_po}"
        self.purchase_orders.append(PurchaseOrder(number, client.client_id, vendor.vendor_id, currency, amount, status))
        return number

    def usd(self, amount: Decimal, currency: str, on: date) -> Decimal | None:
        rate = self.fx.rate(currency, on)
        return None if rate is None else amount * rate

    def draw_date(self, latest: date, currency: str) -> date:
        """A date up to 25 days before `latest`, inside the window, with an FX rate on file."""
        earliest = max(latest - timedelta(days=25), self.today - timedelta(days=WINDOW_DAYS))
        span = (latest - earliest).days
        for _ in range(100):
            day = earliest + timedelta(days=self.rng.randint(0, span))
            if day.weekday() >= 5 and self.rng.random() < 0.85:
                continue  # vendors mostly invoice on working days
            if self.fx.rate(currency, day) is not None:
                return day
        raise RuntimeError(f"no date with a {currency} rate before {latest}")

    def amounts(self, line: str, currency: str, geography: str, usd: Decimal | None = None) -> tuple[Decimal, Decimal]:
        """Net and tax of an invoice: a typical size for the business line, the country's tax."""
        if usd is None:
            median, sigma = AMOUNT_PROFILE[line]
            cents = int(min(self.rng.lognormvariate(0, sigma) * median, 1_500_000) * 100)
            usd = Decimal(max(cents, 500)) / 100
        net = max(quantize(usd / USD_RATES[currency], currency), minor_unit(currency) * 10)
        rate = Decimal(self.rng.choice(COUNTRIES[geography].tax_rates))
        return net, quantize(net * rate / 100, currency)

    def invoice(
        self,
        client: Client,
        latest: date,
        *,
        geography: str | None = None,
        vendor: Vendor | None = None,
        currency: str | None = None,
        on: date | None = None,
        usd: Decimal | None = None,
        with_po: bool | None = None,
    ) -> CanonicalInvoice:
        """A valid invoice of `client` dated on or before `latest` (every rule passes)."""
        rng = self.rng
        if geography is None:
            geography = client.geographies[0] if rng.random() < 0.6 else rng.choice(client.geographies)
        if vendor is None:
            vendor = rng.choice(self.good[geography])
        if currency is None:
            currency = "USD" if rng.random() < 0.05 else vendor.currency
        day = on or self.draw_date(latest, currency)
        net, tax = self.amounts(client.business_line, currency, geography, usd)
        while (vendor.vendor_id, net + tax, day) in self._seen:  # no accidental DUP-02
            net += minor_unit(currency)
        self._seen.add((vendor.vendor_id, net + tax, day))
        inv = CanonicalInvoice(
            client_id=client.client_id,
            business_line=client.business_line,
            geography=geography,
            vendor_id=vendor.vendor_id,
            vendor_name=vendor.name,
            vendor_tax_id=vendor.tax_id if rng.random() < 0.97 else "",
            vendor_iban=self._shown_iban(vendor.iban),
            invoice_number=self.invoice_number(vendor, day),
            invoice_date=day,
            currency=currency,
            net_amount=net,
            tax_amount=tax,
            total_amount=net + tax,
            payment_terms=rng.choices(TERMS, weights=TERM_WEIGHTS)[0],
        )
        if with_po is None:
            with_po = self._needs_po(inv)
        if with_po:
            inv.po_number = self.add_po(client, vendor, currency, self._po_amount(inv), "open")
        return inv

    def _shown_iban(self, iban: str) -> str:
        roll = self.rng.random()
        if not iban or roll < 0.05:
            return ""
        return printed(iban) if roll < 0.3 else iban

    def _needs_po(self, inv: CanonicalInvoice) -> bool:
        line = inv.business_line
        if line in PO_LINES:
            return True
        if line == "CORPORATE":
            assert inv.total_amount is not None and inv.invoice_date is not None
            usd = self.usd(inv.total_amount, inv.currency, inv.invoice_date)
            return usd is None or usd > CORP_PO_FROM_USD or self.rng.random() < 0.25
        return self.rng.random() < 0.1

    def _po_amount(self, inv: CanonicalInvoice) -> Decimal:
        assert inv.total_amount is not None
        spread = PO_SPREAD.get(inv.business_line, 0.0)
        if not spread or self.rng.random() < 0.6:
            return inv.total_amount
        factor = Decimal(str(round(1 + self.rng.uniform(-spread, spread), 4)))
        return quantize(inv.total_amount * factor, inv.currency)
