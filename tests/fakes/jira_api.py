"""An in-process fake of the Jira REST API v2, for driving the real ``jira`` client in tests.

The bot talks to Jira through the ``jira`` library, so the tests point that library at this
server instead of mocking it: a mock would only prove we call the library the way we think
it works, while this proves the requests and payloads it really sends are understood.

Only what the bot uses is implemented, but with Jira's shapes: the endpoints ``JIRA()`` hits
while it is being built (``serverInfo``, ``field``, ``myself``), issue search (both the classic
``/search`` with ``startAt`` paging and Cloud's ``/search/jql`` with ``nextPageToken``), issues,
comments, edits and transitions, Jira-style error bodies, and injectable failures
(:meth:`FakeJira.fail_next`) to exercise the client's retries.

Stdlib only: a ``ThreadingHTTPServer`` on ``127.0.0.1`` and an ephemeral port, in a daemon
thread, with all state behind one lock.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["DEFAULT_TRANSITIONS", "FakeJira", "Req", "Transition"]

_API = re.compile(r"^/rest/api/(?:2|latest)(/.*)$")
_ISSUE_KEY = re.compile(r"^([A-Z][A-Z0-9_]*)-(\d+)$")
_NOT_FOUND = "Issue does not exist or you do not have permission to see it."

# Statuses Jira ships with keep their well-known ids; any other name gets one from 10000 up.
_STATUS_IDS = {"Open": "1", "In Progress": "3", "Reopened": "4", "Resolved": "5", "Closed": "6"}
_DONE_STATUSES = {"Resolved", "Closed", "Done"}

# The system fields GET /field lists. The client maps JQL clause names to field ids with it
# before every search, so the fields the bot asks for must appear here.
_FIELDS = (
    ("summary", "Summary", "string"),
    ("description", "Description", "string"),
    ("reporter", "Reporter", "user"),
    ("created", "Created", "datetime"),
    ("updated", "Updated", "datetime"),
    ("labels", "Labels", "array"),
    ("status", "Status", "status"),
    ("project", "Project", "project"),
    ("comment", "Comment", "comments-page"),
    ("issuetype", "Issue Type", "issuetype"),
)
_EDITABLE = {"summary", "description", "labels"}


@dataclass(frozen=True)
class Transition:
    """One workflow transition: ``name`` (id ``id``) moves an issue to status ``to``.

    ``sources`` limits the statuses it is offered from; ``None`` means from any status.
    """

    id: str
    name: str
    to: str
    sources: frozenset[str] | None = None


DEFAULT_TRANSITIONS: tuple[Transition, ...] = (
    Transition("11", "Start Progress", "In Progress"),
    Transition("21", "Waiting for customer", "Waiting for Customer"),
    Transition("31", "Resolve", "Resolved"),
    Transition("41", "Escalate", "Escalated"),
)


@dataclass
class Req:
    """One request the fake received, as the client sent it.

    ``query`` joins repeated parameters with commas (the client sends ``fields`` as repeated
    ``fields=`` pairs); ``json`` is the parsed body (``None`` if empty, the text if it was not
    JSON); ``status`` is what the fake answered.
    """

    method: str
    path: str
    query: dict[str, str]
    json: Any
    at: datetime
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 0


@dataclass
class _Comment:
    id: str
    body: str
    author_email: str
    author_name: str
    created: datetime
    updated: datetime


@dataclass
class _Issue:
    id: str
    key: str
    summary: str
    description: str
    reporter_email: str
    reporter_name: str
    labels: list[str]
    status: str
    created: datetime
    updated: datetime
    comments: list[_Comment] = field(default_factory=list)

    @property
    def project(self) -> str:
        return self.key.split("-", 1)[0]

    @property
    def sort_key(self) -> tuple[str, int]:
        project, number = self.key.split("-", 1)
        return project, int(number)


@dataclass
class _Failure:
    path_contains: str
    status: int
    times: int
    retry_after: int | None
    method: str | None
    message: str


class _ApiError(Exception):
    """Raised inside a handler to answer with a Jira error body."""

    def __init__(
        self, status: int, messages: Sequence[str] = (), errors: dict[str, str] | None = None
    ) -> None:
        super().__init__(status, messages)
        self.status = status
        self.body = {"errorMessages": list(messages), "errors": dict(errors or {})}


_Response = tuple[int, Any, dict[str, str]]


def _jira_time(value: datetime) -> str:
    """Format like Jira does: ``2026-11-25T09:00:00.000+0000`` (always rendered in UTC)."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def _aware(value: datetime | None, what: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware, got {value!r}")
    return value


