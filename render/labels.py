"""Text on charts: estimated widths, wrapping and clipping, and label placement on the matrix.

Widths are estimated from average character advances rather than measured, which keeps chart
building fast; the estimate is for DejaVu Sans, the widest of the fonts the charts ask for.
"""

from __future__ import annotations

import math
import re
import textwrap
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from core.aggregates import AssessmentData

LABEL_FONT_SIZE = 11
# Average advance of a character at LABEL_FONT_SIZE in DejaVu Sans.
CHAR_WIDTH = 6.6
CJK_CHAR_WIDTH = 11.5
LINE_HEIGHT = 13.0
LABEL_WRAP = 24

Box = tuple[float, float, float, float]  # left, top, right, bottom


def is_cjk(text: str) -> bool:
    return any("\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\uffef" for ch in text)


def text_width(text: str, font_size: float = LABEL_FONT_SIZE) -> float:
    """Estimated width in pixels of one line of text."""
    scale = font_size / LABEL_FONT_SIZE
    return scale * sum(CJK_CHAR_WIDTH if is_cjk(ch) else CHAR_WIDTH for ch in text)


def clip_text(text: str, max_width: float, font_size: float = LABEL_FONT_SIZE) -> str:
    """`text` shortened with an ellipsis to fit `max_width` pixels (estimated; cheaper than Vega's limit)."""
    text = str(text)
    if text_width(text, font_size) <= max_width:
        return text
    while text and text_width(text + "\u2026", font_size) > max_width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def wrap_label(text: str, width: int = LABEL_WRAP) -> str:
    """Break a long name over lines (CJK text, which has no spaces, by characters)."""
    if is_cjk(text):
        width = max(4, width // 2)
        return "\n".join(text[i : i + width] for i in range(0, len(text), width)) or text
    return "\n".join(textwrap.wrap(text, width, break_long_words=True)) or text


def header_lines(text: str, width: int) -> list[str]:
    """Words (and parts after a slash) joined greedily into lines of about `width` characters."""
    tokens = re.findall(r"[^\s/]+/?|/", text)
    lines: list[str] = []
    for token in tokens:
        if lines and len(lines[-1]) + 1 + len(token) <= width:
            glue = "" if lines[-1].endswith("/") else " "
            lines[-1] += glue + token
        else:
            lines.append(token)
    return lines or [text]


def display_names(topics: pd.DataFrame, data: AssessmentData, language: str) -> pd.Series:
    """Topic names in `language` ("en" or "zh"), falling back to English."""
    names = topics["name"].astype(str)
    if language == "zh" and "name_zh" in data.topics:
        zh = topics["topic"].map(data.topics.set_index("topic")["name_zh"])
        names = zh.where(zh.fillna("").astype(str).str.len() > 0, names).astype(str)
    return names


def place_labels(
    points: np.ndarray,
    sizes: np.ndarray,
    width: float,
    height: float,
    point_radius: float = 6.0,
    padding: float = 2.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Centres for text boxes near their points, keeping boxes apart from each other and from points.

    Greedy and deterministic, in pixel space: each label in turn (in the order given) takes the
    first free candidate position, trying the sides of its point at growing distances; when none
    is free it takes the one with the least overlap. Returns (centres, placed_far) where
    placed_far marks labels away from their point (drawn with a leader line).

    `points` is (n, 2) pixel positions (y down), `sizes` is (n, 2) box widths and heights.
    """
    n = len(points)
    directions: list[tuple[float, float]] = [
        (1, 0),
        (-1, 0),
        (0, -1),
        (0, 1),
        (1, -1),
        (1, 1),
        (-1, -1),
        (-1, 1),
    ]
    directions += [(math.cos(a), math.sin(a)) for a in np.radians(np.arange(22.5, 360, 45))]
    radii = [4, 10, 18, 28, 40, 54, 70, 88, 108, 130, 155, 185]
    placed: list[Box] = []
    point_boxes = [
        (x - point_radius, y - point_radius, x + point_radius, y + point_radius) for x, y in points
    ]
    centres = np.zeros((n, 2))
    far = np.zeros(n, dtype=bool)

    def overlap(box: Box, other: Box) -> float:
        dx = min(box[2], other[2]) - max(box[0], other[0]) + padding
        dy = min(box[3], other[3]) - max(box[1], other[1]) + padding
        return dx * dy if dx > 0 and dy > 0 else 0.0

    for i in range(n):
        px, py = points[i]
        w, h = sizes[i]
        best: tuple[float, float, float, int] | None = None
        for r_index, r in enumerate(radii):
            for cx_dir, cy_dir in directions:
                sx = 0.0 if abs(cx_dir) < 1e-9 else math.copysign(1, cx_dir)
                sy = 0.0 if abs(cy_dir) < 1e-9 else math.copysign(1, cy_dir)
                cx = px + cx_dir * (r + point_radius) + sx * w / 2
                cy = py + cy_dir * (r + point_radius) + sy * h / 2
                box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
                if box[0] < 0 or box[1] < 0 or box[2] > width or box[3] > height:
                    continue
                cost = sum(overlap(box, other) for other in placed)
                cost += sum(overlap(box, pb) for j, pb in enumerate(point_boxes) if j != i)
                if best is None or cost < best[2]:
                    best = (cx, cy, cost, r_index)
                if cost == 0:
                    break
            if best is not None and best[2] == 0:
                break
        if best is None:  # the plot is smaller than the label: centre it on the point
            best = (min(max(px, w / 2), width - w / 2), min(max(py, h / 2), height - h / 2), 0.0, 0)
        cx, cy = best[0], best[1]
        centres[i] = (cx, cy)
        placed.append((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
        far[i] = radii[best[3]] > 12
    return centres, far


def nearest_on_box(px: float, py: float, cx: float, cy: float, w: float, h: float) -> tuple[float, float]:
    """The point of a w x h box centred on (cx, cy) nearest to (px, py)."""
    return (min(max(px, cx - w / 2), cx + w / 2), min(max(py, cy - h / 2), cy + h / 2))


def convex_hull(points: np.ndarray) -> np.ndarray:
    """Vertices of the convex hull of 2-d points, counter-clockwise (Andrew's monotone chain)."""
    pts: list[tuple[float, float]] = sorted(set(map(tuple, np.round(points, 9))))
    if len(pts) <= 2:
        return np.array(pts)

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return np.array(lower[:-1] + upper[:-1])
