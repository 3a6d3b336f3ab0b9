"""The report's charts as Altair (Vega-Lite) specifications: pure functions of an analysis result.

- :func:`matrix_chart`: the materiality matrix (x = significance to the business, y = importance
  to stakeholders), one labelled point per topic with its intervals, the tier boundaries and,
  optionally, arrows from last year's positions.
- :func:`channel_map_chart`: how the company reaches each stakeholder group and what each group
  cares about, with the evidence (responses per channel, the topics each group rated highest)
  and the mismatches between declared focus areas and ratings (:func:`focus_links`).
- :func:`heatmap_chart`: mean rating of every topic by every group, suppressed cells and
  minority flags marked.

The CLI renders these to SVG, PNG and HTML; the app shows the same specifications. Text from
users (topic, group and channel names) only ever enters the specifications as data values, which
Vega draws as text.
"""

from __future__ import annotations

import math
import re
import textwrap
from typing import TYPE_CHECKING

import altair as alt
import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from analysis.pipeline import AnalysisResult
    from core.aggregates import AssessmentData

TIER_ORDER = ["high", "material", "low"]
# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
TIER_COLOURS = {"high": "#D55E00", "material": "#0072B2", "low": "#999999"}
CATEGORY_NAMES = {"E": "Environmental", "S": "Social", "G": "Governance"}
CATEGORY_SHAPES = {"E": "triangle-up", "S": "circle", "G": "square"}

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
FONT_CJK = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
LABEL_FONT_SIZE = 11
# Average advance of a character at LABEL_FONT_SIZE in DejaVu Sans (the widest of the fonts
# above), used to keep labels apart without measuring text.
CHAR_WIDTH = 6.6
CJK_CHAR_WIDTH = 11.5
LINE_HEIGHT = 13.0
LABEL_WRAP = 24
HEATMAP_LABEL_WIDTH = 260

STAKEHOLDER_AXIS = "Importance to stakeholders"
BUSINESS_AXIS = "Significance to the business"

LINK_KINDS = {
    "focus, rated high": ("#009E73", []),
    "focus": ("#8c8c8c", []),
    "focus, rated low": ("#CC3311", [5, 3]),
    "rated high, not a focus": ("#E69F00", [2, 3]),
    "focus outside the catalog": ("#882E72", [8, 3, 2, 3]),
}
MISMATCH_KINDS = ("rated high, not a focus", "focus, rated low", "focus outside the catalog")


# --- shared helpers -----------------------------------------------------------------------------


def tier_names(n_tiers: int) -> list[str]:
    """Tier names from most material: ["high", "material"] for two tiers, and so on."""
    if n_tiers <= len(TIER_ORDER):
        return TIER_ORDER[:n_tiers]
    return TIER_ORDER[:2] + [f"tier {i + 1}" for i in range(2, n_tiers)]


def tiers_of(result: AnalysisResult) -> list[str]:
    """The result's tiers from most material, those named in the method first."""
    n = int(result.method.get("tiering", {}).get("n_tiers") or len(result.thresholds) + 1)
    names = tier_names(max(n, len(result.thresholds) + 1))
    extra = [t for t in pd.unique(result.topics["tier"].dropna()) if t not in names]
    return names + sorted(map(str, extra))


def tier_colours(tiers: list[str]) -> list[str]:
    fallback = ["#56B4E9", "#CC79A7", "#F0E442", "#000000"]
    return [TIER_COLOURS.get(t, fallback[i % len(fallback)]) for i, t in enumerate(tiers)]


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


def display_names(topics: pd.DataFrame, data: AssessmentData, language: str) -> pd.Series:
    """Topic names in `language` ("en" or "zh"), falling back to English."""
    names = topics["name"].astype(str)
    if language == "zh" and "name_zh" in data.topics:
        zh = topics["topic"].map(data.topics.set_index("topic")["name_zh"])
        names = zh.where(zh.fillna("").astype(str).str.len() > 0, names).astype(str)
    return names


def font_for(language: str) -> str:
    return FONT_CJK if language == "zh" else FONT


def chart_config(language: str = "en", view_stroke: str | None = "#d0d0d0") -> alt.Config:
    """Fonts and styles shared by the charts (given whole, which is cheaper than chained configure_*)."""
    font = font_for(language)
    return alt.Config(
        font=font,
        background="white",
        view=alt.ViewConfig(stroke=view_stroke),
        # no label limits: labels are clipped beforehand, and measuring them is slow in the renderer
        axis=alt.AxisConfig(labelFont=font, titleFont=font, labelFontSize=11, titleFontSize=12, labelLimit=0),
        legend=alt.LegendConfig(
            labelFont=font, titleFont=font, labelFontSize=11, titleFontSize=12, labelLimit=0
        ),
        title=alt.TitleConfig(font=font, subtitleFont=font, fontSize=16, subtitleFontSize=11, anchor="start"),
    )


