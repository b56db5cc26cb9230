"""Issue 4 backend: business days, milestones and figures, review save, close,
follow-ups ticked, search, and the review document's literal text."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.clock import UTC, FrozenClock, parse_time
from warroom.commands import run_line
from warroom.domain.businessdays import add_business_days, propose_review_date
from warroom.domain.figures import compute_figures, live_clocks
from warroom.errors import CommandError
from warroom.exports.review import figures_for, render_review
from warroom.markdown import (
    ROW_SEP,
    STRUCK_CLOSE,
    STRUCK_OPEN,
    md_block,
    md_inline,
    md_row,
    md_rows,
)

# -- business days ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "holidays", "expected"),
    [
        ("2026-11-23", 2, [], "2026-11-25"),  # Monday → Wednesday
        ("2026-11-27", 1, [], "2026-11-30"),  # Friday + 1 → Monday
        ("2026-11-27", 2, [], "2026-12-01"),  # Friday + 2 → Tuesday
        ("2026-11-28", 1, [], "2026-11-30"),  # Saturday + 1 → Monday
        ("2026-11-29", 2, [], "2026-12-01"),  # Sunday + 2 → Tuesday
        ("2026-11-25", 2, ["2026-11-26", "2026-11-27"], "2026-12-01"),  # Thanksgiving
        ("2026-12-24", 2, ["2026-12-25"], "2026-12-29"),  # Christmas, weekend
        ("2026-12-31", 1, ["2027-01-01"], "2027-01-04"),  # year end + New Year's Day
        ("2027-12-30", 2, ["2027-12-31"], "2028-01-04"),  # into a leap year
        ("2028-02-28", 1, [], "2028-02-29"),  # leap day is a Tuesday
        ("2026-11-23", 0, [], "2026-11-23"),  # zero: the day itself if it is a business day
        ("2026-11-28", 0, [], "2026-11-30"),  # … else the next one
        ("2026-11-23", 10, [], "2026-12-07"),  # two whole weeks
    ],
)
def test_add_business_days(start, days, holidays, expected):
    assert add_business_days(date.fromisoformat(start), days, holidays) == date.fromisoformat(
        expected
    )


def test_holidays_as_dates_and_negative_days():
    assert add_business_days(date(2026, 12, 24), 1, [date(2026, 12, 25)]) == date(2026, 12, 28)
    with pytest.raises(ValueError):
        add_business_days(date(2026, 12, 24), -1)


def test_propose_review_date_uses_the_utc_date_of_resolution():
    # 23:59 UTC on a Friday is still Friday: + 2 business days is Tuesday.
    assert propose_review_date("2026-11-27T23:59:59Z", 2) == date(2026, 12, 1)
    assert propose_review_date(datetime(2026, 11, 27, 0, 0, tzinfo=UTC), 2) == date(2026, 12, 1)


# -- milestones ---------------------------------------------------------------------


def test_declaring_stamps_impact_started_and_detected(incident):
    assert incident.milestones.impact_started_at == "2026-11-23T22:00:00Z"
    assert incident.milestones.detected_at == "2026-11-23T22:00:00Z"
    assert incident.milestones.mitigated_at is None


def test_reaching_restore_stamps_mitigated_once(ops, clock, incident):
    clock.advance(minutes=5)
    ops.set_stage(incident.id, "carol", "mitigate")
    assert ops.store.incident(incident.id).milestones.mitigated_at is None
    clock.advance(minutes=9, seconds=17)
    entry = ops.set_stage(incident.id, "carol", "restore")
    assert entry.text == "stage: mitigate → restore (mitigated: milestone stamped)"
    assert ops.store.incident(incident.id).milestones.mitigated_at == "2026-11-23T22:14:17Z"
    clock.advance(minutes=5)
    ops.set_stage(incident.id, "carol", "mitigate")
    ops.set_stage(incident.id, "carol", "review")
    assert ops.store.incident(incident.id).milestones.mitigated_at == "2026-11-23T22:14:17Z"


def test_resolving_stamps_mitigated_if_the_stage_never_moved(ops, clock, incident):
    clock.advance(minutes=30)
    ops.resolve(incident.id, "alice")
    found = ops.store.incident(incident.id)
    assert found.milestones.mitigated_at == found.resolved_at == "2026-11-23T22:30:00Z"


def test_correct_milestone_logs_old_new_and_reason(ops, clock, incident):
    clock.advance(minutes=20)
    entry = ops.correct_milestone(
        incident.id,
        "alice",
        "impact_started",
        parse_time("2026-11-23T21:40:00Z"),
        "first customer ticket was at 21:40",
    )
    assert entry.kind == "milestone"
    assert entry.text == (
        "milestone corrected: impact started 2026-11-23T22:00:00Z → 2026-11-23T21:40:00Z"
        " (first customer ticket was at 21:40)"
    )
    assert ops.store.incident(incident.id).milestones.impact_started_at == "2026-11-23T21:40:00Z"
    # A naive time is UTC; "mitigated" may be set when it was never stamped.
    ops.correct_milestone(incident.id, "alice", "mitigated", datetime(2026, 11, 23, 22, 10), "x")
    assert ops.store.incident(incident.id).milestones.mitigated_at == "2026-11-23T22:10:00Z"


@pytest.mark.parametrize(
    ("which", "when", "reason", "message"),
    [
        ("impact_started", "2026-11-23T22:00:01Z", "r", "future"),
        ("impact_started", "2026-11-23T21:00:00Z", "   ", "reason"),
        ("bogus", "2026-11-23T21:00:00Z", "r", "no milestone"),
        ("resolved", "2026-11-23T21:59:00Z", "r", "not resolved"),
        ("detected", "2026-11-23T21:00:00Z", "r", "cannot be after"),
        ("impact_started", "2026-11-23T22:00:00Z", "r", "already"),
    ],
)
def test_correct_milestone_refuses(ops, incident, which, when, reason, message):
    before = list(ops.store.iter_entries(incident.id))
    with pytest.raises(CommandError, match=message):
        ops.correct_milestone(incident.id, "alice", which, parse_time(when), reason)
    assert list(ops.store.iter_entries(incident.id)) == before


def test_live_clocks_run_stop_and_restart(ops, clock, incident):
    clock.advance(minutes=3, seconds=7)
    clocks = live_clocks(ops.store.incident(incident.id), clock.now())
    assert (clocks.to_mitigate_seconds, clocks.mitigated) == (187, False)
    assert (clocks.to_resolve_seconds, clocks.resolved) == (187, False)
    ops.resolve(incident.id, "alice")
    clock.advance(hours=1)
    clocks = live_clocks(ops.store.incident(incident.id), clock.now())
    assert (clocks.to_resolve_seconds, clocks.resolved) == (187, True)
    assert (clocks.to_mitigate_seconds, clocks.mitigated) == (187, True)
    ops.reopen(incident.id, "alice")
    clocks = live_clocks(ops.store.incident(incident.id), clock.now())
    assert (clocks.to_resolve_seconds, clocks.resolved) == (3787, False)


# -- figures ------------------------------------------------------------------------


def test_figures_to_the_second(ops, clock, incident):
    """SEV-2 (15 min), raised to SEV-1 (10 min) at 22:11, resolved at 22:50:30."""
    ops.correct_milestone(
        incident.id, "alice", "impact_started", parse_time("2026-11-23T21:47:13Z"), "alert"
    )
    clock.set("2026-11-23T22:11:00Z")
    ops.set_severity(incident.id, "alice", 1)  # deadline min(22:15, 22:21) = 22:15
    clock.set("2026-11-23T22:12:05Z")
    ops.record_update(incident.id, "bob", "one")  # on time; next due 22:22:05
    clock.set("2026-11-23T22:32:45Z")
    ops.record_update(incident.id, "bob", "two")  # 10:40 late; next due 22:42:45
    clock.set("2026-11-23T22:40:00Z")
    ops.snooze(incident.id, "bob", 5, "waiting on vendor")  # due 22:47:45
    clock.set("2026-11-23T22:44:59Z")
    ops.set_stage(incident.id, "carol", "restore")
    clock.set("2026-11-23T22:48:00Z")
    ops.record_update(incident.id, "bob", "three")  # 0:15 late
    clock.set("2026-11-23T22:50:30Z")
    ops.resolve(incident.id, "alice")
    clock.set("2026-11-23T22:55:00Z")
    ops.record_update(incident.id, "bob", "all clear")  # after resolution: not late

    found = ops.store.incident(incident.id)
    figures = figures_for(ops.store, found, ops.playbook, clock.now())
    assert figures.time_to_mitigate_seconds == (57 * 60 + 46)  # 21:47:13 → 22:44:59
    assert figures.time_to_resolve_seconds == (63 * 60 + 17)  # 21:47:13 → 22:50:30
    # Windows from the declaration: 22:15 (shortened), 22:25, 22:35, 22:45; 22:55 is after.
    assert (figures.updates_sent, figures.updates_due) == (4, 4)
    assert figures.updates_late == 2
    assert [item.seconds for item in figures.late] == [10 * 60 + 40, 15]
    assert figures.late_by_seconds_total == 10 * 60 + 55
    assert figures.late_by_seconds_max == 10 * 60 + 40
    assert figures.late[0].deadline == "2026-11-23T22:22:05Z"


def test_figures_of_an_open_incident_count_to_now_and_pause_while_resolved(ops, clock, incident):
    clock.advance(minutes=20)
    ops.resolve(incident.id, "alice")  # 22:20: one window (22:15) due
    clock.advance(hours=5)
    ops.reopen(incident.id, "alice")  # 03:20: the cadence restarts
    clock.advance(minutes=31)
    found = ops.store.incident(incident.id)
    figures = figures_for(ops.store, found, ops.playbook, clock.now())
    assert figures.time_to_resolve_seconds is None
    assert (figures.updates_sent, figures.updates_due, figures.updates_late) == (0, 3, 0)


def test_figures_ignore_other_entries(ops, clock, incident):
    clock.advance(minutes=14)
    run_line(ops, incident.id, "carol", "a note mentioning updates every 1 min")
    found = ops.store.incident(incident.id)
    events = list(ops.store.iter_entries(incident.id))
    figures = compute_figures(found, events, ops.playbook, clock.now())
    assert (figures.updates_due, figures.updates_sent) == (0, 0)


# -- review, close, follow-ups ------------------------------------------------------


def test_set_review_stores_text_exactly_and_logs_once_per_save(ops, incident):
    text = "line one\n\n  indented [b]x[/b]\r\nlast\t"
    entry = ops.set_review(
        incident.id,
        "alice",
        root_cause=text,
        contributing_factors="",
        resolution_steps="step",
        review_at=date(2026, 11, 26),
    )
    assert entry.kind == "review"
    assert entry.text == "review saved: root cause, resolution steps, review meeting 2026-11-26"
    review = ops.store.review(incident.id)
    assert (review.root_cause, review.resolution_steps, review.review_at) == (
        text,
        "step",
        "2026-11-26",
    )
    count = ops.store.incident(incident.id).entry_count
    same = ops.set_review(
        incident.id,
        "alice",
        root_cause=text,
        contributing_factors="",
        resolution_steps="step",
        review_at=date(2026, 11, 26),
    )
    assert same is None and ops.store.incident(incident.id).entry_count == count


def test_close_only_after_resolution_then_read_only(ops, clock, incident):
    with pytest.raises(CommandError, match="not resolved"):
        ops.close(incident.id, "alice")
    ops.resolve(incident.id, "alice")
    clock.advance(days=2)
    with pytest.raises(CommandError, match="no review yet"):
        ops.close(incident.id, "alice")  # the playbook: review, then close
    ops.set_review(
        incident.id,
        "alice",
        root_cause="token storm",
        contributing_factors="",
        resolution_steps="",
        review_at=None,
    )
    entry = ops.close(incident.id, "alice")
    assert entry.kind == "close"
    found = ops.store.incident(incident.id)
    assert found.status == "closed" and found.milestones.closed_at == "2026-11-25T22:00:00Z"
    assert found.next_update_due is None
    for attempt in (
        lambda: run_line(ops, incident.id, "alice", "late note"),
        lambda: ops.reopen(incident.id, "alice"),
        lambda: ops.close(incident.id, "alice"),
        lambda: ops.correct_milestone(
            incident.id, "alice", "detected", parse_time("2026-11-23T22:00:00Z"), "x"
        ),
        lambda: ops.set_review(
            incident.id,
            "alice",
            root_cause="x",
            contributing_factors="",
            resolution_steps="",
            review_at=None,
        ),
    ):
        with pytest.raises(CommandError, match="closed and read-only"):
            attempt()
    assert ops.store.incident(incident.id).entry_count == found.entry_count
    assert ops.store.active_incident_id() is None


def test_followup_done_and_undone(ops, clock, incident):
    run_line(ops, incident.id, "carol", "/fu alert on 429s @dan")
    (followup,) = ops.store.followups(incident.id)
    assert followup.due == "2026-11-30" and not followup.done
    clock.advance(hours=1)
    entry = ops.set_followup_done(incident.id, "dan", followup.id, True)
    assert entry.text == "✓ follow-up done: alert on 429s (@dan)"
    assert entry.ref == 4  # the /fu entry
    (followup,) = ops.store.followups(incident.id)
    assert (followup.done, followup.done_at, followup.done_by) == (
        True,
        "2026-11-23T23:00:00Z",
        "dan",
    )
    with pytest.raises(CommandError, match="already done"):
        ops.set_followup_done(incident.id, "dan", followup.id, True)
    ops.set_followup_done(incident.id, "dan", followup.id, False)
    (followup,) = ops.store.followups(incident.id)
    assert (followup.done, followup.done_at, followup.done_by) == (False, None, None)
    with pytest.raises(CommandError, match="no follow-up"):
        ops.set_followup_done(incident.id, "dan", followup.id + 99, True)


def test_history_counts_open_followups(ops, clock, incident):
    run_line(ops, incident.id, "carol", "/fu one @dan")
    run_line(ops, incident.id, "carol", "/fu two @dan")
    ops.set_followup_done(incident.id, "dan", ops.store.followups(incident.id)[0].id, True)
    other = ops.declare(severity=3, title="second", author="zoe")
    rows = ops.store.history()
    assert [(r.ref, r.open_followups, r.status) for r in rows] == [
        (other.ref, 0, "open"),
        (incident.ref, 1, "open"),
    ]


# -- search -------------------------------------------------------------------------


@pytest.fixture
def searchable(ops, clock, incident):
    lines = [
        ("carol", "restarted worker-3"),
        ("dan", "100% of syncs_failed"),
        ("carol", "/decision fail over to us-west-2"),
        ("Dan", "Restarted WORKER-4"),
        ("erin", "Ünïcode Straße"),
        ("carol", "back\\slash and 50_%"),
    ]
    for who, line in lines:
        clock.advance(seconds=30)
        run_line(ops, incident.id, who, line)
    run_line(ops, incident.id, "carol", "/star 6")
    return incident


def seqs_of(store, incident_id, texts):
    entries = {e.text: e.seq for e in store.iter_entries(incident_id)}
    return [entries[t] for t in texts]


def reference(store, incident_id, needle):
    """What a search for ``needle`` should find: Python's casefolded substring."""
    return [
        e.seq for e in store.iter_entries(incident_id) if needle.casefold() in e.text.casefold()
    ]


