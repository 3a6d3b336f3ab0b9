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
    if not PYTHON.exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extra.encode()).hexdigest()
    stamp = VENV / f".installed-{extra or 'app'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print(f"Installing the toolkit{f' with [{extra}]' if extra else ''} into .venv ...", flush=True)
    target = f".[{extra}]" if extra else "."
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], cwd=ROOT, check=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "-e", target], cwd=ROOT, check=True)
    stamp.write_text(digest)


def run(*command: str) -> int:
    return subprocess.run(list(command), cwd=ROOT).returncode


def app(args: list[str]) -> int:
    ensure_installed("")
    uses_default_db = "MATERIALITY_DATABASE_URL" not in os.environ
    if uses_default_db and not (ROOT / "materiality.db").exists():
        print("Creating the demo database materiality.db ...", flush=True)
        if run(str(BIN / "materiality"), "demo") != 0:
            return 1
    return run(str(BIN / "streamlit"), "run", "app.py", *args)


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
