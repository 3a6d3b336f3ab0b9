"""Respondents in headless Chromium against `streamlit run app.py`: on a phone in Chinese with
JavaScript (progress, autosave, the jump to the first missing answer), on a desktop in English
with JavaScript off, every state of the page checked with axe-core (WCAG 2.2 A and AA)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, streamlit_app
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select

from survey import i18n
from survey.assessments import create_assessment, set_status
from survey.db import create_db_engine, transaction
from survey.issuing import issue_invitations
from survey.models import Invitation, Rating, Response, Topic

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
EN, ZH = i18n.STRINGS["en"], i18n.STRINGS["zh"]
AXE = Path(__file__).resolve().parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.fixture
def app_server(tmp_path, catalog) -> Iterator[tuple[str, object, dict[str, str]]]:
    """The app on a free port over a fresh SQLite file; yields (base url, engine, tokens)."""
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    engine = create_db_engine(url)
    tokens = {}
    with transaction(engine) as session:
        create_assessment(session=session, key="2021", year=2021, catalog=catalog)
        set_status(session=session, key="2021", status="open")
        for name, language in (("phone", "zh"), ("desktop", "en"), ("axe", "en"), ("used", "en")):
            (link,) = issue_invitations(
                session=session,
                assessment_key="2021",
                group="clients",
                channel="Official website",
                language=language,
            )
            tokens[name] = link.token
    try:
        with streamlit_app(url, tmp_path / "streamlit.log", password="browser-test-password") as base:
            yield base, engine, tokens
    finally:
        engine.dispose()


@pytest.fixture
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def stored(engine) -> tuple[list[Response], dict[str, int | None]]:
    with transaction(engine, write=False) as session:
        responses = list(session.scalars(select(Response)).all())
        ratings = dict(session.execute(select(Topic.key, Rating.value).join(Rating)).all())
    return responses, ratings


def draft_of(engine, token_index: int) -> dict | None:
    with transaction(engine, write=False) as session:
        return session.scalars(select(Invitation.draft).order_by(Invitation.id)).all()[token_index]


def fits(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def violations(page: Page) -> list[dict]:
    """axe-core's findings on the page as it is now (the context lets the checker in past the CSP)."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async (tags) => (await axe.run(document, {runOnly: {type: "tag", values: tags}}))
            .violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)}))""",
        WCAG,
    )


def test_on_a_phone_in_chinese_with_javascript(app_server, chromium, catalog, tmp_path):
    base, engine, tokens = app_server
    phone = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.goto(f"{base}/survey?token={tokens['phone']}")
    expect(page.get_by_role("heading", name=ZH["title.importance"], level=1)).to_be_visible()
    fits(page, PHONE["width"])
    # the first question is on the first screen; the introduction is folded
    first = page.locator("fieldset").first
    box = first.get_by_role("radio").first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"], box
    expect(page.get_by_text("我们不会随答案保存您的姓名")).to_be_hidden()
    page.get_by_text(ZH["about"]).click()
    expect(page.get_by_text("我们不会随答案保存您的姓名")).to_be_visible()
    page.screenshot(path=str(tmp_path / "phone-zh-start.png"))

    groups = page.locator("fieldset")
    expect(groups).to_have_count(len(catalog.topics))
    labels = catalog.scale.labels["importance"]["zh"]
    chosen = {t.key: 1 + i % 5 for i, t in enumerate(catalog.topics)}
    chosen[catalog.topics[3].key] = None
    for n, topic in enumerate(catalog.topics[:5]):
        value = chosen[topic.key]
        groups.nth(n).get_by_text(
            ZH["dont_know"] if value is None else f"{value} · {labels[value - 1]}"
        ).click()
        expect(page.locator("#progress")).to_have_text(ZH["progress"].format(answered=n + 1, total=16))
    page.get_by_label(ZH["comment"]).first.fill("请公布数据")
    expect(page.locator("#autosave-status")).to_have_text(ZH["autosaved"], timeout=10_000)
    deadline = time.monotonic() + 10
    while (draft_of(engine, 0) or {}).get("comments") != {catalog.topics[0].key: "请公布数据"}:
        assert time.monotonic() < deadline, draft_of(engine, 0)
        page.wait_for_timeout(200)
    assert draft_of(engine, 0)["ratings"] == {t.key: chosen[t.key] for t in catalog.topics[:5]}

    page.reload()  # the draft comes back from the same link
    expect(page.get_by_text(ZH["resumed"])).to_be_visible()
    expect(page.locator("#progress")).to_have_text(ZH["progress"].format(answered=5, total=16))
    expect(page.get_by_label(ZH["comment"]).first).to_have_value("请公布数据")
    page.get_by_role("button", name=ZH["jump_missing"]).click()
    expect(groups.nth(5).get_by_role("radio").first).to_be_focused()

    for n, topic in enumerate(catalog.topics[5:-2], start=5):
        groups.nth(n).get_by_text(f"{chosen[topic.key]} · {labels[chosen[topic.key] - 1]}").click()
    page.get_by_role("button", name=ZH["submit"]).click()
    # the answer opens at the first missing topic, focused, and says how many are missing
    expect(page.get_by_text(ZH["missing_here"].format(count=2))).to_be_in_viewport()
    expect(groups.nth(14).get_by_role("radio").first).to_be_focused()
    assert page.url.endswith("#missing")
    fits(page, PHONE["width"])
    page.screenshot(path=str(tmp_path / "phone-zh-missing.png"))
    for n, topic in enumerate(catalog.topics[-2:], start=14):
        groups.nth(n).get_by_text(f"{chosen[topic.key]} · {labels[chosen[topic.key] - 1]}").click()
    page.get_by_role("button", name=ZH["submit"]).click()
    expect(page.get_by_text(ZH["thanks"])).to_be_visible()
    page.screenshot(path=str(tmp_path / "phone-zh-thanks.png"))
    responses, ratings = stored(engine)
    assert len(responses) == 1 and ratings == chosen

    page.goto(f"{base}/survey?token={tokens['phone']}")
    expect(page.get_by_text(ZH["already_submitted"])).to_be_visible()
    expect(page.locator("fieldset")).to_have_count(0)
    page.goto(f"{base}/overview")  # a committee page, without sign-in
    expect(page.get_by_role("heading", name="Committee sign-in")).to_be_visible(timeout=30_000)
    assert len(stored(engine)[0]) == 1


def test_on_a_desktop_in_english_without_javascript(app_server, chromium, catalog, tmp_path):
    base, engine, tokens = app_server
    page = chromium.new_context(viewport=DESKTOP, java_script_enabled=False).new_page()
    page.goto(f"{base}/survey?token={tokens['desktop']}")
    expect(page.get_by_role("heading", name=EN["title.importance"], level=1)).to_be_visible()
    expect(page.get_by_text(EN["progress"].format(answered=0, total=16))).to_be_visible()
    expect(page.get_by_role("button", name=EN["jump_missing"])).to_be_hidden()  # needs the script
    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("heading", name=ZH["title.importance"], level=1)).to_be_visible()
    page.goto(f"{base}/survey?token={tokens['desktop']}")  # the choice is kept on reload
    expect(page.get_by_role("heading", name=ZH["title.importance"], level=1)).to_be_visible()
    page.get_by_role("link", name="English").click()

    groups = page.locator("fieldset")
    # keyboard only: the skip link leads to the questions; arrows move within a rating; the focus shows
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name=EN["skip_to_questions"])).to_be_focused()
    first = groups.nth(0).get_by_role("radio")
    first.nth(1).focus()
    page.keyboard.press("ArrowRight")
    expect(first.nth(2)).to_be_checked()
    outline = first.nth(2).evaluate(
        "e => getComputedStyle(e).outlineStyle + ' ' + getComputedStyle(e).outlineWidth"
    )
    assert outline.startswith("solid") and outline != "solid 0px", outline
    for n in range(len(catalog.topics)):
        if n not in (6, 11):
            groups.nth(n).get_by_label(EN["dont_know"] if n == 0 else "3 · Moderately important").check()
    page.get_by_label(EN["suggestion"]).fill("Water use in our plants")
    page.get_by_role("button", name=EN["save"]).click()
    expect(page.get_by_text(EN["saved"])).to_be_visible()
    assert len(draft_of(engine, 1)["ratings"]) == 14

    page.get_by_role("button", name=EN["submit"]).click()
    assert page.url.endswith("#missing")
    expect(page.get_by_role("alert").filter(has_text=EN["missing_summary"].format(count=2))).to_be_attached()
    box = page.locator("#missing").bounding_box()
    assert box is not None and 0 <= box["y"] < DESKTOP["height"], box  # scrolled to the first gap
    page.screenshot(path=str(tmp_path / "desktop-en-missing.png"))
    groups.nth(6).get_by_label("5 · Extremely important").check()
    groups.nth(11).get_by_label("1 · Not important").check()
    expect(page.get_by_label(EN["suggestion"])).to_have_value("Water use in our plants")
    page.get_by_role("button", name=EN["submit"]).click()
    expect(page.get_by_text(EN["thanks"])).to_be_visible()
    responses, ratings = stored(engine)
    assert (
        len(responses) == 1 and ratings[catalog.topics[6].key] == 5 and ratings[catalog.topics[0].key] is None
    )


def test_every_state_of_the_page_passes_axe(app_server, chromium, catalog, tmp_path):
    base, engine, tokens = app_server
    found = {}
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = chromium.new_context(viewport=viewport, bypass_csp=True).new_page()
        for lang in ("en", "zh"):
            page.goto(f"{base}/survey?token={tokens['axe']}&lang={lang}")
            page.get_by_text(i18n.text(lang, "about")).click()
            found[f"form {lang} {size}"] = violations(page)
        page.get_by_role("button", name=ZH["submit"]).click()  # nothing answered: 16 missing
        expect(page.get_by_text(ZH["missing_summary"].format(count=16)).first).to_be_visible()
        found[f"missing zh {size}"] = violations(page)
        page.goto(f"{base}/survey?token=not-a-link-at-all-but-long-enough-to-look-like-one")
        found[f"unknown {size}"] = violations(page)
        page.screenshot(path=str(tmp_path / f"{size}-unknown.png"))
    page = chromium.new_context(viewport=DESKTOP, bypass_csp=True).new_page()
    page.goto(f"{base}/survey?token={tokens['used']}&lang=en")
    for n in range(len(catalog.topics)):
        page.locator("fieldset").nth(n).get_by_label(EN["dont_know"]).check()
    page.get_by_role("button", name=EN["submit"]).click()
    expect(page.get_by_text(EN["thanks"])).to_be_visible()
    found["thanks"] = violations(page)
    page.goto(f"{base}/survey?token={tokens['used']}")
    found["used"] = violations(page)
    assert {state: v for state, v in found.items() if v} == {}
    assert len(found) == 10
