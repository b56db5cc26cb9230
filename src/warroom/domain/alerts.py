"""Alert webhook payloads (Alertmanager ``webhook_config`` v4, Grafana's webhook
contact point) read into plain values, checked whole before anything is written.

Both senders post the same group shape: ``status``, ``alerts[]`` (each with
``status``, ``labels``, ``annotations``, ``startsAt``, ``endsAt``,
``generatorURL``, ``fingerprint``), ``groupLabels``, ``commonLabels``,
``commonAnnotations``, ``externalURL``, ``groupKey``, ``truncatedAlerts``;
Grafana adds ``orgId``, ``title``, ``state``, ``message`` and, per alert,
``dashboardURL``, ``panelURL``, ``silenceURL``, ``values``, ``valueString``.
A group is re-sent as it changes, so each alert is known by its fingerprint,
its status and its start: the same firing seen twice is one entry, its
resolution one more, a later firing of the same alert (a new ``startsAt``)
another. Nothing here touches the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from warroom.clock import parse_time
from warroom.errors import WarroomError

#: The two senders ``warroom ingest`` and ``/hooks/...`` accept.
SOURCES = ("alertmanager", "grafana")
#: A payload larger than this is refused unread (1,000 alerts are about 1 MiB).
MAX_PAYLOAD_BYTES = 8 * 1024 * 1024
#: At most this many alerts in one payload.
MAX_ALERTS = 10_000
#: The longest name or summary kept in an entry (the rest is cut, with "…").
MAX_FIELD = 500
#: Alertmanager's "no end yet" (Go's zero time).
_ZERO_TIME_YEAR = 1


class PayloadError(WarroomError):
    """The payload is not an alert group warroom can read; nothing was written."""


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert of a group, as the timeline records it."""

    fingerprint: str
    status: str  # firing | resolved
    name: str
    summary: str
    starts_at: str
    #: None while firing (Alertmanager sends year 1).
    ends_at: str | None
    #: The dashboard (Grafana) or the generator (Prometheus) link, or "".
    link: str

    @property
    def at(self) -> str:
        """When it happened: the start of a firing, the end of a resolution."""
        if self.status == "resolved" and self.ends_at:
            return self.ends_at
        return self.starts_at


@dataclass(frozen=True, slots=True)
class AlertGroup:
    source: str
    status: str
    #: What a declaration from this group is titled.
    summary: str
    alerts: tuple[Alert, ...]
    #: Alerts the sender left out (``max_alerts``): said in the entries.
    truncated: int


def _cut(text: str) -> str:
    text = " ".join(text.split())  # one line: a label cannot start a new entry
    return text if len(text) <= MAX_FIELD else text[: MAX_FIELD - 1] + "…"


def _strings(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise PayloadError(f"{where} must be an object of strings")
    return value


def _time(value: Any, where: str) -> str | None:
    if not isinstance(value, str):
        raise PayloadError(f"{where} must be a time (RFC 3339)")
    try:
        when = parse_time(value)
    except ValueError:
        raise PayloadError(f"{where} {value[:40]!r} is not a time (RFC 3339)") from None
    if when.year <= _ZERO_TIME_YEAR:
        return None
    utc = when.astimezone(UTC)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}Z"


def _link(alert: dict[str, Any], source: str) -> str:
    keys = ("dashboardURL", "panelURL", "generatorURL") if source == "grafana" else ()
    for key in (*keys, "generatorURL"):
        value = alert.get(key)
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return value[:2000]
    return ""


