"""`materiality run` end to end on real databases: the report's tiers, stable files, methods."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis.changes import CHANGE_COLUMNS
from analysis.method import MethodConfig
from analysis.pipeline import GROUP_COLUMNS, RUN_FILES, TOPIC_COLUMNS, AnalysisResult, analyse
from cli import app
from survey.assessments import create_assessment, load_index
from survey.catalog import Catalog, TopicSpec
from survey.db import transaction
from survey.demo import REPORT_2020_HIGH, create_demo
from survey.methods import save_method
from survey.reads import load_assessment_data
from survey.responses import record_responses_bulk

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def run_files(directory) -> dict[str, bytes]:
    return {name: (directory / name).read_bytes() for name in RUN_FILES}


def read_csv(directory, name: str) -> pd.DataFrame:
    return pd.read_csv(directory / name, keep_default_na=False, na_values=[""])


def test_demo_then_run_gives_the_reports_tiers(db_url, tmp_path):
    assert invoke("demo", "--db", db_url).exit_code == 0
    result = invoke("run", "--assessment", "2020", "--out", tmp_path / "a", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert "7 high, 9 material" in result.output

    topics = read_csv(tmp_path / "a", "topics.csv")
    assert list(topics.columns) == TOPIC_COLUMNS
    assert set(topics.loc[topics["tier"] == "high", "topic"]) == set(REPORT_2020_HIGH)
    assert (topics["tier"] == "material").sum() == 9
    assert topics["p_tier"].between(0, 1).all() and topics["p_tier"].notna().all()
    assert topics["rank"].tolist() == list(range(1, 17))
    assert topics["combined_score"].is_monotonic_decreasing
    assert (topics["stakeholder_low"] < topics["stakeholder_importance"]).all()
    assert (topics["stakeholder_importance"] < topics["stakeholder_high"]).all()
    assert (topics["business_low"] < topics["business_significance"]).all()
    # every high topic scores above every material one on the combined score
    assert (
        topics.loc[topics["tier"] == "high", "combined_score"].min()
        > topics.loc[topics["tier"] == "material", "combined_score"].max()
    )

    changes = read_csv(tmp_path / "a", "changes.csv")
    assert list(changes.columns) == CHANGE_COLUMNS and len(changes) == 16
    changed = changes.set_index("topic")
    assert changed.loc["climate_change", "status"] == "added"
    assert changed.loc["talent_attraction", ["tier_previous", "tier"]].tolist() == ["material", "high"]
    assert changed.loc["health_safety", ["tier_previous", "tier"]].tolist() == ["high", "material"]

    method = json.loads((tmp_path / "a" / "method.json").read_text())
    assert method["previous_assessment"] == "2019"
    assert len(method["fingerprint"]) == 64 and method["source"] == {"kind": "defaults"}
    assert "Welch interval" in method["interval"] and "Student t quantile" in method["interval"]
    assert "normal-approximation draws" in method["draws"] and "not resamples" in method["draws"]

    again = invoke("run", "--assessment", "2020", "--out", tmp_path / "b", "--db", db_url)
    assert again.exit_code == 0, again.output
    assert run_files(tmp_path / "a") == run_files(tmp_path / "b")

    # the method record of a run, given back as the method, reproduces the run
    replay = invoke(
        "run",
        "-a",
        "2020",
        "--out",
        tmp_path / "c",
        "--method",
        tmp_path / "a" / "method.json",
        "--db",
        db_url,
    )
    assert replay.exit_code == 0, replay.output
    first, third = run_files(tmp_path / "a"), run_files(tmp_path / "c")
    assert {k: v for k, v in first.items() if k != "method.json"} == {
        k: v for k, v in third.items() if k != "method.json"
    }
    replayed = json.loads(third["method.json"])
    assert replayed.pop("source") == {"file": "method.json", "kind": "file"}
    assert replayed == {k: v for k, v in method.items() if k != "source"}


@pytest.mark.slow
def test_sqlite_and_postgresql_give_byte_identical_files(tmp_path, postgres_schema_url):
    sqlite_url = f"sqlite:///{tmp_path / 'm.db'}"
    for name, url in (("sqlite", sqlite_url), ("postgres", postgres_schema_url)):
        assert invoke("demo", "--db", url).exit_code == 0
        result = invoke("run", "-a", "2020", "--out", tmp_path / name, "--db", url)
        assert result.exit_code == 0, result.output
    assert run_files(tmp_path / "sqlite") == run_files(tmp_path / "postgres")


def test_first_assessment_has_no_changes_and_withholds_small_groups(sqlite_engine, tmp_path):
    url = str(sqlite_engine.url)
    assert invoke("demo", "--db", url).exit_code == 0
    result = invoke("run", "-a", "2019", "--out", tmp_path, "--db", url)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "changes.csv").read_text() == ",".join(CHANGE_COLUMNS) + "\n"

    groups = read_csv(tmp_path, "groups.csv")
    assert list(groups.columns) == GROUP_COLUMNS
    media = groups[groups["group"] == "media_ngos"]  # four respondents in 2019
    assert len(media) == 15 and media["suppressed"].all() and media["mean"].isna().all()
    assert media["minority_gap"].isna().all() and not media["minority"].any()
    assert (media["n"] < 5).all()
    others = groups[(groups["group"] != "media_ngos") & (groups["n"] >= 5)]
    assert not others["suppressed"].any() and others["mean"].notna().all()

    agreement = json.loads((tmp_path / "agreement.json").read_text())
    assert agreement["groups_left_out"] == ["media_ngos"]
    assert agreement["kendall_w_groups"] == 6
    assert not any("media_ngos" in pair for pair in agreement["group_correlations"])
    assert 0 < agreement["kendall_w"] <= 1
    assert -1 < agreement["krippendorff_alpha_ordinal"] < 1
    assert -1 < agreement["krippendorff_alpha_interval"] < 1


@pytest.mark.slow
def test_a_method_file_and_a_stored_method_are_used_and_recorded(sqlite_engine, tmp_path):
    url = str(sqlite_engine.url)
    assert invoke("demo", "--db", url).exit_code == 0
    weights = {"regulators": 20, "investors": 20, "clients": 20, "employees": 20, "suppliers": 10,
               "media_ngos": 10, "community": 0}  # fmt: skip
    method_file = tmp_path / "weights.yaml"
    method_file.write_text(
        "group_weighting: explicit\ngroup_weights:\n" + "".join(f"  {g}: {w}\n" for g, w in weights.items()),
        encoding="utf-8",
    )
    result = invoke("run", "-a", "2020", "--out", tmp_path / "file", "--method", method_file, "--db", url)
    assert result.exit_code == 0, result.output
    method = json.loads((tmp_path / "file" / "method.json").read_text())
    assert method["group_weighting"] == "explicit"
    assert method["group_weights"] == {g: float(w) for g, w in sorted(weights.items())}
    assert method["source"] == {"file": "weights.yaml", "kind": "file"}
    groups = read_csv(tmp_path / "file", "groups.csv")
    assert (groups.loc[groups["group"] == "community", "weight"] == 0).all()

    stored = MethodConfig(tiering={"method": "quantiles", "n_tiers": 3}, seed=99).as_dict()
    with transaction(sqlite_engine) as session:
        save_method(
            session=session, assessment_key="2020", config=stored, author="Analyst", reason="three tiers"
        )
    result = invoke("run", "-a", "2020", "--out", tmp_path / "stored", "--db", url)
    assert result.exit_code == 0, result.output
    method = json.loads((tmp_path / "stored" / "method.json").read_text())
    assert method["source"] == {"kind": "stored"}
    assert method["tiering"] == {"method": "quantiles", "n_tiers": 3}
    assert method["seed"] == 99
    topics = read_csv(tmp_path / "stored", "topics.csv")
    assert topics["tier"].value_counts().to_dict() == {"high": 6, "material": 5, "low": 5}


def test_a_bad_method_file_stops_the_run_before_anything_is_written(sqlite_engine, tmp_path):
    url = str(sqlite_engine.url)
    assert invoke("demo", "--db", url).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("tiering:\n  method: jenks\n  n_tiers: 5\n", encoding="utf-8")
    result = invoke("run", "-a", "2020", "--out", tmp_path / "out", "--method", bad, "--db", url)
    assert result.exit_code == 1
    assert f"{bad}: field 'tiering.n_tiers': Input should be 2 or 3" in result.stderr
    assert not (tmp_path / "out").exists()

    weights = tmp_path / "weights.yaml"
    weights.write_text(
        "group_weighting: explicit\ngroup_weights: {clients: 100, nobody: 0}\n", encoding="utf-8"
    )
    result = invoke("run", "-a", "2020", "--out", tmp_path / "out", "--method", weights, "--db", url)
    assert result.exit_code == 1
    assert f"{weights}: field 'group_weights': unknown group(s) nobody" in result.stderr
    assert not (tmp_path / "out").exists()

    missing = invoke("run", "-a", "2031", "--out", tmp_path / "out", "--db", url)
    assert missing.exit_code == 1 and "no assessment '2031'" in missing.stderr


def test_untrusted_text_cannot_act_as_a_spreadsheet_formula(sqlite_engine, catalog, tmp_path):
    evil = '=HYPERLINK("http://example.com","click")'
    topics = [TopicSpec("water", "E", evil), TopicSpec("ethics", "G", "Business ethics")]
    custom = Catalog(
        topics=topics,
        groups=catalog.groups,
        channels=catalog.channels,
        focus_areas=[],
        dimensions=catalog.dimensions,
        scale=catalog.scale,
    )
    rng = np.random.default_rng(5)
    responses = pd.DataFrame(
        {"source_response_id": [f"r{i}" for i in range(60)], "group": ["clients"] * 50 + ["management"] * 10}
    )
    ratings = pd.DataFrame(
        {
            "source_response_id": np.repeat(responses["source_response_id"], 2),
            "topic": ["water", "ethics"] * 60,
            "dimension": ["importance"] * 100 + ["business_impact"] * 20,
            "value": rng.integers(1, 6, size=120).astype(float),
        }
    )
    with transaction(sqlite_engine) as session:
        create_assessment(session=session, key="pilot", year=2022, catalog=custom)
        index = load_index(session=session, assessment_key="pilot")
        record_responses_bulk(
            session=session, index=index, responses=responses, ratings=ratings, source="test"
        )
    result = invoke("run", "-a", "pilot", "--out", tmp_path, "--db", str(sqlite_engine.url))
    assert result.exit_code == 0, result.output
    topics_csv = pd.read_csv(tmp_path / "topics.csv", dtype=str)
    assert ("'" + evil) in set(topics_csv["name"])
    assert not any(cell.startswith("=") for cell in topics_csv["name"])


def test_the_result_follows_the_contract(sqlite_engine):
    with transaction(sqlite_engine) as session:
        create_demo(session=session)
    with transaction(sqlite_engine) as session:
        data = load_assessment_data(session=session, assessment_key="2020")
        previous = load_assessment_data(session=session, assessment_key="2019")
    result = analyse(data, MethodConfig(), previous)
    assert isinstance(result, AnalysisResult) and result.data is data
    assert list(result.topics.columns) == TOPIC_COLUMNS
    assert list(result.groups.columns) == GROUP_COLUMNS
    assert list(result.changes.columns) == CHANGE_COLUMNS
    assert result.topics["rank"].tolist() == list(range(1, 17))
    assert result.topics["tier"].map(type).eq(str).all()
    assert result.groups["suppressed"].dtype == bool and result.groups["minority"].dtype == bool
    assert set(result.groups["group"]) == set(data.groups["group"])
    assert len(result.groups) == len(data.groups) * 16
    # the combined score's cut is the line x + y = 2t between the tiers
    (cut,) = result.thresholds
    high = result.topics[result.topics["tier"] == "high"]
    material = result.topics[result.topics["tier"] == "material"]
    assert (high["business_significance"] + high["stakeholder_importance"] >= 2 * cut).all()
    assert (material["business_significance"] + material["stakeholder_importance"] < 2 * cut).all()
    assert set(result.agreement) >= {
        "kendall_w",
        "kendall_w_groups",
        "krippendorff_alpha_ordinal",
        "krippendorff_alpha_interval",
        "group_correlations",
    }
    assert set(result.method) >= {
        "group_weighting",
        "group_weights",
        "tiering",
        "interval_level",
        "resamples",
        "seed",
        "min_group_size",
        "combined_score",
        "fingerprint",
        "toolkit_version",
    }
    assert result.method["combined_score"] == "(stakeholder_importance + business_significance) / 2"
    assert result.previous is not None and result.previous.data is previous
    assert result.previous.previous is None and result.previous.changes.empty
    # minority views the averaging hides, both ways: employees on health and safety (above the
    # other groups), clients on emissions (below them)
    minority = result.groups[result.groups["minority"]]
    flagged = set(zip(minority["group"], minority["topic"], minority["minority_direction"], strict=True))
    assert {("employees", "health_safety", "above"), ("clients", "emissions", "below")} <= flagged
    assert (minority["minority_gap"].abs() >= 0.5).all() and (minority["minority_q"] <= 0.05).all()


def test_the_analysis_needs_no_response_counts(sqlite_engine):
    """The benchmarked load skips the one query that scans the responses; nothing changes."""
    with transaction(sqlite_engine) as session:
        create_demo(session=session)
    with transaction(sqlite_engine) as session:
        full = load_assessment_data(session=session, assessment_key="2020")
        lean = load_assessment_data(session=session, assessment_key="2020", response_counts=False)
    assert full.responses["n_responses"].sum() == 510 and lean.responses.empty
    assert list(lean.responses.columns) == list(full.responses.columns)
    first, second = analyse(full, MethodConfig(resamples=200)), analyse(lean, MethodConfig(resamples=200))
    pd.testing.assert_frame_equal(first.topics, second.topics)
    assert first.method == second.method


def test_the_fingerprint_follows_the_data(sqlite_engine):
    with transaction(sqlite_engine) as session:
        create_demo(session=session)
    with transaction(sqlite_engine) as session:
        data = load_assessment_data(session=session, assessment_key="2020")
    first = analyse(data, MethodConfig(resamples=100)).method["fingerprint"]
    assert analyse(data, MethodConfig(resamples=100, seed=5)).method["fingerprint"] == first
    histogram = data.aggregates.histogram.copy()
    histogram.loc[0, "n"] += 1
    a = data.aggregates
    changed = replace(data, aggregates=replace(a, histogram=histogram))
    assert analyse(changed, MethodConfig(resamples=100)).method["fingerprint"] != first


@pytest.mark.parametrize("n_tiers", [2, 3])
def test_tier_names_follow_the_contract_order(sqlite_engine, n_tiers):
    with transaction(sqlite_engine) as session:
        create_demo(session=session)
    with transaction(sqlite_engine) as session:
        data = load_assessment_data(session=session, assessment_key="2020")
    result = analyse(data, MethodConfig(tiering={"n_tiers": n_tiers}, resamples=200))
    names = ["high", "material", "low"][:n_tiers]
    assert set(result.topics["tier"]) == set(names)
    order = result.topics.drop_duplicates("tier")["tier"].tolist()
    assert order == names
    assert result.thresholds == sorted(result.thresholds) and len(result.thresholds) == n_tiers - 1
