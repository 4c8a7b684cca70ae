"""Sign-in (OAuth2 password flow), token refresh, who-am-I, API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from api.auth import service as auth_service
from api.auth.deps import CurrentPrincipal, Service
from api.schemas import ApiKeyCreate, ApiKeyCreated, Me, RefreshRequest, TokenResponse

router = APIRouter(tags=["auth"])


@router.post("/auth/token", response_model=TokenResponse, summary="Sign in (OAuth2 password flow)")
def token(
    request: Request,
    ctx: Service,
    username: Annotated[str, Form(max_length=255, description="the user's e-mail")],
    password: Annotated[str, Form(max_length=1000)],
    otp: Annotated[str | None, Form(max_length=10, description="TOTP code; required for officer roles")] = None,
    grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
) -> TokenResponse:
    address = request.client.host if request.client else "unknown"
    pair = auth_service.login(ctx, username, password, otp, address)
    return TokenResponse(access_token=pair.access_token, refresh_token=pair.refresh_token,
                         expires_in=pair.expires_in)


@router.post("/auth/refresh", response_model=TokenResponse, summary="Exchange a refresh token (rotates it)")
def refresh(body: RefreshRequest, ctx: Service) -> TokenResponse:
    pair = auth_service.refresh(ctx, body.refresh_token)
    return TokenResponse(access_token=pair.access_token, refresh_token=pair.refresh_token,
                         expires_in=pair.expires_in)


@router.get("/me", response_model=Me)
def me(principal: CurrentPrincipal) -> Me:
    return Me(kind=principal.kind, id=principal.id, organization_id=principal.organization_id,
              organization_type=principal.organization_type, role=principal.role, mfa=principal.mfa,
              email=principal.email)


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=201,
             summary="Create an API key for a system of your organisation")
def create_api_key(body: ApiKeyCreate, principal: CurrentPrincipal, ctx: Service) -> ApiKeyCreated:
    principal.require("apikey:manage")
    with ctx.db.write() as session:
        row, key = auth_service.create_api_key(
            session, organization_id=principal.organization_id, name=body.name, role=body.role,
            actor=principal.actor, created_by=principal.user_id)
    return ApiKeyCreated(id=row.id, name=row.name, role=row.role, key=key)