def fmt(value: object, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{float(value):.{digits}f}"  # type: ignore[arg-type]


# --- label placement ----------------------------------------------------------------------------


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
    placed: list[tuple[float, float, float, float]] = []
    point_boxes = [
        (x - point_radius, y - point_radius, x + point_radius, y + point_radius) for x, y in points
    ]
    centres = np.zeros((n, 2))
    far = np.zeros(n, dtype=bool)

    def overlap(box: tuple[float, float, float, float], other: tuple[float, float, float, float]) -> float:
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


# --- the materiality matrix ---------------------------------------------------------------------


def matrix_domain(values: list[float], scale_min: float, scale_max: float) -> tuple[float, float]:
    """Axis range covering `values`, widened to half scale points and kept within the scale."""
    finite = [v for v in values if v is not None and np.isfinite(v)]
    if not finite:
        return float(scale_min), float(scale_max)
    lo = max(float(scale_min), math.floor(min(finite) * 2) / 2)
    hi = min(float(scale_max), math.ceil(max(finite) * 2) / 2)
    if hi - lo < 1:
        lo, hi = max(float(scale_min), lo - 0.5), min(float(scale_max), hi + 0.5)
    return lo, hi


def group_mean_columns(result: AnalysisResult) -> tuple[pd.DataFrame, dict[str, str]]:
    """Per topic, one text column per group ("4.21 (n=146)", "suppressed (n=3)") and their titles."""
    groups = result.groups
    order = [g for g in result.data.groups["group"] if g in set(groups["group"])]
    columns: dict[str, str] = {}
    frame = pd.DataFrame({"topic": result.topics["topic"]})
    for i, group in enumerate(order):
        part = groups[groups["group"] == group].set_index("topic")
        name = str(part["group_name"].iloc[0])
        if (part["dimension"] != "importance").all():
            name += " (business)"
        column = f"group_mean_{i}"
        columns[column] = name

        def describe(row: pd.Series) -> str:
            if bool(row["suppressed"]):
                return f"suppressed (n={int(row['n'])})"
            text = f"{fmt(row['mean'])} (n={int(row['n'])})"
            return text + ", rates it far higher" if bool(row["minority"]) else text

        frame[column] = frame["topic"].map(part.apply(describe, axis=1)).fillna("no ratings")
    return frame, columns


def matrix_frame(
    result: AnalysisResult,
    *,
    language: str = "en",
    width: float = 600,
    height: float = 600,
    show_previous: bool = True,
) -> tuple[pd.DataFrame, tuple[float, float], dict[str, str]]:
    """The matrix's data: one row per plotted topic with its label position, and the axis domain."""
    data = result.data
    topics = result.topics.copy()
    topics = topics[topics["business_significance"].notna() & topics["stakeholder_importance"].notna()]
    topics = topics.sort_values("rank").reset_index(drop=True)
    topics["name"] = display_names(topics, data, language)
    topics["label"] = topics["name"].map(wrap_label)
    topics["category_name"] = topics["category"].map(CATEGORY_NAMES).fillna(topics["category"])
    previous = result.previous if show_previous else None
    if previous is not None:
        old = previous.topics.set_index("topic")
        # as floats: mapping no topics at all would keep the key column's string type
        topics["business_previous"] = topics["topic"].map(old["business_significance"]).astype(float)
        topics["stakeholder_previous"] = topics["topic"].map(old["stakeholder_importance"]).astype(float)
    else:
        topics["business_previous"] = np.nan
        topics["stakeholder_previous"] = np.nan
    axes_values = [
        *topics["business_significance"],
        *topics["stakeholder_importance"],
        *topics["business_low"].dropna(),
        *topics["business_high"].dropna(),
        *topics["stakeholder_low"].dropna(),
        *topics["stakeholder_high"].dropna(),
        *topics["business_previous"].dropna(),
        *topics["stakeholder_previous"].dropna(),
    ]
    lo, hi = matrix_domain(axes_values, data.scale_min, data.scale_max)

    def to_px(x: pd.Series, y: pd.Series) -> np.ndarray:
        return np.column_stack([(x - lo) / (hi - lo) * width, height - (y - lo) / (hi - lo) * height])

    pixels = to_px(topics["business_significance"], topics["stakeholder_importance"])
    lines = topics["label"].str.split("\n")
    sizes = np.column_stack(
        [
            lines.map(lambda ls: max(text_width(s) for s in ls)).to_numpy() + 2,
            lines.map(len).to_numpy() * LINE_HEIGHT,
        ]
    )
    centres, far = place_labels(pixels, sizes, width, height)
    topics["label_x"] = lo + centres[:, 0] / width * (hi - lo)
    # Vega sets the first line of a multi-line text at y and the others below it
    first_line = centres[:, 1] - (lines.map(len).to_numpy() - 1) * LINE_HEIGHT / 2
    topics["label_y"] = lo + (height - first_line) / height * (hi - lo)
    leader = [
        nearest_on_box(px, py, cx, cy, w, h) if is_far else (np.nan, np.nan)
        for (px, py), (cx, cy), (w, h), is_far in zip(pixels, centres, sizes, far, strict=True)
    ]
    topics["leader_x"] = [lo + x / width * (hi - lo) for x, _ in leader]
    topics["leader_y"] = [lo + (height - y) / height * (hi - lo) for _, y in leader]

    # the arrow head sits just short of the current point, pointing along the move
    moved = to_px(topics["business_previous"], topics["stakeholder_previous"])
    dx, dy = pixels[:, 0] - moved[:, 0], pixels[:, 1] - moved[:, 1]
    length = np.hypot(dx, dy)
    with np.errstate(invalid="ignore", divide="ignore"):
        back = np.where(length > 0, np.minimum(9.0, length / 2) / length, 0)
    topics["arrow_angle"] = np.degrees(np.arctan2(dx, -dy))
    topics["arrow_x"] = lo + (pixels[:, 0] - dx * back) / width * (hi - lo)
    topics["arrow_y"] = lo + (height - (pixels[:, 1] - dy * back)) / height * (hi - lo)

    topics["stakeholder_text"] = [
        f"{fmt(v)} [{fmt(a)}, {fmt(b)}]"
        for v, a, b in zip(
            topics["stakeholder_importance"],
            topics["stakeholder_low"],
            topics["stakeholder_high"],
            strict=True,
        )
    ]
    topics["business_text"] = [
        f"{fmt(v)} [{fmt(a)}, {fmt(b)}]"
        for v, a, b in zip(
            topics["business_significance"], topics["business_low"], topics["business_high"], strict=True
        )
    ]
    means, titles = group_mean_columns(result)
    topics = topics.merge(means, on="topic", how="left")
    return topics, (lo, hi), titles


def boundary_frame(result: AnalysisResult, lo: float, hi: float, tiers: list[str]) -> pd.DataFrame:
    """Tier boundaries as segments of x + y = 2t inside the plot, with a label near the upper end."""
    rows = []
    n = len(result.thresholds)
    for i, t in enumerate(sorted(result.thresholds)):
        x_start, x_end = max(lo, 2 * t - hi), min(hi, 2 * t - lo)
        if x_start >= x_end:
            continue
        above = tiers[n - 1 - i] if n - 1 - i < len(tiers) else "above"
        below = tiers[n - i] if n - i < len(tiers) else "below"
        lx = x_start + 0.06 * (x_end - x_start)
        rows.append(
            {
                "x": x_start,
                "y": 2 * t - x_start,
                "x2": x_end,
                "y2": 2 * t - x_end,
                "threshold": round(t, 3),
                "label": f"{above} \u2197 / {below} \u2199 (combined score {t:.2f})",
                "label_x": lx,
                "label_y": 2 * t - lx,
            }
        )
    return pd.DataFrame(rows, columns=["x", "y", "x2", "y2", "threshold", "label", "label_x", "label_y"])


def convex_hull(points: np.ndarray) -> np.ndarray:
    """Vertices of the convex hull of 2-d points, counter-clockwise (Andrew's monotone chain)."""
    pts = sorted(set(map(tuple, np.round(points, 9))))
    if len(pts) <= 2:
        return np.array(pts)

    def cross(o: tuple, a: tuple, b: tuple) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return np.array(lower[:-1] + upper[:-1])


def hull_frame(frame: pd.DataFrame, margin: float) -> pd.DataFrame:
    """Outlines around each tier's points (for tiers not cut by a line, e.g. clusters).

    Each point is widened to a circle of radius `margin` (data units) before taking the hull,
    so that outlines keep clear of the points and single points get a ring.
    """
    angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    ring = np.column_stack([np.cos(angles), np.sin(angles)]) * margin
    rows = []
    for tier, part in frame.dropna(subset=["tier"]).groupby("tier", sort=False):
        centres = part[["business_significance", "stakeholder_importance"]].to_numpy(dtype=float)
        hull = convex_hull((centres[:, None, :] + ring[None, :, :]).reshape(-1, 2))
        for order, (x, y) in enumerate(hull):
            rows.append({"tier": tier, "order": order, "x": x, "y": y})
    return pd.DataFrame(rows, columns=["tier", "order", "x", "y"])


def axis_title(data: AssessmentData, dimension: str, base: str, language: str) -> str:
    labels = (data.scale_labels or {}).get(dimension, {})
    names = labels.get(language) or labels.get("en") or []
    if len(names) >= 2:
        return f"{base} (mean rating, {data.scale_min} = {names[0]} \u2026 {data.scale_max} = {names[-1]})"
    return f"{base} (mean rating, {data.scale_min}\u2013{data.scale_max})"


def matrix_chart(
    result: AnalysisResult,
    *,
    language: str = "en",
    show_previous: bool = True,
    width: int = 600,
    height: int = 600,
) -> alt.LayerChart | alt.FacetChart:
    """The materiality matrix: every topic a labelled point, coloured by tier, shaped by E/S/G.

    Error bars are the intervals of both axes; dashed lines are the tier boundaries (lines of
    equal combined score); with a previous result, grey arrows run from last year's positions.
    """
    frame, (lo, hi), titles = matrix_frame(
        result, language=language, width=width, height=height, show_previous=show_previous
    )
    tiers = tiers_of(result)
    level = result.method.get("interval_level", 0.95)
    x_scale = alt.Scale(domain=[lo, hi], nice=False, zero=False)
    y_scale = alt.Scale(domain=[lo, hi], nice=False, zero=False)
    x_title = axis_title(result.data, "business_impact", BUSINESS_AXIS, language)
    y_title = axis_title(result.data, "importance", STAKEHOLDER_AXIS, language)
    base = alt.Chart()  # the layer's data: shared by the layers that do not bring their own
    colour = alt.Color(
        "tier:N",
        title="Tier",
        scale=alt.Scale(domain=tiers, range=tier_colours(tiers)),
        legend=alt.Legend(orient="right", symbolOpacity=1, symbolSize=90),
    )
    shape = alt.Shape(
        "category_name:N",
        title="Category",
        scale=alt.Scale(
            domain=[CATEGORY_NAMES[c] for c in CATEGORY_SHAPES],
            range=list(CATEGORY_SHAPES.values()),
        ),
        legend=alt.Legend(
            orient="right", symbolSize=90, symbolFillColor="#555555", symbolStrokeColor="#555555"
        ),
    )
    x = alt.X("business_significance:Q", title=x_title, scale=x_scale)
    y = alt.Y("stakeholder_importance:Q", title=y_title, scale=y_scale)

    layers: list[alt.Chart] = []
    boundaries = boundary_frame(result, lo, hi, tiers)
    if not boundaries.empty:
        bound = alt.Chart(boundaries)
        layers.append(
            bound.mark_rule(strokeDash=[7, 4], color="#555555", strokeWidth=1.2, clip=True).encode(
                x=alt.X("x:Q", scale=x_scale, title=x_title),
                y=alt.Y("y:Q", scale=y_scale, title=y_title),
                x2="x2:Q",
                y2="y2:Q",
            )
        )
        layers.append(
            bound.mark_text(
                angle=45,
                align="left",
                baseline="bottom",
                dy=-3,
                fontSize=10,
                color="#555555",
                fontStyle="italic",
            ).encode(x="label_x:Q", y="label_y:Q", text="label:N")
        )
    if boundaries.empty and frame["tier"].notna().any():
        hulls = hull_frame(frame, margin=14 / width * (hi - lo))
        layers.append(
            alt.Chart(hulls)
            .mark_line(interpolate="linear-closed", strokeDash=[6, 4], strokeWidth=1.2, clip=True)
            .encode(
                x=alt.X("x:Q", scale=x_scale, title=x_title),
                y=alt.Y("y:Q", scale=y_scale, title=y_title),
                order="order:Q",
                detail="tier:N",
                color=alt.Color(
                    "tier:N", scale=alt.Scale(domain=tiers, range=tier_colours(tiers)), legend=None
                ),
            )
        )
    error_colour = alt.Color("tier:N", scale=alt.Scale(domain=tiers, range=tier_colours(tiers)), legend=None)
    layers.append(
        base.transform_filter("isValid(datum.business_low) && isValid(datum.business_high)")
        .mark_rule(opacity=0.35, strokeWidth=1.5, clip=True)
        .encode(x="business_low:Q", x2="business_high:Q", y=y, color=error_colour)
    )
    layers.append(
        base.transform_filter("isValid(datum.stakeholder_low) && isValid(datum.stakeholder_high)")
        .mark_rule(opacity=0.35, strokeWidth=1.5, clip=True)
        .encode(y="stakeholder_low:Q", y2="stakeholder_high:Q", x=x, color=error_colour)
    )
    if frame["business_previous"].notna().any():
        moves = base.transform_filter(
            "isValid(datum.business_previous) && isValid(datum.stakeholder_previous)"
        )
        layers.append(
            moves.mark_rule(color="#8a8a8a", strokeWidth=1, opacity=0.6).encode(
                x="business_previous:Q", y="stakeholder_previous:Q", x2="arrow_x:Q", y2="arrow_y:Q"
            )
        )
        layers.append(
            moves.mark_point(shape="triangle-up", filled=True, size=40, color="#8a8a8a", opacity=0.75).encode(
                x="arrow_x:Q", y="arrow_y:Q", angle=alt.Angle("arrow_angle:Q", scale=None)
            )
        )
    layers.append(
        base.transform_filter("isValid(datum.leader_x)")
        .mark_rule(color="#9a9a9a", strokeWidth=0.8)
        .encode(x=x, y=y, x2="leader_x:Q", y2="leader_y:Q")
    )
    tooltip = [
        alt.Tooltip("name:N", title="Topic"),
        alt.Tooltip("category_name:N", title="Category"),
        alt.Tooltip("tier:N", title="Tier"),
        alt.Tooltip("rank:Q", title="Rank"),
        alt.Tooltip("stakeholder_text:N", title=f"{STAKEHOLDER_AXIS} [{level:.0%} interval]"),
        alt.Tooltip("business_text:N", title=f"{BUSINESS_AXIS} [{level:.0%} interval]"),
        alt.Tooltip("combined_score:Q", title="Combined score", format=".2f"),
        alt.Tooltip("p_tier:Q", title="Probability of this tier", format=".0%"),
        alt.Tooltip("n_respondents:Q", title="Stakeholder respondents"),
        alt.Tooltip("n_business:Q", title="Internal assessors"),
        *[alt.Tooltip(f"{column}:N", title=f"Mean: {title}") for column, title in titles.items()],
    ]
    layers.append(
        base.mark_point(filled=True, size=90, opacity=0.95, stroke="white", strokeWidth=0.8).encode(
            x=x, y=y, color=colour, shape=shape, tooltip=tooltip
        )
    )
    layers.append(
        base.mark_text(
            align="center",
            baseline="middle",
            lineBreak="\n",
            lineHeight=LINE_HEIGHT,
            fontSize=LABEL_FONT_SIZE,
            color="#222222",
        ).encode(x="label_x:Q", y="label_y:Q", text="label:N", tooltip=tooltip)
    )
    boundary_note = (
        "Dashed line: tier boundary (equal combined score)."
        if not boundaries.empty
        else "Dashed outlines: the tiers (clusters on the matrix)."
    )
    subtitle = [f"Each point is a topic; bars show {level:.0%} intervals. {boundary_note}"]
    if frame["business_previous"].notna().any() and result.previous is not None:
        subtitle.append(f"Grey arrows: movement since {result.previous.data.year}.")
    return alt.layer(
        *layers,
        data=frame,
        width=width,
        height=height,
        title=alt.Title(f"Materiality matrix {result.data.year}", subtitle=subtitle),
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(color="independent", shape="shared")),
        config=chart_config(language),
    )


