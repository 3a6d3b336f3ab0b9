"""Double materiality: scoring and storing registers of 40, 400 and 4,000 IROs.

Synthetic registers (the four IRO types and both statuses in turn, one in five concerning human
rights) rated by 5 assessors on every criterion that applies, each rating with a rationale.
Measured, in one run:

- `score_dma` alone (the checks of every input row, the scores at the mean and at both ends of
  the assessors' range, the topic and sub-topic tables); target: under 2 s at 4,000 IROs
  (50,000 ratings), growing no faster than the number of ratings;
- the whole path of `materiality iro ratings` and of the scoring from the store: importing the
  ratings file into a fresh SQLite file (all rows checked, then written), then reading
  everything back and scoring it (`services.dma.dma_inputs` + `score`); target: under 10 s
  for the import of 50,000 ratings.

Usage: python -m benchmarks.bench_dma [--quick]   (--quick: 40 and 400 IROs)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.dma import score_dma
from analysis.dma_method import IRO_STATUSES, IRO_TYPES, DmaThresholds, applicable_criteria
from services import dma
from services.assessments import create_assessment
from survey.db import create_db_engine
from survey.iro_catalog import load_named_catalog, matter_catalog

ASSESSORS = 5
TOPICS = [t.key for t in matter_catalog().topics]
KINDS = [(t, s) for t in IRO_TYPES for s in IRO_STATUSES]


def synthetic(n_iros: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    register = pd.DataFrame(
        {
            "iro": [f"I{i:05d}" for i in range(n_iros)],
            "topic": [TOPICS[i % len(TOPICS)] for i in range(n_iros)],
            "sub_topic": [f"sub {i % 7}" for i in range(n_iros)],
            "type": [KINDS[i % len(KINDS)][0] for i in range(n_iros)],
            "status": [KINDS[i % len(KINDS)][1] for i in range(n_iros)],
            "value_chain": "own_operations",
            "horizon": "medium",
            "human_rights": ["yes" if i % 5 == 0 else "no" for i in range(n_iros)],
            "description": [f"synthetic IRO {i}" for i in range(n_iros)],
        }
    )
    rows = [
        (f"assessor {a}", iro, criterion, int(rng.integers(1, 6)), f"assessor {a} on {criterion} of {iro}")
        for iro, kind, status in zip(register["iro"], register["type"], register["status"], strict=True)
        for criterion in applicable_criteria(kind, status)
        for a in range(ASSESSORS)
    ]
    return register, pd.DataFrame(rows, columns=["assessor", "iro", "criterion", "value", "rationale"])


def seconds(action, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def main(sizes: list[int]) -> None:
    thresholds = DmaThresholds(impact=3.0, financial=3.0)
    print(f"{'IROs':>6} {'ratings':>8} {'score_dma s':>12} {'import s':>9} {'read+score s':>13}")
    base = None
    for n in sizes:
        register, ratings = synthetic(n)
        scoring = seconds(
            lambda r=register, x=ratings: score_dma(r, x, thresholds=thresholds, topic_order=TOPICS)
        )
        with tempfile.TemporaryDirectory() as folder:
            engine = create_db_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
            create_assessment(engine=engine, key="b", year=2025, catalog=load_named_catalog("esrs-2023"))
            register.to_csv(Path(folder) / "register.csv", index=False)
            ratings.to_csv(Path(folder) / "ratings.csv", index=False)
            dma.import_register(
                engine=engine, assessment_key="b", path=Path(folder) / "register.csv", actor="bench"
            )
            started = time.perf_counter()
            dma.import_ratings(
                engine=engine, assessment_key="b", path=Path(folder) / "ratings.csv", actor="bench"
            )
            imported = time.perf_counter() - started
            from_store = seconds(lambda e=engine: dma.score(dma.dma_inputs(engine=e, assessment_key="b")))
            engine.dispose()
        base = base or (n, len(ratings), scoring)
        last = (imported, from_store)
        print(f"{n:>6} {len(ratings):>8} {scoring:>12.3f} {imported:>9.2f} {from_store:>13.3f}")
    n0, r0, s0 = base
    imported, from_store = last
    size = f"{n:,} IROs, {len(ratings):,} ratings"
    print(
        f"score_dma: x{len(ratings) / r0:.0f} ratings -> x{scoring / s0:.1f} time "
        f"({scoring:.3f} s at {n} IROs; target under 2 s at 4,000)"
    )
    print(
        f"RESULT | dma scoring | {size} | {scoring:.2f} s | {s0:.2f} s at {n0} IROs | "
        f"x{scoring / s0:.1f} for x{len(ratings) / r0:.0f} ratings | < 2 s | {'yes' if scoring < 2 else 'no'}"
    )
    print(
        f"RESULT | dma ratings import | {size} | {imported:.2f} s | read and score {from_store:.2f} s | "
        f"{len(ratings) / imported:,.0f} ratings/s | < 10 s | {'yes' if imported < 10 else 'no'}"
    )


if __name__ == "__main__":
    main([40, 400] if "--quick" in sys.argv else [40, 400, 4000])
