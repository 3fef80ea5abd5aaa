"""Canonical CSV feeds (Canonical feed v1): UTF-8, a header row, comma-separated."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator

from payables.canonical import IDENTITY_FIELDS, REQUIRED_FIELDS, CanonicalInvoice
from payables.formats.fields import invoice_from_text
from payables.formats.records import RowError, SourceRecord
from payables.formats.text import DecodedLine, decode_lines

RowParser = Callable[[dict[str, str]], CanonicalInvoice]


def read_canonical_csv(data: bytes) -> Iterator[SourceRecord]:
    lines = decode_lines(data)
    return read_csv_lines(lines, invoice_from_text, required=REQUIRED_FIELDS, strip=True)


def read_csv_lines(
    lines: list[DecodedLine],
    parse_row: RowParser,
    *,
    required: tuple[str, ...] = IDENTITY_FIELDS,
    delimiter: str = ",",
    strip: bool = False,
) -> Iterator[SourceRecord]:
    """Rows of a CSV file as records: parsed by `parse_row`, or quarantined with a reason."""
    texts = [line.text for line in lines]
    undecodable = {i: line.error for i, line in enumerate(lines) if line.error}
    reader = csv.reader(texts, delimiter=delimiter, strict=True)
    header: list[str] | None = None
    header_problem: str | None = None
    consumed = 0
    while True:
        start = consumed
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            consumed = reader.line_num
            yield _quarantine(lines, start, consumed, f"line {start + 1}: not readable as CSV ({exc})")
            continue
        consumed = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue  # blank lines are not rows
        if header is None:
            header = [cell.strip() for cell in row]
            header_problem = _check_header(header, required, start + 1)
            continue
        bad_bytes = (
            next((undecodable[i] for i in range(start, consumed) if i in undecodable), None)
            if undecodable else None
        )
        if header_problem or bad_bytes:
            yield _quarantine(lines, start, consumed, header_problem or bad_bytes or "")
            continue
        if len(row) != len(header):
            yield _quarantine(
                lines,
                start,
                consumed,
                f"line {start + 1}: has {len(row)} fields but the header has {len(header)} "
                "(did the delimiter or the quoting change?)",
            )
            continue
        raw = texts[start] if consumed == start + 1 else "".join(texts[start:consumed])
        try:
            fields = (
                {name: cell.strip() for name, cell in zip(header, row, strict=True)}
                if strip else dict(zip(header, row, strict=True))
            )
            invoice = parse_row(fields)
        except RowError as exc:
            yield SourceRecord(start + 1, raw, error=f"line {start + 1}: {exc}")
            continue
        yield SourceRecord(start + 1, raw, invoice=invoice)


def _check_header(header: list[str], required: tuple[str, ...], line_no: int) -> str | None:
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        return f"line {line_no} (header): column {', '.join(duplicated)} appears twice"
    missing = [c for c in required if c not in header]
    if missing:
        return (
            f"line {line_no} (header): the header lacks column {', '.join(missing)}; the file does "
            "not follow canonical feed v1 (a client mapping may be needed)"
        )
    return None


def _quarantine(lines: list[DecodedLine], start: int, end: int, reason: str) -> SourceRecord:
    return SourceRecord(start + 1, "".join(line.text for line in lines[start:max(end, start + 1)]), error=reason)
