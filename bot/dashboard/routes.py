"""The dashboard's routes on the service's web server; read-only, GET only.

`/dashboard` needs the web token (when one is configured), like the status page. The
plotly.js route does not: it serves the public library file from the installed `plotly`
package and holds no data, and keeping the token out of its URL keeps the token out of
the browser cache and lets every user share the one cached copy.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib.metadata import version

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.config import HANDLING_MINUTES
from bot.dashboard.render import plotly_js_path, render_error, render_page
from bot.insights.filters import FilterError, Filters, filters_from
from models import Database
from payables.clock import Clock

PLOTLY_PATH = "/dashboard/static/plotly.min.js"
# The page holds private figures (and maybe the token in its form): never cached, never
# sent on as a referrer.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}
# The library changes only with the package version, which the page's URL names.
FOREVER = {"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"}


def dashboard_routes(db: Database, authorised: Callable[[Request], bool], clock: Clock,
                     handling_minutes: float = HANDLING_MINUTES) -> list[Route]:
    plotly_src = f"{PLOTLY_PATH}?v={version('plotly')}"

    async def page(request: Request) -> Response:
        if not authorised(request):
            return PlainTextResponse("a token is needed", status_code=401)
        # Only a token that came in the URL is carried on; a header token stays in the header.
        token = request.query_params.get("token") or None
        now = clock()
        try:
            filters = filters_from(request.query_params, now.date())
        except FilterError as exc:
            return HTMLResponse(render_error(str(exc), token=token), status_code=400, headers=PRIVATE)
        body = await run_in_threadpool(_render, db, filters, now, token, plotly_src, handling_minutes)
        return HTMLResponse(body, headers=PRIVATE)

    async def plotly_js(request: Request) -> Response:
        return FileResponse(plotly_js_path(), media_type="text/javascript; charset=utf-8", headers=FOREVER)

    return [Route("/dashboard", page, methods=["GET"]), Route(PLOTLY_PATH, plotly_js, methods=["GET"])]


def _render(db: Database, filters: Filters, now: datetime, token: str | None, plotly_src: str,
            handling_minutes: float) -> str:
    # Imported on first use: it loads the recurrence clustering, which the rest of the
    # web server (and `import bot.web`) does not need.
    from bot.insights.snapshot import build_snapshot

    with db.session() as session:
        snapshot = build_snapshot(session, filters, now, handling_minutes=handling_minutes)
    return render_page(snapshot, token=token, plotly_src=plotly_src)
