"""The only package that speaks SQL.

``store`` opens a database safely (one connection per process, WAL,
``synchronous=FULL``, ``BEGIN IMMEDIATE`` writes) and reads it;
``migrations`` brings an older file up to date; ``incidents`` writes incident
state and timeline entries inside the service's transaction; ``outbox`` is the
durable queue of Slack and email messages. Everything else asks these modules
and never builds a query (``grep -rnE '\\b(SELECT|INSERT|UPDATE|DELETE)\\b'
src/warroom`` finds SQL only here).
"""

from warroom.db.migrations import SCHEMA_VERSION
from warroom.db.store import Store

__all__ = ["SCHEMA_VERSION", "Store", "open_store"]


def open_store(path: str, *, read_only: bool = False) -> Store:
    """A :class:`Store` on ``path`` (``read_only``: never creates or migrates the file)."""
    return Store(path, read_only=read_only)
