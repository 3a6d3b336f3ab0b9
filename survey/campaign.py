"""Setting up an assessment from the app: the catalog as editable tables and back.

The committee starts from the default catalog or last year's assessment, edits topics,
groups, channels and focus areas (wording in English and Chinese) as tables, and the edited
tables are checked exactly as catalog files are (:func:`survey.catalog.load_catalog`), with
every problem named by table, row and column.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import yaml

from survey.catalog import Catalog, CatalogError, load_catalog

TABLE_COLUMNS = {
    "topics": ["key", "category", "name_en", "name_zh", "description_en", "description_zh"],
    "groups": ["key", "kind", "dimension", "default_weight", "name_en", "name_zh"],
    "channels": ["group", "name_en", "name_zh"],
    "focus_areas": ["group", "label", "topic"],
}
TABLE_TITLES = {"topics": "Topics", "groups": "Groups", "channels": "Channels", "focus_areas": "Focus areas"}


def catalog_tables(catalog: Catalog) -> dict[str, pd.DataFrame]:
    """The editable parts of a catalog, one table each (columns as in the catalog files)."""
    rows = {
        "topics": [asdict(t) for t in catalog.topics],
        "groups": [asdict(g) for g in catalog.groups],
        "channels": [asdict(c) for c in catalog.channels],
        "focus_areas": [asdict(f) for f in catalog.focus_areas],
    }
    return {name: pd.DataFrame(rows[name], columns=columns) for name, columns in TABLE_COLUMNS.items()}


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def catalog_from_tables(tables: dict[str, pd.DataFrame], *, base: Catalog) -> Catalog:
    """A catalog from edited tables, with the dimensions and rating scale of `base`.

    Raises :class:`survey.catalog.CatalogError`; each problem names the table, the row (1 is
    the first row of the table) and the column.
    """
    with tempfile.TemporaryDirectory(prefix="catalog-") as directory:
        folder = Path(directory)
        for name, columns in TABLE_COLUMNS.items():
            frame = tables[name].reindex(columns=columns)
            frame = frame.map(_cell) if len(frame) else frame
            blank = (frame == "").all(axis=1) if len(frame) else pd.Series(dtype=bool)
            frame[~blank].to_csv(folder / f"{name}.csv", index=False)
        pd.DataFrame([asdict(d) for d in base.dimensions]).to_csv(folder / "dimensions.csv", index=False)
        scale = {"min": base.scale.min, "max": base.scale.max, "labels": base.scale.labels}
        (folder / "scale.yaml").write_text(yaml.safe_dump(scale, allow_unicode=True), encoding="utf-8")
        try:
            return load_catalog(folder)
        except CatalogError as error:
            raise CatalogError([_readable(problem, folder) for problem in error.problems]) from None


def _readable(problem: str, folder: Path) -> str:
    """'<tmp>/topics.csv, line 3, column 'key': ...' -> 'Topics, row 2, column 'key': ...'."""
    for name, title in TABLE_TITLES.items():
        problem = problem.replace(str(folder / f"{name}.csv"), title)
    return re.sub(r", line (\d+)", lambda m: f", row {int(m.group(1)) - 1}", problem)
