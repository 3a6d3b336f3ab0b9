"""The analysis of an assessment: result files and the report pack, written into a folder.

The services and the rendering give the files as bytes; only the command line writes them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import AssessmentOption, DbOption, open_engine, reports_errors

if TYPE_CHECKING:
    import pandas as pd

    from analysis.pipeline import AnalysisResult

commands = typer.Typer()


@dataclass(frozen=True)
class WrittenPack:
    """The files of a report pack as written, and the seconds spent per stage."""

    files: list[Path]
    timings: dict[str, float]


def write_run_files(result: AnalysisResult, out: str | Path) -> list[Path]:
    """Write the five result files into `out`: staged under temporary names, then moved into place."""
    from analysis.pipeline import run_files
    from core.files import write_atomically

    return write_atomically(Path(out), run_files(result))


def write_report_pack(result: AnalysisResult, out: str | Path, channel_stats: pd.DataFrame) -> WrittenPack:
    """Render the report pack and write it into `out`, all files or none (staged, then moved)."""
    from core.files import write_atomically
    from render.pack import report_pack

    timings: dict[str, float] = {}
    contents = report_pack(result, channel_stats, timings=timings)
    started = time.perf_counter()
    files = write_atomically(Path(out), contents)
    timings["writing files"] = time.perf_counter() - started
    return WrittenPack(files, timings)


@commands.command()
@reports_errors
def run(
    assessment: AssessmentOption,
    out: Annotated[str, typer.Option("--out", "-o", help="Directory for the result files.")],
    method: Annotated[
        str | None,
        typer.Option(help="YAML method file (default: the assessment's stored method, else the defaults)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Analyse an assessment: scores with intervals, tiers with p_tier, agreement, changes, method."""
    # imported here so that the other commands start without the numerical stack
    from analysis.pipeline import RUN_FILES
    from analysis.rules import UNCERTAIN_P_TIER
    from core.files import write_atomically
    from services.audit import audit_files
    from services.results import analyse_inputs, analysis_inputs, method_file

    chosen = method_file(method) if method else None
    engine = open_engine(db)
    inputs = analysis_inputs(engine=engine, assessment_key=assessment, method=chosen)
    result = analyse_inputs(inputs)
    write_run_files(result, out)
    pack = write_report_pack(result, out, inputs.channel_stats)
    audit_written = write_atomically(Path(out), audit_files(engine=engine, assessment=assessment))
    tiers = result.topics["tier"].value_counts()
    summary = ", ".join(f"{tiers[name]} {name}" for name in ["high", "material", "low"] if name in tiers)
    unstable = result.topics.loc[result.topics["p_tier"] < UNCERTAIN_P_TIER, "topic"].tolist()
    typer.echo(f"Assessment '{assessment}': {summary}.")
    if unstable:
        typer.echo(f"Tier uncertain (p_tier < {UNCERTAIN_P_TIER:g}): {', '.join(unstable)}.")
    if inputs.previous is not None:
        typer.echo(f"Compared with assessment '{inputs.previous.key}'.")
    typer.echo(f"Wrote {', '.join(RUN_FILES)} to {out}.")
    typer.echo(f"Wrote the report pack: {', '.join(path.name for path in pack.files)}.")
    typer.echo(f"Wrote the audit trail: {', '.join(path.name for path in audit_written)}.")
