"""Survey links on a real SQLite file and on PostgreSQL: issuing, drafts, submission, tracking,
reminders, withdrawal, the CLI and the demo's invitations."""

from __future__ import annotations

import csv
import re
import string
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from cli import app
from survey import i18n
from survey.assessments import create_assessment, set_status
from survey.db import create_db_engine, transaction
from survey.demo import RESPONSE_RATES, create_demo
from survey.errors import AlreadySubmitted, IncompleteAnswers, NotFound, StoreError, SurveyClosed, UnknownLink
from survey.issuing import issue_invitations, issue_open_link, reissue_unused
from survey.models import Comment, Invitation, Rating, Response
from survey.reads import load_assessment_data
from survey.responding import Answers, find_link, mark_opened, save_draft, submit, survey_form, withdraw
from survey.tokens import hash_token, survey_link, token_from_link
from survey.tracking import tracking, unused_invitations

runner = CliRunner()


def make_open_assessment(engine, catalog, key="2021", status="open"):
    with transaction(engine) as session:
        create_assessment(session=session, key=key, year=2021, catalog=catalog)
        set_status(session=session, key=key, status=status)


def issue(engine, group="clients", count=1, channel="Official website", language="en", key="2021"):
    with transaction(engine) as session:
        return issue_invitations(
            session=session, assessment_key=key, group=group, count=count, channel=channel, language=language
        )


def full_answers(catalog, value=4, **extra) -> Answers:
    ratings = {t.key: value for t in catalog.topics}
    ratings[catalog.topics[-1].key] = None  # don't know
    return Answers(ratings=ratings, **extra)


def do_submit(engine, token, answers):
    with transaction(engine) as session:
        return submit(session=session, token=token, answers=answers)


def track(engine, key="2021") -> pd.DataFrame:
    with transaction(engine, write=False) as session:
        return tracking(session=session, assessment_key=key).set_index(["group", "channel"])


def test_tokens_are_random_and_stored_only_as_hashes(engine, catalog, tmp_path):
    make_open_assessment(engine, catalog)
    links = issue(engine, count=50)
    tokens = [link.token for link in links]
    assert len(set(tokens)) == 50
    alphabet = set(string.ascii_letters + string.digits + "-_")
    for token in tokens:
        assert len(token) >= 43 and set(token) <= alphabet  # 32 random bytes, URL-safe base64
    link = links[0].link("https://survey.example.org/")
    assert link == f"https://survey.example.org/survey?token={tokens[0]}"
    assert token_from_link(link) == tokens[0]
    with transaction(engine, write=False) as session:
        stored = session.execute(select(Invitation.token_hash)).scalars().all()
        dump = " ".join(
            str(value)
            for table in ("invitation", "response")
            for row in session.execute(text(f"SELECT * FROM {table}")).all()
            for value in row
        )
    assert sorted(stored) == sorted(hash_token(t) for t in tokens)
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in stored)
    assert not any(token in dump for token in tokens)
    if engine.dialect.name == "sqlite":  # nor anywhere in the database files
        folder = Path(engine.url.database).parent
        raw = b"".join(p.read_bytes() for p in folder.iterdir() if p.name.startswith("materiality.db"))
        assert not any(token.encode() in raw for token in tokens)


