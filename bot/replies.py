"""Where a ticket's answer goes, and in what shape (plain text, Jira footer, Block Kit).

The pipeline decides what to say; this module turns it into an outbox message for the
ticket's source: a Jira comment, a Slack thread reply, a private slash-command reply, a
post in on-call's channel, or a record in the local queue.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.outbox import enqueue, reference
from models import Ticket, TicketMessage

SLACK_SECTION_LIMIT = 2900  # Slack refuses section text over 3000 characters


def blocks(text: str, ref: str, *, title: str | None = None) -> list[dict[str, Any]]:
    """Block Kit for a message: an optional header, the text in sections, a footer."""
    out: list[dict[str, Any]] = []
    if title:
        out.append({"type": "header", "text": {"type": "plain_text", "text": title[:150]}})
    for part in text.split("\n\n"):
        while part:
            chunk, part = part[:SLACK_SECTION_LIMIT], part[SLACK_SECTION_LIMIT:]
            out.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
    out.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"payops · ref {ref}"}]})
    return out


def customer_reply(session: Session, ticket: Ticket, *, key: str, kind: str, text: str, now: datetime,
                   title: str | None = None) -> TicketMessage:
    """The asker's answer, where the ticket came from."""
    ref = reference(key)
    if ticket.source == "jira":
        return enqueue(session, ticket, key=key, kind=kind, destination="jira_comment", now=now,
                       text=text, payload={"issue": ticket.external_key})
    if ticket.source == "slack" and ticket.origin == "slash_command":
        return enqueue(session, ticket, key=key, kind=kind, destination="slack_response", now=now, text=text,
                       payload={"response_url": ticket.reply_to, "blocks": blocks(text, ref, title=title)})
    if ticket.source == "slack":
        return enqueue(session, ticket, key=key, kind=kind, destination="slack_thread", now=now, text=text,
                       payload={"channel": ticket.channel, "thread_ts": ticket.reply_to,
                                "blocks": blocks(text, ref, title=title)})
    return enqueue(session, ticket, key=key, kind=kind, destination="local", now=now, text=text)


def oncall_note(session: Session, ticket: Ticket, *, key: str, kind: str, text: str, now: datetime,
                channel: str, title: str | None = None) -> TicketMessage:
    """A note for on-call: in their Slack channel when one is configured, else recorded locally."""
    if channel:
        return enqueue(session, ticket, key=key, kind=kind, destination="slack_channel", now=now, text=text,
                       payload={"channel": channel, "blocks": blocks(text, reference(key), title=title)})
    return enqueue(session, ticket, key=key, kind=kind, destination="local", now=now, text=text)


def jira_writeback(session: Session, ticket: Ticket, *, labels: list[str], transition: str, now: datetime) -> None:
    """Labels and the status transition for a Jira ticket (both idempotent at Jira too)."""
    if ticket.source != "jira":
        return
    rev = f"{ticket.id}:r{ticket.revision}"
    enqueue(session, ticket, key=f"labels:{rev}", kind="labels", destination="jira_labels", now=now,
            text=" ".join(labels), payload={"issue": ticket.external_key, "labels": labels})
    if transition:
        enqueue(session, ticket, key=f"transition:{rev}:{transition}", kind="transition",
                destination="jira_transition", now=now, text=transition,
                payload={"issue": ticket.external_key, "transition": transition})
