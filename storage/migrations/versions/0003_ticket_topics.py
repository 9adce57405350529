"""a forum topic per ticket: the topic on the ticket, whether a staff group is a forum

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("topic_chat_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("topic_thread_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("topic_title", sa.String(length=128), nullable=True))
        batch_op.add_column(
            sa.Column("topic_closed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(
            "ix_tickets_topic", ["topic_chat_id", "topic_thread_id"], unique=False
        )
    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("group_is_forum", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.drop_column("group_is_forum")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_topic")
        batch_op.drop_column("topic_closed")
        batch_op.drop_column("topic_title")
        batch_op.drop_column("topic_thread_id")
        batch_op.drop_column("topic_chat_id")
