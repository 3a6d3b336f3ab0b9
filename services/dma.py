"""Double materiality, what the faces need in one call each: the IRO register (import, edit,
export, carry forward), ratings from a file or the app, consensus values, thresholds, the
workflow (draft -> rating -> calibration -> signed off) and the scored result.

Every change takes the `actor` who makes it; each opens one write transaction, so a file is
stored whole or not at all. Input checks are the analysis's (:mod:`analysis.dma_inputs`) and
name the file, the row and the column; what depends on the stored state (a signed-off
assessment, a type changed under ratings) is refused by the store (:mod:`survey.iro`).
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from sqlalchemy.engine import Engine

from analysis.dma import DmaResult, score_dma
from analysis.dma_inputs import (
    DmaInputError,
    validate_consensus,
    validate_ratings,
    validate_register_file,
)
from analysis.dma_method import (
    DmaMethod,
    DmaThresholds,
    applicable_criteria,
    dma_method_from_dict,
    thresholds_from_dict,
)
from core.formats import csv_text
from core.textsafety import neutralise_formula
from render.dma_disclosure import DmaReport
from render.dma_pack import add_dma_sheets, dma_pack, dma_run_files
from survey import iro
from survey.assessments import get_assessment, previous_assessment
from survey.db import transaction
from survey.errors import StoreError
from survey.iro_catalog import STANDARD_NAMES, standard_of
from survey.iro_files import IroFileError, read_table

EXPORT_COLUMNS = iro.REGISTER_COLUMNS  # the register's file layout is the stored one
NEXT_STATE = {"draft": "rating", "rating": "calibration"}


def _file_error(name: str, error: DmaInputError) -> IroFileError:
    return IroFileError([f"{name}, {problem}" for problem in error.problems])


def _register_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A checked register as the store keeps it: human rights as a boolean."""
    return frame.assign(human_rights=frame["human_rights"].astype(bool))


# --- the register -------------------------------------------------------------------------------


def import_register(
    *, engine: Engine, assessment_key: str, path: str | Path, actor: str, content: bytes | None = None
) -> dict[str, int]:
    """Read a register file (CSV or XLSX, columns ``iro, topic, sub_topic, type, status,
    value_chain, horizon, human_rights, description`` and optionally ``owner``) and store it:
    new IROs added, existing ones (same id) updated. All or nothing; every problem named with
    the file, the row and the column (:class:`survey.iro_files.IroFileError`)."""
    name = Path(path).name
    table = read_table(path, content)
    try:
        checked = validate_register_file(table)
    except DmaInputError as error:
        raise _file_error(name, error) from None
    with transaction(engine) as session:
        counts = iro.save_register(
            session=session, assessment_key=assessment_key, rows=_register_text(checked)
        )
        iro.record_event(
            session=session,
            assessment_key=assessment_key,
            action=f"register imported from {name[:120]}",
            audit_action="iro.register.import",
            details=counts,
            actor=actor,
            reason=f"{counts['added']} added, {counts['updated']} updated",
        )
    return counts


def save_register(*, engine: Engine, assessment_key: str, table: pd.DataFrame, actor: str) -> dict[str, int]:
    """The register as edited in the app: checked whole (rows numbered from 1), then stored;
    IROs removed from the table are deleted with their ratings."""
    try:
        checked = validate_register_file(table.fillna(""))
    except DmaInputError as error:
        raise _file_error("register table", error) from None
    with transaction(engine) as session:
        counts = iro.save_register(
            session=session, assessment_key=assessment_key, rows=_register_text(checked), replace=True
        )
        if any(counts.values()):
            iro.record_event(
                session=session,
                assessment_key=assessment_key,
                action="register edited",
                audit_action="iro.register.edit",
                details=counts,
                actor=actor,
                reason=", ".join(f"{n} {what}" for what, n in counts.items()),
            )
    return counts


def register(*, engine: Engine, assessment_key: str) -> pd.DataFrame:
    """The register as stored (:data:`EXPORT_COLUMNS`, human rights as yes/no)."""
    with transaction(engine, write=False) as session:
        frame = iro.register(session=session, assessment_key=assessment_key)
    return frame.assign(human_rights=frame["human_rights"].map({True: "yes", False: "no"}))


