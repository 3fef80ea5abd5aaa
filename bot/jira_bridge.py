"""Jira: poll a JQL filter into the ticket queue, and write answers, labels and
transitions back, through the `jira` client.

Polling keeps a cursor (the latest `updated` time seen) in the database, so a restart
reads on from where it stopped. Jira's `updated` changes when the bot itself comments,
so an issue counts as changed only when its summary, description or customer comments
changed. Calls that meet 429 or 5xx are retried with exponential backoff (honouring
Retry-After, capped by `jira.max_retry_delay`); a 4xx is a refusal, reported not retried.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from jira import JIRA, JIRAError
from sqlalchemy import select

from bot.config import JiraSettings
from bot.outbox import DeliveryError, Outgoing
from bot.states import set_state
from models import Database, SourceCursor, Ticket
from payables.clock import Clock

log = logging.getLogger(__name__)
T = TypeVar("T")
FIELDS = "summary,description,reporter,created,updated,labels,status,project,comment"
PAGE = 50
FIRST_LOOK_BACK = timedelta(days=1)  # a new installation answers yesterday's tickets, not last year's
FOOTER = "\n\n— payops · ref {ref}"


class JiraRefused(DeliveryError):
    def __init__(self, what: str, status: int | None, text: str) -> None:
        super().__init__(f"Jira refused {what}: HTTP {status}: {text}", retryable=False)
        self.status = status


class JiraUnavailable(DeliveryError):
    def __init__(self, what: str, detail: str) -> None:
        super().__init__(f"Jira unavailable for {what}: {detail}", retryable=True)


def jira_time(text: str) -> datetime:
    """Jira's "2026-11-25T09:00:00.000+0000" as an aware UTC datetime."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(UTC)


