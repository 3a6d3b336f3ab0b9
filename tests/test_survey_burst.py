"""A company-wide send in short form, over real HTTP against `streamlit run app.py`: 100
respondents open their links and submit at the same moment on SQLite, every link lands exactly
once, page and submission p95 stay under 2 s, and the committee's sign-in page, opened in
Chromium during the burst, draws within 5 s. On PostgreSQL, two server processes share the
respondents (exactly once; the timings are the benchmark's, ``benchmarks/bench_survey_burst.py``)."""

from __future__ import annotations

import pytest

from benchmarks.survey_burst import app_servers, prepare, run_burst, verify


@pytest.mark.browser
def test_a_hundred_respondents_at_once_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'burst.db'}"
    tokens, topics = prepare(url, 100)
    with app_servers(url, tmp_path, 1) as bases:
        burst = run_burst(bases, tokens, topics)
    print(burst.summary())
    assert burst.errors == [] and burst.acknowledged == 100
    assert verify(url, tokens, topics) == []
    assert burst.percentile(burst.pages, 95) < 2.0, burst.summary()
    assert burst.percentile(burst.submissions, 95) < 2.0, burst.summary()
    assert burst.sign_in_seconds is not None and burst.sign_in_seconds < 5.0, burst.summary()


@pytest.mark.postgres
@pytest.mark.slow
def test_two_server_processes_on_postgresql_store_every_link_once(tmp_path, postgres_schema_url):
    url = postgres_schema_url
    tokens, topics = prepare(url, 150)
    with app_servers(url, tmp_path, 2) as bases:
        burst = run_burst(bases, tokens, topics, sign_in=False)
    print(burst.summary())
    assert burst.errors == [] and burst.acknowledged == 150
    assert verify(url, tokens, topics) == []
