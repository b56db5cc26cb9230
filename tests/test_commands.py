"""The scribe line (DESIGN.md, "The scribe line (contract)"), through ``run_line``.

Each command: what it writes (state and the timeline entry that records it), and
for each a bad argument: one-line :class:`CommandError`, nothing written.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warroom.clock import FrozenClock, format_time
from warroom.commands import COMMANDS, LineResult, run_line
from warroom.db.store import Store
from warroom.domain.models import ChecklistItem, Entry, Incident
from warroom.errors import CommandError
from warroom.service import Service

#: The ``clock`` fixture's start (conftest.py).
START = "2026-11-23T22:00:00Z"
#: Entries the ``incident`` fixture starts with: declared, IC role, declare ticked.
DECLARED_ENTRIES = 3


def at(minutes: float) -> str:
    """The stored form of START + minutes."""
    return format_time(FrozenClock(START).now() + timedelta(minutes=minutes))


def run(ops: Service, incident: Incident, line: str, who: str = "alice") -> LineResult:
    return run_line(ops, incident.id, who, line)


def current(store: Store, incident: Incident) -> Incident:
    found = store.incident(incident.id)
    assert found is not None
    return found


def entries(store: Store, incident: Incident) -> list[Entry]:
    return list(store.iter_entries(incident.id))


def last(store: Store, incident: Incident) -> Entry:
    return entries(store, incident)[-1]


def item(incident: Incident, action: str) -> ChecklistItem:
    """The checklist item that ``action`` ticks by itself."""
    return next(i for i in incident.checklist if i.done_by_action == action)


def snapshot(store: Store, incident_id: int) -> tuple:
    """Everything a command could write: compared before and after a failed command."""
    counts = {
        table: store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("incidents", "entries", "engineers", "checklist", "updates", "followups")
    }
    return (
        store.incident(incident_id),
        list(store.iter_entries(incident_id)),
        store.updates(incident_id),
        store.followups(incident_id),
        counts,
    )


# -- the declared incident ------------------------------------------------------


def test_declare_writes_incident_entries_and_ticks_declare(store, incident, playbook):
    inc = current(store, incident)
    assert (inc.severity, inc.status, inc.stage, inc.title) == (
        2,
        "open",
        "detect",
        "QuickBooks sync halted",
    )
    assert inc.impact == "sync delayed for 40% of tenants"
    assert inc.declared_at == START
    assert inc.roles.incident_commander == "alice"
    assert inc.next_update_due == at(15)
    assert len(inc.checklist) == len(playbook.checklist)
    written = entries(store, incident)
    assert [(e.seq, e.kind, e.author) for e in written] == [
        (1, "declared", "alice"),
        (2, "role", "alice"),
        (3, "check", "alice"),
    ]
    assert written[0].text == (
        "declared SEV-2: QuickBooks sync halted — impact: sync delayed for 40% of tenants"
    )
    assert written[1].text == "Incident Commander: alice"
    declare = item(inc, "declare")
    assert written[2].text == f"✓ {declare.position}. {declare.label}"
    assert (declare.done, declare.done_at, declare.done_by) == (True, START, "alice")
    others = [i for i in inc.checklist if i.done_by_action != "declare"]
    assert not any(i.done for i in others)


@pytest.mark.parametrize(("level", "minutes"), [(1, 10), (2, 15), (3, 15), (4, 15)])
def test_first_deadline_is_declared_plus_cadence(ops, level, minutes):
    inc = ops.declare(severity=level, title="x", author="alice")
    assert inc.next_update_due == at(minutes)


# -- notes ------------------------------------------------------------------------


def test_plain_line_is_a_note(ops, store, incident, clock):
    clock.advance(minutes=2)
    outcome = run(ops, incident, "dan: queue depth 48k and climbing", who="carol")
    entry = last(store, incident)
    assert outcome.entries == [entry]
    assert outcome.open_screen is None
    assert (entry.seq, entry.kind, entry.author, entry.text) == (
        DECLARED_ENTRIES + 1,
        "note",
        "carol",
        "dan: queue depth 48k and climbing",
    )
    assert (entry.at, entry.occurred_at, entry.struck, entry.starred) == (at(2), None, False, False)


@pytest.mark.parametrize(
    "text",
    [
        "[bold red]x[/]",
        "[/]",
        "[$accent]themed[/] [B]bold",
        "<!channel> <@U123> @here",
        "\x1b[31mred\x1b[0m \x07 \x08",
        "🔥🧯 fire is out 👩🏽‍💻",
        "مرحبا بالعالم",
        "שלום עולם",
        "\u202eevil override\u202c",
        "  leading and trailing  ",
        "tab\there",
        "x" * 100_000,
    ],
    ids=lambda t: repr(t[:24]),
)
def test_note_text_is_stored_exactly(ops, store, incident, text):
    run(ops, incident, text)
    assert last(store, incident).text == text


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(min_size=1).filter(lambda t: t.strip() and not t.startswith("/")))
def test_any_plain_line_round_trips(ops, store, incident, text):
    (entry,) = run(ops, incident, text).entries
    assert store.entry(incident.id, entry.seq).text == text


@pytest.mark.parametrize(
    ("line", "stored"),
    [
        ("//var/log/app.log is full", "/var/log/app.log is full"),
        ("///triple", "//triple"),
        ("//sev 1", "/sev 1"),
        ("//", "/"),
    ],
)
def test_double_slash_logs_a_note_starting_with_one_slash(ops, store, incident, line, stored):
    run(ops, incident, line)
    entry = last(store, incident)
    assert (entry.kind, entry.text) == ("note", stored)
    assert current(store, incident).severity == 2


@pytest.mark.parametrize("line", ["", "   ", "\t"])
def test_blank_line_writes_nothing(ops, store, incident, line):
    before = snapshot(store, incident.id)
    assert run(ops, incident, line) == LineResult()
    assert snapshot(store, incident.id) == before


@pytest.mark.parametrize(
    ("line", "kind", "text"),
    [
        ("/decision fail over to the secondary OAuth app", "decision", None),
        ("/action restarted worker-3", "action", None),
        ("/DECISION shouting is fine", "decision", "shouting is fine"),
        ("/action  [b]keeps[/b]  spaces ", "action", " [b]keeps[/b]  spaces "),
    ],
)
def test_decision_and_action(ops, store, incident, line, kind, text):
    run(ops, incident, line, who="carol")
    entry = last(store, incident)
    expected = text if text is not None else line.split(" ", 1)[1]
    assert (entry.kind, entry.text, entry.author) == (kind, expected, "carol")


# -- severity and the update deadline --------------------------------------------


@pytest.mark.parametrize(
    ("declared", "elapsed", "line", "due_minutes"),
    [
        (2, 0, "/sev 1", 10),  # shorter cadence: now + 10 beats declared + 15
        (2, 3, "/sev SEV-1", 13),
        (2, 5, "/sev sev1", 15),  # equal
        (2, 8, "/sev 1", 15),  # now + 10 is later than the current deadline: kept
        (2, 20, "/sev 1", 15),  # already overdue: stays overdue
        (2, 2, "/sev 3", 15),  # same cadence: never pushed back
        (2, 2, "/sev 4", 15),
        (1, 0, "/sev 2", 10),  # longer cadence: never lengthened
        (1, 9, "/sev 3", 10),
        (3, 1, "/sev 1", 11),
    ],
)
def test_sev_shortens_the_deadline_only_when_cadence_is_shorter(
    ops, store, clock, declared, elapsed, line, due_minutes
):
    inc = ops.declare(severity=declared, title="x", author="alice")
    clock.advance(minutes=elapsed)
    run(ops, inc, line)
    after = current(store, inc)
    new_level = int(line[-1])
    assert after.severity == new_level
    assert after.next_update_due == at(due_minutes)
    entry = last(store, inc)
    verb = "raised" if new_level < declared else "lowered"
    cadence = 10 if new_level == 1 else 15
    assert entry.kind == "severity"
    assert entry.text == (
        f"severity {verb}: SEV-{declared} → SEV-{new_level} (updates every {cadence} min)"
    )


def test_sev_on_a_resolved_incident_keeps_the_countdown_stopped(ops, store, incident):
    run(ops, incident, "/resolve")
    run(ops, incident, "/sev 1")
    after = current(store, incident)
    assert (after.severity, after.next_update_due) == (1, None)


def test_record_update_resets_deadline_and_ticks_update(ops, store, incident, clock):
    clock.advance(minutes=12)
    written = ops.record_update(incident.id, "bob", "Mitigation in progress.")
    after = current(store, incident)
    assert after.next_update_due == at(12 + 15)
    tick = item(after, "update")
    assert (tick.done, tick.done_at, tick.done_by) == (True, at(12), "bob")
    assert [e.kind for e in written] == ["update", "check"]
    assert written[0].text == "update (internal): Mitigation in progress."
    assert written[1].text == f"✓ {tick.position}. {tick.label}"
    (update,) = store.updates(incident.id)
    assert (update.at, update.audience, update.text, update.delivery) == (
        at(12),
        "internal",
        "Mitigation in progress.",
        "recorded",
    )
    # A second update resets the deadline again but ticks nothing new.
    clock.advance(minutes=10)
    assert [e.kind for e in ops.record_update(incident.id, "bob", "Still on it.")] == ["update"]
    assert current(store, incident).next_update_due == at(22 + 15)


@pytest.mark.parametrize(("line", "screen"), [("/update", "update"), ("/help", "help")])
def test_screen_commands_open_a_screen_and_write_nothing(ops, store, incident, line, screen):
    before = snapshot(store, incident.id)
    assert run(ops, incident, line) == LineResult(open_screen=screen)
    assert snapshot(store, incident.id) == before


@pytest.mark.parametrize(
    ("elapsed", "minutes", "due"),
    [
        (2, 10, 25),  # from the deadline (22:15) + 10
        (20, 10, 30),  # overdue: from now (22:20) + 10
    ],
)
def test_snooze_pushes_the_deadline_and_logs_the_reason(
    ops, store, incident, clock, elapsed, minutes, due
):
    clock.advance(minutes=elapsed)
    run(ops, incident, f"/snooze {minutes} waiting on Intuit support", who="bob")
    assert current(store, incident).next_update_due == at(due)
    entry = last(store, incident)
    assert (entry.kind, entry.author) == ("snooze", "bob")
    assert entry.text == (
        f"update deadline pushed {minutes} min to {at(due)[11:16]}Z: waiting on Intuit support"
    )


# -- roles ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "role", "name", "text"),
    [
        ("/comms bob", "communications_lead", "bob", "Communications Lead: bob"),
        ("/scribe carol", "scribe", "carol", "Scribe: carol"),
        ("/ic erin", "incident_commander", "erin", "Incident Commander: alice → erin (handover)"),
        ("/ic  Ana María ", "incident_commander", "Ana María", None),
    ],
)
def test_role_commands(ops, store, incident, line, role, name, text):
    run(ops, incident, line)
    assert getattr(current(store, incident).roles, role) == name
    entry = last(store, incident)
    assert entry.kind == "role"
    if text is not None:
        assert entry.text == text


def test_handover_is_logged_with_both_names(ops, store, incident):
    run(ops, incident, "/comms bob")
    run(ops, incident, "/comms dave")
    assert last(store, incident).text == "Communications Lead: bob → dave (handover)"


def test_eng_adds_and_removes_engineers(ops, store, incident):
    run(ops, incident, "/eng dan")
    run(ops, incident, "/eng erin")
    assert current(store, incident).roles.response_engineers == ("dan", "erin")
    assert last(store, incident).text == "Response Engineer: +erin"
    run(ops, incident, "/eng -dan")
    assert current(store, incident).roles.response_engineers == ("erin",)
    assert (last(store, incident).kind, last(store, incident).text) == (
        "role",
        "Response Engineer: −dan",
    )


@pytest.mark.parametrize(
    ("commander", "lines"),
    [
        ("alice", ["/comms bob", "/scribe carol", "/eng dan"]),
        ("alice", ["/eng dan", "/scribe carol", "/comms bob"]),
        (None, ["/eng dan", "/eng erin", "/comms bob", "/scribe carol", "/ic frank"]),
    ],
)
def test_roles_tick_when_ic_comms_scribe_and_an_engineer_are_filled(
    ops, store, clock, commander, lines
):
    inc = ops.declare(severity=2, title="x", author="alice", commander=commander)
    for n, line in enumerate(lines):
        clock.advance(minutes=1)
        outcome = run(ops, inc, line, who="carol")
        tick = item(current(store, inc), "roles")
        if n < len(lines) - 1:
            assert not tick.done, line
            assert [e.kind for e in outcome.entries] == ["role"]
    assert (tick.done, tick.done_at, tick.done_by) == (True, at(len(lines)), "carol")
    assert [e.kind for e in outcome.entries] == ["role", "check"]
    assert outcome.entries[-1].text == f"✓ {tick.position}. {tick.label}"
    # Changing a role afterwards does not tick it again.
    assert [e.kind for e in run(ops, inc, "/scribe zoe").entries] == ["role"]


# -- stage, checklist, freeze, bridge --------------------------------------------


def test_stage_moves_the_workflow(ops, store, incident):
    run(ops, incident, "/stage triage")
    run(ops, incident, "/stage MITIGATE")
    assert current(store, incident).stage == "mitigate"
    entry = last(store, incident)
    assert (entry.kind, entry.text) == ("stage", "stage: triage → mitigate")


def test_check_and_uncheck_record_who_and_when(ops, store, incident, clock):
    clock.advance(minutes=4)
    run(ops, incident, "/check 6", who="dan")
    six = current(store, incident).checklist[5]
    assert (six.position, six.done, six.done_at, six.done_by) == (6, True, at(4), "dan")
    entry = last(store, incident)
    assert (entry.kind, entry.author, entry.text) == ("check", "dan", f"✓ 6. {six.label}")
    run(ops, incident, "/uncheck 6", who="erin")
    six = current(store, incident).checklist[5]
    assert (six.done, six.done_at, six.done_by) == (False, None, None)
    assert last(store, incident).text == f"✗ unticked 6. {six.label}"


def test_freeze_on_ticks_the_freeze_item_and_off_does_not_untick(ops, store, incident, clock):
    clock.advance(minutes=3)
    outcome = run(ops, incident, "/freeze on", who="carol")
    inc = current(store, incident)
    tick = item(inc, "freeze")
    assert inc.frozen is True
    assert [(e.kind, e.text) for e in outcome.entries] == [
        ("freeze", "change freeze ON: deployments halted"),
        ("check", f"✓ {tick.position}. {tick.label}"),
    ]
    assert (tick.done, tick.done_at, tick.done_by) == (True, at(3), "carol")
    outcome = run(ops, incident, "/freeze OFF")
    inc = current(store, incident)
    assert inc.frozen is False
    assert [(e.kind, e.text) for e in outcome.entries] == [("freeze", "change freeze OFF")]
    assert item(inc, "freeze").done


def test_bridge_sets_the_link_and_ticks_the_bridge_item(ops, store, incident):
    url = "https://meet.example.com/inc-quickbooks?pwd=a1&x=<b>"
    outcome = run(ops, incident, f"/bridge  {url} ")
    inc = current(store, incident)
    tick = item(inc, "bridge")
    assert inc.bridge == url
    assert [(e.kind, e.text) for e in outcome.entries] == [
        ("bridge", f"bridge: {url}"),
        ("check", f"✓ {tick.position}. {tick.label}"),
    ]
    assert tick.done
    # A new link is logged; the item is not ticked twice.
    assert [e.kind for e in run(ops, incident, "/bridge http://zoom.us/j/1").entries] == ["bridge"]
    assert current(store, incident).bridge == "http://zoom.us/j/1"


# -- star, at, follow-ups ----------------------------------------------------------


@pytest.mark.parametrize("arg", ["4", "#4", " 4 "])
def test_star_marks_a_key_event(ops, store, incident, arg):
    run(ops, incident, "fail over decided")  # entry 4
    run(ops, incident, f"/star {arg}", who="carol")
    assert store.entry(incident.id, 4).starred
    entry = last(store, incident)
    assert (entry.kind, entry.author, entry.text, entry.ref) == (
        "star",
        "carol",
        "★ key event #4",
        4,
    )


@pytest.mark.parametrize(
    ("hhmm", "occurred"),
    [
        ("21:50", "2026-11-23T21:50:00Z"),
        ("22:00", "2026-11-23T22:00:00Z"),  # now is not in the future
        ("9:05", "2026-11-23T09:05:00Z"),
        ("23:30", "2026-11-22T23:30:00Z"),  # later than now: yesterday
    ],
)
def test_at_keeps_occurred_and_logged_times(ops, store, incident, hhmm, occurred):
    run(ops, incident, f"/at {hhmm} PagerDuty fired  [qb-sync-lag]", who="carol")
    entry = last(store, incident)
    assert (entry.kind, entry.author, entry.text) == (
        "note",
        "carol",
        "PagerDuty fired  [qb-sync-lag]",
    )
    assert (entry.occurred_at, entry.at) == (occurred, START)


@pytest.mark.parametrize(
    ("suffix", "due"),
    [
        ("", "2026-11-30"),  # the playbook's default: +7 days
        (" due:+3d", "2026-11-26"),
        (" due:+0d", "2026-11-23"),
        (" due:2026-12-01", "2026-12-01"),
    ],
)
def test_fu_records_a_followup(ops, store, incident, suffix, due):
    run(ops, incident, f"/fu add alerting on token refresh 429s @dan{suffix}", who="carol")
    (fu,) = store.followups(incident.id)
    assert (fu.text, fu.owner, fu.due, fu.done) == (
        "add alerting on token refresh 429s",
        "dan",
        due,
        False,
    )
    entry = last(store, incident)
    assert (entry.kind, entry.author) == ("followup", "carol")
    assert entry.text == f"follow-up: add alerting on token refresh 429s (@dan, due {due})"


# -- resolve, reopen, undo ---------------------------------------------------------


def test_resolve_stops_the_countdown_and_reopen_restarts_it(ops, store, incident, clock):
    clock.advance(minutes=30)
    outcome = run(ops, incident, "/resolve", who="bob")
    inc = current(store, incident)
    assert (inc.status, inc.resolved_at, inc.next_update_due) == ("resolved", at(30), None)
    assert [(e.kind, e.text) for e in outcome.entries] == [
        ("resolve", "resolved: impact is over · stage detect → review")
    ]
    clock.advance(minutes=10)
    outcome = run(ops, incident, "/reopen", who="bob")
    inc = current(store, incident)
    assert (inc.status, inc.resolved_at, inc.next_update_due) == ("open", None, at(40 + 15))
    assert [(e.kind, e.text) for e in outcome.entries] == [
        ("reopen", "reopened: impact is back · stage review → detect")
    ]


def test_resolve_moves_the_stage_on_as_the_playbook_says_and_reopen_takes_it_back(
    ops, store, incident
):
    """Resolving from mitigate lands in the stage after restore (review), so
    the review no longer reads "resolved (stage: mitigate)"; reopening goes
    back to the stage the incident was resolved from. One entry each."""
    run(ops, incident, "/stage mitigate")
    before = current(store, incident).entry_count
    run(ops, incident, "/resolve")
    inc = current(store, incident)
    assert (inc.status, inc.stage, inc.entry_count) == ("resolved", "review", before + 1)
    assert last(store, incident).text == "resolved: impact is over · stage mitigate → review"
    run(ops, incident, "/reopen")
    inc = current(store, incident)
    assert (inc.status, inc.stage) == ("open", "mitigate")
    assert last(store, incident).text == "reopened: impact is back · stage review → mitigate"
    # Already in the last stage: resolving leaves it there, and says nothing of stages.
    run(ops, incident, "/stage review")
    run(ops, incident, "/resolve")
    assert current(store, incident).stage == "review"
    assert last(store, incident).text == "resolved: impact is over"
    run(ops, incident, "/reopen")
    assert (current(store, incident).stage, last(store, incident).text) == (
        "review",
        "reopened: impact is back",
    )


@pytest.mark.parametrize(
    ("stages", "current", "expected"),
    [
        (["detect", "triage", "mitigate", "restore", "review"], "mitigate", "review"),
        (["detect", "triage", "mitigate", "restore", "review"], "restore", "review"),
        # No stage after restore: the last stage.
        (["detect", "mitigate", "restore"], "mitigate", "restore"),
        # No restore at all: the last stage.
        (["investigate", "fix", "done"], "investigate", "done"),
        (["investigate", "fix", "done"], "done", "done"),
        # Never backwards: already past the stage after restore.
        (["detect", "restore", "review", "retro"], "retro", "retro"),
        # A stage this playbook lacks (declared under another): moved on.
        (["detect", "restore", "review"], "elsewhere", "review"),
    ],
)
def test_stage_after_resolve(playbook, stages, current, expected):
    from warroom.domain.rules import stage_after_resolve

    assert stage_after_resolve(playbook.replace(stages=stages), current) == expected


def test_undo_strikes_only_the_authors_own_last_note_like_entry(ops, store, incident):
    run(ops, incident, "first thought")  # 4 alice
    run(ops, incident, "bob's note", who="bob")  # 5 bob
    run(ops, incident, "/decision roll back")  # 6 alice
    run(ops, incident, "/stage triage")  # 7 alice, not note-like
    run(ops, incident, "bob again", who="bob")  # 8 bob

    outcome = run(ops, incident, "/undo")
    (entry,) = outcome.entries
    assert (entry.kind, entry.author, entry.text, entry.ref) == ("undo", "alice", "struck #6", 6)
    struck = {e.seq for e in entries(store, incident) if e.struck}
    assert struck == {6}
    assert store.entry(incident.id, 6).text == "roll back"  # struck, still there

    run(ops, incident, "/undo")
    assert {e.seq for e in entries(store, incident) if e.struck} == {4, 6}

    with pytest.raises(CommandError, match="alice has no entry to strike"):
        run(ops, incident, "/undo")

    run(ops, incident, "/undo", who="bob")
    assert {e.seq for e in entries(store, incident) if e.struck} == {4, 6, 8}


# -- bad arguments: one line, nothing written --------------------------------------

BAD: list[tuple[list[str], str]] = [
    # (lines run first, the bad line)
    ([], "/decision"),
    ([], "/decision    "),
    ([], "/action"),
    ([], "/sev"),
    ([], "/sev 0"),
    ([], "/sev 5"),
    ([], "/sev x"),
    ([], "/sev -1"),
    ([], "/sev 1.5"),
    ([], "/sev 2"),  # already SEV-2
    ([], "/sev 99999999999"),
    ([], "/ic"),
    ([], "/ic alice"),  # already IC
    ([], "/ic " + "x" * 65),
    ([], "/comms"),
    ([], "/comms bob\tsmith"),
    ([], "/scribe"),
    ([], "/scribe \x1b[31m"),
    ([], "/eng"),
    ([], "/eng -"),
    ([], "/eng -nobody"),
    (["/eng dan"], "/eng dan"),
    ([], "/stage"),
    ([], "/stage bogus"),
    ([], "/stage detect"),  # already there
    ([], "/check"),
    ([], "/check 0"),
    ([], "/check 10"),
    ([], "/check -1"),
    ([], "/check x"),
    ([], "/check 1"),  # ticked by declaring
    ([], "/uncheck 6"),  # not ticked
    ([], "/uncheck"),
    ([], "/freeze"),
    ([], "/freeze maybe"),
    ([], "/freeze off"),  # not frozen
    (["/freeze on"], "/freeze on"),
    ([], "/bridge not-a-link"),
    ([], "/bridge ftp://files.example.com/x"),
    ([], "/bridge https://"),
    ([], "/bridge https://zoom.us/j/1 extra words"),
    ([], "/update now"),
    ([], "/help me"),
    ([], "/snooze"),
    ([], "/snooze 10"),
    ([], "/snooze x waiting"),
    ([], "/snooze 0 waiting"),
    ([], "/snooze 1441 waiting"),
    (["/resolve"], "/snooze 5 waiting"),  # no deadline to push
    ([], "/star"),
    ([], "/star 0"),
    ([], "/star 99"),
    ([], "/star x"),
    (["/star 1"], "/star 1"),
    ([], "/at"),
    ([], "/at 10:00"),
    ([], "/at 10:00   "),
    ([], "/at 25:00 late"),
    ([], "/at 10:60 late"),
    ([], "/at 1000 late"),
    ([], "/at yesterday late"),
    ([], "/fu"),
    ([], "/fu add alerting"),
    ([], "/fu add alerting @"),
    ([], "/fu @dan"),
    ([], "/fu add alerting @dan due:tomorrow"),
    ([], "/fu add alerting @dan due:2026-13-01"),
    ([], "/fu add alerting @dan due:"),
    ([], "/fu add alerting @dan due:+d"),
    ([], "/fu add alerting @dan due:-3d"),
    ([], "/resolve now"),
    (["/resolve"], "/resolve"),
    ([], "/reopen"),
    (["/resolve"], "/reopen later"),
    ([], "/close"),  # not resolved
    ([], "/show"),
    ([], "/show x"),
    ([], "/show 999"),
    (["/resolve"], "/close"),  # no review written
    (["/resolve"], "/close now"),
    ([], "/title"),
    ([], "/title    "),
    ([], "/title " + "x" * 201),
    ([], "/title QuickBooks\nsync halted"),
    ([], "/title QuickBooks sync halted"),  # the title already
    ([], "/title  QuickBooks sync halted  "),  # the same, spaced
    ([], "/impact"),
    ([], "/impact   "),
    ([], "/impact " + "x" * 501),
    ([], "/impact two\rlines"),
    ([], "/impact sync delayed for 40% of tenants"),  # the impact already
    ([], "/undo please"),
    ([], "/undo"),  # alice wrote no note-like entry yet
    ([], "/nope"),
    ([], "/"),
    ([], "/ sev 1"),
    ([], "/severity 1"),
    ([], "/" + "x" * 500),
    ([], "/milestone"),
    ([], "/milestone mitigated"),
    ([], "/milestone mitigated 21:50"),  # no reason
    ([], "/milestone lunch 21:50 ate"),
    ([], "/milestone mitigated 25:00 typo"),
    ([], "/milestone mitigated yesterday typo"),
    ([], "/milestone mitigated 2026-11-24T09:00 in the future"),
    ([], "/milestone resolved 21:59 not resolved yet"),
    # Dates are bounded: year 1 crashed the console (its arithmetic overflows).
    ([], "/milestone impact_started 0001-01-01T00:00 typo"),
    ([], "/milestone detected 0001-01-01T00:00Z typo"),
    ([], "/milestone impact_started 2024-11-23T21:00 two years back"),
    ([], "/fu renew the cert @dan due:9999-12-31"),
    ([], "/fu renew the cert @dan due:0001-01-01"),
    ([], "/fu renew the cert @dan due:+9999d"),
    ([], "/fu renew the cert @dan due:2024-01-01"),
]


def test_milestone_corrects_and_logs_with_the_reason(ops, incident, clock, store):
    # The clock is at 22:00; impact really began at 21:40 (declared at 22:00).
    clock.advance(minutes=30)
    run_line(ops, incident.id, "carol", "/milestone impact_started 21:40 first alert fired then")
    corrected = store.incident(incident.id)
    assert corrected.milestones.impact_started_at == "2026-11-23T21:40:00Z"
    last = store.entry(incident.id, corrected.entry_count)
    assert "21:40" in last.text and "first alert fired then" in last.text
    run_line(ops, incident.id, "carol", "/milestone mitigated 2026-11-23T22:20 flag off")
    assert store.incident(incident.id).milestones.mitigated_at == "2026-11-23T22:20:00Z"


@pytest.mark.parametrize(("setup", "line"), BAD, ids=[repr(line[:30]) for _, line in BAD])
def test_bad_argument_is_one_line_and_writes_nothing(ops, store, incident, setup, line):
    for earlier in setup:
        run(ops, incident, earlier)
    before = snapshot(store, incident.id)
    with pytest.raises(CommandError) as caught:
        run(ops, incident, line)
    message = str(caught.value)
    assert message.strip(), line
    assert "\n" not in message and "\r" not in message, message
    assert len(message) < 300, message
    assert snapshot(store, incident.id) == before


def test_every_command_has_a_bad_argument_case():
    named = {line[1:].split(" ")[0].lower() for _, line in BAD}
    missing = set(COMMANDS) - named - {"update", "help"}
    assert not missing
    assert {"/update now", "/help me"} <= {line for _, line in BAD}


@pytest.mark.parametrize("line", ["a note", "/decision x", "/sev 1", "/undo", "/star 1"])
def test_unknown_incident_is_refused(ops, store, incident, line):
    before = snapshot(store, incident.id)
    with pytest.raises(CommandError, match="no such incident: INC-999"):
        run_line(ops, 999, "alice", line)
    assert snapshot(store, incident.id) == before


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("/fu fix it", "the @OWNER is missing"),
        ("/fu fix it @", "@ needs a name"),
        ("/fu @dan", "needs text before @dan"),
        ("/fu fix it due:+3d", "the @OWNER is missing"),
        ("/milestone impact_started 0001-01-01T00:00 typo", "more than a year ago"),
        ("/fu x @dan due:+4000d", "more than ten years away"),
    ],
)
def test_a_refusal_says_what_is_wrong(ops, incident, line, says):
    with pytest.raises(CommandError, match=says):
        run_line(ops, incident.id, "alice", line)


def test_a_follow_up_may_be_due_up_to_ten_years_ahead_and_trailing_spaces_are_fine(
    ops, store, incident
):
    run_line(ops, incident.id, "alice", "/fu renew the cert @dan due:+3650d  ")
    assert store.followups(incident.id)[-1].due == "2036-11-20"


def test_times_of_year_one_format_with_four_digits():
    from datetime import UTC, datetime

    from warroom.clock import format_time, parse_time

    when = datetime(1, 1, 1, tzinfo=UTC)
    assert format_time(when) == "0001-01-01T00:00:00Z"
    assert parse_time(format_time(when)) == when
