"""The methodology text of a materiality assessment, ready to paste into a disclosure.

Written from the method record and the results of one run, never by hand: who was consulted and
how many answered (GRI 3-1-b; ESRS 2 IRO-1 on consulting affected stakeholders), through which
channels, on what scale, how groups were weighted and tiers drawn and how stable the tiers are
(GRI 3-1-a; ESRS 2 IRO-1 on methods, assumptions and thresholds), the resulting list (GRI 3-2-a),
how far the groups agree, and what changed since the previous assessment (GRI 3-2-b).

:func:`disclosure_sections` returns plain text in sections; the report renders them as HTML
(escaped) and :func:`disclosure_markdown` as Markdown.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from analysis.channels import channel_table, group_response_table
from analysis.findings import FOCUS_OUTSIDE_CATALOG, focus_links
from analysis.rules import STABLE_P_TIER, UNCERTAIN_P_TIER
from render.numbers import number, percent, signed, whole

if TYPE_CHECKING:
    from analysis.pipeline import AnalysisResult

NOTABLE_RANK_MOVE = 3
NOT_TRACKED = "not tracked"

TIERING_TEXT = {
    "jenks": (
        "natural breaks (Jenks) of the combined score: the split into {n} contiguous classes with the "
        "least variation within each class"
    ),
    "quantiles": "quantiles of the combined score (rank bands of {shares})",
    "thresholds": "fixed cut-offs on the combined score",
    "kmeans": (
        "k-means clustering of the topics' positions on the matrix ({n} clusters), ordered by the "
        "combined score of their centres"
    ),
    "gmm": (
        "a Gaussian mixture model of the topics' positions on the matrix ({n} components), ordered by "
        "the combined score of their centres"
    ),
}


@dataclass(frozen=True)
class Section:
    """One part of the disclosure: a heading, the standards' items it answers, paragraphs, a table."""

    heading: str
    answers: str
    paragraphs: list[str]
    table: pd.DataFrame | None = field(default=None)


def join(items: list[str], word: str = "and") -> str:
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"


def stakeholders_section(result: AnalysisResult, channel_stats: pd.DataFrame) -> Section:
    data = result.data
    table = group_response_table(result, channel_stats)
    external = table[table["dimension"] == "importance"]
    internal = table[table["dimension"] != "importance"]
    tracked = external["links_issued"].notna()
    paragraphs = [
        f"For the {data.year} assessment we asked {count(len(external), 'stakeholder group')} how important "
        f"each of {count(len(data.topics), 'topic')} is to them: {join(list(external['group_name']))}. "
        f"{int(external['responses'].sum())} stakeholders responded."
    ]
    if len(internal):
        paragraphs.append(
            f"The significance of each topic to the business was rated by internal assessors "
            f"({join(list(internal['group_name']))}; {int(internal['responses'].sum())} responses)."
        )
    if tracked.all() and len(external):
        links = external["links_issued"].sum()
        paragraphs.append(
            f"We issued {int(links)} survey links to stakeholders; the overall response rate was "
            f"{percent(external['answered'].sum() / links if links else None, NOT_TRACKED)}. "
            "The table gives the response rate of each group."
        )
    elif tracked.any():
        paragraphs.append(
            f"Survey links were tracked for {join(list(external.loc[tracked, 'group_name']))} only; for the "
            "other groups the table gives the number of responses without a response rate."
        )
    else:
        paragraphs.append(
            "The survey links were not tracked by group, so response rates cannot be stated; the table gives "
            "the number of responses received from each group."
        )
    min_size = result.method.get("min_group_size")
    names = data.groups.set_index("group")["name"]
    left_out = [
        str(names.get(g, g)) for gs in (result.method.get("groups_left_out") or {}).values() for g in gs
    ]
    if left_out:
        paragraphs.append(
            f"{join(left_out)} gave fewer than {min_size} responses: "
            f"{'it is' if len(left_out) == 1 else 'they are'} left out of every figure of this report "
            "(scores, intervals, tiers and agreement), so that no respondent's answers can be worked out "
            "from them."
        )
    if result.method.get("small_cells_left_out"):
        paragraphs.append(
            f"Likewise, a group's ratings of a topic that fewer than {min_size} of its respondents rated "
            "are left out of that topic's figures."
        )
    shown = table[["group_name", "channels", "links_issued", "responses", "response_rate"]].copy()
    shown["links_issued"] = shown["links_issued"].map(lambda v: whole(v, NOT_TRACKED))
    shown["response_rate"] = shown["response_rate"].map(lambda v: percent(v, NOT_TRACKED))
    shown.columns = ["Group", "Channels", "Links issued", "Responses", "Response rate"]
    return Section(
        "Stakeholders consulted", "GRI 3-1-b; ESRS 2 IRO-1 (consultation of stakeholders)", paragraphs, shown
    )


