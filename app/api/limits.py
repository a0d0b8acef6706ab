"""The request limits an operator sets (`KEFU_MAX_*`): checked, and written into the schema.

The limits are settings, so the request models cannot carry them as constants; each
over-limit value gets a 422 naming the field, and `document_limits` writes the same
numbers into the OpenAPI schema, so clients (and the schema fuzzing in CI) know them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.config import Settings
from app.errors import InvalidInput

# JSON Schema for what `check_message` accepts: some non-blank character, no NUL.
MESSAGE_PATTERN = r"^[^\u0000]*\S[^\u0000]*$"


def _refuse(field: str, problem: str) -> InvalidInput:
    return InvalidInput(f"{field}: {problem}", [{"field": field, "problem": problem}])


def check_message(message: str, max_chars: int) -> None:
    if not message.strip():
        raise _refuse("message", "the message is empty")
    if len(message) > max_chars:
        raise InvalidInput(
            f"message: longer than {max_chars} characters",
            [{"field": "message", "problem": f"{len(message)} characters, at most {max_chars}"}],
        )
    if "\x00" in message:
        raise _refuse("message", "contains a NUL character")


def check_limit(limit: int, max_suggestions: int) -> None:
    if limit > max_suggestions:
        raise _refuse("limit", f"at most {max_suggestions}")


def check_variables(variables: Mapping[str, Any], settings: Settings) -> None:
    """At most `max_variables` entries, each text at most `max_variable_chars` long."""
    if len(variables) > settings.max_variables:
        raise _refuse("variables", f"at most {settings.max_variables} entries")
    for name, value in variables.items():
        if isinstance(value, str) and len(value) > settings.max_variable_chars:
            raise _refuse(
                f"variables.{name}", f"longer than {settings.max_variable_chars} characters"
            )


def document_limits(schema: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Write the configured limits into the request bodies of an OpenAPI schema."""
    for component in schema.get("components", {}).get("schemas", {}).values():
        properties = component.get("properties", {})
        message = properties.get("message")
        if message is not None and "variables" in properties:  # suggest and try bodies
            message.update(minLength=1, maxLength=settings.max_message_chars)
            message["pattern"] = MESSAGE_PATTERN
        limit = properties.get("limit")
        if limit is not None and "variables" in properties:
            limit["maximum"] = settings.max_suggestions
        variables = properties.get("variables")
        if variables is not None and "patternProperties" in variables:
            variables["maxProperties"] = settings.max_variables
            for value in variables["patternProperties"].values():
                for option in value.get("anyOf", [value]):
                    if option.get("type") == "string":
                        option["maxLength"] = settings.max_variable_chars
    return schema
