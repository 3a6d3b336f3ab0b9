"""Checks of the double-materiality inputs: the IRO register, the ratings and the consensus values.

Each check reads every row, collects every problem with its 1-based data-row number (the first
row below a header is row 1) and its column, and either returns the whole frame cleaned or
raises :class:`DmaInputError` with all problems: never a part of the rows. Importers use the
same checks (and :func:`analysis.dma_method.criterion_problem`) so that a file is refused with
the same words the scoring would use.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.dma_method import (
    CRITERIA,
    IRO_STATUSES,
    IRO_TYPES,
    SCALE_MAX,
    SCALE_MIN,
    criterion_problem,
)

REGISTER_COLUMNS = ("iro", "topic", "sub_topic", "type", "status", "human_rights")
RATING_COLUMNS = ("assessor", "iro", "criterion", "value", "rationale")
CONSENSUS_COLUMNS = ("iro", "criterion", "value", "rationale")

_YES = ("yes", "true")
_NO = ("no", "false")


@dataclass(frozen=True)
class RowProblem:
    """One problem in one cell: `row` is the 1-based data row (``None`` for the header)."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = "header" if self.row is None else f"row {self.row}"
        return f"{where}, column '{self.column}': {self.message}"


class DmaInputError(ValueError):
    """Input that cannot be scored; `problems` lists every problem found, in row order."""

    def __init__(self, what: str, problems: list[RowProblem]):
        self.what = what
        self.problems = problems
        super().__init__("\n".join(f"{what}: {problem}" for problem in problems))


def _text(cell: Any) -> str:
    if cell is None or (isinstance(cell, float) and math.isnan(cell)) or cell is pd.NA:
        return ""
    return str(cell).strip()


def _records(frame: pd.DataFrame, columns: tuple[str, ...] | list[str]) -> Iterator[dict[str, Any]]:
    """The rows of `frame` as dicts of `columns`; one vectorised conversion per column, as
    iterating a pandas frame row by row (``to_dict``) costs far more for Arrow-backed text."""
    arrays = [frame[column].to_numpy(dtype=object) for column in columns]
    for values in zip(*arrays, strict=True):
        yield dict(zip(columns, values, strict=True))


def _missing_columns(frame: pd.DataFrame, required: tuple[str, ...], what: str) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        problems = [RowProblem(None, c, f"missing column (required: {', '.join(required)})") for c in missing]
        raise DmaInputError(what, problems)


def _rating_value(cell: Any) -> tuple[int | None, str | None]:
    """A rating as a whole number on the scale, or the reason it is not one."""
    text = _text(cell)
    if not text:
        return None, "a value is required"
    if isinstance(cell, bool):
        return None, f"expected a whole number from {SCALE_MIN} to {SCALE_MAX}, got {text!r}"
    try:
        number = float(text)
    except ValueError:
        return None, f"expected a whole number from {SCALE_MIN} to {SCALE_MAX}, got {text!r}"
    if not math.isfinite(number) or number != int(number):
        return None, f"expected a whole number from {SCALE_MIN} to {SCALE_MAX}, got {text}"
    if not SCALE_MIN <= number <= SCALE_MAX:
        return None, f"off the scale: {text} (the scale runs from {SCALE_MIN} to {SCALE_MAX})"
    return int(number), None


def _human_rights(cell: Any) -> bool | None:
    if isinstance(cell, bool):
        return cell
    text = _text(cell).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    return None


def validate_register(register: pd.DataFrame) -> pd.DataFrame:
    """The register's scoring columns, checked and cleaned, in the given row order.

    Columns: ``iro, topic, type, status, human_rights`` and optionally ``sub_topic`` (blank for an
    IRO filed under its topic only); other columns are left out of the result. ``human_rights``
    is ``yes``/``no`` (or a boolean). Raises :class:`DmaInputError` naming every problem.
    """
    frame = register if "sub_topic" in register.columns else register.assign(sub_topic="")
    _missing_columns(frame, REGISTER_COLUMNS, "register")
    problems: list[RowProblem] = []
    rows: list[dict[str, Any]] = []
    first_row: dict[str, int] = {}
    for number, record in enumerate(_records(frame, REGISTER_COLUMNS), start=1):
        row = {column: _text(record[column]) for column in REGISTER_COLUMNS}
        if not row["iro"]:
            problems.append(RowProblem(number, "iro", "an IRO id is required"))
        elif row["iro"] in first_row:
            problems.append(
                RowProblem(
                    number, "iro", f"duplicate IRO {row['iro']!r} (first in row {first_row[row['iro']]})"
                )
            )
        else:
            first_row[row["iro"]] = number
        if not row["topic"]:
            problems.append(RowProblem(number, "topic", "a topic is required"))
        if row["type"] not in IRO_TYPES:
            problems.append(
                RowProblem(number, "type", f"unknown type {row['type']!r} (known: {', '.join(IRO_TYPES)})")
            )
        if row["status"] not in IRO_STATUSES:
            problems.append(
                RowProblem(
                    number, "status", f"unknown status {row['status']!r} (known: {', '.join(IRO_STATUSES)})"
                )
            )
        human_rights = _human_rights(record["human_rights"])
        if human_rights is None:
            problems.append(
                RowProblem(number, "human_rights", f"expected yes or no, got {row['human_rights']!r}")
            )
        rows.append({**row, "human_rights": human_rights})
    if problems:
        raise DmaInputError("register", problems)
    return pd.DataFrame(rows, columns=list(REGISTER_COLUMNS)).astype({"human_rights": bool})


