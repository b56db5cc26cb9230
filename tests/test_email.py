"""The client email: an .eml file beside the database, and SMTP through the outbox."""

from __future__ import annotations

import asyncio
import email
import socketserver
import stat
import threading
from email import policy

import pytest

from warroom.clock import FrozenClock
from warroom.comms.config import CommsConfig, SmtpSettings
from warroom.comms.delivery import Deliverer
from warroom.comms.email import build_email, outbox_folder, send_smtp
from warroom.comms.outcome import Delivered, Permanent, Transient
from warroom.db import outbox
from warroom.errors import CommandError, WarroomError
from warroom.service import Service


class SmtpServer:
    """Just enough SMTP (no TLS, no auth) on 127.0.0.1 to receive messages.

    ``reject`` makes DATA answer with that code and text instead of 250.
    """

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.reject: tuple[int, str] | None = None
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def say(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.say("220 localhost test SMTP")
                sender, recipients = "", []
                while line := self.rfile.readline():
                    command = line.decode().strip()
                    verb = command[:4].upper()
                    if verb in ("EHLO", "HELO"):
                        self.say("250 localhost")
                    elif verb == "MAIL":
                        sender, recipients = command[10:].strip("<> "), []
                        self.say("250 OK")
                    elif verb == "RCPT":
                        recipients.append(command[8:].strip("<> "))
                        self.say("250 OK")
                    elif verb == "DATA":
                        self.say("354 go on")
                        data = b""
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data += chunk
                        if server.reject:
                            self.say(f"{server.reject[0]} {server.reject[1]}")
                        else:
                            server.messages.append((sender, recipients, data))
                            self.say("250 queued")
                    elif verb == "QUIT":
                        self.say("221 bye")
                        return
                    else:
                        self.say("250 OK")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def __enter__(self) -> SmtpServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def smtp_config(port: int) -> CommsConfig:
    return CommsConfig(
        smtp=SmtpSettings.model_validate(
            {
                "host": "127.0.0.1",
                "port": port,
                "from": "ops@example.com",
                "to": ["client@example.com"],
                "starttls": False,
                "timeout": 2,
            }
        )
    )


def read_eml(path):
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def test_client_update_writes_a_private_eml(ops, incident, db_path, store):
    ops.record_update(
        incident.id,
        "bob",
        "We are on it.\nNext update soon.",
        audience="client",
        subject="AdvisorOS Incident Update - sync",
    )
    folder = outbox_folder(db_path)
    (path,) = folder.glob("*.eml")
    assert folder == db_path.parent / "warroom-outbox"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    message = read_eml(path)
    assert message["Subject"] == "AdvisorOS Incident Update - sync"
    assert message.get_content() == "We are on it.\nNext update soon.\n"
    assert message["X-Warroom-Incident"] == incident.ref
    assert [u.delivery for u in store.updates(incident.id)] == ["recorded"]
    assert outbox.messages(store) == []  # no SMTP: nothing to send


def test_default_subject_from_the_playbook(ops, incident, db_path):
    ops.record_update(incident.id, "bob", "body", audience="client")
    (path,) = outbox_folder(db_path).glob("*.eml")
    assert read_eml(path)["Subject"] == "AdvisorOS Incident Update - QuickBooks sync halted"


def test_subject_cannot_inject_headers(ops, incident, db_path):
    ops.record_update(
        incident.id, "bob", "body", audience="client", subject="Hello\r\nBcc: evil@example.com"
    )
    (path,) = outbox_folder(db_path).glob("*.eml")
    message = read_eml(path)
    assert message["Bcc"] is None
    assert message["Subject"] == "Hello Bcc: evil@example.com"


def test_no_eml_when_the_change_is_refused(ops, incident, db_path, store):
    with pytest.raises(CommandError):
        ops.record_update(incident.id, "bob", "body", audience="client", subject="  ")
    with pytest.raises(CommandError):
        ops.record_update(incident.id, "bob", "   ", audience="client", subject="s")
    with pytest.raises(CommandError):
        ops.record_update(incident.id + 1, "bob", "body", audience="client", subject="s")
    assert list(outbox_folder(db_path).glob("*.eml")) == []
    assert store.updates(incident.id) == []


def test_eml_is_removed_when_the_transaction_fails(ops, incident, db_path, store, monkeypatch):
    """The file is written after the commit: a transaction that fails leaves none."""

    def fail(*args, **kwargs):
        raise RuntimeError("disk gone")

    ops.subscribers.append(fail)
    with pytest.raises(RuntimeError):
        ops.record_update(incident.id, "bob", "body", audience="client", subject="s")
    assert list(outbox_folder(db_path).glob("*.eml")) == []
    assert store.updates(incident.id) == []


def test_an_eml_that_cannot_be_written_leaves_the_update_recorded(ops, incident, db_path, store):
    """The .eml is written after the commit: if the disk refuses it, the update
    stays on the record and the one line says both things."""
    outbox_folder(db_path).write_text("a file where the folder should be")
    with pytest.raises(WarroomError) as raised:
        ops.record_update(incident.id, "bob", "body", audience="client", subject="s")
    message = str(raised.value)
    assert message.startswith("the update is recorded as #") and "cannot write" in message
    assert [u.audience for u in store.updates(incident.id)] == ["client"]


def test_smtp_delivery_through_the_outbox(store, db_path, clock, playbook, incident):
    with SmtpServer() as smtp:
        config = smtp_config(smtp.port)
        ops = Service(store, clock, playbook, comms=config)
        ops.record_update(incident.id, "bob", "Ünïcode body 🙂", audience="client", subject="S1")
        assert [u.delivery for u in store.updates(incident.id)] == ["pending"]
        (queued,) = outbox.messages(store)
        assert (queued.channel, queued.subject) == ("email", "S1")

        deliverer = Deliverer(db_path, config, clock=clock, timeout=2)
        asyncio.run(asyncio.wait_for(deliverer.run(until_idle=True), 10))

        (sent,) = smtp.messages
        assert sent[0] == "ops@example.com" and sent[1] == ["client@example.com"]
        message = email.message_from_bytes(sent[2], policy=policy.default)
        assert message["Subject"] == "S1"
        assert message.get_content().replace("\r\n", "\n") == "Ünïcode body 🙂\n"
        (path,) = outbox_folder(db_path).glob("*.eml")
        assert read_eml(path)["Message-ID"] == message["Message-ID"]  # one message, one id
        assert [u.delivery for u in store.updates(incident.id)] == ["delivered"]


def test_smtp_answers_are_classified():
    message = build_email(
        subject="s",
        body="b",
        date=FrozenClock("2026-11-23T22:00:00Z").now(),
        incident_id=1,
        entry_id=2,
    )
    with SmtpServer() as smtp:
        config = smtp_config(smtp.port)
        assert isinstance(send_smtp(config, message), Delivered)
        smtp.reject = (550, "mailbox unavailable")
        assert send_smtp(config, message) == Permanent("SMTP 550 mailbox unavailable")
        smtp.reject = (451, "try later")
        assert send_smtp(config, message) == Transient("SMTP 451 try later")
    unreachable = send_smtp(smtp_config(9), message)
    assert isinstance(unreachable, Transient)


def test_smtp_password_is_never_shown():
    config = CommsConfig(
        smtp=SmtpSettings.model_validate(
            {
                "host": "127.0.0.1",
                "port": 9,
                "from": "a@b.c",
                "to": ["d@e.f"],
                "user": "u",
                "password": "hunter2hunter2",
                "timeout": 1,
            }
        )
    )
    message = build_email(
        subject="s",
        body="b",
        date=FrozenClock("2026-11-23T22:00:00Z").now(),
        incident_id=1,
        entry_id=2,
    )
    outcome = send_smtp(config, message)
    assert "hunter2" not in repr(outcome) and "hunter2" not in repr(config)