def _default_message(status: int) -> str:
    return {
        400: "The request was invalid.",
        401: "You are not authenticated. Authentication required to perform this operation.",
        403: "You do not have permission to perform this operation.",
        404: "The requested resource does not exist.",
        429: "Rate limit exceeded.",
        500: "Internal server error.",
        502: "Bad gateway.",
        503: "Service Unavailable",
        504: "Gateway timeout.",
    }.get(status, f"HTTP {status}")


class FakeJira:
    """A Jira server holding a few projects' issues in memory.

    Times the fake stamps itself (comments, edits) come from ``clock``, so tests can pin
    them; JQL dates without an offset are read in ``user_timezone`` as Jira reads them in the
    searching user's profile zone. ``deployment_type`` is what ``serverInfo`` reports: the
    client only uses Cloud's ``/search/jql`` when it reads ``"Cloud"`` there.
    """

    def __init__(
        self,
        user: str = "bot@example.com",
        token: str = "jira-test-token",
        projects: Sequence[str] = ("PAY",),
        *,
        transitions: Sequence[Transition] = DEFAULT_TRANSITIONS,
    ) -> None:
        self.user = user
        self.token = token
        self.projects: list[str] = [p.upper() for p in projects]
        self.transitions: list[Transition] = list(transitions)
        self.requests: list[Req] = []
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.user_timezone: tzinfo = UTC
        self.deployment_type = "Server"
        self.max_results_cap = 100
        self._issues: dict[str, _Issue] = {}
        self._failures: list[_Failure] = []
        self._status_ids: dict[str, str] = dict(_STATUS_IDS)
        self._next_issue_id = 10000
        self._next_comment_id = 10000
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeJira:
        """Listen on an ephemeral port; returns self so ``fake = FakeJira().start()`` reads well."""
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeJira:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL to pass as ``JIRA(server=...)``."""
        if self._server is None:
            raise RuntimeError("FakeJira is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- seeding and inspecting state --------------------------------------------------------

    def add_issue(
        self,
        key: str,
        summary: str,
        description: str = "",
        *,
        reporter: str = "alice@client.example",
        reporter_name: str = "Alice",
        labels: Sequence[str] = (),
        status: str = "Open",
        created: datetime | None = None,
        updated: datetime | None = None,
    ) -> dict[str, Any]:
        """Create an issue and return its REST JSON (what ``GET /issue/{key}`` would answer).

        ``created`` defaults to the clock and ``updated`` to ``created``.
        """
        match = _ISSUE_KEY.match(key)
        if not match:
            raise ValueError(f"not a Jira issue key: {key!r}")
        if match.group(1) not in self.projects:
            raise ValueError(f"{key}: project {match.group(1)} is not one of {self.projects}")
        with self._lock:
            if key in self._issues:
                raise ValueError(f"{key} already exists")
            created = _aware(created, "created") or self.clock()
            updated = _aware(updated, "updated") or created
            self._next_issue_id += 1
            issue = _Issue(
                id=str(self._next_issue_id),
                key=key,
                summary=summary,
                description=description,
                reporter_email=reporter,
                reporter_name=reporter_name,
                labels=list(labels),
                status=status,
                created=created,
                updated=updated,
            )
            self._issues[key] = issue
            return self._issue_json(issue, None)

    def update_issue(
        self,
        key: str,
        *,
        summary: str | None = None,
        description: str | None = None,
        labels: Sequence[str] | None = None,
        status: str | None = None,
        updated: datetime | None = None,
    ) -> None:
        """Edit an issue as a human would in the UI; always bumps ``updated`` (to the clock)."""
        with self._lock:
            issue = self._get(key)
            if summary is not None:
                issue.summary = summary
            if description is not None:
                issue.description = description
            if labels is not None:
                issue.labels = list(labels)
            if status is not None:
                issue.status = status
            issue.updated = _aware(updated, "updated") or self.clock()

    def add_comment(
        self,
        key: str,
        body: str,
        *,
        author: str = "alice@client.example",
        author_name: str = "Alice",
        created: datetime | None = None,
    ) -> str:
        """Add a comment as someone else (say, the customer replying); bumps ``updated``.

        Returns the new comment's id.
        """
        with self._lock:
            issue = self._get(key)
            when = _aware(created, "created") or self.clock()
            comment = self._new_comment(issue, body, author, author_name, when)
            return comment.id

    def issue_state(self, key: str) -> dict[str, Any]:
        """A plain snapshot of one issue, for assertions that should not care about REST shapes."""
        with self._lock:
            issue = self._get(key)
            return {
                "key": issue.key,
                "summary": issue.summary,
                "description": issue.description,
                "labels": list(issue.labels),
                "status": issue.status,
                "comments": [
                    {"id": c.id, "body": c.body, "author": c.author_email} for c in issue.comments
                ],
                "created": issue.created,
                "updated": issue.updated,
            }

    def comments(self, key: str) -> list[str]:
        """Comment bodies on ``key``, oldest first."""
        with self._lock:
            return [c.body for c in self._get(key).comments]

    @property
    def jql_queries(self) -> list[str]:
        """Every JQL string searched for, in order (the fake ignores clauses it doesn't know)."""
        with self._lock:
            searches = [r for r in self.requests if r.path.endswith(("/search", "/search/jql"))]
        return [str(self._params(r).get("jql", "")) for r in searches]

    def fail_next(
        self,
        path_contains: str,
        *,
        status: int,
        times: int = 1,
        retry_after: int | None = 0,
        method: str | None = None,
        message: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests whose path contains ``path_contains`` with ``status``.

        The body is Jira's ``{"errorMessages": [message], "errors": {}}``; ``Retry-After`` is
        sent unless ``retry_after`` is ``None``. Rules are consumed in the order they were added.
        """
        with self._lock:
            self._failures.append(
                _Failure(
                    path_contains=path_contains,
                    status=status,
                    times=times,
                    retry_after=retry_after,
                    method=method.upper() if method else None,
                    message=message or _default_message(status),
                )
            )

    # -- request handling --------------------------------------------------------------------

    def _handle(self, req: Req, raw: bytes) -> _Response:
        """Route one request; returns (status, JSON body or None, extra headers)."""
        if raw.strip():
            try:
                req.json = json.loads(raw)
            except ValueError:
                req.json = raw.decode(errors="replace")
        with self._lock:
            self.requests.append(req)
            failure = self._take_failure(req)
        if failure is not None:
            headers = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
            body = {"errorMessages": [failure.message], "errors": {}}
            return failure.status, body, headers
        if not self._authorized(req.headers.get("authorization", "")):
            body = {"errorMessages": [_default_message(401)], "errors": {}}
            return 401, body, {"WWW-Authenticate": 'Basic realm="protected-area"'}
        if isinstance(req.json, str):
            raise _ApiError(400, ["Unexpected character in the request body: not JSON."])
        match = _API.match(req.path)
        if match is None:
            raise _ApiError(404, [f"null for uri: {self.url}{req.path}"])
        with self._lock:
            return self._route(req, match.group(1))

    def _route(self, req: Req, path: str) -> _Response:
        parts = [unquote(p) for p in path.strip("/").split("/")]
        method = req.method
        body: dict[str, Any] = req.json if isinstance(req.json, dict) else {}
        if parts == ["serverInfo"] and method == "GET":
            return 200, self._server_info(), {}
        if parts == ["myself"] and method == "GET":
            return 200, self._user_json(self.user, self._display_name(self.user)), {}
        if parts == ["field"] and method == "GET":
            return 200, self._fields_json(), {}
        if parts == ["search"] and method in ("GET", "POST"):
            return 200, self._search(self._params(req), cloud=False), {}
        if parts == ["search", "jql"] and method in ("GET", "POST"):
            return 200, self._search(self._params(req), cloud=True), {}
        if parts[0] == "issue" and len(parts) >= 2:
            issue = self._get_api(parts[1])
            rest = parts[2:]
            if rest == [] and method == "GET":
                fields = req.query.get("fields")
                return 200, self._issue_json(issue, fields.split(",") if fields else None), {}
            if rest == [] and method == "PUT":
                self._edit(issue, body)
                return 204, None, {}
            if rest == ["comment"] and method == "GET":
                return 200, self._comments_page(issue, req.query), {}
            if rest == ["comment"] and method == "POST":
                text = body.get("body")
                if not isinstance(text, str) or not text.strip():
                    raise _ApiError(400, errors={"comment": "Comment body can not be empty!"})
                comment = self._new_comment(
                    issue, text, self.user, self._display_name(self.user), self.clock()
                )
                return 201, self._comment_json(issue, comment), {}
            if len(rest) == 2 and rest[0] == "comment" and method == "GET":
                for comment in issue.comments:
                    if comment.id == rest[1]:
                        return 200, self._comment_json(issue, comment), {}
                raise _ApiError(404, [f"Can not find a comment for the id: {rest[1]}."])
            if rest == ["transitions"] and method == "GET":
                return 200, self._transitions_json(issue, req.query.get("transitionId")), {}
            if rest == ["transitions"] and method == "POST":
                self._transition(issue, body)
                return 204, None, {}
        if method not in ("GET", "POST", "PUT", "DELETE"):
            raise _ApiError(405, [f"Method {method} is not allowed"])
        raise _ApiError(404, [f"null for uri: {self.url}{req.path}"])

    def _take_failure(self, req: Req) -> _Failure | None:
        for failure in self._failures:
            if failure.path_contains in req.path and failure.method in (None, req.method):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return failure
        return None

    def _authorized(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            return value.strip() == self.token
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return False
            return decoded == f"{self.user}:{self.token}"
        return False

    @staticmethod
    def _params(req: Req) -> dict[str, Any]:
        """Search parameters from the query string (GET) or the JSON body (``use_post=True``)."""
        params: dict[str, Any] = dict(req.query)
        if isinstance(req.json, dict):
            params.update(req.json)
        return params

    def _get(self, key: str) -> _Issue:
        try:
            return self._issues[key]
        except KeyError:
            raise KeyError(f"no issue {key} in the fake") from None

    def _get_api(self, key_or_id: str) -> _Issue:
        for issue in self._issues.values():
            if key_or_id in (issue.key, issue.id):
                return issue
        raise _ApiError(404, [_NOT_FOUND])

    # -- search --------------------------------------------------------------------------------

    def _search(self, params: dict[str, Any], *, cloud: bool) -> dict[str, Any]:
        jql = str(params.get("jql") or "")
        query = _parse_jql(jql, self.user_timezone, self.clock())
        unknown = [p for p in query.projects or () if p not in self.projects]
        if unknown:
            raise _ApiError(
                400, [f"The value '{unknown[0]}' does not exist for the field 'project'."]
            )
        hits = [issue for issue in self._issues.values() if query.matches(issue)]
        for name, descending in reversed(query.order):
            hits.sort(key=_ORDER_KEYS[name], reverse=descending)
        fields = params.get("fields")
        if isinstance(fields, str):
            fields = fields.split(",")
        wanted = [str(f) for f in fields] if fields else None
        max_results = min(int(params.get("maxResults") or 50), self.max_results_cap)
        start = int(params.get("nextPageToken" if cloud else "startAt") or 0)
        page = hits[start : start + max_results]
        issues = [self._issue_json(issue, wanted) for issue in page]
        if cloud:
            result: dict[str, Any] = {"issues": issues, "isLast": start + len(page) >= len(hits)}
            if not result["isLast"]:
                result["nextPageToken"] = str(start + len(page))
            return result
        return {
            "expand": "schema,names",
            "startAt": start,
            "maxResults": max_results,
            "total": len(hits),
            "issues": issues,
        }

    # -- edits -----------------------------------------------------------------------------

    def _edit(self, issue: _Issue, body: dict[str, Any]) -> None:
        """Apply ``{"fields": {...}, "update": {...}}`` as Jira would, all or nothing."""
        fields = dict(body.get("fields") or {})
        update = dict(body.get("update") or {})
        unknown = sorted((set(fields) | set(update)) - _EDITABLE - {"comment"})
        if unknown:
            raise _ApiError(
                400,
                errors={
                    name: f"Field '{name}' cannot be set. It is not on the appropriate screen, "
                    "or unknown."
                    for name in unknown
                },
            )
        summary, description, labels = issue.summary, issue.description, list(issue.labels)
        new_comments: list[str] = []
        for name, value in fields.items():
            if name == "labels":
                labels = [str(v) for v in value or []]
            elif name == "summary":
                summary = str(value)
            elif name == "description":
                description = "" if value is None else str(value)
            else:
                raise _ApiError(400, errors={name: f"Field '{name}' cannot be set."})
        for name, operations in update.items():
            for operation in operations:
                for verb, value in operation.items():
                    if name == "labels" and verb == "add":
                        if value not in labels:
                            labels.append(str(value))
                    elif name == "labels" and verb == "remove":
                        labels = [label for label in labels if label != value]
                    elif name == "labels" and verb == "set":
                        labels = [str(v) for v in value or []]
                    elif name == "summary" and verb == "set":
                        summary = str(value)
                    elif name == "description" and verb == "set":
                        description = "" if value is None else str(value)
                    elif name == "comment" and verb == "add":
                        new_comments.append(str(value.get("body", "")))
                    else:
                        raise _ApiError(400, errors={name: f"Operation '{verb}' is not supported."})
        for label in labels:
            if not label or any(ch.isspace() for ch in label):
                raise _ApiError(
                    400, errors={"labels": f"The label '{label}' contains spaces which is invalid."}
                )
        changed = (summary, description, labels) != (issue.summary, issue.description, issue.labels)
        issue.summary, issue.description, issue.labels = summary, description, labels
        now = self.clock()
        for text in new_comments:
            self._new_comment(issue, text, self.user, self._display_name(self.user), now)
        if changed:
            issue.updated = now

    def _transition(self, issue: _Issue, body: dict[str, Any]) -> None:
        wanted = str((body.get("transition") or {}).get("id", ""))
        for transition in self._available(issue):
            if transition.id == wanted:
                break
        else:
            raise _ApiError(400, [f"Transition id '{wanted}' is not valid for this issue."])
        fields = {k: v for k, v in (body.get("fields") or {}).items() if k != "resolution"}
        self._edit(issue, {"fields": fields, "update": body.get("update") or {}})
        issue.status = transition.to
        issue.updated = self.clock()

    def _available(self, issue: _Issue) -> list[Transition]:
        return [t for t in self.transitions if t.sources is None or issue.status in t.sources]

    def _new_comment(
        self, issue: _Issue, body: str, email: str, name: str, when: datetime
    ) -> _Comment:
        self._next_comment_id += 1
        comment = _Comment(str(self._next_comment_id), body, email, name, when, when)
        issue.comments.append(comment)
        issue.updated = max(issue.updated, when)
        return comment

    # -- JSON shapes ---------------------------------------------------------------------------

    def _server_info(self) -> dict[str, Any]:
        now = self.clock()
        return {
            "baseUrl": self.url,
            "version": "9.12.0",
            "versionNumbers": [9, 12, 0],
            "deploymentType": self.deployment_type,
            "buildNumber": 9120000,
            "buildDate": "2026-01-01T00:00:00.000+0000",
            "serverTime": _jira_time(now),
            "scmInfo": "fake",
            "serverTitle": "Fake Jira",
        }

    def _fields_json(self) -> list[dict[str, Any]]:
        return [
            {
                "id": field_id,
                "key": field_id,
                "name": name,
                "custom": False,
                "orderable": True,
                "navigable": True,
                "searchable": True,
                "clauseNames": [field_id],
                "schema": {"type": kind, "system": field_id},
            }
            for field_id, name, kind in _FIELDS
        ]

    def _display_name(self, email: str) -> str:
        return email.split("@", 1)[0]

    def _user_json(self, email: str, display_name: str) -> dict[str, Any]:
        name = email.split("@", 1)[0]
        return {
            "self": f"{self.url}/rest/api/2/user?username={name}",
            "name": name,
            "key": name,
            "accountId": f"acct-{name}",
            "emailAddress": email,
            "displayName": display_name,
            "active": True,
            "timeZone": str(self.user_timezone),
        }

    def _status_json(self, name: str) -> dict[str, Any]:
        if name not in self._status_ids:
            self._status_ids[name] = str(10000 + len(self._status_ids))
        status_id = self._status_ids[name]
        if name == "Open":
            category = (2, "new", "To Do", "blue-gray")
        elif name in _DONE_STATUSES:
            category = (3, "done", "Done", "green")
        else:
            category = (4, "indeterminate", "In Progress", "yellow")
        return {
            "self": f"{self.url}/rest/api/2/status/{status_id}",
            "id": status_id,
            "name": name,
            "description": "",
            "iconUrl": f"{self.url}/images/icons/statuses/generic.png",
            "statusCategory": {
                "self": f"{self.url}/rest/api/2/statuscategory/{category[0]}",
                "id": category[0],
                "key": category[1],
                "name": category[2],
                "colorName": category[3],
            },
        }

    def _project_json(self, key: str) -> dict[str, Any]:
        project_id = str(10000 + self.projects.index(key))
        return {
            "self": f"{self.url}/rest/api/2/project/{project_id}",
            "id": project_id,
            "key": key,
            "name": key,
            "projectTypeKey": "service_desk",
        }

    def _comment_json(self, issue: _Issue, comment: _Comment) -> dict[str, Any]:
        author = self._user_json(comment.author_email, comment.author_name)
        return {
            "self": f"{self.url}/rest/api/2/issue/{issue.id}/comment/{comment.id}",
            "id": comment.id,
            "author": author,
            "body": comment.body,
            "updateAuthor": author,
            "created": _jira_time(comment.created),
            "updated": _jira_time(comment.updated),
        }

    def _comments_page(self, issue: _Issue, query: dict[str, str]) -> dict[str, Any]:
        start = int(query.get("startAt") or 0)
        size = int(query.get("maxResults") or 5000)
        comments = issue.comments
        if query.get("orderBy") == "-created":
            comments = list(reversed(comments))
        page = comments[start : start + size]
        return {
            "startAt": start,
            "maxResults": size,
            "total": len(comments),
            "comments": [self._comment_json(issue, c) for c in page],
        }

    def _issue_json(self, issue: _Issue, wanted: Sequence[str] | None) -> dict[str, Any]:
        comments = [self._comment_json(issue, c) for c in issue.comments]
        all_fields: dict[str, Any] = {
            "summary": issue.summary,
            "description": issue.description or None,
            "reporter": self._user_json(issue.reporter_email, issue.reporter_name),
            "created": _jira_time(issue.created),
            "updated": _jira_time(issue.updated),
            "labels": list(issue.labels),
            "status": self._status_json(issue.status),
            "project": self._project_json(issue.project),
            "comment": {
                "comments": comments,
                "maxResults": len(comments),
                "total": len(comments),
                "startAt": 0,
            },
            "issuetype": {
                "self": f"{self.url}/rest/api/2/issuetype/10002",
                "id": "10002",
                "name": "Task",
                "subtask": False,
            },
        }
        names = [w.strip() for w in wanted or () if w.strip()]
        if not names or {"*all", "*navigable"} & set(names):
            fields = all_fields
        else:
            fields = {name: all_fields[name] for name in names if name in all_fields}
        return {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog",
            "id": issue.id,
            "self": f"{self.url}/rest/api/2/issue/{issue.id}",
            "key": issue.key,
            "fields": fields,
        }

    def _transitions_json(self, issue: _Issue, only_id: str | None) -> dict[str, Any]:
        return {
            "expand": "transitions",
            "transitions": [
                {
                    "id": t.id,
                    "name": t.name,
                    "to": self._status_json(t.to),
                    "hasScreen": False,
                    "isGlobal": t.sources is None,
                    "isInitial": False,
                    "isConditional": False,
                }
                for t in self._available(issue)
                if only_id is None or t.id == only_id
            ],
        }


# -- JQL -------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(>=|<=|!=|!~|=|>|<|~|\(|\)|,)"""
    r"""|([^\s"'(),=<>!~]+))"""
)
_DATE_FORMATS = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")
_RELATIVE = re.compile(r"^([-+]?)(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_ORDER_KEYS: dict[str, Callable[[_Issue], Any]] = {
    "updated": lambda i: i.updated,
    "created": lambda i: i.created,
    "key": lambda i: i.sort_key,
    "issuekey": lambda i: i.sort_key,
    "id": lambda i: int(i.id),
}
_COMPARE: dict[str, Callable[[datetime, datetime], bool]] = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
}


