"""`payops report recurrence` and `payops metrics rollup|show`: what managers read."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.context import AppContext, echo_json, pass_app
from bot.config import SlackSettings
from bot.insights.filters import FilterError, Filters, filters_from, parse_since
from bot.insights.report_render import FORMATS, render
from bot.insights.rollup import roll_up

if TYPE_CHECKING:  # the report module loads scikit-learn: only when a report is made
    from bot.insights.recurrence_report import RecurrenceReport


def register(cli: click.Group) -> None:
    cli.add_command(report)
    cli.add_command(metrics)


def _filters(since: str, client: str | None, business_line: str | None, today: date) -> Filters:
    try:
        start = parse_since(since, today)
        return filters_from({"from": start.isoformat(), "to": today.isoformat(), "client": client or "",
                             "business_line": business_line or ""}, today)
    except FilterError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group()
def report() -> None:
    """Reports for managers."""


@report.command("recurrence")
@click.option("--since", default="30d", show_default=True, help="The window: days or weeks, e.g. 30d, 8w.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="md", show_default=True)
@click.option("--client", default=None, help="Only this client's tickets (e.g. C017).")
@click.option("--business-line", default=None, help="Only this business line's tickets.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of standard output.")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the report's chart as a PNG.")
@click.option("--post", "post_to", default=None, metavar="CHANNEL",
              help="Post it with its chart to this Slack channel (needs PAYOPS_SLACK__BOT_TOKEN).")
@pass_app
def recurrence(app: AppContext, since: str, fmt: str, client: str | None, business_line: str | None,
               output: Path | None, chart: Path | None, post_to: str | None) -> None:
    """What keeps coming back, what it costs, and what to automate next.

    Brings the metrics up to date first, then groups the window's tickets by root cause
    and clusters the unknown ones into recurring problems."""
    from bot.cli.bot_commands import settings_for
    from bot.insights.recurrence_report import recurrence_report

    now = app.clock()
    f = _filters(since, client, business_line, now.date())
    settings = settings_for(app)
    roll_up(app.db, app.clock)
    minutes = settings.reports.handling_minutes
    with app.db.session() as session:
        result = recurrence_report(session, f, now, handling_minutes=minutes)
    text = render(result, fmt)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)
    if chart is not None:
        from bot.insights.report_chart import recurrence_png

        chart.write_bytes(recurrence_png(result))
        click.echo(f"wrote {chart}", err=True)
    if post_to:
        _post(settings.slack, post_to, result)


def _post(slack: SlackSettings, channel: str, result: RecurrenceReport) -> None:
    from slack_sdk import WebClient

    from bot.report_post import post_recurrence

    if slack.bot_token is None:
        raise click.UsageError("--post needs a Slack bot token (PAYOPS_SLACK__BOT_TOKEN)")
    client = WebClient(token=slack.bot_token.get_secret_value(), base_url=slack.api_url)
    file_id = post_recurrence(client, channel, result)
    click.echo(f"posted to {channel} (file {file_id})", err=True)


@click.group()
def metrics() -> None:
    """The metrics roll-up behind the dashboard and /metrics."""


@metrics.command("rollup")
@click.option("--from", "since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Recompute every day from this one (default: since the last run).")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def rollup(app: AppContext, since: object, as_json: bool) -> None:
    """Bring the metrics tables up to date (the service does this every few minutes)."""
    first = since.date() if hasattr(since, "date") else None  # click gives a datetime
    summary = roll_up(app.db, app.clock, since=first)
    if as_json:
        echo_json(summary.__dict__)
    else:
        click.echo(str(summary))


@metrics.command("show")
@click.option("--since", default="28d", show_default=True, help="The window: days or weeks, e.g. 28d, 8w.")
@click.option("--client", default=None)
@click.option("--business-line", default=None)
@pass_app
def show(app: AppContext, since: str, client: str | None, business_line: str | None) -> None:
    """The dashboard's headline figures and call-outs, in the terminal."""
    from bot.cli.metrics_view import show_snapshot
    from bot.insights.snapshot import build_snapshot

    now = app.clock()
    f = _filters(since, client, business_line, now.date())
    roll_up(app.db, app.clock)
    with app.db.session() as session:
        snapshot = build_snapshot(session, f, now, recurrence=False)
    show_snapshot(snapshot)
