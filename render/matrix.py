"""The materiality matrix: x = significance to the business, y = importance to stakeholders, one
labelled point per topic with its intervals, the tier boundaries and, optionally, arrows from last
year's positions. Text from users only enters the specification as data values."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import altair as alt
import numpy as np
import pandas as pd

from analysis.rules import UNCERTAIN_P_TIER
from render.labels import (
    LABEL_FONT_SIZE,
    LINE_HEIGHT,
    Box,
    Segment,
    box_overlap,
    convex_hull,
    display_names,
    nearest_on_box,
    place_labels,
    segment_inside,
    text_width,
    wrap_label,
)
from render.numbers import interval, number, percent
from render.style import (
    BUSINESS_AXIS,
    CATEGORY_NAMES,
    CATEGORY_SHAPES,
    STAKEHOLDER_AXIS,
    chart_config,
    tier_colours,
)

if TYPE_CHECKING:
    from analysis.pipeline import AnalysisResult
    from core.aggregates import AssessmentData


def matrix_domain(values: list[float], scale_min: float, scale_max: float) -> tuple[float, float]:
    """Axis range fitted to `values` with a little room at both ends (rounded to tenths), kept
    within the rating scale and at least half a scale point wide. The axis titles name the
    scale's ends, so the plot need not show them."""
    finite = [v for v in values if v is not None and np.isfinite(v)]
    if not finite:
        return float(scale_min), float(scale_max)
    low, high = min(finite), max(finite)
    pad = max(0.08, 0.06 * (high - low))
    lo = max(float(scale_min), math.floor((low - pad) * 10) / 10)
    hi = min(float(scale_max), math.ceil((high + pad) * 10) / 10)
    if hi - lo < 0.5:
        middle = (hi + lo) / 2
        lo, hi = max(float(scale_min), middle - 0.25), min(float(scale_max), middle + 0.25)
    return lo, hi


def boundary_segment(threshold: float, lo: float, hi: float) -> tuple[float, float, float, float] | None:
    """The tier boundary x + y = 2 * threshold inside the plot [lo, hi]^2 as (x, y, x2, y2), or
    None where it misses the plot."""
    x_start, x_end = max(lo, 2 * threshold - hi), min(hi, 2 * threshold - lo)
    if x_start >= x_end:
        return None
    return x_start, 2 * threshold - x_start, x_end, 2 * threshold - x_end


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

        texts = {
            topic: (
                f"suppressed (n={int(n)})"
                if suppressed
                else f"{number(mean)} (n={int(n)})"
                + (f", rates it far {'lower' if direction == 'below' else 'higher'}" if minority else "")
            )
            for topic, mean, n, suppressed, minority, direction in zip(
                part.index,
                part["mean"],
                part["n"],
                part["suppressed"],
                part["minority"],
                part["minority_direction"],
                strict=True,
            )
        }
        frame[column] = frame["topic"].map(texts).fillna("no ratings")
    return frame, columns


def matrix_frame(
    result: AnalysisResult,
    *,
    language: str = "en",
    width: float = 820,
    height: float = 600,
    show_previous: bool = True,
    tiers: list[str] | None = None,
) -> tuple[pd.DataFrame, tuple[float, float], dict[str, str], pd.DataFrame]:
    """The matrix's data: one row per plotted topic with its label position, the axis domain,
    the titles of the group-mean columns and the tier boundaries with their labels' places."""
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
    # the arrow head sits just short of the current point, pointing along the move
    moved = to_px(topics["business_previous"], topics["stakeholder_previous"])
    dx, dy = pixels[:, 0] - moved[:, 0], pixels[:, 1] - moved[:, 1]
    length = np.hypot(dx, dy)
    with np.errstate(invalid="ignore", divide="ignore"):
        back = np.where(length > 0, np.minimum(9.0, length / 2) / length, 0)
    arrow_px = np.column_stack([pixels[:, 0] - dx * back, pixels[:, 1] - dy * back])
    bars = interval_segments(topics, to_px, width, height)
    arrows = [
        (float(a), float(b), float(c), float(d))
        for (a, b), (c, d) in zip(moved, arrow_px, strict=True)
        if np.isfinite([a, b, c, d]).all()
    ]
    boundaries = boundary_frame(result, lo, hi, tiers or result.tier_order)
    lines_px = [
        (*to_px(pd.Series([r.x]), pd.Series([r.y]))[0], *to_px(pd.Series([r.x2]), pd.Series([r.y2]))[0])
        for r in boundaries.itertuples(index=False)
    ]
    heads: list[Box] = [
        (float(x) - 5, float(y) - 5, float(x) + 5, float(y) + 5)
        for x, y in arrow_px
        if np.isfinite([x, y]).all()
    ]
    fixed = place_boundary_labels(boundaries, lines_px, pixels, [*bars, *arrows], width, height, lo, hi)
    fixed += heads
    centres, far = place_labels(
        pixels, sizes, width, height, segments=[*bars, *arrows], boxes=fixed, soft_segments=lines_px
    )
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
    topics["arrow_angle"] = np.degrees(np.arctan2(dx, -dy))
    topics["arrow_x"] = lo + arrow_px[:, 0] / width * (hi - lo)
    topics["arrow_y"] = lo + (height - arrow_px[:, 1]) / height * (hi - lo)

    topics["stakeholder_text"] = [
        interval(v, a, b)
        for v, a, b in zip(
            topics["stakeholder_importance"],
            topics["stakeholder_low"],
            topics["stakeholder_high"],
            strict=True,
        )
    ]
    topics["business_text"] = [
        interval(v, a, b)
        for v, a, b in zip(
            topics["business_significance"], topics["business_low"], topics["business_high"], strict=True
        )
    ]
    means, titles = group_mean_columns(result)
    topics = topics.merge(means, on="topic", how="left")
    return topics, (lo, hi), titles, boundaries