# --- the stakeholder channel map ----------------------------------------------------------------


def focus_links(result: AnalysisResult, top_k: int = 5) -> pd.DataFrame:
    """Each stakeholder group's declared focus areas against the topics it rated highest.

    One row per (group, topic or outside-catalog label), with `kind`:

    - "focus, rated high": a declared focus area among the group's `top_k` highest-rated topics
    - "focus": declared, rated in the upper half of the group's ranking
    - "focus, rated low": declared, rated in the lower half of the group's ranking
    - "rated high, not a focus": among the `top_k` but not declared
    - "focus outside the catalog": a declared focus area that is not a topic of the assessment

    Groups whose ratings are suppressed (too few respondents) have no ratings to compare with:
    their focus areas are kept as "focus". Columns: group, group_name, topic, name, label, kind,
    mean, group_rank, n_topics_rated, declared.
    """
    data = result.data
    stakeholder_groups = data.groups[data.groups["dimension"] == "importance"]
    topic_names = data.topics.set_index("topic")["name"]
    group_names = data.groups.set_index("group")["name"]
    rows = []
    for group in stakeholder_groups["group"]:
        ratings = result.groups[(result.groups["group"] == group) & ~result.groups["suppressed"].astype(bool)]
        ratings = ratings.dropna(subset=["mean"]).sort_values(["mean", "topic"], ascending=[False, True])
        rank = {t: i + 1 for i, t in enumerate(ratings["topic"])}
        mean = dict(zip(ratings["topic"], ratings["mean"], strict=True))
        n_rated = len(rank)
        focus = data.focus_areas[data.focus_areas["group"] == group]
        declared = {t for t in focus["topic"] if isinstance(t, str) and t}
        for _, area in focus.iterrows():
            topic = area["topic"] if isinstance(area["topic"], str) and area["topic"] in topic_names else None
            if topic is None:
                kind = "focus outside the catalog"
            elif topic not in rank:
                kind = "focus"
            elif rank[topic] <= top_k:
                kind = "focus, rated high"
            elif rank[topic] > n_rated / 2:
                kind = "focus, rated low"
            else:
                kind = "focus"
            rows.append(
                {
                    "group": group,
                    "topic": topic,
                    "name": topic_names[topic] if topic else str(area["label"]),
                    "label": str(area["label"]),
                    "kind": kind,
                    "mean": mean.get(topic, np.nan) if topic else np.nan,
                    "group_rank": rank.get(topic, np.nan) if topic else np.nan,
                    "declared": True,
                }
            )
        for topic in ratings["topic"].head(top_k):
            if topic in declared:
                continue
            rows.append(
                {
                    "group": group,
                    "topic": topic,
                    "name": topic_names.get(topic, topic),
                    "label": "",
                    "kind": "rated high, not a focus",
                    "mean": mean[topic],
                    "group_rank": rank[topic],
                    "declared": False,
                }
            )
    out = pd.DataFrame(
        rows, columns=["group", "topic", "name", "label", "kind", "mean", "group_rank", "declared"]
    )
    out.insert(1, "group_name", out["group"].map(group_names))
    out["n_topics_rated"] = out["group"].map(
        result.groups[~result.groups["suppressed"].astype(bool)]
        .dropna(subset=["mean"])
        .groupby("group")
        .size()
    )
    return out


