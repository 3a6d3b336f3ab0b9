"""A company-wide send: many respondents open their survey link and submit at the same moment,
over real HTTP against running app servers (``streamlit run app.py``), while a committee member
opens the sign-in page in Chromium.

Used by ``tests/test_survey_burst.py`` (short form) and ``benchmarks/bench_survey_burst.py``.

Every respondent is its own HTTP client (its own connections and cookies, as its own browser):
it waits for the common start, GETs ``/survey?token=...``, reads the form's anti-forgery field
and POSTs every answer. With several servers the respondents are spread over them in turn, as a
load balancer would. :func:`verify` then checks that the database holds exactly one response
per link with the answers sent.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import func, select

from survey.assessments import create_assessment, set_status
from survey.catalog import load_catalog
from survey.db import create_db_engine, transaction
from survey.issuing import issue_invitations
from survey.models import Invitation, Rating, Response, Topic

ROOT = Path(__file__).resolve().parent.parent
KEY = "burst"
GROUPS = ["clients", "employees", "investors", "suppliers", "management"]
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')
CHROMIUM = "/usr/bin/chromium"
SERVER_PIDS: dict[str, int] = {}  # base URL -> process id of the server answering there


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time a process has used (Linux; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def answer_for(number: int, position: int) -> str:
    """The answer of the `number`-th respondent to the `position`-th topic."""
    return "dont_know" if (number + position) % 7 == 0 else str(1 + (number * 3 + position) % 5)


def prepare(database_url: str, respondents: int) -> tuple[list[str], list[str]]:
    """An open assessment with one personal link per respondent; returns (tokens, topic keys)."""
    engine = create_db_engine(database_url)
    try:
        with transaction(engine) as session:
            create_assessment(session=session, key=KEY, year=2026, catalog=load_catalog())
            set_status(session=session, key=KEY, status="open")
            tokens: list[str] = []
            for n, group in enumerate(GROUPS):
                count = respondents // len(GROUPS) + (1 if n < respondents % len(GROUPS) else 0)
                if count:
                    links = issue_invitations(session=session, assessment_key=KEY, group=group, count=count)
                    tokens += [link.token for link in links]
            topics = list(session.scalars(select(Topic.key).order_by(Topic.position)).all())
    finally:
        engine.dispose()
    return tokens, topics


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def app_server(
    database_url: str, log_path: Path, *, password: str = "burst committee password"
) -> Iterator[str]:
    """`streamlit run app.py` on a free loopback port; yields its base URL once healthy."""
    port = free_port()
    env = {
        **os.environ,
        "MATERIALITY_DATABASE_URL": database_url,
        "MATERIALITY_ADMIN_PASSWORD": password,
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
        "--server.headless", "true", "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    with log_path.open("w") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:
                        if answer.read().decode().strip() == "ok":
                            break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the app did not come up: {log_path.read_text()[-2000:]}")
                time.sleep(0.3)
            SERVER_PIDS[base] = server.pid
            yield base
        finally:
            SERVER_PIDS.pop(base, None)
            server.terminate()
            server.wait(timeout=30)


@contextmanager
def app_servers(database_url: str, log_dir: Path, processes: int) -> Iterator[list[str]]:
    with ExitStack() as stack:
        yield [
            stack.enter_context(app_server(database_url, log_dir / f"server-{n}.log"))
            for n in range(processes)
        ]


@dataclass
class Burst:
    respondents: int
    processes: int
    pages: list[float] = field(default_factory=list)
    submissions: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    acknowledged: int = 0
    retried: int = 0
    elapsed: float = 0.0
    sign_in_seconds: float | None = None
    sign_in_quiet_seconds: float | None = None
    server_cpu: float | None = None  # CPU seconds the servers used during the burst

    def percentile(self, values: list[float], q: float) -> float:
        return float(np.percentile(values, q)) if values else float("nan")

    @property
    def throughput(self) -> float:
        return self.acknowledged / self.elapsed if self.elapsed else 0.0

    def summary(self) -> str:
        p = self.percentile
        sign_in = (
            "not measured"
            if self.sign_in_seconds is None
            else f"{self.sign_in_seconds:.2f} s (without the burst {self.sign_in_quiet_seconds or 0:.2f} s)"
        )
        return (
            f"{self.respondents} respondents at once on {self.processes} server process(es): "
            f"{self.acknowledged} submissions acknowledged in {self.elapsed:.1f} s "
            f"({self.throughput:.1f}/s), {len(self.errors)} errors, {self.retried} sent again\n"
            f"  page       p50 {p(self.pages, 50):.2f} s  p95 {p(self.pages, 95):.2f} s  "
            f"max {max(self.pages, default=float('nan')):.2f} s\n"
            f"  submission p50 {p(self.submissions, 50):.2f} s  p95 {p(self.submissions, 95):.2f} s  "
            f"max {max(self.submissions, default=float('nan')):.2f} s\n"
            f"  committee sign-in page drawn during the burst in {sign_in}\n"
            f"  server CPU per respondent (page and submission): {self.cpu_per_respondent_ms:.1f} ms"
        )

    @property
    def cpu_per_respondent_ms(self) -> float:
        if self.server_cpu is None or not self.respondents:
            return float("nan")
        return self.server_cpu / self.respondents * 1000


async def _respondent(
    number: int, base: str, token: str, topics: list[str], start: asyncio.Event, burst: Burst
) -> None:
    # TCP_NODELAY as browsers set it: without it a POST's body waits for the server's delayed ACK
    transport = httpx.AsyncHTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    async with httpx.AsyncClient(base_url=base, timeout=120, transport=transport) as client:
        await start.wait()
        try:
            began = time.perf_counter()
            page = await client.get("/survey", params={"token": token})
            burst.pages.append(time.perf_counter() - began)
            found = CSRF.search(page.text)
            if page.status_code != 200 or found is None:
                burst.errors.append(f"page {page.status_code}")
                return
            data = {f"rating-{t}": answer_for(number, j) for j, t in enumerate(topics)}
            data |= {"csrf": found.group(1), "lang": "en", "action": "submit"}
            data["comment-" + topics[number % len(topics)]] = f"respondent {number}"
            began, again = time.perf_counter(), False
            try:
                done = await client.post(f"/survey?token={token}&lang=en", data=data)
            except (httpx.ReadError, httpx.RemoteProtocolError):
                # the server closed the kept-alive connection as the form went out: press again,
                # as a respondent would (the link takes one response only, so this is safe)
                burst.retried, again = burst.retried + 1, True
                done = await client.post(f"/survey?token={token}&lang=en", data=data)
            burst.submissions.append(time.perf_counter() - began)
            landed_before = again and done.status_code == 410  # the first press had landed
            if (done.status_code == 200 and "Thank you" in done.text) or landed_before:
                burst.acknowledged += 1
            else:
                burst.errors.append(f"submission {done.status_code}")
        except httpx.HTTPError as error:
            burst.errors.append(f"{type(error).__name__}: {error}")


async def _all(
    bases: list[str], tokens: list[str], topics: list[str], burst: Burst, go: threading.Event
) -> None:
    start = asyncio.Event()
    tasks = [
        asyncio.create_task(_respondent(n, bases[n % len(bases)], token, topics, start, burst))
        for n, token in enumerate(tokens)
    ]
    await asyncio.sleep(0.5)  # every client made and waiting
    began = time.perf_counter()
    go.set()
    start.set()
    await asyncio.gather(*tasks)
    burst.elapsed = time.perf_counter() - began


def _draw_sign_in(base: str, ready: threading.Event, go: threading.Event, delay: float, out: Burst) -> None:
    """A committee member opens the app in Chromium shortly after the burst begins: seconds
    until the sign-in form is on the screen."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )

        def draw() -> float:
            page = browser.new_page()
            began = time.perf_counter()
            page.goto(base)
            page.get_by_label("Password").wait_for(timeout=60_000)
            drawn = time.perf_counter() - began
            page.close()
            return drawn

        draw()  # the server's first script run imports the committee's pages: not the burst's cost
        out.sign_in_quiet_seconds = draw()
        ready.set()
        go.wait()
        time.sleep(delay)
        out.sign_in_seconds = draw()
        browser.close()


