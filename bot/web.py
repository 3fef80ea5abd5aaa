"""The service's web server: the Slack events endpoint, health, a status page, the
manager dashboard (bot/dashboard) and Prometheus metrics (/metrics).

Starlette served by uvicorn in a background thread. Anything but /healthz, the Slack
endpoint (which Slack signs) and the dashboard's copy of plotly.js needs the web token
when one is configured (Prometheus sends it as a bearer token).
"""

from __future__ import annotations

import hmac
import html
import threading
import time

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.config import HANDLING_MINUTES, WebSettings
from bot.dashboard.routes import dashboard_routes
from bot.stake import ranked
from models import Database, Proposal, Ticket
from payables.clock import Clock, system_clock

OPEN_STATES = ("new", "needs_human", "escalated", "triaged", "awaiting_customer")


def build_app(db: Database, web: WebSettings, slack_app: App | None, *,
              clock: Clock = system_clock, handling_minutes: float = HANDLING_MINUTES) -> Starlette:
    async def slack_events(request: Request) -> Response:
        if slack_app is None:
            return PlainTextResponse("Slack is not configured", status_code=404)
        body = await request.body()
        # bolt's dispatch is blocking (it writes the ticket): keep it off the event loop.
        response = await run_in_threadpool(slack_app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(response)

    async def healthz(request: Request) -> Response:
        def check() -> dict[str, object]:
            with db.session() as session:
                counts = dict(session.execute(select(Ticket.state, func.count()).group_by(Ticket.state)).all())
            return {"ok": True, "tickets": counts}
        return JSONResponse(await run_in_threadpool(check))

    def authorised(request: Request) -> bool:
        if web.token is None:
            return True
        given = request.headers.get("authorization", "").removeprefix("Bearer ") or request.query_params.get("token", "")
        return hmac.compare_digest(given.encode(), web.token.get_secret_value().encode())

    async def status(request: Request) -> Response:
        if not authorised(request):
            return PlainTextResponse("a token is needed", status_code=401)
        return HTMLResponse(await run_in_threadpool(_status_page, db))

    async def metrics(request: Request) -> Response:
        if not authorised(request):
            return PlainTextResponse("a token is needed", status_code=401)
        from prometheus_client import CONTENT_TYPE_LATEST

        from bot.insights.prometheus import exposition

        return Response(await run_in_threadpool(exposition, db, clock), media_type=CONTENT_TYPE_LATEST)

    routes = [Route("/slack/events", slack_events, methods=["POST"]), Route("/healthz", healthz),
              Route("/", status), Route("/metrics", metrics), *dashboard_routes(db, authorised, clock, handling_minutes)]
    return Starlette(routes=routes)


def _status_page(db: Database) -> str:
    with db.session() as session:
        queue = ranked(session, OPEN_STATES, limit=50)
        rows = "".join(
            f"<tr><td>{html.escape(t.external_key)}</td><td>{html.escape(t.state)}</td>"
            f"<td>{html.escape(str(((t.predicted or {}).get('category') or {}).get('label', '')))}</td>"
            f"<td>{f'{t.deadline:%Y-%m-%d %H:%M} UTC' if t.deadline else ''}</td>"
            f"<td>{t.at_stake_usd or ''}</td><td>{html.escape(t.title[:100])}</td></tr>"
            for t in queue)
        fixes = _fixes_table(session)
    return ("<!doctype html><html><head><meta charset='utf-8'><title>payops</title></head><body>"
            "<h1>payops: on-call queue</h1><p>Most at stake first.</p>"
            "<table border='1' cellpadding='4'><tr><th>ticket</th><th>state</th><th>category</th>"
            f"<th>2-hour deadline</th><th>at stake (USD)</th><th>title</th></tr>{rows}</table>{fixes}</body></html>")


def _fixes_table(session: Session) -> str:
    """Playbook proposals waiting for a person, then the latest outcomes (read-only here:
    approving happens in Slack or with `payops playbook apply`)."""
    waiting = list(session.scalars(select(Proposal).where(Proposal.state == "proposed")
                                   .order_by(Proposal.expires_at).limit(50)))
    done = list(session.scalars(select(Proposal).where(Proposal.finished_at.is_not(None))
                                .order_by(Proposal.finished_at.desc()).limit(10)))
    keys = {i: k for i, k in session.execute(select(Ticket.id, Ticket.external_key).where(
        Ticket.id.in_({p.ticket_id for p in waiting + done if p.ticket_id})))}

    def row(p: Proposal, last: str) -> str:
        cells = (str(p.id), keys.get(p.ticket_id or 0, "-"), p.playbook, p.risk, p.state, last, p.summary[:120])
        return "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"

    head = ("<tr><th>#</th><th>ticket</th><th>playbook</th><th>risk</th><th>state</th><th>{}</th>"
            "<th>plan</th></tr>")
    waiting_rows = "".join(row(p, f"{p.expires_at:%Y-%m-%d %H:%M} UTC" if p.expires_at else "") for p in waiting)
    done_rows = "".join(row(p, p.outcome[:120]) for p in done)
    return (f"<h2>Fixes waiting for approval ({len(waiting)})</h2><table border='1' cellpadding='4'>"
            f"{head.format('expires')}{waiting_rows}</table>"
            f"<h2>Latest outcomes</h2><table border='1' cellpadding='4'>{head.format('outcome')}{done_rows}</table>")


class WebServer:
    """uvicorn in a thread, stoppable."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, name="payops-web", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the web server did not start (is the port taken?)")
            time.sleep(0.02)

    @property
    def port(self) -> int:
        sockets = self.server.servers[0].sockets if self.server.servers else []
        return int(sockets[0].getsockname()[1]) if sockets else 0

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

