"""The analysis of an assessment: result files and the report pack."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import AssessmentOption, DbOption, open_engine, reports_errors

commands = typer.Typer()


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
    from analysis.pipeline import RUN_FILES, write_run_files
    from analysis.report import write_report_pack
    from services.results import analyse_inputs, analysis_inputs, method_file

    chosen = method_file(method) if method else None
    inputs = analysis_inputs(engine=open_engine(db), assessment_key=assessment, method=chosen)
    result = analyse_inputs(inputs)
    write_run_files(result, out)
    pack = write_report_pack(result, out, inputs.channel_stats)
    tiers = result.topics["tier"].value_counts()
    summary = ", ".join(f"{tiers[name]} {name}" for name in ["high", "material", "low"] if name in tiers)
    unstable = result.topics.loc[result.topics["p_tier"] < 0.8, "topic"].tolist()
    typer.echo(f"Assessment '{assessment}': {summary}.")
    if unstable:
        typer.echo(f"Tier uncertain (p_tier < 0.8): {', '.join(unstable)}.")
    if inputs.previous is not None:
        typer.echo(f"Compared with assessment '{inputs.previous.key}'.")
    typer.echo(f"Wrote {', '.join(RUN_FILES)} to {out}.")
    typer.echo(f"Wrote the report pack: {', '.join(path.name for path in pack.files)}.")
