"""The service layer on a real SQLite file and on PostgreSQL: what a face reads in one transaction,
the versions the app's caches are keyed on, and the rules every face gets from it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from analysis.method import MethodConfig, MethodError
from services import assessments, fieldwork, methods, responding, results
from survey.errors import StoreError
from survey.methods import save_method as store_save_method
from survey.responding import Answers


@contextmanager
def transactions(engine: Engine) -> Iterator[list[str]]:
    """The transactions begun on `engine` inside the block (one entry each)."""
    begun: list[str] = []

    def count(connection) -> None:  # type: ignore[no-untyped-def]
        begun.append("begin")

    event.listen(engine, "begin", count)
    try:
        yield begun
    finally:
        event.remove(engine, "begin", count)


def token_of(row: dict) -> str:
    return parse_qs(urlsplit(str(row["link"])).query)["token"][0]


@pytest.fixture
def two_years(engine, catalog) -> Engine:
    """Assessments 2020 and 2021 (open, with links for clients); one client answered in 2020."""
    for year in (2020, 2021):
        assessments.create_assessment(engine=engine, key=str(year), year=year, catalog=catalog)
        fieldwork.open_survey(engine=engine, assessment_key=str(year))
    (row,) = fieldwork.issue_links(engine=engine, assessment_key="2020", group="clients").rows
    answer(engine, token_of(row), catalog)
    return engine


def answer(engine: Engine, token: str, catalog, value: int = 4) -> int:
    ratings = {t.key: value for t in catalog.topics}
    return responding.submit(engine=engine, token=token, answers=Answers(ratings=ratings))


def test_analysis_inputs_are_read_in_one_transaction_with_their_versions(two_years, catalog):
    engine = two_years
    links = fieldwork.issue_links(
        engine=engine, assessment_key="2021", group="clients", count=3, channel="Official website"
    )
    answer(engine, token_of(links.rows[0]), catalog)
    with transactions(engine) as begun:
        inputs = results.analysis_inputs(engine=engine, assessment_key="2021")
    assert len(begun) == 1
    with transactions(engine) as begun:
        versions = results.versions(engine=engine, assessment_key="2021")
    assert len(begun) == 1
    assert inputs.versions == versions
    assert versions.status == "open" and versions.method is None
    assert versions.previous == (
        "2020",
        results.versions(engine=engine, assessment_key="2020").data,
    )
    assert inputs.data.key == "2021" and inputs.previous is not None and inputs.previous.key == "2020"
    assert int(inputs.data.responses["n_responses"].sum()) == 1
    assert inputs.method.source == {"kind": "defaults"} and inputs.method.config == MethodConfig()
    website = inputs.channel_stats.set_index(["group", "channel"]).loc[("clients", "Official website")]
    assert (website["links_issued"], website["responses"], website["responses_via_links"]) == (3, 1, 1)
    result = results.analyse_inputs(inputs)
    assert result.previous is not None and result.method["source"] == {"kind": "defaults"}


def test_every_change_a_cache_must_see_changes_the_versions(two_years, catalog):
    engine = two_years

    def now() -> results.Versions:
        return results.versions(engine=engine, assessment_key="2021")

    start = now()
    links = fieldwork.issue_links(engine=engine, assessment_key="2021", group="employees", count=2)
    issued = now()
    assert issued.links != start.links and issued.data == start.data
    answered = answer(engine, token_of(links.rows[0]), catalog)
    after_answer = now()
    assert after_answer.data != issued.data
    assert results.analysis_inputs(engine=engine, assessment_key="2021").versions == after_answer
    methods.save_method(
        engine=engine,
        assessment_key="2021",
        method=MethodConfig(tiering={"method": "kmeans"}),
        author="Chair",
        reason="board decision",
    )
    saved = now()
    assert saved.data != after_answer.data and saved.method is not None
    assert saved.method["tiering"]["method"] == "kmeans"
    fieldwork.withdraw(engine=engine, assessment_key="2021", response_id=answered)
    withdrawn = now()
    assert withdrawn.data != saved.data and withdrawn.links != saved.links  # its invitation goes too
    fieldwork.close_survey(engine=engine, assessment_key="2021")
    assert now().status == "closed" and now().data != withdrawn.data
    (row,) = fieldwork.issue_links(engine=engine, assessment_key="2020", group="clients").rows
    answer(engine, token_of(row), catalog)
    assert now().previous != withdrawn.previous  # last year's data changed


def test_a_method_change_without_a_reason_is_refused_for_every_face(two_years):
    engine = two_years
    before = results.versions(engine=engine, assessment_key="2021")
    for reason in ("", "   \n"):
        with pytest.raises(StoreError, match="Say why the method changes"):
            methods.save_method(
                engine=engine,
                assessment_key="2021",
                method=MethodConfig(seed=7),
                author="Chair",
                reason=reason,
            )
    assert methods.method_history(engine=engine, assessment_key="2021").empty
    assert results.versions(engine=engine, assessment_key="2021") == before


def test_the_method_log_says_what_changed_each_time(two_years):
    engine = two_years
    for method, reason in (
        (MethodConfig(group_weighting="respondents"), "more weight to larger groups"),
        (MethodConfig(group_weighting="respondents", tiering={"method": "kmeans"}), "board decision"),
    ):
        methods.save_method(
            engine=engine, assessment_key="2021", method=method, author="Chair", reason=reason
        )
    history = methods.method_history(engine=engine, assessment_key="2021")
    assert list(history["reason"]) == ["board decision", "more weight to larger groups"]
    assert list(history["changes"]) == [
        ["tiering.method: jenks -> kmeans", "tiering.n_init: - -> 10"],
        ["group_weighting: equal -> respondents"],
    ]
    inputs = results.analysis_inputs(engine=engine, assessment_key="2021")
    assert inputs.method.source == {"kind": "stored"}
    assert inputs.method.config.tiering.method == "kmeans"


def test_a_bad_stored_method_is_named_the_same_way_by_every_face(two_years):
    from survey.db import transaction

    with transaction(two_years) as session:
        store_save_method(
            session=session,
            assessment_key="2021",
            config={"tiering": {"method": "fixed"}},
            author="Someone",
            reason="an old file",
        )
    with pytest.raises(MethodError) as error:
        results.analysis_inputs(engine=two_years, assessment_key="2021")
    assert error.value.problems[0].startswith("stored method of assessment '2021': field 'tiering.method'")


def test_links_whose_delivery_fails_are_never_issued(two_years):
    engine = two_years

    def lost(rows) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        fieldwork.issue_links(engine=engine, assessment_key="2021", group="clients", count=5, deliver=lost)
    with pytest.raises(OSError, match="disk full"):
        fieldwork.issue_open_link(engine=engine, assessment_key="2021", group="clients", deliver=lost)
    assert fieldwork.link_tracking(engine=engine, assessment_key="2021").empty
    delivered: list = []
    links = fieldwork.issue_links(
        engine=engine, assessment_key="2021", group="clients", count=2, deliver=delivered.extend
    )
    assert delivered == links.rows and len(links) == 2
    with pytest.raises(OSError, match="disk full"):
        fieldwork.reissue_unused(engine=engine, assessment_key="2021", deliver=lost)
    for row in links.rows:  # the old links still work: the reissue did not happen
        assert responding.visit(engine=engine, token=token_of(row)).target.group == "clients"


def test_the_campaign_page_reads_in_one_transaction(two_years):
    engine = two_years
    fieldwork.issue_links(engine=engine, assessment_key="2020", group="employees", count=2)
    with transactions(engine) as begun:
        campaign = fieldwork.campaign(engine=engine, assessment_key="2020")
    assert len(begun) == 1
    assert campaign.status == "open" and len(campaign.unused) == 2
    assert list(campaign.latest_responses["group"]) == ["clients"]
    assert int(campaign.tracking["submitted"].sum()) == 1


def test_a_survey_visit_records_the_first_opening_only(two_years):
    engine = two_years
    (row,) = fieldwork.issue_links(engine=engine, assessment_key="2021", group="management").rows
    with transactions(engine) as begun:
        first = responding.visit(engine=engine, token=token_of(row))
    assert not first.target.opened and len(begun) == 2  # the read, then the first opening
    with transactions(engine) as begun:
        again = responding.visit(engine=engine, token=token_of(row))
    assert again.target.opened and len(begun) == 1
    assert again.form.dimension == "business_impact"
    tracked = fieldwork.link_tracking(engine=engine, assessment_key="2021").set_index("group")
    assert tracked.loc["management", "opened"] == 1
