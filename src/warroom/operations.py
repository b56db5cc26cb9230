"""Every change to an incident, as one transaction that also writes its timeline entry.

The console, the command line and the tests all call these, so the timeline is
a complete audit trail whichever way a change came in. Each operation checks
its input first and raises :class:`CommandError` before anything is written.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from warroom.clock import Clock, format_time, parse_time
from warroom.errors import CommandError, WarroomError
from warroom.models import ROLE_KEYS, USER_KINDS, Entry, Incident
from warroom.playbook import Playbook
from warroom.store import ENTRY_COLUMNS, Store, _entry

if TYPE_CHECKING:
    from warroom.comms.config import CommsConfig

#: Entries that change what the Slack root message shows (severity, status, stage,
#: commander, next update, bridge link, title, impact): each queues an edit of
#: it, rendered when sent.
ROOT_EDIT_KINDS = frozenset(
    {
        "severity",
        "update",
        "resolve",
        "reopen",
        "stage",
        "role",
        "close",
        "bridge",
        "title",
        "impact",
    }
)

MAX_NAME = 64
MAX_TITLE = 200
#: An impact statement is a sentence or two: it heads Slack's root message and
#: every stakeholder update.
MAX_IMPACT = 500
#: The "Current mitigation" line of Slack's root message, sent with an update.
MAX_MITIGATION = 500
ROLE_LABELS = {
    "incident_commander": "Incident Commander",
    "communications_lead": "Communications Lead",
    "scribe": "Scribe",
}


def check_name(name: str) -> str:
    """A person's name as given, or a clear error. Names are single-line and short."""
    cleaned = name.strip()
    if not cleaned:
        raise CommandError("a name is needed")
    if len(cleaned) > MAX_NAME:
        raise CommandError(f"a name is at most {MAX_NAME} characters")
    if any((ch.isspace() and ch != " ") or ord(ch) < 32 or ord(ch) == 127 for ch in cleaned):
        raise CommandError("a name cannot contain tabs, newlines or control characters")
    return cleaned


def check_title(title: str) -> str:
    cleaned = title.strip()
    if not cleaned:
        raise CommandError("a title is needed")
    if len(cleaned) > MAX_TITLE:
        raise CommandError(f"a title is at most {MAX_TITLE} characters")
    if "\n" in cleaned or "\r" in cleaned:
        raise CommandError("a title is one line")
    return cleaned


def check_impact(impact: str) -> str:
    """An impact statement as given (outer spaces trimmed), or a clear error."""
    cleaned = impact.strip()
    if "\n" in cleaned or "\r" in cleaned:
        raise CommandError("impact is one line")
    if len(cleaned) > MAX_IMPACT:
        raise CommandError(f"impact is at most {MAX_IMPACT} characters")
    return cleaned


def check_mitigation(mitigation: str) -> str:
    """The "Current mitigation" line as given (outer spaces trimmed), or a clear error."""
    cleaned = mitigation.strip()
    if "\n" in cleaned or "\r" in cleaned:
        raise CommandError("the current mitigation is one line")
    if len(cleaned) > MAX_MITIGATION:
        raise CommandError(f"the current mitigation is at most {MAX_MITIGATION} characters")
    return cleaned


def check_declaration(
    playbook: Playbook, *, severity: int, title: str, impact: str, commander: str | None
) -> tuple[str, str | None]:
    """Check a declaration before anything (even a new database file) is written.

    Returns the cleaned title and commander.
    """
    try:
        playbook.severity(severity)
    except WarroomError:
        raise CommandError(
            f"no severity {severity}: choose one of {playbook.levels_text()}"
        ) from None
    title = check_title(title)
    commander = check_name(commander) if commander else None
    check_impact(impact)
    return title, commander


#: The milestones a person may correct, and the incidents column that holds each.
MILESTONE_COLUMNS = {
    "impact_started": "impact_started_at",
    "detected": "detected_at",
    "mitigated": "mitigated_at",
    "resolved": "resolved_at",
}
MILESTONE_LABELS = {
    "impact_started": "impact started",
    "detected": "detected",
    "mitigated": "mitigated",
    "resolved": "resolved",
}
#: Review text fields: long, several lines, stored exactly as typed.
MAX_REVIEW_TEXT = 100_000


def _check_milestone_order(times: dict[str, str | None]) -> None:
    """Refuse an order that would make a review figure negative."""
    for earlier, later in (
        ("impact_started", "detected"),
        ("impact_started", "mitigated"),
        ("impact_started", "resolved"),
        ("mitigated", "resolved"),
    ):
        a, b = times[earlier], times[later]
        if a is not None and b is not None and parse_time(a) > parse_time(b):
            raise CommandError(
                f"{MILESTONE_LABELS[earlier]} ({a}) cannot be after {MILESTONE_LABELS[later]} ({b})"
            )


