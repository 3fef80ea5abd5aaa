"""Screenshot the manager dashboard: roll up, render the last 28 days as one static HTML
file, and capture it full-page in headless Chromium at 1400 px wide.

    .venv/bin/python scripts/dashboard_screenshot.py sqlite:///payops.db docs/dashboard.png
        [--now 2026-11-20T09:00:00+00:00] [--html dashboard.html]

Uses Debian's chromium and chromium-driver (/usr/bin); Selenium Manager is never asked
for a driver, so nothing is downloaded.
"""

from __future__ import annotations

import argparse
import base64
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.dashboard import render_static
from bot.insights.filters import filters_from
from bot.insights.rollup import roll_up
from bot.insights.snapshot import build_snapshot
from models import Database
from payables.clock import fixed_clock

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WIDTH = 1400
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
         "--hide-scrollbars", f"--window-size={WIDTH},1000")


def static_dashboard(url: str, now: datetime) -> str:
    db = Database(url)
    try:
        print(roll_up(db, fixed_clock(now)), file=sys.stderr)
        with db.session() as session:
            snapshot = build_snapshot(session, filters_from({}, now.date()), now)
        return render_static(snapshot)
    finally:
        db.dispose()


def screenshot(html_file: Path, png: Path, *, timeout: float = 60.0) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="payops-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (*FLAGS, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        try:
            driver.get(html_file.resolve().as_uri())
            _wait_for_charts(driver, timeout)
            height = int(driver.execute_script("return document.documentElement.scrollHeight"))
            # The viewport as tall as the page: one capture, charts laid out at their real width.
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": False})
            time.sleep(0.5)  # Plotly redraws on the resize it causes
            shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
            png.parent.mkdir(parents=True, exist_ok=True)
            png.write_bytes(base64.b64decode(shot["data"]))
        finally:
            driver.quit()


def _wait_for_charts(driver: object, timeout: float) -> None:
    script = ("return Array.from(document.querySelectorAll('.chart'))"
              ".every(el => el.querySelector('.main-svg') !== null)")
    deadline = time.monotonic() + timeout
    while not driver.execute_script(script):  # type: ignore[attr-defined]
        if time.monotonic() > deadline:
            raise RuntimeError("the charts did not render")
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("png", type=Path)
    parser.add_argument("--now", type=datetime.fromisoformat, default=None,
                        help="the moment to roll up and render as of (ISO, default: now, UTC)")
    parser.add_argument("--html", type=Path, default=None, help="also keep the static HTML here")
    args = parser.parse_args(argv)
    now = args.now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    html = static_dashboard(args.database_url, now)
    with tempfile.TemporaryDirectory(prefix="payops-dashboard-") as tmp:
        page = args.html or Path(tmp) / "dashboard.html"
        page.write_text(html, encoding="utf-8")
        screenshot(page, args.png)
    print(f"wrote {args.png}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
