"""The look shared by the charts and documents: tier colours, category shapes, fonts, axis names."""

from __future__ import annotations

import altair as alt

from analysis.findings import (
    FOCUS,
    FOCUS_OUTSIDE_CATALOG,
    FOCUS_RATED_HIGH,
    FOCUS_RATED_LOW,
    RATED_HIGH_NOT_FOCUS,
)

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
TIER_COLOURS = {"high": "#D55E00", "material": "#0072B2", "low": "#999999"}
OTHER_TIER_COLOURS = ["#56B4E9", "#CC79A7", "#F0E442", "#000000"]
CATEGORY_NAMES = {"E": "Environmental", "S": "Social", "G": "Governance"}
CATEGORY_SHAPES = {"E": "triangle-up", "S": "circle", "G": "square"}

# How the channel map marks each kind of focus-area finding.
FINDING_COLOURS = {
    FOCUS_RATED_HIGH: "#009E73",
    FOCUS: "#8c8c8c",
    FOCUS_RATED_LOW: "#CC3311",
    RATED_HIGH_NOT_FOCUS: "#E69F00",
    FOCUS_OUTSIDE_CATALOG: "#882E72",
}
FINDING_SHAPES = {
    FOCUS_RATED_HIGH: "circle",
    FOCUS: "circle",
    FOCUS_RATED_LOW: "triangle-down",
    RATED_HIGH_NOT_FOCUS: "diamond",
    FOCUS_OUTSIDE_CATALOG: "square",
}

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
FONT_CJK = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"

STAKEHOLDER_AXIS = "Importance to stakeholders"
BUSINESS_AXIS = "Significance to the business"


def tier_colours(tiers: list[str]) -> list[str]:
    """The colour of each tier: its own for the named tiers, else the next of the other colours."""
    return [TIER_COLOURS.get(t, OTHER_TIER_COLOURS[i % len(OTHER_TIER_COLOURS)]) for i, t in enumerate(tiers)]


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
