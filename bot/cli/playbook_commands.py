"""`payops playbook ...` and `payops audit`: remediation from the terminal.

The same runner, policy and audit log as the Slack buttons: `plan` records a proposal
(shown to on-call like any other), `apply --as` approves it as that person (refused with
the reason when the policy says no) and applies it, `resume` finishes what a crash cut
short, `shadow` compares shadow-mode records with what people did.
"""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import select

from bot import proposal_view
from bot.cli.bot_commands import settings_for
from bot.cli.context import AppContext, echo_json, pass_app
from bot.remediation import build_runner
from models import Proposal, Ticket
from playbooks import audit
from playbooks.runner import Runner
from playbooks.shadow import compare_due, shadow_report
from triage.service import TicketNotFound, find_ticket


def register(cli: click.Group) -> None:
    for command in (playbook_list, playbook_plan, playbook_show, playbook_apply, playbook_reject, playbook_resume,
                    playbook_shadow):
        playbook.add_command(command)
    cli.add_command(playbook)
    cli.add_command(audit_command)


@click.group()
def playbook() -> None:
    """Remediation playbooks: plan, approve and apply fixes for known root causes."""


def _runner(app: AppContext) -> Runner:
    return build_runner(app.db, settings_for(app), app.clock)


def proposal_dict(p: Proposal, ticket_key: str) -> dict[str, Any]:
    return {"id": p.id, "ticket": ticket_key, "playbook": p.playbook, "version": p.playbook_version,
            "mode": p.mode, "state": p.state, "risk": p.risk, "moves_money": p.moves_money,
            "changes_bank_data": p.changes_bank_data, "summary": p.summary, "diagnosis": p.diagnosis,
            "diff": p.plan.get("diff"), "blast": p.plan.get("blast"), "risk_reasons": p.plan.get("risk_reasons"),
            "dry_run": p.plan.get("dry_run"), "requested_by": p.requested_by, "created_at": p.created_at,
            "expires_at": p.expires_at, "decided_by": p.decided_by, "decided_at": p.decided_at,
            "decision_note": p.decision_note, "steps_done": p.steps_done, "outcome": p.outcome,
            "agreement": p.agreement}


def _show(app: AppContext, proposal_id: int, as_json: bool) -> None:
    with app.db.session() as session:
        p = session.get(Proposal, proposal_id)
        if p is None:
            raise click.ClickException(f"no proposal {proposal_id}")
        ticket = session.get(Ticket, p.ticket_id) if p.ticket_id else None
        key = ticket.external_key if ticket else "-"
        if as_json:
            echo_json(proposal_dict(p, key))
        else:
            click.echo(proposal_view.text(p, key))


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON list.")
@pass_app
def playbook_list(app: AppContext, as_json: bool) -> None:
    """Every playbook: the root cause it handles, its mode, and its measured agreement."""
    runner = _runner(app)
    rows = []
    with app.db.session() as session:
        for pb in runner.registry.all():
            track = runner.track(session, pb.name)
            limit = runner.policy.auto_apply.get(pb.name, runner.policy.auto_apply.get("*"))
            rows.append({"name": pb.name, "root_cause": pb.root_cause, "title": pb.title, "version": pb.version,
                         "mode": runner.policy.mode(pb.name), "auto_apply_up_to": limit,
                         "measured": track.samples, "agreed": track.agreed})
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        agreement = f"{r['agreed']}/{r['measured']} agree" if r["measured"] else "not yet measured"
        click.echo(f"{r['name']:<28} {r['root_cause']:<24} {r['mode']:<8} {agreement:<18} {r['title']}")


