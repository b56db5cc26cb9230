"""Slack/SMTP settings: environment over file, a readable file refused, secrets redacted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fake_slack import TOKEN
from warroom.comms.config import CommsConfig, load_comms_config, redact
from warroom.errors import WarroomError

WEBHOOK = "https://hooks.slack.com/services/T0001/B0001/abcdefSECRET123"


def write_config(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


def test_nothing_configured(tmp_path):
    config = load_comms_config({}, tmp_path / "missing.toml")
    assert not config.slack_enabled and not config.email_enabled
    assert config.slack_mode is None


def test_missing_default_file_is_fine(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert load_comms_config({}).slack_enabled is False


def test_explicit_missing_file_is_an_error(tmp_path):
    with pytest.raises(WarroomError, match="does not exist"):
        load_comms_config({"WARROOM_CONFIG": str(tmp_path / "nope.toml")})


def test_environment(tmp_path):
    env = {
        "WARROOM_SLACK_BOT_TOKEN": TOKEN,
        "WARROOM_SLACK_CHANNEL": "#incidents",
        "WARROOM_SLACK_THREADS": "off",
        "WARROOM_SMTP_HOST": "127.0.0.1",
        "WARROOM_SMTP_PORT": "2525",
        "WARROOM_SMTP_FROM": "ops@example.com",
        "WARROOM_SMTP_TO": "a@example.com, b@example.com",
        "WARROOM_SMTP_STARTTLS": "0",
    }
    config = load_comms_config(env, tmp_path / "none.toml")
    assert config.slack_mode == "bot" and config.slack.api_url == "https://slack.com/api"
    assert config.threads is False
    assert config.email_enabled and config.smtp.to == ("a@example.com", "b@example.com")
    assert config.smtp.port == 2525 and config.smtp.starttls is False
    webhook = load_comms_config({"WARROOM_SLACK_WEBHOOK_URL": WEBHOOK}, tmp_path / "n.toml")
    assert webhook.slack_mode == "webhook" and webhook.threads is False


def test_bot_token_needs_a_channel(tmp_path):
    with pytest.raises(WarroomError, match="WARROOM_SLACK_CHANNEL") as caught:
        load_comms_config({"WARROOM_SLACK_BOT_TOKEN": TOKEN}, tmp_path / "n.toml")
    assert TOKEN not in str(caught.value)


def test_file_and_environment_override(tmp_path):
    path = write_config(
        tmp_path / "config.toml",
        f'[slack]\nbot_token = "{TOKEN}"\nchannel = "#from-file"\nthreads = false\n'
        '[smtp]\nhost = "mail.example.com"\nfrom = "ops@example.com"\nto = ["c@example.com"]\n'
        'password = "hunter2hunter2"\n',
    )
    config = load_comms_config({"WARROOM_SLACK_CHANNEL": "#from-env"}, path)
    assert config.slack.channel == "#from-env"
    assert config.slack.threads is False
    assert config.smtp.from_ == "ops@example.com" and config.email_enabled
    assert config.source == str(path)
    via_env = load_comms_config({"WARROOM_CONFIG": str(path)})
    assert via_env.slack.channel == "#from-file"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_file_others_can_read_is_refused(tmp_path, mode):
    path = write_config(tmp_path / "config.toml", f'[slack]\nbot_token = "{TOKEN}"\n', mode)
    with pytest.raises(WarroomError) as caught:
        load_comms_config({}, path)
    message = str(caught.value)
    assert str(path) in message and "chmod 600" in message
    assert "\n" not in message and TOKEN not in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[slack\n", "not valid TOML"),
        ("[slak]\n", "unknown section"),
        ("[slack]\nlink_names = true\n", "slack.link_names"),
        ('[slack]\napi_url = "ftp://x"\n', "slack.api_url"),
        ('[smtp]\nport = "many"\n', "smtp.port"),
    ],
)
def test_bad_files_are_one_line(tmp_path, text, expected):
    path = write_config(tmp_path / "config.toml", text)
    with pytest.raises(WarroomError, match=expected) as caught:
        load_comms_config({}, path)
    assert "\n" not in str(caught.value).strip()


def test_a_bad_secret_value_is_not_echoed(tmp_path):
    path = write_config(tmp_path / "c.toml", f'[slack]\nbot_token = ["{TOKEN}"]\n')
    with pytest.raises(WarroomError) as caught:
        load_comms_config({}, path)
    assert TOKEN not in str(caught.value)


def test_secrets_never_in_repr_or_dump():
    config = CommsConfig.model_validate(
        {
            "slack": {"bot_token": TOKEN, "channel": "#c", "webhook_url": WEBHOOK},
            "smtp": {"password": "hunter2hunter2"},
        }
    )
    for text in (repr(config), str(config), config.model_dump_json(), str(config.model_dump())):
        assert TOKEN not in text and WEBHOOK not in text and "hunter2" not in text
        assert "SECRET123" not in text


def test_redact_replaces_every_secret():
    config = CommsConfig.model_validate(
        {
            "slack": {"bot_token": TOKEN, "channel": "#c", "webhook_url": WEBHOOK},
            "smtp": {"password": "hunter2hunter2"},
        }
    )
    text = (
        f"POST {WEBHOOK} failed; Authorization: Bearer {TOKEN}; path /services/T0001/B0001/"
        "abcdefSECRET123; pw hunter2hunter2; another xoxp-9-9-abc"
    )
    cleaned = redact(text, config)
    for secret in (TOKEN, WEBHOOK, "abcdefSECRET123", "hunter2hunter2", "xoxp-9-9-abc"):
        assert secret not in cleaned
    assert cleaned.count("[redacted]") == 5
    assert redact("nothing secret here", None) == "nothing secret here"


def test_cli_refuses_a_readable_config_file(run_cli, tmp_path):
    path = write_config(tmp_path / "c.toml", f'[slack]\nbot_token = "{TOKEN}"\n', 0o644)
    code, out, err = run_cli(
        "declare",
        "--sev",
        "2",
        "--title",
        "x",
        "--db",
        tmp_path / "w.db",
        env={"WARROOM_CONFIG": str(path)},
    )
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "chmod 600" in err and TOKEN not in err
    assert not (tmp_path / "w.db").exists()  # nothing written
    code, out, err = run_cli("slack", "check", env={"WARROOM_CONFIG": str(path)})
    assert code == 2 and "chmod 600" in err


def test_nothing_configured_is_known_without_loading_settings(tmp_path, monkeypatch):
    from warroom.comms.presence import comms_may_be_configured

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert not comms_may_be_configured({})
    assert comms_may_be_configured({"WARROOM_SLACK_WEBHOOK_URL": "x"})
    assert comms_may_be_configured({"WARROOM_SMTP_HOST": "x"})
    assert comms_may_be_configured({"WARROOM_CONFIG": "/x.toml"})
    (tmp_path / "warroom").mkdir()
    (tmp_path / "warroom" / "config.toml").write_text("")
    assert comms_may_be_configured({})


@pytest.mark.parametrize(
    ("env", "says"),
    [
        (
            {
                "WARROOM_SLACK_API_URL": "http://10.0.0.1/api",
                "WARROOM_SLACK_BOT_TOKEN": TOKEN,
                "WARROOM_SLACK_CHANNEL": "C1",
            },
            "the token would cross the network in clear",
        ),
        (
            {"WARROOM_SLACK_WEBHOOK_URL": "http://hooks.example.com/services/T0/B0/secretpart"},
            "the webhook URL would cross the network in clear",
        ),
    ],
)
def test_slack_over_plain_http_off_this_machine_is_refused(tmp_path, env, says):
    with pytest.raises(WarroomError) as refused:
        load_comms_config(env, path=tmp_path / "none.toml")
    message = str(refused.value)
    assert says in message and len(message.splitlines()) == 1
    assert TOKEN not in message and "secretpart" not in message


def test_slack_over_plain_http_on_this_machine_is_a_test_server(tmp_path):
    config = load_comms_config(
        {
            "WARROOM_SLACK_API_URL": "http://127.0.0.1:9/api",
            "WARROOM_SLACK_BOT_TOKEN": TOKEN,
            "WARROOM_SLACK_CHANNEL": "C1",
        },
        path=tmp_path / "none.toml",
    )
    assert config.slack_mode == "bot" and config.slack.api_url == "http://127.0.0.1:9/api"
