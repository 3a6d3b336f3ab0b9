"""Tiering: optimal breaks pinned to a reference, estimator conventions, stability (p_tier)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from analysis.tiers import MaterialityTiers, natural_breaks, tier_names

# Reference data and result of the jenkspy package's test suite (mthh/jenkspy,
# tests/test_jenks.py, `test_integers` / `test_JenksNaturalBreaks_fit`): four classes whose
# upper bounds are 416, 767 and 1083 (jenkspy checks itself against another Jenks implementation).
JENKSPY_DATA = [
    132, 915, 312, 1424, 1240, 1370, 113, 1028, 1078, 416, 963, 359, 1422, 658, 73, 1326, 245,
    848, 683, 255, 1223, 253, 654, 736, 1079, 39, 583, 1367, 1237, 327, 1083, 328, 951, 678, 927,
    301, 96, 297, 179, 230, 767, 1248, 1, 37, 1352, 1009, 663, 1283, 679, 230,
]  # fmt: skip


def test_natural_breaks_reproduce_the_jenkspy_reference():
    cuts = natural_breaks(np.array(JENKSPY_DATA, dtype=float), 4)[0]
    data = np.array(JENKSPY_DATA)
    classes = np.searchsorted(cuts, data, side="right")
    upper_bounds = [data[classes == c].max() for c in range(4)]
    assert upper_bounds == [416, 767, 1083, 1424]
    # a cut lies halfway between the classes it separates
    assert cuts.tolist() == [(416 + 583) / 2, (767 + 848) / 2, (1083 + 1223) / 2]


def within_sum_of_squares(sorted_values: np.ndarray, starts: tuple[int, ...]) -> float:
    edges = [0, *starts, len(sorted_values)]
    parts = [sorted_values[a:b] for a, b in itertools.pairwise(edges)]
    assert all(len(part) for part in parts)
    return sum(float((part - part.mean()) @ (part - part.mean())) for part in parts)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(1, 5, allow_nan=False), min_size=3, max_size=10, unique=True),
    st.sampled_from([2, 3]),
)
def test_natural_breaks_are_the_exhaustive_optimum(values, k):
    x = np.sort(np.array(values))
    if len(x) < k:
        return
    best = min(within_sum_of_squares(x, s) for s in itertools.combinations(range(1, len(x)), k - 1))
    cuts = natural_breaks(x, k)[0]
    classes = np.searchsorted(cuts, x, side="right")
    starts = tuple(int(np.argmax(classes >= c)) for c in range(1, k))
    assert within_sum_of_squares(x, starts) == pytest.approx(best, abs=1e-9)


def test_natural_breaks_of_many_rows_equal_row_by_row():
    rng = np.random.default_rng(1)
    rows = rng.uniform(1, 5, size=(300, 16))
    together = natural_breaks(rows, 3)
    one_by_one = np.vstack([natural_breaks(row, 3) for row in rows])
    np.testing.assert_allclose(together, one_by_one)


def matrix(rng: np.random.Generator) -> np.ndarray:
    """Coordinates (business, stakeholder) of 7 clearly high and 9 clearly lower topics."""
    high = rng.normal(4.2, 0.12, size=(7, 2))
    low = rng.normal(3.1, 0.15, size=(9, 2))
    return np.vstack([low[:4], high, low[4:]])


@pytest.mark.parametrize("method", ["jenks", "quantiles", "kmeans", "gmm"])
def test_tiers_are_ordered_and_named_from_the_most_material(method):
    X = matrix(np.random.default_rng(2))  # noqa: N806
    params = {"quantiles": [9 / 16]} if method == "quantiles" else {}
    tiers = MaterialityTiers(method=method, random_state=0, **params).fit(X)
    expected = np.array([1] * 4 + [0] * 7 + [1] * 5)
    np.testing.assert_array_equal(tiers.labels_, expected)
    assert list(tiers.tiers_[:5]) == ["material"] * 4 + ["high"]
    assert tiers.tier_names_ == ["high", "material"]
    np.testing.assert_allclose(tiers.combined_, X.mean(axis=1))
    if method in ("jenks", "quantiles"):
        (cut,) = tiers.thresholds_
        assert tiers.combined_[expected == 1].max() < cut < tiers.combined_[expected == 0].min()
        np.testing.assert_array_equal(tiers.predict(X), tiers.labels_)
    else:
        assert tiers.thresholds_ == []
        assert tiers.cluster_centers_[0].mean() > tiers.cluster_centers_[1].mean()


def test_three_tiers_add_low_and_fixed_thresholds_are_applied_as_given():
    X = np.array([[4.5, 4.4], [4.0, 3.4], [3.0, 3.2], [2.0, 2.6], [1.5, 1.9]])  # noqa: N806
    tiers = MaterialityTiers(method="thresholds", n_tiers=3, thresholds=[2.5, 3.8]).fit(X)
    assert list(tiers.tiers_) == ["high", "material", "material", "low", "low"]
    assert tiers.thresholds_ == [2.5, 3.8]
    # a combined score exactly on a cut belongs to the tier above it
    on_cut = MaterialityTiers(method="thresholds", thresholds=[3.8]).fit(np.array([[3.8, 3.8], [1.0, 1.0]]))
    assert list(on_cut.tiers_) == ["high", "material"]
    assert tier_names(3) == ["high", "material", "low"]


def test_the_estimator_follows_scikit_learn_conventions():
    tiers = MaterialityTiers(method="kmeans", n_tiers=3, n_init=4, random_state=7)
    assert tiers.get_params() == {
        "method": "kmeans",
        "n_tiers": 3,
        "thresholds": None,
        "quantiles": None,
        "n_init": 4,
        "covariance_type": "full",
        "material_threshold": None,
        "random_state": 7,
    }
    assert not hasattr(tiers, "labels_")  # __init__ only stores parameters
    X = np.random.default_rng(3).uniform(1, 5, size=(16, 2))  # noqa: N806
    assert tiers.fit(X) is tiers
    again = clone(tiers).fit(X)
    np.testing.assert_array_equal(tiers.labels_, again.labels_)  # deterministic for a random_state
    draws = X[None, :, :] + np.random.default_rng(4).normal(0, 0.1, size=(20, 16, 2))
    np.testing.assert_array_equal(tiers.refit_labels(draws), again.refit_labels(draws))
    gmm = MaterialityTiers(method="gmm", random_state=5)
    np.testing.assert_array_equal(gmm.fit(X).labels_, clone(gmm).fit(X).labels_)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"method": "median"}, "method must be one of"),
        ({"n_tiers": 4}, "n_tiers must be 2 or 3"),
        ({"method": "thresholds"}, "needs 1 cut point"),
        ({"method": "thresholds", "n_tiers": 3, "thresholds": [4.0, 3.0]}, "ascending"),
    ],
)
def test_bad_parameters_are_refused_at_fit(params, message):
    with pytest.raises(ValueError, match=message):
        MaterialityTiers(**params).fit(np.ones((4, 2)))


def test_missing_scores_and_too_few_topics_are_refused():
    with pytest.raises(ValueError, match="NaN"):
        MaterialityTiers().fit(np.array([[1.0, np.nan], [2.0, 3.0], [4.0, 4.0]]))
    with pytest.raises(ValueError, match="minimum of 2"):
        MaterialityTiers().fit(np.array([[1.0, 2.0]]))


def test_p_tier_says_how_often_a_topic_flips():
    """A topic whose resampled score falls below the cut in 40% of draws has p_tier 0.6."""
    rng = np.random.default_rng(6)
    X = np.array([[4.5, 4.5], [3.6, 3.6], [2.0, 2.0], [1.5, 1.5]])  # noqa: N806
    tiers = MaterialityTiers(method="thresholds", thresholds=[3.5]).fit(X)
    resamples = 20_000
    noise_sd = np.array([0.05, 0.3953, 0.05, 0.05])  # P(3.6 + e < 3.5) = 0.4 for the second topic
    draws = X[None, :, :] + (rng.standard_normal((resamples, 4)) * noise_sd)[:, :, None]
    p_tier = (tiers.refit_labels(draws) == tiers.labels_).mean(axis=0)
    assert p_tier[[0, 2, 3]].tolist() == [1.0, 1.0, 1.0]
    assert p_tier[1] == pytest.approx(0.6, abs=0.015)


def test_p_tier_with_refitted_breaks_flags_the_topic_between_the_clusters():
    rng = np.random.default_rng(8)
    X = np.array([[4.4, 4.5], [4.3, 4.2], [4.5, 4.4], [3.7, 3.6], [3.0, 3.1], [2.9, 3.0], [3.1, 2.9]])  # noqa: N806
    tiers = MaterialityTiers().fit(X)
    assert list(tiers.tiers_) == ["high", "high", "high", "material", "material", "material", "material"]
    draws = X[None, :, :] + rng.normal(0, 0.15, size=(2000, 7, 2))
    p_tier = (tiers.refit_labels(draws) == tiers.labels_).mean(axis=0)
    assert p_tier[3] < 0.9  # between the clusters: its tier is uncertain
    assert (np.delete(p_tier, 3) > 0.95).all()


@pytest.mark.parametrize("method", ["jenks", "quantiles", "kmeans", "gmm"])
def test_predict_on_the_training_points_gives_labels(method):
    """The fitted model assigns its own training points as `labels_` says: for a Gaussian mixture
    by the most probable component (the nearest centre disagrees on about half of these sets)."""
    for seed in range(40):
        rng = np.random.default_rng(seed)
        n_topics = int(rng.integers(6, 20))
        X = rng.uniform(1, 5, size=(n_topics, 2))  # noqa: N806
        n_tiers = 2 + seed % 2
        tiers = MaterialityTiers(method=method, n_tiers=n_tiers, n_init=3, random_state=seed).fit(X)
        np.testing.assert_array_equal(tiers.predict(X), tiers.labels_, err_msg=f"seed {seed}")


def test_the_nearest_centre_is_not_the_mixture_assignment():
    """Guards the test above: on these sets the nearest centre and the mixture disagree."""
    disagree = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        X = rng.uniform(1, 5, size=(int(rng.integers(6, 20)), 2))  # noqa: N806
        tiers = MaterialityTiers(method="gmm", n_tiers=2 + seed % 2, n_init=3, random_state=seed).fit(X)
        nearest = ((X[:, None, :] - tiers.cluster_centers_[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
        disagree += bool((nearest != tiers.labels_).any())
    assert disagree >= 5


# --- "not material", natural breaks, thresholds on the scale ---------------------------------------


def test_a_topic_is_not_material_only_when_surely_below_the_threshold():
    from analysis.tiers import NOT_MATERIAL

    x = np.array([[4.5, 4.4], [4.2, 4.3], [3.6, 3.5], [3.4, 3.3], [2.2, 2.0], [2.9, 2.95]])
    combined = x.mean(axis=1)
    upper = combined + np.array([0.2, 0.2, 0.2, 0.2, 0.2, 0.3])  # the last may be above 3
    tiers = MaterialityTiers(material_threshold=3.0).fit(x, upper=upper)
    assert tiers.tier_names_ == ["high", "material", NOT_MATERIAL]
    assert list(tiers.tiers_) == ["high", "high", "material", "material", NOT_MATERIAL, "material"]
    # the cut is drawn among the topics above the threshold only
    assert 3.45 < tiers.thresholds_[0] < 4.25
    np.testing.assert_array_equal(tiers.predict(x)[:5], tiers.labels_[:5])
    assert tiers.predict(np.array([[2.0, 2.5]]))[0] == 2
    draws = np.repeat(x[None, :, :], 5, axis=0)
    np.testing.assert_array_equal(tiers.refit_labels(draws)[0], [0, 0, 1, 1, 2, 2])


def test_evenly_spread_scores_have_no_natural_break_and_two_clusters_have_one():
    """A simulation with known truth: evenly spaced scores have no break; two well separated
    clusters have one (Jenks & Caspall 1971, goodness of variance fit; parametric bootstrap)."""
    from analysis.tiers import break_test, goodness_of_variance_fit

    even = np.linspace(2.5, 4.5, 16)
    assert not break_test(even, 2, random_state=1)["natural_break"]
    clusters = np.concatenate([np.linspace(2.9, 3.2, 9), np.linspace(4.0, 4.3, 7)])
    result = break_test(clusters, 2, random_state=1)
    assert result["natural_break"] and result["p_value"] < 0.01 and result["gvf"] > 0.9
    # GVF by hand for a split of four values: classes {1, 2} and {9, 10}
    values = np.array([[1.0, 2.0, 9.0, 10.0]])
    gvf = goodness_of_variance_fit(values, np.array([[1, 1, 0, 0]]))[0]
    total = ((values - values.mean()) ** 2).sum()
    assert gvf == pytest.approx(1 - 1.0 / total)
