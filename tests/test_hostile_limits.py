"""Files that stand for far more work than their size: each is refused before the work, with a
message naming the file and the limit, in a child process whose peak memory is measured."""

from __future__ import annotations

import gzip
import json
import os

import pytest

from core.limits import LimitExceeded, Limits, check_workbook, gunzip_capped
from survey.importers import ImportFailed, read_export
from survey.settings import get_settings
from tests.hostile_files import corner_workbook, run_child, whitespace_gzip, workbook_bytes

SMALL = Limits(max_bytes=1_000_000, max_rows=1000, max_columns=50, max_cells=10_000)


@pytest.fixture
def low_limits(monkeypatch):
    """Limits low enough to reach with small files."""
    monkeypatch.setenv("MATERIALITY_MAX_IMPORT_ROWS", "100")
    monkeypatch.setenv("MATERIALITY_MAX_IMPORT_COLUMNS", "20")
    monkeypatch.setenv("MATERIALITY_MAX_IMPORT_CELLS", "1000")
    monkeypatch.setenv("MATERIALITY_MAX_IMPORT_BYTES", "100000")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_corner_workbook_is_small_and_refused_from_its_xml():
    data = corner_workbook()
    assert len(data) < 2000
    with pytest.raises(LimitExceeded) as caught:
        check_workbook(data, name="corner.xlsx", limits=SMALL)
    assert str(caught.value).startswith("corner.xlsx: the table has 1,048,576 rows or more")
    assert "MATERIALITY_MAX_IMPORT_ROWS" in str(caught.value)


def test_the_corner_workbook_costs_little_memory_in_the_import_command(tmp_path):
    """Before: 7.65 GB in 67 s and stopped. Now: refused in a child process capped at 1.5 GB."""
    path = tmp_path / "corner.xlsx"
    path.write_bytes(corner_workbook())
    db = f"sqlite:///{tmp_path / 'm.db'}"
    run = run_child(
        ["-m", "cli", "import", str(path), "-a", "2020", "--dry-run", "--db", db], memory_mb=1500, timeout=60
    )
    assert run.returncode == 1, run.stderr
    assert "corner.xlsx" in run.stderr
    assert "1,048,576 rows" in run.stderr and "the limit is 1,000,000" in run.stderr
    assert "Traceback" not in run.stderr
    assert run.peak_rss_mb < 400, run.peak_rss_mb


def test_a_claimed_extent_is_not_believed_but_the_cells_are(tmp_path):
    """A sheet that claims A1:XFD1048576 but holds a small table is read as that table."""
    cells = {"A1": "response_id", "B1": "group", "C1": "privacy", "A2": "r1", "B2": "employees", "C2": "4"}
    data = workbook_bytes(cells, dimension="A1:XFD1048576")
    size = check_workbook(data, name="claims.xlsx", limits=SMALL)
    assert (size.rows, size.columns, size.cells) == (2, 3, 6)
    parsed = read_export(data, filename="claims.xlsx", format="wide")
    assert [c.id for c in parsed.columns] == ["response_id", "group", "privacy"]


def test_a_workbook_that_unpacks_too_far_is_refused_from_its_directory():
    data = workbook_bytes({"A1": "x"}, padding=3_000_000)
    assert len(data) < 20_000
    with pytest.raises(LimitExceeded) as caught:
        check_workbook(data, name="bomb.xlsx", limits=SMALL)
    assert "bomb.xlsx: the workbook unpacks to 3,00" in str(caught.value)
    assert "MATERIALITY_MAX_IMPORT_BYTES" in str(caught.value)


def test_wide_and_long_tables_are_refused_by_their_settings(tmp_path, low_limits):
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(30)) + "\n" + ",".join("1" * 30) + "\n")
    with pytest.raises(ImportFailed) as caught:
        read_export(wide)
    assert (
        "wide.csv: the table has 30 columns or more; the limit is 20 (MATERIALITY_MAX_IMPORT_COLUMNS"
        in str(caught.value)
    )
    long = tmp_path / "long.csv"
    long.write_text("response_id,group\n" + "".join(f"r{i},employees\n" for i in range(200)))
    with pytest.raises(ImportFailed) as caught:
        read_export(long)
    assert "long.csv: the table has 101 rows or more; the limit is 100 (MATERIALITY_MAX_IMPORT_ROWS" in str(
        caught.value
    )
    big = tmp_path / "big.csv"
    big.write_bytes(b"a,b\n" + b"1,2\n" * 30_000)
    with pytest.raises(ImportFailed) as caught:
        read_export(big)
    assert "big.csv: the file has 120,004 bytes; the limit is 100,000 (MATERIALITY_MAX_IMPORT_BYTES" in str(
        caught.value
    )
    with pytest.raises(ImportFailed) as caught:
        read_export(big.read_bytes(), filename="upload.csv")
    assert "upload.csv: the file has 120,004 bytes" in str(caught.value)


