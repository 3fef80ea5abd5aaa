"""Post the weekly recurrence report to a Slack channel: the chart as a PNG, the text as its comment."""

from __future__ import annotations

from urllib.error import HTTPError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.insights.recurrence_report import RecurrenceReport
from bot.insights.report_chart import recurrence_png
from bot.insights.report_render import slack_text


class ReportPostError(RuntimeError):
    """Slack refused the report; the message names the channel and Slack's error code."""

    def __init__(self, channel: str, error: str) -> None:
        super().__init__(f"could not post the recurrence report to Slack channel {channel}: {error}")
        self.channel = channel
        self.error = error


def post_recurrence(client: WebClient, channel: str, report: RecurrenceReport) -> str:
    """Upload the chart with the report text as its comment; returns the Slack file id."""
    f = report.filters
    try:
        # files_upload_v2: getUploadURLExternal, POST of the bytes, completeUploadExternal.
        response = client.files_upload_v2(
            channel=channel,
            content=recurrence_png(report),
            filename=f"recurrence-{f.start:%Y-%m-%d}-{f.end:%Y-%m-%d}.png",
            title=f"Recurrence report: {f.describe()}",
            alt_txt=f"Tickets per recurring problem, {f.describe()}",
            initial_comment=slack_text(report),
        )
    except SlackApiError as exc:
        raise ReportPostError(channel, str(exc.response.get("error") or exc)) from exc
    except HTTPError as exc:  # urllib raises on a non-2xx from the upload URL, before slack_sdk looks
        raise ReportPostError(channel, f"the upload URL answered HTTP {exc.code}") from exc
    except SlackRequestError as exc:  # e.g. the chart exceeds Slack's file size limit
        raise ReportPostError(channel, str(exc)) from exc
    files = response.get("files") or []
    if not files or not files[0].get("id"):
        raise ReportPostError(channel, "Slack answered without a file id")
    return str(files[0]["id"])
