"""The catalog in data/ is the model report's table; broken catalog files name file, line, column."""

from pathlib import Path

import pytest

from survey.catalog import DEFAULT_CATALOG_DIR, CatalogError, load_catalog

# domain.md section 2 (from the report's "Materiality Assessment" section and stakeholder table)
REPORT_TOPICS = [
    "privacy_data_security",
    "customer_service",
    "technological_innovation",
    "talent_attraction",
    "development_training",
    "business_ethics",
    "ip_protection",
    "recruitment",
    "labor_standards",
    "diversity_inclusion",
    "health_safety",
    "supplier_management",
    "climate_change",
    "emissions",
    "use_of_resources",
    "community_engagement",
]
REPORT_CHANNEL_COUNTS = {
    "regulators": 5,
    "investors": 6,
    "clients": 5,
    "employees": 4,
    "suppliers": 5,
    "media_ngos": 3,
    "community": 3,
}
REPORT_FOCUS = {
    "regulators": {
        "emissions",
        "climate_change",
        "labor_standards",
        "privacy_data_security",
        "business_ethics",
        "ip_protection",
    },
    "investors": {
        "climate_change",
        "talent_attraction",
        "business_ethics",
        "technological_innovation",
        "privacy_data_security",
        "ip_protection",
    },
    "clients": {"customer_service", None, "privacy_data_security"},
    "employees": {
        "health_safety",
        "development_training",
        "diversity_inclusion",
        "technological_innovation",
        "labor_standards",
    },
    "suppliers": {"supplier_management", "business_ethics", "privacy_data_security"},
    "media_ngos": {
        "emissions",
        "use_of_resources",
        "climate_change",
        "diversity_inclusion",
        "supplier_management",
        "privacy_data_security",
    },
    "community": {"emissions", "community_engagement"},
}


def test_default_catalog_is_the_reports_table(catalog):
    assert [t.key for t in catalog.topics] == REPORT_TOPICS
    assert all(
        t.category in "ESG" and t.name_zh and t.description_en and t.description_zh for t in catalog.topics
    )
    stakeholder_groups = [g.key for g in catalog.groups if g.dimension == "importance"]
    assert stakeholder_groups == list(REPORT_CHANNEL_COUNTS)
    management = [g for g in catalog.groups if g.key == "management"]
    assert management and management[0].kind == "internal" and management[0].dimension == "business_impact"
    for group, count in REPORT_CHANNEL_COUNTS.items():
        assert len([c for c in catalog.channels if c.group == group]) == count
    for group, topics in REPORT_FOCUS.items():
        assert {f.topic for f in catalog.focus_areas if f.group == group} == topics
    outside = [f for f in catalog.focus_areas if f.topic is None]
    assert [(f.group, f.label) for f in outside] == [("clients", "Product quality")]
    assert {d.key for d in catalog.dimensions} == {"importance", "business_impact"}
    assert (catalog.scale.min, catalog.scale.max) == (1, 5)
    assert catalog.scale.labels["importance"]["en"][0] == "Not important"
    assert catalog.scale.labels["importance"]["en"][-1] == "Extremely important"


def copy_catalog(tmp_path: Path) -> Path:
    target = tmp_path / "catalog"
    target.mkdir()
    for source in DEFAULT_CATALOG_DIR.iterdir():
        if source.is_file():
            (target / source.name).write_bytes(source.read_bytes())
    return target


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems_of(path: Path) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    return caught.value.problems


def test_bad_category_and_duplicate_key_name_file_line_and_column(tmp_path):
    folder = copy_catalog(tmp_path)
    replace_in(folder / "topics.csv", "customer_service,S,", "customer_service,X,")
    replace_in(folder / "topics.csv", "recruitment,S,", "emissions,S,")
    problems = problems_of(folder)
    assert any(
        "topics.csv, line 3, column 'category'" in p and "'X' is not one of E, S, G" in p for p in problems
    )
    assert any(
        "topics.csv, line 15, column 'key'" in p and "already defined on line 9" in p for p in problems
    )


