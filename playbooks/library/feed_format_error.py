"""`feed_format_error`: re-parse a rejected feed with the detected dialect and mapping.

A client changed its file (a semicolon for the comma, Windows-1252 for UTF-8, "Invoice No"
for `invoice_number`) and ingestion quarantined the rows. Ingestion does not keep the
header line (raw records start at the first data line), so the playbook reads the file
named by the batch (`Batch.source_name`) and uses it only when its sha256 is the batch's:
then the bytes, and so the encoding, are exactly what was received. It detects the
encoding, the delimiter and the header's mapping onto canonical feed v1 (case, spaces and
underscores aside, a small alias table, or a bundled client mapping), rebuilds the
quarantined rows as a canonical feed and predicts, with the real reader and rule set, what
ingestion will make of each row. The plan ingests the rebuilt bytes as a new batch through
`payables.ingest.ingest_file`; ingestion is idempotent by sha256, so it happens once. A
batch cannot be un-ingested: a failed verification holds the new batch's invoices.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Batch, Invoice, InvoiceEvent, RawRecord
from payables.canonical import FIELDS, MONEY_FIELDS, REQUIRED_FIELDS, Outcome, Status
from payables.formats import read_feed
from payables.formats.mapping import ClientMapping, bundled_mappings
from payables.ingest import ingest_file
from payables.reference.database import fill_from_client_master, reference_for
from payables.reference.lookup import ExistingInvoice
from payables.rules.base import RuleContext
from playbooks.base import Check, Context, Diagnosis, Plan, Playbook
from playbooks.changes import ApplyContext, Change, ChangeConflict, InvoiceStatus

REPARSE_PREFIX = "reparse of batch "
DELIMITERS = (",", ";", "\t", "|")
HOLDABLE = (Status.RECEIVED, Status.PARSED, Status.VALIDATED, Status.SCHEDULED)
OUTCOME_OF = {Status.VALIDATED: Outcome.ACCEPTED, Status.REJECTED: Outcome.REJECTED,
              Status.ON_HOLD: Outcome.ON_HOLD}
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


def _key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.replace("\ufeff", "").replace("#", "no").casefold())


_BY_KEY = {**ALIASES, **{_key(f): f for f in FIELDS}}


@dataclass(frozen=True)
class Dialect:
    """How the received file is to be read, and where its fields go."""

    encoding: str
    delimiter: str
    columns: tuple[str, ...]  # per header column: its canonical field, or "" (ignored)
    header: tuple[str, ...]
    decimal_comma: bool = False
    mapping: str = ""  # a bundled client mapping the header matches (then `columns` is unused)


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


def _map_header(cells: list[str]) -> tuple[str, ...]:
    found = [_BY_KEY.get(_key(c), "") for c in cells]
    return tuple(f if f and found.count(f) == 1 else "" for f in found)


def _bundled(cells: list[str]) -> ClientMapping | None:
    names = {" ".join(c.replace("\ufeff", "").split()).casefold() for c in cells}
    fits = [m for m in bundled_mappings() if all(" ".join(h.split()).casefold() in names for h in m.header)]
    return max(fits, key=lambda m: len(m.header), default=None)


def detect(data: bytes, lines: set[int]) -> tuple[Dialect | None, list[str]]:
    """The file's dialect and what differs from canonical feed v1 (or why there is none)."""
    text, encoding = _decode(data)
    best: tuple[tuple[int, int], str, list[str]] | None = None
    for delimiter in DELIMITERS:
        head = next(_records(text, delimiter), None)
        if head is not None and head[1]:
            score = (sum(1 for f in _map_header(head[1]) if f), len(head[1]))
            if best is None or score > best[0]:
                best = (score, delimiter, head[1])
    if best is None:
        return None, ["the file has no readable header line"]
    _, delimiter, header = best
    notes = [] if delimiter == "," else [f"delimiter {delimiter!r} instead of ','"]
    if encoding != "utf-8":
        bad = [n for n, line in enumerate(data.splitlines(), 1) if not _utf8(line)]
        sample = next((c.strip() for _, cells, _ in _records(text, delimiter) for c in cells or ()
                       if re.search(r"[^\x00-\x7f]", c)), "")
        notes.append(f"encoding {encoding} instead of UTF-8: {len(bad)} line(s) with bytes that are not UTF-8"
                     + (f" (e.g. {sample!r})" if sample else ""))
    columns = _map_header(header)
    missing = [f for f in REQUIRED_FIELDS if f not in columns]
    if missing:
        mapping = _bundled(header)
        if mapping is None:
            unknown = [c for c, f in zip(header, columns, strict=True) if not f]
            return None, [*notes, f"the header lacks {', '.join(missing)} (columns not understood: "
                          f"{', '.join(repr(c) for c in unknown) or 'none'})"]
        notes.append(f"header matches the bundled client mapping {mapping.name!r}")
        return Dialect(encoding, delimiter, (), tuple(header), mapping=mapping.name), notes
    renamed = [f"{cell!r} as {name}" for cell, name in zip(header, columns, strict=True) if name and cell != name]
    ignored = [repr(cell) for cell, name in zip(header, columns, strict=True) if not name]
    if renamed:
        notes.append(f"header read as canonical fields: {', '.join(renamed)}")
    if ignored:
        notes.append(f"column(s) {', '.join(ignored)} are no canonical field: ignored")
    comma = _decimal_comma(text, delimiter, columns, lines)
    if comma:
        notes.append(f"amounts written with a decimal comma ({comma!r} read as {_amount(comma)})")
    return Dialect(encoding, delimiter, columns, tuple(header), bool(comma)), notes


