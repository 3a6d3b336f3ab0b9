"""LimeSurvey response exports (CSV).

LimeSurvey writes UTF-8 with a byte-order mark, quotes every field, ends lines with CRLF and
separates fields with ``,`` or ``;``. Headings come in three styles:

- "code": ``id, submitdate, lastpage, startlanguage, ..., Q1[SQ001]`` (older versions and the
  R/SPSS syntax write ``Q1_SQ001``: both spellings match either);
- "full text": ``Response ID, Date submitted, ..., How important ...? [Privacy]``;
- "code + text": ``id. Response ID, ..., Q1[SQ001]. How important ...? [Privacy]``.

Answers come as codes (``A4`` or ``4``), as labels, or as labels with the code in brackets
(``Agree (4)``). ``N/A`` marks a question that was not shown.

A response whose "Date submitted" (``submitdate``) is empty was never finished: it is left out
and counted in the summary, as the toolkit's own survey keeps unfinished answers only as drafts.
With ``unfinished: include`` in the mapping it is imported, timed by its "Date last action"
(``datestamp``). A survey without date stamps writes 1980-01-01 for every finished response.
"""

from __future__ import annotations

import re

from survey.importers.export import Layout, Role, SourceColumn, sub_label
from survey.importers.reading import Grid

NAME = "limesurvey"
TITLE = "LimeSurvey response export (CSV; code, full text or code + text headings)"

# by code and by full-text heading (case-insensitive)
ROLES = {
    "id": Role.response_id,
    "response id": Role.response_id,
    "submitdate": Role.submitted_at,
    "date submitted": Role.submitted_at,
    "startlanguage": Role.language,
    "start language": Role.language,
    "lastpage": Role.meta,
    "last page": Role.meta,
    "seed": Role.meta,
    "startdate": Role.meta,
    "date started": Role.meta,
    "datestamp": Role.last_action,
    "date last action": Role.last_action,
    "ipaddr": Role.personal,
    "ip address": Role.personal,
    "refurl": Role.personal,
    "referrer url": Role.personal,
    "token": Role.personal,
    "access code": Role.personal,
    "firstname": Role.personal,
    "first name": Role.personal,
    "lastname": Role.personal,
    "last name": Role.personal,
    "email": Role.personal,
    "email address": Role.personal,
    "interviewtime": Role.meta,
    "total time": Role.meta,
}
CODE = re.compile(r"^([A-Za-z][A-Za-z0-9_]*(?:\[[^\]]*\])*)\. (.*)$", re.S)
BRACKETED = re.compile(r"^([A-Za-z][A-Za-z0-9]*)\[([^\]]+)\]$")
UNDERSCORED = re.compile(r"^([A-Za-z][A-Za-z0-9]*)_([A-Za-z0-9]+)$")


def _spellings(code: str) -> tuple[str, ...]:
    """``Q1[SQ001]`` and ``Q1_SQ001`` name the same subquestion."""
    bracketed = BRACKETED.match(code)
    if bracketed:
        return (code, f"{bracketed.group(1)}_{bracketed.group(2)}")
    underscored = UNDERSCORED.match(code)
    if underscored:
        return (code, f"{underscored.group(1)}[{underscored.group(2)}]")
    return (code,)


def sniff(grid: Grid) -> bool:
    headers = [h.casefold() for h in grid.row(0)]
    if headers[:1] == ["id"] and ("submitdate" in headers or "lastpage" in headers):
        return True
    if headers[:1] == ["response id"] and ("date submitted" in headers or "last page" in headers):
        return True
    return (
        bool(headers) and headers[0].startswith("id. ") and any(h.startswith("submitdate. ") for h in headers)
    )


def layout(grid: Grid) -> Layout:
    columns = []
    for position, heading in enumerate(grid.row(0)):
        coded = CODE.match(heading)
        if coded:
            code, text = coded.group(1), coded.group(2).strip()
            names = (*_spellings(code), text, sub_label(text) or "")
            role = ROLES.get(code.casefold()) or ROLES.get(text.casefold()) or Role.question
            columns.append(SourceColumn(position, code, text, names=names, role=role))
        else:
            names = (*_spellings(heading), sub_label(heading) or "")
            role = ROLES.get(heading.casefold(), Role.question if heading else Role.ignored)
            columns.append(SourceColumn(position, heading, heading, names=names, role=role))
    return Layout(
        header_rows=1, columns=columns, not_answered=frozenset({"N/A"}), unfinished_without_submit_time=True
    )
