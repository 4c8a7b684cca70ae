"""Sign-in, token refresh, API keys and the creation of organisations and users.

Shared by the HTTP routes and the CLI so both enforce the same rules.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pyotp
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api import audit
from api.auth import passwords, tokens
from api.auth.principal import Principal
from api.auth.roles import API_KEY_ROLES, OFFICER_ROLES, ROLE_ORG_TYPE, ROLES
from api.context import ServiceContext
from api.db.models import ORG_TYPES, ApiKey, Organisation, RefreshToken, User
from api.db.types import utcnow
from api.errors import ApiError

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
API_KEY_FORMAT = re.compile(r"^btk_([0-9a-f]{32})_([A-Za-z0-9_-]{20,})$")


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


def _unauthorized(message: str, code: str = "invalid_credentials") -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": "Bearer"})


# --------------------------------------------------------------------------- sign-in


def _issue_pair(ctx: ServiceContext, session: Session, user: User, *, mfa: bool, family: str) -> TokenPair:
    settings = ctx.settings
    claims = {"org": user.organization_id, "role": user.role, "mfa": mfa}
    access = tokens.issue(settings.jwt_secret, token_type="access", subject=user.id,
                          ttl_seconds=settings.access_token_seconds, claims=claims)
    refresh = tokens.issue(settings.jwt_secret, token_type="refresh", subject=user.id,
                           ttl_seconds=settings.refresh_token_seconds, claims={"fam": family})
    session.add(RefreshToken(jti=refresh.jti, user_id=user.id, family_id=family, mfa=mfa,
                             expires_at=refresh.expires_at))
    return TokenPair(access.token, refresh.token, settings.access_token_seconds)


def _totp_step_accepted(user: User, otp: str, now: dt.datetime) -> int | None:
    """The time step the code belongs to (±1 step of clock drift), or None. A step at or before
    the last accepted one is refused: a code seen once cannot be replayed."""
    if not user.totp_secret or not re.fullmatch(r"\d{6}", otp or ""):
        return None
    totp = pyotp.TOTP(user.totp_secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), otp) and step > (user.last_totp_step or -1):
            return step
    return None


def login(ctx: ServiceContext, email: str, password: str, otp: str | None, address: str) -> TokenPair:
    wait = ctx.throttle.retry_after(address)
    if wait:
        raise ApiError(429, "too_many_attempts", "too many failed sign-ins from this address; try later",
                       {"retry_after": wait}, headers={"Retry-After": str(wait)})
    settings = ctx.settings
    now = utcnow()
    failure: ApiError | None = None
    pair: TokenPair | None = None
    with ctx.db.write() as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None or not user.is_active:
            passwords.burn_time(password)
            ctx.throttle.failed(address)
            raise _unauthorized("e-mail or password is wrong")
        if user.locked_until and user.locked_until > now:
            wait = int((user.locked_until - now).total_seconds()) + 1
            raise ApiError(429, "account_locked", "too many failed sign-ins; the account is locked for a while",
                           {"retry_after": wait}, headers={"Retry-After": str(wait)})
        password_ok = passwords.verify_password(password, user.password_hash)
        needs_otp = user.role in OFFICER_ROLES
        step: int | None = None
        if password_ok and needs_otp:
            if not otp:
                # not a failed attempt: the client learns it must ask for the second factor
                raise _unauthorized("this role signs in with a TOTP code: send it in the 'otp' field",
                                    "otp_required")
            step = _totp_step_accepted(user, otp, now)
        if not password_ok or (needs_otp and step is None):
            ctx.throttle.failed(address)
            window_start = now - dt.timedelta(seconds=settings.login_window_seconds)
            if user.first_failed_at is None or user.first_failed_at < window_start:
                user.first_failed_at, user.failed_logins = now, 0
            user.failed_logins += 1
            if user.failed_logins >= settings.login_max_failures:
                user.locked_until = now + dt.timedelta(seconds=settings.login_lockout_seconds)
                audit.record(session, entity_type="user", entity_id=user.id, action="locked",
                             actor="system:login", new={"locked_until": user.locked_until,
                                                        "failed_logins": user.failed_logins},
                             organization_id=user.organization_id)
            failure = _unauthorized("e-mail or password is wrong" if not password_ok else "TOTP code is wrong")
        else:
            user.failed_logins, user.first_failed_at, user.locked_until = 0, None, None
            user.last_login = now
            if step is not None:
                user.last_totp_step = step
            pair = _issue_pair(ctx, session, user, mfa=step is not None, family=str(uuid.uuid4()))
    if failure:
        raise failure
    assert pair is not None
    return pair


def refresh(ctx: ServiceContext, refresh_token: str) -> TokenPair:
    try:
        claims = tokens.decode(ctx.settings.jwt_secret, refresh_token, expected_type="refresh")
    except tokens.TokenError as err:
        raise _unauthorized(str(err), "invalid_token") from None
    reused = False
    with ctx.db.write() as session:
        stored = session.get(RefreshToken, claims["jti"])
        user = session.get(User, claims["sub"])
        if stored is None or user is None or not user.is_active or stored.revoked_at is not None:
            raise _unauthorized("refresh token is not valid", "invalid_token")
        if stored.used_at is not None:
            # a used token came back: it was stolen or replayed; end the whole sign-in
            session.execute(update(RefreshToken).where(RefreshToken.family_id == stored.family_id)
                            .values(revoked_at=utcnow()))
            audit.record(session, entity_type="user", entity_id=user.id, action="refresh_token_reused",
                         actor="system:auth", new={"family": stored.family_id},
                         organization_id=user.organization_id)
            reused = True
        else:
            stored.used_at = utcnow()
            pair = _issue_pair(ctx, session, user, mfa=stored.mfa, family=stored.family_id)
    if reused:
        raise _unauthorized("refresh token was already used; sign in again", "refresh_token_reused")
    return pair


# --------------------------------------------------------------------------- request authentication


# A user row read for a token is reused for a few seconds: a disabled user or a changed
# role takes effect within PRINCIPAL_CACHE_SECONDS instead of on the very next request,
# in exchange for one database round trip less on every authenticated call.
PRINCIPAL_CACHE_SECONDS = 5.0
_principal_cache: dict[str, tuple[float, Principal]] = {}
_PRINCIPAL_CACHE_MAX = 10_000


def principal_from_access_token(ctx: ServiceContext, token: str) -> Principal:
    try:
        claims = tokens.decode(ctx.settings.jwt_secret, token, expected_type="access")
    except tokens.TokenError as err:
        raise _unauthorized(str(err), "invalid_token") from None
    key = f"{id(ctx)}:{claims['jti']}"
    cached = _principal_cache.get(key)
    now = time.monotonic()
    if cached and cached[0] > now:
        return cached[1]
    principal = _load_principal(ctx, claims)
    if len(_principal_cache) >= _PRINCIPAL_CACHE_MAX:
        _principal_cache.clear()
    _principal_cache[key] = (now + PRINCIPAL_CACHE_SECONDS, principal)
    return principal


def _load_principal(ctx: ServiceContext, claims: dict[str, Any]) -> Principal:
    with ctx.db.read() as session:
        row = session.execute(
            select(User, Organisation.type).join(Organisation, Organisation.id == User.organization_id)
            .where(User.id == claims["sub"])
        ).first()
    if row is None or not row[0].is_active:
        raise _unauthorized("the user of this token no longer exists or is disabled", "invalid_token")
    user, org_type = row
    # the role is read from the database, so a changed role takes effect on the next request
    return Principal("user", user.id, user.organization_id, org_type, user.role,
                     mfa=bool(claims.get("mfa")) and user.role in OFFICER_ROLES, email=user.email)


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def principal_from_api_key(ctx: ServiceContext, key: str) -> Principal:
    match = API_KEY_FORMAT.match(key)
    if not match:
        raise _unauthorized("API key is malformed", "invalid_api_key")
    key_id = str(uuid.UUID(match.group(1)))
    with ctx.db.read() as session:
        row = session.execute(
            select(ApiKey, Organisation.type).join(Organisation, Organisation.id == ApiKey.organization_id)
            .where(ApiKey.id == key_id)
        ).first()
    if row is None or row[0].revoked_at is not None or not hmac.compare_digest(
        row[0].secret_sha256, _sha256(match.group(2))
    ):
        raise _unauthorized("API key is not valid", "invalid_api_key")
    api_key, org_type = row
    return Principal("api_key", api_key.id, api_key.organization_id, org_type, api_key.role)


# --------------------------------------------------------------------------- administration


def create_api_key(session: Session, *, organization_id: str, name: str, role: str,
                   actor: str, created_by: str | None) -> tuple[ApiKey, str]:
    """Returns the row and the full key; the key is shown once and never stored."""
    if role not in API_KEY_ROLES:
        raise ApiError(422, "invalid_role", f"an API key cannot hold role {role!r}",
                       {"allowed": sorted(API_KEY_ROLES)})
    org = session.get(Organisation, organization_id)
    if org is None:
        raise ApiError(422, "unknown_organisation", f"organisation {organization_id} does not exist")
    _check_role_fits(role, org)
    key_id = uuid.uuid4()
    secret = secrets.token_urlsafe(32)
    row = ApiKey(id=str(key_id), organization_id=organization_id, name=name, role=role,
                 secret_sha256=_sha256(secret), created_by=created_by)
    session.add(row)
    audit.record(session, entity_type="api_key", entity_id=row.id, action="create", actor=actor,
                 user_id=created_by, organization_id=organization_id,
                 new={"name": name, "role": role})
    return row, f"btk_{key_id.hex}_{secret}"


def _check_role_fits(role: str, org: Organisation) -> None:
    wanted = ROLE_ORG_TYPE.get(role, "?")
    if wanted is not None and wanted != org.type:
        raise ApiError(422, "role_does_not_fit_organisation",
                       f"role {role} belongs to a {wanted} organisation; {org.name} is a {org.type}")


def create_organisation(session: Session, *, name: str, org_type: str, country_code: str,
                        bic: str | None = None, registration_number: str | None = None,
                        actor: str = "system:cli") -> Organisation:
    if org_type not in ORG_TYPES:
        raise ValueError(f"organisation type {org_type!r} is not one of {', '.join(ORG_TYPES)}")
    if not re.fullmatch(r"[A-Z]{2,3}", country_code):
        raise ValueError(f"country code {country_code!r} is not an upper-case ISO 3166 code")
    if not name.strip():
        raise ValueError("organisation name is empty")
    org = Organisation(name=name.strip(), type=org_type, country_code=country_code, bic=bic,
                       registration_number=registration_number)
    session.add(org)
    session.flush()
    audit.record(session, entity_type="organisation", entity_id=org.id, action="create", actor=actor,
                 organization_id=org.id,
                 new={"name": org.name, "type": org_type, "country_code": country_code, "bic": bic})
    return org


def create_user(session: Session, *, organization_id: str, email: str, password: str, role: str,
                actor: str = "system:cli") -> tuple[User, str | None]:
    """Returns the user and, for officer roles, the TOTP secret to enrol in an authenticator."""
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise ValueError(f"{email!r} is not an e-mail address")
    if role not in ROLES:
        raise ValueError(f"role {role!r} is not one of {', '.join(ROLES)}")
    org = session.get(Organisation, organization_id)
    if org is None:
        raise ValueError(f"organisation {organization_id} does not exist")
    try:
        _check_role_fits(role, org)
    except ApiError as err:
        raise ValueError(err.message) from None
    if session.scalar(select(User.id).where(User.email == email)):
        raise ValueError(f"a user with e-mail {email} already exists")
    totp_secret = pyotp.random_base32() if role in OFFICER_ROLES else None
    user = User(organization_id=organization_id, email=email, password_hash=passwords.hash_password(password),
                role=role, totp_secret=totp_secret)
    session.add(user)
    session.flush()
    audit.record(session, entity_type="user", entity_id=user.id, action="create", actor=actor,
                 organization_id=organization_id, new={"email": email, "role": role, "mfa": bool(totp_secret)})
    return user, totp_secret
