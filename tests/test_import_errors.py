"""Bad exports: every problem is reported with file, row, column and value, and nothing is written.
Also text encodings and the `materiality import` command."""

from __future__ import annotations

import pytest
from import_helpers import FIXTURES, database_snapshot, new_assessment, run_import, stored_ratings
from typer.testing import CliRunner

from cli import app
from survey.importers import MAX_LISTED, ImportFailed, parse_mapping, read_export

HEADER = "response_id,group,privacy_data_security,climate_change\n"


@pytest.fixture
def assessment(engine, catalog):
    new_assessment(engine, catalog)
    return engine


def failing(engine, path, **options) -> ImportFailed:
    before = database_snapshot(engine)
    with pytest.raises(ImportFailed) as caught:
        run_import(engine, path, **options)
    assert database_snapshot(engine) == before, "a failed import changed the database"
    return caught.value


def test_every_kind_of_bad_input_is_listed_at_once(assessment, tmp_path):
    path = tmp_path / "survey 2021.csv"
    path.write_text(
        "response_id,group,privacy_data_security,climate_change,water_use\n"
        'r1,employees,5,"4",3\n'
        "r2,nobody,4,4,3\n"  # unknown group
        "r3,clients,7,4,3\n"  # outside the scale
        "r4,clients,Agree,4,3\n"  # a label without a mapping
        "r1,clients,3,3,3\n"  # duplicate response id
        "r5,clients,4,0,3\n",  # outside the scale
        encoding="utf-8",
    )
    error = failing(assessment, path)
    text = str(error)
    assert text.startswith("survey 2021.csv: 6 problems found, nothing was imported:")
    duplicate = "duplicate response id 'r1' inside the file (rows 2, 6)"
    assert f"survey 2021.csv, row 6, column 'response_id' (A): {duplicate}" in text
    assert "survey 2021.csv, row 1, column 'water_use' (E): unknown topic 'water_use'" in text
    assert "survey 2021.csv, row 3, column 'group' (B): unknown group 'nobody'" in text
    assert (
        "survey 2021.csv, row 4, column 'privacy_data_security' (C): value '7' is outside the scale 1-5"
        in text
    )
    assert "row 5, column 'privacy_data_security' (C): answer 'Agree' has no number" in text
    assert "row 7, column 'climate_change' (D): value '0' is outside the scale 1-5" in text
    assert error.total == 6 and len(error.problems) == 6


def test_rows_are_counted_as_a_spreadsheet_shows_them(assessment, tmp_path):
    """A quoted answer with line breaks is one row, whatever the number of text lines."""
    path = tmp_path / "export.csv"
    path.write_text(
        "response_id,group,comment,privacy_data_security\n"
        'r1,clients,"line one\nline two\nline three",5\n'
        "r2,clients,fine,9\n",
        encoding="utf-8",
    )
    error = failing(assessment, path, mapping=None, format="wide")
    assert "export.csv, row 3, column 'privacy_data_security' (D): value '9'" in str(error)


def test_missing_required_columns(assessment, tmp_path):
    no_id = tmp_path / "no_id.csv"
    no_id.write_text("group,privacy_data_security\nclients,5\n", encoding="utf-8")
    assert "missing required column 'response_id'" in str(failing(assessment, no_id, format="wide"))
    no_group = tmp_path / "no_group.csv"
    no_group.write_text("response_id,privacy_data_security\nr1,5\n", encoding="utf-8")
    assert "does not say which stakeholder group answered" in str(failing(assessment, no_group))
    no_value = tmp_path / "no_value.csv"
    no_value.write_text(
        "response_id,group,topic,dimension\nr1,clients,emissions,importance\n", encoding="utf-8"
    )
    assert "missing required column 'value'" in str(failing(assessment, no_value, format="long"))


def test_unknown_topic_or_dimension_in_a_mapping_names_the_mapping(assessment, tmp_path):
    mapping = tmp_path / "my-mapping.yaml"
    mapping.write_text(
        "group: clients\ntopics:\n  Q1_1: water\n  Q1_2: {topic: emissions, dimension: risk}\n"
    )
    path = tmp_path / "q.csv"
    path.write_text("response_id,Q1_1,Q1_2\nr1,3,4\n", encoding="utf-8")
    text = str(failing(assessment, path, format="wide", mapping=mapping))
    assert "my-mapping.yaml: unknown topic 'water' given for column 'Q1_1' (B)" in text
    assert "my-mapping.yaml: unknown dimension 'risk' given for column 'Q1_2' (C)" in text


