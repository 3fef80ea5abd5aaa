"""A local stand-in for the Slack Web API, and signing helpers for requests sent to the bot.

The bot's tests run the real ``slack_sdk.WebClient`` (inside ``slack_bolt.App``) against
:class:`FakeSlack`, so the bytes that reach this server are the ones production sends to
slack.com: JSON bodies for ``chat.*`` methods, form bodies for the rest, a Bearer token header,
real retry handlers.  Mocking ``WebClient`` would hide encoding, auth and retry mistakes.

The other direction (Slack calling the bot) is covered by :func:`signed_headers` and the
``*_body`` builders, which produce requests Bolt's signature verification accepts.

Usage::

    with FakeSlack() as slack:
        client = WebClient(token=slack.token, base_url=slack.base_url)
        ...
        (call,) = slack.wait_for("chat.postMessage")
        assert call.params["blocks"][0]["type"] == "section"
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit

__all__ = [
    "Call",
    "FakeSlack",
    "block_action_body",
    "event_body",
    "signed_headers",
    "slash_command_body",
]

BOT_ID = "BBOT"
WORKSPACE_URL = "https://test.slack.com/"

# Form-encoded callers send these as JSON strings; decoding them lets tests assert on structure.
JSON_FIELDS = frozenset(
    {"blocks", "attachments", "metadata", "view", "unfurls", "user_auth_blocks"}
)

_FIRST_TS_SECOND = 1_764_000_000
_FIRST_TS_SEQUENCE = 100


@dataclass(frozen=True)
class Call:
    """One request the fake received.

    ``params`` merges the query string with the form or JSON body (body wins) and decodes
    JSON-string fields such as ``blocks``.  ``headers`` has lower-case names, because urllib
    re-capitalises them ("Content-type") and tests should not depend on that.  ``at`` is
    ``time.time()`` on arrival, so gaps between calls show retry back-off.
    """

    method: str
    params: dict[str, Any]
    token: str | None
    headers: dict[str, str]
    at: float


@dataclass(frozen=True)
class _Failure:
    status: int
    error: str
    retry_after: int | None


_Reply = tuple[int, dict[str, Any], dict[str, str]]


class _Server(ThreadingHTTPServer):
    """Carries the owning fake so the stateless handler class can reach it."""

    daemon_threads = True

    def __init__(self, fake: FakeSlack) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        cast(_Server, self.server).fake._handle(self)

    def do_POST(self) -> None:
        cast(_Server, self.server).fake._handle(self)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep pytest output clean; the recorded calls are the log."""