def _utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _amount(text: str) -> str:
    return text.replace(".", "").replace(",", ".")


def _decimal_comma(text: str, delimiter: str, columns: tuple[str, ...], lines: set[int]) -> str:
    """An example amount when every amount of the rows is written 1.234,56 and some has a comma."""
    example = ""
    for line_no, cells, _ in list(_records(text, delimiter))[1:]:
        if line_no not in lines or cells is None or len(cells) != len(columns):
            continue
        for cell, name in zip(cells, columns, strict=True):
            value = cell.strip()
            if name in MONEY_FIELDS and value:
                if not _DECIMAL_COMMA.fullmatch(value):
                    return ""
                example = example or (value if "," in value else "")
    return example


def rebuild(data: bytes, dialect: Dialect, lines: set[int]) -> tuple[bytes, ClientMapping | None]:
    """The rows starting on `lines` as a feed the engine reads: canonical v1 (UTF-8, comma,
    canonical header), or the bundled mapping's own layout. Rows that do not fit the header
    are written as they are, to be quarantined again with a reason."""
    text, _ = _decode(data)
    mapping = next((m for m in bundled_mappings() if m.name == dialect.mapping), None) if dialect.mapping else None
    out = io.StringIO()
    writer = csv.writer(out, delimiter=mapping.delimiter if mapping else ",", lineterminator="\n")
    writer.writerow(dialect.header if mapping else FIELDS)
    for line_no, cells, raw in list(_records(text, dialect.delimiter))[1:]:
        if line_no not in lines:
            continue
        if cells is None or mapping is not None or len(cells) != len(dialect.columns):
            writer.writerow(cells if cells is not None else [raw.rstrip("\r\n")])
            continue
        values = {name: cell.strip() for cell, name in zip(cells, dialect.columns, strict=True) if name}
        if dialect.decimal_comma:
            values.update({n: _amount(values[n]) for n in MONEY_FIELDS if values.get(n)})
        writer.writerow([values.get(name, "") for name in FIELDS])
    return out.getvalue().encode(mapping.encoding if mapping else "utf-8"), mapping


def quarantined_lines(session: Session, batch_id: int) -> set[int]:
    """The physical lines the batch's quarantined records came from."""
    lines: set[int] = set()
    for line_no, raw in session.execute(select(RawRecord.line_no, RawRecord.raw).where(
            RawRecord.batch_id == batch_id, RawRecord.outcome == Outcome.QUARANTINED)):
        lines.update(range(line_no, line_no + max(1, len(raw.splitlines()))))
    return lines


def source_bytes(batch: Batch) -> bytes:
    """The received file, when it is still where the batch says and unchanged."""
    path = Path(batch.source_name)
    if not path.is_file():
        raise ChangeConflict(f"the received file {batch.source_name} is no longer there (the header line is "
                             "not kept with the batch, so the rows cannot be re-read without it)")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != batch.sha256:
        raise ChangeConflict(f"the file {batch.source_name} has changed since batch {batch.id} was ingested")
    return data


def rebuilt_name(batch: Batch) -> str:
    return f"batch-{batch.id}-{Path(batch.source_name).stem}-reparsed.csv"


