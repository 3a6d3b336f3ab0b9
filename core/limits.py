"""Limits checked before a file from outside is worked on, so that memory follows the data kept
rather than what a file claims or unpacks to.

A small file can stand for a huge amount of work: a workbook of 1.5 KB whose only cells are A1
and XFD1048576 is a grid of 17 billion cells to a spreadsheet reader, and 4 MB of gzip can hold
4 GiB. Here the sizes are read first, without unpacking more than the limits allow: a workbook's
zip directory and its first sheet's XML (streamed, nothing kept but counters), a gzip stream up
to its cap. A refusal (:class:`LimitExceeded`) names the file and the limit.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO
from xml.parsers import expat

CHUNK = 1 << 20
MAX_ZIP_MEMBERS = 10_000


class LimitExceeded(ValueError):
    """A file over one of the limits; the message names the file, the limit and its setting."""


@dataclass(frozen=True)
class Limits:
    """The most a file may hold. `setting` names the environment variables that raise them."""

    max_bytes: int  # the file as read, and what it unpacks to (zip members together, gzip)
    max_rows: int
    max_columns: int
    max_cells: int  # rows x columns of the grid a table becomes

    def refuse(self, name: str, what: str, limit: int, setting: str) -> LimitExceeded:
        return LimitExceeded(f"{name}: {what}; the limit is {limit:,} (MATERIALITY_{setting} raises it)")

    def check_size(self, name: str, size: int) -> None:
        if size > self.max_bytes:
            raise self.refuse(name, f"the file has {size:,} bytes", self.max_bytes, "MAX_IMPORT_BYTES")

    def check_grid(self, name: str, rows: int, columns: int) -> None:
        """Refuse a table of `rows` x `columns` over the limits."""
        if rows > self.max_rows:
            raise self.refuse(name, f"the table has {rows:,} rows or more", self.max_rows, "MAX_IMPORT_ROWS")
        if columns > self.max_columns:
            raise self.refuse(
                name, f"the table has {columns:,} columns or more", self.max_columns, "MAX_IMPORT_COLUMNS"
            )
        if rows * columns > self.max_cells:
            raise self.refuse(
                name,
                f"the table spans {rows:,} rows x {columns:,} columns = {rows * columns:,} cells",
                self.max_cells,
                "MAX_IMPORT_CELLS",
            )


# --- reading -------------------------------------------------------------------------------------


def read_capped(stream: IO[bytes], *, name: str, limit: int, what: str = "the file has") -> bytes:
    """All of `stream`, refused as soon as it passes `limit` bytes (never more is held)."""
    out = io.BytesIO()
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return out.getvalue()
        if out.tell() + len(chunk) > limit:
            raise LimitExceeded(
                f"{name}: {what} more than {limit:,} bytes; the limit is {limit:,} "
                "(MATERIALITY_MAX_IMPORT_BYTES raises it)"
            )
        out.write(chunk)


def gunzip_capped(data: bytes, *, name: str, limit: int) -> bytes:
    """The content of gzip `data` (one or more members), unpacked as a stream up to `limit` bytes."""
    out = io.BytesIO()
    rest = data
    while rest:
        unpacker = zlib.decompressobj(wbits=31)  # a gzip header and trailer
        pending = rest
        while pending:
            chunk = unpacker.decompress(pending, CHUNK)
            if out.tell() + len(chunk) > limit:
                raise LimitExceeded(
                    f"{name}: unpacks to more than {limit:,} bytes; the limit is {limit:,} "
                    "(MATERIALITY_MAX_IMPORT_BYTES raises it)"
                )
            out.write(chunk)
            pending = unpacker.unconsumed_tail
            if unpacker.eof:
                break
        if not unpacker.eof:
            raise zlib.error("the compressed data ends early")
        rest = unpacker.unused_data.lstrip(b"\x00")  # members may be padded with zeros
    return out.getvalue()


# --- workbooks -----------------------------------------------------------------------------------


@dataclass
class SheetSize:
    """What a worksheet's XML says of its extent: the last row and column holding a cell, and the
    number of cells written."""

    rows: int = 0
    columns: int = 0
    cells: int = 0


def check_workbook(data: bytes, *, name: str, limits: Limits) -> SheetSize:
    """Refuse a workbook over the limits before a spreadsheet library unpacks it: the zip members'
    sizes from its directory, then the first worksheet's cells from its XML, streamed.

    Raises :class:`LimitExceeded`, or :class:`ValueError` for a file that is no workbook."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ValueError(f"{name}: not a readable Excel workbook (not a zip archive: {exc})") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise LimitExceeded(
                f"{name}: the workbook holds {len(members):,} files; the limit is {MAX_ZIP_MEMBERS:,}"
            )
        unpacked = sum(m.file_size for m in members)
        if unpacked > limits.max_bytes:
            raise limits.refuse(
                name, f"the workbook unpacks to {unpacked:,} bytes", limits.max_bytes, "MAX_IMPORT_BYTES"
            )
        size = SheetSize()
        try:
            sheet = _first_sheet(archive, name)
            with archive.open(sheet) as stream:
                _scan_sheet(stream, name=name, limits=limits, size=size)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
            # a damaged member, an unknown compression, a password
            raise ValueError(f"{name}: not a readable Excel workbook (damaged archive: {exc})") from None
    return size


