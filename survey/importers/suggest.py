"""What a first look at an export can suggest: the columns that look like ratings, the question
that looks like the stakeholder group, and a mapping file to start from
(``materiality import FILE --suggest-mapping``).

A column looks like ratings when nearly all its answers are whole numbers from 0 to 10, the
assessment's scale labels, common rating words ("Very important", "Agree", "Satisfied"...),
LimeSurvey answer codes (``A1``...) or "don't know", with at most 11 different answers. The group
question is the other column with 2 to 15 different answers that names groups of the assessment
or asks who is answering ("Which group...", "describes you", "您属于").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.assessments import AssessmentIndex
from survey.importers.export import ParsedExport, Role, SourceColumn
from survey.importers.validate import DONT_KNOW, LABEL_WITH_CODE, NUMBER
from survey.models import StakeholderGroup, Topic

RATING_WORDS = re.compile(
    r"\b(?:important|importance|agree|disagree|satisf\w*|likely|relevant|concern\w*|priority|"
    r"significant|critical|favou?rabl\w*|neutral|strongly|somewhat|extremely|not at all)\b|重要|同意|满意",
    re.IGNORECASE,
)
ASKS_WHO = re.compile(
    r"\b(?:group|stakeholder|describes? you|belong|represent|your role|are you an?|relationship)\b|"
    r"属于|身份|利益相关方",
    re.IGNORECASE,
)
MAX_RATING_ANSWERS = 11


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def _answers(parsed: ParsedExport, column: SourceColumn) -> pd.Series:
    if column.position not in parsed.cells:
        return pd.Series([], dtype=object)
    values = parsed.cells[column.position].astype(str).str.strip()
    not_answered = {v.casefold() for v in parsed.layout.not_answered}
    return values[(values != "") & ~values.str.casefold().isin(not_answered)]


MISSING_CODES = {97.0, 98.0, 99.0, -99.0, -1.0}  # numbers tools and analysts use for "don't know"


def _is_rating_answer(text: str, labels: set[str]) -> bool:
    if NUMBER.match(text):
        value = float(text)
        return value.is_integer() and (0 <= value <= 10 or value in MISSING_CODES)
    key = text.casefold()
    if key in labels or key in DONT_KNOW or re.fullmatch(r"a\d{1,3}", key):
        return True
    coded = LABEL_WITH_CODE.match(text)
    if coded and NUMBER.match(coded.group(2)):
        return True
    return bool(RATING_WORDS.search(text))


def _scale_labels(index: AssessmentIndex) -> set[str]:
    labels: set[str] = set()
    for by_language in (index.assessment.scale_labels or {}).values():
        for names in (by_language or {}).values():
            labels.update(str(n).casefold() for n in names or [])
    return labels


def _asks_who(column: SourceColumn) -> bool:
    return any(ASKS_WHO.search(n) for n in (column.label, *column.names))


def _stems(text: str) -> set[str]:
    return {w.removesuffix("s") for w in _words(text).split() if len(w) > 2}


def guess_group(answer: str, groups: dict[str, str]) -> str | None:
    """The group an answer names: by its whole name, else by the one group sharing a word."""
    exact = groups.get(_words(answer))
    if exact:
        return exact
    stems = _stems(answer)
    found = {key for name, key in groups.items() if stems & _stems(name)}
    return found.pop() if len(found) == 1 else None


@dataclass(frozen=True)
class Candidates:
    ratings: list[SourceColumn]
    group: SourceColumn | None
    group_answers: list[str]
    labels: list[str]  # answers of the rating columns that need a number in 'values'


def find_candidates(parsed: ParsedExport, index: AssessmentIndex, names: CatalogNames) -> Candidates:
    """Columns that look like ratings and the column that looks like the group question."""
    scale = _scale_labels(index)
    ratings, others = [], []
    labels: dict[str, None] = {}
    for column in parsed.columns_with(Role.question, Role.topic):
        answers = _answers(parsed, column)
        distinct = pd.unique(answers)
        if len(distinct) == 0:
            continue
        if _asks_who(column) and 2 <= len(distinct) <= 15:
            others.append((column, [str(a) for a in distinct]))
            continue
        looks = [a for a in distinct if _is_rating_answer(str(a), scale)]
        if len(distinct) <= MAX_RATING_ANSWERS and len(looks) >= 0.9 * len(distinct):
            ratings.append(column)
            for answer in distinct:
                text = str(answer)
                key = text.casefold()
                if not NUMBER.match(text) and key not in scale and key not in DONT_KNOW:
                    labels.setdefault(text)
        elif 2 <= len(distinct) <= 15:
            others.append((column, [str(a) for a in distinct]))
    best, best_score = None, 0
    for column, answers in others:
        score = sum(2 for a in answers if _words(a) in names.groups)
        score += 3 if _asks_who(column) else 0
        if score > best_score:
            best, best_score = (column, answers), score
    return Candidates(
        ratings=ratings,
        group=best[0] if best else None,
        group_answers=sorted(best[1]) if best else [],
        labels=list(labels),
    )


@dataclass(frozen=True)
class CatalogNames:
    """Every way an answer or a column may name a group or a topic (normalised) -> its key."""

    groups: dict[str, str]
    topics: dict[str, str]


def catalog_names(session: Session, index: AssessmentIndex) -> CatalogNames:
    aid = index.assessment.id

    def spellings(model: type[StakeholderGroup] | type[Topic]) -> dict[str, str]:
        names: dict[str, str] = {}
        rows = session.execute(
            select(model.key, model.name_en, model.name_zh).where(model.assessment_id == aid)
        )
        for key, name_en, name_zh in rows.all():
            for name in (key.replace("_", " "), name_en, name_zh):
                if name and _words(name):
                    names.setdefault(_words(name), key)
        return names

    return CatalogNames(spellings(StakeholderGroup), spellings(Topic))


def _topic_for(column: SourceColumn, topics: dict[str, str]) -> str | None:
    """The topic a column's name (or its row label) names, when exactly one does."""
    names = [n for n in (column.label, *column.names) if n]
    for name in reversed(names):
        key = topics.get(_words(name))
        if key:
            return key
    found = {key for name in names for words, key in topics.items() if words and words in _words(name)}
    return found.pop() if len(found) == 1 else None


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _about(column: SourceColumn) -> str:
    text = " ".join((column.label or column.id).split())
    return text if len(text) <= 70 else text[:34] + "…" + text[-35:]


