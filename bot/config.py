"""The service's configuration: environment variables and an optional `payops.toml`.

Settings come from, highest first: environment variables (`PAYOPS_...`, nested with `__`,
e.g. `PAYOPS_JIRA__JQL`), then `payops.toml` (or the file `PAYOPS_CONFIG` names), then
defaults. Secrets (Slack and Jira tokens) come from the environment only, under their
customary names, and are held as `SecretStr` so that no repr or log line shows them; a
secret written in the TOML file is refused.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from playbooks.policy import ApprovalPolicy

SECRET_ENV = {
    ("slack", "bot_token"): "SLACK_BOT_TOKEN",
    ("slack", "signing_secret"): "SLACK_SIGNING_SECRET",
    ("slack", "app_token"): "SLACK_APP_TOKEN",
    ("jira", "token"): "JIRA_API_TOKEN",
}
CLIENT_GRANT = re.compile(r"^(C\d{3}|\*)$")


class ConfigError(ValueError):
    """The configuration is wrong; the message names each setting and what is wrong."""


class SlackSettings(BaseModel):
    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    # Where the Web API lives; tests point it at a local server.
    api_url: str = "https://slack.com/api/"
    # On-call's channel: triage summaries for every non-inquiry ticket go there.
    oncall_channel: str = ""

    @property
    def enabled(self) -> bool:
        return self.bot_token is not None

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    @model_validator(mode="after")
    def _complete(self) -> SlackSettings:
        if self.enabled and not self.socket_mode and self.signing_secret is None:
            raise ValueError("SLACK_BOT_TOKEN is set but SLACK_SIGNING_SECRET is not: HTTP events "
                             "cannot be verified (or set SLACK_APP_TOKEN for Socket Mode)")
        if self.app_token is not None and not self.app_token.get_secret_value().startswith("xapp-"):
            raise ValueError("SLACK_APP_TOKEN must be an app-level token (xapp-...)")
        return self


class JiraSettings(BaseModel):
    url: str = ""
    user: str = ""
    token: SecretStr | None = None
    # The filter to watch, without ORDER BY; the cursor adds `updated >= ...`.
    jql: str = ""
    poll_seconds: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=3, ge=0, le=10)
    # Retry delays are capped at this many seconds (tests set it low).
    max_retry_delay: float = Field(default=60.0, ge=0)
    # Transition names written back for each ticket state ("" = leave the status alone).
    transitions: dict[str, str] = Field(default_factory=lambda: {
        "answered": "Waiting for customer", "escalated": "Escalate", "resolved": "Resolve"})

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    @model_validator(mode="after")
    def _complete(self) -> JiraSettings:
        if self.enabled:
            missing = [name for name, value in (("jira.user", self.user), ("JIRA_API_TOKEN", self.token),
                                                ("jira.jql", self.jql)) if not value]
            if missing:
                raise ValueError(f"jira.url is set but {', '.join(missing)} is not")
            if "order by" in self.jql.lower():
                raise ValueError("jira.jql must not have ORDER BY: the poller orders by update time")
        return self


class AccessSettings(BaseModel):
    """Who may see which clients' invoices. The default is nobody sees anything.

    Values are lists of client ids (`C017`) or `"*"` for every client (on-call).
    """

    slack_users: dict[str, list[str]] = Field(default_factory=dict)
    slack_channels: dict[str, list[str]] = Field(default_factory=dict)
    # By e-mail address, or by domain written "@client17.example".
    jira_reporters: dict[str, list[str]] = Field(default_factory=dict)
    local_users: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("slack_users", "slack_channels", "jira_reporters", "local_users")
    @classmethod
    def _client_ids(cls, grants: dict[str, list[str]]) -> dict[str, list[str]]:
        for who, clients in grants.items():
            bad = [c for c in clients if not CLIENT_GRANT.match(c)]
            if bad:
                raise ValueError(f"{who}: {', '.join(bad)} is not a client id like C017 (or \"*\")")
        return grants


class PlaybookSettings(BaseModel):
    """Remediation playbooks: who approves, what applies alone, where rates come from."""

    # Who may approve a fix: user names or Slack user ids, and Slack user group ids.
    approvers: list[str] = Field(default_factory=list)
    approver_groups: list[str] = Field(default_factory=list)
    # Playbook name (or "*") -> the highest risk (low, medium, high) it may apply at alone,
    # once its measured agreement earns it; plans that move money or change bank data
    # always need a person unless auto_apply_money is true.
    auto_apply: dict[str, str] = Field(default_factory=lambda: {"*": "low"})
    auto_apply_money: bool = False
    # Playbook name -> approve (default) or shadow (record what it would do, do nothing).
    modes: dict[str, str] = Field(default_factory=dict)
    expiry_minutes: float = Field(default=240.0, gt=0)
    min_samples: int = Field(default=20, ge=1)
    min_agreement: float = Field(default=0.95, gt=0, le=1)
    # A CSV of published rates (currency,date,rate_to_usd) the FX playbook backfills from.
    fx_rate_file: Path | None = None
    # An applying process's lease: a killed one's proposal is resumed after it.
    lease_seconds: float = Field(default=300.0, gt=0)
    # Propose the playbook of every triaged ticket with a known root cause.
    propose: bool = True

    def policy(self) -> ApprovalPolicy:
        return ApprovalPolicy(
            approvers=frozenset(self.approvers), approver_groups=frozenset(self.approver_groups),
            auto_apply=dict(self.auto_apply), auto_apply_money=self.auto_apply_money, modes=dict(self.modes),
            expiry=timedelta(minutes=self.expiry_minutes), min_samples=self.min_samples,
            min_agreement=self.min_agreement)

    @model_validator(mode="after")
    def _valid_policy(self) -> PlaybookSettings:
        self.policy()  # raises ValueError naming the bad entry
        return self


class WebSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8700, ge=0, le=65535)
    # Required when host is not a loopback address (the dashboard is read-only but private).
    token: SecretStr | None = None


# payops does not see effort: a ticket a person had to handle counts this long (the
# recurrence report's time spent and its automate-next score).
HANDLING_MINUTES = 30.0


class ReportSettings(BaseModel):
    """The metrics roll-up and the weekly recurrence report."""

    # How often the metrics tables are brought up to date (the dashboard and /metrics read them).
    rollup_minutes: float = Field(default=10.0, gt=0)
    # The Slack channel the weekly recurrence report goes to; empty: not posted.
    channel: str = ""
    # When it goes: day of the week (mon..sun) and hour (UTC).
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    hour: int = Field(default=7, ge=0, le=23)
    # The window it covers, as `payops report recurrence --since` takes it.
    since: str = Field(default="30d", pattern=r"^\d+[dw]$")
    handling_minutes: float = Field(default=HANDLING_MINUTES, gt=0)  # see HANDLING_MINUTES


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAYOPS_", env_nested_delimiter="__", extra="forbid")

    database_url: str | None = None
    model_dir: Path | None = None
    worker_id: str = Field(default_factory=lambda: f"{os.uname().nodename}-{os.getpid()}")
    # How often the local queue and the outbox are looked at.
    poll_seconds: float = Field(default=2.0, gt=0)
    # A worker's lease on a ticket: a crashed worker's tickets are taken again after it.
    lease_seconds: float = Field(default=300.0, gt=0)
    # Tickets that share an invoice, a client or a root cause within this window are linked.
    link_window_hours: float = Field(default=24.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    slack: SlackSettings = SlackSettings()
    jira: JiraSettings = JiraSettings()
    access: AccessSettings = AccessSettings()
    web: WebSettings = WebSettings()
    playbooks: PlaybookSettings = PlaybookSettings()
    reports: ReportSettings = ReportSettings()

    @model_validator(mode="after")
    def _private_web(self) -> Settings:
        if self.web.host not in ("127.0.0.1", "localhost", "::1") and self.web.token is None:
            raise ValueError("web.host is not a loopback address: set PAYOPS_WEB__TOKEN so the "
                             "dashboard is not open to the network")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = config_path()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def config_path() -> Path | None:
    named = os.environ.get("PAYOPS_CONFIG")
    if named:
        return Path(named)
    default = Path("payops.toml")
    return default if default.exists() else None


def _secrets_from_env() -> dict[str, Any]:
    found: dict[str, dict[str, str]] = {}
    for (section, name), variable in SECRET_ENV.items():
        value = os.environ.get(variable)
        if value:
            found.setdefault(section, {})[name] = value
    return found


def _refuse_secrets_in_file(path: Path | None) -> None:
    if path is None:
        return
    if not path.exists():
        raise ConfigError(f"{path}: no such configuration file (PAYOPS_CONFIG)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    for (section, name), variable in SECRET_ENV.items():
        if name in data.get(section, {}):
            raise ConfigError(f"{path}: [{section}] {name} is a secret; set it in the environment "
                              f"as {variable}, never in a file")


def load_settings(**overrides: Any) -> Settings:
    """Read and validate the configuration, or raise ConfigError naming every problem."""
    path = config_path()
    _refuse_secrets_in_file(path)
    secrets = _secrets_from_env()
    for section, values in secrets.items():
        overrides.setdefault(section, {})
        if isinstance(overrides[section], dict):
            overrides[section] = {**values, **overrides[section]}
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        where = f" ({path})" if path else ""
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration{where}: {problems}") from None

