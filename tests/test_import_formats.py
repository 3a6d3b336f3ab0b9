"""Importing realistic exports of every supported tool, on SQLite and PostgreSQL.

The sample files in tests/fixtures/imports/ follow the tools' documented export layouts:
Qualtrics' three header rows (Chinese question text, ImportId JSON with extra keys) and its
legacy V1...V10 export; LimeSurvey's code, full-text and code + text headings; a Google Forms
grid; Microsoft Forms' Excel download; SurveyMonkey's two header rows (CSV and XLSX).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from import_helpers import (
    FIXTURES,
    database_snapshot,
    database_text,
    new_assessment,
    run_import,
    stored_ratings,
    stored_responses,
)

from survey.db import transaction
from survey.reads import load_assessment_data

IMPORTANCE = "importance"

QUALTRICS = {
    ("R_1Dk5Qx8bLmN2pQr", "privacy_data_security", IMPORTANCE): 5,
    ("R_1Dk5Qx8bLmN2pQr", "customer_service", IMPORTANCE): 4,
    ("R_1Dk5Qx8bLmN2pQr", "climate_change", IMPORTANCE): None,  # 99: don't know
    ("R_1Dk5Qx8bLmN2pQr", "emissions", IMPORTANCE): 3,
    ("R_3PxT9aWcVb7ZkLm", "privacy_data_security", IMPORTANCE): 4,
    ("R_3PxT9aWcVb7ZkLm", "customer_service", IMPORTANCE): 5,
    ("R_3PxT9aWcVb7ZkLm", "climate_change", IMPORTANCE): 5,  # emissions -99: seen, not answered
    ("R_2mQwErTyUiOpAsD", "privacy_data_security", IMPORTANCE): 3,
    ("R_7GhJkLzXcVbNmQw", "privacy_data_security", IMPORTANCE): 2,
    ("R_7GhJkLzXcVbNmQw", "customer_service", IMPORTANCE): 3,
    ("R_7GhJkLzXcVbNmQw", "climate_change", IMPORTANCE): 4,
    ("R_7GhJkLzXcVbNmQw", "emissions", IMPORTANCE): 5,
}
LIMESURVEY = {
    ("1", "privacy_data_security", IMPORTANCE): 5,
    ("1", "supplier_management", IMPORTANCE): 4,
    ("1", "labor_standards", IMPORTANCE): 3,
    ("1", "use_of_resources", IMPORTANCE): None,
    ("2", "privacy_data_security", IMPORTANCE): 4,
    ("2", "supplier_management", IMPORTANCE): 5,
    ("2", "labor_standards", IMPORTANCE): 4,
    ("2", "use_of_resources", IMPORTANCE): 2,
    ("4", "privacy_data_security", IMPORTANCE): 2,
    ("4", "supplier_management", IMPORTANCE): 3,  # labor standards N/A: not shown
    ("4", "use_of_resources", IMPORTANCE): 5,
}


@pytest.fixture
def assessment(engine, catalog):
    new_assessment(engine, catalog)
    return engine


def test_qualtrics_current_export_with_chinese_question_text(assessment):
    engine = assessment
    summary = run_import(engine, FIXTURES / "qualtrics.csv", mapping=FIXTURES / "qualtrics.yaml")
    assert (summary.format, summary.format_detected, summary.source) == (
        "qualtrics",
        True,
        "import:qualtrics:csr-2020",
    )
    assert summary.encoding == "utf-8-sig"
    assert (summary.responses_in_file, summary.added, summary.without_rating, summary.excluded) == (
        5,
        4,
        1,
        1,
    )
    assert (summary.ratings, summary.dont_know) == (12, 1)
    assert stored_ratings(engine) == QUALTRICS
    responses = stored_responses(engine)
    first = responses["R_1Dk5Qx8bLmN2pQr"]
    assert first.language == "zh-s" and first.submitted_at == datetime(
        2020, 3, 2, 1, 15, 2, tzinfo=UTC
    )  # Asia/Shanghai
    assert "R_9PrEvIeWxXxXxXx" not in responses  # a survey preview
    with transaction(engine) as session:
        data = load_assessment_data(session=session, assessment_key="2020")
    assert set(data.responses["group"]) == {"employees", "clients", "investors", "community"}
    text = database_text(engine)
    for personal in ("wang.fang@example.com", "203.0.113.17", "31.2304", "Wang", "E1024", "li.na@example.cn"):
        assert personal not in text
    assert "希望公司" not in text  # free text is not imported
    assert summary.personal_columns[:2] == ["IPAddress (IP 地址)", "RecipientLastName (收件人姓氏)"]
    assert len(summary.personal_columns) == 7
    assert summary.ignored_columns == ["Q3_TEXT"]


def test_qualtrics_legacy_export_with_choice_text(assessment):
    engine = assessment
    summary = run_import(
        engine, FIXTURES / "qualtrics_legacy.csv", mapping=FIXTURES / "qualtrics_legacy.yaml"
    )
    assert (summary.added, summary.excluded) == (2, 1)
    assert stored_ratings(engine) == {
        ("R_bkT0vQ1yZ2x3W4e", "business_ethics", IMPORTANCE): 5,  # the scale's own label
        ("R_bkT0vQ1yZ2x3W4e", "climate_change", IMPORTANCE): 4,
        ("R_bkT0vQ1yZ2x3W4e", "technological_innovation", IMPORTANCE): 3,
        ("R_cLu1wR2aA3y4X5f", "business_ethics", IMPORTANCE): 4,
        ("R_cLu1wR2aA3y4X5f", "climate_change", IMPORTANCE): 1,  # from the mapping's values
        ("R_cLu1wR2aA3y4X5f", "technological_innovation", IMPORTANCE): None,
    }
    assert "anna.mueller@example.de" not in database_text(engine)
    assert summary.personal_columns == [
        "V3 (Name)",
        "V4 (ExternalDataReference)",
        "V5 (EmailAddress)",
        "V6 (IPAddress)",
        "LocationLatitude",
        "LocationLongitude",
        "LocationAccuracy",
    ]


@pytest.mark.parametrize(
    ("name", "mapping"),
    [
        ("limesurvey_code.csv", "limesurvey.yaml"),
        ("limesurvey_full.csv", "limesurvey_full.yaml"),
        ("limesurvey_code_text.csv", "limesurvey.yaml"),
    ],
)
def test_limesurvey_heading_styles(assessment, name, mapping):
    engine = assessment
    summary = run_import(engine, FIXTURES / name, mapping=FIXTURES / mapping)
    assert summary.format == "limesurvey" and summary.source == "import:limesurvey:482761"
    assert (summary.added, summary.unfinished) == (3, 1)  # response 3 has no "Date submitted"
    assert any(line.startswith("left out 1 unfinished responses") for line in summary.lines())
    assert stored_ratings(engine) == LIMESURVEY
    responses = stored_responses(engine)
    assert responses["2"].language == "zh-hans"
    assert responses["2"].submitted_at == datetime(2020, 5, 11, 10, 2, 47, tzinfo=UTC)
    text = database_text(engine)
    assert "tk8Dk2mQ" not in text and "192.0.2.10" not in text and "intranet.example.com" not in text


def test_limesurvey_styles_are_the_same_responses(assessment):
    """Exports of one survey in different heading styles hold the same responses."""
    engine = assessment
    run_import(engine, FIXTURES / "limesurvey_code.csv", mapping=FIXTURES / "limesurvey.yaml")
    again = run_import(engine, FIXTURES / "limesurvey_code_text.csv", mapping=FIXTURES / "limesurvey.yaml")
    assert (again.added, again.duplicates) == (0, 3)
    assert stored_ratings(engine) == LIMESURVEY


def test_limesurvey_unfinished_responses_can_be_included(assessment, tmp_path):
    """With 'unfinished: include' the unfinished response is timed by its last action, not the
    time of the import."""
    engine = assessment
    mapping = tmp_path / "include.yaml"
    mapping.write_text((FIXTURES / "limesurvey.yaml").read_text() + "unfinished: include\n", encoding="utf-8")
    summary = run_import(engine, FIXTURES / "limesurvey_code.csv", mapping=mapping)
    assert (summary.added, summary.unfinished, summary.unfinished_kept) == (4, 0, 1)
    assert stored_ratings(engine)[("3", "privacy_data_security", IMPORTANCE)] == 3
    assert stored_responses(engine)["3"].submitted_at == datetime(2020, 5, 12, 14, 1, tzinfo=UTC)


def test_google_forms_grid(assessment):
    engine = assessment
    summary = run_import(engine, FIXTURES / "google_forms.csv", mapping=FIXTURES / "google_forms.yaml")
    assert summary.format == "google_forms" and summary.added == 4
    responses = stored_responses(engine)
    by_time = {r.submitted_at: r.source_response_id for r in responses.values()}
    first = by_time[datetime(2020, 3, 15, 2, 32, 11, tzinfo=UTC)]  # 10:32:11 AM GMT+8 in UTC
    third = by_time[datetime(2020, 3, 16, 13, 14, 2, tzinfo=UTC)]
    ratings = stored_ratings(engine)
    assert {k[1]: v for k, v in ratings.items() if k[0] == first} == {
        "privacy_data_security": 4,
        "customer_service": 5,
        "climate_change": 3,
        "community_engagement": 2,
    }
    assert ratings[(third, "privacy_data_security", IMPORTANCE)] is None
    assert len(ratings) == 15
    assert {responses[r].group_id for r in by_time.values()} and "mei.chen@example.com" not in database_text(
        engine
    )
    assert summary.personal_columns == ["Email Address"]
    again = run_import(engine, FIXTURES / "google_forms.csv", mapping=FIXTURES / "google_forms.yaml")
    assert (again.added, again.duplicates) == (0, 4)


@pytest.mark.parametrize("name", ["surveymonkey.csv", "surveymonkey.xlsx"])
def test_surveymonkey_two_header_rows(assessment, name):
    engine = assessment
    summary = run_import(engine, FIXTURES / name, mapping=FIXTURES / "surveymonkey.yaml")
    assert summary.format == "surveymonkey" and summary.added == 3
    assert stored_ratings(engine) == {
        ("11897463071", "technological_innovation", IMPORTANCE): 5,
        ("11897463071", "talent_attraction", IMPORTANCE): 4,
        ("11897463071", "development_training", IMPORTANCE): 4,
        ("11897463071", "health_safety", IMPORTANCE): 3,
        ("11897465512", "technological_innovation", IMPORTANCE): 4,
        ("11897465512", "talent_attraction", IMPORTANCE): 3,
        ("11897465512", "development_training", IMPORTANCE): 2,
        ("11897465512", "health_safety", IMPORTANCE): None,
        ("11897470001", "technological_innovation", IMPORTANCE): 4,
        ("11897470001", "talent_attraction", IMPORTANCE): 4,
        ("11897470001", "development_training", IMPORTANCE): 5,
        ("11897470001", "health_safety", IMPORTANCE): 4,
    }
    assert stored_responses(engine)["11897463071"].submitted_at == datetime(2020, 3, 9, 8, 15, 2, tzinfo=UTC)
    text = database_text(engine)
    assert "Garcia" not in text and "dept-7" not in text and "203.0.113.50" not in text
    assert "Custom Data 1" in summary.personal_columns


def test_ms_forms_workbook(assessment):
    engine = assessment
    summary = run_import(engine, FIXTURES / "ms_forms.xlsx", mapping=FIXTURES / "ms_forms.yaml")
    assert summary.format == "ms_forms" and summary.encoding is None
    assert (summary.added, summary.without_rating) == (3, 1)
    assert stored_ratings(engine) == {
        ("1", "supplier_management", IMPORTANCE): 4,
        ("1", "business_ethics", IMPORTANCE): 5,
        ("1", "privacy_data_security", IMPORTANCE): 3,
        ("2", "supplier_management", IMPORTANCE): 5,
        ("2", "business_ethics", IMPORTANCE): 4,
        ("2", "privacy_data_security", IMPORTANCE): None,
        ("3", "supplier_management", IMPORTANCE): 2,
        ("3", "business_ethics", IMPORTANCE): 3,
        ("3", "privacy_data_security", IMPORTANCE): 4,
    }
    responses = stored_responses(engine)
    assert responses["2"].submitted_at == datetime(2020, 4, 7, 13, 33, 12, tzinfo=UTC)
    assert responses["2"].channel_id is not None
    assert summary.personal_columns == ["Email", "Name"]


def test_long_file_needs_no_mapping(assessment):
    engine = assessment
    summary = run_import(engine, FIXTURES / "long.csv")
    assert (summary.format, summary.added, summary.ratings, summary.dont_know) == ("long", 3, 8, 2)
    assert stored_ratings(engine) == {
        ("emp-001", "health_safety", IMPORTANCE): 5,
        ("emp-001", "development_training", IMPORTANCE): 4,
        ("emp-001", "diversity_inclusion", IMPORTANCE): None,
        ("emp-002", "health_safety", IMPORTANCE): 3,
        ("emp-002", "development_training", IMPORTANCE): None,
        ("mgt-001", "health_safety", "business_impact"): 4,
        ("mgt-001", "development_training", "business_impact"): 5,
        ("mgt-001", "diversity_inclusion", "business_impact"): 2,  # empty: the group's dimension
    }
    responses = stored_responses(engine)
    assert responses["emp-001"].submitted_at == datetime(2020, 6, 1, 1, 15, tzinfo=UTC)
    assert responses["emp-001"].channel_id is not None and responses["emp-002"].channel_id is None


@pytest.mark.parametrize("name", ["wide.csv", "wide.xlsx"])
def test_wide_file_needs_no_mapping(assessment, name):
    engine = assessment
    summary = run_import(engine, FIXTURES / name)
    assert (summary.format, summary.added, summary.ratings, summary.dont_know) == ("wide", 4, 19, 1)
    ratings = stored_ratings(engine)
    assert ratings[("c-0001", "privacy_data_security", IMPORTANCE)] == 5
    assert ratings[("c-0001", "community_engagement", IMPORTANCE)] is None
    assert ("r-0001", "community_engagement", IMPORTANCE) not in ratings
    assert ratings[("n-0001", "emissions", IMPORTANCE)] == 5
    assert summary.personal_columns == ["email"] and "ana@example.com" not in database_text(engine)


def test_aggregates_match_the_imported_ratings(assessment):
    engine = assessment
    run_import(engine, FIXTURES / "wide.csv")
    run_import(engine, FIXTURES / "long.csv")
    with transaction(engine) as session:
        data = load_assessment_data(session=session, assessment_key="2020")
    histogram = data.aggregates.histogram.set_index(["group", "dimension", "topic", "value"])["n"]
    assert histogram[("clients", IMPORTANCE, "customer_service", 5)] == 2
    assert histogram[("management", "business_impact", "development_training", 5)] == 1
    dont_know = data.aggregates.dont_know.set_index(["group", "topic"])["n_dont_know"]
    assert dont_know[("employees", "development_training")] == 1
    respondents = data.aggregates.respondents.set_index(["group", "dimension"])["n_respondents"]
    assert respondents[("clients", IMPORTANCE)] == 2 and respondents[("employees", IMPORTANCE)] == 2


def test_importing_twice_adds_nothing_and_overlaps_add_only_new(assessment, tmp_path):
    engine = assessment
    lines = (FIXTURES / "wide.csv").read_text(encoding="utf-8").splitlines()
    first = tmp_path / "first.csv"
    first.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    assert run_import(engine, first).added == 2
    snapshot = database_snapshot(engine)
    again = run_import(engine, first)
    assert (again.added, again.duplicates) == (0, 2)
    assert database_snapshot(engine) == snapshot
    overlap = run_import(engine, FIXTURES / "wide.csv")
    assert (overlap.added, overlap.duplicates) == (2, 2)
    assert len(stored_responses(engine)) == 4


def test_dry_run_writes_nothing(assessment):
    engine = assessment
    before = database_snapshot(engine)
    summary = run_import(
        engine, FIXTURES / "qualtrics.csv", mapping=FIXTURES / "qualtrics.yaml", dry_run=True
    )
    assert summary.dry_run and summary.added == 4 and summary.ratings == 12
    assert "dry run: nothing was written" in summary.lines()
    assert database_snapshot(engine) == before


def test_progress_is_reported(assessment):
    engine = assessment
    seen = []
    from survey.assessments import load_index
    from survey.importers import import_export, read_export

    parsed = read_export(FIXTURES / "wide.csv", progress=lambda *event: seen.append(event))
    with transaction(engine) as session:
        index = load_index(session=session, assessment_key="2020")
        import_export(session=session, index=index, parsed=parsed, progress=lambda *e: seen.append(e))
    stages = [stage for stage, _, _ in seen]
    assert stages[0] == "reading" and "checking" in stages and stages[-1] == "writing"
    assert seen[-1] == ("writing", 4, 4)
