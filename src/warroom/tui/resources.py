"""Where the stylesheets are: inside the wheel, or at the top of a source checkout."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App

_HERE = Path(__file__).resolve()


def stylesheet(name: str) -> Path:
    packaged = _HERE.parents[1] / "styles" / name
    if packaged.exists():
        return packaged
    return _HERE.parents[3] / "styles" / name


MODALS = stylesheet("modals.tcss")
#: The console's panes that arrive after its first frame (see ConsoleScreen).
PANES = stylesheet("panes.tcss")


def add_stylesheet(app: App, path: Path) -> None:
    """Add the rules of ``path`` to the app's stylesheet, once, before the
    widgets they style are mounted.

    Parsing a stylesheet is paid for before the first frame that needs it (~4
    ms for the panes' rules): the console's first frame does without these.
    Added as a source, the file is parsed on its own when the rules are next
    looked up (what is already parsed stays), as a widget's default CSS is;
    nothing mounted before is restyled, so the rules must style only widgets
    that are not there yet. (A screen's ``CSS_PATH``, as the modal screens
    use, would parse every stylesheet again and restyle every widget.)
    """
    key = (str(path), "")
    if not app.stylesheet.has_source(*key):
        app.stylesheet.add_source(path.read_text(encoding="utf-8"), read_from=key)
