"""Settings in one place. Nothing else in the toolkit reads the environment."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///materiality.db"


class Settings(BaseSettings):
    """Read from `MATERIALITY_*` environment variables (or a `.env` file)."""

    model_config = SettingsConfigDict(env_prefix="MATERIALITY_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL; a SQLite file by default, postgresql+psycopg://... for PostgreSQL.",
    )
    base_url: str = Field(
        default="http://localhost:8501",
        description="Public address of the app, used to build survey links.",
    )
    admin_password: str | None = Field(
        default=None, description="Committee password; generated on first start when unset."
    )
    db_pool_size: int = Field(
        default=10, ge=1, le=1000, description="PostgreSQL connections kept per app or CLI process."
    )
    test_postgres_url: str | None = Field(
        default=None, description="PostgreSQL URL the test suite also runs the store tests on."
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
