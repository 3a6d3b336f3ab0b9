"""Tables the committee reads beside the charts in the app: agreement between groups and minority
views, labelled for reading (the numbers come from the analysis result)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from analysis.pipeline import AnalysisResult


def agreement_facts(result: AnalysisResult) -> pd.DataFrame:
    """Kendall's W, Krippendorff's alpha and how much went into them, one row each."""
    a = result.agreement
    return pd.DataFrame(
        {
            "measure": [
                "Kendall's W: do the groups rank the topics alike? (0 no, 1 identically)",
                "Krippendorff's alpha, ordinal: do respondents agree? (1 perfectly, 0 as by chance)",
                "Krippendorff's alpha, interval",
            ],
            "value": [a.kendall_w, a.krippendorff_alpha_ordinal, a.krippendorff_alpha_interval],
            "based_on": [
                f"{a.kendall_w_groups} groups x {a.kendall_w_topics} topics",
                f"{a.krippendorff_units} topic-group units",
                f"{a.krippendorff_units} topic-group units",
            ],
        }
    )


def group_correlations(result: AnalysisResult) -> pd.DataFrame:
    """Spearman's rho between every two groups' topic rankings, as a square table by group name."""
    table = result.agreement.correlation_matrix()
    names = result.data.groups.set_index("group")["name"]
    labels = [str(names.get(k, k)) for k in table.index]
    table.index, table.columns = labels, labels
    return table


def minority_views(result: AnalysisResult) -> pd.DataFrame:
    """The groups that rate a topic far above or below the other groups (what averaging hides);
    `above_overall_by` is negative for a group below them."""
    flagged = result.groups[result.groups["minority"]]
    names = result.topics.set_index("topic")["name"]
    return pd.DataFrame(
        {
            "group": flagged["group_name"].to_numpy(),
            "topic": flagged["topic"].map(names).to_numpy(),
            "group_mean": flagged["mean"].to_numpy(),
            "above_overall_by": flagged["minority_gap"].to_numpy(),
            "respondents": flagged["n"].to_numpy(),
            "direction": flagged["minority_direction"].to_numpy(),
            "others_score": flagged["others_score"].to_numpy(),
            "q_value": flagged["minority_q"].to_numpy(),
        }
    )
