"""The report's charts: Altair specifications checked field by field against the analysis result,
and the rendered scene (vl-convert, the renderer the CLI uses) checked for legible labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import vl_convert as vlc
from PIL import ImageFont
from report_fixtures import demo_database, demo_result, load, tracked_channel_stats

from analysis.channels import channel_stats_from
from analysis.findings import focus_links, focus_mismatches
from analysis.method import MethodConfig, TieringConfig
from analysis.pipeline import analyse
from render.channel_map import channel_map_chart, focus_table
from render.heatmap import heatmap_chart
from render.labels import LINE_HEIGHT, place_labels
from render.matrix import matrix_chart
from render.style import CATEGORY_SHAPES, TIER_COLOURS

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return demo_database(tmp_path_factory.mktemp("charts"))


@pytest.fixture(scope="module")
def result(demo_url):
    return demo_result(demo_url)


def rows_of(spec: dict, layer: dict) -> list[dict]:
    """The data rows a layer draws (its own data, else the chart's), after its filters."""
    data = layer.get("data") or spec.get("data")
    rows = data["values"] if "values" in data else spec["datasets"][data["name"]]
    for transform in layer.get("transform", []):
        expression = transform.get("filter")
        if isinstance(expression, str):
            rows = [r for r in rows if filter_passes(expression, r)]
    return rows


def filter_passes(expression: str, row: dict) -> bool:
    """The few Vega expressions the charts use as filters."""
    if expression.startswith("isValid("):
        fields = [part.strip().split("datum.")[1].rstrip(")") for part in expression.split("&&")]
        return all(row.get(f) is not None for f in fields)
    if expression == "datum.suppressed":
        return bool(row["suppressed"])
    if expression == "!datum.suppressed":
        return not row["suppressed"]
    if expression == "datum.minority":
        return bool(row["minority"])
    raise AssertionError(f"unexpected filter {expression}")


def layer_with(spec: dict, mark: str, **encoded: str) -> dict:
    matches = [
        layer
        for layer in spec["layer"]
        if (layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]) == mark
        and all(layer.get("encoding", {}).get(ch, {}).get("field") == f for ch, f in encoded.items())
    ]
    assert len(matches) == 1, f"{len(matches)} {mark} layers encode {encoded}"
    return matches[0]


def marks_named(node, name: str) -> list:
    """Scenegraph items of the mark called `name`."""
    if isinstance(node, dict):
        if node.get("name") == name:
            return node["items"]
        node = list(node.values())
    if isinstance(node, list):
        for child in node:
            found = marks_named(child, name)
            if found:
                return found
    return []


# --- the materiality matrix ---------------------------------------------------------------------


def test_matrix_one_point_per_topic_with_its_fields(result):
    spec = matrix_chart(result).to_dict()  # validated against the Vega-Lite schema
    point = layer_with(spec, "point", x="business_significance", y="stakeholder_importance")
    rows = {r["topic"]: r for r in rows_of(spec, point)}
    topics = result.topics.set_index("topic")
    assert sorted(rows) == sorted(topics.index) and len(rows) == 16

    for key, row in rows.items():
        assert row["business_significance"] == pytest.approx(topics.at[key, "business_significance"])
        assert row["stakeholder_importance"] == pytest.approx(topics.at[key, "stakeholder_importance"])
        assert row["tier"] == topics.at[key, "tier"]
        assert row["p_tier"] == pytest.approx(topics.at[key, "p_tier"])
    encoding = point["encoding"]
    # tier colours: the fixed colour of each tier, in tier order
    assert encoding["color"]["field"] == "tier"
    assert encoding["color"]["scale"]["domain"] == ["high", "material"]
    assert encoding["color"]["scale"]["range"] == [TIER_COLOURS["high"], TIER_COLOURS["material"]]
    # E/S/G by shape
    assert encoding["shape"]["field"] == "category_name"
    assert encoding["shape"]["scale"]["range"] == list(CATEGORY_SHAPES.values())
    tooltip = {t["field"] for t in encoding["tooltip"]}
    assert {"name", "stakeholder_text", "business_text", "p_tier", "n_respondents", "n_business"} <= tooltip
    group_means = [t for t in encoding["tooltip"] if t["field"].startswith("group_mean_")]
    assert [t["title"] for t in group_means][:2] == [
        "Mean: Public institutions and regulators",
        "Mean: Shareholders and investors",
    ]
    privacy = rows["privacy_data_security"]
    assert privacy["stakeholder_text"] == "{:.2f} [{:.2f}, {:.2f}]".format(
        *topics.loc[
            "privacy_data_security", ["stakeholder_importance", "stakeholder_low", "stakeholder_high"]
        ]
    )
    clients = result.groups.set_index(["group", "topic"]).loc[("clients", "privacy_data_security")]
    assert privacy["group_mean_2"] == f"{clients['mean']:.2f} (n={clients['n']})"


