"""Calendar dates in the formats tickets use, in six languages.

Reading rules (the ambiguous ones):
- Year-first numbers (2026-11-02, 2026/11/02, 2026年11月2日) are always year-month-day.
- Dotted numbers (02.11.2026) are always day-month-year: no locale writes m.d.yyyy.
- Slashed or dashed numbers (02/11/2026, 02-11-2026) are day-first, the reading of most
  of the world, unless the ticket says otherwise:
  1. a date whose parts can only be read one way decides for the whole ticket
     (11/25/2026 makes every slashed date month-first; 25/11/2026 day-first);
  2. failing that, a ticket that is "clearly US" (dollar amounts, no other currency and
     no dotted European date) is read month-first; Japanese text is month-first too.
  A single date with a part above 12 is read the only way it can be, whatever the rule.
- Two-digit years are 20yy below 70, else 19yy.
- Dates without a year ("17 Nov", "25.12.", "01/12", "11月8日") and relative words
  ("yesterday", "gestern", "ayer", "hier") need `today`; without it they are not
  reported. The year is the one that puts the date within 275 days before to 90 days
  after `today`. A yearless "d/m" needs a two-digit month ("01/12", "5/11") unless a
  date word precedes it ("on 1/5"), so ratios and "24/7" stay out; "2/10 NET 30" is a
  payment term. "hier" counts only in French text (in German it means "here").
- Month names: English, German, French, Spanish, Portuguese and Italian, full or
  abbreviated ("2 Nov 2026", "Nov 2, 2026", "2. November 2026", "2 de noviembre de 2026",
  "1er novembre 2026", "12-nov-2026").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, timedelta

from triage.extract.currencies import ISO_CODES
from triage.extract.text import MaskedText, has_cjk

_EN_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
}
_MONTHS = {
    **_EN_MONTHS,
    # German
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "maerz": 3, "mai": 5, "juni": 6,
    "juli": 7, "oktober": 10, "okt": 10, "dezember": 12, "dez": 12,
    # French
    "janvier": 1, "janv": 1, "février": 2, "fevrier": 2, "févr": 2, "mars": 3, "avril": 4,
    "avr": 4, "juin": 6, "juillet": 7, "juil": 7, "août": 8, "aout": 8, "septembre": 9,
    "octobre": 10, "novembre": 11, "décembre": 12, "decembre": 12, "déc": 12,
    # Spanish
    "enero": 1, "ene": 1, "febrero": 2, "marzo": 3, "abril": 4, "abr": 4, "mayo": 5,
    "junio": 6, "julio": 7, "agosto": 8, "ago": 8, "septiembre": 9, "setiembre": 9,
    "octubre": 10, "noviembre": 11, "diciembre": 12, "dic": 12,
    # Portuguese
    "janeiro": 1, "fevereiro": 2, "fev": 2, "março": 3, "maio": 5, "junho": 6,
    "julho": 7, "setembro": 9, "set": 9, "outubro": 10, "out": 10, "novembro": 11,
    "dezembro": 12,
    # Italian
    "gennaio": 1, "febbraio": 2, "aprile": 4, "maggio": 5, "giugno": 6, "luglio": 7,
    "settembre": 9, "ottobre": 10, "dicembre": 12,
}
# Abbreviations that are also everyday words ("3 out of 5", "2 days ago"); they count as
# months only when a year follows.
_WORDY = {"out", "set", "ago"}

_RELATIVE = {
    "day before yesterday": -2, "yesterday": -1, "today": 0, "tomorrow": 1,
    "vorgestern": -2, "gestern": -1, "heute": 0,
    "anteayer": -2, "ayer": -1, "hoy": 0,
    "avant-hier": -2, "hier": -1, "aujourd'hui": 0, "aujourd’hui": 0, "demain": 1,
    "anteontem": -2, "ontem": -1, "hoje": 0, "amanhã": 1,
    "ieri": -1, "oggi": 0, "domani": 1,
}
_RELATIVE_CJK = {"一昨日": -2, "昨日": -1, "本日": 0, "今日": 0, "明日": 1}
# Words after which a short "5/11" is a date rather than a fraction or a ratio.
_DATE_PREPOSITIONS = {
    "on", "dated", "since", "from", "until", "till", "by", "am", "vom", "seit", "bis", "ab",
    "zum", "le", "du", "au", "depuis", "el", "del", "al", "desde", "em", "dia", "día", "de",
}


def _alternation(names: Iterable[str]) -> str:
    return "|".join(sorted((re.escape(str(n)) for n in names), key=len, reverse=True))


def _capitalised(names: dict[str, int]) -> list[str]:
    return [form for n in names for form in (n.capitalize(), n.upper())]


_MONTH = _alternation(_MONTHS)
_YEARLESS_MONTH = _alternation(set(_MONTHS) - _WORDY)
# Month-first forms without a year ("May 5") accept capitalised English names only, so
# that "may 15" in a sentence is not a date.
_EN_MONTH_CAP = _alternation(_capitalised(_EN_MONTHS))
_EN_MONTH = _alternation(_EN_MONTHS)
_ORDINAL = r"(?:st|nd|rd|th|er|º|°|\.)?"
_NOT_LETTER_AFTER = r"(?![^\W\d_])"
_NOT_LETTER_BEFORE = r"(?<![^\W\d_])"

# Numeric patterns use ASCII classes in their lookarounds: Japanese text glues dates to
# kana and kanji ("11/8更新", "2026/11/21です"), which count as \w.
_JP_FULL = re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日")
_ISO = re.compile(
    r"(?<![A-Za-z0-9_-])(?P<y>(?:19|20)\d\d)(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})(?!\d|-\d)"
)
_D_MONTH_Y = re.compile(
    rf"(?<![\w.])(?P<d>[0-3]?\d){_ORDINAL}(?:\s+(?:of|de))?[\s./-]*(?P<m>{_MONTH})"
    rf"{_NOT_LETTER_AFTER}\.?(?:,|\s+del?)?[\s./,-]*(?P<y>\d{{4}})(?!\d)",
    re.IGNORECASE,
)
_M_D_Y = re.compile(
    rf"{_NOT_LETTER_BEFORE}(?P<m>{_EN_MONTH})\.?\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,?\s+"
    r"(?P<y>\d{4})(?!\d)",
    re.IGNORECASE,
)
_DMY_DOT = re.compile(
    r"(?<![A-Za-z0-9_.,/-])(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4}|\d{2})(?![A-Za-z0-9_]|[.,]\d)"
)
_DMY_SLASH = re.compile(
    r"(?<![A-Za-z0-9_.,/-])(?P<a>\d{1,2})(?P<s>[/-])(?P<b>\d{1,2})(?P=s)(?P<y>\d{4}|\d{2})"
    r"(?![A-Za-z0-9_]|[.,/-]\d)"
)
_JP_MD = re.compile(r"(?<![\d年])(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日")
_D_MONTH = re.compile(
    rf"(?<![\w.])(?P<d>[0-3]?\d){_ORDINAL}(?:\s+(?:of|de))?[\s.-]*(?P<m>{_YEARLESS_MONTH})"
    rf"{_NOT_LETTER_AFTER}",
    re.IGNORECASE,
)
_MONTH_D = re.compile(
    rf"{_NOT_LETTER_BEFORE}(?P<m>{_EN_MONTH_CAP})\.?\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?"
    r"(?![\d:.,]\d|\d|[^\W\d_])"
)
_DM_DOT = re.compile(r"(?<![A-Za-z0-9_.,/-])(?P<d>\d{1,2})\.(?P<m>\d{2})\.(?![A-Za-z0-9_]|[.,]?\d)")
# Not "2/10 NET 30" (payment terms: 2 % discount within 10 days).
_DM_SLASH = re.compile(
    r"(?<![A-Za-z0-9_.,/-])(?P<a>\d{1,2})/(?P<b>\d{1,2})(?![A-Za-z0-9_/]|[.,]\d|\s*(?i:net)\b)"
)
_RELATIVE_RE = re.compile(
    rf"{_NOT_LETTER_BEFORE}(?:{_alternation(_RELATIVE)}){_NOT_LETTER_AFTER}", re.IGNORECASE
)
_RELATIVE_CJK_RE = re.compile(_alternation(_RELATIVE_CJK))
# A month name right after a number: "LKR (24 Nov)" is a date, not 24 rupees.
MONTH_AFTER = re.compile(rf"[ .]*(?:{_MONTH}){_NOT_LETTER_AFTER}", re.IGNORECASE)
_PRECEDING_WORD = re.compile(r"([^\W\d_]+)[^\w]*$")

_DOLLAR = re.compile(r"(?<![A-Za-z])(?:US)?\$\s?\d|\bUSD\s?\d|\d\s?USD\b")
_NOT_US = re.compile(
    r"[€£¥₹]|(?:R|C|CA|A|AU|NZ|HK|S|SG|MX)\$"
    rf"|\b(?:{'|'.join(sorted(ISO_CODES - {'USD'}))})\b"
    r"|(?<![\d.])\d{1,2}\.\d{1,2}\.\d{4}(?!\d)"
)
_FRENCH = re.compile(
    r"(?i)\b(?:le|la|les|des|est|pour|nous|vous|avec|une|sont|depuis|bonjour|merci|factures?)\b"
)
_GERMAN = re.compile(
    r"(?i)\b(?:und|ist|die|der|das|nicht|ich|wir|sind|seit|bitte|danke|rechnung(?:en)?)\b"
)

Found = list[tuple[int, date]]


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _year(text: str) -> int:
    value = int(text)
    if len(text) == 2:
        return 2000 + value if value < 70 else 1900 + value
    return value


def _nearest(today: date, month: int, day: int) -> date | None:
    """The year for a yearless date: the one placing it between 275 days before and 90
    days after `today`. Tickets mostly look back (a payment date, a file date), now and
    then ahead (a holiday, a deadline)."""
    for year in (today.year, today.year - 1, today.year + 1):
        candidate = _safe_date(year, month, day)
        if candidate and -275 <= (candidate - today).days <= 90:
            return candidate
    return None


def _month(name: str) -> int:
    return _MONTHS[name.lower()]


def _looks_us(text: str) -> bool:
    return bool(_DOLLAR.search(text)) and not _NOT_US.search(text)


def _slash_order(text: str) -> str:
    """'dmy' or 'mdy' for every slashed date of this ticket (see the module doc)."""
    day_first = month_first = False
    for pattern in (_DMY_SLASH, _DM_SLASH):
        for match in pattern.finditer(text):
            first, second = int(match.group("a")), int(match.group("b"))
            day_first |= first > 12 >= second
            month_first |= second > 12 >= first
    if day_first != month_first:
        return "dmy" if day_first else "mdy"
    return "mdy" if has_cjk(text) or _looks_us(text) else "dmy"


def _day_month(first: str, second: str, order: str) -> tuple[int, int, str]:
    """(day, month, month_text) of a slashed pair under `order`, or the only valid reading."""
    a, b = int(first), int(second)
    if a > 12 or (order == "dmy" and b <= 12):
        return a, b, second
    return b, a, first


def _after_preposition(text: str, position: int) -> bool:
    preceding = _PRECEDING_WORD.search(text[max(0, position - 16):position])
    return preceding is not None and preceding[1].lower() in _DATE_PREPOSITIONS


def _run(text: MaskedText, pattern: re.Pattern[str], build: Callable) -> Found:
    found: Found = []
    spans = []
    for match in pattern.finditer(text.masked):
        value = build(match)
        if value is not None:
            found.append((match.start(), value))
            spans.append(match.span())
    text.mask(spans)
    return found


def extract_full_dates(text: MaskedText) -> Found:
    """Dates that carry their year. Masks what it takes."""
    order = _slash_order(text.masked)

    def ymd(m: re.Match[str]) -> date | None:
        return _safe_date(int(m["y"]), int(m["m"]), int(m["d"]))

    def named(m: re.Match[str]) -> date | None:
        return _safe_date(int(m["y"]), _month(m["m"]), int(m["d"]))

    def dotted(m: re.Match[str]) -> date | None:
        return _safe_date(_year(m["y"]), int(m["m"]), int(m["d"]))

    def slashed(m: re.Match[str]) -> date | None:
        day, month, _ = _day_month(m["a"], m["b"], order)
        return _safe_date(_year(m["y"]), month, day)

    found: Found = []
    for pattern, build in (
        (_JP_FULL, ymd), (_ISO, ymd), (_D_MONTH_Y, named), (_M_D_Y, named),
        (_DMY_DOT, dotted), (_DMY_SLASH, slashed),
    ):
        found += _run(text, pattern, build)
    return found


def extract_partial_dates(text: MaskedText, today: date) -> Found:
    """Yearless and relative dates, resolved against `today`. Masks what it takes."""
    order = _slash_order(text.masked)

    def month_day(m: re.Match[str]) -> date | None:
        return _nearest(today, int(m["m"]), int(m["d"]))

    def named(m: re.Match[str]) -> date | None:
        return _nearest(today, _month(m["m"]), int(m["d"]))

    def slashed(m: re.Match[str]) -> date | None:
        day, month, month_text = _day_month(m["a"], m["b"], order)
        # A one-digit month ("1/5", "24/7") is only a date after a date preposition.
        if len(month_text) < 2 and not _after_preposition(text.masked, m.start()):
            return None
        return _nearest(today, month, day)

    found: Found = []
    for pattern, build in (
        (_JP_MD, month_day), (_D_MONTH, named), (_MONTH_D, named),
        (_DM_DOT, month_day), (_DM_SLASH, slashed),
    ):
        found += _run(text, pattern, build)
    return found + _relative_dates(text, today)


def _relative_dates(text: MaskedText, today: date) -> Found:
    # "hier" is French for yesterday but German for "here": only French text counts.
    french = len(_FRENCH.findall(text.masked)) > len(_GERMAN.findall(text.masked))

    def relative(m: re.Match[str]) -> date | None:
        word = m.group().lower()
        if word == "hier" and not french:
            return None
        return today + timedelta(days=_RELATIVE[word])

    def relative_cjk(m: re.Match[str]) -> date | None:
        return today + timedelta(days=_RELATIVE_CJK[m.group()])

    return _run(text, _RELATIVE_RE, relative) + _run(text, _RELATIVE_CJK_RE, relative_cjk)
