"""The report pack's folder is replaced whole or not at all: a write that fails (a full disk,
made real with a file size limit on the writing process) leaves the previous pack byte for byte,
no staging folder behind, and an error that names the file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.files import WriteFailed, replace_folder
from render.pack import PACK_FILES
from tests.hostile_files import run_child


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_folder_is_replaced_and_the_users_own_files_are_kept(tmp_path):
    out = tmp_path / "pack"
    replace_folder(out, {"a.csv": b"old a", "b.svg": b"old b"})
    (out / "notes.txt").write_text("mine")
    (out / "drafts").mkdir()
    (out / "drafts" / "x.md").write_text("draft")
    written = replace_folder(out, {"a.csv": b"new a", "b.svg": b"new b"})
    assert [p.name for p in written] == ["a.csv", "b.svg"]
    assert snapshot(out) == {
        "a.csv": b"new a",
        "b.svg": b"new b",
        "drafts/x.md": b"draft",
        "notes.txt": b"mine",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack"]
    (tmp_path / "plain").write_text("a file")
    with pytest.raises(WriteFailed, match="is a file, not a folder"):
        replace_folder(tmp_path / "plain", {"a.csv": b"x"})


CHILD = """
import sys
from pathlib import Path
import typer
from core.files import replace_folder
from cli.common import reports_errors
@reports_errors
def write():
    replace_folder(Path(sys.argv[1]), {"topics.csv": b"t" * 1000, "report.html": b"r" * 50_000, "z.md": b"z"})
try:
    write()
except typer.Exit as stop:
    sys.exit(stop.exit_code)
"""


def test_a_full_disk_leaves_the_previous_pack_whole(tmp_path):
    out = tmp_path / "pack"
    replace_folder(
        out, {"topics.csv": b"last year", "report.html": b"last year's report", "old.svg": b"<svg/>"}
    )
    before = snapshot(out)
    run = run_child(["-c", CHILD, str(out)], file_size_limit=20_000)
    assert run.returncode == 1
    assert run.stderr.startswith(
        f"Error: cannot write report.html into {out}: File too large; {out} was left"
    )
    assert "Traceback" not in run.stderr
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack"]  # no staging folder or temporary file
    ok = run_child(["-c", CHILD, str(out)])
    assert ok.returncode == 0, ok.stderr
    assert snapshot(out)["report.html"] == b"r" * 50_000 and snapshot(out)["old.svg"] == b"<svg/>"


@pytest.mark.slow
def test_materiality_run_on_a_full_disk_keeps_last_years_pack(tmp_path):
    db = f"sqlite:///{tmp_path / 'm.db'}"
    assert run_child(["-m", "cli", "demo", "--db", db]).returncode == 0
    out = tmp_path / "report"
    first = run_child(["-m", "cli", "run", "-a", "2019", "--out", str(out), "--db", db])
    assert first.returncode == 0, first.stderr
    before = snapshot(out)
    assert {"topics.csv", "method.json", "report.html", "report.xlsx", "matrix.svg"} <= set(before)
    failed = run_child(
        ["-m", "cli", "run", "-a", "2020", "--out", str(out), "--db", db], file_size_limit=700_000
    )
    assert failed.returncode == 1
    # the first file over 700 KB in the order the pack is written is named
    place = re.escape(str(out))
    named = re.fullmatch(
        f"Error: cannot write (\\S+) into {place}: File too large; {place} was left as it was\n",
        failed.stderr,
    )
    assert named is not None, failed.stderr
    assert named.group(1) in PACK_FILES and len(before[named.group(1)]) > 100_000
    assert "Traceback" not in failed.stderr
    assert snapshot(out) == before
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # nothing staged is left
