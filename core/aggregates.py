"""Sufficient statistics of an assessment's ratings, and the bundle the analysis reads.

The store keeps, per stakeholder group and dimension, a histogram of the ratings of each topic,
the co-moments of every pair of topics over the respondents who rated both, the number of
"don't know" answers and the number of respondents. From these the analysis computes group
means, variances and covariances (and so respondent-level resampling of the group means),
top-box shares and Krippendorff's alpha, without reading a single rating row. Their size
depends on the number of groups and topics, not on the number of responses.

This module is the one description of that layout (:data:`SUMMARY_TABLES`): the store writes
and reads its tables by it, the integrity check compares stored and recounted statistics by it,
the method fingerprint hashes by it and the analysis reads the frames it names.
:func:`summarise_ratings` turns raw ratings into these statistics; the store uses it to fold
new responses into its summary tables, and the integrity check to recount them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

RATING_COLUMNS = ["respondent", "group", "dimension", "topic", "value"]


@dataclass(frozen=True)
class SummaryTable:
    """One kind of summary statistic: its frame in :class:`Aggregates` and its database table.

    ``keys`` identify a row (catalog keys in frames, ids in the database); ``counts`` are whole
    numbers and ``sums`` real ones, both added when responses are folded in and subtracted when
    one is withdrawn. A row whose ``size`` column reaches zero is dropped. In the database a key
    ``group``, ``dimension`` or ``topic`` is the column ``<key>_id``; ``topic_a`` and
    ``topic_b`` keep their names.
    """

    frame: str
    table: str
    keys: tuple[str, ...]
    counts: tuple[str, ...]
    sums: tuple[str, ...] = ()

    @property
    def values(self) -> tuple[str, ...]:
        return self.counts + self.sums

    @property
    def columns(self) -> list[str]:
        return [*self.keys, *self.values]

    @property
    def size(self) -> str:
        """The count whose reaching zero means the row no longer holds anything."""
        return self.counts[0]

    @staticmethod
    def column_of(name: str) -> str:
        """The database column holding frame column `name`."""
        return f"{name}_id" if name in ("group", "dimension", "topic") else name

    def db_columns(self) -> list[str]:
        return [self.column_of(c) for c in self.columns]


HISTOGRAM = SummaryTable("histogram", "rating_histogram", ("group", "dimension", "topic", "value"), ("n",))
MOMENTS = SummaryTable(
    "moments",
    "rating_moment",
    ("group", "dimension", "topic_a", "topic_b"),
    ("n",),
    ("sum_a", "sum_b", "sum_ab"),
)
DONT_KNOW = SummaryTable("dont_know", "rating_tally", ("group", "dimension", "topic"), ("n_dont_know",))
RESPONDENTS = SummaryTable("respondents", "group_tally", ("group", "dimension"), ("n_respondents",))
SUMMARY_TABLES: tuple[SummaryTable, ...] = (HISTOGRAM, MOMENTS, DONT_KNOW, RESPONDENTS)
TOPIC_KEYS = frozenset({"topic", "topic_a", "topic_b"})


def _empty(table: SummaryTable) -> pd.DataFrame:
    return pd.DataFrame(columns=table.columns)


@dataclass(frozen=True)
class Aggregates:
    """Summary statistics, keyed by whatever identifies groups, dimensions and topics.

    - ``histogram``: group, dimension, topic, value, n (ratings only, no "don't know")
    - ``moments``: group, dimension, topic_a, topic_b, n, sum_a, sum_b, sum_ab; every unordered
      pair of topics once (the diagonal holds n, sum and sum of squares of one topic); sums run
      over the respondents of the group who rated both topics
    - ``dont_know``: group, dimension, topic, n_dont_know
    - ``respondents``: group, dimension, n_respondents (respondents with at least one answer)
    """

    histogram: pd.DataFrame = field(default_factory=lambda: _empty(HISTOGRAM))
    moments: pd.DataFrame = field(default_factory=lambda: _empty(MOMENTS))
    dont_know: pd.DataFrame = field(default_factory=lambda: _empty(DONT_KNOW))
    respondents: pd.DataFrame = field(default_factory=lambda: _empty(RESPONDENTS))

    def frame(self, table: SummaryTable) -> pd.DataFrame:
        frame: pd.DataFrame = getattr(self, table.frame)
        return frame


@dataclass(frozen=True)
class AssessmentData:
    """Everything the analysis needs about one assessment, as plain frames.

    - ``topics``: topic, name, name_zh, category, description (in catalog order)
    - ``groups``: group, name, name_zh, kind (internal/external), dimension, default_weight
    - ``channels``: group, channel, channel_zh
    - ``focus_areas``: group, label, topic (empty for a concern outside the topic list)
    - ``responses``: group, channel, source, n_responses (submitted responses)
    """

    key: str
    year: int
    name: str
    scale_min: int
    scale_max: int
    scale_labels: dict
    topics: pd.DataFrame
    groups: pd.DataFrame
    channels: pd.DataFrame
    focus_areas: pd.DataFrame
    responses: pd.DataFrame
    aggregates: Aggregates


def summarise_ratings(ratings: pd.DataFrame) -> Aggregates:
    """Sufficient statistics of raw ratings.

    `ratings` has the columns ``respondent, group, dimension, topic, value``; `value` is NaN for
    "don't know". A respondent belongs to one group.
    """
    missing = [c for c in RATING_COLUMNS if c not in ratings.columns]
    if missing:
        raise ValueError(f"ratings frame lacks column(s) {', '.join(missing)}")
    if ratings.empty:
        return Aggregates()
    values = pd.to_numeric(ratings["value"], errors="raise").astype(float)
    known = values.notna().to_numpy()

    rated = ratings.loc[known, ["group", "dimension", "topic"]].assign(value=values[known].astype(int))
    histogram = (
        rated.groupby(["group", "dimension", "topic", "value"], sort=True, observed=True)
        .size()
        .rename("n")
        .reset_index()
    )
    dont_know = (
        ratings.loc[~known, ["group", "dimension", "topic"]]
        .groupby(["group", "dimension", "topic"], sort=True, observed=True)
        .size()
        .rename("n_dont_know")
        .reset_index()
    )
    respondents = (
        ratings.groupby(["group", "dimension"], sort=True, observed=True)["respondent"]
        .nunique()
        .rename("n_respondents")
        .reset_index()
    )

    moment_frames = []
    frame = ratings[["respondent", "group", "dimension", "topic"]].assign(value=values)
    for (group, dimension), part in frame.groupby(["group", "dimension"], sort=True, observed=True):
        matrix = part.pivot_table(
            index="respondent", columns="topic", values="value", aggfunc="first", dropna=False
        )
        topics = list(matrix.columns)
        x = matrix.to_numpy(dtype=float)
        mask = ~np.isnan(x)
        x = np.where(mask, x, 0.0)
        m = mask.astype(float)
        n = m.T @ m
        sum_a = x.T @ m
        sum_b = m.T @ x
        sum_ab = x.T @ x
        a_idx, b_idx = np.triu_indices(len(topics))
        keep = n[a_idx, b_idx] > 0
        a_idx, b_idx = a_idx[keep], b_idx[keep]
        moment_frames.append(
            pd.DataFrame(
                {
                    "group": group,
                    "dimension": dimension,
                    "topic_a": [topics[i] for i in a_idx],
                    "topic_b": [topics[j] for j in b_idx],
                    "n": n[a_idx, b_idx].astype(np.int64),
                    "sum_a": sum_a[a_idx, b_idx],
                    "sum_b": sum_b[a_idx, b_idx],
                    "sum_ab": sum_ab[a_idx, b_idx],
                }
            )
        )
    moments = pd.concat(moment_frames, ignore_index=True) if moment_frames else _empty(MOMENTS)
    return Aggregates(histogram, moments, dont_know, respondents)


def canonical_moments(moments: pd.DataFrame) -> pd.DataFrame:
    """Each unordered topic pair with ``topic_a <= topic_b`` as text (sums swapped to match).

    The store orders a pair by topic id, a recount by whatever keys it was given; comparing or
    hashing moments needs one order."""
    out = moments.copy()
    if out.empty:
        return out
    swap = (out["topic_a"].astype(str) > out["topic_b"].astype(str)).to_numpy()
    if swap.any():
        out.loc[swap, ["topic_a", "topic_b", "sum_a", "sum_b"]] = out.loc[
            swap, ["topic_b", "topic_a", "sum_b", "sum_a"]
        ].to_numpy()
    return out
