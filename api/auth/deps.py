"""FastAPI dependencies: who is calling (bearer token or X-API-Key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from api.auth import service as auth_service
from api.auth.principal import Principal
from api.context import ServiceContext, service
from api.errors import ApiError

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False)


def current_principal(
    request: Request,
    ctx: Annotated[ServiceContext, Depends(service)],
    bearer: Annotated[str | None, Security(oauth2_scheme)],
    api_key: Annotated[str | None, Security(api_key_scheme)],
) -> Principal:
    if bearer and api_key:
        raise ApiError(400, "ambiguous_credentials", "send either a bearer token or an X-API-Key, not both")
    if bearer:
        principal = auth_service.principal_from_access_token(ctx, bearer)
    elif api_key:
        principal = auth_service.principal_from_api_key(ctx, api_key)
    else:
        raise ApiError(401, "unauthenticated", "sign in (bearer token) or send an X-API-Key",
                       headers={"WWW-Authenticate": "Bearer"})
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
Service = Annotated[ServiceContext, Depends(service)]
