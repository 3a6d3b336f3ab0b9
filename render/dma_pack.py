"""The double-materiality files of a run, as bytes: ``iros.csv`` and ``dma_topics.csv``, the
matrix and the IRO heatmap, the disclosure, and the register and ratings added to the
workbook (what an assurance provider asks for: every rating with its rationale, assessor and
time)."""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import load_workbook

from analysis.dma import IRO_COLUMNS, TOPIC_COLUMNS
from core.formats import csv_text
from render import vega
from render.disclosure import disclosure_markdown
from render.dma_charts import dma_matrix_chart, iro_heatmap_chart
from render.dma_disclosure import DmaReport, dma_sections
from render.report import standalone_chart_html
from render.workbook import heading, landscape, table

DMA_RUN_FILES = ("iros.csv", "dma_topics.csv")
DMA_PACK_FILES = (
    "dma_matrix.svg",
    "dma_matrix.png",
    "dma_matrix.html",
    "iro_heatmap.svg",
    "dma_disclosure.md",
)


def dma_run_files(report: DmaReport) -> dict[str, bytes]:
    """``iros.csv`` (:data:`analysis.dma.IRO_COLUMNS`) and ``dma_topics.csv``
    (:data:`analysis.dma.TOPIC_COLUMNS`), floats to six decimals."""
    result = report.result
    return {
        "iros.csv": csv_text(result.iros[IRO_COLUMNS]).encode("utf-8"),
        "dma_topics.csv": csv_text(result.topics[TOPIC_COLUMNS]).encode("utf-8"),
    }


def dma_pack(report: DmaReport) -> dict[str, bytes]:
    """The charts as SVG (the matrix also PNG and offline HTML) and the disclosure as Markdown."""
    matrix = dma_matrix_chart(report.result, report.topic_names).to_dict(validate=False)
    heatmap = iro_heatmap_chart(report.result, report.topic_names).to_dict(validate=False)
    vega.start_renderer()
    contents = {"dma_matrix.svg": vega.svg(matrix), "iro_heatmap.svg": vega.svg(heatmap)}
    contents["dma_matrix.png"] = vega.png(contents["dma_matrix.svg"])
    contents["dma_matrix.html"] = standalone_chart_html(matrix, f"Double materiality {report.year}").encode()
    contents["dma_disclosure.md"] = disclosure_markdown(
        dma_sections(report), f"Double materiality assessment {report.year}: IRO-1, SBM-3 and IRO-2"
    ).encode()
    return contents


def _register_frame(report: DmaReport) -> pd.DataFrame:
    scored = report.result.iros.set_index("iro")
    frame = report.register.copy()
    frame["human_rights"] = frame["human_rights"].map({True: "yes", False: "no"})
    for column in (
        "severity",
        "impact_score",
        "financial_score",
        "impact_material",
        "financial_material",
        "spread",
    ):
        frame[column] = frame["iro"].map(scored[column])
    return frame


def add_dma_sheets(workbook: bytes, report: DmaReport) -> bytes:
    """The workbook with four more sheets: the IRO register with scores, every rating, the
    topics' decisions and the threshold and workflow logs."""
    book = load_workbook(io.BytesIO(workbook))
    sheets = [
        ("IRO register", "Every IRO with its place, horizon and scores", _register_frame(report)),
        (
            "IRO ratings",
            "Every rating with its assessor, rationale and time; consensus values follow the ratings",
            pd.concat(
                [
                    report.ratings.assign(kind="rating"),
                    report.consensus.rename(columns={"set_by": "assessor", "set_at": "rated_at"}).assign(
                        kind="consensus"
                    ),
                ],
                ignore_index=True,
            )[["kind", "assessor", "iro", "criterion", "value", "rationale", "rated_at"]].assign(
                rated_at=lambda f: f["rated_at"].map(lambda v: pd.Timestamp(v).strftime("%Y-%m-%d %H:%M UTC"))
            ),
        ),
        ("DMA topics", "Material = impact OR financial score reaches its threshold", report.result.topics),
        (
            "DMA log",
            "Threshold settings and workflow steps: who, when, why",
            pd.concat(
                [
                    report.threshold_log.assign(
                        action=lambda f: [
                            f"thresholds impact {i} financial {x}"
                            for i, x in zip(f["impact"], f["financial"], strict=True)
                        ]
                    ).rename(columns={"set_at": "at", "set_by": "actor"})[
                        ["at", "actor", "action", "reason"]
                    ],
                    report.events[["at", "actor", "action", "reason"]],
                ],
                ignore_index=True,
            )
            .sort_values("at", kind="stable")
            .assign(at=lambda f: f["at"].map(lambda v: pd.Timestamp(v).strftime("%Y-%m-%d %H:%M UTC"))),
        ),
    ]
    for title, note, frame in sheets:
        ws = book.create_sheet(title)
        heading(ws, f"{title} {report.year}", note)
        table(ws, frame.reset_index(drop=True))
        landscape(ws)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
