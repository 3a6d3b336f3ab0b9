"""The what-if chart: the topics under a variant of the method, those that changed tier marked."""

from __future__ import annotations

from typing import TYPE_CHECKING

import altair as alt
import pandas as pd

from render.matrix import boundary_segment
from render.style import BUSINESS_AXIS, STAKEHOLDER_AXIS, tier_colours

if TYPE_CHECKING:
    from analysis.pipeline import AnalysisResult


def moves_chart(
    moves: pd.DataFrame, after: AnalysisResult, *, width: int = 460, height: int = 460
) -> alt.LayerChart | alt.FacetChart:
    """A light matrix of a variant: topics coloured by their new tier, those that changed tier
    ringed and labelled, the variant's tier boundaries dashed. Light enough to redraw on every
    change of a what-if control."""
    plotted = moves.dropna(subset=["business_significance", "stakeholder_importance"])
    values = [*plotted["business_significance"], *plotted["stakeholder_importance"]]
    lo = min(values) - 0.1 if values else float(after.data.scale_min)
    hi = max(values) + 0.1 if values else float(after.data.scale_max)
    tiers = after.tier_order
    scale = alt.Scale(domain=[lo, hi], nice=False, zero=False)
    x = alt.X("business_significance:Q", title=BUSINESS_AXIS, scale=scale)
    y = alt.Y("stakeholder_importance:Q", title=STAKEHOLDER_AXIS, scale=scale)
    base = alt.Chart(plotted)
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
    labels = base.transform_filter("datum.moved").mark_text(align="left", dx=10, fontSize=11)
    layers = [points, moved.encode(x=x, y=y), labels.encode(x=x, y=y, text=alt.Text("name:N"))]
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
        *layers, width=width, height=height, title="Topics under the variant (ringed: tier changed)"
    )
