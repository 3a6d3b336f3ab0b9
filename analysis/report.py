"""The annual report pack: charts as files, a self-contained HTML report and the Excel workbook.

:func:`write_report_pack` renders the charts of :mod:`analysis.charts` to SVG, PNG and HTML,
writes ``report.html`` (charts, tables and the methodology disclosure in one file that opens
offline: the Vega libraries are embedded, nothing is fetched) and ``report.xlsx``, and
``disclosure.md`` with the methodology text alone. Everything is rendered in memory first and
moved into place at the end, so a failure leaves no half-written pack.

Untrusted text (topic, group and channel names, focus areas) is escaped everywhere: HTML text
through :func:`html.escape`, chart data inside ``<script>`` as JSON with ``<``, ``>`` and ``&``
written as ``\\u`` escapes, chart text drawn by Vega as SVG text, workbook cells neutralised.
"""

from __future__ import annotations

import html
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import vl_convert as vlc

from analysis.charts import (
    CATEGORY_NAMES,
    CHANNEL_STATS_COLUMNS,
    TIER_COLOURS,
    channel_map_chart,
    channel_table,
    focus_mismatches,
    group_response_table,
    heatmap_chart,
    matrix_chart,
    tiers_of,
)
from analysis.disclosure import Section, disclosure_markdown, disclosure_sections
from core.files import write_atomically

if TYPE_CHECKING:
    from analysis.pipeline import AnalysisResult
    from core.aggregates import AssessmentData

PACK_FILES = (
    "matrix.svg",
    "matrix.png",
    "matrix.html",
    "channel_map.svg",
    "channel_map.html",
    "heatmap.svg",
    "report.html",
    "report.xlsx",
    "disclosure.md",
)
PNG_SCALE = 2.0
# No network at all: scripts and styles inline, images only as data URLs.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:"
)
EMBED_OPTIONS = {"renderer": "svg", "actions": False}


# --- channel statistics -------------------------------------------------------------------------


def channel_stats_from(data: AssessmentData, tracking: pd.DataFrame | None = None) -> pd.DataFrame:
    """Links issued and responses per group and channel.

    Responses are every submitted response of the assessment (survey links, open links and
    imports). `tracking` is the invitation tracking (group, channel, issued, submitted, ...);
    without it, or for a channel where no personal links were issued, ``links_issued`` is NaN
    (not tracked). ``responses_via_links`` counts the responses that came through the issued
    links, for the response rate.
    """
    responses = data.responses
    if responses.empty:
        stats = pd.DataFrame(columns=["group", "channel", "responses"])
    else:
        stats = (
            responses.assign(channel=responses["channel"].astype(object))
            .groupby(["group", "channel"], as_index=False, dropna=False, sort=False)["n_responses"]
            .sum()
            .rename(columns={"n_responses": "responses"})
        )
    stats["links_issued"] = np.nan
    stats["responses_via_links"] = np.nan
    if tracking is not None and not tracking.empty:
        issued = tracking[tracking["issued"] > 0][["group", "channel", "issued", "submitted"]]
        issued = issued.groupby(["group", "channel"], as_index=False, dropna=False).sum()
        stats = stats.drop(columns=["links_issued", "responses_via_links"]).merge(
            issued, on=["group", "channel"], how="outer"
        )
        stats = stats.rename(columns={"issued": "links_issued", "submitted": "responses_via_links"})
        stats["responses"] = stats["responses"].fillna(0).astype(int)
    stats["links_issued"] = pd.to_numeric(stats["links_issued"], errors="coerce").astype(float)
    stats["responses_via_links"] = pd.to_numeric(stats["responses_via_links"], errors="coerce").astype(float)
    return stats[[*CHANNEL_STATS_COLUMNS, "responses_via_links"]].reset_index(drop=True)


# --- safe embedding -----------------------------------------------------------------------------


