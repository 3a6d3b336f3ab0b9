"""Imports from the app run in a child process with a memory limit: a file that needs more memory
stops the child with a plain message, the server process goes on, and nothing is written."""

from __future__ import annotations

import os
import resource

import pytest

from services.import_jobs import ImportRequest, ImportStopped, import_upload, preview_upload
from survey.db import create_db_engine
from survey.importers import ImportFailed
from tests.import_helpers import FIXTURES, database_snapshot, new_assessment


@pytest.fixture
def database(tmp_path, catalog):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = create_db_engine(url)
    new_assessment(engine, catalog)
    yield url, engine
    engine.dispose()


def request(url: str, data: bytes, filename: str = "long.csv") -> ImportRequest:
    return ImportRequest(database_url=url, assessment_key="2020", data=data, filename=filename)


def test_a_preview_and_an_import_in_a_child_with_progress(database):
    url, engine = database
    data = (FIXTURES / "long.csv").read_bytes()
    preview = preview_upload(request(url, data))
    assert preview.format == "long" and preview.failed is None and preview.summary is not None
    assert preview.summary.dry_run and preview.summary.added > 0
    assert list(preview.columns["id"])[:3] == ["response_id", "group", "topic"]
    seen: list[tuple[str, int, int]] = []
    summary = import_upload(request(url, data), progress=lambda *step: seen.append(step))
    assert summary.added == preview.summary.added and not summary.dry_run
    assert {stage for stage, _, _ in seen} >= {"reading", "writing"}
    assert seen[-1][0] == "writing" and seen[-1][1] == seen[-1][2] == summary.added
    again = preview_upload(request(url, data))
    assert again.summary is not None and again.summary.added == 0


def test_problems_come_back_whole_from_the_child(database):
    url, _ = database
    bad = b"response_id,group,topic,dimension,value\nr1,aliens,health_safety,importance,9\n"
    preview = preview_upload(request(url, bad, "bad.csv"))
    assert preview.summary is None and isinstance(preview.failed, ImportFailed)
    assert preview.failed.total == 2 and "bad.csv, row 2" in str(preview.failed)
    with pytest.raises(ImportFailed) as caught:
        preview_upload(request(url, b"", "empty.csv"))
    assert str(caught.value).startswith("empty.csv: 1 problem found") and caught.value.total == 1


@pytest.mark.slow
def test_an_upload_that_needs_more_memory_stops_the_child_not_the_server(database):
    url, engine = database
    before = database_snapshot(engine)
    # 900,000 rows of 180 distinct characters: 163 MB, within the file limits, but its cells
    # need more than the 700 MB the child may use
    data = b"response_id\n" + os.urandom(90 * 900_000).hex("\n", 90).encode() + b"\n"
    own_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ImportStopped) as caught:
        preview_upload(request(url, data, "huge.csv"), memory_mb=700)
    message = str(caught.value)
    assert message.startswith("huge.csv: the import")
    assert "memory" in message and "700 MB" in message and "nothing was written" in message
    del data
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - own_before < 400_000  # KB: this process
    assert database_snapshot(engine) == before
    # the server goes on: the next upload is read as usual
    preview = preview_upload(request(url, (FIXTURES / "long.csv").read_bytes()))
    assert preview.summary is not None and preview.summary.added > 0
