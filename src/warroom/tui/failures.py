"""Keep the console up when something fails: one line on the screen, the traceback in the log.

Textual ends the whole app when a handler raises (and the message loop of the
widget that raised stops for good, so carrying on is not an option once it
has). So each way in that runs an operation (a key binding, a palette command,
the scribe line, a screen closing, a timer) catches what it raises here:
:meth:`WarroomApp.report_failure` shows one line and writes the traceback to
the log file.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from warroom.errors import WarroomError

if TYPE_CHECKING:
    from textual.dom import DOMNode

F = TypeVar("F", bound=Callable[..., Any])


def guarded(doing: str) -> Callable[[F], F]:
    """Decorate a (synchronous) method of a widget, screen or the app: a
    :class:`WarroomError` it raises becomes an error line, anything else is
    reported as an internal error. ``doing`` names it in the log."""

    def decorate(method: F) -> F:
        @functools.wraps(method)
        def wrapper(node: DOMNode, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(node, *args, **kwargs)
            except WarroomError as exc:
                node.app.notify(str(exc), severity="error")
            except Exception as exc:
                report = getattr(node.app, "report_failure", None)
                if report is None:
                    raise
                report(exc, doing)
            return None

        return cast(F, wrapper)

    return decorate
