"""Imports started from the app, each in a child process with a memory limit, so that one upload
cannot take the shared server down.

The child reads the upload, checks it against the assessment and (when asked) writes it; it
reports progress to the parent as it goes and sends back what a page shows. The address space of
the child is capped (``RLIMIT_AS``, setting ``MATERIALITY_IMPORT_MEMORY_MB``): a file that needs
more stops the child, not the server, and is reported as :class:`ImportStopped` in plain words.
"""

from __future__ import annotations

import multiprocessing
import resource
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import pandas as pd
from sqlalchemy.exc import SQLAlchemyError

from survey.db import describe_database_error
from survey.importers import ImportFailed, ImportSummary, ParsedExport, Progress, parse_mapping, read_export

POLL_SECONDS = 0.1


class ImportStopped(RuntimeError):
    """The import's own process stopped (out of memory, or killed); nothing was written."""


@dataclass(frozen=True)
class ImportRequest:
    """An upload and how to read it; what the page asks the child to do."""

    database_url: str
    assessment_key: str
    data: bytes
    filename: str
    mapping_text: str = ""
    format: str | None = None
    encoding: str | None = None


@dataclass(frozen=True)
class ImportPreview:
    """What the page shows before an import: how the file was read, its columns, the first rows,
    and the summary of a dry run (None when the file has problems, listed in `failed`)."""

    filename: str
    format: str
    format_detected: bool
    encoding_note: str
    columns: pd.DataFrame
    preview: pd.DataFrame
    summary: ImportSummary | None
    failed: ImportFailed | None
    suggestion: str | None  # a mapping to start from, when the file was read without one


def column_table(parsed: ParsedExport) -> pd.DataFrame:
    """How every column of the file is read: the mapping spelled out."""
    return pd.DataFrame(
        [
            (
                c.letter,
                c.id,
                c.label if c.label != c.id else "",
                c.role.value,
                c.topic or "",
                c.dimension or "",
                "mapping file" if c.mapped else "recognised",
            )
            for c in parsed.columns
        ],
        columns=["column", "id", "label", "read as", "topic", "dimension", "by"],
    )


def preview_upload(request: ImportRequest, *, memory_mb: int | None = None) -> ImportPreview:
    """Read and check the upload in a child process (a dry run). Raises :class:`ImportFailed`
    when the file cannot be read at all, :class:`ImportStopped` when the child stops."""
    result: ImportPreview = _isolated(_preview, request, None, memory_mb)
    return result


def import_upload(
    request: ImportRequest, *, progress: Progress | None = None, memory_mb: int | None = None
) -> ImportSummary:
    """Import the upload in a child process: all of it or nothing; `progress` is called in this
    process as the child reports its stages."""
    result: ImportSummary = _isolated(_import, request, progress, memory_mb)
    return result


# --- in the child -----------------------------------------------------------------------------


def _read(request: ImportRequest, progress: Progress | None) -> ParsedExport:
    mapping = (
        parse_mapping(request.mapping_text, filename="mapping") if request.mapping_text.strip() else None
    )
    return read_export(
        request.data,
        filename=request.filename,
        mapping=mapping,
        format=request.format,
        encoding=request.encoding,
        progress=progress,
    )


def _preview(request: ImportRequest, progress: Progress | None) -> ImportPreview:
    from services.data import import_responses, suggest_mapping
    from survey.db import create_db_engine

    parsed = _read(request, progress)
    engine = create_db_engine(request.database_url, upgrade=False)
    summary = failed = suggestion = None
    try:
        summary = import_responses(
            engine=engine, assessment_key=request.assessment_key, parsed=parsed, dry_run=True
        )
    except ImportFailed as error:
        failed = error
        if not request.mapping_text.strip():
            suggestion = suggest_mapping(engine=engine, assessment_key=request.assessment_key, parsed=parsed)
    engine.dispose()
    return ImportPreview(
        filename=parsed.filename,
        format=parsed.format,
        format_detected=parsed.format_detected,
        encoding_note=parsed.encoding_note,
        columns=column_table(parsed),
        preview=parsed.preview(10),
        summary=summary,
        failed=failed,
        suggestion=suggestion,
    )


def _import(request: ImportRequest, progress: Progress | None) -> ImportSummary:
    from services.data import import_responses
    from survey.db import create_db_engine

    parsed = _read(request, progress)
    engine = create_db_engine(request.database_url, upgrade=False)
    try:
        return import_responses(
            engine=engine, assessment_key=request.assessment_key, parsed=parsed, progress=progress
        )
    finally:
        engine.dispose()


def _child(
    connection: Connection,
    work: Callable[[ImportRequest, Progress | None], Any],
    request: ImportRequest,
    memory_mb: int,
) -> None:
    limit = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    def progress(stage: str, done: int, total: int) -> None:
        connection.send(("progress", (stage, done, total)))

    try:
        connection.send(("done", work(request, progress)))
    except MemoryError:
        connection.send(("memory", None))
    except ImportFailed as error:
        connection.send(("failed", error))
    except SQLAlchemyError as exc:  # busy, full, read-only: said in plain words
        connection.send(
            (
                "error",
                describe_database_error(exc) or f"the database refused the work: {getattr(exc, 'orig', exc)}",
            )
        )
    except Exception as exc:  # reported to the parent, which raises it as a plain error
        connection.send(("error", f"{type(exc).__name__}: {exc}; nothing was written"))
    finally:
        connection.close()


# --- in the parent ----------------------------------------------------------------------------


def _isolated(
    work: Callable[[ImportRequest, Progress | None], Any],
    request: ImportRequest,
    progress: Progress | None,
    memory_mb: int | None,
) -> Any:
    from survey.settings import get_settings

    memory_mb = memory_mb or get_settings().import_memory_mb
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no server threads or locks copied
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(sending, work, request, memory_mb), daemon=True)
    child.start()
    sending.close()
    try:
        while True:
            try:
                kind, value = receiving.recv()
            except EOFError:  # the child ended without a word: it was killed
                break
            if kind == "progress":
                if progress:
                    progress(*value)
                continue
            if kind == "done":
                return value
            if kind == "failed":
                raise value
            if kind == "memory":
                raise ImportStopped(
                    f"{request.filename}: the import needed more memory than the {memory_mb:,} MB an import "
                    "may use, and stopped; nothing was written. Split the file, or raise "
                    "MATERIALITY_IMPORT_MEMORY_MB"
                )
            raise ImportStopped(f"{request.filename}: the import failed: {value}")
    finally:
        receiving.close()
        child.join(timeout=30)
        if child.is_alive():
            child.kill()
            child.join()
    raise ImportStopped(
        f"{request.filename}: the import's process stopped (exit code {child.exitcode}), most likely out of "
        f"memory ({memory_mb:,} MB allowed); nothing was written"
    )