def _check_rows(
    frame: pd.DataFrame, register: pd.DataFrame, *, what: str, columns: tuple[str, ...], key: tuple[str, ...]
) -> pd.DataFrame:
    """Ratings and consensus values share every rule but the key that must be unique;
    `register` is already checked."""
    _missing_columns(frame, columns, what)
    kinds = dict(zip(register["iro"], zip(register["type"], register["status"], strict=True), strict=True))
    problems: list[RowProblem] = []
    rows: list[dict[str, Any]] = []
    first_row: dict[tuple[str, ...], int] = {}
    for number, record in enumerate(_records(frame, columns), start=1):
        row: dict[str, Any] = {column: _text(record[column]) for column in columns}
        row["criterion"] = row["criterion"].lower()
        if "assessor" in row and not row["assessor"]:
            problems.append(RowProblem(number, "assessor", "an assessor is required"))
        if not row["iro"]:
            problems.append(RowProblem(number, "iro", "an IRO id is required"))
        elif row["iro"] not in kinds:
            problems.append(RowProblem(number, "iro", f"unknown IRO {row['iro']!r} (not in the register)"))
        if row["criterion"] not in CRITERIA:
            problems.append(
                RowProblem(
                    number,
                    "criterion",
                    f"unknown criterion {row['criterion']!r} (known: {', '.join(CRITERIA)})",
                )
            )
        elif row["iro"] in kinds:
            iro_type, status = kinds[row["iro"]]
            reason = criterion_problem(iro_type, status, row["criterion"])
            if reason is not None:
                problems.append(
                    RowProblem(
                        number,
                        "criterion",
                        f"{row['criterion']} cannot be rated for IRO {row['iro']!r}: {reason}",
                    )
                )
        row["value"], reason = _rating_value(record["value"])
        if reason is not None:
            problems.append(RowProblem(number, "value", reason))
        if not row["rationale"]:
            problems.append(RowProblem(number, "rationale", "a rationale is required for every rating"))
        identity = tuple(row[k] for k in key)
        if all(identity):
            if identity in first_row:
                named = ", ".join(f"{k} {v!r}" for k, v in zip(key, identity, strict=True))
                problems.append(
                    RowProblem(number, key[-1], f"duplicate of row {first_row[identity]} ({named})")
                )
            else:
                first_row[identity] = number
        rows.append(row)
    if problems:
        raise DmaInputError(what, problems)
    return pd.DataFrame(rows, columns=list(columns)).astype({"value": "int64"})


def _ratings(ratings: pd.DataFrame, register: pd.DataFrame) -> pd.DataFrame:
    return _check_rows(
        ratings, register, what="ratings", columns=RATING_COLUMNS, key=("assessor", "iro", "criterion")
    )


def _consensus(consensus: pd.DataFrame | None, register: pd.DataFrame) -> pd.DataFrame:
    if consensus is None:
        consensus = pd.DataFrame(columns=list(CONSENSUS_COLUMNS))
    return _check_rows(
        consensus, register, what="consensus", columns=CONSENSUS_COLUMNS, key=("iro", "criterion")
    )


def validate_ratings(ratings: pd.DataFrame, register: pd.DataFrame) -> pd.DataFrame:
    """The ratings, checked against the register and cleaned, in the given row order.

    Columns ``assessor, iro, criterion, value, rationale``. Refused, every row named: a blank
    assessor, IRO or rationale; an IRO not in the register; an unknown criterion or one that
    does not apply to the IRO's type and status; a value that is not a whole number from 1 to 5;
    a second rating of the same criterion of the same IRO by the same assessor.
    """
    return _ratings(ratings, validate_register(register))


