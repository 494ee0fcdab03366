"""withdrawals of recorded progress facts: who, when and why, the fact itself kept

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "progress_withdrawals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("progress_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.String(length=200), nullable=False),
        sa.Column("status_date", sa.Date(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("fact", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_progress_withdrawals_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["progress_id"],
            ["progress.id"],
            name=op.f("fk_progress_withdrawals_progress_id_progress"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_withdrawals")),
    )
    op.create_index(
        op.f("ix_progress_withdrawals_progress_id"),
        "progress_withdrawals",
        ["progress_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_progress_withdrawals_progress_id"), "progress_withdrawals")
    op.drop_table("progress_withdrawals")