def test_mapping_column_not_in_the_file(assessment, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("group_column: Q9\ntopics:\n  Q1_7: emissions\n")
    path = tmp_path / "q.csv"
    path.write_text("response_id,Q1_1\nr1,3\n", encoding="utf-8")
    text = str(failing(assessment, path, format="wide", mapping=mapping))
    assert "m.yaml: field 'group_column': the file has no column 'Q9'" in text
    assert "m.yaml: field 'topics.Q1_7': the file has no column 'Q1_7'" in text


def test_problems_are_capped_but_counted(assessment, tmp_path):
    path = tmp_path / "many.csv"
    path.write_text(HEADER + "".join(f"r{i},group{i},3,3\n" for i in range(200)), encoding="utf-8")
    error = failing(assessment, path)
    assert error.total == 200 and len(error.problems) == MAX_LISTED
    assert str(error).endswith(f"... and {200 - MAX_LISTED} more")


def test_a_file_with_valid_rows_and_one_bad_row_writes_nothing(assessment, tmp_path):
    path = tmp_path / "mostly_fine.csv"
    rows = "".join(f"r{i},clients,{1 + i % 5},{1 + (i * 3) % 5}\n" for i in range(500))
    path.write_text(HEADER + rows + "r500,clients,6,1\n", encoding="utf-8")
    error = failing(assessment, path)
    assert error.total == 1 and "row 502" in str(error)
    assert stored_ratings(assessment) == {}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("topics: [a, b]\n", "field 'topics': Input should be a valid dictionary"),
        ("group: clients\ngroup_column: Q2\n", "give either 'group' or 'group_column', not both"),
        ("grup: clients\n", "field 'grup': unknown field"),
        ("values:\n  Agree: high\n", "field 'values.Agree': Input should be a valid integer"),
        ("topics: {Q1: [x]\n", "line 2: not valid YAML"),
        ("- a\n- b\n", "expected a mapping of fields"),
    ],
)
def test_mapping_mistakes_name_the_file_and_field(content, expected):
    with pytest.raises(ImportFailed) as caught:
        parse_mapping(content, filename="survey-mapping.yaml")
    assert f"survey-mapping.yaml: {expected}" in str(caught.value)


def test_mapping_keeps_yes_and_no_as_text():
    mapping = parse_mapping("values:\n  Yes: 5\n  No: 1\n  4: 4\nmissing: [N/A, 99]\n")
    assert mapping.values == {"Yes": 5, "No": 1, "4": 4}
    assert mapping.missing == ["N/A", "99"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "the file is empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel .xls workbook"),
        (b"PK\x03\x04garbage", "not a readable Excel workbook"),
        (b"alpha,beta\n1,2\n", "cannot tell which tool wrote this file"),
        (b'response_id,group\n"r1,clients\n', "malformed CSV"),
        (b"response_id,group,emissions\nr1,clients,3,4,5\nr2,clients,3\n", "row 2: this row has 5 fields"),
    ],
)
def test_unreadable_files(data, expected):
    with pytest.raises(ImportFailed) as caught:
        read_export(data, filename="upload.csv")
    assert expected in str(caught.value)
    assert str(caught.value).startswith("upload.csv:")


# --- encodings ---------------------------------------------------------------------------------

CHINESE = (
    'response_id,group,privacy_data_security,climate_change\nz1,员工,5,4\nz2,客户,3,不知道\nz3,社区,"2",1\n'
)
CHINESE_MAPPING = "group_values: {员工: employees, 客户: clients, 社区: community}\n"
FRENCH = "response_id,group,privacy_data_security,climate_change\nf1,Employé(e)s,5,4\nf2,Société civile,3,2\n"
FRENCH_MAPPING = "group_values: {Employé(e)s: employees, Société civile: community}\n"


