"""Do the intervals keep their promise, and how often do the flags raise a false alarm?

A simulation with known truth (``benchmarks/simulations.py``): ratings from a rounded-normal
model whose expected values are exact, analysed through the toolkit's own path. Printed:

- coverage of the nominal 95% interval of the equally weighted stakeholder score, for groups of
  3 to 30 respondents (target: within 1.5 points of 95% from 8 respondents per group up);
- false alarms: with groups that share one distribution, the share of assessments in which at
  least one minority flag is raised (target: at most 5%);
- false moves: with two years drawn from one distribution, the share of pairs in which a tier
  change happens anyway, and in which a change is called significant (target: at most 5%).

Usage: python -m benchmarks.bench_coverage [--quick]
"""

from __future__ import annotations

import sys

from benchmarks.simulations import false_alarm_rate, interval_coverage, no_change_alarms

COVERAGE_CASES = [
    ("one group of 3", (3,)),
    ("one group of 5", (5,)),
    ("one group of 8", (8,)),
    ("one group of 12", (12,)),
    ("one group of 30", (30,)),
    ("3 groups of 8", (8, 8, 8)),
    ("7 groups of 8-30", (8, 10, 12, 15, 20, 25, 30)),
    ("7 groups of 5-146", (5, 9, 14, 28, 36, 47, 146)),
]

FALSE_ALARM_CASES = [
    ("7 groups of 8-30", (8, 10, 12, 15, 20, 25, 30)),
    ("7 groups of 9-212 (demo sizes)", (9, 14, 28, 36, 47, 146, 212)),
    ("3 groups of 40", (40, 40, 40)),
]


def main(args: list[str]) -> int:
    quick = "--quick" in args
    replicates = 100 if quick else 500
    print(f"Coverage of nominal 95% intervals ({replicates} simulated assessments x 6 topics per row)\n")
    print("| groups | intervals | coverage | zero width | within 1.5 points |")
    print("|---|---|---|---|---|")
    for label, sizes in COVERAGE_CASES:
        result = interval_coverage(sizes, replicates=replicates, seed=hash(sizes) % 2**32)
        met = abs(result.covered - 0.95) <= 0.015
        print(
            f"| {label} | {result.intervals} | {result.covered:.1%} | {result.zero_width:.1%} | "
            f"{'yes' if met else 'no'}{'' if min(sizes) >= 8 else ' (below 8: stated, not promised)'} |",
            flush=True,
        )
        if min(sizes) >= 8:
            print(
                f"RESULT | coverage | {label}, {result.intervals} intervals | {result.covered:.1%} | 95% | "
                f"{result.covered / 0.95:.3f} | within 1.5 points | {'yes' if met else 'no'}"
            )
    datasets = 60 if quick else 300
    print(f"\nFalse alarms with identical groups ({datasets} simulated assessments x 16 topics per row)\n")
    print("| groups | assessments | any minority flag | at most 5% |")
    print("|---|---|---|---|")
    for label, sizes in FALSE_ALARM_CASES:
        rate = false_alarm_rate(sizes, datasets=datasets, seed=hash(sizes) % 2**32)
        met = rate <= 0.05
        print(f"| {label} | {datasets} | {rate:.1%} | {'yes' if met else 'no'} |", flush=True)
        print(
            f"RESULT | false alarms | {label}, {datasets} assessments | {rate:.1%} | 5% | "
            f"{rate / 0.05:.2f} | at most 5% | {'yes' if met else 'no'}"
        )
    pairs = 40 if quick else 200
    print(f"\nPairs of years without real change ({pairs} simulated pairs x 16 topics, 7 groups of 8-30)\n")
    tier_changes, significant = no_change_alarms((8, 10, 12, 15, 20, 25, 30), pairs=pairs, seed=12)
    print("| pairs | any tier change | any significant move | at most 5% |")
    print("|---|---|---|---|")
    met = significant <= 0.05
    print(f"| {pairs} | {tier_changes:.1%} | {significant:.1%} | {'yes' if met else 'no'} |")
    print(
        f"RESULT | false moves | {pairs} pairs of years | {significant:.1%} | 5% | "
        f"{significant / 0.05:.2f} | at most 5% | {'yes' if met else 'no'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