def interval_segments(
    topics: pd.DataFrame, to_px: Callable[[pd.Series, pd.Series], np.ndarray], width: float, height: float
) -> list[Segment]:
    """The interval bars in pixels, cut to the plot."""
    segments: list[Segment] = []
    ends = [
        ("business_low", "stakeholder_importance", "business_high", "stakeholder_importance"),
        ("business_significance", "stakeholder_low", "business_significance", "stakeholder_high"),
    ]
    for x1, y1, x2, y2 in ends:
        start, end = to_px(topics[x1], topics[y1]), to_px(topics[x2], topics[y2])
        for (a, b), (c, d) in zip(start, end, strict=True):
            if np.isfinite([a, b, c, d]).all():
                segments.append(
                    (
                        float(np.clip(a, 0, width)),
                        float(np.clip(b, 0, height)),
                        float(np.clip(c, 0, width)),
                        float(np.clip(d, 0, height)),
                    )
                )
    return segments


BOUNDARY_FONT_SIZE = 10


def place_boundary_labels(
    boundaries: pd.DataFrame,
    lines_px: list[Segment],
    points: np.ndarray,
    segments: list[Segment],
    width: float,
    height: float,
    lo: float,
    hi: float,
) -> list[Box]:
    """Put each boundary's label, level, just above its line where it covers no point, bar or
    arrow (nearest the line's upper end among the free places); sets label_x and label_y of
    `boundaries` (the label's lower left corner) and returns the labels' boxes."""
    placed: list[Box] = []
    point_boxes = [(x - 6, y - 6, x + 6, y + 6) for x, y in points]
    for row, line in zip(boundaries.itertuples(), lines_px, strict=True):
        w, h = text_width(str(row.label), BOUNDARY_FONT_SIZE) + 4, LINE_HEIGHT
        best: tuple[float, float, float] | None = None
        for t in np.linspace(0.02, 0.9, 45):
            x = line[0] + t * (line[2] - line[0]) + 3
            y = line[1] + t * (line[3] - line[1]) - 3
            box = (x, y - h, x + w, y)
            if box[0] < 0 or box[1] < 0 or box[2] > width or box[3] > height:
                continue
            cost = sum(box_overlap(box, other, 2.0) for other in [*placed, *point_boxes])
            cost += sum(segment_inside(box, segment) for segment in segments)
            if best is None or cost < best[2]:
                best = (x, y, cost)
            if cost == 0:
                break
        if best is None:
            best = (line[0] + 3, line[1] + h, 0.0)
        x, y, _ = best
        placed.append((x, y - h, x + w, y))
        boundaries.loc[row.Index, "label_x"] = lo + x / width * (hi - lo)
        boundaries.loc[row.Index, "label_y"] = lo + (height - y) / height * (hi - lo)
    return placed


def boundary_frame(result: AnalysisResult, lo: float, hi: float, tiers: list[str]) -> pd.DataFrame:
    """Tier boundaries as segments of x + y = 2t inside the plot, with a label near the upper end."""
    rows = []
    n = len(result.thresholds)
    for i, t in enumerate(sorted(result.thresholds)):
        segment = boundary_segment(t, lo, hi)
        if segment is None:
            continue
        x_start, y_start, x_end, y_end = segment
        above = tiers[n - 1 - i] if n - 1 - i < len(tiers) else "above"
        below = tiers[n - i] if n - i < len(tiers) else "below"
        rows.append(
            {
                "x": x_start,
                "y": y_start,
                "x2": x_end,
                "y2": y_end,
                "threshold": round(t, 3),
                "label": f"{above} \u2197 / {below} \u2199 (combined score {number(t)})",
                "label_x": x_start,
                "label_y": y_start,
            }
        )
    return pd.DataFrame(rows, columns=["x", "y", "x2", "y2", "threshold", "label", "label_x", "label_y"])


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