def _first_sheet(archive: zipfile.ZipFile, name: str) -> str:
    """The zip member of the workbook's first worksheet (the one an import reads)."""
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names:
        raise ValueError(f"{name}: not a readable Excel workbook (no xl/workbook.xml in the archive)")
    first: list[str] = []
    targets: dict[str, str] = {}

    def in_workbook(tag: str, attributes: dict[str, str]) -> None:
        if _local(tag) == "sheet" and not first:
            first.extend(v for k, v in attributes.items() if _local(k) == "id")

    def in_relations(tag: str, attributes: dict[str, str]) -> None:
        if _local(tag) == "Relationship" and "Id" in attributes:
            targets[attributes["Id"]] = attributes.get("Target", "")

    with archive.open("xl/workbook.xml") as stream:
        _parse(stream, in_workbook, name)
    if "xl/_rels/workbook.xml.rels" in names:
        with archive.open("xl/_rels/workbook.xml.rels") as stream:
            _parse(stream, in_relations, name)
    target = targets.get(first[0], "") if first else ""
    if target:
        member = (
            target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        )
        if member in names:
            return member
    if "xl/worksheets/sheet1.xml" in names:
        return "xl/worksheets/sheet1.xml"
    raise ValueError(f"{name}: not a readable Excel workbook (its first worksheet is missing)")


def _scan_sheet(stream: IO[bytes], *, name: str, limits: Limits, size: SheetSize) -> None:
    row = 0
    column = 0

    def element(tag: str, attributes: dict[str, str]) -> None:
        nonlocal row, column
        local = _local(tag)
        if local == "row":
            row = int(attributes["r"]) if attributes.get("r", "").isdigit() else row + 1
            column = 0
            size.rows = max(size.rows, row)
        elif local == "c":
            reference = attributes.get("r")
            if reference:
                r, column = _cell_position(reference, name)
                row = max(row, r)
            else:
                column += 1
            size.cells += 1
            size.rows = max(size.rows, row)
            size.columns = max(size.columns, column)
            limits.check_grid(name, size.rows, size.columns)
            if size.cells > limits.max_cells:
                raise limits.refuse(
                    name,
                    f"the sheet has more than {limits.max_cells:,} cells",
                    limits.max_cells,
                    "MAX_IMPORT_CELLS",
                )

    _parse(stream, element, name)


def _cell_position(reference: str, name: str) -> tuple[int, int]:
    """`B12` -> (12, 2)."""
    letters = reference.rstrip("0123456789")
    digits = reference[len(letters) :]
    column = 0
    for ch in letters.upper():
        if not "A" <= ch <= "Z" or column > 1_000_000:
            raise ValueError(f"{name}: not a readable Excel workbook (cell reference {reference[:20]!r})")
        column = column * 26 + ord(ch) - ord("A") + 1
    if not digits or not column or len(digits) > 9:
        raise ValueError(f"{name}: not a readable Excel workbook (cell reference {reference[:20]!r})")
    return int(digits), column


def _local(tag: str) -> str:
    """A tag or attribute name without its namespace prefix."""
    return tag.rsplit(":", 1)[-1]


def _parse(stream: IO[bytes], on_element: Callable[[str, dict[str, str]], None], name: str) -> None:
    """Stream XML through expat, calling `on_element(tag, attributes)` for each start tag. A
    document type declaration (the way to entity bombs) is refused."""
    parser = expat.ParserCreate()

    def no_doctype(*_args: object) -> None:
        raise ValueError(f"{name}: not a readable Excel workbook (its XML declares a document type)")

    parser.StartDoctypeDeclHandler = no_doctype
    parser.StartElementHandler = on_element
    try:
        while chunk := stream.read(CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise ValueError(f"{name}: not a readable Excel workbook (damaged XML: {exc})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ValueError(f"{name}: not a readable Excel workbook (damaged archive: {exc})") from None