def mitigated_stage_index(playbook: Playbook) -> int | None:
    """Index of the first stage that means "mitigation is in place".

    That is the stage after ``mitigate`` (``restore`` in the default playbook):
    while in ``mitigate`` the team is still working on it; moving on says it
    holds. A playbook without a ``mitigate`` stage (or ending with it) gets no
    automatic stamp; resolving the incident stamps it instead.
    """
    stages = playbook.stages
    if "mitigate" not in stages:
        return None
    after = stages.index("mitigate") + 1
    return after if after < len(stages) else None


def stage_after_resolve(playbook: Playbook, current: str) -> str:
    """The stage ``/resolve`` moves an incident in ``current`` to.

    Impact is over, so the work left is what follows restoring service: the
    stage after ``restore`` (``review`` in the default playbook). A playbook
    without a stage after ``restore`` moves to its last stage. Never
    backwards: an incident already there or past it stays where it is.
    """
    stages = playbook.stages
    target = stages.index("restore") + 1 if "restore" in stages else len(stages) - 1
    target = min(target, len(stages) - 1)
    if current in stages and stages.index(current) >= target:
        return current
    return stages[target]


class Operations:
    """The incident operations, bound to one store, clock and playbook."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        playbook: Playbook,
        comms: CommsConfig | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.playbook = playbook
        #: Slack / SMTP settings: with them, messages are queued in the outbox in
        #: the same transaction as the entry that caused them.
        self.comms = comms
        #: Slack messages queued by this object (committed or not): the command
        #: line says so when it has no settings to send them itself.
        self.queued_for_slack = 0

    # -- outgoing messages (comms/outbox.py delivers them) -------------------

    def slack_mode(self, tx: sqlite3.Connection) -> str | None:
        """How this database posts to Slack ("bot", "webhook"), or None: never.

        With Slack settings, this process's mode, remembered in the database
        (``settings.slack_mode``, no secret) the first time it queues. Without
        them, what the database remembers: once a database has been used with
        Slack, every change that announces is queued whoever makes it, and any
        console that has the settings delivers it. Whether a change is
        announced never depends on which console or command made it.
        """
        mode = self.comms.slack_mode if self.comms is not None else None
        if mode is not None:
            tx.execute(
                "INSERT INTO settings (key, value) VALUES ('slack_mode', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                " WHERE value != excluded.value",
                (mode,),
            )
            return mode
        row = tx.execute("SELECT value FROM settings WHERE key = 'slack_mode'").fetchone()
        return row[0] if row else None

    def _queue_slack(
        self, tx: sqlite3.Connection, incident_id: int, entry_id: int | None, kind: str, text: str
    ) -> int | None:
        """Queue a Slack message inside ``tx`` (nothing if the database never used Slack)."""
        if self.slack_mode(tx) is None:
            return None
        from warroom.comms.outbox import enqueue

        self.queued_for_slack += 1
        return enqueue(tx, incident_id, entry_id, "slack", kind, text, created_at=self.clock.now())

    def _queue_root_edit(self, tx: sqlite3.Connection, incident_id: int) -> None:
        """Queue an edit of the Slack root message (bot token only: webhooks cannot edit)."""
        if self.slack_mode(tx) == "bot":
            from warroom.comms.outbox import enqueue

            enqueue(tx, incident_id, None, "slack", "root", "", created_at=self.clock.now())

    def _write_client_email(
        self, tx: sqlite3.Connection, incident_id: int, entry: Entry, subject: str, body: str
    ) -> tuple[Path, int | None]:
        """Write the .eml file and, with SMTP configured, queue it; (file, outbox id)."""
        from warroom.comms.email import build_email, eml_path, write_eml
        from warroom.comms.outbox import enqueue

        smtp = self.comms.smtp if self.comms is not None else None
        message = build_email(
            subject=subject,
            body=body,
            date=self.clock.now(),
            incident_id=incident_id,
            entry_id=entry.id,
            sender=smtp.from_ if smtp else None,
            recipients=smtp.to if smtp else (),
        )
        outbox_id = None
        if self.comms is not None and self.comms.email_enabled:
            outbox_id = enqueue(
                tx,
                incident_id,
                entry.id,
                "email",
                "update",
                body,
                str(message["Subject"]),
                created_at=self.clock.now(),
            )
        path = write_eml(eml_path(self.store.path, incident_id, entry.seq), message)
        return path, outbox_id

    # -- helpers ----------------------------------------------------------

    def _now(self) -> str:
        return format_time(self.clock.now())

    def _cadence(self, severity: int) -> timedelta:
        return timedelta(minutes=self.playbook.severity_of(severity).update_every_minutes)

    def _incident(self, incident_id: int) -> Incident:
        incident = self.store.incident(incident_id)
        if incident is None:
            raise CommandError(f"no such incident: INC-{incident_id}")
        return incident

    def _append(
        self,
        tx: sqlite3.Connection,
        incident_id: int,
        author: str,
        kind: str,
        text: str,
        *,
        ref: int | None = None,
        occurred_at: str | None = None,
        at: str | None = None,
    ) -> Entry:
        (seq,) = tx.execute(
            "UPDATE incidents SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq",
            (incident_id,),
        ).fetchone()
        row = tx.execute(
            "INSERT INTO entries (incident_id, seq, at, occurred_at, author, kind, text, ref)"
            f" VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {ENTRY_COLUMNS}",
            (incident_id, seq, at or self._now(), occurred_at, author, kind, text, ref),
        ).fetchone()
        if kind in ROOT_EDIT_KINDS:
            self._queue_root_edit(tx, incident_id)
        return _entry(row)

    def _autotick(
        self, tx: sqlite3.Connection, incident_id: int, action: str, author: str
    ) -> list[Entry]:
        """Tick the checklist items that this action completes, each with an entry."""
        rows = tx.execute(
            "SELECT position, label FROM checklist WHERE incident_id = ?"
            " AND done_by_action = ? AND done = 0 ORDER BY position",
            (incident_id, action),
        ).fetchall()
        entries = []
        for position, label in rows:
            tx.execute(
                "UPDATE checklist SET done = 1, done_at = ?, done_by = ?"
                " WHERE incident_id = ? AND position = ?",
                (self._now(), author, incident_id, position),
            )
            entries.append(self._append(tx, incident_id, author, "check", f"✓ {position}. {label}"))
        return entries

    def _roles_filled(self, tx: sqlite3.Connection, incident_id: int) -> bool:
        row = tx.execute(
            "SELECT incident_commander IS NOT NULL AND communications_lead IS NOT NULL"
            " AND scribe IS NOT NULL AND EXISTS"
            " (SELECT 1 FROM engineers WHERE incident_id = incidents.id)"
            " FROM incidents WHERE id = ?",
            (incident_id,),
        ).fetchone()
        return bool(row and row[0])

    # -- operations -------------------------------------------------------

    def declare(
        self,
        *,
        severity: int,
        title: str,
        author: str,
        impact: str = "",
        commander: str | None = None,
    ) -> Incident:
        title, commander = check_declaration(
            self.playbook, severity=severity, title=title, impact=impact, commander=commander
        )
        sev = self.playbook.severity(severity)
        now = self.clock.now()
        with self.store.write() as tx:
            (incident_id,) = tx.execute(
                "INSERT INTO incidents (title, severity, status, stage, impact,"
                " declared_at, frozen, incident_commander, next_update_due, last_seq,"
                " impact_started_at, detected_at)"
                " VALUES (?, ?, 'open', ?, ?, ?, 0, ?, ?, 0, ?, ?) RETURNING id",
                (
                    title,
                    severity,
                    self.playbook.stages[0],
                    impact,
                    format_time(now),
                    commander,
                    format_time(now + self._cadence(severity)),
                    format_time(now),  # impact started: the declaration, until corrected
                    format_time(now),  # detected
                ),
            ).fetchone()
            tx.executemany(
                "INSERT INTO checklist (incident_id, position, label, section,"
                " done_by_action) VALUES (?, ?, ?, ?, ?)",
                [
                    (incident_id, n, item.label, item.section, item.done_by)
                    for n, item in enumerate(self.playbook.checklist, start=1)
                ],
            )
            summary = f"declared {sev.name}: {title}"
            if impact:
                summary += f" — impact: {impact}"
            declared = self._append(tx, incident_id, author, "declared", summary)
            if commander:
                self._append(tx, incident_id, author, "role", f"Incident Commander: {commander}")
            self._autotick(tx, incident_id, "declare", author)
            if self.slack_mode(tx) is not None:
                from warroom.comms.templates import render_internal

                text = render_internal(self._incident(incident_id), self.playbook, now, None)
                # The declaration is the root message: queued edits would only repeat it.
                self._queue_slack(tx, incident_id, declared.id, "declare", text.strip("\n"))
        return self._incident(incident_id)

    def _check_severity(self, severity: int):
        try:
            return self.playbook.severity(severity)
        except Exception:
            raise CommandError(
                f"no severity {severity}: choose one of {self.playbook.levels_text()}"
            ) from None

    @contextmanager
    def _changing(self, incident_id: int) -> Iterator[tuple[sqlite3.Connection, Incident]]:
        """A write transaction and the incident as it is inside it.

        Checks run on this locked view, so two consoles ticking the same item at
        the same moment cannot both succeed: the second sees it already ticked.
        """
        with self.store.write() as tx:
            yield tx, self._open_incident(incident_id)

    def _open_incident(self, incident_id: int) -> Incident:
        incident = self._incident(incident_id)
        if incident.status == "closed":
            raise CommandError(f"{incident.ref} is closed and read-only")
        return incident

    def note(
        self,
        incident_id: int,
        author: str,
        text: str,
        *,
        kind: str = "note",
        occurred_at: datetime | None = None,
    ) -> Entry:
        """A person's entry, stored exactly as typed."""
        if kind not in USER_KINDS:
            raise CommandError(f"unknown kind {kind!r}: choose one of {', '.join(USER_KINDS)}")
        if not text.strip():
            raise CommandError("an entry needs some text")
        with self._changing(incident_id) as (tx, _incident):
            return self._append(
                tx,
                incident_id,
                author,
                kind,
                text,
                occurred_at=format_time(occurred_at) if occurred_at else None,
            )

    def notes(
        self, incident_id: int, author: str, texts: Sequence[str], *, kind: str = "note"
    ) -> range:
        """Several entries in one transaction: the lines already waiting in a pipe.

        All are written or none; the returned entry numbers are durable when
        this returns, for the cost of one commit. Each text is checked as
        :meth:`note` checks it, before anything is written.
        """
        if kind not in USER_KINDS:
            raise CommandError(f"unknown kind {kind!r}: choose one of {', '.join(USER_KINDS)}")
        if any(not text.strip() for text in texts):
            raise CommandError("an entry needs some text")
        if not texts:
            return range(0)
        with self._changing(incident_id) as (tx, _incident):
            (last,) = tx.execute(
                "UPDATE incidents SET last_seq = last_seq + ? WHERE id = ? RETURNING last_seq",
                (len(texts), incident_id),
            ).fetchone()
            first = last - len(texts) + 1
            now = self._now()
            tx.executemany(
                "INSERT INTO entries (incident_id, seq, at, author, kind, text)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    (incident_id, seq, now, author, kind, text)
                    for seq, text in enumerate(texts, start=first)
                ),
            )
            return range(first, last + 1)

    def set_severity(self, incident_id: int, author: str, severity: int) -> Entry:
        new = self._check_severity(severity)
        with self._changing(incident_id) as (tx, incident):
            if incident.severity == severity:
                raise CommandError(f"{incident.ref} is already {new.name}")
            old = self.playbook.severity_of(incident.severity)
            due = incident.next_update_due
            if due is not None:
                sooner = self.clock.now() + self._cadence(severity)
                due = format_time(min(parse_time(due), sooner))
            tx.execute(
                "UPDATE incidents SET severity = ?, next_update_due = ? WHERE id = ?",
                (severity, due, incident_id),
            )
            verb = "raised" if severity < incident.severity else "lowered"
            entry = self._append(
                tx,
                incident_id,
                author,
                "severity",
                f"severity {verb}: {old.name} → {new.name}"
                f" (updates every {new.update_every_minutes} min)",
            )
            self._queue_slack(tx, incident_id, entry.id, "severity", entry.text)
            return entry

    def set_role(self, incident_id: int, author: str, role: str, name: str) -> list[Entry]:
        if role not in ROLE_KEYS:
            raise CommandError(f"unknown role {role!r}")
        name = check_name(name)
        with self._changing(incident_id) as (tx, incident):
            previous = getattr(incident.roles, role)
            label = ROLE_LABELS[role]
            if previous == name:
                raise CommandError(f"{name} is already {label}")
            text = f"{label}: {previous} → {name} (handover)" if previous else f"{label}: {name}"
            tx.execute(f"UPDATE incidents SET {role} = ? WHERE id = ?", (name, incident_id))
            entries = [self._append(tx, incident_id, author, "role", text)]
            if self._roles_filled(tx, incident_id):
                entries += self._autotick(tx, incident_id, "roles", author)
            return entries

    def add_engineer(self, incident_id: int, author: str, name: str) -> list[Entry]:
        name = check_name(name)
        with self._changing(incident_id) as (tx, incident):
            if name in incident.roles.response_engineers:
                raise CommandError(f"{name} is already a response engineer")
            tx.execute(
                "INSERT INTO engineers (incident_id, name) VALUES (?, ?)",
                (incident_id, name),
            )
            entries = [self._append(tx, incident_id, author, "role", f"Response Engineer: +{name}")]
            if self._roles_filled(tx, incident_id):
                entries += self._autotick(tx, incident_id, "roles", author)
            return entries

    def remove_engineer(self, incident_id: int, author: str, name: str) -> Entry:
        name = check_name(name)
        with self._changing(incident_id) as (tx, incident):
            if name not in incident.roles.response_engineers:
                raise CommandError(f"{name} is not a response engineer")
            tx.execute(
                "DELETE FROM engineers WHERE incident_id = ? AND name = ?",
                (incident_id, name),
            )
            return self._append(tx, incident_id, author, "role", f"Response Engineer: −{name}")

    def set_stage(self, incident_id: int, author: str, stage: str) -> Entry:
        stage = stage.strip().lower()
        if stage not in self.playbook.stages:
            raise CommandError(
                f"no stage {stage!r}: choose one of {', '.join(self.playbook.stages)}"
            )
        with self._changing(incident_id) as (tx, incident):
            if incident.stage == stage:
                raise CommandError(f"{incident.ref} is already in {stage}")
            tx.execute("UPDATE incidents SET stage = ? WHERE id = ?", (stage, incident_id))
            text = f"stage: {incident.stage} → {stage}"
            # Reaching the stage after "mitigate" (restore, by default) means the
            # mitigation is in place: that is the "mitigated" milestone. Only the
            # first time: a later correction goes through correct_milestone.
            after = mitigated_stage_index(self.playbook)
            if (
                after is not None
                and self.playbook.stages.index(stage) >= after
                and incident.milestones.mitigated_at is None
            ):
                tx.execute(
                    "UPDATE incidents SET mitigated_at = ? WHERE id = ?",
                    (self._now(), incident_id),
                )
                text += " (mitigated: milestone stamped)"
            return self._append(tx, incident_id, author, "stage", text)

    def set_check(self, incident_id: int, author: str, position: int, done: bool) -> Entry:
        with self._changing(incident_id) as (tx, incident):
            items = {item.position: item for item in incident.checklist}
            item = items.get(position)
            if item is None:
                raise CommandError(f"no checklist item {position}: items are 1 to {len(items)}")
            if item.done == done:
                state = "already ticked" if done else "not ticked"
                raise CommandError(f"item {position} is {state}")
            tx.execute(
                "UPDATE checklist SET done = ?, done_at = ?, done_by = ?"
                " WHERE incident_id = ? AND position = ?",
                (
                    int(done),
                    self._now() if done else None,
                    author if done else None,
                    incident_id,
                    position,
                ),
            )
            mark = "✓" if done else "✗ unticked"
            return self._append(
                tx, incident_id, author, "check", f"{mark} {position}. {item.label}"
            )

    def set_frozen(self, incident_id: int, author: str, frozen: bool) -> list[Entry]:
        with self._changing(incident_id) as (tx, incident):
            if incident.frozen == frozen:
                raise CommandError(
                    "deployments are already " + ("frozen" if frozen else "unfrozen")
                )
            tx.execute(
                "UPDATE incidents SET frozen = ? WHERE id = ?",
                (int(frozen), incident_id),
            )
            text = "change freeze ON: deployments halted" if frozen else "change freeze OFF"
            entries = [self._append(tx, incident_id, author, "freeze", text)]
            if frozen:
                entries += self._autotick(tx, incident_id, "freeze", author)
            return entries

    def set_bridge(self, incident_id: int, author: str, url: str) -> list[Entry]:
        url = url.strip()
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or " " in url:
            raise CommandError("the bridge needs a link such as https://zoom.us/j/123")
        with self._changing(incident_id) as (tx, _incident):
            tx.execute("UPDATE incidents SET bridge = ? WHERE id = ?", (url, incident_id))
            entries = [self._append(tx, incident_id, author, "bridge", f"bridge: {url}")]
            entries += self._autotick(tx, incident_id, "bridge", author)
            return entries

    def set_title(self, incident_id: int, author: str, title: str) -> Entry:
        """Correct the title (a typo goes everywhere the title does): logged old → new.

        Slack's root message follows (a ``title`` entry queues its edit); the
        bridge view, updates composed from now on and the review read the new one.
        """
        title = check_title(title)
        with self._changing(incident_id) as (tx, incident):
            if incident.title == title:
                raise CommandError("the title is already that")
            tx.execute("UPDATE incidents SET title = ? WHERE id = ?", (title, incident_id))
            return self._append(
                tx, incident_id, author, "title", f"title: {incident.title} → {title}"
            )

    def set_impact(self, incident_id: int, author: str, impact: str) -> Entry:
        """Correct the impact statement, logged old → new; Slack's root message follows."""
        impact = check_impact(impact)
        if not impact:
            raise CommandError("an impact statement is needed: /impact TEXT")
        with self._changing(incident_id) as (tx, incident):
            if incident.impact == impact:
                raise CommandError("the impact is already that")
            tx.execute("UPDATE incidents SET impact = ? WHERE id = ?", (impact, incident_id))
            old = incident.impact or "(not recorded)"
            return self._append(tx, incident_id, author, "impact", f"impact: {old} → {impact}")

    def record_update(
        self,
        incident_id: int,
        author: str,
        text: str,
        *,
        audience: str = "internal",
        subject: str | None = None,
        mitigation: str | None = None,
    ) -> list[Entry]:
        """A stakeholder update went out (or was recorded): reset the deadline.

        Internal updates are queued for Slack when it is configured. A client
        update is written as an ``.eml`` file beside the database and, with SMTP
        configured, queued for email; ``subject`` defaults to the playbook's.
        Either way the queued message commits with the entry, or neither does.

        ``mitigation`` (internal updates): the "Current mitigation" line the
        comms lead sent with it, as shown in the composer. Slack's root message
        shows the latest one; None leaves the line as the last update set it.
        """
        if not text.strip():
            raise CommandError("an update needs some text")
        if audience not in ("internal", "client"):
            raise CommandError(f"unknown audience {audience!r}: internal or client")
        if audience == "client" and subject is not None and not subject.strip():
            raise CommandError("a client email needs a subject")
        if mitigation is not None:
            if audience != "internal":
                raise CommandError("the current mitigation goes with an internal update")
            mitigation = check_mitigation(mitigation)
        written: Path | None = None
        try:
            with self._changing(incident_id) as (tx, incident):
                now = self.clock.now()
                due = format_time(now + self._cadence(incident.severity))
                entry = self._append(
                    tx, incident_id, author, "update", f"update ({audience}): {text}"
                )
                outbox_id = None
                if audience == "internal":
                    outbox_id = self._queue_slack(tx, incident_id, entry.id, "update", text)
                else:
                    if subject is None:
                        from warroom.comms.templates import render_email

                        subject, _body = render_email(incident, self.playbook, now, None)
                    written, outbox_id = self._write_client_email(
                        tx, incident_id, entry, subject, text
                    )
                tx.execute(
                    "INSERT INTO updates (incident_id, at, audience, text, delivery, entry_id,"
                    " subject, outbox_id, mitigation) VALUES (?, ?, ?, ?, 'recorded', ?, ?, ?, ?)",
                    (
                        incident_id,
                        format_time(now),
                        audience,
                        text,
                        entry.id,
                        subject if audience == "client" else None,
                        outbox_id,
                        mitigation,
                    ),
                )
                tx.execute(
                    "UPDATE incidents SET next_update_due = ? WHERE id = ?",
                    (due, incident_id),
                )
                return [entry, *self._autotick(tx, incident_id, "update", author)]
        except BaseException:
            # The transaction did not commit: the .eml must not claim otherwise.
            if written is not None:
                written.unlink(missing_ok=True)
            raise

    def undo(self, incident_id: int, author: str) -> Entry:
        """Strike the author's last entry. It stays in the record, struck through."""
        with self._changing(incident_id) as (tx, _incident):
            row = tx.execute(
                "SELECT seq FROM entries WHERE incident_id = ? AND author = ?"
                f" AND struck = 0 AND kind IN ({','.join('?' * len(USER_KINDS))})"
                " ORDER BY seq DESC LIMIT 1",
                (incident_id, author, *USER_KINDS),
            ).fetchone()
            if row is None:
                raise CommandError(f"{author} has no entry to strike")
            (seq,) = row
            tx.execute(
                "UPDATE entries SET struck = 1 WHERE incident_id = ? AND seq = ?",
                (incident_id, seq),
            )
            return self._append(tx, incident_id, author, "undo", f"struck #{seq}", ref=seq)

    def star(self, incident_id: int, author: str, seq: int) -> Entry:
        """Mark entry ``seq`` as a key event for the review."""
        with self._changing(incident_id) as (tx, incident):
            if not 1 <= seq <= incident.entry_count:
                raise CommandError(f"no entry #{seq}: entries are 1 to {incident.entry_count}")
            target = self.store.entry(incident_id, seq)
            if target is not None and target.starred:
                raise CommandError(f"entry #{seq} is already starred")
            tx.execute(
                "UPDATE entries SET starred = 1 WHERE incident_id = ? AND seq = ?",
                (incident_id, seq),
            )
            return self._append(tx, incident_id, author, "star", f"★ key event #{seq}", ref=seq)

    def snooze(self, incident_id: int, author: str, minutes: int, reason: str) -> Entry:
        """Push the update deadline back, on the record with the reason."""
        if not 1 <= minutes <= 24 * 60:
            raise CommandError("snooze between 1 and 1440 minutes")
        if not reason.strip():
            raise CommandError("a snooze needs a reason: /snooze MINUTES REASON")
        with self._changing(incident_id) as (tx, incident):
            if incident.next_update_due is None:
                raise CommandError(f"{incident.ref} has no update deadline (it is resolved)")
            base = max(parse_time(incident.next_update_due), self.clock.now())
            due = base + timedelta(minutes=minutes)
            tx.execute(
                "UPDATE incidents SET next_update_due = ? WHERE id = ?",
                (format_time(due), incident_id),
            )
            return self._append(
                tx,
                incident_id,
                author,
                "snooze",
                f"update deadline pushed {minutes} min to {format_time(due)[11:16]}Z: {reason}",
            )

    def add_followup(self, incident_id: int, author: str, text: str, owner: str, due: str) -> Entry:
        owner = check_name(owner)
        with self._changing(incident_id) as (tx, _incident):
            entry = self._append(
                tx,
                incident_id,
                author,
                "followup",
                f"follow-up: {text} (@{owner}, due {due})",
            )
            tx.execute(
                "INSERT INTO followups (incident_id, text, owner, due, entry_id)"
                " VALUES (?, ?, ?, ?, ?)",
                (incident_id, text, owner, due, entry.id),
            )
            return entry

    def set_followup_done(
        self, incident_id: int, author: str, followup_id: int, done: bool
    ) -> Entry:
        """Tick (or untick) follow-up ``followup_id`` (``FollowUp.id``), on the record."""
        with self._changing(incident_id) as (tx, _incident):
            row = tx.execute(
                "SELECT f.text, f.owner, f.done, e.seq FROM followups f"
                " LEFT JOIN entries e ON e.id = f.entry_id"
                " WHERE f.id = ? AND f.incident_id = ?",
                (followup_id, incident_id),
            ).fetchone()
            if row is None:
                raise CommandError(f"no follow-up {followup_id} in INC-{incident_id}")
            text, owner, was_done, seq = row
            if bool(was_done) == done:
                raise CommandError("that follow-up is " + ("already done" if done else "not done"))
            tx.execute(
                "UPDATE followups SET done = ?, done_at = ?, done_by = ? WHERE id = ?",
                (int(done), self._now() if done else None, author if done else None, followup_id),
            )
            mark = "✓ follow-up done" if done else "✗ follow-up not done after all"
            return self._append(
                tx, incident_id, author, "followup", f"{mark}: {text} (@{owner})", ref=seq
            )

    def correct_milestone(
        self, incident_id: int, author: str, which: str, when: datetime, reason: str
    ) -> Entry:
        """Correct a milestone (``impact_started``, ``detected``, ``mitigated``, ``resolved``).

        The figures in the review are computed from these, so a correction is
        logged with the old and new time and the reason. Times in the future, an
        empty reason, and an order that would make a duration negative (impact
        started ≤ detected, mitigated ≤ resolved) are refused. A naive ``when``
        is taken as UTC.
        """
        column = MILESTONE_COLUMNS.get(which)
        if column is None:
            raise CommandError(
                f"no milestone {which!r}: choose one of {', '.join(MILESTONE_COLUMNS)}"
            )
        if not reason.strip():
            raise CommandError("a correction needs a reason")
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if when > self.clock.now():
            raise CommandError("a milestone cannot be in the future")
        if when < self.clock.now() - timedelta(days=366):
            # Also keeps year 1 out: durations and time zones overflow there.
            raise CommandError("a milestone more than a year ago: check the date")
        new = format_time(when)
        with self._changing(incident_id) as (tx, incident):
            current = {
                "impact_started": incident.milestones.impact_started_at,
                "detected": incident.milestones.detected_at,
                "mitigated": incident.milestones.mitigated_at,
                "resolved": incident.resolved_at,
            }
            if which == "resolved" and incident.resolved_at is None:
                raise CommandError(f"{incident.ref} is not resolved: /resolve stamps it")
            old = current[which]
            if old == new:
                raise CommandError(f"{MILESTONE_LABELS[which]} is already {new}")
            current[which] = new
            _check_milestone_order(current)
            tx.execute(f"UPDATE incidents SET {column} = ? WHERE id = ?", (new, incident_id))
            return self._append(
                tx,
                incident_id,
                author,
                "milestone",
                f"milestone corrected: {MILESTONE_LABELS[which]} {old or 'unset'} → {new}"
                f" ({reason.strip()})",
            )

    def set_review(
        self,
        incident_id: int,
        author: str,
        *,
        root_cause: str,
        contributing_factors: str,
        resolution_steps: str,
        review_at: date | None,
    ) -> Entry | None:
        """Save the review screen: the text exactly as typed, and the meeting date.

        One timeline entry per save, naming what changed (not the text, which
        can be pages long; the export has it). A save that changes nothing
        writes nothing and returns None.
        """
        fields = {
            "root cause": root_cause,
            "contributing factors": contributing_factors,
            "resolution steps": resolution_steps,
        }
        for label, value in fields.items():
            if len(value) > MAX_REVIEW_TEXT:
                raise CommandError(f"the {label} is at most {MAX_REVIEW_TEXT:,} characters")
        meeting = review_at.isoformat() if review_at is not None else None
        with self._changing(incident_id) as (tx, _incident):
            before = self.store.review(incident_id)
            changed = [
                label
                for label, old, new in (
                    ("root cause", before.root_cause, root_cause),
                    ("contributing factors", before.contributing_factors, contributing_factors),
                    ("resolution steps", before.resolution_steps, resolution_steps),
                )
                if old != new
            ]
            if before.review_at != meeting:
                changed.append(f"review meeting {meeting or 'unset'}")
            if not changed:
                return None
            tx.execute(
                "UPDATE incidents SET root_cause = ?, contributing_factors = ?,"
                " resolution_steps = ?, review_at = ? WHERE id = ?",
                (root_cause, contributing_factors, resolution_steps, meeting, incident_id),
            )
            return self._append(
                tx, incident_id, author, "review", f"review saved: {', '.join(changed)}"
            )

    def _refuse_to_close(self, incident: Incident) -> None:
        """Raise unless ``incident`` may be closed: resolved, with a review written."""
        if incident.status != "resolved":
            raise CommandError(f"{incident.ref} is not resolved: resolve it, then review it")
        if not self.store.review(incident.id).root_cause.strip():
            raise CommandError(
                f"{incident.ref} has no review yet: ctrl+e, write the root cause, then close"
            )

    def check_close(self, incident_id: int) -> Incident:
        """What :meth:`close` would refuse, found without writing anything: the
        console asks before it closes, and asks only when closing would work."""
        incident = self._open_incident(incident_id)
        self._refuse_to_close(incident)
        return incident

    def close(self, incident_id: int, author: str) -> Entry:
        """Close a resolved incident after its review: from then on it is read-only."""
        with self._changing(incident_id) as (tx, incident):
            self._refuse_to_close(incident)
            tx.execute(
                "UPDATE incidents SET status = 'closed', closed_at = ?, next_update_due = NULL"
                " WHERE id = ?",
                (self._now(), incident_id),
            )
            return self._append(tx, incident_id, author, "close", "closed: the record is final")

    def resolve(self, incident_id: int, author: str) -> Entry:
        """Impact is over: stop the countdown, stamp the milestones, and move the
        stage on as the playbook says (:func:`stage_after_resolve`), all logged
        in one entry. The stage it left is kept for ``/reopen``."""
        with self._changing(incident_id) as (tx, incident):
            if incident.status == "resolved":
                raise CommandError(f"{incident.ref} is already resolved")
            now = self._now()
            stage = stage_after_resolve(self.playbook, incident.stage)
            # Impact is over, so it is mitigated by now at the latest (a team that
            # never moved the stage still gets a time to mitigate).
            tx.execute(
                "UPDATE incidents SET status = 'resolved', resolved_at = ?,"
                " mitigated_at = COALESCE(mitigated_at, ?), next_update_due = NULL,"
                " stage = ?, resolved_from_stage = ? WHERE id = ?",
                (now, now, stage, incident.stage, incident_id),
            )
            text = "resolved: impact is over"
            if stage != incident.stage:
                text += f" · stage {incident.stage} → {stage}"
            entry = self._append(tx, incident_id, author, "resolve", text)
            self._queue_slack(tx, incident_id, entry.id, "resolve", entry.text)
            return entry

    def reopen(self, incident_id: int, author: str) -> Entry:
        """Impact is back: the countdown restarts, and the stage goes back to the
        one the incident was in when it was resolved (logged)."""
        with self._changing(incident_id) as (tx, incident):
            if incident.status != "resolved":
                raise CommandError(f"{incident.ref} is not resolved")
            due = format_time(self.clock.now() + self._cadence(incident.severity))
            (before,) = tx.execute(
                "SELECT resolved_from_stage FROM incidents WHERE id = ?", (incident_id,)
            ).fetchone()
            stage = before if before in self.playbook.stages else incident.stage
            tx.execute(
                "UPDATE incidents SET status = 'open', resolved_at = NULL,"
                " next_update_due = ?, stage = ?, resolved_from_stage = NULL WHERE id = ?",
                (due, stage, incident_id),
            )
            text = "reopened: impact is back"
            if stage != incident.stage:
                text += f" · stage {incident.stage} → {stage}"
            entry = self._append(tx, incident_id, author, "reopen", text)
            self._queue_slack(tx, incident_id, entry.id, "reopen", entry.text)
            return entry
