"""Hostile files for the tests and benchmarks: small files that stand for a lot of work, and a way
to run a command in a child process and read its peak memory."""

from __future__ import annotations

import gzip
import io
import os
import resource
import subprocess
import sys
import tempfile
import threading
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)


def workbook_bytes(cells: dict[str, str], *, dimension: str | None = None, padding: int = 0) -> bytes:
    """A minimal .xlsx whose first sheet holds `cells` (reference -> inline text), with the
    extent it claims in `dimension` and `padding` bytes of XML comment (compressible)."""
    rows: dict[int, list[str]] = {}
    for reference, value in cells.items():
        row = int(reference.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        rows.setdefault(row, []).append(f'<c r="{reference}" t="inlineStr"><is><t>{value}</t></is></c>')
    data = "".join(f'<row r="{r}">{"".join(c)}</row>' for r, c in sorted(rows.items()))
    claimed = f'<dimension ref="{dimension}"/>' if dimension else ""
    filler = f"<!--{' ' * padding}-->" if padding else ""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{claimed}{filler}<sheetData>{data}</sheetData></worksheet>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


def corner_workbook() -> bytes:
    """About 1.5 KB: cells only at A1 and XFD1048576, the sheet's whole extent claimed."""
    return workbook_bytes({"A1": "response_id", "XFD1048576": "x"}, dimension="A1:XFD1048576")


def whitespace_gzip(path: Path, gib: int = 4) -> int:
    """A gzip file of about `gib` MB that unpacks to `gib` GiB of spaces (valid JSON whitespace
    around nothing); returns the unpacked size. Built as repeated gzip members."""
    chunk = 16 << 20
    member = gzip.compress(b" " * chunk, compresslevel=9, mtime=0)
    count = (gib << 30) // chunk
    with path.open("wb") as out:
        for _ in range(count):
            out.write(member)
    assert zlib.decompressobj(wbits=31).decompress(member[:64])[:1] == b" "
    return count * chunk


@dataclass
class ChildRun:
    returncode: int
    stdout: str
    stderr: str
    peak_rss_mb: float  # the child's own peak resident memory


def run_child(
    args: list[str], *, memory_mb: int | None = None, env: dict[str, str] | None = None, timeout: float = 180
) -> ChildRun:
    """Run `python args...` in a child process, its address space capped at `memory_mb`, and
    return its output and its own peak resident memory (the kernel's figure, from wait4)."""

    def cap() -> None:
        if memory_mb:
            limit = memory_mb << 20
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    child_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(
            [sys.executable, *args], stdout=out, stderr=err, preexec_fn=cap, env=child_env, cwd=ROOT
        )
        timer = threading.Timer(timeout, child.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ChildRun(
            child.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
            usage.ru_maxrss / 1024,
        )
