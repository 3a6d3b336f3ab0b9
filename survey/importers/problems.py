"""Problems found in an export: each names the file, the row, the column and the value."""

from __future__ import annotations

import re
from dataclasses import dataclass

# How many problems an error message lists; the total is always given.
MAX_LISTED = 50


def column_letter(position: int) -> str:
    """The spreadsheet letter of a 0-based column position: 0 -> A, 26 -> AA."""
    letters = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def shown(value: object, limit: int = 60) -> str:
    """A cell value quoted for a message, shortened and with control characters made visible."""
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return repr(text)


def shown_name(name: str, limit: int = 90) -> str:
    """A column name quoted for a message. A long one loses its middle, not its end: the end is
    what tells matrix rows apart (``Question [Row]``, ``Question-Row``, ``Q1[SQ001]. Question``)."""
    text = " ".join(str(name).split())
    if len(text) <= limit:
        return repr(text)
    bracket = re.search(r"(\s*\[[^\[\]]*\])$", text)
    tail = bracket.group(1) if bracket and len(bracket.group(1)) <= limit - 20 else text[-(limit // 2) :]
    head = text[: limit - len(tail) - 1].rstrip()
    return repr(f"{head}…{tail}")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an export. `row` is the row number a spreadsheet shows."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None  # e.g. "'Q1_3' (column D)"

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"


class Problems:
    """Collects problems up to :data:`MAX_LISTED` while counting all of them."""

    def __init__(self, file: str):
        self.file = file
        self.listed: list[Problem] = []
        self.total = 0

    def add(self, message: str, *, row: int | None = None, column: str | None = None) -> None:
        self.total += 1
        if len(self.listed) < MAX_LISTED:
            self.listed.append(Problem(self.file, message, row, column))

    def extend(self, other: Problems) -> None:
        for problem in other.listed:
            if len(self.listed) < MAX_LISTED:
                self.listed.append(problem)
        self.total += other.total

    def __bool__(self) -> bool:
        return self.total > 0

    def __len__(self) -> int:
        return self.total


class ImportFailed(ValueError):
    """An export that cannot be imported; nothing was written. `problems` lists what was found
    (up to :data:`MAX_LISTED`), `total` counts every problem."""

    def __init__(self, file: str, problems: list[Problem], total: int | None = None):
        self.file = file
        self.problems = problems
        self.total = len(problems) if total is None else total
        lines = [
            f"{file}: {self.total} problem{'s' if self.total != 1 else ''} found, nothing was imported:",
            *(f"  {p}" for p in problems),
        ]
        if self.total > len(problems):
            lines.append(f"  ... and {self.total - len(problems)} more")
        super().__init__("\n".join(lines))

    def __reduce__(self) -> tuple[type[ImportFailed], tuple[str, list[Problem], int]]:
        """Pickled with its problems (an import run in another process sends it back)."""
        return (type(self), (self.file, self.problems, self.total))

    @classmethod
    def of(cls, problems: Problems) -> ImportFailed:
        return cls(problems.file, list(problems.listed), problems.total)
