"""The what-if chart: the topics under a variant of the method, those that changed tier marked."""

from __future__ import annotations

from typing import TYPE_CHECKING

import altair as alt
import numpy as np
import pandas as pd

from render.labels import LABEL_FONT_SIZE, LINE_HEIGHT, nearest_on_box, place_labels, text_width, wrap_label
from render.matrix import boundary_segment
from render.style import BUSINESS_AXIS, STAKEHOLDER_AXIS, chart_config, tier_colours

if TYPE_CHECKING:
    from analysis.pipeline import AnalysisResult


def moves_chart(
    moves: pd.DataFrame, after: AnalysisResult, *, width: int = 560, height: int = 480
) -> alt.LayerChart | alt.FacetChart:
    """A light matrix of a variant: every topic labelled and coloured by its new tier, those
    that changed tier ringed, the variant's tier boundaries dashed. Light enough to redraw on
    every change of a what-if control."""
    plotted = moves.dropna(subset=["business_significance", "stakeholder_importance"]).copy()
    values = [*plotted["business_significance"], *plotted["stakeholder_importance"]]
    lo = min(values) - 0.1 if values else float(after.data.scale_min)
    hi = max(values) + 0.1 if values else float(after.data.scale_max)
    tiers = after.tier_order
    scale = alt.Scale(domain=[lo, hi], nice=False, zero=False)
    x = alt.X("business_significance:Q", title=BUSINESS_AXIS, scale=scale)
    y = alt.Y("stakeholder_importance:Q", title=STAKEHOLDER_AXIS, scale=scale)
    span = hi - lo if hi > lo else 1.0
    pixels = np.column_stack(
        [
            (plotted["business_significance"] - lo) / span * width,
            height - (plotted["stakeholder_importance"] - lo) / span * height,
        ]
    )
    plotted["label"] = plotted["name"].astype(str).map(wrap_label)
    lines = plotted["label"].str.split("\n")
    sizes = np.column_stack(
        [
            lines.map(lambda ls: max(text_width(t) for t in ls)).to_numpy() + 2,
            lines.map(len).to_numpy() * LINE_HEIGHT,
        ]
    ).reshape(-1, 2)
    centres, far = place_labels(pixels, sizes, width, height, point_radius=9.0)
    first_line = centres[:, 1] - (lines.map(len).to_numpy() - 1) * LINE_HEIGHT / 2
    plotted["label_x"] = lo + centres[:, 0] / width * span
    plotted["label_y"] = lo + (height - first_line) / height * span
    leader = [
        nearest_on_box(px, py, cx, cy, w, h) if is_far else (np.nan, np.nan)
        for (px, py), (cx, cy), (w, h), is_far in zip(pixels, centres, sizes, far, strict=True)
    ]
    plotted["leader_x"] = [lo + a / width * span for a, _ in leader]
    plotted["leader_y"] = [lo + (height - b) / height * span for _, b in leader]
    base = alt.Chart()
    points = base.mark_point(filled=True, size=80).encode(
        x=x,
        y=y,
        color=alt.Color(
            "tier_after:N", title="Tier", scale=alt.Scale(domain=tiers, range=tier_colours(tiers))
        ),
        tooltip=[
            alt.Tooltip("name:N", title="Topic"),
            alt.Tooltip("tier_before:N", title="Tier before"),
            alt.Tooltip("tier_after:N", title="Tier now"),
            alt.Tooltip("combined_score:Q", title="Combined score", format=".2f"),
        ],
    )
    moved = base.transform_filter("datum.moved").mark_point(size=320, strokeWidth=2, color="#222222")
    labels = base.mark_text(
        align="center", baseline="middle", lineBreak="\n", lineHeight=LINE_HEIGHT, fontSize=LABEL_FONT_SIZE
    ).encode(x=alt.X("label_x:Q", scale=scale), y=alt.Y("label_y:Q", scale=scale), text=alt.Text("label:N"))
    leaders = (
        base.transform_filter("isValid(datum.leader_x)")
        .mark_rule(color="#9a9a9a", strokeWidth=0.8)
        .encode(x=x, y=y, x2=alt.X2("leader_x"), y2=alt.Y2("leader_y"))
    )
    layers = [leaders, points, moved.encode(x=x, y=y), labels]
    segments = [boundary_segment(t, lo, hi) for t in after.thresholds]
    cuts = pd.DataFrame([s for s in segments if s is not None], columns=["x", "y", "x2", "y2"])
    if not cuts.empty:
        layers.insert(
            0,
            alt.Chart(cuts)
            .mark_rule(strokeDash=[6, 4], color="#555555")
            .encode(
                x=alt.X("x:Q", scale=scale, title=BUSINESS_AXIS),
                y=alt.Y("y:Q", scale=scale, title=STAKEHOLDER_AXIS),
                x2=alt.X2("x2"),
                y2=alt.Y2("y2"),
            ),
        )
    return alt.layer(
        *layers,
        data=plotted,
        width=width,
        height=height,
        title=alt.Title("Topics under the variant", subtitle=["Ringed: the topic changes tier."]),
        config=chart_config(),
    )
