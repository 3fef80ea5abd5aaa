"""The ticket pipeline: every source feeds this one function.

new or updated ticket -> classify -> extract entities -> weigh what is at stake -> link
-> route. An inquiry is answered from the engine for the clients its audience may see;
every other ticket gets its labels, similar past tickets, and a triage summary for
on-call. Everything the bot says goes through the outbox under a key made of the ticket
and its revision, so that processing the same revision twice says it once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access import AccessPolicy, Audience
from bot.config import Settings
from bot.inquiry import InquiryAnswer, answer_inquiry
from bot.linking import link_ticket
from bot.replies import customer_reply, jira_writeback, oncall_note
from bot.stake import Stake, apply_stake, stake_of
from bot.states import set_state
from models import Invoice, Ticket, TicketLink
from payables.clock import Clock
from payables.rules.codes import money
from payables.rules.registry import RuleSet, default_ruleset
from playbooks.evidence import causes_for
from playbooks.runner import Runner, changes_data, ticket_root_cause
from triage.service import Prepared, Triager, TriageResult
from triage.similar import Match

log = logging.getLogger(__name__)
MAX_NAMED_INVOICES = 50


@dataclass
class Outcome:
    ticket: Ticket
    route: str  # inquiry or triage
    triage: TriageResult
    audience: Audience | None = None
    inquiry: InquiryAnswer | None = None
    answer: str = ""
    summary: str = ""
    links: list[str] = field(default_factory=list)

    @property
    def labels(self) -> dict[str, Any]:
        return {head: p.as_dict() for head, p in self.triage.labels.items()}

    def as_dict(self) -> dict[str, Any]:
        """What `payops ask --json` prints: only what the audience may see."""
        return {
            "ticket": self.ticket.external_key,
            "state": self.ticket.state,
            "route": self.route,
            # Never the on-call summary: it names similar tickets of other clients.
            "answer": self.answer,
            "labels": self.labels,
            "invoices": self.inquiry.as_dict()["invoices"] if self.inquiry else [],
            "not_visible": self.inquiry.not_visible if self.inquiry else [],
            "suggestions": self.inquiry.as_dict()["suggestions"] if self.inquiry else [],
        }


class Pipeline:
    def __init__(self, triager: Triager, settings: Settings, *, clock: Clock, ruleset: RuleSet | None = None,
                 runner: Runner | None = None) -> None:
        self.runner = runner
        self.triager = triager
        self.settings = settings
        self.policy = AccessPolicy(settings.access)
        self.clock = clock
        self.ruleset = ruleset or default_ruleset()

    def process(self, session: Session, ticket: Ticket, prepared: Prepared | None = None) -> Outcome:
        """Classify, answer or summarise `ticket`; the caller commits. `prepared` is its
        embedding and labels when they were computed with a batch (`Triager.prepare`)."""
        now = self.clock()
        before = ticket.state
        result = self.triager.triage(session, ticket, now=now, prepared=prepared)
        named = self._named_invoices(session, result.entities)
        about = set(result.entities.get("clients") or ()) | {i.client_id for i in named}
        audience = self.policy.for_ticket(ticket.source, ticket.origin, ticket.reporter, ticket.channel)
        if result.labels["cut"].label == "customer":
            about = {c for c in about if audience.may_see(c)}
        ticket.entities = {**result.entities, "link_clients": sorted(about)}
        category = result.labels["category"]
        incident = result.labels["cut"].label == "auto" and category.label == "incident"
        stake = stake_of(session, named, ticket.entities.get("clients") or [], now, incident=incident)
        apply_stake(ticket, stake)
        window = timedelta(hours=self.settings.link_window_hours)
        link_ticket(session, ticket, now=now, window=window)
        links = self._links(session, ticket)
        is_inquiry = ticket.origin == "slash_command" or (
            category.label == "inquiry" and (not category.abstained or bool(result.entities.get("invoices"))))
        covered = self._propose_fix(session, ticket, named)
        if is_inquiry:
            outcome = self._answer(session, ticket, result, audience, now, covered)
        else:
            outcome = self._escalate(session, ticket, result, stake, links, now)
        outcome.links = links
        labels = ["payops", f"payops-{category.label}", f"payops-{result.labels['root_cause'].label}"]
        jira_writeback(session, ticket, labels=labels, now=now,
                       transition=self.settings.jira.transitions.get(ticket.state, ""))
        set_state(session, ticket, ticket.state, now=now, reason=f"pipeline: {outcome.route}", previous=before)
        return outcome

    def resolve(self, session: Session, ticket: Ticket, *, by: str, note: str) -> list[Ticket]:
        """Close `ticket` and answer again every ticket that hangs under it.

        The customers' inquiries caused by one broken feed get a fresh answer from the
        engine (their invoices may pass now); other linked tickets are told it is fixed.
        Returns the tickets that were followed up.
        """
        now = self.clock()
        ticket.resolution = note
        set_state(session, ticket, "resolved", now=now, reason=note or "resolved", actor=by)
        jira_writeback(session, ticket, labels=["payops"], now=now,
                       transition=self.settings.jira.transitions.get("resolved", ""))
        children = list(session.scalars(select(Ticket).where(Ticket.parent_id == ticket.id, Ticket.state != "resolved")
                                        .order_by(Ticket.id)))
        fixed = f"Update: the problem behind your request ({ticket.external_key}) has been fixed"
        fixed += f": {note}" if note else "."
        for child in children:
            key = f"follow-up:{child.id}:{ticket.id}"
            category = (child.confirmed_category or ((child.predicted or {}).get("category") or {}).get("label"))
            if category == "inquiry" or child.origin == "slash_command":
                audience = self.policy.for_ticket(child.source, child.origin, child.reporter, child.channel)
                inquiry = answer_inquiry(session, child.entities or {}, audience, ruleset=self.ruleset, clock=self.clock)
                customer_reply(session, child, key=key, kind="follow_up", text=f"{fixed}\n\n{inquiry.text}", now=now)
                set_state(session, child, "answered", now=now, reason=f"parent {ticket.external_key} resolved", actor=by)
            else:
                customer_reply(session, child, key=key, kind="follow_up", text=fixed, now=now)
                set_state(session, child, "resolved", now=now, reason=f"parent {ticket.external_key} resolved", actor=by)
            jira_writeback(session, child, labels=["payops"], now=now,
                           transition=self.settings.jira.transitions.get(child.state, ""))
        return children

    def _propose_fix(self, session: Session, ticket: Ticket, named: list[Invoice]) -> set[int]:
        """A ticket with a known root cause gets its playbook's diagnosis and plan (in this
        transaction), shown to on-call for approval. Returns the invoices the plan covers."""
        if self.runner is None or not self.settings.playbooks.propose:
            return set()
        open_fix = self.runner.open_proposal_for(session, [i.id for i in named])
        if open_fix is not None and open_fix.ticket_id != ticket.id:
            # A fix for these invoices is already on its way (a burst of questions about one
            # broken feed): this ticket hangs under that one and hears when it is applied.
            if ticket.parent_id is None and changes_data(open_fix):
                ticket.parent_id = open_fix.ticket_id
            return set(open_fix.plan.get("invoice_ids") or ()) if changes_data(open_fix) else set()
        # The label first, then (only if it does not hold) what the engine says stops the
        # invoices the ticket names.
        def candidates() -> Iterator[str]:
            yield ticket_root_cause(ticket)
            yield from causes_for(session, named)

        tried = {"unknown"}
        for cause in candidates():
            if cause in tried or self.runner.registry.for_root_cause(cause) is None:
                continue
            tried.add(cause)
            proposal = self.runner.propose(session, ticket, requested_by=ticket.reporter or "payops",
                                           root_cause=cause, hand_off=False)
            if proposal is None:
                continue
            if not changes_data(proposal):
                return set()  # it only tells someone (the buyer, on-call): no fix to announce
            return set(proposal.plan.get("invoice_ids") or ())
        return set()

    def _named_invoices(self, session: Session, entities: dict[str, Any]) -> list[Invoice]:
        numbers = list(entities.get("invoices") or [])[:MAX_NAMED_INVOICES]
        if not numbers:
            return []
        return list(session.scalars(select(Invoice).where(Invoice.invoice_number.in_(numbers)).limit(MAX_NAMED_INVOICES)))

    def _links(self, session: Session, ticket: Ticket) -> list[str]:
        rows = session.execute(select(Ticket.external_key, TicketLink.reason)
                               .join(Ticket, Ticket.id == TicketLink.other_id)
                               .where(TicketLink.ticket_id == ticket.id).order_by(TicketLink.id)).all()
        return [f"{key} ({reason})" for key, reason in rows]

    def _answer(self, session: Session, ticket: Ticket, result: TriageResult, audience: Audience,
                now: datetime, covered: set[int]) -> Outcome:
        inquiry = answer_inquiry(session, result.entities, audience, ruleset=self.ruleset, clock=self.clock)
        text = inquiry.text
        if any(item.invoice.id in covered for item in inquiry.answers):
            text += ("\n\nWe have proposed a fix to our on-call engineers; you will hear from us here as soon "
                     "as it is applied.")
        parent = session.get(Ticket, ticket.parent_id) if ticket.parent_id else None
        if parent is not None and parent.state != "resolved":
            text += (f"\n\nThis looks caused by an incident on-call is already working on ({parent.external_key}); "
                     "you will hear from us again when it is fixed.")
        rev = f"{ticket.id}:r{ticket.revision}"
        customer_reply(session, ticket, key=f"answer:{rev}", kind="answer", text=text, now=now)
        for item in inquiry.redrivable:
            inv = item.invoice
            if inv.id in covered:
                continue  # a playbook proposal already offers on-call the re-drive
            oncall_note(session, ticket, key=f"redrive:{rev}:{inv.id}", kind="redrive_proposal", now=now,
                        channel=self.settings.slack.oncall_channel, title="Re-drive proposed",
                        text=(f"{inv.invoice_number} (client {inv.client_id}, vendor {inv.vendor_id}) is "
                              f"{inv.status.lower()} but passes under today's rules and reference data "
                              f"(asked in {ticket.external_key}). Re-drive: `payops redrive {inv.invoice_number} "
                              f"--client {inv.client_id} --vendor {inv.vendor_id}`"))
        ticket.state = "answered" if inquiry.answers else "awaiting_customer"
        return Outcome(ticket, "inquiry", result, audience=audience, inquiry=inquiry, answer=text)

    def _escalate(self, session: Session, ticket: Ticket, result: TriageResult, stake: Stake, links: list[str],
                  now: datetime) -> Outcome:
        summary = triage_summary(ticket, result, stake, links, now)
        rev = f"{ticket.id}:r{ticket.revision}"
        oncall_note(session, ticket, key=f"triage:{rev}", kind="triage_summary", text=summary, now=now,
                    channel=self.settings.slack.oncall_channel, title=f"{ticket.external_key}: {ticket.title}"[:150])
        answer = ""
        if ticket.origin == "ask" or (result.labels["cut"].label == "customer" and ticket.source in ("slack", "jira")):
            category = result.labels["category"].label.replace("_", " ")
            answer = (f"Thanks, this is with our on-call engineers (reference {ticket.external_key}, "
                      f"filed as: {category}). We will come back to you here.")
            customer_reply(session, ticket, key=f"ack:{rev}", kind="acknowledgement", text=answer, now=now)
        ticket.state = "needs_human" if result.needs_human else "escalated"
        return Outcome(ticket, "triage", result, answer=answer, summary=summary)


def _label_line(result: TriageResult) -> str:
    parts = []
    for head, p in result.labels.items():
        unsure = ", unsure" if p.abstained else ""
        parts.append(f"{head.replace('_', ' ')} {p.label} ({p.confidence:.0%}{unsure})")
    return "; ".join(parts)


def _similar_line(match: Match) -> str:
    t = match.ticket
    done = f" — {t.resolution}" if t.resolution else ""
    return f"- {t.title[:90]} [{t.root_cause}, {match.similarity:.2f}]{done}"


def triage_summary(ticket: Ticket, result: TriageResult, stake: Stake, links: list[str], now: datetime) -> str:
    """What on-call needs to pick the ticket up: labels, names, stake, links, history."""
    lines = [f"{ticket.external_key} from {ticket.reporter or 'unknown'} ({ticket.source}): {ticket.title}",
             f"Labels: {_label_line(result)}"]
    if result.needs_human:
        lines.append("The model is unsure of at least one label: please confirm with `payops triage correct`.")
    entities = result.entities
    named = [f"{kind} {', '.join(entities[kind])}" for kind in ("invoices", "clients", "vendors", "purchase_orders")
             if entities.get(kind)]
    if named:
        lines.append("Names: " + "; ".join(named))
    if stake.deadline is not None:
        left = stake.deadline - now
        clock = f"{int(left.total_seconds() // 60)} min left" if left.total_seconds() > 0 else "BREACHED"
        lines.append(f"At stake: {stake.immediate_invoices} immediate-pay invoice(s), first deadline "
                     f"{stake.deadline:%Y-%m-%d %H:%M} UTC ({clock}); {money(stake.at_stake_usd, 'USD')}")
    elif stake.at_stake_usd:
        lines.append(f"At stake: {money(stake.at_stake_usd, 'USD')}")
    if links:
        lines.append("Linked: " + "; ".join(links[:10]))
    if result.similar:
        lines.append("Similar past tickets:")
        lines += [_similar_line(m) for m in result.similar[:3]]
    return "\n".join(lines)
