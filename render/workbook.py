"""The results as an Excel workbook a committee can read: one sheet per part of the result.

Sheets: Topics (ranked, with intervals and tier stability), Groups (mean rating by group, suppressed
and minority cells marked), Group detail (the long table), Agreement, Changes (year over year),
Focus vs ratings, Responses (by group and by channel), Method (the method record) and Disclosure
(the methodology text). Every sheet has a title, a note on how to read it, bold frozen headers,
number formats and column widths set; tables have filters.

Every text cell passes through :func:`core.textsafety.neutralise_formula`: names and labels
come from users and must never run as formulas.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from analysis.channels import channel_table, group_response_table
from analysis.findings import focus_links
from analysis.method import flat_settings
from analysis.rules import UNCERTAIN_P_TIER
from core.formats import json_ready
from core.textsafety import neutralise_formula
from render.disclosure import Section, disclosure_sections
from render.numbers import percent
from render.style import CATEGORY_NAMES

if TYPE_CHECKING:
    from analysis.pipeline import AnalysisResult

HEADER_ROW = 4
TITLE_FONT = Font(bold=True, size=14)
NOTE_FONT = Font(italic=True, color="59636E")
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
TIER_FILLS = {
    "high": PatternFill("solid", fgColor="FBE3D6"),
    "material": PatternFill("solid", fgColor="D9E8F5"),
    "low": PatternFill("solid", fgColor="EEEEEE"),
}
SUPPRESSED_FONT = Font(italic=True, color="8C8C8C")
MINORITY_FILL = PatternFill("solid", fgColor="FFE0B2")
CHANGED_FILL = PatternFill("solid", fgColor="FFF4E5")
UNCERTAIN_FONT = Font(bold=True, color="B34700")
THIN = Side(style="thin", color="D0D7DE")
ROW_BORDER = Border(bottom=THIN)

SCORE = "0.00"
SHARE = "0%"
COUNT = "0"


def plain(value: Any) -> Any:
    """A value openpyxl can store: NaN and NA become empty, numpy scalars Python numbers, text safe."""
    if value is pd.NA or value is pd.NaT:
        return None
    value = json_ready(value, digits=None)
    if value is None or isinstance(value, bool | int | float):
        return value
    return neutralise_formula(str(value))


def put(ws: Worksheet, row: int, column: int, value: Any, number_format: str | None = None, **style: Any):
    cell = ws.cell(row=row, column=column, value=plain(value))
    if number_format and isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
        cell.number_format = number_format
    for key, setting in style.items():
        setattr(cell, key, setting)
    return cell


def heading(ws: Worksheet, title: str, note: str) -> None:
    put(ws, 1, 1, title, font=TITLE_FONT)
    put(ws, 2, 1, note, font=NOTE_FONT)


def table(
    ws: Worksheet,
    frame: pd.DataFrame,
    formats: dict[str, str] | None = None,
    *,
    start_row: int = HEADER_ROW,
    freeze_columns: int = 0,
    filters: bool = True,
    widths: Mapping[str, float] | None = None,
) -> int:
    """Write `frame` with a styled header at `start_row`; returns the last row written."""
    formats = formats or {}
    for j, column in enumerate(frame.columns, start=1):
        put(ws, start_row, j, column, font=HEADER_FONT, fill=HEADER_FILL,
            alignment=Alignment(wrap_text=True, vertical="center"))  # fmt: skip
    for i, row in enumerate(frame.itertuples(index=False), start=start_row + 1):
        for j, (column, value) in enumerate(zip(frame.columns, row, strict=True), start=1):
            put(ws, i, j, value, formats.get(column), border=ROW_BORDER)
    last = start_row + len(frame)
    if start_row == HEADER_ROW:
        ws.freeze_panes = ws.cell(row=start_row + 1, column=freeze_columns + 1)
        if filters and len(frame):
            ws.auto_filter.ref = f"A{start_row}:{get_column_letter(len(frame.columns))}{last}"
    set_widths(ws, frame, widths or {})
    return last


def set_widths(ws: Worksheet, frame: pd.DataFrame, fixed: Mapping[str, float]) -> None:
    for j, column in enumerate(frame.columns, start=1):
        letter = get_column_letter(j)
        if column in fixed:
            width = fixed[column]
        else:
            longest = max(
                [len(str(column)) * 0.8, *(len(str(v)) for v in frame[column].head(200))], default=8
            )
            width = min(max(8.0, longest + 2), 48.0)
        ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0, width)


def landscape(ws: Worksheet) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"


# --- sheets -------------------------------------------------------------------------------------


def topics_sheet(ws: Worksheet, result: AnalysisResult) -> None:
    t = result.topics.sort_values("rank")
    level = result.interval_level
    heading(
        ws,
        f"Material topics {result.data.year}, ranked",
        f"Scores are mean ratings on the {result.data.scale_min}-{result.data.scale_max} scale with their "
        f"{percent(level)} interval (low-high). P(tier): share of normal-approximation draws of the scores "
        f"in which the topic stays in its tier; below {percent(UNCERTAIN_P_TIER)} in bold.",
    )
    frame = pd.DataFrame(
        {
            "Rank": t["rank"],
            "Topic": t["name"],
            "Key": t["topic"],
            "Category": t["category"].map(CATEGORY_NAMES).fillna(t["category"]),
            "Tier": t["tier"],
            "P(tier)": t["p_tier"],
            "Stakeholder importance": t["stakeholder_importance"],
            "Stakeholder low": t["stakeholder_low"],
            "Stakeholder high": t["stakeholder_high"],
            "Business significance": t["business_significance"],
            "Business low": t["business_low"],
            "Business high": t["business_high"],
            "Combined score": t["combined_score"],
            "Top-box share": t["top_box"],
            "Stakeholder respondents": t["n_respondents"],
            "Internal assessors": t["n_business"],
        }
    )
    scores = {
        c: SCORE
        for c in frame.columns
        if "importance" in c or "significance" in c or " low" in c or " high" in c
    }
    formats = {**scores, "Combined score": SCORE, "P(tier)": SHARE, "Top-box share": SHARE, "Rank": COUNT}
    table(ws, frame, formats, freeze_columns=2, widths={"Topic": 40, "Key": 24})
    for i, (tier, p) in enumerate(zip(frame["Tier"], frame["P(tier)"], strict=True), start=HEADER_ROW + 1):
        if tier in TIER_FILLS:
            ws.cell(row=i, column=5).fill = TIER_FILLS[tier]
        if pd.notna(p) and p < UNCERTAIN_P_TIER:
            ws.cell(row=i, column=6).font = UNCERTAIN_FONT
    landscape(ws)


def groups_sheet(ws: Worksheet, result: AnalysisResult) -> None:
    min_size = result.method.get("min_group_size")
    heading(
        ws,
        f"Mean rating by group {result.data.year}",
        f"Grey italic: suppressed, fewer than {min_size} respondents (n shown). Orange: the group rates the "
        "topic far above or below the other groups (minority view). Management rates significance to "
        "the business.",
    )
    topics = result.topics.sort_values("rank")
    groups = result.groups
    order = [g for g in result.data.groups["group"] if g in set(groups["group"])]
    names = result.data.groups.set_index("group")
    columns = ["Rank", "Topic"] + [
        str(names.at[g, "name"]) + ("" if names.at[g, "dimension"] == "importance" else " (business)")
        for g in order
    ]
    for j, column in enumerate(columns, start=1):
        put(ws, HEADER_ROW, j, column, font=HEADER_FONT, fill=HEADER_FILL,
            alignment=Alignment(wrap_text=True, vertical="center", horizontal="center"))  # fmt: skip
    cells = groups.set_index(["group", "topic"])
    for i, (rank, key, name) in enumerate(
        zip(topics["rank"], topics["topic"], topics["name"], strict=True), start=HEADER_ROW + 1
    ):
        put(ws, i, 1, rank, COUNT, border=ROW_BORDER)
        put(ws, i, 2, name, border=ROW_BORDER)
        for j, group in enumerate(order, start=3):
            if (group, key) not in cells.index:
                continue
            row = cells.loc[(group, key)]
            if bool(row["suppressed"]):
                put(ws, i, j, f"n={int(row['n'])}", font=SUPPRESSED_FONT, border=ROW_BORDER,
                    alignment=Alignment(horizontal="right"))  # fmt: skip
            else:
                cell = put(ws, i, j, row["mean"], SCORE, border=ROW_BORDER)
                if bool(row["minority"]):
                    cell.fill = MINORITY_FILL
                    cell.font = Font(bold=True)
    ws.row_dimensions[HEADER_ROW].height = 45
    ws.column_dimensions["A"].width = 7
    ws.column_dimensions["B"].width = 40
    for j in range(3, len(columns) + 1):
        ws.column_dimensions[get_column_letter(j)].width = 15
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=3)
    landscape(ws)


def group_detail_sheet(ws: Worksheet, result: AnalysisResult) -> None:
    heading(ws, "Group figures, one row per group and topic", "The long table behind the Groups sheet.")
    g = result.groups
    topic_names = result.topics.set_index("topic")["name"]
    frame = pd.DataFrame(
        {
            "Group": g["group_name"],
            "Dimension": g["dimension"],
            "Topic": g["topic"].map(topic_names).fillna(g["topic"]),
            "Mean": g["mean"],
            "Respondents": g["n"],
            "Suppressed": g["suppressed"].map({True: "yes", False: "no"}),
            "Minority view": g["minority"].map({True: "yes", False: "no"}),
            "Gap to overall": g["minority_gap"],
        }
    )
    for extra, title in (("weight", "Weight %"), ("n_dont_know", "Don't know")):
        if extra in g:
            frame[title] = g[extra]
    table(
        ws,
        frame,
        {"Mean": SCORE, "Gap to overall": "+0.00;-0.00;0.00", "Weight %": "0.0", "Respondents": COUNT},
    )


def agreement_sheet(ws: Worksheet, result: AnalysisResult) -> None:
    a = result.agreement
    heading(
        ws,
        "Agreement",
        "Kendall's W: do the groups rank the topics alike (0-1)? Krippendorff's alpha: do individual "
        "respondents agree (1 = fully, 0 = chance)? Spearman's rho: rank correlation of two groups.",
    )
    facts = pd.DataFrame(
        {
            "Measure": [
                "Kendall's W",
                "Groups in W",
                "Topics in W",
                "Krippendorff's alpha (ordinal)",
                "Krippendorff's alpha (interval)",
            ],
            "Value": [
                a.kendall_w,
                a.kendall_w_groups,
                a.kendall_w_topics,
                a.krippendorff_alpha_ordinal,
                a.krippendorff_alpha_interval,
            ],
        }
    )
    last = table(ws, facts, {"Value": "0.000"}, filters=False, widths={"Measure": 34, "Value": 12})
    for i, measure in enumerate(facts["Measure"], start=HEADER_ROW + 1):
        if measure.startswith(("Groups", "Topics")):
            ws.cell(row=i, column=2).number_format = COUNT
    matrix = a.correlation_matrix()
    if matrix.empty:
        return
    names = result.data.groups.set_index("group")["name"]
    keys = list(matrix.index)
    start = last + 3
    put(ws, start - 1, 1, "Spearman's rank correlation between groups", font=Font(bold=True))
    put(ws, start, 1, "Group", font=HEADER_FONT, fill=HEADER_FILL)
    for j, key in enumerate(keys, start=2):
        put(ws, start, j, names.get(key, key), font=HEADER_FONT, fill=HEADER_FILL,
            alignment=Alignment(wrap_text=True, horizontal="center"))  # fmt: skip
        ws.column_dimensions[get_column_letter(j)].width = max(
            ws.column_dimensions[get_column_letter(j)].width or 0, 14
        )
    for i, key in enumerate(keys, start=start + 1):
        put(ws, i, 1, names.get(key, key), font=Font(bold=True))
        for j, other in enumerate(keys, start=2):
            put(ws, i, j, matrix.at[key, other], "0.00")
    last_cell = f"{get_column_letter(len(keys) + 1)}{start + len(keys)}"
    ws.conditional_formatting.add(
        f"B{start + 1}:{last_cell}",
        ColorScaleRule(
            start_type="num",
            start_value=0,
            start_color="FFFFFF",
            end_type="num",
            end_value=1,
            end_color="6A8CAF",
        ),  # fmt: skip
    )
    ws.row_dimensions[start].height = 45


def changes_sheet(ws: Worksheet, result: AnalysisResult) -> None:
    c = result.changes
    previous = result.previous
    since = f" since {previous.data.year}" if previous is not None else ""
    heading(
        ws,
        f"Changes{since}",
        "Rank move: previous rank minus current rank (positive = moved up). Deltas: this year minus last "
        "year. Rows with a tier change are shaded."
        if previous is not None
        else "There is no earlier assessment to compare with.",
    )
    frame = pd.DataFrame(
        {
            "Topic": c["name"],
            "Status": c["status"],
            "Tier before": c["tier_previous"],
            "Tier now": c["tier"],
            "Tier changed": c["tier_changed"].astype(bool).map({True: "yes", False: "no"}),
            "Rank before": c["rank_previous"].astype("Float64"),
            "Rank now": c["rank"].astype("Float64"),
            "Rank move": c["rank_change"].astype("Float64"),
            "Stakeholder change": c["stakeholder_delta"],
            "Business change": c["business_delta"],
        }
    )
    signed = "+0.00;-0.00;0.00"
    formats = {
        "Rank before": COUNT,
        "Rank now": COUNT,
        "Rank move": "+0;-0;0",
        "Stakeholder change": signed,
        "Business change": signed,
    }
    table(ws, frame, formats, freeze_columns=1, widths={"Topic": 40})
    for i, changed in enumerate(c["tier_changed"].astype(bool), start=HEADER_ROW + 1):
        if changed:
            for j in range(1, len(frame.columns) + 1):
                ws.cell(row=i, column=j).fill = CHANGED_FILL


def focus_sheet(ws: Worksheet, result: AnalysisResult) -> None:
    heading(
        ws,
        "Declared focus areas against ratings",
        "Each group's declared focus areas (from the stakeholder table) and the topics it rated highest. "
        "Mismatches: rated high but not a focus, a focus rated low, a focus that is not a topic.",
    )
    links = focus_links(result)
    frame = pd.DataFrame(
        {
            "Group": links["group_name"],
            "Topic": links["name"],
            "Declared focus area": links["label"],
            "Finding": links["kind"],
            "Group's mean": links["mean"],
            "Rank in the group": links["group_rank"],
            "Topics rated": links["n_topics_rated"],
        }
    )
    table(ws, frame, {"Group's mean": SCORE, "Rank in the group": COUNT, "Topics rated": COUNT},
          widths={"Group": 32, "Topic": 40, "Declared focus area": 36, "Finding": 26})  # fmt: skip


def responses_sheet(ws: Worksheet, result: AnalysisResult, channel_stats: pd.DataFrame) -> None:
    heading(
        ws,
        "Responses by group and channel",
        "Links issued: personal survey links sent (not tracked when empty). Response rate: responses through "
        "those links divided by the links issued.",
    )
    groups = group_response_table(result, channel_stats)
    by_group = pd.DataFrame(
        {
            "Group": groups["group_name"],
            "Channel": "all channels",
            "Rates": groups["dimension"],
            "Links issued": groups["links_issued"],
            "Responses": groups["responses"],
            "Response rate": groups["response_rate"],
        }
    )
    channels = channel_table(result, channel_stats)
    dimension = result.data.groups.set_index("group")["dimension"]
    by_channel = pd.DataFrame(
        {
            "Group": channels["group_name"],
            "Channel": channels["channel"],
            "Rates": channels["group"].map(dimension),
            "Links issued": channels["links_issued"],
            "Responses": channels["responses"],
            "Response rate": channels["response_rate"],
        }
    )
    formats = {"Links issued": COUNT, "Responses": COUNT, "Response rate": SHARE}
    widths = {"Group": 34, "Channel": 38, "Rates": 16}
    last = table(ws, by_group, formats, filters=False, widths=widths)
    put(ws, last + 1, 1, "Total", font=Font(bold=True))
    put(ws, last + 1, 5, int(groups["responses"].sum()), COUNT, font=Font(bold=True))
    start = last + 4
    put(ws, start - 1, 1, "By channel", font=Font(bold=True, size=12))
    table(ws, by_channel, formats, start_row=start, widths=widths)
    for i, links in enumerate(by_channel["Links issued"], start=start + 1):
        if pd.isna(links):
            put(ws, i, 4, "not tracked", font=SUPPRESSED_FONT)
    for i, links in enumerate(by_group["Links issued"], start=HEADER_ROW + 1):
        if pd.isna(links):
            put(ws, i, 4, "not tracked", font=SUPPRESSED_FONT)


def setting_value(value: Any) -> Any:
    """A setting of the method record as one cell: lists joined, an empty mapping empty."""
    if isinstance(value, Mapping) and not value:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return value if isinstance(value, int | float | str) or value is None else json.dumps(value)


def method_sheet(ws: Worksheet, result: AnalysisResult) -> None:
    heading(
        ws,
        "Method record",
        "Every choice of the analysis as recorded with the results (method.json); the fingerprint identifies "
        "the input data.",
    )
    settings = flat_settings(result.method)
    frame = pd.DataFrame({"Setting": list(settings), "Value": [setting_value(v) for v in settings.values()]})
    table(ws, frame, filters=False, widths={"Setting": 36, "Value": 110})
    for i in range(HEADER_ROW + 1, HEADER_ROW + 1 + len(frame)):
        ws.cell(row=i, column=2).alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(row=i, column=1).alignment = Alignment(vertical="top")


def disclosure_sheet(ws: Worksheet, result: AnalysisResult, sections: list[Section]) -> None:
    heading(ws, "Methodology disclosure", "Generated from the method record and the results; ready to paste.")
    ws.column_dimensions["A"].width = 120
    row = HEADER_ROW
    wrap = Alignment(wrap_text=True, vertical="top")
    for section in sections:
        put(ws, row, 1, f"{section.heading} ({section.answers})", font=Font(bold=True, size=12))
        row += 1
        for paragraph in section.paragraphs:
            put(ws, row, 1, paragraph, alignment=wrap)
            ws.row_dimensions[row].height = 15 * max(1, math.ceil(len(paragraph) / 115))
            row += 1
        if section.table is not None and not section.table.empty:
            for j, column in enumerate(section.table.columns, start=2):
                put(ws, row, j, column, font=Font(bold=True))
                ws.column_dimensions[get_column_letter(j)].width = 16
            row += 1
            for values in section.table.itertuples(index=False):
                for j, value in enumerate(values, start=2):
                    put(ws, row, j, value)
                row += 1
        row += 1


def build_workbook(
    result: AnalysisResult, channel_stats: pd.DataFrame, sections: list[Section] | None = None
) -> Workbook:
    sections = sections if sections is not None else disclosure_sections(result, channel_stats)
    wb = Workbook()
    ws = wb.active
    ws.title = "Topics"
    topics_sheet(ws, result)
    groups_sheet(wb.create_sheet("Groups"), result)
    group_detail_sheet(wb.create_sheet("Group detail"), result)
    agreement_sheet(wb.create_sheet("Agreement"), result)
    changes_sheet(wb.create_sheet("Changes"), result)
    focus_sheet(wb.create_sheet("Focus vs ratings"), result)
    responses_sheet(wb.create_sheet("Responses"), result, channel_stats)
    method_sheet(wb.create_sheet("Method"), result)
    disclosure_sheet(wb.create_sheet("Disclosure"), result, sections)
    wb.properties.title = plain(f"Materiality assessment {result.data.year}")
    wb.properties.creator = "materiality-toolkit"
    return wb


def workbook_bytes(
    result: AnalysisResult, channel_stats: pd.DataFrame, sections: list[Section] | None = None
) -> bytes:
    buffer = io.BytesIO()
    build_workbook(result, channel_stats, sections).save(buffer)
    return buffer.getvalue()
