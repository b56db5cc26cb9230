"""How much of each entry's text a timeline line shows, at 80, 120 and 160 columns.

Target (issue 9): at least 50 characters of entry text per line at 80x24 and
at least 90 at 120 columns.

The real console runs under Pilot on the demo incident at 80x24, 120x30 and
160x48. Four long entries are typed into the scribe line as a scribe would:
a note after the scribe's own line (the common case: the author is not
repeated), a note by someone else (named as ``@author``), a ``/decision``, and
a backdated ``/at`` note. For each, the characters of its text that the screen
shows on its line are counted (the longest start of the text found on one row
of the terminal's text).

    python benchmarks/measure_line_text.py

It prints a table and a PASS/FAIL line, and exits 0 either way. It measures
characters, not time: the numbers are the same on any machine.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from console_support import demo_app, screen_text, type_line  # noqa: E402

SIZES = [(80, 24), (120, 30), (160, 48)]
TARGETS = {80: 50, 120: 90}
WORDS = [f"w{n:02d}" for n in range(80)]


def text_for(tag: str) -> str:
    return f"{tag} " + " ".join(WORDS)


def shown(rows: list[str], text: str) -> int:
    best = 0
    for row in rows:
        if text[:6] not in row:
            continue
        count = 6
        while count < len(text) and text[: count + 1] in row:
            count += 1
        best = max(best, count)
    return best


async def measure(size: tuple[int, int]) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as folder:
        app = demo_app(Path(folder) / "w.db")
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await type_line(pilot, "warm-up: the scribe's own line")
            lines = {
                "note (same author)": ("nsame", "{}"),
                "note (author changes)": ("nother", None),
                "/decision": ("ndecide", "/decision {}"),
                "/at (backdated)": ("nbackd", "/at 22:30 {}"),
            }
            found = {}
            for name, (tag, template) in lines.items():
                text = text_for(tag)
                if template is None:
                    app.service.note(1, "dan", text)  # another console's writer
                    app.screen.reload(others_changed=True)
                    await pilot.pause()
                else:
                    await type_line(pilot, template.format(text))
                found[name] = shown(screen_text(app).splitlines(), text)
                if template is None:  # back to the scribe, so the next note is "same author"
                    await type_line(pilot, "carol again")
            return found


async def main() -> None:
    results = {size: await measure(size) for size in SIZES}
    names = list(next(iter(results.values())))
    print("characters of entry text shown on its timeline line")
    print(f"{'':24}" + "".join(f"{w}x{h:<7}" for w, h in SIZES))
    for name in names:
        print(f"{name:24}" + "".join(f"{results[size][name]:<10}" for size in SIZES))
    ok = all(results[size]["note (same author)"] >= TARGETS[size[0]] for size in SIZES[:2])
    verdict = "PASS" if ok else "FAIL"
    print(
        f"{verdict}: a note shows {results[SIZES[0]]['note (same author)']} characters at 80"
        f" columns (target >= 50) and {results[SIZES[1]]['note (same author)']} at 120 (>= 90)"
    )


if __name__ == "__main__":
    asyncio.run(main())
