"""Many submissions at once, on a SQLite file and on PostgreSQL: every link stored exactly once,
nothing lost, and a link submitted from several tabs at the same moment stored once."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from survey.assessments import create_assessment, load_index, set_status
from survey.db import transaction
from survey.errors import AlreadySubmitted
from survey.issuing import issue_invitations
from survey.models import Invitation, Rating, Response
from survey.responding import Answers, submit
from survey.responses import RatingIn, ResponseIn, record_response

DISTINCT_LINKS = 40
SAME_LINK_TABS = 8


def run_at_once(jobs) -> list:
    """Start every job in its own thread behind a barrier; the outcome of each, in order."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list = [None] * len(jobs)

    def run(i, job):
        barrier.wait()
        try:
            outcomes[i] = job()
        except Exception as exc:  # the outcome is checked by the test
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    return outcomes


def test_concurrent_submissions_store_every_link_exactly_once(engine, catalog):
    with transaction(engine) as session:
        create_assessment(session=session, key="2021", year=2021, catalog=catalog)
        set_status(session=session, key="2021", status="open")
        links = issue_invitations(
            session=session, assessment_key="2021", group="employees", count=DISTINCT_LINKS + 1
        )
    shared, distinct = links[0], links[1:]
    topics = [t.key for t in catalog.topics]

    def submitter(token, value):
        def job():
            with transaction(engine) as session:
                return submit(
                    session=session, token=token, answers=Answers(ratings=dict.fromkeys(topics, value))
                )

        return job

    jobs = [submitter(link.token, 1 + i % 5) for i, link in enumerate(distinct)]
    jobs += [submitter(shared.token, 3)] * SAME_LINK_TABS
    outcomes = run_at_once(jobs)

    unexpected = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, AlreadySubmitted)]
    assert unexpected == []
    assert all(isinstance(o, int) for o in outcomes[:DISTINCT_LINKS])
    shared_outcomes = outcomes[DISTINCT_LINKS:]
    assert sum(isinstance(o, int) for o in shared_outcomes) == 1
    assert sum(isinstance(o, AlreadySubmitted) for o in shared_outcomes) == SAME_LINK_TABS - 1

    with transaction(engine, write=False) as session:
        stored = Counter(session.scalars(select(Response.invitation_id)).all())
        ratings = session.scalar(select(func.count()).select_from(Rating))
        values = dict(
            session.execute(
                select(Response.invitation_id, func.min(Rating.value))
                .join(Rating, Rating.response_id == Response.id)
                .group_by(Response.invitation_id)
            ).all()
        )
        unsubmitted = session.scalar(
            select(func.count()).select_from(Invitation).where(Invitation.submitted_at.is_(None))
        )
    assert stored == Counter({link.invitation_id: 1 for link in links})
    assert ratings == (DISTINCT_LINKS + 1) * len(topics)
    assert all(values[link.invitation_id] == 1 + i % 5 for i, link in enumerate(distinct))
    assert unsubmitted == 0


def test_the_database_refuses_a_second_response_for_one_invitation(engine, catalog):
    """Even writers that skip the claim on the invitation row cannot store a link twice."""
    with transaction(engine) as session:
        create_assessment(session=session, key="2021", year=2021, catalog=catalog)
        (link,) = issue_invitations(session=session, assessment_key="2021", group="clients")
        index = load_index(session=session, assessment_key="2021")
    response_in = ResponseIn(
        group="clients",
        ratings=[RatingIn(topic=t.key, value=4) for t in catalog.topics],
        invitation_id=link.invitation_id,
    )

    def job():
        with transaction(engine) as session:
            return record_response(session=session, index=index, response_in=response_in)

    outcomes = run_at_once([job] * 6)
    assert sum(isinstance(o, int) for o in outcomes) == 1
    assert all(isinstance(o, IntegrityError) for o in outcomes if not isinstance(o, int))
    with transaction(engine, write=False) as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 1
        assert session.scalar(select(func.count()).select_from(Rating)) == len(catalog.topics)
