"""Thresholds on the scale: recorded with who set them and when, and flagged when set after the
first results could be seen; the default method can say "not material" and still gives the
model report's 7 high and 9 material topics."""

from __future__ import annotations

import pytest
from report_fixtures import demo_database, demo_result

from analysis.method import MethodConfig
from analysis.pipeline import run_files
from render.disclosure import tiers_section
from services import assessments, fieldwork, methods, responding, results
from survey.responding import Answers
from tests.test_services import token_of

THRESHOLDS = MethodConfig(tiering={"method": "thresholds", "thresholds": [3.5]})


def answer(engine, catalog, key: str) -> None:
    (row,) = fieldwork.issue_links(engine=engine, assessment_key=key, group="clients").rows
    ratings = {t.key: 4 for t in catalog.topics}
    responding.submit(engine=engine, token=token_of(row), answers=Answers(ratings=ratings))


def record_of(engine, key: str) -> dict:
    inputs = results.analysis_inputs(engine=engine, assessment_key=key)
    return results.analyse_inputs(inputs).method["threshold_record"]


def test_a_threshold_set_after_the_first_results_is_flagged(engine, catalog):
    assessments.create_assessment(engine=engine, key="2021", year=2021, catalog=catalog)
    fieldwork.open_survey(engine=engine, assessment_key="2021")
    methods.save_method(
        engine=engine, assessment_key="2021", method=THRESHOLDS, author="Chair", reason="policy"
    )
    answer(engine, catalog, "2021")
    before = record_of(engine, "2021")
    assert before["set_by"] == "Chair" and before["cut_points"] == [3.5]
    assert before["set_at"] < before["results_first_computed"] and before["set_after_results"] is False

    # a change of weighting later keeps the thresholds, and when they were set
    methods.save_method(
        engine=engine,
        assessment_key="2021",
        method=MethodConfig(group_weighting="respondents", tiering=THRESHOLDS.tiering),
        author="Analyst",
        reason="weights",
    )
    assert record_of(engine, "2021")["set_by"] == "Chair"

    moved = MethodConfig(tiering={"method": "thresholds", "thresholds": [3.2]})
    methods.save_method(
        engine=engine, assessment_key="2021", method=moved, author="CFO", reason="fewer topics"
    )
    after = record_of(engine, "2021")
    assert after["set_by"] == "CFO" and after["set_after_results"] is True
    inputs = results.analysis_inputs(engine=engine, assessment_key="2021")
    result = results.analyse_inputs(inputs)
    text = " ".join(tiers_section(result).paragraphs)
    assert "set by CFO on" in text and "after the first results could be seen" in text


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory) -> str:
    return demo_database(tmp_path_factory.mktemp("thresholds"))


def test_the_default_method_can_say_not_material_and_gives_the_reports_tiers(demo_url):
    result = demo_result(demo_url)
    counts = result.topics["tier"].value_counts()
    assert (counts["high"], counts["material"]) == (7, 9)
    assert result.tier_order == ["high", "material"]  # no topic is surely below the midpoint
    record = result.method["threshold_record"]
    assert record["material_threshold"] == 3.0 and record["set_after_results"] is False
    assert record["set_by"].startswith("toolkit default")
    topics = result.topics
    assert topics["p_material"].between(0, 1).all()
    assert (topics["rank_low"] <= topics["rank"]).all() and (topics["rank"] <= topics["rank_high"]).all()
    assert (topics["combined_low"] <= topics["combined_score"]).all()
    # a higher threshold makes the topics surely below it not material, and only those
    strict = demo_result(demo_url, MethodConfig(tiering={"material_threshold": 3.3}))
    below = strict.topics["combined_high"] < 3.3
    assert below.any()
    assert (strict.topics.loc[below, "tier"] == "not material").all()
    assert (strict.topics.loc[~below, "tier"] != "not material").all()
    assert strict.tier_order == ["high", "material", "not material"]
    # the natural-break test is recorded for data-driven tiers
    test = result.method["natural_break"]
    assert 0 < test["gvf"] < 1 and 0 < test["p_value"] <= 1
    assert b"p_material" in run_files(result)["topics.csv"]


def test_threshold_methods_give_the_probability_of_being_above_the_cut(demo_url):
    result = demo_result(demo_url, THRESHOLDS)
    topics = result.topics.set_index("topic")
    assert topics["p_high"].between(0, 1).all()
    high = topics["tier"] == "high"
    assert (topics.loc[high, "p_high"] > 0.5).all() and (topics.loc[~high, "p_high"] < 0.5).all()
    assert result.method["natural_break"] is None
    assert result.method["threshold_record"]["set_after_results"] is None  # not recorded: no log
    assert "is not recorded" in " ".join(tiers_section(result).paragraphs)
