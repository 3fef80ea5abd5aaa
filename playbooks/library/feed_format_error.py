"""`feed_format_error`: re-parse a rejected feed with the detected dialect and mapping.

A client changed its file (a semicolon for the comma, Windows-1252 for UTF-8, "Invoice No"
for `invoice_number`) and ingestion quarantined the rows. The playbook reads those rows as
received: from the file named by the batch (`Batch.source_name`) when its sha256 is still
the batch's (byte-exact), else from the header line and the raw rows kept with the batch.
`payables.formats.dialect` detects the dialect and rebuilds the rows as a feed the engine
reads; the playbook predicts, with the real reader and rule set, what ingestion will make
of each row. The plan ingests the rebuilt bytes as a new batch through
`payables.ingest.ingest_bytes`; ingestion is idempotent by sha256, so it happens once. A
batch cannot be un-ingested: a failed verification holds the new batch's invoices.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from models import Batch, Invoice, InvoiceEvent, RawRecord
from payables.canonical import Outcome, Status
from payables.formats import read_feed
from payables.formats.dialect import DELIMITERS, Dialect, detect, reassemble, rebuild
from payables.formats.mapping import ClientMapping
from payables.ingest import ingest_bytes
from payables.reference.database import fill_from_client_master, reference_for
from payables.reference.lookup import ExistingInvoice
from payables.rules.base import RuleContext
from playbooks.base import Check, Context, Diagnosis, Plan, Playbook
from playbooks.changes import ApplyContext, Change, ChangeConflict, InvoiceStatus

REPARSE_PREFIX = "reparse of batch "
HOLDABLE = (Status.RECEIVED, Status.PARSED, Status.VALIDATED, Status.SCHEDULED)
OUTCOME_OF = {Status.VALIDATED: Outcome.ACCEPTED, Status.REJECTED: Outcome.REJECTED,
              Status.ON_HOLD: Outcome.ON_HOLD}


@dataclass(frozen=True)
class Received:
    """A batch's quarantined rows as received: `data` holds them after a header line."""

    data: bytes
    lines: set[int] | None  # the lines in `data` the rows start on; None: every row
    note: str = ""  # where they were read from, when not from the received file


def _quarantined(batch_id: int) -> Select[RawRecord]:
    return select(RawRecord).where(RawRecord.batch_id == batch_id, RawRecord.outcome == Outcome.QUARANTINED)


def received(session: Session, batch: Batch) -> Received:
    """The received file when it is unchanged, else the batch's header line and quarantined
    raw rows; ChangeConflict when neither is there."""
    path = Path(batch.source_name)
    if path.is_file():
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() == batch.sha256:
            lines: set[int] = set()
            for raw in session.scalars(_quarantined(batch.id)):
                lines.update(range(raw.line_no, raw.line_no + max(1, len(raw.raw.splitlines()))))
            return Received(data, lines)
        why = f"the file {batch.source_name} has changed since batch {batch.id} was ingested"
    else:
        why = f"the received file {batch.source_name} is no longer there"
    if batch.header is None:
        raise ChangeConflict(f"{why}, and batch {batch.id} keeps no header line: its rows cannot be read again")
    raws = [r.raw for r in session.scalars(_quarantined(batch.id).order_by(RawRecord.line_no, RawRecord.id))]
    return Received(reassemble(batch.header, raws), None,
                    f"{why}: read from its header line and the {len(raws)} quarantined row(s) kept with it")


def rebuilt_name(batch: Batch) -> str:
    return f"batch-{batch.id}-{Path(batch.source_name).stem}-reparsed.csv"


def predict(ctx: Context, data: bytes, name: str, mapping: ClientMapping | None) -> list[dict[str, Any]]:
    """What ingestion would make of each row of `data`, as ingest_bytes judges it (nothing written)."""
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
        rows = received(run.session, batch)
        data, mapping = rebuild(rows.data, self.dialect(), rows.lines)
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise ChangeConflict(f"batch {self.batch}'s quarantined rows rebuild differently than when the plan "
                                 "was made")
        ingest_bytes(run.session, f"{REPARSE_PREFIX}{batch.id} ({batch.source_name}), proposal {run.proposal_id}",
                     data, mapping=mapping, ruleset=run.ruleset, clock=run.clock)

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
        if client in {c.strip().strip('"') for c in re.split(f"[{''.join(DELIMITERS)}]", raw)}:
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
            source = received(ctx.session, batch)
        except ChangeConflict as exc:
            return Diagnosis(f"{about}: cannot re-read it", [*evidence, str(exc)], applicable=False)
        found = detect(source.data, source.lines)
        dialect, notes = found.dialect, list(found.notes)
        evidence += [n for n in (source.note, *notes, found.problem) if n]
        if dialect is None:
            return Diagnosis(f"{about}: no dialect reads it as canonical feed v1", evidence, applicable=False)
        if found.canonical:
            return Diagnosis(f"{about}: the file follows canonical feed v1; its rows were quarantined for their "
                             "content, not the format", evidence, applicable=False)
        try:
            rebuilt, mapping = rebuild(source.data, dialect, source.lines)
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
                 "dialect": {**asdict(dialect), "columns": list(dialect.columns), "header": list(dialect.header)}}
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
