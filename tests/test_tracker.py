"""Follow-ups into the tracker (issue 13): created once, token never shown.

Against a loopback fake of GitHub's and Jira's issue APIs (tests/fake_tracker.py):
the real command line in a subprocess, and the push flow in process.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import START
from fake_tracker import (
    GITHUB_TOKEN,
    JIRA_TOKEN,
    FakeTracker,
    Reply,
    drop,
    hold,
    rate,
    slow,
    status,
)
from warroom.clock import FrozenClock
from warroom.commands import run_line
from warroom.comms.config import load_comms_config
from warroom.comms.tracker import github_body, jira_description, md_block, md_code_span, new_issue
from warroom.comms.tracker_push import push_followups
from warroom.db.store import Store
from warroom.domain.models import Incident
from warroom.playbook import default_playbook
from warroom.service import Service


async def _no_wait(seconds: float) -> None:
    return None


def _declare_with_followups(run_cli, db: Path, *texts: str) -> None:
    """INC-1 with these follow-ups (scribe-line ``/fu`` arguments), at START."""
    del run_cli
    store = Store(db)
    try:
        ops = Service(store, FrozenClock(START), default_playbook())
        inc = ops.declare(severity=2, title="Checkout down", author="alice")
        for text in texts:
            run_line(ops, inc.id, "alice", f"/fu {text}")
    finally:
        store.close()


@pytest.fixture
def tracker():
    with FakeTracker() as fake:
        yield fake


def _config(env: dict[str, str], timeout: float = 5.0):
    return load_comms_config({**env, "WARROOM_TRACKER_TIMEOUT": str(timeout)}, path="/nonexistent")


def _push(store, env, incident, clock, timeout=5.0):
    return asyncio.run(
        push_followups(store, _config(env, timeout), incident, clock, sleep=_no_wait)
    )


@pytest.fixture
def three(ops: Service, incident: Incident) -> Incident:
    ops.add_followup(incident.id, "alice", "Add a queue-depth alert", "bob", "2026-11-30")
    ops.add_followup(incident.id, "alice", "Write the runbook", "carol", "2026-12-02")
    ops.add_followup(incident.id, "alice", "Load-test sync", "dan", "2026-12-04")
    return incident


# -- the command line, as a user runs it --------------------------------------------------


def test_push_creates_each_open_followup_once_and_a_second_push_creates_nothing(
    run_cli, tmp_path: Path, tracker: FakeTracker
):
    db = tmp_path / "w.db"
    _declare_with_followups(
        run_cli, db, "Add a queue-depth alert @bob due:+3d", "Write the runbook @carol"
    )
    code, out, err = run_cli("followups", "1", "--push", "--db", db, env=tracker.github_env())
    assert code == 0, err
    lines = out.splitlines()
    assert lines == [
        "INC-1 follow-up 1 (Add a queue-depth alert): created"
        " https://github.com/acme/backlog/issues/1",
        "INC-1 follow-up 2 (Write the runbook): created https://github.com/acme/backlog/issues/2",
    ]
    assert [i["title"] for i in tracker.issues] == [
        "[INC-1] Add a queue-depth alert",
        "[INC-1] Write the runbook",
    ]
    body = tracker.issues[0]["body"]
    assert "`bob`" in body and "2026-11-26" in body and "INC-1" in body
    assert "warroom export INC-1 --format md" in body  # the way back to the review
    code, out, err = run_cli("followups", "1", "--push", "--db", db, env=tracker.github_env())
    assert code == 0, err
    assert "already there: https://github.com/acme/backlog/issues/1" in out
    assert len(tracker.issues) == 2
    assert len(tracker.creates()) == 2
    # Exported: the JSON record, the follow-ups CSV and JSON, the review.
    code, out, _ = run_cli("export", "1", "--format", "json", "--db", db)
    record = json.loads(out)
    assert [f["ticket"] for f in record["followups"]] == [
        "https://github.com/acme/backlog/issues/1",
        "https://github.com/acme/backlog/issues/2",
    ]
    code, out, _ = run_cli("followups", "1", "--format", "json", "--db", db)
    assert json.loads(out)[1]["ticket"] == "https://github.com/acme/backlog/issues/2"
    code, out, _ = run_cli("followups", "1", "--db", db)
    assert out.splitlines()[0].endswith(",ticket")
    assert "https://github.com/acme/backlog/issues/1" in out
    code, out, _ = run_cli("export", "1", "--format", "md", "--db", db)
    assert "https://github.com/acme/backlog/issues/2" in out


def test_ticket_is_absent_from_the_export_until_pushed(run_cli, tmp_path: Path):
    db = tmp_path / "w.db"
    _declare_with_followups(run_cli, db, "Add an alert @bob")
    _, out, _ = run_cli("export", "1", "--format", "json", "--db", db)
    assert "ticket" not in json.loads(out)["followups"][0]


def test_push_without_a_tracker_is_one_line_exit_2_and_writes_nothing(run_cli, tmp_path: Path):
    db = tmp_path / "w.db"
    _declare_with_followups(run_cli, db, "Add an alert @bob")
    before = db.read_bytes()
    code, out, err = run_cli("followups", "1", "--push", "--db", db)
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1 and "no tracker configured" in err
    assert "Traceback" not in err
    assert db.read_bytes() == before


@pytest.mark.parametrize(
    "env, says",
    [
        ({"WARROOM_TRACKER_KIND": "gitlab"}, "tracker.kind"),
        ({"WARROOM_TRACKER_KIND": "github", "WARROOM_TRACKER_REPO": "acme/x"}, "needs token"),
        ({"WARROOM_TRACKER_REPO": "acme/x"}, "without kind"),
        (
            {
                "WARROOM_TRACKER_KIND": "github",
                "WARROOM_TRACKER_REPO": "not a repo",
                "WARROOM_TRACKER_TOKEN": GITHUB_TOKEN,
            },
            "owner/name",
        ),
        (
            {
                "WARROOM_TRACKER_KIND": "jira",
                "WARROOM_TRACKER_URL": "acme.atlassian.net",
                "WARROOM_TRACKER_PROJECT": "OPS",
                "WARROOM_TRACKER_USER": "a@b.c",
                "WARROOM_TRACKER_TOKEN": JIRA_TOKEN,
            },
            "http(s) URL",
        ),
        (
            {
                "WARROOM_TRACKER_KIND": "jira",
                "WARROOM_TRACKER_URL": "http://jira.corp.example",
                "WARROOM_TRACKER_PROJECT": "OPS",
                "WARROOM_TRACKER_USER": "a@b.c",
                "WARROOM_TRACKER_TOKEN": JIRA_TOKEN,
            },
            "must be https",
        ),
        (
            {
                "WARROOM_TRACKER_KIND": "github",
                "WARROOM_TRACKER_REPO": "acme/x",
                "WARROOM_TRACKER_TOKEN": GITHUB_TOKEN,
                "WARROOM_TRACKER_API_URL": "http://10.1.2.3:8080",
            },
            "must be https",
        ),
        (
            {
                "WARROOM_TRACKER_KIND": "github",
                "WARROOM_TRACKER_REPO": "acme/x",
                "WARROOM_TRACKER_TOKEN": GITHUB_TOKEN,
                "WARROOM_TRACKER_API_URL": "https://me:hunter2secret@ghe.example/api/v3",
            },
            "user or password",
        ),
    ],
)
def test_bad_tracker_settings_are_one_line_exit_2(run_cli, tmp_path: Path, env, says):
    db = tmp_path / "w.db"
    _declare_with_followups(run_cli, db, "Add an alert @bob")
    code, _, err = run_cli("followups", "1", "--push", "--db", db, env=env)
    assert code == 2
    assert len(err.splitlines()) == 1 and says in err, err
    assert GITHUB_TOKEN not in err and JIRA_TOKEN not in err and "hunter2" not in err


def test_tracker_settings_from_the_config_file(run_cli, tmp_path: Path, tracker: FakeTracker):
    db = tmp_path / "w.db"
    _declare_with_followups(run_cli, db, "Add an alert @bob")
    config = tmp_path / "config.toml"
    config.write_text(
        "[tracker]\n"
        'kind = "jira"\n'
        'url = "https://acme.atlassian.net"\n'
        'project = "OPS"\n'
        'user = "ops@example.com"\n'
        f'token = "{JIRA_TOKEN}"\n'
        'issue_type = "Bug"\n'
    )
    config.chmod(0o600)
    env = {"WARROOM_CONFIG": str(config), "WARROOM_TRACKER_API_URL": tracker.url}
    code, out, err = run_cli("followups", "1", "--push", "--db", db, env=env)
    assert code == 0, err
    assert out.strip().endswith("created OPS-1")
    issue = tracker.issues[0]
    assert issue["project"] == "OPS" and issue["issuetype"] == "Bug"
    assert issue["summary"] == "[INC-1] Add an alert"
    code, out, _ = run_cli("export", "1", "--format", "json", "--db", db)
    assert json.loads(out)["followups"][0]["ticket"] == "OPS-1"
    assert (
        json.loads(out)["followups"][0]["ticket_url"] == "https://acme.atlassian.net/browse/OPS-1"
    )


def test_a_refused_token_is_one_line_per_followup_nothing_stored_and_never_the_token(
    run_cli, tmp_path: Path, tracker: FakeTracker
):
    db = tmp_path / "w.db"
    _declare_with_followups(run_cli, db, "Add an alert @bob", "Runbook @carol")
    wrong = "ghp_WRONGtokenWRONGtoken0123456789ab"
    code, out, err = run_cli(
        "followups", "1", "--push", "--db", db, env=tracker.github_env(token=wrong)
    )
    assert code == 1
    first, second = out.splitlines()
    assert first.endswith(
        "failed: GitHub refused it: HTTP 401: the token was not accepted (Bad credentials)"
    )
    assert second.startswith("INC-1 follow-up 2 (Runbook): failed: not tried: GitHub refused")
    assert len(tracker.creates()) == 1  # no retry storm: the token is wrong for all
    assert wrong not in out + err and "Authorization" not in out + err
    assert "Traceback" not in err
    code, out, _ = run_cli("export", "1", "--format", "json", "--db", db)
    assert "ticket" not in json.loads(out)["followups"][0]
    # With the right token, the next push creates each once (nothing was created).
    code, out, err = run_cli("followups", "1", "--push", "--db", db, env=tracker.github_env())
    assert code == 0, err
    assert len(tracker.issues) == 2
    assert not tracker.finds()  # a refusal created nothing: no need to look


def test_kill_9_between_intent_and_answer_then_again_creates_one_issue(
    tmp_path: Path, cli_env: dict[str, str], run_cli, tracker: FakeTracker
):
    db = tmp_path / "w.db"
    _declare_with_followups(run_cli, db, "Add an alert @bob")
    tracker.script(hold())
    env = {**cli_env, **tracker.github_env()}
    proc = subprocess.Popen(
        [sys.executable, "-m", "warroom", "followups", "1", "--push", "--db", str(db)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        # The tracker has taken the request and created the issue; no answer yet.
        assert tracker.holding.wait(20)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert len(tracker.issues) == 1
    code, out, err = run_cli("followups", "1", "--push", "--db", db, env=tracker.github_env())
    assert code == 0, err
    assert "found existing https://github.com/acme/backlog/issues/1" in out
    assert len(tracker.issues) == 1
    assert len(tracker.creates()) == 1


# -- the flow, in process -------------------------------------------------------------------


def test_github_502_then_retry_creates_one_issue(
    store: Store, clock: FrozenClock, three: Incident, tracker: FakeTracker
):
    tracker.script(status(502))
    report = _push(store, tracker.github_env(), three, clock)
    assert report.complete
    assert len(tracker.issues) == 3
    # A 5xx may have created it: the flow looked for its marker before creating again.
    assert len(tracker.finds()) == 1
    assert [f.ticket for f in store.followups(three.id)] == [
        f"https://github.com/acme/backlog/issues/{n}" for n in (1, 2, 3)
    ]


def test_github_timeout_then_retry_finds_the_issue_by_its_marker(
    store: Store, clock: FrozenClock, three: Incident, tracker: FakeTracker
):
    tracker.script(slow(2.0))  # created at once, answered after the client's timeout
    report = _push(store, tracker.github_env(), three, clock, timeout=0.5)
    assert [line.outcome for line in report.lines] == ["found", "created", "created"]
    assert len(tracker.issues) == 3
    assert len(tracker.creates()) == 3
    assert store.followups(three.id)[0].ticket == "https://github.com/acme/backlog/issues/1"


def test_the_lookup_reads_past_a_page_of_other_peoples_issues(
    store: Store, clock: FrozenClock, three: Incident, tracker: FakeTracker
):
    """The answer never came; meanwhile 150 others were filed: ours is on page 2."""
    tracker.script(drop())
    config = _config(tracker.github_env())

    class Busy:
        """The real client, with a busy repository between the create and the look."""

        def __init__(self) -> None:
            from warroom.comms.tracker import tracker_client

            self.inner = tracker_client(config)
            self.where = self.inner.where
            self.settle = self.inner.settle

        async def create(self, issue):
            return await self.inner.create(issue)

        async def find(self, marker, since):
            if len(tracker.issues) == 1:
                tracker.add_github_issues(150)
            return await self.inner.find(marker, since)

        async def aclose(self):
            await self.inner.aclose()

    async def run():
        client = Busy()
        try:
            return await push_followups(store, config, three, clock, client=client, sleep=_no_wait)
        finally:
            await client.aclose()

    report = asyncio.run(run())
    assert [line.outcome for line in report.lines] == ["found", "created", "created"]
    assert store.followups(three.id)[0].ticket == "https://github.com/acme/backlog/issues/1"
    assert [r.query.get("page") for r in tracker.finds()] == ["1", "2"]


def test_a_dropped_connection_then_retry_creates_one_issue(
    store: Store, clock: FrozenClock, three: Incident, tracker: FakeTracker
):
    tracker.script(drop())
    report = _push(store, tracker.jira_env(), three, clock)
    assert report.complete
    assert [i["key"] for i in tracker.issues] == ["OPS-1", "OPS-2", "OPS-3"]
    assert [line.outcome for line in report.lines] == ["found", "created", "created"]


def test_jira_502_then_retry_and_timeout_then_retry(
    store: Store, clock: FrozenClock, three: Incident, tracker: FakeTracker
):
    tracker.script(status(502), slow(2.0))
    report = _push(store, tracker.jira_env(), three, clock, timeout=0.5)
    assert report.complete
    assert len(tracker.issues) == 3  # 502 created nothing; the slow one once
    assert [f.ticket for f in store.followups(three.id)] == ["OPS-1", "OPS-2", "OPS-3"]
    issue = tracker.issues[0]
    assert issue["labels"][0].startswith("warroom-fu-")
    assert issue["issuetype"] == "Task"


def test_429_waits_then_creates(
    store: Store, clock: FrozenClock, three: Incident, tracker: FakeTracker
):
    tracker.script(rate("0"), rate("0"))
    report = _push(store, tracker.github_env(), three, clock)
    assert report.complete and len(tracker.issues) == 3
    assert not tracker.finds()  # a 429 created nothing


def test_a_tracker_down_gives_up_after_bounded_attempts(
    store: Store, clock: FrozenClock, three: Incident, tracker: FakeTracker
):
    tracker.script(*[status(503)] * 40)
    tracker.script_finds(*[status(503)] * 40)
    report = _push(store, tracker.github_env(), three, clock)
    assert not report.complete
    assert len(tracker.requests) <= 4 * 2  # one follow-up's rounds, then it stops
    first, *rest = report.lines
    assert "may exist: the next push looks" in first.line
    assert all("not tried: the tracker is not answering" in line.line for line in rest)
    assert tracker.issues == []
    # It comes back: the one that may exist is looked for; nothing doubles.
    tracker.clear_scripts()
    report = _push(store, tracker.github_env(), three, clock)
    assert report.complete and len(tracker.issues) == 3


def test_a_done_followup_is_not_pushed(
    ops: Service, store: Store, clock: FrozenClock, three: Incident, tracker: FakeTracker
):
    first = store.followups(three.id)[0]
    ops.set_followup_done(three.id, "alice", first.id, True)
    report = _push(store, tracker.github_env(), three, clock)
    assert [line.number for line in report.lines] == [2, 3]
    assert len(tracker.issues) == 2


def test_hostile_text_reaches_github_literally(
    ops: Service, store: Store, clock: FrozenClock, incident: Incident, tracker: FakeTracker
):
    text = "ping @channel @octocat <img src=x> **bold** ```` ``` fence\n# heading\x1b[31m"
    shown = text.replace("\x1b", "␛")  # as the console shows it, and as Slack gets it
    ops.add_followup(incident.id, "alice", text, "@evil`name", "2026-11-30")
    _push(store, tracker.github_env(), incident, clock)
    body = tracker.issues[0]["body"]
    assert md_block(shown) in body  # the text sits whole inside one fence
    assert "\n`````text\n" in body  # longer than the text's own run of backticks
    assert md_code_span("@evil`name") in body
    title = tracker.issues[0]["title"]
    assert "\n" not in title and "\x1b" not in title and "␛[31m" in title


def test_a_marker_in_another_issue_body_is_not_taken_for_ours(
    store: Store, clock: FrozenClock, three: Incident, tracker: FakeTracker
):
    tracker.script(status(502))
    _push(store, tracker.github_env(), three, clock)
    assert len({i["body"].rsplit("warroom marker", 1)[1] for i in tracker.issues}) == 3


def test_the_token_never_reaches_repr_or_errors(tracker: FakeTracker):
    config = _config(tracker.github_env())
    assert GITHUB_TOKEN not in repr(config) and GITHUB_TOKEN not in str(config)
    jira = _config(tracker.jira_env())
    assert JIRA_TOKEN not in repr(jira)
    import base64

    from warroom.comms.config import redact

    basic = base64.b64encode(f"ops@example.com:{JIRA_TOKEN}".encode()).decode()
    assert basic not in redact(f"Authorization: Basic {basic}", jira)
    assert GITHUB_TOKEN not in redact(f"token {GITHUB_TOKEN}", None)


@pytest.mark.parametrize("kind", ["github", "jira"])
def test_a_server_that_quotes_the_authorization_header_never_gets_it_printed(
    run_cli, tmp_path: Path, tracker: FakeTracker, kind: str
):
    import base64

    db = tmp_path / "w.db"
    _declare_with_followups(run_cli, db, "Add an alert @bob")
    tracker.echo_auth = True
    wrong = "sekrit-not-token-shaped-0123456789"
    env = tracker.github_env(token=wrong) if kind == "github" else tracker.jira_env(token=wrong)
    code, out, err = run_cli("followups", "1", "--push", "--db", db, env=env)
    assert code == 1
    assert "HTTP 401" in out and "[redacted]" in out
    basic = base64.b64encode(f"ops@example.com:{wrong}".encode()).decode()
    for secret in (wrong, basic):
        assert secret not in out + err
    stored = Store(db)
    try:
        (row,) = stored.read_rows("SELECT last_error FROM tracker_pushes")
    finally:
        stored.close()
    assert wrong not in row[0] and basic not in row[0]


def test_a_followup_another_live_process_is_pushing_is_left_to_it(
    store: Store, clock: FrozenClock, three: Incident, tracker: FakeTracker
):
    """Two consoles press p together: the second leaves the claimed one alone; a
    claim whose process is gone (kill -9) is taken over."""
    from warroom.db.people import process_started

    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        first = store.followups(three.id)[0]
        with store.write() as tx:
            tx.execute(
                "INSERT INTO tracker_pushes (followup_id, marker, tracker, intent_at,"
                " uncertain, claim_pid, claim_started) VALUES (?, ?, ?, ?, 1, ?, ?)",
                (
                    first.id,
                    "warroom-fu-someone-else",
                    "github:acme/backlog",
                    "2026-11-23T22:00:00Z",
                    other.pid,
                    process_started(other.pid),
                ),
            )
        report = _push(store, tracker.github_env(), three, clock)
        assert [line.outcome for line in report.lines] == ["busy", "created", "created"]
        assert "being pushed right now" in report.lines[0].line
        assert len(tracker.issues) == 2
    finally:
        other.kill()
        other.wait()
    report = _push(store, tracker.github_env(), three, clock)
    assert [line.outcome for line in report.lines] == ["created", "already", "already"]
    assert len(tracker.issues) == 3


def test_two_pushes_in_one_process_send_each_followup_once(
    store: Store, clock: FrozenClock, three: Incident, tracker: FakeTracker
):
    """f3 closed and opened again mid-push, p pressed again: one request each."""
    tracker.script(hold())
    config = _config(tracker.github_env())

    async def both():
        first = asyncio.create_task(push_followups(store, config, three, clock, sleep=_no_wait))
        while not tracker.holding.is_set():
            await asyncio.sleep(0.01)
        second = await push_followups(store, config, three, clock, sleep=_no_wait)
        tracker.release()
        return await first, second

    first, second = asyncio.run(both())
    assert [line.outcome for line in first.lines] == ["created", "already", "already"]
    assert [line.outcome for line in second.lines] == ["busy", "created", "created"]
    assert len(tracker.issues) == 3 and len(tracker.creates()) == 3


def test_push_with_an_output_file_is_refused(run_cli, tmp_path: Path, tracker: FakeTracker):
    db = tmp_path / "w.db"
    _declare_with_followups(run_cli, db, "Add an alert @bob")
    code, out, err = run_cli(
        "followups", "1", "--push", "-o", tmp_path / "x.csv", "--db", db, env=tracker.github_env()
    )
    assert (code, out) == (2, "")
    assert err == "warroom: --push writes no file: drop --output\n"
    assert tracker.requests == []


def test_a_jira_project_without_labels_on_its_screen_still_gets_one_issue(
    store: Store, clock: FrozenClock, three: Incident, tracker: FakeTracker
):
    tracker.no_labels = True
    # The first create is refused for its label; the one without: answer lost.
    tracker.script(Reply(), drop())
    report = _push(store, tracker.jira_env(), three, clock)
    assert report.complete
    assert [line.outcome for line in report.lines] == ["found", "created", "created"]
    assert [i["key"] for i in tracker.issues] == ["OPS-1", "OPS-2", "OPS-3"]
    assert all(i["labels"] == [] for i in tracker.issues)
    jql = tracker.finds()[0].query["jql"]
    assert jql.startswith('project = "OPS" AND (labels = "warroom-fu-')


def test_a_very_long_followup_is_cut_with_a_mark_to_fit_the_trackers_limits(
    ops: Service, store: Store, clock: FrozenClock, incident: Incident, tracker: FakeTracker
):
    ops.add_followup(incident.id, "alice", "x" * 100_000, "bob", "2026-11-30")
    report = _push(store, tracker.github_env(), incident, clock)
    assert report.complete
    body = tracker.issues[0]["body"]
    assert len(body) < 65_536
    assert "[cut here: the whole text is in warroom's record]" in body
    assert len(tracker.issues[0]["title"]) <= 256
    assert store.followups(incident.id)[0].text == "x" * 100_000  # the record keeps it all


def test_each_issue_links_back_to_the_incident_document_when_the_playbook_names_it(
    store: Store, clock: FrozenClock, three: Incident, tracker: FakeTracker
):
    """The playbook's tracker_url (where the incident's document lives) is the
    way back from the issue: a link in GitHub's Markdown and in Jira's ADF."""
    assert default_playbook().incident_doc(three.id, three.ref) == ""  # none built in
    review = "https://docs.example.org/incidents/INC-1"
    config = _config(tracker.github_env())
    asyncio.run(push_followups(store, config, three, clock, sleep=_no_wait, review_url=review))
    assert f"- **Review:** <{review}>" in tracker.issues[0]["body"]

    issue = new_issue(
        text="x", owner="bob", due="2026-12-01", incident_ref="INC-1",
        incident_title="t", marker="warroom-fu-1", review_url=review,
    )  # fmt: skip
    paragraphs = jira_description(issue)["content"]
    review_para = next(p for p in paragraphs if p["content"][0]["text"] == "Review: ")
    assert review_para["content"][1] == {
        "type": "text",
        "text": review,
        "marks": [{"type": "link", "attrs": {"href": review}}],
    }
    plain = new_issue(
        text="x", owner="bob", due="2026-12-01", incident_ref="INC-1",
        incident_title="t", marker="warroom-fu-1",
    )  # fmt: skip
    assert "`warroom export INC-1 --format md`" in github_body(plain)


@pytest.mark.parametrize(
    ("kind", "made"),
    [
        ("github", {"number": 1, "html_url": "javascript:alert(1)"}),
        ("github", {"number": 1, "html_url": "https://x/\x1b[2J\u202eevil"}),
        ("github", {"number": 1, "html_url": "https://x/" + "a" * 100_000}),
        ("jira", {"key": "../../admin"}),
        ("jira", {"key": "OPS-1\x1b[31m"}),
    ],
)
def test_a_ticket_that_is_not_an_address_or_key_is_never_stored(
    store: Store, clock: FrozenClock, three: Incident, tracker: FakeTracker, kind, made
):
    """What the tracker names is stored, exported and shown: a script URL, a
    terminal escape or a megabyte there is an answer not to be trusted."""
    import httpx

    from warroom.comms.tracker import tracker_client

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(201, json=made)
        return httpx.Response(200, json=[] if kind == "github" else {"issues": []})

    env = tracker.github_env() if kind == "github" else tracker.jira_env()
    config = _config(env)

    async def push():
        client = tracker_client(config, transport=httpx.MockTransport(answer))
        try:
            return await push_followups(store, config, three, clock, client=client, sleep=_no_wait)
        finally:
            await client.aclose()

    report = asyncio.run(push())
    assert not report.complete
    assert "unexpected" in report.lines[0].line
    assert [f.ticket for f in store.followups(three.id)] == [None, None, None]


def _push_through(store, config, incident, clock, handler):
    import httpx

    from warroom.comms.tracker import tracker_client

    async def push():
        client = tracker_client(config, transport=httpx.MockTransport(handler))
        try:
            return await push_followups(
                store, config, incident, clock, client=client, sleep=_no_wait
            )
        finally:
            await client.aclose()

    return asyncio.run(push())


def test_a_tracker_that_drips_its_answer_does_not_hold_the_push_for_ever(
    store: Store, clock: FrozenClock, three: Incident, tracker: FakeTracker
):
    """httpx's timeout bounds each read: a byte every 50 ms never trips it."""
    import httpx

    class Drip(httpx.AsyncByteStream):
        async def __aiter__(self):
            while True:
                await asyncio.sleep(0.05)
                yield b" "

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, stream=Drip())

    report = _push_through(store, _config(tracker.github_env(), 0.2), three, clock, answer)
    assert "did not finish answering in time" in report.lines[0].line
    assert [f.ticket for f in store.followups(three.id)] == [None, None, None]


