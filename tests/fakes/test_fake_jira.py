"""Self-test of the fake Jira: the real ``jira`` client must work against it unchanged.

These tests pin what the bot's tests rely on, so a ``jira`` upgrade that changes endpoints,
payloads or retry behaviour shows up here rather than as puzzling bot test failures.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import jira.resilientsession
import pytest
from jira import JIRA
from jira.exceptions import JIRAError

from tests.fakes.jira_api import FakeJira

FIELDS = "summary,description,reporter,updated,created,labels,status,project,comment"
CURSOR_JQL = 'project = PAY AND updated >= "2026/11/25 09:00" ORDER BY updated ASC, key ASC'
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeJira]:
    with FakeJira(projects=("PAY", "OPS")) as server:
        server.clock = lambda: T0 + timedelta(hours=1)
        yield server


@pytest.fixture
def client(fake: FakeJira) -> Iterator[JIRA]:
    jira_client = JIRA(
        server=fake.url, basic_auth=("bot@example.com", "jira-test-token"), max_retries=2
    )
    yield jira_client
    jira_client.close()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the client's retry sleeps instead of sleeping: only its module's ``time`` is swapped."""
    slept: list[float] = []
    monkeypatch.setattr(jira.resilientsession, "time", SimpleNamespace(sleep=slept.append))
    return slept


def seed(fake: FakeJira) -> None:
    fake.add_issue("PAY-1", "Old", updated=T0 - timedelta(minutes=1))
    fake.add_issue("PAY-3", "Same minute, later key", updated=T0)
    fake.add_issue("PAY-2", "Same minute", updated=T0)
    fake.add_issue("PAY-4", "Later", "Invoice 42 is stuck", updated=T0 + timedelta(minutes=5))
    fake.add_issue("OPS-1", "Other project", updated=T0 + timedelta(minutes=1))


def test_construction_reads_server_info(fake: FakeJira, client: JIRA) -> None:
    assert client.server_info()["deploymentType"] == "Server"
    assert client.myself()["emailAddress"] == "bot@example.com"
    assert [r.path for r in fake.requests][:1] == ["/rest/api/2/serverInfo"]


def test_search_filters_by_cursor_and_orders(fake: FakeJira, client: JIRA) -> None:
    seed(fake)
    found = client.search_issues(CURSOR_JQL, startAt=0, maxResults=50, fields=FIELDS)
    assert [i.key for i in found] == ["PAY-2", "PAY-3", "PAY-4"]
    assert found.total == 3
    issue = found[2]
    assert issue.fields.description == "Invoice 42 is stuck"
    assert issue.fields.reporter.emailAddress == "alice@client.example"
    assert issue.fields.updated == "2026-11-25T09:05:00.000+0000"
    assert issue.fields.status.name == "Open"
    assert issue.fields.project.key == "PAY"
    assert fake.jql_queries == [CURSOR_JQL]
    search = [r for r in fake.requests if r.path == "/rest/api/2/search"][0]
    assert search.query["fields"] == FIELDS

    both = client.search_issues(
        'project in (PAY, OPS) AND updated >= "2026-11-25 09:01" ORDER BY updated ASC',
        fields=FIELDS,
    )
    assert [i.key for i in both] == ["OPS-1", "PAY-4"]


def test_search_paginates(fake: FakeJira, client: JIRA) -> None:
    seed(fake)
    keys: list[str] = []
    start = 0
    while True:
        page = client.search_issues(CURSOR_JQL, startAt=start, maxResults=2, fields=FIELDS)
        keys += [i.key for i in page]
        start += len(page)
        if not page or start >= page.total:
            break
    assert keys == ["PAY-2", "PAY-3", "PAY-4"]
    starts = [r.query.get("startAt") for r in fake.requests if r.path.endswith("/search")]
    assert starts == ["0", "2"]


def test_unknown_project_in_jql_is_a_400(client: JIRA) -> None:
    with pytest.raises(JIRAError) as info:
        client.search_issues("project = NOPE", fields=FIELDS)
    assert info.value.status_code == 400
    assert "does not exist for the field 'project'" in str(info.value.text)


def test_cloud_search_uses_search_jql(fake: FakeJira) -> None:
    seed(fake)
    fake.deployment_type = "Cloud"
    cloud = JIRA(server=fake.url, token_auth="jira-test-token")
    found = cloud.search_issues(CURSOR_JQL, maxResults=2, fields=FIELDS)
    assert [i.key for i in found] == ["PAY-2", "PAY-3"]
    assert found.nextPageToken == "2"
    assert fake.requests[-1].path == "/rest/api/2/search/jql"


