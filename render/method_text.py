"""The method in the committee's words: settings by name, and what changed between two methods
as sentences ("Weight of Clients changed from 14.3% to 16.7%.")."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from analysis.method import MethodConfig, flat_settings, method_from_dict

TIERING_WORDS = {
    "jenks": "natural breaks (Jenks)",
    "kmeans": "clusters (k-means)",
    "gmm": "clusters (Gaussian mixture)",
    "thresholds": "fixed cut points",
    "quantiles": "equal shares (quantiles)",
}
WEIGHTING_WORDS = {
    "equal": "every group counts equally",
    "respondents": "by respondents",
    "explicit": "explicit weights",
}
SETTING_WORDS = {
    "group_weighting": "Group weighting",
    "tiering.method": "Tiering method",
    "tiering.n_tiers": "Number of tiers",
    "tiering.thresholds": "Cut points on the combined score",
    "tiering.quantiles": "Shares of the quantile tiers",
    "interval_level": "Level of the intervals",
    "resamples": "Resamples for intervals and tier stability",
    "seed": "Random seed",
    "min_group_size": "Smallest group shown",
    "minority_gap": "Gap that flags a minority view",
    "top_box_points": "Top-box points",
}
NOT_SET = "not set"


def _value(setting: str, value: Any) -> str:
    if value is None or value == {} or (isinstance(value, float) and not math.isfinite(value)):
        return NOT_SET
    if setting.startswith("group_weights."):
        return f"{float(value):.1f}%"
    if setting == "interval_level":
        return f"{float(value):.0%}"
    if setting == "tiering.method":
        return TIERING_WORDS.get(str(value), str(value))
    if setting == "group_weighting":
        return WEIGHTING_WORDS.get(str(value), str(value))
    if isinstance(value, list):
        return ", ".join(_value(setting, v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def setting_name(setting: str, group_names: Mapping[str, str]) -> str:
    if setting.startswith("group_weights."):
        group = setting.split(".", 1)[1]
        return f"Weight of {group_names.get(group, group)}"
    return SETTING_WORDS.get(setting, setting.replace("_", " ").replace(".", ": ").capitalize())


def change_sentences(
    before: Mapping[str, Any] | None, after: Mapping[str, Any], group_names: Mapping[str, str]
) -> list[str]:
    """What differs between two method records, one sentence per setting; `before` None stands
    for the defaults."""
    old = flat_settings(
        MethodConfig().as_dict() if before is None else method_from_dict(dict(before), record=True).as_dict()
    )
    new = flat_settings(method_from_dict(dict(after), record=True).as_dict())
    sentences = []
    for setting in sorted(set(old) | set(new)):
        a, b = old.get(setting), new.get(setting)
        if a == b or (a in (None, {}) and b in (None, {})):
            continue
        sentences.append(
            f"{setting_name(setting, group_names)} changed from {_value(setting, a)} to {_value(setting, b)}."
        )
    return sentences