def test_a_tracker_answering_a_huge_body_is_not_read_whole(
    store: Store, clock: FrozenClock, three: Incident, tracker: FakeTracker
):
    import httpx

    from warroom.comms.tracker import MAX_ANSWER_BYTES

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, content=b" " * (MAX_ANSWER_BYTES + 1))

    report = _push_through(store, _config(tracker.github_env()), three, clock, answer)
    assert "answered more than we read" in report.lines[0].line


def test_two_pushes_started_together_create_each_once_and_both_succeed(
    tmp_path: Path, cli_env: dict[str, str], run_cli, tracker: FakeTracker
):
    """A CLI push and a console's p at the same instant: each follow-up is sent
    by one of them; the other waits for its ticket instead of saying "failed,
    run it again"."""
    db = tmp_path / "w.db"
    _declare_with_followups(run_cli, db, "One @bob", "Two @bob", "Three @bob")
    tracker.script(*[slow(0.6)] * 3)  # each answered after 0.6 s: the pushes overlap
    env = {**cli_env, **tracker.github_env()}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "warroom", "followups", "1", "--push", "--db", str(db)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(proc.wait(60), *proc.communicate()) for proc in procs]
    assert len(tracker.issues) == 3
    assert len(tracker.creates()) == 3
    for code, out, err in results:
        assert code == 0, (out, err)
        assert len(out.splitlines()) == 3 and "being pushed" not in out


