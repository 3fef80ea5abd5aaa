"""Feed dialects: how a CSV feed that is not canonical feed v1 is to be read.

A client changes its export (a semicolon for the comma, Windows-1252 for UTF-8, "Invoice
No" for `invoice_number`, 1.234,56 for 1234.56) and ingestion quarantines every row. This
module tells what changed and turns the rows into a feed the engine reads:

- `detect(data, lines)` finds the encoding, the delimiter and where each header column goes
  (case, spaces and punctuation aside, an alias table, or a bundled client mapping whose
  columns are all in the header), and whether amounts use a decimal comma. It returns a
  `Detection`: the `Dialect`, or None with the `problem`; `notes` say, in words, how the
  file differs from canonical feed v1 (none: it is canonical).
- `rebuild(data, dialect, lines)` writes those rows as canonical feed v1 (UTF-8, comma,
  canonical header), or in the bundled mapping's own layout.
- `header_line(data, encoding)` is the header as ingestion keeps it with the batch, and
  `reassemble(header, raws)` makes a feed again from that line and kept raw rows, restoring
  the bytes that were not valid in the encoding (kept as `\\xNN`), so that `detect` sees
  what was received.

`lines`, where taken, are the physical line numbers (1-based) of the rows to read; None
reads every row after the header.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass

from payables.canonical import FIELDS, MONEY_FIELDS, REQUIRED_FIELDS
from payables.formats.mapping import ClientMapping, bundled_mappings
from payables.formats.text import decode_lines

__all__ = ["DELIMITERS", "Detection", "Dialect", "detect", "header_line", "reassemble", "rebuild"]

DELIMITERS = (",", ";", "\t", "|")
ALIASES = {  # normalised header text -> canonical field
    "client": "client_id", "clientno": "client_id", "program": "client_id",
    "bl": "business_line", "line": "business_line", "businessunit": "business_line",
    "country": "geography", "countrycode": "geography", "geo": "geography",
    "supplierid": "vendor_id", "supplierno": "vendor_id", "vendorno": "vendor_id", "vendornumber": "vendor_id",
    "vendor": "vendor_name", "supplier": "vendor_name", "suppliername": "vendor_name",
    "vatid": "vendor_tax_id", "taxid": "vendor_tax_id", "vatnumber": "vendor_tax_id", "vatno": "vendor_tax_id",
    "iban": "vendor_iban", "bankaccount": "vendor_iban",
    "invoiceno": "invoice_number", "invoicenum": "invoice_number", "invno": "invoice_number",
    "invoiceid": "invoice_number", "invoice": "invoice_number",
    "date": "invoice_date", "invdate": "invoice_date",
    "ccy": "currency", "currencycode": "currency", "cur": "currency",
    "net": "net_amount", "netamt": "net_amount", "amountnet": "net_amount",
    "tax": "tax_amount", "vat": "tax_amount", "vatamount": "tax_amount", "taxamt": "tax_amount",
    "total": "total_amount", "gross": "total_amount", "grossamount": "total_amount", "amount": "total_amount",
    "terms": "payment_terms", "paymentterm": "payment_terms",
    "po": "po_number", "pono": "po_number", "purchaseorder": "po_number", "purchaseordernumber": "po_number",
}
_DECIMAL_COMMA = re.compile(r"[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?")
_ESCAPED_BYTE = re.compile(rb"\\x([89a-f][0-9a-f])")  # how decode_lines keeps a byte it cannot decode


def _key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.replace("\ufeff", "").replace("#", "no").casefold())


_BY_KEY = {**ALIASES, **{_key(f): f for f in FIELDS}}


@dataclass(frozen=True)
class Dialect:
    """How a feed is to be read, and where its fields go."""

    encoding: str  # "utf-8", or the per-line fallbacks used ("cp1252", "cp1252/latin-1")
    delimiter: str
    columns: tuple[str, ...]  # per header column: its canonical field, or "" (ignored)
    header: tuple[str, ...]  # the header's cells as written
    decimal_comma: bool = False
    mapping: str = ""  # a bundled client mapping the header matches (then `columns` is unused)


@dataclass(frozen=True)
class Detection:
    """What `detect` found: a dialect and how it differs from canonical feed v1, or why none."""

    dialect: Dialect | None
    notes: tuple[str, ...] = ()
    problem: str = ""  # set when `dialect` is None

    @property
    def canonical(self) -> bool:
        """The feed already follows canonical feed v1: its rows were not stopped by the format."""
        return self.dialect is not None and not self.notes


def header_line(data: bytes, encoding: str = "utf-8") -> str | None:
    """The first non-blank line of a CSV feed without its line ending, decoded as the
    ingestion readers decode rows (bytes not valid in `encoding` kept as `\\xNN`)."""
    return next((line.text.rstrip("\r\n") for line in decode_lines(data, encoding) if line.text.strip()), None)


def reassemble(header: str, raws: Iterable[str]) -> bytes:
    """A feed of a kept header line and kept raw rows (in file order), as the bytes they came
    as (text that reads `\\xNN` literally, with NN from 80 to ff, is taken for such a byte)."""
    text = "".join(line if line.endswith(("\n", "\r")) else line + "\n" for line in (header, *raws))
    return _ESCAPED_BYTE.sub(lambda m: bytes([int(m.group(1), 16)]), text.encode("utf-8"))


def detect(data: bytes, lines: Container[int] | None = None) -> Detection:
    """The feed's dialect, judged on its header and the rows on `lines`."""
    text, encoding = _decode(data)
    best: tuple[tuple[int, int], str, list[str]] | None = None
    for delimiter in DELIMITERS:
        head = next(_records(text, delimiter), None)
        if head is not None and head[1]:
            score = (sum(1 for f in _map_header(head[1]) if f), len(head[1]))
            if best is None or score > best[0]:
                best = (score, delimiter, head[1])
    if best is None:
        return Detection(None, (), "the file has no readable header line")
    _, delimiter, header = best
    notes = [] if delimiter == "," else [f"delimiter {delimiter!r} instead of ','"]
    if encoding != "utf-8":
        notes.append(_encoding_note(data, text, encoding, delimiter))
    columns = _map_header(header)
    missing = [f for f in REQUIRED_FIELDS if f not in columns]
    if missing:
        mapping = _bundled(header)
        if mapping is None:
            unknown = ", ".join(repr(c) for c, f in zip(header, columns, strict=True) if not f) or "none"
            return Detection(None, tuple(notes), f"the header lacks {', '.join(missing)} "
                             f"(columns not understood: {unknown})")
        notes.append(f"header matches the bundled client mapping {mapping.name!r}")
        return Detection(Dialect(encoding, delimiter, (), tuple(header), mapping=mapping.name), tuple(notes))
    renamed = [f"{cell!r} as {name}" for cell, name in zip(header, columns, strict=True) if name and cell != name]
    ignored = [repr(cell) for cell, name in zip(header, columns, strict=True) if not name]
    if renamed:
        notes.append(f"header read as canonical fields: {', '.join(renamed)}")
    if ignored:
        notes.append(f"column(s) {', '.join(ignored)} are no canonical field: ignored")
    comma = _decimal_comma(text, delimiter, columns, lines)
    if comma:
        notes.append(f"amounts written with a decimal comma ({comma!r} read as {_amount(comma)})")
    return Detection(Dialect(encoding, delimiter, columns, tuple(header), bool(comma)), tuple(notes))


