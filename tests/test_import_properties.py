"""Property-based tests: well-formed exports in any dialect and encoding import exactly;
malformed ones either import correctly or fail with a clear error, never crash with a
traceback and never write part of a file."""

from __future__ import annotations

import csv
import io
import itertools

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from import_helpers import database_snapshot, new_assessment, stored_ratings

from survey.assessments import load_index
from survey.db import transaction
from survey.importers import ImportFailed, import_export, parse_mapping, read_export

pytestmark = pytest.mark.slow

TOPICS = ["privacy_data_security", "climate_change", "emissions", "recruitment"]
GROUPS = ["clients", "employees", "investors", "community"]
SURVEYS = itertools.count()
PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def engine_with_assessment(sqlite_engine, catalog):
    new_assessment(sqlite_engine, catalog)
    return sqlite_engine


answers = st.one_of(
    st.integers(1, 5).map(str), st.sampled_from(["", "dont_know", "Don't know", " 4 ", "3.0"])
)
free_text = st.text(alphabet=st.sampled_from(list("ab ,;\t\"\n\r中é'")), max_size=12)
rows = st.lists(
    st.tuples(st.sampled_from(GROUPS), st.lists(answers, min_size=4, max_size=4), free_text),
    min_size=1,
    max_size=25,
)


def expected_value(answer: str) -> int | None | str:
    answer = answer.strip()
    if answer == "":
        return "absent"
    if answer.casefold() in ("dont_know", "don't know"):
        return None
    return int(float(answer))


@PROPERTY_SETTINGS
@given(
    data=rows,
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "gb18030"]),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_well_formed_exports_import_exactly(engine_with_assessment, data, delimiter, encoding, newline):
    engine = engine_with_assessment
    survey = f"p{next(SURVEYS)}"
    buffer = io.StringIO()
    # csv.writer quotes a lone "\r" only when it is part of the line terminator: quote every
    # field for "\n" files (as LimeSurvey does), so the file is well-formed.
    quoting = csv.QUOTE_MINIMAL if newline == "\r\n" else csv.QUOTE_ALL
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline, quoting=quoting)
    writer.writerow(["response_id", "group", "comment", *TOPICS])
    expected = {}
    for i, (group, values, comment) in enumerate(data):
        writer.writerow([f"r{i}", group, comment, *values])
        for topic, answer in zip(TOPICS, values, strict=True):
            if expected_value(answer) != "absent":
                expected[(f"r{i}", topic, "importance")] = expected_value(answer)
    mapping = parse_mapping(f"survey: {survey}\nignore: [comment]\n")
    parsed = read_export(buffer.getvalue().encode(encoding), filename="export.csv", mapping=mapping)
    with transaction(engine) as session:
        index = load_index(session=session, assessment_key="2020")
        summary = import_export(session=session, index=index, parsed=parsed)
    rated = {key[0] for key in expected}
    assert summary.added == len(rated)
    assert summary.without_rating == len(data) - len(rated)
    assert stored_ratings(engine, source=f"import:wide:{survey}") == expected


VALID = (
    "response_id,group,channel,privacy_data_security,climate_change,emissions\r\n"
    'a1,clients,Satisfaction survey,5,4,"3"\r\n'
    'a2,employees,,dont_know,2,"multi\nline"\r\n'
    "a3,investors,Annual reports,1,,5\r\n"
)
NOISE = st.sampled_from(
    list('",;\t\n\r\x00 a9-中é\ufeff') + ["dont_know", "clients", "7", "response_id", '""']
)


@st.composite
def malformed(draw) -> bytes:
    text = VALID
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "truncate", "duplicate"]))
        if action == "insert":
            text = text[:position] + draw(NOISE) + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + draw(st.integers(1, 8)) :]
        elif action == "truncate":
            text = text[:position]
        else:
            lines = text.split("\r\n")
            line = lines[min(position, len(lines) - 1)]
            text = text + line + "\r\n"
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "gb18030", "latin-1"]))
    return text.encode(encoding, errors="replace")


@PROPERTY_SETTINGS
@given(
    data=st.one_of(malformed(), st.binary(max_size=300)),
    format=st.sampled_from(
        [None, None, "wide", "long", "qualtrics", "limesurvey", "surveymonkey", "google_forms"]
    ),
)
def test_malformed_exports_fail_cleanly_or_import_whole(engine_with_assessment, data, format):
    engine = engine_with_assessment
    survey = f"m{next(SURVEYS)}"
    before = database_snapshot(engine)
    mapping = parse_mapping(f"survey: {survey}\n")
    try:
        parsed = read_export(data, filename="broken.csv", format=format, mapping=mapping)
        with transaction(engine) as session:
            index = load_index(session=session, assessment_key="2020")
            summary = import_export(session=session, index=index, parsed=parsed)
    except ImportFailed as error:
        assert error.problems and error.total >= len(error.problems)
        assert all(str(p).startswith(("broken.csv", "broken.csv:")) for p in error.problems)
        assert str(error).startswith("broken.csv: ")
        assert database_snapshot(engine) == before
        return
    assume(summary.added > 0)
    stored = stored_ratings(engine, source=summary.source)
    assert len(stored) == summary.ratings
    assert sum(v is None for v in stored.values()) == summary.dont_know
    assert len({key[0] for key in stored}) == summary.added
    assert all(v is None or 1 <= v <= 5 for v in stored.values())
