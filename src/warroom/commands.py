"""The scribe line: a plain note, or a slash command, parsed into an operation.

Pure Python over :class:`~warroom.service.Service`: the console calls
:func:`run_line` on Enter; tests call it directly. A line that is not understood
raises :class:`CommandError` and nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from warroom.clock import parse_time
from warroom.domain.models import ChecklistItem, Entry
from warroom.errors import CommandError
from warroom.service import Service


@dataclass(frozen=True)
class LineResult:
    """What a line did: the entries it wrote, and anything the UI should open.

    (Not :data:`warroom.comms.outcome.Outcome`, what Slack or SMTP answered.)"""

    entries: list[Entry] = field(default_factory=list)
    open_screen: str | None = None  # "update", "help" or "entry"
    #: With ``open_screen == "entry"``: the entry to show whole.
    entry: Entry | None = None
    #: An answer for the line under the input (``/bridge`` says the link).
    message: str | None = None
    #: How the answer is shown: "information" or "warning" (worth a second look).
    severity: str = "information"
    #: Text to put on the clipboard (the bridge link, to paste into a chat).
    clipboard: str | None = None
    #: A command that asks before it acts (``/close``): its name, when this line
    #: asked. The same command as the very next line confirms it (see
    #: :func:`run_line`'s ``confirming``); any other line drops the question.
    asks: str | None = None


Handler = Callable[[Service, int, str, str], LineResult]


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    summary: str
    handler: Handler
    #: For a command that cannot be undone: what runs instead the first time,
    #: checking and explaining without writing (an LineResult with ``asks`` set).
    ask: Handler | None = None


def _wrote(result: Entry | list[Entry]) -> LineResult:
    return LineResult(entries=result if isinstance(result, list) else [result])


def _needs_text(arg: str, usage: str) -> str:
    if not arg.strip():
        raise CommandError(f"usage: {usage}")
    return arg


def _int_arg(arg: str, usage: str) -> int:
    token = arg.strip()
    if not re.fullmatch(r"[0-9]{1,9}", token):
        raise CommandError(f"usage: {usage}")
    return int(token)


def _kind(kind: str, usage: str) -> Handler:
    return lambda ops, inc, who, arg: _wrote(ops.note(inc, who, _needs_text(arg, usage), kind=kind))


def _role(role: str, usage: str) -> Handler:
    return lambda ops, inc, who, arg: _wrote(ops.set_role(inc, who, role, _needs_text(arg, usage)))


def _eng(ops: Service, inc: int, who: str, arg: str) -> LineResult:
    name = _needs_text(arg, "/eng NAME  or  /eng -NAME").strip()
    if name.startswith("-"):
        return _wrote(ops.remove_engineer(inc, who, name[1:]))
    return _wrote(ops.add_engineer(inc, who, name))


def _sev(ops: Service, inc: int, who: str, arg: str) -> LineResult:
    token = arg.strip().upper().removeprefix("SEV-").removeprefix("SEV")
    return _wrote(ops.set_severity(inc, who, _int_arg(token, "/sev N")))


def _on_off(arg: str, usage: str) -> bool:
    value = arg.strip().lower()
    if value not in ("on", "off"):
        raise CommandError(f"usage: {usage}")
    return value == "on"


#: How far back a full date may reach: an incident's milestones and notes are
#: from days or weeks ago, never from year 1 (where date arithmetic overflows).
EARLIEST_DAYS = 366
#: How far ahead a follow-up may be due, and how far back (recorded late).
DUE_AHEAD_DAYS = 3660
DUE_BEHIND_DAYS = 366


def _earlier_time(ops: Service, token: str) -> datetime:
    """``HH:MM`` (UTC; the most recent such time, so yesterday if later than now)
    or a full ``YYYY-MM-DDTHH:MM`` no more than a year ago."""
    if match := re.fullmatch(r"([0-9]{1,2}):([0-9]{2})", token):
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 23 or minute > 59:
            raise CommandError(f"{token} is not a time of day (UTC)")
        now = ops.clock.now()
        when = now.replace(hour=hour, minute=minute, second=0)
        return when - timedelta(days=1) if when > now else when
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?Z?", token):
        try:
            when = datetime.fromisoformat(token.removesuffix("Z")).replace(tzinfo=UTC)
        except ValueError:
            pass
        else:
            if when < ops.clock.now() - timedelta(days=EARLIEST_DAYS):
                raise CommandError(f"{token} is more than a year ago: check the date")
            return when
    raise CommandError(f"{token!r} is not a time: use HH:MM or YYYY-MM-DDTHH:MM (UTC)")


def _at(ops: Service, inc: int, who: str, arg: str) -> LineResult:
    """A note that happened earlier. One from before impact started (the
    declaration, until corrected) is kept as typed, and the answer says how
    to move the start: the review's figures count from it."""
    match = re.fullmatch(r"\s*([0-9]{1,2}:[0-9]{2}) (.*)", arg, re.DOTALL)
    if not match or not match.group(2).strip():
        raise CommandError("usage: /at HH:MM TEXT")
    when = _earlier_time(ops, match.group(1))
    entry = ops.note(inc, who, match.group(2), occurred_at=when)
    incident = ops.store.incident(inc)
    start = (incident.milestones.impact_started_at or incident.declared_at) if incident else None
    if start is None or parse_time(start) <= when:
        return _wrote(entry)
    hhmm = f"{when:%H:%M}"
    return LineResult(
        entries=[entry],
        message=f"#{entry.seq} at {hhmm} is before impact started ({start[11:16]}):"
        f" if impact began then, /milestone impact_started {hhmm} REASON moves the start",
        severity="warning",
    )


