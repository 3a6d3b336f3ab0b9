import pandas as pd

from analysis.textsafety import neutralise_formula, neutralise_frame


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
