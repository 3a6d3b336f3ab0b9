"""The IRO register, ratings, thresholds and the workflow, through the commands and the
services, on a real SQLite file and on PostgreSQL."""

from __future__ import annotations

import hashlib
import math

import pandas as pd
import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from cli import app
from services import dma
from services.assessments import create_assessment
from survey.errors import StoreError
from survey.iro_catalog import load_named_catalog
from survey.iro_files import IroFileError
from tests.dma_fixtures import (
    EXPECTED_IROS,
    EXPECTED_TOPICS,
    FINANCIAL_THRESHOLD,
    IMPACT_THRESHOLD,
    REGISTER_ROWS,
    rating_lines,
    write_ratings,
    write_register,
)

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def assessment(engine):
    create_assessment(engine=engine, key="2025", year=2025, catalog=load_named_catalog("esrs-2023"))
    return "2025"


def close(actual, expected) -> bool:
    if expected is None:
        return actual is None or (isinstance(actual, float) and math.isnan(actual))
    return abs(float(actual) - expected) < 0.01


def test_import_export_round_trip(engine, db_url, assessment, tmp_path):
    result = invoke(
        "iro",
        "import",
        str(write_register(tmp_path)),
        "--assessment",
        assessment,
        "--db",
        db_url,
        "--actor",
        "ana",
    )
    assert result.exit_code == 0, result.output
    assert "7 IROs added" in result.output
    stored = dma.register(engine=engine, assessment_key=assessment)
    assert stored["iro"].tolist() == ["N1", "R1", "N2", "N3", "P1", "O1", "R2"]
    assert stored.set_index("iro").loc["N3", "value_chain"] == "upstream;own_operations"
    assert stored.set_index("iro").loc["N3", "human_rights"] == "yes"

    for suffix in ("csv", "xlsx"):
        out = tmp_path / f"export.{suffix}"
        result = invoke("iro", "export", "--assessment", assessment, "--out", str(out), "--db", db_url)
        assert result.exit_code == 0, result.output
        again = dma.import_register(engine=engine, assessment_key=assessment, path=out, actor="ana")
        assert again == {"added": 0, "updated": 0, "deleted": 0}


def test_bad_register_rows_are_refused_whole(engine, db_url, assessment, tmp_path):
    rows = [*REGISTER_ROWS]
    rows[1] = rows[1].replace(",risk,", ",threat,")
    rows[3] = rows[3].replace("upstream;own_operations", "upstream;midstream")
    rows[5] = rows[5].replace(",long,", ",forever,")
    path = write_register(tmp_path, rows, name="bad.csv")
    result = invoke("iro", "import", str(path), "--assessment", assessment, "--db", db_url)
    assert result.exit_code == 1
    assert "bad.csv, row 2, column 'type': unknown type 'threat'" in result.output
    assert "bad.csv, row 4, column 'value_chain': unknown place 'midstream'" in result.output
    assert (
        "bad.csv, row 6, column 'horizon': expected one of short, medium, long, got 'forever'"
        in result.output
    )
    assert dma.register(engine=engine, assessment_key=assessment).empty


def test_register_from_xlsx_names_the_row(engine, assessment, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(
        [
            "iro",
            "topic",
            "sub_topic",
            "type",
            "status",
            "value_chain",
            "horizon",
            "human_rights",
            "description",
        ]
    )
    sheet.append(
        ["X1", "pollution", "", "negative_impact", "actual", "own_operations", "short", "maybe", "spill"]
    )
    path = tmp_path / "register.xlsx"
    book.save(path)
    with pytest.raises(
        IroFileError, match=r"register.xlsx, row 1, column 'human_rights': expected yes or no"
    ):
        dma.import_register(engine=engine, assessment_key=assessment, path=path, actor="ana")


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("A,N1,scale,4,", "rationale", "a rationale is required for every rating"),
        (
            "A,P1,irremediability,3,benefits need no remedy",
            "criterion",
            "irremediability cannot be rated for IRO 'P1'",
        ),
        ("A,N1,likelihood,3,it happened", "criterion", "likelihood cannot be rated for IRO 'N1'"),
        ("A,N1,scale,6,very grave", "value", "off the scale: 6"),
        ("A,N1,scale,0,none", "value", "off the scale: 0"),
    ],
)
def test_bad_ratings_are_refused_and_nothing_is_written(
    engine, db_url, assessment, tmp_path, line, column, message
):
    dma.import_register(engine=engine, assessment_key=assessment, path=write_register(tmp_path), actor="ana")
    lines = rating_lines()
    lines.insert(3, line)
    path = write_ratings(tmp_path, lines, name="ratings.csv")
    result = invoke("iro", "ratings", str(path), "--assessment", assessment, "--db", db_url)
    assert result.exit_code == 1
    assert f"ratings.csv, row 4, column '{column}': " in result.output
    assert message in result.output
    inputs = dma.dma_inputs(engine=engine, assessment_key=assessment)
    assert inputs.ratings.empty
    assert inputs.state == "draft"


