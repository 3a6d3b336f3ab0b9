"""SurveyMonkey "All individual responses" exports (CSV or XLSX, expanded).

Two header rows: the first has ``Respondent ID, Collector ID, Start Date, End Date, IP Address,
Email Address, First Name, Last Name, Custom Data 1`` and each question's text over its first
sub-column (blank over the others); the second has the sub-labels (``Response``, a matrix's
row labels, ``Other (please specify)``). A column is named ``Question [Sub-label]``, or just
the question when its sub-label is ``Response``; its sub-label alone also matches.
"""

from __future__ import annotations

from survey.importers.export import Layout, Role, SourceColumn
from survey.importers.reading import Grid

NAME = "surveymonkey"
TITLE = "SurveyMonkey export (two header rows)"

ROLES = {
    "respondent id": Role.response_id,
    "end date": Role.submitted_at,
    "collector id": Role.meta,
    "start date": Role.meta,
    "ip address": Role.personal,
    "email address": Role.personal,
    "first name": Role.personal,
    "last name": Role.personal,
}
SINGLE = {"response", "open-ended response", ""}


def sniff(grid: Grid) -> bool:
    headers = [h.casefold() for h in grid.row(0)]
    return headers[:1] == ["respondent id"] and "collector id" in headers


def layout(grid: Grid) -> Layout:
    columns = []
    question = ""
    for position, (top, sub) in enumerate(zip(grid.row(0), grid.row(1), strict=True)):
        if top:
            question = top
        role = ROLES.get(top.casefold()) if top else None
        if role is not None:
            columns.append(SourceColumn(position, top, top, role=role))
            continue
        if not question:
            columns.append(SourceColumn(position, f"(no header {position + 1})", role=Role.ignored))
            continue
        if sub.casefold() in SINGLE:
            columns.append(SourceColumn(position, question, question))
        else:
            column_id = f"{question} [{sub}]"
            columns.append(SourceColumn(position, column_id, column_id, names=(sub,)))
    return Layout(header_rows=2, columns=columns)
