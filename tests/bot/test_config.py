"""Configuration: validated at start with errors that name the setting; secrets stay secret."""

from __future__ import annotations

import logging

import pytest

from bot.access import AccessPolicy
from bot.config import AccessSettings, ConfigError, load_settings

TOKEN = "xoxb-very-secret-token-123"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "JIRA_API_TOKEN", "PAYOPS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_nothing_configured_runs_on_the_embedded_defaults():
    s = load_settings()
    assert not s.slack.enabled and not s.jira.enabled
    assert s.access.slack_users == {} and s.web.host == "127.0.0.1"


def test_a_toml_file_and_the_environment_combine(monkeypatch, tmp_path):
    (tmp_path / "payops.toml").write_text(
        '[slack]\noncall_channel = "CONCALL"\n[access.slack_channels]\nCC017 = ["C017"]\n'
        '[jira]\nurl = "https://jira.example"\nuser = "bot@example.com"\njql = "project = PAY"\n')
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    monkeypatch.setenv("JIRA_API_TOKEN", "jira-secret")
    monkeypatch.setenv("PAYOPS_JIRA__POLL_SECONDS", "15")
    s = load_settings()
    assert s.slack.enabled and s.slack.oncall_channel == "CONCALL" and s.jira.poll_seconds == 15
    assert AccessPolicy(s.access).slack_channel("CC017").clients == {"C017"}


def test_errors_name_each_setting_and_what_is_wrong(monkeypatch, tmp_path):
    (tmp_path / "payops.toml").write_text('[jira]\nurl = "https://jira.example"\n[access.slack_users]\nU1 = ["17"]\n')
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    with pytest.raises(ConfigError) as err:
        load_settings()
    message = str(err.value)
    assert "payops.toml" in message
    assert "SLACK_SIGNING_SECRET is not" in message
    assert "jira.user, JIRA_API_TOKEN, jira.jql is not" in message
    assert "17 is not a client id" in message


def test_a_secret_in_the_file_is_refused(tmp_path):
    (tmp_path / "payops.toml").write_text(f'[slack]\nbot_token = "{TOKEN}"\n')
    with pytest.raises(ConfigError, match="secret; set it in the environment as SLACK_BOT_TOKEN"):
        load_settings()


def test_secrets_never_show_in_reprs_errors_or_logs(monkeypatch, caplog):
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret-signing")
    with caplog.at_level(logging.DEBUG):
        s = load_settings()
        logging.getLogger("payops.test").info("settings %s %r", s, s)
    assert TOKEN not in repr(s) and TOKEN not in str(s) and TOKEN not in caplog.text
    assert "s3cret-signing" not in caplog.text
    monkeypatch.setenv("SLACK_APP_TOKEN", "not-an-app-token")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert "not-an-app-token" not in str(err.value) and TOKEN not in str(err.value)


def test_a_dashboard_on_the_network_needs_a_token(monkeypatch):
    monkeypatch.setenv("PAYOPS_WEB__HOST", "0.0.0.0")
    with pytest.raises(ConfigError, match="PAYOPS_WEB__TOKEN"):
        load_settings()


def test_access_is_decided_by_the_audience():
    policy = AccessPolicy(AccessSettings(slack_users={"U1": ["C017"], "UOPS": ["*"]},
                                         slack_channels={"CC042": ["C042"]},
                                         jira_reporters={"@client17.example": ["C017"], "x@y.example": ["C001"]}))
    assert policy.for_ticket("slack", "dm", "U1", "D1").clients == {"C017"}
    assert policy.for_ticket("slack", "mention", "UOPS", "CC042").clients == {"C042"}  # the channel reads it
    assert not policy.for_ticket("slack", "mention", "UOPS", "CC042").everything
    assert policy.for_ticket("slack", "slash_command", "U1", "CC042").clients == {"C017", "C042"}
    assert policy.for_ticket("slack", "dm", "UNKNOWN", "D2").sees_nothing
    assert policy.for_ticket("jira", "ticket", "Ana@Client17.example", "PAY").clients == {"C017"}
    assert policy.for_ticket("jira", "ticket", "eve@evilclient17.example", "PAY").sees_nothing
    assert policy.for_ticket("local", "ask", "client:C017", "cli").clients == {"C017"}
    assert policy.for_ticket("email", "ticket", "x", "y").sees_nothing


def test_a_bad_reports_section_names_each_setting(tmp_path):
    (tmp_path / "payops.toml").write_text('[reports]\nsince = "a month"\nweekday = "monday"\nhandling_minutes = 0\n')
    with pytest.raises(ConfigError) as err:
        load_settings()
    message = str(err.value)
    assert "reports.since" in message and "reports.weekday" in message and "reports.handling_minutes" in message
