"""The timeline filter's little language, parsed into the fields ``Store.search`` takes.

``deploy kind:decision author:carol starred`` finds Carol's starred decisions that
mention "deploy". ``@carol`` is short for ``author:carol`` and ``*`` for ``starred``.
"""

from __future__ import annotations

from dataclasses import dataclass

from warroom.errors import CommandError


@dataclass(frozen=True, slots=True)
class Filter:
    text: str | None = None
    kind: str | None = None
    author: str | None = None
    starred: bool | None = None

    @property
    def empty(self) -> bool:
        return self == Filter()

    def describe(self) -> str:
        parts = []
        if self.text:
            parts.append(f'"{self.text}"')
        if self.kind:
            parts.append(f"kind {self.kind}")
        if self.author:
            parts.append(f"by {self.author}")
        if self.starred:
            parts.append("starred")
        return ", ".join(parts) or "everything"


def parse_filter(query: str) -> Filter:
    words: list[str] = []
    kind = author = None
    starred = None
    for token in query.split():
        lowered = token.lower()
        if lowered.startswith("kind:"):
            kind = token[5:] or _missing("kind")
        elif lowered.startswith("author:"):
            author = token[7:] or _missing("author")
        elif token.startswith("@") and len(token) > 1:
            author = token[1:]
        elif lowered in ("starred", "*", "is:starred"):
            starred = True
        else:
            words.append(token)
    return Filter(" ".join(words) or None, kind, author, starred)


def _missing(what: str) -> str:
    raise CommandError(f"{what}: needs a value, e.g. {what}:decision")