def finite(value: Any) -> Any:
    """`value` with NaN and infinities (which JSON cannot hold) replaced by None."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def script_json(value: Any) -> str:
    """JSON that can sit inside a ``<script>`` element: no ``</script>``, no ``<!--``, no HTML."""
    text = json.dumps(finite(value), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


_bundle: str | None = None
BUNDLE_CACHE = Path.home() / ".cache" / "materiality-toolkit"
BUNDLE_END = "window.vegaLite=__default1;"


def bundle_cache_file() -> Path:
    versions = f"{vlc.get_vega_version()}-{vlc.get_vegalite_versions()[-1]}-{vlc.get_vega_embed_version()}"
    return BUNDLE_CACHE / f"vega-bundle-{versions}.js"


def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script (no network).

    Building it takes vl-convert a couple of seconds, so it is kept in memory and in a cache file
    named after the library versions; a cache that cannot be read or written is simply rebuilt.
    """
    global _bundle
    if _bundle is not None:
        return _bundle
    cache = bundle_cache_file()
    try:
        text = cache.read_text(encoding="utf-8")
        if text.rstrip().endswith(BUNDLE_END):
            _bundle = text
            return text
    except OSError:
        pass
    # the default snippet puts vegaEmbed, vega and vegaLite on window (the stub wrongly requires one)
    _bundle = vlc.javascript_bundle()  # type: ignore[call-arg]
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(cache.parent, {cache.name: _bundle.encode("utf-8")})
    except OSError:
        pass
    return _bundle


EMBED_SCRIPT = """
document.querySelectorAll('script[type="application/json"][data-chart]').forEach(function (node) {
  var target = document.getElementById(node.dataset.chart);
  vegaEmbed(target, JSON.parse(node.textContent), EMBED_OPTIONS).then(function () {
    target.dataset.rendered = "yes";
  }).catch(function (error) {
    target.textContent = "The chart could not be drawn: " + error;
  });
});
""".replace("EMBED_OPTIONS", json.dumps(EMBED_OPTIONS))


def chart_block(chart_id: str, spec: dict) -> str:
    return (
        f'<div class="chart"><div id="{esc(chart_id)}" role="img"></div></div>\n'
        f'<script type="application/json" data-chart="{esc(chart_id)}">{script_json(spec)}</script>'
    )


def page(title: str, body: str, bundle: str, style: str = "") -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{style}</style>\n</head>\n<body>\n{body}\n"
        f"<script>{bundle}</script>\n<script>{EMBED_SCRIPT}</script>\n</body>\n</html>\n"
    )


def standalone_chart_html(spec: dict, title: str) -> str:
    """One chart as a page that works offline."""
    style = "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;margin:24px;}"
    return page(title, chart_block("chart", spec), vega_bundle(), style)


# --- HTML building blocks -----------------------------------------------------------------------