class FakeSlack:
    """An in-process HTTP server speaking the Slack Web API methods the bot calls.

    Every request to ``/api/<method>`` is recorded (including failures) so tests can assert
    on what the bot sent; ``fail_next`` injects rate limits and errors to exercise retries.
    """

    def __init__(
        self, token: str = "xoxb-test-token", bot_user_id: str = "UBOT", team_id: str = "T0001"
    ) -> None:
        self.token = token
        self.bot_user_id = bot_user_id
        self.team_id = team_id
        self._cond = threading.Condition()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._calls: list[Call] = []
        self._responses: list[Call] = []
        self._failures: dict[str, deque[_Failure]] = {}
        self._messages: list[tuple[str, dict[str, Any]]] = []
        self._users: dict[str, dict[str, Any]] = {}
        # Slack user groups (e.g. an on-call group): id -> member user ids.
        self.usergroups: dict[str, list[str]] = {}
        # Files uploaded through files.getUploadURLExternal + upload URL + completeUploadExternal:
        # file id -> {bytes, filename, length, alt_txt, title, channel, initial_comment, thread_ts}.
        self.uploads: dict[str, dict[str, Any]] = {}
        self._file_sequence = 0
        self._ts_sequence = _FIRST_TS_SEQUENCE
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.replies": self._conversations_replies,
            "users.info": self._users_info,
            "reactions.add": self._reactions_add,
            "usergroups.users.list": self._usergroups_users_list,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
        }

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        """Bind an ephemeral port on 127.0.0.1 and serve from a daemon thread."""
        if self._server is not None:
            raise RuntimeError("FakeSlack is already started")
        self._server = _Server(self)
        # A short poll interval keeps stop() (and so every fixture teardown) fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down; safe to call twice."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Root URL, e.g. ``http://127.0.0.1:51234``."""
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        """What ``WebClient(base_url=...)`` wants: the trailing slash matters to ``urljoin``."""
        return f"{self.url}/api/"

    def response_url(self, name: str = "cmd") -> str:
        """A URL on this server that records POSTs, for slash-command/interaction payloads."""
        return f"{self.url}/response/{name}"

    # -- inspection ------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        """Recorded Web API calls in arrival order, optionally only those of ``method``."""
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def responses(self) -> list[Call]:
        """What was POSTed to response URLs; ``Call.method`` is the URL's name."""
        with self._cond:
            return list(self._responses)

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until ``count`` calls of ``method`` arrived; Bolt runs listeners in threads."""
        return self._wait(lambda: self.calls(method), f"{count} {method} call(s)", count, timeout)

    def wait_for_responses(self, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until ``count`` response-URL POSTs arrived (``respond()`` runs after ``ack``)."""
        return self._wait(self.responses, f"{count} response URL POST(s)", count, timeout)

    def _wait(
        self, get: Callable[[], list[Call]], what: str, count: int, timeout: float
    ) -> list[Call]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(found := get()) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [c.method for c in self._calls]
                    posted = [c.method for c in self._responses]
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {what}; "
                        f"API calls recorded: {seen}; response URL POSTs: {posted}"
                    )
                self._cond.wait(remaining)
            return found

    # -- scripting -------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail.

        ``status`` 200 gives Slack's usual ``{"ok": false, "error": ...}``; 429 (with a
        ``Retry-After`` header when ``retry_after`` is given) and 5xx exercise retry handlers.
        ``error`` defaults to ``ratelimited`` for 429 and ``internal_error`` otherwise.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        failure = _Failure(
            status=status,
            error=error or ("ratelimited" if status == 429 else "internal_error"),
            retry_after=retry_after,
        )
        with self._cond:
            self._failures.setdefault(method, deque()).extend([failure] * times)

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str,
        thread_ts: str | None = None,
        ts: str | None = None,
    ) -> str:
        """Seed a message (e.g. a human's thread reply) for ``conversations.replies``; returns ts."""
        with self._cond:
            message: dict[str, Any] = {
                "type": "message",
                "user": user,
                "text": text,
                "ts": ts or self._next_ts(),
            }
            if thread_ts is not None:
                message["thread_ts"] = thread_ts
            self._messages.append((channel, message))
            return str(message["ts"])

    def add_user(self, user_id: str, **fields: Any) -> None:
        """Override fields of the ``users.info`` record for ``user_id`` (e.g. ``profile=``)."""
        with self._cond:
            self._users[user_id] = fields

    def reset(self) -> None:
        """Forget calls, responses, pending failures, messages and user overrides."""
        with self._cond:
            self._calls.clear()
            self._responses.clear()
            self._failures.clear()
            self._messages.clear()
            self._users.clear()
            self._ts_sequence = _FIRST_TS_SEQUENCE
            self.uploads.clear()

    # -- HTTP ------------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        """Answer one request; a bug here becomes a 500 naming it, not a dropped connection."""
        try:
            status, payload, extra = self._route(request)
        except Exception as exc:
            status, payload, extra = 500, {"ok": False, "error": f"fake_slack_bug: {exc!r}"}, {}
        data = json.dumps(payload).encode("utf-8")
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        for key, value in extra.items():
            request.send_header(key, value)
        request.end_headers()
        request.wfile.write(data)

    def _route(self, request: BaseHTTPRequestHandler) -> _Reply:
        parts = urlsplit(request.path)
        if parts.path.startswith("/upload/"):  # raw file bytes: must not be parsed as a form
            return self._upload(request, parts.path.removeprefix("/upload/"))
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in request.headers.items()}
        params: dict[str, Any] = dict(parse_qsl(parts.query, keep_blank_values=True))
        params.update(_parse_body(body, headers.get("content-type", "")))
        params = _decode_json_fields(params)

        if parts.path.startswith("/api/"):
            method = parts.path.removeprefix("/api/")
            token = _bearer(headers.get("authorization"))
            if token is None and isinstance(params.get("token"), str):
                token = params["token"]
            call = Call(method, params, token, headers, time.time())
            with self._cond:
                self._calls.append(call)
                self._cond.notify_all()
                return self._reply(call)
        if parts.path.startswith("/response/"):
            name = parts.path.removeprefix("/response/")
            with self._cond:
                self._responses.append(Call(name, params, None, headers, time.time()))
                self._cond.notify_all()
            return 200, {"ok": True}, {}
        return 404, {"ok": False, "error": "not_found"}, {}

    def _reply(self, call: Call) -> _Reply:
        """Decide the answer to an already-recorded call; the caller holds the lock."""
        if call.token != self.token:
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        pending = self._failures.get(call.method)
        if pending:
            failure = pending.popleft()
            extra = {} if failure.retry_after is None else {"Retry-After": str(failure.retry_after)}
            return failure.status, {"ok": False, "error": failure.error}, extra
        handler = self._handlers.get(call.method)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}, {}
        return 200, handler(call.params), {}

    # -- Web API methods (called with the lock held) ----------------------------------------

    def _next_ts(self) -> str:
        """Unique, increasing, Slack-shaped timestamps such as ``1764000000.000101``."""
        self._ts_sequence += 1
        seconds, micros = divmod(self._ts_sequence, 1_000_000)
        return f"{_FIRST_TS_SECOND + seconds}.{micros:06d}"

    def _find(self, channel: str, ts: str) -> dict[str, Any] | None:
        return next((m for c, m in self._messages if c == channel and m["ts"] == ts), None)

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": WORKSPACE_URL,
            "team": "Test",
            "user": "payops",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not (params.get("text") or params.get("blocks") or params.get("attachments")):
            return {"ok": False, "error": "no_text"}
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": BOT_ID,
            "text": params.get("text", ""),
            "ts": self._next_ts(),
        }
        for key in ("blocks", "attachments", "metadata"):
            if key in params:
                message[key] = params[key]
        if params.get("thread_ts"):
            message["thread_ts"] = str(params["thread_ts"])
        self._messages.append((str(channel), message))
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("user"):
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = params.get("channel"), params.get("ts")
        if not channel or not ts:
            return {"ok": False, "error": "cant_update_message"}
        # Lenient on unknown ts: tests often click buttons on messages this fake never saw.
        message = self._find(str(channel), str(ts)) or {"type": "message", "ts": str(ts)}
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in params:
                message[key] = params[key]
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        text = message.get("text", "")
        return {"ok": True, "channel": channel, "ts": str(ts), "text": text, "message": message}

    def _usergroups_users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        group = str(params.get("usergroup") or "")
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.usergroups[group])}

    def _chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = params.get("channel"), params.get("message_ts")
        if not channel or not ts:
            return {"ok": False, "error": "message_not_found"}
        permalink = f"{WORKSPACE_URL}archives/{channel}/p{str(ts).replace('.', '')}"
        message = self._find(str(channel), str(ts))
        if message and message.get("thread_ts") not in (None, message["ts"]):
            permalink += f"?thread_ts={message['thread_ts']}&cid={channel}"
        return {"ok": True, "channel": channel, "permalink": permalink}

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = params.get("channel"), params.get("ts")
        if not channel or not ts:
            return {"ok": False, "error": "invalid_arguments"}
        ts = str(ts)
        thread = [
            dict(m)
            for c, m in self._messages
            if c == channel and (m["ts"] == ts or m.get("thread_ts") == ts)
        ]
        thread.sort(key=lambda m: Decimal(m["ts"]))
        replies = [m for m in thread if m["ts"] != ts]
        for message in thread:
            if message["ts"] == ts and replies:
                message["thread_ts"] = ts
                message["reply_count"] = len(replies)
        return {
            "ok": True,
            "messages": thread,
            "has_more": False,
            "response_metadata": {"next_cursor": ""},
        }

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = params.get("user")
        if not user_id:
            return {"ok": False, "error": "user_not_found"}
        user_id = str(user_id)
        name = user_id.lower()
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": name,
            "deleted": False,
            "is_bot": user_id == self.bot_user_id,
            "tz": "UTC",
            "profile": {
                "email": f"{user_id}@example.com",
                "real_name": name,
                "display_name": name,
            },
        }
        user.update(self._users.get(user_id, {}))
        return {"ok": True, "user": user}

    def _reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True}

    # -- file uploads (files_upload_v2: get URL, POST bytes to it, complete) ------------------

    def _files_get_upload_url_external(self, params: dict[str, Any]) -> dict[str, Any]:
        filename, length = params.get("filename"), str(params.get("length") or "")
        if not filename or not length.isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        self._file_sequence += 1
        file_id = f"F{self._file_sequence:08d}"
        self.uploads[file_id] = {
            "bytes": None,  # until the POST to upload_url arrives
            "filename": str(filename),
            "length": int(length),
            "alt_txt": params.get("alt_txt"),
            "title": None,
            "channel": None,
            "initial_comment": None,
            "thread_ts": None,
        }
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _upload(self, request: BaseHTTPRequestHandler, file_id: str) -> _Reply:
        """The upload URL: a POST of the raw bytes, stored under the file id it was issued for.

        ``fail_next("upload", status=500)`` makes the next upload fail.
        """
        length = int(request.headers.get("Content-Length") or 0)
        data = request.rfile.read(length) if length else b""
        with self._cond:
            pending = self._failures.get("upload")
            if pending:
                failure = pending.popleft()
                return failure.status, {"ok": False, "error": failure.error}, {}
            upload = self.uploads.get(file_id)
            if upload is None:
                return 404, {"ok": False, "error": "file_not_found"}, {}
            upload["bytes"] = data
            self._cond.notify_all()
        return 200, {"ok": True}, {}

    def _files_complete_upload_external(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            items = json.loads(str(params.get("files") or ""))
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        if not isinstance(items, list) or not items:
            return {"ok": False, "error": "invalid_arguments"}
        files = []
        for item in items:
            upload = self.uploads.get(str(item.get("id")))
            if upload is None or upload["bytes"] is None:  # unknown id, or bytes never POSTed
                return {"ok": False, "error": "file_not_found"}
            channel = params.get("channel_id")
            upload.update(
                title=item.get("title") or upload["filename"],
                channel=channel,
                initial_comment=params.get("initial_comment"),
                thread_ts=params.get("thread_ts"),
            )
            files.append(
                {
                    "id": item["id"],
                    "name": upload["filename"],
                    "title": upload["title"],
                    "size": len(upload["bytes"]),
                    "channels": [channel] if channel else [],
                }
            )
        return {"ok": True, "files": files}


def _bearer(value: str | None) -> str | None:
    if value and value.lower().startswith("bearer "):
        return value[len("bearer ") :].strip()
    return None


def _parse_body(body: bytes, content_type: str) -> dict[str, Any]:
    """JSON or form body as a dict; other encodings (multipart uploads) are not interpreted."""
    if not body:
        return {}
    text = body.decode("utf-8")
    if content_type.lower().startswith("application/json"):
        parsed = json.loads(text)
        return parsed if isinstance(parsed, dict) else {"_json": parsed}
    if content_type.lower().startswith("multipart/"):
        return {}
    return dict(parse_qsl(text, keep_blank_values=True))


def _decode_json_fields(params: dict[str, Any]) -> dict[str, Any]:
    decoded = dict(params)
    for key in JSON_FIELDS & decoded.keys():
        value = decoded[key]
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):  # not JSON after all: keep the string
                decoded[key] = json.loads(value)
    return decoded


