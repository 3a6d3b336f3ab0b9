"""The method configuration: YAML files with clear errors, and the method stored with an assessment."""

from __future__ import annotations

import json

import pytest

from analysis.method import MethodConfig, MethodError, load_method_file, method_from_dict
from survey.assessments import create_assessment, get_assessment
from survey.db import transaction
from survey.errors import NotFound, StoreError
from survey.methods import current_method, save_method


def write(tmp_path, text: str):
    path = tmp_path / "method.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_empty_file_gives_the_defaults(tmp_path):
    assert load_method_file(write(tmp_path, "# nothing chosen yet\n")) == MethodConfig()
    defaults = MethodConfig()
    assert (defaults.group_weighting, defaults.tiering.method, defaults.tiering.n_tiers) == (
        "equal",
        "jenks",
        2,
    )
    assert (defaults.interval_level, defaults.resamples, defaults.min_group_size) == (0.95, 1000, 5)


def test_a_full_file_is_read(tmp_path):
    path = write(
        tmp_path,
        """
group_weighting: explicit
group_weights: {clients: 40, employees: 40, regulators: 20}
tiering:
  method: thresholds
  n_tiers: 3
  thresholds: [2.5, 3.75]
interval_level: 0.9
resamples: 2000
seed: 7
min_group_size: 10
""",
    )
    method = load_method_file(path)
    assert method.group_weights == {"clients": 40, "employees": 40, "regulators": 20}
    assert method.tiering.thresholds == [2.5, 3.75]
    assert method.as_dict()["tiering"] == {"method": "thresholds", "n_tiers": 3, "thresholds": [2.5, 3.75]}
    assert (method.interval_level, method.resamples, method.seed, method.min_group_size) == (0.9, 2000, 7, 10)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tiering:\n  method: median\n", "field 'tiering.method': Input should be 'jenks', 'kmeans', 'gmm'"),
        ("tiering:\n  n_tiers: 4\n", "field 'tiering.n_tiers': Input should be 2 or 3"),
        ("tiering:\n  method: thresholds\n", "field 'tiering': method 'thresholds' needs 'thresholds'"),
        (
            "tiering:\n  method: jenks\n  thresholds: [3]\n",
            "'thresholds' is only used with method 'thresholds'",
        ),
        ("tiering:\n  method: quantiles\n  quantiles: [0.7, 0.2]\n  n_tiers: 3\n", "ascending share"),
        ("resamples: ten\n", "field 'resamples': Input should be a valid integer"),
        ("interval_level: 1.5\n", "field 'interval_level': Input should be less than 1"),
        ("min_group_size: 0\n", "field 'min_group_size': Input should be greater than or equal to 1"),
        ("weighting: equal\n", "field 'weighting': unknown field (known: group_weighting, group_weights"),
        ("tiering:\n  breaks: 2\n", "field 'tiering.breaks': unknown field (known: method, n_tiers"),
        ("group_weighting: explicit\n", "needs 'group_weights'"),
        ("group_weights: {clients: 100}\n", "'group_weights' is only used with group_weighting 'explicit'"),
        (
            "group_weighting: explicit\ngroup_weights: {clients: -5, employees: 105}\n",
            "0 or more; check clients",
        ),
        ("- just\n- a list\n", "expected a mapping of method fields, got list"),
    ],
)
def test_problems_name_the_file_and_the_field(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(MethodError) as caught:
        load_method_file(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_invalid_yaml_and_missing_files_are_reported_with_their_place(tmp_path):
    path = write(tmp_path, "tiering:\n  method: [jenks\n")
    with pytest.raises(MethodError, match=r"method\.yaml: not valid YAML at line 3"):
        load_method_file(path)
    with pytest.raises(MethodError, match="nowhere.yaml: method file not found"):
        load_method_file(tmp_path / "nowhere.yaml")


def test_every_problem_is_listed(tmp_path):
    path = write(tmp_path, "resamples: 5\nseed: -1\n")
    with pytest.raises(MethodError) as caught:
        load_method_file(path)
    assert [p.split(": field ")[1].split("'")[1] for p in caught.value.problems] == ["resamples", "seed"]


def test_a_method_record_reads_back_as_the_same_method():
    method = MethodConfig(
        group_weighting="explicit",
        group_weights={"clients": 70, "employees": 30},
        tiering={"method": "gmm", "n_tiers": 3, "n_init": 3},
        seed=11,
    )
    record = json.loads(json.dumps({**method.as_dict(), "fingerprint": "abc", "toolkit_version": "0.1.0"}))
    assert method_from_dict(record, record=True) == method
    with pytest.raises(MethodError, match="field 'fingerprint': unknown field"):
        method_from_dict(record)


def test_a_records_weights_in_effect_do_not_make_equal_weighting_explicit(tmp_path):
    record = {
        **MethodConfig(tiering={"method": "quantiles", "n_tiers": 3}).as_dict(),
        "group_weights": {"clients": 50.0, "employees": 50.0},
        "fingerprint": "0" * 64,
        "toolkit_version": "0.1.0",
    }
    path = tmp_path / "method.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    assert load_method_file(path) == MethodConfig(tiering={"method": "quantiles", "n_tiers": 3})


def test_methods_are_stored_with_author_and_reason(engine, catalog):
    with transaction(engine) as session:
        create_assessment(session=session, key="2021", year=2021, catalog=catalog)
        assert current_method(session=session, assessment_key="2021") is None
        revision = get_assessment(session=session, key="2021").revision
    first = MethodConfig(group_weighting="respondents").as_dict()
    second = MethodConfig(tiering={"method": "kmeans"}).as_dict()
    with transaction(engine) as session:
        save_method(session=session, assessment_key="2021", config=first, author="A. Analyst", reason="pilot")
    with transaction(engine) as session:
        record = save_method(
            session=session, assessment_key="2021", config=second, author="B. Board", reason="board decision"
        )
        assert (record.author, record.reason) == ("B. Board", "board decision")
    with transaction(engine, write=False) as session:
        assert current_method(session=session, assessment_key="2021") == second
        assert get_assessment(session=session, key="2021").revision == revision + 2
    assert method_from_dict(second, record=True) == MethodConfig(tiering={"method": "kmeans"})
    with transaction(engine) as session, pytest.raises(StoreError, match="author"):
        save_method(session=session, assessment_key="2021", config=first, author=" ", reason="")
    with transaction(engine) as session, pytest.raises(NotFound):
        current_method(session=session, assessment_key="1999")