def focus_mismatches(result: AnalysisResult, top_k: int = 5) -> pd.DataFrame:
    """The rows of :func:`focus_links` where declared focus and ratings disagree."""
    links = focus_links(result, top_k)
    return links[links["kind"].isin(MISMATCH_KINDS)].reset_index(drop=True)


CHANNEL_STATS_COLUMNS = ["group", "channel", "links_issued", "responses"]


def channel_table(result: AnalysisResult, channel_stats: pd.DataFrame) -> pd.DataFrame:
    """Every declared channel of every group with its links issued, responses and response rate.

    Channels in `channel_stats` that the catalog does not declare (e.g. responses without a
    channel) are kept at the end of their group. `links_issued` NaN means not tracked.
    """
    missing = [c for c in CHANNEL_STATS_COLUMNS if c not in channel_stats.columns]
    if missing:
        raise ValueError(f"channel_stats lacks column(s) {', '.join(missing)}")
    data = result.data
    stats = channel_stats[CHANNEL_STATS_COLUMNS].copy()
    # the rate counts the responses that came through the links when that is known
    stats["answered"] = (
        channel_stats["responses_via_links"] if "responses_via_links" in channel_stats else stats["responses"]
    )
    stats["channel"] = (
        stats["channel"].astype(object).where(stats["channel"].notna(), "(no channel recorded)")
    )
    stats["channel"] = stats["channel"].astype(str)
    stats = stats.groupby(["group", "channel"], as_index=False, sort=False).agg(
        links_issued=("links_issued", lambda s: s.sum(min_count=1)),
        responses=("responses", "sum"),
        answered=("answered", lambda s: s.sum(min_count=1)),
    )
    declared = data.channels[["group", "channel"]].astype(str).assign(declared=True)
    table = declared.merge(stats, on=["group", "channel"], how="left")
    extra = stats.merge(declared, on=["group", "channel"], how="left", indicator=True)
    extra = extra[extra["_merge"] == "left_only"].drop(columns="_merge")
    table = pd.concat([table, extra.assign(declared=False)], ignore_index=True)
    table["declared"] = table["declared"].astype("boolean").fillna(False).astype(bool)
    table["responses"] = table["responses"].fillna(0).astype(int)
    table["links_issued"] = pd.to_numeric(table["links_issued"], errors="coerce")
    table["answered"] = pd.to_numeric(table["answered"], errors="coerce").astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["response_rate"] = np.where(
            table["links_issued"] > 0, table["answered"].fillna(0) / table["links_issued"], np.nan
        )
    group_order = {g: i for i, g in enumerate(data.groups["group"])}
    table = table[table["group"].isin(group_order)].copy()
    table["_group"] = table["group"].map(group_order)
    table["_declared"] = ~table["declared"]
    table = table.sort_values(["_group", "_declared"], kind="stable").drop(columns=["_group", "_declared"])
    table.insert(1, "group_name", table["group"].map(data.groups.set_index("group")["name"]))
    return table.reset_index(drop=True)


