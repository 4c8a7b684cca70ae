"""Roles and their permissions: the seed's five roles plus logistics_user and auditor.

A permission is ``resource:action``. Organisation isolation is separate and always applies:
a permission lets a role act, the LC's parties decide on which records.
"""

from __future__ import annotations

from typing import Literal

Role = Literal[
    "bank_admin", "bank_officer", "corporate_admin", "corporate_user", "nbfc_admin", "logistics_user", "auditor"
]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]

# which organisation type a role belongs to (None: any organisation, e.g. an internal auditor)
ROLE_ORG_TYPE: dict[str, str | None] = {
    "bank_admin": "bank",
    "bank_officer": "bank",
    "corporate_admin": "corporate",
    "corporate_user": "corporate",
    "nbfc_admin": "nbfc",
    "logistics_user": "logistics",
    "auditor": None,
}

# Officer roles sign in with a TOTP second factor; their tokens carry mfa=true.
OFFICER_ROLES = frozenset({"bank_admin", "bank_officer"})

EVERY_ROLE = frozenset(ROLES)

BANKS = frozenset({"bank_admin", "bank_officer"})

# Every permission of every endpoint, in one table (the authorisation matrix test walks it).
PERMISSIONS: dict[str, frozenset[str]] = {
    # letters of credit and presentations
    "lc:create": frozenset({"bank_admin", "corporate_admin"}),
    "lc:view": EVERY_ROLE,
    "lc:amend": frozenset({"bank_admin"}),
    "presentation:submit": frozenset({"bank_admin", "bank_officer", "corporate_admin"}),
    "presentation:view": EVERY_ROLE,
    "finding:review": BANKS,
    "presentation:decide": BANKS,
    "audit:view": frozenset({"bank_admin", "auditor"}),
    "apikey:manage": frozenset({"bank_admin", "corporate_admin", "nbfc_admin"}),
    # ledger: LC lifecycle, payments, shipments
    "lc:lifecycle": frozenset({"bank_admin", "bank_officer", "corporate_admin"}),
    "ledger:view": EVERY_ROLE,
    "payment:manage": BANKS,
    "payment:view": frozenset({"bank_admin", "bank_officer", "corporate_admin", "corporate_user", "auditor"}),
    "payment:fees": EVERY_ROLE - {"logistics_user"},
    "shipment:book": frozenset({"corporate_admin", "corporate_user", "logistics_user"}),
    "shipment:track": frozenset({"logistics_user"}),
    "shipment:view": EVERY_ROLE - {"nbfc_admin"},
    # invoice financing: a corporate party of the credit asks, the named NBFC decides and funds
    "financing:request": frozenset({"corporate_admin", "corporate_user"}),
    "financing:decide": frozenset({"nbfc_admin"}),
    "financing:view": frozenset({"corporate_admin", "corporate_user", "nbfc_admin"}),
    # integrations
    "webhook:manage": frozenset({"bank_admin", "corporate_admin", "nbfc_admin"}),
    "notification:send": EVERY_ROLE - {"auditor"},
    "notification:view": EVERY_ROLE,
    # compliance
    "kyc:verify": frozenset({"bank_admin", "bank_officer", "nbfc_admin"}),
    "kyc:view": frozenset({"bank_admin", "bank_officer", "nbfc_admin", "corporate_admin", "auditor"}),
    "aml:screen": frozenset({"bank_admin", "bank_officer", "nbfc_admin", "auditor"}),
    "compliance:view": frozenset({"bank_admin", "bank_officer", "corporate_admin", "auditor"}),
    # documents
    "document:upload": frozenset({"bank_admin", "bank_officer", "corporate_admin", "corporate_user",
                                  "logistics_user"}),
    "document:view": EVERY_ROLE,
    "document:sign": frozenset({"bank_admin", "bank_officer", "corporate_admin"}),
}

# Actions that change an examination's outcome, the credit or money need a human with a second factor.
MFA_REQUIRED = frozenset({"lc:amend", "finding:review", "presentation:decide", "payment:manage"})
# ... and these need one when the caller's organisation is a bank (a corporate fires them without).
MFA_REQUIRED_FOR_BANKS = frozenset({"lc:lifecycle"})

# Roles an API key may hold: no admin role, so a leaked key cannot manage keys or amend credits.
API_KEY_ROLES = frozenset(ROLES) - {"bank_admin", "corporate_admin", "nbfc_admin"}


def allowed(role: str, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    return role in PERMISSIONS[permission]