def validate_consensus(consensus: pd.DataFrame, register: pd.DataFrame) -> pd.DataFrame:
    """Consensus values set in calibration (``iro, criterion, value, rationale``), checked like
    ratings; at most one per criterion of an IRO."""
    return _consensus(consensus, validate_register(register))


@dataclass(frozen=True)
class DmaInputs:
    """The three inputs of the scoring, checked and cleaned."""

    register: pd.DataFrame
    ratings: pd.DataFrame
    consensus: pd.DataFrame


def validate_inputs(
    register: pd.DataFrame, ratings: pd.DataFrame, consensus: pd.DataFrame | None = None
) -> DmaInputs:
    """Check everything the scoring reads, the register once. Raises :class:`DmaInputError` for
    the first input with problems (register, then ratings, then consensus), listing all of them."""
    checked = validate_register(register)
    return DmaInputs(checked, _ratings(ratings, checked), _consensus(consensus, checked))


# --- the register as a file holds it ----------------------------------------------------------

VALUE_CHAIN = ("upstream", "own_operations", "downstream")
HORIZONS = ("short", "medium", "long")
REGISTER_FILE_COLUMNS = (
    "iro",
    "topic",
    "sub_topic",
    "type",
    "status",
    "value_chain",
    "horizon",
    "human_rights",
    "description",
)
REGISTER_TEXT_LIMITS = {"iro": 64, "topic": 64, "sub_topic": 200, "description": 4000, "owner": 200}
_TOPIC_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _value_chain(cell: Any) -> tuple[str, str | None]:
    """Places in the value chain, ``;``-separated, as stored (in the order of
    :data:`VALUE_CHAIN`), or the reason they are not valid."""
    parts = [p.strip().lower() for p in _text(cell).split(";") if p.strip()]
    if not parts:
        return "", f"at least one of {', '.join(VALUE_CHAIN)} is required (several separated by ';')"
    unknown = [p for p in parts if p not in VALUE_CHAIN]
    if unknown:
        return "", f"unknown place {unknown[0]!r} (known: {', '.join(VALUE_CHAIN)}; several separated by ';')"
    return ";".join(p for p in VALUE_CHAIN if p in parts), None


def validate_register_file(register: pd.DataFrame) -> pd.DataFrame:
    """A whole register as imported or edited: the scoring columns checked by
    :func:`validate_register`, and `value_chain` (one or more of :data:`VALUE_CHAIN`, ``;``
    separated), `horizon` (:data:`HORIZONS`), `topic` (a key: lower-case letters, digits, ``_``),
    text lengths, and the optional `description` and `owner`. Raises :class:`DmaInputError` with
    every problem of every row; returns the cleaned frame (:data:`REGISTER_FILE_COLUMNS` and
    `owner`)."""
    frame = register.copy()
    for optional in ("sub_topic", "description", "owner"):
        if optional not in frame.columns:
            frame[optional] = ""
    _missing_columns(frame, REGISTER_FILE_COLUMNS, "register")
    problems: list[RowProblem] = []
    try:
        checked = validate_register(frame)
    except DmaInputError as error:
        problems.extend(error.problems)
        checked = None
    chains: list[str] = []
    horizons: list[str] = []
    for number, record in enumerate(_records(frame, list(frame.columns)), start=1):
        chain, reason = _value_chain(record["value_chain"])
        if reason is not None:
            problems.append(RowProblem(number, "value_chain", reason))
        chains.append(chain)
        horizon = _text(record["horizon"]).lower()
        if horizon not in HORIZONS:
            problems.append(
                RowProblem(number, "horizon", f"expected one of {', '.join(HORIZONS)}, got {horizon!r}")
            )
        horizons.append(horizon)
        topic = _text(record["topic"])
        if topic and not _TOPIC_KEY.match(topic):
            problems.append(
                RowProblem(
                    number, "topic", f"{topic!r} is not a topic key (lower-case letters, digits and _)"
                )
            )
        for column, limit in REGISTER_TEXT_LIMITS.items():
            length = len(_text(record[column]))
            if length > limit:
                problems.append(
                    RowProblem(number, column, f"is {length} characters long; at most {limit} fit")
                )
    if problems or checked is None:
        problems.sort(
            key=lambda p: (
                p.row or 0,
                REGISTER_FILE_COLUMNS.index(p.column) if p.column in REGISTER_FILE_COLUMNS else 99,
            )
        )
        raise DmaInputError("register", problems)
    return checked.assign(
        value_chain=chains,
        horizon=horizons,
        description=[_text(v) for v in frame["description"]],
        owner=[_text(v) for v in frame["owner"]],
    ).loc[:, [*REGISTER_FILE_COLUMNS, "owner"]]
