"""Decoding feed bytes into lines without losing any."""

from __future__ import annotations

import io
from dataclasses import dataclass


@dataclass(slots=True)
class DecodedLine:
    line_no: int
    text: str
    error: str | None = None  # set when the bytes of the line are not valid in the encoding


def decode_lines(data: bytes, encoding: str = "utf-8") -> list[DecodedLine]:
    """The file's lines (line endings kept); undecodable lines are flagged, not dropped."""
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return _decode_line_by_line(data, encoding)
    return [DecodedLine(n, line) for n, line in enumerate(io.StringIO(text, newline=""), 1)]


def _decode_line_by_line(data: bytes, encoding: str) -> list[DecodedLine]:
    lines: list[DecodedLine] = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for n, chunk in enumerate(data.splitlines(keepends=True), 1):
        try:
            lines.append(DecodedLine(n, chunk.decode(encoding)))
        except UnicodeDecodeError as exc:
            lines.append(
                DecodedLine(
                    n,
                    chunk.decode(encoding, errors="backslashreplace"),
                    f"line {n}: byte 0x{chunk[exc.start]:02x} at column {exc.start + 1} is not "
                    f"valid {encoding}",
                )
            )
    return lines
