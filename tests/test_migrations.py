"""Opening an older database upgrades its schema and keeps its data."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from survey.db import MIGRATIONS_DIR, _alembic_config, create_db_engine, head_revision, schema_revision
from survey.models import Base


def test_fresh_database_gets_the_whole_schema(engine):
    assert schema_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {
        "assessment",
        "topic",
        "stakeholder_group",
        "channel",
        "focus_area",
        "response",
        "rating",
        "rating_histogram",
        "rating_moment",
        "alembic_version",
    } <= tables


def test_older_database_is_upgraded_on_open(db_url):
    revisions = [r.revision for r in ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions()][::-1]
    first = revisions[0]
    old = create_db_engine(db_url, upgrade=False)
    command.upgrade(_alembic_config(old), first)
    assert schema_revision(old) == first
    with old.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO assessment (key, year, name, status, scale_min, scale_max, scale_labels, "
                "revision, created_at) "
                "VALUES ('2018', 2018, 'Old', 'closed', 1, 5, '{}', 0, CURRENT_TIMESTAMP)"
            )
        )
    old.dispose()
    upgraded = create_db_engine(db_url)
    assert schema_revision(upgraded) == head_revision()
    with upgraded.connect() as connection:
        assert (
            connection.execute(text("SELECT name FROM assessment WHERE key = '2018'")).scalar_one() == "Old"
        )
    upgraded.dispose()


def test_the_tables_are_the_ones_the_migrations_create(engine):
    """`survey.models` declares the schema the migrations build, on both backends."""
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
