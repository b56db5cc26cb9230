"""Playwright helpers for driving textual-serve's page in Debian's chromium.

Reading the screen: textual-serve's textual.js makes an xterm.js Terminal with the WebGL
addon *and* the canvas addon loaded, so the glyphs are pixels on a <canvas>: the DOM
has no text (`.xterm-rows` is empty, and the accessibility tree only exists with
`screenReaderMode`, which the page leaves off). The Terminal object is a local of the
page's bundle (no global). So an init script catches each terminal-holder as the
bundle constructs it: the holder class does `this.terminal = new Terminal(...)` and
then `this.fitAddon = new FitAddon` -- we define a one-shot setter for `fitAddon` on
Object.prototype that records `this` and then turns itself into a plain property.
After that `window.__terms[0].terminal.buffer.active` is xterm's own screen buffer:
exactly the characters xterm parsed from the console's output.
"""

from __future__ import annotations

import time

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root in a container: chromium refuses root with the sandbox
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

HOOK_TERMINALS = """
(() => {
  window.__terms = [];
  Object.defineProperty(Object.prototype, "fitAddon", {
    configurable: true,
    set(value) {
      Object.defineProperty(this, "fitAddon", {
        value, writable: true, configurable: true, enumerable: true });
      if (this.terminal && this.terminal.buffer) window.__terms.push(this);
    },
  });
})();
"""

SCREEN_JS = """
() => {
  const h = window.__terms && window.__terms[0];
  if (!h) return null;
  const buf = h.terminal.buffer.active;
  const lines = [];
  for (let y = 0; y < h.terminal.rows; y++) {
    const line = buf.getLine(buf.viewportY + y);
    lines.push(line ? line.translateToString(true) : "");
  }
  return lines.join("\\n");
}
"""


def launch(playwright, extra_args: list[str] | None = None, **kwargs):
    """extra_args: e.g. ["--disable-webgl"]: xterm.js then paints with its canvas addon;
    with headless chromium's software WebGL the first paint cost ~0.5 s here, with the
    2D canvas ~0.1 s (a desktop with a GPU pays neither)."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS + (extra_args or []), headless=True, **kwargs
    )


def new_page(browser, **kwargs):
    context = browser.new_context(viewport={"width": 1000, "height": 640}, **kwargs)
    context.add_init_script(HOOK_TERMINALS)
    return context, context.new_page()


def screen_text(page) -> str:
    """xterm's screen as text; "" while the page is (re)loading."""
    from playwright.sync_api import Error

    try:
        return page.evaluate(SCREEN_JS) or ""
    except Error as exc:  # a navigation raced the poll (seen with the 401 retry page)
        if "context was destroyed" in str(exc) or "navigat" in str(exc):
            return ""
        raise


def wait_for_screen(page, needle: str, timeout: float = 15.0) -> str:
    """Poll xterm's buffer until `needle` is on screen; return the screen."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = screen_text(page)
        if needle in text:
            return text
        page.wait_for_timeout(50)
    raise AssertionError(f"{needle!r} not on screen after {timeout}s; screen was:\n{text}")


def sign_in(page, link: str) -> None:
    """Open a sign-in link (token in the #fragment) and press its button."""
    page.goto(link)
    with page.expect_navigation():
        page.click("#signin")


def wait_frames(page, n: int = 2) -> None:
    """Let the page draw: xterm parses into its buffer first and paints the canvas on
    the next animation frame (in headless chromium's software GL the *first* paint,
    which builds the glyph atlas, took 0.5-0.9 s here)."""
    js = "n => new Promise(r => { const f = k => k ? requestAnimationFrame(() => f(k - 1)) : r(); f(n); })"
    page.evaluate(js, n)