# -- requests to the bot ---------------------------------------------------------------------


def signed_headers(
    signing_secret: str,
    body: str,
    *,
    timestamp: int | None = None,
    content_type: str = "application/json",
    retry_num: int | None = None,
    retry_reason: str | None = None,
) -> dict[str, str]:
    """Headers Slack would send with ``body``: the v0 HMAC signature over ``v0:{ts}:{body}``.

    Computed with hmac directly (not slack_sdk) so the self-test's check against
    ``SignatureVerifier`` is an independent one.  Pass an old ``timestamp`` to test replay
    rejection, and ``retry_num``/``retry_reason`` to imitate Slack's event redelivery.
    """
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        signing_secret.encode("utf-8"), f"v0:{ts}:{body}".encode(), hashlib.sha256
    ).hexdigest()
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": f"v0={digest}",
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
    if retry_reason is not None:
        headers["X-Slack-Retry-Reason"] = retry_reason
    return headers


def event_body(
    event: dict[str, Any],
    *,
    event_id: str,
    team_id: str = "T0001",
    api_app_id: str = "A0001",
    event_time: int | None = None,
    bot_user_id: str = "UBOT",
) -> str:
    """An Events API ``event_callback`` envelope, as the JSON string Slack POSTs."""
    return json.dumps(
        {
            "token": "verification-token",
            "team_id": team_id,
            "api_app_id": api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()) if event_time is None else event_time,
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team_id,
                    "user_id": bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{event_id}",
        }
    )


