"""The topic and stakeholder catalog: one model per row, read from reviewed files in `data/`.

A catalog directory holds `topics.csv`, `groups.csv`, `channels.csv`, `focus_areas.csv`,
`dimensions.csv` and `scale.yaml`. A user's own topic list can also be loaded from a single CSV
(`key, name, category, description` at least); groups, channels and focus areas then come from
the default catalog, and focus areas whose topic is not in the list are kept as areas outside
the catalog.

The row models (:class:`TopicSpec`, :class:`GroupSpec`, :class:`ChannelSpec`, :class:`FocusSpec`,
:class:`DimensionSpec`) carry the limits of the tables they are stored in and are the one
description of a catalog row: the files, the app's table editor (`survey.campaign`) and
assessment backups (`survey.backup`) all go through them, and rows given as text (files, edited
tables) through the same checks (`check_topics` ... `check_focus_areas`). Every mistake in a file
is reported with the file, the line (as a text editor numbers it) and the column; in an edited
table with the table, the row and the column.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import re
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import MISSING, dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import yaml
from pydantic import (
    AfterValidator,
    AliasChoices,
    ConfigDict,
    Field,
    PlainValidator,
    TypeAdapter,
    ValidationError,
)
from pydantic.dataclasses import dataclass as row_model
from pydantic_core import PydanticCustomError

from survey.models import DESCRIPTION_LENGTH, KEY_LENGTH, NAME_LENGTH, QUESTION_LENGTH

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

DEFAULT_CATALOG_DIR = Path(__file__).resolve().parent.parent / "data"

KEY_PATTERN = re.compile(rf"^[a-z][a-z0-9_]{{0,{KEY_LENGTH - 1}}}$")
CATEGORIES = ("E", "S", "G")
GROUP_KINDS = ("internal", "external")


class CatalogError(ValueError):
    """A catalog file is malformed. `problems` lists every mistake found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


# --- the rows ------------------------------------------------------------------------------------
# Each check raises an error whose message is the whole problem, ready to be given a place.


def _problem(kind: str, message: str, value: object = None) -> PydanticCustomError:
    return PydanticCustomError(kind, message, {"value": value})


def _key(value: str) -> str:
    if not KEY_PATTERN.match(value):
        raise _problem(
            "catalog_key",
            "'{value}' is not a valid key (lower-case letters, digits and _, starting with a letter)",
            value,
        )
    return value


def _required(value: str) -> str:
    if not value:
        raise _problem("catalog_required", "must not be empty")
    return value


@cache
def _at_most(limit: int) -> AfterValidator:
    def check(value: str) -> str:
        if len(value) > limit:
            raise PydanticCustomError(
                "catalog_length",
                "is {length} characters long; at most {limit} fit",
                {"length": len(value), "limit": limit},
            )
        return value

    return AfterValidator(check)


def _category(value: str) -> str:
    if value.upper() not in CATEGORIES:
        raise _problem("catalog_category", f"'{{value}}' is not one of {', '.join(CATEGORIES)}", value)
    return value.upper()


def _kind(value: str) -> str:
    if value not in GROUP_KINDS:
        raise _problem("catalog_kind", f"'{{value}}' is not one of {', '.join(GROUP_KINDS)}", value)
    return value


def _weight(value: object) -> float:
    """A number >= 0; an empty cell is the default weight 1."""
    if value == "":
        return 1.0
    number = math.nan
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        with suppress(ValueError):
            number = float(value)
    if not (math.isfinite(number) and number >= 0):
        raise _problem("catalog_weight", "'{value}' is not a number >= 0", value)
    return number


Key = Annotated[str, AfterValidator(_key)]
Reference = Annotated[str, _at_most(KEY_LENGTH)]  # a key of another row; checked against them
Name = Annotated[str, AfterValidator(_required), _at_most(NAME_LENGTH)]
OptionalName = Annotated[str, _at_most(NAME_LENGTH)]
Question = Annotated[str, _at_most(QUESTION_LENGTH)]
Description = Annotated[str, _at_most(DESCRIPTION_LENGTH)]
_ROW = ConfigDict(extra="forbid")


@row_model(frozen=True, config=_ROW)
class TopicSpec:
    key: Key
    category: Annotated[str, AfterValidator(_category)]
    name_en: Name
    name_zh: OptionalName = ""
    description_en: Description = ""
    description_zh: Description = ""