@pytest.mark.parametrize(
    "needle",
    ["restarted", "WORKER", "%", "_%", "s_f", "\\s", "0_", "ünïCODE", "STRAßE", "no such"],
)
def test_search_text_is_a_case_insensitive_literal_substring(store, searchable, needle):
    assert store.search(searchable.id, text=needle) == reference(store, searchable.id, needle)


def test_search_examples(store, searchable):
    assert store.search(searchable.id, text="restarted") == seqs_of(
        store, searchable.id, ["restarted worker-3", "Restarted WORKER-4"]
    )
    assert store.search(searchable.id, text="_%") == seqs_of(
        store, searchable.id, ["back\\slash and 50_%"]
    )
    assert store.search(searchable.id, text="straSSE") == []  # ASCII needle: ASCII folding
    assert store.search(searchable.id, text="STRAßE") == seqs_of(
        store, searchable.id, ["Ünïcode Straße"]
    )


def test_search_filters_combine(store, searchable):
    assert store.search(searchable.id, kind="decision") == seqs_of(
        store, searchable.id, ["fail over to us-west-2"]
    )
    assert store.search(searchable.id, author="dan") == seqs_of(
        store, searchable.id, ["100% of syncs_failed", "Restarted WORKER-4"]
    )
    assert store.search(searchable.id, author="dan", text="worker") == seqs_of(
        store, searchable.id, ["Restarted WORKER-4"]
    )
    assert store.search(searchable.id, starred=True) == [6]
    assert 6 not in store.search(searchable.id, starred=False)
    assert store.search(searchable.id, kind=("decision", "declared")) == [1, 6]
    everything = store.search(searchable.id)
    assert everything == list(range(1, store.incident(searchable.id).entry_count + 1))