def test_the_worked_example_scores_as_computed_by_hand(engine, db_url, assessment, tmp_path):
    dma.import_register(engine=engine, assessment_key=assessment, path=write_register(tmp_path), actor="ana")
    result = invoke(
        "thresholds",
        "--assessment",
        assessment,
        "--impact",
        str(IMPACT_THRESHOLD),
        "--financial",
        str(FINANCIAL_THRESHOLD),
        "--reason",
        "Set by the committee before rating",
        "--db",
        db_url,
    )
    assert result.exit_code == 0, result.output
    assert "ratings existed" not in result.output
    result = invoke(
        "iro", "ratings", str(write_ratings(tmp_path)), "--assessment", assessment, "--db", db_url
    )
    assert result.exit_code == 0, result.output
    assert "36 added" in result.output

    inputs = dma.dma_inputs(engine=engine, assessment_key=assessment)
    assert inputs.state == "rating"
    scored = dma.score(inputs)
    iros = scored.iros.set_index("iro")
    for key, (severity, impact, financial, impact_m, financial_m, n, spread) in EXPECTED_IROS.items():
        row = iros.loc[key]
        assert close(row["severity"], severity), key
        assert close(row["impact_score"], impact), key
        assert close(row["financial_score"], financial), key
        assert (bool(row["impact_material"]), bool(row["financial_material"])) == (impact_m, financial_m), key
        assert (row["n_assessors"], row["spread"]) == (n, spread), key
    topics = scored.topics.set_index("topic")
    for key, (impact, financial, impact_m, financial_m, material, basis) in EXPECTED_TOPICS.items():
        row = topics.loc[key]
        assert close(row["impact_score"], impact) and close(row["financial_score"], financial), key
        assert (bool(row["impact_material"]), bool(row["financial_material"]), bool(row["material"])) == (
            impact_m,
            financial_m,
            material,
        ), key
        assert row["basis"] == basis, key
    pollution = topics.loc["pollution"]
    assert (pollution["impact_score"] + pollution["financial_score"]) / 2 < min(
        IMPACT_THRESHOLD, FINANCIAL_THRESHOLD
    )
    assert iros.loc["N2", "calibrate"] and iros.loc["N2", "disputed_criteria"] == "scope"


def test_thresholds_after_ratings_are_flagged_and_logged(engine, assessment, tmp_path):
    dma.import_register(engine=engine, assessment_key=assessment, path=write_register(tmp_path), actor="ana")
    dma.import_ratings(engine=engine, assessment_key=assessment, path=write_ratings(tmp_path), actor="ana")
    assert dma.set_thresholds(
        engine=engine, assessment_key=assessment, impact=3, financial=2.5, reason="late", actor="bo"
    )
    with pytest.raises(StoreError, match="reason"):
        dma.set_thresholds(
            engine=engine, assessment_key=assessment, impact=3, financial=2.5, reason=" ", actor="bo"
        )
    with pytest.raises(StoreError):
        dma.set_thresholds(
            engine=engine, assessment_key=assessment, impact=7, financial=2.5, reason="x", actor="bo"
        )
    log = dma.dma_inputs(engine=engine, assessment_key=assessment).threshold_log
    assert log[["set_by", "impact", "financial", "reason", "after_ratings"]].values.tolist() == [
        ["bo", 3.0, 2.5, "late", True]
    ]


