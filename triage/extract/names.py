"""Vendor names, best effort: a run of capitalised words ended by a legal-form suffix
(GmbH, AG, Ltd, S.A., SAS, Inc, LLC, B.V., S.p.A., Pvt Ltd, KK, Ltda ...), or a Japanese
name with 株式会社 before or after it.

The run stops at lowercase words (except name particles such as "de", "van", "&"), at
punctuation and at line ends; generic leading words ("Vendor", "Our", "Die",
"Lieferant", greetings) are trimmed. German nouns are capitalised, so a run may still
start one word early; the run is capped at six words to bound the damage.
"""

from __future__ import annotations

import re

_SUFFIXES = [
    "GmbH & Co. KG", "GmbH & Co KG", "UG (haftungsbeschränkt)", "S.A. de C.V.", "Pvt. Ltd.",
    "Pvt. Ltd", "Pvt Ltd", "Private Limited", "Pty. Ltd.", "Pty Ltd", "Pte. Ltd.", "Pte Ltd",
    "Co., Ltd.", "Co. Ltd.", "Co., Ltd", "Sdn. Bhd.", "Sdn Bhd", "Sp. z o.o.", "S.à r.l.",
    "S.p.A.", "SpA", "S.r.l.", "Srl", "SRL", "S.A.S.", "SAS", "S.A.R.L.", "SARL", "EURL",
    "S.L.U.", "S.L.", "SL", "S.A.", "SA", "S/A", "Ltda.", "Ltda", "LTDA", "GmbH", "KGaA",
    "AG", "KG", "OHG", "eG", "e.K.", "UG", "SE", "Ltd.", "Ltd", "LTD", "Limited", "PLC",
    "plc", "LLC", "L.L.C.", "LLP", "Inc.", "Inc", "INC", "Corp.", "Corp", "Corporation",
    "B.V.", "BV", "N.V.", "NV", "K.K.", "KK", "AB", "A/S", "ApS", "ASA", "AS", "Oy", "Oyj",
    "s.r.o.", "a.s.", "Kft.", "Zrt.", "d.o.o.", "Lda.", "Lda", "SAC", "S.A.C.", "Bhd",
]
_PARTICLES = {"&", "de", "del", "do", "da", "dos", "du", "des", "di", "van", "of", "y", "e", "et"}
_LEADING_NOISE = {
    "vendor", "vendors", "supplier", "lieferant", "lieferanten", "kreditor", "fornecedor",
    "proveedor", "fournisseur", "fornitore", "client", "customer", "kunde", "beneficiary",
    "dear", "hi", "hello", "hallo", "liebe", "lieber", "from", "to", "re", "aw", "wg", "fwd",
    "fw", "our", "your", "the", "a", "an", "die", "der", "das", "den", "dem", "des", "la",
    "le", "les", "el", "los", "las", "o", "os", "unser", "unsere", "unserem", "unseren",
    "ihr", "ihre", "invoice", "invoices", "rechnung", "factura", "facture", "fatura", "bei",
    "von", "mit", "für", "for", "with", "and", "und", "payment", "zahlung", "am",
    "hold", "vendor_name", "name", "sample", "note", "nota", "firma", "empresa", "société",
    "us", "uk", "eu",
}
# Capitalised words of letters (and & ' . -); no digits, so "V00412" is not a name word.
_WORD = r"[A-ZÀ-ÖØ-ÞĀ-Ž](?:[^\W\d_]|[&'’.\-]){0,40}"
_PARTICLE = "|".join(re.escape(p) for p in sorted(_PARTICLES, key=len, reverse=True))
_SUFFIX = "|".join(re.escape(s) for s in _SUFFIXES)
_NAME = re.compile(
    # A name starts at a word boundary: no restarts inside "A-B-C-..." runs.
    rf"(?<![\w&.\-])(?P<body>{_WORD}(?:[ \t]+(?:{_WORD}|(?:{_PARTICLE})(?=[ \t]))){{0,7}})"
    rf"[ \t]*,?[ \t]+(?P<suffix>{_SUFFIX})(?![\w&])"
)
# Bounded runs keep the scan linear on long kanji text without 株式会社.
_JAPANESE = re.compile(
    r"株式会社[\u30a0-\u30ffー\u4e00-\u9fffA-Za-z]{1,20}"
    r"|[\u30a0-\u30ffー\u4e00-\u9fffA-Za-z]{1,20}株式会社"
)
_MAX_WORDS = 6


def _is_name_word(word: str) -> bool:
    # Sentence punctuation inside the run ("enabled'.", "below.") ends a name; short
    # abbreviations ("St.", "Co.") do not.
    if word[-1] in "'’":
        return False
    return not word.endswith(".") or len(word) <= 3


def _trim(words: list[str]) -> list[str]:
    for index in range(len(words) - 1, -1, -1):
        if not _is_name_word(words[index]):
            words = words[index + 1:]
            break
    words = words[-_MAX_WORDS:]
    while words and (words[0].lower().strip(".:") in _LEADING_NOISE or words[0] in _PARTICLES):
        words = words[1:]
    return words


def extract_vendor_names(text: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for match in _NAME.finditer(text):
        words = list(re.finditer(r"\S+", match["body"]))
        kept = _trim([w.group() for w in words])
        if not kept:
            continue
        start = match.start("body") + words[len(words) - len(kept)].start()
        name = re.sub(r"[ \t]+", " ", text[start:match.end()])
        found.append((start, name))
    found += [(m.start(), m.group()) for m in _JAPANESE.finditer(text)]
    return found
