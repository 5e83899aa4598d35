"""Several workers on one database: outbox claims, leases (one reindex at a time), the current index
snapshot, per-user rate limits, correlation ids, and an audit table PostgreSQL itself keeps append-only.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 12:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION auditentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on auditentry is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("claimed_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_index("ix_outbox_undelivered", "outbox", ["delivered_at", "next_attempt_at"])
    for table in ("turn", "auditentry"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column(
                    "correlation_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=""
                )
            )
        op.create_index(f"ix_{table}_correlation_id", table, ["correlation_id"])
    op.create_table(
        "lease",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("acquired_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "indexsnapshot",
        sa.Column("snapshot_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("worker", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("snapshot_id"),
    )
    op.create_index("ix_indexsnapshot_recorded_at", "indexsnapshot", ["recorded_at"])
    op.create_table(
        "ratehit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ratehit_user_id", "ratehit", ["user_id"])
    op.create_index("ix_ratehit_at", "ratehit", ["at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_APPEND_ONLY)
        op.execute(
            "CREATE TRIGGER auditentry_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON auditentry "
            "FOR EACH STATEMENT EXECUTE FUNCTION auditentry_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS auditentry_append_only ON auditentry")
        op.execute("DROP FUNCTION IF EXISTS auditentry_append_only()")
    op.drop_table("ratehit")
    op.drop_table("indexsnapshot")
    op.drop_table("lease")
    for table in ("turn", "auditentry"):
        op.drop_index(f"ix_{table}_correlation_id", table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("correlation_id")
    op.drop_index("ix_outbox_undelivered", "outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
