"""Canonical JSON Lines feeds: one JSON object per line with the canonical fields."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

from payables.formats.fields import invoice_from_fields
from payables.formats.records import RowError, SourceRecord
from payables.formats.text import decode_lines


def read_jsonl(data: bytes) -> Iterator[SourceRecord]:
    for line in decode_lines(data):
        raw = line.text
        if not raw.strip():
            continue
        if line.error:
            yield SourceRecord(line.line_no, raw, error=line.error)
            continue
        try:
            # Numbers become Decimal, never float: 0.1 + 0.2 must stay 0.3.
            obj = json.loads(raw.rstrip("\r\n"), parse_float=Decimal)
        except json.JSONDecodeError as exc:
            yield SourceRecord(
                line.line_no, raw, error=f"line {line.line_no}: not valid JSON ({exc.msg} at column {exc.colno})"
            )
            continue
        if not isinstance(obj, dict):
            yield SourceRecord(
                line.line_no, raw, error=f"line {line.line_no}: a JSON {type(obj).__name__}, not an object"
            )
            continue
        try:
            invoice = invoice_from_fields(obj)
        except RowError as exc:
            yield SourceRecord(line.line_no, raw, error=f"line {line.line_no}: {exc}")
            continue
        yield SourceRecord(line.line_no, raw, invoice=invoice)
