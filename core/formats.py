"""Stable text forms of results: the same content always gives the same bytes."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from core.textsafety import neutralise_frame

FLOAT_FORMAT = "%.6f"


def json_ready(value: Any, digits: int | None = 6) -> Any:
    """`value` with numpy scalars as Python numbers, NaN and infinities as None, and floats rounded
    to `digits` decimals (None: kept as they are)."""
    if isinstance(value, dict):
        return {str(k): json_ready(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v, digits) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return value if digits is None else round(value, digits)
    return value


def json_text(value: Any) -> str:
    """Stable JSON: sorted keys, floats rounded to 6 decimals, NaN as null."""
    return json.dumps(json_ready(value), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def csv_text(frame: pd.DataFrame) -> str:
    """Stable CSV with spreadsheet-safe text cells."""
    return neutralise_frame(frame).to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def spreadsheet_csv(rows: list[dict], columns: list[str]) -> bytes:
    """Rows (survey links, unused invitations) as a CSV for a mail merge: UTF-8 with a byte-order
    mark so that spreadsheet tools read Chinese names, and no cell a spreadsheet runs as a formula."""
    frame = pd.DataFrame(rows, columns=columns)
    return neutralise_frame(frame).to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
