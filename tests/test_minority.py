"""Minority flags: two-sided, against the other groups' score (not one containing the group),
with the false discovery rate controlled (Benjamini & Hochberg 1995)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.method import MethodConfig
from analysis.pipeline import analyse, benjamini_hochberg
from benchmarks.simulations import assessment_data, draw_ratings, false_alarm_rate

TOPICS = [f"t{i:02d}" for i in range(8)]


def test_benjamini_hochberg_reproduces_the_papers_example():
    """Benjamini & Hochberg (1995), JRSS B 57:289-300, section 4.2: of 15 p-values, the
    procedure at q = 0.05 rejects the four smallest (Bonferroni only three)."""
    p = np.array(
        [
            0.0001,
            0.0004,
            0.0019,
            0.0095,
            0.0201,
            0.0278,
            0.0298,
            0.0344,
            0.0459,
            0.3240,
            0.4262,
            0.5719,
            0.6528,
            0.7590,
            1.000,
        ]
    )
    q = benjamini_hochberg(p)
    assert list(np.flatnonzero(q <= 0.05)) == [0, 1, 2, 3]
    assert (p * 15 <= 0.05).sum() == 3
    # adjusted values are monotone in p and never below p
    order = np.argsort(p)
    assert (np.diff(q[order]) >= -1e-15).all() and (q >= p).all()


def shifted(shift: float, seed: int = 4):
    rng = np.random.default_rng(seed)
    base = rng.uniform(2.5, 3.8, size=len(TOPICS))
    groups = {f"g{i}": base.copy() for i in range(5)}
    groups["g0"][0] += shift  # the first group cares far more (or less) about t00
    sizes = dict.fromkeys(groups, 60)
    return assessment_data(draw_ratings(rng, groups, sizes, TOPICS), TOPICS)


@pytest.mark.parametrize("shift, direction", [(1.6, "above"), (-1.6, "below")])
def test_a_group_far_above_or_below_the_others_is_flagged_both_ways(shift, direction):
    result = analyse(shifted(shift), MethodConfig(resamples=100))
    groups = result.groups.set_index(["group", "topic"])
    row = groups.loc[("g0", "t00")]
    assert row["minority"] and row["minority_direction"] == direction
    # compared with the other groups only: their equally weighted mean
    others = groups.loc[[(f"g{i}", "t00") for i in range(1, 5)], "mean"].mean()
    assert row["others_score"] == pytest.approx(others)
    assert row["minority_gap"] == pytest.approx(row["mean"] - others)
    assert row["minority_q"] <= 0.05
    # no other topic is flagged (on t00 the other groups, compared with a score holding g0, may be)
    flagged = result.groups[result.groups["minority"]]
    assert set(flagged["topic"]) == {"t00"}
    assert (
        flagged["minority_q"].idxmin()
        == result.groups.index[(result.groups["group"] == "g0") & (result.groups["topic"] == "t00")][0]
    )


@pytest.mark.slow
def test_identical_groups_raise_a_flag_in_at_most_five_percent_of_assessments():
    """A simulation with known truth: every group rates from one distribution, so any flag is a
    false alarm; 7 groups of 8-30 respondents, 16 topics (112 tests per assessment)."""
    rate = false_alarm_rate((8, 10, 12, 15, 20, 25, 30), datasets=150, seed=41)
    assert rate <= 0.05
