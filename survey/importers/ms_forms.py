"""Microsoft Forms responses downloaded as an Excel workbook ("Open in Excel").

Columns ``ID, Start time, Completion time, Email, Name`` (newer forms add ``Last modified
time``), then one column per question; a Likert question becomes one column per statement.
Anonymous forms write ``anonymous`` in Email and leave Name empty: both are dropped anyway.
"""

from __future__ import annotations

from survey.importers.export import Layout, Role, SourceColumn, sub_label
from survey.importers.reading import Grid

NAME = "ms_forms"
TITLE = "Microsoft Forms Excel download"

ROLES = {
    "id": Role.response_id,
    "completion time": Role.submitted_at,
    "完成时间": Role.submitted_at,
    "start time": Role.meta,
    "开始时间": Role.meta,
    "last modified time": Role.meta,
    "上次修改时间": Role.meta,
    "email": Role.personal,
    "电子邮件": Role.personal,
    "name": Role.personal,
    "名称": Role.personal,
    "language": Role.language,
}


def sniff(grid: Grid) -> bool:
    headers = [h.casefold() for h in grid.row(0)[:3]]
    return headers in (["id", "start time", "completion time"], ["id", "开始时间", "完成时间"])


def layout(grid: Grid) -> Layout:
    columns = []
    for position, header in enumerate(grid.row(0)):
        role = ROLES.get(header.casefold(), Role.question if header else Role.ignored)
        columns.append(SourceColumn(position, header, header, names=(sub_label(header) or "",), role=role))
    return Layout(header_rows=1, columns=columns)
