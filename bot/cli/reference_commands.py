"""`payops reference load DIR`."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from bot.cli.context import AppContext, echo_json, pass_app
from payables.reference.loader import load_reference_dir


def register(cli: click.Group) -> None:
    cli.add_command(reference)


@click.group()
def reference() -> None:
    """Reference data: vendor master, purchase orders, FX rates, clients."""


@reference.command("load")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="A JSON list, one object per file.")
@pass_app
def load(app: AppContext, directory: Path, as_json: bool) -> None:
    """Load vendors.csv, purchase_orders.csv, fx_rates.csv (and clients.csv) from DIRECTORY.

    Each file is loaded whole or not at all; problems are reported with file, line and column.
    """
    with app.db.session() as session:
        results = load_reference_dir(session, directory, app.clock())
    if as_json:
        echo_json([asdict(r) for r in results])
        return
    for r in results:
        if r.unchanged_file:
            click.echo(f"{r.file}: unchanged since reference version {r.version}")
        else:
            click.echo(f"{r.file}: {r.rows} rows, {r.inserted} new, {r.changed} changed "
                       f"(reference version {r.version})")