def test_a_followup_ticked_done_while_the_push_runs_is_not_a_failure(
    store: Store, clock: FrozenClock, three: Incident, tracker: FakeTracker
):
    """The push read the list, then someone ticked the last one done."""
    ops = Service(store, clock, default_playbook())
    last = store.followups(three.id)[2]

    def heard(line) -> None:
        if line.number == 1:
            ops.set_followup_done(three.id, "carol", last.id, True)

    report = asyncio.run(
        push_followups(
            store, _config(tracker.github_env()), three, clock, sleep=_no_wait, on_line=heard
        )
    )
    assert [line.outcome for line in report.lines] == ["created", "created", "done"]
    assert report.complete and "ticked done meanwhile" in report.lines[2].line
    assert len(tracker.issues) == 2


def test_a_killed_pusher_not_yet_reaped_holds_no_claim(
    store: Store, clock: FrozenClock, three: Incident, tracker: FakeTracker
):
    """kill -9 leaves a zombie until its parent reaps it: /proc still lists it,
    but it will never finish the push (nor keep a console present)."""
    import time

    from warroom.db.people import alive, process_started

    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    started = process_started(other.pid)
    assert started is not None
    os.kill(other.pid, signal.SIGKILL)
    try:
        for _ in range(200):  # until the kernel has made it a zombie
            if not alive(other.pid, started):
                break
            time.sleep(0.01)
        assert not alive(other.pid, started)
        assert os.path.exists(f"/proc/{other.pid}")  # not reaped: still listed
    finally:
        other.wait()


