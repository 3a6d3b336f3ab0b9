"""export-assessment / import-assessment: a whole assessment moves from SQLite to PostgreSQL and
back with nothing lost; a bad file is refused with a message and nothing written."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from import_helpers import database_snapshot
from sqlalchemy import select
from typer.testing import CliRunner

import survey.backup
from cli import app
from survey.assessments import set_status
from survey.backup import BackupError, export_assessment, read_assessment_file, write_assessment_file
from survey.db import create_db_engine, transaction
from survey.demo import create_demo
from survey.integrity import aggregate_differences, check_database
from survey.issuing import issue_invitations, issue_open_link
from survey.methods import save_method
from survey.models import (
    Assessment,
    Channel,
    Comment,
    Dimension,
    FocusArea,
    Invitation,
    MethodRecord,
    Rating,
    Response,
    StakeholderGroup,
    Topic,
)
from survey.reads import load_assessment_data
from survey.responding import Answers, find_link, save_draft, submit

runner = CliRunner()
UNTRUSTED = '=HYPERLINK("http://evil","x") <script>alert(1)</script> 供应链 "quoted"\n line two'


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def busy_assessment(engine) -> dict[str, str]:
    """The demo 2020 assessment with web answers, comments, a draft, an open link and a method log.
    Returns tokens that must keep working after a move."""
    with transaction(engine) as session:
        create_demo(session=session)
        set_status(session=session, key="2020", status="open")
        links = issue_invitations(
            session=session, assessment_key="2020", group="clients", count=3, language="zh"
        )
        open_link, _ = issue_open_link(session=session, assessment_key="2020", group="community")
        topics = [t for t in session.scalars(select(Topic.key).where(Topic.assessment_id == 2)).all()]
    ratings = {t: (i % 5) + 1 if i % 7 else None for i, t in enumerate(topics)}
    with transaction(engine) as session:
        submit(
            session=session,
            token=links[0].token,
            answers=Answers(ratings=ratings, comments={topics[0]: UNTRUSTED}, suggestion="水资源 water"),
        )
        submit(session=session, token=open_link.token, answers=Answers(ratings=ratings, suggestion=UNTRUSTED))
        save_draft(session=session, token=links[1].token, answers=Answers(ratings={topics[1]: 4}))
        save_method(
            session=session,
            assessment_key="2020",
            config={"tiering": {"method": "fixed"}, "note": "中文"},
            author="Committee",
            reason="first",
        )
        save_method(session=session, assessment_key="2020", config={"seed": 7}, author="Ann", reason="seed")
    return {"unused": links[2].token, "draft": links[1].token, "open": open_link.token}


def assessment_rows(engine, key: str) -> dict[str, list[tuple]]:
    """Every row of the assessment in every table, with catalog keys for ids (read independently of
    the backup module), so two databases can be compared table by table."""
    with transaction(engine, write=False) as session:
        aid = session.scalar(select(Assessment.id).where(Assessment.key == key))
        topic = dict(session.execute(select(Topic.id, Topic.key).where(Topic.assessment_id == aid)).all())
        group = dict(
            session.execute(
                select(StakeholderGroup.id, StakeholderGroup.key).where(StakeholderGroup.assessment_id == aid)
            ).all()
        )
        dimension = dict(
            session.execute(select(Dimension.id, Dimension.key).where(Dimension.assessment_id == aid)).all()
        )
        channel = dict(
            session.execute(select(Channel.id, Channel.name_en).where(Channel.assessment_id == aid)).all()
        )
        invitation_hash = dict(
            session.execute(
                select(Invitation.id, Invitation.token_hash).where(Invitation.assessment_id == aid)
            ).all()
        )
        response_key = {
            r.id: (r.source, r.source_response_id, invitation_hash.get(r.invitation_id), str(r.submitted_at))
            for r in session.scalars(select(Response).where(Response.assessment_id == aid))
        }

        def rows(model, columns, where):
            out = []
            for row in session.execute(select(*[getattr(model, c) for c in columns]).where(where)).all():
                mapped = []
                for column, value in zip(columns, row, strict=True):
                    if column in ("topic_id", "topic_a", "topic_b"):
                        value = topic.get(value)
                    elif column == "group_id":
                        value = group[value]
                    elif column == "dimension_id":
                        value = dimension[value]
                    elif column == "channel_id":
                        value = channel.get(value)
                    elif column == "invitation_id":
                        value = invitation_hash.get(value)
                    elif column == "response_id":
                        value = response_key[value]
                    elif column in ("created_at", "opened_at", "draft_saved_at", "submitted_at"):
                        value = None if value is None else value.replace(tzinfo=None).isoformat()
                    elif isinstance(value, dict):
                        value = json.dumps(value, sort_keys=True)
                    mapped.append(value)
                out.append(tuple(mapped))
            return sorted(out, key=repr)

        a = session.get(Assessment, aid)
        return {
            "assessment": [
                (
                    a.year,
                    a.name,
                    a.status,
                    a.scale_min,
                    a.scale_max,
                    json.dumps(a.scale_labels, sort_keys=True),
                )
            ],
            "dimension": rows(
                Dimension,
                ["key", "name_en", "name_zh", "question_en", "question_zh"],
                Dimension.assessment_id == aid,
            ),
            "topic": rows(
                Topic,
                ["key", "position", "category", "name_en", "name_zh", "description_en", "description_zh"],
                Topic.assessment_id == aid,
            ),
            "stakeholder_group": rows(
                StakeholderGroup,
                ["key", "position", "kind", "dimension_key", "default_weight", "name_en", "name_zh"],
                StakeholderGroup.assessment_id == aid,
            ),
            "channel": rows(
                Channel, ["group_id", "position", "name_en", "name_zh"], Channel.assessment_id == aid
            ),
            "focus_area": rows(FocusArea, ["group_id", "label", "topic_id"], FocusArea.assessment_id == aid),
            "invitation": rows(
                Invitation,
                [
                    "group_id",
                    "channel_id",
                    "language",
                    "token_hash",
                    "is_open",
                    "created_at",
                    "opened_at",
                    "draft",
                    "draft_saved_at",
                    "submitted_at",
                ],
                Invitation.assessment_id == aid,
            ),
            "response": rows(
                Response,
                [
                    "group_id",
                    "channel_id",
                    "invitation_id",
                    "via_open_link",
                    "source",
                    "source_response_id",
                    "language",
                    "submitted_at",
                    "aggregated",
                ],
                Response.assessment_id == aid,
            ),
            "rating": rows(
                Rating,
                ["response_id", "dimension_id", "topic_id", "value"],
                Rating.response_id.in_(select(Response.id).where(Response.assessment_id == aid)),
            ),
            "comment": rows(
                Comment,
                ["response_id", "topic_id", "text"],
                Comment.response_id.in_(select(Response.id).where(Response.assessment_id == aid)),
            ),
            "method_record": rows(
                MethodRecord, ["created_at", "author", "reason", "config"], MethodRecord.assessment_id == aid
            ),
        }


def aggregates_of(engine, key):
    with transaction(engine) as session:
        return load_assessment_data(session=session, assessment_key=key).aggregates


def without_time_of_export(document: dict) -> dict:
    return {k: v for k, v in document.items() if k != "exported_at"}


@pytest.mark.postgres
@pytest.mark.slow
def test_round_trip_sqlite_postgres_sqlite_loses_nothing(sqlite_engine, postgres_schema_url, tmp_path):
    tokens = busy_assessment(sqlite_engine)
    aggregates_of(sqlite_engine, "2020")  # folds the web answers in, as any import does
    original = assessment_rows(sqlite_engine, "2020")
    assert len(original["comment"]) == 3 and len(original["method_record"]) == 2
    assert sum(row[7] is not None for row in original["invitation"]) > 1  # saved drafts travel too
    first = tmp_path / "2020.json.gz"
    result = runner.invoke(app, ["export-assessment", "2020", str(first), "--db", url_of(sqlite_engine)])
    assert result.exit_code == 0, result.output
    assert "512 responses" in result.output and "3 comments" in result.output
    assert gzip.decompress(first.read_bytes())[:1] == b"{"

    result = runner.invoke(app, ["import-assessment", str(first), "--db", postgres_schema_url])
    assert result.exit_code == 0, result.output
    postgres = create_db_engine(postgres_schema_url)
    second = tmp_path / "2020-from-postgres.json"
    result = runner.invoke(app, ["export-assessment", "2020", str(second), "--db", postgres_schema_url])
    assert result.exit_code == 0, result.output

    back = tmp_path / "back.db"
    result = runner.invoke(app, ["import-assessment", str(second), "--db", f"sqlite:///{back}"])
    assert result.exit_code == 0, result.output
    returned = create_db_engine(f"sqlite:///{back}")

    assert assessment_rows(postgres, "2020") == original
    assert assessment_rows(returned, "2020") == original
    for engine in (postgres, returned):
        assert (
            aggregate_differences(aggregates_of(engine, "2020"), aggregates_of(sqlite_engine, "2020")) == []
        )
        report = check_database(engine)
        assert report.ok, report.lines()
    # the exported files are the same, whichever database they came from
    third = tmp_path / "2020-again.json"
    with transaction(returned, write=False) as session:
        write_assessment_file(export_assessment(session=session, assessment_key="2020"), third)
    documents = [without_time_of_export(json.loads(gzip.decompress(first.read_bytes())))]
    documents += [without_time_of_export(json.loads(p.read_text(encoding="utf-8"))) for p in (second, third)]
    assert documents[0] == documents[1] == documents[2]
    # links issued before the move still lead to their survey, with the saved draft
    with transaction(postgres, write=False) as session:
        assert find_link(session=session, token=tokens["unused"]).assessment_key == "2020"
        assert find_link(session=session, token=tokens["open"]).is_open
    with transaction(postgres) as session:
        submit(
            session=session,
            token=tokens["unused"],
            answers=Answers(ratings=dict.fromkeys([r[0] for r in original["topic"]], 3)),
        )
    assert check_database(postgres).ok
    postgres.dispose()
    returned.dispose()


def test_import_under_another_key_and_refusals(sqlite_engine, tmp_path):
    with transaction(sqlite_engine) as session:
        create_demo(session=session)
    path = tmp_path / "2019.json"
    url = url_of(sqlite_engine)
    assert runner.invoke(app, ["export-assessment", "2019", str(path), "--db", url]).exit_code == 0
    again = runner.invoke(app, ["export-assessment", "2019", str(path), "--db", url])
    assert again.exit_code == 1 and "exists already" in again.output

    before = database_snapshot(sqlite_engine)
    result = runner.invoke(app, ["import-assessment", str(path), "--db", url])
    assert result.exit_code == 1
    assert "assessment '2019' exists already in this database; import it under another key with --as" in (
        result.output
    )
    result = runner.invoke(app, ["import-assessment", str(path), "--as", "2019-copy", "--db", url])
    assert result.exit_code == 1 and "survey links are already in use" in result.output
    assert database_snapshot(sqlite_engine) == before

    # without its links (a copy for analysis), the same file goes in under a new key
    document = json.loads(path.read_text(encoding="utf-8"))
    document["invitations"] = []
    for response in document["responses"]:
        response["invitation"] = None
    unlinked = tmp_path / "unlinked.json"
    unlinked.write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(app, ["import-assessment", str(unlinked), "--as", "2019-copy", "--db", url])
    assert result.exit_code == 0, result.output
    original, copy = assessment_rows(sqlite_engine, "2019"), assessment_rows(sqlite_engine, "2019-copy")

    def unlinked_ratings(rows):  # the response key without its invitation
        return sorted(((r[0][0], r[0][1], r[0][3]), *r[1:]) for r in rows)

    assert unlinked_ratings(copy["rating"]) == unlinked_ratings(original["rating"])
    assert copy["topic"] == original["topic"] and len(copy["rating"]) == 5580
    assert (
        aggregate_differences(aggregates_of(sqlite_engine, "2019-copy"), aggregates_of(sqlite_engine, "2019"))
        == []
    )


def damaged(document: dict, change) -> dict:
    copy = json.loads(json.dumps(document))
    change(copy)
    return copy


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="something-else"), 'not an assessment file (expected "format"'),
        (lambda d: d.update(format_version=99), "format version 99; this toolkit reads version 1"),
        (lambda d: d["ratings"]["topic"].__setitem__(0, "unknown_topic"), "ratings row 1: unknown topic"),
        (
            lambda d: d["ratings"]["value"].__setitem__(2, 9),
            "ratings row 3: value 9 is outside the scale 1-5",
        ),
        (
            lambda d: d["ratings"]["value"].pop(),
            "ratings: the columns response, dimension, topic and value differ",
        ),
        (lambda d: d["responses"][0].update(group="aliens"), "responses.0.group: unknown group 'aliens'"),
        (
            lambda d: d["responses"][1].update(ref=d["responses"][0]["ref"]),
            "responses: 1 appears more than once",
        ),
        (lambda d: d["responses"][0].update(submitted_at="yesterday"), "responses.0.submitted_at:"),
        (lambda d: d["assessment"].pop("year"), "assessment.year: Field required"),
        (lambda d: d["topics"][0].update(category="X"), "topics.0.category:"),
        (lambda d: d.update(surprise=1), "surprise: Extra inputs are not permitted"),
        (lambda d: d["comments"].append({"response": 99999, "text": "x"}), "no response with ref 99999"),
    ],
)
def test_a_damaged_file_is_refused_with_a_clear_message(sqlite_engine, tmp_path, change, message):
    with transaction(sqlite_engine) as session:
        create_demo(session=session)
        document = export_assessment(session=session, assessment_key="2019")
    path = tmp_path / "damaged.json"
    path.write_text(json.dumps(damaged(document, change)), encoding="utf-8")
    target = tmp_path / "target.db"
    result = runner.invoke(app, ["import-assessment", str(path), "--db", f"sqlite:///{target}"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: damaged.json: ") and message in result.output, result.output
    assert "Traceback" not in result.output


def test_unreadable_files_are_refused(tmp_path):
    cases = {
        "missing.json": None,
        "text.json": b"materiality, not json",
        "cut.json.gz": gzip.compress(b'{"format": "materiality-assessment"')[:-6],
        "latin1.json": '{"format": "é"}'.encode("latin-1"),
        "list.json": b"[1, 2, 3]",
    }
    expected = {
        "missing.json": "missing.json: cannot read the file",
        "text.json": "text.json: not JSON (line 1, column 1",
        "cut.json.gz": "cut.json.gz: not a readable gzip file",
        "latin1.json": "latin1.json: not UTF-8 text",
        "list.json": "list.json: not an assessment file",
    }
    for name, data in cases.items():
        path = tmp_path / name
        if data is not None:
            path.write_bytes(data)
        with pytest.raises(BackupError) as caught:
            read_assessment_file(path)
        assert expected[name] in str(caught.value)


def test_import_is_one_transaction(sqlite_engine, tmp_path, monkeypatch):
    """A failure after every row was inserted leaves the database as it was."""
    with transaction(sqlite_engine) as session:
        create_demo(session=session)
        document = export_assessment(session=session, assessment_key="2019")
    document["invitations"] = []
    for response in document["responses"]:
        response["invitation"] = None
    path = Path(tmp_path / "copy.json")
    path.write_text(json.dumps(document), encoding="utf-8")
    before = database_snapshot(sqlite_engine)

    def fail_late(**_):
        raise OSError("disk full while folding the aggregates")

    monkeypatch.setattr(survey.backup, "refresh_aggregates", fail_late)
    result = runner.invoke(
        app, ["import-assessment", str(path), "--as", "late", "--db", url_of(sqlite_engine)]
    )
    assert result.exit_code == 1 and "disk full" in result.output
    assert database_snapshot(sqlite_engine) == before