def _milestone(ops: Service, inc: int, who: str, arg: str) -> LineResult:
    usage = "/milestone impact_started|detected|mitigated|resolved HH:MM REASON"
    which, _, rest = arg.strip().partition(" ")
    token, _, reason = rest.strip().partition(" ")
    if not which or not token or not reason.strip():
        raise CommandError(f"usage: {usage}")
    return _wrote(ops.correct_milestone(inc, who, which, _earlier_time(ops, token), reason))


def _parse_due(token: str | None, today: date, default_days: int) -> str:
    """A follow-up's due date: the playbook's default, ``+Nd`` or a date, within
    ten years ahead and one behind (a later export adds days to it)."""
    if token is None:
        days = min(default_days, DUE_AHEAD_DAYS)  # the playbook's value, kept in range
        return (today + timedelta(days=days)).isoformat()
    if match := re.fullmatch(r"\+([0-9]{1,4})d", token):
        days = int(match.group(1))
        if days > DUE_AHEAD_DAYS:
            raise CommandError(f"due:{token} is more than ten years away")
        return (today + timedelta(days=days)).isoformat()
    try:
        due = date.fromisoformat(token) if len(token) == 10 else None
    except ValueError:
        due = None
    if due is None:
        return _bad_due(token)
    if due > today + timedelta(days=DUE_AHEAD_DAYS):
        raise CommandError(f"due:{token} is more than ten years away")
    if due < today - timedelta(days=DUE_BEHIND_DAYS):
        raise CommandError(f"due:{token} is more than a year ago: check the date")
    return due.isoformat()


def _bad_due(token: str) -> str:
    raise CommandError(f"due:{token} is not a date: use due:YYYY-MM-DD or due:+Nd")


def _fu(ops: Service, inc: int, who: str, arg: str) -> LineResult:
    usage = "/fu TEXT @OWNER [due:YYYY-MM-DD|due:+Nd]"
    words = arg.rstrip().split(" ")
    due_token = None
    if words and words[-1].startswith("due:"):
        due_token = words.pop()[4:]
    if not "".join(words).strip():
        raise CommandError(f"usage: {usage}")
    if not words[-1].startswith("@"):
        raise CommandError(f"the @OWNER is missing (after the text): {usage}")
    if len(words[-1]) < 2:
        raise CommandError(f"@ needs a name after it: {usage}")
    owner = words.pop()[1:]
    text = " ".join(words)
    if not text.strip():
        raise CommandError(f"the follow-up needs text before @{owner}: {usage}")
    due = _parse_due(due_token, ops.clock.now().date(), ops.playbook.followup_due_days)
    return _wrote(ops.add_followup(inc, who, text, owner, due))


def _snooze(ops: Service, inc: int, who: str, arg: str) -> LineResult:
    usage = "/snooze MINUTES REASON"
    minutes, _, reason = arg.strip().partition(" ")
    return _wrote(ops.snooze(inc, who, _int_arg(minutes, usage), _needs_text(reason, usage)))


def _no_arg(usage: str, call: Callable[[Service, int, str], Entry]) -> Handler:
    def handler(ops: Service, inc: int, who: str, arg: str) -> LineResult:
        if arg.strip():
            raise CommandError(f"usage: {usage}")
        return _wrote(call(ops, inc, who))

    return handler


def _screen(name: str, usage: str) -> Handler:
    def handler(ops: Service, inc: int, who: str, arg: str) -> LineResult:
        if arg.strip():
            raise CommandError(f"usage: {usage}")
        return LineResult(open_screen=name)

    return handler


def _bridge(ops: Service, inc: int, who: str, arg: str) -> LineResult:
    """``/bridge URL`` sets the link; ``/bridge`` alone answers with it, whole
    (the header has no room for it) and on the clipboard. Writes nothing."""
    if arg.strip():
        return _wrote(ops.set_bridge(inc, who, arg))
    incident = ops.store.incident(inc)
    link = incident.bridge if incident is not None else None
    if not link:
        return LineResult(message="no bridge link yet: /bridge URL sets it")
    return LineResult(message=f"bridge link (copied to the clipboard): {link}", clipboard=link)


