"""The double-materiality disclosure: ESRS 2 IRO-1 (the process), SBM-3 (the material IROs) and
IRO-2 (the standards that follow, and the topics found not material).

Every sentence is written only when the condition it states holds in the data (a threshold set
after ratings, assessors who disagreed, a survey used as evidence, a sign-off), and each such
condition is tested (``tests/test_dma_outputs.py``). Text is plain; the report renders it
escaped (:func:`render.disclosure.disclosure_markdown`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.dma import DmaResult
from analysis.dma_method import CRITERION_ANCHORS, describe_iro
from render.disclosure import Section, count, join
from render.numbers import number

VALUE_CHAIN_WORDS = {"upstream": "upstream", "own_operations": "own operations", "downstream": "downstream"}
HORIZON_WORDS = {
    "short": "short term (up to 1 year)",
    "medium": "medium term (1-5 years)",
    "long": "long term (over 5 years)",
}


@dataclass(frozen=True)
class DmaReport:
    """What the disclosure is written from: the result and the records behind it.

    `standards` maps each topic to its topical standard code (None: entity-specific) and
    `standard_names` each code to its name; `survey` has group, group_name, topic, respondents,
    mean; `events` the workflow log (at, action, state, actor, reason); `threshold_log` every
    threshold setting (set_at, set_by, impact, financial, reason, after_ratings)."""

    year: int
    state: str
    result: DmaResult
    register: pd.DataFrame
    ratings: pd.DataFrame
    consensus: pd.DataFrame
    threshold_log: pd.DataFrame
    events: pd.DataFrame
    survey: pd.DataFrame
    topic_names: dict[str, str]
    standards: dict[str, str | None]
    standard_names: dict[str, str]


def _day(value: object) -> str:
    return pd.Timestamp(value).strftime("%d %B %Y").lstrip("0")


def process_section(report: DmaReport) -> Section:
    result, register = report.result, report.register
    n_topics = register["topic"].nunique()
    n_sub = register.loc[register["sub_topic"] != "", ["topic", "sub_topic"]].drop_duplicates().shape[0]
    kinds = register["type"].value_counts()
    paragraphs = [
        f"For {report.year} we identified {count(len(register), 'IRO')} "
        f"(impacts, risks and opportunities) under {count(n_topics, 'topic')}"
        + (f" and {count(n_sub, 'sub-topic')}" if n_sub else "")
        + ": "
        + join(
            [
                f"{count(int(kinds[k]), k.replace('_', ' '))}"
                for k in ("negative_impact", "positive_impact", "risk", "opportunity")
                if k in kinds
            ]
        )
        + ". Each IRO is placed in the value chain and given a time horizon."
    ]
    impacts = register["type"].isin(["negative_impact", "positive_impact"]).any()
    financial = register["type"].isin(["risk", "opportunity"]).any()
    formulas = result.method["formulas"]
    if impacts:
        paragraphs.append(
            "Impacts were rated gross, before mitigation, on scale, scope and, for negative impacts, "
            "irremediability, and on likelihood when potential. Severity is "
            f"{formulas['severity_negative_impact']} for a negative impact and "
            f"{formulas['severity_positive_impact']} for a positive one; a potential impact's score is "
            "severity x likelihood / 5, and a potential negative human-rights impact's is "
            f"{formulas['impact_score_potential_negative_human_rights']}."
        )
    if financial:
        paragraphs.append(
            "Risks and opportunities were rated on the magnitude of their financial effect and its "
            "likelihood; their score is magnitude x likelihood / 5."
        )
    paragraphs.append(
        "Every criterion was rated on a 1-5 scale with labelled anchors (for example scale: "
        + ", ".join(f"{i + 1} {label}" for i, label in enumerate(CRITERION_ANCHORS["scale"]))
        + "), and every rating carries a written rationale. A topic's score on each axis is the highest "
        "score among its IROs; positive and negative impacts are not netted."
    )
    if result.method.get("preset", "default") != "default":
        paragraphs.append(f"These formulas are the '{result.method['preset']}' preset, not the default rule.")
    return Section("Process and criteria", "ESRS 2 IRO-1 (53 a, b, c); ESRS 1 AR 9-15", paragraphs)


def thresholds_section(report: DmaReport) -> Section:
    log, thresholds = report.threshold_log, report.result.method["thresholds"]
    paragraphs = []
    if thresholds.get("impact") is None or thresholds.get("financial") is None:
        paragraphs.append(
            "Thresholds are not complete: "
            + "; ".join(report.result.notes)
            + ". No topic is material on an axis without one."
        )
    if len(log):
        latest = log.iloc[-1]
        paragraphs.append(
            f"A topic is material when its impact score reaches {number(thresholds['impact'])} "
            f"or its financial score reaches {number(thresholds['financial'])}; the two scores are "
            "assessed separately and never averaged. "
            f"The thresholds in force were set on {_day(latest['set_at'])} by {latest['set_by']}: "
            f"{latest['reason']}"
        )
        if bool(latest["after_ratings"]):
            paragraphs.append(
                "These thresholds were set after ratings had been recorded; the table lists every setting."
            )
        else:
            paragraphs.append("They were set before any rating was recorded.")
    if len(log) > 1:
        paragraphs.append(
            f"The thresholds were set {count(len(log), 'time')}; "
            "every setting is listed with who, when and why."
        )
    table = log.assign(
        set_at=log["set_at"].map(_day),
        impact=log["impact"].map(number),
        financial=log["financial"].map(number),
        after_ratings=log["after_ratings"].map({True: "yes", False: "no"}),
    )[["set_at", "set_by", "impact", "financial", "after_ratings", "reason"]]
    table.columns = ["Set on", "By", "Impact", "Financial", "After ratings", "Reason"]
    return Section("Thresholds", "ESRS 2 IRO-1 (53 b iv, c ii); ESRS 1 §28", paragraphs, table)


def people_section(report: DmaReport) -> Section:
    result, ratings = report.result, report.ratings
    assessors = sorted(ratings["assessor"].unique()) if len(ratings) else []
    paragraphs = []
    if assessors:
        paragraphs.append(
            f"{count(len(assessors), 'assessor')} rated the IROs independently: {join(assessors)}."
        )
    else:
        paragraphs.append("No ratings have been recorded yet.")
    flagged = int(result.iros["calibrate"].sum())
    agreed = len(report.consensus)
    if agreed:
        paragraphs.append(
            f"Where assessors differed by 2 or more points on a criterion, it was discussed in calibration; "
            f"{count(agreed, 'consensus value')} agreed there replaced the assessors' mean."
        )
    if flagged:
        paragraphs.append(
            f"{count(flagged, 'IRO')} {'still shows' if flagged == 1 else 'still show'} assessors 2 or more "
            "points apart without a consensus value."
        )
    flips = result.topics.loc[result.topics["flips"], "topic"].tolist()
    if flips:
        paragraphs.append(
            f"For {join([report.topic_names.get(t, t) for t in flips])} the decision depends "
            "on whose ratings are used: material with the highest ratings given, not with the lowest."
        )
    survey = report.survey[report.survey["respondents"] > 0]
    if len(survey):
        groups = survey.groupby("group_name", sort=False)["respondents"].max()
        paragraphs.append(
            "The stakeholder survey was used as evidence for the impacts: "
            + join([f"{g} ({n})" for g, n in groups.items()])
            + " respondents rated the topics."
        )
    else:
        paragraphs.append("No stakeholder survey results were available as evidence for this assessment.")
    signed = report.events[report.events["state"] == "signed_off"]
    if report.state == "signed_off" and len(signed):
        last = signed.iloc[-1]
        paragraphs.append(f"The assessment was signed off on {_day(last['at'])} by {last['actor']}.")
    else:
        paragraphs.append(f"The assessment is not signed off (state: {report.state.replace('_', ' ')}).")
    return Section(
        "Who assessed, and with what evidence", "ESRS 2 IRO-1 (53 b iii, d); ESRS 1 AR 8", paragraphs
    )


def material_iros_section(report: DmaReport) -> Section:
    iros = report.result.iros
    material = iros[iros["impact_material"] | iros["financial_material"]]
    detail = report.register.set_index("iro")
    rows = []
    for record in material.to_dict("records"):
        place = detail.loc[record["iro"]]
        rows.append(
            {
                "IRO": record["iro"],
                "Topic": report.topic_names.get(record["topic"], record["topic"]),
                "Kind": describe_iro(record["type"], record["status"]).split(" ", 1)[1],
                "Value chain": ", ".join(VALUE_CHAIN_WORDS[p] for p in place["value_chain"].split(";") if p),
                "Horizon": HORIZON_WORDS.get(place["horizon"], place["horizon"]),
                "Human rights": "yes" if bool(place["human_rights"]) else "no",
                "Score": number(
                    record["impact_score"] if pd.notna(record["impact_score"]) else record["financial_score"]
                ),
                "Description": place["description"],
            }
        )
    paragraphs = [
        f"{count(len(material), 'IRO')} of {len(iros)} reach a threshold; the table lists each "
        "with its place in the value chain and time horizon."
    ]
    if material.empty:
        paragraphs = ["No IRO reaches a threshold."]
    human = material[material["human_rights"] & (material["type"] == "negative_impact")]
    if len(human):
        paragraphs.append(
            f"{count(len(human), 'material negative impact')} "
            f"{'concerns' if len(human) == 1 else 'concern'} human rights."
        )
    return Section(
        "Material impacts, risks and opportunities", "ESRS 2 SBM-3 (48 a, c)", paragraphs, pd.DataFrame(rows)
    )


def standards_section(report: DmaReport) -> Section:
    topics = report.result.topics
    material = topics[topics["material"]]
    codes = sorted({code for t in material["topic"] if (code := report.standards.get(t)) is not None})
    entity = [t for t in material["topic"] if report.standards.get(t) is None]
    paragraphs = []
    if codes:
        paragraphs.append(
            "The material topics bring in the disclosure requirements of "
            + join([f"ESRS {c} {report.standard_names.get(c, '')}".strip() for c in codes])
            + "."
        )
    if entity:
        paragraphs.append(
            f"{join([report.topic_names.get(t, t) for t in entity])} "
            f"{'is' if len(entity) == 1 else 'are'} not covered by a topical standard: "
            "entity-specific disclosures."
        )
    rows = []
    for record in topics[~topics["material"]].to_dict("records"):
        if record["n_iros"] == 0:
            reason = "no impact, risk or opportunity was identified"
        else:
            parts = []
            if pd.notna(record["impact_score"]):
                parts.append(f"impact score {number(record['impact_score'])} below the threshold")
            if pd.notna(record["financial_score"]):
                parts.append(f"financial score {number(record['financial_score'])} below the threshold")
            reason = join(parts) or "its IROs are not fully rated"
        rows.append(
            {
                "Topic": report.topic_names.get(record["topic"], record["topic"]),
                "Standard": report.standards.get(record["topic"]) or "entity-specific",
                "Why not material": reason,
            }
        )
    climate = [r for r in topics[~topics["material"]]["topic"] if report.standards.get(r) == "E1"]
    if climate:
        paragraphs.append(
            "Climate change was assessed as not material. ESRS 2 IRO-2 asks for a detailed explanation, "
            "including the conditions under which it could become material; "
            "the reason below is the starting point."
        )
    paragraphs.append(
        f"{count(len(rows), 'topic')} were found not material, each with a one-line reason below."
        if len(rows) != 1
        else "One topic was found not material; the reason is below."
    )
    return Section(
        "Standards that apply, and topics not material",
        "ESRS 2 IRO-2 (56, 57, 58)",
        paragraphs,
        pd.DataFrame(rows),
    )


def dma_sections(report: DmaReport) -> list[Section]:
    return [
        process_section(report),
        thresholds_section(report),
        people_section(report),
        material_iros_section(report),
        standards_section(report),
    ]