@pytest.mark.parametrize(
    ("text", "mapping", "encoding", "bom", "detected"),
    [
        (CHINESE, CHINESE_MAPPING, "utf-8", b"", "utf-8"),
        (CHINESE, CHINESE_MAPPING, "utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
        (CHINESE, CHINESE_MAPPING, "utf-16-le", b"\xff\xfe", "utf-16"),  # Excel's "Unicode text"
        (CHINESE, CHINESE_MAPPING, "gb18030", b"", "gb18030"),
        (CHINESE, CHINESE_MAPPING, "gbk", b"", "gb18030"),
        (FRENCH, FRENCH_MAPPING, "latin-1", b"", "cp1252"),
    ],
)
def test_text_encodings_are_detected(assessment, tmp_path, text, mapping, encoding, bom, detected):
    if encoding == "utf-16-le":
        text = text.replace(",", "\t")  # Excel saves "Unicode text" tab-separated
    path = tmp_path / "export.csv"
    path.write_bytes(bom + text.replace("\n", "\r\n").encode(encoding))
    (tmp_path / "m.yaml").write_text(mapping, encoding="utf-8")
    summary = run_import(assessment, path, mapping=tmp_path / "m.yaml")
    assert summary.encoding == detected
    ratings = stored_ratings(assessment)
    first = "z1" if text is CHINESE or "z1" in text else "f1"
    assert ratings[(first, "privacy_data_security", "importance")] == 5
    assert len(ratings) == (6 if first == "z1" else 4)
    if first == "z1":
        assert ratings[("z2", "climate_change", "importance")] is None


def test_encoding_can_be_given(assessment, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(FRENCH.encode("latin-1"))
    (tmp_path / "m.yaml").write_text(FRENCH_MAPPING, encoding="utf-8")
    summary = run_import(assessment, path, mapping=tmp_path / "m.yaml", encoding="latin-1")
    assert summary.encoding == "iso8859-1" and summary.added == 2
    with pytest.raises(ImportFailed, match="not valid utf-8: byte"):
        read_export(path, encoding="utf-8")
    with pytest.raises(ImportFailed, match="unknown text encoding 'klingon'"):
        read_export(path, encoding="klingon")


# --- the command -------------------------------------------------------------------------------

runner = CliRunner()


def test_import_command(tmp_path, catalog):
    db = f"sqlite:///{tmp_path / 'm.db'}"
    assert runner.invoke(app, ["init", "--assessment", "2020", "--db", db]).exit_code == 0
    args = [
        "import",
        str(FIXTURES / "qualtrics.csv"),
        "-a",
        "2020",
        "--mapping",
        str(FIXTURES / "qualtrics.yaml"),
    ]
    dry = runner.invoke(app, [*args, "--dry-run", "--db", db])
    assert dry.exit_code == 0, dry.output
    assert (
        "Reading qualtrics.csv as qualtrics (detected from its header), "
        "text encoding utf-8-sig (byte-order mark)." in dry.stderr
    )
    assert "would add 4 to assessment '2020'" in dry.stdout and "dry run: nothing was written" in dry.stdout
    done = runner.invoke(app, [*args, "--db", db])
    assert done.exit_code == 0, done.output
    assert "added 4 to assessment '2020' (12 ratings, 1 of them \"don't know\")" in done.stdout
    assert "skipped 0 imported before (duplicates), 1 rows without any rating" in done.stdout
    assert "dropped as personal data (not stored): IPAddress (IP 地址)" in done.stdout
    again = runner.invoke(app, [*args, "--db", db])
    assert "added 0" in again.stdout and "skipped 4 imported before" in again.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "r1,clients,8,3\n", encoding="utf-8")
    failed = runner.invoke(app, ["import", str(bad), "-a", "2020", "--db", db])
    assert failed.exit_code == 1
    assert "Error: bad.csv: 1 problem found, nothing was imported:" in failed.stderr
    assert (
        "bad.csv, row 2, column 'privacy_data_security' (C): value '8' is outside the scale 1-5"
        in failed.stderr
    )
    unknown = runner.invoke(app, ["import", str(bad), "-a", "2020", "--format", "excel", "--db", db])
    assert unknown.exit_code == 1 and "unknown format 'excel'" in unknown.stderr
    missing = runner.invoke(app, ["import", str(tmp_path / "nope.csv"), "-a", "2020", "--db", db])
    assert (
        missing.exit_code == 1 and "nope.csv: " in missing.stderr and "cannot read the file" in missing.stderr
    )
