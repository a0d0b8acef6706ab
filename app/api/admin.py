"""`/v1/admin/…`: accounts, API keys and the audit log (admins only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, StringConstraints

from app.api.access import AccessDep, Admin, remote
from app.auth.scopes import Role, Scope
from app.store.access import ApiKey, User

router = APIRouter(prefix="/v1/admin", tags=["admin"])

Name = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]


# The service checks roles and scopes (naming a wrong one); the schema lists the valid
# ones too, so clients and the schema fuzzing know them.
_ROLES: dict[str, Any] = {"enum": [r.value for r in Role]}
_SCOPES: dict[str, Any] = {"enum": [s.value for s in Scope]}


class UserOut(BaseModel):
    name: str
    role: str
    disabled: bool
    locked_until: datetime | None
    must_change_password: bool
    created_at: datetime


class NewUser(BaseModel):
    name: Name
    role: str = Field(description="agent, manager or admin", json_schema_extra=_ROLES)
    password: Password | None = Field(None, description="Default: one is generated.")


class CreatedUser(BaseModel):
    user: UserOut
    password: str | None = Field(description="The generated password, shown this once.")


class UserChange(BaseModel):
    role: str | None = Field(None, json_schema_extra={"enum": [*_ROLES["enum"], None]})
    disabled: bool | None = Field(None, description="A disabled account cannot sign in.")
    password: Password | None = Field(None, description="Set; to be changed at next sign-in.")
    unlock: bool = False


class KeyOut(BaseModel):
    id: int
    name: str
    prefix: str = Field(description="The key's first characters, to recognise it.")
    scopes: list[str]
    origins: list[str]
    created_by: str
    created_at: datetime
    last_used_at: datetime | None = Field(description="Updated at most once a minute.")
    revoked_at: datetime | None


class NewKey(BaseModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    scopes: list[str] = Field(
        min_length=1, max_length=10, json_schema_extra={"items": {"type": "string", **_SCOPES}}
    )
    origins: list[Annotated[str, StringConstraints(max_length=200)]] = Field(
        default_factory=list,
        max_length=50,
        description="Browser origins allowed to use the key (CORS); none: servers only.",
    )


class CreatedKey(BaseModel):
    key: str = Field(description="The API key itself, shown this once: store it now.")
    info: KeyOut


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, object]
    remote: str


def user_out(user: User) -> UserOut:
    return UserOut(
        name=user.name,
        role=user.role,
        disabled=user.disabled,
        locked_until=user.locked_until,
        must_change_password=user.must_change_password,
        created_at=user.created_at,
    )


def key_out(key: ApiKey) -> KeyOut:
    return KeyOut(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        scopes=list(key.scopes),
        origins=list(key.allowed_origins),
        created_by=key.created_by,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
    )


@router.get("/users", response_model=list[UserOut])
def list_users(_: Admin, access: AccessDep) -> list[UserOut]:
    return [user_out(u) for u in access.db.users()]


@router.post("/users", response_model=CreatedUser, status_code=201)
async def create_user(
    body: NewUser, admin: Admin, request: Request, access: AccessDep
) -> CreatedUser:
    user, generated = await run_in_threadpool(
        access.create_user, admin.name, body.name, body.role, body.password, remote(request)
    )
    return CreatedUser(user=user_out(user), password=generated)


@router.patch("/users/{name}", response_model=UserOut)
async def change_user(
    name: Name, body: UserChange, admin: Admin, request: Request, access: AccessDep
) -> UserOut:
    """Change a role, disable or enable, set a password, unlock."""
    changed = await run_in_threadpool(
        lambda: access.change_user(
            admin.name,
            name,
            remote(request),
            role=body.role,
            disabled=body.disabled,
            password=body.password,
            unlock=body.unlock,
        )
    )
    return user_out(changed)


@router.get("/keys", response_model=list[KeyOut])
def list_keys(_: Admin, access: AccessDep) -> list[KeyOut]:
    return [key_out(k) for k in access.db.keys()]


@router.post("/keys", response_model=CreatedKey, status_code=201)
def create_key(body: NewKey, admin: Admin, request: Request, access: AccessDep) -> CreatedKey:
    stored, key = access.create_key(
        admin.name, body.name, body.scopes, body.origins, remote(request)
    )
    return CreatedKey(key=key, info=key_out(stored))


@router.delete("/keys/{key_id}", response_model=KeyOut)
def revoke_key(key_id: int, admin: Admin, request: Request, access: AccessDep) -> KeyOut:
    """Revoke: the key stops working at once here, within seconds on other replicas."""
    return key_out(access.revoke_key(admin.name, key_id, remote(request)))


@router.get("/audit", response_model=list[AuditOut])
def audit(
    _: Admin,
    access: AccessDep,
    actor: Annotated[str | None, Query(max_length=120)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AuditOut]:
    """Newest first: who did what, when, from where."""
    return [
        AuditOut(**e.__dict__)
        for e in access.audit_entries(actor=actor, action=action, offset=offset, limit=limit)
    ]
