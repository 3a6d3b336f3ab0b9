"""Alembic environment: migrations run on the engine handed over by `survey.db`."""

from alembic import context

from survey.db import create_db_engine
from survey.models import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    engine = context.config.attributes.get("engine")
    if engine is None:
        engine = create_db_engine(context.config.get_main_option("sqlalchemy.url"), upgrade=False)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