def test_issuing_checks_group_channel_language_and_count(engine, catalog):
    make_open_assessment(engine, catalog)
    with transaction(engine) as session, pytest.raises(StoreError, match="no group 'customers'"):
        issue_invitations(session=session, assessment_key="2021", group="customers")
    with transaction(engine) as session, pytest.raises(StoreError, match="'Hotline' is not a channel"):
        issue_invitations(session=session, assessment_key="2021", group="clients", channel="Hotline")
    with transaction(engine) as session, pytest.raises(StoreError, match="language: 'fr'"):
        issue_invitations(session=session, assessment_key="2021", group="clients", language="fr")
    with transaction(engine) as session, pytest.raises(StoreError, match="count: expected 1 to"):
        issue_invitations(session=session, assessment_key="2021", group="clients", count=0)
    with transaction(engine, write=False) as session:
        assert session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_link_lifecycle_draft_submit_and_second_submission(engine, catalog):
    make_open_assessment(engine, catalog, status="draft")
    (link,) = issue(engine, language="zh")
    answers = full_answers(catalog, comments={"emissions": "  Less plastic please  "}, suggestion="Water")

    with transaction(engine) as session:
        target = find_link(session=session, token=link.token)
        assert (target.group, target.channel, target.language) == ("clients", "Official website", "zh")
        assert not target.opened and not target.accepts_answers
    with pytest.raises(SurveyClosed):  # not open yet
        do_submit(engine, link.token, answers)

    with transaction(engine) as session:
        set_status(session=session, key="2021", status="open")
        mark_opened(session=session, invitation_id=link.invitation_id)
        save_draft(session=session, token=link.token, answers=Answers(ratings={"emissions": 2}))
    with transaction(engine, write=False) as session:
        target = find_link(session=session, token=link.token)
    assert target.opened and target.draft["ratings"] == {"emissions": 2}

    partial = Answers(ratings={"emissions": 2, "customer_service": None})
    with pytest.raises(IncompleteAnswers) as missing:
        do_submit(engine, link.token, partial)
    assert missing.value.topics == [t.key for t in catalog.topics if t.key not in partial.ratings]

    response_id = do_submit(engine, link.token, answers)
    with transaction(engine, write=False) as session:
        response = session.get(Response, response_id)
        ratings = dict(session.execute(select(Rating.topic_id, Rating.value)).all())
        comments = session.execute(select(Comment.topic_id, Comment.text)).all()
        target = find_link(session=session, token=link.token)
        invitation = session.get(Invitation, link.invitation_id)
    assert response.invitation_id == link.invitation_id and not response.via_open_link
    assert (response.source, response.language) == ("web", "zh")
    assert len(ratings) == len(catalog.topics) and sorted(ratings.values(), key=str) == sorted(
        [4] * (len(catalog.topics) - 1) + [None], key=str
    )
    assert sorted(t for _, t in comments) == ["Less plastic please", "Water"]
    assert target.submitted and not target.accepts_answers and target.draft is None
    assert invitation.submitted_at is not None and invitation.draft_saved_at is not None

    with pytest.raises(AlreadySubmitted):
        do_submit(engine, link.token, answers)
    with transaction(engine) as session, pytest.raises(AlreadySubmitted):
        save_draft(session=session, token=link.token, answers=answers)
    with transaction(engine, write=False) as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 1


def test_unknown_and_malformed_tokens(engine, catalog):
    make_open_assessment(engine, catalog)
    (link,) = issue(engine)
    forged = link.token[:-1] + ("A" if link.token[-1] != "A" else "B")
    for token in (None, "", "abc", "x" * 500, "../../etc/passwd", "' OR 1=1 --" * 4, forged):
        with transaction(engine, write=False) as session, pytest.raises(UnknownLink):
            find_link(session=session, token=token)
        with pytest.raises(UnknownLink):
            do_submit(engine, token, full_answers(catalog))


def test_management_rate_business_impact(engine, catalog):
    make_open_assessment(engine, catalog)
    (link,) = issue(engine, group="management", channel="Internal assessment workshop")
    with transaction(engine, write=False) as session:
        form = survey_form(session=session, assessment_key="2021", group="management")
        stakeholder_form = survey_form(session=session, assessment_key="2021", group="clients")
    assert form.dimension == "business_impact" and stakeholder_form.dimension == "importance"
    assert form.labels["en"][0] == "No impact" and form.labels["zh"][-1] == "关键影响"
    assert stakeholder_form.labels["en"][0] == "Not important"
    assert "business" in form.question["en"] and "业务" in form.question["zh"]
    assert i18n.text("en", "why", form.dimension) != i18n.text("en", "why", stakeholder_form.dimension)
    do_submit(engine, link.token, full_answers(catalog, value=5))
    with transaction(engine) as session:
        data = load_assessment_data(session=session, assessment_key="2021")
    respondents = data.aggregates.respondents.set_index(["group", "dimension"])["n_respondents"]
    assert respondents.to_dict() == {("management", "business_impact"): 1}