def test_a_workbook_over_the_cell_limit_is_refused(low_limits):
    cells = {f"{col}{row}": "1" for col in "ABCDEFGHIJKL" for row in range(1, 90)}
    with pytest.raises(ImportFailed) as caught:
        read_export(workbook_bytes(cells), filename="cells.xlsx")
    assert "cells.xlsx: the table spans" in str(caught.value) and "MATERIALITY_MAX_IMPORT_CELLS" in str(
        caught.value
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (bytes(range(256)) * 4, "named like an Excel workbook but is not one"),
        (b"PK\x03\x04" + bytes(range(256)) * 4, "not a readable Excel workbook (not a zip archive"),
    ],
)
def test_random_bytes_named_xlsx_are_not_a_workbook(data, expected):
    with pytest.raises(ImportFailed) as caught:
        read_export(data, filename="random.xlsx")
    assert expected in str(caught.value)
    assert "the file has no rows" not in str(caught.value)


def test_gzip_is_unpacked_as_a_stream_up_to_its_cap():
    data = gzip.compress(b" " * 5_000_000) + gzip.compress(b"[]")
    assert gunzip_capped(data, name="x.gz", limit=6_000_000).strip() == b"[]"
    with pytest.raises(LimitExceeded) as caught:
        gunzip_capped(data, name="x.gz", limit=1_000_000)
    assert str(caught.value).startswith("x.gz: unpacks to more than 1,000,000 bytes")


@pytest.mark.slow
def test_four_gib_of_whitespace_in_four_mb_of_gzip(tmp_path):
    """Before: 4.36 GB of memory in 7 s and a MemoryError traceback. Now: a plain refusal."""
    path = tmp_path / "whitespace.json.gz"
    unpacked = whitespace_gzip(path)
    assert unpacked == 4 << 30 and path.stat().st_size < 5_000_000
    db = f"sqlite:///{tmp_path / 'm.db'}"
    run = run_child(["-m", "cli", "import-assessment", str(path), "--db", db], memory_mb=1500, timeout=120)
    assert run.returncode == 1, run.stderr
    assert run.stderr.startswith("Error: whitespace.json.gz: unpacks to more than 200,000,000 bytes")
    assert "Traceback" not in run.stderr
    assert run.peak_rss_mb < 700, run.peak_rss_mb


def test_an_assessment_file_nested_too_deeply_is_refused(tmp_path):
    from survey.backup import BackupError, read_assessment_file

    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(BackupError, match="deep.json: nested too deeply"):
        read_assessment_file(path)
    path.write_text(json.dumps({"format": "materiality-assessment"}))
    with pytest.raises(BackupError, match="deep.json: format version"):
        read_assessment_file(path)


@pytest.mark.slow
def test_running_out_of_memory_in_the_command_line_is_a_plain_message(tmp_path):
    """163 MB of distinct 180-character cells, within the file limits, in a process allowed 700 MB."""
    path = tmp_path / "huge.csv"
    path.write_bytes(b"response_id\n" + os.urandom(90 * 900_000).hex("\n", 90).encode() + b"\n")
    db = f"sqlite:///{tmp_path / 'm.db'}"
    run = run_child(["-m", "cli", "import", str(path), "-a", "2020", "--dry-run", "--db", db], memory_mb=700)
    assert run.returncode == 1
    assert run.stderr.strip().endswith(
        "Error: ran out of memory; nothing was written. Try a smaller file, or lower the import limits "
        "(MATERIALITY_MAX_IMPORT_*)"
    ), run.stderr
    assert "Traceback" not in run.stderr
