"""Google Forms responses downloaded as CSV (or the linked Google Sheet saved as XLSX).

The first column is the submission time (``Timestamp``, or its translation), then an optional
``Email Address`` and one column per question; a multiple-choice grid becomes one column per
row, headed ``Question text [Row]``. Google Forms exports no response id: the import derives
one from the timestamp and the answers, so the same file imported twice adds nothing.
"""

from __future__ import annotations

from survey.importers.export import Layout, Role, SourceColumn, sub_label
from survey.importers.reading import Grid

NAME = "google_forms"
TITLE = "Google Forms responses (CSV download or the linked sheet)"

TIMESTAMP = {
    "timestamp",
    "时间戳记",
    "時間戳記",
    "marca temporal",
    "horodateur",
    "zeitstempel",
    "carimbo de data/hora",
    "informazioni cronologiche",
    "タイムスタンプ",
}


def sniff(grid: Grid) -> bool:
    return grid.row(0)[0].casefold() in TIMESTAMP


def layout(grid: Grid) -> Layout:
    columns = []
    for position, header in enumerate(grid.row(0)):
        if position == 0:
            columns.append(SourceColumn(position, header, header, role=Role.submitted_at))
            continue
        row = sub_label(header)
        columns.append(
            SourceColumn(
                position, header, header, names=(row or "",), role=Role.question if header else Role.ignored
            )
        )
    return Layout(header_rows=1, columns=columns, generated_ids=True)
