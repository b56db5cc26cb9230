"""Where Slack, SMTP and tracker settings come from, and how their secrets are kept
out of sight.

Settings come from the environment (``WARROOM_SLACK_*``, ``WARROOM_SMTP_*``,
``WARROOM_TRACKER_*``)
and, under them, from an optional TOML file (``WARROOM_CONFIG``, default
``<user config dir>/warroom/config.toml``). The environment wins, so a one-off
``WARROOM_SLACK_API_URL=… warroom slack check`` needs no edit of the file.

A config file holds tokens, so one that its group or other users could read is
refused outright (one line naming the file and ``chmod 600``): a warning would
scroll by while the token stayed readable. Secrets are ``SecretStr`` so they
never appear in a ``repr`` or a log line, and :func:`redact` scrubs them from
any text (an exception message, an HTTP error) before it is shown or stored.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from warroom.errors import WarroomError

DEFAULT_API_URL = "https://slack.com/api"
REDACTED = "[redacted]"

#: Things that look like secrets even when they are not ours (another token in
#: an error message): Slack tokens and incoming-webhook paths.
_SECRET_PATTERNS = (
    re.compile(r"xox[abposre]-[A-Za-z0-9-]+"),
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"(?:https?://)?hooks\.slack(?:-gov)?\.com/\S+"),
    # GitHub tokens (classic, fine-grained, app) and Atlassian API tokens.
    re.compile(r"gh[pousr]_[A-Za-z0-9]{20,}"),
    re.compile(r"github_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"ATATT[A-Za-z0-9_=+/-]{20,}"),
    # An Authorization header, whatever its scheme, should one ever be printed.
    re.compile(r"(?i)(authorization\s*[:=]\s*)(?:bearer|basic|token)\s+\S+"),
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


#: A Slack user (or Enterprise Grid) ID: the only thing warroom puts in a mention.
SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")


class SlackSettings(_Model):
    """Either an incoming webhook, or a bot token and a channel for the Web API."""

    webhook_url: SecretStr | None = None
    bot_token: SecretStr | None = None
    channel: str | None = None
    api_url: str = DEFAULT_API_URL
    #: With a bot token, post later messages in the declaration's thread.
    threads: bool = True
    #: An update overdue this long sends one reminder to the comms lead (issue 12).
    escalate_after_minutes: int = Field(default=5, ge=1, le=1440)
    #: A console captures the incident's Slack thread and 📌 messages this often.
    poll_seconds: float = Field(default=20.0, ge=0.2, le=3600)
    #: ``[slack.people]``: a person's name in warroom → their Slack user ID, so
    #: the reminder can mention them (the only mention warroom ever makes).
    people: dict[str, str] = Field(default_factory=dict)

    @field_validator("people")
    @classmethod
    def _user_ids(cls, value: dict[str, str]) -> dict[str, str]:
        for name, user_id in value.items():
            if not SLACK_USER_ID.fullmatch(user_id):
                raise ValueError(f"{name[:40]!r}: a Slack user ID looks like U024BE7LH")
        return value

    @field_validator("webhook_url", "bot_token", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("channel", mode="before")
    @classmethod
    def _blank_channel(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        # The bot token rides in every request: https off this machine, as for
        # the tracker.
        return _http_url_or_none(value, "https://slack.com/api") or DEFAULT_API_URL

    @field_validator("webhook_url")
    @classmethod
    def _webhook_https(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        parts = urlsplit(value.get_secret_value().strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as https://hooks.slack.com/services/…")
        if parts.scheme == "http" and not _loopback(parts.hostname or ""):
            # The webhook URL is the secret itself: never in clear over a network.
            raise ValueError(
                "must be https: over http:// the webhook URL would cross the network in clear"
            )
        return value


class SmtpSettings(_Model):
    """An SMTP relay for client emails (optional; the .eml file is written anyway)."""

    host: str | None = None
    port: int = Field(default=587, ge=1, le=65535)
    user: str | None = None
    password: SecretStr | None = None
    from_: str | None = Field(default=None, alias="from")
    to: tuple[str, ...] = ()
    starttls: bool = True
    timeout: float = Field(default=10.0, gt=0, le=120)

    @field_validator("to", mode="before")
    @classmethod
    def _split_to(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("host", "user", "from_", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


GITHUB_API_URL = "https://api.github.com"
#: ``owner/name`` as GitHub allows them.
GITHUB_REPO = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")
#: A Jira project key (``OPS``, ``SRE2``).
JIRA_PROJECT = re.compile(r"[A-Z][A-Z0-9_]{0,254}")


def _http_url_or_none(value: str | None, example: str) -> str | None:
    if value is None:
        return None
    value = value.strip().rstrip("/")
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be an http(s) URL such as {example}")
    if parts.username is not None or parts.password is not None:
        # Credentials there would travel (and be printed) outside the token's care.
        raise ValueError("must not hold a user or password (the token goes in token)")
    if parts.query or parts.fragment:
        raise ValueError(f"must be a plain URL, no ?query or #fragment, such as {example}")
    if parts.scheme == "http" and not _loopback(parts.hostname or ""):
        # The token rides in every request's Authorization header.
        raise ValueError("must be https: over http:// the token would cross the network in clear")
    return value


def _loopback(host: str) -> bool:
    """This machine: the only place a plain-http tracker (a test's fake) may be."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class TrackerSettings(_Model):
    """``[tracker]``: where ``followups --push`` (and f3's push key) create issues.

    ``kind = "github"`` needs ``repo`` (``owner/name``) and ``token``;
    ``kind = "jira"`` needs ``url`` (the site, ``https://acme.atlassian.net``),
    ``project`` (its key), ``user`` (the account's email) and ``token`` (an API
    token). ``api_url`` sends the requests elsewhere (tests, a GitHub Enterprise
    ``https://ghe.example/api/v3``); ``timeout`` bounds each request.
    """

    kind: Literal["github", "jira"] | None = None
    repo: str | None = None
    url: str | None = None
    project: str | None = None
    user: str | None = None
    token: SecretStr | None = None
    issue_type: str = "Task"
    api_url: str | None = None
    timeout: float = Field(default=10.0, gt=0, le=120)

    @field_validator("kind", "repo", "url", "project", "user", "token", "api_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("repo")
    @classmethod
    def _repo(cls, value: str | None) -> str | None:
        if value is not None and not GITHUB_REPO.fullmatch(value.strip()):
            raise ValueError("must be owner/name, as in github.com/owner/name")
        return None if value is None else value.strip()

    @field_validator("project")
    @classmethod
    def _project(cls, value: str | None) -> str | None:
        if value is not None and not JIRA_PROJECT.fullmatch(value.strip()):
            raise ValueError("must be a Jira project key such as OPS")
        return None if value is None else value.strip()

    @field_validator("url")
    @classmethod
    def _site(cls, value: str | None) -> str | None:
        return _http_url_or_none(value, "https://acme.atlassian.net")

    @field_validator("api_url")
    @classmethod
    def _api(cls, value: str | None) -> str | None:
        return _http_url_or_none(value, "http://127.0.0.1:8080")

    @field_validator("issue_type")
    @classmethod
    def _issue_type(cls, value: str) -> str:
        value = value.strip()
        if not value or len(value) > 60 or not value.isprintable():
            raise ValueError("must be a Jira issue type name such as Task")
        return value

    @field_validator("token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            secret = value.get_secret_value()
            if not secret.isascii() or not secret.isprintable() or " " in secret.strip():
                raise ValueError("must be one word of printable ASCII")
            return SecretStr(secret.strip())
        return value

    def missing(self) -> list[str]:
        """The settings ``kind`` needs and does not have."""
        if self.kind == "github":
            wanted = {"repo": self.repo, "token": self.token}
        elif self.kind == "jira":
            wanted = {
                "url": self.url,
                "project": self.project,
                "user": self.user,
                "token": self.token,
            }
        else:
            return []
        return [name for name, value in wanted.items() if value is None]

    @property
    def where(self) -> str:
        """Which tracker, for the push records: a marker is looked for where it went."""
        if self.kind == "github":
            return f"github:{self.repo}"
        if self.kind == "jira":
            return f"jira:{self.url}#{self.project}"
        return ""

    @property
    def base_url(self) -> str:
        if self.api_url:
            return self.api_url
        return GITHUB_API_URL if self.kind == "github" else (self.url or "")


class CommsConfig(_Model):
    """Everything warroom needs to talk to Slack, SMTP and the tracker. Empty means
    "offline"."""

    slack: SlackSettings = SlackSettings()
    smtp: SmtpSettings = SmtpSettings()
    tracker: TrackerSettings = TrackerSettings()
    #: The file the settings were read from, if any (for messages).
    source: str | None = None

    @property
    def slack_mode(self) -> Literal["bot", "webhook"] | None:
        """``bot`` (token + channel: threads and edits), ``webhook``, or None."""
        if self.slack.bot_token is not None and self.slack.channel:
            return "bot"
        if self.slack.webhook_url is not None:
            return "webhook"
        return None

    @property
    def slack_enabled(self) -> bool:
        return self.slack_mode is not None

    @property
    def email_enabled(self) -> bool:
        """SMTP delivery is on: a host, a sender and at least one recipient."""
        return bool(self.smtp.host and self.smtp.from_ and self.smtp.to)

    @property
    def tracker_enabled(self) -> bool:
        """A tracker is configured (``[tracker] kind`` and what it needs)."""
        return self.tracker.kind is not None and not self.tracker.missing()

    @property
    def threads(self) -> bool:
        return self.slack_mode == "bot" and self.slack.threads

    def secrets(self) -> list[str]:
        """Every secret value, longest first (so a URL goes before its own path)."""
        found: list[str] = []
        if self.slack.bot_token is not None:
            found.append(self.slack.bot_token.get_secret_value())
        if self.slack.webhook_url is not None:
            url = self.slack.webhook_url.get_secret_value()
            found.append(url)
            parts = urlsplit(url)
            # httpx and proxies sometimes quote only the path: that is the secret part.
            if len(parts.path) >= 8:
                found.append(parts.path)
        if self.smtp.password is not None:
            found.append(self.smtp.password.get_secret_value())
        if self.tracker.token is not None:
            token = self.tracker.token.get_secret_value()
            found.append(token)
            if self.tracker.user:
                # Jira's Basic credentials, as they travel in the header.
                import base64

                pair = f"{self.tracker.user}:{token}".encode()
                found.append(base64.b64encode(pair).decode("ascii"))
        return sorted({s for s in found if s}, key=len, reverse=True)


def redact(text: str, config: CommsConfig | None) -> str:
    """``text`` with every secret of ``config`` (and anything token-shaped) replaced.

    Used on every error before it is shown, logged or written to the outbox.
    """
    if config is not None:
        for secret in config.secrets():
            text = text.replace(secret, REDACTED)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


def default_config_path() -> Path:
    from warroom.comms.presence import default_config_path as path

    return path()


#: Environment variable → (section, key).
ENV_KEYS: dict[str, tuple[str, str]] = {
    "WARROOM_SLACK_WEBHOOK_URL": ("slack", "webhook_url"),
    "WARROOM_SLACK_BOT_TOKEN": ("slack", "bot_token"),
    "WARROOM_SLACK_CHANNEL": ("slack", "channel"),
    "WARROOM_SLACK_API_URL": ("slack", "api_url"),
    "WARROOM_SLACK_THREADS": ("slack", "threads"),
    "WARROOM_SLACK_ESCALATE_AFTER_MINUTES": ("slack", "escalate_after_minutes"),
    "WARROOM_SLACK_POLL_SECONDS": ("slack", "poll_seconds"),
    "WARROOM_SMTP_HOST": ("smtp", "host"),
    "WARROOM_SMTP_PORT": ("smtp", "port"),
    "WARROOM_SMTP_USER": ("smtp", "user"),
    "WARROOM_SMTP_PASSWORD": ("smtp", "password"),
    "WARROOM_SMTP_FROM": ("smtp", "from"),
    "WARROOM_SMTP_TO": ("smtp", "to"),
    "WARROOM_SMTP_STARTTLS": ("smtp", "starttls"),
    "WARROOM_TRACKER_KIND": ("tracker", "kind"),
    "WARROOM_TRACKER_REPO": ("tracker", "repo"),
    "WARROOM_TRACKER_URL": ("tracker", "url"),
    "WARROOM_TRACKER_PROJECT": ("tracker", "project"),
    "WARROOM_TRACKER_USER": ("tracker", "user"),
    "WARROOM_TRACKER_TOKEN": ("tracker", "token"),
    "WARROOM_TRACKER_ISSUE_TYPE": ("tracker", "issue_type"),
    "WARROOM_TRACKER_API_URL": ("tracker", "api_url"),
    "WARROOM_TRACKER_TIMEOUT": ("tracker", "timeout"),
}
_FALSE = {"0", "false", "no", "off"}


def _read_file(path: Path, *, explicit: bool) -> dict[str, Any]:
    try:
        info = path.stat()
    except FileNotFoundError:
        if explicit:
            raise WarroomError(f"config file {path} does not exist (WARROOM_CONFIG)") from None
        return {}
    except OSError as exc:
        raise WarroomError(f"cannot read config file {path}: {exc.strerror}") from None
    if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise WarroomError(
            f"config file {path} is readable by other users and may hold secrets;"
            f" refusing to use it: run chmod 600 {path}"
        )
    from warroom.files import MAX_CONFIG_BYTES, FileProblem, parse_toml, read_text

    try:
        text = read_text(path, MAX_CONFIG_BYTES)
    except FileProblem as exc:
        raise WarroomError(f"cannot read config file {path}: {exc}") from None
    try:
        return parse_toml(text)
    except FileProblem as exc:
        raise WarroomError(f"config file {path}: {exc}") from None


def _section(model: type[_Model], name: str, values: dict[str, Any]) -> Any:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in (name, *first["loc"]))
        what = "tracker settings" if name == "tracker" else "Slack/SMTP settings"
        # Never include the input: it may be the token.
        raise WarroomError(f"{what}: {where}: {first['msg']}") from None


def load_comms_config(
    environ: Mapping[str, str] | None = None, path: Path | str | None = None
) -> CommsConfig:
    """Read the settings: the environment over the config file over the defaults.

    Raises :class:`WarroomError` (one line, never a secret) for a file others can
    read, bad TOML, an unknown key, a bad value, or a bot token without a channel.
    """
    env = os.environ if environ is None else environ
    # Only a file named in WARROOM_CONFIG must exist; the default one is optional.
    explicit = path is None and bool(env.get("WARROOM_CONFIG"))
    file_path = Path(path or env.get("WARROOM_CONFIG") or default_config_path()).expanduser()
    data = _read_file(file_path, explicit=explicit)
    sections: dict[str, dict[str, Any]] = {}
    for name in ("slack", "smtp", "tracker"):
        section = data.pop(name, {})
        if not isinstance(section, dict):
            raise WarroomError(f"config file {file_path}: {name} must be a table ([{name}])")
        sections[name] = dict(section)
    data.pop("serve", None)  # warroom serve's own: see warroom.serve.commands
    data.pop("hooks", None)  # serve's alert webhooks: see hook_token()
    if data:
        unknown = ", ".join(sorted(data))
        raise WarroomError(
            f"config file {file_path}: unknown section {unknown}"
            " (slack, smtp, tracker, serve, hooks)"
        )
    for name, (section, key) in ENV_KEYS.items():
        value = env.get(name)
        if value is None or value == "":
            continue
        if key in ("threads", "starttls"):
            sections[section][key] = value.strip().lower() not in _FALSE
        else:
            sections[section][key] = value
    config = CommsConfig(
        slack=_section(SlackSettings, "slack", sections["slack"]),
        smtp=_section(SmtpSettings, "smtp", sections["smtp"]),
        tracker=_section(TrackerSettings, "tracker", sections["tracker"]),
        source=str(file_path) if file_path.is_file() else None,
    )
    slack = config.slack
    if slack.bot_token is not None and not slack.channel and slack.webhook_url is None:
        raise WarroomError(
            "WARROOM_SLACK_BOT_TOKEN needs WARROOM_SLACK_CHANNEL (the channel to post in)"
        )
    tracker = config.tracker
    if tracker.kind is None:
        given = sorted(k for k, v in sections["tracker"].items() if v not in (None, ""))
        if given:
            raise WarroomError(
                f"tracker settings: {', '.join(given)} given without kind"
                " (WARROOM_TRACKER_KIND or [tracker] kind: github or jira)"
            )
    elif missing := tracker.missing():
        names = ", ".join(f"WARROOM_TRACKER_{name.upper()}" for name in missing)
        raise WarroomError(
            f"tracker settings: kind = {tracker.kind} needs {', '.join(missing)}"
            f" ([tracker] in the config file, or {names})"
        )
    return config


HOOK_TOKEN_VARIABLE = "WARROOM_HOOK_TOKEN"
#: A shorter token is refused: it is all that stands between the internet and the timeline.
MIN_HOOK_TOKEN = 16


def hook_token(environ: Mapping[str, str] | None = None) -> str | None:
    """The Bearer token of ``/hooks/...``: ``WARROOM_HOOK_TOKEN``, else ``[hooks]
    token`` in the config file; None (the hooks answer 401 to everyone) without one."""
    env = os.environ if environ is None else environ
    value = env.get(HOOK_TOKEN_VARIABLE) or None
    where = HOOK_TOKEN_VARIABLE
    if value is None:
        explicit = bool(env.get("WARROOM_CONFIG"))
        path = Path(env.get("WARROOM_CONFIG") or default_config_path()).expanduser()
        section = _read_file(path, explicit=explicit).get("hooks", {})
        if not isinstance(section, dict):
            raise WarroomError(f"config file {path}: hooks must be a table ([hooks])")
        unknown = set(section) - {"token"}
        if unknown:
            raise WarroomError(f"config file {path}: [hooks] has no {', '.join(sorted(unknown))}")
        value = section.get("token")
        where = f"config file {path}: [hooks] token"
        if value is not None and not isinstance(value, str):
            raise WarroomError(f"{where} must be a string")
    if value is None:
        return None
    if len(value) < MIN_HOOK_TOKEN or not value.isascii() or not value.isprintable():
        # Never the value itself: it is a secret.
        raise WarroomError(f"{where}: use at least {MIN_HOOK_TOKEN} printable ASCII characters")
    return value
