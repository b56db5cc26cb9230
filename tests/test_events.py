"""Typed events: each knows its entry kind, its text (byte for byte what warroom
always wrote: exports, Slack and old reviews quote it) and its data."""

from __future__ import annotations

import json
import sqlite3

import pytest

from schema_support import undo_schemas_6_and_7
from warroom.db.migrations import backfill_data
from warroom.domain import events as ev

#: (event, kind, the text main at 5a06f4f wrote for that change).
CASES = [
    (
        ev.Declared(2, "SEV-2", "QuickBooks sync halted", "sync delayed", 30, "x"),
        "declared",
        "declared SEV-2: QuickBooks sync halted — impact: sync delayed",
    ),
    (ev.Declared(3, "SEV-3", "Slow", "", 60, "x"), "declared", "declared SEV-3: Slow"),
    (
        ev.SeverityChanged(2, 1, "SEV-2", "SEV-1", 15, None),
        "severity",
        "severity raised: SEV-2 → SEV-1 (updates every 15 min)",
    ),
    (
        ev.SeverityChanged(1, 3, "SEV-1", "SEV-3", 60, None),
        "severity",
        "severity lowered: SEV-1 → SEV-3 (updates every 60 min)",
    ),
    (ev.RoleAssigned("scribe", None, "carol"), "role", "Scribe: carol"),
    (
        ev.RoleAssigned("incident_commander", "alice", "bob"),
        "role",
        "Incident Commander: alice → bob (handover)",
    ),
    (ev.RoleAssigned("communications_lead", None, "bob"), "role", "Communications Lead: bob"),
    (ev.EngineerAdded("dan"), "role", "Response Engineer: +dan"),
    (ev.EngineerRemoved("erin"), "role", "Response Engineer: −erin"),
    (ev.StageMoved("detect", "triage", False), "stage", "stage: detect → triage"),
    (
        ev.StageMoved("mitigate", "restore", True),
        "stage",
        "stage: mitigate → restore (mitigated: milestone stamped)",
    ),
    (ev.CheckToggled(3, "Establish a bridge", True), "check", "✓ 3. Establish a bridge"),
    (ev.CheckToggled(3, "Establish a bridge", False), "check", "✗ unticked 3. Establish a bridge"),
    (ev.FreezeSet(True), "freeze", "change freeze ON: deployments halted"),
    (ev.FreezeSet(False), "freeze", "change freeze OFF"),
    (ev.BridgeSet("https://meet.example.com/x"), "bridge", "bridge: https://meet.example.com/x"),
    (ev.TitleChanged("old", "new"), "title", "title: old → new"),
    (ev.ImpactChanged("", "all down"), "impact", "impact: (not recorded) → all down"),
    (ev.ImpactChanged("some", "all"), "impact", "impact: some → all"),
    (
        ev.UpdateRecorded("internal", "We are failing over.", None, None, "x"),
        "update",
        "update (internal): We are failing over.",
    ),
    (
        ev.UpdateRecorded("client", "Dear client", "Subject", None, "x"),
        "update",
        "update (client): Dear client",
    ),
    (
        ev.Snoozed(15, "2026-11-23T22:40:00Z", "waiting for failover"),
        "snooze",
        "update deadline pushed 15 min to 22:40Z: waiting for failover",
    ),
    (ev.Starred(10), "star", "★ key event #10"),
    (ev.Struck(7), "undo", "struck #7"),
    (
        ev.FollowUpAdded("add lag alert", "dan", "2026-12-01"),
        "followup",
        "follow-up: add lag alert (@dan, due 2026-12-01)",
    ),
    (
        ev.FollowUpDone("add lag alert", "dan", True),
        "followup",
        "✓ follow-up done: add lag alert (@dan)",
    ),
    (
        ev.FollowUpDone("add lag alert", "dan", False),
        "followup",
        "✗ follow-up not done after all: add lag alert (@dan)",
    ),
    (
        ev.MilestoneCorrected(
            "impact_started", "2026-11-23T22:00:00Z", "2026-11-23T21:45:00Z", "a"
        ),
        "milestone",
        "milestone corrected: impact started 2026-11-23T22:00:00Z → 2026-11-23T21:45:00Z (a)",
    ),
    (
        ev.MilestoneCorrected("mitigated", None, "2026-11-23T21:45:00Z", "b"),
        "milestone",
        "milestone corrected: mitigated unset → 2026-11-23T21:45:00Z (b)",
    ),
    (
        ev.ReviewSaved(("root cause", "review meeting 2026-11-27")),
        "review",
        "review saved: root cause, review meeting 2026-11-27",
    ),
    (
        ev.Resolved("restore", "review"),
        "resolve",
        "resolved: impact is over · stage restore → review",
    ),
    (ev.Resolved("review", "review"), "resolve", "resolved: impact is over"),
    (
        ev.Reopened("review", "restore", "x"),
        "reopen",
        "reopened: impact is back · stage review → restore",
    ),
    (ev.Reopened("triage", "triage", "x"), "reopen", "reopened: impact is back"),
    (ev.Closed(), "close", "closed: the record is final"),
    (ev.Note("decision", "fail over [b]x[/b]", None), "decision", "fail over [b]x[/b]"),
    (
        ev.AlertReceived(
            "grafana",
            "c6ea",
            "firing",
            "High memory",
            "zone us-1",
            "2026-11-23T21:51:03Z",
            None,
            "https://grafana.example.org/d/mem",
            0,
        ),
        "alert",
        "🔥 FIRING High memory: zone us-1 <https://grafana.example.org/d/mem> (grafana)",
    ),
    (
        ev.AlertReceived(
            "alertmanager",
            "1a30",
            "resolved",
            "ProbeFailure",
            "",
            "2026-11-23T21:51:03Z",
            "2026-11-23T21:59:11Z",
            "",
            3,
        ),
        "alert",
        "✅ RESOLVED ProbeFailure (alertmanager)"
        " · 3 more alert(s) in this group were left out by the sender",
    ),
    (
        ev.UpdateChased("2026-11-23T22:47:00Z", 5, "bob", True),
        "reminder",
        "reminder to Communications Lead bob (mentioned in Slack):"
        " the stakeholder update due at 22:47Z is 5 min overdue",
    ),
    (
        ev.UpdateChased("2026-11-23T22:47:00Z", 6, None, False),
        "reminder",
        "reminder to Communications Lead: the stakeholder update due at 22:47Z is 6 min overdue",
    ),
    (
        ev.SlackCaptured("1796046873.000001", "U0CAROL01", "pin", "root cause: <!channel> [b]"),
        "slack",
        "root cause: <!channel> [b]",
    ),
]


