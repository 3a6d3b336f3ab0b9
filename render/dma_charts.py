"""Charts of double materiality: the matrix (impact against financial score, both thresholds,
one labelled point per topic) and the IRO heatmap (every IRO's criterion values)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from analysis.dma import DmaResult
from analysis.dma_method import CRITERIA, SCALE_MAX
from render.labels import clip_text
from render.numbers import number
from render.style import chart_config

BASIS_COLOURS = {"both": "#D55E00", "impact": "#CC79A7", "financial": "#0072B2", "none": "#999999"}
BASIS_NAMES = {
    "both": "Material on both",
    "impact": "Material on impact",
    "financial": "Material on financial",
    "none": "Not material",
}
MATRIX_SUBTITLE = "Material when impact OR financial score reaches its threshold; never averaged"
IMPACT_AXIS = "Impact materiality (score 0-5)"
FINANCIAL_AXIS = "Financial materiality (score 0-5)"
LABEL_WIDTH = 170
# Below this plot width (a phone) the labels would run into each other: the points keep their
# tooltips and the topic table follows the chart.
NARROW_PLOT = 420
LABELS_ON_WIDE_CHARTS = alt.condition(f"width < {NARROW_PLOT}", alt.value(0), alt.value(1))
RIGHT_LABELS_FROM = 2.5  # financial score from which a point's label goes on its left


def matrix_frame(result: DmaResult, topic_names: dict[str, str]) -> pd.DataFrame:
    """One row per topic with a score: a missing axis is drawn at 0 and said so in the tooltip."""
    topics = result.topics[result.topics["impact_score"].notna() | result.topics["financial_score"].notna()]
    return pd.DataFrame(
        {
            "topic": topics["topic"],
            "name": [clip_text(topic_names.get(t, t), LABEL_WIDTH) for t in topics["topic"]],
            "impact": topics["impact_score"].fillna(0.0),
            "financial": topics["financial_score"].fillna(0.0),
            "impact_text": topics["impact_score"].map(lambda v: number(v, missing="no impacts")),
            "financial_text": topics["financial_score"].map(
                lambda v: number(v, missing="no risks or opportunities")
            ),
            "basis": topics["basis"].map(BASIS_NAMES),
            "flips": topics["flips"].map({True: "yes: depends on whose rating counts", False: "no"}),
        }
    ).reset_index(drop=True)


def dma_matrix_chart(
    result: DmaResult,
    topic_names: dict[str, str],
    *,
    width: int | str = 560,
    height: int = 460,
    titled: bool = True,
) -> alt.LayerChart | alt.FacetChart:
    """Impact score (y) against financial score (x); dashed lines at the two thresholds; a topic
    is material when it lies above the impact line OR right of the financial line."""
    frame = matrix_frame(result, topic_names)
    scale = alt.Scale(domain=[0, SCALE_MAX], nice=False)
    base = alt.Chart(frame).encode(
        x=alt.X("financial:Q", title=FINANCIAL_AXIS, scale=scale),
        y=alt.Y("impact:Q", title=IMPACT_AXIS, scale=scale),
    )
    colour = alt.Color(
        "basis:N",
        title="Decision",
        scale=alt.Scale(domain=list(BASIS_NAMES.values()), range=list(BASIS_COLOURS.values())),
        legend=alt.Legend(orient="bottom", columns=2),
    )
    points = base.mark_point(size=110, filled=True, opacity=0.9).encode(
        color=colour,
        tooltip=[
            alt.Tooltip("name:N", title="Topic"),
            alt.Tooltip("impact_text:N", title="Impact score"),
            alt.Tooltip("financial_text:N", title="Financial score"),
            alt.Tooltip("basis:N", title="Decision"),
            alt.Tooltip("flips:N", title="Flips within the assessors' range"),
        ],
    )
    # labels run right of their point, or left of it in the right part of the plot so that they
    # stay inside the chart
    right_part = alt.datum.financial >= RIGHT_LABELS_FROM
    labels = (
        base.mark_text(align="left", dx=8, dy=-6, fontSize=11)
        .encode(text="name:N", opacity=LABELS_ON_WIDE_CHARTS)
        .transform_filter(~right_part)
    )
    labels_left = (
        base.mark_text(align="right", dx=-8, dy=-6, fontSize=11)
        .encode(text="name:N", opacity=LABELS_ON_WIDE_CHARTS)
        .transform_filter(right_part)
    )
    layers: list[alt.Chart] = [points, labels, labels_left]
    thresholds = result.method["thresholds"]
    lines = []
    if thresholds.get("impact") is not None:
        lines.append(
            {
                "axis": "impact",
                "value": thresholds["impact"],
                "text": f"impact threshold {thresholds['impact']:g}",
            }
        )
    if thresholds.get("financial") is not None:
        lines.append(
            {
                "axis": "financial",
                "value": thresholds["financial"],
                "text": f"financial threshold {thresholds['financial']:g}",
            }
        )
    for line in lines:
        rule_data = alt.Data(values=[line])
        if line["axis"] == "impact":
            rule = alt.Chart(rule_data).mark_rule(strokeDash=[6, 4], color="#444").encode(y="value:Q")
            text = (
                alt.Chart(rule_data)
                .mark_text(align="left", x=4, dy=-6, fontSize=10, color="#444")
                .encode(y="value:Q", text="text:N")
            )
        else:
            rule = alt.Chart(rule_data).mark_rule(strokeDash=[6, 4], color="#444").encode(x="value:Q")
            text = (
                alt.Chart(rule_data)
                .mark_text(align="left", y=8, dx=4, fontSize=10, color="#444")
                .encode(x="value:Q", text="text:N")
            )
        layers = [rule, text, *layers]
    chart = alt.layer(*layers).properties(width=width, height=height)
    if titled:
        chart = chart.properties(title=alt.Title("Double materiality", subtitle=MATRIX_SUBTITLE))
    chart.config = chart_config()
    return chart


def heatmap_frame(result: DmaResult, topic_names: dict[str, str]) -> pd.DataFrame:
    """IRO x criterion cells with a value (mean or consensus), long form."""
    iros = result.iros
    rows = []
    for record in iros.to_dict("records"):
        label = clip_text(f"{record['iro']} · {topic_names.get(record['topic'], record['topic'])}", 220)
        for criterion in CRITERIA:
            value = record[criterion]
            if pd.notna(value):
                rows.append(
                    {
                        "iro": label,
                        "criterion": criterion,
                        "value": float(value),
                        "text": number(value, 1)
                        + (" ⚑" if criterion in record["disputed_criteria"].split(";") else ""),
                        "consensus": criterion in record["consensus_criteria"].split(";"),
                    }
                )
    return pd.DataFrame(rows, columns=["iro", "criterion", "value", "text", "consensus"])


def iro_heatmap_chart(
    result: DmaResult, topic_names: dict[str, str], *, width: int | str = 360
) -> alt.LayerChart | alt.FacetChart:
    """Every IRO (rows, register order by topic) by criterion (columns): the value used in the
    scores; ⚑ marks a criterion flagged for calibration."""
    frame = heatmap_frame(result, topic_names)
    order = list(dict.fromkeys(frame["iro"]))
    base = alt.Chart(frame).encode(
        x=alt.X("criterion:N", sort=list(CRITERIA), title=None, axis=alt.Axis(orient="top", labelAngle=0)),
        y=alt.Y("iro:N", sort=order, title=None),
    )
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color(
            "value:Q", scale=alt.Scale(domain=[1, SCALE_MAX], scheme="oranges"), title="Value 1-5"
        ),
        tooltip=[
            alt.Tooltip("iro:N", title="IRO"),
            alt.Tooltip("criterion:N"),
            alt.Tooltip("text:N", title="Value"),
        ],
    )
    text = base.mark_text(fontSize=10).encode(
        text="text:N", color=alt.condition("datum.value >= 3.5", alt.value("white"), alt.value("black"))
    )
    chart = alt.layer(cells, text).properties(
        width=width,
        height=alt.Step(18),
        title=alt.Title("IRO ratings", subtitle="⚑ assessors differ by 2 or more"),
    )
    chart.config = chart_config()
    return chart
