"""Scores, their weighting and their intervals, checked against raw-data recounts and a
brute-force respondent bootstrap; property tests of the whole analysis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.method import MethodConfig, MethodError
from analysis.pipeline import analyse
from analysis.scores import axis_scores, group_statistics, nominal_weights, percentile_interval
from core.aggregates import AssessmentData, summarise_ratings

# --- building assessments from raw ratings --------------------------------------------------------


def synthetic_ratings(
    sizes: dict[str, int],
    topics: list[str],
    *,
    seed: int,
    dont_know: float = 0.08,
    scale=(1, 5),
    leniency: float = 0.6,
) -> pd.DataFrame:
    """Raw ratings with respondent leniency (so a respondent's ratings are correlated)."""
    rng = np.random.default_rng(seed)
    level = rng.uniform(scale[0] + 0.5, scale[1] - 0.5, size=len(topics))
    frames = []
    for group, size in sizes.items():
        dimension = "business_impact" if group == "management" else "importance"
        offset = rng.normal(0, 0.3, size=len(topics))
        generosity = rng.normal(0, leniency, size=(size, 1))
        values = np.clip(
            np.rint(level + offset + generosity + rng.normal(0, 0.8, (size, len(topics)))), *scale
        )
        values[rng.random(values.shape) < dont_know] = np.nan
        frames.append(
            pd.DataFrame(
                {
                    "respondent": np.repeat([f"{group}-{i}" for i in range(size)], len(topics)),
                    "group": group,
                    "dimension": dimension,
                    "topic": np.tile(topics, size),
                    "value": values.reshape(-1),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def assessment(ratings: pd.DataFrame, topics: list[str], *, scale=(1, 5), groups: list[str] | None = None):
    groups = groups if groups is not None else list(dict.fromkeys(ratings["group"]))
    return AssessmentData(
        key="test",
        year=2021,
        name="Test assessment",
        scale_min=scale[0],
        scale_max=scale[1],
        scale_labels={},
        topics=pd.DataFrame(
            {
                "topic": topics,
                "name": [t.replace("_", " ").title() for t in topics],
                "name_zh": "",
                "category": "S",
                "description": "",
            }
        ),
        groups=pd.DataFrame(
            {
                "group": groups,
                "name": [g.title() for g in groups],
                "name_zh": "",
                "kind": ["internal" if g == "management" else "external" for g in groups],
                "dimension": ["business_impact" if g == "management" else "importance" for g in groups],
                "default_weight": 1.0,
            }
        ),
        channels=pd.DataFrame(columns=["group", "channel", "channel_zh"]),
        focus_areas=pd.DataFrame(columns=["group", "label", "topic"]),
        responses=pd.DataFrame(columns=["group", "channel", "source", "n_responses"]),
        aggregates=summarise_ratings(ratings),
    )


TOPICS = ["climate", "ethics", "privacy", "safety", "training"]
SIZES = {"clients": 30, "employees": 20, "regulators": 12, "management": 10}


# --- group statistics against a recount -----------------------------------------------------------


def test_group_statistics_match_a_recount_of_the_raw_ratings():
    ratings = synthetic_ratings(SIZES, TOPICS, seed=1)
    stats = group_statistics(summarise_ratings(ratings), scale_min=1, scale_max=5)
    for group in SIZES:
        s = stats[(group, "business_impact" if group == "management" else "importance")]
        wide = ratings[ratings["group"] == group].pivot(index="respondent", columns="topic", values="value")
        wide = wide[list(s.topics)]
        assert s.topics == tuple(sorted(TOPICS))
        np.testing.assert_allclose(s.mean, wide.mean().to_numpy())
        np.testing.assert_allclose(s.n, wide.notna().sum().to_numpy())
        # sample covariance (n - 1) of the mean vector, recounted respondent by respondent
        x = wide.to_numpy()
        centred = np.where(np.isnan(x), 0.0, x - np.nanmean(x, axis=0))
        rated = (~np.isnan(x)).astype(float)
        both = rated.T @ rated
        expected = centred.T @ centred / np.outer(s.n, s.n) * both / (both - 1)
        np.testing.assert_allclose(s.covariance, expected, atol=1e-12)
        assert s.n_respondents == SIZES[group]
        np.testing.assert_array_equal(s.n_dont_know, wide.isna().sum().to_numpy())


def test_covariance_and_interval_of_one_group_match_numpy_and_scipy():
    """Reference values: numpy's sample covariance (ddof=1) and scipy's Student t interval."""
    from scipy import stats as scipy_stats

    ratings = synthetic_ratings({"clients": 9}, TOPICS, seed=21, dont_know=0.0)
    s = group_statistics(summarise_ratings(ratings), scale_min=1, scale_max=5)[("clients", "importance")]
    wide = ratings.pivot(index="respondent", columns="topic", values="value")[list(s.topics)].to_numpy()
    np.testing.assert_allclose(s.covariance, np.cov(wide, rowvar=False, ddof=1) / 9, atol=1e-12)
    axis = axis_scores(
        [s],
        s.topics,
        {"clients": 100.0},
        resamples=100,
        seed=1,
        level=0.9,
        scale_min=1,
        scale_max=5,
        top_box_points=2,
    )
    for j in range(len(s.topics)):
        low, high = scipy_stats.t.interval(
            0.9, df=8, loc=wide[:, j].mean(), scale=scipy_stats.sem(wide[:, j])
        )
        assert axis.low[j] == pytest.approx(max(low, 1.0)) and axis.high[j] == pytest.approx(min(high, 5.0))


def test_two_groups_get_welchs_interval():
    """Reference: scipy's Welch test (equal_var=False). For equal weights the score is half the
    sum of the two means: its standard error is half that of their difference, with the same
    Welch-Satterthwaite degrees of freedom."""
    from scipy import stats as scipy_stats

    ratings = synthetic_ratings({"clients": 7, "employees": 23}, TOPICS, seed=22, dont_know=0.0)
    stats = group_statistics(summarise_ratings(ratings), scale_min=1, scale_max=5)
    members = [stats[("clients", "importance")], stats[("employees", "importance")]]
    axis = axis_scores(
        members,
        sorted(TOPICS),
        {"clients": 50.0, "employees": 50.0},
        resamples=100,
        seed=1,
        level=0.95,
        scale_min=1,
        scale_max=5,
        top_box_points=2,
    )
    for j, topic in enumerate(axis.topics):
        a = ratings.loc[(ratings["group"] == "clients") & (ratings["topic"] == topic), "value"].to_numpy()
        b = ratings.loc[(ratings["group"] == "employees") & (ratings["topic"] == topic), "value"].to_numpy()
        welch = scipy_stats.ttest_ind(a, b, equal_var=False)
        assert axis.df[j] == pytest.approx(welch.df)
        difference = welch.confidence_interval(0.95)
        half = (difference.high - difference.low) / 4
        centre = (a.mean() + b.mean()) / 2
        assert axis.low[j] == pytest.approx(max(centre - half, 1.0))
        assert axis.high[j] == pytest.approx(min(centre + half, 5.0))


def test_a_single_rating_spans_the_scale_instead_of_having_no_width():
    ratings = synthetic_ratings({"clients": 1}, TOPICS, seed=23, dont_know=0.0)
    s = group_statistics(summarise_ratings(ratings), scale_min=1, scale_max=5)[("clients", "importance")]
    axis = axis_scores(
        [s],
        s.topics,
        {"clients": 100.0},
        resamples=100,
        seed=1,
        level=0.95,
        scale_min=1,
        scale_max=5,
        top_box_points=2,
    )
    np.testing.assert_allclose(axis.low, 1.0)
    np.testing.assert_allclose(axis.high, 5.0)


@pytest.mark.slow
def test_intervals_keep_their_level_from_eight_respondents_per_group():
    """A simulation with known truth (benchmarks/simulations.py): the expected rating of the
    rounded-normal model is exact, so coverage is measured against the true score."""
    from benchmarks.simulations import interval_coverage

    for sizes, seed in (((8,), 31), ((8, 12, 30), 32)):
        result = interval_coverage(sizes, replicates=250, seed=seed)
        # 1500 intervals: the standard error of the coverage is about 0.6 points
        assert 0.935 - 0.012 <= result.covered <= 0.965 + 0.012, (sizes, result)


def test_moments_stored_in_either_pair_order_give_the_same_covariance():
    ratings = synthetic_ratings({"clients": 25}, TOPICS, seed=2)
    aggregates = summarise_ratings(ratings)
    flipped = aggregates.moments.rename(
        columns={"topic_a": "topic_b", "topic_b": "topic_a", "sum_a": "sum_b", "sum_b": "sum_a"}
    )
    other = type(aggregates)(aggregates.histogram, flipped, aggregates.dont_know, aggregates.respondents)
    first = group_statistics(aggregates, scale_min=1, scale_max=5)[("clients", "importance")]
    second = group_statistics(other, scale_min=1, scale_max=5)[("clients", "importance")]
    np.testing.assert_allclose(first.covariance, second.covariance)


def test_ratings_outside_the_scale_are_refused():
    ratings = synthetic_ratings({"clients": 5}, TOPICS, seed=3)
    ratings.loc[0, "value"] = 7
    with pytest.raises(ValueError, match="outside the scale 1-5"):
        group_statistics(summarise_ratings(ratings), scale_min=1, scale_max=5)


# --- weighting ----------------------------------------------------------------------------------


def hand_scores(ratings: pd.DataFrame, weights: dict[str, float] | None) -> pd.Series:
    stake = ratings[ratings["dimension"] == "importance"].dropna(subset=["value"])
    if weights is None:
        return stake.groupby("topic")["value"].mean()
    means = stake.groupby(["topic", "group"])["value"].mean().unstack("group")
    w = pd.Series(weights).reindex(means.columns).fillna(0.0)
    present = means.notna().astype(float) * w
    return (means.fillna(0.0) * w).sum(axis=1) / present.sum(axis=1)


@pytest.mark.parametrize(
    ("weighting", "group_weights", "expected_weights"),
    [
        ("equal", {}, {"clients": 1, "employees": 1, "regulators": 1}),
        ("respondents", {}, None),
        (
            "explicit",
            {"clients": 50, "employees": 30, "regulators": 20},
            {"clients": 50, "employees": 30, "regulators": 20},
        ),
        ("explicit", {"clients": 60, "employees": 40, "regulators": 0}, {"clients": 60, "employees": 40}),
    ],
)
def test_stakeholder_importance_follows_the_group_weighting(weighting, group_weights, expected_weights):
    ratings = synthetic_ratings(SIZES, TOPICS, seed=4)
    # one group skips a topic entirely: the weights are renormalised over the groups that rated it
    ratings.loc[(ratings["group"] == "regulators") & (ratings["topic"] == "safety"), "value"] = np.nan
    method = MethodConfig(group_weighting=weighting, group_weights=group_weights, resamples=200)
    result = analyse(assessment(ratings, TOPICS), method).topics.set_index("topic")
    expected = hand_scores(ratings, expected_weights)
    np.testing.assert_allclose(result["stakeholder_importance"], expected.reindex(result.index), rtol=1e-12)
    business = ratings[ratings["dimension"] == "business_impact"].groupby("topic")["value"].mean()
    np.testing.assert_allclose(result["business_significance"], business.reindex(result.index))


def test_top_box_share_counts_the_two_top_scale_points_and_ignores_dont_know():
    ratings = synthetic_ratings({"clients": 40, "management": 6}, TOPICS, seed=5)
    result = analyse(assessment(ratings, TOPICS), MethodConfig(resamples=200)).topics.set_index("topic")
    stake = ratings[ratings["group"] == "clients"].dropna(subset=["value"])
    expected = stake.assign(top=stake["value"] >= 4).groupby("topic")["top"].mean()
    np.testing.assert_allclose(result["top_box"], expected.reindex(result.index))
    counted = ratings[ratings["group"] == "clients"].groupby("topic")["value"].count()
    assert result["n_respondents"].to_dict() == counted.to_dict()


def test_dont_know_is_not_a_rating():
    ratings = synthetic_ratings({"clients": 20, "management": 6}, TOPICS, seed=6, dont_know=0.0)
    extra = pd.DataFrame(
        {
            "respondent": [f"unsure-{i}" for i in range(5) for _ in TOPICS],
            "group": "clients",
            "dimension": "importance",
            "topic": TOPICS * 5,
            "value": np.nan,
        }
    )
    method = MethodConfig(resamples=200)
    plain = analyse(assessment(ratings, TOPICS), method).topics
    unsure = analyse(assessment(pd.concat([ratings, extra], ignore_index=True), TOPICS), method).topics
    # only its reported rate moves: 5 of 25 clients answered "don't know" to every topic
    np.testing.assert_allclose(unsure["dont_know_rate"], 0.2)
    pd.testing.assert_frame_equal(plain.drop(columns="dont_know_rate"), unsure.drop(columns="dont_know_rate"))


def test_an_assessment_without_ratings_has_no_scores_and_no_tiers():
    empty = pd.DataFrame(columns=["respondent", "group", "dimension", "topic", "value"])
    data = assessment(empty, TOPICS, groups=["clients", "management"])
    result = analyse(data, MethodConfig(resamples=100))
    t = result.topics
    assert t["stakeholder_importance"].isna().all() and t["tier"].isna().all() and t["p_tier"].isna().all()
    assert t["rank"].tolist() == [1, 2, 3, 4, 5] and t["topic"].tolist() == sorted(TOPICS)
    assert (t["n_respondents"] == 0).all() and result.thresholds == []
    assert result.groups["suppressed"].all() and result.agreement["kendall_w"] is None
    # stakeholder ratings without business ratings: scores on one axis, still no tiers
    only_stakeholders = synthetic_ratings({"clients": 12}, TOPICS, seed=12)
    half = analyse(
        assessment(only_stakeholders, TOPICS, groups=["clients", "management"]), MethodConfig(resamples=100)
    )
    assert half.topics["stakeholder_importance"].notna().all()
    assert half.topics["business_significance"].isna().all() and half.topics["tier"].isna().all()


def test_explicit_weights_are_checked_against_the_groups():
    groups = assessment(synthetic_ratings(SIZES, TOPICS, seed=7), TOPICS).groups

    def weights(**given):
        return MethodConfig(group_weighting="explicit", group_weights=given)

    assert nominal_weights(groups, "importance", weights(clients=50, employees=25, regulators=25)) == {
        "clients": 50.0,
        "employees": 25.0,
        "regulators": 25.0,
    }
    with pytest.raises(MethodError, match="group_weights.*unknown group.*suppliers"):
        nominal_weights(groups, "importance", weights(clients=50, employees=25, suppliers=25))
    with pytest.raises(MethodError, match="no weight for group.*regulators.*'importance'"):
        nominal_weights(groups, "importance", weights(clients=50, employees=50))
    with pytest.raises(MethodError, match="sum to 90, expected 100"):
        nominal_weights(groups, "importance", weights(clients=50, employees=20, regulators=20))
    # not listed at all: the business dimension keeps equal weights
    assert nominal_weights(groups, "business_impact", weights(clients=50, employees=25, regulators=25)) == {
        "management": 100.0
    }
    # last year's groups, re-analysed leniently: unknown groups ignored, the rest rescaled
    lenient = nominal_weights(
        groups, "importance", weights(clients=30, employees=30, suppliers=40), strict=False
    )
    assert lenient == {"clients": 50.0, "employees": 50.0, "regulators": 0.0}


# --- the interval: a normal-approximation respondent bootstrap -------------------------------------


def brute_force_bootstrap(ratings: pd.DataFrame, topics: list[str], resamples: int, seed: int) -> np.ndarray:
    """Resample respondents with replacement within each group; equal-weight mean of group means."""
    rng = np.random.default_rng(seed)
    stake = ratings[ratings["dimension"] == "importance"]
    matrices = [
        part.pivot(index="respondent", columns="topic", values="value")[topics].to_numpy()
        for _, part in stake.groupby("group")
    ]
    draws = np.empty((resamples, len(topics)))
    for r in range(resamples):
        group_means = []
        for x in matrices:
            sample = x[rng.integers(0, len(x), len(x))]
            group_means.append(np.nanmean(sample, axis=0))
        draws[r] = np.nanmean(np.array(group_means), axis=0)
    return draws


def test_interval_agrees_with_a_brute_force_respondent_bootstrap():
    topics = sorted(TOPICS)
    ratings = synthetic_ratings(
        {"clients": 40, "employees": 25, "regulators": 15}, topics, seed=8, leniency=1.0
    )
    brute = brute_force_bootstrap(ratings, topics, resamples=4000, seed=9)
    stats = group_statistics(summarise_ratings(ratings), scale_min=1, scale_max=5)
    members = [stats[(g, "importance")] for g in ("clients", "employees", "regulators")]
    approx = axis_scores(
        members,
        topics,
        {"clients": 100 / 3, "employees": 100 / 3, "regulators": 100 / 3},
        resamples=4000,
        seed=10,
        level=0.95,
        scale_min=1,
        scale_max=5,
        top_box_points=2,
    )
    low, high = percentile_interval(brute, 0.95)
    # the respondent bootstrap is known to be too narrow for small groups (it uses the population
    # variance and normal tails); the t interval contains it and is at most a fifth wider
    assert (approx.low <= low + 0.01).all() and (approx.high >= high - 0.01).all()
    assert ((approx.high - approx.low) / (high - low) < 1.2).all()
    ratio = approx.draws.std(axis=0) / brute.std(axis=0)
    assert ((ratio > 0.97) & (ratio < 1.2)).all()
    # a respondent's ratings are correlated: the spread of the difference between two topics
    # is reproduced only with the covariance (ignoring it would overstate it by far)
    difference_sd = (approx.draws[:, 0] - approx.draws[:, 1]).std()
    brute_sd = (brute[:, 0] - brute[:, 1]).std()
    independent_sd = np.sqrt(brute[:, 0].var() + brute[:, 1].var())
    assert 0.97 < difference_sd / brute_sd < 1.2
    assert independent_sd > 1.2 * brute_sd


def test_interval_narrows_with_more_respondents_and_holds_its_level():
    small = analyse(assessment(synthetic_ratings({"clients": 15, "management": 8}, TOPICS, seed=11), TOPICS))
    large = analyse(assessment(synthetic_ratings({"clients": 600, "management": 8}, TOPICS, seed=11), TOPICS))
    width = lambda t: (t["stakeholder_high"] - t["stakeholder_low"]).mean()  # noqa: E731
    assert width(large.topics) < width(small.topics) / 4
    level90 = analyse(
        assessment(synthetic_ratings({"clients": 15, "management": 8}, TOPICS, seed=11), TOPICS),
        MethodConfig(interval_level=0.9),
    )
    assert width(level90.topics) < width(small.topics)


# --- properties of the whole analysis -------------------------------------------------------------

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def raw_assessments(draw):
    scale_min = draw(st.sampled_from([0, 1]))
    scale_max = scale_min + draw(st.integers(1, 9))
    n_topics = draw(st.integers(2, 6))
    topics = [f"topic_{i}" for i in range(n_topics)]
    groups = draw(
        st.lists(
            st.sampled_from(["clients", "employees", "investors", "suppliers"]),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    groups = [*groups, "management"]
    rows = []
    for group in groups:
        size = draw(st.integers(1, 12))
        dimension = "business_impact" if group == "management" else "importance"
        for i in range(size):
            for topic in topics:
                value = draw(st.one_of(st.none(), st.integers(scale_min, scale_max)))
                rows.append(
                    (f"{group}-{i}", group, dimension, topic, np.nan if value is None else float(value))
                )
    ratings = pd.DataFrame(rows, columns=["respondent", "group", "dimension", "topic", "value"])
    return ratings, topics, (scale_min, scale_max), groups


FAST = MethodConfig(resamples=100)


@SETTINGS
@given(raw_assessments())
def test_scores_stay_within_the_scale(case):
    ratings, topics, scale, groups = case
    result = analyse(assessment(ratings, topics, scale=scale, groups=groups), FAST)
    t = result.topics
    for column in (
        "stakeholder_importance",
        "stakeholder_low",
        "stakeholder_high",
        "business_significance",
        "business_low",
        "business_high",
        "combined_score",
    ):
        values = t[column].dropna()
        assert values.between(scale[0], scale[1]).all(), column
    assert t["top_box"].dropna().between(0, 1).all()
    assert t["p_tier"].dropna().between(0, 1).all()
    assert set(t["tier"].dropna()) <= {"high", "material", "not material"}
    assert sorted(t["rank"]) == list(range(1, len(topics) + 1))
    means = result.groups["mean"].dropna()
    assert means.between(scale[0], scale[1]).all()


@SETTINGS
@given(raw_assessments(), st.randoms(use_true_random=False))
def test_reordering_respondents_or_topics_changes_nothing(case, random):
    ratings, topics, scale, groups = case
    data = assessment(ratings, topics, scale=scale, groups=groups)
    shuffled_ratings = ratings.sample(frac=1.0, random_state=random.randint(0, 2**31)).reset_index(drop=True)
    names = sorted(set(ratings["respondent"]))
    renamed = dict(zip(names, random.sample(names, len(names)), strict=True))
    shuffled_ratings["respondent"] = shuffled_ratings["respondent"].map(renamed)
    shuffled_topics = random.sample(topics, len(topics))
    shuffled = assessment(shuffled_ratings, shuffled_topics, scale=scale, groups=groups)
    first, second = analyse(data, FAST), analyse(shuffled, FAST)
    pd.testing.assert_frame_equal(first.topics, second.topics)
    pd.testing.assert_frame_equal(first.groups, second.groups)
    assert first.agreement == second.agreement
    assert first.method == second.method


@SETTINGS
@given(raw_assessments(), st.data())
def test_a_group_weight_of_zero_equals_dropping_the_group(case, data):
    ratings, topics, scale, groups = case
    stakeholders = [g for g in groups if g != "management"]
    if len(stakeholders) < 2:
        stakeholders.append("spare")
        extra = ratings[ratings["group"] == "management"].assign(
            group="spare", dimension="importance", respondent=lambda f: "spare-" + f["respondent"]
        )
        ratings = pd.concat([ratings, extra], ignore_index=True)
        groups = [*stakeholders, "management"]
    dropped = data.draw(st.sampled_from(stakeholders))
    kept = [g for g in stakeholders if g != dropped]
    raw = {g: data.draw(st.integers(1, 50)) for g in kept}
    percent = {g: 100.0 * w / sum(raw.values()) for g, w in raw.items()}
    with_zero = MethodConfig(
        group_weighting="explicit", group_weights={**percent, dropped: 0.0}, resamples=100
    )
    without = MethodConfig(group_weighting="explicit", group_weights=percent, resamples=100)
    full = analyse(assessment(ratings, topics, scale=scale, groups=groups), with_zero)
    remaining = ratings[ratings["group"] != dropped]
    reduced = analyse(
        assessment(remaining, topics, scale=scale, groups=[g for g in groups if g != dropped]), without
    )
    pd.testing.assert_frame_equal(full.topics, reduced.topics, check_exact=False, rtol=1e-12, atol=1e-12)
    assert full.agreement == reduced.agreement
