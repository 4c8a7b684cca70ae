"""initial schema: seed tables plus examination service tables

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-27

The seed architecture's six tables (organisations, users, letters_of_credit, documents,
payments, audit_trail) plus presentations, findings, screening_results, decisions,
shipments, jobs, api_keys, refresh_tokens and idempotency_keys.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.db.types import MoneyAmount, UtcDateTime

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("principal", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("resource_type", sa.String(length=50), nullable=False),
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("principal", "key", name="uq_idempotency_keys_principal_key"),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", UtcDateTime(), nullable=False),
        sa.Column("lease_token", sa.String(length=36), nullable=True),
        sa.Column("locked_by", sa.String(length=200), nullable=True),
        sa.Column("locked_until", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("idx_jobs_status_run_after", ["status", "run_after"], unique=False)

    op.create_table(
        "organisations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("country_code", sa.String(length=3), nullable=False),
        sa.Column("registration_number", sa.String(length=100), nullable=True),
        sa.Column("bic", sa.String(length=11), nullable=True),
        sa.Column("kyc_status", sa.String(length=20), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
    )
    op.create_table(
        "letters_of_credit",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("lc_number", sa.String(length=50), nullable=False),
        sa.Column("applicant_id", sa.String(length=36), nullable=False),
        sa.Column("beneficiary_id", sa.String(length=36), nullable=False),
        sa.Column("issuing_bank_id", sa.String(length=36), nullable=False),
        sa.Column("advising_bank_id", sa.String(length=36), nullable=True),
        sa.Column("nominated_bank_id", sa.String(length=36), nullable=True),
        sa.Column("amount", MoneyAmount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("application_date", sa.Date(), nullable=False),
        sa.Column("expiry_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("amendment_number", sa.Integer(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=True),
        sa.Column("blockchain_tx_id", sa.String(length=255), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["advising_bank_id"],
            ["organisations.id"],
            name=op.f("fk_letters_of_credit_advising_bank_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["organisations.id"],
            name=op.f("fk_letters_of_credit_applicant_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["organisations.id"],
            name=op.f("fk_letters_of_credit_beneficiary_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["issuing_bank_id"],
            ["organisations.id"],
            name=op.f("fk_letters_of_credit_issuing_bank_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["nominated_bank_id"],
            ["organisations.id"],
            name=op.f("fk_letters_of_credit_nominated_bank_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letters_of_credit")),
        sa.UniqueConstraint("lc_number", name=op.f("uq_letters_of_credit_lc_number")),
    )
    with op.batch_alter_table("letters_of_credit", schema=None) as batch_op:
        batch_op.create_index("idx_lc_created", ["created_at", "id"], unique=False)
        batch_op.create_index("idx_lc_dates", ["application_date", "expiry_date"], unique=False)
        batch_op.create_index("idx_lc_org_status", ["applicant_id", "status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_letters_of_credit_beneficiary_id"), ["beneficiary_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_letters_of_credit_issuing_bank_id"), ["issuing_bank_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_letters_of_credit_status"), ["status"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=50), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=True),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("first_failed_at", UtcDateTime(), nullable=True),
        sa.Column("locked_until", UtcDateTime(), nullable=True),
        sa.Column("last_totp_step", sa.Integer(), nullable=True),
        sa.Column("last_login", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organisations.id"], name=op.f("fk_users_organization_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=50), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_api_keys_created_by_users")),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organisations.id"], name=op.f("fk_api_keys_organization_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "audit_trail",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("entity_type", sa.String(length=50), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("old_values", sa.JSON(), nullable=True),
        sa.Column("new_values", sa.JSON(), nullable=True),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=True),
        sa.Column("blockchain_tx_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_audit_trail_user_id_users")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_trail")),
        sa.UniqueConstraint("id", name=op.f("uq_audit_trail_id")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_audit_trail_prev_hash")),
    )
    with op.batch_alter_table("audit_trail", schema=None) as batch_op:
        batch_op.create_index("idx_audit_entity", ["entity_type", "entity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_trail_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "payments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("lc_id", sa.String(length=36), nullable=False),
        sa.Column("amount", MoneyAmount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("payment_type", sa.String(length=20), nullable=False),
        sa.Column("from_account", sa.String(length=100), nullable=True),
        sa.Column("to_account", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("blockchain_tx_id", sa.String(length=255), nullable=True),
        sa.Column("processed_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lc_id"], ["letters_of_credit.id"], name=op.f("fk_payments_lc_id_letters_of_credit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_lc_id"), ["lc_id"], unique=False)

    op.create_table(
        "presentations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("lc_id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("submitted_by", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("presented_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("bundle_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("examined_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["lc_id"], ["letters_of_credit.id"], name=op.f("fk_presentations_lc_id_letters_of_credit")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organisations.id"],
            name=op.f("fk_presentations_organization_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_presentations")),
    )
    with op.batch_alter_table("presentations", schema=None) as batch_op:
        batch_op.create_index("idx_presentations_created", ["created_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_presentations_lc_id"), ["lc_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_presentations_status"), ["status"], unique=False)

    op.create_table(
        "refresh_tokens",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("family_id", sa.String(length=36), nullable=False),
        sa.Column("mfa", sa.Boolean(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("used_at", UtcDateTime(), nullable=True),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_refresh_tokens_user_id_users")),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_refresh_tokens")),
    )
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refresh_tokens_family_id"), ["family_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_refresh_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "shipments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("lc_id", sa.String(length=36), nullable=True),
        sa.Column("carrier_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("vessel", sa.String(length=100), nullable=True),
        sa.Column("voyage", sa.String(length=50), nullable=True),
        sa.Column("port_of_loading", sa.String(length=100), nullable=True),
        sa.Column("port_of_discharge", sa.String(length=100), nullable=True),
        sa.Column("last_location", sa.JSON(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["carrier_id"], ["organisations.id"], name=op.f("fk_shipments_carrier_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["lc_id"], ["letters_of_credit.id"], name=op.f("fk_shipments_lc_id_letters_of_credit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
    )
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipments_lc_id"), ["lc_id"], unique=False)

    op.create_table(
        "decisions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("presentation_id", sa.String(length=36), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["presentation_id"], ["presentations.id"], name=op.f("fk_decisions_presentation_id_presentations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        sa.UniqueConstraint("presentation_id", name=op.f("uq_decisions_presentation_id")),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("lc_id", sa.String(length=36), nullable=False),
        sa.Column("presentation_id", sa.String(length=36), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("document_type", sa.String(length=50), nullable=True),
        sa.Column("document_number", sa.String(length=100), nullable=True),
        sa.Column("file_hash", sa.String(length=255), nullable=False),
        sa.Column("file_url", sa.Text(), nullable=True),
        sa.Column("submitted_by", sa.String(length=80), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("blockchain_tx_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lc_id"], ["letters_of_credit.id"], name=op.f("fk_documents_lc_id_letters_of_credit")
        ),
        sa.ForeignKeyConstraint(
            ["presentation_id"], ["presentations.id"], name=op.f("fk_documents_presentation_id_presentations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index("idx_documents_type_status", ["document_type", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_lc_id"), ["lc_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_presentation_id"), ["presentation_id"], unique=False)

    op.create_table(
        "findings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("presentation_id", sa.String(length=36), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("hold", sa.Boolean(), nullable=False),
        sa.Column("refs", sa.JSON(), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("review_status", sa.String(length=20), nullable=False),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=80), nullable=True),
        sa.Column("reviewed_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["presentation_id"], ["presentations.id"], name=op.f("fk_findings_presentation_id_presentations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_findings_presentation_id"), ["presentation_id"], unique=False)

    op.create_table(
        "screening_results",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("presentation_id", sa.String(length=36), nullable=True),
        sa.Column("query", sa.String(length=500), nullable=False),
        sa.Column("query_type", sa.String(length=50), nullable=True),
        sa.Column("list_entry_id", sa.String(length=100), nullable=True),
        sa.Column("matched_name", sa.String(length=500), nullable=True),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("match", sa.Boolean(), nullable=False),
        sa.Column("disposition", sa.String(length=20), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["presentation_id"],
            ["presentations.id"],
            name=op.f("fk_screening_results_presentation_id_presentations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_results")),
    )
    with op.batch_alter_table("screening_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_screening_results_presentation_id"), ["presentation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("screening_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_results_presentation_id"))

    op.drop_table("screening_results")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_findings_presentation_id"))

    op.drop_table("findings")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_presentation_id"))
        batch_op.drop_index(batch_op.f("ix_documents_lc_id"))
        batch_op.drop_index("idx_documents_type_status")

    op.drop_table("documents")
    op.drop_table("decisions")
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipments_lc_id"))

    op.drop_table("shipments")
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_user_id"))
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_family_id"))

    op.drop_table("refresh_tokens")
    with op.batch_alter_table("presentations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_presentations_status"))
        batch_op.drop_index(batch_op.f("ix_presentations_lc_id"))
        batch_op.drop_index("idx_presentations_created")

    op.drop_table("presentations")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_lc_id"))

    op.drop_table("payments")
    with op.batch_alter_table("audit_trail", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_trail_organization_id"))
        batch_op.drop_index("idx_audit_entity")

    op.drop_table("audit_trail")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_organization_id"))

    op.drop_table("api_keys")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_organization_id"))

    op.drop_table("users")
    with op.batch_alter_table("letters_of_credit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_letters_of_credit_status"))
        batch_op.drop_index(batch_op.f("ix_letters_of_credit_issuing_bank_id"))
        batch_op.drop_index(batch_op.f("ix_letters_of_credit_beneficiary_id"))
        batch_op.drop_index("idx_lc_org_status")
        batch_op.drop_index("idx_lc_dates")
        batch_op.drop_index("idx_lc_created")

    op.drop_table("letters_of_credit")
    op.drop_table("organisations")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("idx_jobs_status_run_after")

    op.drop_table("jobs")
    op.drop_table("idempotency_keys")
