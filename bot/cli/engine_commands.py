"""Commands over the engine: db, ingest, validate, explain, invoices, rules."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import and_, exists, or_, select

from bot.cli.context import AppContext, echo_json, pass_app
from models import Finding, Invoice
from payables.answers import revalidation_dict, summary
from payables.dry_run import validate_files
from payables.ingest import BatchSummary, ingest_file
from payables.revalidate import find_invoice, latest_findings, revalidate
from payables.rules.codes import amount_text
from payables.rules.registry import default_ruleset

EXISTING_FILES = click.Path(exists=True, dir_okay=False, path_type=Path)
LIFECYCLE = ["received", "parsed", "validated", "scheduled", "paid", "rejected", "on_hold"]


def _feed_options(func):  # type: ignore[no-untyped-def]
    func = click.option(
        "--mapping",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Client mapping file (TOML) for a CSV layout other than canonical feed v1.",
    )(func)
    func = click.option("--client", "client_id", help="UBL documents: the client they belong to.")(func)
    func = click.option("--business-line", help="UBL documents: the business line (else the client's).")(func)
    return click.option("--payment-terms", help="UBL documents: the terms (else from the due date).")(func)


def _defaults(client_id: str | None, business_line: str | None, payment_terms: str | None) -> dict[str, str]:
    given = {"client_id": client_id, "business_line": business_line, "payment_terms": payment_terms}
    return {k: v.upper() if k != "client_id" else v for k, v in given.items() if v}


def _load_mapping(path: Path | None):  # type: ignore[no-untyped-def]
    if path is None:
        return None
    from payables.formats.mapping import load_mapping

    return load_mapping(path)


def register(cli: click.Group) -> None:
    for command in (db, ingest, validate, explain, redrive, invoices, rules):
        cli.add_command(command)


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_app
def db_upgrade(app: AppContext) -> None:
    """Apply every pending schema migration."""
    from models import Database

    database = Database(app.database_url, upgrade=False)
    revision = database.upgrade()
    click.echo(f"{database.safe_url} is at schema revision {revision}")


def _describe(s: BatchSummary) -> str:
    if s.already_ingested:
        return (f"{s.file}: already ingested as batch {s.batch_id}; nothing changed "
                f"({s.duplicates_skipped} rows skipped)")
    return (f"{s.file}: batch {s.batch_id} ({s.format}) received {s.received} = accepted {s.accepted} "
            f"+ rejected {s.rejected} + on hold {s.on_hold} + quarantined {s.quarantined}")


@click.command()
@click.argument("files", nargs=-1, required=True, type=EXISTING_FILES)
@_feed_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object (a list for several files).")
@pass_app
def ingest(app: AppContext, files: tuple[Path, ...], mapping: Path | None, client_id: str | None,
           business_line: str | None, payment_terms: str | None, as_json: bool) -> None:
    """Ingest feed files (CSV, JSON Lines, UBL XML); each file is one batch, committed whole."""
    client_mapping = _load_mapping(mapping)
    summaries = []
    for path in files:
        with app.db.session() as session:
            summaries.append(ingest_file(session, path, mapping=client_mapping, clock=app.clock,
                                         defaults=_defaults(client_id, business_line, payment_terms)))
    if as_json:
        dicts = [s.as_dict() for s in summaries]
        echo_json(dicts[0] if len(dicts) == 1 else dicts)
        return
    for s in summaries:
        click.echo(_describe(s))


@click.command()
@click.argument("files", nargs=-1, required=True, type=EXISTING_FILES)
@_feed_options
@click.option("--json", "as_json", is_flag=True, help="A JSON list: one object per invoice.")
@pass_app
@click.pass_context
def validate(ctx: click.Context, app: AppContext, files: tuple[Path, ...], mapping: Path | None,
             client_id: str | None, business_line: str | None, payment_terms: str | None,
             as_json: bool) -> None:
    """Validate files without storing them. Exit code 1 when any record is rejected or quarantined."""
    ruleset = default_ruleset()
    with app.db.engine.connect() as conn:
        verdicts = validate_files(conn, files, mapping=_load_mapping(mapping), ruleset=ruleset,
                                  clock=app.clock, defaults=_defaults(client_id, business_line, payment_terms))
    if as_json:
        echo_json([v.as_dict(ruleset) for v in verdicts])
    else:
        for v in verdicts:
            name = v.invoice_number or f"line {v.line_no}"
            click.echo(f"{v.file}: {name}: {v.status}" + (f" ({v.error})" if v.error else ""))
            for f in v.findings:
                click.echo(f"  {f.rule} [{f.severity}] {f.message}")
        skipped = sorted({r for v in verdicts for r in v.skipped})
        if skipped:
            click.echo(f"skipped (reference data not loaded): {', '.join(skipped)}")
    if any(v.status in ("rejected", "quarantined") for v in verdicts):
        ctx.exit(1)


@click.command()
@click.argument("invoice_number")
@click.option("--client", "client_id", help="Client id, when several clients use the number.")
@click.option("--vendor", "vendor_id", help="Vendor id, when several vendors use the number.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@pass_app
def explain(app: AppContext, invoice_number: str, client_id: str | None, vendor_id: str | None,
            as_json: bool) -> None:
    """Re-run the engine on a stored invoice: status, findings, expected payment date."""
    with app.db.session() as session:
        invoice = find_invoice(session, invoice_number, client_id=client_id, vendor_id=vendor_id)
        result = revalidate(session, invoice, clock=app.clock)
        output = revalidation_dict(result) if as_json else summary(result)
    echo_json(output) if as_json else click.echo(output)


@click.command()
@click.argument("invoice_number")
@click.option("--client", "client_id", help="Client id, when several clients use the number.")
@click.option("--vendor", "vendor_id", help="Vendor id, when several vendors use the number.")
@click.option("--as", "actor", required=True, help="Who re-drives it (recorded in the invoice's history).")
@pass_app
def redrive(app: AppContext, invoice_number: str, client_id: str | None, vendor_id: str | None, actor: str) -> None:
    """Judge a rejected or held invoice again and move it to today's verdict."""
    from payables.revalidate import redrive as redrive_invoice

    with app.db.session() as session:
        invoice = find_invoice(session, invoice_number, client_id=client_id, vendor_id=vendor_id)
        before = invoice.status
        result = revalidate(session, invoice, clock=app.clock)
        moved = redrive_invoice(session, result, actor=actor, clock=app.clock)
        click.echo(f"{invoice_number}: {before.lower()} -> {invoice.status.lower()}" if moved
                   else f"{invoice_number}: stays {invoice.status.lower()}\n{summary(result)}")


