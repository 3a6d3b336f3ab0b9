"""The self-contained HTML report: charts, tables and the methodology disclosure in one file that
opens offline (the Vega libraries are embedded, nothing is fetched).

Pages are Jinja2 templates (``render/templates``) with autoescaping: every value from a result,
a catalog or a user is escaped as it enters the page; chart data inside ``<script>`` is JSON with
``<``, ``>`` and ``&`` written as ``\\u`` escapes (:func:`render.vega.script_json`), and chart text
is drawn by Vega as SVG text.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import jinja2
import pandas as pd
from markupsafe import Markup

from analysis.channels import channel_table, group_response_table
from analysis.findings import focus_mismatches
from core.textsafety import plain_text
from render.disclosure import Section
from render.numbers import interval, is_missing, number, percent, signed, whole
from render.style import CATEGORY_NAMES, TIER_COLOURS
from render.vega import script_json, vega_bundle

if TYPE_CHECKING:
    from analysis.pipeline import AnalysisResult


def _as_html_text(value: object) -> Markup:
    """Every value a template shows, as HTML text: markup already made safe (a macro's output, chart
    JSON) as it is, anything else escaped with :func:`html.escape` (quotes as ``&quot;`` and ``&#x27;``,
    the forms the report has always had). None shows as nothing."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else plain_text(str(value)), quote=True))


TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("render", "templates"),
    autoescape=True,
    finalize=_as_html_text,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)
TEMPLATES.filters["script_json"] = lambda value: Markup(script_json(value))


@dataclass(frozen=True)
class HtmlRow:
    css_class: str
    cells: list[tuple[str, str]]  # (column, text)


@dataclass(frozen=True)
class HtmlTable:
    """A table of text for the ``table`` macro; `numeric` columns align right."""

    columns: list[str]
    rows: list[HtmlRow]
    numeric: tuple[str, ...] = ()
    css_class: str = ""


def html_table(
    frame: pd.DataFrame,
    *,
    numeric: Sequence[str] = (),
    row_class: Callable[[int], str] | None = None,
    css_class: str = "",
) -> HtmlTable:
    """`frame` as text cells (missing values empty)."""
    columns = [str(c) for c in frame.columns]
    rows = [
        HtmlRow(
            row_class(position) if row_class else "",
            [(c, "" if pd.isna(v) else str(v)) for c, v in zip(columns, values, strict=True)],
        )
        for position, values in enumerate(frame.itertuples(index=False, name=None))
    ]
    return HtmlTable(columns, rows, tuple(numeric), css_class)


def standalone_chart_html(spec: dict, title: str) -> str:
    """One chart as a page that works offline."""
    return TEMPLATES.get_template("chart.html").render(
        title=title, spec=spec, vega_bundle=Markup(vega_bundle())
    )


# --- the report's tables ------------------------------------------------------------------------


def topics_table(result: AnalysisResult) -> HtmlTable:
    t = result.topics.sort_values("rank")
    level = percent(result.interval_level)

    def scores(value: str, low: str, high: str) -> list[str]:
        return [
            "no ratings" if is_missing(v) else interval(v, a, b, separator="\u2013", missing="")
            for v, a, b in zip(t[value], t[low], t[high], strict=True)
        ]

    frame = pd.DataFrame(
        {
            "Rank": t["rank"],
            "Topic": t["name"],
            "Category": t["category"].map(CATEGORY_NAMES).fillna(t["category"]),
            "Tier": t["tier"].fillna("not placed"),
            f"Stakeholder importance [{level}]": scores(
                "stakeholder_importance", "stakeholder_low", "stakeholder_high"
            ),
            f"Business significance [{level}]": scores(
                "business_significance", "business_low", "business_high"
            ),
            "Combined": t["combined_score"].map(lambda v: number(v, missing="")),
            "P(tier)": t["p_tier"].map(lambda v: percent(v, missing="")),
            "Top-box": t["top_box"].map(lambda v: percent(v, missing="")),
            "Don't know": t["dont_know_rate"].map(lambda v: percent(v, missing="")),
            "Respondents": t["n_respondents"],
            "Assessors": t["n_business"],
        }
    )
    numeric = tuple(c for c in frame.columns if c not in ("Topic", "Category", "Tier"))
    tiers = list(frame["Tier"])
    return html_table(
        frame, numeric=numeric, row_class=lambda i: f"tier-{tiers[i]}".replace(" ", "-"), css_class="named"
    )


