"""integrations: webhooks and deliveries, notifications and preferences, KYC records,
organisation signing keys and document signatures

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.db.types import UtcDateTime

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kyc_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("subject_organization_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("entity_type", sa.String(length=20), nullable=False),
        sa.Column("country_code", sa.String(length=3), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("screening", sa.JSON(), nullable=False),
        sa.Column("checked_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organisations.id"],
            name=op.f("fk_kyc_records_organization_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_organization_id"],
            ["organisations.id"],
            name=op.f("fk_kyc_records_subject_organization_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kyc_records")),
    )
    with op.batch_alter_table("kyc_records", schema=None) as batch_op:
        batch_op.create_index("idx_kyc_org_created", ["organization_id", "created_at", "id"], unique=False)

    op.create_table(
        "organisation_keys",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("algorithm", sa.String(length=20), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_keys_organization_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_organisation_keys")),
        sa.UniqueConstraint("organization_id", name=op.f("uq_organisation_keys_organization_id")),
    )
    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("disabled_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organisations.id"], name=op.f("fk_webhooks_organization_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
    )
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.create_index(
            "idx_webhooks_org_created", ["organization_id", "created_at", "id"], unique=False
        )

    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("muted_categories", sa.JSON(), nullable=False),
        sa.Column("stream_enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_preferences_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_preferences")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("recipient_user_id", sa.String(length=36), nullable=True),
        sa.Column("category", sa.String(length=50), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("lc_id", sa.String(length=36), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("sender", sa.String(length=80), nullable=False),
        sa.Column("sender_organization_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organisations.id"],
            name=op.f("fk_notifications_organization_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_user_id"], ["users.id"], name=op.f("fk_notifications_recipient_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            "idx_notifications_org_created", ["organization_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notifications_recipient_user_id"), ["recipient_user_id"], unique=False
        )

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("webhook_id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_key", sa.String(length=120), nullable=False),
        sa.Column("event_type", sa.String(length=50), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("lease_until", UtcDateTime(), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["webhook_id"], ["webhooks.id"], name=op.f("fk_webhook_deliveries_webhook_id_webhooks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("webhook_id", "event_key", name="uq_webhook_deliveries_webhook_event"),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index("idx_webhook_deliveries_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(
            "idx_webhook_deliveries_webhook_created", ["webhook_id", "created_at", "id"], unique=False
        )

    op.create_table(
        "document_signatures",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.Column("signed_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_document_signatures_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["organisation_keys.key_id"],
            name=op.f("fk_document_signatures_key_id_organisation_keys"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organisations.id"],
            name=op.f("fk_document_signatures_organization_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_signatures")),
        sa.UniqueConstraint("document_id", "organization_id", name="uq_document_signatures_doc_org"),
    )
    with op.batch_alter_table("document_signatures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_signatures_document_id"), ["document_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("document_signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_signatures_document_id"))

    op.drop_table("document_signatures")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("idx_webhook_deliveries_webhook_created")
        batch_op.drop_index("idx_webhook_deliveries_due")

    op.drop_table("webhook_deliveries")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_recipient_user_id"))
        batch_op.drop_index("idx_notifications_org_created")

    op.drop_table("notifications")
    op.drop_table("notification_preferences")
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.drop_index("idx_webhooks_org_created")

    op.drop_table("webhooks")
    op.drop_table("organisation_keys")
    with op.batch_alter_table("kyc_records", schema=None) as batch_op:
        batch_op.drop_index("idx_kyc_org_created")

    op.drop_table("kyc_records")