@dataclass
class _Token:
    kind: str  # "str" (quoted), "op" (punctuation) or "word"
    text: str

    def is_word(self, word: str) -> bool:
        return self.kind == "word" and self.text.lower() == word


@dataclass
class _Query:
    projects: set[str] | None = None
    times: list[tuple[str, str, datetime]] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def matches(self, issue: _Issue) -> bool:
        if self.projects is not None and issue.project not in self.projects:
            return False
        for name, op, bound in self.times:
            value = issue.updated if name == "updated" else issue.created
            if not _COMPARE[op](value, bound):
                return False
        return True


def _tokenize(jql: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(jql):
        if jql[pos:].strip() == "":
            break
        match = _TOKEN.match(jql, pos)
        if match is None:
            raise _ApiError(400, [f"Error in the JQL Query: unexpected text at {pos}: {jql!r}"])
        double, single, op, word = match.groups()
        if double is not None or single is not None:
            tokens.append(_Token("str", double if double is not None else single or ""))
        elif op is not None:
            tokens.append(_Token("op", op))
        else:
            tokens.append(_Token("word", word or ""))
        pos = match.end()
    return tokens


def _split_and(tokens: list[_Token]) -> Iterator[list[_Token]]:
    clause: list[_Token] = []
    depth = 0
    for token in tokens:
        if token.kind == "op" and token.text in "()":
            depth += 1 if token.text == "(" else -1
        if depth == 0 and token.is_word("and"):
            yield clause
            clause = []
        else:
            clause.append(token)
    if clause:
        yield clause


def _parse_date(text: str, zone: tzinfo, now: datetime, name: str) -> datetime:
    relative = _RELATIVE.match(text.strip())
    if relative:
        sign, amount, unit = relative.groups()
        delta = timedelta(**{_UNITS[unit]: int(amount)})
        return now + delta if sign == "+" else now - delta
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=zone)
        except ValueError:
            continue
    raise _ApiError(
        400,
        [
            f"Date value '{text}' for field '{name}' is invalid. Valid formats include: "
            "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period "
            "format e.g. '-5d', '4w 2d'."
        ],
    )


