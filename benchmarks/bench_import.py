"""Importing a large export into SQLite, against the plainest possible load of the same data.

Builds a 100,000-response, 16-topic export (a wide CSV, and a Qualtrics CSV with its three
header rows and personal-data columns), then measures

- the toolkit: `read_export` + `import_export` into a fresh, migrated SQLite database (format
  detection, decoding, validation against the assessment, duplicate check, responses, ratings
  and summary tables, one transaction, committed);
- the reference: `pandas.read_csv` of the same file plus a plain `sqlite3` `executemany` of the
  same ratings into a table shaped like the toolkit's `rating` table, committed.

Target: the import takes at most 3x the reference. Prints a RESULT line per file for
`benchmarks/run_all.py`. Each side runs `--repeat` times (default 3), interleaved, and the
best time of each counts. `--quick` uses 10,000 responses; `--responses N` sets the size.
"""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from survey.assessments import create_assessment, load_index
from survey.catalog import load_catalog
from survey.db import create_db_engine, transaction
from survey.importers import import_export, read_export

ROOT = Path(__file__).resolve().parent.parent

TARGET = 3.0
RATING_TABLE = (
    "CREATE TABLE rating (response_id INTEGER NOT NULL, dimension_id INTEGER NOT NULL, "
    "topic_id INTEGER NOT NULL, value INTEGER, PRIMARY KEY (response_id, dimension_id, topic_id))"
)


def answers(n: int, topics: int, rng: np.random.Generator) -> np.ndarray:
    values = rng.integers(1, 6, size=(n, topics)).astype(str).astype(object)
    values[rng.random((n, topics)) < 0.05] = "dont_know"
    values[rng.random((n, topics)) < 0.03] = ""
    return values


def write_wide(path: Path, n: int, topics: list[str], groups: list[str], rng: np.random.Generator) -> None:
    frame = pd.DataFrame(answers(n, len(topics), rng), columns=topics)
    frame.insert(
        0, "submitted_at", pd.Timestamp("2020-03-01") + pd.to_timedelta(rng.integers(0, 3e6, n), "s")
    )
    frame.insert(0, "group", rng.choice(groups, n))
    frame.insert(0, "response_id", [f"R{i:07d}" for i in range(n)])
    frame.to_csv(path, index=False)


def write_qualtrics(
    path: Path, n: int, topics: list[str], groups: list[str], rng: np.random.Generator
) -> None:
    meta = [
        "StartDate",
        "EndDate",
        "Status",
        "IPAddress",
        "Progress",
        "Finished",
        "RecordedDate",
        "ResponseId",
    ]
    meta += ["RecipientEmail", "LocationLatitude", "LocationLongitude", "UserLanguage"]
    questions = [f"Q1_{j + 1}" for j in range(len(topics))]
    ids = [*meta, *questions, "Q2"]
    labels = [*meta, *(f"请评价以下议题对您的重要性。 - {t}" for t in topics), "您属于哪一类利益相关方？"]
    import_ids = [json.dumps({"ImportId": m[0].lower() + m[1:]}) for m in meta]
    import_ids[meta.index("ResponseId")] = json.dumps({"ImportId": "_recordId"})
    import_ids += [json.dumps({"ImportId": f"QID1_{j + 1}"}) for j in range(len(topics))]
    import_ids += [json.dumps({"ImportId": "QID2"})]
    values = answers(n, len(topics), rng)
    values[values == "dont_know"] = "99"
    times = (pd.Timestamp("2020-03-01") + pd.to_timedelta(rng.integers(0, 3e6, n), "s")).astype(str)
    group_codes = rng.integers(1, len(groups) + 1, n)
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows([ids, labels, import_ids])
        for i in range(n):
            writer.writerow(
                [times[i], times[i], "IP Address", f"203.0.113.{i % 250}", "100", "True", times[i],
                 f"R_{i:015d}", f"person{i}@example.com", "31.23", "121.47", "ZH-S",
                 *values[i], str(group_codes[i])]
            )  # fmt: skip
    mapping = {
        "group_column": "QID2",
        "group_values": {str(k + 1): g for k, g in enumerate(groups)},
        "topics": {f"QID1_{j + 1}": t for j, t in enumerate(topics)},
        "missing": ["99"],
    }
    path.with_suffix(".yaml").write_text(json.dumps(mapping), encoding="utf-8")


