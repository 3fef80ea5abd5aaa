"""FakeSlack, driven by the real slack_sdk/slack_bolt clients the bot uses.

If these pass, a bot test failing against the fake points at the bot, not at the fake.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from urllib.parse import parse_qs

import pytest
from slack_bolt import Ack, App, Respond, Say
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack_api import (
    FakeSlack,
    block_action_body,
    event_body,
    signed_headers,
    slash_command_body,
)

SECRET = "test-signing-secret"
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*INV-1* needs review"}}]


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(token=slack.token, base_url=slack.base_url, timeout=5)


def test_base_url_is_what_webclient_joins_onto(slack: FakeSlack) -> None:
    assert slack.base_url == f"{slack.url}/api/"
    assert slack.url.startswith("http://127.0.0.1:")


def test_post_message_is_recorded_with_decoded_blocks(slack: FakeSlack, client: WebClient) -> None:
    resp = client.chat_postMessage(
        channel="C1", text="fallback", blocks=BLOCKS, thread_ts="1.000001"
    )

    assert resp["ok"] is True
    assert resp["channel"] == "C1"
    assert resp["message"]["user"] == "UBOT"
    assert resp["message"]["thread_ts"] == "1.000001"
    (call,) = slack.calls("chat.postMessage")
    assert call.params["blocks"] == BLOCKS
    assert call.params["thread_ts"] == "1.000001"
    assert call.token == slack.token
    assert call.headers["authorization"] == f"Bearer {slack.token}"
    assert call.headers["content-type"].startswith("application/json")


def test_timestamps_are_unique_and_increasing(client: WebClient) -> None:
    first = client.chat_postMessage(channel="C1", text="a")["ts"]
    second = client.chat_postMessage(channel="C1", text="b")["ts"]

    assert first == "1764000000.000101"
    assert float(second) > float(first)


def test_form_encoded_json_fields_are_decoded(slack: FakeSlack, client: WebClient) -> None:
    client.api_call(
        "chat.postMessage", data={"channel": "C1", "text": "x", "blocks": json.dumps(BLOCKS)}
    )

    (call,) = slack.calls("chat.postMessage")
    assert call.headers["content-type"] == "application/x-www-form-urlencoded"
    assert call.params["blocks"] == BLOCKS


def test_wrong_token_is_invalid_auth_and_recorded(slack: FakeSlack) -> None:
    intruder = WebClient(token="xoxb-wrong", base_url=slack.base_url, timeout=5)

    with pytest.raises(SlackApiError) as raised:
        intruder.chat_postMessage(channel="C1", text="hi")

    assert raised.value.response["error"] == "invalid_auth"
    assert [c.token for c in slack.calls()] == ["xoxb-wrong"]


def test_rate_limit_surfaces_as_429(slack: FakeSlack, client: WebClient) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=7)

    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="hi")

    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"
    assert raised.value.response["error"] == "ratelimited"
    assert client.chat_postMessage(channel="C1", text="hi")["ok"] is True


def test_rate_limit_retry_handler_retries(slack: FakeSlack) -> None:
    retrying = WebClient(token=slack.token, base_url=slack.base_url, timeout=5)
    retrying.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    slack.fail_next("chat.postMessage", status=429, retry_after=0)

    assert retrying.chat_postMessage(channel="C1", text="hi")["ok"] is True

    assert len(slack.calls("chat.postMessage")) == 2


def test_fail_next_ok_false_for_the_given_number_of_calls(
    slack: FakeSlack, client: WebClient
) -> None:
    slack.fail_next("users.info", error="user_not_found", times=2)

    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            client.users_info(user="U1")
        assert raised.value.response.status_code == 200
        assert raised.value.response["error"] == "user_not_found"
    assert client.users_info(user="U1")["user"]["profile"]["email"] == "U1@example.com"


def test_server_error(slack: FakeSlack, client: WebClient) -> None:
    slack.fail_next("reactions.add", status=500)

    with pytest.raises(SlackApiError) as raised:
        client.reactions_add(channel="C1", timestamp="1.1", name="eyes")

    assert raised.value.response.status_code == 500


def test_replies_return_the_thread(slack: FakeSlack, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="parent")["ts"]
    client.chat_postMessage(channel="C1", text="elsewhere")
    human = slack.add_message("C1", "a human reply", user="U1", thread_ts=parent)
    client.chat_postMessage(channel="C1", text="bot reply", thread_ts=parent)

    messages = client.conversations_replies(channel="C1", ts=parent)["messages"]

    assert [m["text"] for m in messages] == ["parent", "a human reply", "bot reply"]
    assert messages[0]["reply_count"] == 2
    assert messages[1]["ts"] == human
    assert client.conversations_replies(channel="C2", ts=parent)["messages"] == []


def test_update_permalink_ephemeral_and_users(slack: FakeSlack, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C1", text="old")["ts"]

    assert client.chat_update(channel="C1", ts=ts, text="new")["text"] == "new"
    replies = client.conversations_replies(channel="C1", ts=ts)["messages"]
    assert replies[0]["text"] == "new"
    link = client.chat_getPermalink(channel="C1", message_ts=ts)["permalink"]
    assert link.endswith(f"/archives/C1/p{ts.replace('.', '')}")
    assert client.chat_postEphemeral(channel="C1", user="U1", text="psst")["message_ts"]
    slack.add_user("U2", real_name="Ada", profile={"email": "ada@example.com"})
    assert client.users_info(user="U2")["user"]["profile"]["email"] == "ada@example.com"
    assert client.users_info(user="U3")["user"]["name"] == "u3"


def test_unknown_method_is_recorded(slack: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.views_open(trigger_id="T.1", view={"type": "modal"})

    assert raised.value.response["error"] == "unknown_method"
    assert [c.method for c in slack.calls()] == ["views.open"]


def test_wait_for_times_out_naming_what_arrived(slack: FakeSlack, client: WebClient) -> None:
    client.reactions_add(channel="C1", timestamp="1.1", name="eyes")

    with pytest.raises(AssertionError, match=r"reactions\.add"):
        slack.wait_for("chat.postMessage", timeout=0.2)


def test_reset_forgets_everything(slack: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="a")
    slack.fail_next("chat.postMessage")

    slack.reset()

    assert slack.calls() == []
    assert client.chat_postMessage(channel="C1", text="a")["ts"] == "1764000000.000101"


def test_signed_headers_verify_with_slack_sdk() -> None:
    body = event_body({"type": "app_mention", "text": "hi"}, event_id="Ev1")
    verifier = SignatureVerifier(SECRET)

    assert verifier.is_valid_request(body, signed_headers(SECRET, body))
    assert not verifier.is_valid_request(body + " ", signed_headers(SECRET, body))
    stale = signed_headers(SECRET, body, timestamp=int(time.time()) - 3600)
    assert not verifier.is_valid_request(body, stale)
    retried = signed_headers(SECRET, body, retry_num=1, retry_reason="http_timeout")
    assert retried["X-Slack-Retry-Num"] == "1"
    assert retried["X-Slack-Retry-Reason"] == "http_timeout"


def test_slash_command_body_is_form_encoded() -> None:
    body = slash_command_body(
        "/payops", "status INV-1", user_id="U1", channel_id="C1", response_url="http://x/r"
    )

    fields = parse_qs(body)
    assert fields["command"] == ["/payops"]
    assert fields["text"] == ["status INV-1"]
    assert fields["response_url"] == ["http://x/r"]


def test_bolt_app_construction_calls_auth_test(slack: FakeSlack, client: WebClient) -> None:
    App(token=slack.token, signing_secret=SECRET, client=client)

    (call,) = slack.calls("auth.test")
    assert call.token == slack.token


def test_bolt_app_end_to_end(slack: FakeSlack, client: WebClient) -> None:
    """Signed requests built here are accepted by Bolt, and its replies land on the fake."""
    app = App(signing_secret=SECRET, client=client)  # Bolt takes the token from the client

    @app.event("app_mention")
    def mention(event: dict[str, str], say: Say) -> None:
        say(text=f"echo: {event['text']}", thread_ts=event["ts"])

    @app.command("/payops")
    def command(ack: Ack, respond: Respond, command: dict[str, str]) -> None:
        ack()
        respond(text=f"you said {command['text']}")

    @app.action("approve")
    def approve(ack: Ack, body: dict[str, object], client: WebClient) -> None:
        ack()
        client.chat_update(channel="C1", ts="1.000001", text=f"approved by {body['user']}")

    def dispatch(body: str, content_type: str, secret: str = SECRET) -> int:
        # BoltRequest's headers type is dict[str, str | Sequence[str]]; dict is invariant.
        headers: dict[str, str | Sequence[str]] = {
            **signed_headers(secret, body, content_type=content_type)
        }
        return app.dispatch(BoltRequest(body=body, headers=headers)).status

    event = {"type": "app_mention", "user": "U1", "text": "hi", "ts": "1.000001", "channel": "C1"}
    assert dispatch(event_body(event, event_id="Ev1"), "application/json") == 200
    (post,) = slack.wait_for("chat.postMessage")
    assert post.params["text"] == "echo: hi"
    assert post.params["thread_ts"] == "1.000001"

    form = "application/x-www-form-urlencoded"
    slash = slash_command_body(
        "/payops", "status", user_id="U1", channel_id="C1", response_url=slack.response_url()
    )
    assert dispatch(slash, form) == 200
    (response,) = slack.wait_for_responses()
    assert response.method == "cmd"
    assert response.params["text"] == "you said status"

    click = block_action_body(
        "approve",
        "INV-1",
        user_id="U1",
        channel_id="C1",
        message_ts="1.000001",
        response_url=slack.response_url("click"),
    )
    assert dispatch(click, form) == 200
    (update,) = slack.wait_for("chat.update")
    assert update.params["text"].startswith("approved by {'id': 'U1'")

    forged = event_body(event, event_id="Ev2")
    assert dispatch(forged, "application/json", secret="wrong-secret") == 401
