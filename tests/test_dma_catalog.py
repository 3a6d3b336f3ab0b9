"""The ESRS catalog `esrs-2023` against the published list of ESRS 1 AR 16.

Expected counts per standard are taken from the table of AR 16 in Commission Delegated
Regulation (EU) 2023/2772, Annex I, ESRS 1 Appendix A (OJ L, 22.12.2023, pages 26-27), counted
by hand: sub-topics per topic, and sub-sub-topics per topic (E4 prints five more under
"Examples:", kept apart).
"""

from __future__ import annotations

from typer.testing import CliRunner

from cli import app
from survey.assessments import catalog_of
from survey.catalog import load_catalog
from survey.db import create_db_engine, transaction
from survey.iro_catalog import load_named_catalog, matter_catalog, standard_of, sub_topic_names

# standard: (topic name, sub-topics, sub-sub-topics, examples), as printed in AR 16
AR16 = {
    "E1": ("Climate change", 3, 0, 0),
    "E2": ("Pollution", 7, 0, 0),
    "E3": ("Water and marine resources", 2, 5, 0),
    "E4": ("Biodiversity and ecosystems", 4, 6, 5),
    "E5": ("Resource use and circular economy", 3, 0, 0),
    "S1": ("Own workforce", 3, 17, 0),
    "S2": ("Workers in the value chain", 3, 18, 0),
    "S3": ("Affected communities", 3, 11, 0),
    "S4": ("Consumers and end-users", 3, 9, 0),
    "G1": ("Business conduct", 6, 2, 0),
}


def test_esrs_2023_matches_ar16_per_standard():
    catalog = matter_catalog("esrs-2023")
    counted = {
        t.standard: (
            t.name,
            len(t.sub_topics),
            sum(len(s.sub_sub_topics) for s in t.sub_topics),
            sum(len(s.examples) for s in t.sub_topics),
        )
        for t in catalog.topics
    }
    assert counted == AR16
    assert [t.standard for t in catalog.topics] == list(AR16)
    assert sum(v[1] for v in counted.values()) == 37
    assert sum(v[2] for v in counted.values()) == 68
    assert "2023/2772" in catalog.source


def test_sub_sub_topics_sit_under_their_sub_topics():
    catalog = matter_catalog("esrs-2023")
    own = {s.name: s for s in catalog.topics[5].sub_topics}
    assert own["Other work-related rights"].sub_sub_topics == (
        "Child labour",
        "Forced labour",
        "Adequate housing",
        "Privacy",
    )
    value_chain = {s.name: s for s in catalog.topics[6].sub_topics}
    assert "Water and sanitation" in value_chain["Other work-related rights"].sub_sub_topics
    g1 = {s.name: s for s in catalog.topics[9].sub_topics}
    assert g1["Corruption and bribery"].sub_sub_topics == (
        "Prevention and detection including training",
        "Incidents",
    )
    assert sub_topic_names("water_marine_resources") == ["Water", "Marine resources"]


def test_standards_of_topics():
    assert standard_of("climate_change") == "E1"
    assert standard_of("value_chain_workers") == "S2"
    assert standard_of("privacy_data_security") == "S4"
    assert standard_of("technological_innovation") is None
    assert standard_of("our_own_topic") is None


def test_named_catalog_keeps_the_default_and_custom_lists(tmp_path):
    assert len(load_named_catalog("default").topics) == 16
    assert len(load_named_catalog(None).topics) == 16
    esrs = load_named_catalog("esrs-2023")
    assert [t.key for t in esrs.topics][:2] == ["climate_change", "pollution"]
    assert esrs.groups == load_catalog().groups
    custom = tmp_path / "topics.csv"
    custom.write_text("key,name,category\nown_topic,Our own topic,G\n", encoding="utf-8")
    assert [t.key for t in load_named_catalog(str(custom)).topics] == ["own_topic"]


def test_init_with_the_esrs_catalog(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    result = CliRunner().invoke(app, ["init", "--assessment", "2025", "--catalog", "esrs-2023", "--db", url])
    assert result.exit_code == 0, result.output
    assert "10 topics, 8 groups" in result.output
    engine = create_db_engine(url)
    with transaction(engine, write=False) as session:
        topics = catalog_of(session=session, assessment_key="2025").topics
    assert [(t.key, t.category) for t in topics][-1] == ("business_conduct", "G")
    engine.dispose()
