"""The tidy "long" file: one row per rating.

Columns ``response_id, group, topic, dimension, value`` and optionally ``channel``,
``submitted_at`` and ``language`` (names are matched ignoring case, spaces and dashes). An empty
`value` or ``dont_know`` means "don't know". Needs no mapping.
"""

from __future__ import annotations

import re

from survey.importers.export import Layout, Role, SourceColumn
from survey.importers.reading import Grid

NAME = "long"
TITLE = "Long (tidy) CSV/XLSX: one row per rating"

ROLES = {
    "response_id": Role.response_id,
    "group": Role.group,
    "topic": Role.topic,
    "dimension": Role.dimension,
    "value": Role.value,
    "channel": Role.channel,
    "submitted_at": Role.submitted_at,
    "language": Role.language,
}


def key(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().casefold())


def sniff(grid: Grid) -> bool:
    keys = {key(h) for h in grid.row(0)}
    return {"response_id", "topic", "value"} <= keys


def layout(grid: Grid) -> Layout:
    columns = []
    for position, header in enumerate(grid.row(0)):
        role = ROLES.get(key(header), Role.ignored)
        columns.append(SourceColumn(position, header, header, role=role))
    return Layout(header_rows=1, columns=columns, shape="long")
