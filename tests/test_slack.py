"""Slack text safety, payload shape, answer classification and ``warroom slack check``."""

from __future__ import annotations

import json
import re
import time

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fake_slack import TOKEN, FakeSlack, bot_config, error, rate_limited, stall, webhook_config
from warroom.clock import FrozenClock
from warroom.comms.config import CommsConfig, SlackSettings
from warroom.comms.delivery import prepare
from warroom.comms.slack import (
    SECTION_LIMIT,
    TEXT_LIMIT,
    TRUNCATED_MARK,
    Delivered,
    NoAnswer,
    Permanent,
    RetryAfter,
    SlackClient,
    Transient,
    classify,
    escape,
    message_request,
    post_request,
    render_mrkdwn,
    slack_len,
    split_sections,
    truncate,
    update_request,
    webhook_request,
)
from warroom.db import outbox
from warroom.db.store import Store
from warroom.playbook import default_playbook
from warroom.service import Service
from warroom.textsafe import UNSAFE_IN_LINES, printable, printable_lines

BOT = CommsConfig(
    slack=SlackSettings(bot_token=TOKEN, channel="#incidents", api_url="http://127.0.0.1:1/api")
)
HOOK = CommsConfig(
    slack=SlackSettings(webhook_url="https://hooks.slack.com/services/T/B/XYZSECRET")
)


def text_fields(payload: dict) -> list[str]:
    """Every piece of text Slack would render from a payload."""
    found = [payload["text"]]
    for block in payload.get("blocks", []):
        found.append(block["text"]["text"])
    return found


# -- text ---------------------------------------------------------------------------


def test_escape_and_bidi_controls_reach_slack_as_the_symbols_the_console_shows(
    tmp_path, clock, playbook
):
    """An ESC sequence or a right-to-left override in a note would act in every
    reader's Slack client: they go as the console draws them, lines kept."""
    hostile = "rolled back \x1b[31mred\x1b[0m \u202eevil\u202c\r\nline two\tok \x07"
    with FakeSlack(now=clock.now) as slack:
        config = bot_config(slack)
        store = Store(tmp_path / "w.db")
        ops = Service(store, clock, playbook, comms=config)
        incident = ops.declare(severity=2, title="t \x1b]0;pwned\x07", author="alice")
        ops.record_update(incident.id, "bob", hostile)
        from warroom.comms.delivery import deliver_pending

        deliver_pending(store, config, clock, deadline_seconds=5, min_interval=0.0)
        store.close()
    posts = [r for r in slack.posted if r.method == "chat.postMessage"]
    assert len(posts) == 2
    for request in posts:
        raw = request.raw.decode("utf-8")
        body = json.loads(raw)
        for field in text_fields(body):
            assert "\x1b" not in field and "\u202e" not in field and "\x07" not in field
            assert "\r" not in field
    update = posts[1].text
    # The same symbols as on the console (escaped for Slack: < and > of <U+202E>).
    shown = printable("rolled back \x1b[31mred\x1b[0m \u202eevil\u202c")
    assert escape(shown) in update
    assert "␛[31mred␛[0m" in update and "&lt;U+202E&gt;evil&lt;U+202C&gt;" in update
    assert update.endswith("\nline two\tok ␇")  # the line break and the tab stay
    assert "t ␛]0;pwned␇" in posts[0].text


def test_escape_exactly_three_characters():
    assert escape("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    assert escape("<!channel> <@U1> <#C1> <https://x|y>") == (
        "&lt;!channel&gt; &lt;@U1&gt; &lt;#C1&gt; &lt;https://x|y&gt;"
    )
    assert (
        escape("*bold* _it_ `code` \"q\" 'a' 🙂 مرحبا") == "*bold* _it_ `code` \"q\" 'a' 🙂 مرحبا"
    )


def test_truncate_keeps_under_the_limit_with_a_visible_mark():
    assert truncate("short") == "short"
    long = "x" * 10_000
    cut = truncate(long)
    assert slack_len(cut) < TEXT_LIMIT and cut.endswith(TRUNCATED_MARK)
    emoji = "🙂" * 3000  # 6,000 UTF-16 units
    assert slack_len(truncate(emoji)) < TEXT_LIMIT
    # Never cut inside an escape: "&am" would show as garbage.
    escaped = escape("&" * 2000)
    assert truncate(escaped).removesuffix(TRUNCATED_MARK).endswith("&amp;")


def test_sections_fit_and_add_up():
    text = truncate(escape("line of text & more\n" * 400))
    pieces = split_sections(text)
    assert len(pieces) == 2
    assert all(slack_len(p) < SECTION_LIMIT for p in pieces)
    assert "".join(pieces) == text


