"""Stale-translation marks on templates; versioned, soft-deletable categories.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot ALTER a column's constraints in place.
    with op.batch_alter_table("templates") as batch:
        batch.add_column(sa.Column("needs_review", sa.Text(), nullable=False, server_default="[]"))
    with op.batch_alter_table("template_versions") as batch:
        batch.add_column(sa.Column("needs_review", sa.Text(), nullable=False, server_default="[]"))
    with op.batch_alter_table("categories") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(
            sa.Column("deleted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("updated_by", sa.String(120), nullable=False, server_default="kefu")
        )
    op.create_table(
        "category_versions",
        sa.Column("category_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("author", sa.String(120), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("category_versions")
    with op.batch_alter_table("categories") as batch:
        for column in ("updated_by", "updated_at", "deleted", "version"):
            batch.drop_column(column)
    with op.batch_alter_table("template_versions") as batch:
        batch.drop_column("needs_review")
    with op.batch_alter_table("templates") as batch:
        batch.drop_column("needs_review")