def test_sign_off_locks_and_reopening_needs_a_reason(engine, assessment, tmp_path):
    dma.import_register(engine=engine, assessment_key=assessment, path=write_register(tmp_path), actor="ana")
    dma.import_ratings(engine=engine, assessment_key=assessment, path=write_ratings(tmp_path), actor="ana")
    with pytest.raises(StoreError, match="both thresholds must be set") as refused:
        dma.sign_off(engine=engine, assessment_key=assessment, actor="chair")
    assert "N2" in str(refused.value)  # still flagged for calibration
    dma.set_thresholds(
        engine=engine, assessment_key=assessment, impact=3, financial=2.5, reason="policy", actor="chair"
    )
    assert dma.advance(engine=engine, assessment_key=assessment, actor="chair") == "calibration"
    dma.set_consensus(
        engine=engine,
        assessment_key=assessment,
        iro_id="N2",
        criterion="scope",
        value=3,
        rationale="Overtime peaks hit two of five sites",
        actor="chair",
    )
    dma.sign_off(engine=engine, assessment_key=assessment, actor="chair", reason="Board meeting 12 March")
    with pytest.raises(StoreError, match="signed off"):
        dma.import_ratings(
            engine=engine, assessment_key=assessment, path=write_ratings(tmp_path), actor="ana"
        )
    with pytest.raises(StoreError, match="signed off"):
        dma.set_thresholds(
            engine=engine, assessment_key=assessment, impact=2, financial=2, reason="x", actor="bo"
        )
    with pytest.raises(StoreError, match="reason"):
        dma.reopen(engine=engine, assessment_key=assessment, actor="chair", reason="")
    dma.reopen(engine=engine, assessment_key=assessment, actor="chair", reason="Auditor asked for a new IRO")
    events = dma.dma_inputs(engine=engine, assessment_key=assessment).events
    assert events["state"].tolist()[-3:] == ["calibration", "signed_off", "calibration"]
    assert events["actor"].iloc[-1] == "chair"


def test_carry_forward_and_evidence(engine, assessment, tmp_path):
    dma.import_register(engine=engine, assessment_key=assessment, path=write_register(tmp_path), actor="ana")
    dma.import_ratings(engine=engine, assessment_key=assessment, path=write_ratings(tmp_path), actor="ana")
    create_assessment(engine=engine, key="2026", year=2026, catalog=load_named_catalog("esrs-2023"))
    counts = dma.carry_forward(engine=engine, assessment_key="2026", actor="ana")
    assert counts["added"] == 7
    carried = dma.dma_inputs(engine=engine, assessment_key="2026")
    assert carried.ratings.empty and len(carried.register) == 7

    content = b"%PDF-1.4 permit renewal letter"
    digest = dma.add_evidence(
        engine=engine, assessment_key="2026", iro_id="R1", actor="ana", filename="permit.pdf", content=content
    )
    assert digest == hashlib.sha256(content).hexdigest()
    dma.add_evidence(
        engine=engine, assessment_key="2026", iro_id="R1", actor="ana", url="https://example.org/permits"
    )
    with pytest.raises(StoreError, match="http"):
        dma.add_evidence(
            engine=engine, assessment_key="2026", iro_id="R1", actor="ana", url="javascript:alert(1)"
        )
    evidence = dma.dma_inputs(engine=engine, assessment_key="2026").evidence
    assert evidence["kind"].tolist() == ["file", "link"]
    assert dma.evidence_file(
        engine=engine, assessment_key="2026", evidence_id=int(evidence["id"].iloc[0])
    ) == (
        "permit.pdf",
        content,
    )


def test_type_cannot_change_under_ratings(engine, assessment, tmp_path):
    dma.import_register(engine=engine, assessment_key=assessment, path=write_register(tmp_path), actor="ana")
    dma.import_ratings(engine=engine, assessment_key=assessment, path=write_ratings(tmp_path), actor="ana")
    table = dma.register(engine=engine, assessment_key=assessment)
    table.loc[table["iro"] == "N1", "status"] = "potential"
    with pytest.raises(StoreError, match="IRO 'N1' has ratings"):
        dma.save_register(engine=engine, assessment_key=assessment, table=table, actor="ana")
    table = dma.register(engine=engine, assessment_key=assessment)
    table = pd.concat([table[table["iro"] != "R2"]], ignore_index=True)
    assert (
        dma.save_register(engine=engine, assessment_key=assessment, table=table, actor="ana")["deleted"] == 1
    )
    assert len(dma.dma_inputs(engine=engine, assessment_key=assessment).ratings) == 34


