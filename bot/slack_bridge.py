"""Slack: mentions, DMs and `/invoice` become tickets; answers go back through the outbox.

The bolt app only records: an event becomes a ticket (keyed by channel and message ts, so
a delivery Slack retries finds the ticket already there and adds nothing), and the queue
is woken. The worker answers; `SlackSender` delivers in the thread, privately through the
slash command's response URL, or in on-call's channel. Requests are verified with the
signing secret by bolt; in Socket Mode there is no HTTP endpoint to verify.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.webhook import WebhookClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.config import SlackSettings
from bot.outbox import DeliveryError, Outgoing
from bot.proposal_view import APPROVE, REJECT
from models import Database, Ticket
from payables.clock import Clock

log = logging.getLogger(__name__)
MENTION = re.compile(r"<@[A-Z0-9]+>\s*")


def _first_line(text: str, limit: int = 120) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:limit]


# Decides a proposal for a Slack user: (user, proposal id, approve?, the user's groups)
# -> (accepted?, what to tell the user).
Decide = Callable[[str, int, bool, tuple[str, ...]], tuple[bool, str]]
GROUPS_TTL = 300.0


class SlackBridge:
    def __init__(self, settings: SlackSettings, db: Database, clock: Clock, *, wake: Callable[[], None],
                 decide: Decide | None = None, approver_groups: tuple[str, ...] = ()) -> None:
        assert settings.bot_token is not None
        self.decide = decide
        self.approver_groups = approver_groups
        self._groups: dict[str, tuple[float, frozenset[str]]] = {}
        self.settings = settings
        self.db = db
        self.clock = clock
        self.wake = wake
        # Rate limits and 5xx are the outbox's to retry (it keeps the message); only
        # dropped connections are retried in place.
        self.client = WebClient(token=settings.bot_token.get_secret_value(), base_url=settings.api_url,
                                retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2)])
        secret = settings.signing_secret.get_secret_value() if settings.signing_secret else None
        self.app = App(client=self.client, signing_secret=secret,
                       request_verification_enabled=not settings.socket_mode)
        self._register()

    def _register(self) -> None:
        @self.app.event("app_mention")
        def on_mention(event: dict[str, Any], context: dict[str, Any]) -> None:
            self._record(event, origin="mention", bot_user_id=context.get("bot_user_id"))

        @self.app.event("message")
        def on_message(event: dict[str, Any], context: dict[str, Any]) -> None:
            # Channel messages reach us as app_mention; only direct messages are taken here.
            if event.get("channel_type") == "im":
                self._record(event, origin="dm", bot_user_id=context.get("bot_user_id"))

        @self.app.command("/invoice")
        def on_invoice(ack: Ack, command: dict[str, Any]) -> None:
            text = (command.get("text") or "").strip()
            if not text:
                ack("Give an invoice number, for example `/invoice INV-2291`.")
                return
            ack(f"Looking up {text}…")
            self._create(key=f"cmd:{command['trigger_id']}", title=f"/invoice {text}",
                         body=f"Why was invoice {text} not paid?", reporter=command["user_id"],
                         channel=command["channel_id"], reply_to=command["response_url"], origin="slash_command")

        @self.app.action(APPROVE)
        def on_approve(ack: Ack, body: dict[str, Any]) -> None:
            ack()
            self._decide(body, approve=True)

        @self.app.action(REJECT)
        def on_reject(ack: Ack, body: dict[str, Any]) -> None:
            ack()
            self._decide(body, approve=False)

    def groups_of(self, user: str) -> tuple[str, ...]:
        """The approver groups `user` is in (Slack user groups, looked up every 5 minutes)."""
        found = []
        for group in self.approver_groups:
            at, members = self._groups.get(group, (0.0, frozenset()))
            if time.monotonic() - at > GROUPS_TTL:
                try:
                    members = frozenset(self.client.usergroups_users_list(usergroup=group).get("users") or [])
                except (SlackApiError, SlackRequestError, OSError) as exc:
                    log.warning("cannot read Slack user group %s: %s", group, exc)
                    members = frozenset()
                self._groups[group] = (time.monotonic(), members)
            if user in members:
                found.append(group)
        return tuple(found)

    def _decide(self, body: dict[str, Any], *, approve: bool) -> None:
        """A click on Approve or Reject: decided by the runner; a refusal is told privately."""
        user = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        try:
            proposal_id = int(body["actions"][0]["value"])
        except (KeyError, IndexError, ValueError):
            log.warning("button click without a proposal id from %s", user)
            return
        if self.decide is None:
            ok, message = False, "payops is not set up to take decisions here"
        else:
            ok, message = self.decide(user, proposal_id, approve, self.groups_of(user))
        if not ok and channel:
            try:
                self.client.chat_postEphemeral(channel=channel, user=user, text=message)
            except (SlackApiError, SlackRequestError, OSError) as exc:
                log.warning("cannot tell %s why their click was refused: %s", user, exc)
        self.wake()

    def _record(self, event: dict[str, Any], *, origin: str, bot_user_id: str | None) -> None:
        if event.get("bot_id") or event.get("subtype") or (bot_user_id and event.get("user") == bot_user_id):
            return  # our own posts, edits, joins: not questions
        text = MENTION.sub("", event.get("text") or "").strip()
        if not text:
            return
        ts = event["ts"]
        self._create(key=f"{event['channel']}:{ts}", title=_first_line(text), body=text,
                     reporter=event.get("user", ""), channel=event["channel"],
                     reply_to=event.get("thread_ts") or ts, origin=origin)

    def _create(self, *, key: str, title: str, body: str, reporter: str, channel: str, reply_to: str,
                origin: str) -> None:
        now = self.clock()
        try:
            with self.db.session() as session:
                exists = session.scalar(select(Ticket.id).where(Ticket.source == "slack", Ticket.external_key == key))
                if exists is not None:
                    log.info("Slack delivered %s again; already a ticket", key)
                    return
                session.add(Ticket(source="slack", external_key=key, title=title, body=body, reporter=reporter,
                                   channel=channel, reply_to=reply_to, origin=origin, created_at=now, updated_at=now,
                                   state="new", revision=1))
        except IntegrityError:
            # A retry raced the first delivery to the insert: the ticket exists once.
            log.info("Slack delivered %s twice at once; already a ticket", key)
            return
        self.wake()


def _slack_error(what: str, exc: SlackApiError) -> DeliveryError:
    status = exc.response.status_code
    error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
    retry_after = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
    retryable = status == 429 or status >= 500 or error in ("ratelimited", "internal_error", "service_unavailable")
    return DeliveryError(f"Slack {what}: HTTP {status} {error or ''}".strip(), retryable=retryable,
                         retry_after=float(retry_after) if retry_after else None)


class SlackSender:
    """Delivers outbox messages to Slack."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def _already_in_thread(self, message: Outgoing) -> str | None:
        p = message.payload
        replies = self.client.conversations_replies(channel=p["channel"], ts=p["thread_ts"], limit=200)
        for m in replies.get("messages") or []:
            if message.ref in json.dumps(m.get("blocks") or []) or message.ref in (m.get("text") or ""):
                return str(m.get("ts"))
        return None

    def send(self, message: Outgoing) -> str:
        p = message.payload
        try:
            if message.destination == "slack_response":
                response = WebhookClient(p["response_url"]).send(
                    text=message.text, blocks=p.get("blocks"), response_type="ephemeral", replace_original=False)
                if response.status_code >= 400:
                    raise DeliveryError(f"Slack response URL: HTTP {response.status_code} {response.body}",
                                        retryable=response.status_code >= 500 or response.status_code == 429)
                return "ephemeral"
            if message.destination == "slack_thread" and message.resumed:
                found = self._already_in_thread(message)
                if found:
                    return found
            if message.destination == "slack_update":
                updated = self.client.chat_update(channel=p["channel"], ts=p["ts"], text=message.text,
                                                  blocks=p.get("blocks"))
                return str(updated["ts"])
            if message.destination in ("slack_thread", "slack_channel"):
                posted = self.client.chat_postMessage(channel=p["channel"], thread_ts=p.get("thread_ts"),
                                                      text=message.text, blocks=p.get("blocks"))
                return str(posted["ts"])
        except SlackApiError as exc:
            raise _slack_error(message.destination, exc) from None
        except (SlackRequestError, OSError) as exc:
            raise DeliveryError(f"Slack {message.destination}: {exc}", retryable=True) from None
        raise DeliveryError(f"no Slack destination {message.destination}", retryable=False)
