"""Rows that readers tell apart by name must have distinct display names: an assessment file whose
groups share one name is refused before anything is written (it once made `run` fail with "The
truth value of a Series is ambiguous" after writing 5 of 14 files), and so are catalogs."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest
from typer.testing import CliRunner

from cli import app
from survey.assessments import create_assessment
from survey.backup import BackupError, export_assessment, read_assessment_file
from survey.catalog import DEFAULT_CATALOG_DIR, CatalogError, load_catalog
from survey.db import create_db_engine, transaction
from survey.demo import create_demo
from survey.errors import StoreError
from survey.models import Assessment
from tests.import_helpers import database_snapshot

runner = CliRunner()


@pytest.fixture
def demo(tmp_path, catalog):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = create_db_engine(url)
    with transaction(engine) as session:
        create_demo(session=session, catalog=catalog)
    yield url, engine
    engine.dispose()


def test_an_assessment_file_whose_groups_share_a_name_is_refused(demo, tmp_path):
    url, engine = demo
    with transaction(engine, write=False) as session:
        document = export_assessment(session=session, assessment_key="2020")
    for group in document["groups"]:
        group["name_en"] = "Stakeholders"
    document["assessment"]["key"] = "2020b"
    path = tmp_path / "same-names.json"
    path.write_text(json.dumps(document))
    with pytest.raises(BackupError) as caught:
        read_assessment_file(path)
    message = str(caught.value)
    assert message.startswith("same-names.json: groups '")
    assert "share the display name 'Stakeholders'; each needs its own name" in message
    before = database_snapshot(engine)
    result = runner.invoke(app, ["import-assessment", str(path), "--db", url])
    assert result.exit_code == 1
    assert "share the display name 'Stakeholders'" in result.output
    assert database_snapshot(engine) == before


def test_names_differing_only_in_case_or_spacing_clash(catalog, tmp_path):
    topics = list(catalog.topics)
    topics[1] = dataclasses.replace(topics[1], name_en="  " + topics[0].name_en.upper() + " ")
    clashing = dataclasses.replace(catalog, topics=topics)
    engine = create_db_engine(f"sqlite:///{tmp_path / 'm.db'}")
    with (
        pytest.raises(
            StoreError, match=f"topics '{topics[0].key}' and '{topics[1].key}' share the display name"
        ),
        transaction(engine) as session,
    ):
        create_assessment(session=session, key="2021", year=2021, catalog=clashing)
    with transaction(engine, write=False) as session:
        assert session.query(Assessment).count() == 0


def test_a_catalog_folder_with_two_channels_of_one_name_is_refused(tmp_path):
    folder = tmp_path / "catalog"
    shutil.copytree(DEFAULT_CATALOG_DIR, folder, ignore=shutil.ignore_patterns("*.py"))
    channels = folder / "channels.csv"
    lines = channels.read_text(encoding="utf-8").splitlines()
    lines.append(lines[1])
    channels.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    assert "channels of group" in str(caught.value) and "share the display name" in str(caught.value)