@row_model(frozen=True, config=_ROW)
class GroupSpec:
    key: Key
    kind: Annotated[str, AfterValidator(_kind)]
    # The table (and so a backup) calls it `dimension_key`.
    dimension: Annotated[
        Reference,
        Field(
            validation_alias=AliasChoices("dimension", "dimension_key"), serialization_alias="dimension_key"
        ),
    ]
    default_weight: Annotated[float, PlainValidator(_weight)]
    name_en: Name
    name_zh: OptionalName = ""


@row_model(frozen=True, config=_ROW)
class ChannelSpec:
    group: Reference
    name_en: Name
    name_zh: OptionalName = ""


@row_model(frozen=True, config=_ROW)
class FocusSpec:
    group: Reference
    label: Name
    topic: Reference | None = None  # None: a concern outside the topic list


@row_model(frozen=True, config=_ROW)
class DimensionSpec:
    key: Key
    name_en: Name
    name_zh: OptionalName = ""
    question_en: Question = ""
    question_zh: Question = ""


@dataclass(frozen=True)
class Scale:
    min: int = 1
    max: int = 5
    # dimension key -> language -> one label per value from min to max
    labels: dict[str, dict[str, list[str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Catalog:
    topics: list[TopicSpec]
    groups: list[GroupSpec]
    channels: list[ChannelSpec]
    focus_areas: list[FocusSpec]
    dimensions: list[DimensionSpec]
    scale: Scale


def _comparable(name: str) -> str:
    """A display name as a reader tells names apart: case and spacing aside."""
    return " ".join(name.split()).casefold()


def name_clashes(catalog: Catalog) -> list[str]:
    """Display names that two rows share, where readers must tell the rows apart by name: the
    topics, the groups and the dimensions (in each language), and a group's channels. Charts,
    tables and reports label rows by these names, so two rows with one name would be merged or
    confused there."""
    problems: list[str] = []

    def check(kind: str, rows: list[tuple[str, str]]) -> None:
        first: dict[str, tuple[int, str]] = {}
        for position, (ref, name) in enumerate(rows):
            if not name.strip():
                continue
            at, seen = first.setdefault(_comparable(name), (position, ref))
            if at != position:
                problems.append(
                    f"{kind} '{seen}' and '{ref}' share the display name {name!r}; each needs its own name"
                )

    for language in ("en", "zh"):
        check("topics", [(t.key, getattr(t, f"name_{language}")) for t in catalog.topics])
        check("groups", [(g.key, getattr(g, f"name_{language}")) for g in catalog.groups])
        check("dimensions", [(d.key, getattr(d, f"name_{language}")) for d in catalog.dimensions])
        for group in {c.group for c in catalog.channels}:
            check(
                f"channels of group '{group}':",
                [(c.name_en, getattr(c, f"name_{language}")) for c in catalog.channels if c.group == group],
            )
    return problems


# --- checking rows given as text -----------------------------------------------------------------

Row = TypeVar("Row", bound="DataclassInstance")
Rows = Iterable[tuple[int, dict[str, str]]]  # (line or row number, text by column)


@cache
def _adapter(model: type[Row]) -> TypeAdapter[Row]:
    return TypeAdapter(model)


def _fields(model: type[DataclassInstance]) -> dict[str, bool]:
    """Whether each field of a row model must be given (it has no default)."""
    return {f.name: f.default is MISSING and f.default_factory is MISSING for f in dataclasses.fields(model)}


@dataclass(frozen=True)
class Known:
    """Keys rows may refer to, and where to look them up (said when a reference is unknown)."""

    keys: frozenset[str]
    hint: str


@dataclass
class Source:
    """Where rows come from: a file (numbered by line) or a table (by row). `columns` names a
    field as the source spells its column, e.g. ``name_en`` as ``name`` in a user's topic list."""

    name: str
    problems: list[str]
    numbered: str = "line"
    columns: dict[str, str] = field(default_factory=dict)

    def error(self, number: int | None, column: str | None, message: str) -> None:
        where = self.name
        if number is not None:
            where += f", {self.numbered} {number}"
        if column:
            where += f", column '{self.columns.get(column, column)}'"
        self.problems.append(f"{where}: {message}")


def from_record(model: type[Row], record: object) -> Row:
    """A catalog row from an object that has its fields as attributes, e.g. a table's row."""
    return _adapter(model).validate_python({name: getattr(record, name) for name in _fields(model)})


def _parse(model: type[Row], source: Source, number: int, cells: dict[str, str]) -> Row | None:
    """One row as `model`, or None after naming each of its problems. Empty cells of fields
    with a default take the default."""
    values = {
        name: cells.get(name, "") for name, required in _fields(model).items() if cells.get(name) or required
    }
    try:
        return _adapter(model).validate_python(values)
    except ValidationError as error:
        for problem in error.errors():
            source.error(number, str(problem["loc"][0]) if problem["loc"] else None, problem["msg"])
        return None


def _named(rows: list[tuple[int, dict[str, str]]]) -> frozenset[str]:
    """The valid keys of rows, whatever else is wrong with them (so that one wrong cell does not
    make every row referring to the key wrong too)."""
    return frozenset(cells.get("key", "") for _, cells in rows if KEY_PATTERN.match(cells.get("key", "")))


def check_topics(source: Source, rows: Rows) -> tuple[list[TopicSpec], frozenset[str]]:
    """The topics, and the keys they define."""
    listed = list(rows)
    topics: list[TopicSpec] = []
    seen: dict[str, int] = {}
    for number, cells in listed:
        topic = _parse(TopicSpec, source, number, cells)
        key = cells.get("key", "")
        if key in seen:
            source.error(number, "key", f"'{key}' already defined on {source.numbered} {seen[key]}")
        elif topic is not None:
            seen[key] = number
            topics.append(topic)
    return topics, _named(listed)


def check_dimensions(source: Source, rows: Rows) -> list[DimensionSpec]:
    return [d for number, cells in rows if (d := _parse(DimensionSpec, source, number, cells)) is not None]


def check_groups(source: Source, rows: Rows, dimensions: Known) -> tuple[list[GroupSpec], frozenset[str]]:
    """The groups, and the keys they define."""
    listed = list(rows)
    groups: list[GroupSpec] = []
    seen: set[str] = set()
    for number, cells in listed:
        group = _parse(GroupSpec, source, number, cells)
        key, dimension = cells.get("key", ""), cells.get("dimension", "")
        ok = group is not None
        if key in seen:
            source.error(number, "key", f"group '{key}' defined twice")
            ok = False
        if dimension not in dimensions.keys:
            source.error(number, "dimension", f"unknown dimension '{dimension}' ({dimensions.hint})")
            ok = False
        if ok and group is not None:
            seen.add(key)
            groups.append(group)
    return groups, _named(listed)


def check_channels(source: Source, rows: Rows, groups: Known) -> list[ChannelSpec]:
    channels = []
    for number, cells in rows:
        channel = _parse(ChannelSpec, source, number, cells)
        if cells.get("group", "") not in groups.keys:
            source.error(number, "group", f"unknown group '{cells.get('group', '')}' ({groups.hint})")
        elif channel is not None:
            channels.append(channel)
    return channels


def check_focus_areas(source: Source, rows: Rows, groups: Known, topics: frozenset[str]) -> list[FocusSpec]:
    focus_areas = []
    for number, cells in rows:
        focus = _parse(FocusSpec, source, number, cells)
        group, topic = cells.get("group", ""), cells.get("topic", "")
        if group not in groups.keys:
            source.error(number, "group", f"unknown group '{group}' ({groups.hint})")
        elif topic and topic not in topics:
            source.error(
                number,
                "topic",
                f"unknown topic '{topic}'; leave it empty for a focus area outside the topic list",
            )
        elif focus is not None:
            focus_areas.append(focus)
    return focus_areas


# --- catalog files -------------------------------------------------------------------------------


def _csv_rows(
    source: Source, path: Path, required: tuple[str, ...], aliases: dict[str, str] | None = None
) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) pairs of a CSV file with whitespace stripped and aliases resolved."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        source.error(None, None, "file not found")
        return []
    except UnicodeDecodeError as exc:
        source.error(None, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
        return []
    lines = text.splitlines(keepends=True)
    reader = csv.DictReader(lines)
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    aliases = aliases or {}
    header = [aliases.get(name, name) for name in header]
    shown = {target: alias for alias, target in aliases.items()}
    missing = [shown.get(name, name) for name in required if name not in header]
    if not header:
        source.error(1, None, f"empty file; expected a header with {', '.join(required)}")
        return []
    if missing:
        source.error(1, None, f"missing column(s) {', '.join(missing)}; found {', '.join(header)}")
        return []
    result = []
    line = 1
    for raw in csv.reader(lines[1:]):
        line += 1
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) > len(header):
            source.error(line, None, f"{len(raw)} fields but the header has {len(header)}")
            continue
        row = {name: (raw[i].strip() if i < len(raw) else "") for i, name in enumerate(header)}
        result.append((line, row))
    return result


def _read_scale(path: Path, problems: list[str]) -> Scale:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Scale()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark else ""
        problems.append(f"{path}{line}: not valid YAML ({getattr(exc, 'problem', exc)})")
        return Scale()
    if not isinstance(raw, dict):
        problems.append(f"{path}: expected a mapping with min, max and labels")
        return Scale()
    low, high = raw.get("min", 1), raw.get("max", 5)
    whole = all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high))
    if not (whole and 0 <= low < high <= 100):
        problems.append(f"{path}: field 'min'/'max' must be whole numbers with 0 <= min < max <= 100")
        return Scale()
    labels = raw.get("labels") or {}
    if not isinstance(labels, dict):
        problems.append(f"{path}: field 'labels' must map each dimension to labels per language")
        return Scale()
    for dimension, by_language in labels.items():
        if not isinstance(by_language, dict | None):
            problems.append(f"{path}: field 'labels.{dimension}' must map each language to its labels")
            continue
        for language, names in (by_language or {}).items():
            if (
                not isinstance(names, list)
                or len(names) != high - low + 1
                or not all(isinstance(n, str) for n in names)
            ):
                problems.append(
                    f"{path}: field 'labels.{dimension}.{language}' must list {high - low + 1} labels"
                )
    return Scale(min=low, max=high, labels=labels)


