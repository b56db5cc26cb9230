"""``POST /hooks/alertmanager`` and ``POST /hooks/grafana``: alerts into the timeline.

``?incident=INC-N`` (or ``?declare=1&sev=N``), with ``Authorization: Bearer
<token>`` (``WARROOM_HOOK_TOKEN`` or ``[hooks] token``). Without the right
token the answer is 401 and nothing is read or written; without a configured
token the hooks are off (401 to everyone). The token is compared in constant
time. A payload is bounded (413 beyond it); one that is not an alert group is
400 with one line; nothing is written for either. The same operation as
``warroom ingest`` (:meth:`warroom.service.Service.ingest_alerts`), on the
server's one connection.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from warroom.domain.alerts import MAX_PAYLOAD_BYTES, SOURCES, earlier_than, first_start
from warroom.domain.alerts import parse_payload as parse_alerts
from warroom.errors import CommandError, DatabaseError, WarroomError
from warroom.service import Service

log = logging.getLogger("warroom.serve")

#: The routes, for the session middleware: these take the Bearer token instead.
PATHS = frozenset(f"/hooks/{source}" for source in SOURCES)


def _answer(status: int, message: str, **extra: object) -> web.Response:
    body = {"ok": status == 200, "message": message, **extra}
    return web.json_response(body, status=status)


def authorized(header: str | None, token: str | None) -> bool:
    """``Authorization: Bearer <token>``, compared in constant time."""
    if token is None or header is None:
        return False
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8", "replace"), token.encode("ascii"))


async def _read_bounded(request: web.Request) -> bytes | None:
    """The body, or None once it is longer than :data:`MAX_PAYLOAD_BYTES`."""
    length = request.content_length
    if length is not None and length > MAX_PAYLOAD_BYTES:
        return None
    body = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > MAX_PAYLOAD_BYTES:
            return None
    return bytes(body)


def _incident_id(text: str) -> int:
    token = text.strip().upper().removeprefix("INC-")
    if not token.isdigit() or not token.isascii() or len(token) > 12:
        raise CommandError("incident: use ?incident=INC-N")
    return int(token)


def hook_handler(
    service: Callable[[], Service], token: str | None
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The handler of both routes. ``service``: the operations on the server's store."""

    async def handle(request: web.Request) -> web.Response:
        source = request.path.rsplit("/", 1)[-1]
        if not authorized(request.headers.get("Authorization"), token):
            log.info("hook %s refused: no valid Bearer token", source)
            return _answer(401, "a valid Authorization: Bearer token is needed")
        body = await _read_bounded(request)
        if body is None:
            return _answer(413, f"a payload is at most {MAX_PAYLOAD_BYTES // 1024 // 1024} MiB")
        query = request.query
        try:
            group = parse_alerts(source, body)
            ops = service()
            declared: bool | None = None
            if query.get("declare") in ("1", "true", "yes"):
                if "incident" in query:
                    raise CommandError("give incident= or declare=1, not both")
                sev = query.get("sev", "")
                if not sev.isdigit() or not sev.isascii() or len(sev) > 2:
                    raise CommandError("declare=1 needs sev=N (a severity number)")
                done = ops.declare_from_alerts(group, severity=int(sev), author=source)
                incident, added, declared = done.incident, len(done.entries), done.declared
            else:
                incident_id = _incident_id(query.get("incident", ""))
                entries = ops.ingest_alerts(incident_id, group)
                found = ops.store.incident(incident_id)
                assert found is not None
                incident, added = found, len(entries)
        except DatabaseError as exc:
            log.error("hook %s: database: %s", source, exc)
            return _answer(503, "the database is busy; send again")
        except WarroomError as exc:
            return _answer(400, str(exc).splitlines()[0][:300])
        first = first_start(group.alerts)
        extra: dict[str, object] = {"incident": incident.ref, "added": added}
        if declared is not None:
            extra["declared"] = declared
        if earlier_than(first, incident.milestones.impact_started_at):
            extra["first_alert_started"] = first
        if group.truncated:
            extra["truncated_alerts"] = group.truncated
        log.info("hook %s: %s, %d alert(s), %d new", source, incident.ref, len(group.alerts), added)
        return _answer(200, f"{incident.ref}: {added} new", **extra)

    return handle


__all__ = ["PATHS", "authorized", "hook_handler"]