def _parse_jql(jql: str, zone: tzinfo, now: datetime) -> _Query:
    """Understand the subset of JQL the bot writes; anything else is recorded as ignored."""
    tokens = _tokenize(jql)
    query = _Query()
    where, order = tokens, []
    for i in range(len(tokens) - 1):
        if tokens[i].is_word("order") and tokens[i + 1].is_word("by"):
            where, order = tokens[:i], tokens[i + 2 :]
            break
    for clause in _split_and(where):
        text = " ".join(t.text for t in clause)
        if len(clause) < 3 or clause[0].kind != "word":
            query.ignored.append(text)
            continue
        name, op, values = clause[0].text.lower(), clause[1], clause[2:]
        if name == "project" and op.text == "=" and len(values) == 1:
            projects = {values[0].text.upper()}
        elif name == "project" and op.is_word("in") and len(values) >= 2:
            if values[0].text != "(" or values[-1].text != ")":
                query.ignored.append(text)
                continue
            projects = {v.text.upper() for v in values[1:-1] if v.kind != "op"}
        elif name in ("updated", "created") and op.text in _COMPARE and len(values) == 1:
            query.times.append((name, op.text, _parse_date(values[0].text, zone, now, name)))
            continue
        else:
            query.ignored.append(text)
            continue
        query.projects = projects if query.projects is None else query.projects & projects
    for item in _split_commas(order):
        name = item[0].text.lower() if item else ""
        if name in _ORDER_KEYS:
            descending = len(item) > 1 and item[1].is_word("desc")
            query.order.append((name, descending))
    return query


