"""`payops run`, `payops ask`, `payops oncall`, `payops ticket show|resolve`: the bot."""

from __future__ import annotations

import logging
from typing import Any

import click
from sqlalchemy import select

from bot.cli.context import AppContext, echo_json, pass_app
from bot.cli.triage_commands import ticket
from bot.config import ConfigError, Settings, load_settings
from models import Ticket, TicketEvent, TicketLink, TicketMessage

log = logging.getLogger(__name__)


def register(cli: click.Group) -> None:
    cli.add_command(run)
    cli.add_command(ask)
    cli.add_command(oncall)
    ticket.add_command(ticket_show)
    ticket.add_command(ticket_resolve)


def settings_for(app: AppContext) -> Settings:
    try:
        overrides: dict[str, Any] = {"database_url": app.database_url} if app.database_url else {}
        return load_settings(**overrides)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def build_service(app: AppContext, settings: Settings):  # type: ignore[no-untyped-def]
    from bot.service import ModelNotReady, Service

    try:
        return Service(settings, db=app.db, clock=app.clock)
    except ModelNotReady as exc:
        raise click.ClickException(str(exc)) from None


@click.command()
@click.option("--once", is_flag=True, help="Process every pending ticket, deliver every answer, and exit.")
@click.option("--json", "as_json", is_flag=True, help="With --once: one JSON object.")
@pass_app
def run(app: AppContext, once: bool, as_json: bool) -> None:
    """Run the bot: local queue, Jira and Slack as configured, scheduler and web server.

    Configuration: environment variables and payops.toml (see README). Stops cleanly on
    SIGTERM: the ticket in hand finishes, the others are released for the next start.
    """
    settings = settings_for(app)
    service = build_service(app, settings)
    if once:
        summary = service.run_once()
        if as_json:
            echo_json(summary.__dict__)
        else:
            click.echo(f"polled {summary.polled}, alarms cut {summary.alarms}, processed {summary.processed}, "
                       f"playbook proposals applied or expired {summary.applied}, "
                       f"delivered {summary.delivered}")
        return
    parts = ["local queue"] + (["Slack"] if service.slack else []) + (["Jira"] if service.jira_poller else [])
    service.serve_forever(on_started=lambda s: click.echo(
        f"payops running on {app.db.safe_url}: {', '.join(parts)}; web {s.url} (SIGTERM or Ctrl-C stops it)",
        err=True))


@click.command()
@click.argument("question")
@click.option("--client", "client_id", help="Ask as a user of this client (sees only its invoices).")
@click.option("--as", "user", help="Ask as this local user (access.local_users in payops.toml).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: answer, labels, invoices.")
@pass_app
def ask(app: AppContext, question: str, client_id: str | None, user: str | None, as_json: bool) -> None:
    """Ask the bot about an invoice, as a Slack question from a user of CLIENT would."""
    from triage.service import create_ticket

    if bool(client_id) == bool(user):
        raise click.UsageError("give exactly one of --client or --as")
    settings = settings_for(app)
    service = build_service(app, settings)
    now = app.clock()
    with app.db.session() as session:
        asked = create_ticket(session, title=question[:120], body=question, now=now, source="local",
                              reporter=f"client:{client_id}" if client_id else str(user))
        asked.origin, asked.channel = "ask", "cli"
        service.triager.index_stored(session)
        outcome = service.pipeline.process(session, asked)
        result = outcome.as_dict()
    service.deliver()
    if as_json:
        echo_json(result)
        return
    click.echo(result["answer"])


@click.command()
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="A JSON list.")
@pass_app
def oncall(app: AppContext, limit: int, as_json: bool) -> None:
    """On-call's queue: open tickets, most at stake first (2-hour clock, money, age)."""
    from bot.stake import ranked
    from bot.web import OPEN_STATES

    with app.db.session() as session:
        rows: list[dict[str, Any]] = [{"key": t.external_key, "state": t.state, "title": t.title,
                 "category": ((t.predicted or {}).get("category") or {}).get("label"),
                 "root_cause": ((t.predicted or {}).get("root_cause") or {}).get("label"),
                 "deadline": t.deadline, "immediate_invoices": t.immediate_invoices,
                 "at_stake_usd": t.at_stake_usd} for t in ranked(session, OPEN_STATES, limit)]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        deadline = f"{r['deadline']:%m-%d %H:%M}Z" if r["deadline"] else "-"
        click.echo(f"{r['key']:<14} {r['state']:<12} {deadline:<12} USD {r['at_stake_usd'] or 0:>12} "
                   f"{r['category'] or '':<13} {r['title'][:70]}")


