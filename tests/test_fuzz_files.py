"""Fuzzing every reader of outside files with random and hostile bytes: an export (CSV, TSV, XLSX,
as a path or an upload), an assessment file (JSON or gzip), a mapping. Whatever the bytes, the
reader returns a result or refuses with its documented error, whose message names the file; it
finishes within a few seconds and the memory of the process stays bounded."""

from __future__ import annotations

import gzip
import io
import json
import resource
import time
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.limits import LimitExceeded, Limits, check_workbook
from survey.backup import BackupError, read_assessment_file
from survey.importers import ImportFailed, parse_mapping, read_export
from tests.hostile_files import corner_workbook, workbook_bytes

pytestmark = pytest.mark.slow

FUZZ = settings(
    max_examples=200,
    deadline=None,  # timed below, per example, with a bound that a slow machine keeps too
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
SECONDS = 10.0  # per file; the files here are at most a few hundred KB
GROWTH_KB = 600_000  # the process's peak may grow by at most this over the whole fuzzing

VALID_CSV = (
    b"response_id,group,topic,dimension,value\n"
    b"r1,employees,health_safety,importance,5\n"
    b"r2,clients,climate_change,importance,dont_know\n"
)
VALID_XLSX = workbook_bytes(
    {"A1": "response_id", "B1": "group", "C1": "climate_change", "A2": "r1", "B2": "clients", "C2": "4"}
)
VALID_JSON = json.dumps({"format": "materiality-assessment", "format_version": 1, "assessment": {}}).encode()
SEEDS = [
    VALID_CSV,
    VALID_XLSX,
    corner_workbook(),
    gzip.compress(VALID_JSON),
    VALID_JSON,
    b"\xef\xbb\xbf" + VALID_CSV,
]
HOSTILE = [
    b"[" * 100_000,
    b'{"a":' * 50_000,
    b"\x00" * 5000,
    b"PK\x03\x04" + b"\xff" * 100,
    b"\x1f\x8b\x08\x00" + b"\x00" * 50,
    b'"' * 10_000,
    "=1+1,\u202e,\uff1d2\n".encode() * 100,
    b"a," * 50_000 + b"\n",
    b"\xff\xfe" + "a,b\n1,2\n".encode("utf-16-le"),
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512,
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid or hostile file with bytes flipped, cut, repeated or spliced in."""
    data = bytearray(draw(st.sampled_from(SEEDS + HOSTILE)))
    for _ in range(draw(st.integers(0, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["flip", "cut", "insert", "repeat"]))
        if kind == "flip":
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at : at + draw(st.integers(1, 200))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(max_size=40))
        else:
            data[at:at] = data[at : at + 50] * draw(st.integers(1, 200))
    return bytes(data)


files = st.one_of(st.binary(max_size=4000), mutated())
names = st.sampled_from(["upload.csv", "export.xlsx", "data.txt", "survey.tsv"])
SMALL = Limits(max_bytes=2_000_000, max_rows=10_000, max_columns=200, max_cells=200_000)


@pytest.fixture(scope="module")
def peak_before():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    yield before
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < GROWTH_KB


def timed(call, *args, **kwargs):
    started = time.perf_counter()
    try:
        return call(*args, **kwargs)
    finally:
        assert time.perf_counter() - started < SECONDS


@FUZZ
@given(data=files, name=names)
def test_any_bytes_as_an_export(peak_before, data, name):
    try:
        parsed = timed(read_export, data, filename=name)
    except ImportFailed as error:
        assert str(error).startswith(f"{name}: ")
        assert error.problems and all(p.file == name for p in error.problems)
    else:
        assert parsed.filename == name


@FUZZ
@given(data=files)
def test_any_bytes_as_a_workbook(peak_before, data):
    try:
        size = timed(check_workbook, data, name="book.xlsx", limits=SMALL)
    except (LimitExceeded, ValueError) as error:
        assert str(error).startswith("book.xlsx: ")
    else:
        assert size.rows * size.columns <= SMALL.max_cells


@FUZZ
@given(data=files)
def test_any_bytes_as_an_assessment_file(peak_before, tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "backup.json.gz"
    path.write_bytes(data)
    try:
        timed(read_assessment_file, path)
    except BackupError as error:
        assert str(error).startswith("backup.json.gz: ")


@FUZZ
@given(text=st.one_of(st.text(max_size=300), mutated().map(lambda b: b.decode("utf-8", "replace"))))
def test_any_text_as_a_mapping(peak_before, text):
    try:
        timed(parse_mapping, text, filename="mapping.yaml")
    except ImportFailed as error:
        assert str(error).startswith("mapping.yaml: ")


def test_the_seeds_are_what_they_claim():
    """The fuzzing starts from files the readers accept (so mutations reach deep into them)."""
    assert read_export(VALID_CSV, filename="upload.csv").format == "long"
    assert zipfile.ZipFile(io.BytesIO(VALID_XLSX)).namelist()[-1] == "xl/worksheets/sheet1.xml"
    assert check_workbook(VALID_XLSX, name="x.xlsx", limits=SMALL).cells == 6
