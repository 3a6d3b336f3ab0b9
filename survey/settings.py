"""Settings in one place. Nothing else in the toolkit reads the environment."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.limits import Limits

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
    max_import_bytes: int = Field(
        default=200_000_000,
        ge=1000,
        description="Largest file read from outside (an export, an upload, an assessment file or backup), "
        "and the most a workbook or gzip file may unpack to, in bytes.",
    )
    max_import_rows: int = Field(
        default=1_000_000, ge=10, description="Most rows an imported table may have."
    )
    max_import_columns: int = Field(
        default=2_000, ge=10, description="Most columns an imported table may have."
    )
    max_import_cells: int = Field(
        default=20_000_000, ge=100, description="Most cells (rows x columns) an imported table may span."
    )
    import_memory_mb: int = Field(
        default=3_000,
        ge=200,
        description="Memory (address space, MB) an import started from the app may use in its own process.",
    )
    db_busy_timeout: float = Field(
        default=30.0,
        gt=0,
        le=600,
        description="Seconds to wait for a SQLite database that another program is writing to.",
    )
    admin_password: str | None = Field(
        default=None,
        description="Password of the first admin account, made on the first start when there is no "
        "account; generated and shown once on the console when unset.",
    )
    admin_email: str = Field(
        default="admin@localhost", max_length=320, description="Address of the first admin account."
    )
    session_idle_minutes: float = Field(
        default=30.0, gt=0, le=7 * 24 * 60, description="A sign-in ends after this many minutes unused."
    )
    session_hours: float = Field(
        default=12.0, gt=0, le=24 * 90, description="A sign-in ends after this many hours in any case."
    )
    secure_cookies: bool = Field(
        default=False,
        description="Send the sign-in cookie over HTTPS only (set to true when the app is served over "
        "HTTPS, as it should be in production).",
    )
    actor: str | None = Field(
        default=None,
        max_length=320,
        description="Who the command line records in the audit trail (default: the OS user).",
    )
    db_pool_size: int = Field(
        default=10, ge=1, le=1000, description="PostgreSQL connections kept per app or CLI process."
    )
    smtp_url: str | None = Field(
        default=None,
        description="Mail server for invitations: smtp://user:password@host:587 (STARTTLS) or "
        "smtps://user:password@host:465 (TLS from the start).",
    )
    smtp_timeout: float = Field(
        default=30.0, gt=0, le=600, description="Seconds to wait for the mail server."
    )
    smtp_ca_file: str | None = Field(
        default=None, description="CA certificates (PEM) to verify the mail server with, e.g. a company CA."
    )
    mail_from: str | None = Field(
        default=None, description="Sender of invitations, e.g. 'ESG Committee <esg@example.com>'."
    )
    mail_per_minute: float = Field(
        default=60.0,
        gt=0,
        le=100_000,
        description="At most this many messages a minute (the server's limit).",
    )
    mail_key: str | None = Field(
        default=None,
        description="Key that keeps unsent and unanswered links encrypted until they are mailed "
        "(`materiality contacts new-key` makes one).",
    )
    company_name: str = Field(default="", max_length=200, description="Company named in invitations.")
    survey_contact: str = Field(
        default="",
        max_length=200,
        description="Whom respondents may ask about the survey or ask to delete their answers "
        "(in invitations and on the survey form), e.g. an e-mail address.",
    )
    company_logo: str | None = Field(
        default=None,
        description="The company's logo on the survey form: a PNG, JPEG or WebP file.",
    )
    survey_deadline: str = Field(
        default="", max_length=100, description="Answer by this date (in invitations), e.g. 2021-06-30."
    )
    test_postgres_url: str | None = Field(
        default=None, description="PostgreSQL URL the test suite also runs the store tests on."
    )


def import_limits(settings: Settings | None = None) -> Limits:
    """The limits every file read from outside is checked against (see core/limits.py)."""
    s = settings or get_settings()
    return Limits(
        max_bytes=s.max_import_bytes,
        max_rows=s.max_import_rows,
        max_columns=s.max_import_columns,
        max_cells=s.max_import_cells,
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
