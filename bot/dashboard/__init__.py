"""The manager dashboard: the metrics snapshot as one server-rendered page with Plotly charts.

`render_page` and `render_static` turn a Snapshot into HTML, `charts` builds the figures,
and `routes` serves the page (behind the web token) from the service's web server.
"""

from bot.dashboard.render import render_error, render_page, render_static

__all__ = ["render_error", "render_page", "render_static"]
