"""Text at the edges: NUL and control characters never reach the database (PostgreSQL refuses
NUL), bidirectional overrides are removed on the way in and out, the spreadsheet formula guard
sees through leading blanks and full-width signs, and a name never becomes a link in the app."""

from __future__ import annotations

import io
from html import escape

import openpyxl
import pandas as pd
import pytest
from markdown_it import MarkdownIt
from sqlalchemy import select, text

from core.formats import csv_text
from core.textsafety import markdown_literal, neutralise_formula, plain_text, storable_column, storable_rows
from survey.assessments import create_assessment, set_status
from survey.db import transaction
from survey.issuing import issue_invitations
from survey.models import Comment
from survey.responding import Answers, submit

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


@pytest.mark.parametrize(
    "value",
    [
        " =1+1",
        '   =HYPERLINK("http://evil.example")',
        "\t=1",
        "\r=1",
        "\n=1",
        "\u00a0=1",
        "\u3000@SUM(A1)",
        "\uff1d1+1",  # FULLWIDTH EQUALS SIGN
        "\uff0b1",
        "\uff0d1",
        "\uff20SUM(A1)",
        " \uff1d1",
        "=1+1",
        "-2+3",
    ],
)
def test_the_formula_guard_sees_through_blanks_and_full_width_signs(value):
    assert neutralise_formula(value) == "'" + value


def test_the_guard_leaves_plain_text_and_removes_hidden_characters():
    assert neutralise_formula("a = b") == "a = b"
    assert neutralise_formula("Climate change") == "Climate change"
    assert neutralise_formula(f"{RLO}=1+1") == "'=1+1"  # an override cannot hide the sign
    assert neutralise_formula(f"abc{RLO}txt.exe") == "abctxt.exe"
    out = csv_text(pd.DataFrame({"name": [" =1+1", "\uff1d2", f"x{RLO}y"], "v": [1.0, 2.0, 3.0]}))
    assert out.splitlines()[1:] == ["' =1+1,1.000000", "'\uff1d2,2.000000", "xy,3.000000"]


def test_plain_text_keeps_line_breaks_and_every_script():
    hidden = "".join(chr(c) for c in [*range(0, 9), 11, 12, *range(14, 32), 127])
    assert plain_text(f"a{hidden}b") == "ab"
    assert plain_text("".join(BIDI) + "x") == "x"
    kept = "line\tone\r\nline two 员工 مرحبا שלום \u200f"
    assert plain_text(kept) == kept


def test_rows_and_columns_for_the_database():
    clean = [(1, "a", None), (2, "b", 3)]
    assert storable_rows(clean) is clean
    assert storable_rows([(1, "a\x00b"), (2, f"c{RLO}")]) == [(1, "ab"), (2, "c")]
    assert storable_rows([{"x": "\x07y"}]) == [{"x": "y"}]
    column = [1, 2, None]
    assert storable_column(column) is column
    assert storable_column(["ok", "n\x00ul", None]) == ["ok", "nul", None]


def test_a_nul_in_a_comment_is_stored_without_it(engine, catalog):
    """Before: PostgreSQL refused the submission ("A string literal cannot contain NUL")."""
    with transaction(engine) as session:
        create_assessment(session=session, key="2021", year=2021, catalog=catalog)
        set_status(session=session, key="2021", status="open")
        links = issue_invitations(session=session, assessment_key="2021", group="clients", count=1)
    topic = catalog.topics[0].key
    with transaction(engine) as session:
        submit(
            session=session,
            token=links[0].token,
            answers=Answers(
                ratings={t.key: 4 for t in catalog.topics},
                comments={topic: f"fine\x00 but\x1b[31m {RLO}gnp.exe"},
                suggestion="more\x00 please",
            ),
        )
    with transaction(engine, write=False) as session:
        stored = sorted(session.scalars(select(Comment.text)).all())
        raw = session.execute(text("SELECT text FROM comment")).scalars().all()
    assert stored == ["fine but[31m gnp.exe", "more please"]
    assert not any("\x00" in t or RLO in t for t in raw)


def test_names_never_become_links_or_reorder_in_the_app():
    renderer = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    for name in [
        "http://evil.example/login",
        "www.evil.example",
        f"Report {RLO}fdp.exe",
        "<http://x.example>",
    ]:
        shown = markdown_literal(name)
        assert "http://" not in shown and "www." not in shown  # no autolink literal to find
        html = renderer.render(shown)
        assert "<a " not in html
        assert html == f"<p>{escape(plain_text(name), quote=False)}</p>\n"


def test_workbook_cells_are_guarded(tmp_path):
    from render.workbook import plain  # the function every cell of the report workbook passes through

    book = openpyxl.Workbook()
    book.active.append([plain(" =1+1"), plain("\uff1d1"), plain(f"a{RLO}b")])
    buffer = io.BytesIO()
    book.save(buffer)
    row = next(openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active.iter_rows(values_only=True))
    assert row == ("' =1+1", "'\uff1d1", "ab")