# -- the document's text ------------------------------------------------------------


def test_md_inline_is_literal_and_safe():
    assert md_inline("[b]x[/b] <!here> *a* _b_ `c` ~~d~~ a|b &amp;") == (
        r"\[b\]x\[/b\] \<\!here\> \*a\* \_b\_ \`c\` \~\~d\~\~ a\|b \&amp;"
    )
    assert md_inline("red \x1b[31m\u202eevil\nnext") == "red ␛\\[31m<U+202E>evil ⏎ next"


def test_md_block_keeps_lines_and_paragraphs_literal():
    text = "# not a heading\n- not a list\n1. not a list\n    not code\n\n> not a quote\n"
    assert md_block(text) == (
        "\\# not a heading\\\n"
        "\\- not a list\\\n"
        "1\\. not a list\\\n"
        "\u00a0\u00a0\u00a0\u00a0not code\n"
        "\n"
        "\\> not a quote"
    )
    assert md_block("  \n") == "_Not written yet._"


TRICKY_TEXTS = [
    "plain",
    "[bold]x[/bold] <!channel> *a* _b_ \\ `c` ~~d~~ a|b &amp; !",
    "two\nlines\r\nand\rmore",
    "esc \x1b[2J bell \x07 nul \x00 del \x7f c1 \x85 end",
    "bidi \u202eevil\u202c \u2066iso\u2069 \u200fmark",
    "tab\there, nbsp\u00a0here, zwj 👩\u200d💻",
    "emoji 🔥 and עברית",
]


