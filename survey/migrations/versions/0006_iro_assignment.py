"""IROs assigned to assessors

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_TIME = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "iro_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("iro_id", sa.Integer(), nullable=False),
        sa.Column("assessor", _TEXT(length=200), nullable=False),
        sa.Column("assigned_by", _TEXT(length=200), nullable=False),
        sa.Column("assigned_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["iro_id"], ["iro.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("iro_id", "assessor"),
    )
    with op.batch_alter_table("iro_assignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_iro_assignment_iro_id"), ["iro_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_iro_assignment_assessor"), ["assessor"], unique=False)


def downgrade() -> None:
    op.drop_table("iro_assignment")
