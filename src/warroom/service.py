"""Every change to an incident: validate, build the event, append it, announce it.

The console, the command line and the tests all call :class:`Service`, so the
timeline is a complete audit trail whichever way a change came in. Each
method checks its input first and raises :class:`CommandError` before
anything is written; then, in ONE ``BEGIN IMMEDIATE`` transaction, it writes
the state and the timeline entry that records it (the event's text and data,
see :mod:`warroom.domain.events`) and hands the transaction's events to the
subscribers (Slack and email queueing, :mod:`warroom.comms.queueing`).
Effects outside the database (the client update's ``.eml``) run after the
commit: nothing to undo by hand when a transaction fails.

SQL lives in :mod:`warroom.db`; the rules (validation, the update deadline)
in :mod:`warroom.domain.rules`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlparse

from warroom.clock import Clock, format_time, parse_time
from warroom.comms.queueing import ROOT_EDIT_KINDS, AfterCommit, OutboxQueue
from warroom.db import alerts as alerts_repo
from warroom.db import incidents as repo
from warroom.db import slack_capture as slack_repo
from warroom.db.store import Store, Transaction
from warroom.domain import events as ev
from warroom.domain import rules
from warroom.domain.alerts import AlertGroup
from warroom.domain.events import MILESTONE_LABELS, ROLE_LABELS
from warroom.domain.models import ROLE_KEYS, USER_KINDS, Entry, Incident
from warroom.domain.rules import (
    MAX_IMPACT,
    MAX_MITIGATION,
    MAX_NAME,
    MAX_REVIEW_TEXT,
    MAX_TITLE,
    MILESTONE_COLUMNS,
    check_declaration,
    check_impact,
    check_mitigation,
    check_name,
    check_title,
    mitigated_stage_index,
    stage_after_resolve,
)
from warroom.domain.slack_capture import SlackMessage
from warroom.errors import CommandError
from warroom.playbook import Playbook

if TYPE_CHECKING:
    from warroom.comms.config import CommsConfig

__all__ = [
    "MAX_IMPACT",
    "MAX_MITIGATION",
    "MAX_NAME",
    "MAX_REVIEW_TEXT",
    "MAX_TITLE",
    "MILESTONE_COLUMNS",
    "MILESTONE_LABELS",
    "ROLE_LABELS",
    "ROOT_EDIT_KINDS",
    "Service",
    "Subscriber",
    "check_declaration",
    "check_impact",
    "check_mitigation",
    "check_name",
    "check_title",
    "mitigated_stage_index",
    "stage_after_resolve",
]

#: Called inside the transaction with the incident id and the transaction's
#: (event, entry) pairs in order; returns work to run
#: after the commit.
Subscriber = Callable[[Transaction, int, list[tuple[ev.Event, Entry]], datetime], list[AfterCommit]]


class AlertDeclaration(NamedTuple):
    """What ``declare_from_alerts`` did: the incident its alerts are in."""

    incident: Incident
    entries: list[Entry]
    #: False when the group's alerts were already in an incident not closed.
    declared: bool


@dataclass
class _Change:
    """One transaction under way: its connection, the incident, what it recorded."""

    tx: Transaction
    #: None only while a declaration has not inserted its incident yet.
    current: Incident | None
    recorded: list[tuple[ev.Event, Entry]] = field(default_factory=list)

    @property
    def incident(self) -> Incident:
        """The incident as it was when the transaction began (checks run on it)."""
        assert self.current is not None, "no incident yet"
        return self.current


class Service:
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
        self.comms = comms
        self.outbox = OutboxQueue(store.path, playbook, comms, self._incident)
        #: Told of every transaction's events before it commits (Slack/email first).
        self.subscribers: list[Subscriber] = [self.outbox]

    @property
    def queued_for_slack(self) -> int:
        """Slack messages queued by this service (committed or not)."""
        return self.outbox.queued_for_slack

    # -- the one way a change is written ----------------------------------

    def _now(self) -> str:
        return format_time(self.clock.now())

    def _cadence(self, severity: int) -> timedelta:
        return rules.cadence(self.playbook, severity)

    def _incident(self, incident_id: int) -> Incident:
        incident = self.store.incident(incident_id)
        if incident is None:
            raise CommandError(f"no such incident: INC-{incident_id}")
        return incident

    def _open_incident(self, incident_id: int) -> Incident:
        incident = self._incident(incident_id)
        if incident.status == "closed":
            raise CommandError(f"{incident.ref} is closed and read-only")
        return incident

    @contextmanager
    def _transaction(self, incident_id: int | None) -> Iterator[_Change]:
        """A write transaction, the incident as it is inside it, and the events.

        Checks run on this locked view, so two consoles ticking the same item at
        the same moment cannot both succeed: the second sees it already ticked.
        Before the commit the subscribers get the events; after it, their
        after-commit work runs.
        """
        after: list[AfterCommit] = []
        with self.store.write() as tx:
            incident = self._open_incident(incident_id) if incident_id is not None else None
            change = _Change(tx, incident)
            yield change
            if change.recorded:
                now = self.clock.now()
                for subscriber in self.subscribers:
                    after += subscriber(tx, change.incident.id, change.recorded, now)
        for effect in after:
            effect()

    def _record(
        self,
        change: _Change,
        author: str,
        event: ev.Event,
        *,
        ref: int | None = None,
        occurred_at: str | None = None,
    ) -> Entry:
        """Append ``event`` as the incident's next entry (text and data)."""
        entry = repo.append_entry(
            change.tx,
            change.incident.id,
            at=self._now(),
            author=author,
            kind=event.kind,
            text=event.text(),
            data=event.data_json(),
            ref=ref,
            occurred_at=occurred_at,
        )
        change.recorded.append((event, entry))
        return entry

    def _autotick(self, change: _Change, action: str | None, author: str) -> list[Entry]:
        """Tick the checklist items that this action completes, each with an entry."""
        if action is None:
            return []
        entries = []
        for position, label in repo.unticked_items(change.tx, change.incident.id, action):
            repo.set_check(
                change.tx, change.incident.id, position, done=True, at=self._now(), by=author
            )
            entries.append(self._record(change, author, ev.CheckToggled(position, label, True)))
        return entries

    def _roles_autotick(self, change: _Change, author: str) -> list[Entry]:
        if repo.roles_filled(change.tx, change.incident.id):
            return self._autotick(change, "roles", author)
        return []

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
        with self._transaction(None) as change:
            incident_id = self._declare_in(
                change,
                severity=severity,
                title=title,
                author=author,
                impact=impact,
                commander=commander,
            )
        return self._incident(incident_id)

    def _declare_in(
        self,
        change: _Change,
        *,
        severity: int,
        title: str,
        author: str,
        impact: str = "",
        commander: str | None = None,
    ) -> int:
        """Insert a new incident and its first entries in ``change``'s transaction."""
        title, commander = check_declaration(
            self.playbook, severity=severity, title=title, impact=impact, commander=commander
        )
        sev = self.playbook.severity(severity)
        now = self.clock.now()
        due = format_time(rules.deadline_on_declare(now, self._cadence(severity)))
        incident_id = repo.insert_incident(
            change.tx,
            title=title,
            severity=severity,
            stage=self.playbook.stages[0],
            impact=impact,
            declared_at=format_time(now),
            commander=commander,
            next_update_due=due,
            checklist=[
                (item.label, item.section, item.done_by) for item in self.playbook.checklist
            ],
        )
        change.current = self._incident(incident_id)
        declared = ev.Declared(
            severity=severity,
            severity_name=sev.name,
            title=title,
            impact=impact,
            cadence_minutes=sev.update_every_minutes,
            due=due,
        )
        self._record(change, author, declared)
        if commander:
            self._record(change, author, ev.RoleAssigned("incident_commander", None, commander))
        self._autotick(change, declared.ticks(), author)
        return incident_id

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
        when = format_time(occurred_at) if occurred_at else None
        with self._transaction(incident_id) as change:
            return self._record(change, author, ev.Note(kind, text, when), occurred_at=when)

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
        with self._transaction(incident_id) as change:
            # Notes announce nothing: no events for the subscribers.
            return repo.append_notes(
                change.tx, incident_id, at=self._now(), author=author, kind=kind, texts=texts
            )

    def ingest_alerts(self, incident_id: int, group: AlertGroup) -> list[Entry]:
        """Each alert of ``group`` not yet in the timeline, as an ``alert`` entry.

        Known by fingerprint, status and start: a re-sent group adds nothing, a
        resolution adds one entry at its ``endsAt``. The entries' author is the
        sender (``alertmanager``, ``grafana``); their occurred-at time is the
        alert's own. All are written in one transaction, or none.
        """
        with self._transaction(incident_id) as change:
            return self._ingest_in(change, group)

    def _ingest_in(self, change: _Change, group: AlertGroup) -> list[Entry]:
        incident_id = change.incident.id
        keys = [(a.fingerprint, a.status, a.starts_at) for a in group.alerts]
        done = alerts_repo.seen(change.tx, incident_id, keys)
        entries = []
        for alert, key in zip(group.alerts, keys, strict=True):
            if key in done:
                continue
            done.add(key)
            event = ev.AlertReceived(
                source=group.source,
                fingerprint=alert.fingerprint,
                status=alert.status,
                name=alert.name,
                summary=alert.summary,
                starts_at=alert.starts_at,
                ends_at=alert.ends_at,
                link=alert.link,
                truncated=group.truncated,
            )
            entry = self._record(change, group.source, event, occurred_at=alert.at)
            alerts_repo.mark_seen(change.tx, incident_id, key, entry.seq)
            entries.append(entry)
        return entries

    def declare_from_alerts(
        self, group: AlertGroup, *, severity: int, author: str
    ) -> AlertDeclaration:
        """A new incident titled from the group's summary, with its alerts in the
        timeline, in one transaction.

        Alertmanager and Grafana send a group again and again while it fires
        (and once more when it resolves), so an alert already in an incident
        that is not closed means this group was declared already: its news
        goes to that incident and nothing new is declared. A crash can leave
        neither an incident without its alerts nor alerts without their
        incident, so sending the group again is always safe.

        A group with no alerts is refused: nothing would ever tie a re-send to
        the incident it declared, so each one would declare another.
        """
        if not group.alerts:
            raise CommandError("the payload holds no alerts: nothing to declare from")
        with self._transaction(None) as change:
            fingerprints = [alert.fingerprint for alert in group.alerts]
            holder = alerts_repo.incident_holding(change.tx, fingerprints)
            if holder is not None:
                change.current = self._open_incident(holder)
            else:
                self._declare_in(change, severity=severity, title=group.summary, author=author)
            entries = self._ingest_in(change, group)
            incident_id = change.incident.id
        return AlertDeclaration(self._incident(incident_id), entries, declared=holder is None)

    def chase_update(
        self, incident_id: int, *, after_minutes: int, people: dict[str, str]
    ) -> Entry | None:
        """The update is overdue by ``after_minutes``: one reminder to the comms
        lead, logged, queued for the incident's Slack thread. Once per missed
        deadline, whichever console (or how many) notices: None when it is not
        due yet, or was sent already. ``people``: name → Slack user ID.
        """
        now = self.clock.now()
        incident = self._incident(incident_id)
        if incident.status != "open" or incident.next_update_due is None:
            return None
        due = parse_time(incident.next_update_due)
        if now < due + timedelta(minutes=after_minutes):
            return None
        with self._transaction(incident_id) as change:
            incident = change.incident  # as it is now, under the write lock
            if incident.status != "open" or incident.next_update_due is None:
                return None
            if repo.chased(change.tx, incident_id, incident.next_update_due):
                return None
            overdue = int((now - parse_time(incident.next_update_due)).total_seconds() // 60)
            if overdue < after_minutes:
                return None
            lead = incident.roles.communications_lead
            event = ev.UpdateChased(
                due=incident.next_update_due,
                overdue_minutes=overdue,
                comms_lead=lead,
                mentioned=lead is not None and lead in people,
            )
            return self._record(change, "warroom", event)

    def capture_slack(
        self,
        incident_id: int,
        messages: Sequence[SlackMessage],
        *,
        names: dict[str, str],
        new_names: dict[str, str],
        thread_cursor: str | None,
    ) -> list[Entry]:
        """Slack messages not yet in the timeline, as ``slack`` entries, and the
        "seen up to" cursor, in ONE transaction: a crash mid-sync neither loses
        nor doubles a message. ``names``: user ID → display name (the author);
        ``new_names`` are remembered in the cache in the same transaction."""
        with self._transaction(incident_id) as change:
            now = self._now()
            for user_id, name in new_names.items():
                slack_repo.remember_name(change.tx, user_id, name, now)
            done = slack_repo.seen(change.tx, incident_id, [m.ts for m in messages])
            entries = []
            for message in messages:
                if message.ts in done:
                    continue
                done.add(message.ts)
                author = names.get(message.user_id) or message.user_id
                event = ev.SlackCaptured(message.ts, message.user_id, message.via, message.text)
                entry = self._record(change, author, event, occurred_at=message.at)
                slack_repo.mark_seen(change.tx, incident_id, message.ts, entry.seq)
                entries.append(entry)
            if thread_cursor is not None:
                slack_repo.set_cursor(change.tx, incident_id, thread_cursor)
            return entries

    def slack_acked(self, incident_id: int, ts: str) -> None:
        """The ✅ went out for captured message ``ts`` (no entry: not a change)."""
        with self.store.write() as tx:
            slack_repo.mark_acked(tx, incident_id, ts)

    def set_severity(self, incident_id: int, author: str, severity: int) -> Entry:
        rules.check_severity(self.playbook, severity)
        new = self.playbook.severity(severity)
        with self._transaction(incident_id) as change:
            incident = change.incident
            if incident.severity == severity:
                raise CommandError(f"{incident.ref} is already {new.name}")
            old = self.playbook.severity_of(incident.severity)
            due = rules.deadline_on_severity(
                parse_time(incident.next_update_due) if incident.next_update_due else None,
                self.clock.now(),
                self._cadence(severity),
            )
            due_text = format_time(due) if due is not None else None
            repo.set_columns(change.tx, incident_id, severity=severity, next_update_due=due_text)
            event = ev.SeverityChanged(
                old=incident.severity,
                new=severity,
                old_name=old.name,
                new_name=new.name,
                cadence_minutes=new.update_every_minutes,
                due=due_text,
            )
            return self._record(change, author, event)

    def set_role(self, incident_id: int, author: str, role: str, name: str) -> list[Entry]:
        if role not in ROLE_KEYS:
            raise CommandError(f"unknown role {role!r}")
        name = check_name(name)
        with self._transaction(incident_id) as change:
            previous = getattr(change.incident.roles, role)
            if previous == name:
                raise CommandError(f"{name} is already {ROLE_LABELS[role]}")
            repo.set_columns(change.tx, incident_id, **{role: name})
            entries = [self._record(change, author, ev.RoleAssigned(role, previous, name))]
            return entries + self._roles_autotick(change, author)

    def add_engineer(self, incident_id: int, author: str, name: str) -> list[Entry]:
        name = check_name(name)
        with self._transaction(incident_id) as change:
            if name in change.incident.roles.response_engineers:
                raise CommandError(f"{name} is already a response engineer")
            repo.add_engineer(change.tx, incident_id, name)
            entries = [self._record(change, author, ev.EngineerAdded(name))]
            return entries + self._roles_autotick(change, author)

    def remove_engineer(self, incident_id: int, author: str, name: str) -> Entry:
        name = check_name(name)
        with self._transaction(incident_id) as change:
            if name not in change.incident.roles.response_engineers:
                raise CommandError(f"{name} is not a response engineer")
            repo.remove_engineer(change.tx, incident_id, name)
            return self._record(change, author, ev.EngineerRemoved(name))

    def set_stage(self, incident_id: int, author: str, stage: str) -> Entry:
        stage = stage.strip().lower()
        if stage not in self.playbook.stages:
            raise CommandError(
                f"no stage {stage!r}: choose one of {', '.join(self.playbook.stages)}"
            )
        with self._transaction(incident_id) as change:
            incident = change.incident
            if incident.stage == stage:
                raise CommandError(f"{incident.ref} is already in {stage}")
            repo.set_columns(change.tx, incident_id, stage=stage)
            # Reaching the stage after "mitigate" (restore, by default) means the
            # mitigation is in place: that is the "mitigated" milestone. Only the
            # first time: a later correction goes through correct_milestone.
            after = mitigated_stage_index(self.playbook)
            mitigated = (
                after is not None
                and self.playbook.stages.index(stage) >= after
                and incident.milestones.mitigated_at is None
            )
            if mitigated:
                repo.set_columns(change.tx, incident_id, mitigated_at=self._now())
            return self._record(change, author, ev.StageMoved(incident.stage, stage, mitigated))

    def set_check(self, incident_id: int, author: str, position: int, done: bool) -> Entry:
        with self._transaction(incident_id) as change:
            items = {item.position: item for item in change.incident.checklist}
            item = items.get(position)
            if item is None:
                raise CommandError(f"no checklist item {position}: items are 1 to {len(items)}")
            if item.done == done:
                state = "already ticked" if done else "not ticked"
                raise CommandError(f"item {position} is {state}")
            repo.set_check(
                change.tx,
                incident_id,
                position,
                done=done,
                at=self._now() if done else None,
                by=author if done else None,
            )
            return self._record(change, author, ev.CheckToggled(position, item.label, done))

    def set_frozen(self, incident_id: int, author: str, frozen: bool) -> list[Entry]:
        with self._transaction(incident_id) as change:
            if change.incident.frozen == frozen:
                raise CommandError(
                    "deployments are already " + ("frozen" if frozen else "unfrozen")
                )
            repo.set_columns(change.tx, incident_id, frozen=int(frozen))
            event = ev.FreezeSet(frozen)
            entries = [self._record(change, author, event)]
            return entries + self._autotick(change, event.ticks(), author)

    def set_bridge(self, incident_id: int, author: str, url: str) -> list[Entry]:
        url = url.strip()
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or " " in url:
            raise CommandError("the bridge needs a link such as https://zoom.us/j/123")
        with self._transaction(incident_id) as change:
            repo.set_columns(change.tx, incident_id, bridge=url)
            event = ev.BridgeSet(url)
            entries = [self._record(change, author, event)]
            return entries + self._autotick(change, event.ticks(), author)

    def set_title(self, incident_id: int, author: str, title: str) -> Entry:
        """Correct the title (a typo goes everywhere the title does): logged old → new.

        Slack's root message follows (a ``title`` entry queues its edit); the
        bridge view, updates composed from now on and the review read the new one.
        """
        title = check_title(title)
        with self._transaction(incident_id) as change:
            if change.incident.title == title:
                raise CommandError("the title is already that")
            repo.set_columns(change.tx, incident_id, title=title)
            return self._record(change, author, ev.TitleChanged(change.incident.title, title))

    def set_impact(self, incident_id: int, author: str, impact: str) -> Entry:
        """Correct the impact statement, logged old → new; Slack's root message follows."""
        impact = check_impact(impact)
        if not impact:
            raise CommandError("an impact statement is needed: /impact TEXT")
        with self._transaction(incident_id) as change:
            if change.incident.impact == impact:
                raise CommandError("the impact is already that")
            repo.set_columns(change.tx, incident_id, impact=impact)
            return self._record(change, author, ev.ImpactChanged(change.incident.impact, impact))

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
        update is written as an ``.eml`` file beside the database (after the
        commit) and, with SMTP configured, queued for email; ``subject``
        defaults to the playbook's. Either way the queued message commits with
        the entry, or neither does.

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
        with self._transaction(incident_id) as change:
            now = self.clock.now()
            due = format_time(
                rules.deadline_on_update(now, self._cadence(change.incident.severity))
            )
            if audience == "client" and subject is None:
                from warroom.comms.templates import render_email

                subject, _body = render_email(change.incident, self.playbook, now, None)
            event = ev.UpdateRecorded(
                audience=audience,
                message=text,
                subject=subject if audience == "client" else None,
                mitigation=mitigation,
                due=due,
            )
            entry = self._record(change, author, event)
            repo.insert_update(
                change.tx,
                incident_id,
                at=format_time(now),
                audience=audience,
                text=text,
                entry_id=entry.id,
                subject=event.subject,
                mitigation=mitigation,
            )
            repo.set_columns(change.tx, incident_id, next_update_due=due)
            return [entry, *self._autotick(change, event.ticks(), author)]

    def undo(self, incident_id: int, author: str) -> Entry:
        """Strike the author's last entry. It stays in the record, struck through."""
        with self._transaction(incident_id) as change:
            seq = repo.last_own_entry(change.tx, incident_id, author, USER_KINDS)
            if seq is None:
                raise CommandError(f"{author} has no entry to strike")
            repo.strike(change.tx, incident_id, seq)
            return self._record(change, author, ev.Struck(seq), ref=seq)

    def star(self, incident_id: int, author: str, seq: int) -> Entry:
        """Mark entry ``seq`` as a key event for the review."""
        with self._transaction(incident_id) as change:
            count = change.incident.entry_count
            if not 1 <= seq <= count:
                raise CommandError(f"no entry #{seq}: entries are 1 to {count}")
            target = self.store.entry(incident_id, seq)
            if target is not None and target.starred:
                raise CommandError(f"entry #{seq} is already starred")
            repo.star(change.tx, incident_id, seq)
            return self._record(change, author, ev.Starred(seq), ref=seq)

    def snooze(self, incident_id: int, author: str, minutes: int, reason: str) -> Entry:
        """Push the update deadline back, on the record with the reason."""
        if not 1 <= minutes <= 24 * 60:
            raise CommandError("snooze between 1 and 1440 minutes")
        if not reason.strip():
            raise CommandError("a snooze needs a reason: /snooze MINUTES REASON")
        with self._transaction(incident_id) as change:
            incident = change.incident
            if incident.next_update_due is None:
                raise CommandError(f"{incident.ref} has no update deadline (it is resolved)")
            due = format_time(
                rules.deadline_on_snooze(
                    parse_time(incident.next_update_due), self.clock.now(), minutes
                )
            )
            repo.set_columns(change.tx, incident_id, next_update_due=due)
            return self._record(change, author, ev.Snoozed(minutes, due, reason))

    def add_followup(self, incident_id: int, author: str, text: str, owner: str, due: str) -> Entry:
        owner = check_name(owner)
        with self._transaction(incident_id) as change:
            entry = self._record(change, author, ev.FollowUpAdded(text, owner, due))
            repo.insert_followup(
                change.tx, incident_id, text=text, owner=owner, due=due, entry_id=entry.id
            )
            return entry

    def set_followup_done(
        self, incident_id: int, author: str, followup_id: int, done: bool
    ) -> Entry:
        """Tick (or untick) follow-up ``followup_id`` (``FollowUp.id``), on the record."""
        with self._transaction(incident_id) as change:
            found = repo.followup(change.tx, incident_id, followup_id)
            if found is None:
                raise CommandError(f"no follow-up {followup_id} in INC-{incident_id}")
            text, owner, was_done, seq = found
            if was_done == done:
                raise CommandError("that follow-up is " + ("already done" if done else "not done"))
            repo.set_followup_done(
                change.tx,
                followup_id,
                done=done,
                at=self._now() if done else None,
                by=author if done else None,
            )
            return self._record(change, author, ev.FollowUpDone(text, owner, done), ref=seq)

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
        with self._transaction(incident_id) as change:
            incident = change.incident
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
            rules.check_milestone_order(current)
            repo.set_columns(change.tx, incident_id, **{column: new})
            event = ev.MilestoneCorrected(which, old, new, reason.strip())
            return self._record(change, author, event)

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
        with self._transaction(incident_id) as change:
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
            repo.set_columns(
                change.tx,
                incident_id,
                root_cause=root_cause,
                contributing_factors=contributing_factors,
                resolution_steps=resolution_steps,
                review_at=meeting,
            )
            return self._record(change, author, ev.ReviewSaved(tuple(changed)))

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

    def unpushed_followups(self, incident_id: int) -> int:
        """Open follow-ups not yet in the tracker; 0 when no tracker is configured
        (``/close`` warns about them: the playbook files them before closing)."""
        if self.comms is None or not self.comms.tracker_enabled:
            return 0
        from warroom.db import tickets

        return tickets.count_pending(self.store, incident_id)

    def close(self, incident_id: int, author: str) -> Entry:
        """Close a resolved incident after its review: from then on it is read-only."""
        with self._transaction(incident_id) as change:
            self._refuse_to_close(change.incident)
            repo.set_columns(
                change.tx, incident_id, status="closed", closed_at=self._now(), next_update_due=None
            )
            return self._record(change, author, ev.Closed())

    def resolve(self, incident_id: int, author: str) -> Entry:
        """Impact is over: stop the countdown, stamp the milestones, and move the
        stage on as the playbook says (:func:`stage_after_resolve`), all logged
        in one entry. The stage it left is kept for ``/reopen``."""
        with self._transaction(incident_id) as change:
            incident = change.incident
            if incident.status == "resolved":
                raise CommandError(f"{incident.ref} is already resolved")
            now = self._now()
            stage = stage_after_resolve(self.playbook, incident.stage)
            # Impact is over, so it is mitigated by now at the latest (a team that
            # never moved the stage still gets a time to mitigate).
            repo.stamp_mitigated(change.tx, incident_id, now)
            repo.set_columns(
                change.tx,
                incident_id,
                status="resolved",
                resolved_at=now,
                next_update_due=None,
                stage=stage,
                resolved_from_stage=incident.stage,
            )
            return self._record(change, author, ev.Resolved(incident.stage, stage))

    def reopen(self, incident_id: int, author: str) -> Entry:
        """Impact is back: the countdown restarts, and the stage goes back to the
        one the incident was in when it was resolved (logged)."""
        with self._transaction(incident_id) as change:
            incident = change.incident
            if incident.status != "resolved":
                raise CommandError(f"{incident.ref} is not resolved")
            due = format_time(
                rules.deadline_on_reopen(self.clock.now(), self._cadence(incident.severity))
            )
            before = repo.resolved_from_stage(change.tx, incident_id)
            stage = before if before in self.playbook.stages else incident.stage
            repo.set_columns(
                change.tx,
                incident_id,
                status="open",
                resolved_at=None,
                next_update_due=due,
                stage=stage,
                resolved_from_stage=None,
            )
            return self._record(change, author, ev.Reopened(incident.stage, stage, due))
