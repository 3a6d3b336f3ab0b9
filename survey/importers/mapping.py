"""The mapping file: what an export cannot say by itself.

A YAML file (see docs/importing.md) read into :class:`ImportMapping`. Mistakes are reported
with the mapping file's name and the field, e.g. ``mapping.yaml: field 'values.Agree': ...``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from survey.importers.problems import ImportFailed, Problem


class TopicTarget(BaseModel):
    """Where one source column goes: a topic, and a dimension when it differs from the default."""

    model_config = ConfigDict(extra="forbid")

    topic: str = Field(min_length=1, max_length=64)
    dimension: str | None = Field(default=None, min_length=1, max_length=64)


class ImportMapping(BaseModel):
    """What a survey tool's export cannot say by itself.

    Column names (``response_id``, ``group_column``, keys of ``topics`` ...) are matched against
    a column's id first (Qualtrics ImportId or column id, LimeSurvey code, the header text
    elsewhere) and then against the other names the format gives a column.
    """

    model_config = ConfigDict(extra="forbid")

    survey: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="Name of the survey the export came from; response ids are matched per survey.",
    )
    group: str | None = Field(default=None, min_length=1, max_length=64)
    group_column: str | None = Field(default=None, min_length=1)
    group_values: dict[str, str] = Field(default_factory=dict)
    default_group: str | None = Field(default=None, min_length=1, max_length=64)
    skip_empty_group: bool = False
    unfinished: Literal["skip", "include"] = "skip"
    channel: str | None = Field(default=None, min_length=1, max_length=200)
    channel_column: str | None = Field(default=None, min_length=1)
    channel_values: dict[str, str] = Field(default_factory=dict)
    dimension: str | None = Field(default=None, min_length=1, max_length=64)
    response_id: str | None = Field(default=None, min_length=1)
    submitted_at: str | None = Field(default=None, min_length=1)
    topics: dict[str, TopicTarget] = Field(default_factory=dict)
    values: dict[str, int] = Field(default_factory=dict)
    missing: list[str] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)
    personal: list[str] = Field(default_factory=list)

    @field_validator("topics", mode="before")
    @classmethod
    def _topic_shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            blank = [str(column) for column, target in value.items() if target is None or target == ""]
            if blank:
                raise ValueError(
                    f"no topic key given for {', '.join(repr(c) for c in blank[:5])}: write the topic key "
                    "after the colon, or delete the line"
                )
            return {
                str(column): {"topic": target} if isinstance(target, str) else target
                for column, target in value.items()
            }
        return value

    @field_validator("group_values", "channel_values", "values", mode="before")
    @classmethod
    def _text_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            blank = [str(k) for k, v in value.items() if v is None or v == ""]
            if blank:
                raise ValueError(
                    f"nothing given for {', '.join(repr(k) for k in blank[:5])}: fill it in after the colon, "
                    "or delete the line"
                )
            return {_text(k): v for k, v in value.items()}
        return value

    @field_validator("missing", "ignore", "personal", mode="before")
    @classmethod
    def _text_items(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [_text(v) for v in value]
        return value

    @field_validator("survey")
    @classmethod
    def _survey_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_.-]+", value):
            raise ValueError("use letters, digits, '.', '-' or '_'")
        return value

    @model_validator(mode="after")
    def _one_way_each(self) -> ImportMapping:
        if self.group and self.group_column:
            raise ValueError("give either 'group' or 'group_column', not both")
        if self.channel and self.channel_column:
            raise ValueError("give either 'channel' or 'channel_column', not both")
        if self.default_group and self.skip_empty_group:
            raise ValueError("give either 'default_group' or 'skip_empty_group', not both")
        if (self.default_group or self.skip_empty_group) and not self.group_column:
            raise ValueError("'default_group' and 'skip_empty_group' go with 'group_column'")
        return self


def _text(value: Any) -> Any:
    """YAML keys and items such as 4 or 4.5 become the text a cell would hold."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return value


class _MappingLoader(yaml.SafeLoader):
    """YAML without the 1.1 booleans: answer labels such as Yes, No, On, Off stay text."""


_MappingLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_mapping(text: str, *, filename: str = "mapping.yaml") -> ImportMapping:
    """Read a mapping from YAML text; every mistake names `filename` and the field."""
    try:
        data = yaml.load(text, Loader=_MappingLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ImportFailed(filename, [Problem(filename, f"{where}not valid YAML ({problem})")]) from None
    except RecursionError:
        raise ImportFailed(filename, [Problem(filename, "nested too deeply to be a mapping")]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ImportFailed(
            filename, [Problem(filename, "expected a mapping of fields (key: value) at the top")]
        )
    try:
        return ImportMapping.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown field (see docs/importing.md for the fields a mapping has)"
            got = error.get("input")
            suffix = f" (got {got!r})" if not isinstance(got, dict | list) and got is not None else ""
            problems.append(Problem(filename, f"field '{field}': {message}{suffix}" if field else message))
        raise ImportFailed(filename, problems) from None


def load_mapping(path: str | Path) -> ImportMapping:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailed(path.name, [Problem(path.name, f"cannot read the mapping file: {exc}")]) from None
    return parse_mapping(text, filename=path.name)
