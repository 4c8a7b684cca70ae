"""Browser sessions for the review pages: the API's own tokens, kept in HttpOnly cookies.

Signing in calls the same ``auth.service.login`` as ``POST /api/v1/auth/token`` (password,
TOTP for officer roles, throttling, lockout), so the pages enforce exactly what the API
enforces. The access token and the refresh token go into two cookies (HttpOnly,
SameSite=Strict, Secure over HTTPS); an expired access token is renewed with the refresh
token through ``auth.service.refresh`` (rotation and reuse detection included).

CSRF: every form carries a token that is an HMAC of the refresh token's family id (stable
across rotations, different for every sign-in) under the service's secret. A forged form
from another site has no way to learn it; SameSite=Strict is the second fence. The sign-in
form itself, which has no session yet, uses a double-submit cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from fastapi import Request, Response

from api.auth import service as auth_service
from api.auth import tokens
from api.auth.principal import Principal
from api.context import ServiceContext
from api.errors import ApiError

ACCESS_COOKIE = "bt_review_access"
REFRESH_COOKIE = "bt_review_refresh"
LOGIN_CSRF_COOKIE = "bt_review_login_csrf"
COOKIE_PATH = "/review"
CSRF_FIELD = "csrf_token"


class SignInRequired(Exception):
    """No valid session: the page sends the browser to the sign-in form."""


class CsrfError(Exception):
    """A form POST without the right CSRF token."""


@dataclass
class ReviewSession:
    principal: Principal
    csrf_token: str
    # cookies to set on the response (after a token refresh); name -> (value, max_age)
    renewed: dict[str, tuple[str, int]] = field(default_factory=dict)


def _secure(request: Request) -> bool:
    # Secure cookies over HTTPS; over plain http on loopback (tests, a laptop) browsers would drop them
    return request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path=COOKIE_PATH, httponly=True, samesite="strict",
                        secure=_secure(request))


def clear_cookies(response: Response, request: Request) -> None:
    for name in (ACCESS_COOKIE, REFRESH_COOKIE):
        response.delete_cookie(name, path=COOKIE_PATH, httponly=True, samesite="strict", secure=_secure(request))


def csrf_for_family(ctx: ServiceContext, family: str) -> str:
    return hmac.new(ctx.settings.jwt_secret.encode(), f"review-csrf:{family}".encode(), hashlib.sha256).hexdigest()


def _family(ctx: ServiceContext, refresh_token: str | None) -> str | None:
    if not refresh_token:
        return None
    try:
        claims = tokens.decode(ctx.settings.jwt_secret, refresh_token, expected_type="refresh")
    except tokens.TokenError:
        return None
    family = claims.get("fam")
    return family if isinstance(family, str) else None


def sign_in(ctx: ServiceContext, request: Request, response: Response, email: str, password: str,
            otp: str | None) -> None:
    """Check the credentials as the token endpoint does and put the tokens in cookies."""
    address = request.client.host if request.client else "unknown"
    pair = auth_service.login(ctx, email, password, otp or None, address)
    set_cookie(response, request, ACCESS_COOKIE, pair.access_token, ctx.settings.access_token_seconds)
    set_cookie(response, request, REFRESH_COOKIE, pair.refresh_token, ctx.settings.refresh_token_seconds)


def current_session(ctx: ServiceContext, request: Request, *, may_renew: bool = True) -> ReviewSession:
    """The signed-in user of this browser, renewing an expired access token; else SignInRequired.

    Only page navigations renew (``may_renew``): the page images of one view load in parallel,
    and two of them presenting the same refresh token would look like token theft and end
    the sign-in. The navigation before them has renewed the cookie already."""
    access = request.cookies.get(ACCESS_COOKIE)
    refresh = request.cookies.get(REFRESH_COOKIE)
    family = _family(ctx, refresh)
    if family is None:
        raise SignInRequired
    renewed: dict[str, tuple[str, int]] = {}
    principal: Principal | None = None
    if access:
        try:
            principal = auth_service.principal_from_access_token(ctx, access)
        except ApiError:
            principal = None
    if principal is None:
        if not may_renew:
            raise SignInRequired
        try:
            pair = auth_service.refresh(ctx, refresh or "")
        except ApiError:
            raise SignInRequired from None
        principal = auth_service.principal_from_access_token(ctx, pair.access_token)
        renewed[ACCESS_COOKIE] = (pair.access_token, ctx.settings.access_token_seconds)
        renewed[REFRESH_COOKIE] = (pair.refresh_token, ctx.settings.refresh_token_seconds)
    return ReviewSession(principal, csrf_for_family(ctx, family), renewed)


def apply_renewal(session: ReviewSession, request: Request, response: Response) -> Response:
    for name, (value, max_age) in session.renewed.items():
        set_cookie(response, request, name, value, max_age)
    return response


def check_csrf(session: ReviewSession, submitted: str | None) -> None:
    if not submitted or not hmac.compare_digest(submitted, session.csrf_token):
        raise CsrfError("the form's CSRF token is missing or wrong; reload the page and try again")


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)


def check_login_csrf(request: Request, submitted: str | None) -> None:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not cookie or not submitted or not hmac.compare_digest(cookie, submitted):
        raise CsrfError("the sign-in form expired or was not sent from this site; reload it and try again")
