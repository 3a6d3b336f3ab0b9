"""Text on charts: estimated widths, wrapping and clipping, and label placement on the matrix.

Widths are computed from the advances of DejaVu Sans (the widest of the fonts the charts ask
for) rather than measured by the renderer, which keeps chart building fast.

Labels are placed greedily in pixel space around obstacles: other labels, the points, and line
segments such as interval bars and arrows (:func:`place_labels`).
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
# Advances of the printable ASCII characters (space to ~) in DejaVu Sans at 11 px, read from the
# font file; other characters count as CHAR_WIDTH (CJK as CJK_CHAR_WIDTH).
_ASCII_ADVANCES = (
    "3.5 4.41 5.06 9.22 7.0 10.45 8.58 3.02 4.29 4.29 5.5 9.22 3.5 3.97 3.5 3.71 7.0 7.0 7.0 7.0 7.0 7.0 "
    "7.0 7.0 7.0 7.0 3.71 3.71 9.22 9.22 9.22 5.84 11.0 7.53 7.55 7.68 8.47 6.95 6.33 8.52 8.27 3.24 3.24 "
    "7.21 6.13 9.49 8.23 8.66 6.63 8.66 7.64 6.98 6.72 8.05 7.53 10.88 7.54 6.72 7.54 4.29 3.71 4.29 9.22 "
    "5.5 5.5 6.74 6.98 6.05 6.98 6.77 3.87 6.98 6.97 3.06 3.06 6.37 3.06 10.72 6.97 6.73 6.98 6.98 4.52 "
    "5.73 4.31 6.97 6.51 9.0 6.51 6.51 5.77 7.0 3.71 7.0 9.22"
)
ADVANCES = {chr(32 + i): float(w) for i, w in enumerate(_ASCII_ADVANCES.split())}
CHAR_WIDTH = 7.5
CJK_CHAR_WIDTH = 11.5
LINE_HEIGHT = 13.0
LABEL_WRAP = 24

Box = tuple[float, float, float, float]  # left, top, right, bottom
Segment = tuple[float, float, float, float]  # x1, y1, x2, y2


def is_cjk(text: str) -> bool:
    return any("\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\uffef" for ch in text)


def text_width(text: str, font_size: float = LABEL_FONT_SIZE) -> float:
    """Estimated width in pixels of one line of text."""
    scale = font_size / LABEL_FONT_SIZE
    return scale * sum(ADVANCES.get(ch) or (CJK_CHAR_WIDTH if is_cjk(ch) else CHAR_WIDTH) for ch in text)


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


def segment_inside(box: Box, segment: Segment) -> float:
    """Length of the part of `segment` inside `box` (Liang-Barsky clipping)."""
    x1, y1, x2, y2 = segment
    dx, dy = x2 - x1, y2 - y1
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, x1 - box[0]), (dx, box[2] - x1), (-dy, y1 - box[1]), (dy, box[3] - y1)):
        if p == 0:
            if q < 0:
                return 0.0
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return 0.0
    return (t1 - t0) * math.hypot(dx, dy) if (dx or dy) else (1.0 if t0 <= t1 else 0.0)


def box_overlap(box: Box, other: Box, padding: float = 0.0) -> float:
    """Area shared by two boxes, each widened by `padding` / 2 on every side."""
    dx = min(box[2], other[2]) - max(box[0], other[0]) + padding
    dy = min(box[3], other[3]) - max(box[1], other[1]) + padding
    return dx * dy if dx > 0 and dy > 0 else 0.0


def lengths_inside(boxes: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """Length of each segment inside each box, shape (boxes, segments): :func:`segment_inside`
    for arrays of boxes (n, 4) and segments (m, 4)."""
    if len(boxes) == 0 or len(segments) == 0:
        return np.zeros((len(boxes), len(segments)))
    x1, y1, x2, y2 = (segments[:, k][None, :] for k in range(4))
    dx, dy = x2 - x1, y2 - y1
    t0 = np.zeros((len(boxes), len(segments)))
    t1 = np.ones_like(t0)
    inside = np.ones_like(t0, dtype=bool)
    for p, q in (
        (-dx, x1 - boxes[:, [0]]),
        (dx, boxes[:, [2]] - x1),
        (-dy, y1 - boxes[:, [1]]),
        (dy, boxes[:, [3]] - y1),
    ):
        p = np.broadcast_to(p, t0.shape)
        parallel = p == 0
        inside &= ~(parallel & (q < 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(parallel, 0.0, q / np.where(parallel, 1.0, p))
        t0 = np.where(~parallel & (p < 0), np.maximum(t0, t), t0)
        t1 = np.where(~parallel & (p > 0), np.minimum(t1, t), t1)
    return np.where(inside & (t0 <= t1), (t1 - t0) * np.hypot(dx, dy), 0.0)


def areas_shared(boxes: np.ndarray, others: np.ndarray, padding: float) -> np.ndarray:
    """:func:`box_overlap` of every box (n, 4) with every other (m, 4), summed per box."""
    if len(boxes) == 0 or len(others) == 0:
        return np.zeros(len(boxes))
    dx = np.minimum(boxes[:, [2]], others[None, :, 2]) - np.maximum(boxes[:, [0]], others[None, :, 0])
    dy = np.minimum(boxes[:, [3]], others[None, :, 3]) - np.maximum(boxes[:, [1]], others[None, :, 1])
    dx, dy = dx + padding, dy + padding
    return np.where((dx > 0) & (dy > 0), dx * dy, 0.0).sum(axis=1)


RADII = (2, 6, 12, 20, 30, 42, 56, 72, 90, 110, 135, 165, 200, 240, 290)


def place_labels(
    points: np.ndarray,
    sizes: np.ndarray,
    width: float,
    height: float,
    point_radius: float = 6.0,
    padding: float = 2.0,
    segments: list[Segment] | None = None,
    boxes: list[Box] | None = None,
    soft_segments: list[Segment] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Centres for text boxes near their points, kept apart from each other and from obstacles.

    Greedy and deterministic, in pixel space: each label in turn (in the order given) takes the
    first free candidate position, trying the sides of its point at growing distances; when none
    is free it takes the one with the least overlap. Obstacles are the other labels, every point
    (a square of `point_radius`), `segments` (interval bars, arrows: a label may not cross them)
    and fixed `boxes` (another label already drawn); `soft_segments` (a boundary line) are
    avoided where that costs nothing. Returns (centres, placed_far) where placed_far marks
    labels away from their point (drawn with a leader line).

    `points` is (n, 2) pixel positions (y down), `sizes` is (n, 2) box widths and heights.
    """
    n = len(points)
    directions = [(1.0, 0.0), (-1.0, 0.0), (0.0, -1.0), (0.0, 1.0), (1, -1), (1, 1), (-1, -1), (-1, 1)]
    directions += [(math.cos(a), math.sin(a)) for a in np.radians(np.arange(22.5, 360, 45))]
    unit = np.array(directions, dtype=float)
    side = np.where(np.abs(unit) < 1e-9, 0.0, np.sign(unit))
    radii = np.array(RADII, dtype=float)
    hard = np.array(list(segments or []), dtype=float).reshape(-1, 4)
    soft = np.array(list(soft_segments or []), dtype=float).reshape(-1, 4)
    placed = [tuple(b) for b in boxes or []]
    point_boxes = (
        np.column_stack(
            [
                points[:, 0] - point_radius,
                points[:, 1] - point_radius,
                points[:, 0] + point_radius,
                points[:, 1] + point_radius,
            ]
        )
        if n
        else np.zeros((0, 4))
    )
    centres = np.zeros((n, 2))
    far = np.zeros(n, dtype=bool)
    half = padding / 2

    for i in range(n):
        px, py = points[i]
        w, h = sizes[i]
        # candidates (radius, direction), radius by radius
        reach = radii[:, None, None] + point_radius
        cx = px + unit[None, :, 0] * reach[..., 0] + side[None, :, 0] * w / 2
        cy = py + unit[None, :, 1] * reach[..., 0] + side[None, :, 1] * h / 2
        cand = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1).reshape(-1, 4)
        wide = cand + np.array([-half, -half, half, half])
        cost = areas_shared(cand, np.array(placed, dtype=float).reshape(-1, 4), padding)
        cost += areas_shared(cand, point_boxes, padding)
        cost += 4 * lengths_inside(wide, hard).sum(axis=1)
        # a crossing of a soft obstacle weighs less than any hard overlap
        total = cost * 1000 + lengths_inside(wide, soft).sum(axis=1)
        outside = (cand[:, 0] < 0) | (cand[:, 1] < 0) | (cand[:, 2] > width) | (cand[:, 3] > height)
        total = np.where(outside, np.inf, total).reshape(len(radii), len(unit))
        best: tuple[int, int] | None = None
        for r_index in range(len(radii)):
            row = total[r_index]
            free = np.flatnonzero(row == 0)
            if free.size:
                best = (r_index, int(free[0]))
                break
            j = int(np.argmin(row))
            if np.isfinite(row[j]) and (best is None or row[j] < total[best]):
                best = (r_index, j)
            if best is not None and total[best] < 1000 and r_index >= 3:
                break  # free of hard overlaps; a soft crossing is not worth moving further away
        if best is None:  # the plot is smaller than the label: centre it on the point
            centre = (min(max(px, w / 2), width - w / 2), min(max(py, h / 2), height - h / 2))
            r_far = False
        else:
            centre = (float(cx[best]), float(cy[best]))
            r_far = radii[best[0]] > 12
        centres[i] = centre
        placed.append((centre[0] - w / 2, centre[1] - h / 2, centre[0] + w / 2, centre[1] + h / 2))
        far[i] = r_far
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