def test_matrix_draws_both_intervals(result):
    spec = matrix_chart(result).to_dict()
    topics = result.topics.set_index("topic")
    horizontal = layer_with(spec, "rule", x="business_low", x2="business_high", y="stakeholder_importance")
    vertical = layer_with(spec, "rule", y="stakeholder_low", y2="stakeholder_high", x="business_significance")
    for layer, low, high in (
        (horizontal, "business_low", "business_high"),
        (vertical, "stakeholder_low", "stakeholder_high"),
    ):
        rows = rows_of(spec, layer)
        assert len(rows) == 16
        for row in rows:
            assert row[low] == pytest.approx(topics.at[row["topic"], low])
            assert row[high] == pytest.approx(topics.at[row["topic"], high])
            assert row[low] < row[high]


def test_matrix_tier_boundary_separates_the_tiers(result):
    spec = matrix_chart(result).to_dict()
    (threshold,) = result.thresholds
    boundary = layer_with(spec, "rule", x="x", y="y", x2="x2", y2="y2")
    (segment,) = rows_of(spec, boundary)
    # the line of equal combined score: business + stakeholder = 2t at both ends
    assert segment["x"] + segment["y"] == pytest.approx(2 * threshold)
    assert segment["x2"] + segment["y2"] == pytest.approx(2 * threshold)
    point = layer_with(spec, "point", x="business_significance", y="stakeholder_importance")
    lo, hi = point["encoding"]["x"]["scale"]["domain"]
    for value in (segment["x"], segment["y"], segment["x2"], segment["y2"]):
        assert lo - 1e-9 <= value <= hi + 1e-9
    for row in rows_of(spec, point):
        above = row["business_significance"] + row["stakeholder_importance"] > 2 * threshold
        assert above == (row["tier"] == "high"), row["topic"]


def test_matrix_arrows_from_last_year(result):
    spec = matrix_chart(result).to_dict()
    arrows = layer_with(spec, "rule", x="business_previous", y="stakeholder_previous")
    rows = rows_of(spec, arrows)
    old = result.previous.topics.set_index("topic")
    kept = result.changes.loc[result.changes["status"] == "kept", "topic"]
    assert sorted(r["topic"] for r in rows) == sorted(kept)  # climate_change is new in 2020
    for row in rows:
        assert row["business_previous"] == pytest.approx(old.at[row["topic"], "business_significance"])
        assert row["stakeholder_previous"] == pytest.approx(old.at[row["topic"], "stakeholder_importance"])
    without = matrix_chart(result, show_previous=False).to_dict()
    assert not any(
        layer.get("encoding", {}).get("x", {}).get("field") == "business_previous"
        for layer in without["layer"]
    )


def label_boxes(result, **kwargs) -> tuple[list[tuple[float, float, float, float]], list[str], list, dict]:
    """Boxes of the matrix labels as vl-convert draws them, measured with the DejaVu Sans font file."""
    spec = matrix_chart(result, **kwargs).to_dict()
    text_layer = next(i for i, layer in enumerate(spec["layer"]) if layer["mark"].get("lineBreak") == "\n")
    point_layer = next(
        i for i, layer in enumerate(spec["layer"]) if layer.get("encoding", {}).get("shape") is not None
    )
    scene = vlc.vegalite_to_scenegraph(spec)
    texts = marks_named(scene, f"layer_{text_layer}_marks")
    points = marks_named(scene, f"layer_{point_layer}_marks")
    font = ImageFont.truetype(str(DEJAVU), 11)
    boxes = []
    for item in texts:
        lines = item["text"].split("\n")
        width = max(font.getlength(line) for line in lines)
        top = item["y"] - LINE_HEIGHT / 2
        boxes.append((item["x"] - width / 2, top, item["x"] + width / 2, top + LINE_HEIGHT * len(lines)))
    return boxes, [t["text"] for t in texts], points, spec


def overlap(a, b) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def test_matrix_labels_do_not_overlap_each_other_or_points(result):
    boxes, texts, points, spec = label_boxes(result)
    assert len(boxes) == 16
    assert "Privacy and data\nsecurity" in texts
    for i, a in enumerate(boxes):
        for j, b in enumerate(boxes[i + 1 :], start=i + 1):
            assert not overlap(a, b), f"{texts[i]!r} overlaps {texts[j]!r}"
    width, height = spec["width"], spec["height"]
    for box, text in zip(boxes, texts, strict=True):
        assert box[0] >= -1 and box[1] >= -1 and box[2] <= width + 1 and box[3] <= height + 1, text
        for point in points:
            disc = (point["x"] - 4, point["y"] - 4, point["x"] + 4, point["y"] + 4)
            assert not overlap(box, disc), f"{text!r} covers a point"


