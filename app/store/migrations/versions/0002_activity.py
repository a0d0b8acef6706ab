"""What the library is doing: suggestion counts, feedback, unmatched messages.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suggestion_counts",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("template_id", sa.String(129), primary_key=True),
        sa.Column("category", sa.String(64), primary_key=True),
        sa.Column("locale", sa.String(35), primary_key=True),
        sa.Column("tone", sa.String(16), primary_key=True),
        sa.Column("language", sa.String(35), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("template_id", sa.String(129), nullable=False, index=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("locale", sa.String(35), nullable=True),
        sa.Column("tone", sa.String(16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "unmatched",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    for table in ("unmatched", "feedback", "suggestion_counts"):
        op.drop_table(table)
