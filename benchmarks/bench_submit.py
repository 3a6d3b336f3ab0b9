"""Submission throughput of the store on SQLite, against plain `sqlite3` writing the same rows.

Each response is one transaction (as a web submission is): the response row, 16 ratings and a
comment. Measured sequentially and with several threads at once, for

- `responses.record_response` inside `survey.db.transaction` (the target: at least 0.25 of plain
  sqlite3), and
- the survey page's whole `responding.submit` (link lookup, checks, claiming the link), for
  information.

The reference is a plain `sqlite3` loop on a copy of the same empty, migrated database, with
the same settings (WAL, synchronous=NORMAL, foreign keys on) and one ``BEGIN IMMEDIATE`` ...
``COMMIT`` per response.

    python -m benchmarks.bench_submit [--quick] [--responses N] [--threads T] [--repeats R]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from survey.assessments import create_assessment, load_index, set_status
from survey.catalog import load_catalog
from survey.db import create_db_engine, transaction
from survey.issuing import issue_invitations
from survey.responding import Answers, submit
from survey.responses import RatingIn, ResponseIn, record_response

TARGET = 0.25
GROUP, CHANNEL = "clients", "Official website"


def build_database(folder: Path, name: str) -> Path:
    path = folder / name
    engine = create_db_engine(f"sqlite:///{path}")
    with transaction(engine) as session:
        create_assessment(session=session, key="bench", year=2024, catalog=load_catalog())
        set_status(session=session, key="bench", status="open")
    engine.dispose()
    return path


def synthetic_answers(n: int, topics: list[str]) -> list[dict[str, int | None]]:
    """Deterministic ratings: a cycle over the scale, every seventh rating "don't know"."""
    return [
        {t: None if (i + j) % 7 == 0 else 1 + (i * 3 + j) % 5 for j, t in enumerate(topics)} for i in range(n)
    ]


def run_threads(work: Callable[[int, int], None], n: int, threads: int) -> float:
    """Run `work(start, stop)` on `threads` slices of range(n) at once; seconds taken."""
    bounds = [(n * k // threads, n * (k + 1) // threads) for k in range(threads)]
    workers = [threading.Thread(target=work, args=b) for b in bounds]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - started


def plain_sqlite(path: Path, ids: dict, answers: list[dict], threads: int) -> float:
    """The reference: sqlite3 inserting the same rows, one transaction per response."""
    now = "2024-10-01 00:00:00.000000"
    comment_topic = ids["topics"][next(iter(answers[0]))]

    def work(start: int, stop: int) -> None:
        connection = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        for pragma in ("foreign_keys = ON", "busy_timeout = 30000", "synchronous = NORMAL"):
            connection.execute(f"PRAGMA {pragma}")
        for i in range(start, stop):
            connection.execute("BEGIN IMMEDIATE")
            response_id = connection.execute(
                "INSERT INTO response (assessment_id, group_id, channel_id, invitation_id, via_open_link, "
                "source, source_response_id, language, submitted_at, aggregated) "
                "VALUES (?, ?, ?, NULL, 0, 'web', NULL, 'en', ?, 0) RETURNING id",
                (ids["assessment"], ids["group"], ids["channel"], now),
            ).fetchone()[0]
            connection.executemany(
                "INSERT INTO rating (response_id, dimension_id, topic_id, value) VALUES (?, ?, ?, ?)",
                [(response_id, ids["dimension"], ids["topics"][t], v) for t, v in answers[i].items()],
            )
            connection.execute(
                "INSERT INTO comment (response_id, topic_id, text) VALUES (?, ?, ?)",
                (response_id, comment_topic, f"comment {i}"),
            )
            connection.execute("COMMIT")
        connection.close()

    return run_threads(work, len(answers), threads)


def store_record(path: Path, answers: list[dict], threads: int) -> float:
    engine = create_db_engine(f"sqlite:///{path}")
    with transaction(engine, write=False) as session:
        index = load_index(session=session, assessment_key="bench")
    first_topic = next(iter(answers[0]))
    responses = [
        ResponseIn(
            group=GROUP,
            channel=CHANNEL,
            ratings=[RatingIn(topic=t, value=v) for t, v in a.items()],
            comments={first_topic: f"comment {i}"},
            language="en",
        )
        for i, a in enumerate(answers)
    ]

    def work(start: int, stop: int) -> None:
        for i in range(start, stop):
            with transaction(engine) as session:
                record_response(session=session, index=index, response_in=responses[i])

    seconds = run_threads(work, len(responses), threads)
    engine.dispose()
    return seconds


def page_submit(path: Path, answers: list[dict], threads: int) -> float:
    engine = create_db_engine(f"sqlite:///{path}")
    with transaction(engine) as session:
        links = issue_invitations(
            session=session, assessment_key="bench", group=GROUP, count=len(answers), channel=CHANNEL
        )
    first_topic = next(iter(answers[0]))
    given = [Answers(ratings=a, comments={first_topic: f"comment {i}"}) for i, a in enumerate(answers)]

    def work(start: int, stop: int) -> None:
        for i in range(start, stop):
            with transaction(engine) as session:
                submit(session=session, token=links[i].token, answers=given[i])

    seconds = run_threads(work, len(given), threads)
    engine.dispose()
    return seconds


def count_rows(path: Path) -> tuple[int, int, int]:
    with sqlite3.connect(path) as connection:
        return tuple(  # type: ignore[return-value]
            connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("response", "rating", "comment")
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer responses")
    parser.add_argument("--responses", type=int, default=None)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3, help="runs of plain and store each; best counts")
    args = parser.parse_args(argv)
    n = args.responses or (400 if args.quick else 3000)
    folder = Path(tempfile.mkdtemp(prefix="bench_submit_"))
    try:
        template = build_database(folder, "template.db")
        engine = create_db_engine(f"sqlite:///{template}")
        with transaction(engine, write=False) as session:
            index = load_index(session=session, assessment_key="bench")
        engine.dispose()
        ids = {
            "assessment": index.assessment.id,
            "group": index.groups[GROUP],
            "channel": index.channels[(GROUP, CHANNEL)],
            "dimension": index.dimensions["importance"],
            "topics": index.topics,
        }
        answers = synthetic_answers(n, list(index.topics))
        size = f"{n} responses x {len(index.topics)} ratings + 1 comment"
        print(f"{size}; {args.threads} threads for the concurrent runs; SQLite {sqlite3.sqlite_version}")
        results = []
        expected = (n, n * len(index.topics), n)
        for label, threads in (("sequential", 1), (f"{args.threads} threads", args.threads)):
            timings: dict[str, float] = {}
            # The machine may be shared: plain and store runs alternate, and the best of each counts.
            plan = [("plain", None), ("record", store_record)] * args.repeats + [("submit", page_submit)]
            for attempt, (name, run) in enumerate(plan):
                path = folder / f"{name}-{threads}-{attempt}.db"
                shutil.copy(template, path)
                if run is None:
                    seconds = plain_sqlite(path, ids, answers, threads)
                else:
                    seconds = run(path, answers, threads)
                stored = count_rows(path)
                if stored != expected:
                    print(f"{name} {label}: stored {stored}, expected {expected}", file=sys.stderr)
                    return 1
                path.unlink()
                timings[name] = min(seconds, timings.get(name, float("inf")))
            rate = {k: n / v for k, v in timings.items()}
            print(
                f"{label:>12}: plain sqlite3 {rate['plain']:8.0f}/s, record_response {rate['record']:8.0f}/s "
                f"(ratio {rate['record'] / rate['plain']:.2f}), page submit {rate['submit']:8.0f}/s "
                f"(ratio {rate['submit'] / rate['plain']:.2f})"
            )
            results.append((label, rate))
        for label, rate in results:
            for name, what, target in (
                ("record", "record_response", f">= {TARGET}"),
                ("submit", "survey page submit", "(information)"),
            ):
                ratio = rate[name] / rate["plain"]
                met = ("yes" if ratio >= TARGET else "no") if name == "record" else "-"
                print(
                    f"RESULT | submit: {what}, {label} (SQLite) | {size} | {rate[name]:.0f} responses/s "
                    f"| {rate['plain']:.0f} responses/s (plain sqlite3) | {ratio:.2f} | {target} | {met}"
                )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
