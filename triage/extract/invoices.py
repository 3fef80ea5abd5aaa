"""Invoice numbers.

Every id-like token left after the other extractors have masked their spans (IBANs, tax
ids, phones, dates, amounts, POs, vendor and client ids) is classified by shape:

- strong: an invoice number on its own: INV-2291, INV2291, RE-2026-0042, F-88213-A,
  FAC-2026-00977, CN-2211, letters-year-sequence (PC-2026-1150), year-letters-sequence
  (2026-HU-0330), year/sequence (2026/00817), letters/year/sequence (ABC/2026/77);
- id-like: letters and digits, or digits joined by - or / (HFL-90300, 2611-0087,
  0001-00045821): an invoice only in invoice context;
- bare digits: 8-10 digits in invoice context; 3-12 digits only right after an invoice
  word ("Rechnung 4471", "NF 5521"), except short numbers after a plural word, which are
  counts ("invoices: 141") unless a second one follows as a list ("NFs 5540 e 5541");
  four-digit years never;
- dotted digits (NF 000.118.224): only right after a nota fiscal word.

Invoice context: the nearest label word before the token is an invoice word (invoice,
bill, credit note, Rechnung, Gutschrift, factura, facture, fatura, fattura, nota fiscal,
NF, 請求書, inv#, invoice=, matched=), in the same sentence, within 60 characters, with
no other id in between. "Right after" means only fillers ("no.", "n°", "#", ":",
articles, quotes) lie between. Any other nearest label (PO, order, batch, payment, wire,
account, sort code, code, phone, store, booking, tax id, ticket, jira, issue ...)
withdraws the context, and right before a token it rejects even a strong shape ("batch
B-2026-0042", "ticket INV-12"). A plain KEY-123 right after see / siehe / voir / cf. is
a Jira key, unless KEY is an invoice prefix ("see INV-2291" stays an invoice). Then:
- list continuation: a token of the same digit pattern right after an accepted one,
  separated only by commas, "and", "to", "bis", "～" or masked amounts, is accepted;
- same-shape propagation: a token with the shape of an accepted one elsewhere in the
  ticket is accepted ("同じ日付の 2611-0111" after "請求書 2611-0112"), and so is a
  suffixed copy of one (MW-5530R after MW-5530, RE-2026-0301-K after RE-2026-0301).
Never invoices: rule ids (VM-02, DUP-01, BR-CO-15), PAYOPS-123 keys, digit shapes that
are ranges, year-months, sort codes or scientific notation, and tokens whose prefix names
something else (PMT-, PR-, VMR-, ACH-, WIRE-, B-, ISO-, NET30 ...).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from enum import Enum

from triage.extract.text import MaskedText

# Tokens: runs of letters and digits joined by - / . _, not inside a longer run, not a
# piece of "1,820", "18:00-22:00" or "5.5%".
_TOKEN = re.compile(
    r"(?<![A-Za-z0-9/._\\\x00-])(?<!\d:)(?:(?<!\d,)(?=\d)|(?=[A-Za-z]))"
    r"[A-Za-z0-9]+(?:[-/._][A-Za-z0-9]+)*(?![A-Za-z0-9_\x00%-]|[.,/:]\d)"
)
# "INV 5120" as written: the space is part of the number, as alarms quote it.
_INV_SPACE = re.compile(r"(?<![A-Za-z0-9])INV (?P<num>\d{3,12})(?![\w-])")


class Kind(Enum):
    STRONG = "strong"
    IDLIKE = "idlike"
    BARE = "bare"
    DOTTED = "dotted"
    REJECT = "reject"


_INVOICE_PREFIXES = {"INV", "RE", "RG", "FAC", "FA", "FT", "FV", "NF", "CN", "F"}
_STRONG = [
    re.compile(r"(?i:INV)[-_]?(?:[A-Z]{1,4}[-_])?\d[A-Z0-9]*(?:[-/][A-Z0-9]+)*"),
    re.compile(r"(?:RE|RG|FAC|FA|FT|FV|NF|CN|F)-(?:[A-Z]{1,4}-)?\d{3,}[A-Z0-9]*(?:[-/][A-Z0-9]+)*"),
    re.compile(r"[A-Z]{1,6}(?:-[A-Z0-9]{1,6})*-(?:19|20)\d\d-[A-Z0-9]*\d[A-Z0-9]*(?:[-/][A-Z0-9]+)*"),
    re.compile(r"[A-Z]{1,6}(?:19|20)\d\d-\d{2,}"),
    re.compile(r"(?:19|20)\d\d-[A-Z]{1,6}-[A-Z0-9]*\d[A-Z0-9]*(?:-[A-Z0-9]+)*"),
    re.compile(r"(?:19|20)\d\d/(?:[A-Z]{1,6}/)?\d{3,7}"),
    re.compile(r"[A-Z]{1,6}/(?:19|20)\d\d/\d{2,7}"),
]
# Leading letters that name something other than an invoice: payments, payment runs,
# vendor-master requests, batches, snapshots, incidents, changes, priorities, encodings,
# payment terms, reason codes, tax and bank ids, Jira projects.
_OTHER_PREFIXES = {
    "PO", "PMT", "PR", "PAYF", "PAYOPS", "VMR", "ACH", "BATCH", "SNAP", "RUN", "JOB", "INC",
    "CHG", "CO", "PD", "SR", "ISO", "UTF", "NET", "EOM", "IBAN", "BIC", "MT", "EDI", "HTTP",
    "SHA", "CVE", "EN", "BR", "PEPPOL", "AC", "MD", "RC", "R", "P", "Q", "W", "X", "T",
    "UID", "ATU", "CHE", "B", "LOT", "OVR", "TLS", "SLA", "ISA", "WIRE", "TXN", "TRX", "SWIFT",
}
_RULE_ID = re.compile(
    r"(?:REQ|TOT|DATE|CUR|DUP|VM|TAX|BANK|FX|PO|EU|IN|CORP|SLA)-\d{2}|BR(?:-[A-Z]+)*-\d+"
)
_JIRA_KEY = re.compile(r"[A-Z][A-Z0-9]{1,9}-\d+")
# Digit shapes that are something else: year ranges (2024-2026), year-months (2024-09),
# short ranges (30-40, 35-70), sort codes (20-00-00), decimals with ranges (5.5-6.8),
# spreadsheet scientific notation (9.00012E+07).
_NOT_AN_ID = re.compile(
    r"(?:19|20)\d\d[-/](?:19|20)\d\d|(?:19|20)\d\d-\d{1,2}|\d{1,3}-\d{1,3}|\d\d-\d\d-\d\d"
    r"|[\d.]*\.[\d.]*-[\d.-]+|[\d.]+-[\d.]*\.[\d.]*|\d+\.\d+E\d*"
)


def _leading_letters(token: str) -> str:
    match = re.match(r"[A-Za-z]+", token)
    return match.group() if match else ""


def classify(token: str) -> Kind:
    if len(token) > 40:  # no invoice number is this long; also bounds the regex work
        return Kind.REJECT
    prefix = _leading_letters(token).upper()
    if _RULE_ID.fullmatch(token) or prefix in _OTHER_PREFIXES:
        return Kind.REJECT
    if any(p.fullmatch(token) for p in _STRONG):
        return Kind.STRONG
    digits = sum(ch.isdigit() for ch in token)
    if any(ch.islower() for ch in token) or digits < 3 or len(token) > 32:
        return Kind.REJECT
    if token.isdigit():
        year = len(token) == 4 and 1900 <= int(token) <= 2099
        return Kind.REJECT if year or len(token) > 12 else Kind.BARE
    if re.fullmatch(r"\d+(?:\.\d+)+", token):
        return Kind.DOTTED
    if _NOT_AN_ID.fullmatch(token):
        return Kind.REJECT
    return Kind.IDLIKE


class Label(Enum):
    INVOICE = "invoice"
    NOTA = "nota"  # nota fiscal words: the only ones that take dotted numbers
    OTHER = "other"
    SEE = "see"


_LABELS = [
    (Label.NOTA, re.compile(
        r"(?<![A-Za-z])(?i:notas? fisca(?:l|is)|nf-?e|nfs?|notas?)(?![A-Za-z_])")),
    (Label.INVOICE, re.compile(
        r"(?<![A-Za-z])(?i:invoices?(?:[ _-]?(?:numbers?|no|nr|num|ids?|refs?))?|inv(?=[.#:\s]*\d)"
        r"|bills?|credit[ -]notes?|rechnung(?:en|s-?nummer|s-?nr)?|re-?nr|gutschrift(?:en)?"
        r"|facturas?|factures?|faturas?|fattur[ae]|factuur|n[°º] de factur[ae]"
        r"|match(?:ed)?(?=\s*[=:]))(?![A-Za-z_])|請求書(?:番号)?|請求番号|インボイス")),
    (Label.OTHER, re.compile(
        r"(?<![A-Za-z])(?i:p\.?o\.?|purchase[ -]orders?|orders?|bestell(?:ung(?:en)?|nummer|-?nr)"
        r"|auftrag(?:s-?nummer|snr)?|pedidos?|orden(?:es)?|commandes?|ordine|batch(?:es|[ _-]?id)?"
        r"|lote|lots?|stapel|runs?|jobs?|payments?|zahlung(?:en)?|pagos?|pagamentos?|paiements?"
        r"|virements?|transfers?|transferencia|überweisung|accounts?|konto(?:nummer)?|cuenta"
        r"|conta|compte|iban|bic|swift|ag[êe]ncia|phone|tel|telefon|fax|mobile|booking"
        r"|reservation|store|tienda|filiale|loja|codes?|wires?|remittance|incident|case"
        r"|vat|tva|gstin|nif|cif|cnpj|cpf|cuit|rfc|uid|steuernummer|tax|tickets?|jira|issues?)"
        r"(?![A-Za-z_])"
        r"|発注書?(?:番号)?|注文(?:番号)?|口座|振込|登録番号|チケット")),
    (Label.SEE, re.compile(r"(?<![A-Za-z])(?i:see|siehe|voir|ver|vgl|cf)(?![A-Za-z_])")),
]
_FILLER = re.compile(
    r"(?:[\s:#=\-–(（「『\"“”„«»'‘’*\[]|(?i:no|nr|n[°º]|núm|num|numero|número|nummer|number"
    r"|numbers|ids?|de|da|do|del|the|our|your|la|le|les|el|los|las|die|der|das|den|unsere?n?"
    r"|ihre?n?|vom|von|a|an|um|sobre|su|sua|seu|nossa|nosso|notre|votre|nuestra)(?![A-Za-z])"
    r"|\.|番号|は|の|：)*"
)
_LIST_GAP = re.compile(
    r"(?:[\s,;&+/~〜～、()\x00\"'“”\-]|(?i:and|und|y|e|et|to|a|bis|or|oder|o|ou|thru|through)"
    r"(?![A-Za-z])|から|と|及び)*"
)
_SENTENCE_END = re.compile(r"[\n;|。！？!?]|(?<!\b(?:no|nr|n°|nº))[.](?=\s)")
_COPY_SUFFIX = re.compile(r"-[A-Z0-9]{1,4}|[A-Z]{1,2}")
_WINDOW = 60
_LIST_WINDOW = 40


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    kind: Label
    plural: bool = False


@dataclass(frozen=True)
class _Context:
    label: Label | None = None
    anchored: bool = False
    plural: bool = False


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    value: str
    kind: Kind


def _labels(masked: str, inside: list[tuple[int, int]]) -> list[_Hit]:
    """Label words in order of their end; `inside` are the (sorted) spans of id tokens."""
    starts = [start for start, _ in inside]

    def in_token(start: int, end: int) -> bool:
        # "NF" in NF-88120 or "PO" in 2026-PO-118 is part of an id, not a label.
        index = bisect.bisect_right(starts, start) - 1
        return index >= 0 and end <= inside[index][1]

    hits = [
        _Hit(m.start(), m.end(), kind, m.group().lower().endswith(("s", "en", "is")))
        for kind, pattern in _LABELS
        for m in pattern.finditer(masked)
        if not in_token(m.start(), m.end())
    ]
    # A longer label wins over one it contains ("nota fiscal" over "nota").
    hits.sort(key=lambda h: (h.end, h.start))
    return hits


def _context(masked: str, labels: list[_Hit], ends: list[int], token: _Token,
             previous_id_end: int) -> _Context:
    index = bisect.bisect_right(ends, token.start) - 1
    if index < 0:
        return _Context()
    label = labels[index]
    gap = masked[label.end:token.start]
    if len(gap) <= _LIST_WINDOW and _FILLER.fullmatch(gap):
        return _Context(label.kind, True, label.plural)
    # Out of reach: too far, past the sentence, or another id in between (a label governs
    # the first id after it; the ids of a list are taken by `_continue_lists`).
    if len(gap) > _WINDOW or _SENTENCE_END.search(gap) or previous_id_end > label.end:
        return _Context()
    return _Context(label.kind, False, label.plural)


def _decide(token: _Token, context: _Context) -> bool | None:
    """True accept, False reject for good, None: undecided (may join a list or a shape)."""
    label, anchored = context.label, context.anchored
    if anchored and label is Label.OTHER:
        return False
    # "see PAY-123" is a Jira key; "see INV-2291" is still an invoice.
    if anchored and label is Label.SEE and _JIRA_KEY.fullmatch(token.value) and \
            _leading_letters(token.value) not in _INVOICE_PREFIXES:
        return False
    invoice = label in (Label.INVOICE, Label.NOTA)
    if token.kind is Kind.STRONG:
        return True
    if token.kind is Kind.IDLIKE:
        return True if invoice else None
    if token.kind is Kind.BARE:
        # "invoices: 141" is a count, "Rechnung 4471" a number.
        short_after_plural = context.plural and len(token.value) < 6
        if invoice and anchored and not short_after_plural:
            return True
        return True if invoice and 8 <= len(token.value) <= 10 else None
    if token.kind is Kind.DOTTED:
        return True if label is Label.NOTA and anchored else None
    return False


def _digits_as_nines(value: str) -> str:
    return re.sub(r"\d", "9", value)


def _shape(value: str) -> str:
    """The shape that spreads an accepted number to look-alikes elsewhere in the ticket."""
    if value.isdigit():
        # Sequential bare numbers share length and leading digits (90002213 / 90002214).
        return f"{len(value)}:{value[:4]}" if len(value) >= 6 else value
    return _digits_as_nines(value)


def _split(match: re.Match[str]) -> list[_Token]:
    """Tokens of one match; "RE-2026-0301/RE-2026-0301-K" is two invoice numbers."""
    value, start = match.group(), match.start()
    parts = value.split("/")
    if len(parts) > 1 and all(classify(part) is Kind.STRONG for part in parts):
        tokens, offset = [], start
        for part in parts:
            tokens.append(_Token(offset, offset + len(part), part, Kind.STRONG))
            offset += len(part) + 1
        return tokens
    kind = classify(value)
    return [] if kind is Kind.REJECT else [_Token(start, match.end(), value, kind)]


def extract_invoices(text: MaskedText) -> list[tuple[int, str]]:
    """Invoice numbers in order of appearance (with duplicates). Runs last: reads what
    the other extractors left unmasked."""
    found = [(m.start(), m.group()) for m in _INV_SPACE.finditer(text.masked)]
    text.mask(m.span() for m in _INV_SPACE.finditer(text.masked))
    masked = text.masked
    matches = [m for m in _TOKEN.finditer(masked) if any(c.isdigit() for c in m.group())]
    labels = _labels(masked, [m.span() for m in matches])
    ends = [label.end for label in labels]
    tokens: list[_Token] = []
    decisions: list[bool | None] = []
    contexts: list[_Context] = []
    previous_id_end = -1
    for match in matches:
        for token in _split(match):
            context = _context(masked, labels, ends, token, previous_id_end)
            contexts.append(context)
            tokens.append(token)
            decisions.append(_decide(token, context))
        previous_id_end = match.end()
    _pair_counts(masked, tokens, decisions, contexts)
    _continue_lists(masked, tokens, decisions)
    _propagate_shapes(tokens, decisions)
    return found + [(t.start, t.value) for t, ok in zip(tokens, decisions, strict=True) if ok]


def _pair_counts(masked: str, tokens: list[_Token], decisions: list[bool | None],
                 contexts: list[_Context]) -> None:
    """"NFs 5540 e 5541": a short number after a plural label is a count, unless a second
    number of the same length follows as in a list."""
    for i in range(len(tokens) - 1):
        token, following = tokens[i], tokens[i + 1]
        context = contexts[i]
        if decisions[i] is not None or token.kind is not Kind.BARE or not context.anchored:
            continue
        if context.label not in (Label.INVOICE, Label.NOTA) or following.kind is not Kind.BARE:
            continue
        gap = masked[token.end:following.start]
        if gap.strip() and _LIST_GAP.fullmatch(gap) and len(following.value) == len(token.value):
            decisions[i] = decisions[i + 1] = True


def _continue_lists(masked: str, tokens: list[_Token], decisions: list[bool | None]) -> None:
    for i in range(1, len(tokens)):
        previous, token = tokens[i - 1], tokens[i]
        if decisions[i] is not None or not decisions[i - 1]:
            continue
        gap = masked[previous.end:token.start]
        if len(gap) <= _LIST_WINDOW and _LIST_GAP.fullmatch(gap) and \
                _digits_as_nines(previous.value) == _digits_as_nines(token.value):
            decisions[i] = True


def _propagate_shapes(tokens: list[_Token], decisions: list[bool | None]) -> None:
    accepted = [t.value for t, ok in zip(tokens, decisions, strict=True) if ok]
    shapes = {_shape(value) for value in accepted}
    for i, token in enumerate(tokens):
        if decisions[i] is not None or token.kind is Kind.DOTTED:
            continue
        if _shape(token.value) in shapes or _is_suffixed_copy(token.value, accepted):
            decisions[i] = True


def _is_suffixed_copy(value: str, accepted: list[str]) -> bool:
    """A corrected or copied number: MW-5530R after MW-5530, 90002214-K after 90002214."""
    return any(
        value.startswith(base) and _COPY_SUFFIX.fullmatch(value[len(base):]) for base in accepted
    )
