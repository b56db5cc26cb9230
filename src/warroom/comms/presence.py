"""Is Slack or email configured at all? Answered without loading the settings.

The console asks this at start-up: when nothing is configured (the common
case on a laptop) it need not import pydantic to parse settings that are not
there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

PREFIXES = ("WARROOM_SLACK_", "WARROOM_SMTP_", "WARROOM_TRACKER_")


def default_config_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("warroom", appauthor=False) / "config.toml"


def comms_may_be_configured(environ: Mapping[str, str] | None = None) -> bool:
    """False only when no setting can exist: no variable, no config file."""
    env = os.environ if environ is None else environ
    if env.get("WARROOM_CONFIG") or any(key.startswith(PREFIXES) for key in env):
        return True
    return default_config_path().exists()
