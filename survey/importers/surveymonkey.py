"""SurveyMonkey "All individual responses" exports (CSV or XLSX, expanded).

Two header rows: the first has ``Respondent ID, Collector ID, Start Date, End Date, IP Address,
Email Address, First Name, Last Name, Custom Data 1`` and each question's text over its first
sub-column (blank over the others); the second has the sub-labels (``Response``, a matrix's
row labels, ``Other (please specify)``). A column is named ``Question [Sub-label]``, or just
the question when its sub-label is ``Response``; its sub-label alone also matches.

The older export ("All Responses Data", the ``CSV/Sheet_1.csv`` of its zip) is laid out the same
way with other fixed columns: ``RespondentID, CollectorID, StartDate, EndDate, IP Address, Email
Address, First Name, LastName, Custom Data``; publishers often keep only ``RespondentID``. Its
fixed columns are empty in the second row, which tells the two header rows from a file with one.
"""

from __future__ import annotations

from survey.importers.export import Layout, Role, SourceColumn
from survey.importers.reading import Grid

NAME = "surveymonkey"
TITLE = "SurveyMonkey export (two header rows)"

# by the fixed column's name, ignoring case and spaces (RespondentID = Respondent ID)
ROLES = {
    "respondentid": Role.response_id,
    "enddate": Role.submitted_at,
    "collectorid": Role.meta,
    "startdate": Role.meta,
    "ipaddress": Role.personal,
    "emailaddress": Role.personal,
    "firstname": Role.personal,
    "lastname": Role.personal,
}
SINGLE = {"response", "open-ended response", ""}


def _fixed(header: str) -> str:
    return "".join(header.casefold().split())


def sniff(grid: Grid) -> bool:
    first, second = grid.row(0), grid.row(1)
    if _fixed(first[0]) != "respondentid":
        return False
    if "collectorid" in {_fixed(h) for h in first}:
        return True
    # the older export as published, trimmed to RespondentID: a row of sub-labels under it
    return second[0] == "" and any(s.casefold() in ("response", "open-ended response") for s in second)


def _check_two_header_rows(first: list[str], second: list[str]) -> None:
    """In a real export the fixed columns have nothing in the second row: when they do, the file
    has one header row and its second row is a response."""
    for top, sub in zip(first, second, strict=True):
        if ROLES.get(_fixed(top)) is not None and sub:
            raise ValueError(
                f"row 2 should hold the sub-labels (Response, matrix rows) and be empty under {top!r}, "
                f"but has {sub!r} there: this file has one header row. Export with two header rows "
                '("expanded", actual answer text), or read it as --format wide with a mapping that '
                f"names response_id: {top} and the topic columns"
            )


def layout(grid: Grid) -> Layout:
    columns = []
    question = ""
    _check_two_header_rows(grid.row(0), grid.row(1))
    for position, (top, sub) in enumerate(zip(grid.row(0), grid.row(1), strict=True)):
        if top:
            question = top
        role = ROLES.get(_fixed(top)) if top else None
        if role is not None:
            columns.append(SourceColumn(position, top, top, role=role))
            continue
        if not question:
            columns.append(SourceColumn(position, "", role=Role.ignored))
            continue
        if sub.casefold() in SINGLE:
            columns.append(SourceColumn(position, question, question))
        else:
            column_id = f"{question} [{sub}]"
            columns.append(SourceColumn(position, column_id, column_id, names=(sub,)))
    return Layout(header_rows=2, columns=columns)
