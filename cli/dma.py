"""Commands for the double-materiality workflow: thresholds, consensus, moving on, sign-off."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import AssessmentOption, DbOption, open_engine, reports_errors
from cli.iro import ActorOption, actor_of

commands = typer.Typer()
dma = typer.Typer(help="The double-materiality workflow: consensus, states, sign-off.", no_args_is_help=True)
commands.add_typer(dma, name="dma")
ReasonOption = Annotated[str, typer.Option("--reason", help="Why: kept in the log.")]


@commands.command()
@reports_errors
def thresholds(
    assessment: AssessmentOption,
    impact: Annotated[float, typer.Option(help="Impact threshold on the 1-5 score scale.")],
    financial: Annotated[float, typer.Option(help="Financial threshold on the 1-5 score scale.")],
    reason: ReasonOption,
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Set the impact and financial thresholds (material = impact OR financial reaches its own)."""
    from services.dma import set_thresholds

    after = set_thresholds(
        engine=open_engine(db),
        assessment_key=assessment,
        impact=impact,
        financial=financial,
        reason=reason,
        actor=actor_of(actor),
    )
    typer.echo(f"Thresholds of '{assessment}': impact {impact:g}, financial {financial:g}.")
    if after:
        typer.echo("Note: ratings existed when these thresholds were set; the disclosure says so.")


@dma.command("status")
@reports_errors
def status_command(assessment: AssessmentOption, db: DbOption = None) -> None:
    """The state, the thresholds, rating progress and what stands in the way of sign-off."""
    from services.dma import dma_inputs, rating_progress, score, sign_off_problems

    inputs = dma_inputs(engine=open_engine(db), assessment_key=assessment)
    result = score(inputs)
    typer.echo(f"Assessment '{assessment}': {len(inputs.register)} IROs, state {inputs.state}.")
    typer.echo(f"Thresholds: impact {inputs.thresholds.impact}, financial {inputs.thresholds.financial}.")
    for row in rating_progress(inputs).itertuples():
        typer.echo(f"  {row.assessor}: {row.rated} of {row.of} criteria rated")
    material = result.topics.loc[result.topics["material"], "topic"].tolist()
    typer.echo(f"Material topics ({len(material)}): {', '.join(material) or 'none'}.")
    for problem in sign_off_problems(inputs, result):
        typer.echo(f"Before sign-off: {problem}.")


@dma.command("consensus")
@reports_errors
def consensus_command(
    assessment: AssessmentOption,
    iro_id: Annotated[str, typer.Option("--iro", help="The IRO's id.")],
    criterion: Annotated[str, typer.Option(help="scale, scope, irremediability, likelihood or magnitude.")],
    value: Annotated[int | None, typer.Option(help="The agreed value 1-5 (leave out to remove it).")] = None,
    rationale: Annotated[str, typer.Option(help="Why the assessors agreed on it.")] = "",
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Set a value agreed in calibration; it replaces the assessors' mean."""
    from services.dma import set_consensus

    set_consensus(
        engine=open_engine(db),
        assessment_key=assessment,
        iro_id=iro_id,
        criterion=criterion,
        value=value,
        rationale=rationale,
        actor=actor_of(actor),
    )
    typer.echo(f"Consensus of {iro_id} {criterion}: {value if value is not None else 'removed'}.")


@dma.command("advance")
@reports_errors
def advance_command(
    assessment: AssessmentOption, reason: ReasonOption = "", actor: ActorOption = None, db: DbOption = None
) -> None:
    """Move the assessment on: draft -> rating -> calibration."""
    from services.dma import advance

    state = advance(engine=open_engine(db), assessment_key=assessment, actor=actor_of(actor), reason=reason)
    typer.echo(f"Assessment '{assessment}' is now in {state}.")


@dma.command("sign-off")
@reports_errors
def sign_off_command(
    assessment: AssessmentOption, reason: ReasonOption = "", actor: ActorOption = None, db: DbOption = None
) -> None:
    """Sign off: locks the register, the ratings and the thresholds."""
    from services.dma import sign_off

    sign_off(engine=open_engine(db), assessment_key=assessment, actor=actor_of(actor), reason=reason)
    typer.echo(f"Assessment '{assessment}' is signed off.")


@dma.command("reopen")
@reports_errors
def reopen_command(
    assessment: AssessmentOption, reason: ReasonOption, actor: ActorOption = None, db: DbOption = None
) -> None:
    """Reopen a signed-off assessment (a reason is required)."""
    from services.dma import reopen

    reopen(engine=open_engine(db), assessment_key=assessment, actor=actor_of(actor), reason=reason)
    typer.echo(f"Assessment '{assessment}' is reopened (calibration).")