def toolkit_import(path: Path, database: Path, mapping: Path | None) -> tuple[float, int]:
    engine = create_db_engine(f"sqlite:///{database}")
    with transaction(engine) as session:
        create_assessment(session=session, key="2020", year=2020, catalog=load_catalog())
    start = time.perf_counter()
    parsed = read_export(path, mapping=mapping)
    with transaction(engine) as session:
        index = load_index(session=session, assessment_key="2020")
        summary = import_export(session=session, index=index, parsed=parsed)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed, summary.ratings


def reference_load(
    path: Path, database: Path, header_rows: int, first_topic: int, n_topics: int
) -> tuple[float, int]:
    connection = sqlite3.connect(database)
    connection.execute(RATING_TABLE)
    connection.commit()
    start = time.perf_counter()
    frame = pd.read_csv(path, skiprows=range(1, header_rows), dtype=str, keep_default_na=False)
    cells = frame.iloc[:, first_topic : first_topic + n_topics].to_numpy()
    response, topic = np.nonzero(cells != "")
    raw = cells[response, topic]
    known = (raw != "dont_know") & (raw != "99")
    values = np.where(known, raw, "0").astype(np.int64).astype(object)
    values[~known] = None
    rows = list(zip(response.tolist(), [1] * len(response), topic.tolist(), values.tolist(), strict=True))
    connection.executemany("INSERT INTO rating VALUES (?, ?, ?, ?)", rows)
    connection.commit()
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed, len(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 responses")
    parser.add_argument("--responses", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts (default 3)")
    args = parser.parse_args()
    n = args.responses or (10_000 if args.quick else 100_000)
    catalog = load_catalog()
    topics = [t.key for t in catalog.topics]
    groups = [g.key for g in catalog.groups if g.dimension == "importance"]
    rng = np.random.default_rng(2020)
    met = True
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        cases = []
        wide = tmp / "wide.csv"
        write_wide(wide, n, topics, groups, rng)
        cases.append(("wide CSV", wide, None, 1, 3))
        qualtrics = tmp / "qualtrics.csv"
        write_qualtrics(qualtrics, n, topics, groups, rng)
        cases.append(("Qualtrics CSV", qualtrics, qualtrics.with_suffix(".yaml"), 3, 12))
        for label, path, mapping, header_rows, first_topic in cases:
            size_mb = path.stat().st_size / 1e6
            measured = reference = float("inf")
            for attempt in range(args.repeat):  # interleaved, best of each: the machine is shared
                database = tmp / f"toolkit-{path.stem}-{attempt}.db"
                seconds, ratings = toolkit_import(path, database, mapping)
                measured = min(measured, seconds)
                database.unlink()
                database = tmp / f"reference-{path.stem}-{attempt}.db"
                seconds, reference_ratings = reference_load(
                    path, database, header_rows, first_topic, len(topics)
                )
                reference = min(reference, seconds)
                database.unlink()
            assert ratings == reference_ratings, (ratings, reference_ratings)
            ratio = measured / reference
            ok = ratio <= TARGET
            met &= ok
            print(
                f"{label}: {n:,} responses x {len(topics)} topics, {size_mb:.1f} MB, {ratings:,} ratings; "
                f"import {measured:.2f} s, read_csv + executemany {reference:.2f} s (best of {args.repeat}), "
                f"ratio {ratio:.2f} (target <= {TARGET:g})"
            )
            size = f"{n:,} responses x {len(topics)} topics ({size_mb:.0f} MB)"
            cells = [f"import {label} into SQLite", size, f"{measured:.2f} s", f"{reference:.2f} s"]
            cells += [f"{ratio:.2f}x", f"<= {TARGET:g}x", "yes" if ok else "no"]
            print("RESULT | " + " | ".join(cells))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
