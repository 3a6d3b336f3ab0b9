"""double materiality: IRO register, evidence, ratings, consensus, thresholds, workflow

Revision ID: 0005
Revises: 0003
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_TIME = sqlmodel.sql.sqltypes.UTCDateTime


def _index(table: str, column: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "iro",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("code", _TEXT(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("topic", _TEXT(length=64), nullable=False),
        sa.Column("sub_topic", _TEXT(length=200), nullable=False),
        sa.Column("type", _TEXT(length=32), nullable=False),
        sa.Column("status", _TEXT(length=16), nullable=False),
        sa.Column("value_chain", _TEXT(length=64), nullable=False),
        sa.Column("horizon", _TEXT(length=16), nullable=False),
        sa.Column("human_rights", sa.Boolean(), nullable=False),
        sa.Column("description", _TEXT(length=4000), nullable=False),
        sa.Column("owner", _TEXT(length=200), nullable=False),
        sa.Column("updated_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("assessment_id", "code"),
    )
    _index("iro", "assessment_id")
    op.create_table(
        "iro_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("iro_id", sa.Integer(), nullable=False),
        sa.Column("kind", _TEXT(length=8), nullable=False),
        sa.Column("label", _TEXT(length=200), nullable=False),
        sa.Column("url", _TEXT(length=2000), nullable=False),
        sa.Column("filename", _TEXT(length=200), nullable=False),
        sa.Column("sha256", _TEXT(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("added_by", _TEXT(length=200), nullable=False),
        sa.Column("added_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["iro_id"], ["iro.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    _index("iro_evidence", "iro_id")
    op.create_table(
        "iro_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("iro_id", sa.Integer(), nullable=False),
        sa.Column("assessor", _TEXT(length=200), nullable=False),
        sa.Column("criterion", _TEXT(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("rationale", _TEXT(length=4000), nullable=False),
        sa.Column("rated_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["iro_id"], ["iro.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("iro_id", "assessor", "criterion"),
    )
    _index("iro_rating", "iro_id")
    op.create_table(
        "iro_consensus",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("iro_id", sa.Integer(), nullable=False),
        sa.Column("criterion", _TEXT(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("rationale", _TEXT(length=4000), nullable=False),
        sa.Column("set_by", _TEXT(length=200), nullable=False),
        sa.Column("set_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["iro_id"], ["iro.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("iro_id", "criterion"),
    )
    _index("iro_consensus", "iro_id")
    op.create_table(
        "dma_threshold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("impact", sa.Float(), nullable=True),
        sa.Column("financial", sa.Float(), nullable=True),
        sa.Column("reason", _TEXT(length=2000), nullable=False),
        sa.Column("set_by", _TEXT(length=200), nullable=False),
        sa.Column("set_at", _TIME(), nullable=False),
        sa.Column("after_ratings", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    _index("dma_threshold", "assessment_id")
    op.create_table(
        "dma_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("action", _TEXT(length=64), nullable=False),
        sa.Column("state", _TEXT(length=16), nullable=False),
        sa.Column("actor", _TEXT(length=200), nullable=False),
        sa.Column("reason", _TEXT(length=2000), nullable=False),
        sa.Column("at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    _index("dma_event", "assessment_id")


def downgrade() -> None:
    for table in ("dma_event", "dma_threshold", "iro_consensus", "iro_rating", "iro_evidence", "iro"):
        op.drop_table(table)
