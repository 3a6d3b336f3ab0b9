"""Every conditional sentence of the disclosure is printed exactly when its condition holds."""

from __future__ import annotations

import dataclasses

import pytest
from report_fixtures import demo_database, demo_result

from analysis.channels import channel_stats_from
from render.disclosure import (
    agreement_section,
    alpha_text,
    changes_section,
    disclosure_sections,
    tiers_section,
    weighting_section,
)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return demo_result(demo_database(tmp_path_factory.mktemp("conditions")))


def text_of(section) -> str:
    return " ".join(section.paragraphs)


def with_method(result, **fields):
    return dataclasses.replace(result, method={**result.method, **fields})


def test_draws_are_called_draws_not_resamples(result):
    everything = " ".join(text_of(s) for s in disclosure_sections(result, channel_stats_from(result.data)))
    assert "resample" not in everything
    assert "normal-approximation draws" in text_of(tiers_section(result))
    assert "Student's t" in text_of(weighting_section(result))
    assert "not resamples" in result.method["draws"]


@pytest.mark.parametrize(
    "alpha, w, expected, absent",
    [
        (0.85, 0.9, "largely agree", "differ widely"),
        (0.7, 0.9, "agree moderately", "far more than the group averages"),
        (0.3, 0.8, "differ widely", "largely"),
        (0.3, 0.4, "differ widely", "far more than the group averages"),
    ],
)
def test_the_alpha_sentence_follows_alpha(result, alpha, w, expected, absent):
    assert expected in alpha_text(alpha, w) and absent not in alpha_text(alpha, w)
    agreement = dataclasses.replace(result.agreement, krippendorff_alpha_interval=alpha, kendall_w=w)
    text = text_of(agreement_section(dataclasses.replace(result, agreement=agreement)))
    assert expected in text and absent not in text
    if alpha < 0.667 and w >= alpha + 0.2:
        assert "far more than the group averages do" in text


def test_like_for_like_only_when_groups_and_weights_match(result):
    assert result.method["comparison"]["weights_rescaled"]
    assert "like for like" not in text_of(changes_section(result))
    same = with_method(
        result, comparison={**result.method["comparison"], "weights_rescaled": False, "groups_only_now": []}
    )
    assert "so the comparison is like for like" in text_of(changes_section(same))


def test_minority_sentence_only_with_flags(result):
    assert result.groups["minority"].any()
    assert "beyond chance" in text_of(agreement_section(result))
    calm = dataclasses.replace(result, groups=result.groups.assign(minority=False))
    assert "beyond chance" not in text_of(agreement_section(calm))


def test_natural_break_sentence_follows_the_test(result):
    found = with_method(
        result, natural_break={"gvf": 0.9, "p_value": 0.002, "natural_break": True, "draws": 999}
    )
    none = with_method(
        result, natural_break={"gvf": 0.7, "p_value": 0.4, "natural_break": False, "draws": 999}
    )
    assert "do have a natural break" in text_of(tiers_section(found))
    assert "no clear natural break" in text_of(tiers_section(none))
    fixed = with_method(result, natural_break=None)
    fixed_text = text_of(tiers_section(fixed))
    assert "have a natural break" not in fixed_text and "no clear natural break" not in fixed_text


def test_not_material_sentence_only_with_a_threshold(result):
    assert "is not material when even the upper end" in text_of(tiers_section(result))
    without = with_method(result, threshold_record=None)
    assert "not material" not in text_of(tiers_section(without))
