"""The annual report pack as bytes: the charts as SVG, PNG and offline HTML, the HTML report, the
Excel workbook and the methodology disclosure as Markdown.

:func:`report_pack` renders everything in memory and returns it by file name; whoever keeps the
files writes them (the CLI stages them and moves them into place together, the app offers them
for download).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pandas as pd

from render import vega, workbook
from render.channel_map import channel_map_chart
from render.disclosure import disclosure_markdown, disclosure_sections
from render.heatmap import heatmap_chart
from render.matrix import matrix_chart
from render.report import report_html, standalone_chart_html

if TYPE_CHECKING:
    from analysis.pipeline import AnalysisResult

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


def report_pack(
    result: AnalysisResult, channel_stats: pd.DataFrame, *, timings: dict[str, float] | None = None
) -> dict[str, bytes]:
    """Every file of the pack (:data:`PACK_FILES`) by name.

    `channel_stats` has group, channel, links_issued (NaN: not tracked) and responses
    (:func:`analysis.channels.channel_stats_from`). `timings`, when given, receives the seconds
    spent per stage.
    """
    spent = timings if timings is not None else {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        spent[stage] = spent.get(stage, 0.0) + now - clock
        clock = now

    specs = {
        "matrix": matrix_chart(result).to_dict(validate=False),
        "channel_map": channel_map_chart(result, channel_stats).to_dict(validate=False),
        "heatmap": heatmap_chart(result).to_dict(validate=False),
    }
    lap("chart specifications")
    vega.start_renderer()
    lap("renderer start-up")
    contents = {
        "matrix.svg": vega.svg(specs["matrix"]),
        "channel_map.svg": vega.svg(specs["channel_map"]),
        "heatmap.svg": vega.svg(specs["heatmap"]),
    }
    lap("SVG")
    contents["matrix.png"] = vega.png(contents["matrix.svg"])
    lap("PNG")
    vega.vega_bundle()
    lap("Vega bundle")
    year = result.data.year
    contents["matrix.html"] = standalone_chart_html(specs["matrix"], f"Materiality matrix {year}").encode()
    contents["channel_map.html"] = standalone_chart_html(
        specs["channel_map"], f"Stakeholder channel map {year}"
    ).encode()
    sections = disclosure_sections(result, channel_stats)
    contents["report.html"] = report_html(result, channel_stats, specs, sections).encode()
    contents["disclosure.md"] = disclosure_markdown(
        sections, f"Materiality assessment {year}: methodology"
    ).encode()
    lap("HTML and disclosure")
    contents["report.xlsx"] = workbook.workbook_bytes(result, channel_stats, sections)
    lap("workbook")
    return contents
