"""Hostile files for the tests and benchmarks: small files that stand for a lot of work, and a way
to run a command in a child process and read its peak memory."""

from __future__ import annotations

import gzip
import io
import os
import resource
import signal
import subprocess
import sys
import tempfile
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


# Runs `-m module args` or `-c code args` and, at exit, writes the process's own peak resident
# memory (VmHWM, which starts afresh at exec) to the file named by HOSTILE_PEAK_FILE. (The
# kernel's ru_maxrss of a child starts from the parent's size at fork, so it cannot be used.)
PEAK_WRAPPER = """
import atexit, os, runpy, sys
def _peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            try:
                open(os.environ["HOSTILE_PEAK_FILE"], "w").write(line.split()[1])
            except OSError:
                pass  # run as another user
atexit.register(_peak)
kind, target, *rest = sys.argv[1:]
sys.argv = [target, *rest]
if kind == "-m":
    runpy.run_module(target, run_name="__main__", alter_sys=True)
else:
    exec(compile(target, "<child>", "exec"), {"__name__": "__main__"})
"""


@dataclass
class ChildRun:
    returncode: int
    stdout: str
    stderr: str
    peak_rss_mb: float  # the child's own peak resident memory


def run_child(
    args: list[str],
    *,
    memory_mb: int | None = None,
    file_size_limit: int | None = None,
    user: int | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 180,
) -> ChildRun:
    """Run `python -m module ...` or `python -c code ...` (`args`) in a child process and return
    its output and its own peak resident memory. `memory_mb` caps its address space,
    `file_size_limit` each file it writes (bytes); `user` is the user id it runs as."""

    def cap() -> None:
        if memory_mb:
            limit = memory_mb << 20
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        if file_size_limit is not None:  # a write past it fails as on a full disk (EFBIG)
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))
        if user is not None:  # as this user (the test runs as root, who may write anything)
            os.setgid(user)
            os.setuid(user)

    with tempfile.TemporaryDirectory() as folder:
        peak_file = Path(folder) / "peak"
        child_env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "HOSTILE_PEAK_FILE": str(peak_file),
            **(env or {}),
        }
        try:
            done = subprocess.run(
                [sys.executable, "-c", PEAK_WRAPPER, *args],
                capture_output=True,
                preexec_fn=cap,
                env=child_env,
                cwd=ROOT,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"the child ran over {timeout} s: {args}") from exc
        peak = int(peak_file.read_text()) / 1024 if peak_file.exists() else float("nan")
    return ChildRun(
        done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace"), peak
    )