def group_response_table(result: AnalysisResult, channel_stats: pd.DataFrame) -> pd.DataFrame:
    """Per group: channels, links issued (NaN when not tracked), responses, responses through the
    issued links (`answered`) and the response rate (answered / links issued)."""
    table = channel_table(result, channel_stats)
    data = result.data
    rows = []
    for group, name, dimension in data.groups[["group", "name", "dimension"]].itertuples(index=False):
        part = table[table["group"] == group]
        links = part["links_issued"].sum(min_count=1)
        responses = int(part["responses"].sum())
        answered = part.loc[part["links_issued"] > 0, "answered"].fillna(0).sum()
        rows.append(
            {
                "group": group,
                "group_name": name,
                "dimension": dimension,
                "channels": int(part["declared"].sum()),
                "links_issued": links,
                "responses": responses,
                "answered": answered if pd.notna(links) else np.nan,
                "response_rate": answered / links if pd.notna(links) and links > 0 else np.nan,
            }
        )
    return pd.DataFrame(rows)


def response_text(responses: int, links: float, rate: float) -> str:
    answers = f"{responses} response{'' if responses == 1 else 's'}"
    if pd.isna(links):
        return f"{answers} \u00b7 links not tracked"
    shown = "n/a" if pd.isna(rate) else f"{rate:.0%}"
    return f"{int(links)} link{'' if links == 1 else 's'} \u00b7 {answers} \u00b7 {shown}"


LINK_SHAPES = {
    "focus, rated high": "circle",
    "focus": "circle",
    "focus, rated low": "triangle-down",
    "rated high, not a focus": "diamond",
    "focus outside the catalog": "square",
}


