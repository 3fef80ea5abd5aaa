"""The top-level command group; each area of commands lives in its own module."""

from __future__ import annotations

import logging
import sys

import click

from bot.cli import (
    bot_commands,
    demo_commands,
    engine_commands,
    playbook_commands,
    reference_commands,
    report_commands,
    triage_commands,
)
from bot.cli.context import AppContext
from models import DatabaseError
from payables.errors import PayablesError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--database-url",
    envvar="PAYOPS_DATABASE_URL",
    default=None,
    help="SQLAlchemy URL of the database (default sqlite:///payops.db; env PAYOPS_DATABASE_URL).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log what is happening on stderr.")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None, verbose: bool) -> None:
    """payops: ingest and validate payables, and answer for them."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.obj = AppContext(database_url)


for module in (engine_commands, reference_commands, demo_commands, triage_commands, bot_commands,
               playbook_commands, report_commands):
    module.register(cli)


def main() -> None:
    """Entry point: expected failures become a one-line error and exit code 2."""
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (PayablesError, DatabaseError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