def test_review_timeline_escapes_like_md_inline(ops, clock, incident, playbook, monkeypatch):
    """The bulk escaping of the timeline equals md_inline on each entry."""
    import warroom.exports.review

    def not_expected(*args):
        raise AssertionError("no entry holds a row marker: the bulk path should do")

    monkeypatch.setattr(warroom.exports.review, "md_row", not_expected)
    for text in TRICKY_TEXTS:
        clock.advance(seconds=1)
        ops.note(incident.id, "carol", text)
    ops.note(incident.id, "carol", "struck [x]")
    ops.undo(incident.id, "carol")
    document = render_review(ops.store, ops.store.incident(incident.id), playbook, now=clock.now())
    for text in TRICKY_TEXTS:
        assert f"— carol: {md_inline(text)}\n" in document
    assert "— carol: ~~struck \\[x\\]~~ (struck)\n" in document
    for unsafe in "\x1b\x00\x07\x7f\x85\u202e\u2066\u200f":
        assert unsafe not in document


def test_row_markers_typed_into_entries_cannot_forge_lines(ops, clock, incident, playbook):
    """The characters the bulk path uses to mark rows, typed by a user, are shown
    as symbols, and the timeline is still one line per entry."""
    texts = [
        f"sep {ROW_SEP}- ★ #999 00:00:00 — mallory: forged",
        "unit sep \x1f- ★ #998 00:00:00 — mallory: forged",
        "open \x02 close \x03 struck?",
        *TRICKY_TEXTS,
    ]
    for text in texts:
        clock.advance(seconds=1)
        ops.note(incident.id, "carol", text)
    entry = ops.note(incident.id, "carol", "starred")
    ops.star(incident.id, "carol", entry.seq)
    document = render_review(ops.store, ops.store.incident(incident.id), playbook, now=clock.now())
    for text in texts:
        assert f"— carol: {md_inline(text)}\n" in document
    assert f"sep {ROW_SEP}- ★ #999" in document and "unit sep ␟- ★ #998" in document
    assert "\n- ★ #999" not in document and "\n- ★ #998" not in document
    key_events = document.split("## Key events\n\n")[1].split("\n\n")[0]
    assert key_events.endswith("— carol: starred") and key_events.count("\n") == 0


