"""Qualtrics response exports (CSV or TSV).

The current export has three header rows: column ids (``Q1_1``), the question text in the
account's language, and an ImportId in JSON (``{"ImportId":"QID1_1"}``, sometimes with more
keys such as ``timeZone`` or ``choiceId``). Columns are matched by ImportId or column id, never
by the question text, which changes with the language.

Two older layouts are read too. The 2016-2019 export ("Legacy Exporter", API v3) has three header
rows as well: ``ResponseID, ResponseSet, IPAddress, StartDate, EndDate, RecipientLastName, ...``,
the question text (a matrix row as ``Question-Row``), and the ImportId as a Python literal with
single quotes and a hyphen, ``{'ImportId': 'QID2-1'}``; ``QID2-1`` and ``QID2_1`` name the same
column. The oldest has two header rows: ``V1 ... V10`` over ``ResponseID, ResponseSet, Name,
ExternalDataReference, EmailAddress, IPAddress, Status, StartDate, EndDate, Finished``,
followed by the question ids.

Responses recorded as survey previews, tests or spam are left out. In numeric exports ``-99``
marks a question seen but not answered.
"""

from __future__ import annotations

import ast
import json
import re

from survey.importers.export import Layout, Role, SourceColumn
from survey.importers.reading import Grid

NAME = "qualtrics"
TITLE = "Qualtrics CSV/TSV export (current with ImportId row, or legacy V1...V10)"

# by ImportId or column id (case-insensitive)
ROLES = {
    "_recordid": Role.response_id,
    "responseid": Role.response_id,
    "recordeddate": Role.submitted_at,
    "userlanguage": Role.language,
    "status": Role.status,
    "ipaddress": Role.personal,
    "recipientlastname": Role.personal,
    "recipientfirstname": Role.personal,
    "recipientemail": Role.personal,
    "externalreference": Role.personal,
    "externaldatareference": Role.personal,
    "locationlatitude": Role.personal,
    "locationlongitude": Role.personal,
    "locationaccuracy": Role.personal,
    "startdate": Role.meta,
    "enddate": Role.meta,
    "progress": Role.meta,
    "duration": Role.meta,
    "duration (in seconds)": Role.meta,
    "finished": Role.meta,
    "distributionchannel": Role.meta,
    "responseset": Role.meta,
    "name": Role.personal,
    "emailaddress": Role.personal,
}
EXCLUDED = frozenset({"Survey Preview", "Survey Test", "Spam", "1", "2", "8"})


def _import_data(cell: str) -> dict:
    """The ImportId cell: JSON in the current export, a Python dict literal in the 2016 one."""
    if not cell.startswith("{"):
        return {}
    try:
        data = json.loads(cell)
    except ValueError:
        try:
            data = ast.literal_eval(cell)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return {}
    return data if isinstance(data, dict) else {}


def _spellings(import_id: str) -> tuple[str, ...]:
    """``QID2-1`` (2016 export) and ``QID2_1`` (current) name the same column."""
    if re.fullmatch(r"QID\d+(?:[-_][A-Za-z0-9]+)+", import_id):
        return (import_id, import_id.replace("-", "_"), import_id.replace("_", "-"))
    return (import_id,)


def _import_id(cell: str) -> str | None:
    value = _import_data(cell).get("ImportId")
    return str(value) if value is not None else None


def sniff(grid: Grid) -> bool:
    if len(grid.cells) >= 3 and any(_import_id(c) for c in grid.row(2)[:3]):
        return True
    first, second = grid.row(0), grid.row(1)
    return first[:2] == ["V1", "V2"] and "ResponseID" in second


def layout(grid: Grid) -> Layout:
    first, second = grid.row(0), grid.row(1)
    legacy = first[:2] == ["V1", "V2"]
    columns = []
    if legacy:
        for position, (column_id, label) in enumerate(zip(first, second, strict=True)):
            role = ROLES.get(label.casefold()) or ROLES.get(column_id.casefold()) or Role.question
            if not column_id:
                role = Role.ignored
            if column_id.startswith("V") and column_id[1:].isdigit() and role == Role.question:
                role = Role.meta
            columns.append(SourceColumn(position, column_id, label, names=(label,), role=role))
        header_rows = 2
    else:
        third = grid.row(2)
        for position, (column_id, label, cell) in enumerate(zip(first, second, third, strict=True)):
            import_id = _import_id(cell)
            role = ROLES.get((import_id or "").casefold()) or ROLES.get(column_id.casefold()) or Role.question
            if role == Role.question and column_id.startswith("Q_"):
                role = Role.meta  # Qualtrics' own fields such as Q_RecaptchaScore
            if not column_id:
                role = Role.ignored
            zone = _import_data(cell).get("timeZone")
            columns.append(
                SourceColumn(
                    position,
                    column_id,
                    label,
                    names=_spellings(import_id or ""),
                    role=role,
                    timezone=str(zone) if zone else None,
                )
            )
        header_rows = 3
    if not any(c.role == Role.submitted_at for c in columns):
        for column in columns:
            if column.id.casefold() in ("enddate",) or column.label.casefold() == "enddate":
                column.role = Role.submitted_at
                break
    return Layout(
        header_rows=header_rows,
        columns=columns,
        excluded_values=EXCLUDED,
        excluded_reason="survey previews, tests or spam",
        not_answered=frozenset({"-99"}),
    )
