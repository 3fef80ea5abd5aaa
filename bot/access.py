"""Who may see which clients' invoices, decided by who will read the answer.

An answer is read by its audience, not only by the person who asked: a reply in a Slack
channel is read by everyone in that channel, so the channel's grant decides; a DM or a
private (ephemeral) reply is read by the user alone; a Jira comment by the reporter.
Anything not granted in the configuration is invisible. The default grants nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import AccessSettings

ALL = "*"


@dataclass(frozen=True)
class Audience:
    """The readers of an answer, and the clients they may see (`everything` for on-call)."""

    name: str
    clients: frozenset[str]
    everything: bool = False

    def may_see(self, client_id: str) -> bool:
        return self.everything or client_id in self.clients

    @property
    def sees_nothing(self) -> bool:
        return not self.everything and not self.clients


NOBODY = Audience("nobody", frozenset())


def _audience(name: str, grants: list[str]) -> Audience:
    return Audience(name, frozenset(g for g in grants if g != ALL), ALL in grants)


def _union(name: str, *audiences: Audience) -> Audience:
    return Audience(name, frozenset().union(*(a.clients for a in audiences)), any(a.everything for a in audiences))


class AccessPolicy:
    def __init__(self, settings: AccessSettings) -> None:
        self.settings = settings

    def slack_user(self, user_id: str) -> Audience:
        return _audience(f"slack user {user_id}", self.settings.slack_users.get(user_id, []))

    def slack_channel(self, channel_id: str) -> Audience:
        return _audience(f"slack channel {channel_id}", self.settings.slack_channels.get(channel_id, []))

    def jira_reporter(self, email: str) -> Audience:
        email = email.strip().lower()
        grants: list[str] = []
        for who, clients in self.settings.jira_reporters.items():
            who = who.strip().lower()
            if who == email or (who.startswith("@") and email.endswith(who)):
                grants += clients
        return _audience(f"jira reporter {email or '(none)'}", grants)

    def local_user(self, user: str) -> Audience:
        """CLI self-service: `client:C017` is a user of that client (`payops ask --client`)."""
        if user.startswith("client:"):
            return Audience(user, frozenset({user.removeprefix("client:")}))
        return _audience(f"local user {user}", self.settings.local_users.get(user, []))

    def for_ticket(self, source: str, origin: str, reporter: str, channel: str) -> Audience:
        """The audience of the answer to a ticket from `source` that arrived as `origin`."""
        if source == "slack":
            if origin == "dm":
                return self.slack_user(reporter)
            if origin == "slash_command":
                # Only the asker sees an ephemeral reply; being in the channel grants its view too.
                return _union(f"slack user {reporter} (private)", self.slack_user(reporter),
                              self.slack_channel(channel))
            return self.slack_channel(channel)
        if source == "jira":
            return self.jira_reporter(reporter)
        if source == "local":
            return self.local_user(reporter)
        return NOBODY
