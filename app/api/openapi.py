"""The API's OpenAPI document, saying how to authenticate and which answers refuse.

Each operation lists the credentials it takes (none for public routes) and its 401, 403
and, where limited, 429 answers in the one error shape, so the docs' "Authorize" button
works and schema-based tests know these answers are expected.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.api.access import COOKIE, Public, Requirement

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "array", "items": {}},
            },
        }
    },
}
SCHEMES = {
    "apiKeyBearer": {"type": "http", "scheme": "bearer", "description": "An API key."},
    "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "session": {"type": "apiKey", "in": "cookie", "name": COOKIE},
}
REFUSALS = {
    "401": "No credentials, or unknown, revoked or expired ones.",
    "403": "The caller may not do this (scope, origin, or a password to change first).",
}


def api_routes(app: FastAPI) -> list[Any]:
    """Every route, with included routers flattened (newer FastAPI keeps them nested)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is flat already
        return list(app.routes)
    return [context.route for context in iter_route_contexts(app.routes)]


def route_rules(route: APIRoute) -> list[Requirement | Public]:
    """Every access rule a route's dependencies declare, however deep."""
    found: list[Requirement | Public] = []
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, Requirement | Public):
            found.append(dependant.call)
        stack.extend(dependant.dependencies)
    return found


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def install_openapi(app: FastAPI) -> None:
    """Replace `app.openapi` with one that adds security schemes and refusals."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = plain()
        components = schema.setdefault("components", {})
        components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        components["securitySchemes"] = SCHEMES
        for route in api_routes(app):
            if not isinstance(route, APIRoute) or not route.include_in_schema:
                continue
            rules = route_rules(route)
            for method in route.methods or ():
                operation = schema.get("paths", {}).get(route.path_format, {}).get(method.lower())
                if operation is None:
                    continue
                responses = operation.setdefault("responses", {})
                if any(isinstance(rule, Public) for rule in rules):
                    operation["security"] = []
                else:
                    operation["security"] = [{name: []} for name in SCHEMES]
                    for status, description in REFUSALS.items():
                        responses.setdefault(status, _error(description))
                if any(isinstance(r, Requirement) and r.limit for r in rules) or (
                    route.path_format == "/v1/auth/login"
                ):
                    responses.setdefault("429", _error("Too many requests; see Retry-After."))
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
