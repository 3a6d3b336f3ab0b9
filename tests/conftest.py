"""Fresh databases for every test: a real SQLite file, and PostgreSQL when
MATERIALITY_TEST_POSTGRES_URL is set (`.ci/run` sets it), each test in its own schema."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from survey.catalog import Catalog, load_catalog
from survey.db import create_db_engine, normalise_url
from survey.settings import Settings

BACKENDS = ["sqlite", "postgres"]


def postgres_url() -> str | None:
    url = Settings().test_postgres_url
    return normalise_url(url) if url else None


def _sqlite_engine(tmp_path: Path) -> Engine:
    return create_db_engine(f"sqlite:///{tmp_path / 'materiality.db'}")


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    """A URL whose connections use a fresh, empty schema (dropped afterwards)."""
    url = postgres_url()
    if url is None:
        pytest.skip("MATERIALITY_TEST_POSTGRES_URL is not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'materiality.db'}"
    return request.getfixturevalue("postgres_schema_url")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    engine = create_db_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = _sqlite_engine(tmp_path)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


_PROCESS_WORDS = ("AppTest", "subprocess", "Popen")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark `app` the tests of modules that drive the Streamlit app (AppTest) or start other
    processes, so that the inner loop can leave them out (`-m "not slow and not browser and not app"`)."""
    uses_processes: dict[Path, bool] = {}
    for item in items:
        path = Path(str(item.fspath))
        if path not in uses_processes:
            source = path.read_text(encoding="utf-8") if path.suffix == ".py" else ""
            uses_processes[path] = any(word in source for word in _PROCESS_WORDS)
        if uses_processes[path]:
            item.add_marker(pytest.mark.app)
