"""The README's SSH forced command, against a real sshd on loopback.

Runs only where OpenSSH's server is installed (``apt-get install openssh-server``);
it is not needed for anything else, so elsewhere it is skipped, saying why.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import shutil
import sqlite3
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from serve_browser import free_port

SSHD = Path("/usr/sbin/sshd")
pytestmark = pytest.mark.skipif(
    not SSHD.exists() or shutil.which("ssh") is None or os.geteuid() != 0,
    reason="needs OpenSSH's sshd and ssh, as root (apt-get install openssh-server)",
)


SSH = [
    "ssh",
    "-tt",
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
]


class SshConsole:
    """``ssh -tt`` in a pseudo-terminal: a person at their laptop."""

    def __init__(self, port: int, key: Path, *remote: str) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        self.proc = subprocess.Popen(
            [*SSH, "-p", str(port), "-i", str(key), "root@127.0.0.1", *remote],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=dict(os.environ, TERM="xterm-256color"),
            start_new_session=True,
        )
        os.close(slave)
        self.master = master
        self.output = bytearray()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        try:
            while chunk := os.read(self.master, 65536):
                self.output += chunk
        except OSError:
            pass

    def type(self, text: str) -> None:
        for char in text:
            os.write(self.master, char.encode())
            time.sleep(0.01)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


def wait_for(predicate, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


def test_the_forced_command_opens_each_persons_own_console(tmp_path):
    db = tmp_path / "w.db"
    warroom = [sys.executable, "-m", "warroom", "--db", str(db)]
    subprocess.run([*warroom, "declare", "--sev", "2", "--title", "SSH drill"], check=True)
    for name in ("host", "alice", "boss"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / name)],
            check=True,
        )
    # What README tells a team to put in the service account's authorized_keys.
    console = f"{sys.executable} -m warroom --db {db}"
    (tmp_path / "authorized_keys").write_text(
        f'command="{console} --as alice",restrict,pty {(tmp_path / "alice.pub").read_text()}'
        f'command="{console} --as boss --watch",restrict,pty {(tmp_path / "boss.pub").read_text()}'
    )
    port = free_port()
    (tmp_path / "sshd_config").write_text(
        f"ListenAddress 127.0.0.1\nPort {port}\nHostKey {tmp_path / 'host'}\n"
        f"AuthorizedKeysFile {tmp_path / 'authorized_keys'}\nPidFile {tmp_path / 'sshd.pid'}\n"
        "UsePAM no\nStrictModes no\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)
    sshd = subprocess.Popen(
        [str(SSHD), "-D", "-f", str(tmp_path / "sshd_config"), "-E", str(tmp_path / "sshd.log")]
    )
    people: list[SshConsole] = []
    try:
        wait_for(lambda: "listening" in _read(tmp_path / "sshd.log"), "sshd listening")
        # alice asks for a shell command: the forced command opens her console instead.
        alice = SshConsole(port, tmp_path / "alice", "cat", "/etc/shadow")
        people.append(alice)
        boss = SshConsole(port, tmp_path / "boss")
        people.append(boss)
        wait_for(lambda: {"alice", "boss"} <= set(_here(db)), "both consoles in presence")
        assert _here(db)["boss"] == (1, "terminal")
        wait_for(lambda: b"SSH drill" in alice.output, "alice's console on screen")
        alice.type("restarted the worker over ssh\r")
        boss.type("boss types too\r")
        entries = wait_for(
            lambda: [e for e in _timeline(warroom) if e["author"] in ("alice", "boss")],
            "alice's note",
        )
        time.sleep(1.0)  # boss's Enter has long arrived too
        entries = [e for e in _timeline(warroom) if e["author"] in ("alice", "boss")]
        assert [(e["author"], e["text"]) for e in entries] == [
            ("alice", "restarted the worker over ssh")
        ]
        assert b"root:" not in alice.output  # /etc/shadow was never run
    finally:
        for person in people:
            person.close()
        sshd.terminate()
        sshd.wait(10)


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def _here(db: Path) -> dict[str, tuple[int, str]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT name, watch, via FROM presence").fetchall()
    except sqlite3.OperationalError:
        return {}
    finally:
        conn.close()
    return {name: (watch, via) for name, watch, via in rows}


def _timeline(warroom: list[str]) -> list[dict]:
    done = subprocess.run(
        [*warroom, "export", "1", "--format", "json"], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)["timeline"]