def predict(ctx: Context, data: bytes, name: str, mapping: ClientMapping | None) -> list[dict[str, Any]]:
    """What ingestion would make of each row of `data`, as ingest_file judges it (nothing written)."""
    records = list(read_feed(Path(name), data, mapping).records)
    invoices = [r.invoice for r in records if r.invoice is not None]
    conn = ctx.session.connection()
    fill_from_client_master(conn, invoices)
    reference = reference_for(conn, invoices)
    rules = RuleContext(reference=reference, now=ctx.now, ingested_at=ctx.now)
    rows: list[dict[str, Any]] = []
    for record in records:
        inv = record.invoice
        if inv is None:
            rows.append({"line": record.line_no, "verdict": str(Outcome.QUARANTINED), "reason": record.error})
            continue
        evaluation = ctx.ruleset.evaluate(inv, rules, reference.loaded)
        stops = sorted({f.rule for f in evaluation.findings if str(f.severity) in ("block", "hold")})
        rows.append({"line": record.line_no, "verdict": str(OUTCOME_OF[evaluation.status]),
                     "invoice_number": inv.invoice_number, "vendor_id": inv.vendor_id,
                     "vendor_name": inv.vendor_name, "total_amount": str(inv.total_amount),
                     "currency": inv.currency, "rules": stops})
        if not any(f.rule == "DUP-01" for f in evaluation.findings):
            reference.remember(ExistingInvoice(None, inv.client_id, inv.vendor_id, inv.invoice_number,
                                               str(evaluation.status), earlier_in_file=True),
                               inv.total_amount, inv.invoice_date)
    return rows


def _hold(run: ApplyContext, sha256: str, reason: str) -> None:
    batch = run.session.scalar(select(Batch).where(Batch.sha256 == sha256))
    if batch is None:
        return
    now = run.clock()
    for inv in run.session.scalars(select(Invoice).where(Invoice.batch_id == batch.id,
                                                         Invoice.status.in_(HOLDABLE))):
        run.session.add(InvoiceEvent(invoice_id=inv.id, at=now, from_status=inv.status, to_status=Status.ON_HOLD,
                                     reason=reason, actor=run.actor[:64]))
        inv.status, inv.updated_at, inv.scheduled_at = Status.ON_HOLD, now, None


@dataclass
class ReparseBatch(Change):
    """Ingest a batch's quarantined rows again, rebuilt with the detected dialect."""

    kind: ClassVar[str] = "reparse_batch"
    batch: int
    source: str
    sha256: str  # of the rebuilt bytes: the new batch's
    encoding: str
    delimiter: str
    columns: list[str]
    header: list[str]
    decimal_comma: bool = False
    mapping: str = ""
    expect_received: int = 0
    expect_quarantined: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return f"batch {self.batch} ({Path(self.source).name})"

    @property
    def field_name(self) -> str:
        return "re-parsed as batch sha256"

    @property
    def before_value(self) -> Any:
        return None

    @property
    def after_value(self) -> Any:
        return self.sha256

    @property
    def moves_money(self) -> bool:
        return True  # new invoices that pass validation become payable

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "text": "; ".join(self.notes)}

    def dialect(self) -> Dialect:
        return Dialect(self.encoding, self.delimiter, tuple(self.columns), tuple(self.header),
                       self.decimal_comma, self.mapping)

    def current(self, session: Session) -> Any:
        return session.scalar(select(Batch.sha256).where(Batch.sha256 == self.sha256))

    def apply(self, run: ApplyContext) -> None:
        batch = run.session.get(Batch, self.batch)
        if batch is None:
            raise ChangeConflict(f"batch {self.batch} no longer exists")
        data, mapping = rebuild(source_bytes(batch), self.dialect(), quarantined_lines(run.session, batch.id))
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise ChangeConflict(f"batch {self.batch}'s quarantined rows rebuild differently than when the plan "
                                 "was made")
        with tempfile.TemporaryDirectory(prefix="payops-reparse-") as tmp:
            path = Path(tmp) / rebuilt_name(batch)
            path.write_bytes(data)
            summary = ingest_file(run.session, path, mapping=mapping, ruleset=run.ruleset, clock=run.clock)
        new = run.session.get(Batch, summary.batch_id)
        if new is not None and not summary.already_ingested:
            new.source_name = f"{REPARSE_PREFIX}{batch.id} ({batch.source_name}), proposal {run.proposal_id}"

    def revert(self, run: ApplyContext) -> None:
        _hold(run, self.sha256, f"rolled back: re-parse of batch {self.batch} (a batch cannot be un-ingested)")


