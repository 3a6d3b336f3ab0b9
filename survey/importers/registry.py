"""The formats the importer reads, how a file's format is recognised, and :func:`read_export`."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from core.limits import LimitExceeded, read_capped
from survey.importers import (
    google_forms,
    limesurvey,
    long,
    ms_forms,
    qualtrics,
    surveymonkey,
    wide,
)
from survey.importers.export import ParsedExport, build_export
from survey.importers.mapping import ImportMapping, load_mapping
from survey.importers.problems import ImportFailed, Problem, Problems, shown
from survey.importers.reading import Grid, read_grid
from survey.importers.validate import Progress
from survey.settings import import_limits

# In the order detection tries them: the tools' own exports first, the generic shapes last.
FORMATS: dict[str, ModuleType] = {
    module.NAME: module
    for module in (qualtrics, surveymonkey, limesurvey, ms_forms, google_forms, long, wide)
}


def detect_format(grid: Grid) -> str | None:
    """The first format whose header the file has, or None."""
    for name, module in FORMATS.items():
        if module.sniff(grid):
            return name
    return None


def _refused(name: str, exc: LimitExceeded) -> ImportFailed:
    return ImportFailed(name, [Problem(name, str(exc).removeprefix(f"{name}: "))])


def read_export(
    source: str | Path | bytes,
    *,
    filename: str | None = None,
    format: str | None = None,
    mapping: ImportMapping | str | Path | None = None,
    encoding: str | None = None,
    progress: Progress | None = None,
) -> ParsedExport:
    """Read a survey tool's export: a path, or the bytes of an uploaded file with its `filename`.

    `format` defaults to the one detected from the file's header; `mapping` is an
    :class:`ImportMapping` or the path of a mapping YAML file. Problems that only the whole file
    shows (duplicate response ids, missing columns) are collected in the result's `problems`;
    a file that cannot be read at all, or a bad mapping, raises :class:`ImportFailed`.
    """
    if isinstance(source, bytes):
        data = source
        name = filename or "upload"
    else:
        path = Path(source)
        name = filename or path.name
        try:
            import_limits().check_size(name, path.stat().st_size)
            with path.open("rb") as stream:
                data = read_capped(stream, name=name, limit=import_limits().max_bytes)
        except LimitExceeded as exc:
            raise _refused(name, exc) from None
        except OSError as exc:
            raise ImportFailed(
                name, [Problem(name, f"cannot read the file: {exc.strerror or exc}")]
            ) from None
    mapping_name = None
    if isinstance(mapping, str | Path):
        mapping_name = Path(mapping).name
        mapping = load_mapping(mapping)
    mapping = mapping or ImportMapping()
    if format is not None and format not in FORMATS:
        raise ImportFailed(name, [Problem(name, f"unknown format '{format}' (one of {', '.join(FORMATS)})")])

    problems = Problems(name)
    size = len(data)
    if progress:
        progress("reading", 0, size)
    try:
        grid = read_grid(data, filename=name, encoding=encoding, problems=problems)
        del data, source  # the cells are read: the file's bytes are not needed any more
    except LimitExceeded as exc:
        raise _refused(name, exc) from None
    if grid is None:
        raise ImportFailed.of(problems)
    if progress:
        progress("reading", size, size)
    detected = format is None
    if format is None:
        format = detect_format(grid)
        if format is None:
            first = ", ".join(shown(h) for h in grid.row(0)[:6])
            problems.add(
                f"cannot tell which tool wrote this file (first headers: {first}); choose its "
                f"format (one of {', '.join(FORMATS)}: the Format box, or --format on the command line)"
            )
            raise ImportFailed.of(problems)
    module = FORMATS[format]
    try:
        layout = module.layout(grid)
    except (ValueError, IndexError) as exc:
        problems.add(f"the header rows do not look like a {format} export ({exc})")
        raise ImportFailed.of(problems) from None
    if len(grid.cells) <= layout.header_rows:
        problems.add(
            f"the file has its header rows but no responses (a {format} export has {layout.header_rows})"
        )
        raise ImportFailed.of(problems)
    return build_export(
        grid,
        layout,
        format=format,
        format_detected=detected,
        mapping=mapping,
        mapping_name=mapping_name,
        problems=problems,
    )
