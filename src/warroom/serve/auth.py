"""The front door's rules that need no server: origins, rate limits, bind warnings."""

from __future__ import annotations

import ipaddress
import time
from collections import deque
from collections.abc import Callable
from urllib.parse import urlsplit

from warroom.errors import WarroomError

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8040"


def check_public_url(url: str) -> str:
    """The public URL as given (no trailing slash), or one clear line."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise WarroomError(f"public URL {url!r}: use http(s)://HOST[:PORT]")
    if parts.path.strip("/") or parts.query or parts.fragment or parts.username:
        raise WarroomError(
            f"public URL {url!r}: only scheme, host and port (serve answers at the root)"
        )
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise WarroomError(f"public URL {url!r}: the port is not a number 1-65535") from None
    return url.strip().rstrip("/")


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` as a browser sends it in ``Origin`` (default port dropped)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    port = parts.port
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" if port in (None, default) else f"{scheme}://{host}:{port}"


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, public_url: str) -> str | None:
    """The one line ``serve`` prints when browsers reach it over plain http
    from other machines: cookies and keystrokes would cross the network in clear."""
    if is_loopback(host) or public_url.lower().startswith("https://"):
        return None
    return (
        f"warroom: warning: serving on {host} without an https public URL: sign-in cookies"
        " and everything typed cross the network unencrypted; put a TLS reverse proxy in"
        " front and pass --public-url https://… (README: warroom serve)"
    )


class RateLimiter:
    """A sliding window: at most ``limit`` events per ``window`` seconds per key.

    The server records refused sign-ins: after ten in a minute from one
    address, every sign-in from it waits (a person whose link worked is not
    held back by their colleagues behind the same proxy)."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.events: dict[str, deque[float]] = {}

    def wait(self, key: str) -> float:
        """0 when ``key`` may try now, else the seconds until it may."""
        now = self.clock()
        seen = self.events.get(key)
        if not seen:
            return 0.0
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        return seen[0] + self.window - now if len(seen) >= self.limit else 0.0

    def record(self, key: str) -> None:
        self.events.setdefault(key, deque()).append(self.clock())
        if len(self.events) > 10_000:  # a flood of addresses cannot grow this for ever
            self.events = {k: v for k, v in self.events.items() if v}


def clamp(value: object, low: int, high: int, default: int) -> int:
    """An integer from the browser, kept within bounds (a hostile size is not ours)."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return default
    return max(low, min(high, number))