def channel_map_frames(
    result: AnalysisResult, channel_stats: pd.DataFrame, top_k: int = 5
) -> dict[str, pd.DataFrame]:
    """Positions (pixels, y down) of the channel map's parts.

    Left to right: channels with their links issued and responses, linked to the group boxes;
    then a grid with one column per topic (in rank order, then focus areas outside the catalog)
    and one row per group, marking each group's declared focus areas and highest-rated topics.
    """
    row, gap, box_height, column_step = 20.0, 14.0, 38.0, 34.0
    x_name, x_stats, x_group, group_width = 0.0, 400.0, 440.0, 250.0
    x_grid = x_group + group_width + 40
    channels = channel_table(result, channel_stats)
    groups = group_response_table(result, channel_stats)
    links = focus_links(result, top_k)
    data = result.data
    names = data.topics.set_index("topic")["name"]

    columns = result.topics.sort_values("rank")[["topic", "name", "tier"]].assign(outside=False)
    outside = links.loc[links["topic"].isna(), "label"].drop_duplicates()
    columns = pd.concat(
        [
            columns,
            pd.DataFrame({"topic": None, "name": outside, "tier": "outside the catalog", "outside": True}),
        ],
        ignore_index=True,
    )
    columns["topic"] = columns["topic"].astype(object).where(columns["topic"].notna(), None)
    columns["node"] = columns["topic"].where(columns["topic"].notna(), "label:" + columns["name"].astype(str))
    columns["display"] = np.where(
        columns["outside"], columns["name"].astype(str) + " (not a topic)", columns["name"].astype(str)
    )
    columns["display"] = columns["display"].map(lambda t: clip_text(t, 300))
    longest = max((text_width(s) for s in columns["display"]), default=0.0)
    header = min(longest, 300) * math.sqrt(0.5) + 40
    columns["x"] = x_grid + (np.arange(len(columns)) + 0.5) * column_step
    columns["y"] = header - 10

    channel_rows, group_rows = [], []
    y = header + 8
    for g in groups.itertuples(index=False):
        part = channels[channels["group"] == g.group]
        block = max(len(part) * row, box_height + 6)
        start = y + (block - len(part) * row) / 2
        for j, c in enumerate(part.itertuples(index=False)):
            channel_rows.append(
                {
                    "group": g.group,
                    "group_name": g.group_name,
                    "channel": c.channel,
                    "channel_text": clip_text(c.channel, 250),
                    "declared": c.declared,
                    "links_issued": c.links_issued,
                    "responses": c.responses,
                    "response_rate": c.response_rate,
                    "stats": response_text(c.responses, c.links_issued, c.response_rate),
                    "x": x_name,
                    "x_stats": x_stats,
                    "y": start + (j + 0.5) * row,
                    "x_link": x_stats + 6,
                    "x_group": x_group,
                }
            )
        centre = y + block / 2
        declared = links[(links["group"] == g.group) & links["declared"]]
        rated = result.groups[(result.groups["group"] == g.group)].dropna(subset=["mean"])
        highest = rated.sort_values(["mean", "topic"], ascending=[False, True]).head(3)
        group_rows.append(
            {
                "group": g.group,
                "group_name": g.group_name,
                "group_text": clip_text(g.group_name, 236),
                "dimension": g.dimension,
                "stats": response_text(g.responses, g.links_issued, g.response_rate),
                "responses": g.responses,
                "links_issued": g.links_issued,
                "response_rate": g.response_rate,
                "focus_areas": "; ".join(declared["label"].astype(str)) or "none declared",
                "rated_highest": "; ".join(
                    f"{names.get(t, t)} ({m:.2f})"
                    for t, m in zip(highest["topic"], highest["mean"], strict=True)
                )
                or "no ratings shown",
                "x": x_group,
                "x2": x_group + group_width,
                "x_mid": x_group + group_width / 2,
                "y": centre - box_height / 2,
                "y2": centre + box_height / 2,
                "y_mid": centre,
                "y_name": centre - 7,
                "y_stats": centre + 9,
                "band_x": x_group + group_width,
                "band_x2": x_grid + len(columns) * column_step,
                "band_y": y - gap / 2,
                "band_y2": y + block + gap / 2,
            }
        )
        y += block + gap
    height = y - gap + 8
    channel_frame = pd.DataFrame(channel_rows)
    group_frame = pd.DataFrame(group_rows)
    group_y = group_frame.set_index("group")["y_mid"] if not group_frame.empty else pd.Series(dtype=float)
    if not channel_frame.empty:
        channel_frame["y_group"] = channel_frame["group"].map(group_y)

    node = links["topic"].where(links["topic"].notna(), "label:" + links["label"].astype(str))
    cells = links.assign(
        node=node,
        x=node.map(columns.set_index("node")["x"]),
        y=links["group"].map(group_y),
        mean_text=links["mean"].map(lambda m: fmt(m)),
        rank_text=links["group_rank"].map(lambda r: "n/a" if pd.isna(r) else str(int(r))),
    )
    stakeholder = (
        group_frame[group_frame["dimension"] == "importance"] if not group_frame.empty else group_frame
    )
    grid = pd.DataFrame(
        [(x, gy) for gy in stakeholder.get("y_mid", []) for x in columns["x"]], columns=["x", "y"]
    )
    headers = pd.DataFrame(
        {
            "x": [x_name, x_stats, x_group + group_width / 2],
            "y": [header - 10] * 3,
            "align": ["left", "right", "center"],
            "text": ["Channel", "Links \u00b7 responses \u00b7 rate", "Stakeholder group"],
        }
    )
    return {
        "channels": channel_frame,
        "groups": group_frame,
        "columns": columns,
        "cells": cells,
        "grid": grid,
        "headers": headers,
        "size": pd.DataFrame({"width": [x_grid + len(columns) * column_step + 10], "height": [height]}),
    }