def test_issue_comments_and_labels(fake: FakeJira, client: JIRA) -> None:
    seed(fake)
    fake.add_comment("PAY-4", "Any news?", created=T0 + timedelta(minutes=6))
    issue = client.issue("PAY-4", fields=FIELDS)
    assert issue.fields.summary == "Later"
    assert [c.body for c in issue.fields.comment.comments] == ["Any news?"]
    assert issue.fields.updated == "2026-11-25T09:06:00.000+0000"

    comment = client.add_comment("PAY-4", "We are on it.")
    assert comment.id
    assert comment.author.emailAddress == "bot@example.com"
    assert fake.comments("PAY-4") == ["Any news?", "We are on it."]
    assert [c.body for c in client.comments("PAY-4")] == ["Any news?", "We are on it."]
    assert fake.issue_state("PAY-4")["updated"] == T0 + timedelta(hours=1)  # comments bump it

    issue.update(fields={"labels": ["payops-triaged"]})
    assert issue.fields.labels == ["payops-triaged"]  # the client reloads after the PUT
    issue.update(update={"labels": [{"add": "payops-replied"}]})
    assert fake.issue_state("PAY-4")["labels"] == ["payops-triaged", "payops-replied"]

    with pytest.raises(JIRAError) as info:
        issue.update(fields={"labels": ["has space"]})
    assert info.value.status_code == 400


def test_unknown_issue_is_a_404(client: JIRA) -> None:
    with pytest.raises(JIRAError) as info:
        client.issue("PAY-999")
    assert info.value.status_code == 404
    assert "Issue does not exist" in str(info.value.text)


def test_transitions(fake: FakeJira, client: JIRA) -> None:
    seed(fake)
    names = {t["name"]: t["id"] for t in client.transitions("PAY-2")}
    assert names == {
        "Start Progress": "11",
        "Waiting for customer": "21",
        "Resolve": "31",
        "Escalate": "41",
    }
    client.transition_issue("PAY-2", "Waiting for customer", comment="Asked the customer.")
    state = fake.issue_state("PAY-2")
    assert state["status"] == "Waiting for Customer"
    assert [c["body"] for c in state["comments"]] == ["Asked the customer."]
    client.transition_issue("PAY-2", "31")
    assert client.issue("PAY-2").fields.status.name == "Resolved"
    with pytest.raises(JIRAError):
        client.transition_issue("PAY-2", "No such transition")


def test_429_is_retried(fake: FakeJira, client: JIRA, sleeps: list[float]) -> None:
    seed(fake)
    fake.fail_next("/search", status=429, retry_after=0)
    started = time.monotonic()
    found = client.search_issues(CURSOR_JQL, fields=FIELDS)
    assert [i.key for i in found] == ["PAY-2", "PAY-3", "PAY-4"]
    assert [r.status for r in fake.requests if r.path.endswith("/search")] == [429, 200]
    # Retry-After: 0 still asks for 2 * max(0, 1) = 2 s, jittered by uniform(0.5, 1).
    assert len(sleeps) == 1 and 1.0 <= sleeps[0] <= 2.0
    assert time.monotonic() - started < 2


def test_429_retried_with_zero_delay_cap(fake: FakeJira, client: JIRA) -> None:
    """Without patching: capping the session's max_retry_delay at 0 makes the sleep 0 s."""
    seed(fake)
    client._session.max_retry_delay = 0
    fake.fail_next("/issue/PAY-2", status=429, retry_after=1, method="GET")
    started = time.monotonic()
    assert client.issue("PAY-2").key == "PAY-2"
    assert time.monotonic() - started < 1


def test_retries_run_out_and_503_needs_retry_after(
    fake: FakeJira, client: JIRA, sleeps: list[float]
) -> None:
    seed(fake)
    fake.fail_next("/search", status=429, times=5)
    with pytest.raises(JIRAError) as info:
        client.search_issues(CURSOR_JQL, fields=FIELDS)
    assert info.value.status_code == 429
    assert len(sleeps) == 2  # max_retries=2: three attempts, two sleeps

    fake.fail_next("/issue/PAY-2", status=503, retry_after=None)
    with pytest.raises(JIRAError) as info:
        client.issue("PAY-2")
    assert info.value.status_code == 503  # no Retry-After: a 503 is not retried
    fake.fail_next("/issue/PAY-2", status=503, retry_after=0)
    assert client.issue("PAY-2").key == "PAY-2"


def test_400_raises_with_the_message(fake: FakeJira, client: JIRA, sleeps: list[float]) -> None:
    seed(fake)
    fake.fail_next("/comment", status=400, method="POST", message="Comment body is too long.")
    with pytest.raises(JIRAError) as info:
        client.add_comment("PAY-2", "x")
    assert info.value.status_code == 400
    assert "Comment body is too long." in str(info.value.text)
    assert sleeps == []
    assert fake.comments("PAY-2") == []


def test_wrong_token_is_a_401(fake: FakeJira) -> None:
    with pytest.raises(JIRAError) as info:
        JIRA(server=fake.url, basic_auth=("bot@example.com", "wrong"), max_retries=0)
    assert info.value.status_code == 401
    lazy = JIRA(server=fake.url, token_auth="wrong", get_server_info=False)
    with pytest.raises(JIRAError) as info:
        lazy.issue("PAY-1")
    assert info.value.status_code == 401
    ok = JIRA(server=fake.url, token_auth="jira-test-token", get_server_info=False)
    assert ok.myself()["name"] == "bot"
