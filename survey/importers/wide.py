"""The "wide" file: one row per response, one column per topic.

Columns ``response_id``, ``group``, optionally ``channel``, ``submitted_at`` and ``language``,
then one column per topic whose header is the topic key. Needs no mapping when the headers are
topic keys; a mapping's ``topics`` can name other headers.
"""

from __future__ import annotations

from survey.importers.export import Layout, Role, SourceColumn
from survey.importers.long import key
from survey.importers.reading import Grid

NAME = "wide"
TITLE = "Wide CSV/XLSX: one row per response, one column per topic"

ROLES = {
    "response_id": Role.response_id,
    "group": Role.group,
    "channel": Role.channel,
    "submitted_at": Role.submitted_at,
    "language": Role.language,
}


def sniff(grid: Grid) -> bool:
    return "response_id" in {key(h) for h in grid.row(0)}


def layout(grid: Grid) -> Layout:
    columns = []
    for position, header in enumerate(grid.row(0)):
        if not header:
            columns.append(SourceColumn(position, f"(no header {position + 1})", role=Role.ignored))
            continue
        columns.append(SourceColumn(position, header, header, role=ROLES.get(key(header), Role.question)))
    return Layout(header_rows=1, columns=columns, headers_are_topics=True)
