"""Where the stylesheets are: inside the wheel, or at the top of a source checkout."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve()


def stylesheet(name: str) -> Path:
    packaged = _HERE.parents[1] / "styles" / name
    if packaged.exists():
        return packaged
    return _HERE.parents[3] / "styles" / name


MODALS = stylesheet("modals.tcss")