def _alert(raw: Any, n: int, source: str) -> Alert:
    where = f"alerts[{n}]"
    if not isinstance(raw, dict):
        raise PayloadError(f"{where} must be an object")
    status = raw.get("status")
    if status not in ("firing", "resolved"):
        raise PayloadError(f"{where}.status must be firing or resolved")
    labels = _strings(raw.get("labels"), f"{where}.labels")
    annotations = _strings(raw.get("annotations"), f"{where}.annotations")
    starts_at = _time(raw.get("startsAt"), f"{where}.startsAt")
    if starts_at is None:
        raise PayloadError(f"{where}.startsAt is the zero time")
    ends_at = _time(raw.get("endsAt", "0001-01-01T00:00:00Z"), f"{where}.endsAt")
    fingerprint = raw.get("fingerprint")
    if fingerprint is None:
        # Alertmanager before 0.19 sent none: the sorted labels name the alert.
        fingerprint = json.dumps(labels, sort_keys=True)
    if not isinstance(fingerprint, str) or not fingerprint or len(fingerprint) > 1000:
        raise PayloadError(f"{where}.fingerprint must be a short string")
    name = labels.get("alertname") or labels.get("__alert_rule_title__") or "alert"
    summary = annotations.get("summary") or annotations.get("description") or ""
    return Alert(
        fingerprint=fingerprint,
        status=status,
        name=_cut(name),
        summary=_cut(summary),
        starts_at=starts_at,
        ends_at=ends_at,
        link=_link(raw, source),
    )


def parse_payload(source: str, body: bytes) -> AlertGroup:
    """The group in ``body``, or :class:`PayloadError` naming the first problem."""
    if source not in SOURCES:
        raise PayloadError(f"unknown alert source {source[:40]!r}: {' or '.join(SOURCES)}")
    if len(body) > MAX_PAYLOAD_BYTES:
        raise PayloadError(f"the payload is larger than {MAX_PAYLOAD_BYTES // 1024 // 1024} MiB")
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise PayloadError("the payload is not UTF-8") from None
    except (ValueError, RecursionError) as exc:
        raise PayloadError(f"the payload is not JSON: {str(exc)[:80]}") from None
    if not isinstance(data, dict):
        raise PayloadError("the payload must be a JSON object (an alert group)")
    raw_alerts = data.get("alerts")
    if not isinstance(raw_alerts, list):
        raise PayloadError("the payload has no alerts list: is it an alert webhook?")
    if len(raw_alerts) > MAX_ALERTS:
        raise PayloadError(f"more than {MAX_ALERTS:,} alerts in one payload")
    status = data.get("status", "firing")
    if status not in ("firing", "resolved"):
        raise PayloadError("status must be firing or resolved")
    truncated = data.get("truncatedAlerts", 0)
    if not isinstance(truncated, int) or isinstance(truncated, bool) or truncated < 0:
        raise PayloadError("truncatedAlerts must be a whole number, 0 or more")
    alerts = tuple(_alert(raw, n, source) for n, raw in enumerate(raw_alerts))
    common = _strings(data.get("commonAnnotations"), "commonAnnotations")
    labels = _strings(data.get("commonLabels"), "commonLabels")
    title = data.get("title") if source == "grafana" else None
    grouped = _strings(data.get("groupLabels"), "groupLabels")
    # Grafana's title ("[FIRING:2]  (blue)") says least: it comes last.
    summary = (
        common.get("summary")
        or labels.get("alertname")
        or grouped.get("alertname")
        or (alerts[0].summary or alerts[0].name if alerts else "")
        or (title if isinstance(title, str) else "")
        or "alert"
    )
    return AlertGroup(source, status, _cut(summary)[:200], alerts, truncated)


def first_start(alerts: tuple[Alert, ...] | list[Alert]) -> str | None:
    """The earliest ``startsAt`` among ``alerts`` (ISO strings in UTC sort as times)."""
    return min((a.starts_at for a in alerts), default=None)


def earlier_than(first: str | None, impact_started: str | None) -> bool:
    """Whether the first alert started before the recorded impact start."""
    if first is None or impact_started is None:
        return False
    return parse_time(first) < parse_time(impact_started)


def milestone_token(first: str, now: datetime) -> str:
    """How ``/milestone impact_started`` names ``first``: ``HH:MM`` (the most
    recent such time) while that is unambiguous, else ``YYYY-MM-DDTHH:MM``."""
    if (now - parse_time(first)).total_seconds() < 23 * 3600:
        return first[11:16]
    return first[:16]
