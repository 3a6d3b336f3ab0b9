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
    from collections.abc import Callable

    import pandas as pd
    from sqlalchemy.engine import Engine

    from analysis.pipeline import AnalysisResult

commands = typer.Typer()


@dataclass(frozen=True)
class WrittenPack:
    """The files of a report pack as written, and the seconds spent per stage."""

    files: list[Path]
    timings: dict[str, float]


def write_report_pack(
    result: AnalysisResult,
    out: str | Path,
    channel_stats: pd.DataFrame,
    *,
    with_files: dict[str, bytes] | None = None,
    extra: Callable[[dict[str, bytes]], dict[str, bytes]] | None = None,
) -> WrittenPack:
    """Render the report pack and write it, with `with_files` (the result files), as the folder
    `out`: written beside it, then renamed into place, so that a failure leaves the previous
    pack whole (:func:`core.files.replace_folder`). `extra`, given the pack, returns files to add
    or replace (the double-materiality files)."""
    from core.files import WriteFailed, replace_folder
    from render.pack import report_pack

    timings: dict[str, float] = {}
    try:
        contents = {**(with_files or {}), **report_pack(result, channel_stats, timings=timings)}
        if extra is not None:
            started = time.perf_counter()
            contents.update(extra(contents))
            timings["double materiality"] = time.perf_counter() - started
    except OSError as exc:  # the renderers' temporary files: a full disk
        raise WriteFailed(
            f"cannot render the report pack: {exc.strerror or exc}; {Path(out).absolute()} was left as it was"
        ) from None
    started = time.perf_counter()
    files = replace_folder(Path(out), contents)
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
    dma_preset: Annotated[
        str | None,
        typer.Option(
            help="Double-materiality scoring preset: default, max_override, mean_max, human_rights_weighted."
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Analyse an assessment: scores with intervals, tiers with p_tier, agreement, changes, method."""
    # imported here so that the other commands start without the numerical stack
    from analysis.pipeline import RUN_FILES, run_files
    from analysis.rules import UNCERTAIN_P_TIER
    from services import dma
    from services.audit import audit_files
    from services.results import analyse_inputs, analysis_inputs, method_file

    engine = open_engine(db)
    chosen = method_file(method) if method else None
    if dma.has_register(engine=engine, assessment_key=assessment) and not dma.has_survey(
        engine=engine, assessment_key=assessment
    ):
        write_dma_only(engine, assessment, out, dma_preset)
        return
    inputs = analysis_inputs(engine=engine, assessment_key=assessment, method=chosen)
    result = analyse_inputs(inputs)

    def dma_and_audit_files(contents: dict[str, bytes]) -> dict[str, bytes]:
        return {
            **dma.run_files(
                engine=engine, assessment_key=assessment, workbook=contents["report.xlsx"], preset=dma_preset
            ),
            **audit_files(engine=engine, assessment=assessment),
        }

    pack = write_report_pack(
        result, out, inputs.channel_stats, with_files=run_files(result), extra=dma_and_audit_files
    )
    tiers = result.topics["tier"].value_counts()
    summary = ", ".join(f"{tiers[name]} {name}" for name in ["high", "material", "low"] if name in tiers)
    unstable = result.topics.loc[result.topics["p_tier"] < UNCERTAIN_P_TIER, "topic"].tolist()
    typer.echo(f"Assessment '{assessment}': {summary}.")
    if unstable:
        typer.echo(f"Tier uncertain (p_tier < {UNCERTAIN_P_TIER:g}): {', '.join(unstable)}.")
    if inputs.previous is not None:
        typer.echo(f"Compared with assessment '{inputs.previous.key}'.")
    typer.echo(f"Wrote {', '.join(RUN_FILES)} to {out}.")
    typer.echo(f"Wrote the report pack: {', '.join(path.name for path in pack.files[len(RUN_FILES) :])}.")
    if "iros.csv" in {path.name for path in pack.files}:
        typer.echo(
            "Wrote the double-materiality files: iros.csv, dma_topics.csv, dma_matrix, dma_disclosure.md."
        )
    typer.echo("Wrote the audit trail: audit.csv, audit.json, audit-check.txt.")


def write_dma_only(engine: Engine, assessment: str, out: str, preset: str | None = None) -> None:
    """An assessment with an IRO register and no survey responses: the double-materiality files
    only, written as a whole folder like the report pack."""
    from core.files import replace_folder
    from services import dma

    files = replace_folder(Path(out), dma.run_files(engine=engine, assessment_key=assessment, preset=preset))
    typer.echo(f"Assessment '{assessment}' has no survey responses: double materiality only.")
    typer.echo(f"Wrote {', '.join(path.name for path in files)} to {out}.")