def _client_batches(session: Session, client: str, candidates: list[Batch]) -> list[Batch]:
    ids = [b.id for b in candidates]
    with_invoices = set(session.scalars(select(Invoice.batch_id).where(
        Invoice.batch_id.in_(ids), Invoice.client_id == client).distinct()))
    mentioned = set()
    for batch_id, raw in session.execute(select(RawRecord.batch_id, RawRecord.raw).where(
            RawRecord.batch_id.in_(ids), RawRecord.outcome == Outcome.QUARANTINED,
            RawRecord.raw.contains(client))):
        if client in {c.strip().strip('"') for c in re.split(r"[,;\t|]", raw)}:
            mentioned.add(batch_id)
    return [b for b in candidates if b.id in with_invoices | mentioned]


def find_batch(ctx: Context) -> tuple[Batch | None, str]:
    """The batch the ticket is about, or why none was found."""
    ents = ctx.entities
    named = [b for b in (ctx.session.get(Batch, int(i)) for i in ents.get("batch_ids") or ()) if b is not None]
    if named:
        return max(named, key=lambda b: b.quarantined), ""
    candidates = list(ctx.session.scalars(select(Batch).where(
        Batch.quarantined > 0, ~Batch.source_name.startswith(REPARSE_PREFIX))
        .order_by(Batch.received_at.desc(), Batch.id.desc()).limit(200)))
    files = [str(f) for f in ents.get("files") or ()]
    clients = [str(c) for c in ents.get("clients") or ()]
    if files:
        candidates = [b for b in candidates if any(Path(b.source_name).name == f or b.source_name.endswith(f)
                                                   for f in files)]
    elif clients:
        candidates = [b for c in clients for b in _client_batches(ctx.session, c, candidates)]
    else:
        return None, "the ticket names no client, batch or file"
    if not candidates:
        named_what = ", ".join(files or clients)
        total = ctx.session.scalar(select(func.count(Batch.id)))
        return None, f"no batch of {named_what} has quarantined rows ({total} batch(es) in all)"
    return max(candidates[:10], key=lambda b: b.quarantined), ""