def ticket_dict(session: Any, t: Ticket) -> dict[str, Any]:
    messages = session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == t.id).order_by(TicketMessage.id))
    events = session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id).order_by(TicketEvent.id))
    links = session.execute(select(Ticket.external_key, TicketLink.reason).join(Ticket, Ticket.id == TicketLink.other_id)
                            .where(TicketLink.ticket_id == t.id).order_by(TicketLink.id)).all()
    parent = session.get(Ticket, t.parent_id) if t.parent_id else None
    return {
        "ticket": t.id, "key": t.external_key, "source": t.source, "origin": t.origin, "title": t.title,
        "body": t.body, "reporter": t.reporter, "state": t.state, "revision": t.revision,
        "created_at": t.created_at, "updated_at": t.updated_at,
        "labels": t.predicted or {}, "model_version": t.model_version,
        "confirmed": {"cut": t.confirmed_cut, "category": t.confirmed_category, "root_cause": t.confirmed_root_cause,
                      "by": t.confirmed_by},
        "entities": t.entities or {},
        "stake": {"deadline": t.deadline, "immediate_invoices": t.immediate_invoices, "at_stake_usd": t.at_stake_usd},
        "parent": parent.external_key if parent else None,
        "links": [{"ticket": key, "reason": reason} for key, reason in links],
        "messages": [{"kind": m.kind, "destination": m.destination, "status": m.status, "text": m.text,
                      "created_at": m.created_at, "sent_at": m.sent_at, "error": m.error or None} for m in messages],
        "events": [{"at": e.at, "from": e.from_state, "to": e.to_state, "reason": e.reason, "actor": e.actor}
                   for e in events],
        "last_error": t.last_error or None,
    }


@click.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@pass_app
def ticket_show(app: AppContext, ref: str, as_json: bool) -> None:
    """A ticket's labels, entities, state, links, and everything the bot wrote about it."""
    from triage.service import TicketNotFound, find_ticket

    with app.db.session() as session:
        try:
            found = find_ticket(session, ref)
        except TicketNotFound as exc:
            raise click.ClickException(str(exc)) from None
        out = ticket_dict(session, found)
    if as_json:
        echo_json(out)
        return
    labels = ", ".join(f"{h} {p.get('label')}" for h, p in out["labels"].items())
    click.echo(f"{out['key']} [{out['state']}] {out['title']}\n  labels: {labels or 'not triaged'}")
    if out["parent"]:
        click.echo(f"  under: {out['parent']}")
    for link in out["links"]:
        click.echo(f"  linked: {link['ticket']} ({link['reason']})")
    for m in out["messages"]:
        click.echo(f"--- {m['kind']} to {m['destination']} ({m['status']})\n{m['text']}")


@click.command("resolve")
@click.argument("ref")
@click.option("--note", default="", help="What was done (sent to everyone whose ticket hangs under it).")
@click.option("--as", "actor", required=True, help="Who resolved it.")
@pass_app
def ticket_resolve(app: AppContext, ref: str, note: str, actor: str) -> None:
    """Resolve a ticket; the tickets under it are answered again from the engine."""
    from triage.service import TicketNotFound, find_ticket

    settings = settings_for(app)
    service = build_service(app, settings)
    with app.db.session() as session:
        try:
            found = find_ticket(session, ref)
        except TicketNotFound as exc:
            raise click.ClickException(str(exc)) from None
        followed = service.pipeline.resolve(session, found, by=actor, note=note)
        keys = [t.external_key for t in followed]
    delivered = service.deliver()
    click.echo(f"{ref} resolved; followed up {len(keys)} ticket(s){': ' + ', '.join(keys) if keys else ''}; "
               f"{delivered} message(s) delivered")