def test_open_link_is_anonymous_reusable_and_counted_apart(engine, catalog):
    make_open_assessment(engine, catalog)
    with transaction(engine) as session:
        first, replaced = issue_open_link(
            session=session, assessment_key="2021", group="community", channel="Community activities"
        )
    assert first.is_open and not replaced
    with transaction(engine) as session:
        assert (
            save_draft(session=session, token=first.token, answers=Answers(ratings={"emissions": 3})) is False
        )
    ids = [do_submit(engine, first.token, full_answers(catalog, value=v)) for v in (2, 3, 5)]
    with transaction(engine, write=False) as session:
        rows = session.execute(
            select(Response.invitation_id, Response.via_open_link, Response.source).where(
                Response.id.in_(ids)
            )
        ).all()
        assert find_link(session=session, token=first.token).draft is None
    assert rows == [(None, True, "web:open-link")] * 3
    row = track(engine).loc[("community", "Community activities")]
    assert (row["issued"], row["submitted"], row["open_link"], row["open_link_responses"]) == (0, 0, True, 3)

    with transaction(engine) as session:
        second, replaced = issue_open_link(
            session=session, assessment_key="2021", group="community", channel="Community activities"
        )
    assert replaced and second.invitation_id == first.invitation_id
    with pytest.raises(UnknownLink):
        do_submit(engine, first.token, full_answers(catalog))
    do_submit(engine, second.token, full_answers(catalog))
    with transaction(engine) as session:
        data = load_assessment_data(session=session, assessment_key="2021")
    assert set(data.responses["source"]) == {"web:open-link"}
    assert int(data.responses["n_responses"].sum()) == 4


def test_tracking_reminders_and_reissue(engine, catalog):
    make_open_assessment(engine, catalog)
    website = issue(engine, count=10)
    hotline = issue(engine, count=4, channel="Customer service hotline", language="zh")
    staff = issue(engine, group="employees", count=5, channel="Complaint boxes")
    with transaction(engine) as session:
        for link in website[:6] + hotline[:1]:
            mark_opened(session=session, invitation_id=link.invitation_id)
        save_draft(session=session, token=website[5].token, answers=Answers(ratings={"emissions": 1}))
    for link in website[:4] + staff[:5]:
        do_submit(engine, link.token, full_answers(catalog))
    table = track(engine)
    assert list(table.index) == [
        ("clients", "Official website"),
        ("clients", "Customer service hotline"),
        ("employees", "Complaint boxes"),
    ]
    web = table.loc[("clients", "Official website")]
    assert (web["issued"], web["opened"], web["drafts"], web["submitted"]) == (10, 6, 1, 4)
    assert web["response_rate"] == pytest.approx(0.4)
    assert table.loc[("clients", "Customer service hotline"), "opened"] == 1
    assert table.loc[("employees", "Complaint boxes"), "response_rate"] == 1.0

    with transaction(engine, write=False) as session:
        unused = unused_invitations(session=session, assessment_key="2021", group="clients")
    assert [u.invitation_id for u in unused] == [link.invitation_id for link in website[4:] + hotline]
    assert [u.draft_saved for u in unused].count(True) == 1
    assert {u.language for u in unused} == {"en", "zh"}

    with transaction(engine) as session:
        fresh = reissue_unused(session=session, assessment_key="2021", channel="Official website")
    assert [f.invitation_id for f in fresh] == [link.invitation_id for link in website[4:]]
    with pytest.raises(UnknownLink):
        do_submit(engine, website[5].token, full_answers(catalog))
    with transaction(engine, write=False) as session:
        target = find_link(session=session, token=fresh[1].token)  # website[5], the one with a draft
    assert target.draft["ratings"] == {"emissions": 1}
    do_submit(engine, fresh[1].token, full_answers(catalog))
    assert track(engine).loc[("clients", "Official website"), "submitted"] == 5


