"""Declared focus areas against ratings: what each stakeholder group said it cares about, set
against the topics it actually rated highest (a finding for the committee and the disclosure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from analysis.pipeline import AnalysisResult

FOCUS_RATED_HIGH = "focus, rated high"
FOCUS = "focus"
FOCUS_RATED_LOW = "focus, rated low"
RATED_HIGH_NOT_FOCUS = "rated high, not a focus"
FOCUS_OUTSIDE_CATALOG = "focus outside the catalog"
FINDING_KINDS = (FOCUS_RATED_HIGH, FOCUS, FOCUS_RATED_LOW, RATED_HIGH_NOT_FOCUS, FOCUS_OUTSIDE_CATALOG)
MISMATCH_KINDS = (RATED_HIGH_NOT_FOCUS, FOCUS_RATED_LOW, FOCUS_OUTSIDE_CATALOG)
FOCUS_LINK_COLUMNS = ["group", "topic", "name", "label", "kind", "mean", "group_rank", "declared"]


def focus_links(result: AnalysisResult, top_k: int = 5) -> pd.DataFrame:
    """Each stakeholder group's declared focus areas against the topics it rated highest.

    One row per (group, topic or outside-catalog label), with `kind`:

    - "focus, rated high": a declared focus area among the group's `top_k` highest-rated topics
    - "focus": declared, rated in the upper half of the group's ranking
    - "focus, rated low": declared, rated in the lower half of the group's ranking
    - "rated high, not a focus": among the `top_k` but not declared
    - "focus outside the catalog": a declared focus area that is not a topic of the assessment

    Groups whose ratings are suppressed (too few respondents) have no ratings to compare with:
    their focus areas are kept as "focus". Columns: group, group_name, topic, name, label, kind,
    mean, group_rank, declared, n_topics_rated.
    """
    data = result.data
    stakeholder_groups = data.groups[data.groups["dimension"] == "importance"]
    topic_names = data.topics.set_index("topic")["name"]
    group_names = data.groups.set_index("group")["name"]
    shown = result.groups[~result.groups["suppressed"].astype(bool)].dropna(subset=["mean"])
    rows = []
    for group in stakeholder_groups["group"]:
        ratings = shown[shown["group"] == group].sort_values(["mean", "topic"], ascending=[False, True])
        rank = {t: i + 1 for i, t in enumerate(ratings["topic"])}
        mean = dict(zip(ratings["topic"], ratings["mean"], strict=True))
        focus = data.focus_areas[data.focus_areas["group"] == group]
        declared = {t for t in focus["topic"] if isinstance(t, str) and t}
        for _, area in focus.iterrows():
            topic = area["topic"] if isinstance(area["topic"], str) and area["topic"] in topic_names else None
            rows.append(
                {
                    "group": group,
                    "topic": topic,
                    "name": topic_names[topic] if topic else str(area["label"]),
                    "label": str(area["label"]),
                    "kind": _declared_kind(topic, rank, top_k),
                    "mean": mean.get(topic, np.nan) if topic else np.nan,
                    "group_rank": rank.get(topic, np.nan) if topic else np.nan,
                    "declared": True,
                }
            )
        for topic in ratings["topic"].head(top_k):
            if topic in declared:
                continue
            rows.append(
                {
                    "group": group,
                    "topic": topic,
                    "name": topic_names.get(topic, topic),
                    "label": "",
                    "kind": RATED_HIGH_NOT_FOCUS,
                    "mean": mean[topic],
                    "group_rank": rank[topic],
                    "declared": False,
                }
            )
    out = pd.DataFrame(rows, columns=FOCUS_LINK_COLUMNS)
    out.insert(1, "group_name", out["group"].map(group_names))
    out["n_topics_rated"] = out["group"].map(shown.groupby("group").size())
    return out


def _declared_kind(topic: str | None, rank: dict[str, int], top_k: int) -> str:
    """What a declared focus area is, given the group's ranking of the topics it rated."""
    if topic is None:
        return FOCUS_OUTSIDE_CATALOG
    if topic not in rank:
        return FOCUS
    if rank[topic] <= top_k:
        return FOCUS_RATED_HIGH
    if rank[topic] > len(rank) / 2:
        return FOCUS_RATED_LOW
    return FOCUS


def focus_mismatches(result: AnalysisResult, top_k: int = 5) -> pd.DataFrame:
    """The rows of :func:`focus_links` where declared focus and ratings disagree."""
    links = focus_links(result, top_k)
    return links[links["kind"].isin(MISMATCH_KINDS)].reset_index(drop=True)