def _split_commas(tokens: list[_Token]) -> Iterator[list[_Token]]:
    item: list[_Token] = []
    for token in tokens:
        if token.kind == "op" and token.text == ",":
            yield item
            item = []
        else:
            item.append(token)
    if item:
        yield item


# -- HTTP plumbing ---------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    # Idle keep-alive connections hold a handler thread; don't make stop() wait for them.
    daemon_threads = True
    block_on_close = False
    fake: FakeJira


class _Handler(BaseHTTPRequestHandler):
    """Turns HTTP into :meth:`FakeJira._handle` calls; keep-alive, like the client expects."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes: avoid a 40 ms stall
    timeout = 10  # let idle keep-alive connections end instead of pinning a thread forever

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging; ``FakeJira.requests`` is the log."""

    def _serve(self) -> None:
        fake = cast(_Server, self.server).fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        query = {k: ",".join(v) for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        req = Req(
            method=self.command,
            path=split.path,
            query=query,
            json=None,
            at=datetime.now(UTC),
            headers={k.lower(): v for k, v in self.headers.items()},
        )
        try:
            status, body, headers = fake._handle(req, raw)
        except _ApiError as exc:
            status, body, headers = exc.status, exc.body, {}
        except Exception:
            status, headers = 500, {}
            body = {"errorMessages": [traceback.format_exc()], "errors": {}}
        req.status = status
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if payload:
            self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if payload:
            self.wfile.write(payload)
