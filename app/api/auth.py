"""`/v1/auth/…`: sign in (a session cookie), sign out, who am I, change my password."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, StringConstraints

from app.api.access import COOKIE, AccessDep, SignedIn, public, remote
from app.auth.access import Principal, user_principal
from app.errors import Forbidden

router = APIRouter(prefix="/v1/auth", tags=["auth"])


class LoginBody(BaseModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class LogoutBody(BaseModel):
    everywhere: bool = Field(False, description="End every session of this account.")


class PasswordBody(BaseModel):
    current: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    new: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class Me(BaseModel):
    name: str
    kind: str = Field(description="`user` (signed in) or `key` (an API key).")
    role: str | None
    scopes: list[str]
    must_change_password: bool = Field(
        description="True for the first-start admin: only /v1/auth/password, /me and "
        "/logout answer until a new password is set."
    )


def me_of(principal: Principal) -> Me:
    return Me(
        name=principal.name,
        kind=principal.kind,
        role=principal.role.value if principal.role else None,
        scopes=sorted(s.value for s in principal.scopes),
        must_change_password=principal.must_change_password,
    )


@router.post("/login", response_model=Me, dependencies=[Depends(public)])
async def login(body: LoginBody, request: Request, response: Response, access: AccessDep) -> Me:
    """Sign in; the answer sets an HttpOnly, SameSite=Lax session cookie. A wrong name,
    a wrong password, a disabled and a locked account all get the same 401."""
    cookie, user = await run_in_threadpool(access.login, body.name, body.password, remote(request))
    settings = access.settings
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    return me_of(user_principal(user))


@router.post("/logout", response_model=Me)
def logout(
    principal: SignedIn,
    request: Request,
    response: Response,
    access: AccessDep,
    body: LogoutBody | None = None,
) -> Me:
    """End this session (or, with `everywhere`, every session of the account)."""
    access.logout(principal, remote(request), everywhere=bool(body and body.everywhere))
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    return me_of(principal)


@router.get("/me", response_model=Me)
async def me(principal: SignedIn) -> Me:
    """Who the caller is and what they may do (the console shows or hides by it)."""
    return me_of(principal)


@router.post("/password", response_model=Me)
def change_password(
    body: PasswordBody, principal: SignedIn, request: Request, access: AccessDep
) -> Me:
    """Set a new password (at least 10 characters); other sessions of the account end."""
    if principal.kind != "user":
        raise Forbidden("an API key has no password")
    access.change_own_password(principal, body.current, body.new, remote(request))
    return me_of(replace(principal, must_change_password=False))
