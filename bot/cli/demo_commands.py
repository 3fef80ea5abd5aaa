"""`payops demo-data DIR` and `payops demo`, the main job on the embedded defaults."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, select

from bot.cli.context import AppContext, echo_json, pass_app
from models import Invoice, Proposal
from payables.clock import fixed_clock
from payables.demo.feeds import arrival
from payables.demo_data import RATE_SOURCE
from payables.ingest import ingest_file
from payables.reference.loader import load_reference_dir

FEED_SUFFIXES = {".csv", ".jsonl", ".xml"}
DEMO_ONCALL = "demo-oncall"
DASHBOARD_FILE = "dashboard.html"


def register(cli: click.Group) -> None:
    cli.add_command(demo_data)
    cli.add_command(demo)


def _write(directory: Path, today: date, seed: int, invoices: int):  # type: ignore[no-untyped-def]
    from payables.demo_data import write_demo_data

    return write_demo_data(directory, today=today, seed=seed, invoices=invoices)


@click.command("demo-data")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", default=7, show_default=True, help="Same seed, same data.")
@click.option("--invoices", default=6000, show_default=True, help="Invoices across all feeds.")
@pass_app
def demo_data(app: AppContext, directory: Path, seed: int, invoices: int) -> None:
    """Write a realistic synthetic data set: clients, vendors, POs, FX rates and feeds."""
    summary = _write(directory, app.clock().date(), seed, invoices)
    click.echo(f"wrote {directory}: {summary}")


def _ingest(app: AppContext, directory: Path) -> dict[str, Any]:
    if not (directory / "vendors.csv").exists():
        _write(directory, app.clock().date(), 7, 6000)
        from payables.demo.export_change import pick_export, rewrite_as_changed_export

        changed = pick_export(directory / "feeds")
        if changed is not None:  # a client's ERP upgrade changed its export overnight
            rewrite_as_changed_export(changed)
    with app.db.session() as session:
        loaded = load_reference_dir(session, directory, app.clock())
    # Each file arrives on the day its name carries (its clients' ERPs send on business days
    # over five weeks), in that order, so the dashboard sees days, not one enormous today.
    now = app.clock()
    feeds = sorted((arrival(p.name, now), p.name, p) for p in (directory / "feeds").iterdir()
                   if p.suffix.lower() in FEED_SUFFIXES)
    batches = []
    for at, _name, path in feeds:
        with app.db.session() as session:
            batches.append(ingest_file(session, path, clock=fixed_clock(at)))
    with app.db.session() as session:
        by_status = dict(session.execute(select(Invoice.status, func.count()).group_by(Invoice.status)).all())
    totals = {k: sum(getattr(b, k) for b in batches)
              for k in ("received", "accepted", "rejected", "on_hold", "quarantined", "duplicates_skipped")}
    return {"database": app.db.safe_url, "reference_files": len(loaded), "batches": len(batches),
            **totals, "invoices_by_status": {k.lower(): v for k, v in sorted(by_status.items())}}


def _ensure_model(app: AppContext) -> None:
    """Train the classifier on the bundled corpus the first time (a few minutes)."""
    from triage import model_store

    directory = model_store.model_dir()
    try:
        model_store.load(directory)
        return
    except model_store.ModelMissing:
        pass
    except model_store.ModelError as exc:
        click.echo(f"{exc}: retraining", err=True)
    from bot.cli.triage_commands import _embedder
    from triage.corpus import bundled_corpus_files, load_files
    from triage.training import train

    click.echo(f"training the ticket classifier into {directory} (first run only, a few minutes)...", err=True)
    model = train(load_files(bundled_corpus_files()), _embedder(), now=app.clock(),
                  progress=lambda m: click.echo(f"  {m}", err=True))
    model_store.save(model, directory)


@click.command()
@click.option("--dir", "directory", default="demo-data", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Where the demo data goes.")
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="Leave the service running afterwards (Ctrl-C stops it).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object (implies --no-serve).")
@pass_app
def demo(app: AppContext, directory: Path, serve: bool, as_json: bool) -> None:
    """The main job on the embedded defaults: make demo data, ingest every feed, start the
    bot on the local queue, feed it a realistic mix of tickets and show what it does."""
    from bot.cli.bot_commands import build_service, settings_for, ticket_dict
    from bot.cli.playbook_commands import proposal_dict
    from bot.demo_history import seed_history
    from bot.demo_tickets import queue_demo_tickets
    from models import Ticket

    ingested = _ingest(app, directory)
    if not as_json:
        _show_ingestion(ingested)
    _ensure_model(app)
    settings = settings_for(app)
    demo_playbooks: dict[str, Any] = {}
    if not (settings.playbooks.approvers or settings.playbooks.approver_groups):
        # The demo's own on-call engineer, so that a fix can be approved end to end.
        demo_playbooks["approvers"] = [DEMO_ONCALL]
    if settings.playbooks.fx_rate_file is None and (directory / RATE_SOURCE).exists():
        demo_playbooks["fx_rate_file"] = directory / RATE_SOURCE  # the demo's rate publisher
    settings = settings.model_copy(update={"playbooks": settings.playbooks.model_copy(update=demo_playbooks)})
    seed_history(app.db, settings, directory, now=app.clock())  # eight weeks before today, for the dashboard
    service = build_service(app, settings)
    with app.db.session() as session:
        ids = queue_demo_tickets(session, app.clock())
    service.run_once()
    approved = _approve_the_feed_fix(app, service)
    if approved is not None:
        service.run_once()  # applies it, verifies it, tells everyone
    with app.db.session() as session:
        shown = [ticket_dict(session, t) for t in session.scalars(select(Ticket).where(Ticket.id.in_(ids))
                                                                  .order_by(Ticket.id))]
        keys = {i: key for i, key in session.execute(select(Ticket.id, Ticket.external_key).where(Ticket.id.in_(ids)))}
        proposals = [proposal_dict(p, keys.get(p.ticket_id or 0, "-"))
                     for p in session.scalars(select(Proposal).order_by(Proposal.id))]
    snapshot = _dashboard(app, settings, directory)
    if as_json:
        echo_json({**ingested, "tickets": shown, "proposals": proposals,
                   "dashboard": {"file": str(directory / DASHBOARD_FILE),
                                 "callouts": [c.text for c in snapshot.callouts]}})
        return
    from bot.cli.demo_view import show_proposals, show_tickets
    from bot.cli.metrics_view import show_snapshot

    show_tickets(shown)
    show_proposals(proposals, approved_by=DEMO_ONCALL if approved is not None else None)
    show_snapshot(snapshot)
    click.echo(f"the dashboard as one file: {directory / DASHBOARD_FILE}")
    if serve:
        service.serve_forever(on_started=lambda s: click.echo(
            f"\npayops is running: dashboard {s.url}dashboard   on-call page {s.url}   "
            f"metrics {s.url}metrics  (local queue; Ctrl-C stops it)\n"
            f"try: payops ask \"why was INV-... not paid?\" --client C0..   |   payops oncall   |   "
            f"payops report recurrence --since 30d"))


def _dashboard(app: AppContext, settings: Any, directory: Path) -> Any:
    """Roll the metrics up and write the last four weeks' dashboard as one file."""
    from bot.dashboard.render import render_static
    from bot.insights.filters import filters_from
    from bot.insights.rollup import roll_up
    from bot.insights.snapshot import build_snapshot

    roll_up(app.db, app.clock)
    now = app.clock()
    with app.db.session() as session:
        snapshot = build_snapshot(session, filters_from({}, now.date()), now,
                                  handling_minutes=settings.reports.handling_minutes)
    (directory / DASHBOARD_FILE).write_text(render_static(snapshot), encoding="utf-8")
    return snapshot


def _approve_the_feed_fix(app: AppContext, service: Any) -> int | None:
    """The demo's on-call engineer approves the re-parse of the broken feed, if proposed."""
    with app.db.session() as session:
        found = session.scalars(select(Proposal.id).where(Proposal.playbook == "reparse_feed",
                                                          Proposal.state == "proposed")).first()
    if found is None:
        return None
    decision = service.runner.decide(found, DEMO_ONCALL, approve=True)
    return found if decision.ok else None


def _show_ingestion(result: dict[str, Any]) -> None:
    click.echo(f"database {result['database']}: {result['reference_files']} reference files, "
               f"{result['batches']} feed files")
    click.echo("received {received} = accepted {accepted} + rejected {rejected} + on hold {on_hold} "
               "+ quarantined {quarantined} (already ingested: {duplicates_skipped})".format(**result))
    click.echo("invoices by status: " + ", ".join(f"{k} {v}" for k, v in result["invoices_by_status"].items()))
