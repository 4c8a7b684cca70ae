"""JWT access and refresh tokens (HS256 via pyjwt)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any, Literal

import jwt

ISSUER = "blocktrade"
ALGORITHM = "HS256"
TokenType = Literal["access", "refresh"]


class TokenError(Exception):
    pass


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: str
    expires_at: dt.datetime


def issue(secret: str, *, token_type: TokenType, subject: str, ttl_seconds: int,
          claims: dict[str, Any] | None = None, now: dt.datetime | None = None) -> IssuedToken:
    now = now or dt.datetime.now(dt.UTC)
    jti = secrets.token_hex(16)
    expires = now + dt.timedelta(seconds=ttl_seconds)
    payload = {
        **(claims or {}),
        "iss": ISSUER,
        "sub": subject,
        "typ": token_type,
        "jti": jti,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
    }
    return IssuedToken(jwt.encode(payload, secret, algorithm=ALGORITHM), jti, expires)


def decode(secret: str, token: str, *, expected_type: TokenType) -> dict[str, Any]:
    try:
        payload = jwt.decode(
            token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "jti", "typ", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("token has expired") from None
    except jwt.InvalidTokenError as err:
        raise TokenError(f"token is not valid: {err}") from None
    if payload.get("typ") != expected_type:
        raise TokenError(f"a {payload.get('typ')} token was given where an {expected_type} token is needed")
    return payload
