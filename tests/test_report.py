"""The report pack: the files `write_report_pack` and `materiality run` write, their contents, the
methodology disclosure, offline-only HTML, and hostile names kept as text."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image
from report_fixtures import (
    HOSTILE_FOCUS,
    HOSTILE_TOPICS,
    demo_database,
    demo_result,
    hostile_result,
    tracked_channel_stats,
)
from typer.testing import CliRunner

import render.workbook
from analysis.channels import channel_stats_from
from cli import app
from cli.results import write_report_pack
from render.disclosure import disclosure_markdown, disclosure_sections
from render.pack import PACK_FILES
from render.vega import script_json
from survey.assessments import set_status
from survey.db import create_db_engine, transaction
from survey.issuing import issue_invitations
from survey.reads import load_assessment_data
from survey.responding import Answers, submit
from survey.tracking import tracking

SVG = "{http://www.w3.org/2000/svg}"
EXTERNAL = re.compile(
    r"<(script|link|img|iframe|source|embed)\b[^>]*\b(src|href)\s*=\s*[\"']?\s*(https?:)?//", re.I
)


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return demo_database(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def result(demo_url):
    return demo_result(demo_url)


@pytest.fixture(scope="module")
def pack(result, tmp_path_factory):
    out = tmp_path_factory.mktemp("pack")
    return write_report_pack(result, out, channel_stats_from(result.data)), out


def chart_specs(html: str) -> dict[str, dict]:
    blocks = re.findall(r'<script type="application/json" data-chart="([^"]+)">(.*?)</script>', html, re.S)
    return {name: json.loads(text) for name, text in blocks}


def svg_texts(path: Path) -> list[str]:
    root = ET.parse(path).getroot()
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


def test_pack_files_and_their_formats(pack, result):
    written, out = pack
    assert sorted(p.name for p in written.files) == sorted(PACK_FILES)
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no staging leftovers
    texts = svg_texts(out / "matrix.svg")
    for name in result.topics["name"]:
        assert name.split()[0] in " ".join(texts)
    assert "Materiality matrix 2020" in texts
    assert "Product quality (not a topic)" in svg_texts(out / "channel_map.svg")
    heat = svg_texts(out / "heatmap.svg")
    assert "Employee health and safety" in heat and "4.0 \u25b2" in heat
    image = Image.open(out / "matrix.png")
    assert image.format == "PNG" and image.size[0] > 1400 and image.size[1] > 1300  # drawn at twice the size
    for name in ("matrix.html", "channel_map.html"):
        html = (out / name).read_text(encoding="utf-8")
        assert not EXTERNAL.search(html)
        assert len(chart_specs(html)) == 1 and "vegaEmbed" in html


def test_report_html_is_self_contained_with_every_part(pack, result):
    _, out = pack
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "window.vegaEmbed=" in html  # the Vega libraries are inside the file
    specs = chart_specs(html)
    assert set(specs) == {"chart-matrix", "chart-channel-map", "chart-heatmap"}
    assert specs["chart-matrix"]["title"]["text"] == "Materiality matrix 2020"
    for heading in (
        "Materiality matrix",
        "Topics by rank",
        "Changes since 2019",
        "Stakeholders and channels",
        "Where declared focus areas and ratings disagree",
        "Responses by group",
        "Groups and agreement",
        "Methodology disclosure",
        "Method record",
    ):
        assert f">{heading}<" in html, heading
    ranked = list(result.topics.sort_values("rank")["name"])
    positions = [html.index(f"<td>{name}</td>") for name in ranked]
    assert positions == sorted(positions)
    assert result.method["fingerprint"] in html


def test_disclosure_states_the_facts_of_the_run(result):
    stats = channel_stats_from(result.data)
    sections = {s.heading: s for s in disclosure_sections(result, stats)}
    text = {h: " ".join(s.paragraphs) for h, s in sections.items()}
    stakeholders = result.data.responses[result.data.responses["group"] != "management"]["n_responses"].sum()
    assert "asked 7 stakeholder groups how important each of 16 topics is" in text["Stakeholders consulted"]
    assert f"{stakeholders} stakeholders responded" in text["Stakeholders consulted"]
    assert "response rates cannot be stated" in text["Stakeholders consulted"]
    table = sections["Stakeholders consulted"].table
    assert list(table["Group"])[:2] == ["Public institutions and regulators", "Shareholders and investors"]
    assert "Clients: Official website (33)" in " ".join(sections["Engagement channels"].paragraphs)
    assert "1 = Not important" in text["Questions and rating scale"]
    assert "Every stakeholder group counts equally" in text["How the scores were computed"]
    assert "(each group 14.3%)" in text["How the scores were computed"]
    assert f"combined score of {result.thresholds[0]:.2f}" in text["How the tiers were drawn"]
    assert "natural breaks (Jenks)" in text["How the tiers were drawn"]
    stable = int((result.topics["p_tier"] >= 0.95).sum())
    assert f"{stable} of 16 topics stayed in their tier" in text["How the tiers were drawn"]
    high = "; ".join(result.topics.loc[result.topics["tier"] == "high"].sort_values("rank")["name"])
    assert f"High (7): {high}." in text["Material topics"]
    assert (
        "Kendall's W, which measures how alike the stakeholder groups rank the topics, is "
        in text["Agreement between stakeholder groups"]
    )
    assert f"{result.agreement['kendall_w']:.2f}" in text["Agreement between stakeholder groups"]
    assert "Clients: Product quality" in text["Agreement between stakeholder groups"]
    changes = text["Changes since the previous assessment"]
    assert "New topics since 2019: Climate change." in changes
    moved = result.changes[result.changes["tier_changed"]]
    for row in moved.itertuples(index=False):
        assert f"{row.name} ({row.tier_previous} \u2192 {row.tier})" in changes


def test_disclosure_with_tracked_links_and_without_previous(demo_url):
    first = demo_result(demo_url, previous=False)
    links = {
        (group, channel): (40, 10)
        for group, channel in first.data.channels[["group", "channel"]].itertuples(index=False)
        if group != "management"
    }
    stats = channel_stats_from(first.data, tracked_channel_stats(first.data, links))
    sections = {s.heading: s for s in disclosure_sections(first, stats)}
    consulted = " ".join(sections["Stakeholders consulted"].paragraphs)
    assert (
        f"We issued {40 * len(links)} survey links to stakeholders; the overall response rate was 25%."
        in consulted
    )
    assert list(sections["Stakeholders consulted"].table["Response rate"])[:7] == ["25%"] * 7
    assert " ".join(sections["Changes since the previous assessment"].paragraphs).startswith(
        "This is the first assessment on record"
    )


def test_hostile_names_stay_text(tmp_path):
    hostile = hostile_result(demo_database(tmp_path))
    out = tmp_path / "pack"
    write_report_pack(hostile, out, channel_stats_from(hostile.data))
    html = (out / "report.html").read_text(encoding="utf-8")
    # no markup from names: neither the script nor the image nor the svg handler survives as a tag
    assert "<script>window.__pwned" not in html and "<img src=x" not in html and "<svg onload" not in html
    assert "&lt;/script&gt;&lt;script&gt;window.__pwned = 1&lt;/script&gt;Privacy" in html
    assert "&lt;img src=x onerror=&quot;window.__pwned = 2&quot;&gt; Ethics &amp; &#x27;quotes&#x27;" in html
    # inside the chart data the names are JSON with <, > and & escaped, and read back unchanged
    for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S):
        assert "<" not in block and ">" not in block
    names = json.dumps(chart_specs(html)["chart-matrix"], ensure_ascii=False)
    assert json.dumps(HOSTILE_TOPICS["privacy_data_security"], ensure_ascii=False)[1:-1] in names
    # in the SVG files names are text nodes; nothing can run
    for svg in ("matrix.svg", "channel_map.svg", "heatmap.svg"):
        root = ET.parse(out / svg).getroot()
        assert not list(root.iter(f"{SVG}script")) and not list(root.iter(f"{SVG}foreignObject"))
        for node in root.iter():
            assert not any(attribute.startswith("on") for attribute in node.attrib), svg
    matrix = "".join("".join(svg_texts(out / "matrix.svg")).split())  # labels wrap over lines
    assert "".join(HOSTILE_TOPICS["privacy_data_security"].split()) in matrix
    assert any(t.startswith(HOSTILE_FOCUS[2][:40]) for t in svg_texts(out / "channel_map.svg"))  # clipped
    markdown = (out / "disclosure.md").read_text(encoding="utf-8")
    assert '&lt;svg onload="window.__pwned = 3"&gt;Product quality' in markdown and "<svg" not in markdown


def test_script_json_cannot_close_its_element():
    text = script_json({"name": "</script><!-- & \u2028"})
    assert "</" not in text and "<!--" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"name": "</script><!-- & \u2028"}


def test_markdown_escapes_table_pipes(result):
    sections = disclosure_sections(result, channel_stats_from(result.data))
    first = sections[0]
    first.table.iloc[0, 0] = "a | b"
    markdown = disclosure_markdown(sections, "Methodology")
    assert "| a \\| b |" in markdown
    assert markdown.startswith("# Methodology\n\n## Stakeholders consulted")


def test_a_failure_leaves_no_half_written_pack(result, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(render.workbook, "workbook_bytes", broken)
    with pytest.raises(OSError, match="disk full"):
        write_report_pack(result, tmp_path, channel_stats_from(result.data))
    assert list(tmp_path.iterdir()) == []


def test_materiality_run_writes_the_pack_with_tracked_links(tmp_path):
    url = demo_database(tmp_path)
    engine = create_db_engine(url)
    with transaction(engine) as session:
        set_status(session=session, key="2020", status="open")
        links = issue_invitations(
            session=session, assessment_key="2020", group="clients", count=10, channel="Satisfaction survey"
        )
    with transaction(engine) as session:
        keys = list(load_assessment_data(session=session, assessment_key="2020").topics["topic"])
    for link in links[:4]:
        with transaction(engine) as session:
            submit(session=session, token=link.token, answers=Answers(ratings={k: 4 for k in keys}))
    with transaction(engine) as session:
        set_status(session=session, key="2020", status="closed")
        row = tracking(session=session, assessment_key="2020").set_index(["group", "channel"])
        issued, submitted = row.loc[("clients", "Satisfaction survey"), ["issued", "submitted"]]
        responses = load_assessment_data(session=session, assessment_key="2020").responses
    engine.dispose()
    answered = int(
        responses.query("group == 'clients' and channel == 'Satisfaction survey'")["n_responses"].sum()
    )

    out = tmp_path / "run"
    outcome = CliRunner().invoke(app, ["run", "--assessment", "2020", "--out", str(out), "--db", url])
    assert outcome.exit_code == 0, outcome.output
    assert "Wrote the report pack: " in outcome.output
    for name in PACK_FILES:
        assert (out / name).stat().st_size > 0, name
    html = (out / "report.html").read_text(encoding="utf-8")
    survey = next(
        r
        for r in chart_specs(html)["chart-channel-map"]["datasets"].values()
        for r in r
        if r.get("channel") == "Satisfaction survey" and "stats" in r
    )
    assert survey["links_issued"] == issued and survey["responses"] == answered
    assert survey["response_rate"] == pytest.approx(submitted / issued)
    assert survey["stats"] == f"{issued} links \u00b7 {answered} responses \u00b7 {submitted / issued:.0%}"
    assert issued >= 10 and submitted >= 4  # the demo's own links and the ones issued here
