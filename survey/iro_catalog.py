"""Named catalogs of sustainability matters: ESRS 1 AR 16 (``esrs-2023``) and the topical
standard behind each topic.

A matter catalog is a reviewed YAML file in ``data/catalogs/``: topics, each with its topical
standard (E1 ... G1), sub-topics and sub-sub-topics. :func:`load_named_catalog` turns one into
an assessment catalog (:class:`survey.catalog.Catalog`): its topics replace the default topics,
and the stakeholder groups, channels, dimensions and scale come from the default catalog, as for
a user's own topic list. Any other catalog name is handed to :func:`survey.catalog.load_catalog`,
so the 16-topic catalog stays the default and custom topic lists keep working.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from survey.catalog import (
    DEFAULT_CATALOG_DIR,
    KEY_PATTERN,
    Catalog,
    CatalogError,
    FocusSpec,
    TopicSpec,
    load_catalog,
)

MATTER_CATALOG_DIR = DEFAULT_CATALOG_DIR / "catalogs"
NAMED_CATALOGS = ("esrs-2023",)
STANDARD_NAMES = {
    "E1": "Climate change",
    "E2": "Pollution",
    "E3": "Water and marine resources",
    "E4": "Biodiversity and ecosystems",
    "E5": "Resource use and circular economy",
    "S1": "Own workforce",
    "S2": "Workers in the value chain",
    "S3": "Affected communities",
    "S4": "Consumers and end-users",
    "G1": "Business conduct",
}


@dataclass(frozen=True)
class SubTopic:
    key: str
    name: str
    sub_sub_topics: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class MatterTopic:
    standard: str
    key: str
    category: str
    name: str
    sub_topics: tuple[SubTopic, ...]


@dataclass(frozen=True)
class MatterCatalog:
    name: str
    title: str
    source: str
    topics: tuple[MatterTopic, ...]

    def sub_topics_of(self, topic: str) -> tuple[SubTopic, ...]:
        for item in self.topics:
            if item.key == topic:
                return item.sub_topics
        return ()


def _text_list(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(f"{where}: expected a list of names")
        return ()
    return tuple(" ".join(v.split()) for v in value)


def _key(value: Any, where: str, seen: set[str], problems: list[str]) -> str:
    key = value if isinstance(value, str) else ""
    if not KEY_PATTERN.match(key):
        problems.append(f"{where}: field 'key': {value!r} is not a valid key")
    elif key in seen:
        problems.append(f"{where}: field 'key': {key!r} is used twice")
    seen.add(key)
    return key


def _name(value: Any, where: str, problems: list[str]) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: field 'name' must not be empty")
        return ""
    return " ".join(value.split())


def _parse(raw: Any, path: Path) -> MatterCatalog:
    problems: list[str] = []
    if not isinstance(raw, dict) or not isinstance(raw.get("topics"), list):
        raise CatalogError([f"{path}: expected a mapping with a list of topics"])
    topics: list[MatterTopic] = []
    seen: set[str] = set()
    for i, item in enumerate(raw["topics"], start=1):
        where = f"{path}: topic {i}"
        if not isinstance(item, dict):
            problems.append(f"{where}: expected a mapping")
            continue
        standard = item.get("standard")
        if standard not in STANDARD_NAMES:
            problems.append(
                f"{where}: field 'standard': {standard!r} is not one of {', '.join(STANDARD_NAMES)}"
            )
        subs: list[SubTopic] = []
        for j, sub in enumerate(item.get("sub_topics") or [], start=1):
            sub_where = f"{where}, sub-topic {j}"
            if not isinstance(sub, dict):
                problems.append(f"{sub_where}: expected a mapping")
                continue
            subs.append(
                SubTopic(
                    key=_key(sub.get("key"), sub_where, seen, problems),
                    name=_name(sub.get("name"), sub_where, problems),
                    sub_sub_topics=_text_list(
                        sub.get("sub_sub_topics"), f"{sub_where}: sub_sub_topics", problems
                    ),
                    examples=_text_list(sub.get("examples"), f"{sub_where}: examples", problems),
                )
            )
        topics.append(
            MatterTopic(
                standard=str(standard),
                key=_key(item.get("key"), where, seen, problems),
                category=str(item.get("category", "")).upper(),
                name=_name(item.get("name"), where, problems),
                sub_topics=tuple(subs),
            )
        )
    if problems:
        raise CatalogError(problems)
    return MatterCatalog(
        name=str(raw.get("name", path.stem)),
        title=str(raw.get("title", "")),
        source=" ".join(str(raw.get("source", "")).split()),
        topics=tuple(topics),
    )


@cache
def matter_catalog(name: str = "esrs-2023") -> MatterCatalog:
    """A named matter catalog from ``data/catalogs/<name>.yaml``."""
    if name not in NAMED_CATALOGS:
        raise CatalogError([f"unknown matter catalog '{name}' (known: {', '.join(NAMED_CATALOGS)})"])
    path = MATTER_CATALOG_DIR / f"{name}.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError([f"{path}: cannot be read ({exc})"]) from exc
    return _parse(raw, path)


def load_named_catalog(source: str | Path | None = None) -> Catalog:
    """An assessment catalog: a named matter catalog (``esrs-2023``), else whatever
    :func:`survey.catalog.load_catalog` accepts (``default``, a directory, a topic CSV)."""
    if isinstance(source, str) and source in NAMED_CATALOGS:
        matters = matter_catalog(source)
        base = load_catalog()
        topics = [TopicSpec(t.key, t.category, t.name) for t in matters.topics]
        keys = {t.key for t in topics}
        focus = [f if f.topic in keys else FocusSpec(f.group, f.label, None) for f in base.focus_areas]
        return Catalog(topics, base.groups, base.channels, focus, base.dimensions, base.scale)
    return load_catalog(source)


@cache
def _default_standards() -> dict[str, str | None]:
    path = MATTER_CATALOG_DIR / "default-standards.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): (str(v) if v else None) for k, v in raw.items()}


def standard_of(topic: str) -> str | None:
    """The topical standard (E1 ... G1) that covers a topic key of the ESRS catalog or of the
    default catalog; None for an entity-specific topic."""
    for item in matter_catalog().topics:
        if item.key == topic:
            return item.standard
    return _default_standards().get(topic)


def sub_topic_names(topic: str) -> list[str]:
    """The AR 16 sub-topic names of a topic of the ESRS catalog (empty for other topics)."""
    return [sub.name for sub in matter_catalog().sub_topics_of(topic)]
