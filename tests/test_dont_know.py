""" "Don't know" is reported, not only dropped: its rate per topic and group in the files and the
report, and the effective sample size of the weighted scores (Kish 1965) in method.json and the
disclosure."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from report_fixtures import demo_database, load

from analysis.method import MethodConfig
from analysis.pipeline import analyse, run_files
from render.disclosure import scale_section, weighting_section
from render.report import topics_table
from survey.db import create_db_engine, transaction
from survey.reads import ratings_frame


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    url = demo_database(tmp_path_factory.mktemp("dk"))
    engine = create_db_engine(url)
    with transaction(engine) as session:
        ratings = ratings_frame(session=session, assessment_key="2020")
    engine.dispose()
    data = load(url, "2020")
    return data, ratings, analyse(data)


def test_dont_know_rates_match_a_recount_of_the_raw_answers(demo):
    data, ratings, result = demo
    files = run_files(result)
    groups = pd.read_csv(io.BytesIO(files["groups.csv"])).set_index(["group", "topic"])
    recount = ratings.groupby(["group", "topic"])["value"].apply(lambda v: v.isna().mean())
    for (group, topic), rate in recount.items():
        assert groups.at[(group, topic), "dont_know_rate"] == pytest.approx(rate, abs=1e-6)
    topics = pd.read_csv(io.BytesIO(files["topics.csv"])).set_index("topic")
    stake = ratings[ratings["dimension"] == "importance"]
    pooled = stake.groupby("topic")["value"].apply(lambda v: v.isna().mean())
    for topic, rate in pooled.items():
        assert topics.at[topic, "dont_know_rate"] == pytest.approx(rate, abs=1e-6)
    html = topics_table(result)
    assert "Don't know" in str(html)


def test_effective_sample_size_under_equal_weights(demo):
    """Kish (1965): with group weights W_g over n_g respondents, n_eff = 1 / sum W_g^2 / n_g."""
    data, ratings, result = demo
    method = json.loads(run_files(result)["method.json"])
    stake = ratings[ratings["dimension"] == "importance"]
    sizes = stake.groupby("group")["respondent"].nunique()
    weights = np.full(len(sizes), 1 / len(sizes))
    # Kish's formula from the respondent weights themselves
    respondent_weights = np.concatenate([np.full(n, w / n) for n, w in zip(sizes, weights, strict=True)])
    kish = respondent_weights.sum() ** 2 / (respondent_weights**2).sum()
    assert method["effective_n"]["stakeholder"]["respondents"] == sizes.sum()
    assert method["effective_n"]["stakeholder"]["effective"] == pytest.approx(kish, abs=0.05)
    text = " ".join(weighting_section(result).paragraphs)
    assert f"the {sizes.sum()} stakeholder responses carry as much information as about {round(kish)}" in text
    # weighting by respondents loses nothing, and the sentence is not printed
    by_respondents = analyse(data, MethodConfig(group_weighting="respondents"))
    effective = by_respondents.method["effective_n"]["stakeholder"]
    assert effective["effective"] == pytest.approx(effective["respondents"], abs=0.05)
    assert "effective sample size" not in " ".join(weighting_section(by_respondents).paragraphs)
    text = " ".join(scale_section(result).paragraphs)
    assert "don't know\u201d to" in text and "most often on" in text
