"""Survey submissions and the committee's analysis at the same time, bounded in time and count.

Used by ``tests/test_load.py`` (short form) and ``benchmarks/bench_load.py`` (long form).

`submitters` threads each take the next unused personal link from a pool issued beforehand and
submit a full set of answers through :func:`survey.responding.submit`, one transaction per
response, as the survey page does, until the time is up or the pool is used. One reader thread
meanwhile loads the assessment (:func:`survey.reads.load_assessment_data`, which folds new
responses into the summary tables) and runs the analysis again and again, recording what every
snapshot held. Everything runs inside this process against the given database URL: no network.

:func:`verify` then checks that the database holds exactly the acknowledged responses with the
answers that were sent, that the summary tables equal a recount from the raw ratings, and that
no snapshot the reader saw held part of a response.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select

from analysis.pipeline import analyse
from survey.assessments import create_assessment, get_assessment, set_status
from survey.catalog import load_catalog
from survey.db import create_db_engine, transaction
from survey.integrity import check_database
from survey.issuing import IssuedLink, issue_invitations
from survey.models import Invitation, Rating, Response, Topic
from survey.reads import load_assessment_data
from survey.responding import Answers, submit

KEY = "load"
GROUPS = ["clients", "employees", "investors", "suppliers", "management"]


def answers_for(number: int, topics: list[str]) -> dict[str, int | None]:
    """The answers of the `number`-th link: every topic, every seventh "don't know"."""
    return {t: None if (number + j) % 7 == 0 else 1 + (number * 3 + j) % 5 for j, t in enumerate(topics)}


@dataclass
class Snapshot:
    """What one analysis run saw."""

    acknowledged_before: int  # submissions acknowledged before the read began
    responses: int  # response count in the loaded data
    respondents: int  # respondents in the summary tables (all groups)
    answers: int  # ratings plus "don't know" in the summary tables
    seconds: float


@dataclass
class LoadRun:
    backend: str
    submitters: int
    seconds: float
    topics: list[str]
    acknowledged: dict[int, int] = field(default_factory=dict)  # invitation id -> link number
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    snapshots: list[Snapshot] = field(default_factory=list)
    reader_errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def throughput(self) -> float:
        return len(self.acknowledged) / self.elapsed if self.elapsed else 0.0

    def percentile_ms(self, q: float) -> float:
        return float(np.percentile(self.latencies, q) * 1000) if self.latencies else float("nan")

    def summary(self) -> str:
        reads = [s.seconds for s in self.snapshots]
        median_read = float(np.median(reads)) if reads else float("nan")
        return (
            f"{self.backend}: {self.submitters} submitters x {self.seconds:g} s: {len(self.acknowledged)} "
            f"responses ({self.throughput:.0f}/s), latency p50 {self.percentile_ms(50):.1f} ms, "
            f"p95 {self.percentile_ms(95):.1f} ms, p99 {self.percentile_ms(99):.1f} ms; "
            f"{len(self.snapshots)} analyses meanwhile (median {median_read:.2f} s); "
            f"{len(self.errors)} submission errors, {len(self.reader_errors)} analysis errors"
        )


def prepare(url: str, links: int) -> list[IssuedLink]:
    """A fresh open assessment with `links` personal links spread over the groups."""
    engine = create_db_engine(url)
    issued: list[IssuedLink] = []
    with transaction(engine) as session:
        create_assessment(session=session, key=KEY, year=2024, catalog=load_catalog())
        set_status(session=session, key=KEY, status="open")
        for k, group in enumerate(GROUPS):
            count = links * (k + 1) // len(GROUPS) - links * k // len(GROUPS)
            issued += issue_invitations(session=session, assessment_key=KEY, group=group, count=count)
    engine.dispose()
    return issued


def run_load(url: str, backend: str, *, submitters: int, seconds: float, links: int) -> LoadRun:
    """Drive submissions and analyses together for `seconds` (or until the links run out)."""
    pool = prepare(url, links)
    # one connection for every submitter and the reader, so none queues for the pool
    engine = create_db_engine(url, pool_size=submitters + 2)
    with transaction(engine, write=False) as session:
        aid = get_assessment(session=session, key=KEY).id
        topics = list(
            session.scalars(select(Topic.key).where(Topic.assessment_id == aid).order_by(Topic.position))
        )
    run = LoadRun(backend, submitters, seconds, topics)
    lock = threading.Lock()
    next_link = iter(range(len(pool)))
    stop = threading.Event()

    def submitter() -> None:
        while not stop.is_set():
            with lock:
                number = next(next_link, None)
            if number is None:
                return
            link = pool[number]
            answers = Answers(
                ratings=answers_for(number, topics),
                comments={topics[number % len(topics)]: f"comment {number}"} if number % 3 == 0 else {},
            )
            started = time.perf_counter()
            try:
                with transaction(engine) as session:
                    submit(session=session, token=link.token, answers=answers)
            except Exception as exc:  # counted and reported: a load test must not hide a failure
                with lock:
                    run.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            took = time.perf_counter() - started
            with lock:
                run.acknowledged[link.invitation_id] = number
                run.latencies.append(took)

    def reader() -> None:
        while not stop.is_set():
            with lock:
                before = len(run.acknowledged)
            started = time.perf_counter()
            try:
                with transaction(engine) as session:
                    data = load_assessment_data(session=session, assessment_key=KEY)
                analyse(data)
            except Exception as exc:
                run.reader_errors.append(f"{type(exc).__name__}: {exc}")
                time.sleep(0.1)
                continue
            aggregates = data.aggregates
            run.snapshots.append(
                Snapshot(
                    acknowledged_before=before,
                    responses=int(data.responses["n_responses"].sum()) if not data.responses.empty else 0,
                    respondents=int(aggregates.respondents["n_respondents"].sum()),
                    answers=int(aggregates.histogram["n"].sum())
                    + int(aggregates.dont_know["n_dont_know"].sum()),
                    seconds=time.perf_counter() - started,
                )
            )

    threads = [threading.Thread(target=submitter, name=f"submitter-{i}") for i in range(submitters)]
    threads.append(threading.Thread(target=reader, name="reader"))
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    deadline = started + seconds
    while time.perf_counter() < deadline and any(t.is_alive() for t in threads[:-1]):
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    run.elapsed = time.perf_counter() - started
    if any(t.is_alive() for t in threads):
        run.errors.append("a thread did not stop within 120 s")
    engine.dispose()
    return run


def verify(url: str, run: LoadRun) -> list[str]:
    """Everything wrong with the database and the snapshots after `run`; empty when sound."""
    problems: list[str] = []
    engine = create_db_engine(url)
    n_topics = len(run.topics)
    with transaction(engine) as session:
        data = load_assessment_data(session=session, assessment_key=KEY)  # folds the last responses in
        stored = dict(
            session.execute(
                select(Response.invitation_id, Response.id).where(Response.invitation_id.is_not(None))
            ).all()
        )
        submitted = set(
            session.scalars(select(Invitation.id).where(Invitation.submitted_at.is_not(None))).all()
        )
        ratings: dict[int, dict[str, int | None]] = {}
        for invitation_id, topic, value in session.execute(
            select(Response.invitation_id, Topic.key, Rating.value)
            .join(Rating, Rating.response_id == Response.id)
            .join(Topic, Topic.id == Rating.topic_id)
        ):
            ratings.setdefault(invitation_id, {})[topic] = value
    if set(stored) != set(run.acknowledged):
        lost = len(set(run.acknowledged) - set(stored))
        extra = len(set(stored) - set(run.acknowledged))
        problems.append(
            f"stored responses differ from the acknowledged: {lost} lost, {extra} not acknowledged"
        )
    if submitted != set(run.acknowledged):
        problems.append(
            f"{len(submitted ^ set(run.acknowledged))} links marked submitted differ from the acknowledged"
        )
    wrong = [i for i, number in run.acknowledged.items() if ratings.get(i) != answers_for(number, run.topics)]
    if wrong:
        problems.append(
            f"{len(wrong)} stored responses differ from the answers sent (e.g. invitation {wrong[0]})"
        )
    total = int(data.responses["n_responses"].sum()) if not data.responses.empty else 0
    if total != len(run.acknowledged):
        problems.append(f"the analysis counts {total} responses, {len(run.acknowledged)} were acknowledged")
    report = check_database(engine)
    problems += [f"check: {finding}" for finding in report.findings]
    previous = 0
    for i, s in enumerate(run.snapshots):
        where = f"analysis {i + 1}"
        if s.answers != s.respondents * n_topics:
            problems.append(
                f"{where}: {s.answers} answers from {s.respondents} respondents ({n_topics} topics each)"
            )
        if s.responses != s.respondents:
            problems.append(
                f"{where}: {s.responses} responses counted, {s.respondents} in the summary tables"
            )
        if s.respondents < s.acknowledged_before:
            problems.append(
                f"{where}: {s.respondents} responses seen, {s.acknowledged_before} acknowledged before"
            )
        if s.respondents < previous:
            problems.append(f"{where}: {s.respondents} responses after {previous} in an earlier analysis")
        previous = max(previous, s.respondents)
    engine.dispose()
    return problems
