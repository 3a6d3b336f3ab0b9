"""Load: 32 concurrent submitters for 60 s plus a reader rerunning the analysis, on a SQLite file
and on PostgreSQL (when MATERIALITY_TEST_POSTGRES_URL or --postgres gives a server; loopback only).

Prints throughput and latency percentiles of the submissions, how many analyses ran meanwhile,
and whether the database afterwards holds exactly the acknowledged responses with aggregates
equal to a recount and no partial snapshot (see load_driver.py). Targets: every response kept
(exact), submission p95 under 2 s while the analysis runs.

    python -m benchmarks.bench_load [--quick] [--submitters N] [--seconds S] [--postgres URL]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text

from benchmarks.load_driver import run_load, verify
from survey.db import normalise_url
from survey.settings import Settings

P95_TARGET_MS = 2000


def postgres_schema(url: str) -> tuple[str, Callable[[], None]]:
    """A fresh schema on the server at `url`; the URL that uses it and a function dropping it."""
    url = normalise_url(url)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}", drop


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 submitters for 10 s")
    parser.add_argument("--submitters", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument(
        "--postgres", default=None, help="PostgreSQL URL (default: MATERIALITY_TEST_POSTGRES_URL)"
    )
    args = parser.parse_args(argv)
    submitters = args.submitters or (8 if args.quick else 32)
    seconds = args.seconds or (10 if args.quick else 60)
    links = int(seconds * 400) + 1000  # more than this machine can use: the run is bounded by time
    size = f"{submitters} submitters x {seconds:g} s + reader"
    postgres = args.postgres or Settings().test_postgres_url
    backends = ["SQLite"] + (["PostgreSQL"] if postgres else [])
    failed = False
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
            if backend == "SQLite":
                url, drop = f"sqlite:///{Path(folder) / 'load.db'}", None
            else:
                url, drop = postgres_schema(postgres)
            try:
                run = run_load(url, backend, submitters=submitters, seconds=seconds, links=links)
                problems = verify(url, run)
            finally:
                if drop:
                    drop()
        print(run.summary())
        for problem in problems[:10]:
            print(f"  PROBLEM {problem}")
        for error in sorted(set(run.errors))[:5]:
            print(f"  SUBMISSION ERROR ({run.errors.count(error)}x) {error[:300]}")
        for error in sorted(set(run.reader_errors))[:5]:
            print(f"  ANALYSIS ERROR ({run.reader_errors.count(error)}x) {error[:300]}")
        sound = not problems and not run.errors and not run.reader_errors
        failed |= not sound
        p95 = run.percentile_ms(95)
        print(
            f"RESULT | load: submissions ({backend}) | {size} | {run.throughput:.0f} responses/s "
            f"({len(run.acknowledged):,}) | - | - | - | -"
        )
        print(
            f"RESULT | load: submit latency p50/p95/p99 ({backend}) | {size} | {run.percentile_ms(50):.0f} / "
            f"{p95:.0f} / {run.percentile_ms(99):.0f} ms | - | - | p95 < {P95_TARGET_MS} ms | "
            f"{'yes' if p95 < P95_TARGET_MS else 'no'}"
        )
        print(
            f"RESULT | load: stored = acknowledged, aggregates = recount ({backend}) | "
            f"{len(run.snapshots)} analyses | {len(problems)} problems | - | - | 0 | "
            f"{'yes' if sound else 'no'}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