def rank_move(value: object) -> str:
    """A move up (positive) or down the ranking: "▲ 2", "▼ 1", "=", or nothing for a new topic."""
    if is_missing(value):
        return ""
    moved = int(value)  # type: ignore[call-overload]
    return f"\u25b2 {moved}" if moved > 0 else (f"\u25bc {-moved}" if moved < 0 else "=")


def changes_table(result: AnalysisResult) -> HtmlTable | None:
    """Changes against the previous assessment; None when there is nothing to compare."""
    c = result.changes
    if c.empty:
        return None
    frame = pd.DataFrame(
        {
            "Topic": c["name"],
            "Status": c["status"],
            "Tier before": c["tier_previous"].fillna(""),
            "Tier now": c["tier"].fillna(""),
            "Rank before": c["rank_previous"].astype("Float64").map(lambda v: whole(v, missing="")),
            "Rank now": c["rank"].astype("Float64").map(lambda v: whole(v, missing="")),
            "Rank move": c["rank_change"].astype("Float64").map(rank_move),
            "Stakeholder \u0394": c["stakeholder_delta"].map(lambda v: signed(v, missing="")),
            "Business \u0394": c["business_delta"].map(lambda v: signed(v, missing="")),
        }
    )
    # only a change beyond the uncertainty of the two years is shown as a move
    frame["Move"] = c["significant"].astype(bool).map({True: "significant", False: ""})
    changed = list(c["tier_changed"].astype(bool) & c["significant"].astype(bool))
    status = list(frame["Status"])

    def row_class(i: int) -> str:
        return "changed" if changed[i] else ("added" if status[i] != "kept" else "")

    numeric = ("Rank before", "Rank now", "Rank move", "Stakeholder \u0394", "Business \u0394")
    return html_table(frame, numeric=numeric, row_class=row_class, css_class="named-first")


def mismatch_table(result: AnalysisResult) -> HtmlTable | None:
    """Where declared focus areas and ratings disagree; None when they never do."""
    m = focus_mismatches(result)
    if m.empty:
        return None
    frame = pd.DataFrame(
        {
            "Group": m["group_name"],
            "Topic": m["name"],
            "Declared focus area": m["label"].replace("", "\u2014"),
            "Finding": m["kind"],
            "Group's mean": m["mean"].map(lambda v: number(v, missing="")),
            "Rank in the group": [
                "" if is_missing(rank) else f"{whole(rank)} of {whole(n, missing='')}"
                for rank, n in zip(m["group_rank"], m["n_topics_rated"], strict=True)
            ],
        }
    )
    return html_table(frame, numeric=("Group's mean", "Rank in the group"))


def links_issued_text(value: object) -> str:
    return whole(value, missing="not tracked")


def responses_tables(result: AnalysisResult, channel_stats: pd.DataFrame) -> tuple[HtmlTable, HtmlTable]:
    """Responses by group, and by group and channel."""
    groups = group_response_table(result, channel_stats)
    by_group = pd.DataFrame(
        {
            "Group": groups["group_name"],
            "Rates": groups["dimension"]
            .map({"importance": "importance", "business_impact": "business"})
            .fillna(groups["dimension"]),
            "Channels": groups["channels"],
            "Links issued": groups["links_issued"].map(links_issued_text),
            "Responses": groups["responses"],
            "Response rate": groups["response_rate"].map(lambda v: percent(v, missing="")),
        }
    )
    channels = channel_table(result, channel_stats)
    by_channel = pd.DataFrame(
        {
            "Group": channels["group_name"],
            "Channel": channels["channel"],
            "Links issued": channels["links_issued"].map(links_issued_text),
            "Responses": channels["responses"],
            "Response rate": channels["response_rate"].map(lambda v: percent(v, missing="")),
        }
    )
    return (
        html_table(by_group, numeric=("Channels", "Links issued", "Responses", "Response rate")),
        html_table(by_channel, numeric=("Links issued", "Responses", "Response rate")),
    )


