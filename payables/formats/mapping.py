"""Client mappings: CSV layouts other than canonical feed v1, declared in one TOML file each.

A mapping names the `header` columns that identify its layout, the `encoding`, `delimiter`,
`date_formats` and `[amounts]` style of the source, and where each canonical field comes
from: `[constants]`, `[columns]` (field = "Source Column"), `[templates]` (text with
`{Column}`, `{namehash:Column}` = 10 hex of sha1 of the normalised name, `{hash:A|B}` or
`{hash:*}` = 10 hex of sha1 of the cells as written, and a final `{repeat}` = "" then -2,
-3 ... for later rows of the file with the same vendor and text), `[defaults]` (for empty
cells) and `[computed]` (e.g. net_amount = "total_amount - tax_amount"). `[[quarantine]]`
rules name rows that are not invoices. Every row becomes an invoice or a quarantined record
whose reason names the line and the source column.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from payables.canonical import BUSINESS_LINES, FIELDS, IDENTITY_FIELDS, MONEY_FIELDS
from payables.canonical import PAYMENT_TERMS, REQUIRED_FIELDS, CanonicalInvoice
from payables.errors import MappingError
from payables.formats.csv_feed import read_csv_lines
from payables.formats.fields import invoice_from_fields
from payables.formats.records import RowError, SourceRecord
from payables.formats.text import decode_lines

MAPPINGS_DIR = Path(__file__).resolve().parent.parent / "mappings"
_OPTIONS = {"name", "description", "encoding", "delimiter", "header", "date_formats", "amounts",
            "constants", "columns", "templates", "defaults", "computed", "quarantine"}
_AMOUNT_OPTIONS = ("decimal_separator", "thousands_separator", "currency_symbols")
_SOURCES = ("constants", "columns", "templates", "computed")
_SIGNED = re.compile(r"\(\s*([^()]*?)\s*\)|-\s*(.*)|(.*?)\s*-|\+?\s*(.*)")
Part = tuple[str, tuple[str, ...]]  # (text | column | namehash | hash | repeat, arguments)


@dataclass(frozen=True)
class QuarantineRule:
    column: str
    values: frozenset[str]  # casefolded
    reason: str


@dataclass(frozen=True)
class ClientMapping:
    name: str
    header: tuple[str, ...]
    encoding: str = "utf-8"
    delimiter: str = ","
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    decimal_separator: str = "."
    thousands_separator: str = ","
    currency_symbols: tuple[str, ...] = ()
    constants: tuple[tuple[str, Any], ...] = ()  # canonical values, Decimal for amounts
    columns: tuple[tuple[str, str], ...] = ()
    templates: tuple[tuple[str, tuple[Part, ...]], ...] = ()
    defaults: tuple[tuple[str, str], ...] = ()
    computed: tuple[tuple[str, tuple[str, ...]], ...] = ()  # operand, sign, operand ...
    quarantine: tuple[QuarantineRule, ...] = ()
    path: Path | None = None


class ColumnError(RowError):
    """A row quarantined because of a source column; str() is the reason after "line N: "."""

    def __init__(self, field: str, source: str, problem: str) -> None:
        super().__init__(field, problem)
        self.message = f"{source} (-> {field}): {problem}" if field else f"{source}: {problem}"

    def __str__(self) -> str:
        return self.message


# ---- loading -----------------------------------------------------------------------------

def load_mapping(path: Path) -> ClientMapping:
    """The mapping in a TOML file; MappingError names the file and the key when it is wrong."""
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MappingError(f"{path}: cannot read the mapping file ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"{path}: not valid TOML ({exc})") from None
    return _Loader(path, doc).build()


def bundled_mappings() -> list[ClientMapping]:
    return [load_mapping(p) for p in sorted(MAPPINGS_DIR.glob("*.toml"))]


class _Loader:
    def __init__(self, path: Path, doc: dict[str, Any]) -> None:
        self.path, self.doc = path, doc

    def fail(self, key: str, problem: str) -> MappingError:
        return MappingError(f"{self.path}: key '{key}': {problem}")

    def table(self, key: str, allowed: Iterable[str] = FIELDS) -> dict[str, Any]:
        value = self.doc.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table")
        for name, item in value.items():
            if name not in allowed:
                raise self.fail(f"{key}.{name}", f"unknown field or option (use one of {', '.join(allowed)})")
            if not isinstance(item, str) and name != "currency_symbols":
                raise self.fail(f"{key}.{name}", "must be a string")
        return value

    def strings(self, key: str, value: Any) -> tuple[str, ...]:
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, "must be a non-empty string or list of non-empty strings")
        return tuple(value)

    def build(self) -> ClientMapping:
        doc = self.doc
        for key in doc.keys() - _OPTIONS:
            raise self.fail(key, f"unknown option (use one of {', '.join(sorted(_OPTIONS))})")
        encoding, delimiter = doc.get("encoding", "utf-8"), doc.get("delimiter", ",")
        try:
            codecs.lookup(encoding)
        except (LookupError, TypeError):
            raise self.fail("encoding", f"unknown encoding {encoding!r} (e.g. utf-8, cp1252, latin-1)") from None
        if not isinstance(delimiter, str) or len(delimiter) != 1:
            raise self.fail("delimiter", "must be one character")
        amounts = self.table("amounts", _AMOUNT_OPTIONS)
        point = amounts.get("decimal_separator", ".")
        grouping = amounts.get("thousands_separator", "," if point == "." else ".")
        if point not in ".," or grouping not in ("", ",", ".", " ", "'") or grouping == point:
            raise self.fail("amounts", "decimal_separator is '.' or ','; thousands_separator another of '', ',', '.', ' ', \"'\"")
        symbols = amounts.get("currency_symbols")
        return ClientMapping(
            name=str(doc.get("name") or self.path.stem), header=self.strings("header", doc.get("header")),
            encoding=encoding, delimiter=delimiter, decimal_separator=point, thousands_separator=grouping,
            date_formats=self.date_formats(), currency_symbols=self.strings("amounts.currency_symbols", symbols) if symbols else (),
            quarantine=self.rules(), path=self.path, **self.sources())

    def date_formats(self) -> tuple[str, ...]:
        formats = self.strings("date_formats", self.doc.get("date_formats", "%Y-%m-%d"))
        sample = date(2021, 11, 28)
        for fmt in formats:  # a usable format reads back the date it writes
            try:
                ok = datetime.strptime(sample.strftime(fmt), fmt).date() == sample
            except ValueError:
                ok = False
            if not ok:
                raise self.fail("date_formats", f"{fmt!r} is not a date format with day, month and year (e.g. %d/%m/%Y)")
        return formats

    def sources(self) -> dict[str, Any]:
        tables = {key: self.table(key, MONEY_FIELDS if key == "computed" else FIELDS) for key in _SOURCES}
        given: dict[str, str] = {}
        for key, name in ((k, n) for k in _SOURCES for n in tables[k]):
            if name in given:
                raise self.fail(f"{key}.{name}", f"is already given in [{given[name]}]")
            given[name] = key
        for name in REQUIRED_FIELDS:
            if name not in given:
                raise self.fail(f"columns.{name}", "required canonical field has no source (constants, columns, templates or computed)")
        return dict(
            constants=tuple((k, self.constant(k, v)) for k, v in tables["constants"].items()),
            columns=tuple(tables["columns"].items()),
            templates=tuple((k, self.template(k, v)) for k, v in tables["templates"].items()),
            defaults=tuple(self.table("defaults").items()),
            computed=tuple((k, self.expression(k, v, given)) for k, v in tables["computed"].items()))

    def constant(self, name: str, value: str) -> Any:
        key = f"constants.{name}"
        try:
            if name in MONEY_FIELDS:
                return Decimal(value)
            if name == "invoice_date":
                return date.fromisoformat(value)
        except (InvalidOperation, ValueError):
            raise self.fail(key, f"{value!r} is not a {'decimal' if name in MONEY_FIELDS else 'ISO date'}") from None
        allowed = {"business_line": BUSINESS_LINES, "payment_terms": PAYMENT_TERMS}.get(name)
        if allowed and value.upper() not in allowed:
            raise self.fail(key, f"{value!r} is not one of {', '.join(sorted(allowed))}")
        return value

    def template(self, name: str, text: str) -> tuple[Part, ...]:
        key, parts = f"templates.{name}", []
        for i, piece in enumerate(re.split(r"\{([^{}]*)\}", text)):
            if i % 2 == 0:
                parts += [("text", (piece,))] if piece else []
                continue
            kind, colon, args = piece.partition(":")
            kind, args = (kind, args) if colon else ("repeat" if piece == "repeat" else "column", piece)
            columns = tuple(a.strip() for a in args.split("|"))
            if kind not in ("column", "namehash", "hash", "repeat") or not all(columns):
                raise self.fail(key, f"bad placeholder {{{piece}}} (use {{Column}}, {{namehash:Column}}, {{hash:A|B}}, {{hash:*}}, {{repeat}})")
            parts.append((kind, columns))
        if any(kind == "repeat" for kind, _ in parts[:-1]):
            raise self.fail(key, "{repeat} must come last")
        return tuple(parts)

    def expression(self, name: str, text: str, given: Mapping[str, str]) -> tuple[str, ...]:
        tokens = tuple(re.split(r"\s*([+-])\s*", text.strip()))
        for token in tokens[::2]:
            if token in MONEY_FIELDS and (token == name or token not in given):
                raise self.fail(f"computed.{name}", f"uses {token}, which has no source")
            if token not in MONEY_FIELDS and not re.fullmatch(r"\d+(\.\d+)?", token):
                raise self.fail(f"computed.{name}", f"{token!r} is neither an amount field nor a number")
        return tokens

    def rules(self) -> tuple[QuarantineRule, ...]:
        rules = self.doc.get("quarantine", [])
        if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
            raise self.fail("quarantine", "must be an array of tables ([[quarantine]])")
        out = []
        for i, rule in enumerate(rules):
            key = f"quarantine[{i}]"
            for option in rule.keys() - {"column", "equals", "reason"}:
                raise self.fail(f"{key}.{option}", "unknown option (use column, equals, reason)")
            column, reason = self.strings(f"{key}.column", rule.get("column")), self.strings(f"{key}.reason", rule.get("reason"))
            values = frozenset(v.casefold() for v in self.strings(f"{key}.equals", rule.get("equals")))
            out.append(QuarantineRule(column[0], values, reason[0]))
        return tuple(out)


# ---- detection ---------------------------------------------------------------------------

def _norm_column(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").split()).casefold()


def _header(data: bytes, encoding: str, delimiter: str) -> set[str]:
    """The normalised column names on the first non-blank line."""
    for raw in data[:65536].splitlines():
        line = raw.decode(encoding, errors="replace")
        if line.strip():
            return {_norm_column(c) for c in next(csv.reader([line], delimiter=delimiter))}
    return set()


def detect_mapping(data: bytes, extra: Iterable[ClientMapping] = ()) -> ClientMapping | None:
    """The mapping whose header columns are all in the file's header (the most specific)."""
    if {_norm_column(f) for f in REQUIRED_FIELDS} <= _header(data, "utf-8", ","):
        return None  # canonical feed v1
    best: ClientMapping | None = None
    for mapping in [*extra, *bundled_mappings()]:
        header = _header(data, mapping.encoding, mapping.delimiter)
        found = all(_norm_column(c) in header for c in mapping.header)
        if found and (best is None or len(mapping.header) > len(best.header)):
            best = mapping
    return best


