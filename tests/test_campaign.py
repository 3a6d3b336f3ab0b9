"""The catalog as the app's editable tables and back: edited rows go through the catalog's row
models and checks, and every problem names the table, the row (1 is the first) and the column."""

import pandas as pd
import pytest

from survey.campaign import TABLE_COLUMNS, catalog_from_tables, catalog_tables
from survey.catalog import CatalogError, load_catalog


def problems_of(tables, base) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        catalog_from_tables(tables, base=base)
    return caught.value.problems


def test_unedited_tables_give_the_catalog_back(catalog):
    tables = catalog_tables(catalog)
    assert {name: list(frame.columns) for name, frame in tables.items()} == TABLE_COLUMNS
    assert catalog_from_tables(tables, base=catalog) == catalog


def test_each_problem_names_table_row_and_column(catalog):
    tables = catalog_tables(catalog)
    tables["topics"].loc[1, "key"] = "Bad Key"
    tables["topics"].loc[3, "name_en"] = "  "
    tables["topics"].loc[4, "description_en"] = "x" * 2001
    tables["groups"].loc[0, "kind"] = "partner"
    tables["groups"].loc[2, "default_weight"] = -1
    tables["groups"].loc[3, "dimension"] = "esrs"
    tables["channels"].loc[2, "group"] = "nobody"
    tables["focus_areas"].loc[0, "topic"] = "nope"
    valid_key = "'Bad Key' is not a valid key (lower-case letters, digits and _, starting with a letter)"
    assert problems_of(tables, catalog) == [
        f"Topics, row 2, column 'key': {valid_key}",
        "Topics, row 4, column 'name_en': must not be empty",
        "Topics, row 5, column 'description_en': is 2001 characters long; at most 2000 fit",
        "Groups, row 1, column 'kind': 'partner' is not one of internal, external",
        "Groups, row 3, column 'default_weight': '-1.0' is not a number >= 0",
        "Groups, row 4, column 'dimension': unknown dimension 'esrs' (known: importance, business_impact)",
        "Channels, row 3, column 'group': unknown group 'nobody' (see Groups)",
        "Focus areas, row 1, column 'topic': unknown topic 'nope'; "
        "leave it empty for a focus area outside the topic list",
        # the topic whose key was broken no longer exists for the focus areas naming it
        "Focus areas, row 13, column 'topic': unknown topic 'customer_service'; "
        "leave it empty for a focus area outside the topic list",
    ]


def test_blank_rows_are_skipped_and_rows_keep_their_numbers(catalog):
    tables = catalog_tables(catalog)
    topics = tables["topics"]
    blank = pd.DataFrame([dict.fromkeys(topics.columns, None)])
    duplicate = topics.iloc[[0]].assign(name_en="Privacy again")
    tables["topics"] = pd.concat([topics.iloc[:2], blank, duplicate, topics.iloc[2:]], ignore_index=True)
    assert problems_of(tables, catalog) == [
        "Topics, row 4, column 'key': 'privacy_data_security' already defined on row 1"
    ]
    tables["topics"] = pd.concat([topics, blank], ignore_index=True)  # the editor's empty new row
    assert catalog_from_tables(tables, base=catalog).topics == catalog.topics


def test_cells_are_trimmed_and_empty_cells_take_the_defaults(catalog):
    tables = catalog_tables(catalog)
    tables["topics"].loc[0, ["key", "category", "name_zh"]] = [" privacy_data_security ", "s", None]
    tables["groups"].loc[0, "default_weight"] = float("nan")
    tables["groups"].loc[1, "default_weight"] = 2.5
    tables["focus_areas"].loc[0, "topic"] = "  "
    edited = catalog_from_tables(tables, base=catalog)
    topic = edited.topics[0]
    assert (topic.key, topic.category, topic.name_zh) == ("privacy_data_security", "S", "")
    assert [g.default_weight for g in edited.groups[:2]] == [1.0, 2.5]
    assert edited.focus_areas[0].topic is None
    assert edited.dimensions == catalog.dimensions and edited.scale == catalog.scale


def test_catalog_files_are_held_to_the_table_limits(tmp_path):
    path = tmp_path / "my_topics.csv"
    path.write_text(f"key,name,category\nwater,{'W' * 201},E\nair,Air,e\n", encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    assert caught.value.problems == [
        f"{path}, line 2, column 'name': is 201 characters long; at most 200 fit"
    ]
    path.write_text("key,name,category\nwater,Water,E\nair,Air,e\n", encoding="utf-8")
    assert [t.category for t in load_catalog(path).topics] == ["E", "E"]
