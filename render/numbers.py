"""Numbers as text, the same way in every chart, table and paragraph.

Each function takes what a frame may hold (floats, numpy scalars, None, NaN, pandas' NA) and
writes `missing` where there is no number.
"""

from __future__ import annotations

import math

import pandas as pd

MISSING = "n/a"


def is_missing(value: object) -> bool:
    """None, NaN, NaT or pandas' NA: no number to show."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def number(value: object, digits: int = 2, missing: str = MISSING) -> str:
    """``4.21``: fixed `digits` decimals."""
    return missing if is_missing(value) else f"{float(value):.{digits}f}"  # type: ignore[arg-type]


def signed(value: object, digits: int = 2, missing: str = MISSING) -> str:
    """``+0.42`` / ``-0.10``: a difference, always with its sign."""
    return missing if is_missing(value) else f"{float(value):+.{digits}f}"  # type: ignore[arg-type]


def percent(value: object, missing: str = MISSING) -> str:
    """``25%``: a share (0.25) in whole percent."""
    return missing if is_missing(value) else f"{float(value):.0%}"  # type: ignore[arg-type]


def whole(value: object, missing: str = MISSING) -> str:
    """``12``: a count or a rank."""
    return missing if is_missing(value) else str(int(value))  # type: ignore[call-overload]


def interval(value: object, low: object, high: object, separator: str = ", ", missing: str = MISSING) -> str:
    """``4.21 [4.02, 4.40]``: an estimate with its interval."""
    ends = f"{number(low, missing=missing)}{separator}{number(high, missing=missing)}"
    return f"{number(value, missing=missing)} [{ends}]"
