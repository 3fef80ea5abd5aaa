"""The manager dashboard in a real headless Chromium against the service's web server:
every chart draws, the numbers are the ones the book was built with, the engineered
outlier is called out, and the filter form narrows everything to one client."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import requests
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver import Chrome as WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser.conftest import TODAY, TOKEN, Book

CHARTS = ("chart-pipeline", "chart-client-rates", "chart-rules", "chart-tickets", "chart-recurrence", "chart-sla")
DAYS = [TODAY - timedelta(days=27 - i) for i in range(28)]  # the default range: four weeks to today
ISO_DAYS = [d.isoformat() for d in DAYS]


def open_dashboard(driver: WebDriver, url: str) -> None:
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(url)
    wait_for_charts(driver)


def wait_for_charts(driver: WebDriver) -> None:
    drawn = "return arguments[0].every(id => document.querySelector('#' + id + ' .main-svg') !== null)"
    WebDriverWait(driver, 30).until(lambda d: d.execute_script(drawn, list(CHARTS)))


def kpis(driver: WebDriver) -> dict[str, str]:
    return {el.get_attribute("data-kpi") or "": el.text for el in driver.find_elements(By.CSS_SELECTOR, "[data-kpi]")}


def trace(driver: WebDriver, chart: str, name: str) -> dict[str, Any]:
    data = driver.execute_script(f"return document.getElementById('{chart}').data")
    found = [t for t in data if t.get("name") == name]
    assert found, f"{chart} has no trace {name!r}: {[t.get('name') for t in data]}"
    return dict(found[0])


def rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%"


@pytest.fixture
def dashboard(driver: WebDriver, server: str) -> WebDriver:
    open_dashboard(driver, f"{server}/dashboard?token={TOKEN}")
    return driver


def test_the_page_and_every_chart_render_without_errors(dashboard: WebDriver) -> None:
    for chart in CHARTS:
        assert dashboard.find_elements(By.CSS_SELECTOR, f"#{chart} .main-svg"), chart
    errors = [e for e in dashboard.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    assert dashboard.find_element(By.ID, "scope").text == f"all clients, {DAYS[0]} to {TODAY}"
    assert dashboard.find_element(By.ID, "rolled-up").text == "2026-11-20 09:00 UTC"


def test_the_tiles_show_what_the_book_holds(dashboard: WebDriver, book: Book) -> None:
    t = book.total()
    shown = kpis(dashboard)
    assert shown["invoices-received"] == f"{t.received:,}" == "384"
    assert shown["rejection-rate"] == rate(t.rejected, t.received) == "6.8%"
    assert shown["hold-rate"] == rate(t.on_hold, t.received)
    assert shown["unreadable-rows"] == str(t.unreadable)
    # Nothing was ever scheduled: the backlog is every held invoice and every immediate-pay
    # one past its 2 hours (not today's, nor NET30 ones waiting for their due date), the
    # oldest since the first quiet day at 08:00 (14 days and 1 hour ago).
    assert shown["backlog"] == str(t.on_hold + t.immediate - 1) == "22"
    assert shown["backlog-oldest"] == "14.0 d"
    # Tickets: 14 answered inquiries (first answer after 1 min, answered after 10), 14 data
    # fixes (handed over after 5 min, resolved after 3 h), 3 incidents today (2 min, open).
    assert shown["tickets"] == "31"
    assert shown["deflection-rate"] == rate(14, 31)
    assert (shown["first-response-p50"], shown["first-response-p90"]) == ("2 min", "5 min")
    assert (shown["resolution-p50"], shown["resolution-p90"]) == ("1.6 h", "3.0 h")
    # 14 vendor refreshes (10 verified, 2 failed, 1 rejected, 1 waiting), 14 FX backfills applied alone.
    assert (shown["playbook-proposals"], shown["playbook-approved"], shown["playbook-verified"]) == ("28", "26", "24")
    # Every immediate-pay invoice of the quiet days missed its 2 hours; today's is still on its clock.
    assert shown["sla-breaches"] == str(t.immediate - 1)
    assert shown["at-risk-now"] == "1"


def test_the_charts_hold_the_numbers_per_day(dashboard: WebDriver, book: Book) -> None:
    rejected = trace(dashboard, "chart-pipeline", "rejected")
    assert rejected["x"] == ISO_DAYS
    assert rejected["y"] == book.per_day("rejected", DAYS)
    assert rejected["y"][-1] == 12
    assert trace(dashboard, "chart-pipeline", "on hold")["y"] == book.per_day("on_hold", DAYS)
    assert trace(dashboard, "chart-pipeline", "unreadable")["y"] == book.per_day("unreadable", DAYS)
    accepted = [a + i for a, i in zip(book.per_day("accepted", DAYS), book.per_day("immediate", DAYS), strict=True)]
    assert trace(dashboard, "chart-pipeline", "accepted")["y"] == accepted

    rates = trace(dashboard, "chart-client-rates", "rejected")
    c017 = book.total("C017")
    assert rates["x"] == ["C017", "C042"]  # by volume
    assert rates["y"][0] == pytest.approx(c017.rejected / c017.received)
    assert trace(dashboard, "chart-rules", "findings")["y"][:2] == ["VM-01", "FX-01"]

    quiet = [1 if d < TODAY and d >= TODAY - timedelta(days=14) else 0 for d in DAYS]
    assert trace(dashboard, "chart-tickets", "inquiry")["y"] == quiet
    assert trace(dashboard, "chart-tickets", "incident")["y"] == [0] * 27 + [3]
    deflection = trace(dashboard, "chart-tickets", "deflection rate")["y"]
    assert deflection[-15:] == [0.5] * 14 + [0]
    assert all(v is None for v in deflection[:-15])  # no tickets, no rate (not 0 %)

    assert trace(dashboard, "chart-sla", "immediate-pay received")["y"] == book.per_day("immediate", DAYS)
    assert trace(dashboard, "chart-sla", "SLA-01 breaches")["y"] == book.per_day("immediate", DAYS)[:-1] + [0]


def test_the_engineered_outlier_is_called_out(dashboard: WebDriver) -> None:
    # 12 of 21 today against 1 of 21 or 22 on every earlier day; told once (not again as
    # VM-01's share of all invoices, nor as DE's rejections).
    callouts = [el.text for el in dashboard.find_elements(By.CSS_SELECTOR, "#callouts li.callout")]
    assert callouts == ["C017 rejected 57% of its invoices, 12.3x its 2-week median of 4.7%, driven by VM-01"]


def test_the_tables_show_recurrence_risk_and_playbooks(dashboard: WebDriver, book: Book) -> None:
    ranking = [row.find_elements(By.TAG_NAME, "td") for row in
               dashboard.find_elements(By.CSS_SELECTOR, "#automate-next tbody tr")]
    assert [(r[0].text, r[1].text, r[3].text) for r in ranking] == [
        ("missing FX rates", "14", "backfill_fx_rate"), ("stale vendor master data", "17", "refresh_vendor_snapshot")]
    risk = [td.text for td in dashboard.find_elements(By.CSS_SELECTOR, "#at-risk tbody td")]
    assert risk == [book.at_risk[0], "C017", "90", "VALIDATED"]
    rows = {r.find_element(By.TAG_NAME, "td").text: [td.text for td in r.find_elements(By.TAG_NAME, "td")[1:]]
            for r in dashboard.find_elements(By.CSS_SELECTOR, "#playbooks tbody tr")}
    assert rows["refresh_vendor_snapshot"] == ["14", "12", "0", "1", "0", "10", "2", "83.3%"]
    assert rows["backfill_fx_rate"] == ["14", "0", "14", "0", "0", "14", "0", "100.0%"]


def test_the_filter_form_narrows_everything_to_one_client(dashboard: WebDriver, book: Book) -> None:
    Select(dashboard.find_element(By.ID, "filter-client")).select_by_value("C042")
    dashboard.find_element(By.ID, "filter-apply").click()
    # The old page's elements go stale while the new one loads: look again until it is there.
    WebDriverWait(dashboard, 30, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: "C042" in d.find_element(By.ID, "scope").text)
    wait_for_charts(dashboard)
    assert f"token={TOKEN}" in dashboard.current_url and "client=C042" in dashboard.current_url

    t = book.total("C042")
    shown = kpis(dashboard)
    assert shown["invoices-received"] == str(t.received) == "62"
    assert shown["rejection-rate"] == "0.0%"
    assert shown["hold-rate"] == rate(t.on_hold, t.received) == "24.2%"
    assert shown["unreadable-rows"] == "2"
    assert shown["backlog"] == str(t.on_hold) == "15"
    assert shown["tickets"] == "14"
    assert shown["deflection-rate"] == "0.0%"
    assert (shown["sla-breaches"], shown["at-risk-now"]) == ("0", "0")
    assert trace(dashboard, "chart-pipeline", "rejected")["y"] == [0] * 28
    assert trace(dashboard, "chart-pipeline", "on hold")["y"] == book.per_day("on_hold", DAYS, "C042")
    assert [el.text for el in dashboard.find_elements(By.CSS_SELECTOR, "#callouts li.callout")] == []
    assert [e for e in dashboard.get_log("browser") if e["level"] == "SEVERE"] == []


def test_without_the_token_there_is_no_dashboard(driver: WebDriver, server: str) -> None:
    assert requests.get(f"{server}/dashboard", timeout=30).status_code == 401
    driver.get(f"{server}/dashboard")
    assert driver.find_element(By.TAG_NAME, "body").text == "a token is needed"
    assert not driver.find_elements(By.CSS_SELECTOR, "[data-kpi]")


def test_a_bad_filter_value_gives_a_400_naming_it(driver: WebDriver, server: str) -> None:
    url = f"{server}/dashboard?token={TOKEN}&from=2026-02-30"
    assert requests.get(url, timeout=30).status_code == 400
    driver.get(url)
    assert driver.find_element(By.ID, "error-message").text == "from '2026-02-30' is not a date (YYYY-MM-DD)"