def test_withdrawal_by_link_and_by_id_counts_nowhere(engine, catalog):
    make_open_assessment(engine, catalog)
    links = issue(engine, count=3)
    ids = [
        do_submit(engine, link.token, full_answers(catalog, value=v))
        for link, v in zip(links, (1, 3, 5), strict=True)
    ]
    with transaction(engine) as session:  # fold into the summary tables first
        load_assessment_data(session=session, assessment_key="2021")
    with transaction(engine) as session:
        assert withdraw(session=session, assessment_key="2021", token=links[0].token) == ids[0]
        withdraw(session=session, assessment_key="2021", response_id=ids[1])
    with transaction(engine) as session:
        data = load_assessment_data(session=session, assessment_key="2021")
        assert session.scalar(select(func.count()).select_from(Response)) == 1
        assert session.scalar(select(func.count()).select_from(Rating)) == len(catalog.topics)
    assert data.aggregates.respondents["n_respondents"].tolist() == [1]
    histogram = data.aggregates.histogram
    assert set(histogram["value"]) == {5} and histogram["n"].eq(1).all()
    row = track(engine).loc[("clients", "Official website")]
    assert (row["issued"], row["submitted"]) == (1, 1)
    for token in (links[0].token, links[1].token):
        with transaction(engine, write=False) as session, pytest.raises(UnknownLink):
            find_link(session=session, token=token)

    make_open_assessment(engine, catalog, key="2022")
    with transaction(engine) as session, pytest.raises(NotFound, match="in assessment '2022'"):
        withdraw(session=session, assessment_key="2022", response_id=ids[2])
    with transaction(engine) as session, pytest.raises(NotFound, match="does not belong"):
        withdraw(session=session, assessment_key="2022", token=links[2].token)


def invoke(*args: str):
    return runner.invoke(app, list(args))


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


