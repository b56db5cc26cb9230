"""What is announced: the service's subscriber that queues Slack and email messages.

The service hands it every change (event and entry) inside the change's
transaction, so a queued message commits with the entry that caused it, or
neither does; :mod:`warroom.comms.delivery` sends it later. Files (the
client update's ``.eml``) are written after the commit, never undone by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from warroom.db import incidents as repo
from warroom.db.outbox import enqueue
from warroom.db.store import Store, Transaction
from warroom.domain import events as ev
from warroom.domain.models import Entry, Incident
from warroom.errors import WarroomError

if TYPE_CHECKING:
    from warroom.comms.config import CommsConfig
    from warroom.playbook import Playbook

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

#: Work to do once the transaction has committed.
AfterCommit = Callable[[], object]


class OutboxQueue:
    """Queues what a change announces, in the transaction of the change."""

    def __init__(
        self,
        db_path: Path,
        playbook: Playbook,
        comms: CommsConfig | None,
        load_incident: Callable[[int], Incident],
    ) -> None:
        self.db_path = db_path
        #: Reads the incident inside the transaction (only the declaration needs it).
        self.load_incident = load_incident
        self.playbook = playbook
        #: Slack / SMTP settings: with them, messages are queued in the outbox in
        #: the same transaction as the entry that caused them.
        self.comms = comms
        #: Slack messages queued (committed or not): the command line says so
        #: when it has no settings to send them itself.
        self.queued_for_slack = 0

    def slack_mode(self, tx: Transaction) -> str | None:
        """How this database posts to Slack ("bot", "webhook"), or None: never.

        With Slack settings, this process's mode, remembered in the database
        (``settings.slack_mode``, no secret) the first time it queues. Without
        them, what the database remembers: once a database has been used with
        Slack, every change that announces is queued whoever makes it, and any
        console that has the settings delivers it. Whether a change is
        announced never depends on which console or command made it.
        """
        return repo.slack_mode(tx, self.comms.slack_mode if self.comms is not None else None)

    def __call__(
        self,
        tx: Transaction,
        incident_id: int,
        changes: list[tuple[ev.Event, Entry]],
        now: datetime,
    ) -> list[AfterCommit]:
        """Queue what ``changes`` (one transaction's, in order) announce."""
        after: list[AfterCommit] = []
        declared = next((entry for event, entry in changes if isinstance(event, ev.Declared)), None)
        for event, entry in changes:
            # The declaration is the root message: queued edits would only repeat it.
            if declared is None and event.kind in ROOT_EDIT_KINDS:
                self._queue_root_edit(tx, incident_id, now)
            if isinstance(event, ev.SeverityChanged | ev.Resolved | ev.Reopened):
                self._queue_slack(tx, incident_id, entry.id, event.kind, entry.text, now)
            elif isinstance(event, ev.UpdateChased):
                # The one message warroom itself may mention a person in: the
                # first line is their Slack user ID (checked again when rendered).
                people = self.comms.slack.people if self.comms is not None else {}
                mention = people.get(event.comms_lead or "", "") if event.mentioned else ""
                self._queue_slack(
                    tx, incident_id, entry.id, "reminder", f"{mention}\n{entry.text}", now
                )
            elif isinstance(event, ev.UpdateRecorded):
                if event.audience == "internal":
                    outbox_id = self._queue_slack(
                        tx, incident_id, entry.id, "update", event.message, now
                    )
                else:
                    outbox_id, write = self._client_email(tx, incident_id, entry, event, now)
                    after.append(write)
                if outbox_id is not None:
                    repo.link_update(tx, entry.id, outbox_id)
        if declared is not None and self.slack_mode(tx) is not None:
            from warroom.comms.templates import render_internal

            incident = self.load_incident(incident_id)
            text = render_internal(incident, self.playbook, now, None)
            self._queue_slack(tx, incident_id, declared.id, "declare", text.strip("\n"), now)
        return after

    def _queue_slack(
        self,
        tx: Transaction,
        incident_id: int,
        entry_id: int | None,
        kind: str,
        text: str,
        now: datetime,
    ) -> int | None:
        """Queue a Slack message inside ``tx`` (nothing if the database never used Slack)."""
        if self.slack_mode(tx) is None:
            return None
        self.queued_for_slack += 1
        return enqueue(tx, incident_id, entry_id, "slack", kind, text, created_at=now)

    def _queue_root_edit(self, tx: Transaction, incident_id: int, now: datetime) -> None:
        """Queue an edit of the Slack root message (bot token only: webhooks cannot edit)."""
        if self.slack_mode(tx) == "bot":
            enqueue(tx, incident_id, None, "slack", "root", "", created_at=now)

    def _client_email(
        self,
        tx: Transaction,
        incident_id: int,
        entry: Entry,
        event: ev.UpdateRecorded,
        now: datetime,
    ) -> tuple[int | None, AfterCommit]:
        """Queue the client email (with SMTP configured); the ``.eml`` is written after commit."""
        from warroom.comms.email import build_email, eml_path, write_eml

        smtp = self.comms.smtp if self.comms is not None else None
        message = build_email(
            subject=event.subject or "",
            body=event.message,
            date=now,
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
                event.message,
                str(message["Subject"]),
                created_at=now,
            )
        path = eml_path(self.db_path, incident_id, entry.seq)

        def write() -> None:
            try:
                write_eml(path, message)
            except WarroomError as exc:
                # The update is on the record (and queued, with SMTP): say so.
                raise WarroomError(f"the update is recorded as #{entry.seq}, but {exc}") from None

        return outbox_id, write


def queue_channel_message(store: Store, kind: str, text: str, now: datetime) -> int:
    """Queue a Slack message to the channel itself, of no incident (``report --post``).

    Committed on its own (``BEGIN IMMEDIATE``); delivered like every other row
    by whichever driver runs next (``deliver_pending`` right after, or any
    console's worker), paced and retried the same way. ``text`` is what a
    person would read; it is escaped when sent. Its id.
    """
    with store.write() as tx:
        return enqueue(tx, None, None, "slack", kind, text, created_at=now)
