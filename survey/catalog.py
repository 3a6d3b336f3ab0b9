"""The topic and stakeholder catalog: reviewed CSV/YAML files in `data/`.

A catalog directory holds `topics.csv`, `groups.csv`, `channels.csv`, `focus_areas.csv`,
`dimensions.csv` and `scale.yaml`. A user's own topic list can also be loaded from a single CSV
(`key, name, category, description` at least); groups, channels and focus areas then come from
the default catalog, and focus areas whose topic is not in the list are kept as areas outside
the catalog.

Every mistake is reported with the file, the line (as a text editor numbers it) and the column.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEFAULT_CATALOG_DIR = Path(__file__).resolve().parent.parent / "data"

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
CATEGORIES = ("E", "S", "G")
GROUP_KINDS = ("internal", "external")


class CatalogError(ValueError):
    """A catalog file is malformed. `problems` lists every mistake found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class TopicSpec:
    key: str
    category: str
    name_en: str
    name_zh: str = ""
    description_en: str = ""
    description_zh: str = ""


@dataclass(frozen=True)
class GroupSpec:
    key: str
    kind: str
    dimension: str
    default_weight: float
    name_en: str
    name_zh: str = ""


@dataclass(frozen=True)
class ChannelSpec:
    group: str
    name_en: str
    name_zh: str = ""


@dataclass(frozen=True)
class FocusSpec:
    group: str
    label: str
    topic: str | None  # None: a concern outside the topic list


@dataclass(frozen=True)
class DimensionSpec:
    key: str
    name_en: str
    name_zh: str = ""
    question_en: str = ""
    question_zh: str = ""


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


