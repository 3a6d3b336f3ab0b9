"""What `materiality run` writes for an assessment with an IRO register: the worked example in
`iros.csv` and `dma_topics.csv` to 0.01, every conditional sentence of the disclosure, the
workbook sheets and the demo."""

from __future__ import annotations

import dataclasses
import io
import math

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from cli import app
from render.dma_disclosure import dma_sections
from render.dma_pack import add_dma_sheets
from services import dma
from services.assessments import create_assessment, create_demo
from survey.db import create_db_engine
from survey.iro_catalog import load_named_catalog
from tests.dma_fixtures import (
    EXPECTED_IROS,
    EXPECTED_TOPICS,
    FINANCIAL_THRESHOLD,
    IMPACT_THRESHOLD,
    write_ratings,
    write_register,
)


def close(actual, expected) -> bool:
    if expected is None:
        return isinstance(actual, float) and math.isnan(actual)
    return abs(float(actual) - expected) < 0.01


@pytest.fixture
def worked(tmp_path):
    """The worked example on a real SQLite file: thresholds set before the ratings."""
    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = create_db_engine(url)
    create_assessment(engine=engine, key="2025", year=2025, catalog=load_named_catalog("esrs-2023"))
    dma.import_register(engine=engine, assessment_key="2025", path=write_register(tmp_path), actor="ana")
    dma.set_thresholds(
        engine=engine,
        assessment_key="2025",
        impact=IMPACT_THRESHOLD,
        financial=FINANCIAL_THRESHOLD,
        reason="Committee, before rating",
        actor="chair",
    )
    dma.import_ratings(engine=engine, assessment_key="2025", path=write_ratings(tmp_path), actor="ana")
    yield engine, url
    engine.dispose()