@pytest.mark.parametrize(("event", "kind", "text"), CASES, ids=lambda v: type(v).__name__)
def test_text_and_kind_are_todays(event: ev.Event, kind: str, text: str) -> None:
    assert event.kind == kind
    assert event.text() == text


def test_every_event_class_is_covered() -> None:
    assert {type(event) for event, _kind, _text in CASES} == set(ev.EVENTS.values())


@pytest.mark.parametrize(("event", "kind", "text"), CASES, ids=lambda v: type(v).__name__)
def test_data_is_json_of_the_facts(event: ev.Event, kind: str, text: str) -> None:
    stored = event.data_json()
    if isinstance(event, ev.Note):
        assert stored is None  # a note's text is all of it
        return
    data = json.loads(stored)
    assert data["event"] == event.NAME and data["v"] == ev.DATA_VERSION


def test_ticks() -> None:
    assert ev.Declared(2, "SEV-2", "t", "", 30, "x").ticks() == "declare"
    assert ev.FreezeSet(True).ticks() == "freeze" and ev.FreezeSet(False).ticks() is None
    assert ev.BridgeSet("https://x.example").ticks() == "bridge"
    assert ev.EngineerAdded("dan").ticks() == "roles"
    assert ev.UpdateRecorded("internal", "m", None, None, "x").ticks() == "update"
    assert ev.Closed().ticks() is None


@pytest.mark.parametrize(("event", "kind", "text"), CASES, ids=lambda v: type(v).__name__)
def test_backfill_reads_what_the_replay_needs(event: ev.Event, kind: str, text: str) -> None:
    """What the migration reads back from an old text agrees with the event's data."""
    found = backfill_data(kind, text)
    if found is None:
        return
    data = json.loads(found)
    assert data["backfilled"] is True
    facts = event.data() or {}
    for key in ("severity", "old", "new", "cadence_minutes", "minutes", "audience", "seq"):
        if key in data and key in facts:
            assert data[key] == facts[key], key


def test_timing_entries_written_today_carry_their_data(ops, incident, store, clock) -> None:
    clock.advance(minutes=5)
    ops.set_severity(incident.id, "alice", 1)
    ops.snooze(incident.id, "bob", 10, "waiting")
    ops.record_update(incident.id, "bob", "status", audience="internal")
    ops.note(incident.id, "carol", "plain note")
    data = {e.kind: json.loads(e.data) for e in store.timing_events(incident.id)}
    assert data["declared"]["severity"] == 2
    assert (data["severity"]["old"], data["severity"]["new"]) == (2, 1)
    assert data["snooze"]["minutes"] == 10
    assert data["update"]["audience"] == "internal"
    last = store.entry(incident.id, store.incident(incident.id).entry_count)
    assert last.kind == "note" and last.data is None


def test_a_schema_5_database_is_backfilled(tmp_path) -> None:
    """Entries written before the data column get it from their text, once."""
    from warroom.clock import FrozenClock
    from warroom.db.store import Store
    from warroom.playbook import default_playbook
    from warroom.service import Service

    path = tmp_path / "old.db"
    store = Store(path)
    ops = Service(store, FrozenClock("2026-11-23T22:00:00Z"), default_playbook())
    incident = ops.declare(severity=2, title="t", author="a")
    ops.set_severity(incident.id, "a", 1)
    ops.snooze(incident.id, "a", 7, "r")
    store.close()
    conn = sqlite3.connect(path)
    undo_schemas_6_and_7(conn)
    conn.execute("PRAGMA user_version = 5")
    conn.commit()
    conn.close()
    store = Store(path)
    try:
        data = {e.kind: json.loads(e.data) for e in store.timing_events(incident.id)}
    finally:
        store.close()
    assert data["declared"] == {
        "event": "declared",
        "severity": 2,
        "severity_name": "SEV-2",
        "backfilled": True,
    }
    assert (data["severity"]["old"], data["severity"]["new"]) == (2, 1)
    assert data["severity"]["cadence_minutes"] == 10  # SEV-1 in the default playbook
    assert data["snooze"]["minutes"] == 7