@click.command()
@click.option("--status", type=click.Choice(LIFECYCLE, case_sensitive=False), help="Lifecycle status.")
@click.option("--client", "client_id", help="Client id.")
@click.option("--rule", "rule_id", help="Only invoices whose latest validation names this rule.")
@click.option("--limit", default=1000, show_default=True, help="At most this many invoices.")
@click.option("--json", "as_json", is_flag=True, help="A JSON list.")
@pass_app
def invoices(app: AppContext, status: str | None, client_id: str | None, rule_id: str | None,
             limit: int, as_json: bool) -> None:
    """List stored invoices with their status and latest findings."""
    query = select(Invoice).order_by(Invoice.id).limit(limit)
    if status:
        query = query.where(Invoice.status == status.upper())
    if client_id:
        query = query.where(Invoice.client_id == client_id)
    if rule_id:
        latest = or_(
            Finding.validation_id == Invoice.last_validation_id,
            and_(Invoice.last_validation_id.is_(None), Finding.raw_record_id == Invoice.raw_record_id),
        )
        query = query.where(exists().where(latest, Finding.rule == rule_id.upper()))
    with app.db.session() as session:
        found = list(session.scalars(query))
        findings = latest_findings(session, found)
        rows = [{"invoice_number": i.invoice_number, "client_id": i.client_id, "vendor_id": i.vendor_id,
                 "status": i.status.lower(),
                 "total_amount": None if i.total_amount is None else amount_text(i.total_amount, i.currency),
                 "currency": i.currency,
                 "findings": [f.as_dict() for f in findings[i.id]]}
                for i in found]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        rules_named = ",".join(sorted({f["rule"] for f in r["findings"]}))  # type: ignore[union-attr,index]
        click.echo(f"{r['client_id']}\t{r['vendor_id']}\t{r['invoice_number']}\t{r['status']}\t{rules_named}")


@click.command()
@click.option("--geography", help="ISO 3166 alpha-2 country code, e.g. DE.")
@click.option("--business-line", help="RETAIL, DIGITAL, LOGISTICS, CLOUD or CORPORATE.")
@click.option("--json", "as_json", is_flag=True, help="A JSON list.")
def rules(geography: str | None, business_line: str | None, as_json: bool) -> None:
    """List the rules in force, optionally for one geography and business line."""
    ruleset = default_ruleset()
    found = ruleset.in_scope(geography.upper() if geography else None,
                             business_line.upper() if business_line else None)
    rows = [{"id": r.id, "severity": str(r.severity), "applies_to": r.applies_to(), "source": r.source,
             "title": r.title, "needs": sorted(str(n) for n in r.needs)} for r in found]
    if as_json:
        echo_json(rows)
        return
    click.echo(f"rules version {ruleset.version}")
    for r in rows:
        click.echo(f"{r['id']:<22} {r['severity']:<8} {r['source']:<8} {r['title']}  [{r['applies_to']}]")
