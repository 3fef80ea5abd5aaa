"""Client mappings: CSV layouts other than canonical feed v1, one TOML file per client.

A mapping names the `header` columns of its layout, the source's `encoding`, `delimiter`,
`date_formats` and `[amounts]` style, and the source of each canonical field: `[constants]`,
`[columns]` (field = "Column"), `[templates]` (`{Column}`; `{namehash:Column}`: sha1 of the
normalised name; `{hash:A|B}`, `{hash:*}`: sha1 of the cells; a final `{repeat}`: -2, -3 ...
on later rows of the file with the same vendor and text), `[defaults]` for empty cells (in
the source's style) and `[computed]` ("total_amount - tax_amount"). `[[quarantine]]` rules
name rows that are not invoices. Each row becomes an invoice or a quarantined record whose
reason names the line and the column.
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
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from payables import canonical
from payables.canonical import FIELDS, IDENTITY_FIELDS, MONEY_FIELDS, REQUIRED_FIELDS
from payables.errors import MappingError
from payables.formats.csv_feed import read_csv_lines
from payables.formats.fields import invoice_from_fields, parse_amount, parse_date
from payables.formats.records import RowError, SourceRecord
from payables.formats.text import decode_lines

MAPPINGS_DIR = Path(__file__).resolve().parent.parent / "mappings"
_OPTIONS = {"name", "description", "encoding", "delimiter", "header", "date_formats", "amounts",
            "constants", "columns", "templates", "defaults", "computed", "quarantine"}
_AMOUNT_OPTIONS = ("decimal_separator", "thousands_separator", "currency_symbols")
_RULE_OPTIONS = {"column", "equals", "reason"}
_SOURCES = ("constants", "columns", "templates", "computed")
_CHOICES = {"business_line": canonical.BUSINESS_LINES, "payment_terms": canonical.PAYMENT_TERMS}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_REPEAT = "{repeat}"
_SIGNED = re.compile(r"\(\s*([^()]*?)\s*\)|-\s*(.*)|(.*?)\s*-|\+?\s*(.*)")  # (1) -1 1- 1


@dataclass(frozen=True)
class QuarantineRule:
    column: str
    values: frozenset[str]  # casefolded
    reason: str


@dataclass(frozen=True)
class ClientMapping:
    """One client's layout; (field, source) pairs keep the file's order and stay hashable."""

    name: str
    header: tuple[str, ...]
    encoding: str = "utf-8"
    delimiter: str = ","
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    decimal_separator: str = "."
    thousands_separator: str = ","
    currency_symbols: tuple[str, ...] = ()
    constants: tuple[tuple[str, str], ...] = ()
    columns: tuple[tuple[str, str], ...] = ()
    templates: tuple[tuple[str, str], ...] = ()
    defaults: tuple[tuple[str, str], ...] = ()
    computed: tuple[tuple[str, str], ...] = ()
    quarantine: tuple[QuarantineRule, ...] = ()
    path: Path | None = None


class ColumnError(RowError):
    """Quarantines a row because of a source column; str() is the reason after "line N: "."""

    def __init__(self, field: str, source: str, problem: str) -> None:
        super().__init__(field, problem)
        self.reason = f"{source} (-> {field}): {problem}" if field else f"{source}: {problem}"

    def __str__(self) -> str:
        return self.reason


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
                raise self.fail(f"{key}.{name}", f"unknown name (use one of {', '.join(allowed)})")
            if not isinstance(item, str) and name != "currency_symbols":
                raise self.fail(f"{key}.{name}", "must be a string")
        return value

    def strings(self, key: str, value: Any) -> tuple[str, ...]:
        value = [value] if isinstance(value, str) else value
        good = isinstance(value, list) and value and all(v and isinstance(v, str) for v in value)
        if not good:
            raise self.fail(key, "must be a non-empty string or list of strings")
        return tuple(value)

    def build(self) -> ClientMapping:
        for key in sorted(self.doc.keys() - _OPTIONS):
            raise self.fail(key, f"unknown option (use one of {', '.join(sorted(_OPTIONS))})")
        encoding, delimiter = self.doc.get("encoding", "utf-8"), self.doc.get("delimiter", ",")
        try:
            codecs.lookup(encoding)
        except (LookupError, TypeError):
            raise self.fail("encoding", f"unknown encoding {encoding!r} (e.g. cp1252)") from None
        if not isinstance(delimiter, str) or len(delimiter) != 1:
            raise self.fail("delimiter", "must be one character")
        options: dict[str, Any] = dict(
            name=str(self.doc.get("name") or self.path.stem), path=self.path,
            header=self.strings("header", self.doc.get("header")), encoding=encoding,
            delimiter=delimiter, date_formats=self.date_formats(), quarantine=self.rules())
        return ClientMapping(**options, **self.amounts(), **self.sources())

    def amounts(self) -> dict[str, Any]:
        amounts = self.table("amounts", _AMOUNT_OPTIONS)
        point = amounts.get("decimal_separator", ".")
        group = amounts.get("thousands_separator", "," if point == "." else ".")
        if point not in (".", ",") or group not in ("", ",", ".", " ", "'") or group == point:
            raise self.fail("amounts.decimal_separator", "must be '.' or ',', and "
                            "thousands_separator another of '', ',', '.', ' ' or \"'\"")
        symbols = amounts.get("currency_symbols")
        symbols = self.strings("amounts.currency_symbols", symbols) if symbols else ()
        return dict(decimal_separator=point, thousands_separator=group, currency_symbols=symbols)

    def date_formats(self) -> tuple[str, ...]:
        formats = self.strings("date_formats", self.doc.get("date_formats", "%Y-%m-%d"))
        sample = datetime(2021, 11, 28)
        for fmt in formats:  # a usable format reads back the date it writes
            try:
                ok = datetime.strptime(sample.strftime(fmt), fmt) == sample
            except ValueError:
                ok = False
            if not ok:
                raise self.fail("date_formats", f"{fmt!r} lacks day, month or year (%d/%m/%Y)")
        return formats

    def sources(self) -> dict[str, Any]:
        tables = {k: self.table(k, MONEY_FIELDS if k == "computed" else FIELDS) for k in _SOURCES}
        given: dict[str, str] = {}
        for key, name in ((k, name) for k in _SOURCES for name in tables[k]):
            if name in given:
                raise self.fail(f"{key}.{name}", f"is already given in [{given[name]}]")
            given[name] = key
        for name in (n for n in REQUIRED_FIELDS if n not in given):
            raise self.fail(f"columns.{name}", "required field with no source (constants, "
                            "columns, templates or computed)")
        for name, value in tables["constants"].items():
            self.constant(name, value)
        for name, value in tables["templates"].items():
            self.template(name, value)
        known = {n for n, key in given.items() if n in MONEY_FIELDS and key != "computed"}
        for name, value in tables["computed"].items():  # in order: a computed field, once computed
            self.expression(name, value, known)
            known.add(name)
        tables["defaults"] = self.table("defaults")
        return {key: tuple(table.items()) for key, table in tables.items()}

    def constant(self, name: str, value: str) -> None:
        try:  # constants are canonical text
            if name in MONEY_FIELDS:
                parse_amount(name, value)
            elif name == "invoice_date":
                parse_date(name, value)
        except RowError as exc:
            raise self.fail(f"constants.{name}", exc.problem) from None
        if name in _CHOICES and value.upper() not in _CHOICES[name]:
            raise self.fail(f"constants.{name}", f"{value!r} is not one of "
                            f"{', '.join(sorted(_CHOICES[name]))}")

    def template(self, name: str, text: str) -> None:
        for piece in _PLACEHOLDER.findall(text.removesuffix(_REPEAT)):
            kind, colon, args = piece.partition(":")
            good = kind in ("namehash", "hash") and args.strip() if colon else piece.strip()
            if not good or piece == "repeat":
                raise self.fail(f"templates.{name}", f"bad placeholder {{{piece}}}: use {{Column}}"
                                ", {namehash:Column}, {hash:A|B}, {hash:*}, and {repeat} last")

    def expression(self, name: str, text: str, known: set[str]) -> None:
        for token in re.split(r"\s*[+-]\s*", text.strip()):
            if token not in known and not re.fullmatch(r"\d+(\.\d+)?", token):
                raise self.fail(f"computed.{name}", f"{token!r} is neither a number nor an "
                                "amount field with a source before it")

    def rules(self) -> tuple[QuarantineRule, ...]:
        rules = self.doc.get("quarantine", [])
        if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
            raise self.fail("quarantine", "must be an array of tables ([[quarantine]])")
        out = []
        for i, rule in enumerate(rules):
            key = f"quarantine[{i}]"
            for option in sorted(rule.keys() - _RULE_OPTIONS):
                raise self.fail(f"{key}.{option}", "unknown option (use column, equals, reason)")
            equals = self.strings(f"{key}.equals", rule.get("equals"))
            out.append(QuarantineRule(self.strings(f"{key}.column", rule.get("column"))[0],
                                      frozenset(v.casefold() for v in equals),
                                      self.strings(f"{key}.reason", rule.get("reason"))[0]))
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
    """A name reduced so that variants in case, width and punctuation agree."""
    return " ".join(re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", name).casefold()).split())


class _Blank(Exception):
    """A template column is empty: the (optional) field stays empty."""


class _RowMapper:
    """One source row to a canonical invoice; keeps the {repeat} counts of one file."""

    def __init__(self, mapping: ClientMapping) -> None:
        self.m, self.defaults = mapping, dict(mapping.defaults)
        self.seen: Counter[tuple[str, str, str]] = Counter()
        group, point = re.escape(mapping.thousands_separator), re.escape(mapping.decimal_separator)
        whole = rf"\d{{1,3}}(?:{group}\d{{3}})+|\d+" if group else r"\d+"
        self.amount_re = re.compile(rf"(?:{whole})(?:{point}\d+)?|{point}\d+")

    def __call__(self, row: Mapping[str, str]) -> canonical.CanonicalInvoice:
        cells = {_norm_column(k): v.strip() for k, v in row.items()}
        for rule in self.m.quarantine:
            value = self.cell(cells, rule.column, "")
            if value.casefold() in rule.values:
                raise ColumnError("", f"column '{rule.column}' is '{value}'", rule.reason)
        values = dict(self.m.constants)
        for name, column in self.m.columns:
            values[name] = self.convert(name, f"column '{column}'", self.cell(cells, column, name))
        for name, template in self.m.templates:
            text = self.render(name, template.removesuffix(_REPEAT), cells, list(row))
            values[name] = self.convert(name, "template", text)
        for name, expression in self.m.computed:
            values[name] = self.compute(expression, values)
        for name, template in self.m.templates:
            if template.endswith(_REPEAT) and values[name]:  # once the vendor is known
                values[name] = self.repeat(name, values)
        return invoice_from_fields(values)

    def cell(self, cells: Mapping[str, str], column: str, field: str) -> str:
        value = cells.get(_norm_column(column))
        if value is None:
            raise ColumnError(field, f"column '{column}'", "is not in the file's header")
        if not value and field in IDENTITY_FIELDS and field not in self.defaults:
            raise ColumnError(field, f"column '{column}'",
                              "is empty, so the invoice cannot be identified")
        return value

    def render(self, name: str, template: str, cells: Mapping[str, str], header: list[str]) -> str:
        def value(column: str) -> str:
            text = self.cell(cells, column, name)
            if not text:
                raise _Blank
            return text

        def fill(match: re.Match[str]) -> str:
            kind, colon, args = match.group(1).partition(":")
            if not colon:
                return value(match.group(1).strip())
            columns = header if args.strip() == "*" else [c.strip() for c in args.split("|")]
            if kind == "hash":  # the cells as written (blank runs collapsed); empty ones allowed
                texts = (" ".join(self.cell(cells, c, "").split()) for c in columns)
                return _sha1("\x1f".join(texts))
            return _sha1(_name_key(" ".join(value(c) for c in columns)))

        try:
            return _PLACEHOLDER.sub(fill, template)
        except _Blank:
            return self.defaults.get(name, "")

    def repeat(self, name: str, values: Mapping[str, str]) -> str:
        key = (name, values.get("vendor_id", ""), values[name])
        self.seen[key] += 1
        return values[name] + (f"-{self.seen[key]}" if self.seen[key] > 1 else "")

    def convert(self, name: str, source: str, text: str) -> str:
        """Source text to canonical text; empty stays empty, for REQ-01 to name."""
        text = text or self.defaults.get(name, "")
        if text and name in MONEY_FIELDS:
            return str(self.amount(name, source, text))
        return self.date(name, source, text) if text and name == "invoice_date" else text

    def amount(self, name: str, source: str, text: str) -> Decimal:
        group, point = self.m.thousands_separator, self.m.decimal_separator
        value = text.replace("\u00a0", " ")
        for symbol in self.m.currency_symbols:
            value = value.replace(symbol, "")
        signed = _SIGNED.fullmatch(value.strip())
        body = next(g for g in signed.groups() if g is not None) if signed else ""
        if signed is None or not self.amount_re.fullmatch(body):
            raise ColumnError(name, source, f"'{text}' is not an amount like 1{group}234{point}56, "
                              f"-12{point}00 or (12{point}00)")
        digits = body.replace(group, "") if group else body
        sign = "-" if signed.lastindex in (1, 2, 3) else ""  # (12.00), -12.00 or 12.00-
        return Decimal(sign + digits.replace(point, "."))

    def date(self, name: str, source: str, text: str) -> str:
        for fmt in self.m.date_formats:
            try:
                return datetime.strptime(text, fmt).date().isoformat()
            except ValueError:
                continue
        formats = " or ".join(self.m.date_formats)
        raise ColumnError(name, source, f"'{text}' does not match {formats}")

    def compute(self, expression: str, values: Mapping[str, str]) -> str:
        tokens = re.split(r"\s*([+-])\s*", expression.strip())
        operands = [values.get(token, token) for token in tokens[::2]]  # a field, or a number
        if not all(operands):
            return ""  # an empty operand leaves the result empty, for REQ-01 to name
        result = Decimal(operands[0])
        for sign, operand in zip(tokens[1::2], operands[1:], strict=True):
            result = result + Decimal(operand) if sign == "+" else result - Decimal(operand)
        return str(result)