def axis_title(data: AssessmentData, dimension: str, base: str, language: str) -> list[str]:
    """The axis's name and, on a second line, the rating scale with its ends in words."""
    labels = (data.scale_labels or {}).get(dimension, {})
    names = labels.get(language) or labels.get("en") or []
    if len(names) >= 2:
        return [base, f"mean rating, {data.scale_min} = {names[0]} \u2026 {data.scale_max} = {names[-1]}"]
    return [base, f"mean rating on the scale {data.scale_min}\u2013{data.scale_max}"]


def matrix_chart(
    result: AnalysisResult,
    *,
    language: str = "en",
    show_previous: bool = True,
    width: int = 820,
    height: int = 600,
) -> alt.LayerChart | alt.FacetChart:
    """The materiality matrix: every topic a labelled point, coloured by tier, shaped by E/S/G.

    Error bars are the intervals of both axes; dashed lines are the tier boundaries (lines of
    equal combined score); with a previous result, grey arrows run from last year's positions.
    """
    frame, (lo, hi), titles, boundaries = matrix_frame(
        result, language=language, width=width, height=height, show_previous=show_previous
    )
    tiers = result.tier_order
    level = result.interval_level
    x_scale = alt.Scale(domain=[lo, hi], nice=False, zero=False)
    y_scale = alt.Scale(domain=[lo, hi], nice=False, zero=False)
    x_title = axis_title(result.data, "business_impact", BUSINESS_AXIS, language)
    y_title = axis_title(result.data, "importance", STAKEHOLDER_AXIS, language)
    base = alt.Chart()  # the layer's data: shared by the layers that do not bring their own
    colour = alt.Color(
        "tier:N",
        title="Tier",
        scale=alt.Scale(domain=tiers, range=tier_colours(tiers)),
        legend=alt.Legend(orient="top", symbolOpacity=1, symbolSize=90, direction="horizontal"),
    )
    shape = alt.Shape(
        "category_name:N",
        title="Category",
        scale=alt.Scale(
            domain=[CATEGORY_NAMES[c] for c in CATEGORY_SHAPES],
            range=list(CATEGORY_SHAPES.values()),
        ),
        legend=alt.Legend(
            orient="top",
            direction="horizontal",
            symbolSize=90,
            symbolFillColor="#555555",
            symbolStrokeColor="#555555",
        ),
    )
    x = alt.X("business_significance:Q", title=x_title, scale=x_scale)
    y = alt.Y("stakeholder_importance:Q", title=y_title, scale=y_scale)

    layers: list[alt.Chart] = []
    if not boundaries.empty:
        bound = alt.Chart(boundaries)
        layers.append(
            bound.mark_rule(strokeDash=[7, 4], color="#555555", strokeWidth=1.2, clip=True).encode(
                x=alt.X("x:Q", scale=x_scale, title=x_title),
                y=alt.Y("y:Q", scale=y_scale, title=y_title),
                x2=alt.X2("x2"),
                y2=alt.Y2("y2"),
            )
        )
        layers.append(
            bound.mark_text(
                align="left",
                baseline="bottom",
                dx=2,
                fontSize=BOUNDARY_FONT_SIZE,
                color="#555555",
                fontStyle="italic",
            ).encode(x=alt.X("label_x:Q"), y=alt.Y("label_y:Q"), text=alt.Text("label:N"))
        )
    if boundaries.empty and frame["tier"].notna().any():
        hulls = hull_frame(frame, margin=14 / width * (hi - lo))
        layers.append(
            alt.Chart(hulls)
            .mark_line(interpolate="linear-closed", strokeDash=[6, 4], strokeWidth=1.2, clip=True)
            .encode(
                x=alt.X("x:Q", scale=x_scale, title=x_title),
                y=alt.Y("y:Q", scale=y_scale, title=y_title),
                order=alt.Order("order:Q"),
                detail=alt.Detail("tier:N"),
                color=alt.Color(
                    "tier:N", scale=alt.Scale(domain=tiers, range=tier_colours(tiers)), legend=None
                ),
            )
        )
    error_colour = alt.Color("tier:N", scale=alt.Scale(domain=tiers, range=tier_colours(tiers)), legend=None)
    layers.append(
        base.transform_filter("isValid(datum.business_low) && isValid(datum.business_high)")
        .mark_rule(opacity=0.35, strokeWidth=1.5, clip=True)
        .encode(x=alt.X("business_low:Q"), x2=alt.X2("business_high"), y=y, color=error_colour)
    )
    layers.append(
        base.transform_filter("isValid(datum.stakeholder_low) && isValid(datum.stakeholder_high)")
        .mark_rule(opacity=0.35, strokeWidth=1.5, clip=True)
        .encode(y=alt.Y("stakeholder_low:Q"), y2=alt.Y2("stakeholder_high"), x=x, color=error_colour)
    )
    if frame["business_previous"].notna().any():
        moves = base.transform_filter(
            "isValid(datum.business_previous) && isValid(datum.stakeholder_previous)"
        )
        layers.append(
            moves.mark_rule(color="#8a8a8a", strokeWidth=1, opacity=0.6).encode(
                x=alt.X("business_previous:Q"),
                y=alt.Y("stakeholder_previous:Q"),
                x2=alt.X2("arrow_x"),
                y2=alt.Y2("arrow_y"),
            )
        )
        layers.append(
            moves.mark_point(shape="triangle-up", filled=True, size=40, color="#8a8a8a", opacity=0.75).encode(
                x=alt.X("arrow_x:Q"), y=alt.Y("arrow_y:Q"), angle=alt.Angle("arrow_angle:Q", scale=None)
            )
        )
    layers.append(
        base.transform_filter("isValid(datum.leader_x)")
        .mark_rule(color="#9a9a9a", strokeWidth=0.8)
        .encode(x=x, y=y, x2=alt.X2("leader_x"), y2=alt.Y2("leader_y"))
    )
    tooltip = [
        alt.Tooltip("name:N", title="Topic"),
        alt.Tooltip("category_name:N", title="Category"),
        alt.Tooltip("tier:N", title="Tier"),
        alt.Tooltip("rank:Q", title="Rank"),
        alt.Tooltip("stakeholder_text:N", title=f"{STAKEHOLDER_AXIS} [{percent(level)} interval]"),
        alt.Tooltip("business_text:N", title=f"{BUSINESS_AXIS} [{percent(level)} interval]"),
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
        ).encode(x=alt.X("label_x:Q"), y=alt.Y("label_y:Q"), text=alt.Text("label:N"), tooltip=tooltip)
    )
    boundary_note = (
        "Dashed line: tier boundary (equal combined score)."
        if not boundaries.empty
        else "Dashed outlines: the tiers (clusters on the matrix)."
    )
    subtitle = [f"Each point is a topic; bars show {percent(level)} intervals. {boundary_note}"]
    if frame["business_previous"].notna().any() and result.previous is not None:
        subtitle.append(f"Grey arrows: movement since {result.previous.data.year}.")
    return alt.layer(
        *layers,
        data=frame,
        width=width,
        height=height,
        title=alt.Title(f"Materiality matrix {result.data.year}", subtitle=subtitle),
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(color="independent", shape="shared")),
        # the plot keeps its size, axes and legends added around it: label places are in its pixels
        autosize=alt.AutoSizeParams(type="pad"),
        config=chart_config(language),
    )


def ranked_table(result: AnalysisResult) -> pd.DataFrame:
    """The topics in rank order as the committee reads them beside the matrix: full names, tier,
    both scores with their intervals, the combined score and how stable the tier is."""
    t = result.topics.sort_values("rank")
    level = percent(result.interval_level)

    def scores(value: str, low: str, high: str) -> list[str]:
        return [
            "no ratings" if pd.isna(v) else interval(v, a, b, separator="\u2013")
            for v, a, b in zip(t[value], t[low], t[high], strict=True)
        ]

    stability = [
        "" if pd.isna(p) else f"{'stable' if p >= UNCERTAIN_P_TIER else 'uncertain'} ({percent(p)})"
        for p in t["p_tier"]
    ]
    return pd.DataFrame(
        {
            "Rank": t["rank"].astype("Int64"),
            "Topic": t["name"].astype(str),
            "Tier": t["tier"].fillna("not placed"),
            "Combined score": t["combined_score"].map(lambda v: number(v, missing="")),
            f"Stakeholders [{level} interval]": scores(
                "stakeholder_importance", "stakeholder_low", "stakeholder_high"
            ),
            f"Business [{level} interval]": scores("business_significance", "business_low", "business_high"),
            "Stability (same tier)": stability,
        }
    )
