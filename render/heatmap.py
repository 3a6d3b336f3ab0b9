"""The group heatmap: the mean rating of every topic by every group, suppressed cells and minority
flags marked."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import altair as alt
import numpy as np
import pandas as pd

from render.labels import clip_text, display_names, header_lines
from render.numbers import number, signed
from render.style import chart_config

if TYPE_CHECKING:
    from analysis.pipeline import AnalysisResult

HEATMAP_LABEL_WIDTH = 260


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
    frame["group_axis"] = frame["group_label"].map(lambda t: "|".join(header_lines(t.replace("|", "/"), 12)))
    frame["suppressed"] = frame["suppressed"].astype(bool)
    frame["minority"] = frame["minority"].astype(bool) & ~frame["suppressed"]
    frame["cell_text"] = [
        f"n={int(n)}" if s else number(m, 1) + ((" \u25bc" if way == "below" else " \u25b2") if flag else "")
        for m, n, s, flag, way in zip(
            frame["mean"],
            frame["n"],
            frame["suppressed"],
            frame["minority"],
            frame["minority_direction"],
            strict=True,
        )
    ]
    frame["gap_text"] = frame["minority_gap"].map(signed)
    return frame.reset_index(drop=True)


def heatmap_chart(result: AnalysisResult, *, language: str = "en") -> alt.LayerChart | alt.FacetChart:
    """Mean rating by group (columns) and topic (rows, in rank order).

    Grey cells are suppressed (fewer respondents than the minimum group size); outlined cells
    with a triangle are minority flags: the group rates the topic far above (\u25b2) or below (\u25bc) the
    other groups.
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
    header_height = int(frame["group_axis"].str.count(r"\|").max() + 1) if len(frame) else 1
    x = alt.X(
        "group_axis:N",
        sort=group_order,
        title=None,
        axis=alt.Axis(
            orient="top",
            labelAngle=0,
            labelExpr="split(datum.label, '|')",
            labelBaseline="top",
            labelPadding=header_height * 13 + 6,
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
    base = alt.Chart()  # the data is the layer's: given once, not copied into every layer
    # a step per column: the browser's container cannot squeeze the columns (a fixed width is
    # fitted to the container, labels and legend included)
    width = alt.Step(82)
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
            text=alt.Text("cell_text:N"),
            color=alt.condition(f"datum.mean > {mid}", alt.value("white"), alt.value("#222222")),
            tooltip=tooltip,
        )
    )
    suppressed_text = (
        base.transform_filter("datum.suppressed")
        .mark_text(fontSize=10, baseline="middle", fontStyle="italic", color="#777777")
        .encode(x=x, y=y, text=alt.Text("cell_text:N"), tooltip=tooltip)
    )
    min_size = result.method.get("min_group_size")
    note = f"fewer than {min_size} respondents" if min_size else "too few respondents"
    return alt.layer(
        cells,
        suppressed,
        minority,
        text,
        suppressed_text,
        data=frame,
        width=width,
        height=alt.Step(24),
        title=alt.Title(
            f"Mean rating by group {data.year}",
            subtitle=[
                f"Grey cells: suppressed ({note}, n shown). Outlined \u25b2 / \u25bc: the group rates "
                "the topic far above / below the other groups.",
            ],
        ),
        config=chart_config(language),
    )
