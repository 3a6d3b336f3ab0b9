"""A group below the minimum size is in no published figure: the subtraction attack
((overall - sum of visible weight x mean) / hidden weight) recovers nothing from any output, and
every output is the same whatever the hidden group answered.

The demo's 2019 assessment has 4 respondents from media and NGOs (minimum group size 5). The
audit that found the hole recovered their means to 1e-5 from groups.csv and topics.csv.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from report_fixtures import demo_database

from analysis.channels import channel_stats_from
from analysis.pipeline import analyse, run_files
from core.aggregates import AssessmentData, summarise_ratings
from render.channel_map import channel_map_chart
from render.disclosure import disclosure_markdown, disclosure_sections
from render.heatmap import heatmap_chart
from render.matrix import matrix_chart
from render.report import report_html
from render.workbook import workbook_bytes
from survey.db import create_db_engine, transaction
from survey.reads import load_assessment_data, ratings_frame

HIDDEN = "media_ngos"


@pytest.fixture(scope="module")
def demo_2019(tmp_path_factory) -> tuple[AssessmentData, pd.DataFrame]:
    url = demo_database(tmp_path_factory.mktemp("small"))
    engine = create_db_engine(url)
    with transaction(engine) as session:
        data = load_assessment_data(session=session, assessment_key="2019")
        ratings = ratings_frame(session=session, assessment_key="2019")
    engine.dispose()
    return data, ratings


def with_ratings(data: AssessmentData, ratings: pd.DataFrame) -> AssessmentData:
    return dataclasses.replace(data, aggregates=summarise_ratings(ratings))


def hidden_means(ratings: pd.DataFrame) -> pd.Series:
    part = ratings[(ratings["group"] == HIDDEN) & ratings["value"].notna()]
    return part.groupby("topic")["value"].mean()


def outputs(data: AssessmentData) -> dict[str, object]:
    """Every published output of a run, in a comparable form (the input fingerprint, a hash of
    the input, is blanked: it is the one thing meant to change with any input)."""
    result = analyse(data)
    stats = channel_stats_from(data)
    fingerprint = result.method["fingerprint"]

    def blank(text: str) -> str:
        return text.replace(fingerprint, "<fingerprint>")

    files = {name: blank(content.decode()) for name, content in run_files(result).items()}
    specs = {
        "matrix": matrix_chart(result).to_dict(validate=False),
        "channel_map": channel_map_chart(result, stats).to_dict(validate=False),
        "heatmap": heatmap_chart(result).to_dict(validate=False),
    }
    sections = disclosure_sections(result, stats)
    files["charts"] = blank(json.dumps(specs, sort_keys=True, default=str))
    files["report.html"] = blank(report_html(result, stats, specs, sections))
    files["disclosure.md"] = blank(disclosure_markdown(sections, "t"))
    book = load_workbook(io.BytesIO(workbook_bytes(result, stats, sections)), read_only=True)
    files["report.xlsx"] = blank(
        json.dumps({ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book}, default=str)
    )
    return files


def test_every_output_is_the_same_whatever_the_hidden_group_answered(demo_2019):
    data, ratings = demo_2019
    assert ratings.loc[ratings["group"] == HIDDEN, "respondent"].nunique() == 4
    original = with_ratings(data, ratings)
    flipped_ratings = ratings.copy()
    hidden = flipped_ratings["group"] == HIDDEN
    flipped_ratings.loc[hidden, "value"] = 6 - flipped_ratings.loc[hidden, "value"]  # NaN stays NaN
    assert not np.allclose(hidden_means(ratings), hidden_means(flipped_ratings))
    first, second = outputs(original), outputs(with_ratings(data, flipped_ratings))
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], name


def test_the_subtraction_attack_recovers_nothing(demo_2019):
    data, ratings = demo_2019
    truth = hidden_means(ratings)
    result = analyse(with_ratings(data, ratings))
    files = run_files(result)
    topics = pd.read_csv(io.BytesIO(files["topics.csv"])).set_index("topic")
    groups = pd.read_csv(io.BytesIO(files["groups.csv"]))
    method = json.loads(files["method.json"])
    stake = groups[groups["dimension"] == "importance"]
    assert method["groups_left_out"] == {"importance": [HIDDEN]}
    # the hidden group's weight is 0 wherever a weight is published
    assert method["group_weights"][HIDDEN] == 0
    assert (stake.loc[stake["group"] == HIDDEN, "weight"] == 0).all()
    assert stake.loc[stake["group"] == HIDDEN, "mean"].isna().all()
    visible = stake[stake["group"] != HIDDEN]
    recovered_any = []
    for topic, part in visible.groupby("topic"):
        overall = topics.at[topic, "stakeholder_importance"]
        # per-topic weights from groups.csv: the visible groups explain the overall score fully
        residual = overall - float((part["weight"] / 100 * part["mean"]).sum())
        assert abs(residual) < 1e-6, topic
        # nominal weights from method.json, as the audit used them: the hidden weight is 0, and
        # pretending it were the equal share gives values unrelated to the truth
        nominal = {g: w for g, w in method["group_weights"].items()}
        shown = part.set_index("group")["mean"]
        hidden_weight = 100 / 7
        guess = (overall - sum(nominal[g] / 100 * shown[g] for g in shown.index)) / (hidden_weight / 100)
        recovered_any.append(abs(guess - truth[topic]) < 0.05)
    # a guess may land near the truth by chance, but not systematically
    assert sum(recovered_any) <= 2
    # nor does any other column of topics.csv move with the hidden group (top-box, intervals)
    flipped = ratings.copy()
    hidden = flipped["group"] == HIDDEN
    flipped.loc[hidden, "value"] = 6 - flipped.loc[hidden, "value"]
    other = analyse(with_ratings(data, flipped))
    pd.testing.assert_frame_equal(result.topics, other.topics)


def test_the_disclosure_says_the_small_group_is_left_out(demo_2019):
    data, ratings = demo_2019
    result = analyse(with_ratings(data, ratings))
    text = " ".join(p for s in disclosure_sections(result, channel_stats_from(data)) for p in s.paragraphs)
    assert re.search(r"Media and NGOs gave fewer than 5 responses: it is left out of every figure", text)
    assert "count in the overall scores" not in text
