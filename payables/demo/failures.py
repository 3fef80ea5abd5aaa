"""Deliberate failures: invoices that break one catalogue rule each, placed in the feeds.

Each variant builds a valid invoice in a fitting client's file and spoils the one thing its
rule checks, choosing clients and lines so that, as far as possible, no other rule fires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from payables.canonical import CanonicalInvoice
from payables.demo.banks import BBAN_MAKERS, make_iban
from payables.demo.feeds import Entry, FeedFile
from payables.demo.ids import make_tax_id
from payables.demo.invoices import World, quantize
from payables.demo.reference import Vendor, vendor_name
from payables.rules.codes import EU_COUNTRIES, minor_unit

FREE_LINES = ("DIGITAL", "CLOUD")  # no PO rules apply to them
PO_LINES = ("RETAIL", "LOGISTICS")


class Injector:
    def __init__(self, world: World, files: list[FeedFile]) -> None:
        self.world, self.rng, self.files = world, world.rng, files
        self.used: set[int] = set()  # clean rows already copied or twinned

    def pick(self, lines: tuple[str, ...] = FREE_LINES, geographies: tuple[str, ...] | None = None) -> tuple[FeedFile, str]:
        """A file of a client in `lines` covering one of `geographies`, and that geography."""
        fits = [f for f in self.files if f.client.business_line in lines
                and (geographies is None or set(f.client.geographies) & set(geographies))]
        feed = self.rng.choice(fits)
        options = [g for g in feed.client.geographies if geographies is None or g in geographies]
        return feed, self.rng.choice(options)

    def build(
        self,
        lines: tuple[str, ...] = FREE_LINES,
        geographies: tuple[str, ...] | None = None,
        *,
        vendor: Vendor | None = None,
        currency: str | None = None,
        on: date | None = None,
        usd: Decimal | None = None,
        with_po: bool | None = None,
    ) -> tuple[FeedFile, CanonicalInvoice]:
        """A valid invoice in a fitting file, for a variant to spoil."""
        feed, geography = self.pick(lines, geographies)
        inv = self.world.invoice(feed.client, feed.day, geography=geography, vendor=vendor,
                                 currency=currency, on=on, usd=usd, with_po=with_po)
        return feed, inv

    def for_vendor(self, vendor: Vendor) -> tuple[FeedFile, CanonicalInvoice]:
        return self.build(FREE_LINES, (vendor.country,), vendor=vendor)

    def nth(self, vendors: list[Vendor], k: int) -> Vendor:
        return vendors[k % len(vendors)]

    def place(self, feed: FeedFile, inv: CanonicalInvoice, rule: str, note: str, after: Entry | None = None) -> None:
        feed.insert(self.rng, Entry(inv, rule=rule, note=note), after=after)

    def clean_entry(self, feeds: list[FeedFile]) -> tuple[FeedFile, Entry]:
        candidates = [(f, e) for f in feeds for e in f.clean() if id(e) not in self.used]
        feed, entry = self.rng.choice(candidates)
        self.used.add(id(entry))
        return feed, entry


def _total(inv: CanonicalInvoice) -> Decimal:
    assert inv.net_amount is not None and inv.tax_amount is not None
    return inv.net_amount + inv.tax_amount


def req_01(inj: Injector, k: int) -> None:
    not_india = tuple(c for c in sorted(inj.world.good) if c != "IN")  # IN-01 wants a tax amount
    feed, inv = inj.build(geographies=not_india)
    variant = k % 4
    if variant == 0:
        bad, note = replace(inv, payment_terms=""), "payment_terms left empty"
    elif variant == 1:
        bad, note = replace(inv, business_line="ECOMMERCE"), "business_line ECOMMERCE is not one of the five"
    elif variant == 2:
        bad, note = replace(inv, geography="EU"), "geography EU is not an ISO 3166 country"
    else:
        bad, note = replace(inv, tax_amount=None), "tax_amount left empty"
    inj.place(feed, bad, "REQ-01", note)


def tot_01(inj: Injector, k: int) -> None:
    feed, inv = inj.build()
    unit, net = minor_unit(inv.currency), inv.net_amount
    assert net is not None
    if k % 3 == 1 and inv.tax_amount:
        inj.place(feed, replace(inv, total_amount=net), "TOT-01", "total leaves out the tax")
    elif k % 3 == 2:
        off = unit * inj.rng.randint(100, 5000)
        inj.place(feed, replace(inv, total_amount=_total(inv) + off), "TOT-01", f"total overstated by {off}")
    else:
        inj.place(feed, replace(inv, total_amount=_total(inv) + unit), "TOT-01", "total off by one cent")


def date_01(inj: Injector, k: int) -> None:
    feed, inv = inj.build(geographies=("US",), currency="USD")
    assert inv.invoice_date is not None
    if k % 2 == 0:
        day = inv.invoice_date + timedelta(days=365)
        note = f"dated {day}, a year ahead (year typo)"
    else:
        day = inj.world.today - timedelta(days=inj.rng.randint(400, 700))
        note = f"dated {day}, more than 365 days ago"
    inj.place(feed, replace(inv, invoice_date=day), "DATE-01", note)


def cur_01(inj: Injector, k: int) -> None:
    code, geographies = [("RMB", None), ("STG", ("GB",)), ("NTD", None)][k % 3]
    feed, inv = inj.build(geographies=geographies)
    inj.place(feed, replace(inv, currency=code), "CUR-01", f"currency '{code}' is not ISO 4217")


def dup_01(inj: Injector, k: int) -> None:
    client = inj.rng.choice(sorted({f.client.client_id for f in inj.files}))
    feeds = [f for f in inj.files if f.client.client_id == client]
    feeds.sort(key=lambda f: f.day)
    first, entry = inj.clean_entry(feeds[:-1])
    later = inj.rng.choice([f for f in feeds if f.day > first.day])
    assert entry.invoice is not None
    inj.place(later, replace(entry.invoice), "DUP-01", f"resend of {entry.invoice.invoice_number} from {first.path}")


def dup_02(inj: Injector, k: int) -> None:
    feed, entry = inj.clean_entry(inj.files)
    original = entry.invoice
    assert original is not None and original.invoice_date is not None
    vendor = next(v for v in inj.world.vendors if v.vendor_id == original.vendor_id)
    number = inj.world.invoice_number(vendor, original.invoice_date)
    twin = replace(original, invoice_number=number)
    inj.place(feed, twin, "DUP-02", f"same vendor, total and date as {original.invoice_number}", after=entry)


def vm_01(inj: Injector, k: int) -> None:
    if k % 3 == 0:  # a vendor that was never onboarded
        feed, inv = inj.build()
        vendor_id = f"V9{inj.rng.randint(1000, 9999)}"
        name = vendor_name(inj.rng, inv.geography, {v.name for v in inj.world.vendors})
        tax_id = make_tax_id(inv.geography, inj.rng, name=name)
        iban = make_iban(inv.geography, inj.rng) if inv.geography in BBAN_MAKERS else ""
        inv = replace(inv, vendor_id=vendor_id, vendor_name=name, vendor_tax_id=tax_id, vendor_iban=iban)
        inj.place(feed, inv, "VM-01", f"vendor {vendor_id} ({name}) is not in the vendor master")
        return
    vendor = inj.nth(inj.world.flawed("inactive" if k % 3 == 1 else "blocked"), k)
    feed, inv = inj.for_vendor(vendor)
    inj.place(feed, inv, "VM-01", f"vendor {vendor.vendor_id} is {vendor.status}")


def vm_02(inj: Injector, k: int) -> None:
    if k % 2 == 0:
        feed, inv = inj.build()
        other = make_tax_id(inv.geography, inj.rng, name=inv.vendor_name)
        inj.place(feed, replace(inv, vendor_tax_id=other), "VM-02", "tax id differs from the vendor master")
        return
    feed, inv = inj.build(geographies=tuple(sorted(BBAN_MAKERS)))
    other = make_iban(inv.geography, inj.rng)
    inj.place(feed, replace(inv, vendor_iban=other), "VM-02", "IBAN differs from the vendor master")


def tax_01(inj: Injector, k: int) -> None:
    vendors = [v for v in inj.world.flawed("tax_id") if v.country != "IN"]
    vendor = inj.nth(vendors, k)
    feed, inv = inj.for_vendor(vendor)
    inv = replace(inv, vendor_tax_id=vendor.tax_id)
    inj.place(feed, inv, "TAX-01", f"vendor {vendor.vendor_id}'s tax id has a wrong check digit")


def bank_01(inj: Injector, k: int) -> None:
    vendor = inj.nth(inj.world.flawed("iban"), k)
    feed, inv = inj.for_vendor(vendor)
    inv = replace(inv, vendor_iban=vendor.iban if k % 3 else "")
    inj.place(feed, inv, "BANK-01", f"vendor {vendor.vendor_id}'s IBAN is invalid")


def fx_01(inj: Injector, k: int) -> None:
    fx = inj.world.fx
    country = next(c for c, v in inj.world.good.items() if v[0].currency == fx.gap_currency)
    day = inj.rng.choice(fx.missing_days())
    feed, inv = inj.build(geographies=(country,), currency=fx.gap_currency, on=day)
    inj.place(feed, inv, "FX-01", f"no {fx.gap_currency} rate around {day}")


def po_01(inj: Injector, k: int) -> None:
    feed, inv = inj.build(PO_LINES, with_po=False)
    vendor = next(v for v in inj.world.vendors if v.vendor_id == inv.vendor_id)
    if k % 3 == 0:
        inj.place(feed, inv, "PO-01", "no PO number")
    elif k % 3 == 1:
        po = inj.world.add_po(feed.client, vendor, inv.currency, _total(inv), "closed")
        inj.place(feed, replace(inv, po_number=po), "PO-01", f"PO {po} is closed")
    else:
        po = f"PO-{inj.rng.randint(900000, 999999)}"
        inj.place(feed, replace(inv, po_number=po), "PO-01", f"PO {po} is not on file")


def po_02(inj: Injector, k: int) -> None:
    feed, inv = inj.build(PO_LINES, with_po=False)
    vendor = next(v for v in inj.world.vendors if v.vendor_id == inv.vendor_id)
    over = Decimal("1.08") if inv.business_line == "RETAIL" else Decimal("1.15")
    amount = quantize(_total(inv) / over, inv.currency)
    po = inj.world.add_po(feed.client, vendor, inv.currency, amount, "open")
    inj.place(feed, replace(inv, po_number=po), "PO-02", f"total {over - 1:.0%} above PO {po}")


def eu_01(inj: Injector, k: int) -> None:
    feed, inv = inj.build(geographies=tuple(sorted(EU_COUNTRIES)))
    net = inv.net_amount
    assert net is not None
    tax = quantize(net * Decimal("0.27"), inv.currency) if k % 2 == 0 else -quantize(net * Decimal("0.1"), inv.currency)
    note = "VAT charged at 27 %" if k % 2 == 0 else "tax negative on a positive net"
    inj.place(feed, replace(inv, tax_amount=tax, total_amount=net + tax), "EU-01", note)


def in_01(inj: Injector, k: int) -> None:
    bad = inj.world.flawed("tax_id", country="IN")
    if k % 2 == 1 and bad:
        vendor = inj.nth(bad, k)
        feed, inv = inj.for_vendor(vendor)
        inj.place(feed, replace(inv, vendor_tax_id=vendor.tax_id), "IN-01", "GSTIN check digit wrong")
        return
    feed, inv = inj.build(geographies=("IN",))
    inj.place(feed, replace(inv, tax_amount=Decimal(0), total_amount=inv.net_amount), "IN-01", "no GST charged")


def corp_01(inj: Injector, k: int) -> None:
    usd = Decimal(inj.rng.randint(12_000, 90_000))
    feed, inv = inj.build(("CORPORATE",), usd=usd, with_po=False)
    assert inv.total_amount is not None and inv.invoice_date is not None
    equivalent = inj.world.usd(inv.total_amount, inv.currency, inv.invoice_date)
    assert equivalent is not None and equivalent > 10_000, equivalent
    inj.place(feed, inv, "CORP-01", f"about {equivalent:.0f} USD without a PO")


Variant = Callable[[Injector, int], None]
# Rule, the share of all invoices that breaks it, and the variant builder.
FAILURES: tuple[tuple[str, float, int, Variant], ...] = (
    ("REQ-01", 0.004, 4, req_01), ("TOT-01", 0.005, 3, tot_01), ("DATE-01", 0.003, 2, date_01),
    ("CUR-01", 0.002, 3, cur_01), ("DUP-01", 0.008, 2, dup_01), ("DUP-02", 0.004, 2, dup_02),
    ("VM-01", 0.005, 3, vm_01), ("VM-02", 0.005, 2, vm_02), ("TAX-01", 0.008, 3, tax_01),
    ("BANK-01", 0.005, 3, bank_01), ("FX-01", 0.004, 2, fx_01), ("PO-01", 0.006, 3, po_01),
    ("PO-02", 0.006, 2, po_02), ("EU-01", 0.004, 2, eu_01), ("IN-01", 0.003, 2, in_01),
    ("CORP-01", 0.003, 2, corp_01),
)


def failure_counts(invoices: int) -> dict[str, int]:
    return {rule: max(least, round(invoices * share)) for rule, share, least, _ in FAILURES}


def inject(world: World, files: list[FeedFile], counts: dict[str, int]) -> None:
    injector = Injector(world, files)
    for rule, _share, _least, variant in FAILURES:
        for k in range(counts[rule]):
            variant(injector, k)
