"""One console process per browser tab: textual-serve's ``AppService``, made safe.

Upstream (textual-serve 1.1.3) starts the command through ``/bin/sh -c`` (a
name with a quote in it would be shell syntax), waits for ever in ``stop()``
when the app does not quit, leaves the page blank when the console dies
before Textual starts, and passes any URL the app opens to ``window.open``
(a ``javascript:`` URL would run as our origin, signed in). This subclass
execs an argument list, can be killed, closes the page whenever the process
is gone, and lets only http(s) URLs through.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
from importlib.metadata import version
from urllib.parse import urlsplit

from textual_serve.app_service import AppService

log = logging.getLogger("warroom.serve")

#: How long a console gets to quit on its own before it is killed.
QUIT_GRACE_SECONDS = 3.0


def console_environment(width: int = 80, height: int = 24) -> dict[str, str]:
    """The environment of a console process: the server's, with textual-serve's
    driver settings, without the secrets a console has no use for."""
    env = dict(os.environ)
    env.update(
        {
            "TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver",
            "TEXTUAL_FPS": "60",
            "TEXTUAL_COLOR_SYSTEM": "truecolor",
            "TERM_PROGRAM": "textual",
            "TERM_PROGRAM_VERSION": version("textual-serve"),
            "COLUMNS": str(width),
            "ROWS": str(height),
        }
    )
    env.pop("WARROOM_HOOK_TOKEN", None)
    return env


async def start_spare() -> asyncio.subprocess.Process:
    """A console that has imported everything and waits to learn whose it is
    (:mod:`warroom.serve.spare`)."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "warroom.serve.spare",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=console_environment(),
        start_new_session=True,  # ctrl+c in the server's terminal is the server's
    )


class ConsoleProcess(AppService):
    """A console subprocess speaking textual-serve's protocol, started from argv
    (``[python, -m, warroom, ARGS...]``), or a spare process told ``ARGS``."""

    def __init__(
        self,
        argv: list[str],
        extra_env: dict[str, str],
        spare: asyncio.subprocess.Process | None = None,
        **kwargs,
    ) -> None:
        super().__init__(argv[0], **kwargs)  # .command: logs only, never a shell
        self.argv = argv
        self.extra_env = extra_env
        self.spare = spare
        self._painted = False
        self._held_size: tuple[int, int] | None = None
        #: The size the console has (started with, or last told).
        self._size: tuple[int, int] | None = None
        #: Set when the console has sent its first frame.
        self.first_frame = asyncio.Event()

    async def _open_app_process(self, width: int = 80, height: int = 24):  # type: ignore[override]
        self._size = (width, height)
        spare = self.spare
        if spare is not None and spare.returncode is None and spare.stdin is not None:
            env = {**self.extra_env, "COLUMNS": str(width), "ROWS": str(height)}
            line = json.dumps({"args": self.argv[3:], "env": env}) + "\n"
            spare.stdin.write(line.encode("utf-8"))
            try:
                await spare.stdin.drain()
            except (ConnectionError, RuntimeError):
                spare = None
            else:
                self._process = spare
                self._stdin = spare.stdin
                return spare
        env = console_environment(width, height)
        env.update(self.extra_env)
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            start_new_session=True,  # ctrl+c in the server's terminal is the server's
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def set_terminal_size(self, width: int, height: int) -> None:
        """Hold a resize until the first frame: one that reaches the console
        before Textual applies its initial size is overwritten by it, and the
        app then draws at the wrong size (a blank page)."""
        if not self._painted:
            self._held_size = (width, height)
        elif (width, height) != self._size:
            # Not the same size again: the page sends it twice on connecting,
            # and each would cost the console a layout and a partial repaint.
            self._size = (width, height)
            await super().set_terminal_size(width, height)

    async def on_data(self, payload: bytes) -> None:
        await super().on_data(payload)
        if not self._painted and len(payload) > 100:
            self._painted = True
            self.first_frame.set()
            if self._held_size is not None:
                await self.set_terminal_size(*self._held_size)

    async def on_meta(self, data: bytes) -> None:
        try:
            meta = json.loads(data)
        except ValueError:
            return
        kind = meta.get("type") if isinstance(meta, dict) else None
        if kind == "open_url":
            scheme = urlsplit(str(meta.get("url", ""))).scheme.lower()
            if scheme not in ("http", "https"):
                log.warning("a console asked to open a %r URL: refused", scheme[:20])
                return
        elif kind == "deliver_file_start":
            # No /download route: the console writes its files beside the database.
            log.warning("a console offered a download: not served")
            return
        await super().on_meta(data)

    async def run(self) -> None:
        """Close the page whenever the process is gone (upstream only does on
        the app's own "exit" packet, so a console that failed to start left a
        blank page with its socket open)."""
        try:
            await super().run()
        finally:
            if self._process is not None:
                await self._process.wait()
            with contextlib.suppress(Exception):  # the socket may be gone already
                await self.remote_close()

    def kill(self) -> None:
        """SIGKILL: every committed entry is safe (WAL); nothing more is written."""
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()

    async def stop(self) -> None:
        """Ask the console to quit; kill it if it has not within a few seconds."""
        task = self._task
        if task is None:
            return
        self._task = None
        await self.send_meta({"type": "quit"})
        try:
            await asyncio.wait_for(asyncio.shield(task), QUIT_GRACE_SECONDS)
        except TimeoutError:
            self.kill()
            await task
        if self._process is not None:
            await self._process.wait()