class ReparseFeed(Playbook):
    name = "reparse_feed"
    root_cause = "feed_format_error"
    title = "Re-parse a rejected feed with the detected dialect"
    on_verify_failure = "roll_forward"
    safe_state_name = "reparsed invoices held for review"

    def diagnose(self, ctx: Context) -> Diagnosis:
        batch, why = find_batch(ctx)
        if batch is None:
            return Diagnosis(why, applicable=False)
        about = f"batch {batch.id} ({batch.source_name}: {batch.quarantined} of {batch.received} rows quarantined)"
        reasons = sorted({r for r in ctx.session.scalars(select(RawRecord.reason).where(
            RawRecord.batch_id == batch.id, RawRecord.outcome == Outcome.QUARANTINED).distinct()) if r})
        evidence = [f"{about}; quarantined because: {'; '.join(reasons[:3])}"]
        try:
            data = source_bytes(batch)
        except ChangeConflict as exc:
            return Diagnosis(f"{about}: cannot re-read it", [*evidence, str(exc)], applicable=False)
        lines = quarantined_lines(ctx.session, batch.id)
        dialect, notes = detect(data, lines)
        evidence += notes
        if dialect is None:
            return Diagnosis(f"{about}: no dialect reads it as canonical feed v1", evidence, applicable=False)
        if not notes:
            return Diagnosis(f"{about}: the file follows canonical feed v1; its rows were quarantined for their "
                             "content, not the format", evidence, applicable=False)
        try:
            rebuilt, mapping = rebuild(data, dialect, lines)
        except UnicodeEncodeError as exc:
            return Diagnosis(f"{about}: its rows cannot be written in the client mapping's encoding",
                             [*evidence, f"{exc.object[exc.start:exc.end]!r} is not {exc.encoding}"],
                             applicable=False)
        sha = hashlib.sha256(rebuilt).hexdigest()
        done = ctx.session.scalar(select(Batch).where(Batch.sha256 == sha))
        if done is not None:
            return Diagnosis(f"{about}: already re-parsed as batch {done.id} ({done.accepted} accepted, "
                             f"{done.rejected} rejected, {done.on_hold} on hold, {done.quarantined} quarantined)",
                             evidence, applicable=False)
        rows = predict(ctx, rebuilt, rebuilt_name(batch), mapping)
        count = {o: sum(1 for r in rows if r["verdict"] == o) for o in Outcome}
        parsed = len(rows) - count[Outcome.QUARANTINED]
        evidence.append(f"{parsed} of {len(rows)} row(s) parse now ({count[Outcome.ACCEPTED]} would be accepted, "
                        f"{count[Outcome.REJECTED]} rejected, {count[Outcome.ON_HOLD]} held); "
                        f"{count[Outcome.QUARANTINED]} would stay quarantined")
        evidence += [_row_words(r) for r in rows[:25]]
        facts = {"batch_id": batch.id, "source": batch.source_name, "sha256": sha, "rows": rows,
                 "counts": {str(o): n for o, n in count.items()}, "notes": notes,
                 "dialect": {"encoding": dialect.encoding, "delimiter": dialect.delimiter,
                             "columns": list(dialect.columns), "header": list(dialect.header),
                             "decimal_comma": dialect.decimal_comma, "mapping": dialect.mapping}}
        if not parsed:
            return Diagnosis(f"{about}: no row parses even with the detected dialect", evidence, applicable=False,
                             facts=facts)
        return Diagnosis(f"{about}: {'; '.join(notes[:3])}; {parsed} of {len(rows)} row(s) would parse now",
                         evidence, facts=facts)

    def plan(self, ctx: Context, diagnosis: Diagnosis) -> Plan | None:
        facts = diagnosis.facts
        counts = facts["counts"]
        parsed = len(facts["rows"]) - counts[Outcome.QUARANTINED]
        if parsed > ctx.options.max_invoices:
            diagnosis.evidence.append(f"the re-parse would create {parsed} invoices, more than "
                                      f"{ctx.options.max_invoices}: too wide for one approval")
            return None
        change = ReparseBatch(batch=facts["batch_id"], source=facts["source"], sha256=facts["sha256"],
                              **facts["dialect"], expect_received=len(facts["rows"]),
                              expect_quarantined=counts[Outcome.QUARANTINED], notes=list(facts["notes"]))
        return Plan(f"re-ingest the {len(facts['rows'])} quarantined row(s) of batch {facts['batch_id']} read with "
                    "the detected dialect", [change], [],
                    expected=f"a new batch of {len(facts['rows'])} row(s): {counts[Outcome.ACCEPTED]} accepted, "
                             f"{counts[Outcome.REJECTED]} rejected, {counts[Outcome.ON_HOLD]} on hold, "
                             f"{counts[Outcome.QUARANTINED]} quarantined with their raw text")

    def verify(self, ctx: Context, plan: Plan) -> list[Check]:
        checks = []
        for change in plan.changes:
            assert isinstance(change, ReparseBatch)
            new = ctx.session.scalar(select(Batch).where(Batch.sha256 == change.sha256))
            if new is None:
                checks.append(Check(f"{change.subject} re-parsed into a new batch", False, "no such batch"))
                continue
            parsed = new.accepted + new.rejected + new.on_hold
            checks += [
                Check(f"{change.subject} re-parsed into batch {new.id}", True),
                Check(f"batch {new.id} quarantined {change.expect_quarantined} row(s)",
                      new.quarantined == change.expect_quarantined, f"{new.quarantined} quarantined"),
                Check(f"batch {new.id} parsed {change.expect_received - change.expect_quarantined} row(s)",
                      parsed == change.expect_received - change.expect_quarantined and
                      new.received == change.expect_received,
                      f"{new.accepted} accepted, {new.rejected} rejected, {new.on_hold} on hold "
                      f"of {new.received}"),
            ]
        return checks

    def safe_state(self, ctx: Context, plan: Plan) -> list[Change]:
        held: list[Change] = []
        for change in plan.changes:
            assert isinstance(change, ReparseBatch)
            new = ctx.session.scalar(select(Batch).where(Batch.sha256 == change.sha256))
            if new is None:
                continue
            held += [InvoiceStatus(invoice=i.id, number=i.invoice_number, before=i.status, after=Status.ON_HOLD,
                                   reason=f"held for review: the re-parse of batch {change.batch} did not verify")
                     for i in ctx.session.scalars(select(Invoice).where(
                         Invoice.batch_id == new.id, Invoice.status.in_(HOLDABLE)).order_by(Invoice.id))]
        return held


def _row_words(row: dict[str, Any]) -> str:
    if row["verdict"] == Outcome.QUARANTINED:
        return f"  line {row['line']}: stays quarantined: {row['reason']}"
    rules = f" ({', '.join(row['rules'])})" if row["rules"] else ""
    return (f"  line {row['line']}: {row['invoice_number']} {row['vendor_name'] or row['vendor_id']} "
            f"{row['total_amount']} {row['currency']}: {row['verdict']}{rules}")