def test_run_writes_the_worked_example(worked, tmp_path):
    _, url = worked
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", "--assessment", "2025", "--out", str(out), "--db", url])
    assert result.exit_code == 0, result.output
    assert "double materiality only" in result.output
    iros = pd.read_csv(out / "iros.csv").set_index("iro")
    assert list(iros.columns) == [
        "topic",
        "sub_topic",
        "type",
        "status",
        "severity",
        "impact_score",
        "financial_score",
        "impact_material",
        "financial_material",
        "n_assessors",
        "spread",
    ]
    for key, (severity, impact, financial, impact_m, financial_m, n, spread) in EXPECTED_IROS.items():
        row = iros.loc[key]
        assert close(row["severity"], severity) and close(row["impact_score"], impact), key
        assert close(row["financial_score"], financial), key
        assert (row["impact_material"], row["financial_material"], row["n_assessors"], row["spread"]) == (
            impact_m,
            financial_m,
            n,
            spread,
        ), key
    topics = pd.read_csv(out / "dma_topics.csv", keep_default_na=False, na_values=[""]).set_index("topic")
    assert list(topics.columns) == [
        "impact_score",
        "financial_score",
        "impact_material",
        "financial_material",
        "material",
        "basis",
    ]
    for key, (impact, financial, impact_m, financial_m, material, basis) in EXPECTED_TOPICS.items():
        row = topics.loc[key]
        assert close(row["impact_score"], impact) and close(row["financial_score"], financial), key
        assert (row["impact_material"], row["financial_material"], row["material"], row["basis"]) == (
            impact_m,
            financial_m,
            material,
            basis,
        ), key
    assert len(topics) == 10
    assert (out / "dma_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (out / "iro_heatmap.svg").read_text()
    text = (out / "dma_disclosure.md").read_text()
    assert "ESRS E2 Pollution, ESRS S1 Own workforce and ESRS S3 Affected communities" in text


def _text(report) -> str:
    return "\n".join(p for section in dma_sections(report) for p in section.paragraphs)


def test_every_disclosure_sentence_follows_its_condition(worked):
    engine, _ = worked
    inputs = dma.dma_inputs(engine=engine, assessment_key="2025")
    report = dma.report_of(inputs)
    text = _text(report)
    # thresholds set before any rating
    assert "They were set before any rating was recorded." in text
    assert "set after ratings" not in text
    late = report.threshold_log.assign(after_ratings=True)
    assert "These thresholds were set after ratings had been recorded" in _text(
        dataclasses.replace(report, threshold_log=late)
    )
    # N2 is flagged; affected communities flips (O1's magnitude 3-4 gives 2.4-3.2 around 2.5)
    assert "1 IRO still shows assessors 2 or more points apart" in text
    assert "For Affected communities the decision depends on whose ratings are used" in text
    assert "replaced the assessors' mean" not in text
    # no survey answers in this assessment; the sentence changes when there are
    assert "No stakeholder survey results were available" in text
    survey = pd.DataFrame(
        [
            {
                "group": "employees",
                "group_name": "Employees",
                "topic": "own_workforce",
                "respondents": 40,
                "mean": 4.1,
            }
        ]
    )
    assert "The stakeholder survey was used as evidence for the impacts: Employees (40)" in _text(
        dataclasses.replace(report, survey=survey)
    )
    # not signed off; climate change not material (E1): the detailed explanation is asked for
    assert "The assessment is not signed off (state: rating)." in text
    assert "Climate change was assessed as not material." in text
    assert "1 material negative impact concerns human rights." in text
    assert "entity-specific" not in text

    dma.set_consensus(
        engine=engine,
        assessment_key="2025",
        iro_id="N2",
        criterion="scope",
        value=3,
        rationale="Two of five sites",
        actor="chair",
    )
    dma.set_consensus(
        engine=engine,
        assessment_key="2025",
        iro_id="O1",
        criterion="magnitude",
        value=4,
        rationale="Budget band 4",
        actor="chair",
    )
    dma.sign_off(engine=engine, assessment_key="2025", actor="chair", reason="Board")
    after = _text(dma.report_of(dma.dma_inputs(engine=engine, assessment_key="2025")))
    assert "2 consensus values agreed there replaced the assessors' mean" in after
    assert "still show" not in after and "depends on whose ratings" not in after
    assert "was signed off on" in after and "by chair." in after

    custom = report.register.assign(
        topic=report.register["topic"].replace("business_conduct", "cyber_resilience")
    )
    inputs2 = dataclasses.replace(inputs, register=custom)
    scored = dma.score(inputs2)
    scored.topics.loc[scored.topics["topic"] == "cyber_resilience", ["material"]] = True
    entity = dataclasses.replace(
        dma.report_of(inputs2, scored), standards={**report.standards, "cyber_resilience": None}
    )
    assert "cyber_resilience is not covered by a topical standard: entity-specific disclosures." in _text(
        entity
    )


def test_workbook_gets_the_register_and_every_rating(worked):
    engine, _ = worked
    report = dma.report_of(dma.dma_inputs(engine=engine, assessment_key="2025"))
    buffer = io.BytesIO()
    Workbook().save(buffer)
    book = load_workbook(io.BytesIO(add_dma_sheets(buffer.getvalue(), report)))
    assert book.sheetnames[-4:] == ["IRO register", "IRO ratings", "DMA topics", "DMA log"]
    ratings = list(book["IRO ratings"].iter_rows(min_row=5, values_only=True))
    assert len(ratings) == 36
    assert ratings[0][:5] == ("rating", "A", "N1", "irremediability", 3)
    assert ratings[0][5] == "A rates irremediability of N1 at 3"
    log = [row[2] for row in book["DMA log"].iter_rows(min_row=5, values_only=True)]
    assert log[:2] == ["register imported from register.csv", "thresholds impact 3.0 financial 2.5"]


def test_demo_adds_a_double_materiality_assessment(tmp_path):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    assert create_demo(engine=engine) == ["2019", "2020"]
    assert create_demo(engine=engine) == []
    inputs = dma.dma_inputs(engine=engine, assessment_key="2020")
    assert len(inputs.register) == 40 and inputs.state == "calibration"
    assert inputs.ratings["assessor"].nunique() == 4
    assert (inputs.ratings["rationale"].str.len() > 20).all()
    assert not inputs.threshold_log["after_ratings"].any()
    result = dma.score(inputs)
    assert (result.iros["missing_criteria"] == "").all()
    assert set(result.iros.loc[result.iros["calibrate"], "iro"]) == {"SUP-1", "CLI-3"}
    material = set(result.topics.loc[result.topics["material"], "topic"])
    assert {"privacy_data_security", "climate_change", "labor_standards"} <= material
    assert "ip_protection" not in material
    assert set(result.topics["basis"]) == {"both", "impact", "financial", "none"}
    engine.dispose()


def test_run_with_another_preset_records_it(worked, tmp_path):
    _, url = worked
    out = tmp_path / "weighted"
    args = ["run", "--assessment", "2025", "--out", str(out), "--db", url]
    result = CliRunner().invoke(app, [*args, "--dma-preset", "human_rights_weighted"])
    assert result.exit_code == 0, result.output
    iros = pd.read_csv(out / "iros.csv").set_index("iro")
    # N3: severity 11/3 weighted 3:1 with likelihood 1: (11 + 1) / 4 = 3.0, still at the threshold
    assert close(iros.loc["N3", "impact_score"], 3.0) and iros.loc["N3", "impact_material"]
    assert close(iros.loc["N2", "impact_score"], 2.1)  # not a human-rights impact: unchanged
    text = (out / "dma_disclosure.md").read_text()
    assert "(3 x severity + 1 x likelihood) / 4" in text
    assert "These formulas are the 'human_rights_weighted' preset, not the default rule." in text
    refused = CliRunner().invoke(app, [*args, "--dma-preset", "loudest"])
    assert refused.exit_code == 1
    assert "--dma-preset: field 'preset'" in refused.output
