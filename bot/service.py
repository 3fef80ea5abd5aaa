"""`payops run`: the service, assembled from what the configuration turns on.

Always: the database, the local queue, the pipeline, the outbox and the web server.
With Slack tokens: the bolt app (HTTP events on the web server, or Socket Mode). With a
Jira URL: the poller and the Jira writer. One work loop takes tickets off the queue and
delivers the outbox; it wakes when an event arrives and every `poll_seconds` otherwise.
APScheduler runs the periodic jobs (Jira polling, the SLA clock, playbook expiry and resume,
the metrics roll-up, and the weekly recurrence report to Slack).
Approved playbook proposals are applied by the work loop (`playbooks.runner`).

Shutdown (SIGTERM or SIGINT) stops taking tickets, lets the ticket in hand finish (its
transaction commits whole or not at all), gives back the leases of tickets not started,
and stops the web server; nothing is lost and nothing is handled twice.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import FrameType
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler

from bot.config import Settings
from bot.insights.filters import Filters, parse_since
from bot.insights.recurrence_report import recurrence_report
from bot.insights.rollup import RollupSummary, roll_up
from bot.outbox import LocalSender, Sender, deliver_pending
from bot.pipeline import Outcome, Pipeline
from bot.remediation import BotNotifier, build_runner
from bot.report_post import post_recurrence
from bot.sla_clock import cut_sla_alarms
from bot.worker import Worker
from models import Database
from payables.clock import Clock, system_clock
from playbooks.shadow import compare_due
from triage.service import Triager

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.web import WebServer

log = logging.getLogger(__name__)


class ModelNotReady(RuntimeError):
    pass


def load_triager(settings: Settings) -> Triager:
    import torch

    from triage import model_store
    from triage.embeddings import Embedder

    # The service embeds one ticket (or one claimed batch) at a time: torch's second
    # intra-op thread gains ~1 ms when the machine is idle, and under any other load on two
    # cores its barriers make each encode 10-40x slower (bench/bot.py).
    torch.set_num_threads(1)
    directory = settings.model_dir or model_store.model_dir()
    try:
        model = model_store.load(directory)
    except model_store.ModelError as exc:
        raise ModelNotReady(f"{exc}\nTrain one with: payops triage train (a few minutes; "
                            "`payops demo` does it for you)") from exc
    return Triager(model, Embedder())


@dataclass
class RunSummary:
    polled: int = 0
    processed: int = 0
    delivered: int = 0
    alarms: int = 0
    applied: int = 0


class Service:
    def __init__(self, settings: Settings, *, db: Database | None = None, clock: Clock = system_clock,
                 triager: Triager | None = None, jira_sleep: Callable[[float], None] = time.sleep,
                 on_outcome: Callable[[Outcome], None] | None = None) -> None:
        self.settings = settings
        self.db = db or Database(settings.database_url)
        self.clock = clock
        self.triager = triager or load_triager(settings)
        notifier = BotNotifier(settings, clock)
        self.runner = build_runner(self.db, settings, clock, notifier)
        self.pipeline = Pipeline(self.triager, settings, clock=clock, runner=self.runner)
        # A verified fix closes its ticket and answers every ticket that hangs under it.
        notifier.on_verified = lambda session, ticket, p: self.pipeline.resolve(
            session, ticket, by=f"playbook {p.playbook} #{p.id} (approved by {p.decided_by})", note=p.summary)
        self.worker = Worker(self.db, self.pipeline, worker_id=settings.worker_id, clock=clock,
                             lease=timedelta(seconds=settings.lease_seconds), max_attempts=settings.max_attempts,
                             on_outcome=on_outcome)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.senders: dict[str, Sender] = {"local": LocalSender()}
        self.slack = None
        self.jira_poller = None
        if settings.slack.enabled:
            from bot.slack_bridge import SlackBridge, SlackSender

            self.slack = SlackBridge(settings.slack, self.db, clock, wake=self.wake, decide=self.decide,
                                     approver_groups=tuple(settings.playbooks.approver_groups))
            slack_sender = SlackSender(self.slack.client)
            self.senders.update(slack_thread=slack_sender, slack_channel=slack_sender, slack_response=slack_sender,
                                slack_update=slack_sender)
        if settings.jira.enabled:
            from bot.jira_bridge import JiraGateway, JiraPoller, JiraSender

            gateway = JiraGateway(settings.jira, sleep=jira_sleep)
            self.jira_poller = JiraPoller(gateway, self.db, clock)
            jira_sender = JiraSender(gateway)
            self.senders.update(jira_comment=jira_sender, jira_labels=jira_sender, jira_transition=jira_sender)
        self.web: WebServer | None = None
        self.scheduler: BackgroundScheduler | None = None
        self._threads: list[threading.Thread] = []
        self._socket_handler: SocketModeHandler | None = None

    # -- one pass, for `payops run --once`, cron and tests ---------------------------------

    def wake(self) -> None:
        self._wake.set()

    def poll_sources(self) -> int:
        if self.jira_poller is None:
            return 0
        from bot.outbox import DeliveryError

        try:
            return self.jira_poller.poll()
        except DeliveryError as exc:
            log.error("Jira poll failed: %s", exc)
            return 0

    def sla_clock(self) -> int:
        with self.db.session() as session:
            cut = cut_sla_alarms(session, now=self.clock())
        if cut:
            self.wake()
        return cut

    def decide(self, user: str, proposal_id: int, approve: bool, groups: tuple[str, ...]) -> tuple[bool, str]:
        """An Approve/Reject click; the apply itself happens in the work loop."""
        decision = self.runner.decide(proposal_id, user, approve=approve, groups=groups)
        self.wake()
        return decision.ok, decision.message

    def remediate(self) -> int:
        """Expire unanswered proposals, apply approved ones, resume any a crash cut short."""
        try:
            done = self.runner.run_due()
            with self.db.session() as session:
                compare_due(session, now=self.clock())  # shadow records of resolved tickets
            return done
        except Exception:  # one bad proposal must not stop the loop; it is logged
            log.exception("applying playbooks failed")
            return 0

    def deliver(self) -> int:
        return deliver_pending(self.db, self.senders, self.clock)

    def roll_up_metrics(self) -> RollupSummary | None:
        """Bring the dashboard's and /metrics' tables up to date (a scheduled job)."""
        try:
            summary = roll_up(self.db, self.clock)
        except Exception:  # the next run redoes what this one missed; the cause is logged
            log.exception("metrics roll-up failed")
            return None
        log.info("%s", summary)
        return summary

    def post_recurrence_report(self) -> str | None:
        """The weekly recurrence report, with its chart, to the configured Slack channel.
        Returns the uploaded file's id (None when no channel or no Slack is configured)."""
        reports = self.settings.reports
        if not reports.channel or self.slack is None:
            return None
        self.roll_up_metrics()
        today = self.clock().date()
        with self.db.session() as session:
            report = recurrence_report(session, Filters(parse_since(reports.since, today), today), self.clock(),
                                       handling_minutes=reports.handling_minutes)
        file_id = post_recurrence(self.slack.client, reports.channel, report)
        log.info("recurrence report posted to %s (file %s)", reports.channel, file_id)
        return file_id

    def run_once(self) -> RunSummary:
        """Poll, process every pending ticket, deliver every due message; then return."""
        summary = RunSummary(polled=self.poll_sources(), alarms=self.sla_clock())
        while True:
            processed = self.worker.drain(self._stop)
            applied = self.remediate()
            delivered = self.deliver()
            summary.processed += processed
            summary.applied += applied
            summary.delivered += delivered
            if not (processed or applied or delivered) or self._stop.is_set():
                return summary

    # -- the long-running service ------------------------------------------------------

    def start(self, *, web: bool = True) -> None:
        if web:
            from bot.web import WebServer, build_app

            app = build_app(self.db, self.settings.web, self.slack.app if self.slack else None, clock=self.clock,
                            handling_minutes=self.settings.reports.handling_minutes)
            self.web = WebServer(app, self.settings.web.host, self.settings.web.port)
            self.web.start()
        if self.slack is not None and self.settings.slack.socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            assert self.settings.slack.app_token is not None
            self._socket_handler = SocketModeHandler(self.slack.app, self.settings.slack.app_token.get_secret_value())
            self._socket_handler.connect()
        self.scheduler = BackgroundScheduler(timezone="UTC")
        if self.jira_poller is not None:
            self.scheduler.add_job(self._poll_and_wake, "interval", seconds=self.settings.jira.poll_seconds,
                                   id="jira-poll", max_instances=1, coalesce=True)
        self.scheduler.add_job(self.sla_clock, "interval", minutes=1, id="sla-clock", max_instances=1, coalesce=True)
        # Expiry of unanswered proposals, and resuming applies a crash cut short.
        self.scheduler.add_job(self.wake, "interval", seconds=30, id="playbooks", max_instances=1, coalesce=True)
        reports = self.settings.reports
        self.scheduler.add_job(self.roll_up_metrics, "interval", minutes=reports.rollup_minutes, id="metrics-rollup",
                               max_instances=1, coalesce=True, next_run_time=self.clock())
        if reports.channel and self.slack is not None:
            self.scheduler.add_job(self._post_report_logged, "cron", day_of_week=reports.weekday, hour=reports.hour,
                                   id="recurrence-report", max_instances=1, coalesce=True)
        self.scheduler.start()
        loop = threading.Thread(target=self._work_loop, name="payops-work", daemon=True)
        loop.start()
        self._threads.append(loop)
        self.wake()

    def _post_report_logged(self) -> None:
        try:
            self.post_recurrence_report()
        except Exception:  # Slack down: logged, and next week's goes out as usual
            log.exception("posting the recurrence report failed")

    def _poll_and_wake(self) -> None:
        if self.poll_sources():
            self.wake()

    def _work_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.worker.drain(self._stop)
                if not self._stop.is_set():
                    self.remediate()
                    self.deliver()
            except Exception:  # the loop must outlive any one failure; the cause is logged
                log.exception("work loop pass failed")
            self._wake.wait(self.settings.poll_seconds)
            self._wake.clear()

    @property
    def url(self) -> str | None:
        if self.web is None:
            return None
        return f"http://{self.settings.web.host}:{self.web.port}/"

    def stop(self) -> None:
        """Finish the ticket in hand, release the rest, stop every part."""
        self._stop.set()
        self._wake.set()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        for thread in self._threads:
            thread.join(timeout=60)
        if self._socket_handler is not None:
            self._socket_handler.close()
        if self.web is not None:
            self.web.stop()
        log.info("payops stopped")

    def serve_forever(self, on_started: Callable[[Service], None] | None = None) -> None:
        """Run until SIGTERM or SIGINT."""
        def on_signal(signum: int, frame: FrameType | None) -> None:
            log.info("signal %s: stopping", signum)
            self._stop.set()
            self._wake.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        self.start()
        if on_started is not None:
            on_started(self)
        while not self._stop.wait(0.5):
            pass
        self.stop()