def rebuild(data: bytes, dialect: Dialect, lines: Container[int] | None = None) -> tuple[bytes, ClientMapping | None]:
    """The rows on `lines` as a feed the engine reads, and the client mapping to read it
    with (None: canonical feed v1). Rows that do not fit the header are written as they
    are, to be quarantined again with a reason. UnicodeEncodeError: a row cannot be
    written in the mapping's encoding."""
    text, _ = _decode(data)
    mapping = next((m for m in bundled_mappings() if m.name == dialect.mapping), None) if dialect.mapping else None
    out = io.StringIO()
    writer = csv.writer(out, delimiter=mapping.delimiter if mapping else ",", lineterminator="\n")
    writer.writerow(dialect.header if mapping else FIELDS)
    for _, cells, raw in _rows(text, dialect.delimiter, lines):
        if cells is None or mapping is not None or len(cells) != len(dialect.columns):
            writer.writerow(cells if cells is not None else [raw.rstrip("\r\n")])
            continue
        values = {name: cell.strip() for cell, name in zip(cells, dialect.columns, strict=True) if name}
        if dialect.decimal_comma:
            values.update({n: _amount(values[n]) for n in MONEY_FIELDS if values.get(n)})
        writer.writerow([values.get(name, "") for name in FIELDS])
    return out.getvalue().encode(mapping.encoding if mapping else "utf-8"), mapping