def run_burst(bases: list[str], tokens: list[str], topics: list[str], *, sign_in: bool = True) -> Burst:
    """Every respondent at once; meanwhile (0.3 s in) the committee's sign-in page in Chromium."""
    burst = Burst(respondents=len(tokens), processes=len(bases))
    go, ready = threading.Event(), threading.Event()
    committee = None
    if sign_in:
        committee = threading.Thread(target=_draw_sign_in, args=(bases[0], ready, go, 0.3, burst))
        committee.start()
        ready.wait(timeout=120)
    pids = [SERVER_PIDS[b] for b in bases if b in SERVER_PIDS]
    before = [cpu_seconds(pid) for pid in pids]
    asyncio.run(_all(bases, tokens, topics, burst, go))
    after = [cpu_seconds(pid) for pid in pids]
    if committee is not None:
        committee.join(timeout=120)
    if pids and None not in before and None not in after:
        burst.server_cpu = sum(
            a - b for a, b in zip(after, before, strict=True) if a is not None and b is not None
        )
    return burst


def verify(database_url: str, tokens: list[str], topics: list[str]) -> list[str]:
    """Problems found: every link submitted exactly once, with exactly the answers sent."""
    problems = []
    engine = create_db_engine(database_url)
    try:
        with transaction(engine, write=False) as session:
            responses = session.scalar(select(func.count()).select_from(Response))
            claimed = session.scalar(
                select(func.count()).select_from(Invitation).where(Invitation.submitted_at.is_not(None))
            )
            ratings = session.scalar(select(func.count()).select_from(Rating))
            per_invitation = session.execute(
                select(Response.invitation_id, func.count()).group_by(Response.invitation_id)
            ).all()
            sums = session.scalar(select(func.sum(Rating.value)))
    finally:
        engine.dispose()
    if responses != len(tokens) or claimed != len(tokens):
        problems.append(f"{responses} responses and {claimed} links claimed for {len(tokens)} respondents")
    if any(count != 1 for _, count in per_invitation):
        problems.append("a link has more than one response")
    if ratings != len(tokens) * len(topics):
        problems.append(f"{ratings} ratings, expected {len(tokens) * len(topics)}")
    sent = [answer_for(n, j) for n in range(len(tokens)) for j in range(len(topics))]
    expected = sum(int(a) for a in sent if a != "dont_know")
    if sums != expected:
        problems.append(f"the ratings add up to {sums}, the answers sent to {expected}")
    return problems
