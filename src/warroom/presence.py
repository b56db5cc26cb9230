"""Who has a console open on this incident right now (browser or terminal).

Each console keeps one row about itself (:mod:`warroom.db.people`) and, once a second,
reads who else is here. Arriving and leaving are seen by the others at their
next read; a console killed with ``kill -9`` leaves its row behind, and the
first reader to find its process gone (pid and start time, on this host)
clears it. Nothing here may stop a console: a failure leaves the list as it
was.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime

from warroom.db import people as db_people
from warroom.db.people import Here
from warroom.db.store import Store
from warroom.errors import WarroomError


def console_guards(store: Store, *, watch: bool, now: Callable[[], datetime]) -> str:
    """Set up a console's store for who runs it; returns how it is reached.

    ``--watch``: SQLite refuses every write (the UI offers none either). A
    console that ``serve`` started (``WARROOM_SERVE_SESSION``) checks, inside
    each write transaction, that its session still exists: a person removed
    while typing cannot write even before the server ends the console."""
    session = os.environ.get("WARROOM_SERVE_SESSION")
    if watch:
        db_people.make_read_only(store)
    elif session:
        store.write_guard = db_people.session_guard(session, now)
    return "browser" if session else "terminal"


class Presence:
    def __init__(
        self, store: Store, name: str, *, via: str, watch: bool, now: Callable[[], datetime]
    ) -> None:
        self.store = store
        self.name = name
        self.via = via
        self.watch = watch
        self.now = now
        self.incident_id: int | None = None
        self._key: tuple[int, str] | None = None

    def show(self, incident_id: int | None) -> None:
        """This console is now on ``incident_id`` (None: the start screen)."""
        if self._key is not None and incident_id == self.incident_id:
            return
        try:
            self._key = db_people.set_presence(
                self.store,
                name=self.name,
                incident_id=incident_id,
                via=self.via,
                watch=self.watch,
                now=self.now(),
            )
        except WarroomError:
            return  # tried again at the next read
        self.incident_id = incident_id

    def here(self, incident_id: int) -> list[Here] | None:
        """Who is on ``incident_id`` now (None if it cannot be read just now)."""
        try:
            found, dead = db_people.who_is_here(self.store, incident_id)
            if dead:
                db_people.clear_presence(self.store, dead)
        except WarroomError:
            return None
        return found

    def leave(self) -> None:
        if self._key is None:
            return
        with suppress(WarroomError):  # a row left behind: the next reader clears it
            db_people.clear_presence(self.store, [self._key])
        self._key = None


def here_text(here: list[Here], *, limit: int = 400) -> str:
    """``alice, bob (watching)``: each name once, in the order they arrived."""
    names: list[str] = []
    for who in here:
        label = f"{who.name} (watching)" if who.watch else who.name
        if label not in names:
            names.append(label)
    text = ", ".join(names)
    return text if len(text) <= limit else text[: limit - 1] + "…"
