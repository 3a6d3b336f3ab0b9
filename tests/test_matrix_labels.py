"""No label of the materiality matrix covers another label, a point, an interval bar, an arrow
from last year or the tier boundary's label: checked on the chart as vl-convert lays it out
(the scenegraph's pixel positions), with text widths measured in the DejaVu Sans font file,
on the demo and on random matrices."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import vl_convert as vlc
from PIL import ImageFont
from report_fixtures import demo_database, demo_result

from render.labels import LINE_HEIGHT, lengths_inside
from render.matrix import BOUNDARY_FONT_SIZE, matrix_chart

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
POINT_RADIUS = 5.0  # a symbol of size 90 reaches about 5.4 px from its centre; its core must stay clear


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_result(demo_database(tmp_path_factory.mktemp("labels")))


def marks(node, name: str) -> list:
    if isinstance(node, dict):
        if node.get("name") == name:
            return node["items"]
        node = list(node.values())
    if isinstance(node, list):
        for child in node:
            found = marks(child, name)
            if found:
                return found
    return []


def layer_index(spec: dict, mark: str, **encoded: str) -> int | None:
    for i, layer in enumerate(spec["layer"]):
        kind = layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
        fields = {ch: layer.get("encoding", {}).get(ch, {}).get("field") for ch in encoded}
        if kind == mark and fields == encoded:
            return i
    return None


def geometry(result, **kwargs) -> dict:
    """Label boxes and obstacles of the matrix in the plot's pixels, from vl-convert's scenegraph."""
    spec = matrix_chart(result, **kwargs).to_dict()
    scene = vlc.vegalite_to_scenegraph(spec)

    def items(mark: str, **encoded: str) -> list:
        index = layer_index(spec, mark, **encoded)
        return [] if index is None else marks(scene, f"layer_{index}_marks")

    font = ImageFont.truetype(str(DEJAVU), 11)
    small = ImageFont.truetype(str(DEJAVU), BOUNDARY_FONT_SIZE)
    labels, texts = [], []
    label_layer = next(i for i, layer in enumerate(spec["layer"]) if layer["mark"].get("lineBreak") == "\n")
    for item in marks(scene, f"layer_{label_layer}_marks"):
        lines = item["text"].split("\n")
        width = max(font.getlength(line) for line in lines)
        top = item["y"] - LINE_HEIGHT / 2
        labels.append((item["x"] - width / 2, top, item["x"] + width / 2, top + LINE_HEIGHT * len(lines)))
        texts.append(item["text"].replace("\n", " "))
    assert len(labels) == len(
        result.topics.dropna(subset=["business_significance", "stakeholder_importance"])
    )
    boundary = []
    index = next(
        (
            i
            for i, layer in enumerate(spec["layer"])
            if isinstance(layer.get("mark"), dict)
            and layer["mark"].get("fontSize") == BOUNDARY_FONT_SIZE
            and layer["mark"].get("type") == "text"
        ),
        None,
    )
    if index is not None:
        for item in marks(scene, f"layer_{index}_marks"):
            x = item["x"] + item.get("dx", 0)
            boundary.append((x, item["y"] - LINE_HEIGHT, x + small.getlength(item["text"]), item["y"]))
    points = [(p["x"], p["y"]) for p in items("point", x="business_significance", y="stakeholder_importance")]
    bars = [
        (r["x"], r["y"], r["x2"], r["y"])
        for r in items("rule", x="business_low", x2="business_high", y="stakeholder_importance")
    ] + [
        (r["x"], r["y"], r["x"], r["y2"])
        for r in items("rule", y="stakeholder_low", y2="stakeholder_high", x="business_significance")
    ]
    arrows = [
        (r["x"], r["y"], r["x2"], r["y2"])
        for r in items("rule", x="business_previous", y="stakeholder_previous", x2="arrow_x", y2="arrow_y")
    ]
    heads = [(p["x"], p["y"]) for p in items("point", x="arrow_x", y="arrow_y")]
    return {
        "spec": spec,
        "labels": labels,
        "texts": texts,
        "boundary": boundary,
        "points": points,
        "segments": bars + arrows,
        "heads": heads,
        "n_arrows": len(arrows),
        "n_bars": len(bars),
    }


def overlap(a, b) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def assert_no_label_overlaps(found: dict) -> None:
    labels, texts = found["labels"], found["texts"]
    spec = found["spec"]
    for i, a in enumerate(labels):
        assert a[0] >= -1 and a[1] >= -1 and a[2] <= spec["width"] + 1 and a[3] <= spec["height"] + 1, texts[
            i
        ]
        for j, b in enumerate(labels[i + 1 :], start=i + 1):
            assert not overlap(a, b), f"{texts[i]!r} overlaps {texts[j]!r}"
        for b in found["boundary"]:
            assert not overlap(a, b), f"{texts[i]!r} overlaps the boundary's label"
        for x, y in found["points"] + found["heads"]:
            disc = (x - POINT_RADIUS, y - POINT_RADIUS, x + POINT_RADIUS, y + POINT_RADIUS)
            assert not overlap(a, disc), f"{texts[i]!r} covers a point at ({x:.0f}, {y:.0f})"
    if found["segments"]:
        crossed = lengths_inside(np.array(labels), np.array(found["segments"], dtype=float))
        for i, j in zip(*np.nonzero(crossed > 0.5), strict=True):
            raise AssertionError(f"{texts[i]!r} crosses a bar or arrow {found['segments'][j]}")
    for b in found["boundary"]:
        for x, y in found["points"]:
            disc = (x - POINT_RADIUS, y - POINT_RADIUS, x + POINT_RADIUS, y + POINT_RADIUS)
            assert not overlap(b, disc), "the boundary's label covers a point"


def test_demo_matrix_labels_cover_nothing(demo):
    found = geometry(demo)
    assert found["n_bars"] == 32 and found["n_arrows"] == 15 and len(found["boundary"]) == 1
    assert "Privacy and data security" in found["texts"]
    assert_no_label_overlaps(found)


def test_demo_matrix_is_wide_and_fitted_to_the_data(demo):
    spec = matrix_chart(demo).to_dict()
    assert spec["width"] >= 800
    index = layer_index(spec, "point", x="business_significance", y="stakeholder_importance")
    lo, hi = spec["layer"][index]["encoding"]["x"]["scale"]["domain"]
    topics = demo.topics
    previous = demo.previous.topics
    values = pd.concat(
        [
            topics["business_significance"],
            topics["stakeholder_importance"],
            previous["business_significance"],
            previous["stakeholder_importance"],
        ]
    )
    # the data fill the plot: at most 0.3 of a scale point to spare at either end
    assert 0 < values.min() - lo <= 0.3 and 0 < hi - values.max() <= 0.3
    assert (lo, hi) != (1, 5)


def random_result(demo, seed: int, n_topics: int):
    """The demo's result with `n_topics` topics at random places, random intervals and moves."""
    rng = np.random.default_rng(seed)
    topics = demo.topics.head(n_topics).copy()
    business = rng.uniform(2.0, 4.8, n_topics)
    stakeholder = np.clip(business + rng.normal(0, 0.5, n_topics), 1.5, 5)
    topics["business_significance"] = business
    topics["stakeholder_importance"] = stakeholder
    for axis, centre in (("business", business), ("stakeholder", stakeholder)):
        half = rng.uniform(0.02, 0.35, n_topics)
        topics[f"{axis}_low"] = centre - half
        topics[f"{axis}_high"] = centre + half
    combined = (business + stakeholder) / 2
    threshold = float(np.median(combined))
    topics["combined_score"] = combined
    topics["tier"] = np.where(combined >= threshold, "high", "material")
    topics["rank"] = pd.Series(-combined).rank(method="first").astype(int).to_numpy()
    previous_topics = topics.copy()
    previous_topics["business_significance"] = business + rng.normal(0, 0.25, n_topics)
    previous_topics["stakeholder_importance"] = stakeholder + rng.normal(0, 0.25, n_topics)
    previous = dataclasses.replace(demo.previous, topics=previous_topics)
    return dataclasses.replace(demo, topics=topics, thresholds=[threshold], previous=previous)


@pytest.mark.parametrize("seed", range(6))
def test_random_matrix_labels_cover_nothing(demo, seed):
    result = random_result(demo, seed, n_topics=[8, 12, 16][seed % 3])
    assert_no_label_overlaps(geometry(result))
