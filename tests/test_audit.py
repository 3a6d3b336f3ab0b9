"""The audit trail: changes made through the services are entered with who, what, before and
after; `materiality audit` lists them; `materiality check` fails on an entry edited, inserted or
deleted (in the middle or at the end), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading

import pytest
from sqlalchemy import delete, select, text, update
from typer.testing import CliRunner

from analysis.method import MethodConfig
from cli import app
from services import assessments, fieldwork, methods
from survey import audit
from survey.catalog import load_catalog
from survey.db import transaction
from survey.models import AuditEntry
from survey.settings import get_settings

runner = CliRunner()


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def cli(*args: str):
    result = runner.invoke(app, list(args))
    return result


@pytest.fixture(autouse=True)
def no_command_line_actor():
    """`--actor` holds for the rest of its process, as a command's does: forget it after each test."""
    audit.set_command_line_actor(None)
    yield
    audit.set_command_line_actor(None)


@pytest.fixture
def changed(engine, monkeypatch):
    """An assessment created from the command line as 'ann', then a method and a status change
    made by the services with an explicit actor."""
    monkeypatch.delenv("MATERIALITY_ACTOR", raising=False)
    result = cli("--actor", "ann@example.com", "init", "-a", "2024", "--db", url_of(engine))
    assert result.exit_code == 0, result.output
    methods.save_method(
        engine=engine, assessment_key="2024", method=MethodConfig(seed=7), reason="a fixed seed", actor="bo"
    )
    fieldwork.open_survey(engine=engine, assessment_key="2024", actor="bo")
    return engine


def entries(engine) -> list[AuditEntry]:
    with transaction(engine, write=False) as session:
        return list(audit.entries(session=session))


def check(engine):
    return cli("check", "--db", url_of(engine))


def test_changes_are_entered_with_actor_before_and_after(changed):
    found = entries(changed)
    assert [(e.id, e.actor, e.action) for e in found] == [
        (1, "ann@example.com", "assessment.create"),
        (2, "bo", "method.save"),
        (3, "bo", "assessment.status"),
    ]
    assert (
        found[1].before is None and found[1].after["seed"] == 7 and found[1].after["reason"] == "a fixed seed"
    )
    assert found[2].before == {"status": "draft"} and found[2].after == {"status": "open"}
    assert found[0].prev_hash == "0" * 64
    # each entry holds the SHA-256 of the canonical JSON of the one before it
    for before, after in zip(found, found[1:], strict=False):
        assert after.prev_hash == hashlib.sha256(audit.canonical(before)).hexdigest() == before.hash
    # the method log's author is the account that acted
    history = methods.method_history(engine=changed, assessment_key="2024")
    assert list(history["author"]) == ["bo"]
    result = check(changed)
    assert result.exit_code == 0, result.output
    assert "audit trail: 3 entries" in result.output


def test_the_actor_comes_from_the_environment_else_the_os_user(engine, monkeypatch):
    catalog = load_catalog()
    monkeypatch.setenv("MATERIALITY_ACTOR", "carla")
    get_settings.cache_clear()
    assessments.create_assessment(engine=engine, key="a", year=2024, catalog=catalog)
    monkeypatch.delenv("MATERIALITY_ACTOR")
    get_settings.cache_clear()
    monkeypatch.setattr(audit.getpass, "getuser", lambda: "dora")
    assessments.create_assessment(engine=engine, key="b", year=2024, catalog=catalog)
    # --actor wins over the environment
    monkeypatch.setenv("MATERIALITY_ACTOR", "carla")
    get_settings.cache_clear()
    assert cli("--actor", "ed", "init", "-a", "2025", "--db", url_of(engine)).exit_code == 0
    audit.set_command_line_actor(None)
    assessments.create_assessment(engine=engine, key="c", year=2024, catalog=catalog)
    assert [e.actor for e in entries(engine)] == ["carla", "os:dora", "ed", "carla"]
    get_settings.cache_clear()