def channels_section(result: AnalysisResult, channel_stats: pd.DataFrame) -> Section:
    data = result.data
    table = channel_table(result, channel_stats)
    paragraphs = ["Each group is engaged through its own channels (responses to this survey in brackets):"]
    for group, name in data.groups[["group", "name"]].itertuples(index=False):
        part = table[table["group"] == group]
        if len(part):
            listed = [f"{c} ({r})" for c, r in zip(part["channel"], part["responses"], strict=True)]
            paragraphs.append(f"{name}: {join(listed)}.")
    return Section("Engagement channels", "GRI 2-29; ESRS 2 SBM-2", paragraphs)


def scale_section(result: AnalysisResult) -> Section:
    data = result.data
    labels = data.scale_labels or {}

    def described(dimension: str) -> str:
        names = (labels.get(dimension) or {}).get("en") or []
        if len(names) == data.scale_max - data.scale_min + 1:
            return ", ".join(f"{data.scale_min + i} = {n}" for i, n in enumerate(names))
        return f"{data.scale_min} (lowest) to {data.scale_max} (highest)"

    paragraphs = [
        "Stakeholders rated the importance of each topic on a scale from "
        f"{data.scale_min} to {data.scale_max} ({described('importance')}). Internal assessors rated each "
        f"topic's significance to the business on the same scale ({described('business_impact')}).",
        "Every topic came with a one-sentence description. Respondents could answer \u201cdon't know\u201d; "
        "such answers are not counted as ratings.",
    ]
    rates = result.topics.dropna(subset=["dont_know_rate"])
    if len(rates):
        highest = rates.sort_values("dont_know_rate", ascending=False).iloc[0]
        paragraphs.append(
            f"Stakeholders answered \u201cdon't know\u201d to {percent(rates['dont_know_rate'].mean())} "
            f"of the questions on average, most often on {highest['name']} "
            f"({percent(highest['dont_know_rate'])}); "
            "the report gives the share for every topic. The scores assume that those who did not know "
            "would not have rated the topic differently from those who did."
        )
    return Section("Questions and rating scale", "GRI 3-1-a; ESRS 2 IRO-1 (methodology)", paragraphs)


def combined_score_text(formula: str | None) -> str:
    words = {
        None: "the mean of the two axes",
        "(stakeholder_importance + business_significance) / 2": (
            "the mean of its importance to stakeholders and its significance to the business"
        ),
    }
    return words.get(formula, f"computed as {formula}")


def weighting_section(result: AnalysisResult) -> Section:
    method = result.method
    data = result.data
    names = data.groups.set_index("group")["name"]
    weights = method.get("group_weights") or {}
    weighting = method.get("group_weighting", "equal")
    listed = [f"{names.get(g, g)} {w:.1f}%" for g, w in sorted(weights.items(), key=lambda kv: -kv[1])]
    if weighting == "equal":
        first = (
            "Every stakeholder group counts equally: a topic's importance to stakeholders is the mean of the "
            "groups' average ratings, so that large groups do not outweigh small ones"
        )
        if weights:
            first += f" (each group {100 / len(weights):.1f}%)"
        first += "."
    elif weighting == "respondents":
        first = (
            "Every respondent counts equally: a topic's importance to stakeholders is the mean over all "
            f"respondents, so groups weigh by their number of respondents ({join(listed)})."
        )
    else:
        zero = [names.get(g, g) for g, w in weights.items() if w == 0]
        first = f"Stakeholder groups were weighted as follows: {join(listed)}."
        if zero:
            first += f" A weight of 0 leaves {join(zero)} out of the stakeholder score."
    level = result.interval_level
    effective = (method.get("effective_n") or {}).get("stakeholder") or {}
    if effective.get("respondents") and effective["effective"] < 0.95 * effective["respondents"]:
        first += (
            f" Because of this weighting the {effective['respondents']} stakeholder responses carry as much "
            f"information as about {whole(round(effective['effective']))} equally weighted ones (Kish's "
            "effective sample size); the intervals below take this into account."
        )
    paragraphs = [
        first,
        "Significance to the business is the average rating of the internal assessors. The combined score "
        f"of a topic is {combined_score_text(method.get('combined_score'))}.",
        f"Each score is given with a {percent(level)} interval (Student's t, with the sample variance of "
        "each group's ratings and Welch's degrees of freedom when groups are combined), so that small "
        "differences between topics are not over-read.",
    ]
    return Section(
        "How the scores were computed", "GRI 3-1-a-ii; ESRS 2 IRO-1 (methods and assumptions)", paragraphs
    )