def slash_command_body(
    command: str,
    text: str,
    *,
    user_id: str,
    channel_id: str,
    response_url: str,
    trigger_id: str = "T.1",
    team_id: str = "T0001",
    api_app_id: str = "A0001",
) -> str:
    """A slash-command request body, form-encoded as Slack sends it."""
    return urlencode(
        {
            "token": "verification-token",
            "team_id": team_id,
            "team_domain": "test",
            "channel_id": channel_id,
            "channel_name": channel_id.lower(),
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def block_action_body(
    action_id: str,
    value: str,
    *,
    user_id: str,
    channel_id: str,
    message_ts: str,
    response_url: str,
    block_id: str = "actions",
    message: dict[str, Any] | None = None,
    team_id: str = "T0001",
    api_app_id: str = "A0001",
) -> str:
    """A ``block_actions`` button click: form-encoded ``payload=<json>``, as Slack sends it.

    ``message`` is the clicked message as Slack echoes it back (handlers often rebuild its
    blocks); by default a bare bot message with that ``message_ts``.
    """
    clicked = message or {
        "type": "message",
        "user": "UBOT",
        "bot_id": BOT_ID,
        "text": "",
        "ts": message_ts,
    }
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {
            "id": user_id,
            "username": user_id.lower(),
            "name": user_id.lower(),
            "team_id": team_id,
        },
        "api_app_id": api_app_id,
        "token": "verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": "T.1",
        "team": {"id": team_id, "domain": "test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_id.lower()},
        "message": clicked,
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})