def test_matrix_in_chinese_uses_chinese_names_and_font(demo_url, result):
    spec = matrix_chart(result, language="zh").to_dict()
    point = layer_with(spec, "point", x="business_significance", y="stakeholder_importance")
    names = {r["topic"]: r["name"] for r in rows_of(spec, point)}
    assert names["climate_change"] == "气候变化"
    assert "Noto Sans CJK SC" in spec["config"]["font"]
    svg = vlc.vegalite_to_svg(spec)
    assert "气候变化" in svg


def point_in_polygon(x: float, y: float, polygon: list[tuple[float, float]]) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


@pytest.mark.slow
def test_matrix_outlines_cluster_tiers(demo_url):
    method = MethodConfig(tiering=TieringConfig(method="kmeans", n_tiers=3), resamples=200)
    clustered = demo_result(demo_url, method)
    assert clustered.thresholds == []  # clusters are not cut by a line
    spec = matrix_chart(clustered).to_dict()
    hull = next(layer for layer in spec["layer"] if layer["mark"].get("interpolate") == "linear-closed")
    outlines = pd.DataFrame(rows_of(spec, hull)).sort_values(["tier", "order"])
    assert set(outlines["tier"]) == {"high", "material", "low"}
    for topic in clustered.topics.itertuples(index=False):
        polygon = outlines[outlines["tier"] == topic.tier][["x", "y"]].itertuples(index=False, name=None)
        assert point_in_polygon(topic.business_significance, topic.stakeholder_importance, list(polygon))
    assert not any(layer.get("encoding", {}).get("x2", {}).get("field") == "x2" for layer in spec["layer"])