@click.command("plan")
@click.argument("ticket_ref")
@click.option("--as", "user", default=None, help="Who asks for the fix (cannot approve it).")
@click.option("--root-cause", default=None, help="Use this root cause instead of the ticket's.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@pass_app
def playbook_plan(app: AppContext, ticket_ref: str, user: str | None, root_cause: str | None, as_json: bool) -> None:
    """Diagnose TICKET and record its playbook's proposal (diff, blast radius, dry run)."""
    runner = _runner(app)
    known = sorted(pb.root_cause for pb in runner.registry.all())
    if root_cause is not None and root_cause not in known:
        raise click.ClickException(f"--root-cause {root_cause!r} is not a root cause of the taxonomy: "
                                   f"{', '.join(known)}")
    with app.db.session() as session:
        try:
            ticket = find_ticket(session, ticket_ref)
        except TicketNotFound as exc:
            raise click.ClickException(str(exc)) from None
        proposal = runner.propose(session, ticket, requested_by=user, root_cause=root_cause)
        assert proposal is not None  # with the hand-off, there is always one
        proposal_id = proposal.id
    _show(app, proposal_id, as_json)


@click.command("show")
@click.argument("proposal_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@pass_app
def playbook_show(app: AppContext, proposal_id: int, as_json: bool) -> None:
    """One proposal as it stands."""
    _show(app, proposal_id, as_json)


@click.command("apply")
@click.argument("proposal_id", type=int)
@click.option("--as", "user", required=True, help="Who approves (must be an approver; not the requester).")
@click.option("--group", "groups", multiple=True, help="An approver group USER belongs to.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@pass_app
def playbook_apply(app: AppContext, proposal_id: int, user: str, groups: tuple[str, ...], as_json: bool) -> None:
    """Approve PROPOSAL as USER, apply it, verify it."""
    runner = _runner(app)
    with app.db.session() as session:
        p = session.get(Proposal, proposal_id)
        state = p.state if p is not None else None
    if state == "proposed":
        decision = runner.decide(proposal_id, user, approve=True, groups=groups)
        if not decision.ok:
            raise click.ClickException(decision.message)
    elif state not in ("approved", "applying"):
        decision = runner.decide(proposal_id, user, approve=True, groups=groups)
        raise click.ClickException(decision.message)
    runner.apply(proposal_id)
    _show(app, proposal_id, as_json)


@click.command("reject")
@click.argument("proposal_id", type=int)
@click.option("--as", "user", required=True, help="Who rejects.")
@click.option("--reason", default="", help="Why (kept in the audit log).")
@pass_app
def playbook_reject(app: AppContext, proposal_id: int, user: str, reason: str) -> None:
    """Reject PROPOSAL as USER."""
    decision = _runner(app).decide(proposal_id, user, approve=False, note=reason)
    if not decision.ok:
        raise click.ClickException(decision.message)
    click.echo(decision.message)


@click.command("resume")
@pass_app
def playbook_resume(app: AppContext) -> None:
    """Expire unanswered proposals, apply approved ones, finish applies a crash cut short."""
    done = _runner(app).run_due()
    click.echo(f"{done} proposal(s) expired, applied or resumed")


@click.command("shadow")
@click.option("--json", "as_json", is_flag=True, help="A JSON list.")
@pass_app
def playbook_shadow(app: AppContext, as_json: bool) -> None:
    """Shadow-mode records compared with what people did, and what each playbook has earned."""
    runner = _runner(app)
    with app.db.session() as session:
        compare_due(session, now=app.clock())
        rows = shadow_report(session, runner.policy, [pb.name for pb in runner.registry.all()])
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(f"{r['playbook']:<28} shadow {r['shadow']:>3} (agree {r['shadow_agree']:>3}) · decided "
                   f"{r['decided']:>3} (agree {r['decided_agree']:>3}) · {r['recommendation']}")


@click.command("audit")
@click.option("--ticket", "ticket_ref", default=None, help="Only this ticket's entries.")
@click.option("--proposal", "proposal_id", type=int, default=None, help="Only this proposal's entries.")
@click.option("--json", "as_json", is_flag=True, help="A JSON list.")
@pass_app
def audit_command(app: AppContext, ticket_ref: str | None, proposal_id: int | None, as_json: bool) -> None:
    """The audit log: who did what, when, with the values before and after."""
    with app.db.session() as session:
        ticket_id = None
        if ticket_ref is not None:
            try:
                ticket_id = find_ticket(session, ticket_ref).id
            except TicketNotFound as exc:
                raise click.ClickException(str(exc)) from None
        rows = [audit.entry_dict(e) for e in audit.entries(session, ticket_id=ticket_id, proposal_id=proposal_id)]
        named = sorted({r["ticket"] for r in rows if r["ticket"] is not None})
        keys = {i: key for i, key in session.execute(select(Ticket.id, Ticket.external_key).where(Ticket.id.in_(named)))}
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        ticket = keys.get(r["ticket"], "-")
        change = f" {r['before']} → {r['after']}" if r["before"] is not None or r["after"] is not None else ""
        detail = f" — {r['detail']}" if r["detail"] else ""
        click.echo(f"{r['at']} {ticket} #{r['proposal'] or '-'} {r['actor']}: {r['action']} {r['subject']}"
                   f"{change}{detail}"[:600])