def test_githubs_secondary_rate_limit_waits_and_is_not_called_a_refused_token(
    store: Store, clock: FrozenClock, three: Incident, tracker: FakeTracker
):
    """GitHub's secondary rate limit is a 403 with Retry-After (and no
    x-ratelimit-remaining: 0): wait, then create; not "the token may not"."""
    import httpx

    answers = iter([httpx.Response(403, headers={"retry-after": "1"}, json={"message": "abuse"})])
    number = iter(range(1, 10))

    def answer(request: httpx.Request) -> httpx.Response:
        made = next(answers, None)
        if made is not None:
            return made
        n = next(number)
        return httpx.Response(
            201, json={"number": n, "html_url": f"https://github.com/acme/backlog/issues/{n}"}
        )

    report = _push_through(store, _config(tracker.github_env()), three, clock, answer)
    assert report.complete, [line.line for line in report.lines]
    assert [line.outcome for line in report.lines] == ["created"] * 3


def test_jira_timeout_then_a_lookup_the_index_has_not_caught_up_with_creates_nothing_twice(
    store: Store, clock: FrozenClock, three: Incident, tracker: FakeTracker
):
    """Jira's search trails a new issue: a lookup one second after an unanswered
    create misses it, and a second issue was created. The flow waits for the
    index (JIRA_SETTLE) before it looks."""
    from warroom.comms.tracker import JIRA_SETTLE

    tracker.index_lag = True
    tracker.script(slow(2.0))  # created at once, answered after the client gave up
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if seconds >= JIRA_SETTLE:
            tracker.index()  # that long, and the index has caught up

    report = asyncio.run(
        push_followups(store, _config(tracker.jira_env(), timeout=0.3), three, clock, sleep=sleep)
    )
    assert report.complete
    assert len(tracker.issues) == 3
    assert [line.outcome for line in report.lines] == ["found", "created", "created"]
