"""Simulations with known truth for the statistics of the analysis: how often an interval covers
the true score, and how often a method raises an alarm when nothing is there.

Ratings are drawn from a model whose expected values are known exactly: respondent r of group g
rates topic t as round(mu_t + offset_gt + u_r + e_rt) clipped to the scale, with respondent
leniency u_r ~ N(0, 0.6^2) (so a respondent's ratings are correlated, as in real surveys) and
e_rt ~ N(0, 0.8^2). The expected rating is a sum of normal probabilities of each scale point,
so the true weighted score of a topic is known without simulation. Every replicate goes
through the toolkit's own path: raw ratings -> :func:`core.aggregates.summarise_ratings` ->
:func:`analysis.scores.group_statistics` -> :func:`analysis.scores.axis_scores` (or the whole
:func:`analysis.pipeline.analyse`).

Used by ``benchmarks/bench_coverage.py`` (the tables) and by the slow tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from analysis.method import MethodConfig
from analysis.pipeline import analyse
from analysis.scores import axis_scores, group_statistics
from core.aggregates import AssessmentData, summarise_ratings

SCALE = (1, 5)
LENIENCY = 0.6
NOISE = 0.8


def expected_rating(location: np.ndarray, scale: tuple[int, int] = SCALE) -> np.ndarray:
    """E[clip(round(Z))] for Z ~ N(location, LENIENCY^2 + NOISE^2), elementwise."""
    sd = float(np.hypot(LENIENCY, NOISE))
    low, high = scale
    points = np.arange(low, high + 1, dtype=float)
    upper = np.append(points[:-1] + 0.5, np.inf)
    lower = np.insert(points[1:] - 0.5, 0, -np.inf)
    loc = np.asarray(location, dtype=float)[..., None]
    probability = norm.cdf((upper - loc) / sd) - norm.cdf((lower - loc) / sd)
    return (probability * points).sum(axis=-1)


def draw_ratings(
    rng: np.random.Generator,
    locations: dict[str, np.ndarray],
    sizes: dict[str, int],
    topics: Sequence[str],
    *,
    dont_know: float = 0.0,
    scale: tuple[int, int] = SCALE,
) -> pd.DataFrame:
    """Raw ratings (respondent, group, dimension, topic, value) of the model above."""
    frames = []
    for group, size in sizes.items():
        leniency = rng.normal(0, LENIENCY, size=(size, 1))
        latent = locations[group][None, :] + leniency + rng.normal(0, NOISE, (size, len(topics)))
        values = np.clip(np.rint(latent), *scale)
        if dont_know:
            values[rng.random(values.shape) < dont_know] = np.nan
        frames.append(
            pd.DataFrame(
                {
                    "respondent": np.repeat([f"{group}-{i}" for i in range(size)], len(topics)),
                    "group": group,
                    "dimension": "importance",
                    "topic": np.tile(list(topics), size),
                    "value": values.reshape(-1),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class Coverage:
    label: str
    sizes: tuple[int, ...]
    intervals: int
    covered: float  # share of intervals holding the true score
    zero_width: float  # share of intervals of no width


def interval_coverage(
    sizes: Sequence[int],
    *,
    replicates: int,
    seed: int,
    level: float = 0.95,
    n_topics: int = 6,
    label: str = "",
) -> Coverage:
    """Share of `level` intervals of the equally weighted stakeholder score that hold the true
    score, over `replicates` assessments with groups of the given sizes."""
    rng = np.random.default_rng(seed)
    topics = [f"t{i}" for i in range(n_topics)]
    groups = [f"g{i}" for i in range(len(sizes))]
    covered = zero = total = 0
    for _ in range(replicates):
        base = rng.uniform(2.0, 4.6, size=n_topics)
        locations = {g: base + rng.normal(0, 0.3, size=n_topics) for g in groups}
        truth = np.mean([expected_rating(locations[g]) for g in groups], axis=0)
        ratings = draw_ratings(rng, locations, dict(zip(groups, sizes, strict=True)), topics)
        stats = group_statistics(summarise_ratings(ratings), scale_min=SCALE[0], scale_max=SCALE[1])
        axis = axis_scores(
            [stats[(g, "importance")] for g in groups],
            sorted(topics),
            {g: 100.0 / len(groups) for g in groups},
            resamples=1,
            seed=0,
            level=level,
            scale_min=SCALE[0],
            scale_max=SCALE[1],
            top_box_points=2,
        )
        order = [topics.index(t) for t in axis.topics]
        hit = (axis.low <= truth[order]) & (truth[order] <= axis.high)
        covered += int(hit.sum())
        zero += int((axis.high - axis.low <= 0).sum())
        total += len(order)
    return Coverage(label, tuple(sizes), total, covered / total, zero / total)


def assessment_data(
    ratings: pd.DataFrame, topics: Sequence[str], scale: tuple[int, int] = SCALE
) -> AssessmentData:
    """An assessment of the simulated ratings, every group rating importance."""
    groups = list(dict.fromkeys(ratings["group"]))
    dimensions = ratings.drop_duplicates("group").set_index("group")["dimension"]
    return AssessmentData(
        key="simulated",
        year=2021,
        name="Simulated assessment",
        scale_min=scale[0],
        scale_max=scale[1],
        scale_labels={},
        topics=pd.DataFrame(
            {"topic": list(topics), "name": list(topics), "name_zh": "", "category": "S", "description": ""}
        ),
        groups=pd.DataFrame(
            {
                "group": groups,
                "name": groups,
                "name_zh": "",
                "kind": ["internal" if dimensions[g] == "business_impact" else "external" for g in groups],
                "dimension": [dimensions[g] for g in groups],
                "default_weight": 1.0,
            }
        ),
        channels=pd.DataFrame(columns=["group", "channel", "channel_zh"]),
        focus_areas=pd.DataFrame(columns=["group", "label", "topic"]),
        responses=pd.DataFrame(columns=["group", "channel", "source", "n_responses"]),
        aggregates=summarise_ratings(ratings),
    )


def false_alarm_rate(
    sizes: Sequence[int], *, datasets: int, seed: int, n_topics: int = 16, method: MethodConfig | None = None
) -> float:
    """Share of simulated assessments with at least one minority flag when every group's
    ratings come from the same distribution (so every flag is a false alarm)."""
    rng = np.random.default_rng(seed)
    method = method or MethodConfig(resamples=100)
    topics = [f"t{i:02d}" for i in range(n_topics)]
    groups = [f"g{i}" for i in range(len(sizes))]
    alarms = 0
    for _ in range(datasets):
        base = rng.uniform(2.0, 4.6, size=n_topics)
        ratings = draw_ratings(
            rng, dict.fromkeys(groups, base), dict(zip(groups, sizes, strict=True)), topics
        )
        result = analyse(assessment_data(ratings, topics), method)
        alarms += bool(result.groups["minority"].any())
    return alarms / datasets


def no_change_alarms(
    sizes: Sequence[int], *, pairs: int, seed: int, n_topics: int = 16
) -> tuple[float, float]:
    """Pairs of years drawn from the same distribution (no real change): the share of pairs with
    at least one tier change, and with at least one change flagged ``significant``."""
    rng = np.random.default_rng(seed)
    method = MethodConfig(resamples=100)
    topics = [f"t{i:02d}" for i in range(n_topics)]
    groups = [f"g{i}" for i in range(len(sizes))]
    sizing = dict(zip(groups, sizes, strict=True))
    tier_changes = significant = 0
    for _ in range(pairs):
        base = rng.uniform(2.0, 4.6, size=n_topics)
        locations = {g: base + rng.normal(0, 0.3, size=n_topics) for g in groups}
        business = {"management": base + rng.normal(0, 0.3, size=n_topics)}
        years = []
        for _year in range(2):
            ratings = draw_ratings(rng, locations, sizing, topics)
            board = draw_ratings(rng, business, {"management": 15}, topics).assign(
                dimension="business_impact"
            )
            years.append(assessment_data(pd.concat([ratings, board], ignore_index=True), topics))
        result = analyse(years[1], method, years[0])
        tier_changes += bool(result.changes["tier_changed"].any())
        significant += bool(result.changes["significant"].any())
    return tier_changes / pairs, significant / pairs
