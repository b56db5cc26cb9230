"""Errors a user can cause and fix: shown as one line, never as a traceback."""


class WarroomError(Exception):
    """A problem the user can act on. ``str()`` is the whole message."""


class DatabaseError(WarroomError):
    """The database cannot be used as it is (not ours, damaged, too new, locked)."""


class CommandError(WarroomError):
    """A scribe-line or CLI command that was not understood; nothing was written."""
