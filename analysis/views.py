"""Tables the committee reads beside the charts: agreement between groups and minority views."""

from __future__ import annotations

import math

import pandas as pd

from analysis.pipeline import AnalysisResult


def agreement_facts(result: AnalysisResult) -> pd.DataFrame:
    """Kendall's W, Krippendorff's alpha and how much went into them, one row each."""
    a = result.agreement

    def value(name: str) -> float | None:
        v = a.get(name)
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)

    return pd.DataFrame(
        {
            "measure": [
                "Kendall's W: do the groups rank the topics alike? (0 no, 1 identically)",
                "Krippendorff's alpha, ordinal: do respondents agree? (1 perfectly, 0 as by chance)",
                "Krippendorff's alpha, interval",
            ],
            "value": [
                value("kendall_w"),
                value("krippendorff_alpha_ordinal"),
                value("krippendorff_alpha_interval"),
            ],
            "based_on": [
                f"{a.get('kendall_w_groups', 0)} groups x {a.get('kendall_w_topics', 0)} topics",
                f"{a.get('krippendorff_units', 0)} topic-group units",
                f"{a.get('krippendorff_units', 0)} topic-group units",
            ],
        }
    )


def group_correlations(result: AnalysisResult) -> pd.DataFrame:
    """Spearman's rho between every two groups' topic rankings, as a square table by group name."""
    pairs = result.agreement.get("group_correlations") or {}
    names = result.data.groups.set_index("group")["name"]
    keys = list(dict.fromkeys(k for pair in pairs for k in pair.split("|", 1)))
    table = pd.DataFrame(float("nan"), index=keys, columns=keys)
    for pair, rho in pairs.items():
        first, second = pair.split("|", 1)
        table.loc[first, second] = table.loc[second, first] = rho
    for k in keys:
        table.loc[k, k] = 1.0
    labels = [str(names.get(k, k)) for k in keys]
    table.index, table.columns = labels, labels
    return table


def minority_views(result: AnalysisResult) -> pd.DataFrame:
    """The groups that rate a topic far above the overall score (what averaging hides)."""
    flagged = result.groups[result.groups["minority"]]
    names = result.topics.set_index("topic")["name"]
    return pd.DataFrame(
        {
            "group": flagged["group_name"].to_numpy(),
            "topic": flagged["topic"].map(names).to_numpy(),
            "group_mean": flagged["mean"].to_numpy(),
            "above_overall_by": flagged["minority_gap"].to_numpy(),
            "respondents": flagged["n"].to_numpy(),
        }
    )
