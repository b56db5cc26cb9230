"""What an incident is and how it changes, in plain Python.

Nothing here imports sqlite3, textual, httpx, click or pydantic (import-linter
holds it to that, see pyproject.toml): the same rules serve the console, the
command line, the exports and the tests, and load in no time.
"""
