"""Writing a checked export: all of a file or nothing, and nothing twice."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.assessments import AssessmentIndex
from survey.importers.export import ParsedExport, Role
from survey.importers.problems import ImportFailed, Problem
from survey.importers.validate import ImportPlan, Progress, plan_import
from survey.responses import record_responses_bulk

WRITE_CHUNK = 50_000  # responses per write, so progress can be shown
IGNORED_LISTED = 12  # ignored columns named in the summary; the rest are counted


def _column_list(names: list[str]) -> str:
    """Up to :data:`IGNORED_LISTED` column names, short, then how many more and how many blank."""
    named = [n for n in names if n.strip()]
    parts = [_short(n) for n in named[:IGNORED_LISTED]]
    if len(named) > IGNORED_LISTED:
        parts.append(f"{len(named) - IGNORED_LISTED} more")
    if len(names) > len(named):
        parts.append(f"{len(names) - len(named)} without a header")
    return ", ".join(parts)


def _short(name: str, limit: int = 40) -> str:
    """A column name for a one-line list: one line, its middle cut when long (the end tells
    matrix rows apart)."""
    text = " ".join(name.split())
    if len(text) <= limit:
        return text
    return f"{text[: limit // 2 - 1].rstrip()}…{text[-(limit // 2) :].lstrip()}"


@dataclass(frozen=True)
class ImportSummary:
    """What an import did (or, in a dry run, would do)."""

    filename: str
    assessment: str
    format: str
    format_detected: bool
    encoding: str | None
    encoding_note: str
    source: str
    dry_run: bool
    responses_in_file: int
    added: int
    duplicates: int  # imported before (same source and response id): skipped
    without_rating: int  # rows with no rating at all: skipped
    excluded: int  # rows the tool marks as previews, tests or spam: skipped
    excluded_reason: str
    unfinished: int  # unfinished responses left out
    unfinished_kept: int  # unfinished responses imported with the time of their last action
    without_group: int  # rows with an empty group answer left out
    default_group: tuple[str, int] | None  # (group, rows given it for an empty group answer)
    ratings: int
    dont_know: int
    topic_columns: list[tuple[str, str, str | None]]  # (column, topic, dimension or None)
    personal_columns: list[str]
    ignored_columns: list[str]

    def lines(self) -> list[str]:
        how = "detected" if self.format_detected else "given"
        encoding = f", {self.encoding_note}"
        verb = "would add" if self.dry_run else "added"
        lines = [
            f"{self.filename}: format {self.format} ({how}){encoding}; source '{self.source}'",
            f"{self.responses_in_file} responses in the file: {verb} {self.added} to assessment "
            f"'{self.assessment}' ({self.ratings} ratings, {self.dont_know} of them \"don't know\")",
            f"skipped {self.duplicates} imported before (duplicates), "
            f"{self.without_rating} rows without any rating",
        ]
        if self.excluded:
            lines.append(f"left out {self.excluded} rows marked as {self.excluded_reason}")
        if self.unfinished:
            lines.append(
                f"left out {self.unfinished} unfinished responses (no submission time; "
                "'unfinished: include' in the mapping imports them)"
            )
        if self.unfinished_kept:
            lines.append(f"imported {self.unfinished_kept} unfinished responses, timed by their last action")
        if self.without_group:
            lines.append(f"left out {self.without_group} rows with an empty group answer (skip_empty_group)")
        if self.default_group:
            group, n = self.default_group
            lines.append(f"{n} rows with an empty group answer counted as group '{group}' (default_group)")
        if self.topic_columns and self.format != "long":
            shown = ", ".join(f"{c} -> {t}" + (f" ({d})" if d else "") for c, t, d in self.topic_columns[:20])
            more = f", ... ({len(self.topic_columns)} in all)" if len(self.topic_columns) > 20 else ""
            lines.append(f"topic columns: {shown}{more}")
        if self.personal_columns:
            lines.append(f"dropped as personal data (not stored): {', '.join(self.personal_columns)}")
        if self.ignored_columns:
            lines.append(
                f"ignored columns ({len(self.ignored_columns)}): {_column_list(self.ignored_columns)}"
            )
        if self.dry_run:
            lines.append("dry run: nothing was written")
        return lines


def import_export(
    *,
    session: Session,
    index: AssessmentIndex,
    parsed: ParsedExport,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Check `parsed` against the assessment and write its new responses in the caller's
    transaction (nothing when `dry_run`). Raises :class:`ImportFailed` listing every problem;
    the caller's transaction then rolls back, so the database stays as it was."""
    plan = plan_import(session=session, index=index, parsed=parsed, progress=progress)
    if not dry_run:
        _write(session, index, plan, progress)
    return _summary(plan, index, dry_run)


def _write(session: Session, index: AssessmentIndex, plan: ImportPlan, progress: Progress | None) -> None:
    responses, ratings = plan.responses, plan.ratings
    total = len(responses)
    if progress:
        progress("writing", 0, total)
    order = pd.Index(responses["source_response_id"]).get_indexer(ratings["source_response_id"])
    try:
        for start in range(0, total, WRITE_CHUNK):
            stop = min(start + WRITE_CHUNK, total)
            if start == 0 and stop == total:
                part_responses, part_ratings = responses, ratings
            else:
                part_responses = responses.iloc[start:stop]
                part_ratings = ratings[(order >= start) & (order < stop)]
            record_responses_bulk(
                session=session,
                index=index,
                responses=part_responses,
                ratings=part_ratings,
                source=plan.source,
            )
            if progress:
                progress("writing", stop, total)
    except IntegrityError:
        name = plan.parsed.filename
        raise ImportFailed(
            name,
            [
                Problem(
                    name,
                    "another import added some of these responses at the same time: run the import again "
                    "(it will skip what is already there)",
                )
            ],
        ) from None


def _summary(plan: ImportPlan, index: AssessmentIndex, dry_run: bool) -> ImportSummary:
    parsed: ParsedExport = plan.parsed
    used = {t.column.position for t in plan.topic_columns}
    ignored = [
        c.id
        for c in parsed.columns
        if c.role in (Role.question, Role.ignored, Role.topic)
        and c.position not in used
        and parsed.shape == "wide"
    ]
    values = plan.ratings["value"].to_numpy(dtype=float)
    return ImportSummary(
        filename=parsed.filename,
        assessment=index.assessment.key,
        format=parsed.format,
        format_detected=parsed.format_detected,
        encoding=parsed.encoding,
        encoding_note=parsed.encoding_note,
        source=plan.source,
        dry_run=dry_run,
        responses_in_file=plan.n_responses_in_file,
        added=len(plan.responses),
        duplicates=plan.n_duplicates,
        without_rating=plan.n_without_rating,
        excluded=parsed.n_excluded,
        excluded_reason=parsed.layout.excluded_reason,
        unfinished=parsed.n_unfinished,
        unfinished_kept=parsed.n_unfinished_kept,
        without_group=parsed.n_without_group,
        default_group=(parsed.mapping.default_group, parsed.n_default_group)
        if parsed.mapping.default_group and parsed.n_default_group
        else None,
        ratings=len(values),
        dont_know=int(np.isnan(values).sum()),
        topic_columns=[(t.column.id, t.topic, t.dimension) for t in plan.topic_columns],
        personal_columns=parsed.personal_columns,
        ignored_columns=ignored,
    )