def load_catalog(source: str | Path | None = None) -> Catalog:
    """Load the default catalog, a catalog directory, or a user's topic CSV."""
    path = Path(source) if source not in (None, "", "default") else DEFAULT_CATALOG_DIR
    if path.is_file():
        return _load_topic_file(path)
    if not path.is_dir():
        raise CatalogError([f"{path}: no such catalog file or directory"])
    problems: list[str] = []

    def read(name: str, required: tuple[str, ...]) -> tuple[Source, list[tuple[int, dict[str, str]]]]:
        file = Source(str(path / name), problems)
        return file, _csv_rows(file, path / name, required)

    topics, topic_keys = _topics_of(*read("topics.csv", ("key", "category", "name_en")))
    dimensions = check_dimensions(*read("dimensions.csv", ("key", "name_en")))
    groups, group_keys = check_groups(
        *read("groups.csv", ("key", "kind", "dimension", "name_en")),
        Known(frozenset(d.key for d in dimensions), "see dimensions.csv"),
    )
    known_groups = Known(group_keys, "see groups.csv")
    channels = check_channels(*read("channels.csv", ("group", "name_en")), known_groups)
    focus = check_focus_areas(*read("focus_areas.csv", ("group", "label", "topic")), known_groups, topic_keys)
    scale = _read_scale(path / "scale.yaml", problems)
    if problems:
        raise CatalogError(problems)
    catalog = Catalog(topics, groups, channels, focus, dimensions, scale)
    clashes = name_clashes(catalog)
    if clashes:
        raise CatalogError([f"{path}: {clash}" for clash in clashes])
    return catalog


def _topics_of(
    source: Source, rows: list[tuple[int, dict[str, str]]]
) -> tuple[list[TopicSpec], frozenset[str]]:
    topics, keys = check_topics(source, rows)
    if not topics and not source.problems:
        source.error(None, None, "no topics defined")
    return topics, keys


def _load_topic_file(path: Path) -> Catalog:
    problems: list[str] = []
    aliases = {"name": "name_en", "description": "description_en"}
    source = Source(str(path), problems, columns={"name_en": "name", "description_en": "description"})
    topics, keys = _topics_of(source, _csv_rows(source, path, ("key", "category", "name_en"), aliases))
    if problems:
        raise CatalogError(problems)
    base = load_catalog(DEFAULT_CATALOG_DIR)
    focus = [
        f if f.topic is None or f.topic in keys else FocusSpec(f.group, f.label, None)
        for f in base.focus_areas
    ]
    catalog = Catalog(topics, base.groups, base.channels, focus, base.dimensions, base.scale)
    clashes = name_clashes(catalog)
    if clashes:
        raise CatalogError([f"{path}: {clash}" for clash in clashes])
    return catalog
