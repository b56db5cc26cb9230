"""``warroom serve``: the console in a browser for everyone on the call.

One host keeps the database; each signed-in person gets their own console
process on it (textual-serve's process-per-websocket), stamped with their own
name. Modules: :mod:`warroom.db.people` (all its SQL: people, tokens, sessions, presence),
:mod:`.auth` (origins, rate limits, cookies), :mod:`.process` (one console
process per browser tab), :mod:`.app` (the aiohttp front door) and
:mod:`.commands` (``serve`` and ``users`` on the command line).
"""
