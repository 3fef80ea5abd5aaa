"""Reading client feeds: canonical CSV and JSON Lines, mapped CSV layouts, UBL 2.1 XML.

`read_feed` picks the reader: an explicit client mapping, else XML for UBL documents,
JSON Lines for `.jsonl`/`.ndjson` or an object per line, else CSV; a CSV whose header is
not canonical is matched against the known client mappings before being judged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from payables.formats.csv_feed import read_canonical_csv
from payables.formats.jsonl_feed import read_jsonl
from payables.formats.records import SourceRecord

if TYPE_CHECKING:
    from payables.formats.mapping import ClientMapping

__all__ = ["Feed", "SourceRecord", "read_feed"]


@dataclass
class Feed:
    format: str  # csv, jsonl, ubl, mapped-csv
    mapping: str | None
    records: Iterator[SourceRecord]


def _sniff(data: bytes) -> str:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "ubl"
    if head.startswith(b"{"):
        return "jsonl"
    return "csv"


def read_feed(
    path: Path, data: bytes, mapping: ClientMapping | None = None, defaults: Mapping[str, str] | None = None
) -> Feed:
    """The records of one file. `defaults` fills what UBL documents do not carry (client_id,
    business_line, payment_terms)."""
    if mapping is not None:
        from payables.formats.mapping import read_mapped

        return Feed("mapped-csv", mapping.name, read_mapped(data, mapping))
    suffix = path.suffix.lower()
    kind = {".xml": "ubl", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(suffix) or _sniff(data)
    if kind == "ubl":
        from payables.formats.ubl import read_ubl

        return Feed("ubl", None, read_ubl(data, defaults))
    if kind == "jsonl":
        return Feed("jsonl", None, read_jsonl(data))
    from payables.formats.mapping import detect_mapping

    detected = detect_mapping(data)
    if detected is not None:
        from payables.formats.mapping import read_mapped

        return Feed("mapped-csv", detected.name, read_mapped(data, detected))
    return Feed("csv", None, read_canonical_csv(data))
