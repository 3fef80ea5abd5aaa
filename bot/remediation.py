"""The bot's side of the playbooks: where proposals, pages and outcomes are written.

Everything goes through the outbox in the runner's transaction. On-call's channel gets
the proposal with Approve / Reject buttons; when it is decided or finished, the same
message is updated in place (the buttons give way to the outcome). When a fix is
verified the ticket hears of it: a customer gets their question answered again from the
engine (what they may see only), an alarm ticket gets the outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import proposal_view
from bot.access import AccessPolicy
from bot.config import Settings
from bot.inquiry import answer_inquiry
from bot.outbox import enqueue, reference
from bot.replies import customer_reply, oncall_note
from models import Database, Proposal, Ticket, TicketMessage
from payables.clock import Clock
from payables.rules.registry import RuleSet, default_ruleset
from playbooks.base import PlaybookOptions
from playbooks.runner import Runner, changes_data


def _is_customer(ticket: Ticket) -> bool:
    cut = ticket.confirmed_cut or ((ticket.predicted or {}).get("cut") or {}).get("label")
    return cut == "customer" or ticket.origin in ("slash_command", "mention", "dm", "ask")


class BotNotifier:
    def __init__(self, settings: Settings, clock: Clock, ruleset: RuleSet | None = None) -> None:
        # Closes a ticket whose fix is verified, following up the tickets under it (the
        # service points it at Pipeline.resolve).
        self.on_verified: Callable[[Session, Ticket, Proposal], object] | None = None
        self.channel = settings.slack.oncall_channel
        self.access = AccessPolicy(settings.access)
        self.clock = clock
        self.ruleset = ruleset or default_ruleset()

    # -- a playbook's own messages --------------------------------------------------------

    def notice(self, session: Session, *, proposal_id: int, ticket: Ticket | None, key: str, audience: str,
               text: str) -> None:
        assert ticket is not None, "playbook notices belong to a ticket"
        now = self.clock()
        if audience in ("oncall", "oncall_page"):
            page = audience == "oncall_page"
            body = f"<!here> {text}" if page and self.channel else text
            oncall_note(session, ticket, key=key, kind="page" if page else "hand_off", text=body, now=now,
                        channel=self.channel, title=("PAGE: " if page else "") + f"{ticket.external_key}"[:140])
        elif audience == "customer":
            customer_reply(session, ticket, key=key, kind="playbook_notice", text=text, now=now)
        else:
            # Vendor contacts and buyers are reached by e-mail outside payops: the message
            # is recorded for that channel to pick up (see README, Playbooks).
            enqueue(session, ticket, key=key, kind=f"{audience}_notice", destination="local", text=text, now=now,
                    payload={"audience": audience, "proposal": proposal_id})

    def has_notice(self, session: Session, key: str) -> bool:
        return session.scalar(select(TicketMessage.id).where(TicketMessage.idempotency_key == key)) is not None

    # -- the proposal as it stands --------------------------------------------------------

    def proposal_changed(self, session: Session, proposal: Proposal, ticket: Ticket | None) -> None:
        if ticket is None or proposal.state == "shadow":
            return
        now = self.clock()
        # The first showing is posted; every later state updates that same message.
        first = f"proposal:{proposal.id}"
        key = f"{first}:{proposal.state}" if self.has_notice(session, first) else first
        if self.has_notice(session, key):
            return
        text = proposal_view.text(proposal, ticket.external_key)
        if not self.channel:
            enqueue(session, ticket, key=key, kind="proposal", destination="local", text=text, now=now)
        else:
            posted = session.scalar(select(TicketMessage).where(TicketMessage.idempotency_key == first))
            payload = {"channel": self.channel, "blocks": proposal_view.blocks(proposal, ticket.external_key,
                                                                               reference(key))}
            if posted is not None and posted.status == "sent" and posted.external_id and key != first:
                enqueue(session, ticket, key=key, kind="proposal_update", destination="slack_update", text=text,
                        now=now, payload={**payload, "ts": posted.external_id})
            else:
                enqueue(session, ticket, key=key, kind="proposal", destination="slack_channel", text=text, now=now,
                        payload=payload)
        if proposal.state == "verified" and changes_data(proposal):
            self._tell_ticket(session, proposal, ticket)
            if self.on_verified is not None:
                self.on_verified(session, ticket, proposal)

    def _tell_ticket(self, session: Session, proposal: Proposal, ticket: Ticket) -> None:
        now = self.clock()
        key = f"proposal:{proposal.id}:ticket"
        if not _is_customer(ticket):
            customer_reply(session, ticket, key=key, kind="playbook_outcome", now=now,
                           text=f"payops applied {proposal.playbook} (proposal {proposal.id}, approved by "
                                f"{proposal.decided_by}): {proposal.summary}. Verified: {proposal.outcome}")
            return
        audience = self.access.for_ticket(ticket.source, ticket.origin, ticket.reporter, ticket.channel)
        answer = answer_inquiry(session, ticket.entities or {}, audience, ruleset=self.ruleset, clock=self.clock)
        customer_reply(session, ticket, key=key, kind="follow_up", now=now,
                       text=f"Update on {ticket.external_key}: we have fixed what held this up.\n\n{answer.text}")


def build_runner(db: Database, settings: Settings, clock: Clock, notifier: BotNotifier | None = None) -> Runner:
    p = settings.playbooks
    return Runner(db, policy=p.policy(), notifier=notifier or BotNotifier(settings, clock), clock=clock,
                  worker_id=settings.worker_id, options=PlaybookOptions(fx_rate_file=p.fx_rate_file),
                  lease=timedelta(seconds=p.lease_seconds))

