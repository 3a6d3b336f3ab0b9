#!/usr/bin/env python3
"""Project commands that need nothing but Python 3.11+.

    python3 dev.py app     install if needed, create the demo database if absent, start the app
    python3 dev.py test    install the test dependencies and run the whole test suite
    python3 dev.py bench   run every benchmark and print one table
    python3 dev.py lint    ruff (lint and format), mypy and the import contracts of the layers

Everything is installed into `.venv/` next to this file; extra arguments go to the tool.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
import urllib.request
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_installed(extra: str) -> None:
    """Create the virtual environment and install the toolkit when pyproject.toml changed."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extra.encode()).hexdigest()
    stamp = VENV / f".installed-{extra or 'app'}"
    if PYTHON.exists() and stamp.exists() and stamp.read_text() == digest:
        return
    started = time.monotonic()
    if not PYTHON.exists():
        print("[1/3] Creating the virtual environment .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("[2/3] Updating pip ...", flush=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], cwd=ROOT, check=True)
    what = f"the toolkit with [{extra}]" if extra else "the toolkit"
    print(
        f"[3/3] Installing {what} and its libraries (a first install takes a minute or two) ...", flush=True
    )
    target = f".[{extra}]" if extra else "."
    # pip's own lines ("Collecting ...", "Installing collected packages ...") show the progress;
    # unpacking the libraries prints nothing for a while, so a line every 15 s says it is alive
    process = subprocess.Popen([str(PYTHON), "-m", "pip", "install", "-e", target], cwd=ROOT)
    while True:
        try:
            process.wait(timeout=15)
            break
        except subprocess.TimeoutExpired:
            print(f"      ... still installing ({time.monotonic() - started:.0f} s so far)", flush=True)
    if process.returncode != 0:
        sys.exit(f"Installing failed (pip exited with {process.returncode}); see pip's messages above.")
    stamp.write_text(digest)
    print(f"Installed in {time.monotonic() - started:.0f} s.", flush=True)


def run(*command: str) -> int:
    return subprocess.run(list(command), cwd=ROOT).returncode


def option(args: list[str], name: str, default: str) -> str:
    """The value of `--name value` or `--name=value` in `args`."""
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return default


def announce_when_ready(url: str) -> None:
    """Print where to open the app once the server answers its health check."""
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        return
    lines = [
        f"The committee app is ready: open {url} in your browser.",
        "Sign in with your account. On the very first start the server made the first admin account",
        "and printed it above with its one-time password. Survey links open at the same address.",
        "Stop the server with Ctrl+C.",
    ]
    width = max(len(line) for line in lines)
    print("\n" + "=" * width + "\n" + "\n".join(lines) + "\n" + "=" * width + "\n", flush=True)


def app(args: list[str]) -> int:
    ensure_installed("")
    uses_default_db = "MATERIALITY_DATABASE_URL" not in os.environ
    if uses_default_db and not (ROOT / "materiality.db").exists():
        print("Creating the demo database materiality.db ...", flush=True)
        if run(str(BIN / "materiality"), "demo") != 0:
            return 1
    address = option(args, "--server.address", "localhost")
    host = "localhost" if address in ("0.0.0.0", "") else address
    url = f"http://{host}:{option(args, '--server.port', '8501')}"
    print(f"Starting the committee app at {url} ...", flush=True)
    threading.Thread(target=announce_when_ready, args=(url,), daemon=True).start()
    return run(str(BIN / "streamlit"), "run", "app.py", "--server.headless", "true", *args)


def test(args: list[str]) -> int:
    ensure_installed("test")
    return run(str(PYTHON), "-m", "pytest", *args)


def bench(args: list[str]) -> int:
    ensure_installed("test")
    return run(str(PYTHON), "benchmarks/run_all.py", *args)


def lint(args: list[str]) -> int:
    ensure_installed("dev")
    checks = [
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "ruff"), "format", "--check", "."],
        [str(BIN / "mypy"), *args],
        [str(BIN / "lint-imports")],
    ]
    failed = [check[0] for check in checks if run(*check) != 0]
    if failed:
        print(f"Lint failed: {', '.join(Path(name).name for name in failed)}", file=sys.stderr)
    return 1 if failed else 0


COMMANDS = {"app": app, "test": test, "bench": bench, "lint": lint}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