def tiers_section(result: AnalysisResult) -> Section:
    method = result.method
    tiering = method.get("tiering") or {}
    kind = tiering.get("method", "jenks")
    n_tiers = int(tiering.get("n_tiers") or len(result.thresholds) + 1)
    shares = join([percent(q) for q in tiering.get("quantiles") or []])
    how = TIERING_TEXT.get(kind, kind).format(n=n_tiers, shares=shares or "equal shares")
    tiers = result.tier_order
    record = method.get("threshold_record") or {}
    floor = record.get("material_threshold")
    first = ""
    if floor is not None:
        first = (
            f"A topic is not material when even the upper end of the {percent(result.interval_level)} "
            f"interval of its combined score lies below {number(floor)} on the {result.data.scale_min}-"
            f"{result.data.scale_max} scale; a topic that may be above it is kept. "
        )
    first += f"Topics were sorted into {count(n_tiers, 'tier')} ({join(tiers[:n_tiers])}) by {how}."
    if result.thresholds:
        cuts = join([number(t) for t in result.thresholds])
        first += (
            f" The cut-off{'s' if len(result.thresholds) > 1 else ''} fell at a combined score of {cuts}; "
            "on the matrix this is the dashed line."
        )
    paragraphs = [first]
    if record:
        paragraphs.append(threshold_provenance_text(record))
    test = method.get("natural_break")
    if test and test.get("gvf") is not None:
        if test.get("natural_break"):
            paragraphs.append(
                f"The scores do have a natural break: the split explains {percent(test['gvf'])} of their "
                f"variation, more than scores without a break would in all but {percent(test['p_value'])} of "
                f"{test['draws']} simulations."
            )
        else:
            paragraphs.append(
                f"The scores have no clear natural break: the split explains {percent(test['gvf'])} of their "
                f"variation, which scores drawn from one distribution without a break match in "
                f"{percent(test['p_value'])} of {test['draws']} simulations; the tiers are a division of a "
                "continuous range, not groups found in the data."
            )
    topics = result.topics.dropna(subset=["p_tier"])
    stable = topics[topics["p_tier"] >= STABLE_P_TIER]
    uncertain = topics[topics["p_tier"] < UNCERTAIN_P_TIER]
    resamples = method.get("resamples", "n/a")
    second = (
        f"To test how stable the tiers are, the tiering was repeated on {resamples} normal-approximation "
        f"draws of the scores (seed {method.get('seed', 'n/a')}): "
        f"{len(stable)} of {len(topics)} topics stayed in their tier in at least {percent(STABLE_P_TIER)} "
        "of them."
    )
    if len(uncertain):
        second += (
            " Less certain: "
            + join([f"{r.name} ({r.tier}, {percent(r.p_tier)})" for r in uncertain.itertuples(index=False)])
            + "."
        )
    else:
        second += f" No topic fell below {percent(UNCERTAIN_P_TIER)}."
    unscored = result.topics[result.topics["tier"].isna()]
    paragraphs.append(second)
    if len(unscored):
        paragraphs.append(
            f"Not enough ratings to place {join(list(unscored['name']))}; "
            f"{'it is' if len(unscored) == 1 else 'they are'} listed without a tier."
        )
    return Section("How the tiers were drawn", "GRI 3-1-a-ii; ESRS 2 IRO-1 (thresholds)", paragraphs)


def threshold_provenance_text(record: dict) -> str:
    """Who set the thresholds on the scale and when, and whether that was after the first results."""
    who, when = record.get("set_by"), record.get("set_at")
    if record.get("set_after_results"):
        return (
            f"The thresholds were set by {who} on {str(when)[:10]}, after the first results could be seen "
            f"(first response {str(record.get('results_first_computed'))[:10]}); readers should weigh "
            "the tiers with this in mind."
        )
    if when:
        return (
            f"The thresholds were set by {who} on {str(when)[:10]}, before the first results could be seen."
        )
    if record.get("set_after_results") is False and who:
        return f"The threshold is the {who}, fixed before any data."
    return "When the thresholds were set, and by whom, is not recorded."


