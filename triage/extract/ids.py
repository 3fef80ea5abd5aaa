"""Vendor ids, client ids and purchase-order numbers.

Canonical forms:
- vendor: "V" + digits, padded to five digits ("vendor 412" is V00412, as in V00412);
- client: "C" + three digits ("client 17" and "client_id:c017" are C017);
- PO: "PO-<digits>" whenever the text writes a PO prefix (PO-88120, PO 88120, PO#88120,
  P.O. 88120); the bare number when only a word says so ("purchase order 4500012345",
  "Bestellung 4500012345"). A number already seen with the prefix is not repeated.
A bare number after a word ("vendor 412", "client 17") counts only with that word.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from triage.extract.text import MaskedText

_NUMBER_END = r"(?![A-Za-z0-9]|[.,/-]\d)"
_NUMBER_LABEL = r"(?:[ _-]?(?:id|no\.?|nr\.?|number|nummer|n[úu]mero|#))?\s*[:#=]?\s*"

_VENDOR_ID = re.compile(r"(?<![A-Za-z0-9])(?P<id>V\d{4,6})(?![A-Za-z0-9])")
_VENDOR_TAG = re.compile(r"(?i:vendor(?:_id)?)\s*[:=]\s*[\"']?(?P<id>v\d{4,6})(?![A-Za-z0-9])")
_VENDOR_WORD = re.compile(
    r"(?<![A-Za-z-])(?i:vendor|supplier|lieferant|kreditor|proveedor|fournisseur|fornecedor"
    rf"|fornitore){_NUMBER_LABEL}(?P<id>\d{{3,6}}){_NUMBER_END}"
)
_CLIENT_ID = re.compile(r"(?<![A-Za-z0-9])(?P<id>C\d{3})(?![A-Za-z0-9])")
_CLIENT_TAG = re.compile(r"(?i:client(?:_id)?)\s*[:=]\s*[\"']?(?P<id>c\d{3})(?![A-Za-z0-9])")
_CLIENT_WORD = re.compile(
    rf"(?<![A-Za-z-])(?i:client|cliente|mandant|mandante){_NUMBER_LABEL}(?P<id>\d{{1,3}})"
    rf"(?!\s*%){_NUMBER_END}"
)
_PO_PREFIXED = re.compile(
    r"(?<![A-Za-z0-9-])(?i:P\.?O\.?)(?:\s*(?:#|no\.?|nr\.?|number|num\.?|n[°º])\s*|[-#:]\s?|\s)"
    rf"(?P<num>\d{{4,12}}){_NUMBER_END}"
)
_PO_WORD = re.compile(
    r"(?:(?<![A-Za-z])(?i:purchase[ -]order|order[ _-]?(?:number|no\.?|nr\.?|#)|bestellnummer"
    r"|bestell-?nr\.?|bestellung|pedido(?: de compra)?|orden de compra|bon de commande"
    r"|commande|ordine(?: d'acquisto)?)(?![A-Za-z])|発注書?番号|注文番号)"
    rf"(?:\s*(?:no\.?|nr\.?|number|n[°º]|#|:|は)\s*|\s+)(?P<num>\d{{4,12}}){_NUMBER_END}"
)


def _is_year(digits: str) -> bool:
    # "vendor 2026 contract" is a year, not vendor V02026.
    return len(digits) == 4 and 1990 <= int(digits) <= 2099


_Rule = tuple[re.Pattern[str], Callable[[str], str | None]]


def _collect(text: MaskedText, rules: list[_Rule]) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    # Each rule masks before the next runs: "vendor V00412" is not read again as "vendor 412".
    for pattern, canonical in rules:
        spans: list[tuple[int, int]] = []
        for match in pattern.finditer(text.masked):
            value = canonical(match["id"])
            if value:
                found.append((match.start("id"), value))
                spans.append(match.span("id"))
        text.mask(spans)
    return found


def _vendor(digits: str) -> str | None:
    digits = digits.lstrip("Vv")
    return None if _is_year(digits) else "V" + digits.zfill(5)


def _client(digits: str) -> str:
    return "C" + digits.lstrip("Cc").zfill(3)


def extract_vendor_ids(text: MaskedText) -> list[tuple[int, str]]:
    return _collect(text, [(_VENDOR_ID, str), (_VENDOR_TAG, _vendor), (_VENDOR_WORD, _vendor)])


def extract_client_ids(text: MaskedText) -> list[tuple[int, str]]:
    return _collect(text, [(_CLIENT_ID, str), (_CLIENT_TAG, _client), (_CLIENT_WORD, _client)])


def extract_purchase_orders(text: MaskedText) -> list[tuple[int, str]]:
    prefixed = [
        (match.start(), "PO-" + match["num"], match.span())
        for match in _PO_PREFIXED.finditer(text.masked)
    ]
    text.mask(span for _, _, span in prefixed)
    bare = [
        (match.start("num"), match["num"], match.span("num"))
        for match in _PO_WORD.finditer(text.masked)
    ]
    text.mask(span for _, _, span in bare)
    # Keep one form per number: "PO-4500012345" and "purchase order 4500012345" are one PO.
    found: list[tuple[int, str]] = []
    seen: set[str] = set()
    for position, value, _ in sorted(prefixed + bare):
        digits = value.removeprefix("PO-")
        if digits not in seen:
            seen.add(digits)
            found.append((position, value))
    return found
