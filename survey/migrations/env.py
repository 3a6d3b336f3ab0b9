"""Alembic environment: migrations run on the engine handed over by `survey.db`."""

from alembic import context

from survey.db import create_db_engine
from survey.models import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    """On SQLite a batch migration rebuilds a table (copy, drop, rename). With foreign keys on,
    dropping the old table would delete the rows that refer to it (ON DELETE CASCADE), so they are
    off while the migrations run (SQLite ignores the pragma inside a transaction: it is set before
    one begins) and checked before they are on again."""
    engine = context.config.attributes.get("engine")
    if engine is None:
        engine = create_db_engine(context.config.get_main_option("sqlalchemy.url"), upgrade=False)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")
        try:
            context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=sqlite)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration left rows that point nowhere: {broken[:5]}")
            connection.commit()
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys = ON")


run_migrations()
