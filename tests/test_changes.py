"""Year over year: added, removed and kept topics, tier and rank moves, score deltas."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from analysis.changes import CHANGE_COLUMNS, year_over_year
from core.formats import csv_text


def topic_results(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["topic", "name", "tier", "rank", "stakeholder_importance", "business_significance"]
    )


CURRENT = topic_results(
    [
        ("privacy", "Privacy", "high", 1, 4.4, 4.5),
        ("talent", "Talent attraction", "high", 2, 4.0, 4.2),
        ("climate", "Climate change", "material", 3, 3.4, 2.6),
        ("safety", "Health and safety", "material", 4, 3.3, 3.1),
    ]
)
PREVIOUS = topic_results(
    [
        ("safety", "Health and safety", "high", 1, 4.0, 4.2),
        ("privacy", "Privacy", "high", 2, 4.3, 4.6),
        ("paper", "Paper use", "material", 3, 2.9, 2.5),
        ("talent", "Talent attraction", "material", 4, 3.3, 3.4),
    ]
)


def test_changes_report_moves_additions_and_removals():
    changes = year_over_year(CURRENT, PREVIOUS)
    assert list(changes.columns) == CHANGE_COLUMNS
    assert list(changes["topic"]) == ["privacy", "talent", "climate", "safety", "paper"]
    by_topic = changes.set_index("topic")
    assert by_topic.loc["climate", "status"] == "added"
    assert by_topic.loc["paper", "status"] == "removed"
    assert by_topic.loc["paper", "name"] == "Paper use"
    assert by_topic.loc["talent", ["tier_previous", "tier", "tier_changed"]].tolist() == [
        "material",
        "high",
        True,
    ]
    assert by_topic.loc["safety", ["tier_previous", "tier", "tier_changed"]].tolist() == [
        "high",
        "material",
        True,
    ]
    assert not by_topic.loc["privacy", "tier_changed"]
    assert not by_topic.loc["climate", "tier_changed"] and by_topic.loc["climate", "tier_previous"] is None
    assert by_topic.loc["talent", "rank_change"] == 2  # moved up from 4 to 2
    assert by_topic.loc["safety", "rank_change"] == -3
    assert pd.isna(by_topic.loc["climate", "rank_change"]) and pd.isna(by_topic.loc["paper", "rank"])
    assert by_topic.loc["talent", "stakeholder_delta"] == np.float64(4.0) - np.float64(3.3)
    assert by_topic.loc["privacy", "business_delta"] == np.float64(4.5) - np.float64(4.6)
    assert np.isnan(by_topic.loc["paper", "stakeholder_delta"])


def test_without_a_previous_assessment_the_file_has_only_its_header():
    changes = year_over_year(CURRENT, None)
    assert changes.empty and list(changes.columns) == CHANGE_COLUMNS
    text = csv_text(changes)
    assert text == ",".join(CHANGE_COLUMNS) + "\n"


def test_change_file_writes_whole_ranks_and_empty_cells_for_missing_values():
    text = csv_text(year_over_year(CURRENT, PREVIOUS))
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    paper = back[back["topic"] == "paper"].iloc[0]
    assert (paper["rank_previous"], paper["rank"], paper["rank_change"], paper["tier"]) == ("3", "", "", "")
    talent = back[back["topic"] == "talent"].iloc[0]
    assert (talent["rank_change"], talent["stakeholder_delta"], talent["tier_changed"]) == (
        "2",
        "0.700000",
        "True",
    )


def test_a_topic_without_a_tier_this_year_has_no_tier_change():
    unscored = CURRENT.assign(tier=[None, "high", "material", "material"])
    changes = year_over_year(unscored, PREVIOUS).set_index("topic")
    assert changes.loc["privacy", "tier"] is None and not changes.loc["privacy", "tier_changed"]
    assert changes.loc["talent", "tier_changed"]