def test_payload_shapes():
    hook = webhook_request("hello").payload
    assert hook == {
        "text": "hello",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "hello", "verbatim": True}}
        ],
        "unfurl_links": False,
        "unfurl_media": False,
    }
    post = post_request("hi", "#c", "123.4").payload
    assert post["channel"] == "#c" and post["thread_ts"] == "123.4"
    assert "thread_ts" not in post_request("hi", "#c").payload
    edit = update_request("hi", "C1", "123.4").payload
    assert set(edit) == {"channel", "ts", "text", "blocks"}
    for payload in (hook, post, edit):
        assert "link_names" not in payload and "parse" not in payload


def test_threads_setting_decides_thread_ts():
    assert message_request(BOT, "x", thread_ts="1.2").payload["thread_ts"] == "1.2"
    off = BOT.model_copy(update={"slack": BOT.slack.model_copy(update={"threads": False})})
    assert "thread_ts" not in message_request(off, "x", thread_ts="1.2").payload
    assert message_request(HOOK, "x", thread_ts="1.2").method == "webhook"


# -- the property: nothing a person types can ping or link ----------------------------------

MENTION = re.compile(r"<[!@#]|<(?:https?|mailto|tel|slack):|<[^>]*\|")


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(
        st.one_of(
            st.sampled_from(
                [
                    *"<>&!@#|*_~`:/\n ",
                    *["<!channel>", "<!here>", "<@U1>", "<#C1>", "&lt;", "&amp;"],
                    *["<https://evil.example|click>", "<mailto:a@b.c>", "\u202e", "🙂"],
                ]
            ),
            st.text(max_size=20),
        ),
        max_size=40,
    ).map("".join),
    kind=st.sampled_from(["declare", "update", "severity", "resolve", "reopen", "root", "test"]),
)
def test_no_user_text_becomes_a_mention_or_link(text, kind):
    mrkdwn = render_mrkdwn(kind, text, "INC-7")
    for request in (
        webhook_request(mrkdwn),
        post_request(mrkdwn, "#c", "1.2"),
        update_request(mrkdwn, "C1", "1.2"),
    ):
        payload = request.payload
        assert "link_names" not in payload
        for field in text_fields(payload):
            assert "<" not in field and ">" not in field
            assert not MENTION.search(field)
        assert all(b["text"]["verbatim"] is True for b in payload["blocks"])
    # Nothing is lost or changed, only escaped (and controls made visible).
    unescaped = mrkdwn.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    if not mrkdwn.endswith(TRUNCATED_MARK):
        assert unescaped.endswith(printable_lines(text))
    assert not UNSAFE_IN_LINES.search(mrkdwn)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    title=st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=60),
    impact=st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=60),
    update=st.text(min_size=1, max_size=200),
)
def test_operations_never_send_a_mention(tmp_path_factory, title, impact, update):
    """Through the real path: declare + update + severity, as prepared for sending."""
    assume(title.strip() and update.strip())
    db = tmp_path_factory.mktemp("prop") / "w.db"
    store = Store(db)
    clock = FrozenClock("2026-11-23T22:00:00Z")
    try:
        ops = Service(store, clock, default_playbook(), comms=BOT)
        incident = ops.declare(severity=2, title=title, impact=impact, author="a", commander="a")
        ops.record_update(incident.id, "a", update)
        ops.set_severity(incident.id, "a", 1)
        store.conn.execute(
            "UPDATE incidents SET slack_channel = 'C1', slack_ts = '1.1' WHERE id = ?",
            (incident.id,),
        )
        for message in outbox.messages(store):
            request = prepare(store, BOT, default_playbook(), message, clock.now())
            assert request is not None
            body = json.dumps(request.payload, ensure_ascii=False)
            assert "link_names" not in body
            for field in text_fields(request.payload):
                assert not MENTION.search(field), field
                assert "<" not in field
    finally:
        store.close()