# ---- reading -----------------------------------------------------------------------------

def _decode(data: bytes) -> tuple[str, str]:
    """The file's text and its encoding; a file that is not UTF-8 is read line by line, each
    line as UTF-8 when it is (files get mixed by hand), else Windows-1252, else Latin-1."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    parts, used = [], []
    for line in data.removeprefix(b"\xef\xbb\xbf").splitlines(keepends=True):
        for encoding in ("utf-8", "cp1252", "latin-1"):
            try:
                parts.append(line.decode(encoding))
            except UnicodeDecodeError:
                continue
            if encoding != "utf-8" and encoding not in used:
                used.append(encoding)
            break
    return "".join(parts), "/".join(used)


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str] | None, str]]:
    """(first line number, cells or None when unreadable, raw text) of each non-blank record."""
    lines = list(io.StringIO(text, newline=""))
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    consumed = 0
    while True:
        start = consumed
        try:
            row: list[str] | None = next(reader)
        except StopIteration:
            return
        except csv.Error:
            row = None
        consumed = max(reader.line_num, start + 1)
        raw = "".join(lines[start:consumed])
        if row is None or any(cell.strip() for cell in row):
            yield start + 1, row, raw


def _rows(text: str, delimiter: str, lines: Container[int] | None) -> Iterator[tuple[int, list[str] | None, str]]:
    """The records after the header that start on `lines` (all when None)."""
    records = _records(text, delimiter)
    next(records, None)
    return (r for r in records if lines is None or r[0] in lines)


def _map_header(cells: list[str]) -> tuple[str, ...]:
    found = [_BY_KEY.get(_key(c), "") for c in cells]
    return tuple(f if f and found.count(f) == 1 else "" for f in found)


def _bundled(cells: list[str]) -> ClientMapping | None:
    names = {" ".join(c.replace("\ufeff", "").split()).casefold() for c in cells}
    fits = [m for m in bundled_mappings() if all(" ".join(h.split()).casefold() in names for h in m.header)]
    return max(fits, key=lambda m: len(m.header), default=None)


def _encoding_note(data: bytes, text: str, encoding: str, delimiter: str) -> str:
    bad = sum(1 for line in data.splitlines() if not _utf8(line))
    sample = next((c.strip() for _, cells, _ in _records(text, delimiter) for c in cells or ()
                   if re.search(r"[^\x00-\x7f]", c)), "")
    return (f"encoding {encoding} instead of UTF-8: {bad} line(s) with bytes that are not UTF-8"
            + (f" (e.g. {sample!r})" if sample else ""))


def _utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _amount(text: str) -> str:
    return text.replace(".", "").replace(",", ".")


def _decimal_comma(text: str, delimiter: str, columns: tuple[str, ...], lines: Container[int] | None) -> str:
    """An example amount when every amount of the rows is written 1.234,56 and some has a comma."""
    example = ""
    for _, cells, _ in _rows(text, delimiter, lines):
        if cells is None or len(cells) != len(columns):
            continue
        for cell, name in zip(cells, columns, strict=True):
            value = cell.strip()
            if name in MONEY_FIELDS and value:
                if not _DECIMAL_COMMA.fullmatch(value):
                    return ""
                example = example or (value if "," in value else "")
    return example
