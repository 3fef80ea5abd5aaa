"""Spans that look like ids but are never entities we report: IBANs, tax ids, phone
numbers, e-mail addresses, URLs and @-mentions.

They are masked first so that, for example, the digits of a VAT id or an IBAN are never
taken for an invoice number or an amount.
"""

from __future__ import annotations

import re

from triage.extract.text import MaskedText

_EU_VAT_PREFIX = (
    "AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|GB|GR|HR|HU|IE|IT|LT|LU|LV|MT|NL|NO|PL|PT|RO|SE|SI|SK|XI"
)

# (pattern, digits the match must contain); the digit floor keeps words such as
# "DEPARTMENTS" from being read as a VAT id.
_PATTERNS: list[tuple[re.Pattern[str], int]] = [
    # URLs, e-mail addresses (also "validator@4.18.2" style versions) and Slack mentions.
    (re.compile(r"https?://\S+|www\.\S+"), 0),
    (re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), 0),
    (re.compile(r"(?<![\w@])@[\w.-]+"), 0),
    # IBAN, compact or printed in groups of four.
    (re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?(?![A-Za-z0-9])"), 6),
    # EU-style VAT ids: country prefix and 8-13 characters.
    (re.compile(rf"(?<![A-Za-z0-9])(?:{_EU_VAT_PREFIX})[0-9A-Z]{{8,13}}(?![A-Za-z0-9])"), 7),
    (re.compile(
        r"(?<![A-Za-z0-9])(?:DE ?\d{3} ?\d{3} ?\d{3}|FR ?[0-9A-Z]{2} ?\d{3} ?\d{3} ?\d{3}"
        r"|BE ?0?\d{3}[. ]?\d{3}[. ]?\d{3}|ATU ?\d{8}"
        r"|CHE[- ]?\d{3}[. ]?\d{3}[. ]?\d{3}(?: ?(?:MWST|TVA|IVA))?)(?![A-Za-z0-9])"
    ), 8),
    # GSTIN and PAN (India), CNPJ / CPF (Brazil), CUIT (Argentina), NIP (Poland),
    # RFC (Mexico), Japanese qualified-invoice registration numbers.
    (re.compile(r"(?<![A-Za-z0-9])\d{2}[A-Z]{5}\d{4}[A-Z][0-9A-Z]Z[0-9A-Z](?![A-Za-z0-9])"), 0),
    (re.compile(r"(?<![A-Za-z0-9])[A-Z]{5}\d{4}[A-Z](?![A-Za-z0-9])"), 0),
    (re.compile(r"(?<![\d.])\d{2}\.\d{3}\.\d{3}/\d{4}-\d{2}(?!\d)"), 0),
    (re.compile(r"(?<![\d.])\d{3}\.\d{3}\.\d{3}-\d{2}(?!\d)"), 0),
    (re.compile(r"(?<![\d-])\d{2}-\d{8}-\d(?![\d-])"), 0),
    (re.compile(r"(?<![\d-])\d{3}-\d{3}-\d{2}-\d{2}(?![\d-])"), 0),
    (re.compile(r"(?<![A-Za-z0-9])(?!INV|FAC|REF)[A-ZÑ&]{3,4}\d{6}[A-Z0-9]{2,3}(?![A-Za-z0-9])"), 0),
    (re.compile(r"(?<![A-Za-z0-9])T\d{12,13}(?![A-Za-z0-9])"), 0),
    # Canadian business / GST-HST numbers: 123456789RT0001.
    (re.compile(r"(?<![A-Za-z0-9])\d{9} ?R[TPCM] ?\d{4}(?![A-Za-z0-9])"), 0),
    # Phone numbers: international, French 5x2, German area code + number, US.
    (re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .\-/]?\(?\d{1,5}\)?){2,6}(?![\w])"), 7),
    (re.compile(r"(?<![\d.])0[1-9](?:[ .]\d{2}){4}(?![\d])"), 0),
    (re.compile(r"(?<![\d.\-/])0[1-9]\d{1,3}[ /]\d{5,8}(?![\d])"), 0),
    (re.compile(r"(?<![\d\-])(?:\(\d{3}\)\s?|\d{3}-)\d{3}-\d{4}(?![\d\-])"), 0),
]

# Tax ids and phone numbers introduced by a label: whatever id-like run follows is masked.
_LABELLED = re.compile(
    r"(?:(?<![A-Za-z])(?i:VAT(?:[ -]?(?:id|no\.?|number|reg(?:istration)?(?: no\.?)?))?"
    r"|n(?:u|ú)mero de TVA|TVA(?: intracommunautaire)?|USt[-.]?Id(?:Nr)?\.?|UID(?:-Nummer)?"
    r"|Steuer-?(?:nummer|nr\.?|ID)|tax[ _-]?(?:id|number|no\.?)|partita IVA|P\. ?IVA"
    r"|codice fiscale|tel(?:efon|éfono|efone|éphone)?|phone|fax|mobile?|handy|celular"
    r"|m(?:o|ó)vil)(?![A-Za-z])"
    r"|(?<![A-Za-z])(?:TIN|EIN|ABN|GSTIN|PAN|NIF|NIE|NIPC|CIF|CNPJ|CPF|CUIT|RUT|RFC|NIP|SIRET|SIREN)"
    r"(?![A-Za-z])|登録番号|法人番号)"
    r"[\s:=#\"'“„«(「]*(?:(?:is|ist|es|est|é|lautet|number|nr\.?|no\.?|は)\s*)?[\"'“„«(「]?"
    # Spaces only before digits, so "Tel 0171 2345678 INV-2291" stops before the invoice.
    r"(?P<id>[+A-Z0-9](?:[A-Z0-9]|[./\-](?=[A-Z0-9])|[ ](?=\d)){5,24})"
)


def _has_digits(text: str, count: int) -> bool:
    return sum(ch.isdigit() for ch in text) >= count


def mask_noise(text: MaskedText) -> None:
    spans: list[tuple[int, int]] = []
    for pattern, min_digits in _PATTERNS:
        for match in pattern.finditer(text.masked):
            if _has_digits(match.group(), min_digits):
                spans.append(match.span())
    for match in _LABELLED.finditer(text.masked):
        if _has_digits(match.group("id"), 5):
            spans.append(match.span("id"))
    text.mask(spans)
