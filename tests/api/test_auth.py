"""Sign-in, second factor, throttling, token refresh and API keys."""

from __future__ import annotations

import datetime as dt

import jwt
import pyotp

from api.auth import tokens
from tests.api.conftest import JWT_SECRET, PASSWORD, Api


def error_code(response: object) -> str:
    return response.json()["error"]["code"]  # type: ignore[attr-defined]


def test_password_sign_in_gives_a_working_access_token(api: Api) -> None:
    response = api.login("corporate_admin")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    me = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["role"] == "corporate_admin" and me.json()["mfa"] is False
    assert me.json()["organization_id"] == api.seed.orgs["beneficiary"]


def test_wrong_password_and_unknown_user_get_the_same_error_body(api: Api) -> None:
    wrong = api.login("corporate_admin", password="not the password at all")
    unknown = api.client.post("/api/v1/auth/token", data={"username": "nobody@example.test", "password": "x" * 12})
    assert wrong.status_code == unknown.status_code == 401
    assert set(wrong.json()) == {"error"}
    assert wrong.json()["error"]["code"] == unknown.json()["error"]["code"] == "invalid_credentials"
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]


def test_officer_needs_a_totp_code_and_gets_an_mfa_token(api: Api) -> None:
    no_code = api.login("bank_officer", otp="")
    assert no_code.status_code == 401 and error_code(no_code) == "otp_required"
    bad_code = api.login("bank_officer", otp="000000" if pyotp.TOTP(api.seed.totp["bank_officer"]).now() != "000000"
                         else "111111")
    assert bad_code.status_code == 401
    ok = api.login("bank_officer")
    assert ok.status_code == 200
    claims = jwt.decode(ok.json()["access_token"], JWT_SECRET, algorithms=["HS256"], issuer="blocktrade")
    assert claims["mfa"] is True and claims["role"] == "bank_officer"


def test_a_totp_code_cannot_be_replayed(api: Api) -> None:
    code = pyotp.TOTP(api.seed.totp["bank_admin"]).now()
    assert api.login("bank_admin", otp=code).status_code == 200
    replay = api.login("bank_admin", otp=code)
    assert replay.status_code == 401


def test_account_locks_after_repeated_failures_even_for_the_right_password(api_factory: object) -> None:
    api = api_factory(login_max_failures=3)  # type: ignore[operator]
    for _ in range(3):
        assert api.login("corporate_user", password="wrong password!!").status_code == 401
    locked = api.login("corporate_user")
    assert locked.status_code == 429
    assert error_code(locked) == "account_locked"
    assert int(locked.headers["Retry-After"]) > 0
    # another account is not affected
    assert api.login("corporate_admin").status_code == 200


def test_refresh_rotates_and_a_reused_refresh_token_ends_the_session(api: Api) -> None:
    first = api.login("corporate_admin").json()
    second = api.client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    replay = api.client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401 and error_code(replay) == "refresh_token_reused"
    # the replay revoked the family: the legitimately rotated token no longer works either
    after = api.client.post("/api/v1/auth/refresh", json={"refresh_token": second.json()["refresh_token"]})
    assert after.status_code == 401


def test_an_access_token_is_not_a_refresh_token_and_vice_versa(api: Api) -> None:
    pair = api.login("corporate_admin").json()
    as_refresh = api.client.post("/api/v1/auth/refresh", json={"refresh_token": pair["access_token"]})
    assert as_refresh.status_code == 401
    as_access = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {pair['refresh_token']}"})
    assert as_access.status_code == 401


def test_expired_tampered_and_missing_tokens_are_refused(api: Api) -> None:
    user_id = api.client.get("/api/v1/me", headers=api.headers("corporate_admin")).json()["id"]
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    expired = tokens.issue(JWT_SECRET, token_type="access", subject=user_id, ttl_seconds=60,
                           claims={"role": "corporate_admin"}, now=past).token
    response = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401 and "expired" in response.json()["error"]["message"]
    forged = tokens.issue("another-secret-" + "y" * 40, token_type="access", subject=user_id,
                          ttl_seconds=60).token
    assert api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    missing = api.client.get("/api/v1/me")
    assert missing.status_code == 401 and error_code(missing) == "unauthenticated"


def test_api_key_authenticates_a_system_and_cannot_review(api: Api) -> None:
    created = api.client.post("/api/v1/api-keys", json={"name": "ERP", "role": "corporate_user"},
                              headers=api.headers("corporate_admin"))
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    me = api.client.get("/api/v1/me", headers={"X-API-Key": key})
    assert me.status_code == 200 and me.json()["kind"] == "api_key"
    assert me.json()["organization_id"] == api.seed.orgs["beneficiary"]
    wrong = api.client.get("/api/v1/me", headers={"X-API-Key": key[:-2] + "zz"})
    assert wrong.status_code == 401
    admin_key = api.client.post("/api/v1/api-keys", json={"name": "x", "role": "corporate_admin"},
                                headers=api.headers("corporate_admin"))
    assert admin_key.status_code == 422 and error_code(admin_key) == "invalid_role"


def test_password_hashes_are_argon2(api: Api) -> None:
    from sqlalchemy import select

    from api.db.models import User

    with api.ctx.db.read() as session:
        hashes = session.scalars(select(User.password_hash)).all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert all(PASSWORD not in h for h in hashes)
