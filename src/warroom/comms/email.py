"""The client email: a standard ``.eml`` file always, and SMTP delivery when configured.

The ``.eml`` file is the record of what the client was told, written beside
the database (``<db folder>/<db stem>-outbox/``, mode 0600: it names the
client and the incident) so any mail program can open or send it by hand.
With SMTP configured the same message also goes through the outbox, with the
same guarantees as Slack (durable, retried, never silently dropped).

The message is built with the stdlib :class:`~email.message.EmailMessage`
(which refuses a header with a line break, so a subject cannot inject
headers). Its ``Message-ID`` is derived from the timeline entry, so a retry
after an ambiguous SMTP failure carries the same id and mail clients can fold
a duplicate.
"""

from __future__ import annotations

import asyncio
import os
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from warroom.comms.config import CommsConfig, redact
from warroom.comms.outcome import Delivered, Outcome, Permanent, Transient
from warroom.errors import WarroomError
from warroom.textsafe import printable

MAX_SUBJECT = 250


def outbox_folder(db_path: Path) -> Path:
    """Where ``.eml`` files go: ``<db folder>/<db stem>-outbox/``."""
    return db_path.parent / f"{db_path.stem}-outbox"


def clean_subject(subject: str) -> str:
    """One line (whitespace collapsed), not empty, not too long."""
    cleaned = " ".join(subject.split())
    if not cleaned:
        raise WarroomError("an email needs a subject")
    return cleaned[:MAX_SUBJECT]


def message_id(incident_id: int, entry_id: int | None, domain: str = "warroom.invalid") -> str:
    return f"<warroom.inc{incident_id}.entry{entry_id or 0}@{domain}>"


def build_email(
    *,
    subject: str,
    body: str,
    date: datetime,
    incident_id: int,
    entry_id: int | None,
    sender: str | None = None,
    recipients: tuple[str, ...] = (),
) -> EmailMessage:
    """The email as sent (and as written to the ``.eml`` file), UTF-8 text."""
    message = EmailMessage()
    message["Subject"] = clean_subject(subject)
    if sender:
        message["From"] = sender
    if recipients:
        message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id(incident_id, entry_id)
    message["X-Warroom-Incident"] = f"INC-{incident_id}"
    message.set_content(body if body.endswith("\n") else body + "\n", charset="utf-8")
    return message


def eml_path(db_path: Path, incident_id: int, seq: int) -> Path:
    return outbox_folder(db_path) / f"INC-{incident_id}-{seq:05d}.eml"


def write_eml(path: Path, message: EmailMessage) -> Path:
    """Write the ``.eml`` privately (0600, folder 0700) and atomically (no half file)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.as_bytes())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise WarroomError(f"cannot write the email file {path}: {exc.strerror}") from None
    return path


def send_smtp(config: CommsConfig, message: EmailMessage) -> Outcome:
    """Hand the message to the SMTP relay (bounded by ``smtp.timeout``).

    5xx answers and refused recipients are permanent; 4xx, timeouts and
    connection errors are transient. Errors are redacted (the password).
    """
    smtp = config.smtp
    if not config.email_enabled or smtp.host is None:
        return Permanent("SMTP is not configured")
    if "From" not in message:
        message["From"] = smtp.from_
    if "To" not in message:
        message["To"] = ", ".join(smtp.to)
    try:
        if smtp.port == 465:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        with client:
            if smtp.starttls and smtp.port != 465:
                client.starttls(context=ssl.create_default_context())
            if smtp.user and smtp.password is not None:
                client.login(smtp.user, smtp.password.get_secret_value())
            refused = client.send_message(message, from_addr=smtp.from_, to_addrs=list(smtp.to))
    except smtplib.SMTPRecipientsRefused as exc:
        return Permanent(_clean(f"recipients refused: {', '.join(exc.recipients)}", config))
    except smtplib.SMTPResponseException as exc:
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        reason = _clean(f"SMTP {exc.smtp_code} {text}", config)
        return Permanent(reason) if 500 <= exc.smtp_code < 600 else Transient(reason)
    except TimeoutError:
        return Transient("SMTP timeout")
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        return Transient(_clean(f"SMTP {type(exc).__name__}: {exc}", config))
    if refused:
        return Permanent(_clean(f"recipients refused: {', '.join(refused)}", config))
    return Delivered(ts=message["Message-ID"])


async def send_smtp_async(config: CommsConfig, message: EmailMessage) -> Outcome:
    """:func:`send_smtp` in a thread: smtplib blocks, the console must not."""
    return await asyncio.to_thread(send_smtp, config, message)


def _clean(text: str, config: CommsConfig) -> str:
    return printable(redact(" ".join(text.split()), config), 200)