SAFE_TEXT = st.text(
    st.characters(
        blacklist_characters=ROW_SEP + STRUCK_OPEN + STRUCK_CLOSE, blacklist_categories=("Cs",)
    ),
    max_size=30,
)


@given(
    st.lists(st.tuples(st.sampled_from(["- #1 ", "- ★ #2 x (note): "]), SAFE_TEXT, st.booleans()))
)
def test_bulk_escaping_equals_row_by_row(rows):
    joined = ROW_SEP.join(
        head + (f"{STRUCK_OPEN}{text}{STRUCK_CLOSE}" if struck else text)
        for head, text, struck in rows
    )
    expected = "\n".join(md_row(head, text, struck=struck) for head, text, struck in rows)
    result = md_rows(joined.encode(), rows=len(rows), struck=sum(s for _, _, s in rows))
    assert result == expected


@given(SAFE_TEXT, st.sampled_from(ROW_SEP + STRUCK_OPEN + STRUCK_CLOSE), SAFE_TEXT)
def test_bulk_escaping_declines_text_holding_a_row_marker(before, marker, after):
    joined = f"- #1 {before}{marker}{after}".encode()
    assert md_rows(joined, rows=1, struck=0) is None


def render(ops, incident_id, clock):
    return render_review(ops.store, ops.store.incident(incident_id), ops.playbook, now=clock.now())


