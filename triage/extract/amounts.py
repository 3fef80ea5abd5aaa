"""Money amounts with their currency, as exact Decimals.

Reading rules:
- A number is an amount only next to a currency: an ISO 4217 code (before or after),
  a symbol (€ £ ¥ ₹ $ R$ US$ C$ A$ HK$ S$ Rs. 円 zł ...), or a key=value pair
  ("amount=2115.60 currency=USD"). "$" alone is USD, "¥" alone is JPY. "kr" is not read:
  it may be SEK, NOK, DKK or ISK, so only the code counts.
- Codes that are also everyday capitalised words (ALL, TOP, CUP, SOS) are not read.
- A code between two numbers ("90011870 JPY 2,400,000") goes with the formatted one.
- Not amounts: counts per currency ("77 MXN invoices", "FX-01 holds ARS 140, NGN 77",
  "Top currencies: EUR 640"), numbers glued to ids ("PAYOPS-4967 VES"), ranges
  ("PKR (21-24 Nov)"), durations ("UAH 4.1d") and day numbers ("LKR (24 Nov)").
- Separators: with both "." and ",", the later one is the decimal mark (1.234,50 and
  12,000.00). With one kind only: repeated, it groups thousands (1.250.000); once and
  followed by exactly three digits, it groups thousands too (1.234 EUR is 1234), unless
  the integer part is 0 (0,500) or the currency has three minor digits (KWD, BHD, OMR,
  JOD, TND, LYD, IQD), where it is the decimal mark; otherwise it is the decimal mark
  (1,5 EUR is 1.5). Spaces, no-break spaces and apostrophes group (1 234,50; 1'234.50).
  Indian grouping (1,20,000.50) is recognised as such.
- Negative: a minus sign right before the number or the currency (-45.00 EUR, EUR -45,
  -€45), or accounting parentheses around the number alone ((45.00) EUR, EUR (45.00)).
  Parentheses around number and currency together, "(7 450,00 €)", are just an aside.
- k / m / bn directly after the number multiply it (USD 500k).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from triage.extract.currencies import ISO_CODES as _ISO_CODES
from triage.extract.dates import MONTH_AFTER
from triage.extract.text import MaskedText


@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency: str
    text: str


_THREE_MINOR_DIGITS = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})
_SYMBOLS = {
    "US$": "USD", "R$": "BRL", "CA$": "CAD", "C$": "CAD", "AU$": "AUD", "A$": "AUD",
    "NZ$": "NZD", "HK$": "HKD", "SG$": "SGD", "S$": "SGD", "MX$": "MXN", "$": "USD",
    "€": "EUR", "£": "GBP", "¥": "JPY", "￥": "JPY", "円": "JPY", "₹": "INR", "Rs.": "INR",
    "Rs": "INR", "₩": "KRW", "₺": "TRY", "₽": "RUB", "₱": "PHP", "₫": "VND", "฿": "THB",
    "₪": "ILS", "zł": "PLN", "Kč": "CZK", "euros": "EUR", "euro": "EUR", "Euros": "EUR",
    "Euro": "EUR", "yen": "JPY",
}
_MULTIPLIERS = {"k": 1000, "K": 1000, "m": 10**6, "M": 10**6, "mn": 10**6, "bn": 10**9}


def _symbol_pattern(symbol: str) -> str:
    # Letter-based symbols must be whole words: "Rs" but not "Errs".
    pattern = re.escape(symbol)
    if symbol[0].isalpha():
        pattern = r"(?<![A-Za-z])" + pattern
    if symbol[-1].isalpha():
        pattern += r"(?![A-Za-z])"
    return pattern


_CURRENCY = "|".join(
    [_symbol_pattern(s) for s in sorted(_SYMBOLS, key=len, reverse=True)]
    + [r"(?<![A-Za-z])(?:" + "|".join(sorted(_ISO_CODES)) + r")(?![A-Za-z])"]
)
_NUMBER = re.compile(
    r"""(?<![\d.,'’])
    (?P<num>
        \d{1,2}(?:,\d{2})+,\d{3}(?:\.\d+)?                  # Indian: 1,20,000.50
      | \d{1,3}(?P<sep>[.,'’\u00a0\u202f ])\d{3}(?:(?P=sep)\d{3})*(?:[.,]\d+)?
      | \d+(?:[.,]\d+)?
    )
    (?:(?P<mult>mn|bn|k|K|m|M)(?![A-Za-z]))?
    (?![\d]|[.,]\d|[–/]\d|-\w|[a-z])   # not a range (21-24), an id (2026-HU-0330), "4.1d"
    """,
    re.VERBOSE,
)
_SPACE = r"[ \u00a0\u202f]{0,2}"
# Minus signs are glued to what follows: "- $4,875.20" in a list is a dash, not a sign.
_LEFT = re.compile(rf"(?P<sign>[-−])?(?P<cur>{_CURRENCY}){_SPACE}(?P<sign2>[-−])?(?P<paren>\()?$")
# "77 MXN invoices", "UAH 22 holds": a count of things, not a sum.
_COUNT_NOUN = re.compile(
    r"\s*(?i:invoices|holds?|rows|items|payments|vendors|documents|files|rechnungen|facturas"
    r"|factures|faturas|notas|nfs)(?![A-Za-z])|\s*件"
)
# "FX-01 holds ARS 140, NGN 77", "Top currencies: EUR 640, GBP 310": counts per currency.
_COUNT_BEFORE = re.compile(
    r"(?i:holds?|currencies|count|by currency)\s*[:=]?\s*$|(?<![A-Za-z])[A-Z]{3} \d+,\s*$"
)
_FORMATTED_NEXT = re.compile(r"[ \u00a0]{0,2}\(?[-−]?\d{1,3}[.,'’ \u00a0]\d")
_RIGHT = re.compile(rf"^(?P<paren>\))?{_SPACE}(?P<cur>{_CURRENCY})")
_KEY_VALUE = re.compile(
    r"(?<![A-Za-z])(?i:amount|total|net|gross|value)(?:_amount)?[\"']?\s*[=:]\s*[\"']?"
    r"(?P<num>-?\d+(?:\.\d+)?)[\"']?\s*[,;]?\s*[\"']?(?i:currency)[\"']?\s*[=:]\s*[\"']?"
    r"(?P<cur>[A-Z]{3})(?![A-Za-z])"
)


def _code(currency_text: str) -> str | None:
    code = _SYMBOLS.get(currency_text, currency_text)
    return code if code in _ISO_CODES else None


def _decimal_mark(digits: str, currency: str) -> str | None:
    """The decimal separator of a number written with '.' and/or ',' (see module doc)."""
    if "," in digits and "." in digits:
        return "," if digits.rfind(",") > digits.rfind(".") else "."
    separator = "," if "," in digits else "." if "." in digits else None
    if separator is None or digits.count(separator) > 1:
        return None
    head, _, tail = digits.partition(separator)
    if len(tail) == 3 and head != "0" and currency not in _THREE_MINOR_DIGITS:
        return None
    return separator


def parse_number(raw: str, currency: str, multiplier: str | None = None) -> Decimal | None:
    digits = re.sub(r"[\s'’\u00a0\u202f]", "", raw)
    mark = _decimal_mark(digits, currency)
    whole, fraction = digits.rsplit(mark, 1) if mark else (digits, "")
    whole = whole.replace(",", "").replace(".", "")
    try:
        value = Decimal(f"{whole}.{fraction}" if fraction else whole)
    except InvalidOperation:
        return None
    return value * _MULTIPLIERS[multiplier] if multiplier else value


def _negative_sign_before(before: str) -> bool:
    # "-45.00 EUR" but not "FS-2026 EUR" or the range "10-20 EUR".
    if not before.endswith(("-", "−")):
        return False
    return len(before) == 1 or not before[-2].isalnum()


_Reading = tuple[str, int, int, bool]  # currency, span start, span end, negative


def _read(masked: str, match: re.Match[str]) -> _Reading | None:
    """How the number `match` reads as an amount, or None when it is not one."""
    start, end = match.span()
    before, after = masked[max(0, start - 16):start], masked[end:end + 16]
    # A number glued to an id ("PAYOPS-4967 VES") is part of that id.
    if len(before) > 1 and before[-1] in "-/" and before[-2].isalnum():
        return None
    # Cheap test first: the big currency pattern only runs when a symbol or a letter
    # sits right before the number.
    tail = before.rstrip(" \u00a0\u202f(-−")
    symbol_before = bool(tail) and not tail[-1].isdigit() and not tail[-1].isspace()
    left = _LEFT.search(before) if symbol_before else None
    if left and _code(left["cur"]):
        return _read_code_first(masked, match, before, after, left)
    right = _RIGHT.match(after)
    if right and _code(right["cur"]):
        return _read_code_last(masked, match, before, after, right)
    return None


def _read_code_first(masked: str, match: re.Match[str], before: str, after: str,
                     left: re.Match[str]) -> _Reading | None:
    start, end = match.span()
    offset = start - len(before)
    currency_start = offset + left.start("cur")
    preceding = masked[max(0, currency_start - 24):currency_start]
    if _COUNT_NOUN.match(after) or _COUNT_BEFORE.search(preceding) or MONTH_AFTER.match(after):
        return None
    sign = bool(left["sign"]) and (left.start() == 0 or not before[left.start() - 1].isalnum())
    paren = bool(left["paren"]) and after.startswith(")")
    negative = sign or bool(left["sign2"]) or paren
    span_start = offset + (left.start() if sign else left.start("cur"))
    return _code(left["cur"]) or "", span_start, end + (1 if paren else 0), negative


def _read_code_last(masked: str, match: re.Match[str], before: str, after: str,
                    right: re.Match[str]) -> _Reading | None:
    start, end = match.span()
    # A number glued to a word ("INV2291 EUR") is not an amount.
    if start and masked[start - 1].isascii() and masked[start - 1].isalpha():
        return None
    rest = after[right.end():]
    if _COUNT_NOUN.match(rest):
        return None
    # "90011870 JPY 2,400,000": a plain number before a code that leads a formatted
    # number is an id; the code belongs to the number after it.
    if _FORMATTED_NEXT.match(rest) and not re.search(r"[.,'’ ]", match["num"]):
        return None
    paren = bool(right["paren"]) and before.endswith("(")
    sign = _negative_sign_before(before)
    span_start = start - (1 if paren or sign else 0)
    return _code(right["cur"]) or "", span_start, end + right.end(), paren or sign


def _key_value_amounts(text: MaskedText) -> list[tuple[int, Amount]]:
    """Alarm fields: amount=2115.60 currency=USD, "total":"-1200.00","currency":"SGD"."""
    matches = [m for m in _KEY_VALUE.finditer(text.masked) if m["cur"] in _ISO_CODES]
    text.mask(m.span() for m in matches)
    return [(m.start(), Amount(Decimal(m["num"]), m["cur"], m.group())) for m in matches]


def extract_amounts(text: MaskedText) -> list[tuple[int, Amount]]:
    """Amounts in order of appearance (with duplicates). Masks what it takes."""
    found = _key_value_amounts(text)
    spans: list[tuple[int, int]] = []
    for match in _NUMBER.finditer(text.masked):
        read = _read(text.masked, match)
        if read is None:
            continue
        currency, start, end, negative = read
        value = parse_number(match["num"], currency, match["mult"])
        if value is None:
            continue
        signed = -value if negative else value
        found.append((start, Amount(signed, currency, text.original[start:end])))
        spans.append((start, end))
    text.mask(spans)
    return found