class JiraGateway:
    """The `jira` client with our retry policy around every call."""

    def __init__(self, settings: JiraSettings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.sleep = sleep
        self._client: JIRA | None = None

    @property
    def client(self) -> JIRA:
        if self._client is None:
            token = self.settings.token.get_secret_value() if self.settings.token else ""
            # The library's own retries skip most 5xx: ours do all of it, the same way.
            self._client = self.call("connect", lambda: JIRA(server=self.settings.url, basic_auth=(self.settings.user, token),
                                                             max_retries=0, timeout=30, get_server_info=False))
        return self._client

    def call(self, what: str, fn: Callable[[], T]) -> T:
        attempt = 0
        while True:
            try:
                return fn()
            except JIRAError as exc:
                status = exc.status_code
                retryable = status is None or status == 429 or status >= 500
                if not retryable:
                    raise JiraRefused(what, status, (exc.text or "").strip()[:500]) from None
                detail, retry_after = f"HTTP {status}: {(exc.text or '').strip()[:200]}", _retry_after(exc)
            except requests.RequestException as exc:
                detail, retry_after = f"{type(exc).__name__}: {exc}", None
            if attempt >= self.settings.max_retries:
                raise JiraUnavailable(what, f"{detail} (after {attempt + 1} attempts)")
            delay = min(self.settings.max_retry_delay, max(retry_after or 0.0, 2.0 ** attempt))
            log.warning("Jira %s failed (%s); retrying in %.1f s", what, detail, delay)
            self.sleep(delay)
            attempt += 1


def _retry_after(exc: JIRAError) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _customer_text(fields: Any, bot_user: str) -> str:
    """Description and the comments people wrote (not the bot's own): what to classify."""
    parts = [fields.description or ""]
    comments = getattr(getattr(fields, "comment", None), "comments", None) or []
    for c in comments:
        author = getattr(c.author, "emailAddress", None) or getattr(c.author, "name", "")
        if author == bot_user or "payops · ref" in (c.body or ""):
            continue
        parts.append(c.body or "")
    return "\n\n".join(p for p in parts if p.strip())


class JiraPoller:
    """Reads the configured filter into the ticket queue."""

    def __init__(self, gateway: JiraGateway, db: Database, clock: Clock) -> None:
        self.gateway = gateway
        self.db = db
        self.clock = clock
        jql = gateway.settings.jql
        self.cursor_name = "jira:" + hashlib.sha1(f"{gateway.settings.url}|{jql}".encode()).hexdigest()[:16]
        self._zone: ZoneInfo | None = None

    def _user_zone(self) -> ZoneInfo:
        """JQL dates are read in the bot user's time zone, so the cursor is written in it."""
        if self._zone is None:
            me = self.gateway.call("read the bot user", lambda: self.gateway.client.myself())
            try:
                self._zone = ZoneInfo(me.get("timeZone") or "UTC")
            except (ZoneInfoNotFoundError, ValueError):
                self._zone = ZoneInfo("UTC")
        return self._zone

    def _cursor(self) -> datetime:
        with self.db.session() as session:
            row = session.get(SourceCursor, self.cursor_name)
            return datetime.fromisoformat(row.value) if row else self.clock() - FIRST_LOOK_BACK

    def _save_cursor(self, at: datetime) -> None:
        with self.db.session() as session:
            row = session.get(SourceCursor, self.cursor_name)
            if row is None:
                session.add(SourceCursor(name=self.cursor_name, value=at.isoformat(), updated_at=self.clock()))
            elif datetime.fromisoformat(row.value) < at:
                row.value, row.updated_at = at.isoformat(), self.clock()

    def jql(self, since: datetime) -> str:
        # Minute precision in JQL: read from the minute before; unchanged issues are skipped.
        local = (since - timedelta(minutes=1)).astimezone(self._user_zone())
        return f'({self.gateway.settings.jql}) AND updated >= "{local:%Y/%m/%d %H:%M}" ORDER BY updated ASC, key ASC'

    def poll(self) -> int:
        """One pass over the filter; returns how many tickets were created or changed."""
        since = self._cursor()
        query = self.jql(since)
        start, changed, latest = 0, 0, since
        while True:
            page: Any = self.gateway.call("search", partial(self.gateway.client.search_issues, query,
                                                            startAt=start, maxResults=PAGE, fields=FIELDS))
            for issue in page:
                changed += self._upsert(issue)
                latest = max(latest, jira_time(issue.fields.updated))
            start += len(page)
            if not page or start >= (page.total or 0):
                break
        self._save_cursor(latest)
        return changed

    def _upsert(self, issue: Any) -> int:
        f = issue.fields
        title, body = f.summary or "", _customer_text(f, self.gateway.settings.user)
        reporter = getattr(f.reporter, "emailAddress", None) or getattr(f.reporter, "name", "") if f.reporter else ""
        now = self.clock()
        with self.db.session() as session:
            ticket = session.scalars(select(Ticket).where(Ticket.source == "jira", Ticket.external_key == issue.key)).first()
            if ticket is None:
                session.add(Ticket(source="jira", external_key=issue.key, title=title, body=body, reporter=reporter,
                                   channel=f.project.key, origin="ticket", created_at=jira_time(f.created),
                                   updated_at=now, state="new", revision=1))
                return 1
            if (ticket.title, ticket.body) == (title, body):
                return 0  # only the bot's own comment, labels or transition moved `updated`
            ticket.title, ticket.body, ticket.revision = title, body, ticket.revision + 1
            ticket.claimed_by = ticket.claimed_until = None
            set_state(session, ticket, "new", now=now, reason="updated in Jira", actor=reporter or "jira")
            return 1


class JiraSender:
    """Delivers outbox messages to Jira: comments, labels, transitions."""

    def __init__(self, gateway: JiraGateway) -> None:
        self.gateway = gateway

    def send(self, message: Outgoing) -> str:
        issue_key = message.payload["issue"]
        client = self.gateway.client
        if message.destination == "jira_comment":
            if message.resumed:
                # An earlier attempt may have posted it before the process stopped: look first.
                for c in self.gateway.call("read comments", lambda: client.comments(issue_key)):
                    if message.ref in (c.body or ""):
                        return str(c.id)
            body = message.text + FOOTER.format(ref=message.ref)
            comment = self.gateway.call("add a comment", lambda: client.add_comment(issue_key, body))
            return str(comment.id)
        if message.destination == "jira_labels":
            issue = self.gateway.call("read labels", lambda: client.issue(issue_key, fields="labels"))
            labels = sorted(set(issue.fields.labels or []) | set(message.payload["labels"]))
            if set(labels) != set(issue.fields.labels or []):
                self.gateway.call("set labels", lambda: issue.update(fields={"labels": labels}))
            return issue_key
        if message.destination == "jira_transition":
            wanted = message.payload["transition"].lower()
            available = self.gateway.call("read transitions", lambda: client.transitions(issue_key))
            match = next((t for t in available if t["name"].lower() == wanted), None)
            if match is None:
                # Already there, or the workflow does not allow it from here: nothing to do.
                log.info("Jira %s: transition %r not available from its status", issue_key, wanted)
                return f"{issue_key}:unchanged"
            self.gateway.call("transition", lambda: client.transition_issue(issue_key, match["id"]))
            return f"{issue_key}:{match['id']}"
        raise DeliveryError(f"no Jira destination {message.destination}", retryable=False)
