"""Checking a parsed export against an assessment: topics, groups, channels, dimensions and
the rating scale; answers become numbers; responses imported before are set aside.

Everything is checked before anything is written, and every problem is reported (up to a
cap), each with its row, column and value.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from survey.assessments import AssessmentIndex
from survey.importers.export import ParsedExport, Role, SourceColumn
from survey.importers.problems import ImportFailed, Problems, shown
from survey.models import LANGUAGE_LENGTH
from survey.responses import existing_source_ids

Progress = Callable[[str, int, int], None]

# Answers meaning "don't know" in every export (compared ignoring case); a mapping adds more.
DONT_KNOW = frozenset(
    {"dont_know", "don't know", "dont know", "do not know", "i don't know", "not sure", "不知道", "不清楚"}
)
LABEL_WITH_CODE = re.compile(r"^(.*\S)\s*\(\s*([^()]+?)\s*\)$")
NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")

NOT_ANSWERED = "not_answered"
DONT_KNOW_ANSWER = "dont_know"
RATED = "rated"
BAD = "bad"


@dataclass(frozen=True)
class TopicColumn:
    column: SourceColumn
    topic: str
    dimension: str | None  # None: the dimension of the respondent's group


@dataclass
class ImportPlan:
    """What an import would write. `responses`/`ratings` hold only the new responses."""

    parsed: ParsedExport
    source: str
    topic_columns: list[TopicColumn]
    responses: pd.DataFrame  # source_response_id, group, channel, submitted_at, language
    ratings: pd.DataFrame  # source_response_id, topic, dimension, value (NaN: don't know)
    n_responses_in_file: int
    n_duplicates: int
    n_without_rating: int


# --- answers to numbers ----------------------------------------------------------------------


class AnswerReader:
    """Turns an answer cell into a rating: a number on the scale, "don't know", or nothing."""

    def __init__(self, parsed: ParsedExport, index: AssessmentIndex):
        mapping = parsed.mapping
        a = index.assessment
        self.scale_min, self.scale_max = a.scale_min, a.scale_max
        self.not_answered = {_normal(v).casefold() for v in parsed.layout.not_answered}
        self.dont_know = {_normal(v).casefold() for v in (*DONT_KNOW, *mapping.missing)}
        self.values = {_normal(k).casefold(): v for k, v in mapping.values.items()}
        labels: dict[str, int | None] = {}
        for by_language in (a.scale_labels or {}).values():
            for names in (by_language or {}).values():
                for offset, name in enumerate(names or []):
                    key = _normal(str(name)).casefold()
                    number = a.scale_min + offset
                    labels[key] = number if labels.get(key, number) == number else None
        self.scale_labels = {k: v for k, v in labels.items() if v is not None}
        self.where = parsed.mapping_name or "a mapping file"

    def read(self, raw: str) -> tuple[str, float, str]:
        """(kind, value, message) for one distinct answer."""
        text = _normal(raw)
        key = text.casefold()
        if not text or key in self.not_answered:
            return NOT_ANSWERED, math.nan, ""
        found = self._lookup(text)
        if found is None:
            coded = LABEL_WITH_CODE.match(text)
            if coded:
                found = self._lookup(coded.group(1)) or self._lookup(coded.group(2))
        if found is None:
            return (
                BAD,
                math.nan,
                f"answer {shown(raw)} has no number: add it to 'values' in {self.where} "
                f"(e.g. {shown(text)}: {self.scale_max}) or to 'missing' if it means \"don't know\"",
            )
        kind, value = found
        if kind == RATED:
            if not value.is_integer():
                return BAD, math.nan, f"value {shown(raw)} is not a whole number"
            if not self.scale_min <= value <= self.scale_max:
                return (
                    BAD,
                    math.nan,
                    f"value {shown(raw)} is outside the scale {self.scale_min}-{self.scale_max}",
                )
        return kind, value, ""

    def _lookup(self, text: str) -> tuple[str, float] | None:
        key = text.casefold()
        if key in self.dont_know:
            return DONT_KNOW_ANSWER, math.nan
        if key in self.values:
            return RATED, float(self.values[key])
        if NUMBER.match(text):
            return RATED, float(text)
        if key in self.scale_labels:
            return RATED, float(self.scale_labels[key])
        return None


def _normal(text: str) -> str:
    return " ".join(str(text).replace("\u2019", "'").replace("\u00a0", " ").split())


# --- the plan ------------------------------------------------------------------------------------


def plan_import(
    *, session: Session, index: AssessmentIndex, parsed: ParsedExport, progress: Progress | None = None
) -> ImportPlan:
    """Check `parsed` against the assessment and work out what to write.

    Raises :class:`ImportFailed` listing every problem (the export's own and the assessment's).
    """
    problems = Problems(parsed.filename)
    problems.extend(parsed.problems)
    checker = _Checker(session, parsed, index, problems)
    topic_columns = checker.topic_columns()
    if parsed.shape == "wide":
        values, answered = checker.wide_answers(topic_columns, progress)
        rated = np.asarray(answered.any(axis=1), dtype=bool)
        responses = checker.responses(rated)
        ratings = checker.wide_ratings(topic_columns, responses, values, answered)
    else:
        responses = checker.responses(np.ones(len(parsed.responses), dtype=bool))
        ratings = checker.long_ratings(responses)
        responses = responses.drop_duplicates("source_response_id").reset_index(drop=True)
        rated = np.ones(len(responses), dtype=bool)
    if problems:
        raise ImportFailed.of(problems)

    n_in_file = len(responses)
    n_without_rating = int((~rated).sum())
    responses = responses[rated]
    assert index.assessment.id is not None
    existing = existing_source_ids(
        session=session,
        assessment_id=index.assessment.id,
        source=parsed.source,
        ids=responses["source_response_id"].tolist(),
    )
    if existing:
        responses = responses[~responses["source_response_id"].isin(existing)]
        ratings = ratings[~ratings["source_response_id"].isin(existing)]
    return ImportPlan(
        parsed=parsed,
        source=parsed.source,
        topic_columns=topic_columns,
        responses=responses.reset_index(drop=True),
        ratings=ratings.reset_index(drop=True),
        n_responses_in_file=n_in_file,
        n_duplicates=len(existing),
        n_without_rating=n_without_rating,
    )


class _Checker:
    def __init__(self, session: Session, parsed: ParsedExport, index: AssessmentIndex, problems: Problems):
        self.session = session
        self.parsed = parsed
        self.index = index
        self.problems = problems
        self.where = parsed.mapping_name or "the mapping"
        self.rated = np.ones(len(parsed.responses), dtype=bool)
        self.reader = AnswerReader(parsed, index)
        self.topic_keys = {k.casefold(): k for k in index.topics}

    def _topic_key(self, name: str) -> str | None:
        return name if name in self.index.topics else self.topic_keys.get(name.casefold())

    def _known_topics(self) -> str:
        keys = list(self.index.topics)
        return ", ".join(keys[:20]) + (", ..." if len(keys) > 20 else "")

    # columns -----------------------------------------------------------------------------------

    def topic_columns(self) -> list[TopicColumn]:
        parsed, index, problems = self.parsed, self.index, self.problems
        default_dimension = parsed.mapping.dimension
        if default_dimension and default_dimension not in index.dimensions:
            problems.add(
                f"{self.where}: field 'dimension': unknown dimension {shown(default_dimension)} "
                f"(known: {', '.join(index.dimensions)})"
            )
        if parsed.shape != "wide":
            return []
        found: list[TopicColumn] = []
        for column in parsed.columns:
            if column.role == Role.topic:
                key = self._topic_key(column.topic or "")
                if key is None:
                    problems.add(
                        f"{self.where}: unknown topic {shown(column.topic)} given for column {column.shown} "
                        f"(topics of assessment '{index.assessment.key}': {self._known_topics()})"
                    )
                    continue
                dimension = column.dimension or default_dimension
                if column.dimension and column.dimension not in index.dimensions:
                    problems.add(
                        f"{self.where}: unknown dimension {shown(column.dimension)} "
                        f"given for column {column.shown}"
                    )
                    continue
                found.append(TopicColumn(column, key, dimension))
            elif column.role == Role.question:
                key = next((k for k in map(self._topic_key, column.names) if k), None)
                if key is not None:
                    found.append(TopicColumn(column, key, default_dimension))
                elif parsed.layout.headers_are_topics:
                    problems.add(
                        f"unknown topic {shown(column.id)} (topics of assessment "
                        f"'{index.assessment.key}': {self._known_topics()}); list other columns "
                        "under 'ignore' in a mapping",
                        row=1,
                        column=column.shown,
                    )
        if not found and not (problems and parsed.layout.headers_are_topics):
            from survey.importers.suggest import candidates_note, catalog_names  # it reads this module

            no_group = "group" not in parsed.constants and "group" not in parsed.responses
            note = candidates_note(
                parsed, index, catalog_names(self.session, index), ratings=True, group=no_group
            )
            problems.add(
                f"no column matches a topic of assessment '{index.assessment.key}': name the rating "
                f"columns in a mapping's 'topics' (column: topic key){note}"
            )
        seen: dict[tuple[str, str | None], TopicColumn] = {}
        for target in found:
            earlier = seen.setdefault((target.topic, target.dimension), target)
            if earlier is not target:
                problems.add(
                    f"columns {earlier.column.shown} and {target.column.shown} both give topic "
                    f"'{target.topic}' on the same dimension"
                )
        return found

    # responses ---------------------------------------------------------------------------------

    def responses(self, rated: np.ndarray) -> pd.DataFrame:
        """The responses' groups, channels, times and languages. Rows without any rating are
        not checked: they are skipped anyway."""
        parsed, index = self.parsed, self.index
        raw = parsed.responses
        self.rated = rated
        out = pd.DataFrame({"row": raw["row"].to_numpy(), "source_response_id": raw["source_response_id"]})
        group_column = self._column(Role.group)
        if "group" in parsed.constants:
            group = parsed.constants["group"]
            if group not in index.groups:
                self.problems.add(
                    f"{self.where}: field 'group': unknown group {shown(group)} "
                    f"(known: {', '.join(index.groups)})"
                )
            out["group"] = group
        elif "group" in raw:
            table = {k.casefold(): v for k, v in parsed.mapping.group_values.items()}
            table.update({k.casefold(): k for k in index.groups if k.casefold() not in table})
            out["group"] = self._translate(
                raw["group"], out["row"], table, group_column, "group", set(index.groups), "group_values"
            )
        else:
            out["group"] = None
        out["channel"] = self._channels(raw, out)
        out["submitted_at"] = self._timestamps(raw, out["row"])
        if "language" in raw:
            language = raw["language"].str.strip().str.casefold()
            too_long = (language.str.len() > LANGUAGE_LENGTH).to_numpy() & rated
            column = self._column(Role.language)
            for row, value in zip(out["row"][too_long][:20], language[too_long][:20], strict=False):
                self.problems.add(
                    f"language {shown(value)} is longer than {LANGUAGE_LENGTH} characters",
                    row=int(row),
                    column=column.shown if column else None,
                )
            out["language"] = language.where(language != "", None)
        return out

    def _column(self, role: Role) -> SourceColumn | None:
        return next((c for c in self.parsed.columns if c.role == role), None)

    def _translate(
        self,
        values: pd.Series,
        rows: pd.Series,
        table: dict[str, str],
        column: SourceColumn | None,
        what: str,
        known: set[str],
        field: str,
    ) -> pd.Series:
        """Map answers through `table` (case-insensitive); report answers it lacks."""
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        mapped = []
        for position, value in enumerate(uniques):
            text = _normal(value)
            target = table.get(text.casefold())
            coded = LABEL_WITH_CODE.match(text)
            if target is None and coded:  # "Employee (A1)": the label, else the code
                target = table.get(coded.group(1).casefold()) or table.get(coded.group(2).casefold())
            hit = (codes == position) & self.rated
            if (target is None or target not in known) and hit.any():
                first = int(rows.to_numpy()[hit][0])
                count = int(hit.sum())
                times = f" ({count} rows)" if count > 1 else ""
                if not text:
                    message = f"the {what} is empty{times}"
                elif target is not None:
                    message = f"{self.where}: '{field}' sends {shown(text)} to unknown {what} {shown(target)}"
                else:
                    message = (
                        f"unknown {what} {shown(text)}{times}: known {what}s are {', '.join(sorted(known))}; "
                        f"or map the answer in '{field}'"
                    )
                self.problems.add(message, row=first, column=column.shown if column else None)
            mapped.append(target)
        lookup = np.array([*mapped, None], dtype=object)
        return pd.Series(lookup[codes], index=values.index)

    def _channels(self, raw: pd.DataFrame, out: pd.DataFrame) -> pd.Series:
        parsed, index = self.parsed, self.index
        if "channel" in parsed.constants:
            names = pd.Series([parsed.constants["channel"]] * len(out))
        elif "channel" in raw:
            table = {_normal(k).casefold(): v for k, v in parsed.mapping.channel_values.items()}
            names = raw["channel"].map(lambda v: table.get(_normal(v).casefold(), _normal(v)))
        else:
            return pd.Series([None] * len(out), dtype=object)
        by_group = {(g, n.casefold()): n for g, n in index.channels}
        column = self._column(Role.channel)
        result = []
        pairs = pd.DataFrame({"group": out["group"].to_numpy(), "channel": names.to_numpy()})
        for (group, name), part in pairs.groupby(
            ["group", "channel"], sort=False, dropna=True
        ).groups.items():
            if not name:
                continue
            known = by_group.get((group, str(name).casefold()))
            part = part[self.rated[np.asarray(part)]]
            if known is None and len(part):
                first = int(out["row"].iloc[part[0]])
                choices = sorted(n for g, n in index.channels if g == group)
                self.problems.add(
                    f"{shown(name)} is not a channel of group '{group}' (its channels: {', '.join(choices)})",
                    row=first,
                    column=column.shown if column else None,
                )
            result.append((part, known))
        channel = np.full(len(out), None, dtype=object)
        for part, known in result:
            channel[np.asarray(part)] = known
        return pd.Series(channel)

    def _timestamps(self, raw: pd.DataFrame, rows: pd.Series) -> pd.Series:
        if "submitted_at" not in raw:
            return pd.Series([pd.NaT] * len(raw), dtype="datetime64[us, UTC]")
        column = self._column(Role.submitted_at)
        text = raw["submitted_at"].astype(str)
        cleaned = text.str.replace(
            r"\s*(?:GMT|UTC)\s*([+-])(\d{1,2})(?::?(\d{2}))?$",
            lambda m: f" {m.group(1)}{int(m.group(2)):02d}:{m.group(3) or '00'}",
            regex=True,
        )
        parsed = _to_datetime(cleaned, column.timezone if column else None)
        bad = (parsed.isna() & (text.str.strip() != "")).to_numpy() & self.rated
        for row, value in zip(rows.to_numpy()[bad][:20], text.to_numpy()[bad][:20], strict=False):
            self.problems.add(
                f"cannot read the date/time {shown(value)}",
                row=int(row),
                column=column.shown if column else None,
            )
        if bad.sum() > 20:
            self.problems.add(f"{int(bad.sum()) - 20} more dates/times cannot be read")
        return parsed

    # ratings -----------------------------------------------------------------------------------

    def _answers(
        self, series: pd.Series
    ) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str, str]], np.ndarray]:
        """Per cell: value (NaN for don't know) and whether it is a rating; the bad answers as
        (code, raw answer, message); and each cell's code into the distinct answers."""
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        n = len(uniques)
        values = np.full(n + 1, np.nan)
        answered = np.zeros(n + 1, dtype=bool)
        bad = []
        for position, raw in enumerate(uniques):
            kind, value, message = self.reader.read(str(raw))
            values[position] = value
            answered[position] = kind in (RATED, DONT_KNOW_ANSWER)
            if kind == BAD:
                bad.append((position, str(raw), message))
        return values[codes], answered[codes], bad, codes

    def _report_bad(
        self, bad: list[tuple[int, str, str]], codes: np.ndarray, rows: np.ndarray, column: str | None
    ) -> None:
        for code, _raw, message in bad:
            hit = codes == code
            count = int(hit.sum())
            times = f" ({count} cells)" if count > 1 else ""
            self.problems.add(message + times, row=int(rows[hit][0]), column=column)

    def wide_answers(
        self, topic_columns: list[TopicColumn], progress: Progress | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Values (NaN: don't know) and whether each cell is a rating, response by topic column."""
        cells = self.parsed.cells
        rows = self.parsed.responses["row"].to_numpy()
        n = len(cells)
        values = np.empty((n, len(topic_columns)))
        answered = np.empty((n, len(topic_columns)), dtype=bool)
        for j, target in enumerate(topic_columns):
            column_values, column_answered, bad, codes = self._answers(cells[target.column.position])
            if bad:
                self._report_bad(bad, codes, rows, target.column.shown)
            values[:, j] = column_values
            answered[:, j] = column_answered
            if progress:
                progress("checking", j + 1, len(topic_columns))
        return values, answered

    def wide_ratings(
        self,
        topic_columns: list[TopicColumn],
        responses: pd.DataFrame,
        values: np.ndarray,
        answered: np.ndarray,
    ) -> pd.DataFrame:
        response_of, column_of = np.nonzero(answered)
        topic_codes, topic_names = pd.factorize(np.array([t.topic for t in topic_columns], dtype=object))
        # dimension codes: a column's own dimension, else the respondent's group's
        dimensions = sorted(set(self.index.dimensions))
        code_of = {d: i for i, d in enumerate(dimensions)}
        fixed = np.array([code_of.get(t.dimension, -1) if t.dimension else -1 for t in topic_columns])
        dimension_codes = fixed[column_of] if len(topic_columns) else np.zeros(0, dtype=np.int64)
        if (fixed < 0).any():
            own_names = responses["group"].map(self.index.group_dimension)
            own = np.array(
                [code_of.get(d, -1) if isinstance(d, str) else -1 for d in own_names], dtype=np.int64
            )
            dimension_codes = np.where(dimension_codes < 0, own[response_of], dimension_codes)
        ids = responses["source_response_id"].to_numpy(dtype=object)
        unique = len(pd.unique(ids)) == len(ids)
        return pd.DataFrame(
            {
                "source_response_id": pd.Categorical.from_codes(response_of, categories=pd.Index(ids))
                if unique
                else ids[response_of],
                "topic": pd.Categorical.from_codes(topic_codes[column_of], categories=pd.Index(topic_names)),
                "dimension": pd.Categorical.from_codes(dimension_codes, categories=pd.Index(dimensions)),
                "value": values[response_of, column_of],
            }
        )

    def long_ratings(self, responses: pd.DataFrame) -> pd.DataFrame:
        parsed, index = self.parsed, self.index
        cells = parsed.cells
        rows = cells["row"].to_numpy()
        topic_column = self._column(Role.topic)
        dimension_column = self._column(Role.dimension)
        value_column = self._column(Role.value)

        targets = {k.casefold(): (t.topic, t.dimension) for k, t in parsed.mapping.topics.items()}
        topic = np.full(len(cells), None, dtype=object)
        own_dimension = np.full(len(cells), None, dtype=object)
        codes, uniques = pd.factorize(cells["topic"], use_na_sentinel=True)
        for position, raw in enumerate(uniques):
            hit = codes == position
            name = _normal(raw)
            key, given_dimension = targets.get(name.casefold(), (name, None))
            resolved = self._topic_key(key) if key else None
            if resolved is None:
                message = (
                    "the topic is empty"
                    if not name
                    else f"unknown topic {shown(name)} (topics of assessment '{index.assessment.key}': "
                    f"{self._known_topics()})"
                )
                count = int(hit.sum())
                self.problems.add(
                    message + (f" ({count} rows)" if count > 1 else ""),
                    row=int(rows[hit][0]),
                    column=topic_column.shown if topic_column else None,
                )
            topic[hit] = resolved
            own_dimension[hit] = given_dimension

        group_of = dict(zip(responses["source_response_id"], responses["group"], strict=False))
        group = cells["source_response_id"].map(group_of)
        dimension = cells["dimension"].where(cells["dimension"] != "", None).to_numpy(dtype=object)
        dimension = np.where(pd.isna(dimension), own_dimension, dimension)
        if parsed.mapping.dimension:
            dimension = np.where(pd.isna(dimension), parsed.mapping.dimension, dimension)
        dimension = np.where(
            pd.isna(dimension), group.map(index.group_dimension).to_numpy(dtype=object), dimension
        )
        for value in pd.unique(dimension[~pd.isna(dimension)]):
            if value not in index.dimensions:
                hit = dimension == value
                self.problems.add(
                    f"unknown dimension {shown(value)} (known: {', '.join(index.dimensions)})",
                    row=int(rows[hit][0]),
                    column=dimension_column.shown if dimension_column else None,
                )

        raw_values = cells["value"].where(cells["value"] != "", "dont_know")
        values, _answered, bad, value_codes = self._answers(raw_values)
        if bad:
            self._report_bad(bad, value_codes, rows, value_column.shown if value_column else None)
        ratings = pd.DataFrame(
            {
                "source_response_id": cells["source_response_id"].to_numpy(),
                "topic": topic,
                "dimension": dimension,
                "value": values,
            }
        )
        twice = ratings.duplicated(["source_response_id", "topic", "dimension"], keep="first").to_numpy()
        for row, rid, key in zip(
            rows[twice][:20],
            ratings["source_response_id"][twice][:20],
            ratings["topic"][twice][:20],
            strict=False,
        ):
            self.problems.add(f"response {shown(rid)} rates topic {shown(key)} twice", row=int(row))
        return ratings


def _to_datetime(text: pd.Series, timezone: str | None = None) -> pd.Series:
    """Parse timestamps as the tools write them, in UTC. Times with an offset are converted;
    times without one are in `timezone` (e.g. from Qualtrics' ImportId row), else taken as UTC.
    Unreadable values become NaT."""
    text = text.str.strip()
    values = text.where(text != "", None)
    try:
        parsed = pd.to_datetime(values, errors="raise", utc=True, format="ISO8601")
    except (ValueError, TypeError, OverflowError):
        with warnings.catch_warnings():  # "could not infer format": expected for mixed exports
            warnings.simplefilter("ignore", UserWarning)
            try:
                parsed = pd.to_datetime(values, errors="raise", utc=True)
            except (ValueError, TypeError, OverflowError):
                parsed = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
    if timezone:
        has_offset = text.str.contains(r"(?:[+-]\d{2}:?\d{2}|Z)$", regex=True)
        try:
            local = parsed.dt.tz_localize(None).dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
            parsed = parsed.where(has_offset, local.dt.tz_convert("UTC"))
        except (ValueError, KeyError, TypeError):  # an unknown time zone name: keep UTC
            pass
    return parsed