def number(value: object, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return f"{float(value):.{digits}f}"  # type: ignore[arg-type]


def share(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return f"{float(value):.0%}"  # type: ignore[arg-type]


def html_table(
    frame: pd.DataFrame,
    formats: dict[str, Callable[[object], str]] | None = None,
    *,
    numeric: tuple[str, ...] = (),
    row_class: Callable[[int], str] | None = None,
    caption: str | None = None,
    css_class: str = "",
) -> str:
    """An escaped HTML table; `formats` turn values into text, `numeric` columns align right."""
    formats = formats or {}
    head = "".join(f"<th{' class=num' if c in numeric else ''}>{esc(c)}</th>" for c in frame.columns)
    rows = []
    for position, (_, row) in enumerate(frame.iterrows()):
        cells = []
        for column in frame.columns:
            value = row[column]
            text = formats[column](value) if column in formats else ("" if pd.isna(value) else str(value))
            cells.append(f"<td{' class=num' if column in numeric else ''}>{esc(text)}</td>")
        css = row_class(position) if row_class else ""
        rows.append(f"<tr{f' class={esc(css)}' if css else ''}>{''.join(cells)}</tr>")
    caption_html = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (
        f'<div class="table-wrap"><table class="{esc(css_class)}">{caption_html}'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def interval(value: object, low: object, high: object) -> str:
    if number(value) == "":
        return "no ratings"
    return f"{number(value)} [{number(low)}\u2013{number(high)}]"


def topics_table(result: AnalysisResult) -> str:
    t = result.topics.sort_values("rank")
    level = result.method.get("interval_level", 0.95)
    frame = pd.DataFrame(
        {
            "Rank": t["rank"],
            "Topic": t["name"],
            "Category": t["category"].map(CATEGORY_NAMES).fillna(t["category"]),
            "Tier": t["tier"].fillna("not placed"),
            f"Stakeholder importance [{level:.0%}]": [
                interval(v, a, b)
                for v, a, b in zip(
                    t["stakeholder_importance"], t["stakeholder_low"], t["stakeholder_high"], strict=True
                )
            ],
            f"Business significance [{level:.0%}]": [
                interval(v, a, b)
                for v, a, b in zip(
                    t["business_significance"], t["business_low"], t["business_high"], strict=True
                )
            ],
            "Combined": t["combined_score"].map(number),
            "P(tier)": t["p_tier"].map(share),
            "Top-box": t["top_box"].map(share),
            "Respondents": t["n_respondents"],
            "Assessors": t["n_business"],
        }
    )
    numeric = tuple(c for c in frame.columns if c not in ("Topic", "Category", "Tier"))
    tiers = list(frame["Tier"])
    return html_table(
        frame, numeric=numeric, row_class=lambda i: f"tier-{tiers[i]}".replace(" ", "-"), css_class="named"
    )


def changes_table(result: AnalysisResult) -> str:
    c = result.changes
    if c.empty:
        return "<p>No earlier assessment to compare with.</p>"

    def rank_move(value: object) -> str:
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return ""
        v = int(value)  # type: ignore[call-overload]
        return f"\u25b2 {v}" if v > 0 else (f"\u25bc {-v}" if v < 0 else "=")

    def signed(value: object) -> str:
        text = number(value)
        return f"+{text}" if text and not text.startswith("-") else text

    frame = pd.DataFrame(
        {
            "Topic": c["name"],
            "Status": c["status"],
            "Tier before": c["tier_previous"].fillna(""),
            "Tier now": c["tier"].fillna(""),
            "Rank before": c["rank_previous"]
            .astype("Float64")
            .map(lambda v: "" if pd.isna(v) else str(int(v))),
            "Rank now": c["rank"].astype("Float64").map(lambda v: "" if pd.isna(v) else str(int(v))),
            "Rank move": c["rank_change"].astype("Float64").map(rank_move),
            "Stakeholder \u0394": c["stakeholder_delta"].map(signed),
            "Business \u0394": c["business_delta"].map(signed),
            "_changed": c["tier_changed"].astype(bool),
        }
    )
    shown = frame.drop(columns="_changed")
    changed, status = list(frame["_changed"]), list(frame["Status"])

    def row_class(i: int) -> str:
        return "changed" if changed[i] else ("added" if status[i] != "kept" else "")

    numeric = ("Rank before", "Rank now", "Rank move", "Stakeholder \u0394", "Business \u0394")
    return html_table(shown, numeric=numeric, row_class=row_class, css_class="named-first")


def mismatch_table(result: AnalysisResult) -> str:
    m = focus_mismatches(result)
    if m.empty:
        return "<p>Every group's declared focus areas match what it rated highest.</p>"
    frame = pd.DataFrame(
        {
            "Group": m["group_name"],
            "Topic": m["name"],
            "Declared focus area": m["label"].replace("", "\u2014"),
            "Finding": m["kind"],
            "Group's mean": m["mean"].map(number),
            "Rank in the group": m["group_rank"].map(lambda v: "" if pd.isna(v) else f"{int(v)} of"),
        }
    )
    frame["Rank in the group"] = [
        f"{r}{int(n)}" if r and pd.notna(n) else r
        for r, n in zip(frame["Rank in the group"], m["n_topics_rated"], strict=True)
    ]
    frame["Rank in the group"] = frame["Rank in the group"].str.replace("of", "of ", regex=False)
    return html_table(frame, numeric=("Group's mean", "Rank in the group"))


def responses_tables(result: AnalysisResult, channel_stats: pd.DataFrame) -> str:
    groups = group_response_table(result, channel_stats)
    by_group = pd.DataFrame(
        {
            "Group": groups["group_name"],
            "Rates": groups["dimension"]
            .map({"importance": "importance", "business_impact": "business"})
            .fillna(groups["dimension"]),
            "Channels": groups["channels"],
            "Links issued": groups["links_issued"].map(
                lambda v: "not tracked" if pd.isna(v) else str(int(v))
            ),
            "Responses": groups["responses"],
            "Response rate": groups["response_rate"].map(share),
        }
    )
    channels = channel_table(result, channel_stats)
    by_channel = pd.DataFrame(
        {
            "Group": channels["group_name"],
            "Channel": channels["channel"],
            "Links issued": channels["links_issued"].map(
                lambda v: "not tracked" if pd.isna(v) else str(int(v))
            ),
            "Responses": channels["responses"],
            "Response rate": channels["response_rate"].map(share),
        }
    )
    return (
        "<h3>Responses by group</h3>"
        + html_table(by_group, numeric=("Channels", "Links issued", "Responses", "Response rate"))
        + "<details><summary>Responses by group and channel</summary>"
        + html_table(by_channel, numeric=("Links issued", "Responses", "Response rate"))
        + "</details>"
    )


def agreement_html(result: AnalysisResult) -> str:
    a = result.agreement
    names = result.data.groups.set_index("group")["name"]
    facts = pd.DataFrame(
        {
            "Measure": [
                "Kendall's W (groups rank topics alike)",
                "Groups / topics in W",
                "Krippendorff's alpha, ordinal (respondents agree)",
                "Krippendorff's alpha, interval",
            ],
            "Value": [
                number(a.get("kendall_w")),
                f"{a.get('kendall_w_groups', '')} / {a.get('kendall_w_topics', '')}",
                number(a.get("krippendorff_alpha_ordinal")),
                number(a.get("krippendorff_alpha_interval")),
            ],
        }
    )
    out = html_table(facts, numeric=("Value",))
    correlations = a.get("group_correlations") or {}
    if correlations:
        keys = list(dict.fromkeys(k for pair in correlations for k in pair.split("|", 1)))
        matrix = pd.DataFrame("", index=keys, columns=keys)
        for pair, rho in correlations.items():
            g1, g2 = pair.split("|", 1)
            matrix.loc[g1, g2] = matrix.loc[g2, g1] = number(rho)
        for k in keys:
            matrix.loc[k, k] = "1"
        matrix.index = [names.get(k, k) for k in keys]
        matrix.columns = [names.get(k, k) for k in keys]
        shown = matrix.reset_index(names="Spearman's rho")
        out += "<h3>Rank correlation between groups</h3>" + html_table(
            shown, numeric=tuple(shown.columns[1:])
        )
    left_out = a.get("groups_left_out") or []
    if left_out:
        names_left_out = ", ".join(names.get(g, g) for g in left_out)
        out += f"<p>Left out of the agreement statistics (too few respondents): {esc(names_left_out)}.</p>"
    return out


def disclosure_html(sections: list[Section]) -> str:
    parts = []
    for section in sections:
        parts.append(f"<h3>{esc(section.heading)} <span class=answers>{esc(section.answers)}</span></h3>")
        parts.extend(f"<p>{esc(p)}</p>" for p in section.paragraphs)
        if section.table is not None and not section.table.empty:
            numeric = tuple(c for c in section.table.columns if c != section.table.columns[0])
            parts.append(html_table(section.table, numeric=numeric))
    return "\n".join(parts)


STYLE = """
:root { --ink:#1f2328; --muted:#59636e; --line:#d8dee4; --soft:#f6f8fa; }
body { font-family: 'DejaVu Sans', 'Noto Sans CJK SC', Helvetica, Arial, sans-serif; color: var(--ink);
  margin: 0 auto; max-width: 1320px; padding: 28px 32px 60px; line-height: 1.45; font-size: 14px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 40px 0 8px; padding-top: 12px; border-top: 2px solid var(--ink); }
h3 { font-size: 15px; margin: 22px 0 6px; }
.lead { color: var(--muted); margin: 0 0 18px; }
.facts { display: flex; flex-wrap: wrap; gap: 12px; margin: 18px 0; }
.fact { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px;
  min-width: 130px; }
.fact b { display: block; font-size: 22px; }
.fact span { color: var(--muted); font-size: 12px; }
.chart { overflow-x: auto; margin: 10px 0 14px; min-height: 40px; }
.table-wrap { overflow-x: auto; }
table.named td:nth-child(2), table.named-first td:first-child { min-width: 15em; }
table { border-collapse: collapse; margin: 6px 0 14px; font-size: 12.5px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.tier-high td:nth-child(4) { color: TIER_HIGH; font-weight: 600; }
tr.tier-material td:nth-child(4) { color: TIER_MATERIAL; font-weight: 600; }
tr.changed td { background: #fff4e5; }
tr.added td { background: #eef6ee; }
.disclosure { border: 1px solid var(--line); border-left: 4px solid var(--ink); padding: 4px 20px 10px;
  background: #fcfcfd; }
.disclosure h3 .answers { font-weight: normal; color: var(--muted); font-size: 12px; margin-left: 6px; }
.note { color: var(--muted); font-size: 12.5px; }
details { margin: 8px 0 16px; }
summary { cursor: pointer; color: var(--muted); }
pre { background: var(--soft); padding: 12px; overflow-x: auto; font-size: 12px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line);
  padding-top: 8px; }
@media print { body { max-width: none; padding: 0; } h2 { break-before: page; } .chart { overflow: visible; }
}
""".replace("TIER_HIGH", TIER_COLOURS["high"]).replace("TIER_MATERIAL", TIER_COLOURS["material"])


def render_report(
    result: AnalysisResult,
    channel_stats: pd.DataFrame,
    specs: dict[str, dict],
    sections: list[Section] | None = None,
) -> str:
    """The report as one HTML document (charts drawn from the embedded `specs` when opened)."""
    data = result.data
    sections = sections if sections is not None else disclosure_sections(result, channel_stats)
    groups = group_response_table(result, channel_stats)
    stakeholder_responses = int(groups.loc[groups["dimension"] == "importance", "responses"].sum())
    internal_responses = int(groups.loc[groups["dimension"] != "importance", "responses"].sum())
    tier_counts = result.topics["tier"].value_counts()
    facts = [
        (str(len(data.topics)), "topics assessed"),
        *[(str(int(tier_counts.get(t, 0))), f"{t} topics") for t in tiers_of(result) if t in tier_counts],
        (
            str(stakeholder_responses),
            f"stakeholder responses, {int((groups['dimension'] == 'importance').sum())} groups",
        ),
        (str(internal_responses), "internal assessors"),
    ]
    w = result.agreement.get("kendall_w")
    if w is not None:
        facts.append((number(w), "Kendall's W between groups"))
    previous = result.previous
    method = result.method
    body = [
        f"<h1>Materiality assessment {esc(data.year)}</h1>",
        f'<p class="lead">{esc(data.name)} \u00b7 assessment \u201c{esc(data.key)}\u201d \u00b7 rating scale '
        f"{esc(data.scale_min)}\u2013{esc(data.scale_max)}</p>",
        '<div class="facts">'
        + "".join(f'<div class="fact"><b>{esc(v)}</b><span>{esc(label)}</span></div>' for v, label in facts)
        + "</div>",
        "<h2>Materiality matrix</h2>",
        '<p class="note">Hover a topic for both scores with their intervals, the probability that it belongs '
        "to its tier, the number of respondents and each group's mean.</p>",
        chart_block("chart-matrix", specs["matrix"]),
        "<h3>Topics by rank</h3>",
        topics_table(result),
    ]
    if previous is not None:
        body += [f"<h2>Changes since {esc(previous.data.year)}</h2>", changes_table(result)]
    body += [
        "<h2>Stakeholders and channels</h2>",
        '<p class="note">How each group was reached and what it cares about: its channels with the responses '
        "they brought, its declared focus areas and the topics it rated highest.</p>",
        chart_block("chart-channel-map", specs["channel_map"]),
        "<h3>Where declared focus areas and ratings disagree</h3>",
        mismatch_table(result),
        responses_tables(result, channel_stats),
        "<h2>Groups and agreement</h2>",
        chart_block("chart-heatmap", specs["heatmap"]),
        agreement_html(result),
        "<h2>Methodology disclosure</h2>",
        '<p class="note">Generated from the method record and the results of this run; ready to paste into a '
        "GRI 3-1 / 3-2 or ESRS 2 IRO-1 disclosure. The same text is in disclosure.md.</p>",
        f'<div class="disclosure">{disclosure_html(sections)}</div>',
        "<h2>Method record</h2>",
        "<details><summary>Show the full method record (method.json)</summary><pre>"
        + esc(json.dumps(method, indent=2, sort_keys=True, ensure_ascii=False, default=str))
        + "</pre></details>",
        f"<footer>Data fingerprint {esc(method.get('fingerprint', ''))} \u00b7 toolkit version "
        f"{esc(method.get('toolkit_version', ''))}</footer>",
    ]
    return page(f"Materiality assessment {data.year}", "\n".join(body), vega_bundle(), STYLE)


# --- the pack -----------------------------------------------------------------------------------


@dataclass
class ReportPack:
    files: list[Path]
    timings: dict[str, float] = field(default_factory=dict)


def write_report_pack(
    result: AnalysisResult, out_dir: str | Path, channel_stats: pd.DataFrame | None = None
) -> ReportPack:
    """Render the charts, the report, the workbook and the disclosure text into `out_dir`.

    `channel_stats` has group, channel, links_issued (NaN: not tracked) and responses; by
    default it is built from the assessment's responses with links not tracked. Returns the
    files written and the seconds spent per stage.
    """
    from analysis.workbook import workbook_bytes

    if channel_stats is None:
        channel_stats = channel_stats_from(result.data)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = timings.get(stage, 0.0) + now - clock
        clock = now

    specs = {
        "matrix": matrix_chart(result).to_dict(validate=False),
        "channel_map": channel_map_chart(result, channel_stats).to_dict(validate=False),
        "heatmap": heatmap_chart(result).to_dict(validate=False),
    }
    lap("chart specifications")
    vlc.vegalite_to_svg({"mark": "point"})  # the renderer starts (and reads the fonts) on first use
    lap("renderer start-up")
    contents: dict[str, bytes] = {
        "matrix.svg": vlc.vegalite_to_svg(specs["matrix"]).encode("utf-8"),
        "channel_map.svg": vlc.vegalite_to_svg(specs["channel_map"]).encode("utf-8"),
        "heatmap.svg": vlc.vegalite_to_svg(specs["heatmap"]).encode("utf-8"),
    }
    lap("SVG")
    contents["matrix.png"] = vlc.svg_to_png(contents["matrix.svg"].decode("utf-8"), scale=PNG_SCALE)
    lap("PNG")
    vega_bundle()
    lap("Vega bundle")
    year = result.data.year
    contents["matrix.html"] = standalone_chart_html(specs["matrix"], f"Materiality matrix {year}").encode(
        "utf-8"
    )
    contents["channel_map.html"] = standalone_chart_html(
        specs["channel_map"], f"Stakeholder channel map {year}"
    ).encode("utf-8")
    sections = disclosure_sections(result, channel_stats)
    contents["report.html"] = render_report(result, channel_stats, specs, sections).encode("utf-8")
    contents["disclosure.md"] = disclosure_markdown(
        sections, f"Materiality assessment {year}: methodology"
    ).encode("utf-8")
    lap("HTML and disclosure")
    contents["report.xlsx"] = workbook_bytes(result, channel_stats, sections)
    lap("workbook")
    files = write_atomically(Path(out_dir), contents)
    lap("writing files")
    return ReportPack(files, timings)


def report_bytes(result: AnalysisResult, channel_stats: pd.DataFrame) -> bytes:
    """The HTML report alone (e.g. for a download button in the app)."""
    specs = {
        "matrix": matrix_chart(result).to_dict(validate=False),
        "channel_map": channel_map_chart(result, channel_stats).to_dict(validate=False),
        "heatmap": heatmap_chart(result).to_dict(validate=False),
    }
    return render_report(result, channel_stats, specs).encode("utf-8")