def topics_section(result: AnalysisResult) -> Section:
    paragraphs = []
    for tier in result.tier_order:
        names = list(result.topics.loc[result.topics["tier"] == tier].sort_values("rank")["name"])
        if names:
            paragraphs.append(f"{tier.capitalize()} ({len(names)}): {'; '.join(names)}.")
    return Section("Material topics", "GRI 3-2-a", paragraphs)


RELIABLE_ALPHA = 0.8  # Krippendorff (2004), Content Analysis, 2nd ed., sec. 11.4
TENTATIVE_ALPHA = 0.667


def alpha_text(alpha: float, kendall_w: float | None) -> str:
    """What Krippendorff's alpha says about the respondents, by its value (and against W only
    when W is clearly higher)."""
    value = f"Krippendorff's alpha {number(alpha)}, where 1 means full agreement and 0 no more than chance"
    if alpha >= RELIABLE_ALPHA:
        text = f"Individual respondents largely agree ({value})."
    elif alpha >= TENTATIVE_ALPHA:
        text = f"Individual respondents agree moderately ({value})."
    else:
        text = (
            f"Individual respondents differ widely ({value}; below {TENTATIVE_ALPHA}, agreement is too low "
            "to treat one respondent's ratings as typical of others)"
        )
        if kendall_w is not None and kendall_w >= alpha + 0.2:
            text += ", far more than the group averages do"
        text += ": opinions within a group differ, which is why scores are reported with intervals."
    return text


def agreement_section(result: AnalysisResult) -> Section:
    agreement = result.agreement
    names = result.data.groups.set_index("group")["name"]
    paragraphs = []
    if agreement.kendall_w is not None:
        paragraphs.append(
            f"Kendall's W, which measures how alike the stakeholder groups rank the topics, is "
            f"{number(agreement.kendall_w)} across {count(agreement.kendall_w_groups, 'group')} "
            "(1 would mean identical rankings, 0 no common ordering)."
        )
    defined = {pair: rho for pair, rho in agreement.group_correlations.items() if rho is not None}
    if defined:
        (a, b), rho = min(defined.items(), key=lambda kv: kv[1])
        paragraphs.append(
            f"The two groups that agree least are {names.get(a, a)} and {names.get(b, b)} (Spearman's rank "
            f"correlation {number(rho)})."
        )
    alpha = agreement.krippendorff_alpha_interval
    if alpha is not None:
        paragraphs.append(alpha_text(alpha, agreement.kendall_w))
    minority = result.groups[result.groups["minority"].astype(bool)]
    if len(minority):
        topic_names = result.topics.set_index("topic")["name"]
        items = [
            f"{r.group_name} on {topic_names.get(r.topic, r.topic)} ({number(r.mean, 1)}, "
            f"{signed(r.minority_gap, 1)} against the other groups)"
            for r in minority.itertuples(index=False)
        ]
        fdr = result.method.get("minority_fdr", 0.05)
        paragraphs.append(
            "Averages can hide a group that sees a topic differently. These groups rate a topic far above or "
            f"below the other groups, beyond chance (false discovery rate {percent(fdr)}): {join(items)}."
        )
    links = focus_links(result)
    outside = links[links["kind"] == FOCUS_OUTSIDE_CATALOG]
    if len(outside):
        items = [f"{r.group_name}: {r.label}" for r in outside.itertuples(index=False)]
        paragraphs.append(
            "Some focus areas that stakeholder groups declared are not topics of this assessment "
            f"({join(items)}); we report them as findings for the next review of the topic list."
        )
    if not paragraphs:
        paragraphs.append("There were too few groups with enough respondents to measure agreement.")
    return Section("Agreement between stakeholder groups", "GRI 3-1-b; ESRS 2 IRO-1", paragraphs)