def _title(ops: Service, inc: int, who: str, arg: str) -> LineResult:
    return _wrote(ops.set_title(inc, who, _needs_text(arg, "/title TEXT")))


def _impact(ops: Service, inc: int, who: str, arg: str) -> LineResult:
    return _wrote(ops.set_impact(inc, who, _needs_text(arg, "/impact TEXT")))


#: How the console pushes follow-ups (tui/keys.py's f3 and its push key; a test
#: keeps the two in step: this layer may not import the console's).
PUSH_HINT = "f3 then p"


def _ask_close(ops: Service, inc: int, who: str, arg: str) -> LineResult:
    """The first ``/close``: check, write nothing, and say what a second one does.

    Only ``/close`` again confirms, never a one-letter "y": at call speed a
    line meant for the timeline must not be able to finish the record.
    """
    if arg.strip():
        raise CommandError("usage: /close")
    incident = ops.check_close(inc)
    unpushed = ops.unpushed_followups(inc)
    if unpushed:
        some = "1 follow-up is" if unpushed == 1 else f"{unpushed} follow-ups are"
        return LineResult(
            message=f"{some} not in the tracker: press {PUSH_HINT},"
            f" or /close again to close {incident.ref} anyway (anything else cancels)",
            severity="warning",
            asks="close",
        )
    return LineResult(
        message=f"/close again to confirm: {incident.ref} becomes final and read-only"
        " for everyone (anything else cancels)",
        severity="warning",
        asks="close",
    )


def _show(ops: Service, inc: int, who: str, arg: str) -> LineResult:
    seq = _int_arg(arg.lstrip("#"), "/show N")
    entry = ops.store.entry(inc, seq)
    if entry is None:
        raise CommandError(f"no entry #{seq} in INC-{inc}")
    return LineResult(open_screen="entry", entry=entry)


COMMANDS: dict[str, Command] = {
    c.name: c
    for c in [
        Command(
            "decision",
            "/decision TEXT",
            "record a decision",
            _kind("decision", "/decision TEXT"),
        ),
        Command(
            "action",
            "/action TEXT",
            "record an action taken",
            _kind("action", "/action TEXT"),
        ),
        Command("sev", "/sev N", "change severity (the countdown shortens if need be)", _sev),
        Command(
            "ic",
            "/ic NAME",
            "assign the Incident Commander",
            _role("incident_commander", "/ic NAME"),
        ),
        Command(
            "comms",
            "/comms NAME",
            "assign the Communications Lead",
            _role("communications_lead", "/comms NAME"),
        ),
        Command(
            "scribe",
            "/scribe NAME",
            "assign the Scribe",
            _role("scribe", "/scribe NAME"),
        ),
        Command("eng", "/eng NAME | /eng -NAME", "add or remove a response engineer", _eng),
        Command(
            "stage",
            "/stage detect|triage|mitigate|restore|review",
            "move the workflow stage",
            lambda ops, inc, who, arg: _wrote(
                ops.set_stage(inc, who, _needs_text(arg, "/stage STAGE"))
            ),
        ),
        Command(
            "check",
            "/check N",
            "tick checklist item N",
            lambda ops, inc, who, arg: _wrote(
                ops.set_check(inc, who, _int_arg(arg, "/check N"), True)
            ),
        ),
        Command(
            "uncheck",
            "/uncheck N",
            "untick checklist item N",
            lambda ops, inc, who, arg: _wrote(
                ops.set_check(inc, who, _int_arg(arg, "/uncheck N"), False)
            ),
        ),
        Command(
            "freeze",
            "/freeze on|off",
            "deployments frozen, or not",
            lambda ops, inc, who, arg: _wrote(
                ops.set_frozen(inc, who, _on_off(arg, "/freeze on|off"))
            ),
        ),
        Command(
            "bridge",
            "/bridge [URL]",
            "set the bridge call link; alone, show it whole and copy it",
            _bridge,
        ),
        Command(
            "update",
            "/update",
            "compose a stakeholder update (ctrl+u)",
            _screen("update", "/update"),
        ),
        Command("snooze", "/snooze MINUTES REASON", "push the update deadline back", _snooze),
        Command(
            "star",
            "/star N",
            "mark entry N as a key event",
            lambda ops, inc, who, arg: _wrote(
                ops.star(inc, who, _int_arg(arg.lstrip("#"), "/star N"))
            ),
        ),
        Command("at", "/at HH:MM TEXT", "a note that happened earlier (UTC)", _at),
        Command("fu", "/fu TEXT @OWNER [due:YYYY-MM-DD|due:+Nd]", "a follow-up action", _fu),
        Command(
            "milestone",
            "/milestone impact_started|detected|mitigated|resolved HH:MM REASON",
            "correct when a milestone happened (logged with the reason)",
            _milestone,
        ),
        Command(
            "resolve",
            "/resolve",
            "impact is over: stops the countdown",
            _no_arg("/resolve", Service.resolve),
        ),
        Command(
            "reopen",
            "/reopen",
            "impact is back: restarts the countdown",
            _no_arg("/reopen", Service.reopen),
        ),
        Command(
            "close",
            "/close",
            "after the review: the record is final and read-only (asks once: /close again)",
            _no_arg("/close", Service.close),
            ask=_ask_close,
        ),
        Command(
            "undo",
            "/undo",
            "strike your last entry (it stays, struck through)",
            _no_arg("/undo", Service.undo),
        ),
        Command(
            "title", "/title TEXT", "correct the title (logged old → new; Slack follows)", _title
        ),
        Command(
            "impact",
            "/impact TEXT",
            "correct the impact statement (logged old → new; Slack follows)",
            _impact,
        ),
        Command("show", "/show N", "the whole of entry N (a long note, a pasted trace)", _show),
        Command("help", "/help", "every key and command (f1)", _screen("help", "/help")),
    ]
}