def test_unknown_references_are_reported_all_at_once(tmp_path):
    folder = copy_catalog(tmp_path)
    replace_in(folder / "channels.csv", "community,Community activities", "villagers,Community activities")
    replace_in(folder / "focus_areas.csv", "community,Emissions,emissions", "community,Emissions,emisions")
    replace_in(folder / "groups.csv", "management,internal,business_impact", "management,internal,impact")
    problems = problems_of(folder)
    assert any(
        "channels.csv, line 30, column 'group'" in p and "unknown group 'villagers'" in p for p in problems
    )
    assert any(
        "focus_areas.csv, line 31, column 'topic'" in p and "unknown topic 'emisions'" in p for p in problems
    )
    assert any(
        "groups.csv, line 9, column 'dimension'" in p and "unknown dimension 'impact'" in p for p in problems
    )


def test_missing_column_and_bad_key(tmp_path):
    folder = copy_catalog(tmp_path)
    replace_in(folder / "groups.csv", "key,kind,", "id,kind,")
    replace_in(folder / "topics.csv", "climate_change,E", "Climate Change,E")
    problems = problems_of(folder)
    assert any("groups.csv, line 1" in p and "missing column(s) key" in p for p in problems)
    assert any("topics.csv, line 14, column 'key'" in p and "not a valid key" in p for p in problems)


def test_broken_scale_yaml(tmp_path):
    folder = copy_catalog(tmp_path)
    (folder / "scale.yaml").write_text(
        "min: 1\nmax: 5\nlabels:\n  importance:\n    en: [a, b]\n", encoding="utf-8"
    )
    assert any("labels.importance.en" in p and "5 labels" in p for p in problems_of(folder))
    (folder / "scale.yaml").write_text("min: 1\nmax: [5\n", encoding="utf-8")
    assert any("scale.yaml, line" in p and "not valid YAML" in p for p in problems_of(folder))


def test_not_utf8_and_missing_path(tmp_path):
    folder = copy_catalog(tmp_path)
    (folder / "topics.csv").write_bytes("key,category,name_en\nx,E,Caf\xe9\n".encode("latin-1"))
    assert any("topics.csv" in p and "not UTF-8" in p for p in problems_of(folder))
    with pytest.raises(CatalogError, match="no such catalog file or directory"):
        load_catalog(tmp_path / "nowhere")


def test_custom_topic_csv(tmp_path):
    path = tmp_path / "my_topics.csv"
    path.write_text(
        "key,name,category,description\n"
        "water,Water stewardship,E,How we use and return water.\n"
        "emissions,Emissions,E,Greenhouse gases.\n"
        "board,Board oversight,G,How the board steers sustainability.\n",
        encoding="utf-8",
    )
    catalog = load_catalog(path)
    assert [t.key for t in catalog.topics] == ["water", "emissions", "board"]
    assert catalog.topics[0].name_en == "Water stewardship"
    assert catalog.topics[0].description_en == "How we use and return water."
    # Focus areas on topics the custom list lacks are kept, as concerns outside the catalog.
    community = {f.label: f.topic for f in catalog.focus_areas if f.group == "community"}
    assert community == {"Emissions": "emissions", "Community engagement": None}


def test_custom_topic_csv_errors(tmp_path):
    path = tmp_path / "my_topics.csv"
    path.write_text("key,name,category\nwater,,E\nair,Air,Q\n", encoding="utf-8")
    problems = problems_of(path)
    assert any("my_topics.csv, line 2, column 'name'" in p and "must not be empty" in p for p in problems)
    assert any("my_topics.csv, line 3, column 'category'" in p for p in problems)
    path.write_text("key,title\nwater,Water\n", encoding="utf-8")
    assert any("missing column(s) category, name" in p for p in problems_of(path))