def agreement_table(result: AnalysisResult) -> HtmlTable:
    a = result.agreement
    facts = pd.DataFrame(
        {
            "Measure": [
                "Kendall's W (groups rank topics alike)",
                "Groups / topics in W",
                "Krippendorff's alpha, ordinal (respondents agree)",
                "Krippendorff's alpha, interval",
            ],
            "Value": [
                number(a.kendall_w, missing=""),
                f"{a.kendall_w_groups} / {a.kendall_w_topics}",
                number(a.krippendorff_alpha_ordinal, missing=""),
                number(a.krippendorff_alpha_interval, missing=""),
            ],
        }
    )
    return html_table(facts, numeric=("Value",))


def correlation_table(result: AnalysisResult) -> HtmlTable | None:
    """Spearman's rho between every two groups, by group name; None without pairs."""
    matrix = result.agreement.correlation_matrix()
    if matrix.empty:
        return None
    names = result.data.groups.set_index("group")["name"]
    shown = matrix.map(lambda rho: number(rho, missing="")).astype(object)
    for group in matrix.index:
        shown.loc[group, group] = "1"
    shown.index = [names.get(k, k) for k in matrix.index]
    shown.columns = [names.get(k, k) for k in matrix.columns]
    shown = shown.reset_index(names="Spearman's rho")
    return html_table(shown, numeric=tuple(shown.columns[1:]))


def section_tables(sections: list[Section]) -> list[dict]:
    """The disclosure's sections with their tables ready for the page."""
    shown = []
    for section in sections:
        table = None
        if section.table is not None and not section.table.empty:
            first = section.table.columns[0]
            table = html_table(section.table, numeric=[c for c in section.table.columns if c != first])
        shown.append(
            {
                "heading": section.heading,
                "answers": section.answers,
                "paragraphs": section.paragraphs,
                "table": table,
            }
        )
    return shown


def report_html(
    result: AnalysisResult, channel_stats: pd.DataFrame, specs: dict[str, dict], sections: list[Section]
) -> str:
    """The report as one HTML document (charts drawn from the embedded `specs` when opened)."""
    data = result.data
    groups = group_response_table(result, channel_stats)
    stakeholders = groups["dimension"] == "importance"
    tier_counts = result.topics["tier"].value_counts()
    facts = [
        (str(len(data.topics)), "topics assessed"),
        *[(str(int(tier_counts.get(t, 0))), f"{t} topics") for t in result.tier_order if t in tier_counts],
        (
            str(int(groups.loc[stakeholders, "responses"].sum())),
            f"stakeholder responses, {int(stakeholders.sum())} groups",
        ),
        (str(int(groups.loc[~stakeholders, "responses"].sum())), "internal assessors"),
    ]
    if result.agreement.kendall_w is not None:
        facts.append((number(result.agreement.kendall_w), "Kendall's W between groups"))
    names = data.groups.set_index("group")["name"]
    by_group, by_channel = responses_tables(result, channel_stats)
    method = result.method
    return TEMPLATES.get_template("report.html").render(
        title=f"Materiality assessment {data.year}",
        vega_bundle=Markup(vega_bundle()),
        tier_colours=TIER_COLOURS,
        data=data,
        facts=facts,
        specs=specs,
        topics=topics_table(result),
        previous_year=result.previous.data.year if result.previous is not None else None,
        changes=changes_table(result),
        mismatches=mismatch_table(result),
        responses_by_group=by_group,
        responses_by_channel=by_channel,
        agreement=agreement_table(result),
        correlations=correlation_table(result),
        left_out=", ".join(str(names.get(g, g)) for g in result.agreement.groups_left_out),
        sections=section_tables(sections),
        method_record=json.dumps(method, indent=2, sort_keys=True, ensure_ascii=False, default=str),
        fingerprint=method.get("fingerprint", ""),
        toolkit_version=method.get("toolkit_version", ""),
    )