def changes_section(result: AnalysisResult) -> Section:
    changes = result.changes
    previous = result.previous
    if previous is None or changes.empty:
        text = "This is the first assessment on record; there is no earlier result to compare with."
        return Section("Changes since the previous assessment", "GRI 3-2-b", [text])
    year = previous.data.year
    paragraphs = []
    added = list(changes.loc[changes["status"] == "added", "name"])
    removed = list(changes.loc[changes["status"] == "removed", "name"])
    significant = changes["significant"].astype(bool)
    tier_changed = changes["tier_changed"].astype(bool)
    moved = changes[tier_changed & significant]
    within = changes[tier_changed & ~significant]
    if added:
        paragraphs.append(f"New topics since {year}: {join(added)}.")
    if removed:
        paragraphs.append(f"Topics dropped since {year}: {join(removed)}.")
    if len(moved):
        items = [f"{r.name} ({r.tier_previous} \u2192 {r.tier})" for r in moved.itertuples(index=False)]
        paragraphs.append(
            f"Topics that changed tier, by more than the uncertainty of the scores: {join(items)}."
        )
    else:
        paragraphs.append(f"No topic changed tier since {year} by more than the uncertainty of the scores.")
    if len(within):
        items = [f"{r.name} ({r.tier_previous} \u2192 {r.tier})" for r in within.itertuples(index=False)]
        paragraphs.append(
            f"{join(items)} crossed a tier boundary, but the change of "
            f"{'its' if len(within) == 1 else 'their'} score is within the uncertainty of the two years, "
            "so we do not report it as a move."
        )
    kept = changes[(changes["status"] == "kept") & ~tier_changed & significant]
    big = kept[kept["rank_change"].abs().fillna(0) >= NOTABLE_RANK_MOVE]
    if len(big):
        items = [
            f"{r.name} ({'up' if r.rank_change > 0 else 'down'} {abs(int(r.rank_change))})"
            for r in big.itertuples(index=False)
        ]
        paragraphs.append(
            f"Other notable moves in rank, beyond the uncertainty of the scores: {join(items)}."
        )
    level = percent(result.interval_level)
    paragraphs.append(
        f"A change counts as a move only when the {level} interval of the change in the combined score, "
        "held for all topics together (Bonferroni), excludes zero; the previous year's tiers were "
        "recomputed with this year's tier rule."
    )
    comparison = result.method.get("comparison") or {}
    if result.method.get("previous_assessment"):
        if comparison and not comparison.get("weights_rescaled"):
            paragraphs.append(
                f"The {year} results were recomputed with this year's method and the same groups and "
                "weights, so the comparison is like for like."
            )
        else:
            names = result.data.groups.set_index("group")["name"]
            differ = [str(names.get(g, g)) for g in comparison.get("groups_only_now", [])]
            differ_then = [str(names.get(g, g)) for g in comparison.get("groups_only_then", [])]
            text = f"The {year} results were recomputed with this year's method, but the group weights "
            text += "differ"
            if differ:
                text += f": {join(differ)} counted only this year"
            if differ_then:
                text += f"{';' if differ else ':'} {join(differ_then)} only in {year}"
            paragraphs.append(text + "; part of the change may come from that.")
    return Section("Changes since the previous assessment", "GRI 3-2-b", paragraphs)


def record_section(result: AnalysisResult) -> Section:
    method = result.method
    text = (
        f"The analysis is reproducible: input data fingerprint (SHA-256) {method.get('fingerprint', 'n/a')}, "
        f"toolkit version {method.get('toolkit_version', 'n/a')}. The full method record accompanies this "
        "report."
    )
    return Section("Method record", "ESRS 2 IRO-1 (input parameters)", [text])


def disclosure_sections(result: AnalysisResult, channel_stats: pd.DataFrame) -> list[Section]:
    """The methodology disclosure of `result`, in the order a reader needs it."""
    return [
        stakeholders_section(result, channel_stats),
        channels_section(result, channel_stats),
        scale_section(result),
        weighting_section(result),
        tiers_section(result),
        topics_section(result),
        agreement_section(result),
        changes_section(result),
        record_section(result),
    ]


def disclosure_markdown(sections: list[Section], title: str) -> str:
    """The sections as Markdown: text HTML-escaped (Markdown passes HTML through), link syntax
    and web addresses escaped so that no text becomes a link, tables as pipe tables with pipes in
    cells escaped."""

    def text(value: object) -> str:
        escaped = html.escape(str(value), quote=False).replace("\\", "\\\\")
        return (
            escaped.replace("[", "\\[")
            .replace("]", "\\]")
            .replace("://", ":\\/\\/")
            .replace("www.", "www\\.")
        )

    def cell(value: object) -> str:
        return text(value).replace("|", "\\|").replace("\n", " ")

    lines = [f"# {text(title)}", ""]
    for section in sections:
        lines += [f"## {text(section.heading)}", "", f"*{text(section.answers)}*", ""]
        for paragraph in section.paragraphs:
            lines += [text(paragraph), ""]
        if section.table is not None and not section.table.empty:
            lines.append("| " + " | ".join(cell(c) for c in section.table.columns) + " |")
            lines.append("|" + "---|" * len(section.table.columns))
            for row in section.table.itertuples(index=False):
                lines.append("| " + " | ".join(cell(v) for v in row) + " |")
            lines.append("")
    return "\n".join(lines)