def suggest_mapping(parsed: ParsedExport, index: AssessmentIndex, names: CatalogNames) -> str:
    """A mapping file to start from: the group question and its answers, the rating columns with
    the topics their names give (blank where a person must choose), the answer labels to number."""
    found = find_candidates(parsed, index, names)
    lines = [
        f"# Mapping for {parsed.filename} ({parsed.format}), to start from: check every line, fill in the",
        "# blanks (a value after each colon), delete what does not apply, then run",
        f"#   materiality import {parsed.filename} --assessment {index.assessment.key} --mapping THIS_FILE",
        f"# Groups: {', '.join(index.groups)}",
        f"# Topics: {', '.join(index.topics)}",
        f"# survey: {parsed.format}-{index.assessment.key}   # name the survey when its ids restart at 1",
    ]
    if found.group is not None:
        lines += [f"group_column: {_quoted(found.group.id)}   # {_about(found.group)}", "group_values:"]
        for answer in found.group_answers:
            guess = guess_group(answer, names.groups)
            lines.append(f"  {_quoted(answer)}: {guess or ''}")
    else:
        lines.append("group:    # no column names the group: one group key for the whole file")
    lines.append("topics:")
    for column in found.ratings:
        guess = _topic_for(column, names.topics)
        lines.append(f"  {_quoted(column.id)}: {guess or ''}   # {_about(column)}")
    if found.labels:
        lines.append(
            f"values:   # a number on the scale {index.assessment.scale_min}-{index.assessment.scale_max}"
        )
        lines += [f"  {_quoted(label)}: " for label in found.labels]
    lines.append('missing: []   # answers that mean "don\'t know"')
    return "\n".join(lines) + "\n"


def candidates_note(
    parsed: ParsedExport, index: AssessmentIndex, names: CatalogNames, *, ratings: bool, group: bool
) -> str:
    """A sentence for the errors of a first try without a mapping: which columns look like
    ratings and which like the group question."""
    found = find_candidates(parsed, index, names)
    parts = []
    if ratings and found.ratings:
        shown = ", ".join(c.shown for c in found.ratings[:12])
        more = f" and {len(found.ratings) - 12} more" if len(found.ratings) > 12 else ""
        parts.append(f"columns that look like ratings: {shown}{more}")
    if group and found.group is not None:
        parts.append(f"the group question looks like {found.group.shown}")
    if not parts:
        return ""
    return (
        f" ({'; '.join(parts)}; `materiality import FILE --suggest-mapping` writes a mapping to start from)"
    )