def test_backup_carries_the_register_and_check_finds_tampered_evidence(engine, db_url, assessment, tmp_path):
    from sqlalchemy import update

    from survey.db import transaction
    from survey.integrity import check_database
    from survey.iro_models import IroEvidence

    dma.import_register(engine=engine, assessment_key=assessment, path=write_register(tmp_path), actor="ana")
    dma.import_ratings(engine=engine, assessment_key=assessment, path=write_ratings(tmp_path), actor="ana")
    dma.set_thresholds(
        engine=engine, assessment_key=assessment, impact=3, financial=2.5, reason="policy", actor="bo"
    )
    dma.set_consensus(
        engine=engine,
        assessment_key=assessment,
        iro_id="N2",
        criterion="scope",
        value=3,
        rationale="met",
        actor="bo",
    )
    dma.add_evidence(
        engine=engine,
        assessment_key=assessment,
        iro_id="N1",
        actor="ana",
        filename="stack.csv",
        content=b"nox,12\n",
    )
    path = tmp_path / "backup.json.gz"
    assert invoke("export-assessment", assessment, str(path), "--db", db_url).exit_code == 0
    result = invoke("import-assessment", str(path), "--as", "copy", "--db", db_url)
    assert result.exit_code == 0, result.output
    original = dma.dma_inputs(engine=engine, assessment_key=assessment)
    copy = dma.dma_inputs(engine=engine, assessment_key="copy")
    pd.testing.assert_frame_equal(copy.register, original.register)
    for name in ("ratings", "consensus", "threshold_log"):
        pd.testing.assert_frame_equal(getattr(copy, name), getattr(original, name), check_dtype=False)
    assert copy.events["action"].tolist() == original.events["action"].tolist()
    assert copy.evidence["sha256"].tolist() == original.evidence["sha256"].tolist()
    assert check_database(engine).ok

    with transaction(engine) as session:
        session.execute(update(IroEvidence).values(content=b"nox,1\n"))
    report = check_database(engine)
    assert not report.ok
    assert any("do not match their SHA-256" in line for line in report.lines())


def test_every_change_is_in_the_audit_trail_and_roles_are_checked(engine, assessment, tmp_path):
    from services import accounts
    from services.audit import audit_rows
    from survey.accounts_roles import AccessDenied

    dma.import_register(engine=engine, assessment_key=assessment, path=write_register(tmp_path), actor="ana")
    dma.import_ratings(engine=engine, assessment_key=assessment, path=write_ratings(tmp_path), actor="ana")
    dma.set_thresholds(
        engine=engine, assessment_key=assessment, impact=3, financial=2.5, reason="policy", actor="bo"
    )
    dma.add_evidence(
        engine=engine, assessment_key=assessment, iro_id="R1", actor="bo", url="https://example.org/p"
    )
    rows = [
        r
        for r in audit_rows(engine=engine, assessment=assessment)
        if r["action"].startswith(("iro.", "dma."))
    ]
    assert [(r["action"], r["actor"]) for r in rows] == [
        ("iro.register.import", "ana"),
        ("iro.rating.save", "ana"),
        ("dma.thresholds.set", "bo"),
        ("iro.evidence.add", "bo"),
    ]
    assert rows[2]["after"]["impact"] == 3 and rows[2]["after"]["after_ratings"] is True

    accounts.add_account(
        engine=engine, email="rater@example.com", role="assessor", password=None, actor="admin"
    )
    with pytest.raises(AccessDenied):
        dma.set_thresholds(
            engine=engine,
            assessment_key=assessment,
            impact=1,
            financial=1,
            reason="x",
            actor="rater@example.com",
        )
    lines = ["rater@example.com,N1,scale,5,Stack readings are far above the permit"]
    path = write_ratings(tmp_path, lines, name="rater.csv")
    assert dma.import_ratings(
        engine=engine, assessment_key=assessment, path=path, actor="rater@example.com"
    ) == {
        "added": 1,
        "replaced": 0,
    }
    assert dma.dma_inputs(engine=engine, assessment_key=assessment).thresholds.impact == 3


def test_a_backup_whose_evidence_was_altered_is_refused(engine, db_url, assessment, tmp_path):
    import base64
    import gzip
    import json

    dma.import_register(engine=engine, assessment_key=assessment, path=write_register(tmp_path), actor="ana")
    dma.add_evidence(
        engine=engine,
        assessment_key=assessment,
        iro_id="N1",
        actor="ana",
        filename="stack.csv",
        content=b"nox,12\n",
    )
    path = tmp_path / "backup.json.gz"
    assert invoke("export-assessment", assessment, str(path), "--db", db_url).exit_code == 0
    document = json.loads(gzip.decompress(path.read_bytes()))
    document["double_materiality"]["evidence"][0]["content"] = base64.b64encode(b"nox,1\n").decode()
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(document), encoding="utf-8")
    result = invoke("import-assessment", str(altered), "--as", "copy", "--db", db_url)
    assert result.exit_code == 1
    assert "evidence file 'stack.csv' of IRO 'N1': content does not match its SHA-256" in result.output
    assert "copy" not in invoke("list", "--db", db_url).output
