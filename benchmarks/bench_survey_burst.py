"""A company-wide send over real HTTP: respondents open their survey links and submit at the same
moment against running app servers, while a committee member opens the sign-in page.

SQLite: 100 respondents on one server process. PostgreSQL (when MATERIALITY_TEST_POSTGRES_URL or
--postgres gives a server): 500 respondents on --processes server processes (default 2, the
README's recommendation for two cores), the respondents spread over them as a load balancer
would. Prints throughput and latency percentiles (see survey_burst.py) and checks that every
link was stored exactly once with the answers sent. Targets: p95 under 2 s for the page and for
the submission, the sign-in page drawn within 5 s.

    python -m benchmarks.bench_survey_burst [--quick] [--respondents N] [--postgres URL]
        [--pg-respondents N] [--processes N] [--no-browser]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from benchmarks.bench_load import postgres_schema
from benchmarks.survey_burst import app_servers, prepare, run_burst, verify
from survey.settings import Settings

P95_TARGET_S = 2.0
SIGN_IN_TARGET_S = 5.0


def measure(label: str, url: str, respondents: int, processes: int, workdir: Path, browser: bool) -> bool:
    tokens, topics = prepare(url, respondents)
    with app_servers(url, workdir, processes) as bases:
        burst = run_burst(bases, tokens, topics, sign_in=browser)
    problems = verify(url, tokens, topics)
    print(f"{label}: {burst.summary()}")
    for problem in problems + burst.errors[:5]:
        print(f"  PROBLEM: {problem}")
    size = f"{respondents} respondents, {processes} process(es), {len(topics)} topics"
    page95, submit95 = burst.percentile(burst.pages, 95), burst.percentile(burst.submissions, 95)
    ok = not problems and not burst.errors
    print(f"RESULT | survey burst {label} page p95 | {size} | {page95:.2f} s | - | - | < {P95_TARGET_S} s | "
          f"{'yes' if ok and page95 < P95_TARGET_S else 'no'}")  # fmt: skip
    print(f"RESULT | survey burst {label} submission p95 | {size} | {submit95:.2f} s | - | - | "
          f"< {P95_TARGET_S} s | {'yes' if ok and submit95 < P95_TARGET_S else 'no'}")  # fmt: skip
    print(f"RESULT | survey burst {label} throughput | {size} | {burst.throughput:.1f}/s | - | - | "
          f"every link once | {'yes' if ok else 'no'}")  # fmt: skip
    if burst.sign_in_seconds is not None:
        drawn = burst.sign_in_seconds
        print(f"RESULT | survey burst {label} sign-in drawn | {size} | {drawn:.2f} s | - | - | "
              f"< {SIGN_IN_TARGET_S} s | {'yes' if drawn < SIGN_IN_TARGET_S else 'no'}")  # fmt: skip
    return ok


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 respondents (SQLite), 100 (PostgreSQL)")
    parser.add_argument("--respondents", type=int, default=100)
    parser.add_argument("--pg-respondents", type=int, default=500)
    parser.add_argument("--processes", type=int, default=2, help="server processes on PostgreSQL")
    parser.add_argument("--postgres", default=Settings().test_postgres_url)
    parser.add_argument("--no-browser", action="store_true", help="do not time the sign-in page")
    args = parser.parse_args(argv)
    sqlite_n, pg_n = (20, 100) if args.quick else (args.respondents, args.pg_respondents)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ok &= measure("SQLite", f"sqlite:///{work / 'burst.db'}", sqlite_n, 1, work, not args.no_browser)
        if args.postgres:
            url, drop = postgres_schema(args.postgres)
            try:
                ok &= measure("PostgreSQL", url, pg_n, args.processes, work, not args.no_browser)
            finally:
                drop()
        else:
            print("PostgreSQL: skipped (no MATERIALITY_TEST_POSTGRES_URL or --postgres)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
