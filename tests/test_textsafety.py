import pandas as pd

from core.textsafety import neutralise_formula, neutralise_frame


def test_formula_prefixes_are_neutralised():
    for text in ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=x", "\r=x", '=HYPERLINK("http://x")']:
        assert neutralise_formula(text) == "'" + text


def test_plain_text_and_numbers_pass():
    assert neutralise_formula("Climate change") == "Climate change"
    assert neutralise_formula(-3) == -3
    assert neutralise_formula(2.5) == 2.5
    assert neutralise_formula(None) is None


def test_frame_text_columns_only():
    frame = pd.DataFrame({"name": ["=cmd|' /C calc'!A0", "ok"], "value": [-1.0, 2.0]})
    out = neutralise_frame(frame)
    assert out["name"].tolist() == ["'=cmd|' /C calc'!A0", "ok"]
    assert out["value"].tolist() == [-1.0, 2.0]
    assert frame["name"].iloc[0].startswith("=")  # the input is not modified


def test_markdown_literal_renders_as_the_same_text():
    from html import escape

    from markdown_it import MarkdownIt

    from core.textsafety import markdown_literal

    # markdown-it-py: a CommonMark renderer, as Markdown viewers and Streamlit follow CommonMark
    renderer = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    for text in [
        "[click](http://evil.example)",
        "<script>alert(1)</script>",
        "**bold** _x_ `code`",
        ":red[alert] $x^2$",
        "www.evil.example",
        "# heading",
        "a & b",
    ]:
        html = renderer.render(markdown_literal(text))
        assert "<a " not in html and "<script" not in html and "<strong>" not in html and "<h1>" not in html
        assert html == f"<p>{escape(text, quote=False)}</p>\n"
