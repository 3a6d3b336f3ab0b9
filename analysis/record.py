"""The method record of a result (``method.json``): the method as configured, what each figure
means, what was left out, who set the thresholds and when, and a fingerprint of the input."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analysis.method import MethodConfig
from core import __version__ as TOOLKIT_VERSION  # noqa: N812 - a constant
from core.aggregates import MOMENTS, SUMMARY_TABLES, AssessmentData, canonical_moments

if TYPE_CHECKING:
    from analysis.pipeline import AnalysisResult

COMBINED_SCORE = "(stakeholder_importance + business_significance) / 2"


def material_threshold(method: MethodConfig, data: AssessmentData) -> float | None:
    """The combined score below which a topic can be "not material" (None: no such tier)."""
    if not method.tiering.not_material_tier:
        return None
    if method.tiering.material_threshold is not None:
        return float(method.tiering.material_threshold)
    return (data.scale_min + data.scale_max) / 2.0


def fingerprint(data: AssessmentData) -> str:
    """SHA-256 of the analysed input: catalog snapshot, scale and aggregates, canonically ordered."""

    def columns(
        frame: pd.DataFrame, keys: list[str], text: list[str], counts: list[str], sums: list[str]
    ) -> dict:
        if frame.empty:
            return {}
        values = [frame[c].astype(str).tolist() for c in text]
        values += [pd.to_numeric(frame[c]).astype(np.int64).tolist() for c in counts]
        values += [pd.to_numeric(frame[c]).astype(float).tolist() for c in sums]
        names = [*text, *counts, *sums]
        order = [names.index(k) for k in keys]
        rows = sorted(zip(*values, strict=True), key=lambda row: tuple(row[i] for i in order))
        return {name: [row[i] for row in rows] for i, name in enumerate(names)}

    content: dict[str, Any] = {
        "key": data.key,
        "year": int(data.year),
        "name": data.name,
        "scale": [int(data.scale_min), int(data.scale_max)],
        "topics": columns(data.topics, ["topic"], ["topic", "name", "category"], [], []),
        "groups": columns(data.groups, ["group"], ["group", "name", "dimension"], [], ["default_weight"]),
    }
    for layout in SUMMARY_TABLES:
        frame = data.aggregates.frame(layout)
        if layout is MOMENTS:
            frame = canonical_moments(frame)
        # a rating value is a key of the histogram, hashed as the whole number it is
        text = [k for k in layout.keys if k != "value"]
        counts = ["value", *layout.counts] if "value" in layout.keys else list(layout.counts)
        content[layout.frame] = columns(frame, list(layout.keys), text, counts, list(layout.sums))
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def comparison_record(
    method: MethodConfig, weights: dict[str, float], previous: AnalysisResult | None
) -> dict[str, Any] | None:
    """Whether last year's result, recomputed with this year's method, compares like with like:
    the same groups counted with the same weights (None without a previous year)."""
    if previous is None:
        return None
    then = {**previous.method["group_weights"], **previous.method["business_group_weights"]}
    counted_now = {g for g, w in weights.items() if w > 0}
    counted_then = {g for g, w in then.items() if w > 0}
    rescaled = any(abs(then.get(g, 0.0) - w) > 1e-9 for g, w in weights.items() if g in counted_then)
    return {
        "groups_only_now": sorted(counted_now - counted_then),
        "groups_only_then": sorted(counted_then - counted_now),
        "weights_rescaled": bool(rescaled or counted_now != counted_then),
        "tier_rule": "this year's",
    }


def threshold_record(
    method: MethodConfig, data: AssessmentData, cuts: list[float], provenance: dict | None
) -> dict[str, Any] | None:
    """The thresholds on the scale in force, who set them and when, and whether that was after
    the first results could be seen (None when the method has no threshold on the scale)."""
    floor = material_threshold(method, data)
    fixed = method.tiering.method == "thresholds"
    if floor is None and not fixed:
        return None
    chosen = fixed or method.tiering.material_threshold is not None
    record: dict[str, Any] = {
        "material_threshold": floor,
        "cut_points": [float(c) for c in method.tiering.thresholds or []] if fixed else [],
        "set_by": None,
        "set_at": None,
        "results_first_computed": None,
        "set_after_results": None,
    }
    if not chosen:
        record.update(set_by="toolkit default: the midpoint of the rating scale", set_after_results=False)
    elif provenance:
        record.update({k: provenance.get(k) for k in ("set_by", "set_at", "results_first_computed")})
        if record["set_at"]:
            first = record["results_first_computed"]
            record["set_after_results"] = bool(first) and str(record["set_at"]) > str(first)
    return record


def left_out_groups(all_stats: dict, stats: dict) -> dict[str, list[str]]:
    """Per dimension, the groups left out of every figure for having too few respondents."""
    out: dict[str, list[str]] = {}
    for group, dimension in sorted(set(all_stats) - set(stats), key=lambda k: (k[1], k[0])):
        out.setdefault(dimension, []).append(group)
    return out


def method_record(
    data: AssessmentData,
    method: MethodConfig,
    *,
    stakeholder_weights: dict[str, float],
    business_weights: dict[str, float],
    previous: AnalysisResult | None,
    source: dict | None,
    left_out: dict[str, list[str]] | None = None,
    small_cells: int = 0,
    threshold_record: dict | None = None,
    natural_break: dict | None = None,
    comparison: dict | None = None,
    effective_n: dict | None = None,
) -> dict[str, Any]:
    """The method as configured, what each figure means, and what it was applied to."""
    level = f"{method.interval_level:.0%}"
    record = method.as_dict()
    record.update(
        {
            "assessment": data.key,
            "year": int(data.year),
            "group_weights": stakeholder_weights,
            "business_group_weights": business_weights,
            "stakeholder_importance": (
                "weighted mean of the stakeholder groups' mean 'importance' ratings "
                f"({method.group_weighting} group weighting, renormalised over the groups that rated "
                "the topic)"
            ),
            "business_significance": (
                "weighted mean of the internal assessors' mean 'business_impact' ratings "
                f"({method.group_weighting} group weighting)"
            ),
            "combined_score": COMBINED_SCORE,
            "top_box": (
                f"share of ratings in the top {method.top_box_points} scale points, groups weighted as for "
                "stakeholder importance"
            ),
            "interval": (
                f"{level} Welch interval: estimate +- Student t quantile x standard error, the standard "
                "error from each group's n - 1 sample covariance of its respondents' ratings (pairwise "
                "deletion) divided by n and the group weights, the degrees of freedom by "
                "Welch-Satterthwaite; clipped to the scale"
            ),
            "draws": (
                f"{method.resamples} normal-approximation draws (multivariate t per group, n - 1 degrees of "
                "freedom, clipped to the scale, combined with the group weights), not resamples of the "
                "respondents; they give p_tier, the rank intervals and the probabilities of tiers"
            ),
            "p_tier": (
                "share of the draws in which the topic lands in its assigned tier when the tiering "
                "is refitted on the draw"
            ),
            "minority": (
                f"a group's mean at least {method.minority_gap:g} above or below the score of the other "
                "groups (their weights renormalised without it), with Welch's two-sided t test of the "
                f"difference significant at a false discovery rate of {method.minority_fdr:g} over all "
                "groups and topics (Benjamini-Hochberg 1995)"
            ),
            "suppression": (
                f"a group with fewer than {method.min_group_size} respondents, and a group's topic rated by "
                f"fewer than {method.min_group_size}, is left out of every published figure: overall scores, "
                "intervals, top-box shares, tiers, agreement and correlations; only its counts of "
                "respondents and of 'don't know' are shown"
            ),
            "groups_left_out": left_out or {},
            "threshold_record": threshold_record,
            "comparison": comparison,
            "effective_n": effective_n,
            "changes": (
                "deltas are this year minus last year; intervals are Welch's for two independent samples, "
                "simultaneous over the topics compared (Bonferroni); 'significant' when the combined-score "
                "delta's interval excludes zero; last year's tiers recomputed with this year's tier rule; "
                "p_tier_change from the normal-approximation draws of both years"
            ),
            "natural_break": natural_break,
            "small_cells_left_out": small_cells,
            "dont_know": (
                "'don't know' is not a rating: it counts in neither means nor n; its share of the answers "
                "is reported per topic (topics.csv dont_know_rate) and per group (groups.csv); the analysis "
                "assumes it is unrelated to the rating the respondent would have given"
            ),
            "fingerprint": fingerprint(data),
            "previous_assessment": previous.data.key if previous is not None else None,
            "previous_fingerprint": previous.method["fingerprint"] if previous is not None else None,
            "toolkit_version": TOOLKIT_VERSION,
            "source": source or {"kind": "defaults"},
        }
    )
    return record