# -- answers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "status", "headers", "body", "expected"),
    [
        ("webhook", 200, {}, "ok", Delivered()),
        ("webhook", 404, {}, "channel_not_found", Permanent("channel_not_found")),
        ("webhook", 400, {}, "invalid_payload", Permanent("invalid_payload")),
        ("webhook", 410, {}, "channel_is_archived", Permanent("channel_is_archived")),
        ("webhook", 403, {}, "action_prohibited\n", Permanent("action_prohibited")),
        ("webhook", 429, {"retry-after": "7"}, "", RetryAfter(7)),
        ("webhook", 503, {}, "", Transient("HTTP 503", maybe_sent=True)),
        (
            "chat.postMessage",
            200,
            {},
            '{"ok":true,"ts":"1.2","channel":"C1"}',
            Delivered("1.2", "C1"),
        ),
        (
            "chat.postMessage",
            200,
            {},
            '{"ok":false,"error":"not_in_channel"}',
            Permanent("not_in_channel"),
        ),
        (
            "chat.postMessage",
            200,
            {},
            '{"ok":false,"error":"internal_error"}',
            Transient("internal_error", maybe_sent=True),
        ),
        (
            "chat.postMessage",
            200,
            {},
            '{"ok":false,"error":"ratelimited"}',
            Transient("ratelimited"),
        ),
        ("chat.postMessage", 429, {"retry-after": "30"}, "", RetryAfter(30)),
        ("chat.postMessage", 429, {}, "", RetryAfter(1)),
        ("chat.update", 500, {}, "", Transient("HTTP 500", maybe_sent=True)),
        (
            "chat.update",
            200,
            {},
            "<html>proxy</html>",
            Transient("unreadable answer from Slack (not JSON)", maybe_sent=True),
        ),
    ],
)
def test_classify(method, status, headers, body, expected):
    assert classify(method, status, headers, body, BOT) == expected


def test_client_against_the_fake_server():
    with FakeSlack() as slack:
        client = SlackClient(bot_config(slack), timeout=0.5)
        outcome = client.send(post_request("hi", "#c"))
        assert outcome == Delivered(slack.posted[0].ts, "C0INCIDENTS") and outcome.ts
        slack.script(rate_limited(3), error("channel_not_found"), stall(1.0))
        assert client.send(post_request("hi", "#c")) == RetryAfter(3)
        assert client.send(post_request("hi", "#c")) == Permanent("channel_not_found")
        started = time.monotonic()
        outcome = client.send(post_request("hi", "#c"))
        # Sent, then no answer in time: it may or may not have arrived.
        assert isinstance(outcome, NoAnswer) and outcome.reason.startswith("no answer in time")
        assert time.monotonic() - started < 1.0
        client.close()
        hook = SlackClient(webhook_config(slack))
        slack.script(error("no_service"))
        assert hook.send(webhook_request("x")) == Permanent("no_service")
        assert hook.send(webhook_request("x")) == Delivered()
        hook.close()


async def test_async_client():
    with FakeSlack() as slack:
        client = SlackClient(bot_config(slack), timeout=1.0)
        outcome = await client.send_async(post_request("hi", "#c"))
        assert outcome == Delivered(slack.posted[0].ts, "C0INCIDENTS") and outcome.ts
        await client.aclose()


def test_errors_never_show_a_secret():
    webhook = "http://127.0.0.1:9/services/T000/B000/WEBHOOKSECRETpart123"
    config = CommsConfig(slack=SlackSettings(webhook_url=webhook))
    client = SlackClient(config, timeout=0.5)
    outcome = client.send(webhook_request("x"))
    assert isinstance(outcome, Transient)
    assert "WEBHOOKSECRET" not in repr(outcome) and "WEBHOOKSECRET" not in repr(client)
    with FakeSlack() as slack:
        slack.script(error(f"invalid_auth {TOKEN}"))
        answer = SlackClient(bot_config(slack)).send(post_request("x", "#c"))
        assert answer == Permanent("invalid_auth [redacted]")


# -- warroom slack check -----------------------------------------------------------------


def test_slack_check_cli(run_cli, tmp_path):
    code, out, err = run_cli("slack", "check")
    assert (code, out, err) == (2, "", "slack: not configured\n")
    with FakeSlack() as slack:
        env = {"WARROOM_SLACK_WEBHOOK_URL": slack.webhook_url}
        code, out, err = run_cli("slack", "check", env=env)
        assert (code, err) == (0, "")
        # One line: the answer, and why Slack capture is off with a webhook.
        assert out.startswith("slack: ok (webhook) · Slack capture is off: an incoming webhook")
        assert out.count("\n") == 1
        assert "test message" in slack.texts()[0]

        slack.script(error("channel_not_found"))
        code, out, err = run_cli("slack", "check", env=env)
        assert (code, out, err) == (2, "", "slack: failed: channel_not_found\n")

        bot = {
            "WARROOM_SLACK_BOT_TOKEN": TOKEN,
            "WARROOM_SLACK_CHANNEL": "#incidents",
            "WARROOM_SLACK_API_URL": slack.api_url,
        }
        code, out, err = run_cli("slack", "check", env=bot)
        assert (code, out, err) == (0, "slack: ok (bot token, channel C0INCIDENTS)\n", "")
        code, out, err = run_cli(
            "slack", "check", env={**bot, "WARROOM_SLACK_BOT_TOKEN": "xoxb-wrong"}
        )
        assert (code, out, err) == (2, "", "slack: failed: invalid_auth\n")
        assert all(TOKEN not in text for text in (out, err))
