"""Microsoft Forms responses downloaded as an Excel workbook ("Open in Excel").

Columns ``ID, Start time, Completion time, Email, Name`` (newer forms add ``Last modified
time``), then one column per question, located by header (the order can change, and the
sheet's name is not relied on: the first sheet is read). A Likert question becomes one column
per statement, headed by the statement alone, with the option labels as answers; a choice with
several answers joins them with ``;``. A quiz adds ``Total points``, ``Quiz feedback`` and
``Grade posted time``, and ``Points - Q`` and ``Feedback - Q`` after each question. A question
whose title repeats a column's gets a digit (``Name2``). Anonymous forms write ``anonymous`` in
Email and leave Name empty: both are dropped anyway. Headers follow the form owner's language
(Chinese and Japanese are recognised).
"""

from __future__ import annotations

import re

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
    "開始時刻": Role.meta,
    "完了時刻": Role.submitted_at,
    "メール": Role.personal,
    "名前": Role.personal,
    "最終更新時刻": Role.meta,
    "total points": Role.meta,
    "quiz feedback": Role.meta,
    "grade posted time": Role.meta,
    "language": Role.language,
}
FIRST_COLUMNS = (
    ["id", "start time", "completion time"],
    ["id", "开始时间", "完成时间"],
    ["id", "開始時刻", "完了時刻"],
)
QUIZ_COLUMN = re.compile(r"^(?:points|feedback) - ", re.IGNORECASE)
RENAMED_FIXED = re.compile(r"^(name|email|名称|电子邮件|名前|メール)\d+$", re.IGNORECASE)


def sniff(grid: Grid) -> bool:
    return [h.casefold() for h in grid.row(0)[:3]] in FIRST_COLUMNS


def _role(header: str) -> Role:
    if not header:
        return Role.ignored
    if QUIZ_COLUMN.match(header):
        return Role.meta
    if RENAMED_FIXED.match(header):  # a question asking for a name or an address
        return Role.personal
    return ROLES.get(header.casefold(), Role.question)


def layout(grid: Grid) -> Layout:
    columns = []
    for position, header in enumerate(grid.row(0)):
        role = _role(header)
        columns.append(SourceColumn(position, header, header, names=(sub_label(header) or "",), role=role))
    return Layout(header_rows=1, columns=columns)