def test_review_of_a_one_day_incident_shows_times_and_dates_only_off_that_day(ops, clock, incident):
    clock.advance(minutes=5)
    ops.note(incident.id, "carol", "same day")
    ops.resolve(incident.id, "alice")
    clock.advance(days=1)
    ops.set_review(
        incident.id,
        "alice",
        root_cause="x",
        contributing_factors="",
        resolution_steps="",
        review_at=None,
    )
    document = render(ops, incident.id, clock)
    assert "All times are UTC, on 2026-11-23 unless a date is given." in document
    assert "- #4 22:05:00 — carol: same day" in document
    assert "- **Resolved:** 22:05:00" in document
    assert "- #6 2026-11-24T22:05:00Z — alice (review): review saved: root cause" in document


def test_review_of_an_incident_across_midnight_dates_every_time(ops, clock, incident):
    clock.advance(minutes=5)
    ops.note(incident.id, "carol", "same day")
    clock.advance(hours=2)
    ops.note(incident.id, "carol", "after midnight")
    document = render(ops, incident.id, clock)  # still open: it runs to now
    assert "All times are UTC.\n" in document
    assert "- #4 2026-11-23T22:05:00Z — carol: same day" in document
    assert "- #5 2026-11-24T00:05:00Z — carol: after midnight" in document