class _Reader:
    """Reads one CSV file and collects problems with their file, line and column."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems

    def error(self, line: int | None, column: str | None, message: str) -> None:
        where = str(self.path)
        if line is not None:
            where += f", line {line}"
        if column:
            where += f", column '{column}'"
        self.problems.append(f"{where}: {message}")

    def rows(
        self, required: tuple[str, ...], aliases: dict[str, str] | None = None
    ) -> list[tuple[int, dict[str, str]]]:
        """(line number, row) pairs with whitespace stripped and aliases resolved."""
        try:
            text = self.path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            self.error(None, None, "file not found")
            return []
        except UnicodeDecodeError as exc:
            self.error(None, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
            return []
        lines = text.splitlines(keepends=True)
        reader = csv.DictReader(lines)
        header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
        aliases = aliases or {}
        header = [aliases.get(name, name) for name in header]
        shown = {target: alias for alias, target in aliases.items()}
        missing = [shown.get(name, name) for name in required if name not in header]
        if not header:
            self.error(1, None, f"empty file; expected a header with {', '.join(required)}")
            return []
        if missing:
            self.error(1, None, f"missing column(s) {', '.join(missing)}; found {', '.join(header)}")
            return []
        result = []
        line = 1
        for raw in csv.reader(lines[1:]):
            line += 1
            if not any(cell.strip() for cell in raw):
                continue
            if len(raw) > len(header):
                self.error(line, None, f"{len(raw)} fields but the header has {len(header)}")
                continue
            row = {name: (raw[i].strip() if i < len(raw) else "") for i, name in enumerate(header)}
            result.append((line, row))
        return result

    def key(self, line: int, column: str, value: str) -> bool:
        if not KEY_PATTERN.match(value):
            self.error(
                line,
                column,
                f"'{value}' is not a valid key (lower-case letters, digits and _, starting with a letter)",
            )
            return False
        return True

    def required(self, line: int, column: str, value: str) -> bool:
        if not value:
            self.error(line, column, "must not be empty")
            return False
        return True


def _read_topics(reader: _Reader, aliases: dict[str, str] | None = None) -> list[TopicSpec]:
    topics: list[TopicSpec] = []
    seen: dict[str, int] = {}
    for line, row in reader.rows(("key", "category", "name_en"), aliases):
        ok = reader.key(line, "key", row["key"]) and reader.required(line, "name", row["name_en"])
        category = row["category"].upper()
        if category not in CATEGORIES:
            reader.error(line, "category", f"'{row['category']}' is not one of E, S, G")
            ok = False
        if row["key"] in seen:
            reader.error(line, "key", f"'{row['key']}' already defined on line {seen[row['key']]}")
            ok = False
        if ok:
            seen[row["key"]] = line
            topics.append(
                TopicSpec(
                    key=row["key"],
                    category=category,
                    name_en=row["name_en"],
                    name_zh=row.get("name_zh", ""),
                    description_en=row.get("description_en", ""),
                    description_zh=row.get("description_zh", ""),
                )
            )
    if not topics and not reader.problems:
        reader.error(None, None, "no topics defined")
    return topics


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
    topics = _read_topics(_Reader(path / "topics.csv", problems))
    dimensions = _read_dimensions(_Reader(path / "dimensions.csv", problems))
    groups = _read_groups(_Reader(path / "groups.csv", problems), {d.key for d in dimensions})
    group_keys = {g.key for g in groups}
    channels = _read_channels(_Reader(path / "channels.csv", problems), group_keys)
    focus = _read_focus(_Reader(path / "focus_areas.csv", problems), group_keys, {t.key for t in topics})
    scale = _read_scale(path / "scale.yaml", problems)
    if problems:
        raise CatalogError(problems)
    return Catalog(topics, groups, channels, focus, dimensions, scale)


def _load_topic_file(path: Path) -> Catalog:
    problems: list[str] = []
    aliases = {"name": "name_en", "description": "description_en"}
    topics = _read_topics(_Reader(path, problems), aliases)
    if problems:
        raise CatalogError(problems)
    base = load_catalog(DEFAULT_CATALOG_DIR)
    keys = {t.key for t in topics}
    focus = [
        f if f.topic is None or f.topic in keys else FocusSpec(f.group, f.label, None)
        for f in base.focus_areas
    ]
    return Catalog(topics, base.groups, base.channels, focus, base.dimensions, base.scale)


def _read_dimensions(reader: _Reader) -> list[DimensionSpec]:
    result = []
    for line, row in reader.rows(("key", "name_en")):
        if reader.key(line, "key", row["key"]) and reader.required(line, "name_en", row["name_en"]):
            result.append(
                DimensionSpec(
                    row["key"],
                    row["name_en"],
                    row.get("name_zh", ""),
                    row.get("question_en", ""),
                    row.get("question_zh", ""),
                )
            )
    return result


def _read_groups(reader: _Reader, dimensions: set[str]) -> list[GroupSpec]:
    result: list[GroupSpec] = []
    seen: set[str] = set()
    for line, row in reader.rows(("key", "kind", "dimension", "name_en")):
        ok = reader.key(line, "key", row["key"]) and reader.required(line, "name_en", row["name_en"])
        if row["key"] in seen:
            reader.error(line, "key", f"group '{row['key']}' defined twice")
            ok = False
        if row["kind"] not in GROUP_KINDS:
            reader.error(line, "kind", f"'{row['kind']}' is not one of internal, external")
            ok = False
        if row["dimension"] not in dimensions:
            reader.error(line, "dimension", f"unknown dimension '{row['dimension']}' (see dimensions.csv)")
            ok = False
        weight = row.get("default_weight") or "1"
        try:
            default_weight = float(weight)
            if default_weight < 0:
                raise ValueError
        except ValueError:
            reader.error(line, "default_weight", f"'{weight}' is not a number >= 0")
            ok = False
        if ok:
            seen.add(row["key"])
            result.append(
                GroupSpec(
                    row["key"],
                    row["kind"],
                    row["dimension"],
                    default_weight,
                    row["name_en"],
                    row.get("name_zh", ""),
                )
            )
    return result


def _read_channels(reader: _Reader, groups: set[str]) -> list[ChannelSpec]:
    result = []
    for line, row in reader.rows(("group", "name_en")):
        if row["group"] not in groups:
            reader.error(line, "group", f"unknown group '{row['group']}' (see groups.csv)")
        elif reader.required(line, "name_en", row["name_en"]):
            result.append(ChannelSpec(row["group"], row["name_en"], row.get("name_zh", "")))
    return result


def _read_focus(reader: _Reader, groups: set[str], topics: set[str]) -> list[FocusSpec]:
    result = []
    for line, row in reader.rows(("group", "label", "topic")):
        if row["group"] not in groups:
            reader.error(line, "group", f"unknown group '{row['group']}' (see groups.csv)")
        elif row["topic"] and row["topic"] not in topics:
            reader.error(
                line,
                "topic",
                f"unknown topic '{row['topic']}'; leave it empty for a focus area outside the topic list",
            )
        elif reader.required(line, "label", row["label"]):
            result.append(FocusSpec(row["group"], row["label"], row["topic"] or None))
    return result
