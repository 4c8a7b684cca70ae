"""Who is calling: a user (with or without a second factor) or a system's API key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from api.auth.roles import MFA_REQUIRED, allowed
from api.errors import ApiError


@dataclass(frozen=True)
class Principal:
    kind: Literal["user", "api_key"]
    id: str
    organization_id: str
    organization_type: str
    role: str
    mfa: bool = False
    email: str | None = None

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def user_id(self) -> str | None:
        return self.id if self.kind == "user" else None

    def require(self, permission: str) -> None:
        if not allowed(self.role, permission):
            raise ApiError(403, "forbidden", f"role {self.role} may not {permission.replace(':', ' ')}",
                           {"permission": permission, "role": self.role})
        if permission in MFA_REQUIRED and not (self.kind == "user" and self.mfa):
            raise ApiError(403, "mfa_required",
                           f"{permission} needs a user signed in with a second factor (TOTP)",
                           {"permission": permission})