def export_register(*, engine: Engine, assessment_key: str, xlsx: bool = False) -> bytes:
    """The register as a file that :func:`import_register` reads back: CSV, or XLSX."""
    frame = register(engine=engine, assessment_key=assessment_key)[EXPORT_COLUMNS]
    if not xlsx:
        return csv_text(frame).encode("utf-8")
    book = Workbook()
    sheet = book.active
    sheet.title = "IRO register"
    sheet.append(EXPORT_COLUMNS)
    for row in frame.itertuples(index=False):
        sheet.append([neutralise_formula(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def carry_forward(
    *, engine: Engine, assessment_key: str, actor: str, source_key: str | None = None
) -> dict[str, int]:
    """Copy last year's register (or `source_key`'s) into the assessment, without ratings:
    IROs whose id exists already are left as they are."""
    with transaction(engine) as session:
        if source_key is None:
            earlier = previous_assessment(session=session, key=assessment_key)
            if earlier is None:
                raise StoreError(f"assessment '{assessment_key}' has no earlier assessment to carry from")
            source_key = earlier.key
        get_assessment(session=session, key=source_key)
        source = iro.register(session=session, assessment_key=source_key)
        if source.empty:
            raise StoreError(f"assessment '{source_key}' has no IRO register to carry forward")
        present = set(iro.register(session=session, assessment_key=assessment_key)["iro"])
        new = source[~source["iro"].isin(present)]
        counts = iro.save_register(session=session, assessment_key=assessment_key, rows=new)
        iro.record_event(
            session=session,
            assessment_key=assessment_key,
            action=f"register carried forward from {source_key}",
            audit_action="iro.register.carry_forward",
            actor=actor,
            reason=f"{counts['added']} IROs copied without ratings; {len(present & set(source['iro']))} kept",
        )
    return counts


def add_evidence(
    *,
    engine: Engine,
    assessment_key: str,
    iro_id: str,
    actor: str,
    url: str = "",
    label: str = "",
    filename: str = "",
    content: bytes | None = None,
) -> str:
    """Attach a link or a file to an IRO; returns the file's SHA-256 (empty for a link)."""
    with transaction(engine) as session:
        added = iro.add_evidence(
            session=session,
            assessment_key=assessment_key,
            iro=iro_id,
            actor=actor,
            url=url,
            label=label,
            filename=filename,
            content=content,
        )
        iro.record_event(
            session=session,
            assessment_key=assessment_key,
            action=f"evidence for {iro_id}",
            actor=actor,
            reason=(filename or url)[:300],
            audit_action="iro.evidence.add",
            details={"iro": iro_id, "kind": added.kind, "sha256": added.sha256, "url": added.url},
        )
        return added.sha256


# --- ratings, consensus, thresholds, workflow ---------------------------------------------------


def _check_ratings(session_register: pd.DataFrame, table: pd.DataFrame, name: str) -> pd.DataFrame:
    try:
        return validate_ratings(table, session_register)
    except DmaInputError as error:
        raise _file_error(name, error) from None


def _store_ratings(
    *, engine: Engine, assessment_key: str, table: pd.DataFrame, name: str, actor: str
) -> dict[str, int]:
    with transaction(engine) as session:
        stored = iro.register(session=session, assessment_key=assessment_key)
        if stored.empty:
            raise StoreError(f"assessment '{assessment_key}' has no IRO register yet: import one first")
        checked = _check_ratings(stored, table, name)
        counts = iro.save_ratings(session=session, assessment_key=assessment_key, rows=checked)
        current = iro.state(session=session, assessment_key=assessment_key)
        iro.record_event(
            session=session,
            assessment_key=assessment_key,
            action=f"ratings from {name[:120]}",
            audit_action="iro.rating.save",
            details=counts,
            new_state="rating" if current == "draft" else current,
            actor=actor,
            reason=f"{counts['added']} added, {counts['replaced']} replaced",
        )
    return counts


def import_ratings(
    *, engine: Engine, assessment_key: str, path: str | Path, actor: str, content: bytes | None = None
) -> dict[str, int]:
    """Read a ratings file (``assessor, iro, criterion, value, rationale``) and store it, all or
    nothing. A draft moves on to rating."""
    return _store_ratings(
        engine=engine,
        assessment_key=assessment_key,
        table=read_table(path, content),
        name=Path(path).name,
        actor=actor,
    )


def save_assessor_ratings(
    *, engine: Engine, assessment_key: str, assessor: str, table: pd.DataFrame, actor: str
) -> dict[str, int]:
    """One assessor's ratings from the app (``iro, criterion, value, rationale``); rows without a
    value are skipped, every other row checked like a file."""
    rows = table.assign(assessor=assessor)
    rows = rows[rows["value"].notna() & (rows["value"].astype(str).str.strip() != "")]
    if rows.empty:
        return {"added": 0, "replaced": 0}
    return _store_ratings(
        engine=engine,
        assessment_key=assessment_key,
        table=rows,
        name=f"the ratings of {assessor}",
        actor=actor,
    )


def set_consensus(
    *,
    engine: Engine,
    assessment_key: str,
    iro_id: str,
    criterion: str,
    value: int | None,
    rationale: str,
    actor: str,
) -> None:
    """Set (value None: remove) a consensus value agreed in calibration; checked like a rating."""
    with transaction(engine) as session:
        stored = iro.register(session=session, assessment_key=assessment_key)
        if value is not None:
            try:
                validate_consensus(
                    pd.DataFrame(
                        [{"iro": iro_id, "criterion": criterion, "value": value, "rationale": rationale}]
                    ),
                    stored,
                )
            except DmaInputError as error:
                raise StoreError("; ".join(str(p) for p in error.problems)) from None
        iro.set_consensus(
            session=session,
            assessment_key=assessment_key,
            iro=iro_id,
            criterion=criterion,
            value=value,
            rationale=rationale.strip(),
            actor=actor,
        )
        iro.record_event(
            session=session,
            assessment_key=assessment_key,
            action=f"consensus {iro_id} {criterion} = {value if value is not None else 'removed'}",
            audit_action="dma.consensus.set",
            details={"iro": iro_id, "criterion": criterion, "value": value},
            actor=actor,
            reason=rationale.strip()[:2000],
        )


def set_thresholds(
    *,
    engine: Engine,
    assessment_key: str,
    impact: float | None,
    financial: float | None,
    reason: str,
    actor: str,
) -> bool:
    """Record the impact and financial thresholds (1-5) with who and why; returns whether
    ratings already existed (the disclosure says so)."""
    try:
        thresholds_from_dict({"impact": impact, "financial": financial})
    except ValueError as error:
        raise StoreError(str(error)) from None
    with transaction(engine) as session:
        record = iro.record_thresholds(
            session=session,
            assessment_key=assessment_key,
            impact=impact,
            financial=financial,
            reason=reason,
            actor=actor,
        )
        iro.record_event(
            session=session,
            assessment_key=assessment_key,
            action=f"thresholds impact {impact} financial {financial}",
            audit_action="dma.thresholds.set",
            details={"impact": impact, "financial": financial, "after_ratings": record.after_ratings},
            actor=actor,
            reason=reason.strip(),
        )
        return record.after_ratings


def advance(*, engine: Engine, assessment_key: str, actor: str, reason: str = "") -> str:
    """Move draft -> rating -> calibration; returns the new state."""
    with transaction(engine) as session:
        current = iro.state(session=session, assessment_key=assessment_key)
        if current not in NEXT_STATE:
            raise StoreError(f"assessment '{assessment_key}' is in state {current}: it cannot be moved on")
        new = NEXT_STATE[current]
        iro.record_event(
            session=session,
            assessment_key=assessment_key,
            action=f"moved to {new}",
            audit_action="dma.advance",
            new_state=new,
            actor=actor,
            reason=reason,
        )
        return new


# --- the result ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DmaInputs:
    """Everything the scoring, the pages and the disclosure of one assessment need, read in one
    transaction. `thresholds` are the latest setting (none set: both None)."""

    assessment_key: str
    year: int
    state: str
    version: str
    register: pd.DataFrame
    ratings: pd.DataFrame
    consensus: pd.DataFrame
    thresholds: DmaThresholds
    threshold_log: pd.DataFrame
    events: pd.DataFrame
    evidence: pd.DataFrame
    survey: pd.DataFrame
    topics: list[tuple[str, str]]
    method: DmaMethod = field(default_factory=DmaMethod)

    @property
    def topic_order(self) -> list[str]:
        return [key for key, _ in self.topics]

    @property
    def topic_names(self) -> dict[str, str]:
        return dict(self.topics)


def version(*, engine: Engine, assessment_key: str) -> str:
    """What the app's caches of the assessment's double materiality are keyed on."""
    with transaction(engine, write=False) as session:
        return iro.dma_version(session=session, assessment_key=assessment_key)


def has_register(*, engine: Engine, assessment_key: str) -> bool:
    with transaction(engine, write=False) as session:
        return iro.has_register(session=session, assessment_key=assessment_key)


def dma_inputs(*, engine: Engine, assessment_key: str) -> DmaInputs:
    """Read everything of the assessment's double materiality in one transaction."""
    with transaction(engine, write=False) as session:
        assessment = get_assessment(session=session, key=assessment_key)
        log = iro.threshold_log(session=session, assessment_key=assessment_key)
        latest = log.iloc[-1] if len(log) else None
        thresholds = DmaThresholds(
            impact=None if latest is None or pd.isna(latest["impact"]) else float(latest["impact"]),
            financial=None if latest is None or pd.isna(latest["financial"]) else float(latest["financial"]),
        )
        return DmaInputs(
            assessment_key=assessment_key,
            year=assessment.year,
            state=iro.state(session=session, assessment_key=assessment_key),
            version=iro.dma_version(session=session, assessment_key=assessment_key),
            register=iro.register(session=session, assessment_key=assessment_key),
            ratings=iro.ratings(session=session, assessment_key=assessment_key),
            consensus=iro.consensus(session=session, assessment_key=assessment_key),
            thresholds=thresholds,
            threshold_log=log,
            events=iro.events(session=session, assessment_key=assessment_key),
            evidence=iro.evidence(session=session, assessment_key=assessment_key),
            survey=iro.survey_evidence(session=session, assessment_key=assessment_key),
            topics=iro.topic_names(session=session, assessment_key=assessment_key),
        )


def score(inputs: DmaInputs) -> DmaResult:
    """The scores and decisions of the assessment (:func:`analysis.dma.score_dma`)."""
    return score_dma(
        inputs.register,
        inputs.ratings[["assessor", "iro", "criterion", "value", "rationale"]],
        thresholds=inputs.thresholds,
        method=inputs.method,
        consensus=inputs.consensus[["iro", "criterion", "value", "rationale"]],
        topic_order=inputs.topic_order,
    )


def rating_progress(inputs: DmaInputs) -> pd.DataFrame:
    """Per assessor: criteria rated out of the criteria that apply over the whole register."""
    needed = sum(
        len(applicable_criteria(t, s))
        for t, s in zip(inputs.register["type"], inputs.register["status"], strict=True)
    )
    counts = inputs.ratings.groupby("assessor").size()
    latest = inputs.ratings.groupby("assessor")["rated_at"].max()
    return pd.DataFrame(
        {
            "assessor": counts.index,
            "rated": counts.to_numpy(),
            "of": needed,
            "share": counts.to_numpy() / needed if needed else 0.0,
            "last_rating": latest.reindex(counts.index).to_numpy(),
        }
    )


def sign_off_problems(inputs: DmaInputs, result: DmaResult) -> list[str]:
    """What stands in the way of signing off: no register, a missing threshold, unscored IROs,
    criteria still flagged for calibration."""
    problems = []
    if inputs.register.empty:
        problems.append("the IRO register is empty")
    if inputs.thresholds.impact is None or inputs.thresholds.financial is None:
        problems.append("both thresholds must be set")
    unscored = result.iros.loc[result.iros["missing_criteria"] != "", "iro"].tolist()
    if unscored:
        problems.append(f"{len(unscored)} IRO(s) not fully rated: {', '.join(unscored[:10])}")
    flagged = result.iros.loc[result.iros["calibrate"], "iro"].tolist()
    if flagged:
        problems.append(
            f"{len(flagged)} IRO(s) still flagged for calibration (assessors differ by "
            f"{inputs.method.calibration_gap} or more and no consensus is set): {', '.join(flagged[:10])}"
        )
    return problems


def sign_off(*, engine: Engine, assessment_key: str, actor: str, reason: str = "") -> None:
    """Sign off: locks the register, the ratings and the thresholds. Refused, with every
    reason, while :func:`sign_off_problems` finds any."""
    inputs = dma_inputs(engine=engine, assessment_key=assessment_key)
    if inputs.state == "signed_off":
        raise StoreError(f"assessment '{assessment_key}' is signed off already")
    problems = sign_off_problems(inputs, score(inputs))
    if problems:
        raise StoreError(f"assessment '{assessment_key}' cannot be signed off: " + "; ".join(problems))
    with transaction(engine) as session:
        if iro.dma_version(session=session, assessment_key=assessment_key) != inputs.version:
            raise StoreError("the register or its ratings changed while signing off: look again and retry")
        iro.record_event(
            session=session,
            assessment_key=assessment_key,
            action="signed off",
            audit_action="dma.sign_off",
            new_state="signed_off",
            actor=actor,
            reason=reason,
        )


def reopen(*, engine: Engine, assessment_key: str, actor: str, reason: str) -> None:
    """Reopen a signed-off assessment (back to calibration); a reason is required."""
    if not reason or not reason.strip():
        raise StoreError("say why the signed-off assessment is reopened: a reason is required")
    with transaction(engine) as session:
        if iro.state(session=session, assessment_key=assessment_key) != "signed_off":
            raise StoreError(f"assessment '{assessment_key}' is not signed off")
        iro.record_event(
            session=session,
            assessment_key=assessment_key,
            action="reopened",
            audit_action="dma.reopen",
            new_state="calibration",
            actor=actor,
            reason=reason,
        )


def evidence_file(*, engine: Engine, assessment_key: str, evidence_id: int) -> tuple[str, bytes]:
    with transaction(engine, write=False) as session:
        return iro.evidence_file(session=session, assessment_key=assessment_key, evidence_id=evidence_id)


def report_of(inputs: DmaInputs, result: DmaResult | None = None) -> DmaReport:
    """What the disclosure and the files are written from."""
    topics = inputs.topic_order + sorted(set(inputs.register["topic"]) - set(inputs.topic_order))
    return DmaReport(
        year=inputs.year,
        state=inputs.state,
        result=result if result is not None else score(inputs),
        register=inputs.register,
        ratings=inputs.ratings,
        consensus=inputs.consensus,
        threshold_log=inputs.threshold_log,
        events=inputs.events,
        survey=inputs.survey,
        topic_names=inputs.topic_names,
        standards={topic: standard_of(topic) for topic in topics},
        standard_names=dict(STANDARD_NAMES),
    )


def run_files(
    *, engine: Engine, assessment_key: str, workbook: bytes | None = None, preset: str | None = None
) -> dict[str, bytes]:
    """The double-materiality files of `materiality run` (empty when the assessment has no
    register): :data:`render.dma_pack.DMA_RUN_FILES`, the pack files, and `workbook` (the
    report's ``report.xlsx``) with the register sheets added. `preset` names a scoring preset
    other than the default (:data:`analysis.dma_method.PRESETS`); the files record it."""
    if not has_register(engine=engine, assessment_key=assessment_key):
        return {}
    inputs = dma_inputs(engine=engine, assessment_key=assessment_key)
    if preset is not None:
        inputs = dataclasses.replace(
            inputs, method=dma_method_from_dict({"preset": preset}, source="--dma-preset")
        )
    report = report_of(inputs)
    files = {**dma_run_files(report), **dma_pack(report)}
    if workbook is not None:
        files["report.xlsx"] = add_dma_sheets(workbook, report)
    return files


def has_survey(*, engine: Engine, assessment_key: str) -> bool:
    """Whether the assessment has stakeholder survey responses to analyse."""
    with transaction(engine, write=False) as session:
        return iro.has_responses(session=session, assessment_key=assessment_key)
