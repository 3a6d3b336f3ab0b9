"""Real exports of older tool versions, from public repositories (tests/fixtures/imports/real/
README.md names each source), and what a first try without a mapping offers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml
from import_helpers import (
    FIXTURES,
    database_text,
    new_assessment,
    run_import,
    stored_ratings,
    stored_responses,
)
from typer.testing import CliRunner

from cli import app
from services.data import suggest_mapping
from survey.importers import ImportFailed, parse_mapping, read_export
from survey.importers.problems import Problems
from survey.importers.reading import decode

REAL = FIXTURES / "real"
FAVOUR = {
    "Very favorably": 5,
    "Somewhat favorably": 4,
    "Neither favorably nor unfavorably (neutral)": 3,
    "Somewhat unfavorably": 2,
    "Very unfavorably": 1,
}


@pytest.fixture
def assessment(engine, catalog):
    new_assessment(engine, catalog)
    return engine


def write_mapping(tmp_path, data: dict, name: str = "mapping.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_surveymonkey_older_export_uses_respondent_id(assessment, tmp_path):
    mapping = write_mapping(
        tmp_path,
        {
            "group": "community",
            "topics": {
                "Do you ever gamble?": "business_ethics",
                "Do you ever drink alcohol?": "health_safety",
            },
            "values": {"Yes": 5, "No": 1},
        },
    )
    summary = run_import(assessment, REAL / "surveymonkey_steak_risk_survey.csv", mapping=mapping)
    assert (summary.format, summary.format_detected) == ("surveymonkey", True)
    assert (summary.responses_in_file, summary.added, summary.without_rating) == (10, 9, 1)
    ratings = stored_ratings(assessment)
    assert ratings[("3234982343", "health_safety", "importance")] == 5  # RespondentID is the response id
    assert ratings[("3234973379", "business_ethics", "importance")] == 5
    assert "3237565956" not in stored_responses(assessment)  # answered only the lottery question
    line = next(x for x in summary.lines() if x.startswith("ignored columns"))
    assert line.startswith("ignored columns (12): ") and "<br>" not in line and len(line) < 600
    assert "Consider the follow…tery A or Lottery B?" in line  # a paragraph is cut to one short name


def test_surveymonkey_forced_on_one_header_row_says_so(assessment, tmp_path):
    lines = (REAL / "surveymonkey_steak_risk_survey.csv").read_bytes().split(b"\n")
    one_row = tmp_path / "one_header_row.csv"
    one_row.write_bytes(b"\n".join([lines[0], *lines[2:]]))
    with pytest.raises(ImportFailed) as failed:
        read_export(one_row, format="surveymonkey", mapping=parse_mapping("response_id: RespondentID"))
    message = str(failed.value)
    assert "this file has one header row" in message and "has '3237565956' there" in message
    assert "--format wide" in message and "no column" not in message


def test_surveymonkey_matrix_in_windows_1252_with_cr_line_endings(assessment, tmp_path):
    mapping = write_mapping(
        tmp_path,
        {
            "group": "clients",
            "topics": {
                "Han Solo": "customer_service",
                "Yoda": "business_ethics",
                "Jar Jar Binks": "emissions",
            },
            "values": FAVOUR,
            "missing": ["Unfamiliar (N/A)"],
        },
    )
    parsed = read_export(REAL / "surveymonkey_star_wars.csv", mapping=mapping)
    assert parsed.format == "surveymonkey" and parsed.encoding == "cp1252"
    assert (
        parsed.encoding_note
        == "text encoding cp1252 (guessed: not UTF-8 nor Chinese; choose the encoding if text looks wrong)"
    )
    episode = [c.id for c in parsed.columns if c.id.endswith("Phantom Menace]")][0]
    assert episode.endswith("[Star Wars: Episode I äóñ The Phantom Menace]")  # the bytes as published
    summary = run_import(assessment, REAL / "surveymonkey_star_wars.csv", mapping=mapping)
    assert summary.added == 5 and summary.dont_know == 2
    assert stored_ratings(assessment)[("3292879998", "customer_service", "importance")] == 5
    assert stored_ratings(assessment)[("3292731220", "emissions", "importance")] == 1


def test_error_messages_keep_the_matrix_row_of_a_long_column_name(assessment, tmp_path):
    mapping = write_mapping(tmp_path, {"group": "clients", "topics": {"Han Solo": "customer_service"}})
    with pytest.raises(ImportFailed) as failed:
        run_import(assessment, REAL / "surveymonkey_star_wars.csv", mapping=mapping)
    message = str(failed.value)
    assert (
        "column 'Please state whether you view the following characters favorably, "
        "unfavorably,… [Han Solo]' (P)" in message
    )


def test_qualtrics_2016_export_with_single_quoted_import_ids(assessment, tmp_path):
    mapping = write_mapping(
        tmp_path,
        {
            "group": "clients",
            "topics": {"QID1_1": "customer_service", "QID1-2": "climate_change", "Q2_11": "emissions"},
        },
    )
    summary = run_import(assessment, REAL / "qualtrics_2016_pizza_maxdiff.csv", mapping=mapping)
    assert (summary.format, summary.format_detected, summary.responses_in_file) == ("qualtrics", True, 6)
    ratings = stored_ratings(assessment)
    assert ratings[("R_ahhNTCwg6sN8dCF", "customer_service", "importance")] == 2
    assert ratings[("R_1eJqecoKDhcSzNk", "climate_change", "importance")] == 2
    assert stored_responses(assessment)["R_ahhNTCwg6sN8dCF"].submitted_at == datetime(
        2019, 10, 22, 21, 11, 6, tzinfo=UTC
    )  # EndDate: this export has no RecordedDate


def test_qualtrics_oldest_export_from_a_german_account(assessment, tmp_path):
    mapping = write_mapping(tmp_path, {"group": "employees", "topics": {"Q1": "health_safety"}})
    summary = run_import(assessment, REAL / "qualtrics_v1_sample_legacy.csv", mapping=mapping)
    assert summary.added == 1 and "ignored columns (2): Q2, 1 without a header" in summary.lines()
    assert stored_ratings(assessment) == {("R_2YPOQ602ER1jkf1", "health_safety", "importance"): 2}
    assert "130.92.34.66" not in database_text(assessment) and "Anonym" not in database_text(assessment)


def test_ms_forms_quiz_workbook_layout(assessment, tmp_path):
    mapping = write_mapping(
        tmp_path,
        {
            "group_column": "Which group do you belong to?",
            "group_values": {"Employee": "employees", "Supplier": "suppliers"},
            "topics": {
                "Climate change": "climate_change",
                "Privacy and data security": "privacy_data_security",
            },
            "values": {"Somewhat important": 2, "Important": 3, "Very important": 4, "Critical": 5},
            "missing": ["No opinion"],
        },
    )
    summary = run_import(assessment, FIXTURES / "ms_forms_quiz.xlsx", mapping=mapping)
    assert summary.format == "ms_forms" and summary.added == 3
    assert summary.personal_columns == ["Email", "Name", "Name2"]  # Name2: a question asking the name
    assert "Chen Jing" not in database_text(assessment)
    assert stored_ratings(assessment) == {
        ("1", "climate_change", "importance"): 4,
        ("1", "privacy_data_security", "importance"): 3,
        ("2", "climate_change", "importance"): 3,
        ("2", "privacy_data_security", "importance"): None,
        ("3", "climate_change", "importance"): 2,
    }
    assert stored_responses(assessment)["2"].submitted_at == datetime(2021, 3, 1, 10, 15, 31, tzinfo=UTC)
    assert not any(c.startswith(("Points - ", "Feedback - ")) for c in summary.ignored_columns)


# --- LimeSurvey, personal data, encodings, empty groups -----------------------------------------

LIMESURVEY = (
    '"Response ID","Date submitted","Last page","Start language","Seed","Date started","Date last action",'
    '"Please enter your address [Street]","Please enter your address [Postal code]",'
    '"Please enter your address [City]","Which group do you belong to?",'
    '"How important are the following topics to you? [Privacy and data security]"\r\n'
    '"1","2021-05-11 09:30:12","2","nl-informal","1839","2021-05-11 09:25:01","2021-05-11 09:30:12",'
    '"Keizersgracht 1","1015 CJ","Amsterdam","Employee","Very important"\r\n'
    '"2","","1","de-informal","2201","2021-05-12 14:00:00","2021-05-12 14:01:00","","","","","Important"\r\n'
    '"3","2021-05-13 16:45:00","2","en","7712","2021-05-13 16:40:00","2021-05-13 16:45:00",'
    '"","","","","Extremely important"\r\n'
)


def test_limesurvey_languages_addresses_and_empty_groups(assessment, tmp_path):
    export = tmp_path / "limesurvey.csv"
    export.write_bytes(b"\xef\xbb\xbf" + LIMESURVEY.encode("utf-8"))
    base = {
        "survey": "nl-2021",
        "group_column": "Which group do you belong to?",
        "group_values": {"Employee": "employees"},
        "topics": {"Privacy and data security": "privacy_data_security"},
        "values": {"Important": 3},
    }
    with pytest.raises(ImportFailed) as failed:  # row 4 has no group answer
        run_import(assessment, export, mapping=write_mapping(tmp_path, base))
    assert "row 4, column 'Which group do you belong to?' (K): the group is empty" in str(failed.value)

    skipped = run_import(
        assessment, export, mapping=write_mapping(tmp_path, {**base, "skip_empty_group": True})
    )
    assert (skipped.added, skipped.without_group, skipped.unfinished) == (1, 1, 1)
    assert "left out 1 rows with an empty group answer (skip_empty_group)" in skipped.lines()
    assert stored_responses(assessment)["1"].language == "nl-informal"  # not cut to 8 characters
    assert skipped.personal_columns == [
        "Please enter your address [Street]",
        "Please enter your address [Postal code]",
        "Please enter your address [City]",
    ]
    text = database_text(assessment)
    assert "Keizersgracht" not in text and "1015 CJ" not in text and "Amsterdam" not in text

    given = run_import(
        assessment,
        export,
        mapping=write_mapping(tmp_path, {**base, "default_group": "community", "unfinished": "include"}),
    )
    assert (given.added, given.duplicates, given.unfinished_kept, given.default_group) == (
        2,
        1,
        1,
        ("community", 2),
    )
    responses = stored_responses(assessment)
    assert responses["2"].submitted_at == datetime(2021, 5, 12, 14, 1, tzinfo=UTC)  # its last action
    assert responses["2"].language == "de-informal"


def test_windows_1252_dashes_are_kept_and_the_encoding_is_said(assessment, tmp_path, db_url):
    text = "response_id,group,privacy_data_security,note\r\nr1,clients,5,Supplier – partner — ok\r\n"
    data = text.encode("cp1252").replace(b"ok", b"ok\x81")  # a byte Windows-1252 leaves undefined
    export = tmp_path / "wide.csv"
    export.write_bytes(data)
    parsed = read_export(export, mapping=parse_mapping("ignore: [note]"))
    assert parsed.encoding == "cp1252" and "guessed" in parsed.encoding_note
    assert parsed.columns[3].id == "note"
    result = CliRunner().invoke(
        app, ["import", str(export), "--assessment", "2020", "--dry-run", "--db", db_url]
    )
    assert "text encoding cp1252 (guessed: not UTF-8 nor Chinese" in result.stderr
    decoded, _ = decode(data, encoding=None, problems=Problems("x"))
    assert decoded is not None and "Supplier – partner — ok\x81" in decoded


# --- a first try without a mapping ---------------------------------------------------------------


def test_a_first_try_lists_the_rating_columns_and_the_group_question(assessment):
    with pytest.raises(ImportFailed) as failed:
        run_import(assessment, FIXTURES / "qualtrics.csv")
    message = str(failed.value)
    assert "2 problems found" in message  # the group and the topics, at once
    assert "columns that look like ratings: 'Q1_1' (R), 'Q1_2' (S), 'Q1_3' (T), 'Q1_4' (U);" in message
    assert "the group question looks like 'Q2' (V)" in message and "--suggest-mapping" in message


def test_suggest_mapping_writes_a_skeleton_to_fill_in(assessment, tmp_path, db_url):
    parsed = read_export(FIXTURES / "google_forms.csv")
    text = suggest_mapping(engine=assessment, assessment_key="2020", parsed=parsed)
    data = yaml.safe_load(text)
    assert data["group_column"] == "Which group best describes you?"
    assert data["group_values"] == {
        "Customer": "clients",
        "Local community": "community",
        "Investor / shareholder": "investors",
    } or data["group_values"]["Customer"] in (None, "clients")
    assert data["topics"] == {
        "How important is each topic to you? [Privacy and data security]": "privacy_data_security",
        "How important is each topic to you? [Customer service]": "customer_service",
        "How important is each topic to you? [Climate change]": "climate_change",
        "How important is each topic to you? [Community engagement]": "community_engagement",
    }
    qualtrics = suggest_mapping(
        engine=assessment, assessment_key="2020", parsed=read_export(FIXTURES / "qualtrics.csv")
    )
    skeleton = yaml.safe_load(qualtrics)
    assert skeleton["group_column"] == "Q2" and skeleton["topics"] == {
        "Q1_1": "privacy_data_security",
        "Q1_2": "customer_service",
        "Q1_3": "climate_change",
        "Q1_4": None,  # 排放: a person chooses
    }
    with pytest.raises(ImportFailed, match="no topic key given for 'Q1_4'"):
        parse_mapping(qualtrics, filename="qualtrics.mapping.yaml")

    export = tmp_path / "export.csv"
    export.write_bytes((FIXTURES / "google_forms.csv").read_bytes())
    runner = CliRunner()
    args = ["import", str(export), "--assessment", "2020", "--suggest-mapping", "--db", db_url]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    written = tmp_path / "export.mapping.yaml"
    assert "Wrote" in result.output and yaml.safe_load(written.read_text()) == data
    again = runner.invoke(app, args)
    assert again.exit_code == 1 and "exists" in again.stderr  # never overwritten
