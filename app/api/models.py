"""The request bodies of the JSON API (responses are the pipeline's own models)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.library import Tone

# Well-formed BCP 47 as callers send it: "pt-BR", "zh_Hant_TW", "en". A tag the library
# lacks is not an error (the reply falls back); a malformed one is.
RequestLocale = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}$", max_length=35)
]
# Text values are at most KEFU_MAX_VARIABLE_CHARS long (checked per request: a setting).
VariableValue = str | int | float | None
VariableName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
# `additionalProperties: false` tells schema readers what pydantic enforces: only names
# that match the pattern.
Variables = Annotated[
    dict[VariableName, VariableValue], Field(json_schema_extra={"additionalProperties": False})
]


class SuggestContextBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue_length: int | None = Field(None, ge=0, le=1_000_000, description="Buyers waiting.")
    busy: bool = Field(False, description="The agent's 'shop is busy' switch.")
    now: datetime | None = Field(
        None, description="The time to judge business hours by (default: now). ISO 8601."
    )


class SuggestBody(BaseModel):
    """A buyer's message and what the caller knows around it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"message": "在吗"},
                {"message": "when will you ship my order?", "variables": {"order_id": "A1"}},
                {"message": "can u do it cheaper??", "tone": "friendly", "limit": 2},
                {"message": "hello", "context": {"queue_length": 50}},
            ]
        },
    )

    message: str = Field(description="The buyer's message, as typed.")
    locale: RequestLocale | None = Field(
        None, description="Reply in this locale (BCP 47); wins over detection."
    )
    tone: Tone | None = Field(None, description="Reply in this tone; wins over detection.")
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = Field(
        None, description="ISO 4217 currency for money in replies (default: the shop's)."
    )
    limit: int = Field(3, ge=1, description="How many suggestions at most.")
    variables: Variables = Field(
        default_factory=dict, description="Values for the replies, e.g. order_id."
    )
    context: SuggestContextBody = Field(default_factory=SuggestContextBody)