def test_label_placement_is_deterministic_and_separates_crowded_labels():
    rng = np.random.default_rng(7)
    points = rng.normal([300, 300], 25, size=(14, 2))
    sizes = np.column_stack([rng.uniform(50, 160, 14), np.full(14, 13.0)])
    centres, far = place_labels(points, sizes, 600, 600)
    again, _ = place_labels(points, sizes, 600, 600)
    np.testing.assert_array_equal(centres, again)
    boxes = [
        (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        for (cx, cy), (w, h) in zip(centres, sizes, strict=True)
    ]
    for i, a in enumerate(boxes):
        assert a[0] >= 0 and a[2] <= 600 and a[1] >= 0 and a[3] <= 600
        for b in boxes[i + 1 :]:
            assert not overlap(a, b)
    assert far.any()  # in a crowd some labels move away and get a leader line


# --- the stakeholder channel map ----------------------------------------------------------------


def test_focus_links_against_the_groups_ratings(result):
    links = focus_links(result, top_k=5)
    data = result.data
    for group in data.groups.loc[data.groups["dimension"] == "importance", "group"]:
        means = result.groups[(result.groups["group"] == group)].dropna(subset=["mean"])
        ranked = list(means.sort_values(["mean", "topic"], ascending=[False, True])["topic"])
        top = set(ranked[:5])
        lower_half = set(ranked[len(ranked) // 2 :])
        declared = set(data.focus_areas.loc[data.focus_areas["group"] == group, "topic"].dropna())
        mine = links[links["group"] == group].set_index("topic", drop=False)
        assert set(mine.loc[mine["kind"] == "rated high, not a focus", "topic"]) == top - declared
        assert set(mine.loc[mine["kind"] == "focus, rated high", "topic"]) == top & declared
        assert set(mine.loc[mine["kind"] == "focus, rated low", "topic"]) == (declared - top) & lower_half
    outside = links[links["kind"] == "focus outside the catalog"]
    assert list(outside[["group", "label"]].itertuples(index=False, name=None)) == [
        ("clients", "Product quality")
    ]


def part(spec: dict, index: int) -> dict:
    """One part of the channel map (0: channels and groups, 1: the grid), with the chart's data."""
    return {**spec["vconcat"][index], "datasets": spec["datasets"]}


def test_channel_map_shows_every_channel_with_its_responses(result):
    stats = channel_stats_from(result.data)
    whole = channel_map_chart(result, stats).to_dict()
    spec, grid = part(whole, 0), part(whole, 1)
    assert whole["vconcat"][0]["width"] <= 990 and whole["vconcat"][1]["width"] <= 990
    channel_text = layer_with(spec, "text", text="channel_text")
    rows = rows_of(spec, channel_text)
    assert len(rows) == len(result.data.channels) == 32
    responses = result.data.responses.groupby(["group", "channel"])["n_responses"].sum()
    for row in rows:
        assert row["responses"] == responses.get((row["group"], row["channel"]), 0)
    stats_text = layer_with(spec, "text", text="stats", x="x_stats")
    survey = next(r for r in rows_of(spec, stats_text) if r["channel"] == "Satisfaction survey")
    assert (
        survey["stats"]
        == f"{responses[('clients', 'Satisfaction survey')]} responses \u00b7 links not tracked"
    )
    # the declared focus area outside the topic list is a column of its own
    columns = [
        layer
        for layer in grid["layer"]
        if layer.get("encoding", {}).get("text", {}).get("field") == "display"
    ]
    italic = next(layer for layer in columns if layer["mark"].get("fontStyle") == "italic")
    outside = {r["display"] for r in grid["datasets"][italic["data"]["name"]] if r["outside"]}
    assert outside == {"Product quality (not a topic)"}
    cells = [
        layer for layer in grid["layer"] if layer.get("encoding", {}).get("shape", {}).get("field") == "kind"
    ]
    (cells,) = cells
    kinds = {(r["group"], r["name"]): r["kind"] for r in rows_of(grid, cells)}
    assert kinds[("clients", "Product quality")] == "focus outside the catalog"


def test_focus_table_names_the_group_and_the_topic_on_every_row(result):
    table = focus_table(focus_mismatches(result))
    groups = result.data.groups.set_index("group")["name"]
    assert len(table) > 5 and set(table["Group"]) <= set(groups)  # names, never keys
    assert (table["Topic"].str.len() > 0).all() and (table["Declared focus area"].str.len() > 0).all()
    high = table[table["Finding"] == "rated high, not a focus"]
    assert len(high) > 0 and (high["Declared focus area"] == "\u2014").all()
    assert "Product quality (not in the topic list)" in set(table["Topic"])


def test_channel_map_with_tracked_links(demo_url, result):
    tracked = tracked_channel_stats(result.data, {("clients", "Satisfaction survey"): (100, 20)})
    stats = channel_stats_from(result.data, tracked)
    spec = part(channel_map_chart(result, stats).to_dict(), 0)
    rows = {
        (r["group"], r["channel"]): r
        for r in rows_of(spec, layer_with(spec, "text", text="stats", x="x_stats"))
    }
    survey = rows[("clients", "Satisfaction survey")]
    responses = int(
        result.data.responses.query("group == 'clients' and channel == 'Satisfaction survey'")[
            "n_responses"
        ].sum()
    )
    assert survey["stats"] == f"100 links \u00b7 {responses} responses \u00b7 20%"
    assert survey["response_rate"] == pytest.approx(0.2)
    groups = {r["group"]: r for r in rows_of(spec, layer_with(spec, "text", text="stats", y="y_stats"))}
    assert groups["clients"]["stats"].startswith("100 links")
    assert groups["employees"]["stats"].endswith("links not tracked")


# --- the group heatmap --------------------------------------------------------------------------


def test_heatmap_cells_suppression_and_minority(demo_url):
    earlier = analyse(load(demo_url, "2019"))  # media and NGOs: 4 respondents, below the minimum of 5
    spec = heatmap_chart(earlier).to_dict()
    cells = layer_with(spec, "rect", x="group_axis", y="topic_name", color="mean")
    suppressed = next(
        layer
        for layer in spec["layer"]
        if layer.get("transform") == [{"filter": "datum.suppressed"}] and layer["mark"]["type"] == "rect"
    )
    minority = next(
        layer for layer in spec["layer"] if layer.get("transform") == [{"filter": "datum.minority"}]
    )
    groups = earlier.groups
    assert len(rows_of(spec, cells)) == int((~groups["suppressed"]).sum())
    hidden = rows_of(spec, suppressed)
    assert {r["group"] for r in hidden} == {"media_ngos"}
    assert len(hidden) == int(groups["suppressed"].sum()) == len(earlier.topics)
    assert all(r["cell_text"] == f"n={r['n']}" and r["mean"] is None for r in hidden)
    flagged = {(r["group"], r["topic"]) for r in rows_of(spec, minority)}
    assert flagged == set(
        groups.loc[groups["minority"], ["group", "topic"]].itertuples(index=False, name=None)
    )
    assert flagged  # the demo has minority views
    order = cells["encoding"]["y"]["sort"]
    assert order == list(earlier.topics.sort_values("rank")["name"])
