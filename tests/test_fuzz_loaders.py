"""Property-based tests of the method and catalog loaders: whatever a file holds, it either loads
or is refused with the documented error (`MethodError`, `CatalogError`) whose every problem names
the file; never another exception. (The importers' own properties: test_import_properties.py.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.method import MethodConfig, MethodError, load_method_file
from survey.catalog import DEFAULT_CATALOG_DIR, Catalog, CatalogError, load_catalog

pytestmark = pytest.mark.slow

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CATALOG_FILES = [
    "topics.csv",
    "groups.csv",
    "channels.csv",
    "focus_areas.csv",
    "dimensions.csv",
    "scale.yaml",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["jenks", "kmeans", "gmm", "thresholds", "quantiles", "explicit", "equal", "full"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
METHOD_FIELDS = [
    "group_weighting",
    "group_weights",
    "tiering",
    "interval_level",
    "resamples",
    "seed",
    "min_group_size",
    "minority_gap",
    "top_box_points",
    "fingerprint",
    "toolkit_version",
]
TIERING_FIELDS = ["method", "n_tiers", "thresholds", "quantiles", "n_init", "covariance_type"]
method_documents = st.one_of(
    values,
    st.dictionaries(
        st.sampled_from(METHOD_FIELDS),
        st.one_of(values, st.dictionaries(st.sampled_from(TIERING_FIELDS), values, max_size=6)),
        max_size=8,
    ),
)
raw_text = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.sampled_from(list("{}[]:-,'\"&*!|>#%@` \n\tab1.中\x00\x85\ufeff")), max_size=80),
)


def assert_names_file(error: Exception, path: Path) -> None:
    problems = getattr(error, "problems", None)
    assert problems, f"{type(error).__name__} without problems: {error}"
    for problem in problems:
        assert problem.startswith(str(path)), problem


@FUZZ
@given(document=method_documents)
def test_any_yaml_method_file_loads_or_is_refused_by_name(tmp_path_factory, document):
    path = tmp_path_factory.mktemp("method") / "method.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    try:
        assert isinstance(load_method_file(path), MethodConfig)
    except MethodError as error:
        assert_names_file(error, path)


@FUZZ
@given(text=raw_text, encoding=st.sampled_from(["utf-8", "utf-16", "latin-1"]))
def test_any_text_as_a_method_file_loads_or_is_refused_by_name(tmp_path_factory, text, encoding):
    path = tmp_path_factory.mktemp("method") / "method.yaml"
    path.write_bytes(text.encode(encoding, errors="replace"))
    try:
        assert isinstance(load_method_file(path), MethodConfig)
    except MethodError as error:
        assert_names_file(error, path)


def mutated(original: str, data: st.DataObject) -> str:
    """The file with a few lines changed: cells replaced, lines dropped, doubled or cut."""
    lines = original.splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 4))):
        if not lines:
            break
        i = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["cell", "drop", "double", "cut", "junk"]))
        if action == "cell":
            cells = lines[i].rstrip("\n").split(",")
            j = data.draw(st.integers(0, len(cells) - 1))
            cells[j] = data.draw(raw_text)
            lines[i] = ",".join(cells) + "\n"
        elif action == "drop":
            del lines[i]
        elif action == "double":
            lines.insert(i, lines[i])
        elif action == "cut":
            lines[i] = lines[i][: data.draw(st.integers(0, len(lines[i])))]
        else:
            lines.insert(i, data.draw(raw_text) + "\n")
    return "".join(lines)


@FUZZ
@given(data=st.data(), name=st.sampled_from(CATALOG_FILES), raw=st.booleans())
def test_a_damaged_catalog_loads_or_is_refused_by_file(tmp_path_factory, data, name, raw):
    folder = tmp_path_factory.mktemp("catalog")
    for file in CATALOG_FILES:
        shutil.copy(DEFAULT_CATALOG_DIR / file, folder / file)
    original = (DEFAULT_CATALOG_DIR / name).read_text(encoding="utf-8")
    damaged = data.draw(raw_text) if raw else mutated(original, data)
    (folder / name).write_bytes(damaged.encode("utf-8", errors="surrogatepass"))
    try:
        assert isinstance(load_catalog(folder), Catalog)
    except CatalogError as error:
        assert_names_file(error, folder)


@FUZZ
@given(document=values, labels=values)
def test_any_scale_file_loads_or_is_refused_by_name(tmp_path_factory, document, labels):
    folder = tmp_path_factory.mktemp("catalog")
    for file in CATALOG_FILES:
        shutil.copy(DEFAULT_CATALOG_DIR / file, folder / file)
    if isinstance(document, dict):
        document = {**document, "labels": labels}
    (folder / "scale.yaml").write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    try:
        assert isinstance(load_catalog(folder), Catalog)
    except CatalogError as error:
        assert_names_file(error, folder / "scale.yaml")


@FUZZ
@given(data=st.data())
def test_a_damaged_topic_file_loads_or_is_refused_by_name(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("topics") / "our_topics.csv"
    original = (DEFAULT_CATALOG_DIR / "topics.csv").read_text(encoding="utf-8")
    path.write_text(mutated(original.replace("name_en", "name"), data), encoding="utf-8")
    try:
        assert isinstance(load_catalog(path), Catalog)
    except CatalogError as error:
        assert_names_file(error, path)