def test_cli_fieldwork_commands(db_url, tmp_path, catalog):
    assert invoke("init", "--assessment", "2021", "--db", db_url).exit_code == 0
    result = invoke("open", "--assessment", "2021", "--db", db_url)
    assert result.exit_code == 0 and "is open" in result.output

    out = tmp_path / "links.csv"
    result = invoke(
        "invite", "-a", "2021", "--group", "clients", "--count", "5", "--channel", "Satisfaction survey",
        "--lang", "zh", "--base-url", "https://esg.example.com", "--out", str(out), "--db", db_url,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Wrote 5 personal links" in result.output
    rows = read_csv(out)
    assert len(rows) == 5 and list(rows[0]) == [
        "link",
        "invitation_id",
        "group",
        "channel",
        "language",
        "kind",
    ]
    assert {(r["group"], r["channel"], r["language"], r["kind"]) for r in rows} == {
        ("clients", "Satisfaction survey", "zh", "personal")
    }
    assert all(r["link"].startswith("https://esg.example.com/survey?token=") for r in rows)
    again = invoke("invite", "-a", "2021", "--group", "clients", "--out", str(out), "--db", db_url)
    assert again.exit_code == 1 and "exists already" in again.stderr
    bad = invoke(
        "invite", "-a", "2021", "--group", "nobody", "--out", str(tmp_path / "x.csv"), "--db", db_url
    )
    assert bad.exit_code == 1 and "no group 'nobody'" in bad.stderr and not (tmp_path / "x.csv").exists()
    event = tmp_path / "event.csv"
    result = invoke(
        "invite", "-a", "2021", "--group", "community", "--channel", "Community activities", "--open-link",
        "--out", str(event), "--db", db_url,
    )  # fmt: skip
    assert result.exit_code == 0 and read_csv(event)[0]["kind"] == "open"

    engine = create_db_engine(db_url)
    token = token_from_link(rows[0]["link"])
    response_id = do_submit(engine, token, full_answers(catalog))
    do_submit(engine, token_from_link(rows[1]["link"]), full_answers(catalog))

    table = invoke("links", "-a", "2021", "--db", db_url)
    assert table.exit_code == 0, table.output
    assert re.search(r"clients\s+Satisfaction survey\s+5\s+0\s+0\s+2\s+40%\s+no\s+0", table.output)
    assert "Total: 5 personal links, 2 submitted (40%)" in table.output

    unused = tmp_path / "unused.csv"
    result = invoke("links", "-a", "2021", "--unused", "--out", str(unused), "--db", db_url)
    assert result.exit_code == 0 and "Wrote 3 unused invitations" in result.output
    assert [r["invitation_id"] for r in read_csv(unused)] == [r["invitation_id"] for r in rows[2:]]
    assert "link" not in read_csv(unused)[0]
    fresh = tmp_path / "fresh.csv"
    result = invoke("links", "-a", "2021", "--unused", "--reissue", "--out", str(fresh), "--db", db_url)
    assert result.exit_code == 0, result.output
    new_rows = read_csv(fresh)
    assert [r["invitation_id"] for r in new_rows] == [r["invitation_id"] for r in rows[2:]]
    assert new_rows[0]["link"] != rows[2]["link"]
    with pytest.raises(UnknownLink):
        do_submit(engine, token_from_link(rows[2]["link"]), full_answers(catalog))

    result = invoke("withdraw", "-a", "2021", "--link", rows[0]["link"], "--db", db_url)
    assert result.exit_code == 0 and f"Withdrew response {response_id}" in result.output
    missing = invoke("withdraw", "-a", "2021", "--response", str(response_id), "--db", db_url)
    assert missing.exit_code == 1 and f"no response with id {response_id}" in missing.stderr
    result = invoke("close", "--assessment", "2021", "--db", db_url)
    assert result.exit_code == 0 and "is closed" in result.output
    with pytest.raises(SurveyClosed):
        do_submit(engine, token_from_link(new_rows[0]["link"]), full_answers(catalog))
    engine.dispose()


def test_links_csv_neutralises_formula_like_channel_names(tmp_path, catalog):
    from survey.catalog import Catalog, ChannelSpec

    edited = Catalog(
        topics=catalog.topics,
        groups=catalog.groups,
        channels=[*catalog.channels, ChannelSpec("clients", '=HYPERLINK("http://x")')],
        focus_areas=catalog.focus_areas,
        dimensions=catalog.dimensions,
        scale=catalog.scale,
    )
    db = f"sqlite:///{tmp_path / 'm.db'}"
    engine = create_db_engine(db)
    with transaction(engine) as session:
        create_assessment(session=session, key="2021", year=2021, catalog=edited)
    out = tmp_path / "links.csv"
    result = invoke(
        "invite", "-a", "2021", "--group", "clients", "--channel", '=HYPERLINK("http://x")',
        "--out", str(out), "--db", db,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert read_csv(out)[0]["channel"] == '\'=HYPERLINK("http://x")'


def test_demo_links_its_responses_to_invitations(sqlite_engine):
    with transaction(sqlite_engine) as session:
        create_demo(session=session)
    with transaction(sqlite_engine, write=False) as session:
        first = tracking(session=session, assessment_key="2020")
        unlinked = session.scalar(
            select(func.count()).select_from(Response).where(Response.invitation_id.is_(None))
        )
        mismatched = session.scalar(
            select(func.count())
            .select_from(Response)
            .join(Invitation, Invitation.id == Response.invitation_id)
            .where(
                (Invitation.submitted_at.is_(None))
                | (Invitation.group_id != Response.group_id)
                | (Invitation.channel_id != Response.channel_id)
                | (Invitation.language != Response.language)
            )
        )
        statuses = dict(session.execute(text("SELECT key, status FROM assessment")).all())
    assert unlinked == 0 and mismatched == 0
    assert statuses == {"2019": "closed", "2020": "closed"}
    assert first["submitted"].sum() == 510 and first["issued"].sum() > 510
    assert first["response_rate"].between(0.3, 0.8).all()
    by_group = first.groupby("group")[["issued", "submitted"]].sum()
    rates = by_group["submitted"] / by_group["issued"]
    for group, rate in RESPONSE_RATES.items():
        assert rate * 0.8 < rates[group] < rate * 1.2, group
    assert (first["opened"] >= first["submitted"]).all() and first["drafts"].sum() > 0

    # Deterministic: a second database gets the same counts.
    other = create_db_engine(str(sqlite_engine.url).replace("materiality.db", "again.db"))
    with transaction(other) as session:
        create_demo(session=session)
    with transaction(other, write=False) as session:
        second = tracking(session=session, assessment_key="2020")
    pd.testing.assert_frame_equal(first, second)
    other.dispose()


def test_respondent_texts_exist_in_both_languages():
    en, zh = i18n.STRINGS["en"], i18n.STRINGS["zh"]
    assert en.keys() == zh.keys()
    fields = lambda s: sorted(re.findall(r"{(\w+)}", s))  # noqa: E731
    for name in en:
        assert fields(en[name]) == fields(zh[name]), name
        assert zh[name] != en[name], name
    assert i18n.text("fr", "thanks") == en["thanks"]
    assert i18n.text("zh", "why", "esrs_financial") == zh["why.importance"]
    assert i18n.minutes_needed(16) == 5
    assert survey_link("http://h:8501", "t" * 43) == "http://h:8501/survey?token=" + "t" * 43
