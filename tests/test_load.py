"""Short load test: submitters and a reader running the analysis at the same time, on a SQLite
file and on PostgreSQL. Afterwards the database holds exactly the acknowledged responses, the
summary tables equal a recount, and no analysis saw part of a response. The long form with
figures is `benchmarks/bench_load.py`."""

from __future__ import annotations

import pytest

from benchmarks.load_driver import run_load, verify

pytestmark = pytest.mark.slow

SUBMITTERS = 12
SECONDS = 8
LINKS = 6000  # more than 8 s can use on this machine: the run is bounded by time


def test_submissions_and_analysis_under_load(db_url):
    backend = "sqlite" if db_url.startswith("sqlite") else "postgres"
    run = run_load(db_url, backend, submitters=SUBMITTERS, seconds=SECONDS, links=LINKS)
    print(run.summary())
    assert run.errors == [] and run.reader_errors == []
    assert len(run.acknowledged) > 100, run.summary()
    assert len(run.snapshots) >= 3, run.summary()
    # the reader saw the count grow while submissions went on
    assert run.snapshots[-1].respondents > run.snapshots[0].respondents
    assert verify(db_url, run) == []
