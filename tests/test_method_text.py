"""The method log in sentences."""

from render.method_text import change_sentences

NAMES = {"clients": "Clients", "employees": "Employees"}


def test_changes_read_as_sentences_with_group_names_and_percentages():
    before = {"group_weighting": "equal", "tiering": {"method": "jenks", "n_tiers": 2}}
    after = {
        "group_weighting": "explicit",
        "group_weights": {"clients": 16.6667, "employees": 20.0},
        "tiering": {"method": "thresholds", "n_tiers": 2, "thresholds": [4.25]},
        "interval_level": 0.9,
    }
    sentences = change_sentences(before, after, NAMES)
    assert "Weight of Clients changed from not set to 16.7%." in sentences
    assert "Weight of Employees changed from not set to 20.0%." in sentences
    assert "Group weighting changed from every group counts equally to explicit weights." in sentences
    assert "Tiering method changed from natural breaks (Jenks) to fixed cut points." in sentences
    assert "Cut points on the combined score changed from not set to 4.25." in sentences
    assert "Level of the intervals changed from 95% to 90%." in sentences
    assert len(sentences) == 6


def test_weights_changed_between_two_saved_methods():
    before = {"group_weighting": "explicit", "group_weights": {"clients": 14.2857, "employees": 20.0}}
    after = {"group_weighting": "explicit", "group_weights": {"clients": 16.6667, "employees": 20.0}}
    assert change_sentences(before, after, NAMES) == ["Weight of Clients changed from 14.3% to 16.7%."]
    assert change_sentences(after, after, NAMES) == []