def channel_map_chart(
    result: AnalysisResult, channel_stats: pd.DataFrame, *, top_k: int = 5
) -> alt.LayerChart | alt.FacetChart:
    """Stakeholder groups linked to their channels (with responses) and to the topics they care about.

    Channel links are as thick as the responses that came through them. The grid on the right
    marks each group's declared focus areas and its `top_k` highest-rated topics; mismatches
    have their own colour and shape (see :func:`focus_links`).
    """
    frames = channel_map_frames(result, channel_stats, top_k)
    width = float(frames["size"]["width"].iloc[0])
    height = float(frames["size"]["height"].iloc[0])
    px = alt.Scale(domain=[0, width], range=[0, width], nice=False, zero=False)
    py = alt.Scale(domain=[0, height], range=[0, height], nice=False, zero=False)
    x = alt.X("x:Q", scale=px, axis=None)
    y = alt.Y("y:Q", scale=py, axis=None)
    kinds = list(LINK_KINDS)
    layers: list[alt.Chart] = []

    groups = alt.Chart(frames["groups"])
    layers.append(
        groups.transform_filter(alt.datum.dimension == "importance")
        .transform_window(index="row_number()")
        .transform_filter("datum.index % 2 == 1")
        .mark_rect(fill="#f5f7fa")
        .encode(
            x=alt.X("band_x:Q", scale=px, axis=None),
            x2="band_x2:Q",
            y=alt.Y("band_y:Q", scale=py, axis=None),
            y2="band_y2:Q",
        )
    )
    headers = alt.Chart(frames["headers"])
    for align in ("left", "right", "center"):
        layers.append(
            headers.transform_filter(alt.datum.align == align)
            .mark_text(align=align, baseline="middle", fontWeight="bold", fontSize=12, color="#333333")
            .encode(x=x, y=y, text="text:N")
        )
    channels = alt.Chart(frames["channels"])
    if not frames["channels"].empty:
        layers.append(
            channels.mark_rule(color="#6a8caf", opacity=0.55).encode(
                x=alt.X("x_link:Q", scale=px, axis=None),
                y=y,
                x2="x_group:Q",
                y2="y_group:Q",
                strokeWidth=alt.StrokeWidth(
                    "responses:Q", scale=alt.Scale(range=[0.6, 7], zero=True), legend=None
                ),
            )
        )
        channel_tooltip = [
            alt.Tooltip("group_name:N", title="Group"),
            alt.Tooltip("channel:N", title="Channel"),
            alt.Tooltip("links_issued:Q", title="Links issued"),
            alt.Tooltip("responses:Q", title="Responses"),
            alt.Tooltip("response_rate:Q", title="Response rate", format=".0%"),
        ]
        layers.append(
            channels.mark_text(align="left", baseline="middle", fontSize=11, color="#222222").encode(
                x=x, y=y, text="channel_text:N", tooltip=channel_tooltip
            )
        )
        layers.append(
            channels.mark_text(align="right", baseline="middle", fontSize=10, color="#555555").encode(
                x=alt.X("x_stats:Q", scale=px, axis=None), y=y, text="stats:N", tooltip=channel_tooltip
            )
        )
    group_tooltip = [
        alt.Tooltip("group_name:N", title="Group"),
        alt.Tooltip("stats:N", title="Responses"),
        alt.Tooltip("focus_areas:N", title="Declared focus areas"),
        alt.Tooltip("rated_highest:N", title="Rated highest"),
    ]
    layers.append(
        groups.mark_rect(fill="#eef3f8", stroke="#6a8caf", cornerRadius=4).encode(
            x=x, y=y, x2="x2:Q", y2="y2:Q", tooltip=group_tooltip
        )
    )
    layers.append(
        groups.mark_text(align="center", baseline="middle", fontWeight="bold", fontSize=11).encode(
            x=alt.X("x_mid:Q", scale=px, axis=None),
            y=alt.Y("y_name:Q", scale=py, axis=None),
            text="group_text:N",
            tooltip=group_tooltip,
        )
    )
    layers.append(
        groups.mark_text(align="center", baseline="middle", fontSize=9.5, color="#444444").encode(
            x=alt.X("x_mid:Q", scale=px, axis=None),
            y=alt.Y("y_stats:Q", scale=py, axis=None),
            text="stats:N",
            tooltip=group_tooltip,
        )
    )
    columns = alt.Chart(frames["columns"])
    tiers = [*tiers_of(result), "outside the catalog"]
    outside_colour = LINK_KINDS["focus outside the catalog"][0]
    for outside, style in ((False, "normal"), (True, "italic")):
        layers.append(
            columns.transform_filter(alt.datum.outside == outside)
            .mark_text(align="left", baseline="middle", angle=315, fontSize=11, fontStyle=style)
            .encode(
                x=x,
                y=y,
                text="display:N",
                color=alt.Color(
                    "tier:N",
                    title="Topic tier",
                    scale=alt.Scale(domain=tiers, range=[*tier_colours(tiers[:-1]), outside_colour]),
                    legend=None
                    if outside
                    else alt.Legend(orient="bottom", direction="horizontal", symbolType="square"),
                ),
            )
        )
    if not frames["grid"].empty:
        layers.append(
            alt.Chart(frames["grid"]).mark_point(filled=True, size=6, color="#c8c8c8").encode(x=x, y=y)
        )
    layers.append(
        alt.Chart(frames["cells"])
        .mark_point(filled=True, size=120, opacity=1, stroke="white", strokeWidth=0.6)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "kind:N",
                title="Focus areas and ratings",
                scale=alt.Scale(domain=kinds, range=[LINK_KINDS[k][0] for k in kinds]),
                legend=alt.Legend(orient="bottom", direction="horizontal", columns=3, symbolSize=110),
            ),
            shape=alt.Shape(
                "kind:N",
                title="Focus areas and ratings",
                scale=alt.Scale(domain=kinds, range=[LINK_SHAPES[k] for k in kinds]),
            ),
            tooltip=[
                alt.Tooltip("group_name:N", title="Group"),
                alt.Tooltip("name:N", title="Topic"),
                alt.Tooltip("label:N", title="Declared focus area"),
                alt.Tooltip("kind:N", title="Finding"),
                alt.Tooltip("mean_text:N", title="Group's mean rating"),
                alt.Tooltip("rank_text:N", title="Rank within the group"),
            ],
        )
    )
    return alt.layer(
        *layers,
        width=width,
        height=height,
        title=alt.Title(
            f"Stakeholder channel map {result.data.year}",
            subtitle=[
                "Channels (line width: responses) \u2192 stakeholder groups \u2192 the topics each group "
                f"declared as focus areas or rated among its {top_k} highest.",
            ],
        ),
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(color="independent", shape="independent")),
        config=chart_config(view_stroke=None),
    )


