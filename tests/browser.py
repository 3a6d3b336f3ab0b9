"""What the browser tests share: Debian's Chromium, and `streamlit run app.py` on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_app(
    database_url: str,
    log_path: Path,
    *,
    password: str,
    debug_log: bool = False,
    port: int | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """`streamlit run app.py` on a free loopback port (or `port`) over `database_url`, with the
    environment plus `env`; yields its base URL once it answers its health check (the server's
    output goes to `log_path`)."""
    port = port or free_port()
    env = {
        **os.environ,
        "MATERIALITY_DATABASE_URL": database_url,
        "MATERIALITY_ADMIN_PASSWORD": password,
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        **(env or {}),
    }
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
        "--server.headless", "true", "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    if debug_log:
        command += ["--logger.level", "debug"]
    with log_path.open("w") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:
                        if answer.read().decode().strip() == "ok":
                            break
                except OSError:
                    pass
                assert server.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "the app did not come up within 60 s"
                time.sleep(0.3)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=20)


def settle(page: Page, *, pause_ms: int = 150, timeout_ms: int = 30_000) -> None:
    """Wait until Streamlit has finished its current run."""
    page.wait_for_timeout(pause_ms)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=timeout_ms)


ADMIN_EMAIL = "admin@localhost"  # the first admin, whose password streamlit_app(password=...) sets


def sign_in_form(page: Page, password: str, *, email: str = ADMIN_EMAIL) -> None:
    """Fill and send the sign-in form at /sign-in (where the app sends a browser without a sign-in)."""
    expect(page.get_by_role("heading", name="Committee sign-in")).to_be_visible(timeout=30_000)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