def run_line(
    ops: Service, incident_id: int, author: str, line: str, *, confirming: str | None = None
) -> LineResult:
    """Do what one scribe line says. Blank lines do nothing.

    A line starting ``//`` is a note that starts with one ``/`` (for paths and
    the like); any other leading ``/`` is a command.

    A command that asks first (``/close``) only asks, writing nothing, unless
    ``confirming`` names it: the caller passes the ``asks`` of the line
    before, so the same command twice in a row acts.
    """
    if not line.strip():
        return LineResult()
    if line.startswith("//"):
        return _wrote(ops.note(incident_id, author, line[1:]))
    if not line.startswith("/"):
        return _wrote(ops.note(incident_id, author, line))
    name, _, arg = line[1:].partition(" ")
    command = COMMANDS.get(name.lower())
    if command is None:
        shown = name if len(name) <= 20 else name[:20] + "…"
        raise CommandError(
            f"unknown command /{shown!s}: /help lists them (start a note with // to log a slash)"
        )
    if command.ask is not None and confirming != command.name:
        return command.ask(ops, incident_id, author, arg)
    return command.handler(ops, incident_id, author, arg)


def command_name(line: str) -> str | None:
    """The command a scribe line names (``close`` for ``/close``), or None for a note."""
    if not line.startswith("/") or line.startswith("//"):
        return None
    return line[1:].partition(" ")[0].lower()


def completions(prefix: str, names: list[str], items: Sequence[ChecklistItem] = ()) -> list[str]:
    """What Tab may complete the scribe line to: commands, checklist items
    (after ``/check `` and ``/uncheck ``), then names in the incident."""
    if prefix.startswith("/") and " " not in prefix:
        return [f"/{name} " for name in COMMANDS if f"/{name}".startswith(prefix.lower())]
    if match := _ITEM_COMMAND.fullmatch(prefix):
        return _item_completions(match.group(1).lower(), match.group(2), items)
    head, _, word = prefix.rpartition(" ")
    lead = "-" if word.startswith("-") else "@" if word.startswith("@") else ""
    stem = word[len(lead) :]
    if not stem:
        return []
    base = f"{head} " if head else ""
    return [f"{base}{lead}{n}" for n in names if n.lower().startswith(stem.lower()) and n != stem]


_ITEM_COMMAND = re.compile(r"/(check|uncheck) +(.*)", re.IGNORECASE | re.DOTALL)


def _item_completions(command: str, typed: str, items: Sequence[ChecklistItem]) -> list[str]:
    """``/check N`` for each item ``/check`` can take (those not ticked; for
    ``/uncheck``, those ticked) whose number starts with what was typed, or
    whose label contains it: ``/check cap`` finds "Capture query plans"."""
    wanted = typed.strip().casefold()
    found = []
    for item in items:
        if item.done != (command == "uncheck"):
            continue
        number = str(item.position)
        if number.startswith(wanted) or (not wanted.isdigit() and wanted in item.label.casefold()):
            found.append(f"/{command} {number}")
    return found


def describe_completion(
    option: str, items: Sequence[ChecklistItem], width: int | None = None
) -> str:
    """How a completion is listed: ``/check 7`` with its item's label (cut to
    ``width`` characters with …, for a list of several)."""
    if match := _ITEM_COMMAND.fullmatch(option):
        number = match.group(2).strip()
        for item in items:
            if str(item.position) == number:
                described = f"{option.strip()}  {item.label}"
                if width is not None and len(described) > width:
                    described = described[: width - 1] + "…"
                return described
    return option.strip()
