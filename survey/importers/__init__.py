"""Importing responses from the survey tools companies already use.

Two steps, so a page can show a preview before anything is written::

    parsed = read_export(path_or_bytes, filename=..., format=None, mapping=None, encoding=None)
    summary = import_export(session=..., index=..., parsed=parsed, dry_run=False)

:func:`read_export` reads the file (format detected from its header unless given), applies the
mapping, drops personal data and checks what it can without an assessment; :func:`import_export`
checks the rest against the assessment (topics, groups, channels, scale), skips responses
imported before (matched by source and response id) and writes the new ones in the caller's
transaction. Either raises :class:`ImportFailed` listing every problem found.
Formats: see :data:`FORMATS` and docs/importing.md.
"""

from survey.importers.export import ParsedExport, Role, SourceColumn
from survey.importers.importing import ImportSummary, import_export
from survey.importers.mapping import ImportMapping, load_mapping, parse_mapping
from survey.importers.problems import MAX_LISTED, ImportFailed, Problem
from survey.importers.registry import FORMATS, detect_format, read_export
from survey.importers.validate import ImportPlan, Progress, plan_import

__all__ = [
    "FORMATS",
    "MAX_LISTED",
    "ImportFailed",
    "ImportMapping",
    "ImportPlan",
    "ImportSummary",
    "ParsedExport",
    "Problem",
    "Progress",
    "Role",
    "SourceColumn",
    "detect_format",
    "import_export",
    "load_mapping",
    "parse_mapping",
    "plan_import",
    "read_export",
]
