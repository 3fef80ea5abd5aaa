"""`payops demo-data DIR` and `payops demo`, the main job on the embedded defaults."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from sqlalchemy import func, select

from bot.cli.context import AppContext, echo_json, pass_app
from models import Invoice
from payables.ingest import ingest_file
from payables.reference.loader import load_reference_dir

FEED_SUFFIXES = {".csv", ".jsonl", ".xml"}


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


@click.command()
@click.option("--dir", "directory", default="demo-data", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Where the demo data goes.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@pass_app
def demo(app: AppContext, directory: Path, as_json: bool) -> None:
    """Run the main job on the embedded defaults: make demo data, load it, ingest every feed."""
    if not (directory / "vendors.csv").exists():
        _write(directory, app.clock().date(), 7, 6000)
    with app.db.session() as session:
        loaded = load_reference_dir(session, directory, app.clock())
    batches = []
    for path in sorted((directory / "feeds").iterdir()):
        if path.suffix.lower() in FEED_SUFFIXES:
            with app.db.session() as session:
                batches.append(ingest_file(session, path, clock=app.clock))
    with app.db.session() as session:
        by_status = dict(session.execute(select(Invoice.status, func.count()).group_by(Invoice.status)).all())
    totals = {k: sum(getattr(b, k) for b in batches)
              for k in ("received", "accepted", "rejected", "on_hold", "quarantined", "duplicates_skipped")}
    result = {"database": app.db.safe_url, "reference_files": len(loaded), "batches": len(batches),
              **totals, "invoices_by_status": {k.lower(): v for k, v in sorted(by_status.items())}}
    if as_json:
        echo_json(result)
        return
    click.echo(f"database {result['database']}: {len(loaded)} reference files, {len(batches)} feed files")
    click.echo("received {received} = accepted {accepted} + rejected {rejected} + on hold {on_hold} "
               "+ quarantined {quarantined} (already ingested: {duplicates_skipped})".format(**totals))
    click.echo("invoices by status: " + ", ".join(f"{k} {v}" for k, v in result["invoices_by_status"].items()))
    click.echo("next: payops invoices --status rejected   |   payops explain INVOICE_NUMBER")