def test_the_audit_command_lists_filters_and_exports(changed):
    assessments.create_assessment(
        engine=changed, key="other", year=2023, catalog=load_catalog(), actor="=cmd|x"
    )
    url = url_of(changed)
    result = cli("audit", "--db", url)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 4 and "ann@example.com  assessment.create  assessment 2024" in lines[0]
    assert '{"status": "draft"} -> {"status": "open"}' in lines[2]

    result = cli("audit", "--assessment", "2024", "--format", "json", "--db", url)
    rows = json.loads(result.output)
    assert [r["action"] for r in rows] == ["assessment.create", "method.save", "assessment.status"]

    result = cli("audit", "--format", "csv", "--db", url)
    table = list(csv.DictReader(io.StringIO(result.output)))
    assert len(table) == 4 and table[3]["actor"] == "'=cmd|x"  # no formula for a spreadsheet

    assert cli("audit", "--since", "2999-01-01", "--db", url).output == ""
    assert len(cli("audit", "--since", "2000-01-01", "--db", url).output.splitlines()) == 4
    bad = cli("audit", "--since", "yesterday", "--db", url)
    assert bad.exit_code != 0 and "--since: 'yesterday' is no date" in bad.output
    bad = cli("audit", "--format", "xml", "--db", url)
    assert bad.exit_code != 0 and "--format: 'xml'" in bad.output


def test_an_edited_entry_fails_the_check(changed):
    with transaction(changed) as session:
        session.execute(update(AuditEntry).where(AuditEntry.id == 2).values(actor="someone else"))
    result = check(changed)
    assert result.exit_code != 0
    assert "audit trail: entry 2: was changed after it was written" in result.output


def test_an_edited_before_value_fails_the_check(changed):
    with transaction(changed) as session:
        session.execute(update(AuditEntry).where(AuditEntry.id == 3).values(before={"status": "closed"}))
    result = check(changed)
    assert result.exit_code != 0 and "entry 3: was changed" in result.output


def test_a_deleted_entry_fails_the_check(changed):
    with transaction(changed) as session:
        session.execute(delete(AuditEntry).where(AuditEntry.id == 2))
    result = check(changed)
    assert result.exit_code != 0
    assert "entry 3: expected entry 2: entries are missing" in result.output


def test_deleting_the_newest_entry_fails_the_check(changed):
    with transaction(changed) as session:
        session.execute(delete(AuditEntry).where(AuditEntry.id == 3))
    result = check(changed)
    assert result.exit_code != 0 and "entries at the end were deleted or replaced" in result.output


def test_an_inserted_entry_fails_the_check_even_with_a_correct_own_hash(changed):
    found = entries(changed)
    with transaction(changed) as session:
        # renumber to make room, then slip in an entry whose own hash is right
        for entry in reversed(found[1:]):
            session.execute(update(AuditEntry).where(AuditEntry.id == entry.id).values(id=entry.id + 1))
        forged = AuditEntry(
            id=2,
            at=found[0].at,
            actor="mallory",
            action="method.save",
            object="method of assessment 2024",
            assessment="2024",
            prev_hash=found[0].hash,
        )
        forged.hash = audit.entry_hash(forged)
        session.add(forged)
    result = check(changed)
    assert result.exit_code != 0
    assert "does not follow the entry before it" in result.output or "was changed" in result.output


def test_concurrent_appends_keep_one_chain(engine):
    catalog = load_catalog()
    errors: list[BaseException] = []

    def create(i: int) -> None:
        try:
            assessments.create_assessment(
                engine=engine, key=f"k{i}", year=2024, catalog=catalog, actor=f"p{i}"
            )
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with transaction(engine, write=False) as session:
        count, problems = audit.verify_chain(session=session)
        ids = session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()
    assert count == 6 and not problems and list(ids) == [1, 2, 3, 4, 5, 6]


def test_the_chain_survives_a_round_trip_through_the_database(engine):
    """Times and JSON read back from the database hash to what was written (no drift)."""
    with transaction(engine) as session:
        audit.record(
            session=session,
            actor="x",
            action="test.values",
            object="values",
            before={"f": 0.1, "n": None, "u": "ü", "l": [1, 2]},
            after={"nested": {"b": 2, "a": 1}},
        )
    with transaction(engine, write=False) as session:
        session.execute(text("SELECT 1"))
        count, problems = audit.verify_chain(session=session)
    assert count == 1 and not problems


def test_the_report_pack_holds_the_assessments_audit_trail(changed, tmp_path):
    out = tmp_path / "run"
    result = cli("run", "-a", "2024", "--out", str(out), "--db", url_of(changed))
    assert result.exit_code == 0, result.output
    assert "Wrote the audit trail: audit.csv, audit.json, audit-check.txt." in result.output
    rows = json.loads((out / "audit.json").read_text())
    assert [r["action"] for r in rows] == ["assessment.create", "method.save", "assessment.status"]
    check_text = (out / "audit-check.txt").read_text()
    assert "Hash chain: intact." in check_text and f"hash {rows[-1]['hash']}" in check_text
