"""Peak memory of reading and checking an export, against the file's size.

Writes a wide CSV of `--responses` rows (16 topics), then in a fresh child process per stage
measures the peak resident memory (its VmHWM, read as it exits) of

- baseline: the child importing the toolkit and doing nothing else;
- read: `read_export` of the file (decoding, parsing, mapping, personal data dropped);
- dry run: `read_export` + `import_export(dry_run=True)` into a fresh SQLite database.

Prints the file size, each peak, and (peak - baseline) / file size: memory follows the data kept
when this ratio stays the same as the file grows. Also reads the 1.5 KB corner workbook (cells at
A1 and XFD1048576) the same way. `--quick` uses 100,000 rows.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.bench_import import write_wide
from survey.catalog import load_catalog
from tests.hostile_files import corner_workbook, run_child

# Bounds on (peak - bare process) / file size, from the figures measured at 100,000 and 900,000
# rows (docs/hostile-files.md): a guard against memory growing with the file again.
RATIO_TARGETS = {"read": 15.0, "dry run": 30.0}
CORNER_TARGET_MB = 50  # the 1.5 KB corner workbook is refused within this much memory

CHILD = """
import sys
stage, path, database = sys.argv[1:4]
from survey.importers import import_export, read_export, ImportFailed
from survey.assessments import create_assessment, load_index
from survey.catalog import load_catalog
from survey.db import create_db_engine, transaction
if stage == "baseline":
    raise SystemExit(0)
try:
    parsed = read_export(path)
except ImportFailed as error:
    print(str(error).splitlines()[1].strip())
    raise SystemExit(0)
if stage == "dry run":
    engine = create_db_engine(f"sqlite:///{database}")
    with transaction(engine) as session:
        create_assessment(session=session, key="2020", year=2020, catalog=load_catalog())
    with transaction(engine, write=False) as session:
        index = load_index(session=session, assessment_key="2020")
        import_export(session=session, index=index, parsed=parsed, dry_run=True)
"""


def peak_mb(stage: str, path: Path, database: Path) -> tuple[float, str]:
    """Peak resident memory (MB) of a child running `stage`, and what it printed."""
    run = run_child(["-c", CHILD, stage, str(path), str(database)], timeout=1800)
    if run.returncode:
        raise SystemExit(f"{stage} failed: {run.stderr}")
    return run.peak_rss_mb, run.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=900_000)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 100_000 if args.quick else args.responses
    rng = np.random.default_rng(7)
    catalog = load_catalog()
    topics = [t.key for t in catalog.topics][:16]
    groups = [g.key for g in catalog.groups]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "wide.csv"
        write_wide(path, n, topics, groups, rng)
        size_mb = path.stat().st_size / 2**20
        baseline, _ = peak_mb("baseline", path, Path(folder) / "b.db")
        print(f"file: {path.name}, {n:,} rows, {size_mb:.1f} MB; baseline process {baseline:.0f} MB")
        for stage in ("read", "dry run"):
            peak, said = peak_mb(stage, path, Path(folder) / f"{stage[0]}.db")
            if said:
                raise SystemExit(f"{stage}: {said}")
            above = peak - baseline
            ratio = above / size_mb
            print(
                f"{stage}: peak {peak:.0f} MB, above the bare process {above:.0f} MB, {ratio:.2f} x the file"
            )
            result(
                f"import memory, {stage}",
                f"{n:,} rows, {size_mb:.1f} MB",
                f"{above:.0f} MB",
                f"{size_mb:.1f} MB file",
                ratio,
                RATIO_TARGETS[stage],
            )
        corner = Path(folder) / "corner.xlsx"
        corner.write_bytes(corner_workbook())
        peak, said = peak_mb("read", corner, Path(folder) / "c.db")
        above = peak - baseline
        print(f"corner workbook ({corner.stat().st_size:,} bytes): peak {peak:.0f} MB; {said}")
        result(
            "import memory, corner workbook refused",
            f"{corner.stat().st_size:,} bytes",
            f"{above:.0f} MB",
            f"{CORNER_TARGET_MB} MB",
            above / CORNER_TARGET_MB,
            1.0,
        )


def result(name: str, size: str, measured: str, reference: str, ratio: float, target: float) -> None:
    met = "yes" if ratio <= target else "no"
    print(f"RESULT | {name} | {size} | {measured} | {reference} | {ratio:.2f} | <= {target:g} | {met}")


if __name__ == "__main__":
    main()