# --- the group heatmap --------------------------------------------------------------------------


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


def heatmap_topic_names(result: AnalysisResult, language: str) -> dict[str, str]:
    """Row labels in rank order, clipped to the label column."""
    topics = result.topics.sort_values("rank")
    names = display_names(topics, result.data, language)
    return {t: clip_text(n, HEATMAP_LABEL_WIDTH) for t, n in zip(topics["topic"], names, strict=True)}


def heatmap_frame(result: AnalysisResult, language: str = "en") -> pd.DataFrame:
    names = heatmap_topic_names(result, language)
    frame = result.groups.copy()
    frame = frame[frame["topic"].isin(names)]
    frame["topic_name"] = frame["topic"].map(names)
    frame["group_label"] = np.where(
        frame["dimension"] == "importance", frame["group_name"], frame["group_name"] + " (business)"
    )
    frame["group_axis"] = frame["group_label"].map(lambda t: "|".join(header_lines(t.replace("|", "/"), 15)))
    frame["suppressed"] = frame["suppressed"].astype(bool)
    frame["minority"] = frame["minority"].astype(bool) & ~frame["suppressed"]
    frame["cell_text"] = [
        f"n={int(n)}" if s else fmt(m, 1) + (" \u25b2" if flag else "")
        for m, n, s, flag in zip(
            frame["mean"], frame["n"], frame["suppressed"], frame["minority"], strict=True
        )
    ]
    frame["gap_text"] = frame["minority_gap"].map(lambda v: "n/a" if pd.isna(v) else f"{v:+.2f}")
    return frame.reset_index(drop=True)


def heatmap_chart(result: AnalysisResult, *, language: str = "en") -> alt.LayerChart | alt.FacetChart:
    """Mean rating by group (columns) and topic (rows, in rank order).

    Grey cells are suppressed (fewer respondents than the minimum group size); outlined cells
    with a triangle are minority flags: the group rates the topic far above the overall view.
    """
    frame = heatmap_frame(result, language)
    data = result.data
    topic_order = list(heatmap_topic_names(result, language).values())
    order = data.groups.set_index("group")
    group_order = list(
        pd.unique(
            frame.assign(pos=frame["group"].map({g: i for i, g in enumerate(order.index)})).sort_values(
                ["dimension", "pos"], key=lambda s: s.ne("importance") if s.name == "dimension" else s
            )["group_axis"]
        )
    )
    shown = frame.loc[~frame["suppressed"], "mean"].dropna()
    lo = math.floor(shown.min() * 2) / 2 if len(shown) else data.scale_min
    hi = math.ceil(shown.max() * 2) / 2 if len(shown) else data.scale_max
    mid = (lo + hi) / 2
    header_lines = int(frame["group_axis"].str.count(r"\|").max() + 1) if len(frame) else 1
    x = alt.X(
        "group_axis:N",
        sort=group_order,
        title=None,
        axis=alt.Axis(
            orient="top",
            labelAngle=0,
            labelExpr="split(datum.label, '|')",
            labelBaseline="top",
            labelPadding=header_lines * 13 + 6,
            labelLimit=0,
        ),
    )
    y = alt.Y("topic_name:N", sort=topic_order, title=None, axis=alt.Axis(labelLimit=0))
    tooltip = [
        alt.Tooltip("group_label:N", title="Group"),
        alt.Tooltip("topic_name:N", title="Topic"),
        alt.Tooltip("mean:Q", title="Mean rating", format=".2f"),
        alt.Tooltip("n:Q", title="Respondents"),
        alt.Tooltip("suppressed:N", title="Suppressed"),
        alt.Tooltip("minority:N", title="Minority flag"),
        alt.Tooltip("gap_text:N", title="Gap to overall score"),
    ]
    base = alt.Chart(frame)
    width = max(100 * len(group_order), 300)
    cells = (
        base.transform_filter("!datum.suppressed")
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "mean:Q",
                title="Mean rating",
                scale=alt.Scale(scheme="blues", domain=[lo, hi]),
                legend=alt.Legend(orient="right", gradientLength=200),
            ),
            tooltip=tooltip,
        )
    )
    suppressed = (
        base.transform_filter("datum.suppressed")
        .mark_rect(fill="#f0f0f0", stroke="white", strokeWidth=1)
        .encode(x=x, y=y, tooltip=tooltip)
    )
    minority = (
        base.transform_filter("datum.minority")
        .mark_rect(fill=None, stroke="#D55E00", strokeWidth=2.5)
        .encode(x=x, y=y, tooltip=tooltip)
    )
    text = (
        base.transform_filter("!datum.suppressed")
        .mark_text(fontSize=11, baseline="middle")
        .encode(
            x=x,
            y=y,
            text="cell_text:N",
            color=alt.condition(f"datum.mean > {mid}", alt.value("white"), alt.value("#222222")),
            tooltip=tooltip,
        )
    )
    suppressed_text = (
        base.transform_filter("datum.suppressed")
        .mark_text(fontSize=10, baseline="middle", fontStyle="italic", color="#777777")
        .encode(x=x, y=y, text="cell_text:N", tooltip=tooltip)
    )
    min_size = result.method.get("min_group_size")
    note = f"fewer than {min_size} respondents" if min_size else "too few respondents"
    return alt.layer(
        cells,
        suppressed,
        minority,
        text,
        suppressed_text,
        width=width,
        height=alt.Step(24),
        title=alt.Title(
            f"Mean rating by group {data.year}",
            subtitle=[
                f"Grey cells: suppressed ({note}, n shown). Outlined \u25b2: the group rates the topic "
                "far above the overall score.",
            ],
        ),
        config=chart_config(language),
    )
