"""One frozen dataclass per kind of change to an incident.

The service builds an event for every change, appends it as a timeline entry
(its :meth:`Event.text` for people, its :meth:`Event.data` for the figures)
in the same transaction as the state it changes, then hands it to the
subscribers (Slack and email queueing). What happened is stored as data, not
only as prose: the review's figures replay the data, so rewording a text
cannot silently change a figure (issue 10).

The texts are the timeline's, byte for byte as warroom has always written
them: exports, Slack messages and reviews of old incidents quote them.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, ClassVar

#: The labels the timeline gives the three named roles.
ROLE_LABELS = {
    "incident_commander": "Incident Commander",
    "communications_lead": "Communications Lead",
    "scribe": "Scribe",
}

#: Labels of the milestones a person may correct.
MILESTONE_LABELS = {
    "impact_started": "impact started",
    "detected": "detected",
    "mitigated": "mitigated",
    "resolved": "resolved",
}

#: ``data["v"]`` of every event written by this code; a backfilled entry (from
#: a database older than the data column) says ``"backfilled": true`` instead
#: and holds only what its text said.
DATA_VERSION = 1


@dataclass(frozen=True, slots=True)
class Event:
    """A change to an incident: its entry kind, its text, its facts."""

    #: The timeline entry's ``kind``.
    KIND: ClassVar[str] = ""
    #: The name stored as ``data["event"]``.
    NAME: ClassVar[str] = ""

    @property
    def kind(self) -> str:
        return self.KIND

    def text(self) -> str:
        """The timeline entry as people read it."""
        raise NotImplementedError

    def data(self) -> dict[str, Any] | None:
        """The facts, JSON-able: what the figures and the review replay."""
        facts = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for key, value in facts.items():
            if isinstance(value, tuple):
                facts[key] = list(value)
        return {"event": self.NAME, "v": DATA_VERSION, **facts}

    def data_json(self) -> str | None:
        """:meth:`data` as stored in ``entries.data`` (compact, key order kept)."""
        facts = self.data()
        if facts is None:
            return None
        return json.dumps(facts, ensure_ascii=False, separators=(",", ":"))

    def ticks(self) -> str | None:
        """The checklist action (``done_by`` in the playbook) this change completes."""
        return None


@dataclass(frozen=True, slots=True)
class Declared(Event):
    KIND = "declared"
    NAME = "declared"
    severity: int
    severity_name: str
    title: str
    impact: str
    cadence_minutes: int
    due: str

    def text(self) -> str:
        summary = f"declared {self.severity_name}: {self.title}"
        if self.impact:
            summary += f" — impact: {self.impact}"
        return summary

    def ticks(self) -> str | None:
        return "declare"


@dataclass(frozen=True, slots=True)
class SeverityChanged(Event):
    KIND = "severity"
    NAME = "severity_changed"
    old: int
    new: int
    old_name: str
    new_name: str
    cadence_minutes: int
    #: The update deadline after the change (None while resolved).
    due: str | None

    def text(self) -> str:
        verb = "raised" if self.new < self.old else "lowered"
        return (
            f"severity {verb}: {self.old_name} → {self.new_name}"
            f" (updates every {self.cadence_minutes} min)"
        )


@dataclass(frozen=True, slots=True)
class RoleAssigned(Event):
    KIND = "role"
    NAME = "role_assigned"
    role: str
    old: str | None
    new: str

    def text(self) -> str:
        label = ROLE_LABELS[self.role]
        return (
            f"{label}: {self.old} → {self.new} (handover)" if self.old else f"{label}: {self.new}"
        )

    def ticks(self) -> str | None:
        return "roles"


@dataclass(frozen=True, slots=True)
class EngineerAdded(Event):
    KIND = "role"
    NAME = "engineer_added"
    name: str

    def text(self) -> str:
        return f"Response Engineer: +{self.name}"

    def ticks(self) -> str | None:
        return "roles"


@dataclass(frozen=True, slots=True)
class EngineerRemoved(Event):
    KIND = "role"
    NAME = "engineer_removed"
    name: str

    def text(self) -> str:
        return f"Response Engineer: −{self.name}"


@dataclass(frozen=True, slots=True)
class StageMoved(Event):
    KIND = "stage"
    NAME = "stage_moved"
    old: str
    new: str
    #: Whether this move stamped the "mitigated" milestone.
    mitigated: bool

    def text(self) -> str:
        text = f"stage: {self.old} → {self.new}"
        if self.mitigated:
            text += " (mitigated: milestone stamped)"
        return text


@dataclass(frozen=True, slots=True)
class CheckToggled(Event):
    KIND = "check"
    NAME = "check_toggled"
    position: int
    label: str
    done: bool

    def text(self) -> str:
        mark = "✓" if self.done else "✗ unticked"
        return f"{mark} {self.position}. {self.label}"


@dataclass(frozen=True, slots=True)
class FreezeSet(Event):
    KIND = "freeze"
    NAME = "freeze"
    on: bool

    def text(self) -> str:
        return "change freeze ON: deployments halted" if self.on else "change freeze OFF"

    def ticks(self) -> str | None:
        return "freeze" if self.on else None


@dataclass(frozen=True, slots=True)
class BridgeSet(Event):
    KIND = "bridge"
    NAME = "bridge"
    url: str

    def text(self) -> str:
        return f"bridge: {self.url}"

    def ticks(self) -> str | None:
        return "bridge"


@dataclass(frozen=True, slots=True)
class TitleChanged(Event):
    KIND = "title"
    NAME = "title_changed"
    old: str
    new: str

    def text(self) -> str:
        return f"title: {self.old} → {self.new}"


@dataclass(frozen=True, slots=True)
class ImpactChanged(Event):
    KIND = "impact"
    NAME = "impact_changed"
    old: str
    new: str

    def text(self) -> str:
        return f"impact: {self.old or '(not recorded)'} → {self.new}"


@dataclass(frozen=True, slots=True)
class UpdateRecorded(Event):
    KIND = "update"
    NAME = "update_recorded"
    audience: str
    message: str
    subject: str | None
    mitigation: str | None
    #: The update deadline this update set.
    due: str

    def text(self) -> str:
        return f"update ({self.audience}): {self.message}"

    def ticks(self) -> str | None:
        return "update"


@dataclass(frozen=True, slots=True)
class Snoozed(Event):
    KIND = "snooze"
    NAME = "snoozed"
    minutes: int
    due: str
    reason: str

    def text(self) -> str:
        return f"update deadline pushed {self.minutes} min to {self.due[11:16]}Z: {self.reason}"


@dataclass(frozen=True, slots=True)
class Starred(Event):
    KIND = "star"
    NAME = "starred"
    seq: int

    def text(self) -> str:
        return f"★ key event #{self.seq}"


@dataclass(frozen=True, slots=True)
class Struck(Event):
    KIND = "undo"
    NAME = "struck"
    seq: int

    def text(self) -> str:
        return f"struck #{self.seq}"


@dataclass(frozen=True, slots=True)
class FollowUpAdded(Event):
    KIND = "followup"
    NAME = "followup_added"
    task: str
    owner: str
    due: str

    def text(self) -> str:
        return f"follow-up: {self.task} (@{self.owner}, due {self.due})"


@dataclass(frozen=True, slots=True)
class FollowUpDone(Event):
    KIND = "followup"
    NAME = "followup_done"
    task: str
    owner: str
    done: bool

    def text(self) -> str:
        mark = "✓ follow-up done" if self.done else "✗ follow-up not done after all"
        return f"{mark}: {self.task} (@{self.owner})"


@dataclass(frozen=True, slots=True)
class MilestoneCorrected(Event):
    KIND = "milestone"
    NAME = "milestone_corrected"
    which: str
    old: str | None
    new: str
    reason: str

    def text(self) -> str:
        return (
            f"milestone corrected: {MILESTONE_LABELS[self.which]} {self.old or 'unset'}"
            f" → {self.new} ({self.reason})"
        )


@dataclass(frozen=True, slots=True)
class ReviewSaved(Event):
    KIND = "review"
    NAME = "review_saved"
    #: What changed, as the entry names it ("root cause", "review meeting 2026-11-27", ...).
    changed: tuple[str, ...]

    def text(self) -> str:
        return f"review saved: {', '.join(self.changed)}"


@dataclass(frozen=True, slots=True)
class Resolved(Event):
    KIND = "resolve"
    NAME = "resolved"
    old_stage: str
    new_stage: str

    def text(self) -> str:
        text = "resolved: impact is over"
        if self.new_stage != self.old_stage:
            text += f" · stage {self.old_stage} → {self.new_stage}"
        return text


@dataclass(frozen=True, slots=True)
class Reopened(Event):
    KIND = "reopen"
    NAME = "reopened"
    old_stage: str
    new_stage: str
    #: The update deadline the countdown restarts with.
    due: str

    def text(self) -> str:
        text = "reopened: impact is back"
        if self.new_stage != self.old_stage:
            text += f" · stage {self.old_stage} → {self.new_stage}"
        return text


@dataclass(frozen=True, slots=True)
class Closed(Event):
    KIND = "close"
    NAME = "closed"

    def text(self) -> str:
        return "closed: the record is final"


@dataclass(frozen=True, slots=True)
class Note(Event):
    """A person's entry (note, decision, action, alert), stored exactly as typed.

    Its data is NULL: the text is the whole of it, and a pipe of 100,000 lines
    stores nothing more than before."""

    NAME = "note"
    category: str
    message: str
    occurred_at: str | None = None

    @property
    def kind(self) -> str:
        return self.category

    def text(self) -> str:
        return self.message

    def data(self) -> dict[str, Any] | None:
        return None


@dataclass(frozen=True, slots=True)
class AlertReceived(Event):
    """An alert from Alertmanager or Grafana (``warroom ingest``, ``/hooks/...``).

    The entry's occurred-at time is the alert's own: its start while firing,
    its end once resolved."""

    KIND = "alert"
    NAME = "alert_received"
    source: str
    fingerprint: str
    status: str
    name: str
    summary: str
    starts_at: str
    ends_at: str | None
    link: str
    #: Alerts the sender left out of this group (``truncatedAlerts``).
    truncated: int

    def text(self) -> str:
        head = "🔥 FIRING" if self.status == "firing" else "✅ RESOLVED"
        text = f"{head} {self.name}"
        if self.summary:
            text += f": {self.summary}"
        if self.link:
            text += f" <{self.link}>"
        text += f" ({self.source})"
        if self.truncated:
            text += f" · {self.truncated} more alert(s) in this group were left out by the sender"
        return text


@dataclass(frozen=True, slots=True)
class UpdateChased(Event):
    """An update overdue by ``[slack] escalate_after_minutes``: one reminder to
    the comms lead in the incident's Slack thread (once per missed deadline).

    ``mentioned``: the reminder mentions them by Slack user ID (``[slack.people]``);
    otherwise it names the role in plain text."""

    KIND = "reminder"
    NAME = "update_chased"
    #: The deadline that was missed.
    due: str
    overdue_minutes: int
    comms_lead: str | None
    mentioned: bool

    def text(self) -> str:
        who = f"Communications Lead {self.comms_lead}" if self.comms_lead else "Communications Lead"
        how = " (mentioned in Slack)" if self.mentioned else ""
        return (
            f"reminder to {who}{how}: the stakeholder update due at {self.due[11:16]}Z"
            f" is {self.overdue_minutes} min overdue"
        )


@dataclass(frozen=True, slots=True)
class SlackCaptured(Event):
    """A person's Slack message (in the incident's thread, or 📌 in the channel),
    captured as it was first seen: its text literal, its author the poster's
    Slack display name, its occurred-at time the message's own."""

    KIND = "slack"
    NAME = "slack_captured"
    ts: str
    user_id: str
    #: "thread" or "pin".
    via: str
    message: str

    def text(self) -> str:
        return self.message


#: Every event class, by the name stored in ``data["event"]``.
EVENTS: dict[str, type[Event]] = {
    cls.NAME: cls
    for cls in (
        Declared,
        SeverityChanged,
        RoleAssigned,
        EngineerAdded,
        EngineerRemoved,
        StageMoved,
        CheckToggled,
        FreezeSet,
        BridgeSet,
        TitleChanged,
        ImpactChanged,
        UpdateRecorded,
        Snoozed,
        Starred,
        Struck,
        FollowUpAdded,
        FollowUpDone,
        MilestoneCorrected,
        ReviewSaved,
        Resolved,
        Reopened,
        Closed,
        Note,
        AlertReceived,
        UpdateChased,
        SlackCaptured,
    )
}


def load_data(stored: str | None) -> dict[str, Any]:
    """``entries.data`` as a dict ({} for a note, or an entry without data)."""
    if not stored:
        return {}
    loaded = json.loads(stored)
    return loaded if isinstance(loaded, dict) else {}