# ---- reading -----------------------------------------------------------------------------

def read_mapped(data: bytes, mapping: ClientMapping) -> Iterator[SourceRecord]:
    lines = decode_lines(data, mapping.encoding)
    return read_csv_lines(lines, _RowMapper(mapping), required=(), delimiter=mapping.delimiter)


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def _name_key(name: str) -> str:
    """A name reduced so that variants in case, accents of width and punctuation agree."""
    return " ".join(re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", name).casefold()).split())


class _RowMapper:
    """One source row to a canonical invoice; keeps the {repeat} counts of one file."""

    def __init__(self, mapping: ClientMapping) -> None:
        self.m, self.defaults = mapping, dict(mapping.defaults)
        self.seen: Counter[tuple[str, object, str]] = Counter()
        group, point = (re.escape(s) for s in (mapping.thousands_separator, mapping.decimal_separator))
        whole = rf"(?:\d{{1,3}}(?:{group}\d{{3}})+|\d+)" if group else r"\d+"
        self.amount_re = re.compile(rf"{whole}(?:{point}\d+)?|{point}\d+")

    def __call__(self, row: Mapping[str, str]) -> CanonicalInvoice:
        cells = {_norm_column(k): v.strip() for k, v in row.items()}
        for rule in self.m.quarantine:
            value = self.cell(cells, rule.column, "")
            if value.casefold() in rule.values:
                raise ColumnError("", f"column '{rule.column}' is '{value}'", rule.reason)
        values: dict[str, object] = dict(self.m.constants)
        for name, column in self.m.columns:
            values[name] = self.convert(name, f"column '{column}'", self.cell(cells, column, name))
        for name, parts in self.m.templates:
            values[name] = self.convert(name, "template", self.render(name, parts, cells, list(row)))
        for name, tokens in self.m.computed:
            values[name] = self.compute(tokens, values)
        for name, parts in self.m.templates:
            if parts[-1][0] == "repeat" and values[name]:  # counted per vendor, once all is read
                key = (name, values.get("vendor_id"), str(values[name]))
                self.seen[key] += 1
                values[name] = f"{values[name]}-{self.seen[key]}" if self.seen[key] > 1 else values[name]
        return invoice_from_fields(values)

    def cell(self, cells: Mapping[str, str], column: str, field: str) -> str:
        value = cells.get(_norm_column(column))
        if value is None:
            raise ColumnError(field, f"column '{column}'", "is not in the file's header")
        if not value and field in IDENTITY_FIELDS and field not in self.defaults:
            raise ColumnError(field, f"column '{column}'", "is empty, so the invoice cannot be identified")
        return value

    def render(self, name: str, parts: tuple[Part, ...], cells: Mapping[str, str], header: list[str]) -> str:
        out = []
        for kind, args in parts:
            if kind == "text":
                out.append(args[0])
            elif kind == "hash":  # cells as written (blank runs collapsed); empty cells allowed
                columns = header if args == ("*",) else args
                out.append(_sha1("\x1f".join(" ".join(self.cell(cells, c, "").split()) for c in columns)))
            elif kind != "repeat":
                value = self.cell(cells, args[0], name)
                if not value:  # an optional field built on an empty column stays empty
                    return ""
                out.append(value if kind == "column" else _sha1(_name_key(value)))
        return "".join(out)

    def convert(self, name: str, source: str, text: str) -> object:
        text = text or self.defaults.get(name, "")
        if not text:
            return None  # left for REQ-01 to name, as in canonical feeds
        if name in MONEY_FIELDS:
            return self.amount(name, source, text)
        return self.date(name, source, text) if name == "invoice_date" else text

    def amount(self, name: str, source: str, text: str) -> Decimal:
        value = text
        for symbol in self.m.currency_symbols:
            value = value.replace(symbol, "")
        signed = _SIGNED.fullmatch(value.replace("\u00a0", " ").strip())
        assert signed is not None  # the last alternative matches anything
        value = next(group for group in signed.groups() if group is not None)
        if not self.amount_re.fullmatch(value):
            example = f"1{self.m.thousands_separator}234{self.m.decimal_separator}56"
            raise ColumnError(name, source, f"'{text}' is not an amount like {example}, -12{self.m.decimal_separator}00 or (12{self.m.decimal_separator}00)")
        digits = value.replace(self.m.thousands_separator, "") if self.m.thousands_separator else value
        negative = signed.lastindex in (1, 2, 3)  # (12.00), -12.00 or 12.00-
        return Decimal(("-" if negative else "") + digits.replace(self.m.decimal_separator, "."))

    def date(self, name: str, source: str, text: str) -> str:
        for fmt in self.m.date_formats:
            try:
                return datetime.strptime(text, fmt).date().isoformat()
            except ValueError:
                continue
        raise ColumnError(name, source, f"'{text}' does not match {' or '.join(self.m.date_formats)}")

    def compute(self, tokens: tuple[str, ...], values: Mapping[str, object]) -> Decimal | None:
        operands = [values.get(t) if t in MONEY_FIELDS else Decimal(t) for t in tokens[::2]]
        if any(not isinstance(v, Decimal) for v in operands):
            return None  # an empty operand leaves the result empty, for REQ-01 to name
        result: Decimal = operands[0]  # type: ignore[assignment]
        for sign, operand in zip(tokens[1::2], operands[1:], strict=True):
            result = result + operand if sign == "+" else result - operand  # type: ignore[operator]
        return result
