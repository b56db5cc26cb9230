"""The record for people and other tools: the incident's JSON (``warroom.incident/1``)
and follow-ups CSV/JSON (:mod:`.incident`), the post-incident review in Markdown and
its meeting invitation in iCalendar (:mod:`.review`). Read-only: nothing here writes
the database.
"""
