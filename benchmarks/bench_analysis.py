"""The full analysis from the store, at 10,000 and 1,000,000 stakeholder responses.

An assessment with N stakeholder responses x 16 topics plus 1,000 management responses is
written to a SQLite file (cached under /tmp so reruns are quick), with its summary tables.
Measured, in one run:

- the full analysis from the store: `load_assessment_data` in a transaction, then `analyse`
  (scores, intervals from 1,000 resamples, tiers and p_tier, agreement, method record);
  target: under 0.5 s at 1,000,000 responses, and less than 2x growth from 10,000;
- for comparison, reading the same ratings as a CSV export into pandas and computing only
  the group means.

Usage: python -m benchmarks.bench_analysis [--quick]   (--quick: 10,000 and 100,000)
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.method import MethodConfig
from analysis.pipeline import analyse
from core.aggregates import summarise_ratings
from survey.assessments import create_assessment, load_index
from survey.catalog import load_catalog
from survey.db import create_db_engine, transaction
from survey.reads import load_assessment_data

ROOT = Path(__file__).resolve().parent.parent

CACHE = Path("/tmp/materiality-bench")
KEY = "bench"
MANAGEMENT = 1_000
CHUNK = 100_000
REPEATS = 7
# share of stakeholder responses per group, roughly as in the model report's demo
SHARES = {
    "regulators": 0.02,
    "investors": 0.06,
    "clients": 0.30,
    "employees": 0.44,
    "suppliers": 0.10,
    "media_ngos": 0.03,
    "community": 0.05,
}


def build(path: Path, n_stakeholders: int) -> None:
    """Write the assessment straight into SQLite (the store's bulk layout) and its aggregates."""
    catalog = load_catalog()
    partial = path.with_suffix(".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    engine = create_db_engine(f"sqlite:///{partial}")
    with transaction(engine) as session:
        create_assessment(session=session, key=KEY, year=2021, catalog=catalog)
        index = load_index(session=session, assessment_key=KEY)
    engine.dispose()
    aid = index.assessment.id
    topics = [t.key for t in catalog.topics]
    topic_ids = np.array([index.topics[t] for t in topics])
    focus = {(f.group, f.topic) for f in catalog.focus_areas if f.topic}
    rng = np.random.default_rng(2021)
    level = rng.uniform(2.8, 4.3, size=len(topics))
    counts = {g: int(round(share * n_stakeholders)) for g, share in SHARES.items()}
    counts["employees"] += n_stakeholders - sum(counts.values())
    counts["management"] = MANAGEMENT
    plan = []  # (group, dimension, how many)
    for group, total in counts.items():
        for start in range(0, total, CHUNK):
            plan.append(
                (
                    group,
                    "business_impact" if group == "management" else "importance",
                    min(CHUNK, total - start),
                )
            )

    connection = sqlite3.connect(partial, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("BEGIN IMMEDIATE")
    next_id = 1
    parts = []
    for group, dimension, size in plan:
        ids = np.arange(next_id, next_id + size)
        next_id += size
        bonus = np.array([0.5 * ((group, t) in focus) for t in topics])
        values = np.rint(
            level + bonus + rng.normal(0, 0.4, (size, 1)) + rng.normal(0, 0.8, (size, len(topics)))
        )
        values = np.clip(values, 1, 5)
        values[rng.random(values.shape) < 0.03] = np.nan
        connection.executemany(
            "INSERT INTO response (id, assessment_id, group_id, via_open_link, source, source_response_id, "
            "submitted_at, aggregated) VALUES (?, ?, ?, 0, 'bench', ?, '2021-10-01 00:00:00.000000', 1)",
            ((int(i), aid, index.groups[group], f"b{i}") for i in ids),
        )
        respondent = np.repeat(ids, len(topics))
        topic = np.tile(topic_ids, size)
        flat = values.reshape(-1)
        dimension_id = index.dimensions[dimension]
        connection.executemany(
            "INSERT INTO rating (response_id, dimension_id, topic_id, value) VALUES (?, ?, ?, ?)",
            zip(
                respondent.tolist(),
                [dimension_id] * len(flat),
                topic.tolist(),
                [None if np.isnan(v) else int(v) for v in flat.tolist()],
                strict=True,
            ),
        )
        a = summarise_ratings(
            pd.DataFrame(
                {
                    "respondent": respondent,
                    "group": index.groups[group],
                    "dimension": dimension_id,
                    "topic": topic,
                    "value": flat,
                }
            )
        )
        parts.append(a)
        print(f"  {path.name}: {next_id - 1:,} responses written", flush=True)

    def total(frames: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
        return pd.concat(frames, ignore_index=True).groupby(keys, sort=True).sum().reset_index()

    histogram = total([p.histogram for p in parts], ["group", "dimension", "topic", "value"])
    moments = total([p.moments for p in parts], ["group", "dimension", "topic_a", "topic_b"])
    dont_know = total([p.dont_know for p in parts], ["group", "dimension", "topic"])
    respondents = total([p.respondents for p in parts], ["group", "dimension"])
    summaries = {
        "rating_histogram (assessment_id, group_id, dimension_id, topic_id, value, n)": histogram,
        "rating_moment (assessment_id, group_id, dimension_id, topic_a, topic_b, n, sum_a, sum_b, sum_ab)": (
            moments
        ),
        "rating_tally (assessment_id, group_id, dimension_id, topic_id, n_dont_know)": dont_know,
        "group_tally (assessment_id, group_id, dimension_id, n_respondents)": respondents,
    }
    for table, frame in summaries.items():
        marks = ", ".join("?" * (len(frame.columns) + 1))
        rows = [
            (aid, *(x.item() if hasattr(x, "item") else x for x in r)) for r in frame.itertuples(index=False)
        ]
        connection.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
    connection.execute("COMMIT")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.execute("ANALYZE")
    connection.close()
    partial.rename(path)


def export_csv(db: Path, csv: Path) -> None:
    """The ratings as a survey tool or spreadsheet export would hold them, keyed by catalog keys."""
    partial = csv.with_suffix(".partial")
    connection = sqlite3.connect(db)
    cursor = connection.execute(
        "SELECT r.response_id, g.key, d.key, t.key, r.value FROM rating r "
        "JOIN response p ON p.id = r.response_id JOIN stakeholder_group g ON g.id = p.group_id "
        "JOIN dimension d ON d.id = r.dimension_id JOIN topic t ON t.id = r.topic_id"
    )
    header = True
    while batch := cursor.fetchmany(1_000_000):
        frame = pd.DataFrame(batch, columns=["respondent", "group", "dimension", "topic", "value"])
        frame["value"] = frame["value"].astype("Int64")
        frame.to_csv(partial, mode="w" if header else "a", header=header, index=False)
        header = False
    connection.close()
    partial.rename(csv)


def database(n_stakeholders: int) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"analysis-{n_stakeholders}.db"
    if not path.exists():
        print(f"Building {path} ({n_stakeholders:,} + {MANAGEMENT:,} responses x 16 topics) ...", flush=True)
        started = time.perf_counter()
        build(path, n_stakeholders)
        print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def time_analysis(path: Path, *, response_counts: bool) -> tuple[list[float], list[float], object]:
    """Wall time of load + analyse, and of the load alone, over REPEATS runs (the engine is opened
    once, as the app and any long-running process keep it)."""
    engine = create_db_engine(f"sqlite:///{path}")
    method = MethodConfig(resamples=1000)
    totals, loads = [], []
    result = None
    for _ in range(REPEATS):
        started = time.perf_counter()
        with transaction(engine) as session:
            data = load_assessment_data(session=session, assessment_key=KEY, response_counts=response_counts)
        loaded = time.perf_counter()
        result = analyse(data, method)
        finished = time.perf_counter()
        totals.append(finished - started)
        loads.append(loaded - started)
    engine.dispose()
    return totals, loads, result


def time_csv(csv: Path) -> float:
    started = time.perf_counter()
    frame = pd.read_csv(csv)
    means = frame.dropna(subset=["value"]).groupby(["group", "topic"])["value"].mean()
    assert len(means) == 8 * 16
    return time.perf_counter() - started


def main(args: list[str]) -> int:
    sizes = [10_000, 100_000] if "--quick" in args else [10_000, 1_000_000]
    figures: dict[int, float] = {}
    with_counts: dict[int, float] = {}
    for n in sizes:
        path = database(n)
        totals, loads, result = time_analysis(path, response_counts=False)
        figures[n] = statistics.median(totals)
        size_mb = path.stat().st_size / 2**20
        tiers = result.topics["tier"].value_counts().to_dict()  # type: ignore[attr-defined]
        print(
            f"{n:>9,} stakeholder + {MANAGEMENT:,} management responses x 16 topics "
            f"({size_mb:,.0f} MiB SQLite): load + analyse median {figures[n] * 1000:.0f} ms "
            f"(load {statistics.median(loads) * 1000:.0f} ms, best {min(totals) * 1000:.0f} ms, "
            f"first {totals[0] * 1000:.0f} ms); tiers {tiers}",
            flush=True,
        )
        totals, loads, _ = time_analysis(path, response_counts=True)
        with_counts[n] = statistics.median(totals)
        print(
            f"{'':>9}   with the response counts per group and channel (a scan of the responses): "
            f"median {with_counts[n] * 1000:.0f} ms (load {statistics.median(loads) * 1000:.0f} ms)",
            flush=True,
        )
    small, large = sizes
    csv = CACHE / f"analysis-{large}.csv"
    if not csv.exists():
        print(f"Exporting {csv} ...", flush=True)
        export_csv(database(large), csv)
    csv_seconds = min(time_csv(csv) for _ in range(2))
    csv_mb = csv.stat().st_size / 2**20
    large_s, small_s = figures[large], figures[small]
    print(
        f"CSV export of the {large:,} responses ({csv_mb:,.0f} MiB) read into pandas, group means only: "
        f"{csv_seconds:.2f} s = {csv_seconds / large_s:.0f}x the full analysis from the store",
        flush=True,
    )
    label = f"{large:,} x 16 + {MANAGEMENT:,} mgmt"
    growth = large_s / small_s
    met = "yes" if large_s < 0.5 else "no"
    print(f"RESULT | analysis from store | {label} | {large_s:.3f} s | - | - | < 0.5 s | {met}")
    print(
        f"RESULT | analysis growth | {small:,} -> {large:,} | {large_s:.3f} s | {small_s:.3f} s | "
        f"{growth:.2f}x | < 2x | {'yes' if growth < 2 else 'no'}"
    )
    print(
        f"RESULT | analysis + response counts | {label} | {with_counts[large]:.3f} s | "
        f"{with_counts[small]:.3f} s | {with_counts[large] / with_counts[small]:.2f}x | (not a target) | -"
    )
    print(
        f"RESULT | CSV + pandas group means | {label} ({csv_mb:,.0f} MiB) | {csv_seconds:.2f} s | "
        f"{large_s:.3f} s | {csv_seconds / large_s:.0f}x slower | comparison | -"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
