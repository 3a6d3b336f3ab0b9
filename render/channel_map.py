"""The stakeholder channel map: how the company reaches each stakeholder group and what each group
cares about, with the evidence (responses per channel, the topics each group rated highest) and
the mismatches between declared focus areas and ratings (:func:`analysis.findings.focus_links`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import altair as alt
import numpy as np
import pandas as pd

from analysis.channels import channel_table, group_response_table
from analysis.findings import FINDING_KINDS, FOCUS_OUTSIDE_CATALOG, focus_links
from core.formats import json_ready
from render.labels import clip_text, text_width
from render.numbers import number, percent
from render.style import FINDING_COLOURS, FINDING_SHAPES, chart_config, tier_colours

if TYPE_CHECKING:
    from analysis.pipeline import AnalysisResult


def response_text(responses: int, links: float, rate: float) -> str:
    """A channel's or group's reach: links issued, responses and response rate, or links not tracked."""
    answers = f"{responses} response{'' if responses == 1 else 's'}"
    if pd.isna(links):
        return f"{answers} \u00b7 links not tracked"
    return f"{int(links)} link{'' if links == 1 else 's'} \u00b7 {answers} \u00b7 {percent(rate)}"


def channel_map_frames(
    result: AnalysisResult, channel_stats: pd.DataFrame, top_k: int = 5
) -> dict[str, pd.DataFrame]:
    """Positions (pixels, y down) of the channel map's parts.

    Two parts, each fitting a page from 1280 px up. The flow: channels with their links issued
    and responses, linked to the group boxes. Below it the grid (its own coordinates): one row
    per group, one column per topic (in rank order, then focus areas outside the catalog),
    marking each group's declared focus areas and highest-rated topics.
    """
    row, gap, box_height, column_step, grid_row = 20.0, 14.0, 38.0, 30.0, 30.0
    x_name, x_stats, x_group, group_width = 0.0, 400.0, 440.0, 250.0
    x_grid = 230.0
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
    grid_header = min(longest, 300) * math.sqrt(0.5) + 24
    columns["x"] = x_grid + (np.arange(len(columns)) + 0.5) * column_step
    columns["y"] = grid_header - 8
    header = 30.0

    channel_rows: list[dict] = []
    group_rows: list[dict] = []
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
                    f"{names.get(t, t)} ({number(m)})"
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
                "grid_y": grid_header + (len(group_rows) + 0.5) * grid_row,
                "grid_name_x": x_grid - 10,
                "band_x": 0.0,
                "band_x2": x_grid + len(columns) * column_step,
                "band_y": grid_header + len(group_rows) * grid_row,
                "band_y2": grid_header + (len(group_rows) + 1) * grid_row,
            }
        )
        y += block + gap
    height = y - gap + 8
    grid_height = grid_header + len(group_rows) * grid_row + 4
    channel_frame = pd.DataFrame(channel_rows)
    group_frame = pd.DataFrame(group_rows)
    box_y = group_frame.set_index("group")["y_mid"] if not group_frame.empty else pd.Series(dtype=float)
    group_y = group_frame.set_index("group")["grid_y"] if not group_frame.empty else pd.Series(dtype=float)
    if not channel_frame.empty:
        channel_frame["y_group"] = channel_frame["group"].map(box_y)

    node = links["topic"].where(links["topic"].notna(), "label:" + links["label"].astype(str))
    cells = links.assign(
        node=node,
        x=node.map(columns.set_index("node")["x"]),
        y=links["group"].map(group_y),
        mean_text=links["mean"].map(number),
        rank_text=links["group_rank"].map(lambda r: "n/a" if pd.isna(r) else str(int(r))),
    )
    stakeholder = (
        group_frame[group_frame["dimension"] == "importance"] if not group_frame.empty else group_frame
    )
    grid = pd.DataFrame(
        [(x, gy) for gy in stakeholder.get("grid_y", []) for x in columns["x"]], columns=["x", "y"]
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
        "size": pd.DataFrame(
            {
                "width": [x_group + group_width + 10, x_grid + len(columns) * column_step + 10],
                "height": [height, grid_height],
            },
            index=["flow", "grid"],
        ),
    }


def datasets(frames: dict[str, pd.DataFrame]) -> dict[str, list[dict]]:
    """The frames as JSON rows, converted once and given once at the top of the chart: layers
    name their data rather than carrying a copy (Altair would sanitise and copy a frame again
    for every layer that draws it)."""
    names = ("headers", "channels", "groups", "columns", "grid", "cells")
    return {
        f"channel_map_{name}": json_ready(
            frames[name].astype(object).where(frames[name].notna(), None).to_dict("records"), digits=None
        )
        for name in names
    }


def data(name: str) -> alt.NamedData:
    return alt.NamedData(name=f"channel_map_{name}")


def pixel_axes(width: float, height: float) -> tuple[alt.Scale, alt.Scale]:
    return (
        alt.Scale(domain=[0, width], range=[0, width], nice=False, zero=False),
        alt.Scale(domain=[0, height], range=[0, height], nice=False, zero=False),
    )


def flow_chart(frames: dict[str, pd.DataFrame]) -> alt.LayerChart | alt.FacetChart:
    """Channels (with their reach) linked to the stakeholder groups."""
    width, height = (float(v) for v in frames["size"].loc["flow", ["width", "height"]])
    px, py = pixel_axes(width, height)
    x = alt.X("x:Q", scale=px, axis=None)
    y = alt.Y("y:Q", scale=py, axis=None)
    layers: list[alt.Chart] = []
    headers = alt.Chart(data("headers"))
    for align in ("left", "right", "center"):
        layers.append(
            headers.transform_filter(alt.datum.align == align)
            .mark_text(align=align, baseline="middle", fontWeight="bold", fontSize=12, color="#333333")
            .encode(x=x, y=y, text=alt.Text("text:N"))
        )
    channels = alt.Chart(data("channels"))
    if not frames["channels"].empty:
        layers.append(
            channels.mark_rule(color="#6a8caf", opacity=0.55).encode(
                x=alt.X("x_link:Q", scale=px, axis=None),
                y=y,
                x2=alt.X2("x_group"),
                y2=alt.Y2("y_group"),
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
                x=x, y=y, text=alt.Text("channel_text:N"), tooltip=channel_tooltip
            )
        )
        layers.append(
            channels.mark_text(align="right", baseline="middle", fontSize=10, color="#555555").encode(
                x=alt.X("x_stats:Q", scale=px, axis=None),
                y=y,
                text=alt.Text("stats:N"),
                tooltip=channel_tooltip,
            )
        )
    groups = alt.Chart(data("groups"))
    layers.append(
        groups.mark_rect(fill="#eef3f8", stroke="#6a8caf", cornerRadius=4).encode(
            x=x, y=y, x2=alt.X2("x2"), y2=alt.Y2("y2"), tooltip=GROUP_TOOLTIP
        )
    )
    layers.append(
        groups.mark_text(align="center", baseline="middle", fontWeight="bold", fontSize=11).encode(
            x=alt.X("x_mid:Q", scale=px, axis=None),
            y=alt.Y("y_name:Q", scale=py, axis=None),
            text=alt.Text("group_text:N"),
            tooltip=GROUP_TOOLTIP,
        )
    )
    layers.append(
        groups.mark_text(align="center", baseline="middle", fontSize=9.5, color="#444444").encode(
            x=alt.X("x_mid:Q", scale=px, axis=None),
            y=alt.Y("y_stats:Q", scale=py, axis=None),
            text=alt.Text("stats:N"),
            tooltip=GROUP_TOOLTIP,
        )
    )
    return alt.layer(*layers, width=width, height=height)


GROUP_TOOLTIP = [
    alt.Tooltip("group_name:N", title="Group"),
    alt.Tooltip("stats:N", title="Responses"),
    alt.Tooltip("focus_areas:N", title="Declared focus areas"),
    alt.Tooltip("rated_highest:N", title="Rated highest"),
]


def grid_chart(result: AnalysisResult, frames: dict[str, pd.DataFrame]) -> alt.LayerChart | alt.FacetChart:
    """One row per group, one column per topic: declared focus areas and highest-rated topics."""
    width, height = (float(v) for v in frames["size"].loc["grid", ["width", "height"]])
    px, py = pixel_axes(width, height)
    x = alt.X("x:Q", scale=px, axis=None)
    y = alt.Y("y:Q", scale=py, axis=None)
    kinds = list(FINDING_KINDS)
    layers: list[alt.Chart] = []
    groups = alt.Chart(data("groups"))
    layers.append(
        groups.transform_window(index="row_number()")
        .transform_filter("datum.index % 2 == 1")
        .mark_rect(fill="#f5f7fa")
        .encode(
            x=alt.X("band_x:Q", scale=px, axis=None),
            x2=alt.X2("band_x2"),
            y=alt.Y("band_y:Q", scale=py, axis=None),
            y2=alt.Y2("band_y2"),
        )
    )
    layers.append(
        groups.mark_text(align="right", baseline="middle", fontSize=11, color="#222222").encode(
            x=alt.X("grid_name_x:Q", scale=px, axis=None),
            y=alt.Y("grid_y:Q", scale=py, axis=None),
            text=alt.Text("group_text:N"),
            tooltip=GROUP_TOOLTIP,
        )
    )
    columns = alt.Chart(data("columns"))
    tiers = [*result.tier_order, "outside the catalog"]
    outside_colour = FINDING_COLOURS[FOCUS_OUTSIDE_CATALOG]
    for outside, style in ((False, "normal"), (True, "italic")):
        layers.append(
            columns.transform_filter(alt.datum.outside == outside)
            .mark_text(align="left", baseline="middle", angle=315, fontSize=11, fontStyle=style)
            .encode(
                x=x,
                y=y,
                text=alt.Text("display:N"),
                color=alt.Color(
                    "tier:N",
                    title="Topic tier (column names)",
                    scale=alt.Scale(domain=tiers, range=[*tier_colours(tiers[:-1]), outside_colour]),
                    legend=None
                    if outside
                    else alt.Legend(orient="bottom", direction="horizontal", symbolType="square"),
                ),
            )
        )
    if not frames["grid"].empty:
        layers.append(
            alt.Chart(data("grid")).mark_point(filled=True, size=6, color="#c8c8c8").encode(x=x, y=y)
        )
    layers.append(
        alt.Chart(data("cells"))
        .mark_point(filled=True, size=120, opacity=1, stroke="white", strokeWidth=0.6)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "kind:N",
                title="Focus areas and ratings",
                scale=alt.Scale(domain=kinds, range=[FINDING_COLOURS[k] for k in kinds]),
                legend=alt.Legend(orient="bottom", direction="horizontal", columns=3, symbolSize=110),
            ),
            shape=alt.Shape(
                "kind:N",
                title="Focus areas and ratings",
                scale=alt.Scale(domain=kinds, range=[FINDING_SHAPES[k] for k in kinds]),
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
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(color="independent", shape="independent")),
    )


def channel_map_chart(
    result: AnalysisResult, channel_stats: pd.DataFrame, *, top_k: int = 5
) -> alt.VConcatChart:
    """Stakeholder groups linked to their channels (with responses) and to the topics they care about.

    Channel links are as thick as the responses that came through them. The grid below marks
    each group's declared focus areas and its `top_k` highest-rated topics; mismatches have
    their own colour and shape (see :func:`analysis.findings.focus_links`). The legends sit
    below the grid, clear of its rows.
    """
    frames = channel_map_frames(result, channel_stats, top_k)
    return alt.vconcat(
        flow_chart(frames),
        grid_chart(result, frames),
        spacing=24,
        datasets=datasets(frames),
        title=alt.Title(
            f"Stakeholder channel map {result.data.year}",
            subtitle=[
                "Channels (line width: responses) \u2192 stakeholder groups; below, the topics each "
                f"group declared as focus areas or rated among its {top_k} highest.",
            ],
        ),
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(color="independent", shape="independent")),
        config=chart_config(view_stroke=None),
    )


def focus_table(mismatches: pd.DataFrame) -> pd.DataFrame:
    """Where declared focus areas and ratings disagree (:func:`analysis.findings.focus_mismatches`),
    as the report shows it: the group's name and the topic on every row."""
    return pd.DataFrame(
        {
            "Group": mismatches["group_name"].astype(str),
            "Topic": mismatches["name"]
            .where(mismatches["topic"].notna(), mismatches["label"] + " (not in the topic list)")
            .astype(str),
            "Declared focus area": mismatches["label"].replace("", "\u2014").fillna("\u2014"),
            "Finding": mismatches["kind"],
            "Group's mean": mismatches["mean"].map(lambda v: number(v, missing="")),
            "Rank in the group": [
                "" if pd.isna(rank) else f"{int(rank)} of {int(n)}"
                for rank, n in zip(mismatches["group_rank"], mismatches["n_topics_rated"], strict=True)
            ],
        }
    ).reset_index(drop=True)
