"""Alerts into the timeline: ``warroom ingest`` and serve's ``/hooks/...``.

The fixtures are in the shapes Alertmanager's webhook_config (version 4) and
Grafana's webhook contact point send (their documentation's examples).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from warroom.domain.alerts import MAX_PAYLOAD_BYTES, PayloadError, parse_payload
from warroom.errors import CommandError
from warroom.serve.app import ServeConfig, make_app
from warroom.serve.hooks import authorized

FIXTURES = Path(__file__).parent / "fixtures" / "alerts"
FIRING = (FIXTURES / "alertmanager_firing.json").read_bytes()
RESOLVED = (FIXTURES / "alertmanager_resolved.json").read_bytes()
GRAFANA = (FIXTURES / "grafana_firing.json").read_bytes()
TOKEN = "s3cret-hook-token-0123456789"


def alert_rows(db: Path, incident_id: int = 1) -> list[tuple[str | None, str, str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT occurred_at, author, kind, text FROM entries"
            " WHERE incident_id = ? AND kind = 'alert' ORDER BY seq",
            (incident_id,),
        ).fetchall()


def entry_count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM entries").fetchone()[0]


# -- reading the payloads -----------------------------------------------------


def test_alertmanager_payload_reads_each_alert_at_its_own_time():
    group = parse_payload("alertmanager", FIRING)
    assert [(a.name, a.status, a.starts_at, a.ends_at) for a in group.alerts] == [
        ("ProbeFailure", "firing", "2026-11-23T21:52:26Z", None),  # +01:00 and ns, in UTC
        ("ProbeFailure", "firing", "2026-11-23T21:55:01Z", None),
    ]
    assert group.alerts[0].link.startswith("http://prometheus.example.org:9090/graph")
    assert group.summary == "ProbeFailure"
    resolved = parse_payload("alertmanager", RESOLVED)
    assert resolved.alerts[0].at == "2026-11-23T21:59:11Z"  # a resolution: its endsAt
    assert resolved.truncated == 3


def test_grafana_payload_links_the_dashboard_and_titles_from_the_alert():
    group = parse_payload("grafana", GRAFANA)
    assert group.alerts[0].link == "https://grafana.example.org/d/mem"
    # No dashboard: the rule's generator link.
    assert group.alerts[1].link == "https://grafana.example.org/alerting/d1rdpdv7k/edit"
    assert group.summary == "High memory usage"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"", "not JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[]", "JSON object"),
        (b'{"status": "firing"}', "no alerts list"),
        (b'{"alerts": [{"status": "firing"}]}', "startsAt"),
        (b'{"alerts": [{"status": "burning", "startsAt": "2026-11-23T21:00:00Z"}]}', "status"),
        (b'{"alerts": [{"status": "firing", "startsAt": "yesterday"}]}', "not a time"),
        (b'{"alerts": [], "truncatedAlerts": -1}', "truncatedAlerts"),
        (
            b'{"alerts": [{"status": "firing", "startsAt": "2026-11-23T21:00:00Z",'
            b' "labels": {"a": 1}}]}',
            "labels",
        ),
        (b"[" * 100_000, "not JSON"),
    ],
)
def test_a_bad_payload_is_one_line(body, says):
    with pytest.raises(PayloadError) as caught:
        parse_payload("alertmanager", body)
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_a_label_cannot_make_a_second_line():
    body = json.loads(FIRING)
    body["alerts"][0]["labels"]["alertname"] = "Disk\nfull [bold]<!channel>"
    group = parse_payload("alertmanager", json.dumps(body).encode())
    assert group.alerts[0].name == "Disk full [bold]<!channel>"


# -- the service --------------------------------------------------------------


def close(ops, incident_id: int) -> None:
    """Resolve, write the review (closing needs one) and close."""
    ops.resolve(incident_id, "alice")
    ops.set_review(
        incident_id,
        "alice",
        root_cause="x",
        contributing_factors="",
        resolution_steps="",
        review_at=None,
    )
    ops.close(incident_id, "alice")


def test_resent_groups_add_nothing_and_a_resolution_adds_one_entry(ops, incident, db_path):
    first = ops.ingest_alerts(incident.id, parse_payload("alertmanager", FIRING))
    assert [e.occurred_at for e in first] == ["2026-11-23T21:52:26Z", "2026-11-23T21:55:01Z"]
    assert all(e.kind == "alert" and e.author == "alertmanager" for e in first)
    assert ops.ingest_alerts(incident.id, parse_payload("alertmanager", FIRING)) == []
    resolved = ops.ingest_alerts(incident.id, parse_payload("alertmanager", RESOLVED))
    assert len(resolved) == 1 and resolved[0].occurred_at == "2026-11-23T21:59:11Z"
    assert resolved[0].text.startswith("✅ RESOLVED ProbeFailure: BlackBox probe failure")
    assert "3 more alert(s) in this group were left out by the sender" in resolved[0].text
    assert ops.ingest_alerts(incident.id, parse_payload("alertmanager", RESOLVED)) == []
    # The same alert firing again later (a new startsAt) is news.
    again = json.loads(FIRING)
    again["alerts"][0]["startsAt"] = "2026-11-23T22:00:00Z"
    assert (
        len(
            ops.ingest_alerts(
                incident.id, parse_payload("alertmanager", json.dumps(again).encode())
            )
        )
        == 1
    )
    assert len(alert_rows(db_path)) == 4


def test_the_entry_data_holds_the_alert(ops, incident):
    from warroom.domain.events import load_data

    (entry, _) = ops.ingest_alerts(incident.id, parse_payload("grafana", GRAFANA))
    data = load_data(
        ops.store.read_rows(
            "SELECT data FROM entries WHERE incident_id = ? AND seq = ?", (incident.id, entry.seq)
        )[0][0]
    )
    assert data["event"] == "alert_received"
    assert data["fingerprint"] == "c6eadffa33fcdf37" and data["link"].endswith("/d/mem")


def test_a_closed_incident_takes_no_alerts(ops, incident, db_path):
    close(ops, incident.id)
    with pytest.raises(CommandError):
        ops.ingest_alerts(incident.id, parse_payload("alertmanager", FIRING))
    assert alert_rows(db_path) == []


def incident_count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM incidents").fetchone()[0]


def test_a_group_sent_again_goes_to_the_incident_it_declared(ops, db_path):
    """Alertmanager re-sends a firing group every repeat_interval, then sends it
    resolved: one incident, not one per notification."""
    first = ops.declare_from_alerts(
        parse_payload("alertmanager", FIRING), severity=2, author="alertmanager"
    )
    assert first.declared and len(first.entries) == 2
    again = ops.declare_from_alerts(
        parse_payload("alertmanager", FIRING), severity=1, author="alertmanager"
    )
    assert (again.declared, again.entries, again.incident.id) == (False, [], first.incident.id)
    assert again.incident.severity == 2  # nothing about the incident changed
    resolved = ops.declare_from_alerts(
        parse_payload("alertmanager", RESOLVED), severity=2, author="alertmanager"
    )
    assert not resolved.declared and len(resolved.entries) == 1
    assert incident_count(db_path) == 1
    assert len(alert_rows(db_path, first.incident.id)) == 3


def test_a_group_whose_incident_is_closed_declares_a_new_one(ops, db_path):
    first = ops.declare_from_alerts(
        parse_payload("alertmanager", FIRING), severity=2, author="alertmanager"
    ).incident
    close(ops, first.id)
    later = ops.declare_from_alerts(
        parse_payload("alertmanager", FIRING), severity=2, author="alertmanager"
    )
    assert later.declared and later.incident.id != first.id
    assert len(alert_rows(db_path, later.incident.id)) == 2


def test_declaring_from_alerts_is_one_transaction(ops, db_path, monkeypatch):
    """A failure while the alerts are written leaves no incident without them
    (which the next notification would then declare a second time)."""
    from warroom.db import alerts as alerts_repo

    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(alerts_repo, "mark_seen", broken)
    with pytest.raises(Exception, match="disk I/O error"):
        ops.declare_from_alerts(
            parse_payload("alertmanager", FIRING), severity=2, author="alertmanager"
        )
    assert (incident_count(db_path), entry_count(db_path)) == (0, 0)


# -- warroom ingest -----------------------------------------------------------


def test_ingest_from_a_file_and_from_stdin(run_cli, tmp_path):
    db = tmp_path / "w.db"
    assert run_cli("declare", "--sev", "2", "--title", "API down", "--db", db)[0] == 0
    path = tmp_path / "group.json"
    path.write_bytes(FIRING)
    code, out, err = run_cli("ingest", "alertmanager", "INC-1", path, "--db", db)
    assert (code, out) == (0, "INC-1: 2 new alert entries\n")
    # Offered, not forced: impact started stays the declaration.
    assert "before impact started" in err and "/milestone impact_started 21:52" in err
    code, out, _ = run_cli("ingest", "alertmanager", "1", "-", "--db", db, input=FIRING)
    assert (code, out) == (0, "INC-1: 0 new alert entries, 2 already in the timeline\n")
    code, out, err = run_cli("ingest", "alertmanager", "1", "--db", db, input=RESOLVED)
    assert (code, out) == (0, "INC-1: 1 new alert entry\n")
    assert "left out 3 alert(s)" in err
    assert [r[0] for r in alert_rows(db)] == [
        "2026-11-23T21:52:26Z",
        "2026-11-23T21:55:01Z",
        "2026-11-23T21:59:11Z",
    ]
    with sqlite3.connect(db) as conn:
        (started,) = conn.execute("SELECT impact_started_at FROM incidents").fetchone()
    assert started == "2026-11-23T22:00:00Z"


def test_ingest_declare_titles_the_incident_from_the_group(run_cli, tmp_path):
    db = tmp_path / "w.db"
    code, out, _ = run_cli(
        "ingest", "grafana", "--declare", "--sev", "2", "--db", db, input=GRAFANA
    )
    assert (code, out) == (0, "INC-1\n")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT title, severity FROM incidents").fetchone() == (
            "High memory usage",
            2,
        )
    rows = alert_rows(db)
    assert [r[1] for r in rows] == ["grafana", "grafana"]
    assert rows[0][3] == (
        "🔥 FIRING High memory usage: This alert was triggered for zone us-1"
        " <https://grafana.example.org/d/mem> (grafana)"
    )


def test_ingest_declare_twice_is_one_incident_and_says_so(run_cli, tmp_path):
    db = tmp_path / "w.db"
    args = ("ingest", "alertmanager", "--declare", "--sev", "2", "--db", db)
    assert run_cli(*args, input=FIRING)[:2] == (0, "INC-1\n")
    code, out, err = run_cli(*args, input=RESOLVED)
    assert (code, out) == (0, "INC-1\n")
    assert "already in INC-1" in err and "nothing declared" in err and "1 new alert entry" in err
    assert incident_count(db) == 1


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (("ingest", "pagerduty", "1"), FIRING, "alertmanager or grafana"),
        (("ingest", "alertmanager", "1"), b"{}", "no alerts list"),
        (("ingest", "alertmanager", "1"), b"not json", "not JSON"),
        (("ingest", "alertmanager", "1", "/nonexistent/x.json"), b"", "cannot read"),
        (("ingest", "alertmanager", "9"), FIRING, "no such incident"),
        (("ingest", "alertmanager", "--declare"), FIRING, "--sev"),
        (("ingest", "alertmanager", "--declare", "--sev", "7"), FIRING, "no severity 7"),
        (("ingest", "alertmanager", "1", "--sev", "2"), FIRING, "--declare"),
        (("ingest", "alertmanager"), FIRING, "usage"),
    ],
)
def test_ingest_mistakes_are_one_line_exit_2_and_write_nothing(
    run_cli, tmp_path, args, stdin, says
):
    db = tmp_path / "w.db"
    run_cli("declare", "--sev", "2", "--title", "API down", "--db", db)
    before = entry_count(db)
    code, _out, err = run_cli(*args, "--db", db, input=stdin)
    assert code == 2 and err.count("\n") == 1 and says in err, err
    assert "Traceback" not in err
    assert entry_count(db) == before


def test_ingest_refuses_an_oversized_payload_unread(run_cli, tmp_path):
    db = tmp_path / "w.db"
    run_cli("declare", "--sev", "2", "--title", "API down", "--db", db)
    big = b" " * (MAX_PAYLOAD_BYTES + 1)
    code, _, err = run_cli("ingest", "alertmanager", "1", "--db", db, input=big)
    assert code == 2 and "larger than" in err


# -- serve's /hooks/... -------------------------------------------------------


@pytest.fixture
async def hook_client(store, clock, playbook, db_path):
    config = ServeConfig(
        db=db_path,
        public_url="http://127.0.0.1:8040",
        clock=clock,
        spare=False,
        hook_token=TOKEN,
        playbook_data=playbook,
    )
    client = TestClient(TestServer(make_app(config, store)))
    await client.start_server()
    yield client
    await client.close()


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_the_hook_takes_a_group_once(hook_client, incident, db_path):
    response = await hook_client.post(
        "/hooks/alertmanager?incident=INC-1", data=FIRING, headers=bearer()
    )
    assert response.status == 200
    body = await response.json()
    assert body["added"] == 2 and body["incident"] == "INC-1"
    assert body["first_alert_started"] == "2026-11-23T21:52:26Z"  # the offer
    again = await hook_client.post("/hooks/alertmanager?incident=1", data=FIRING, headers=bearer())
    assert (await again.json())["added"] == 0
    assert len(alert_rows(db_path)) == 2


async def test_the_grafana_hook_declares(hook_client, db_path):
    response = await hook_client.post(
        "/hooks/grafana?declare=1&sev=1", data=GRAFANA, headers=bearer()
    )
    assert response.status == 200
    assert (await response.json())["incident"] == "INC-1"
    assert (await response.json())["added"] == 2  # the alerts, not the declaration's entries
    assert len(alert_rows(db_path)) == 2


async def test_the_hook_declares_a_group_once(hook_client, db_path):
    url = "/hooks/alertmanager?declare=1&sev=2"
    first = await (await hook_client.post(url, data=FIRING, headers=bearer())).json()
    again = await (await hook_client.post(url, data=FIRING, headers=bearer())).json()
    assert (first["incident"], first["declared"], first["added"]) == ("INC-1", True, 2)
    assert (again["incident"], again["declared"], again["added"]) == ("INC-1", False, 0)
    assert incident_count(db_path) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-0123456789ab"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer ümlaut"},
    ],
)
async def test_without_the_token_401_and_nothing_written(hook_client, incident, db_path, headers):
    before = entry_count(db_path)
    response = await hook_client.post(
        "/hooks/alertmanager?incident=INC-1", data=FIRING, headers=headers
    )
    assert response.status == 401
    assert TOKEN not in await response.text()
    assert entry_count(db_path) == before


async def test_hooks_are_off_without_a_configured_token(store, clock, playbook, db_path, incident):
    config = ServeConfig(
        db=db_path,
        public_url="http://127.0.0.1:8040",
        clock=clock,
        spare=False,
        playbook_data=playbook,
    )
    async with TestClient(TestServer(make_app(config, store))) as client:
        response = await client.post(
            "/hooks/alertmanager?incident=1", data=FIRING, headers={"Authorization": "Bearer "}
        )
        assert response.status == 401
    assert alert_rows(db_path) == []


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/hooks/alertmanager?incident=INC-1", b"{}", 400),
        ("/hooks/alertmanager?incident=INC-1", b"\x00\xff", 400),
        ("/hooks/alertmanager?incident=INC-9", FIRING, 400),
        ("/hooks/alertmanager?incident=x", FIRING, 400),
        ("/hooks/alertmanager", FIRING, 400),
        ("/hooks/grafana?declare=1", GRAFANA, 400),
        ("/hooks/grafana?declare=1&sev=9", GRAFANA, 400),
        ("/hooks/grafana?declare=1&sev=1&incident=1", GRAFANA, 400),
        ("/hooks/alertmanager?incident=INC-1", b" " * (MAX_PAYLOAD_BYTES + 1), 413),
    ],
)
async def test_bad_hook_calls_write_nothing(hook_client, incident, db_path, path, body, status):
    before = entry_count(db_path)
    response = await hook_client.post(path, data=body, headers=bearer())
    assert response.status == status
    message = (await response.json())["message"]
    assert "\n" not in message and "Traceback" not in message
    assert entry_count(db_path) == before


def test_authorized_compares_the_whole_token():
    assert authorized(f"Bearer {TOKEN}", TOKEN)
    assert authorized(f"bearer {TOKEN}", TOKEN)
    assert not authorized(f"Bearer {TOKEN[:-1]}", TOKEN)
    assert not authorized(f"Bearer {TOKEN}", None)
    assert not authorized(None, TOKEN)


def test_serve_refuses_a_short_hook_token(run_cli, tmp_path):
    code, _, err = run_cli(
        "serve", "--db", tmp_path / "w.db", "--port", "1", env={"WARROOM_HOOK_TOKEN": "short"}
    )
    assert code == 2 and "WARROOM_HOOK_TOKEN" in err and "short" not in err


# -- the console offers the first alert's start as impact start -----------------


async def test_the_console_offers_the_first_alert_as_impact_start_and_never_moves_it(tmp_path):
    from console_support import demo_app, message_line, type_line, until
    from warroom.db.store import Store
    from warroom.service import Service

    app = demo_app(tmp_path / "w.db")  # declared at 22:00Z
    said: list[str] = []
    notify = app.notify

    def spy(message: str, **kwargs) -> None:
        if kwargs.get("title") == "Impact start":
            said.append(message)
        notify(message, **kwargs)

    app.notify = spy  # type: ignore[method-assign]
    offer = (
        "The first alert started at 21:52Z, before impact started (22:00Z)."
        " If impact began then: /milestone impact_started 21:52 REASON"
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert said == []
        other = Service(Store(app.store.path), app.clock, app.playbook)  # a hook or ingest
        other.ingest_alerts(1, parse_payload("alertmanager", FIRING))
        await pilot.pause(1.2)  # the poll sees another process's commit
        await until(pilot, lambda: offer in message_line(app), "the offer under the scribe line")
        assert said == [offer]
        assert app.screen.incident.milestones.impact_started_at == "2026-11-23T22:00:00Z"
        other.ingest_alerts(1, parse_payload("alertmanager", RESOLVED))  # nothing earlier
        await pilot.pause(1.2)
        assert said == [offer]  # once
        await type_line(pilot, "/milestone impact_started 21:52 first alert")
        await until(
            pilot,
            lambda: app.screen.incident.milestones.impact_started_at == "2026-11-23T21:52:00Z",
            "the milestone moved by the scribe",
        )


def test_the_offer_names_a_time_the_milestone_command_reads_rightly():
    from datetime import UTC, datetime

    from warroom.domain.alerts import milestone_token

    now = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
    assert milestone_token("2026-11-23T21:52:26Z", now) == "21:52"
    assert milestone_token("2026-11-22T23:10:00Z", now) == "23:10"  # yesterday: still right
    assert milestone_token("2026-11-22T21:10:00Z", now) == "2026-11-22T21:10"  # not "21:10"


# -- attacks (issue 13 follow-up) -----------------------------------------------------


EMPTY_GROUP = '{"version": "4", "status": "firing", "alerts": []}'


def test_ingest_declare_from_a_group_with_no_alerts_declares_nothing(run_cli, tmp_path):
    """Each re-send of an empty group would declare one more incident: nothing
    ties it to the first."""
    db = tmp_path / "w.db"
    run_cli("declare", "--sev", "3", "--title", "Other", "--db", db)
    args = ("ingest", "alertmanager", "--declare", "--sev", "2", "--db", db)
    for _ in range(2):
        code, out, err = run_cli(*args, input=EMPTY_GROUP)
        assert (code, out) == (2, "")
        assert "no alerts" in err and "Traceback" not in err
    assert incident_count(db) == 1


async def test_the_hook_declares_nothing_from_a_group_with_no_alerts(hook_client, db_path):
    url = "/hooks/alertmanager?declare=1&sev=2"
    for _ in range(2):
        response = await hook_client.post(url, data=EMPTY_GROUP, headers=bearer())
        assert response.status == 400
        assert "no alerts" in (await response.text())
    assert incident_count(db_path) == 0
