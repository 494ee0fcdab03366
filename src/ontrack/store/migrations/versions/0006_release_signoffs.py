"""release sign-offs: who signed a release's go/no-go, in which role, when; append-only

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFUSED = "release sign-offs are append-only"


def upgrade() -> None:
    op.create_table(
        "release_signoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_release_signoffs_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_signoffs")),
    )
    op.create_index(
        op.f("ix_release_signoffs_program_id"), "release_signoffs", ["program_id"], unique=False
    )
    # The record of who signed what is evidence: the database itself refuses to change or
    # delete it while its program exists (removing a whole program still cascades).
    alive = "EXISTS (SELECT 1 FROM programs WHERE programs.id = OLD.program_id)"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION release_signoffs_append_only() RETURNS trigger AS $$ "
            f"BEGIN IF TG_OP = 'UPDATE' OR {alive} THEN RAISE EXCEPTION '{_REFUSED}'; END IF; "
            "RETURN OLD; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER release_signoffs_append_only BEFORE UPDATE OR DELETE ON "
            "release_signoffs FOR EACH ROW EXECUTE FUNCTION release_signoffs_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER release_signoffs_no_update BEFORE UPDATE ON release_signoffs "
            f"BEGIN SELECT RAISE(ABORT, '{_REFUSED}'); END"
        )
        op.execute(
            "CREATE TRIGGER release_signoffs_no_delete BEFORE DELETE ON release_signoffs "
            f"WHEN {alive} BEGIN SELECT RAISE(ABORT, '{_REFUSED}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS release_signoffs_append_only ON release_signoffs")
        op.execute("DROP FUNCTION IF EXISTS release_signoffs_append_only()")
    op.drop_index(op.f("ix_release_signoffs_program_id"), "release_signoffs")
    op.drop_table("release_signoffs")