def test_a_backdated_note_before_midnight_dates_every_time(ops, clock):
    clock.set("2026-11-24T00:10:00Z")
    inc = ops.declare(severity=2, title="t", author="alice")
    run_line(ops, inc.id, "carol", "/at 23:55 first alert")
    ops.resolve(inc.id, "alice")
    document = render(ops, inc.id, clock)
    assert "- #3 2026-11-23T23:55:00Z (logged 2026-11-24T00:10:00Z) — carol: first alert" in (
        document
    )


def test_review_date_proposal_skips_weekend_and_holidays(ops, clock, incident, playbook):
    holiday_playbook = playbook.replace(holidays=["2026-11-30"])
    clock.set("2026-11-27T16:00:00Z")  # a Friday
    ops.resolve(incident.id, "alice")
    found = ops.store.incident(incident.id)
    document = render_review(ops.store, found, holiday_playbook, now=clock.now() + timedelta(1))
    # Friday + 2 business days, Monday a holiday: Wednesday.
    assert "- **Review meeting:** 2026-12-02 (proposed); invitees: engineering" in document


def test_frozen_clock_helper_is_utc():
    assert FrozenClock("2026-11-23T22:00:00Z").now().tzinfo is not None


def test_the_built_in_playbook_passes_the_same_validation_as_a_teams_own():
    """default_playbook() skips pydantic for start-up speed; prove it loses nothing."""
    from warroom.playbook import default_playbook, default_playbook_text, load_playbook_text

    assert load_playbook_text(default_playbook_text(), "built-in") == default_playbook()


# -- when each update was delivered (issue 8, item 7) --------------------------------


def test_the_review_says_when_each_update_was_delivered(tmp_path, clock, playbook):
    """Recorded is not delivered: an update queued for Slack shows when Slack took
    it, or that it never did. Updates only recorded (no Slack) add nothing, so the
    review of an incident without Slack reads as before (tests/golden/review.md)."""
    from fake_slack import FakeSlack, bot_config, error, ok, slow
    from warroom.comms.delivery import deliver_pending
    from warroom.db.store import Store
    from warroom.service import Service

    store = Store(tmp_path / "w.db")
    with FakeSlack(now=clock.now) as slack:
        config = bot_config(slack)
        ops = Service(store, clock, playbook, comms=config)
        incident = ops.declare(severity=2, title="t", author="alice")
        clock.advance(minutes=5)
        ops.record_update(incident.id, "bob", "first")  # 22:05:00
        send = {"clock": clock, "deadline_seconds": 5, "min_interval": 0.0, "timeout": 0.3}
        clock.advance(seconds=7)
        deliver_pending(store, config, sleep=lambda s: clock.advance(seconds=s), **send)
        clock.advance(minutes=5)
        ops.record_update(incident.id, "bob", "second")  # 22:10:07
        slack.script(error("channel_not_found"), error("channel_not_found"))
        deliver_pending(store, config, sleep=lambda s: clock.advance(seconds=s), **send)
        clock.advance(minutes=5)
        ops.record_update(incident.id, "bob", "third")  # 22:15:07
        slack.script(ok(), slow(1.0))  # the root's edit, then the update: no answer
        slack.script_reads(error("missing_scope"))  # and no way to look for it
        deliver_pending(store, config, sleep=lambda s: clock.advance(seconds=s), **send)
        clock.advance(minutes=5)
        ops.record_update(incident.id, "bob", "fourth")  # 22:20:07, never sent
        ops.record_update(incident.id, "bob", "client", audience="client", subject="s")
    document = render_review(store, store.incident(incident.id), playbook, now=clock.now())
    lines = [line for line in document.splitlines() if "update recorded at" in line]
    assert lines == [
        "  - internal update recorded at 22:05:00: delivered by Slack at 22:05:07",
        "  - internal update recorded at 22:10:07: not delivered by Slack (failed)",
        "  - internal update recorded at 22:15:07: sent by Slack, no answer: may not have arrived",
        "  - internal update recorded at 22:20:07: queued for Slack, not delivered yet",
    ]
    store.close()
