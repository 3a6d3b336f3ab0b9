"""The migration that adds the contact table and widens response languages keeps every row: on
SQLite it rebuilds the response table, which must not cascade to the ratings."""

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text

from survey.db import _alembic_config, create_db_engine, head_revision, schema_revision

NOW = datetime(2019, 5, 1, tzinfo=UTC).isoformat(sep=" ")
ROWS = {  # one row per table, as the schema of revision 0002 has them
    "assessment": dict(
        id=1, key="2019", year=2019, name="Old", status="closed", scale_min=1, scale_max=5,
        scale_labels="{}", revision=0, created_at=NOW,
    ),
    "stakeholder_group": dict(
        id=1, assessment_id=1, key="clients", position=0, kind="external", dimension_key="importance",
        default_weight=1.0, name_en="Clients", name_zh="",
    ),
    "dimension": dict(id=1, assessment_id=1, key="importance", name_en="Importance", name_zh="",
                      question_en="", question_zh=""),
    "topic": dict(id=1, assessment_id=1, key="water", position=0, category="E", name_en="Water", name_zh="",
                  description_en="", description_zh=""),
    "response": dict(id=1, assessment_id=1, group_id=1, via_open_link=False, source="web", language="en",
                     submitted_at=NOW, aggregated=False),
    "rating": dict(response_id=1, dimension_id=1, topic_id=1, value=4),
}  # fmt: skip


def test_upgrade_keeps_responses_and_ratings(db_url):
    old = create_db_engine(db_url, upgrade=False)
    command.upgrade(_alembic_config(old), "0002")
    with old.begin() as connection:
        for table, row in ROWS.items():
            names = ", ".join(row)
            connection.execute(
                text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + n for n in row)})"), row
            )
    old.dispose()

    upgraded = create_db_engine(db_url)
    assert schema_revision(upgraded) == head_revision()
    with upgraded.begin() as connection:
        assert connection.execute(text("SELECT value FROM rating")).scalars().all() == [4]
        connection.execute(text("UPDATE response SET language = 'nl-informal' WHERE id = 1"))
        assert connection.execute(text("SELECT language FROM response")).scalar_one() == "nl-informal"
        assert connection.execute(text("SELECT count(*) FROM contact")).scalar_one() == 0
        if upgraded.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    upgraded.dispose()
