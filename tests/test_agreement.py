"""Agreement statistics pinned to published worked examples and to other packages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import friedmanchisquare, spearmanr

from analysis.agreement import (
    group_correlations,
    kendall_w,
    krippendorff_alpha,
    spearman,
    value_counts_from_histogram,
)
from core.aggregates import summarise_ratings


def test_kendall_w_matches_the_published_strawberry_example():
    """InfluentialPoints, "Kendall coefficient of concordance", worked example I: four raters
    rank eight farms' strawberries; rank sums 31 12 12 15 22 5 22 25, W = 500 / 672 = 0.744."""
    ranks = pd.DataFrame(
        [
            [8, 4, 2, 3, 5, 1, 6, 7],
            [7, 3, 1, 4, 5, 2, 6, 8],
            [8, 2, 5, 6, 7, 1, 4, 3],
            [8, 3, 4, 2, 5, 1, 6, 7],
        ],
        index=list("ABCD"),
    )
    w = kendall_w(ranks)
    assert w == pytest.approx(500 / 672)
    assert round(w, 3) == 0.744
    # the same scores in either direction rank alike: W does not depend on it
    assert kendall_w(-ranks) == pytest.approx(w)


# The `anxiety` data of the R packages irr and DescTools (20 subjects, 3 raters), with ties.
ANXIETY = pd.DataFrame(
    {
        "rater1": [3, 3, 3, 4, 5, 5, 2, 3, 5, 2, 2, 6, 1, 5, 2, 2, 1, 2, 4, 3],
        "rater2": [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4],
        "rater3": [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2],
    }
)


def test_tie_corrected_kendall_w_equals_friedmans_tie_corrected_statistic():
    """W = chi2_F / (m (n - 1)), with scipy's tie-corrected Friedman chi-square
    (Siegel & Castellan 1988, eq. 7.8 and 9.16): the raters are the blocks."""
    raters = ANXIETY.T  # rows raters, columns subjects
    m, n = raters.shape
    chi2 = friedmanchisquare(*[raters[c].to_numpy() for c in raters.columns]).statistic
    assert kendall_w(raters) == pytest.approx(chi2 / (m * (n - 1)))
    # the raters tie often, so the correction matters: the uncorrected W is clearly smaller
    ranks = raters.rank(axis=1).to_numpy()
    uncorrected = 12 * ((ranks.sum(axis=0) - m * (n + 1) / 2) ** 2).sum() / (m**2 * (n**3 - n))
    assert kendall_w(raters) > uncorrected + 0.03


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 6), st.integers(3, 12), st.integers(0, 2**32 - 1))
def test_kendall_w_agrees_with_friedman_on_random_scores(m, n, seed):
    scores = np.random.default_rng(seed).integers(1, 6, size=(m, n)).astype(float)
    if all(len(np.unique(row)) == 1 for row in scores):
        assert kendall_w(pd.DataFrame(scores)) is None
        return
    chi2 = friedmanchisquare(*scores.T).statistic
    assert kendall_w(pd.DataFrame(scores)) == pytest.approx(chi2 / (m * (n - 1)))


def test_kendall_w_uses_objects_scored_by_every_rater_and_needs_two_raters():
    scores = pd.DataFrame([[1.0, 2.0, 3.0, np.nan], [1.0, 2.0, 3.0, 4.0]])
    assert kendall_w(scores) == pytest.approx(1.0)
    assert kendall_w(scores.iloc[:1]) is None


def krippendorff_example() -> pd.DataFrame:
    """Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four
    observers, twelve units, values 1-5 with missing data. Published: nominal 0.743, ordinal
    0.815, interval 0.849, ratio 0.797. Coded here as respondents rating topics."""
    nan = np.nan
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
    rows = [
        (f"observer-{i}", "clients", "importance", f"unit_{j:02d}", value)
        for i, row in enumerate(data)
        for j, value in enumerate(row)
    ]
    return pd.DataFrame(rows, columns=["respondent", "group", "dimension", "topic", "value"])


def test_krippendorff_alpha_from_stored_counts_matches_the_published_example():
    histogram = summarise_ratings(krippendorff_example()).histogram
    counts = value_counts_from_histogram(histogram, 1, 5)
    assert list(counts.columns) == [1, 2, 3, 4, 5]
    assert round(krippendorff_alpha(counts, "ordinal"), 3) == 0.815
    assert round(krippendorff_alpha(counts, "interval"), 3) == 0.849
    assert round(krippendorff_alpha(counts, "nominal"), 3) == 0.743


def test_krippendorff_alpha_sums_groups_and_ignores_dont_know():
    ratings = krippendorff_example()
    split = ratings.assign(group=np.where(ratings["respondent"].isin(["observer-0", "observer-1"]), "a", "b"))
    counts = value_counts_from_histogram(summarise_ratings(split).histogram, 1, 5)
    assert round(krippendorff_alpha(counts, "interval"), 3) == 0.849
    # the interval metric uses the scale values themselves: shifting the scale changes nothing
    shifted = value_counts_from_histogram(
        summarise_ratings(ratings.assign(value=ratings["value"] + 2)).histogram, 3, 7
    )
    assert krippendorff_alpha(shifted, "interval") == pytest.approx(krippendorff_alpha(counts, "interval"))


def test_krippendorff_alpha_is_none_without_pairable_values_or_variation():
    single = pd.DataFrame([[1, 0], [0, 1]], columns=[1, 2])
    assert krippendorff_alpha(single, "interval") is None
    constant = pd.DataFrame([[3, 0], [2, 0]], columns=[1, 2])
    assert krippendorff_alpha(constant, "ordinal") is None


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5)), min_size=3, max_size=16))
def test_spearman_matches_scipy(pairs):
    x, y = (np.array(v, dtype=float) for v in zip(*pairs, strict=True))
    ours = spearman(x, y)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        assert ours is None
    else:
        assert ours == pytest.approx(spearmanr(x, y).statistic)


def test_group_correlations_name_pairs_in_group_order_and_skip_thin_overlaps():
    means = pd.DataFrame(
        [[4.0, 3.0, 2.0, 1.0], [3.5, 3.4, 2.0, 1.5], [np.nan, np.nan, 1.0, 2.0]],
        index=["clients", "employees", "community"],
    )
    correlations = group_correlations(means)
    assert list(correlations) == ["clients|employees", "clients|community", "employees|community"]
    assert correlations["clients|employees"] == pytest.approx(1.0)
    assert correlations["clients|community"] is None
