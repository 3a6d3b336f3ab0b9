"""How long `materiality run` takes to write the whole pack for the demo's 2020 assessment.

Target: at most 2.5 s on this machine, from the command line (interpreter start, imports,
loading, analysis, result files, charts, report and workbook), against 7.6 s before the
numerical libraries were imported only where needed. Prints the wall time of the command
(median of repeated runs, with the Vega script bundle cached as in everyday use, and once with
an empty cache as on a new machine), the processor time it used (user + system, which a busy
machine does not inflate the way it does wall time) and the time split of the same steps run
in this process.

    .venv/bin/python -m benchmarks.bench_report [--runs N]
"""

from __future__ import annotations

import time

_start = time.perf_counter()
import cli  # noqa: F401 - the command's own imports, timed
import render.pack  # noqa: F401 - imported by the command when it writes the pack
from cli.results import write_report_pack, write_run_files
from services.results import analyse_inputs, analysis_inputs

IMPORTS = time.perf_counter() - _start

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from survey.db import create_db_engine, transaction
from survey.demo import create_demo
from survey.reads import load_assessment_data

TARGET_SECONDS = 2.5
BASELINE_SECONDS = 7.6  # the command's wall time on the demo before this target was set
MATERIALITY = Path(sys.executable).with_name("materiality")


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_command(url: str, out: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall time and processor time (user + system) of one `materiality run`."""
    started, cpu = time.perf_counter(), child_cpu()
    subprocess.run(
        [str(MATERIALITY), "run", "--assessment", "2020", "--out", str(out), "--db", url],
        check=True,
        capture_output=True,
        env=env,
    )
    return time.perf_counter() - started, child_cpu() - cpu


def split(url: str, out: Path) -> dict[str, float]:
    """The steps of `materiality run`, timed one by one in this process."""
    times: dict[str, float] = {"imports (cli, services, pipeline, report)": IMPORTS}
    clock = time.perf_counter()
    inputs = analysis_inputs(engine=create_db_engine(url), assessment_key="2020")
    times["load from the database"] = time.perf_counter() - clock
    clock = time.perf_counter()
    result = analyse_inputs(inputs)
    times["analysis"] = time.perf_counter() - clock
    clock = time.perf_counter()
    write_run_files(result, out)
    times["result files (CSV, JSON)"] = time.perf_counter() - clock
    pack = write_report_pack(result, out, inputs.channel_stats)
    times.update({f"pack: {stage}": seconds for stage, seconds in pack.timings.items()})
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="command runs to take the median of")
    parser.add_argument("--quick", action="store_true", help="one run only")
    args = parser.parse_args()
    runs = 1 if args.quick else max(1, args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        url = f"sqlite:///{directory / 'demo.db'}"
        engine = create_db_engine(url)
        with transaction(engine) as session:
            create_demo(session=session)
            data = load_assessment_data(session=session, assessment_key="2020")
        engine.dispose()
        responses = int(data.responses["n_responses"].sum())
        size = f"demo 2020: {len(data.topics)} topics, {len(data.groups)} groups, {responses} responses"
        print(f"{size}; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")

        times = split(url, directory / "split")
        total = sum(times.values())
        print("\nTime split of the same steps in one process (bundle cache as found):")
        for stage, seconds in times.items():
            print(f"  {stage:<36} {seconds:6.2f} s  {seconds / total:5.0%}")
        print(f"  {'total':<36} {total:6.2f} s")
        sizes = {p.name: p.stat().st_size for p in sorted((directory / "split").iterdir())}
        print("\nFiles: " + ", ".join(f"{name} {bytes_ / 1024:.0f} KiB" for name, bytes_ in sizes.items()))

        measured = [run_command(url, directory / f"run{i}") for i in range(runs)]
        warm = [wall for wall, _ in measured]
        home = directory / "home"
        home.mkdir()
        cold, _ = run_command(url, directory / "cold", env={**os.environ, "HOME": str(home)})
        median = statistics.median(warm)
        cpu = statistics.median(c for _, c in measured)
        print(f"\n`materiality run` wall time, {runs} run(s): " + ", ".join(f"{t:.2f} s" for t in warm))
        print(f"  median {median:.2f} s, {median / BASELINE_SECONDS:.2f} of the {BASELINE_SECONDS} s before")
        print(f"  processor time (user + system), median {cpu:.2f} s")
        print(f"  with an empty script-bundle cache (first run on a machine): {cold:.2f} s")
        met = "yes" if median <= TARGET_SECONDS else "no"
        print(
            f"RESULT | report pack | {size} | {median:.2f} s | {TARGET_SECONDS:.1f} s | "
            f"{median / TARGET_SECONDS:.2f} | <= {TARGET_SECONDS:.1f} s | {met}"
        )
        print(
            f"RESULT | report pack against before | {size} | {median:.2f} s | {BASELINE_SECONDS} s | "
            f"{median / BASELINE_SECONDS:.2f} | <= {TARGET_SECONDS / BASELINE_SECONDS:.2f} | {met}"
        )
        met_cpu = "yes" if cpu <= TARGET_SECONDS else "no"
        print(
            f"RESULT | report pack, processor time | {size} | {cpu:.2f} s | {TARGET_SECONDS:.1f} s | "
            f"{cpu / TARGET_SECONDS:.2f} | <= {TARGET_SECONDS:.1f} s | {met_cpu}"
        )
        met_cold = "yes" if cold <= TARGET_SECONDS else "no"
        print(
            f"RESULT | report pack, empty cache | {size} | {cold:.2f} s | {TARGET_SECONDS:.1f} s | "
            f"{cold / TARGET_SECONDS:.2f} | <= {TARGET_SECONDS:.1f} s | {met_cold}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
