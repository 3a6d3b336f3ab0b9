"""Setting up an assessment from the app: the catalog as editable tables and back.

The committee starts from the default catalog or last year's assessment, edits topics,
groups, channels and focus areas (wording in English and Chinese) as tables, and the edited
rows go through the same row models and checks as catalog files (:mod:`survey.catalog`), with
every problem named by table, row and column.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict

import pandas as pd

from survey.catalog import (
    Catalog,
    CatalogError,
    ChannelSpec,
    FocusSpec,
    GroupSpec,
    Known,
    Rows,
    Source,
    TopicSpec,
    check_channels,
    check_focus_areas,
    check_groups,
    check_topics,
)

# the tables are named as the parts of a catalog they hold
TABLE_MODELS = {"topics": TopicSpec, "groups": GroupSpec, "channels": ChannelSpec, "focus_areas": FocusSpec}
TABLE_COLUMNS = {name: [f.name for f in dataclasses.fields(model)] for name, model in TABLE_MODELS.items()}
TABLE_TITLES = {"topics": "Topics", "groups": "Groups", "channels": "Channels", "focus_areas": "Focus areas"}


def catalog_tables(catalog: Catalog) -> dict[str, pd.DataFrame]:
    """The editable parts of a catalog, one table each (columns as in the catalog files)."""
    return {
        name: pd.DataFrame([asdict(row) for row in getattr(catalog, name)], columns=columns)
        for name, columns in TABLE_COLUMNS.items()
    }


def _cell(value: object) -> str:
    """A table cell as the text a catalog file would hold (empty for a missing value)."""
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return ""
    return str(value).strip()


def _rows(frame: pd.DataFrame, columns: list[str]) -> Rows:
    """(row number, text by column) of a table's rows that are not blank; 1 is the first row."""
    records = frame.reindex(columns=columns).to_dict("records")
    for number, record in enumerate(records, start=1):
        cells = {column: _cell(record[column]) for column in columns}
        if any(cells.values()):
            yield number, cells


def catalog_from_tables(tables: dict[str, pd.DataFrame], *, base: Catalog) -> Catalog:
    """A catalog from edited tables, with the dimensions and rating scale of `base`.

    Raises :class:`survey.catalog.CatalogError`; each problem names the table, the row (1 is
    the first row of the table) and the column.
    """
    problems: list[str] = []

    def table(name: str) -> tuple[Source, Rows]:
        return Source(TABLE_TITLES[name], problems, numbered="row"), _rows(tables[name], TABLE_COLUMNS[name])

    dimensions = [d.key for d in base.dimensions]
    topics, topic_keys = check_topics(*table("topics"))
    groups, group_keys = check_groups(
        *table("groups"), Known(frozenset(dimensions), f"known: {', '.join(dimensions)}")
    )
    known_groups = Known(group_keys, f"see {TABLE_TITLES['groups']}")
    channels = check_channels(*table("channels"), known_groups)
    focus_areas = check_focus_areas(*table("focus_areas"), known_groups, topic_keys)
    if problems:
        raise CatalogError(problems)
    return Catalog(topics, groups, channels, focus_areas, list(base.dimensions), base.scale)
