"""The report and chart pages in headless Chromium with the network cut off: every chart draws from
the embedded libraries, no request leaves the file, and hostile names stay text (also in tooltips)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright
from report_fixtures import HOSTILE_TOPICS, demo_database, demo_result, hostile_result

from analysis.channels import channel_stats_from
from cli import write_report_pack

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("browser")
    url = demo_database(directory)
    out = {}
    for name, result in (("demo", demo_result(url)), ("hostile", hostile_result(url))):
        out[name] = directory / name
        write_report_pack(result, out[name], channel_stats_from(result.data))
    return out


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def open_offline(browser, path: Path) -> tuple[Page, list[str], list[str]]:
    """Open a local file with every non-file request refused; returns the page, the refused
    requests and the console errors."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    refused: list[str] = []
    errors: list[str] = []

    def route(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    return page, refused, errors


def test_report_draws_every_chart_offline(browser, packs):
    page, refused, errors = open_offline(browser, packs["demo"] / "report.html")
    for chart in ("chart-matrix", "chart-channel-map", "chart-heatmap"):
        page.wait_for_selector(f"#{chart}[data-rendered=yes] svg", timeout=30_000)
    # one symbol per topic in the matrix's point layer, one label each
    points = page.locator('#chart-matrix path[aria-roledescription="point"][aria-label*="Topic: "]')
    assert points.count() == 16
    labels = page.locator("#chart-matrix svg").text_content()
    assert "Privacy and data" in labels and "Use of resources" in labels
    assert "Product quality (not a topic)" in page.locator("#chart-channel-map svg").text_content()
    assert page.locator("#chart-heatmap svg g.mark-rect path").count() >= 16 * 8
    assert refused == [] and errors == []
    page.close()


def test_chart_pages_draw_offline(browser, packs):
    for name in ("matrix.html", "channel_map.html"):
        page, refused, errors = open_offline(browser, packs["demo"] / name)
        page.wait_for_selector("#chart[data-rendered=yes] svg", timeout=30_000)
        assert refused == [] and errors == [], name
        page.close()


def test_hostile_names_are_text_in_page_chart_and_tooltip(browser, packs):
    page, refused, errors = open_offline(browser, packs["hostile"] / "report.html")
    page.wait_for_selector("#chart-matrix[data-rendered=yes] svg", timeout=30_000)
    page.wait_for_selector("#chart-channel-map[data-rendered=yes] svg", timeout=30_000)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img").count() == 0  # no <img> from a topic name
    table = page.locator("table").first.inner_text()
    assert HOSTILE_TOPICS["privacy_data_security"] in table
    assert HOSTILE_TOPICS["business_ethics"] in table
    # the tooltip of the hostile point shows the name as text
    point = page.locator('#chart-matrix path[aria-roledescription="point"][aria-label*="window.__pwned = 1"]')
    assert point.count() == 1
    point.hover(force=True)
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible", timeout=10_000)
    assert HOSTILE_TOPICS["privacy_data_security"] in tooltip.inner_text()
    assert tooltip.locator("script, img").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert refused == [] and errors == []
    page.close()
