"""Run every benchmark in this folder and print one table of their results.

Each `bench_*.py` script prints its own detailed figures and, for every measured target, a line

    RESULT | <benchmark> | <size> | <measured> | <reference> | <ratio> | <target> | <met: yes/no>

which this runner gathers into the closing table. Extra arguments are passed to every script;
`--quick` only to the scripts that offer it.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = ["benchmark", "size", "measured", "reference", "ratio", "target", "met"]


def main(args: list[str]) -> int:
    rows: list[list[str]] = []
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n=== {script.name} ===", flush=True)
        # a script that does not know --quick runs in its normal form
        own_args = [a for a in args if a != "--quick" or "--quick" in script.read_text(encoding="utf-8")]
        process = subprocess.run(
            [sys.executable, "-m", f"benchmarks.{script.stem}", *own_args],
            cwd=HERE.parent,
            capture_output=True,
            text=True,
        )
        sys.stdout.write(process.stdout)
        sys.stderr.write(process.stderr[-4000:])
        if process.returncode != 0:
            failed.append(script.name)
        for line in process.stdout.splitlines():
            if line.startswith("RESULT |"):
                cells = [cell.strip() for cell in line.split("|")[1:]]
                rows.append((cells + [""] * len(COLUMNS))[: len(COLUMNS)])
    memory = ""
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        memory = f", {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB"
    print(
        f"\nBenchmarks on {date.today().isoformat()}, {os.cpu_count()} cores{memory}, "
        f"Python {platform.python_version()}\n"
    )
    widths = [max(len(r[i]) for r in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    print("| " + " | ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    if failed:
        print(f"\nFailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
