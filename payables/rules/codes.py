"""Code lists the rules check against: countries, currencies, EU VAT rates."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

import pycountry

# ISO 4217 entries that are not money one can pay an invoice in.
_NOT_PAYABLE = {"XAU", "XAG", "XPT", "XPD", "XTS", "XXX", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA"}
_ZERO_DECIMALS = {
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
    "VUV", "XAF", "XOF", "XPF",
}
_THREE_DECIMALS = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}

CURRENCIES: frozenset[str] = frozenset(c.alpha_3 for c in pycountry.currencies) - _NOT_PAYABLE
COUNTRIES: frozenset[str] = frozenset(c.alpha_2 for c in pycountry.countries)

# EU member states and their standard VAT rate in percent (2026); a tax amount above the
# standard rate cannot be right whatever mix of rates the lines carry.
EU_STANDARD_VAT: dict[str, Decimal] = {
    cc: Decimal(rate)
    for cc, rate in {
        "AT": "20", "BE": "21", "BG": "20", "HR": "25", "CY": "19", "CZ": "21", "DK": "25",
        "EE": "24", "FI": "25.5", "FR": "20", "DE": "19", "GR": "24", "HU": "27", "IE": "23",
        "IT": "22", "LV": "21", "LT": "21", "LU": "17", "MT": "18", "NL": "21", "PL": "23",
        "PT": "23", "RO": "21", "SK": "23", "SI": "22", "ES": "21", "SE": "25",
    }.items()
}
EU_COUNTRIES = frozenset(EU_STANDARD_VAT)


@lru_cache(maxsize=512)
def minor_unit(currency: str) -> Decimal:
    """The smallest amount of a currency: 0.01 for EUR, 1 for JPY, 0.001 for KWD."""
    if currency in _ZERO_DECIMALS:
        return Decimal(1)
    if currency in _THREE_DECIMALS:
        return Decimal("0.001")
    return Decimal("0.01")


def amount_text(amount: Decimal, currency: str) -> str:
    """An amount as plain text with the currency's decimals ('119.00'), never losing digits."""
    unit = minor_unit(currency)
    return str(amount.quantize(unit)) if amount == amount.quantize(unit) else str(amount)


def money(amount: Decimal, currency: str) -> str:
    """An amount as a person reads it: '1,234.50 EUR'."""
    places = -minor_unit(currency).as_tuple().exponent  # type: ignore[operator]
    return f"{amount:,.{places}f} {currency}".strip()
