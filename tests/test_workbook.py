"""The Excel workbook: sheets, values and formats read back with openpyxl, and no formula anywhere
even when names are formulas."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from openpyxl import load_workbook
from report_fixtures import (
    HOSTILE_CHANNEL,
    HOSTILE_GROUPS,
    HOSTILE_TOPICS,
    demo_database,
    demo_result,
    hostile_result,
    load,
    tracked_channel_stats,
)

from analysis.channels import channel_stats_from
from analysis.pipeline import analyse
from core.textsafety import FORMULA_PREFIXES
from render.workbook import workbook_bytes

SHEETS = [
    "Topics",
    "Groups",
    "Group detail",
    "Agreement",
    "Changes",
    "Focus vs ratings",
    "Responses",
    "Method",
    "Disclosure",
]


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return demo_database(tmp_path_factory.mktemp("workbook"))


@pytest.fixture(scope="module")
def result(demo_url):
    return demo_result(demo_url)


@pytest.fixture(scope="module")
def book(result):
    payload = workbook_bytes(result, channel_stats_from(result.data))
    return load_workbook(io.BytesIO(payload))


def test_topics_sheet_ranked_with_formats(book, result):
    assert book.sheetnames == SHEETS
    ws = book["Topics"]
    assert ws["A1"].value == "Material topics 2020, ranked" and ws["A1"].font.bold
    header = [c.value for c in ws[4]]
    assert header[:7] == ["Rank", "Topic", "Key", "Category", "Tier", "P(tier)", "Stakeholder importance"]
    assert ws.freeze_panes == "C5"
    assert ws.auto_filter.ref == "A4:P20"
    rows = list(ws.iter_rows(min_row=5, values_only=True))
    assert len(rows) == 16
    for row, topic in zip(rows, result.topics.sort_values("rank").itertuples(index=False), strict=True):
        assert (
            row[0] == topic.rank and row[1] == topic.name and row[2] == topic.topic and row[4] == topic.tier
        )
        assert row[5] == pytest.approx(topic.p_tier)
        assert row[6] == pytest.approx(topic.stakeholder_importance)
        assert row[9] == pytest.approx(topic.business_significance)
        assert row[14] == topic.n_respondents
    assert ws["F5"].number_format == "0%" and ws["G5"].number_format == "0.00"
    assert ws["E5"].fill.fgColor.rgb.endswith("FBE3D6")  # high
    assert ws["E20"].fill.fgColor.rgb.endswith("D9E8F5")  # material
    assert ws.page_setup.orientation == "landscape"


def test_groups_sheet_marks_suppressed_and_minority(demo_url):
    earlier = analyse(load(demo_url, "2019"))  # media and NGOs: 4 respondents
    book = load_workbook(io.BytesIO(workbook_bytes(earlier, channel_stats_from(earlier.data))))
    ws = book["Groups"]
    header = [c.value for c in ws[4]]
    assert header[:3] == ["Rank", "Topic", "Public institutions and regulators"]
    assert header[-1] == "Management and internal assessors (business)"
    media = header.index("Media and NGOs") + 1
    groups = earlier.groups.set_index(["group", "topic"])
    for i, topic in enumerate(earlier.topics.sort_values("rank").itertuples(index=False), start=5):
        cell = ws.cell(row=i, column=media)
        assert cell.value == f"n={groups.at[('media_ngos', topic.topic), 'n']}"
        assert cell.font.italic
        clients = ws.cell(row=i, column=header.index("Clients") + 1)
        assert clients.value == pytest.approx(groups.at[("clients", topic.topic), "mean"])
        assert clients.number_format == "0.00"
    flagged = earlier.groups[earlier.groups["minority"]]
    assert len(flagged)
    names = earlier.data.groups.set_index("group")["name"]
    rows = {name: r for r, name in enumerate((c.value for c in ws["B"]), start=1)}
    topic_names = earlier.topics.set_index("topic")["name"]
    for row in flagged.itertuples(index=False):
        cell = ws.cell(row=rows[topic_names[row.topic]], column=header.index(names[row.group]) + 1)
        assert cell.fill.fgColor.rgb.endswith("FFE0B2") and cell.font.bold


def test_changes_agreement_method_and_disclosure(book, result):
    ws = book["Changes"]
    assert ws["A1"].value == "Changes since 2019"
    rows = list(ws.iter_rows(min_row=5, values_only=True))
    assert len(rows) == len(result.changes)
    talent = next(r for r in rows if r[0] == "Talent attraction")
    change = result.changes.set_index("name").loc["Talent attraction"]
    assert talent[1:5] == ("kept", change["tier_previous"], change["tier"], "yes")
    assert talent[7] == change["rank_change"]
    climate = next(r for r in rows if r[0] == "Climate change")
    assert climate[1] == "added" and climate[5] is None

    ws = book["Agreement"]
    assert ws["B5"].value == pytest.approx(result.agreement["kendall_w"])
    correlations = [
        row for row in ws.iter_rows(values_only=True) if row[0] == "Public institutions and regulators"
    ]
    assert correlations[-1][2] == pytest.approx(
        result.agreement["group_correlations"]["regulators|investors"]
    )

    ws = book["Method"]
    settings = {row[0]: row[1] for row in ws.iter_rows(min_row=5, values_only=True)}
    assert settings["fingerprint"] == result.method["fingerprint"]
    assert settings["tiering.method"] == "jenks"
    assert settings["group_weights.clients"] == pytest.approx(100 / 7)

    text = "\n".join(str(c.value) for c in book["Disclosure"]["A"] if c.value)
    assert "Stakeholders consulted" in text and "Product quality" in text


def test_responses_sheet_by_group_and_channel(result):
    tracked = tracked_channel_stats(result.data, {("clients", "Satisfaction survey"): (100, 20)})
    book = load_workbook(io.BytesIO(workbook_bytes(result, channel_stats_from(result.data, tracked))))
    ws = book["Responses"]
    values = list(ws.iter_rows(values_only=True))
    total = next(r for r in values if r[0] == "Total")
    assert total[4] == int(result.data.responses["n_responses"].sum())
    clients = next(r for r in values if r[0] == "Clients" and r[1] == "all channels")
    assert clients[3] == 100 and clients[5] == pytest.approx(0.2)
    employees = next(r for r in values if r[0] == "Employees" and r[1] == "all channels")
    assert employees[3] == "not tracked" and employees[5] is None
    survey = next(r for r in values if r[1] == "Satisfaction survey")
    expected = result.data.responses.query("channel == 'Satisfaction survey'")["n_responses"].sum()
    assert survey[3:] == (100, expected, pytest.approx(0.2))


def test_hostile_names_never_become_formulas(tmp_path):
    hostile = hostile_result(demo_database(tmp_path))
    payload = workbook_bytes(hostile, channel_stats_from(hostile.data))
    # no formula element anywhere in the file
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<(\w+:)?f[ >]", archive.read(name)), name
    book = load_workbook(io.BytesIO(payload))
    seen = set()
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate}"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_PREFIXES), f"{ws.title}!{cell.coordinate}"
                    seen.add(cell.value)
    assert "'" + HOSTILE_TOPICS["customer_service"] in seen
    assert "'" + HOSTILE_TOPICS["emissions"] in seen
    assert "'" + HOSTILE_GROUPS["clients"] in seen
    assert "'" + HOSTILE_CHANNEL[2] in seen
    assert HOSTILE_TOPICS["privacy_data_security"] in seen  # markup is just text in a spreadsheet
